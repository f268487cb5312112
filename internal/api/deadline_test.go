package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/store"
)

// TestLoginWaitIsBounded: a sign-in whose password is right but whose
// writes cannot get through (another transaction holds the account's row,
// and on SQLite the only writer connection) is answered 503 overloaded
// within its deadlines, with nothing committed, instead of waiting for the
// database as long as the other transaction lasts. Once the database is
// free the same sign-in works.
func TestLoginWaitIsBounded(t *testing.T) {
	forEachEngineWith(t, newBoundedHarness, func(t *testing.T, h *harness) {
		a := h.Mario(varco.PlanPro, admin.NewUser{Language: "it"})
		ctx := context.Background()

		held, release := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- h.app.DB.InTx(ctx, func(q *store.Q) error {
				if err := q.RecordLogin(ctx, a.ID, time.Unix(1, 0)); err != nil { // locks the row
					return err
				}
				close(held)
				<-release
				return nil
			})
		}()
		<-held
		// A bound on the test, not a wait: without the deadlines the
		// sign-in below would only return once this releases the row.
		safety := time.AfterFunc(20*time.Second, func() { close(release) })

		start := time.Now()
		r := h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": marioPW})
		took := time.Since(start)
		if safety.Stop() {
			close(release)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		wantError(t, r, http.StatusServiceUnavailable, varco.EOverloaded)
		if r.header.Get("Retry-After") == "" {
			t.Errorf("no Retry-After on %s", r.raw)
		}
		if took > 10*time.Second {
			t.Errorf("the refused sign-in took %v", took)
		}
		sessions, err := h.app.DB.Reader().ListSessions(ctx, a.ID, h.clock.Now())
		if err != nil || len(sessions) != 0 {
			t.Fatalf("the refused sign-in left sessions %v (%v)", sessions, err)
		}
		h.login("mario@acme.test", marioPW)
	})
}
