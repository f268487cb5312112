package web

import (
	"net/http"
	"strconv"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/i18n"
)

// langCookie remembers the language a visitor picked with the switch.
const langCookie = "lang"

// languages the pages speak, in the order of the switch; the first is the
// default.
var languages = []string{varco.LangIT, varco.LangEN}

// pickLang decides the language of a page: an explicit ?lang= wins, then the
// lang cookie, then the signed-in account's language, then Accept-Language;
// Italian when nothing matches. fromQuery reports that ?lang= chose it, so
// the caller remembers the choice in a cookie.
func pickLang(r *http.Request, a *varco.Account) (lang string, fromQuery bool) {
	if l := r.URL.Query().Get("lang"); varco.ValidLang(l) {
		return l, true
	}
	if c, err := r.Cookie(langCookie); err == nil && varco.ValidLang(c.Value) {
		return c.Value, false
	}
	if a != nil && varco.ValidLang(a.Lang) {
		return a.Lang, false
	}
	return acceptLanguage(r.Header.Get("Accept-Language")), false
}

// acceptLanguage matches an Accept-Language header against the supported
// languages, Italian by default.
func acceptLanguage(header string) string {
	return i18n.MatchAcceptLanguage(header, varco.LangIT)
}

// translate returns the text of key in lang from the catalogue, formatted
// with args when there are any.
func translate(lang, key string, args ...any) string { return i18n.T(lang, key, args...) }

// label translates prefix+name (an event, role, status…) and falls back to
// the raw name, so a new event shows up even before it has a label.
func label(lang, prefix, name string) string {
	if prefix == "event." {
		if e, ok := varco.LookupEvent(name); ok {
			return e.Label(lang)
		}
		return name
	}
	if i18n.Has(prefix + name) {
		return i18n.T(lang, prefix+name)
	}
	return name
}

// formatTime writes t in loc, the reader's time zone, the way a reader of
// lang expects it, naming the zone (SPEC §3): "4 mag 2026, 10:05 CEST" or
// "4 May 2026, 10:05 CEST".
func formatTime(lang string, loc *time.Location, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(loc)
	return i18n.T(lang, "date.short_time", formatDate(lang, loc, t), t.Format("15:04"), t.Format("MST"))
}

// formatDate is formatTime without the time of day (nor the zone).
func formatDate(lang string, loc *time.Location, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(loc)
	return i18n.T(lang, "date.short", t.Day(), i18n.T(lang, "month.short."+strconv.Itoa(int(t.Month()))), t.Year())
}
