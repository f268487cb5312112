package jobs_test

import (
	"reflect"
	"testing"

	"varco.dev/varco/internal/testenv"
)

// flushes records what the jobs ask the mail servers' caches to forget.
type flushes []string

func (f *flushes) Flush(users ...string) { *f = append(*f, users...) }

// TestAppPasswordExpiryFlushesMailCache: SPEC §7.3/§7.6 — the run that
// finds an app password expired tells the mail servers' auth cache to
// forget its account, once; the warnings before do not.
func TestAppPasswordExpiryFlushesMailCache(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			var got flushes
			e.app.Jobs.SetMailCache(&got)
			a := e.withTwoFactor()
			e.createAppPassword(a, "Thunderbird") // expires at day 90
			e.at(89 * day)                        // the 1-day warning
			if len(got) != 0 {
				t.Fatalf("a warning flushed %q", got)
			}
			e.at(90 * day)
			e.at(91 * day)
			if want := (flushes{a.Email}); !reflect.DeepEqual(got, want) {
				t.Fatalf("flushed %q, want %q", got, want)
			}
		})
	}
}

// TestSuspensionFlushesMailCache: SPEC §2.6/§7.6 — the run that suspends an
// account (password not renewed within 30 days of its expiry) tells the
// mail servers' auth cache to forget it, once.
func TestSuspensionFlushesMailCache(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			var got flushes
			e.app.Jobs.SetMailCache(&got)
			a := e.Account("mario@acme.test")
			e.at(100 * day) // expired, not yet suspended
			if len(got) != 0 {
				t.Fatalf("before the suspension: flushed %q", got)
			}
			e.at(200 * day)
			e.at(201 * day)
			if want := (flushes{a.Email}); !reflect.DeepEqual(got, want) {
				t.Fatalf("flushed %q, want %q", got, want)
			}
			if s := e.Account("mario@acme.test").Status; s != "suspended" {
				t.Fatalf("status %q", s)
			}
		})
	}
}
