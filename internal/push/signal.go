package push

import "sync"

// Signal wakes, within one process, whoever waits for a push decision:
// the sign-in page's event stream re-reads its flow when a decision is
// taken instead of polling the database. Every decision wakes every
// waiter; each checks its own flow. Other processes are not told: their
// waiters fall back to a slow re-check.
type Signal struct {
	mu sync.Mutex
	ch chan struct{}
}

// Wait returns a channel closed at the next Broadcast.
func (s *Signal) Wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// Broadcast wakes every current waiter.
func (s *Signal) Broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}
