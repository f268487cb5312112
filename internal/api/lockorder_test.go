package api_test

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// TestFlowLocksAccountFirst: a step-up's verification takes its account's
// row before anything else of the account, as the password-notice job does
// (its account, then the history), so the two wait for each other instead
// of deadlocking. It used to append step_up_succeeded first (the history's
// head of the account) and then update the account: with the job holding
// the account and appending, PostgreSQL aborted one of them, and the user
// got "internal". SQLite has one writer, so only PostgreSQL can deadlock.
func TestFlowLocksAccountFirst(t *testing.T) {
	h := newStepUpHarness(t, "postgres")
	flow := h.awayFlow()
	pin := h.sendPIN(flow)
	a, err := h.app.DB.AccountByEmail(t.Context(), "mario@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	watch, err := sql.Open("pgx", h.cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()

	type answer struct {
		status int
		body   map[string]any
		err    error
	}
	verified := make(chan answer, 1)
	verify := func() { // h.verify would fail the test off its goroutine
		var v answer
		defer func() { verified <- v }()
		req, err := http.NewRequest("POST", h.url+"/api/v1/login/"+flow+"/step-up/verify", strings.NewReader(`{"code":"`+pin+`"}`))
		if err != nil {
			v.err = err
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", awayIP)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			v.err = err
			return
		}
		defer resp.Body.Close()
		v.status, v.err = resp.StatusCode, json.NewDecoder(resp.Body).Decode(&v.body)
	}
	err = h.app.DB.InTx(t.Context(), func(q *store.Q) error {
		// The job's order: the account's row first...
		if err := q.LockAccountRow(t.Context(), a.ID); err != nil {
			return err
		}
		go verify()
		// ...the verification now runs until it waits for a lock...
		waitForLockWait(t, watch)
		// ...and then the history of the same account.
		ev := &varco.Event{Time: h.clock.Now(), AccountID: a.ID, OrgID: a.OrgID, Event: varco.EventPasswordExpiryWarningSent,
			Actor: varco.ActorSystem, Outcome: varco.OutcomeSuccess}
		return q.AppendEvent(t.Context(), ev)
	})
	if err != nil {
		t.Fatalf("the job's transaction: %v", err)
	}
	r := <-verified
	if r.err != nil || r.status != http.StatusOK || r.body["state"] != "authenticated" {
		t.Fatalf("verify beside the job: %d %v %v", r.status, r.body, r.err)
	}
}

// waitForLockWait returns once a session of db's database waits for a lock.
func waitForLockWait(t *testing.T, db *sql.DB) {
	t.Helper()
	waiting := testenv.Poll(time.Minute, func() bool {
		var n int
		if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM pg_locks l JOIN pg_stat_activity s ON s.pid = l.pid
			WHERE NOT l.granted AND s.datname = current_database()`).Scan(&n); err != nil {
			t.Fatalf("watch locks: %v", err)
		}
		return n > 0
	})
	if !waiting {
		t.Fatal("no session waited for a lock within a minute")
	}
}
