package auth

import (
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/versioned"
)

// sessionCache keeps, by token hash, the session and account rows a lookup
// read, with the store's change version (DB.ChangeVersion) read before
// them (versioned.Cache). An entry is served only while that version is
// still the current one, so any change to a session, an account or an
// organization — a revocation, a disabled account, a new role, a
// last_seen_at written — made by this process or any other sends the next
// request back to the database. It caches rows, not decisions:
// Authenticate checks the idle and absolute limits and the account's
// status on every request, against the clock, as it does with rows just
// read.
type sessionCache struct {
	rows *versioned.Cache[[32]byte, sessionRows]
}

// sessionRows are what a lookup read for one token.
type sessionRows struct {
	sess varco.Session
	acct varco.Account
}

const (
	// maxCachedSessions bounds the cache's memory (about 0.5 kB an entry).
	maxCachedSessions = 10000
	// sessionCacheAge bounds how long rows are served from memory even
	// while the version stands still: a listener whose connection died
	// without an error (PostgreSQL) would otherwise never move it.
	sessionCacheAge = time.Second
)

func newSessionCache() sessionCache {
	return sessionCache{rows: versioned.New[[32]byte, sessionRows](maxCachedSessions, sessionCacheAge)}
}

func cacheKey(hash []byte) (k [32]byte, ok bool) {
	if len(hash) != len(k) {
		return k, false
	}
	copy(k[:], hash)
	return k, true
}

// get returns copies of the rows kept for hash if they were read at
// version, which must be the current one, nil otherwise.
func (c sessionCache) get(hash []byte, version uint64) (*varco.Session, *varco.Account) {
	k, ok := cacheKey(hash)
	if !ok {
		return nil, nil
	}
	r, ok := c.rows.Get(k, version)
	if !ok {
		return nil, nil
	}
	// One copy for both rows: callers may change what they are given.
	out := new(sessionRows)
	*out = r
	return &out.sess, &out.acct
}

// put keeps the rows read for hash at version, at read.
func (c sessionCache) put(hash []byte, version uint64, read time.Time, sess *varco.Session, a *varco.Account) {
	if k, ok := cacheKey(hash); ok {
		c.rows.Put(k, version, read, sessionRows{sess: *sess, acct: *a})
	}
}
