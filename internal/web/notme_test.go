package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/smtpsink"
)

// TestNotMePage: the "this wasn't me" link of a login alert opens a page
// that changes nothing until its button is pressed; then the session of
// that sign-in ends and a reset link is sent (SPEC §5.10).
func TestNotMePage(t *testing.T) {
	s := newStepUpSite(t, "sqlite")
	victim := s.away()
	victim.startStepUp("mario@acme.test", marioPW)
	pin := victim.sendPIN("mario@acme.test")
	victim.post("/login/step-up/verify", url.Values{"code": {pin}})
	want(t, victim.get("/profile"), 200, "Mario Rossi")
	m := s.sink.Wait(t, smtpsink.EventIs(varco.EventLoginAlertSent), 10*time.Second)
	link, ok := smtpsink.FindLink(m.Text, "/login/not-me")
	if !ok {
		t.Fatalf("no link in the alert:\n%s", m.Text)
	}
	b := s.browser()
	page := b.get(link.RequestURI())
	want(t, page, 200, "Non ero io", `id="notme-submit"`)
	want(t, victim.get("/profile"), 200, "Mario Rossi") // opening the page changed nothing
	want(t, b.post("/login/not-me", url.Values{"token": {link.Query().Get("token")}}), 200, `id="notme-done"`)
	if p := victim.get("/profile"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/login") {
		t.Fatalf("the session survived: %d %s", p.status, p.location())
	}
	s.sink.Wait(t, smtpsink.EventIs(varco.EventPasswordResetRequested), 10*time.Second)
	want(t, b.post("/login/not-me", url.Values{"token": {link.Query().Get("token")}}), http.StatusBadRequest, "non è valido")
	want(t, b.get("/login/not-me"), http.StatusBadRequest, "non è valido")
}

// TestAlertsAndPreferencesOnProfile: the profile shows each alert with its
// kind, and a new-sign-in alert has "this wasn't me", which ends that
// session (SPEC §8). Language and time zone are settings of the profile;
// times show in the zone, naming it (SPEC §3).
func TestAlertsAndPreferencesOnProfile(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := newStepUpSite(t, engine)
			home := s.browser("X-Forwarded-For", homeIP)
			home.login("mario@acme.test", marioPW)
			victim := s.away()
			victim.startStepUp("mario@acme.test", marioPW)
			victim.post("/login/step-up/verify", url.Values{"code": {victim.sendPIN("mario@acme.test")}})
			s.sink.Wait(t, smtpsink.EventIs(varco.EventLoginAlertSent), 10*time.Second)

			p := home.get("/profile")
			want(t, p, 200, `data-alert="new_login"`, "Nuovo accesso.", "Non sono stato io", "CEST")
			i := strings.Index(p.body, `/not-me"`)
			j := strings.LastIndex(p.body[:max(i, 0)], `action="`)
			if i < 0 || j < 0 {
				t.Fatalf("no \"this wasn't me\" form:\n%s", p.body)
			}
			action := p.body[j+len(`action="`) : i+len(`/not-me`)]
			wantRedirect(t, home.post(action, nil), "/profile?done=not_me")
			if v := victim.get("/profile"); v.status != http.StatusSeeOther {
				t.Fatalf("the reported session survived: %d", v.status)
			}
			want(t, home.get("/profile?done=not_me"), 200, "Abbiamo chiuso quella sessione")

			// Preferences: a bad zone is refused; English and New York are kept.
			want(t, home.post("/profile/preferences", url.Values{"language": {"en"}, "time_zone": {"Mars/Olympus"}}),
				http.StatusBadRequest, "fuso orario valido")
			wantRedirect(t, home.post("/profile/preferences", url.Values{"language": {"en"}, "time_zone": {"America/New_York"}}),
				"/profile?done=preferences#preferences")
			if a := s.Account("mario@acme.test"); a.Lang != "en" || a.TimeZone != "America/New_York" {
				t.Fatalf("saved %q %q", a.Lang, a.TimeZone)
			}
			want(t, home.get("/profile"), 200, "Language and time zone", "4 May 2026, 04:00 EDT", `value="America/New_York"`)
		})
	}
}
