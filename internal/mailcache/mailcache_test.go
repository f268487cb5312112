package mailcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a Flusher whose command is recorded, not run.
type recorder struct {
	*Flusher
	runs chan []string
	err  error
	log  *lockedWriter
}

func newRecorder(t *testing.T, command string, err error) *recorder {
	t.Helper()
	r := &recorder{runs: make(chan []string, 16), err: err, log: &lockedWriter{}}
	r.Flusher = New(command, slog.New(slog.NewTextHandler(r.log, nil)))
	r.Flusher.run = func(_ context.Context, argv []string) error {
		r.runs <- argv
		return r.err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return r
}

type lockedWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

func (r *recorder) next(t *testing.T) []string {
	t.Helper()
	select {
	case argv := <-r.runs:
		return argv
	case <-time.After(10 * time.Second):
		t.Fatal("the flush command did not run")
		return nil
	}
}

func TestNoCommandIsNil(t *testing.T) {
	for _, c := range []string{"", "   ", "\t"} {
		f := New(c, nil)
		if f != nil {
			t.Fatalf("New(%q) = %v, want nil", c, f)
		}
		// A nil Flusher does nothing and never blocks.
		f.Flush("mario@acme.test")
		f.Run(context.Background())
		if err := f.Check(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFlushRunsTheCommandWithTheUsers(t *testing.T) {
	r := newRecorder(t, "  doveadm -c /etc/dovecot/dovecot.conf   auth cache flush ", nil)
	r.Flush("mario@acme.test")
	want := []string{"doveadm", "-c", "/etc/dovecot/dovecot.conf", "auth", "cache", "flush", "mario@acme.test"}
	if got := r.next(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("argv %q, want %q", got, want)
	}
	r.Flush("", "luigi@acme.test") // an empty name is never passed
	if got := r.next(t); got[len(got)-1] != "luigi@acme.test" || len(got) != 7 {
		t.Fatalf("argv %q", got)
	}
	r.Flush()
	r.Flush("")
	select {
	case argv := <-r.runs:
		t.Fatalf("a flush of nobody ran %q", argv)
	default:
	}
}

// TestFlushBatches: names waiting while a run is under way go together
// into the next run, each once and sorted; more than MaxUsers flush the
// whole cache (no names).
func TestFlushBatches(t *testing.T) {
	f := New("flush", nil)
	var got [][]string
	f.run = func(_ context.Context, argv []string) error { got = append(got, argv); return nil }
	f.Flush("b@x.test", "a@x.test", "b@x.test")
	f.Flush("c@x.test")
	f.flushPending(context.Background())
	f.flushPending(context.Background()) // nothing left: no run
	if want := [][]string{{"flush", "a@x.test", "b@x.test", "c@x.test"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("runs %q, want %q", got, want)
	}
	got = nil
	for i := range MaxUsers + 1 {
		f.Flush(fmt.Sprintf("u%d@x.test", i))
	}
	f.flushPending(context.Background())
	if want := [][]string{{"flush"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("runs %q, want %q", got, want)
	}
}

// TestFlushFailureIsLogged: a failed run is logged without the names, and
// the next flush runs again.
func TestFlushFailureIsLogged(t *testing.T) {
	r := newRecorder(t, "doveadm auth cache flush", errors.New("exit status 75"))
	r.Flush("mario@acme.test")
	r.next(t)
	r.Flush("luigi@acme.test")
	r.next(t)
	// The second run started after the first one's log line was written.
	out := r.log.String()
	if !strings.Contains(out, "mail auth cache flush failed") || !strings.Contains(out, "exit status 75") {
		t.Fatalf("log:\n%s", out)
	}
	if strings.Contains(out, "mario") {
		t.Fatalf("the log names the account:\n%s", out)
	}
}

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "flush.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "args")
	ok := script(t, `printf '%s\n' "$@" > `+out)
	if err := runCommand(context.Background(), []string{ok, "auth", "mario@acme.test"}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); string(b) != "auth\nmario@acme.test\n" {
		t.Fatalf("the command got %q", b)
	}
	bad := script(t, `echo "doveadm: Error: connect(auth-master) failed: Permission denied" >&2; exit 75`)
	err := runCommand(context.Background(), []string{bad})
	if err == nil || !strings.Contains(err.Error(), "Permission denied") || !strings.Contains(err.Error(), "exit status 75") {
		t.Fatalf("err = %v", err)
	}
	// doveadm reports an unreachable auth service on its output and exits 0.
	quiet := script(t, `echo "0 cache entries flushed"; echo "Error: auth-master: auth cache flush: connect(/run/dovecot/auth-master) failed: Permission denied" >&2`)
	if err := runCommand(context.Background(), []string{quiet}); err == nil || !strings.Contains(err.Error(), "auth-master") {
		t.Fatalf("err = %v", err)
	}
	fine := script(t, `echo "1 cache entries flushed"; echo "an Error: in the middle is not doveadm's"`)
	if err := runCommand(context.Background(), []string{fine}); err != nil {
		t.Fatal(err)
	}
	if err := runCommand(context.Background(), []string{filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Fatal("a missing program ran")
	}
	slow := script(t, `exec sleep 30`)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := runCommand(ctx, []string{slow}); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v", err)
	}
}

func TestCheck(t *testing.T) {
	if err := New("sh -c true", nil).Check(); err != nil {
		t.Fatal(err)
	}
	if err := New(filepath.Join(t.TempDir(), "nope")+" flush", nil).Check(); err == nil {
		t.Fatal("Check found a missing program")
	}
}

// TestDrainRunsWhatWaits: Drain runs the command at once for the names
// still waiting, without Run (a command-line command), and nothing when
// none wait.
func TestDrainRunsWhatWaits(t *testing.T) {
	f := New("doveadm auth cache flush", nil)
	var got [][]string
	f.run = func(_ context.Context, argv []string) error { got = append(got, argv); return nil }
	f.Drain(context.Background())
	f.Flush("mario@acme.test")
	f.Drain(context.Background())
	f.Drain(context.Background())
	if want := [][]string{{"doveadm", "auth", "cache", "flush", "mario@acme.test"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("runs %q, want %q", got, want)
	}
	var none *Flusher
	none.Drain(context.Background()) // no command: nothing, no panic
}
