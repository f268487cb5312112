package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/audittest"
)

func TestImportAccounts(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db.Q, "acme")
		existing := newAccount(t, db.Q, org, "old@acme.test")
		now := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
		batch := []store.ImportAccount{
			{OrgID: org.ID, Email: "mario@acme.test", DisplayName: "Mario", Phone: "+393471234567", Lang: "it", PasswordHash: "{SHA512-CRYPT}$6$x"},
			{OrgID: org.ID, Email: "old@acme.test", Lang: "it", PasswordHash: "$2y$05$y"},
			{OrgID: org.ID, Email: "anna@acme.test", ContactEmail: "anna@home.test", Lang: "en", PasswordHash: "$2y$05$z"},
			{OrgID: org.ID, Email: "anna@acme.test", Lang: "en", PasswordHash: "$2y$05$dup"},
		}
		created, skipped, err := db.ImportAccounts(ctx, batch, now)
		if err != nil || created != 2 || skipped != 2 {
			t.Fatalf("ImportAccounts = %d, %d, %v; want 2 created, 2 skipped", created, skipped, err)
		}
		// Idempotent: a re-run creates nothing.
		created, skipped, err = db.ImportAccounts(ctx, batch, now.Add(time.Hour))
		if err != nil || created != 0 || skipped != 4 {
			t.Fatalf("re-run = %d, %d, %v", created, skipped, err)
		}
		m, err := db.AccountByEmail(ctx, "mario@acme.test")
		if err != nil {
			t.Fatal(err)
		}
		if m.OrgID != org.ID || m.Role != varco.RoleUser || m.Status != varco.StatusActive || m.Lang != "it" ||
			m.PasswordHash != "{SHA512-CRYPT}$6$x" || !m.PasswordChangedAt.Equal(now) || !m.CreatedAt.Equal(now) ||
			!m.PhoneVerified || m.ContactEmailVerified || m.DisplayName != "Mario" {
			t.Fatalf("imported account = %+v", m)
		}
		a, err := db.AccountByEmail(ctx, "anna@acme.test")
		if err != nil || a.PasswordHash != "$2y$05$z" || !a.ContactEmailVerified || a.Lang != "en" {
			t.Fatalf("anna = %+v, %v", a, err)
		}
		old, err := db.AccountByID(ctx, existing.ID)
		if err != nil || old.PasswordHash != existing.PasswordHash {
			t.Fatalf("existing account changed: %+v, %v", old, err)
		}
		for _, acc := range []*varco.Account{m, a} {
			h, err := db.PasswordHistory(ctx, acc.ID, 10)
			if err != nil || len(h) != 1 || h[0] != acc.PasswordHash {
				t.Fatalf("history of %s: %q, %v", acc.Email, h, err)
			}
		}
		events, err := db.ListEvents(ctx, store.EventFilter{OrgID: org.ID})
		if err != nil || len(events) != 1 || events[0].Event != varco.EventAccountCreated || events[0].Detail != "imported 2 accounts" {
			t.Fatalf("events = %+v, %v", events, err)
		}
		audittest.Verify(t, db)
		big := make([]store.ImportAccount, store.MaxImportBatch)
		for i := range big {
			big[i] = store.ImportAccount{OrgID: org.ID, Email: fmt.Sprintf("u%d@acme.test", i), Lang: "it", PasswordHash: "$2y$05$b"}
		}
		if created, _, err := db.ImportAccounts(ctx, big, now); err != nil || created != len(big) {
			t.Fatalf("full batch: %d, %v", created, err)
		}
		if _, _, err := db.ImportAccounts(ctx, append(big, big[0]), now); err == nil {
			t.Fatal("oversized batch accepted")
		}
		audittest.Verify(t, db)
	})
}
