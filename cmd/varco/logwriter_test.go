package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a bytes.Buffer safe for the writer's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Every line written before Close is out after it, whole and, per writer,
// in order; lines after Close are written directly.
func TestLineWriterKeepsEveryLineInOrder(t *testing.T) {
	var out syncBuffer
	lw := newLineWriter(&out)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 500 {
				fmt.Fprintf(lw, "w%d %d\n", w, i)
			}
		})
	}
	wg.Wait()
	big := strings.Repeat("x", maxLogBuffer) + "\n" // past the buffer: written through
	_, _ = lw.Write([]byte(big))
	lw.Close()
	_, _ = lw.Write([]byte("after close\n"))

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 8*500+2 {
		t.Fatalf("%d lines, want %d", len(lines), 8*500+2)
	}
	next := map[string]int{}
	for _, l := range lines[:8*500] {
		var w string
		var i int
		if _, err := fmt.Sscanf(l, "%s %d", &w, &i); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if i != next[w] {
			t.Fatalf("%s: line %d, want %d", w, i, next[w])
		}
		next[w]++
	}
	if lines[8*500] != big[:len(big)-1] || lines[8*500+1] != "after close" {
		t.Fatal("the last lines are not the big one and the one after Close")
	}
}
