package api_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/testenv/smtpsink"
)

// resetLink asks for a reset of email and returns the token from the link
// in the e-mail that arrives (the n-th such e-mail to that address).
func (h *harness) resetToken(email string, n int) string {
	h.t.Helper()
	r := h.do("POST", "/api/v1/password-reset", "", map[string]string{"email": email})
	if r.status != 202 {
		h.t.Fatalf("reset request: %d %s", r.status, r.raw)
	}
	var got []smtpsink.Mail
	h.sink.Wait(h.t, func(m smtpsink.Mail) bool {
		if m.Header.Get("X-Varco-Event") == "password_reset_requested" && m.To[0] == email {
			got = append(got, m)
		}
		return len(got) >= n
	}, 10*time.Second)
	link, ok := smtpsink.FindLink(got[n-1].Text, "/password-reset/complete")
	if !ok {
		h.t.Fatalf("no reset link in:\n%s", got[n-1].Text)
	}
	return link.Query().Get("token")
}

func (h *harness) complete(token, pw string) reply {
	return h.do("POST", "/api/v1/password-reset/complete", "", map[string]string{"token": token, "new_password": pw})
}

// TestSeed_4_ResetLink: [seed] SPEC §4.1 — a reset link is e-mailed and
// expires after 24 hours; single use, only the newest works, every session
// is revoked, a confirmation is e-mailed.
func TestSeed_4_ResetLink(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		session := h.login("mario@acme.test", marioPW)
		first := h.resetToken("mario@acme.test", 1)
		second := h.resetToken("mario@acme.test", 2)
		wantError(t, h.complete(first, "Brand-new-2026"), 400, varco.EInvalidOrExpiredToken) // superseded
		wantError(t, h.complete(second, "short1"), 400, varco.EPasswordTooShort)             // token still usable
		if r := h.complete(second, "Brand-new-2026"); r.status != 200 {
			t.Fatalf("complete: %d %s", r.status, r.raw)
		}
		wantError(t, h.complete(second, "Other-new-2026"), 400, varco.EInvalidOrExpiredToken) // single use
		wantError(t, h.do("GET", "/api/v1/me", session, nil), 401, "unauthorized")
		h.login("mario@acme.test", "Brand-new-2026")
		h.sink.Wait(t, func(m smtpsink.Mail) bool { return m.Header.Get("X-Varco-Event") == "password_reset_completed" }, 10*time.Second)

		// 24 hours: a link works just before and not after.
		early := h.resetToken("mario@acme.test", 3)
		h.clock.Advance(24*time.Hour - time.Second)
		if r := h.complete(early, "Third-pass-2026"); r.status != 200 {
			t.Fatalf("link refused before 24 h: %s", r.raw)
		}
		late := h.resetToken("mario@acme.test", 4)
		h.clock.Advance(24 * time.Hour)
		wantError(t, h.complete(late, "Fourth-pass-2026"), 400, varco.EInvalidOrExpiredToken)

		evs := h.do("GET", "/api/v1/me/activity?type=password_reset_requested,password_reset_completed,password_changed",
			h.login("mario@acme.test", "Third-pass-2026"), nil)
		var names []string
		for _, e := range evs.body["events"].([]any) {
			ev := e.(map[string]any)
			names = append(names, ev["event"].(string)+"/"+ev["actor"].(string))
		}
		if got := strings.Join(names, ","); !strings.Contains(got, "password_changed/reset") || !strings.Contains(got, "password_reset_completed/self") {
			t.Fatalf("history: %s", got)
		}
		if strings.Contains(string(evs.raw), early) || strings.Contains(string(evs.raw), late) {
			t.Fatal("a reset token reached the activity history")
		}
	})
}

