package jobs_test

import (
	"context"
	"strings"
	"testing"

	"varco.dev/varco"
)

// TestExpiryWarningRaisesAlert: SPEC §8 — the expiry warning e-mail that
// the jobs send comes with a password_expiry in-app alert, written in the
// same transaction, in the account's language and time zone. Once the
// password has expired, a sign-in is told that suspension is coming; a new
// password clears both.
func TestExpiryWarningRaisesAlert(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a := e.Account("mario@acme.test")
		alerts := func() map[string]string {
			list, err := e.app.DB.ListAlerts(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for _, al := range list {
				out[al.Kind] = al.Message
			}
			return out
		}
		e.at(70 * day) // 20 days before expiry: the first warning
		if len(e.mails(varco.EventPasswordExpiryWarningSent)) != 1 {
			t.Fatal("no expiry warning e-mail")
		}
		// Expires 5 April 2026 09:00 UTC = 11:00 in Rome (CEST).
		if got := alerts()["password_expiry"]; !strings.Contains(got, "scade tra 20 giorni") || !strings.Contains(got, "ore 11:00 (CEST)") {
			t.Fatalf("password_expiry alert = %q (all: %v)", got, alerts())
		}
		e.at(91 * day) // expired: the sign-in enters the forced change
		if _, err := e.app.Auth.Login(ctx, "mario@acme.test", "Rossi-Verde-2026", authMeta()); err != nil {
			t.Fatal(err)
		}
		got := alerts()
		if _, ok := got["password_expiry"]; ok || !strings.Contains(got["suspension_coming"], "sarà sospeso") {
			t.Fatalf("after expiry: %v", got)
		}
		if err := e.app.Auth.ChangePassword(ctx, a, nil, "Rossi-Verde-2026", "Nuova-Password-2026", authMeta()); err != nil {
			t.Fatal(err)
		}
		if got := alerts(); len(got) != 0 {
			t.Fatalf("alerts after a new password: %v", got)
		}
	})
}
