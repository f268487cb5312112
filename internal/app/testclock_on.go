//go:build testclock

package app

import (
	"net/http"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/httpx"
)

// TestClockEnabled reports whether this build serves /_test/clock.
const TestClockEnabled = true

// defaultClock starts at the real time and then moves only when told.
func defaultClock() clock.Clock { return clock.NewManual(time.Now().UTC().Truncate(time.Second)) }

// registerTestClock serves POST|GET /_test/clock (SPEC §9a): advancing the
// clock runs every scheduled job now due and drains the outbox before it
// answers.
func registerTestClock(mux *http.ServeMux, a *App) {
	m, ok := a.Clock.(*clock.Manual)
	if !ok {
		return
	}
	answer := func(w http.ResponseWriter) {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"now": m.Now().Format(time.RFC3339)})
	}
	mux.HandleFunc("GET /_test/clock", func(w http.ResponseWriter, r *http.Request) { answer(w) })
	mux.HandleFunc("POST /_test/clock", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Advance string `json:"advance"`
		}
		if err := httpx.DecodeJSON(w, r, &req); err != nil {
			httpx.WriteError(w, r, a.Log, err)
			return
		}
		d, err := time.ParseDuration(req.Advance)
		if req.Advance == "" {
			d, err = 0, nil
		}
		if err != nil || d < 0 {
			httpx.WriteError(w, r, a.Log, varco.E(varco.EInvalid, "error.clock_advance"))
			return
		}
		m.Advance(d)
		if err := a.RunDue(r.Context()); err != nil {
			httpx.WriteError(w, r, a.Log, err)
			return
		}
		answer(w)
	})
}
