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
	// The waiting page reads the request again by itself, without script.
	want(t, p, 200, `id="twofactor-wait"`, `action="`+path+`"`, `<meta http-equiv="refresh" content="3">`)
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
			// What the page's own refresh reads continues to the result.
			wantRedirect(t, b.get(path), "/profile/two-factor?done=disabled")
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
	for _, tc := range pushRefusals {
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

var codesRe = regexp.MustCompile(`<code class="recovery-code">([A-Z0-9-]+)</code>`)

// TestRecoveryCodesPage: new recovery codes from the profile need an
// approval on the device (SPEC §6.1 "regenerable"): before it the button
// shows no codes; after it the button shows 10 new codes once, with
// Cache-Control no-store, and the page counts 10 unused codes; a denial
// shows none and says the old ones still work.
func TestRecoveryCodesPage(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := newSite(t, siteOptions{dev: true, engine: engine, manualClock: true})
			s.standard()
			b := s.browser("Accept-Language", "en")
			b.login("luigi@other.test", luigiPW)
			dev := s.enrollDevice("luigi@other.test", luigiPW)
			want(t, b.get("/profile/two-factor"), 200, `action="/profile/two-factor/recovery-codes"`, "Create new recovery codes")

			p := b.post("/profile/two-factor/recovery-codes", nil)
			path := p.header.Get("Location")
			if p.status != http.StatusSeeOther || !strings.HasPrefix(path, "/profile/two-factor/recovery-codes/") {
				t.Fatalf("new codes: %d %q", p.status, path)
			}
			p = b.get(path)
			want(t, p, 200, "approve the new recovery codes", `method="post" action="`+path+`"`)
			number := numberRe.FindStringSubmatch(p.body)[1]
			p = b.post(path, nil)
			want(t, p, 200, "has not been approved yet", number)
			if codesRe.MatchString(p.body) {
				t.Fatal("codes shown before the approval")
			}
			if st := dev.decide(push.DecisionApprove, number); st != push.StatusApproved {
				t.Fatalf("decision: %s", st)
			}
			p = b.post(path, nil)
			want(t, p, 200, "New recovery codes created.", "shown only this once", `<dd id="recovery-left">10</dd>`)
			if n := len(codesRe.FindAllStringSubmatch(p.body, -1)); n != 10 || p.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("%d codes, Cache-Control %q", n, p.header.Get("Cache-Control"))
			}
			// Shown once.
			want(t, b.post(path, nil), http.StatusNotFound)
			want(t, b.get(path), http.StatusNotFound)

			// A denial: no codes, the old ones still work.
			s.app.Clock.(*clock.Manual).Advance(time.Minute)
			p = b.post("/profile/two-factor/recovery-codes", nil)
			path = p.header.Get("Location")
			dev.decide(push.DecisionDeny, "")
			p = b.post(path, nil)
			want(t, p, http.StatusForbidden, `role="alert"`, "the old codes still work")
			if codesRe.MatchString(p.body) {
				t.Fatal("codes shown after a denial")
			}
			want(t, b.get(path), http.StatusForbidden, "the old codes still work")
			if p := b.post("/profile/two-factor/recovery-codes", nil, "Sec-Fetch-Site", "cross-site"); p.status != http.StatusForbidden {
				t.Fatalf("cross-site POST: %d", p.status)
			}
		})
	}
}
