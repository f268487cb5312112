package jobs_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"varco.dev/varco"
)

// flushes records what the jobs ask the mail servers' caches to forget.
type flushes []string

func (f *flushes) Flush(users ...string) { *f = append(*f, users...) }

// want checks that the flushes so far are users, in order.
func (f *flushes) want(t *testing.T, users ...string) {
	t.Helper()
	if !reflect.DeepEqual([]string(*f), users) {
		t.Fatalf("flushed %q, want %q", *f, users)
	}
}

// recordFlushes makes the jobs' mail cache flushes land in the list it
// returns.
func (e *env) recordFlushes() *flushes {
	got := &flushes{}
	e.app.Jobs.SetMailCache(got)
	return got
}

// TestAppPasswordExpiryFlushesMailCache: SPEC §7.3/§7.6 — the run that
// finds an app password expired tells the mail servers' auth cache to
// forget its account, once; the warnings before do not.
func TestAppPasswordExpiryFlushesMailCache(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		got := e.recordFlushes()
		a := e.withTwoFactor()
		e.createAppPassword(a, "Thunderbird") // expires at day 90
		e.at(89 * day)                        // the 1-day warning
		if len(*got) != 0 {
			t.Fatalf("a warning flushed %q", *got)
		}
		e.at(90 * day)
		e.at(91 * day)
		got.want(t, a.Email)
	})
}

// TestSuspensionFlushesMailCache: SPEC §2.6/§7.6 — the run that suspends an
// account (password not renewed within 30 days of its expiry) tells the
// mail servers' auth cache to forget it, once.
func TestSuspensionFlushesMailCache(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		got := e.recordFlushes()
		a := e.Account("mario@acme.test")
		e.at(100 * day) // expired, not yet suspended
		if len(*got) != 0 {
			t.Fatalf("before the suspension: flushed %q", *got)
		}
		e.at(200 * day)
		e.at(201 * day)
		got.want(t, a.Email)
		if s := e.Account("mario@acme.test").Status; s != "suspended" {
			t.Fatalf("status %q", s)
		}
	})
}

// TestAppPasswordGraceEndFlushesMailCache: SPEC §7.4/§7.6 — when the 72
// hours in which a rotated app password's previous secret still works are
// over, the run that finds it forgets that secret and tells the mail
// servers' auth cache to forget its account, once; the runs before, and a
// grace that a second rotation or a deletion ended first, do not.
func TestAppPasswordGraceEndFlushesMailCache(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		got := e.recordFlushes()
		a := e.withTwoFactor()
		ctx := context.Background()
		id := e.createAppPassword(a, "Thunderbird")
		e.at(10 * day)
		c, err := e.app.AppPasswords.Rotate(ctx, a, id, varco.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		if want := e.clock.Now().Add(72 * time.Hour); !c.PrevValidUntil.Equal(want) {
			t.Fatalf("grace until %v, want %v", c.PrevValidUntil, want)
		}
		e.at(10*day + 71*time.Hour)
		if len(*got) != 0 {
			t.Fatalf("within the grace: flushed %q", *got)
		}
		e.at(10*day + 72*time.Hour) // the grace is over
		got.want(t, a.Email)
		p, err := e.app.DB.AppPasswordByID(ctx, a.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.PrevHash) != 0 || p.PrevKeyID != "" || !p.PrevValidUntil.IsZero() {
			t.Fatalf("the previous secret is still kept: %q %v", p.PrevKeyID, p.PrevValidUntil)
		}
		e.at(10*day + 73*time.Hour)
		e.at(11 * day)
		if len(*got) != 1 {
			t.Fatalf("the ended grace flushed again: %q", *got)
		}

		// A grace that a deletion ended first is not flushed again by
		// the jobs (the deletion did).
		id2 := e.createAppPassword(a, "Phone")
		if _, err := e.app.AppPasswords.Rotate(ctx, a, id2, varco.Meta{}); err != nil {
			t.Fatal(err)
		}
		if err := e.app.AppPasswords.Delete(ctx, a, id2, varco.Meta{}); err != nil {
			t.Fatal(err)
		}
		e.at(15 * day)
		if len(*got) != 1 {
			t.Fatalf("a deleted app password's grace flushed: %q", *got)
		}
	})
}
