// Package sse holds server-sent-event streams that mostly wait: a sign-in
// page waiting for the authenticator's decision, and later the
// authenticator's own event stream. A waiting stream served the ordinary
// way holds a handler goroutine, net/http's background reader and their
// per-connection buffers, about 36 KiB each (docs/performance.md, "Push").
// The Hub takes such a stream over once its handler has authorized it:
// over HTTP/1.x it hijacks the connection, writes the response head
// itself and keeps only the connection and what the stream waits for;
// one goroutine keeps the time (keep-alives, re-reads, lifetimes) and a
// small pool of workers re-reads and writes. Where a connection cannot be
// hijacked (HTTP/2), the handler keeps it as before, and the Hub still
// decides when it is re-read and written.
package sse

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// A Stream is what one waiting connection waits for.
type Stream interface {
	// Check re-reads the waited-for state. It runs on one of the Hub's
	// workers, never twice at once for one stream.
	Check(ctx context.Context) (Result, error)
}

// Result is what a Check found.
type Result struct {
	// Event is written to the stream (a whole event, with its blank
	// line), or nothing when nil.
	Event []byte
	// Done ends the stream after Event.
	Done bool
	// Next, when positive, is when the stream must be checked again at
	// the latest (a request's expiry); the Subscription's Recheck bounds
	// it.
	Next time.Duration
}

// Subscription is how a handler hands a stream to the Hub.
type Subscription struct {
	// Key is what wakes the stream (Wake): an account id.
	Key int64
	// Since is when the handler read what the stream waits for: a wake
	// of Key since then has the stream checked as soon as it is held
	// (the read may have missed it); otherwise the first check is at
	// Recheck. Zero: checked at once (the handler saw something to
	// write).
	Since time.Time
	// First is written after the response head: the event-stream's
	// retry and a comment saying it waits, typically.
	First []byte
	// Life ends the stream; the client reconnects.
	Life time.Duration
	// Recheck is the longest a stream waits without a Check, the bound
	// when a wake is lost.
	Recheck time.Duration
	// Next, when positive and shorter than Recheck, is when the stream
	// is first checked unless woken (as Result.Next: an expiry the
	// handler read).
	Next   time.Duration
	Stream Stream
}

// Options configure a Hub; zero values take the defaults.
type Options struct {
	Heartbeat    time.Duration // a keep-alive comment this often (15 s)
	Tick         time.Duration // the timekeeper's resolution (1 s)
	WriteTimeout time.Duration // one write's deadline (10 s)
	Workers      int           // concurrent Checks and writes (8)
	Log          *slog.Logger
	// Forgotten, if set, is called after a stream is closed and
	// forgotten (tests).
	Forgotten func()
}

var keepAlive = []byte(": keep-alive\n\n")

// Hub holds waiting streams. Its zero value is not usable: NewHub.
type Hub struct {
	o      Options
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	work    *sync.Cond
	byKey   map[int64][]*conn
	all     map[*conn]struct{}
	urgent  []*conn // woken: checked before the background work
	later   []*conn // due re-reads and keep-alives
	woken   map[int64]bool
	wakeAll bool
	// wakes are the recent wakes' times by key (0: every key), for
	// Subscription.Since; kept for wakeMemory.
	wakes  map[int64]time.Time
	closed bool

	wake chan struct{}
	wg   sync.WaitGroup
}

// conn is one waiting stream; the Hub's mutex guards its scheduling
// fields, wmu its writes.
type conn struct {
	sub  Subscription
	nc   net.Conn // hijacked; nil when held by its handler
	held *held

	// scheduling (Hub.mu)
	end, beat, check time.Time
	wantCheck        bool
	wantBeat         bool
	inUrgent         bool // in Hub.urgent
	inLater          bool // in Hub.later
	running          bool
	gone             bool

	wmu    sync.Mutex
	closed bool // wmu
}

