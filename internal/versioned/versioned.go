// Package versioned keeps values read from the database in memory, each
// tagged with the store's change version (store.DB.ChangeVersion) read
// before it, and serves one only while that version is still the current
// one and it is younger than a bound. The caller reads the version first,
// then the rows: a value read at version v describes the database as it
// was at v or later, so while the current version is still v nothing it
// was read from has changed — in this process or any other — and it may
// be served instead of reading again.
//
// It keeps values, never decisions: callers check what depends on the
// clock (limits, expiry, blocks) on every use, as they do with rows just
// read. It imports nothing of varco's.
package versioned

import (
	"sync"
	"time"
)

// Cache keeps values of type V by key, at most limit of them, each served
// for less than maxAge (New). Its methods may be called from any number of
// goroutines. The zero Cache keeps nothing.
//
// V is copied in and out: a struct of rows is never shared with a caller,
// though what it points to (slices, maps, pointers) is.
type Cache[K comparable, V any] struct {
	limit  int
	maxAge time.Duration

	mu sync.RWMutex
	m  map[K]*entry[V]
	// swept is the version of the last sweep of a full cache. What it
	// left was read at that version, so a full cache is swept once per
	// version, not at every put; the few values put since at an older one
	// (a lookup that read its version before a commit) go with the random
	// drops.
	swept uint64
}

// New returns a Cache of at most limit keys that serves a value for less
// than maxAge after it was read, even while the version stands still: a
// change whose notice was lost (a PostgreSQL listener whose connection
// died without an error) would otherwise never end it. When a new key
// comes to a full cache, the values that can no longer be served (read at
// another version) are dropped first, then random ones.
func New[K comparable, V any](limit int, maxAge time.Duration) *Cache[K, V] {
	return &Cache[K, V]{limit: limit, maxAge: maxAge}
}

// entry is never changed once in the map, so it is read outside the lock.
type entry[V any] struct {
	version uint64
	read    time.Time // when the rows were read, by the process's monotonic clock
	value   V
}

// Get returns a copy of the value kept for k and true if it was read at
// version, which must be the current one, less than maxAge ago; the zero
// V and false otherwise.
func (c *Cache[K, V]) Get(k K, version uint64) (V, bool) {
	c.mu.RLock()
	e := c.m[k]
	c.mu.RUnlock()
	if e == nil || e.version != version || time.Since(e.read) >= c.maxAge {
		var zero V
		return zero, false
	}
	return e.value, true
}

// Put keeps a copy of v for k: read at version, which was read before v
// was, at read (time.Now() taken before the read).
func (c *Cache[K, V]) Put(k K, version uint64, read time.Time, v V) {
	if c.limit <= 0 {
		return
	}
	e := &entry[V]{version: version, read: read, value: v}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[K]*entry[V])
	}
	if _, there := c.m[k]; !there && len(c.m) >= c.limit {
		c.makeRoom(version)
	}
	c.m[k] = e
}

// makeRoom drops entries of a full cache until one more fits: first those
// read at another version than the one being put (they could be served
// only if the version went back), then any (Go's map iteration starts at
// a random place). c.mu is held.
func (c *Cache[K, V]) makeRoom(version uint64) {
	if c.swept != version {
		c.swept = version
		for key, old := range c.m {
			if old.version != version {
				delete(c.m, key)
			}
		}
	}
	for key := range c.m {
		if len(c.m) < c.limit {
			break
		}
		delete(c.m, key)
	}
}

// Len returns how many keys are kept, whether they can be served or not.
func (c *Cache[K, V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
