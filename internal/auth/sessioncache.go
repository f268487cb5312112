package auth

import (
	"sync"
	"time"

	"varco.dev/varco"
)

// sessionCache keeps, by token hash, the session and account rows a lookup
// read, with the store's change version (DB.ChangeVersion) read before
// them. An entry is served only while that version is still the current
// one, so any change to a session, an account or an organization — a
// revocation, a disabled account, a new role, a last_seen_at written —
// made by this process or any other sends the next request back to the
// database. It caches rows, not decisions: Authenticate checks the idle
// and absolute limits and the account's status on every request, against
// the clock, as it does with rows just read.
type sessionCache struct {
	mu sync.RWMutex
	m  map[[32]byte]*cachedSession
}

type cachedSession struct {
	version uint64
	read    time.Time // when the rows were read, by the process's monotonic clock
	sess    varco.Session
	acct    varco.Account
}

const (
	// maxCachedSessions bounds the cache's memory (about 0.5 kB an entry).
	maxCachedSessions = 10000
	// sessionCacheAge bounds how long rows are served from memory even
	// while the version stands still: a listener whose connection died
	// without an error (PostgreSQL) would otherwise never move it.
	sessionCacheAge = time.Second
)

func cacheKey(hash []byte) (k [32]byte, ok bool) {
	if len(hash) != len(k) {
		return k, false
	}
	copy(k[:], hash)
	return k, true
}

// get returns copies of the rows kept for hash if they were read at
// version, which must be the current one, nil otherwise.
func (c *sessionCache) get(hash []byte, version uint64) (*varco.Session, *varco.Account) {
	k, ok := cacheKey(hash)
	if !ok {
		return nil, nil
	}
	c.mu.RLock()
	e := c.m[k]
	c.mu.RUnlock()
	if e == nil || e.version != version || time.Since(e.read) >= sessionCacheAge {
		return nil, nil
	}
	// Copies: callers may change what they are given.
	sess, a := e.sess, e.acct
	return &sess, &a
}

// put keeps the rows read for hash at version.
func (c *sessionCache) put(hash []byte, version uint64, read time.Time, sess *varco.Session, a *varco.Account) {
	k, ok := cacheKey(hash)
	if !ok {
		return
	}
	e := &cachedSession{version: version, read: read, sess: *sess, acct: *a}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[[32]byte]*cachedSession)
	}
	if _, there := c.m[k]; !there && len(c.m) >= maxCachedSessions {
		// Full: first drop what can no longer be served, then anything.
		for key, old := range c.m {
			if old.version != version {
				delete(c.m, key)
			}
		}
		for key := range c.m {
			if len(c.m) < maxCachedSessions {
				break
			}
			delete(c.m, key)
		}
	}
	c.m[k] = e
}
