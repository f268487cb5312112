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

// Signals is a Signal per account: the authenticator's event stream waits
// for its own account's requests only, so a new request or a decision wakes
// the streams of that account and no other.
type Signals struct {
	mu sync.Mutex
	ch map[int64]chan struct{}
}

// Wait returns a channel closed at the account's next Broadcast.
func (s *Signals) Wait(accountID int64) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = map[int64]chan struct{}{}
	}
	c, ok := s.ch[accountID]
	if !ok {
		c = make(chan struct{})
		s.ch[accountID] = c
	}
	return c
}

// Broadcast wakes every current waiter of the account.
func (s *Signals) Broadcast(accountID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.ch[accountID]; ok {
		close(c)
		delete(s.ch, accountID)
	}
}
