package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/i18n"
)

// TestEventLabelsComeFromTheRegistry: every event the filter offers is
// labelled from the root registry in both languages; an unknown one shows
// its raw name.
func TestEventLabelsComeFromTheRegistry(t *testing.T) {
	if len(eventNames) != len(varco.Events()) {
		t.Fatalf("the filter offers %d events, the registry has %d", len(eventNames), len(varco.Events()))
	}
	for _, l := range languages {
		for _, e := range eventNames {
			info, _ := varco.LookupEvent(e)
			if got := label(l, "event.", e); got != info.Label(l) || got == e {
				t.Errorf("%s: event %q labelled %q", l, e, got)
			}
		}
	}
	for _, key := range i18n.Keys(varco.LangIT) {
		if strings.HasPrefix(key, "event.") {
			t.Errorf("%s: event labels belong to the registry, not the web catalogue", key)
		}
	}
	if got := label(varco.LangEN, "event.", "brand_new_event"); got != "brand_new_event" {
		t.Errorf("unknown event label = %q, want the raw name", got)
	}
}

func TestAcceptLanguage(t *testing.T) {
	tests := []struct{ header, want string }{
		{"", "it"},
		{"en", "en"},
		{"en-US,en;q=0.9", "en"},
		{"en-GB", "en"},
		{"it-IT,it;q=0.9,en;q=0.8", "it"},
		{"fr-FR,fr;q=0.9", "it"},
		{"de, en;q=0.5", "en"},
		{"fr, it;q=0.2, en;q=0.1", "it"},
		{"*", "it"},
		{"garbage;;;q=x", "it"},
		{strings.Repeat("en,", 400), "it"},
	}
	for _, tt := range tests {
		if got := acceptLanguage(tt.header); got != tt.want {
			t.Errorf("acceptLanguage(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestPickLangOrder(t *testing.T) {
	en := &varco.Account{Lang: varco.LangEN}
	tests := []struct {
		name, url, cookie, accept string
		account                   *varco.Account
		want                      string
		fromQuery                 bool
	}{
		{"default", "/", "", "", nil, "it", false},
		{"accept-language", "/", "", "en", nil, "en", false},
		{"account beats accept-language", "/", "", "it", en, "en", false},
		{"cookie beats account", "/", "it", "", en, "it", false},
		{"query beats cookie", "/?lang=en", "it", "", nil, "en", true},
		{"bad query ignored", "/?lang=xx", "", "en", nil, "en", false},
		{"bad cookie ignored", "/", "<x>", "en", nil, "en", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.url, nil)
			if tt.cookie != "" {
				r.Header.Set("Cookie", langCookie+"="+tt.cookie)
			}
			if tt.accept != "" {
				r.Header.Set("Accept-Language", tt.accept)
			}
			got, fromQuery := pickLang(r, tt.account)
			if got != tt.want || fromQuery != tt.fromQuery {
				t.Errorf("pickLang = %q, %v; want %q, %v", got, fromQuery, tt.want, tt.fromQuery)
			}
		})
	}
}

// TestFormatTime: pages show times in the reader's zone, naming it (SPEC §3).
func TestFormatTime(t *testing.T) {
	rome, _ := varco.LoadTimeZone("Europe/Rome")
	at := time.Date(2026, 5, 4, 8, 5, 0, 0, time.UTC)
	for _, tc := range []struct {
		lang string
		loc  *time.Location
		at   time.Time
		want string
	}{
		{varco.LangIT, rome, at, "4 mag 2026, 10:05 CEST"},
		{varco.LangEN, rome, at, "4 May 2026, 10:05 CEST"},
		{varco.LangEN, rome, at.AddDate(0, 7, 0), "4 Dec 2026, 09:05 CET"},
		{varco.LangEN, time.UTC, at, "4 May 2026, 08:05 UTC"},
		{varco.LangEN, rome, time.Time{}, "—"},
	} {
		if got := formatTime(tc.lang, tc.loc, tc.at); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.lang, tc.at, got, tc.want)
		}
	}
}

func TestLinkify(t *testing.T) {
	got := linkify("Reset: https://varco.test/reset?token=abc. Or javascript:alert(1) <b>x</b>\nhttp://a.test/x)")
	var links []string
	var text strings.Builder
	for _, s := range got {
		text.WriteString(s.Text)
		if s.URL != "" {
			links = append(links, s.URL)
		}
	}
	if strings.Join(links, " ") != "https://varco.test/reset?token=abc http://a.test/x" {
		t.Fatalf("links = %q", links)
	}
	if text.String() != "Reset: https://varco.test/reset?token=abc. Or javascript:alert(1) <b>x</b>\nhttp://a.test/x)" {
		t.Fatalf("text was changed: %q", text.String())
	}
}

func TestTemplatesParse(t *testing.T) {
	for _, name := range []string{"login", "profile", "password", "sessions", "activity", "admin", "admin_user", "mailbox", "error"} {
		if _, ok := pages[name]; !ok {
			t.Errorf("template %q missing", name)
		}
	}
}
