package notify

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"text/template/parse"
	"time"

	"varco.dev/varco/internal/device"
	"varco.dev/varco/internal/i18n"
)

// The functions below give templates the catalogue. Both parts of a message
// call the same ones with the same keys:
//
//	{{t "mail.password_changed.intro" "email" (strong .Email)}}
//	{{n "mail.days" .GraceDays}}
//
// t takes the key and then name, value pairs, filling the text's {name}
// placeholders; n takes a count before them, picks the CLDR plural form and
// fills {count}. A value is a string, a number or what t, n, strong, paren
// and link return; an empty value takes away the space before it (see
// i18n.Fill), so optional pieces need no conditions. In the text/plain part
// nothing is escaped; in the HTML part t and n escape the catalogue text and
// every string argument, and leave alone only the HTML that they, strong,
// paren and link built, which is how markup gets inside a sentence.

// textFuncs are the functions of the text/plain part (and the subject) in
// lang.
func textFuncs(lang string) texttemplate.FuncMap {
	f := commonFuncs(lang)
	f["t"] = func(key string, args ...any) (string, error) { return named(lang, key, nil, args, false) }
	f["n"] = func(key string, count int, args ...any) (string, error) {
		return named(lang, key, &count, args, false)
	}
	f["strong"] = func(v any) (string, error) { return plain(v) }
	f["paren"] = func(v any) (string, error) {
		s, err := plain(v)
		if s == "" || err != nil {
			return "", err
		}
		return "(" + s + ")", nil
	}
	// In text/plain a link is its text; templates write the address out.
	f["link"] = func(_ string, text any) (string, error) { return plain(text) }
	return f
}

// htmlFuncs are the functions of the HTML part in lang.
func htmlFuncs(lang string) htmltemplate.FuncMap {
	f := commonFuncs(lang)
	f["t"] = func(key string, args ...any) (htmltemplate.HTML, error) {
		s, err := named(lang, key, nil, args, true)
		return htmltemplate.HTML(s), err
	}
	f["n"] = func(key string, count int, args ...any) (htmltemplate.HTML, error) {
		s, err := named(lang, key, &count, args, true)
		return htmltemplate.HTML(s), err
	}
	f["strong"] = func(v any) (htmltemplate.HTML, error) {
		s, err := escaped(v)
		if s == "" || err != nil {
			return "", err
		}
		return htmltemplate.HTML("<strong>" + s + "</strong>"), nil
	}
	f["paren"] = func(v any) (htmltemplate.HTML, error) {
		s, err := escaped(v)
		if s == "" || err != nil {
			return "", err
		}
		return htmltemplate.HTML("(" + s + ")"), nil
	}
	f["link"] = link
	return f
}

// commonFuncs are the functions both parts share.
func commonFuncs(lang string) map[string]any {
	return map[string]any{
		"lang":     func() string { return lang },
		"when":     func(t time.Time) string { return FormatTime(t, lang) },
		"duration": func(d time.Duration) string { return FormatDuration(d, lang) },
		// device names a user agent as "Chrome 148 on Linux" (SPEC §3).
		"device": func(userAgent string) string { return device.Describe(userAgent, lang) },
	}
}

// named renders key in lang with the name, value pairs of args.
func named(lang, key string, count *int, args []any, html bool) (string, error) {
	if len(args)%2 != 0 {
		return "", fmt.Errorf("%s: arguments come in name, value pairs", key)
	}
	values := make(map[string]string, len(args)/2)
	for i := 0; i < len(args); i += 2 {
		name, ok := args[i].(string)
		if !ok {
			return "", fmt.Errorf("%s: argument name %v is not a string", key, args[i])
		}
		var v string
		var err error
		if html {
			v, err = escaped(args[i+1])
		} else {
			v, err = plain(args[i+1])
		}
		if err != nil {
			return "", fmt.Errorf("%s: argument %s: %w", key, name, err)
		}
		values[name] = v
	}
	var escape func(string) string
	if html {
		escape = escapeText
	}
	return i18n.Named(lang, key, count, values, escape)
}

// plain writes a value for text/plain.
func plain(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	default:
		return "", fmt.Errorf("cannot write a %T", v)
	}
}

// escaped writes a value for HTML: HTML as it is, anything else escaped.
func escaped(v any) (string, error) {
	if h, ok := v.(htmltemplate.HTML); ok {
		return string(h), nil
	}
	s, err := plain(v)
	return htmltemplate.HTMLEscapeString(s), err
}

// escapeText escapes the catalogue's own text for HTML. The catalogue is
// trusted, and its texts go in element content, so quotes and apostrophes
// stay as they are.
var escapeText = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// linkTemplate builds a link with html/template's own escaping, which also
// refuses a URL that is not http(s) or relative (javascript:…).
var linkTemplate = htmltemplate.Must(htmltemplate.New("link").Parse(`<a href="{{.URL}}">{{.Text}}</a>`))

// link returns <a href="url">text</a>; text is escaped unless it is HTML
// (what t returned).
func link(url string, text any) (htmltemplate.HTML, error) {
	s, err := escaped(text)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	err = linkTemplate.Execute(&b, struct {
		URL  string
		Text htmltemplate.HTML
	}{url, htmltemplate.HTML(s)})
	return htmltemplate.HTML(b.String()), err
}

// errDynamicKey is returned for a t or n whose key is not a literal.
var errDynamicKey = errors.New("a catalogue key must be a literal string")

// checkKeys checks that every key the templates of t name is in every
// language's catalogue, so that a message cannot lack a sentence in one
// language, and that every key is a literal, so that this check (and the
// catalogue's unused-key test) sees it.
func checkKeys(t *texttemplate.Template) error {
	var errs []error
	for _, tmpl := range t.Templates() {
		if tmpl.Tree == nil {
			continue
		}
		walk(tmpl.Tree.Root, func(cmd *parse.CommandNode) {
			id, ok := cmd.Args[0].(*parse.IdentifierNode)
			if !ok || (id.Ident != "t" && id.Ident != "n") {
				return
			}
			if len(cmd.Args) < 2 {
				errs = append(errs, fmt.Errorf("%s: %s without a key", tmpl.Name(), id.Ident))
				return
			}
			key, ok := cmd.Args[1].(*parse.StringNode)
			if !ok {
				errs = append(errs, fmt.Errorf("%s: %s %s: %w", tmpl.Name(), id.Ident, cmd.Args[1], errDynamicKey))
				return
			}
			for _, lang := range Languages {
				if !i18n.HasIn(lang, key.Text) {
					errs = append(errs, fmt.Errorf("%s: key %q is not in the %s catalogue", tmpl.Name(), key.Text, lang))
				}
			}
		})
	}
	return errors.Join(errs...)
}

// walk calls f for every command of the tree under n.
func walk(n parse.Node, f func(*parse.CommandNode)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(c, f)
		}
	case *parse.ActionNode:
		walk(n.Pipe, f)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walk(c, f)
		}
	case *parse.CommandNode:
		f(n)
		for _, a := range n.Args {
			walk(a, f)
		}
	case *parse.IfNode:
		walk(n.Pipe, f)
		walk(n.List, f)
		walk(n.ElseList, f)
	case *parse.RangeNode:
		walk(n.Pipe, f)
		walk(n.List, f)
		walk(n.ElseList, f)
	case *parse.WithNode:
		walk(n.Pipe, f)
		walk(n.List, f)
		walk(n.ElseList, f)
	case *parse.TemplateNode:
		walk(n.Pipe, f)
	}
}
