// Package i18n is varco's one message catalogue: every text a user reads —
// pages, e-mails, SMS, in-app alerts and API error messages — is defined
// once per language in locales/<lang>.json and looked up by key.
//
// The files are go-i18n message files: a key maps to a text, or to its
// plural forms ("one", "other", …) chosen by the CLDR plural rules of the
// language. Texts take printf verbs (%s, %d, or %[2]s to reorder), filled
// with fmt, never with the locale's number grouping: the numbers in texts
// are days, codes and years. The texts of e-mails and SMS instead name
// their arguments, {email} or {count}, filled by Named (see Fill): their
// templates pass the arguments by name, and a translation may reorder them.
//
// The package depends on nothing else of varco's, so that the root package
// can give an error its English message.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"
)

// Languages varco speaks. English is the catalogue's fallback and the
// language of the CLI and of logs.
const (
	IT = "it"
	EN = "en"
)

// Langs lists the languages of the catalogue.
var Langs = []string{IT, EN}

//go:embed locales/*.json
var localeFS embed.FS

type catalogue struct {
	bundle     *goi18n.Bundle
	localizers map[string]*goi18n.Localizer
	keys       map[string][]string // lang → sorted keys
}

var load = sync.OnceValues(func() (*catalogue, error) { return parse(localeFS) })

// parse reads every locales/<lang>.json of fsys.
func parse(fsys fs.FS) (*catalogue, error) {
	c := &catalogue{bundle: goi18n.NewBundle(language.English),
		localizers: map[string]*goi18n.Localizer{}, keys: map[string][]string{}}
	for _, lang := range Langs {
		name := path.Join("locales", lang+".json")
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("load catalogue: %w", err)
		}
		f, err := c.bundle.ParseMessageFileBytes(b, name)
		if err != nil {
			return nil, fmt.Errorf("load catalogue %s: %w", name, err)
		}
		for _, m := range f.Messages {
			c.keys[lang] = append(c.keys[lang], m.ID)
		}
		slices.Sort(c.keys[lang])
		c.localizers[lang] = goi18n.NewLocalizer(c.bundle, lang)
	}
	return c, nil
}

func mustLoad() *catalogue {
	c, err := load()
	if err != nil {
		// The files are embedded and tested: a broken one is a build defect.
		panic(err)
	}
	return c
}

// Keys returns the keys of lang's file, sorted.
func Keys(lang string) []string {
	return slices.Clone(mustLoad().keys[lang])
}

// Has reports whether key is in the catalogue.
func Has(key string) bool {
	return HasIn(EN, key)
}

// HasIn reports whether lang's file has key; false for a language the
// catalogue does not have.
func HasIn(lang, key string) bool {
	_, ok := slices.BinarySearch(mustLoad().keys[lang], key)
	return ok
}

