package admin_test

import (
	"errors"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/password"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// TestOperatorInputWithBadText: what the operator types at the CLI goes
// through these calls (a nil actor); a NUL, a control or a direction
// character in a name or an address is invalid_input naming the field on
// both engines, and nothing is created.
func TestOperatorInputWithBadText(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		h := password.NewHasher(password.HasherOptions{Params: password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
		s := admin.New(db, h, password.DefaultPolicy(), clock.NewManual(time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)), nil, nil)
		if _, err := s.CreateOrg(ctx, admin.Operator(), "acme", varco.PlanPro); err != nil {
			t.Fatal(err)
		}
		user := func(mod func(*admin.NewUser)) func() error {
			return func() error {
				u := admin.NewUser{Email: "new@acme.test", Password: "Fresh-Pass-2026", Org: "acme"}
				mod(&u)
				_, err := s.CreateUser(ctx, admin.Operator(), u)
				return err
			}
		}
		for _, tt := range []struct {
			field string
			call  func() error
		}{
			{"name", func() error { _, err := s.CreateOrg(ctx, admin.Operator(), "ac\x00me", ""); return err }},
			{"name", func() error { _, err := s.CreateOrg(ctx, admin.Operator(), "ac\x1bme", ""); return err }},
			{"name", func() error { _, err := s.CreateOrg(ctx, admin.Operator(), "ac\u202eme", ""); return err }},
			{"email", user(func(u *admin.NewUser) { u.Email = "new\x00@acme.test" })},
			{"org", user(func(u *admin.NewUser) { u.Org = "ac\x00me" })},
			{"org", user(func(u *admin.NewUser) { u.Org = "acme\xff" })},
			{"display_name", user(func(u *admin.NewUser) { u.DisplayName = "Mario\x00" })},
			{"display_name", user(func(u *admin.NewUser) { u.DisplayName = "Mario \u2066Rossi" })},
			{"contact_email", user(func(u *admin.NewUser) { u.ContactEmail = "c\x00@acme.test" })},
			{"password", user(func(u *admin.NewUser) { u.Password = "Fresh-Pass-2026\x00" })},
			{"email", func() error { _, err := s.UserByEmail(ctx, admin.Operator(), "new\x00@acme.test"); return err }},
			{"q", func() error { _, err := s.SearchUsers(ctx, admin.Operator(), "ma\x00rio", 0, 10); return err }},
		} {
			err := tt.call()
			var ve *varco.Error
			if !errors.As(err, &ve) || ve.Code != varco.EInvalidInput || ve.Field != tt.field {
				t.Errorf("%s: got %v, want invalid_input naming %s", tt.field, err, tt.field)
			}
		}
		orgs, err := db.ListOrgs(ctx)
		if err != nil || len(orgs) != 1 {
			t.Fatalf("organizations: %d, %v; want only acme", len(orgs), err)
		}
		if _, err := db.AccountByEmail(ctx, "new@acme.test"); !varco.IsCode(err, varco.ENotFound) {
			t.Fatalf("an account was created: %v", err)
		}
	})
}
