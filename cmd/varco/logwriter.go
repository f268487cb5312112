package main

import (
	"io"
	"sync"
)

// lineWriter writes the log to w in batches: a line goes into a buffer and
// the goroutine Start runs writes out everything buffered as soon as it can,
// so while one write is in the kernel the lines of other requests gather for
// the next. Under load many lines share one write system call instead of
// one each (GET /api/v1/me spent a tenth of its time writing its line);
// when idle, a line is written at once. Close writes what is left.
type lineWriter struct {
	w       io.Writer
	wmu     sync.Mutex // held around each write to w, taken before mu: lines stay in order
	mu      sync.Mutex // guards buf and closed
	buf     []byte
	closed  bool
	wake    chan struct{}
	stopped chan struct{}
}

// maxLogBuffer bounds the buffer: past it a line is written by its caller
// directly (after what is buffered), so a stuck stderr slows requests down
// rather than growing memory.
const maxLogBuffer = 1 << 20

func newLineWriter(w io.Writer) *lineWriter {
	lw := &lineWriter{w: w, wake: make(chan struct{}, 1), stopped: make(chan struct{})}
	go lw.run()
	return lw
}

func (lw *lineWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	if lw.closed || len(lw.buf)+len(p) > maxLogBuffer {
		lw.mu.Unlock()
		return lw.writeThrough(p)
	}
	lw.buf = append(lw.buf, p...)
	lw.mu.Unlock()
	select {
	case lw.wake <- struct{}{}:
	default:
	}
	return len(p), nil
}

// writeThrough writes what is buffered, then p, before returning.
func (lw *lineWriter) writeThrough(p []byte) (int, error) {
	lw.wmu.Lock()
	defer lw.wmu.Unlock()
	lw.mu.Lock()
	out := append(lw.buf, p...)
	lw.buf = nil
	lw.mu.Unlock()
	_, err := lw.w.Write(out)
	return len(p), err
}

func (lw *lineWriter) run() {
	defer close(lw.stopped)
	var out []byte
	for range lw.wake {
		lw.wmu.Lock()
		lw.mu.Lock()
		out, lw.buf = lw.buf, out[:0]
		done := lw.closed
		lw.mu.Unlock()
		if len(out) > 0 {
			_, _ = lw.w.Write(out)
		}
		lw.wmu.Unlock()
		if done {
			return
		}
	}
}

// Close writes what is buffered; later lines are written directly.
func (lw *lineWriter) Close() {
	lw.mu.Lock()
	if lw.closed {
		lw.mu.Unlock()
		return
	}
	lw.closed = true
	lw.mu.Unlock()
	// A wake already pending does as well: run sees closed when it takes it.
	select {
	case lw.wake <- struct{}{}:
	default:
	}
	<-lw.stopped
}
