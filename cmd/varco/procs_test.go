package main

import "testing"

// TestSpareProcs: the spare Ps come with the first hash, stay while hashes
// keep ending within a period, and go only after a whole period without
// one and with none running; GOMAXPROCS set by hand turns it all off.
func TestSpareProcs(t *testing.T) {
	var procs []int
	set := func(n int) int { procs = append(procs, n); return 0 }
	inFlight := 0
	var due []func()
	fire := func() {
		t.Helper()
		if len(due) != 1 {
			t.Fatalf("%d lowerings due, want 1", len(due))
		}
		f := due[0]
		due = due[:0]
		f()
	}
	p := newSpareProcs(2, true, set)
	p.after = func(f func()) { due = append(due, f) }
	p.watch(func() int { return inFlight })
	want := func(step string, w ...int) {
		t.Helper()
		if len(procs) != len(w) {
			t.Fatalf("%s: GOMAXPROCS set to %v, want %v", step, procs, w)
		}
		for i := range w {
			if procs[i] != w[i] {
				t.Fatalf("%s: GOMAXPROCS set to %v, want %v", step, procs, w)
			}
		}
	}

	inFlight = 1
	p.hashing(true)
	want("first hash", 4)
	p.hashing(true) // out of order: already raised
	want("again", 4)
	inFlight = 0
	p.hashing(false)
	want("hash ended", 4)
	inFlight = 1
	p.hashing(true)
	inFlight = 0
	p.hashing(false) // within the period
	fire()
	want("a hash ended during the period", 4)
	inFlight = 1
	fire()
	want("a hash runs", 4)
	inFlight = 0
	fire()
	want("a period without hashes", 4, 2)
	if len(due) != 0 {
		t.Fatalf("%d lowerings still due", len(due))
	}
	p.hashing(false) // a late end, after lowering
	want("late end", 4, 2)
	if len(due) != 0 {
		t.Fatal("a late end armed a lowering")
	}
	inFlight = 1
	p.hashing(true)
	want("hashing again", 4, 2, 4)

	procs = nil
	off := newSpareProcs(2, false, set)
	off.after = func(f func()) { due = append(due, f) }
	off.hashing(true)
	off.hashing(false)
	want("GOMAXPROCS set by hand")
}
