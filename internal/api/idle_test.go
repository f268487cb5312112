package api_test

import (
	"testing"
	"time"

	"varco.dev/varco/internal/admin"
)

// TestIdleSessionIsNotListed: a session idle past the idle limit signs no
// one in, so GET /me/sessions does not list it and DELETE /me/sessions does
// not count it; a live other session is listed, counted and ended.
func TestIdleSessionIsNotListed(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		// The harness's idle limit: 30 min.
		h.Mario("pro", admin.NewUser{})
		idle := h.login("mario@acme.test", "Rossi-Verde-2026")
		h.clock.Advance(20 * time.Minute)
		cur := h.login("mario@acme.test", "Rossi-Verde-2026")
		h.clock.Advance(15 * time.Minute) // idle: 35 min unused; cur: 15 min
		if r := h.do("GET", "/api/v1/me", idle, nil); r.status != 401 {
			t.Fatalf("idle session still signs in: %d", r.status)
		}
		list := h.do("GET", "/api/v1/me/sessions", cur, nil)
		if s, _ := list.body["sessions"].([]any); list.status != 200 || len(s) != 1 {
			t.Fatalf("sessions: %d %s, want only the current one", list.status, list.raw)
		}
		if r := h.do("DELETE", "/api/v1/me/sessions", cur, nil); r.status != 200 || r.body["revoked"] != float64(0) {
			t.Fatalf("revoke others with only an idle one: %d %s", r.status, r.raw)
		}

		other := h.login("mario@acme.test", "Rossi-Verde-2026")
		list = h.do("GET", "/api/v1/me/sessions", cur, nil)
		if s, _ := list.body["sessions"].([]any); len(s) != 2 {
			t.Fatalf("sessions with a live other: %s", list.raw)
		}
		if r := h.do("DELETE", "/api/v1/me/sessions", cur, nil); r.status != 200 || r.body["revoked"] != float64(1) {
			t.Fatalf("revoke others with a live one: %d %s", r.status, r.raw)
		}
		if r := h.do("GET", "/api/v1/me", other, nil); r.status != 401 {
			t.Fatalf("revoked session still signs in: %d", r.status)
		}
	})
}
