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
