package notify

import (
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"varco.dev/varco/internal/i18n"
)

// Templates are language-neutral: every sentence comes from the message
// catalogue (internal/i18n, keys "mail.<event>.…" and shared "mail.…"), so
// that the text/plain and HTML parts of a message, and its languages, share
// one definition of each sentence. The files:
//
//   - templates/mail/<event>.tmpl defines "subject" (one line), "text" (the
//     text/plain body) and "html" (the HTML body, placed by
//     templates/layout.html into a complete HTML document);
//   - templates/mail/_common.tmpl holds what every message shares: the
//     greeting and the signature of each part;
//   - templates/sms/<event>.txt is an SMS (see sms.go).
//
// Templates call {{t "key" "name" value …}} for a text with named
// arguments, {{n "key" count …}} for its CLDR plural form, and strong,
// paren and link for the pieces of a sentence (see catalogue.go). In the
// HTML part these escape every argument but what they built themselves.
// Loading fails for a template that names a key some language lacks, so
// every event has its strings in every language. To add an event, write its
// .tmpl and its keys in both locales, add the fields it needs to Data (or
// pass its own struct embedding Common) and add the event to sampleData in
// templates_test.go (and run its golden test with -update).
//
//go:embed all:templates
var templateFS embed.FS

// Languages lists the languages messages are rendered in; Render falls back
// to the first one, English, for anything else.
var Languages = []string{"en", "it"}

// PathPasswordReset is the web page where a user asks for a reset link;
// messages link to it when something happened that the user may not have done.
const PathPasswordReset = "/password-reset"

// ErrUnknownEvent is returned by Render for an event without templates.
var ErrUnknownEvent = errors.New("no template for event")

// Common is what every message may show.
type Common struct {
	BaseURL     string // public URL of varco, e.g. "https://account.example.it", for links
	DisplayName string // greeting; empty gives a generic one
	Email       string // the account's login e-mail
	Support     string // optional: how to reach support (address or URL), shown where the message says to contact it
}

// URL returns the absolute URL of path (starting with "/") on BaseURL.
func (c Common) URL(path string) string {
	return strings.TrimRight(c.BaseURL, "/") + path
}

// PasswordResetURL is the page where the user asks for a reset link.
func (c Common) PasswordResetURL() string { return c.URL(PathPasswordReset) }

// Data is the data of the account events: Common plus what happened, when,
// from where and by whom. Events that need more (a PIN, a reset link, days
// left) add fields here, or pass their own struct that embeds Common.
type Data struct {
	Common
	Time     time.Time // when it happened; shown in its location (see In)
	IP       string    // client address, empty when not known
	Location string    // approximate location, e.g. "Milano, Italia"; empty when not known
	Actor    string    // who did it: varco.ActorSelf, ActorReset, ActorAdmin, ActorSupport or ActorSystem

	// Password expiry, inactivity and suspension (SPEC §2.3–2.7).
	DaysLeft       int       // password_expiry_warning_sent: days until the password expires (1 = "tomorrow")
	ExpiresAt      time.Time // password_expiry_warning_sent, account_suspended: when the password expires or expired
	GraceDays      int       // days after expiry before an unchanged password suspends the account
	DaysInactive   int       // inactivity_warning_sent: days since the last sign-in
	LastLogin      time.Time // inactivity_warning_sent: last sign-in; zero when the user never signed in
	ResetURL       string    // password_reset_requested: the link, with the token as its "token" parameter
	ResetExpiresAt time.Time // when that link stops working
	ContactSupport bool      // password_reset_requested for a suspended, locked or disabled account: no link, contact support

	// Codes sent by SMS or e-mail (otp_sent, phone_verification_sent, …).
	Code     string        // the 6-digit code, the only 6-digit number in the message
	ValidFor time.Duration // how long the code (or link) works, e.g. 10 minutes

	// login_alert_sent (SPEC §5.10).
	Device      string // the client's user agent as recorded; templates show it with {{device .Device}}
	Application string // the application signed in to
	NotMeURL    string // "this wasn't me": revokes that session and starts a reset
	SessionID   int64  // the session signed in; only its in-app alert uses it

	// contact_email_verification_sent: the address being verified and its link.
	ContactEmail    string    // the new contact address
	VerifyURL       string    // the link, with the token as its "token" parameter
	VerifyExpiresAt time.Time // when that link stops working

	// app_password_expiry_warning_sent, app_password_expired (SPEC §7.3):
	// the app password's label; DaysLeft and ExpiresAt as for the password.
	Label string
}

// In returns d with every time in loc, the reader's zone: templates show
// times in their own location.
func (d Data) In(loc *time.Location) Data {
	for _, t := range []*time.Time{&d.Time, &d.ExpiresAt, &d.LastLogin, &d.ResetExpiresAt, &d.VerifyExpiresAt} {
		if !t.IsZero() {
			*t = t.In(loc)
		}
	}
	return d
}

type eventTemplates struct {
	text *texttemplate.Template // "subject" and "text"
	html *htmltemplate.Template // "layout" (calling "body")
}

type templateSet map[string]map[string]eventTemplates // lang → event → templates

