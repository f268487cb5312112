package versioned

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// rows stands for the rows a caller keeps: a struct copied in and out.
type rows struct {
	id   int
	name string
}

func TestGetServesOnlyTheVersionReadAt(t *testing.T) {
	c := New[string, rows](10, time.Hour)
	c.Put("a", 7, time.Now(), rows{id: 1, name: "a"})
	if r, ok := c.Get("a", 7); !ok || r != (rows{id: 1, name: "a"}) {
		t.Fatalf("same version: %v %v", r, ok)
	}
	for _, v := range []uint64{0, 6, 8} {
		if r, ok := c.Get("a", v); ok || r != (rows{}) {
			t.Errorf("version %d, rows read at 7: %v %v", v, r, ok)
		}
	}
	if _, ok := c.Get("b", 7); ok {
		t.Error("a key never put was served")
	}
	// Read again at a new version: only that one is served.
	c.Put("a", 8, time.Now(), rows{id: 2, name: "a"})
	if _, ok := c.Get("a", 7); ok {
		t.Error("rows replaced at version 8 served at 7")
	}
	if r, ok := c.Get("a", 8); !ok || r.id != 2 {
		t.Errorf("version 8: %v %v", r, ok)
	}
}

func TestGetServesOnlyYoungerThanMaxAge(t *testing.T) {
	c := New[string, rows](10, time.Hour)
	now := time.Now()
	c.Put("young", 1, now.Add(-59*time.Minute), rows{id: 1})
	c.Put("exact", 1, now.Add(-time.Hour), rows{id: 2})
	c.Put("old", 1, now.Add(-2*time.Hour), rows{id: 3})
	if _, ok := c.Get("young", 1); !ok {
		t.Error("rows read 59 minutes ago, bound an hour: not served")
	}
	if _, ok := c.Get("exact", 1); ok {
		t.Error("rows read an hour ago, bound an hour: served")
	}
	if _, ok := c.Get("old", 1); ok {
		t.Error("rows read two hours ago, bound an hour: served")
	}
	// A bound of zero serves nothing.
	z := New[string, rows](10, 0)
	z.Put("a", 1, now, rows{id: 1})
	if _, ok := z.Get("a", 1); ok {
		t.Error("served with no age allowed")
	}
}

func TestValuesAreCopied(t *testing.T) {
	c := New[int, rows](10, time.Hour)
	r := rows{id: 1, name: "kept"}
	c.Put(1, 1, time.Now(), r)
	r.name = "changed after put"
	got, _ := c.Get(1, 1)
	got.name = "changed after get"
	if again, _ := c.Get(1, 1); again.name != "kept" {
		t.Fatalf("kept value changed by its callers: %q", again.name)
	}
}

func TestZeroCacheKeepsNothing(t *testing.T) {
	var c Cache[string, rows]
	c.Put("a", 1, time.Now(), rows{id: 1})
	if _, ok := c.Get("a", 1); ok || c.Len() != 0 {
		t.Fatalf("zero cache: served %v, holds %d", ok, c.Len())
	}
}

func TestBound(t *testing.T) {
	const limit = 100
	c := New[int, rows](limit, time.Hour)
	now := time.Now()
	for k := range limit {
		c.Put(k, 1, now, rows{id: k})
	}
	if n := c.Len(); n != limit {
		t.Fatalf("holds %d after %d puts, bound %d", n, limit, limit)
	}
	// Full: replacing a key kept drops nothing.
	c.Put(0, 1, now, rows{id: -1})
	if n := c.Len(); n != limit {
		t.Fatalf("holds %d after replacing a key, want %d", n, limit)
	}

	t.Run("what can no longer be served goes first", func(t *testing.T) {
		// The version moved: every value read at 1 is useless, and all
		// of them go to make room for one read at 2.
		c.Put(limit, 2, now, rows{id: limit})
		if n := c.Len(); n != 1 {
			t.Fatalf("holds %d, want only the value read at the new version", n)
		}
		if _, ok := c.Get(limit, 2); !ok {
			t.Fatal("the value just put is not served")
		}
	})
	t.Run("then any", func(t *testing.T) {
		for k := range 3 * limit {
			c.Put(1000+k, 2, now, rows{id: k})
			if n := c.Len(); n > limit {
				t.Fatalf("holds %d, bound %d", n, limit)
			}
		}
		if n := c.Len(); n != limit {
			t.Fatalf("holds %d after filling, want %d", n, limit)
		}
		// The last one put is always kept.
		if r, ok := c.Get(1000+3*limit-1, 2); !ok || r.id != 3*limit-1 {
			t.Fatalf("last value put: %v %v", r, ok)
		}
		served := 0
		if _, ok := c.Get(limit, 2); ok { // from the subtest above, unless dropped since
			served++
		}
		for k := range 3 * limit {
			if _, ok := c.Get(1000+k, 2); ok {
				served++
			}
		}
		if served != limit {
			t.Fatalf("%d values served, want %d (all kept are current)", served, limit)
		}
	})
}

// Many goroutines getting and putting the same keys at moving versions:
// run under -race. A value served is always the one put for that key at
// that version.
func TestConcurrentUse(t *testing.T) {
	const (
		limit   = 50
		workers = 8
		rounds  = 2000
	)
	c := New[string, rows](limit, time.Hour)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				version := uint64(i / 100)
				key := fmt.Sprintf("k%d", (i*7+w)%(2*limit))
				want := rows{id: int(version), name: key}
				if r, ok := c.Get(key, version); ok && r != want {
					t.Errorf("%s at %d: served %v", key, version, r)
					return
				}
				c.Put(key, version, time.Now(), want)
				if n := c.Len(); n > limit {
					t.Errorf("holds %d, bound %d", n, limit)
					return
				}
			}
		}()
	}
	wg.Wait()
}
