package push

import "testing"

// TestSignal: a broadcast closes the channel every waiter holds, and a
// later wait gets a new, open one.
func TestSignal(t *testing.T) {
	var s Signal
	a, b := s.Wait(), s.Wait()
	if a != b {
		t.Fatal("two waiters before a broadcast got different channels")
	}
	select {
	case <-a:
		t.Fatal("closed before any broadcast")
	default:
	}
	s.Broadcast()
	<-a
	<-b
	c := s.Wait()
	select {
	case <-c:
		t.Fatal("the channel after a broadcast is already closed")
	default:
	}
	s.Broadcast()
	<-c
	s.Broadcast() // no waiter: nothing to do
}

// TestSignals: a broadcast wakes its own account's waiters only.
func TestSignals(t *testing.T) {
	var s Signals
	a1, a2, b := s.Wait(1), s.Wait(1), s.Wait(2)
	if a1 != a2 {
		t.Fatal("two waiters of one account got different channels")
	}
	s.Broadcast(1)
	<-a1
	select {
	case <-b:
		t.Fatal("another account's waiter woke")
	default:
	}
	if c := s.Wait(1); c == a1 {
		t.Fatal("the channel after a broadcast is the closed one")
	}
	s.Broadcast(2)
	<-b
	s.Broadcast(3) // no waiter: nothing to do
}
