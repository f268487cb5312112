package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"varco.dev/varco/internal/testenv"
)

// TestChangeVersionSeesEveryEarlierCommit: on SQLite concurrent callers
// share one read of data_version, yet a caller never gets a version read
// before its call, so a commit made before the call is always seen — what
// the session and mail login caches rely on for immediate revocation.
func TestChangeVersionSeesEveryEarlierCommit(t *testing.T) {
	db := testenv.OpenDB(t, "sqlite")
	ctx := context.Background()
	org := newOrg(t, db.Q, "acme")

	// Background callers keep reads under way, so the calls below find
	// one in flight and must wait for the next.
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if _, ok := db.ChangeVersion(ctx); !ok {
					t.Error("ChangeVersion not ok")
					return
				}
			}
		}()
	}
	defer func() { stop.Store(true); wg.Wait() }()

	for i := range 200 {
		before, ok := db.ChangeVersion(ctx)
		if !ok {
			t.Fatal("ChangeVersion not ok")
		}
		newAccount(t, db.Q, org, fmt.Sprintf("u%d@acme.test", i))
		after, ok := db.ChangeVersion(ctx)
		if !ok {
			t.Fatal("ChangeVersion not ok")
		}
		if after == before {
			t.Fatalf("commit %d: version %d unchanged after the commit", i, after)
		}
	}
}
