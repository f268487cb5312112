package password

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"varco.dev/varco"
)

// HasherOptions configure a Hasher. Zero values pick the defaults.
type HasherOptions struct {
	// Params for new hashes; zero means DefaultParams.
	Params Params
	// MaxConcurrent is how many hashes run at once; zero means
	// runtime.GOMAXPROCS(0). argon2id is CPU- and memory-bound, so running
	// more than the cores only makes every caller slower.
	MaxConcurrent int
	// MaxQueue is how many callers may wait for a slot; zero means
	// 64*MaxConcurrent, negative means none may wait.
	MaxQueue int
	// MaxWait is how long a caller waits for a slot; zero means 2s.
	MaxWait time.Duration
}

// Hasher runs Hash and Verify under a concurrency limit with a bounded
// queue, so a burst of logins degrades into fast "overloaded" answers
// instead of unbounded memory (19 MiB per hash) and latency. It starts no
// goroutines: every call does its work on the caller's goroutine. A Hasher
// is safe for concurrent use.
type Hasher struct {
	params   Params
	slots    chan struct{}
	maxQueue int64
	maxWait  time.Duration
	dummy    string

	inFlight atomic.Int64
	queued   atomic.Int64

	// The memory of the hashes: at most one workspace per slot, each
	// taken with the slot and put back when it is released.
	mu     sync.Mutex
	spaces []*workspace

	// Replaced in tests to hold a slot or observe the queue.
	hashFn   func(ws *workspace, pw string, p Params) (string, error)
	verifyFn func(ws *workspace, pw, encoded string) (bool, error)
	onQueued func()
}

// NewHasher returns a Hasher for opts. It computes the hash DummyVerify
// checks against, so it costs one hash. It panics if opts.Params is set and
// invalid: that is a configuration bug, and Params.Validate lets config
// loading report it first.
func NewHasher(opts HasherOptions) *Hasher {
	if opts.Params == (Params{}) {
		opts.Params = DefaultParams
	}
	if err := opts.Params.Validate(); err != nil {
		panic(fmt.Sprintf("password: NewHasher: %v", err))
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = runtime.GOMAXPROCS(0)
	}
	switch {
	case opts.MaxQueue == 0:
		opts.MaxQueue = 64 * opts.MaxConcurrent
	case opts.MaxQueue < 0:
		opts.MaxQueue = 0
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = 2 * time.Second
	}
	dummy, err := Hash("varco dummy password", opts.Params)
	if err != nil {
		panic(fmt.Sprintf("password: NewHasher: %v", err))
	}
	return &Hasher{
		params:   opts.Params,
		slots:    make(chan struct{}, opts.MaxConcurrent),
		maxQueue: int64(opts.MaxQueue),
		maxWait:  opts.MaxWait,
		dummy:    dummy,
		hashFn:   hashIn,
		verifyFn: verifyIn,
	}
}

// MaxWait returns how long a caller waits for a hashing slot at most.
func (h *Hasher) MaxWait() time.Duration { return h.maxWait }

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// Hash hashes pw with the Hasher's params. Besides Hash's own errors it
// returns a varco.EOverloaded error when no slot frees up in time.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	slot, err := h.Slot(ctx)
	if err != nil {
		return "", err
	}
	defer slot.Release()
	return slot.Hash(pw)
}

// Verify reports whether pw matches encoded, as the package-level Verify,
// or returns a varco.EOverloaded error when no slot frees up in time.
func (h *Hasher) Verify(ctx context.Context, pw, encoded string) (bool, error) {
	slot, err := h.Slot(ctx)
	if err != nil {
		return false, err
	}
	defer slot.Release()
	return slot.Verify(pw, encoded)
}

// Slot is a hashing slot taken with Hasher.Slot: its holder verifies with
// it, then does what must finish before another hash starts, then
// releases it.
type Slot struct {
	h       *Hasher
	ws      *workspace
	release func()
}

// Slot waits for a hashing slot as Verify does, and keeps it until
// Release. A sign-in keeps its slot through its writes, so that no other
// hash competes for its P at each database round trip — on PostgreSQL
// while its transaction holds the account's rows and the other sign-ins
// of the account queue on them. (Before hashes yielded every yieldEvery
// blocks, a writer that gave its slot on waited up to 10 ms per round
// trip; with the yields, giving it on before the writes measured no
// clear gain, docs/performance.md.)
func (h *Hasher) Slot(ctx context.Context) (*Slot, error) {
	release, err := h.acquire(ctx)
	if err != nil {
		return nil, err
	}
	return &Slot{h: h, ws: h.takeWorkspace(), release: release}, nil
}

