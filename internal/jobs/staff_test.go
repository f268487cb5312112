package jobs_test

import (
	"context"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
)

// TestSeed_2_6_StaffAreNeverSuspended: SPEC §2.6 — an org admin and a
// support account whose passwords are not renewed within the month after
// expiry stay active, while a user beside them is suspended; staff still
// get the expiry warnings and must change the password at the next sign-in.
func TestSeed_2_6_StaffAreNeverSuspended(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		staff := []admin.NewUser{
			{Email: "anna@acme.test", Password: "Admin-Acme-2026", Org: "acme", Role: varco.RoleOrgAdmin},
			{Email: "help@provider.test", Password: "Servizio-Clienti-2026", Role: varco.RoleSupport},
		}
		for _, u := range staff {
			e.User(u)
		}
		for d := 80; d <= 200; d += 10 {
			e.at(time.Duration(d) * day)
		}
		if s := e.status(); s != varco.StatusSuspended {
			t.Fatalf("the user beside them: %s, want suspended", s)
		}
		if n := len(e.mails("account_suspended")); n != 1 {
			t.Fatalf("%d suspension e-mails, want only the user's", n)
		}
		for _, u := range staff {
			if a := e.Account(u.Email); a.Status != varco.StatusActive {
				t.Fatalf("%s (%s) is %s, want active", u.Email, u.Role, a.Status)
			}
			warned := false
			for _, m := range e.mails("password_expiry_warning_sent") {
				warned = warned || m.To[0] == u.Email
			}
			if !warned {
				t.Fatalf("%s got no expiry warning", u.Email)
			}
			res, err := e.app.Auth.Login(ctx, u.Email, u.Password, authMeta())
			if err != nil || res.State != "password_change_required" {
				t.Fatalf("%s after expiry: %+v, %v", u.Email, res, err)
			}
		}
	})
}