// T returns the text of key in lang (English for a language the catalogue
// does not have), formatted with args when there are any. A missing key
// shows as [[key]], so that tests catch it.
func T(lang, key string, args ...any) string {
	s, ok := lookup(lang, key, nil)
	if !ok {
		return "[[" + key + "]]"
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// N returns the plural form of key for the count n in lang, formatted with
// args, or with n alone when there are no args. A form that shows no
// number ("the last one") is returned as it is.
func N(lang, key string, n int, args ...any) string {
	s, ok := lookup(lang, key, n)
	if !ok {
		return "[[" + key + "]]"
	}
	if !strings.Contains(s, "%") {
		return s
	}
	if len(args) == 0 {
		args = []any{n}
	}
	return fmt.Sprintf(s, args...)
}

// Named returns the text of key in lang with its {name} placeholders
// filled from args (see Fill); with a count, the plural form for it, whose
// {count} is the count unless args names it. escape, when not nil, is
// applied to the text around the placeholders (not to args): an HTML
// caller escapes the text and gives args already escaped. It returns an
// error when lang's file lacks key, rather than English: a message must
// not switch language half-way.
func Named(lang, key string, count *int, args map[string]string, escape func(string) string) (string, error) {
	if !HasIn(lang, key) {
		return "", fmt.Errorf("i18n: no key %q in %s", key, lang)
	}
	var c any
	if count != nil {
		c = *count
		if _, ok := args["count"]; !ok {
			args = maps.Clone(args)
			if args == nil {
				args = map[string]string{}
			}
			args["count"] = strconv.Itoa(*count)
		}
	}
	s, ok := lookup(lang, key, c)
	if !ok {
		return "", fmt.Errorf("i18n: no text for %q in %s", key, lang)
	}
	out, err := Fill(s, args, escape)
	if err != nil {
		return "", fmt.Errorf("i18n: %s in %s: %w", key, lang, err)
	}
	return out, nil
}

// Fill replaces each {name} of text with args[name]. An empty argument
// also takes away the space before its placeholder, so that an optional
// part ("your account {email}.") leaves no gap when it is missing. A brace
// not followed by a name and "}" is text. escape, when not nil, is applied
// to the text around the placeholders. It returns an error for a
// placeholder without an argument.
func Fill(text string, args map[string]string, escape func(string) string) (string, error) {
	if escape == nil {
		escape = func(s string) string { return s }
	}
	var b strings.Builder
	lit := 0 // start of the text not yet written
	for i := 0; i < len(text); i++ {
		if text[i] != '{' {
			continue
		}
		name, ok := placeholderAt(text, i)
		if !ok {
			continue
		}
		v, ok := args[name]
		if !ok {
			return "", fmt.Errorf("no argument for {%s}", name)
		}
		before := text[lit:i]
		if v == "" {
			before = strings.TrimSuffix(before, " ")
		}
		b.WriteString(escape(before))
		b.WriteString(v)
		i += len(name) + 1
		lit = i + 1
	}
	b.WriteString(escape(text[lit:]))
	return b.String(), nil
}

// Placeholders returns the names of text's {name} placeholders, in order.
func Placeholders(text string) []string {
	var out []string
	for i := 0; i < len(text); i++ {
		if name, ok := placeholderAt(text, i); ok {
			out = append(out, name)
			i += len(name) + 1
		}
	}
	return out
}

// placeholderAt returns the name of the placeholder starting at text[i]:
// "{", a name of lower-case letters, digits and "_", "}".
func placeholderAt(text string, i int) (string, bool) {
	if text[i] != '{' {
		return "", false
	}
	for j := i + 1; j < len(text); j++ {
		c := text[j]
		switch {
		case c == '}' && j > i+1:
			return text[i+1 : j], true
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		default:
			return "", false
		}
	}
	return "", false
}

func lookup(lang, key string, count any) (string, bool) {
	c := mustLoad()
	l, ok := c.localizers[lang]
	if !ok {
		l = c.localizers[EN]
	}
	s, err := l.Localize(&goi18n.LocalizeConfig{MessageID: key, PluralCount: count,
		TemplateParser: template.IdentityParser{}})
	return s, err == nil
}

// maxAcceptLanguage bounds the header parsed for a language.
const maxAcceptLanguage = 512

var matcher = language.NewMatcher([]language.Tag{language.English, language.Italian})

// MatchAcceptLanguage returns the catalogue language that best matches an
// Accept-Language header; fallback when the header is empty, too long,
// unreadable or matches none.
func MatchAcceptLanguage(header, fallback string) string {
	if header == "" || len(header) > maxAcceptLanguage {
		return fallback
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return fallback
	}
	_, idx, conf := matcher.Match(tags...)
	if conf == language.No || idx < 0 || idx > 1 {
		return fallback
	}
	return []string{EN, IT}[idx]
}

// Lang maps "it-IT", "IT" and the like to a catalogue language, English
// for anything else.
func Lang(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i >= 0 {
		s = s[:i]
	}
	if s == IT {
		return IT
	}
	return EN
}
