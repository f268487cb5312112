package api_test

import (
	"testing"

	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/testenv"
)

// TestMyActivityIntegrity: a user can ask whether their own history
// verifies (SPEC §3); a change to it made in the database shows.
func TestMyActivityIntegrity(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		mario := h.Mario("basic", admin.NewUser{})
		tok := h.login("mario@acme.test", marioPW)
		if _, err := h.app.Checkpoint(t.Context(), false); err != nil {
			t.Fatal(err)
		}
		r := h.do("GET", "/api/v1/me/activity/integrity", tok, nil)
		if r.status != 200 || r.body["verified"] != true || r.body["events"].(float64) < 2 || r.body["checkpoint_time"] == nil {
			t.Fatalf("integrity: %d %s", r.status, r.raw)
		}
		if r := h.do("GET", "/api/v1/me/activity/integrity", "", nil); r.status != 401 {
			t.Fatalf("without a session: %d", r.status)
		}
		if _, err := testenv.RawDB(t, h.cfg.DatabaseURL).Exec(`UPDATE audit_events SET ip = '203.0.113.66' WHERE account_id = $1 AND chain_seq = 1`, mario.ID); err != nil {
			t.Fatal(err)
		}
		r = h.do("GET", "/api/v1/me/activity/integrity", tok, nil)
		if r.status != 200 || r.body["verified"] != false {
			t.Fatalf("after an edit: %d %s", r.status, r.raw)
		}
	})
}
