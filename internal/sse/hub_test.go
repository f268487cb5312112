package sse

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeStream waits until its state is set, then writes it and ends.
type fakeStream struct {
	state  atomic.Pointer[string]
	fail   atomic.Bool
	checks atomic.Int64
}

func (s *fakeStream) Check(context.Context) (Result, error) {
	s.checks.Add(1)
	if s.fail.Load() {
		return Result{}, errors.New("read failed")
	}
	if st := s.state.Load(); st != nil {
		return Result{Event: []byte("event: state\ndata: " + *st + "\n\n"), Done: true}, nil
	}
	return Result{}, nil
}

func (s *fakeStream) set(st string) { s.state.Store(&st) }

// bed is a server whose /events hands every request's stream (key 1) to
// a hub, recording when each handler returned.
type bed struct {
	t         *testing.T
	hub       *Hub
	srv       *httptest.Server
	stream    *fakeStream
	since     atomic.Pointer[time.Time] // Subscription.Since, if set
	next      atomic.Int64              // Subscription.Next
	returned  chan struct{}             // one per handler that returned
	forgotten chan struct{}             // one per stream the hub forgot
}

func newBed(t *testing.T, o Options, http2 bool) *bed {
	t.Helper()
	b := &bed{t: t, stream: &fakeStream{}, returned: make(chan struct{}, 16), forgotten: make(chan struct{}, 16)}
	o.Forgotten = func() { b.forgotten <- struct{}{} }
	b.hub = NewHub(o)
	t.Cleanup(b.hub.Close)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { b.returned <- struct{}{} }()
		// As the security middleware does.
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		var since time.Time
		if p := b.since.Load(); p != nil {
			since = *p
		}
		b.hub.Serve(w, r, Subscription{Key: 1, Since: since, Next: time.Duration(b.next.Load()), First: []byte("retry: 5000\n: waiting\n\n"), Life: time.Hour,
			Recheck: time.Hour, Stream: b.stream})
	})
	b.srv = httptest.NewUnstartedServer(h)
	b.srv.EnableHTTP2 = http2
	if http2 {
		b.srv.StartTLS()
	} else {
		b.srv.Start()
	}
	t.Cleanup(b.srv.Close)
	return b
}

// open starts a stream and returns its response and a channel of its
// lines (closed at the end of the stream).
func (b *bed) open(ctx context.Context) (*http.Response, <-chan string) {
	b.t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", b.srv.URL+"/events", nil)
	if err != nil {
		b.t.Fatal(err)
	}
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { resp.Body.Close() })
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return resp, lines
}

func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	v, _ := recv(t, ch, what)
	return v
}

// recv is wait that also says whether ch is still open.
func recv[T any](t *testing.T, ch <-chan T, what string) (T, bool) {
	t.Helper()
	select {
	case v, ok := <-ch:
		return v, ok
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s in 10 s", what)
		var zero T
		return zero, false
	}
}

// until reads lines until want, failing if the stream ends first.
func until(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	for {
		l, ok := recv(t, lines, want)
		if !ok {
			t.Fatalf("the stream ended before %q", want)
		}
		if l == want {
			return
		}
	}
}

func ended(t *testing.T, lines <-chan string) {
	t.Helper()
	for {
		if _, ok := recv(t, lines, "end of the stream"); !ok {
			return
		}
	}
}

// TestHubHijackedStream: over HTTP/1.1 the handler returns as soon as it
// handed the stream over; the response head carries the event-stream
// headers and the middleware's; a wake delivers the event, the stream
// ends and the hub forgets it.
func TestHubHijackedStream(t *testing.T) {
	b := newBed(t, Options{}, false)
	resp, lines := b.open(t.Context())
	until(t, lines, ": waiting")
	wait(t, b.returned, "return of the handler (hijacked)")
	h := resp.Header
	if resp.StatusCode != 200 || resp.ProtoMajor != 1 || h.Get("Content-Type") != "text/event-stream; charset=utf-8" ||
		h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" ||
		h.Get("Content-Security-Policy") == "" || h.Get("Content-Length") != "" || resp.ContentLength != -1 ||
		!resp.Close || h.Get("Date") == "" {
		t.Fatalf("response %d %s %v close=%v", resp.StatusCode, resp.Proto, h, resp.Close)
	}
	if n := b.hub.Len(); n != 1 {
		t.Fatalf("hub holds %d streams", n)
	}
	b.stream.set("push_approved")
	b.hub.Wake(1)
	until(t, lines, "event: state")
	until(t, lines, "data: push_approved")
	ended(t, lines)
	wait(t, b.forgotten, "stream forgotten")
	if n := b.hub.Len(); n != 0 {
		t.Fatalf("hub holds %d streams after the end", n)
	}
}

// TestHubWakeOtherKey: a wake of another key does not check the stream;
// Wake(0) checks every stream.
func TestHubWakeOtherKey(t *testing.T) {
	b := newBed(t, Options{}, false)
	_, lines := b.open(t.Context())
	until(t, lines, ": waiting")
	b.stream.set("push_denied")
	b.hub.Wake(2)
	b.hub.Wake(0)
	until(t, lines, "data: push_denied")
	ended(t, lines)
}

