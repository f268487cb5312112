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

// TestSignalPerAccount: a decision wakes the waiters of its account only;
// Broadcast wakes every account's; released waiters are forgotten.
func TestSignalPerAccount(t *testing.T) {
	var s Signal
	a1, rel1 := s.WaitFor(1)
	a1b, rel1b := s.WaitFor(1)
	a2, rel2 := s.WaitFor(2)
	all := s.Wait()
	if a1 != a1b || s.Waiting() != 2 {
		t.Fatalf("waiters of one account share a channel; %d accounts waiting", s.Waiting())
	}
	s.BroadcastTo(1)
	<-a1
	<-all
	select {
	case <-a2:
		t.Fatal("account 2 woken by account 1's decision")
	default:
	}
	rel1()
	rel1b()
	rel1() // twice: no effect
	if s.Waiting() != 1 {
		t.Fatalf("%d accounts waiting, want 1", s.Waiting())
	}
	s.Broadcast()
	<-a2
	rel2()
	if s.Waiting() != 0 {
		t.Fatalf("%d accounts waiting after a broadcast and the releases", s.Waiting())
	}
	// A release after the account's channel was replaced leaves the new
	// waiters alone.
	_, old := s.WaitFor(3)
	s.BroadcastTo(3)
	c, rel := s.WaitFor(3)
	old()
	if s.Waiting() != 1 {
		t.Fatal("an old release forgot the new waiter")
	}
	s.BroadcastTo(3)
	<-c
	rel()
}
