package store_test

import (
	"context"
	"testing"
	"time"

	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// within fails the test unless ch delivers within d: the safety bound of
// a wait that normally ends at once.
func within[T any](t *testing.T, ch <-chan T, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("no %s within %s", what, d)
	}
}

// TestListenPush: on PostgreSQL a committed NotifyPush wakes the listener;
// when its connection is killed (pg_terminate_backend) it reconnects,
// wakes once for what it may have missed, and hears the next
// notification; it stops with its context. On SQLite it returns at once.
func TestListenPush(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) { testListenPush(t, engine) })
	}
}

func testListenPush(t *testing.T, engine string) {
	url := testenv.DatabaseURL(t, engine)
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	{
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		wakes := make(chan struct{}, 16)
		listening := make(chan struct{}, 4)
		done := make(chan struct{})
		go func() {
			defer close(done)
			db.ListenPush(ctx, func() { wakes <- struct{}{} }, store.ListenOptions{MinBackoff: 10 * time.Millisecond,
				Listening: func() { listening <- struct{}{} }})
		}()
		if db.Engine() == "sqlite" {
			within(t, done, 10*time.Second, "return on SQLite")
			if len(wakes)+len(listening) != 0 {
				t.Fatal("the SQLite listener woke someone")
			}
			return
		}
		notify := func() {
			t.Helper()
			if err := db.InTx(ctx, func(q *store.Q) error { return q.NotifyPush(ctx, 42) }); err != nil {
				t.Fatal(err)
			}
		}
		within(t, listening, 10*time.Second, "listening")
		within(t, wakes, 10*time.Second, "catch-up wake after connecting")
		notify()
		within(t, wakes, 10*time.Second, "wake on a notification")

		raw := testenv.RawDB(t, url)
		var pid int
		if err := raw.QueryRowContext(ctx, `SELECT pid FROM pg_stat_activity
			WHERE application_name = $1 AND datname = current_database()`, store.ListenerName).Scan(&pid); err != nil {
			t.Fatalf("the listener's connection: %v", err)
		}
		var killed bool
		if err := raw.QueryRowContext(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&killed); err != nil || !killed {
			t.Fatalf("terminate the listener's connection: %v %v", killed, err)
		}
		within(t, listening, 10*time.Second, "listening again after the connection was killed")
		within(t, wakes, 10*time.Second, "catch-up wake after reconnecting")
		notify()
		within(t, wakes, 10*time.Second, "wake on a notification after reconnecting")

		cancel()
		within(t, done, 10*time.Second, "stop with the context")
	}
}
