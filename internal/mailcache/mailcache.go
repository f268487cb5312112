// Package mailcache tells the mail servers to forget what their
// authentication cache holds of an account, so that a revoked app password
// stops working at once instead of when Dovecot's auth_cache_ttl runs out
// (SPEC §7.6).
//
// The one mechanism is a command (VARCO_DOVECOT_CACHE_FLUSH), run without
// a shell with the accounts' login names appended as arguments, such as
// "doveadm auth cache flush" or a script that asks every Dovecot. Flushing
// is best effort: it runs in the background after the change committed,
// never holds up the request, and a failure is logged; the cache's TTL
// still bounds how long a revoked password works.
package mailcache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"time"
)

// Limits of one run of the command.
const (
	// MaxUsers is the most login names one run passes; with more waiting,
	// the run passes none, which flushes the whole cache.
	MaxUsers = 100
	// Timeout bounds one run.
	Timeout = 10 * time.Second
	// maxOutput is how much of a failed run's output the log shows.
	maxOutput = 512
)

// Flusher runs the flush command for the login names given to Flush, in
// the background (Run), a batch at a time. A nil *Flusher does nothing.
type Flusher struct {
	argv []string
	log  *slog.Logger
	// run runs argv; tests replace it.
	run func(ctx context.Context, argv []string) error

	mu      sync.Mutex
	pending map[string]struct{}
	wake    chan struct{}
}

// New returns a Flusher for command, a program and its first arguments
// separated by spaces (no shell quoting: put anything more elaborate in a
// script), or nil when command is blank.
func New(command string, log *slog.Logger) *Flusher {
	argv := strings.Fields(command)
	if len(argv) == 0 {
		return nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Flusher{argv: argv, log: log, run: runCommand, pending: map[string]struct{}{}, wake: make(chan struct{}, 1)}
}

// Check reports whether the command's program can be found, for a warning
// at start.
func (f *Flusher) Check() error {
	if f == nil {
		return nil
	}
	if _, err := exec.LookPath(f.argv[0]); err != nil {
		return fmt.Errorf("dovecot-cache-flush: %w", err)
	}
	return nil
}

// Flush asks for the cache entries of users to be flushed soon. It never
// blocks on the command.
func (f *Flusher) Flush(users ...string) {
	if f == nil || len(users) == 0 {
		return
	}
	f.mu.Lock()
	for _, u := range users {
		if u != "" {
			f.pending[u] = struct{}{}
		}
	}
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default: // a wake-up is already waiting
	}
}

// Run flushes what Flush asked for until ctx ends.
func (f *Flusher) Run(ctx context.Context) {
	if f == nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		}
		f.flushPending(ctx)
	}
}

// Drain runs the command now, and waits for it, for the names still
// waiting: what a process that never ran Run (a command-line command such
// as "varco user disable") or whose Run has ended asked for. Call it
// before the process exits.
func (f *Flusher) Drain(ctx context.Context) {
	if f == nil {
		return
	}
	f.flushPending(ctx)
}

// flushPending runs the command once for the names waiting now.
func (f *Flusher) flushPending(ctx context.Context) {
	f.mu.Lock()
	users := make([]string, 0, len(f.pending))
	for u := range f.pending {
		users = append(users, u)
	}
	clear(f.pending)
	f.mu.Unlock()
	if len(users) == 0 {
		return
	}
	sort.Strings(users)
	argv := append([]string{}, f.argv...)
	if len(users) <= MaxUsers {
		argv = append(argv, users...)
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	start := time.Now()
	if err := f.run(ctx, argv); err != nil {
		f.log.Error("mail auth cache flush failed; revoked app passwords may work until the cache entries expire",
			"accounts", len(users), "err", err)
		return
	}
	f.log.Info("mail auth cache flushed", "accounts", len(users), "duration_ms", time.Since(start).Milliseconds())
}

// runCommand runs argv and returns an error with the start of its output
// when it fails: when it exits non-zero, or when it prints a line that
// starts with "Error:" or "Fatal:", as doveadm does when it cannot reach
// Dovecot's auth service (it exits 0 then, "0 cache entries flushed").
func runCommand(ctx context.Context, argv []string) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	// A child the command left behind must not hold the run open.
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "Error:") || strings.HasPrefix(line, "Fatal:") {
				return fmt.Errorf("%s: %s", argv[0], truncate(strings.TrimSpace(line)))
			}
		}
		return nil
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = errors.New("timed out")
	}
	msg := truncate(strings.TrimSpace(string(out)))
	if msg != "" {
		return fmt.Errorf("%s: %w: %s", argv[0], err, msg)
	}
	return fmt.Errorf("%s: %w", argv[0], err)
}

func truncate(s string) string {
	if len(s) > maxOutput {
		return strings.ToValidUTF8(s[:maxOutput], "") + "…"
	}
	return s
}
