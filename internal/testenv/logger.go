package testenv

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// Logger returns a logger for the server under test that passes its
// warnings and errors to t.Log, so that a test failing on an "internal"
// answer shows what the server logged about it (go test prints t.Log only
// for failing tests, or with -v). Records logged after the test ended are
// dropped: background work may still be stopping then.
func Logger(t testing.TB) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.end) // registered before the server's cleanups: runs after them
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct {
	mu    sync.Mutex
	t     testing.TB
	ended bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.ended {
		w.t.Log("server: " + strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) end() {
	w.mu.Lock()
	w.ended = true
	w.mu.Unlock()
}
