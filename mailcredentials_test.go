package varco_test

import (
	"reflect"
	"testing"

	"varco.dev/varco"
)

type flushes []string

func (f *flushes) Flush(users ...string) { *f = append(*f, users...) }

// tx holds what AfterCommit was given until commit runs it.
type tx struct{ after []func() }

func (t *tx) AfterCommit(f func()) { t.after = append(t.after, f) }

func (t *tx) commit() {
	for _, f := range t.after {
		f()
	}
}

// TestMailCredentialsChanged: SPEC §7.6 — the account's login name goes to
// the mail cache only once the transaction commits, never before or
// without a commit; without a cache, or without a name, nothing happens.
func TestMailCredentialsChanged(t *testing.T) {
	var got flushes
	q := &tx{}
	varco.MailCredentialsChanged(&got, q, "mario@acme.test")
	if len(got) != 0 {
		t.Fatalf("flushed %q before the commit", got)
	}
	rolledBack := &tx{}
	varco.MailCredentialsChanged(&got, rolledBack, "luigi@acme.test")
	q.commit()
	if want := (flushes{"mario@acme.test"}); !reflect.DeepEqual(got, want) {
		t.Fatalf("flushed %q, want %q", got, want)
	}
	none := &tx{}
	varco.MailCredentialsChanged(nil, none, "mario@acme.test")
	varco.MailCredentialsChanged(&got, none, "")
	if len(none.after) != 0 {
		t.Fatalf("%d functions queued without a cache or a name", len(none.after))
	}
}
