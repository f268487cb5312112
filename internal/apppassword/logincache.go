package apppassword

import (
	"sync"
	"time"

	"varco.dev/varco/internal/store"
)

// loginCache keeps what store.Q.MailLogin read — an account's part by its
// normalized username, the throttling state by key — with the store's
// change version (DB.ChangeVersion) read before it. An entry is served
// only while that version is still the current one, so any change to what
// a mail login reads — an app password deleted or rotated, 2-step
// verification turned on or off, a protocol disabled, the account
// suspended, locked or disabled, the organization's plan or policy
// changed, a failure counted — made by this process or any other sends
// the next login back to the database (docs/architecture.md, "Caches").
//
// It caches rows, not decisions: Authenticate checks the app passwords'
// expiry and grace, the blocks' end, the account's status, protocols and
// plan on every login, against the clock, as it does with rows just read.
// Logins of unknown usernames are never kept, so guessing names does not
// fill it; it holds at most maxCachedLogins accounts and
// maxCachedThrottles keys, dropping a random entry when full.
type loginCache struct {
	mu        sync.RWMutex
	views     map[string]*cachedView     // by normalized username
	throttles map[string]*cachedThrottle // by throttling key
}

type cachedView struct {
	version uint64
	read    time.Time // when the rows were read, by the process's monotonic clock
	view    store.MailLoginView
}

type cachedThrottle struct {
	version uint64
	read    time.Time
	state   store.Throttle
	exists  bool // false: the key had no state
}

const (
	// maxCachedLogins bounds the accounts kept (about 1 kB each with a
	// few app passwords); maxCachedThrottles the throttling keys (an
	// account's and an IP's per login).
	maxCachedLogins    = 10000
	maxCachedThrottles = 2 * maxCachedLogins
	// loginCacheAge bounds how long rows are served from memory even
	// while the version stands still: a listener whose connection died
	// without an error (PostgreSQL) would otherwise never move it. The
	// same bound as the session cache's.
	loginCacheAge = time.Second
)

func fresh(version, at uint64, read time.Time) bool {
	return version == at && time.Since(read) < loginCacheAge
}

// get returns the view of username with the throttling state of acctKey
// and ipKey if all three were read at version, which must be the current
// one; nil otherwise. The view's account is a copy; its app passwords are
// shared and must not be changed.
func (c *loginCache) get(username, acctKey, ipKey string, version uint64) *store.MailLoginView {
	c.mu.RLock()
	e, ta, ti := c.views[username], c.throttles[acctKey], c.throttles[ipKey]
	c.mu.RUnlock()
	if e == nil || ta == nil || ti == nil ||
		!fresh(version, e.version, e.read) || !fresh(version, ta.version, ta.read) || !fresh(version, ti.version, ti.read) {
		return nil
	}
	v := e.view
	a := *e.view.Account
	v.Account = &a
	v.Throttles = make(map[string]store.Throttle, 2)
	if ta.exists {
		v.Throttles[acctKey] = ta.state
	}
	if ti.exists {
		v.Throttles[ipKey] = ti.state
	}
	return &v
}

// put keeps v, read for username, acctKey and ipKey at version.
func (c *loginCache) put(username, acctKey, ipKey string, version uint64, read time.Time, v *store.MailLoginView) {
	a := *v.Account
	e := &cachedView{version: version, read: read, view: *v}
	e.view.Account, e.view.Throttles = &a, nil
	ta, oka := v.Throttles[acctKey]
	ti, oki := v.Throttles[ipKey]
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.views == nil {
		c.views = make(map[string]*cachedView)
		c.throttles = make(map[string]*cachedThrottle)
	}
	putBounded(c.views, username, e, maxCachedLogins)
	putBounded(c.throttles, acctKey, &cachedThrottle{version: version, read: read, state: ta, exists: oka}, maxCachedThrottles)
	putBounded(c.throttles, ipKey, &cachedThrottle{version: version, read: read, state: ti, exists: oki}, maxCachedThrottles)
}

// putBounded sets m[k] = v, first dropping a random entry (Go's map
// iteration starts at a random place) when m is full and k is new.
func putBounded[V any](m map[string]V, k string, v V, limit int) {
	if _, there := m[k]; !there && len(m) >= limit {
		for old := range m {
			delete(m, old)
			break
		}
	}
	m[k] = v
}

// len returns how many accounts and throttling keys are kept.
func (c *loginCache) len() (views, throttles int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.views), len(c.throttles)
}
