package apppassword_test

import (
	"reflect"
	"testing"

	"varco.dev/varco"
	"varco.dev/varco/internal/apppassword"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// flushes records what the service asks the mail servers' caches to forget.
type flushes []string

func (f *flushes) Flush(users ...string) { *f = append(*f, users...) }

// TestMailCacheFlushedAfterRevocations: SPEC §7.6 — a deletion, a rotation
// and a change of mail access tell the mail servers' auth cache to forget
// the account once committed; a change that failed, and a new app
// password, do not.
func TestMailCacheFlushedAfterRevocations(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		var got flushes
		e := newEnvWith(t, db, apppassword.Deps{MailCache: &got})
		a := e.account("mario@example.test", varco.PlanPro, true)
		c := e.create(a, "phone")
		if len(got) != 0 {
			t.Fatalf("creating an app password flushed %q", got)
		}
		if _, err := e.svc.Rotate(e.ctx, a, c.ID, varco.Meta{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetMailAccess(e.ctx, a, store.MailAccess{IMAP: true}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Delete(e.ctx, a, c.ID, varco.Meta{}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Delete(e.ctx, a, c.ID, varco.Meta{}); !varco.IsCode(err, varco.ENotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if want := (flushes{a.Email, a.Email, a.Email}); !reflect.DeepEqual(got, want) {
			t.Fatalf("flushed %q, want %q", got, want)
		}
	})
}
