package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"varco.dev/varco/internal/app"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/testenv"
)

// lockedBuffer is a log sink safe for Run's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestMissingSenderWarnsOnlyWhenRunning: building the app (what every CLI
// command does) says nothing about a missing SMTP server; running the
// background work (what serve does) warns once.
func TestMissingSenderWarnsOnlyWhenRunning(t *testing.T) {
	var logs lockedBuffer
	cfg := &config.Config{DatabaseURL: testenv.DatabaseURL(t, "sqlite"), Listen: "127.0.0.1:0", BaseURL: "http://varco.test",
		SessionIdle: 30 * time.Minute, SessionAbsolute: 12 * time.Hour, LogLevel: "info"}
	a, err := app.New(context.Background(), cfg, app.Options{HashParams: &cheap,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if strings.Contains(logs.String(), "SMTP") {
		t.Fatalf("app.New warned: %s", logs.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a.Run(ctx)
	if n := strings.Count(logs.String(), "no SMTP server"); n != 1 {
		t.Fatalf("Run warned %d times: %s", n, logs.String())
	}
}