func TestResetAnswersTheSameForUnknownEmails(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	known := h.do("POST", "/api/v1/password-reset", "", map[string]string{"email": "mario@acme.test"})
	unknown := h.do("POST", "/api/v1/password-reset", "", map[string]string{"email": "nobody@acme.test"})
	if known.status != 202 || unknown.status != 202 || string(known.raw) != string(unknown.raw) {
		t.Fatalf("answers differ: %d %s / %d %s", known.status, known.raw, unknown.status, unknown.raw)
	}
	h.sink.Wait(t, func(m smtpsink.Mail) bool { return m.To[0] == "mario@acme.test" }, 10*time.Second)
	if err := h.app.RunDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, m := range h.sink.Messages() {
		if m.To[0] == "nobody@acme.test" {
			t.Fatal("mail sent to an unknown address")
		}
	}
}

// TestSeed_4_ResetNeverReactivates: [decision] SPEC §4.4 — a suspended or
// locked account gets "contact support" instead of a link.
func TestSeed_4_ResetNeverReactivates(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	for _, status := range []string{varco.StatusSuspended, varco.StatusLocked} {
		a, _ := h.app.DB.AccountByEmail(t.Context(), "mario@acme.test")
		if err := h.app.DB.SetAccountStatus(t.Context(), a.ID, status); err != nil {
			t.Fatal(err)
		}
		before := len(h.sink.Messages())
		if r := h.do("POST", "/api/v1/password-reset", "", map[string]string{"email": "mario@acme.test"}); r.status != 202 {
			t.Fatalf("%s: %d", status, r.status)
		}
		m := h.sink.Wait(t, func(m smtpsink.Mail) bool {
			return m.Header.Get("X-Varco-Event") == "password_reset_requested" && len(h.sink.Messages()) > before
		}, 10*time.Second)
		m = h.sink.Messages()[len(h.sink.Messages())-1]
		if strings.Contains(m.Text, "token=") || !strings.Contains(strings.ToLower(m.Text), "assistenza") {
			t.Fatalf("%s: expected a contact-support e-mail without a link:\n%s", status, m.Text)
		}
	}
	if a, _ := h.app.DB.AccountByEmail(t.Context(), "mario@acme.test"); a.Status != varco.StatusLocked {
		t.Fatalf("status changed to %s", a.Status)
	}
}

func TestResetRateLimits(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	for i := 0; i < 3; i++ {
		if r := h.do("POST", "/api/v1/password-reset", "", map[string]string{"email": "mario@acme.test"}); r.status != 202 {
			t.Fatalf("request %d: %d", i+1, r.status)
		}
	}
	r := h.do("POST", "/api/v1/password-reset", "", map[string]string{"email": "mario@acme.test"})
	wantError(t, r, 429, varco.ETooManyAttempts)
	if r.body["retry_after"] == nil {
		t.Fatal("no retry_after")
	}
	// Unknown addresses count the same, so the limit reveals nothing.
	for i := 0; i < 3; i++ {
		h.do("POST", "/api/v1/password-reset", "", map[string]string{"email": "ghost@acme.test"})
	}
	wantError(t, h.do("POST", "/api/v1/password-reset", "", map[string]string{"email": "ghost@acme.test"}), 429, varco.ETooManyAttempts)
	h.clock.Advance(time.Hour + time.Second)
	if r := h.do("POST", "/api/v1/password-reset", "", map[string]string{"email": "mario@acme.test"}); r.status != 202 {
		t.Fatalf("after an hour: %d %s", r.status, r.raw)
	}
	// Per IP: 20 an hour across addresses.
	for i := 0; i < 20; i++ {
		h.do("POST", "/api/v1/password-reset", "", map[string]string{"email": "spray" + string(rune('a'+i)) + "@acme.test"})
	}
	wantError(t, h.do("POST", "/api/v1/password-reset", "", map[string]string{"email": "luigi@other.test"}), 429, varco.ETooManyAttempts)
}

func TestResetBadTokens(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	for _, tok := range []string{"", "x", strings.Repeat("a", 5000), "../../etc", url.QueryEscape("\x00")} {
		r := h.complete(tok, "Brand-new-2026")
		if r.status != 400 {
			t.Fatalf("token %.20q: %d %s", tok, r.status, r.raw)
		}
	}
}
