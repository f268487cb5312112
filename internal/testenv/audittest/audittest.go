// Package audittest checks, in tests of code that records events, that the
// activity history it left verifies.
package audittest

import (
	"testing"

	"varco.dev/varco/internal/audit"
	"varco.dev/varco/internal/store"
)

// Verify checks every chain of db's history with the keys set on db, and
// fails the test on any problem. It returns how many entries it checked.
func Verify(t testing.TB, db *store.DB) int64 {
	t.Helper()
	r, err := audit.Verify(t.Context(), db.Reader(), &audit.Keys{Chain: db.AuditKeys()}, audit.Options{ChainsOnly: true})
	if err != nil {
		t.Fatalf("verify the activity history: %v", err)
	}
	for _, p := range r.Problems {
		t.Errorf("activity history: %s", p)
	}
	if !r.OK() {
		t.FailNow()
	}
	return r.Events
}