var loadTemplates = sync.OnceValues(func() (templateSet, error) { return parseTemplates(templateFS) })

// Events returns the events that have templates, sorted.
func Events() ([]string, error) {
	set, err := loadTemplates()
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(set[Languages[0]])), nil
}

// Render renders event in lang (English when lang has no templates) with
// data: the subject (one line), the text/plain body and the HTML body. It
// returns an error wrapping ErrUnknownEvent for an event without templates,
// or the template error when data lacks a field the template uses.
func Render(event, lang string, data any) (subject, text, html string, err error) {
	set, err := loadTemplates()
	if err != nil {
		return "", "", "", err
	}
	byEvent, ok := set[normalizeLang(lang)]
	if !ok {
		byEvent = set[Languages[0]]
	}
	t, ok := byEvent[event]
	if !ok {
		return "", "", "", fmt.Errorf("render %q: %w", event, ErrUnknownEvent)
	}
	var b strings.Builder
	if err := t.text.ExecuteTemplate(&b, "subject", data); err != nil {
		return "", "", "", fmt.Errorf("render %s subject: %w", event, err)
	}
	subject = strings.Join(strings.Fields(b.String()), " ")
	b.Reset()
	if err := t.text.ExecuteTemplate(&b, "text", data); err != nil {
		return "", "", "", fmt.Errorf("render %s text: %w", event, err)
	}
	text = tidyText(b.String())
	b.Reset()
	if err := t.html.ExecuteTemplate(&b, "layout", data); err != nil {
		return "", "", "", fmt.Errorf("render %s html: %w", event, err)
	}
	return subject, text, b.String(), nil
}

// normalizeLang maps "it-IT", "IT" and the like to "it".
func normalizeLang(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		lang = lang[:i]
	}
	return lang
}

// tidyText trims trailing spaces from lines (but the "-- " signature
// separator), collapses runs of blank lines
// (left by optional lines in templates) and ends the text with one newline.
func tidyText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	out := make([]string, 0, len(lines))
	blank := true // drops leading blank lines
	for _, l := range lines {
		if l != "-- " { // the signature separator keeps its space
			l = strings.TrimRight(l, " \t")
		}
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}

// mailDir holds the e-mail templates.
const mailDir = "templates/mail"

func parseTemplates(fsys fs.FS) (templateSet, error) {
	layout, err := fs.ReadFile(fsys, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("load templates: %w", err)
	}
	events, err := listEvents(fsys, mailDir)
	if err != nil {
		return nil, err
	}
	common := path.Join(mailDir, "_common.tmpl")
	set := templateSet{}
	for _, lang := range Languages {
		set[lang] = map[string]eventTemplates{}
		for _, event := range events {
			file := path.Join(mailDir, event+".tmpl")
			tt, err := texttemplate.New(event).Funcs(textFuncs(lang)).Option("missingkey=error").
				ParseFS(fsys, common, file)
			if err != nil {
				return nil, fmt.Errorf("load templates: %w", err)
			}
			for _, name := range []string{"subject", "text", "html"} {
				if tt.Lookup(name) == nil {
					return nil, fmt.Errorf("load templates: %s does not define %q", file, name)
				}
			}
			if err := checkKeys(tt); err != nil {
				return nil, fmt.Errorf("load templates: %s: %w", file, err)
			}
			ht, err := htmltemplate.New("layout").Funcs(htmlFuncs(lang)).Option("missingkey=error").
				Parse(string(layout))
			if err != nil {
				return nil, fmt.Errorf("load templates: layout: %w", err)
			}
			if ht, err = ht.ParseFS(fsys, common, file); err != nil {
				return nil, fmt.Errorf("load templates: %w", err)
			}
			set[lang][event] = eventTemplates{text: tt, html: ht}
		}
	}
	return set, nil
}

// listEvents returns the events of dir: every <event>.tmpl but _common.
func listEvents(fsys fs.FS, dir string) ([]string, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("load templates: %w", err)
	}
	var events []string
	for _, e := range entries {
		event, ok := strings.CutSuffix(e.Name(), ".tmpl")
		if !ok || e.IsDir() {
			return nil, fmt.Errorf("load templates: unexpected file %s/%s", dir, e.Name())
		}
		if !strings.HasPrefix(event, "_") {
			events = append(events, event)
		}
	}
	slices.Sort(events)
	return events, nil
}

// FormatTime writes t in its own time zone, which it names, the way lang
// writes a date and time: "lunedì 23 novembre 2026, ore 11:25 (CET)" or
// "Monday, 23 November 2026 at 11:25 CET". A time in the process's Local
// zone (a server setting, not the reader's) is written in UTC.
func FormatTime(t time.Time, lang string) string {
	if t.Location() == time.Local {
		t = t.UTC()
	}
	lang = i18n.Lang(lang)
	return i18n.T(lang, "date.long_time", i18n.T(lang, "weekday."+strconv.Itoa(int(t.Weekday()))), t.Day(),
		i18n.T(lang, "month.long."+strconv.Itoa(int(t.Month()))), t.Year(), t.Format("15:04"), t.Format("MST"))
}
