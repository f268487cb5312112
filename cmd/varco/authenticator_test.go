package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWaitForOldDeviceWithdrawsWhenInterrupted: an enroll interrupted
// while it waits for the old device (SIGINT and SIGTERM end its context,
// main) withdraws the replacement with a context of its own, reports the
// withdrawal, and still fails as interrupted; when the withdrawal fails,
// standard error says so and the error stays the interruption. The
// black-box TestEnrollWithdrawsWhenItGivesUp drives it against varco.
func TestWaitForOldDeviceWithdrawsWhenInterrupted(t *testing.T) {
	for _, tc := range []struct {
		name        string
		deleteState int
		deleteBody  string
		stdout      string
		stderr      string
	}{
		{name: "withdrawn", deleteState: http.StatusNoContent, stdout: "withdrawn"},
		{name: "refused", deleteState: http.StatusNotFound, deleteBody: `{"error":"not_found","message":"No such device replacement."}`,
			stderr: "could not withdraw the request on the old device (it expires by itself within 2 minutes): No such device replacement (not_found)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, interrupt := context.WithCancel(context.Background())
			defer interrupt()
			var mu sync.Mutex
			var calls []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				calls = append(calls, r.Method+" "+r.URL.Path)
				mu.Unlock()
				if r.URL.Path != "/api/v1/authenticator/enroll/e1" {
					http.NotFound(w, r)
					return
				}
				switch r.Method {
				case http.MethodGet:
					interrupt() // Ctrl-C while the old device has not answered
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(`{"state":"approval_required"}`))
				case http.MethodDelete:
					if r.Context().Err() != nil {
						t.Error("the withdrawal ran on the interrupted context")
					}
					w.WriteHeader(tc.deleteState)
					_, _ = w.Write([]byte(tc.deleteBody))
				}
			}))
			defer srv.Close()
			var stdout, stderr bytes.Buffer
			e := &env{stdout: &stdout, stderr: &stderr}
			_, err := e.waitForOldDevice(ctx, srv.URL, "e1", time.Hour)
			if err == nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted while waiting for the old device") {
				t.Fatalf("error %v, want the interruption", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(calls) != 2 || calls[0] != "GET /api/v1/authenticator/enroll/e1" || calls[1] != "DELETE /api/v1/authenticator/enroll/e1" {
				t.Fatalf("calls %q, want the poll then the withdrawal", calls)
			}
			if !strings.Contains(stdout.String(), tc.stdout) || (tc.stdout == "" && stdout.Len() != 0) {
				t.Fatalf("stdout %q, want %q", stdout.String(), tc.stdout)
			}
			if !strings.Contains(stderr.String(), tc.stderr) || (tc.stderr == "" && stderr.Len() != 0) {
				t.Fatalf("stderr %q, want %q", stderr.String(), tc.stderr)
			}
		})
	}
}
