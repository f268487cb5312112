// Package i18n is varco's one message catalogue: every text a user reads —
// pages, e-mails, SMS, in-app alerts and API error messages — is defined
// once per language in locales/<lang>.json and looked up by key.
//
// The files are go-i18n message files: a key maps to a text, or to its
// plural forms ("one", "other", …) chosen by the CLDR plural rules of the
// language. Texts take printf verbs (%s, %d, or %[2]s to reorder), filled
// with fmt, never with the locale's number grouping: the numbers in texts
// are days, codes and years.
//
// The package depends on nothing else of varco's, so that the root package
// can give an error its English message.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
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
	_, ok := slices.BinarySearch(mustLoad().keys[EN], key)
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