// held is a stream its handler keeps (no hijacking).
type held struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	done chan struct{} // closed by the Hub to end the handler
}

// NewHub starts a Hub's timekeeper and workers; Close stops them.
func NewHub(o Options) *Hub {
	if o.Heartbeat <= 0 {
		o.Heartbeat = 15 * time.Second
	}
	if o.Tick <= 0 {
		o.Tick = time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	h := &Hub{o: o, byKey: map[int64][]*conn{}, all: map[*conn]struct{}{}, woken: map[int64]bool{}, wakes: map[int64]time.Time{},
		wake: make(chan struct{}, 1)}
	h.work = sync.NewCond(&h.mu)
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.wg.Go(h.keepTime)
	for range o.Workers {
		h.wg.Go(h.worker)
	}
	return h
}

// Wake has the streams of key checked now, or every stream for key 0
// (as push.Signal.Subscribe reports a broadcast). It never blocks: the
// push signal calls it on every decision.
func (h *Hub) Wake(key int64) {
	h.mu.Lock()
	h.wakes[key] = time.Now()
	if key == 0 {
		h.wakeAll = true
	} else {
		h.woken[key] = true
	}
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Len returns how many streams the Hub holds.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.all)
}

// Close ends every stream (closing hijacked connections, which
// http.Server.Shutdown does not track, and returning the handlers that
// hold theirs) and stops the Hub. It may be called more than once.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	h.cancel()
	cs := make([]*conn, 0, len(h.all))
	for c := range h.all {
		cs = append(cs, c)
	}
	h.work.Broadcast()
	h.mu.Unlock()
	for _, c := range cs {
		h.forget(c)
	}
	h.wg.Wait()
}

// Serve writes the stream's response head and First, then hands the
// stream to the Hub. A hijacked connection returns at once; otherwise
// (HTTP/2, a ResponseWriter that cannot be hijacked) Serve returns when
// the stream ends. The caller has authorized the request and set nothing
// it needs besides the headers already in w.Header() (the middleware's).
func (h *Hub) Serve(w http.ResponseWriter, r *http.Request, s Subscription) {
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	hd.Del("Content-Length")
	if r.Method == http.MethodHead { // the head only, and no stream to keep
		w.WriteHeader(http.StatusOK)
		return
	}
	if r.ProtoMajor == 1 {
		if h.hijack(w, r, s) {
			return
		}
	}
	h.hold(w, r, s)
}

// hijack takes the connection from net/http, registers it and writes
// the head and first bytes; false, with nothing written, if it cannot.
func (h *Hub) hijack(w http.ResponseWriter, r *http.Request, s Subscription) bool {
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return false
	}
	rc := http.NewResponseController(w)
	hd := w.Header().Clone()
	// Bytes the client sent after the request (none for EventSource)
	// are not read: the stream ends with the connection, which is why
	// the head says Connection: close (the body is not chunked and has
	// no length, so it ends where the connection does).
	nc, _, err := rc.Hijack()
	if err != nil {
		return false
	}
	hd.Set("Connection", "close")
	hd.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 200 OK\r\n")
	_ = hd.Write(&b)
	b.WriteString("\r\n")
	b.Write(s.First)
	// net/http's read deadline is the server's; nothing is read here.
	_ = nc.SetReadDeadline(time.Time{})
	// Registered before the head is written (the hub counts the stream
	// once its client sees it), and no event is written before the head.
	c := &conn{sub: s, nc: nc}
	c.wmu.Lock()
	if !h.add(c) {
		c.wmu.Unlock()
		return true
	}
	_ = nc.SetWriteDeadline(time.Now().Add(h.o.WriteTimeout))
	_, err = nc.Write(b.Bytes())
	c.wmu.Unlock()
	if err != nil {
		h.forget(c)
	}
	return true
}

