package api_test

import (
	"net/http"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/testenv/smtpsink"
)

func (h *harness) alerts() []smtpsink.Mail {
	var out []smtpsink.Mail
	for _, m := range h.sink.Messages() {
		if m.Header.Get("X-Varco-Event") == varco.EventLoginAlertSent {
			out = append(out, m)
		}
	}
	return out
}

// thunderbirdUA is the User-Agent of Thunderbird 128 on Windows.
const thunderbirdUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0"

// TestLoginAlert: SPEC §5.10 — a sign-in from a place or a device not seen
// in 180 days e-mails the user with time, place, IP, device, application,
// the sessions page and a "this wasn't me" link that revokes that session
// and starts a password reset. The first sign-in and usual ones alert
// nobody. The device is named as "browser on system" (SPEC §3), not quoted.
func TestLoginAlert(t *testing.T) {
	forEachEngineWith(t, newStepUpHarness, func(t *testing.T, h *harness) {
		// newStepUpHarness made mario's first sign-in, from home: no alert.
		h.loginFrom("mario@acme.test", marioPW, homeIP)
		// A new device at a usual place.
		r := h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": marioPW, "app": "webmail"},
			"X-Forwarded-For", homeIP, "User-Agent", thunderbirdUA)
		if r.str("state") != "authenticated" {
			t.Fatalf("login with a new device: %s", r.raw)
		}
		m := h.sink.Wait(t, smtpsink.EventIs(varco.EventLoginAlertSent), 10*time.Second)
		for _, want := range []string{homeIP, "Dispositivo: Thunderbird 128 su Windows", "Applicazione: Webmail", "http://varco.test/profile/sessions"} {
			if !bytesContain([]byte(m.Text), want) {
				t.Fatalf("alert lacks %q:\n%s", want, m.Text)
			}
		}
		if bytesContain([]byte(m.Text), "Gecko") || bytesContain([]byte(m.HTML), "Gecko") {
			t.Fatalf("alert shows the raw user agent:\n%s", m.Text)
		}
		link, ok := smtpsink.FindLink(m.Text, "/login/not-me")
		if !ok || link.Query().Get("token") == "" {
			t.Fatalf("no \"this wasn't me\" link:\n%s", m.Text)
		}
		victim := r.str("session_token")

		// Usual place and device again: no alert. A new place: one more.
		h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": marioPW},
			"X-Forwarded-For", homeIP, "User-Agent", thunderbirdUA)
		flow := h.awayFlow()
		if v := h.verify(flow, h.sendPIN(flow)); v.str("state") != "authenticated" {
			t.Fatalf("step-up: %s", v.raw)
		}
		h.sink.Wait(t, func(m smtpsink.Mail) bool { return len(h.alerts()) >= 2 }, 10*time.Second)
		if n := len(h.alerts()); n != 2 {
			t.Fatalf("%d alerts, want 2 (new device, new place)", n)
		}
		if got := h.events("mario@acme.test", varco.EventLoginAlertSent); len(got) != 2 || got[0] != "new place" || got[1] != "new device" {
			t.Fatalf("login_alert_sent events = %q", got)
		}

		// "This wasn't me": that session ends and a reset link is sent.
		token := link.Query().Get("token")
		if r := h.do("POST", "/api/v1/login-alerts/not-me", "", map[string]string{"token": token}); r.status != 200 {
			t.Fatalf("not me: %d %s", r.status, r.raw)
		}
		wantError(t, h.do("GET", "/api/v1/me", victim, nil), http.StatusUnauthorized, varco.EUnauthorized)
		h.sink.Wait(t, smtpsink.EventIs(varco.EventPasswordResetRequested), 10*time.Second)
		wantError(t, h.do("POST", "/api/v1/login-alerts/not-me", "", map[string]string{"token": token}),
			http.StatusBadRequest, varco.EInvalidOrExpiredToken)
		wantError(t, h.do("POST", "/api/v1/login-alerts/not-me", "", map[string]string{"token": "forged"}),
			http.StatusBadRequest, varco.EInvalidOrExpiredToken)
	})
}
