package main

import (
	"sync"
	"time"
)

// spareProcs gives the process spare Ps while passwords are hashed. There
// is one hashing slot per P the runtime was given (the cores, or the
// container's CPU limit), and a hash never yields: with no P to spare, a
// request whose database answer has arrived waits for the scheduler to
// preempt a hash (up to 10 ms) at each round trip. On PostgreSQL a
// sign-in's transaction then held its rows for tens of milliseconds while
// the other sign-ins queued on them. With two more Ps — one for requests,
// one for the garbage collector's worker, which each hash's 19 MiB keeps
// busy — the kernel shares the cores between the threads and wakes a
// request's thread at once.
//
// Without hashes the spare Ps only cost: more threads than cores answer
// GET /api/v1/me about a tenth slower. So they are given when a hash
// starts and taken back once none has run for idleProcs; under a steady
// stream of sign-ins they stay. Setting GOMAXPROCS by hand turns this off.
type spareProcs struct {
	base     int           // the runtime's own GOMAXPROCS: the hashing slots
	on       bool          // false when GOMAXPROCS was set by hand
	set      func(int) int // runtime.GOMAXPROCS
	inFlight func() int    // the hashes running now; nil before the app exists
	after    func(func())  // runs its argument idleProcs from now; replaced in tests
	mu       sync.Mutex
	raised   bool
	pending  bool // a lowering is due (after was called and has not run yet)
	again    bool // a hash ended since the pending lowering was due
}

// idleProcs is how long no hash must have run before the spare Ps go.
const idleProcs = time.Second

func newSpareProcs(base int, on bool, set func(int) int) *spareProcs {
	p := &spareProcs{base: base, on: on, set: set}
	p.after = func(f func()) { time.AfterFunc(idleProcs, f) }
	return p
}

// hashing is the Hasher's Busy hook.
func (p *spareProcs) hashing(started bool) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if started {
		if !p.raised {
			p.set(p.base + 2)
			p.raised = true
		}
		return
	}
	if !p.raised {
		return
	}
	if p.pending {
		p.again = true // the pending lowering waits one more period
		return
	}
	p.pending = true
	p.after(p.lower)
}

// lower takes the spare Ps back if no hash runs now and none ended during
// the last period; else it waits another period.
func (p *spareProcs) lower() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.again || (p.inFlight != nil && p.inFlight() > 0) {
		p.again = false
		p.after(p.lower)
		return
	}
	p.pending = false
	if p.raised {
		p.set(p.base)
		p.raised = false
	}
}

// watch tells p how many hashes run, once the app that hashes exists.
func (p *spareProcs) watch(inFlight func() int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight = inFlight
}