// takeWorkspace returns a free workspace, or a new one when every one is
// taken: there are never more than slots.
func (h *Hasher) takeWorkspace() *workspace {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.spaces); n > 0 {
		ws := h.spaces[n-1]
		h.spaces = h.spaces[:n-1]
		return ws
	}
	return newWorkspace(h.params)
}

func (h *Hasher) putWorkspace(ws *workspace) {
	h.mu.Lock()
	h.spaces = append(h.spaces, ws)
	h.mu.Unlock()
}

// Verify is Hasher.Verify in the slot.
func (s *Slot) Verify(pw, encoded string) (bool, error) { return s.h.verifyFn(s.ws, pw, encoded) }

// Hash is Hasher.Hash in the slot: a sign-in that rehashes the password
// it just verified does so in the slot it holds instead of waiting for
// another one (with every slot held by such sign-ins, none would free).
func (s *Slot) Hash(pw string) (string, error) { return s.h.hashFn(s.ws, pw, s.h.params) }

// DummyVerify is Hasher.DummyVerify in the slot.
func (s *Slot) DummyVerify(pw string) {
	_, _ = s.Verify(pw, s.h.dummy)
}

// Release frees the slot; later calls do nothing.
func (s *Slot) Release() {
	if s != nil && s.release != nil {
		s.h.putWorkspace(s.ws)
		s.ws = nil // a Verify after Release must not share it
		s.release()
		s.release = nil
	}
}

// DummyVerify spends the time of a real Verify against a hash of the
// Hasher's params, for logins to accounts that do not exist: answering
// those faster would tell an attacker which addresses are real. It returns
// only overload errors, like Verify would have.
func (h *Hasher) DummyVerify(ctx context.Context, pw string) error {
	_, err := h.Verify(ctx, pw, h.dummy)
	return err
}

// NeedsRehash reports whether encoded should be replaced with a hash under
// the Hasher's params (see the package-level NeedsRehash).
func (h *Hasher) NeedsRehash(encoded string) bool { return NeedsRehash(encoded, h.params) }

// Saturated reports whether a caller arriving now would be refused at
// once: every slot busy and the queue full. A sign-in asks before its
// database reads, so that a flood's surplus is answered "overloaded"
// without costing the database anything; Verify still enforces the limit.
func (h *Hasher) Saturated() bool {
	return len(h.slots) == cap(h.slots) && h.queued.Load() >= h.maxQueue
}

// InFlight returns how many hashes are running now, for metrics.
func (h *Hasher) InFlight() int { return int(h.inFlight.Load()) }

// Queued returns how many callers are waiting for a slot now, for metrics.
func (h *Hasher) Queued() int { return int(h.queued.Load()) }

// acquire takes a slot, waiting in the queue if there is room. While
// callers wait, a freed slot goes straight to one of them (the runtime
// hands it to a blocked sender), so the fast path cannot let a newcomer
// jump the queue.
func (h *Hasher) acquire(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		// The caller is gone; burning 50 ms of CPU for it helps nobody.
		return nil, overloaded("the request ended before the password could be checked", err)
	}
	select {
	case h.slots <- struct{}{}:
		return h.take(), nil
	default:
	}
	if h.queued.Add(1) > h.maxQueue {
		h.queued.Add(-1)
		return nil, overloaded("too many password checks are waiting", nil)
	}
	defer h.queued.Add(-1)
	if h.onQueued != nil {
		h.onQueued()
	}
	timer := time.NewTimer(h.maxWait)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
		return h.take(), nil
	case <-timer.C:
		return nil, overloaded("timed out waiting to check the password", nil)
	case <-ctx.Done():
		return nil, overloaded("the request ended before the password could be checked", ctx.Err())
	}
}

func (h *Hasher) take() (release func()) {
	h.inFlight.Add(1)
	return func() {
		h.inFlight.Add(-1)
		<-h.slots
	}
}

// overloaded returns a varco.EOverloaded error that also wraps cause (a
// context error) when there is one, so callers can tell a cancelled request
// from real overload with errors.Is.
func overloaded(msg string, cause error) error {
	return Overloaded(msg, cause)
}

// Overloaded is the error of a Hasher that cannot take a caller: a
// varco.EOverloaded error with Retry-After 1 s, wrapping cause if any.
func Overloaded(msg string, cause error) error {
	e := varco.E(varco.EOverloaded, "error.busy")
	e.RetryAfter = 1
	if cause != nil {
		return fmt.Errorf("password: %s: %w: %w", msg, e, cause)
	}
	return fmt.Errorf("password: %s: %w", msg, e)
}