// TestHubKeepAlive: a waiting stream gets keep-alive comments.
func TestHubKeepAlive(t *testing.T) {
	b := newBed(t, Options{Heartbeat: 20 * time.Millisecond, Tick: 5 * time.Millisecond}, false)
	_, lines := b.open(t.Context())
	until(t, lines, ": waiting")
	until(t, lines, ": keep-alive")
	until(t, lines, ": keep-alive")
}

// TestHubForgetsGoneClient: a client that goes away is noticed at the
// next keep-alive and forgotten, for a hijacked and a held stream.
func TestHubForgetsGoneClient(t *testing.T) {
	for _, http2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "hijacked", true: "http2"}[http2], func(t *testing.T) {
			b := newBed(t, Options{Heartbeat: 10 * time.Millisecond, Tick: 5 * time.Millisecond}, http2)
			ctx, cancel := context.WithCancel(t.Context())
			resp, lines := b.open(ctx)
			until(t, lines, ": waiting")
			if got := resp.ProtoMajor == 2; got != http2 {
				t.Fatalf("protocol %s", resp.Proto)
			}
			cancel()
			resp.Body.Close()
			b.srv.CloseClientConnections()
			wait(t, b.forgotten, "stream forgotten")
			wait(t, b.returned, "return of the handler")
			if n := b.hub.Len(); n != 0 {
				t.Fatalf("hub holds %d streams", n)
			}
		})
	}
}

// TestHubHTTP2Held: over HTTP/2 the connection cannot be hijacked: the
// handler keeps the stream until the hub ends it, and the event arrives
// the same way.
func TestHubHTTP2Held(t *testing.T) {
	b := newBed(t, Options{}, true)
	resp, lines := b.open(t.Context())
	until(t, lines, ": waiting")
	if resp.ProtoMajor != 2 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("response %s %v", resp.Proto, resp.Header)
	}
	select {
	case <-b.returned:
		t.Fatal("the HTTP/2 handler returned while its stream waits")
	default:
	}
	b.stream.set("expired")
	b.hub.Wake(1)
	until(t, lines, "data: expired")
	ended(t, lines)
	wait(t, b.returned, "return of the handler")
	wait(t, b.forgotten, "stream forgotten")
}

// TestHubCloseEndsStreams: closing the hub, as the server's shutdown
// does, ends hijacked and held streams at once, and Shutdown returns.
func TestHubCloseEndsStreams(t *testing.T) {
	for _, http2 := range []bool{false, true} {
		t.Run(map[bool]string{false: "hijacked", true: "http2"}[http2], func(t *testing.T) {
			b := newBed(t, Options{}, http2)
			b.srv.Config.RegisterOnShutdown(b.hub.Close)
			var all []<-chan string
			for range 3 {
				_, lines := b.open(t.Context())
				until(t, lines, ": waiting")
				all = append(all, lines)
			}
			done := make(chan error, 1)
			go func() { done <- b.srv.Config.Shutdown(context.Background()) }()
			for _, lines := range all {
				ended(t, lines)
			}
			if err := wait(t, done, "Shutdown's return"); err != nil {
				t.Fatal(err)
			}
			if n := b.hub.Len(); n != 0 {
				t.Fatalf("hub holds %d streams", n)
			}
			b.hub.Close() // again: nothing happens
		})
	}
}

// TestHubCheckError: a failed read ends the stream without an event (the
// client reconnects).
func TestHubCheckError(t *testing.T) {
	b := newBed(t, Options{}, false)
	b.stream.fail.Store(true)
	_, lines := b.open(t.Context())
	var got []string
	for l := range lines {
		got = append(got, l)
	}
	if strings.Contains(strings.Join(got, "\n"), "event:") {
		t.Fatalf("stream %q", got)
	}
	wait(t, b.forgotten, "stream forgotten")
}

// TestHubAfterClose: a stream handed to a closed hub (a request that
// arrived during the shutdown) ends at once and is not kept.
func TestHubAfterClose(t *testing.T) {
	b := newBed(t, Options{}, false)
	b.hub.Close()
	resp, err := b.srv.Client().Get(b.srv.URL + "/events")
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body) // ends: no stream is kept
		resp.Body.Close()
	}
	wait(t, b.returned, "return of the handler")
	if n := b.hub.Len(); n != 0 {
		t.Fatalf("hub holds %d streams", n)
	}
}

// TestHubHead: a HEAD request gets the head and no stream.
func TestHubHead(t *testing.T) {
	b := newBed(t, Options{}, false)
	resp, err := b.srv.Client().Head(b.srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Fatalf("HEAD: %d %v", resp.StatusCode, resp.Header)
	}
	wait(t, b.returned, "return of the handler")
	if n := b.hub.Len(); n != 0 {
		t.Fatalf("hub holds %d streams", n)
	}
}
