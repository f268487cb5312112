package store_test

import (
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/audittest"
	"varco.dev/varco/internal/text"
)

// TestRecordedFreeTextIsRepaired: the store's last line. An event, a
// session or a login flow whose free text a caller forgot to repair (a NUL,
// invalid UTF-8, 10 kB) is still written on both engines, repaired, and the
// chain verifies over what was stored.
func TestRecordedFreeTextIsRepaired(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		now := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
		bad := "ua\x00\xff" + strings.Repeat("x", 10<<10)
		err := db.InTx(ctx, func(q *store.Q) error {
			if err := q.AppendEvent(ctx, &varco.Event{Time: now, Event: varco.EventLoginFailed, Actor: varco.ActorSelf,
				Outcome: varco.OutcomeFailure, IP: "1.2.3.4\x00", UserAgent: bad, Application: "api\xff", Location: "Roma\x00",
				Detail: "why\x00"}); err != nil {
				return err
			}
			return q.AppendEvents(ctx, []*varco.Event{{Time: now, Event: varco.EventLoginFailed, Actor: varco.ActorSystem,
				Outcome: varco.OutcomeFailure, UserAgent: bad}})
		})
		if err != nil {
			t.Fatalf("append: %v", err)
		}
		evs, err := db.ListEvents(ctx, store.EventFilter{})
		if err != nil || len(evs) != 2 {
			t.Fatalf("events: %d, %v", len(evs), err)
		}
		for _, e := range evs {
			for _, s := range []string{e.IP, e.UserAgent, e.Application, e.Location, e.Detail} {
				if !text.Storable(s) {
					t.Errorf("stored %q", s)
				}
			}
			if !strings.HasPrefix(e.UserAgent, "ua\ufffd\ufffdx") || len(e.UserAgent) > text.MaxUserAgent {
				t.Errorf("user agent stored as %.20q (%d bytes)", e.UserAgent, len(e.UserAgent))
			}
		}
		audittest.Verify(t, db)

		org := &varco.Org{Name: "acme", Plan: varco.PlanPro, CreatedAt: now}
		if err := db.CreateOrg(ctx, org); err != nil {
			t.Fatal(err)
		}
		a := &varco.Account{OrgID: org.ID, Email: "a@acme.test", Role: varco.RoleUser, Status: varco.StatusActive,
			Lang: varco.LangIT, PasswordHash: "x", PasswordChangedAt: now, CreatedAt: now}
		if err := db.CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		sess := &varco.Session{AccountID: a.ID, TokenHash: []byte("h"), CreatedAt: now, LastSeenAt: now,
			ExpiresAt: now.Add(time.Hour), IP: "1.2.3.4", UserAgent: bad}
		if err := db.CreateSession(ctx, sess); err != nil {
			t.Fatalf("session: %v", err)
		}
		f := &store.LoginFlow{FlowHash: []byte("f"), AccountID: a.ID, State: "step_up_required", UserAgent: bad,
			Location: "x\x00", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := db.CreateLoginFlow(ctx, f); err != nil {
			t.Fatalf("login flow: %v", err)
		}
	})
}
