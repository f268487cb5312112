package main

import (
	"context"
	"encoding/json"
	"testing"

	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// TestCLIUserShowPrintsEveryField: `varco user show` prints the phone, the
// contact e-mail, the last sign-in ("never" before the first) and why a
// locked account is locked.
func TestCLIUserShowPrintsEveryField(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			c := newCLI(t, engine)
			c.must("", "org", "create", "--name", "acme", "--plan", "pro")
			c.must("Rossi-Verde-2026\n", "user", "create", "--email", "mario@acme.test", "--password-stdin", "--org", "acme",
				"--phone", "+393471234567", "--contact-email", "mario@home.test")
			show := func() map[string]any {
				var got map[string]any
				if err := json.Unmarshal([]byte(c.must("", "user", "show", "--email", "mario@acme.test")), &got); err != nil {
					t.Fatal(err)
				}
				return got
			}
			got := show()
			for k, want := range map[string]any{"phone": "+393471234567", "phone_verified": true, "contact_email": "mario@home.test",
				"contact_email_verified": true, "last_login_at": "never", "lock_reason": "", "status": "active"} {
				if got[k] != want {
					t.Errorf("%s = %v, want %v", k, got[k], want)
				}
			}
			ctx := context.Background()
			db, a := c.account("mario@acme.test")
			if err := db.InTx(ctx, func(q *store.Q) error {
				if _, err := q.LockStepUpCounters(ctx, a.ID); err != nil {
					return err
				}
				_, err := q.LockAccount(ctx, a.ID, "pin_total")
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if got := show(); got["status"] != "locked" || got["lock_reason"] != "pin_total" {
				t.Fatalf("locked account shown as %v", got)
			}
		})
	}
}
