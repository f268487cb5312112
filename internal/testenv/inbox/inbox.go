// Package inbox is what the test sinks (SMTP, SMS, push) share: the
// messages received so far, and waiting for the ones a test expects
// without sleeping.
package inbox

import (
	"sync"
	"testing"
	"time"
)

// Inbox holds received messages. The zero value is ready; it is safe for
// concurrent use.
type Inbox[T any] struct {
	mu      sync.Mutex
	items   []T
	changed chan struct{} // closed and replaced when a message arrives
}

// Add records a message and wakes the waiters; it returns how many the
// inbox holds now.
func (b *Inbox[T]) Add(m T) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.items = append(b.items, m)
	if b.changed != nil {
		close(b.changed)
	}
	b.changed = make(chan struct{})
	return len(b.items)
}

// All returns the messages received so far, oldest first.
func (b *Inbox[T]) All() []T {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]T(nil), b.items...)
}

// since returns the messages from index next on, and a channel closed when
// another arrives.
func (b *Inbox[T]) since(next int) ([]T, chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed == nil {
		b.changed = make(chan struct{})
	}
	return append([]T(nil), b.items[next:]...), b.changed
}

// Wait blocks until at least n messages arrived and returns the first n.
// timeout is only a safety net, after which the test fails with what
// describes the sink's state. Call it from the test's goroutine.
func (b *Inbox[T]) Wait(t testing.TB, n int, timeout time.Duration, state func() string) []T {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		all, changed := b.since(0)
		if len(all) >= n {
			return all[:n]
		}
		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("%d messages within %v, want %d (%s)", len(all), timeout, n, state())
			return nil
		}
	}
}

// WaitFor returns the first message received (already, or while waiting)
// for which match reports true; a nil match takes any.
func (b *Inbox[T]) WaitFor(t testing.TB, match func(T) bool, timeout time.Duration, state func() string) T {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	next := 0
	for {
		fresh, changed := b.since(next)
		for _, m := range fresh {
			if match == nil || match(m) {
				return m
			}
		}
		next += len(fresh)
		select {
		case <-changed:
		case <-timer.C:
			t.Fatalf("no matching message within %v (%d received; %s)", timeout, next, state())
			var zero T
			return zero
		}
	}
}
