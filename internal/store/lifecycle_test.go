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

// TestAppendEventsChains: a batch append continues the chain exactly as
// single appends do, before and after it.
func TestAppendEventsChains(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ev := func(i int) *varco.Event {
			return &varco.Event{Time: t0.Add(time.Duration(i) * time.Second), AccountID: int64(i), Event: varco.EventInactivityWarningSent,
				Actor: varco.ActorSystem, Outcome: varco.OutcomeSuccess, Detail: fmt.Sprintf("event %d", i)}
		}
		if err := db.InTx(ctx, func(q *store.Q) error { return q.AppendEvent(ctx, ev(0)) }); err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 1, 16, 37} { // none, a single row, one full insert, full inserts and single rows
			var batch []*varco.Event
			for i := range n {
				batch = append(batch, ev(i+1))
			}
			if err := db.InTx(ctx, func(q *store.Q) error { return q.AppendEvents(ctx, batch) }); err != nil {
				t.Fatalf("append %d: %v", n, err)
			}
		}
		if err := db.InTx(ctx, func(q *store.Q) error { return q.AppendEvent(ctx, ev(99)) }); err != nil {
			t.Fatal(err)
		}
		if n := audittest.Verify(t, db); n != 1+1+16+37+1 {
			t.Fatalf("verified %d events", n)
		}
		evs, err := db.ListEvents(ctx, store.EventFilter{Limit: 2})
		if err != nil || len(evs) != 2 || evs[0].Detail != "event 99" || evs[1].Detail != "event 37" {
			t.Fatalf("newest events: %+v, %v", evs, err)
		}
	})
}

// TestDueForNotice: due accounts come in (next_notice_at, id) order, page by
// page; a password change or a policy change makes an account due again;
// SetNextNotice refuses a read that is no longer current.
func TestDueForNotice(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db.Q, "acme")
		other := newOrg(t, db.Q, "other")
		var as []*varco.Account
		for i := range 5 {
			as = append(as, newAccount(t, db.Q, org, fmt.Sprintf("u%d@acme.test", i)))
		}
		newAccount(t, db.Q, other, "x@other.test")
		ids := func(due []store.DueAccount) []int64 {
			var out []int64
			for _, d := range due {
				out = append(out, d.ID)
			}
			return out
		}
		now := t0.Add(time.Hour)
		due, err := db.DueForNotice(ctx, org.ID, now, store.NoticeCursor{}, 3)
		if err != nil || fmt.Sprint(ids(due)) != fmt.Sprint([]int64{as[0].ID, as[1].ID, as[2].ID}) {
			t.Fatalf("first page: %v, %v", ids(due), err)
		}
		due, _ = db.DueForNotice(ctx, org.ID, now, due[2].Cursor, 3)
		if fmt.Sprint(ids(due)) != fmt.Sprint([]int64{as[3].ID, as[4].ID}) {
			t.Fatalf("second page: %v", ids(due))
		}
		// Schedule them: u0 and u1 later than now, u2 at now, u3 before u2.
		for i, at := range []time.Time{t0.Add(day), t0.Add(2 * day), now, now.Add(-time.Minute)} {
			if ok, err := db.SetNextNotice(ctx, as[i].ID, as[i], at); err != nil || !ok {
				t.Fatalf("set next notice of u%d: %v, %v", i, ok, err)
			}
		}
		due, _ = db.DueForNotice(ctx, org.ID, now, store.NoticeCursor{}, 10)
		if fmt.Sprint(ids(due)) != fmt.Sprint([]int64{as[4].ID, as[3].ID, as[2].ID}) {
			t.Fatalf("due at now: %v", ids(due))
		}
		// A read older than a sign-in or a new password is refused.
		if err := db.RecordLogin(ctx, as[3].ID, now); err != nil {
			t.Fatal(err)
		}
		if ok, err := db.SetNextNotice(ctx, as[3].ID, as[3], t0.Add(10*day)); err != nil || ok {
			t.Fatalf("stale read after a sign-in: %v, %v", ok, err)
		}
		if err := db.SetPassword(ctx, as[0].ID, "$argon2id$fake$new", now); err != nil {
			t.Fatal(err)
		}
		if ok, _ := db.SetNextNotice(ctx, as[0].ID, as[0], t0.Add(10*day)); ok {
			t.Fatal("stale read after a password change accepted")
		}
		due, _ = db.DueForNotice(ctx, org.ID, now, store.NoticeCursor{}, 10)
		if fmt.Sprint(ids(due)) != fmt.Sprint([]int64{as[0].ID, as[4].ID, as[3].ID, as[2].ID}) {
			t.Fatalf("a new password is due at once: %v", ids(due))
		}
		// Not active: not due.
		if err := db.SetAccountStatus(ctx, as[4].ID, varco.StatusLocked); err != nil {
			t.Fatal(err)
		}
		due, _ = db.DueForNotice(ctx, org.ID, now, store.NoticeCursor{}, 10)
		if len(due) != 3 {
			t.Fatalf("a locked account is due: %v", ids(due))
		}
		// A policy change makes every account of the organization due.
		if err := db.SetOrgPolicy(ctx, org.ID, varco.DefaultPolicy()); err != nil {
			t.Fatal(err)
		}
		due, _ = db.DueForNotice(ctx, org.ID, now, store.NoticeCursor{}, 10)
		if len(due) != 4 {
			t.Fatalf("after a policy change: %v", ids(due))
		}
		if due, _ := db.DueForNotice(ctx, other.ID, now, store.NoticeCursor{}, 10); len(due) != 1 {
			t.Fatalf("the other organization: %v", ids(due))
		}
		if due, _ := db.DueForNotice(ctx, 0, now, store.NoticeCursor{}, 10); len(due) != 0 {
			t.Fatalf("accounts of no organization: %v", ids(due))
		}
	})
}

const day = 24 * time.Hour
