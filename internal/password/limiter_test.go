package password

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"varco.dev/varco"
)

func newTestHasher(opts HasherOptions) *Hasher {
	if opts.Params == (Params{}) {
		opts.Params = testParams
	}
	return NewHasher(opts)
}

// blockHashes makes every Hash on h wait inside its slot until the returned
// release channel is closed; started receives once per hash that got in.
func blockHashes(h *Hasher) (started chan struct{}, release chan struct{}) {
	started, release = make(chan struct{}, 16), make(chan struct{})
	h.hashFn = func(_ *workspace, pw string, p Params) (string, error) {
		started <- struct{}{}
		<-release
		return Hash(pw, p)
	}
	return started, release
}

// notifyQueued returns a channel that receives each time a caller joins
// the queue.
func notifyQueued(h *Hasher) chan struct{} {
	queued := make(chan struct{}, 16)
	h.onQueued = func() { queued <- struct{}{} }
	return queued
}

type result struct {
	encoded string
	err     error
}

func hashAsync(ctx context.Context, h *Hasher) chan result {
	ch := make(chan result, 1)
	go func() {
		encoded, err := h.Hash(ctx, "pw")
		ch <- result{encoded, err}
	}()
	return ch
}

func TestHasherRoundTrip(t *testing.T) {
	h := newTestHasher(HasherOptions{})
	ctx := context.Background()
	encoded, err := h.Hash(ctx, "pässwörd1ü")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.Verify(ctx, "pässwörd1ü", encoded); !ok || err != nil {
		t.Errorf("Verify(right) = %v, %v", ok, err)
	}
	if ok, err := h.Verify(ctx, "passwörd1ü", encoded); ok || err != nil {
		t.Errorf("Verify(wrong) = %v, %v", ok, err)
	}
	if h.NeedsRehash(encoded) {
		t.Error("NeedsRehash of own hash = true")
	}
	old, _ := Hash("pässwörd1ü", Params{Memory: 32, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	if !h.NeedsRehash(old) {
		t.Error("NeedsRehash of a hash with other params = false")
	}
	if err := h.DummyVerify(ctx, "anything"); err != nil {
		t.Errorf("DummyVerify: %v", err)
	}
	if h.NeedsRehash(h.dummy) {
		t.Error("the dummy hash does not use the Hasher's params")
	}
	if h.InFlight() != 0 || h.Queued() != 0 {
		t.Errorf("idle gauges: in flight %d, queued %d", h.InFlight(), h.Queued())
	}
}

func TestHasherDefaults(t *testing.T) {
	h := NewHasher(HasherOptions{MaxConcurrent: 3})
	if h.Params() != DefaultParams {
		t.Errorf("Params = %+v, want DefaultParams", h.Params())
	}
	if cap(h.slots) != 3 || h.maxQueue != 192 || h.maxWait != 2*time.Second {
		t.Errorf("slots %d, queue %d, wait %v; want 3, 192, 2s", cap(h.slots), h.maxQueue, h.maxWait)
	}
	if h.NeedsRehash(h.dummy) {
		t.Error("the dummy hash does not use DefaultParams")
	}
}

func TestNewHasherPanicsOnInvalidParams(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	NewHasher(HasherOptions{Params: Params{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32}})
}

func assertOverloaded(t *testing.T, err error) {
	t.Helper()
	if code := varco.ErrorCode(err); code != varco.EOverloaded {
		t.Fatalf("error %v has code %q, want %q", err, code, varco.EOverloaded)
	}
}

func TestHasherQueueFull(t *testing.T) {
	h := newTestHasher(HasherOptions{MaxConcurrent: 1, MaxQueue: 1, MaxWait: time.Hour})
	started, release := blockHashes(h)
	queued := notifyQueued(h)
	ctx := context.Background()

	first := hashAsync(ctx, h)
	<-started
	second := hashAsync(ctx, h)
	<-queued
	if h.InFlight() != 1 || h.Queued() != 1 {
		t.Errorf("gauges: in flight %d, queued %d; want 1, 1", h.InFlight(), h.Queued())
	}

	// The slot and the only queue place are taken: refused at once.
	_, err := h.Hash(ctx, "pw")
	assertOverloaded(t, err)
	_, err = h.Verify(ctx, "pw", "$argon2id$…")
	assertOverloaded(t, err)
	assertOverloaded(t, h.DummyVerify(ctx, "pw"))

	close(release)
	for _, ch := range []chan result{first, second} {
		if r := <-ch; r.err != nil {
			t.Errorf("a caller that got a slot failed: %v", r.err)
		}
	}
	if h.InFlight() != 0 || h.Queued() != 0 {
		t.Errorf("after: in flight %d, queued %d", h.InFlight(), h.Queued())
	}
}

func TestHasherNoQueue(t *testing.T) {
	h := newTestHasher(HasherOptions{MaxConcurrent: 1, MaxQueue: -1, MaxWait: time.Hour})
	started, release := blockHashes(h)
	first := hashAsync(context.Background(), h)
	<-started
	_, err := h.Hash(context.Background(), "pw")
	assertOverloaded(t, err)
	close(release)
	if r := <-first; r.err != nil {
		t.Error(r.err)
	}
}

func TestHasherWaitExpires(t *testing.T) {
	h := newTestHasher(HasherOptions{MaxConcurrent: 1, MaxQueue: 4, MaxWait: time.Millisecond})
	started, release := blockHashes(h)
	first := hashAsync(context.Background(), h)
	<-started
	// The slot stays taken until release is closed, so this wait expires.
	_, err := h.Hash(context.Background(), "pw")
	assertOverloaded(t, err)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Errorf("a timeout in the queue reported as a context error: %v", err)
	}
	close(release)
	if r := <-first; r.err != nil {
		t.Error(r.err)
	}
	if h.Queued() != 0 {
		t.Errorf("queued = %d after the wait expired", h.Queued())
	}
}

func TestHasherContextEnds(t *testing.T) {
	h := newTestHasher(HasherOptions{MaxConcurrent: 1, MaxQueue: 4, MaxWait: time.Hour})
	started, release := blockHashes(h)
	queued := notifyQueued(h)
	first := hashAsync(context.Background(), h)
	<-started

	ctx, cancel := context.WithCancel(context.Background())
	waiting := hashAsync(ctx, h)
	<-queued
	cancel()
	r := <-waiting
	assertOverloaded(t, r.err)
	if !errors.Is(r.err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", r.err)
	}

	// A request that is already over does not even take a free slot.
	close(release)
	if r := <-first; r.err != nil {
		t.Error(r.err)
	}
	_, err := h.Hash(ctx, "pw")
	assertOverloaded(t, err)
	if h.InFlight() != 0 || h.Queued() != 0 {
		t.Errorf("after: in flight %d, queued %d", h.InFlight(), h.Queued())
	}
}

// Saturated is true exactly while a newcomer would be refused at once:
// every slot busy and the queue full.
func TestHasherSaturated(t *testing.T) {
	h := newTestHasher(HasherOptions{MaxConcurrent: 1, MaxQueue: 1, MaxWait: time.Hour})
	started, release := blockHashes(h)
	queued := notifyQueued(h)
	ctx := context.Background()
	if h.Saturated() {
		t.Fatal("saturated when idle")
	}
	first := hashAsync(ctx, h)
	<-started
	if h.Saturated() {
		t.Fatal("saturated with the queue empty")
	}
	second := hashAsync(ctx, h)
	<-queued
	if !h.Saturated() {
		t.Fatal("not saturated with the slot busy and the queue full")
	}
	close(release)
	<-first
	<-second
	if h.Saturated() {
		t.Fatal("saturated after")
	}
}

// TestHasherSlot: a slot taken with Slot counts against the limit until it
// is released, whatever its holder does after hashing; releasing twice is
// harmless.
func TestHasherSlot(t *testing.T) {
	h := newTestHasher(HasherOptions{MaxConcurrent: 1, MaxQueue: -1})
	enc, err := Hash("pw", testParams)
	if err != nil {
		t.Fatal(err)
	}
	slot, err := h.Slot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := slot.Verify("pw", enc); !ok || err != nil {
		t.Fatalf("verify in the slot: %v %v", ok, err)
	}
	slot.DummyVerify("pw")
	if _, err := h.Verify(context.Background(), "pw", enc); !varco.IsCode(err, varco.EOverloaded) {
		t.Fatalf("verify while the slot is held: %v, want overloaded", err)
	}
	slot.Release()
	slot.Release()
	if ok, err := h.Verify(context.Background(), "pw", enc); !ok || err != nil {
		t.Fatalf("verify after release: %v %v", ok, err)
	}
	if n := h.InFlight(); n != 0 {
		t.Fatalf("%d in flight after release", n)
	}
}

// TestHasherWorkspaces runs many hashes and checks on two slots at once
// (the race detector watches the shared memory): every result is right,
// at most one workspace per slot ever exists, and a hash with more memory
// than the Hasher's own gets memory of its own instead of growing one.
func TestHasherWorkspaces(t *testing.T) {
	h := newTestHasher(HasherOptions{MaxConcurrent: 2})
	own, err := Hash("right", testParams)
	if err != nil {
		t.Fatal(err)
	}
	bigger := testParams
	bigger.Memory *= 4
	big, err := Hash("right", bigger)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	errs := make(chan error, 16)
	for i := range 16 {
		go func() {
			enc, err := h.Hash(ctx, "right")
			if err == nil {
				var ok bool
				if ok, err = Verify("right", enc); err == nil && !ok {
					err = errors.New("a Hasher's hash does not verify")
				}
			}
			for _, stored := range []string{own, big} {
				if err != nil {
					break
				}
				pw := "right"
				if i%2 == 1 {
					pw = "wrong"
				}
				var ok bool
				if ok, err = h.Verify(ctx, pw, stored); err == nil && ok != (pw == "right") {
					err = fmt.Errorf("verify %q: %v", pw, ok)
				}
			}
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.spaces); n == 0 || n > 2 {
		t.Fatalf("%d workspaces for 2 slots", n)
	}
	for _, ws := range h.spaces {
		if want := laneBlocks(testParams.Memory, uint32(testParams.Threads)); uint32(len(ws.blocks)) != want {
			t.Errorf("a workspace holds %d blocks, want the Hasher's own %d", len(ws.blocks), want)
		}
	}
}