// hold serves a stream the handler keeps: the Hub writes to it through
// the ResponseWriter while the handler waits here.
func (h *Hub) hold(w http.ResponseWriter, r *http.Request, s Subscription) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // the server's write timeout is shorter than a stream
	c := &conn{sub: s, held: &held{w: w, rc: rc, done: make(chan struct{})}}
	if !h.add(c) {
		return
	}
	c.wmu.Lock() // as for a hijacked stream, the head first
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(s.First)
	if err == nil {
		err = rc.Flush()
	}
	c.wmu.Unlock()
	if err != nil {
		h.forget(c)
	}
	select {
	case <-c.held.done:
	case <-r.Context().Done():
		h.forget(c)
	}
	// No write after the handler returns: forget took wmu and marked the
	// stream closed, and a write in progress finished first.
	c.wmu.Lock()
	c.closed = true
	c.wmu.Unlock()
}

// add registers a stream and has it checked at once if it may have
// missed a wake (Subscription.Since). False if the Hub is
// closed (the stream is closed then).
func (h *Hub) add(c *conn) bool {
	now := time.Now()
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		c.close()
		return false
	}
	c.end = now.Add(c.sub.Life)
	c.beat = now.Add(h.o.Heartbeat)
	c.check = now.Add(c.sub.Recheck)
	if n := c.sub.Next; n > 0 && n < c.sub.Recheck {
		c.check = now.Add(n)
	}
	h.all[c] = struct{}{}
	h.byKey[c.sub.Key] = append(h.byKey[c.sub.Key], c)
	if h.wokenSinceLocked(c.sub.Key, c.sub.Since, now) {
		c.wantCheck = true
		h.enqueueLocked(c, true)
	}
	h.mu.Unlock()
	return true
}

// wakeMemory is how long Wake's times are kept for Subscription.Since: a
// stream read longer ago is checked at once.
const wakeMemory = time.Minute

// wokenSinceLocked says whether key may have been woken since.
func (h *Hub) wokenSinceLocked(key int64, since, now time.Time) bool {
	if since.IsZero() || now.Sub(since) >= wakeMemory {
		return true
	}
	for _, k := range []int64{key, 0} {
		if t, ok := h.wakes[k]; ok && !t.Before(since) {
			return true
		}
	}
	return false
}

// enqueueLocked queues c for a worker unless it is queued or running (a
// running one is queued again when it finishes, if wanted). A wake does
// not wait behind keep-alives: a stream queued for later is queued again
// as urgent, and the copy a worker finds second is skipped.
func (h *Hub) enqueueLocked(c *conn, urgent bool) {
	if c.running || c.gone || c.inUrgent || (c.inLater && !urgent) {
		return
	}
	if urgent {
		c.inUrgent = true
		h.urgent = append(h.urgent, c)
	} else {
		c.inLater = true
		h.later = append(h.later, c)
	}
	h.work.Signal()
}

// forget closes a stream and removes it; safe to call more than once.
func (h *Hub) forget(c *conn) {
	h.mu.Lock()
	if c.gone {
		h.mu.Unlock()
		return
	}
	c.gone = true
	delete(h.all, c)
	list := h.byKey[c.sub.Key]
	for i, x := range list {
		if x == c {
			list[i] = list[len(list)-1]
			list[len(list)-1] = nil
			list = list[:len(list)-1]
			break
		}
	}
	if len(list) == 0 {
		delete(h.byKey, c.sub.Key)
	} else {
		h.byKey[c.sub.Key] = list
	}
	h.mu.Unlock()
	c.close()
	if h.o.Forgotten != nil {
		h.o.Forgotten()
	}
}

// close ends the connection: a hijacked one is closed (which also ends a
// write blocked on it), a held one's handler returns.
func (c *conn) close() {
	if c.nc != nil {
		c.nc.Close()
		return
	}
	c.wmu.Lock()
	if !c.closed {
		c.closed = true
		close(c.held.done)
	}
	c.wmu.Unlock()
}

