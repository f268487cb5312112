package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/push"
	"varco.dev/varco/internal/testenv"
)

var disableWaitRe = regexp.MustCompile(`^/profile/two-factor/disable/([A-Za-z0-9_-]+)$`)

// startTurnOff presses "Turn off" and follows to the waiting page,
// returning its path and the number it shows.
func startTurnOff(t *testing.T, b *browser) (string, string) {
	t.Helper()
	p := b.post("/profile/two-factor/disable", nil)
	if p.status != http.StatusSeeOther || !disableWaitRe.MatchString(p.header.Get("Location")) {
		t.Fatalf("turn off: %d %q\n%s", p.status, p.header.Get("Location"), p.body)
	}
	path := p.header.Get("Location")
	p = b.get(path)
	want(t, p, 200, `id="twofactor-wait"`, `action="`+path+`"`)
	m := numberRe.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no number on the page:\n%s", p.body)
	}
	return path, m[1]
}

// TestTwoFactorPage: the profile's 2-step verification page says it is
// off and links to the authenticator; once a device is enrolled it shows
// the device's kind, its date and the recovery codes left. Turning it off
// waits for the device: before the approval nothing changes, the device
// approves with a signed decision and the page then says 2-step
// verification is off (SPEC §6.5).
func TestTwoFactorPage(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := newSite(t, siteOptions{dev: true, engine: engine})
			s.standard()
			b := s.browser("Accept-Language", "en")
			b.login("luigi@other.test", luigiPW)

			p := b.get("/profile")
			want(t, p, 200, `href="/profile/two-factor"`)
			p = b.get("/profile/two-factor")
			want(t, p, 200, "2-step verification is off", `href="/authenticator"`, `data-enabled="false"`, `aria-current="page"`)
			if strings.Contains(p.body, `action="/profile/two-factor/disable"`) {
				t.Fatal("turn off offered while off")
			}

			dev := s.enrollDevice("luigi@other.test", luigiPW)
			p = b.get("/profile/two-factor")
			want(t, p, 200, "2-step verification is on", "Command line", `<dd id="recovery-left">10</dd>`, `action="/profile/two-factor/disable"`)

			// [seed] 6.5: turning it off needs a fresh approval on the device.
			path, number := startTurnOff(t, b)
			want(t, b.get(path+"?check=1"), 200, "has not been approved yet", number)
			want(t, b.get("/profile/two-factor"), 200, "2-step verification is on")
			if st := dev.decide(push.DecisionApprove, number); st != push.StatusApproved {
				t.Fatalf("decision: %s", st)
			}
			wantRedirect(t, b.get(path+"?check=1"), "/profile/two-factor?done=disabled")
			want(t, b.get("/profile/two-factor?done=disabled"), 200, "2-step verification is off. Your device has been removed.", `data-enabled="false"`)
			// The device is gone: its token no longer works.
			s.api("GET", "/api/v1/authenticator/requests", dev.token, "", http.StatusUnauthorized, nil)

			// In Italian too.
			want(t, b.get("/profile/two-factor?lang=it"), 200, "Verifica in due passaggi", "non è attiva")
		})
	}
}

// TestTwoFactorTurnOffDeniedOrExpired: a denial on the device, a wrong
// number and an unanswered request each leave 2-step verification on and
// say so on the page; another account's request is not found; the form
// refuses a cross-site POST.
func TestTwoFactorTurnOffDeniedOrExpired(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(s *site, d *device)
		status int
		text   string
	}{
		{"denied", func(_ *site, d *device) { d.decide(push.DecisionDeny, "") }, http.StatusForbidden, "was denied on your device"},
		{"wrong number", func(_ *site, d *device) { d.decide(push.DecisionApprove, "999999") }, http.StatusForbidden, "was denied on your device"},
		{"expired", func(s *site, _ *device) { s.app.Clock.(*clock.Manual).Advance(2*time.Minute + time.Second) }, http.StatusOK, "has expired without an answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t, siteOptions{dev: true, manualClock: true})
			s.standard()
			b := s.browser("Accept-Language", "en")
			b.login("luigi@other.test", luigiPW)
			dev := s.enrollDevice("luigi@other.test", luigiPW)
			path, _ := startTurnOff(t, b)
			tc.answer(s, dev)
			p := b.get(path + "?check=1")
			want(t, p, tc.status, tc.text, `role="alert"`, "2-step verification is on", `action="/profile/two-factor/disable"`)
			want(t, b.get("/profile/two-factor"), 200, "2-step verification is on")
			// Another account cannot read the request.
			other := s.browser("Accept-Language", "en")
			other.login("mario@acme.test", marioPW)
			want(t, other.get(path), http.StatusNotFound)
		})
	}
	s := newSite(t)
	s.standard()
	b := s.browser()
	b.login("luigi@other.test", luigiPW)
	s.enrollDevice("luigi@other.test", luigiPW)
	if p := b.post("/profile/two-factor/disable", nil, "Sec-Fetch-Site", "cross-site"); p.status != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", p.status)
	}
	wantRedirect(t, s.browser().get("/profile/two-factor"), "/login")
}
