package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"varco.dev/varco/internal/testenv"
)

// TestChangeVersionSeesEveryEarlierCommit: on SQLite, with other callers
// reading the version at the same time, a caller never gets a version
// read before its call, so a commit made before the call is always seen —
// what the session and mail login caches rely on for immediate
// revocation.
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

// TestChangeVersionSeesOtherProcesses: on SQLite the version moves with
// every commit made through another connection to the file (the CLI is
// another process), and reading it sends no statement once the WAL
// index's header is mapped: it is read on every request.
func TestChangeVersionSeesOtherProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "varco.db")
	server, cli := testenv.OpenDBAt(t, path), testenv.OpenDBAt(t, path)
	org := newOrg(t, cli.Q, "acme")
	version := func() uint64 {
		t.Helper()
		v, ok := server.ChangeVersion(ctx)
		if !ok {
			t.Fatal("ChangeVersion not ok")
		}
		return v
	}
	version() // maps the header
	for i := range 50 {
		before := version()
		sent := server.Statements()
		if again := version(); again != before {
			t.Fatalf("commit %d: version moved without a commit", i)
		}
		if n := server.Statements() - sent; n != 0 {
			t.Fatalf("reading the version sent %d statements, want 0", n)
		}
		newAccount(t, cli.Q, org, fmt.Sprintf("u%d@acme.test", i))
		if after := version(); after == before {
			t.Fatalf("commit %d by another connection: version unchanged", i)
		}
		newAccount(t, server.Q, org, fmt.Sprintf("s%d@acme.test", i))
		if after := version(); after == before {
			t.Fatalf("commit %d by this process: version unchanged", i)
		}
	}
}
