package push

import "sync"

// Signal wakes, within one process, whoever waits for a push decision:
// the sign-in page's event stream re-reads its flow when a decision is
// taken instead of polling the database. A waiter waits for one account's
// decisions (WaitFor), so a decision wakes only the pages of its account,
// not every page waiting in the process; Broadcast wakes them all (after
// the PostgreSQL listener reconnected, when a notification may have been
// lost). Other processes are told through PostgreSQL (store.NotifyPush);
// without it their waiters fall back to a slow re-check.
type Signal struct {
	mu    sync.Mutex
	ch    chan struct{}          // Wait's: every decision
	byKey map[int64]*accountWait // WaitFor's, by account
}

type accountWait struct {
	ch      chan struct{}
	waiters int
}

// Wait returns a channel closed at the next decision of any account.
func (s *Signal) Wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// WaitFor returns a channel closed at the next decision of account (or
// the next Broadcast), and a release the waiter calls when it stops
// waiting, so that accounts nobody waits for are forgotten.
func (s *Signal) WaitFor(account int64) (<-chan struct{}, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byKey == nil {
		s.byKey = map[int64]*accountWait{}
	}
	w := s.byKey[account]
	if w == nil {
		w = &accountWait{ch: make(chan struct{})}
		s.byKey[account] = w
	}
	w.waiters++
	ch := w.ch
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			// After a broadcast the account may wait on a new channel.
			if cur := s.byKey[account]; cur == w {
				if w.waiters--; w.waiters == 0 {
					delete(s.byKey, account)
				}
			}
		})
	}
}

// BroadcastTo wakes the waiters of account's decisions and those of
// every decision.
func (s *Signal) BroadcastTo(account int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.byKey[account]; w != nil {
		close(w.ch)
		delete(s.byKey, account)
	}
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

// Broadcast wakes every current waiter, of every account.
func (s *Signal) Broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
	for k, w := range s.byKey {
		close(w.ch)
		delete(s.byKey, k)
	}
}

// Waiting returns how many accounts have waiters (for tests).
func (s *Signal) Waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byKey)
}