// write writes b with the Hub's deadline.
func (h *Hub) write(c *conn, b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	deadline := time.Now().Add(h.o.WriteTimeout)
	if c.nc != nil {
		_ = c.nc.SetWriteDeadline(deadline)
		_, err := c.nc.Write(b)
		return err
	}
	_ = c.held.rc.SetWriteDeadline(deadline)
	if _, err := c.held.w.Write(b); err != nil {
		return err
	}
	return c.held.rc.Flush()
}

// keepTime wakes streams on Wake and, every Tick, ends the streams past
// their life and queues the due keep-alives and re-reads.
func (h *Hub) keepTime() {
	t := time.NewTicker(h.o.Tick)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-h.wake:
			h.mu.Lock()
			if h.wakeAll {
				h.wakeAll = false
				clear(h.woken)
				for c := range h.all {
					c.wantCheck = true
					h.enqueueLocked(c, true)
				}
			}
			for k := range h.woken {
				for _, c := range h.byKey[k] {
					c.wantCheck = true
					h.enqueueLocked(c, true)
				}
			}
			clear(h.woken)
			h.mu.Unlock()
		case now := <-t.C:
			var ended []*conn
			h.mu.Lock()
			for k, t := range h.wakes {
				if now.Sub(t) > wakeMemory {
					delete(h.wakes, k)
				}
			}
			for c := range h.all {
				switch {
				case !now.Before(c.end):
					ended = append(ended, c)
					continue
				case !now.Before(c.check):
					c.wantCheck = true
				case !now.Before(c.beat):
					c.wantBeat = true
				default:
					continue
				}
				h.enqueueLocked(c, false)
			}
			h.mu.Unlock()
			for _, c := range ended {
				h.forget(c)
			}
		}
	}
}

// worker checks and writes the queued streams, woken ones first.
func (h *Hub) worker() {
	h.mu.Lock()
	for {
		for len(h.urgent) == 0 && len(h.later) == 0 && !h.closed {
			h.work.Wait()
		}
		if h.closed {
			h.mu.Unlock()
			return
		}
		var c *conn
		if len(h.urgent) > 0 {
			c, h.urgent[0] = h.urgent[0], nil
			h.urgent = h.urgent[1:]
			c.inUrgent = false
		} else {
			c, h.later[0] = h.later[0], nil
			h.later = h.later[1:]
			c.inLater = false
		}
		if c.gone || c.running || !c.wantCheck && !c.wantBeat {
			continue // ended, or served by its other copy
		}
		c.running = true
		check, beat := c.wantCheck, c.wantBeat
		c.wantCheck, c.wantBeat = false, false
		h.mu.Unlock()

		ok := h.serveOne(c, check, beat)

		h.mu.Lock()
		c.running = false
		if !ok {
			h.mu.Unlock()
			h.forget(c)
			h.mu.Lock()
			continue
		}
		if c.wantCheck {
			h.enqueueLocked(c, true)
		} else if c.wantBeat {
			h.enqueueLocked(c, false)
		}
	}
}

// serveOne checks and writes one stream; false when it ended.
func (h *Hub) serveOne(c *conn, check, beat bool) bool {
	now := time.Now()
	wrote := false
	if check {
		res, err := c.sub.Stream.Check(h.ctx)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				h.o.Log.Error("event stream", "error", err)
			}
			return false
		}
		next := c.sub.Recheck
		if res.Next > 0 && res.Next < next {
			next = res.Next
		}
		h.mu.Lock()
		c.check = now.Add(next)
		h.mu.Unlock()
		if res.Event != nil {
			if h.write(c, res.Event) != nil {
				return false
			}
			wrote, beat = true, false
		}
		if res.Done {
			return false
		}
	}
	if beat {
		if h.write(c, keepAlive) != nil {
			return false
		}
		wrote = true
	}
	if wrote {
		h.mu.Lock()
		c.beat = now.Add(h.o.Heartbeat)
		h.mu.Unlock()
	}
	return true
}
