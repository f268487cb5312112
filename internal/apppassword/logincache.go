package apppassword

import (
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/versioned"
)

// loginCache keeps what store.Q.MailLogin read — an account's part by its
// normalized username, the throttling state by key — with the store's
// change version (DB.ChangeVersion) read before it (versioned.Cache). An
// entry is served only while that version is still the current one, so
// any change to what a mail login reads — an app password deleted or
// rotated, 2-step verification turned on or off, a protocol disabled, the
// account suspended, locked or disabled, the organization's plan or
// policy changed, a failure counted — made by this process or any other
// sends the next login back to the database (docs/architecture.md, "Mail
// logins are answered from memory while nothing changed").
//
// It caches rows, not decisions: Authenticate checks the app passwords'
// expiry and grace, the blocks' end, the account's status, protocols and
// plan on every login, against the clock, as it does with rows just read.
// Logins of unknown usernames are never kept, so guessing names does not
// fill it; it holds at most maxCachedLogins accounts and
// maxCachedThrottles keys.
type loginCache struct {
	views     *versioned.Cache[string, loginRows]   // by normalized username
	throttles *versioned.Cache[string, throttleRow] // by throttling key
}

// loginRows are an account's part of a MailLoginView: the view without
// its Account (kept here by value) and Throttles.
type loginRows struct {
	view store.MailLoginView
	acct varco.Account
}

// throttleRow is one throttling key's state.
type throttleRow struct {
	state  store.Throttle
	exists bool // false: the key had no state
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

func newLoginCache() loginCache {
	return loginCache{
		views:     versioned.New[string, loginRows](maxCachedLogins, loginCacheAge),
		throttles: versioned.New[string, throttleRow](maxCachedThrottles, loginCacheAge),
	}
}

// get returns the view of username with the throttling state of acctKey
// and ipKey if all three were read at version, which must be the current
// one; nil otherwise. The view's account is a copy; its app passwords are
// shared and must not be changed.
func (c loginCache) get(username, acctKey, ipKey string, version uint64) *store.MailLoginView {
	ta, ok := c.throttles.Get(acctKey, version)
	if !ok {
		return nil
	}
	ti, ok := c.throttles.Get(ipKey, version)
	if !ok {
		return nil
	}
	r, ok := c.views.Get(username, version)
	if !ok {
		return nil
	}
	// Two copies, not one of r: 80 and 288 bytes by the allocator's size
	// classes, where one of both would take 384.
	v, a := new(store.MailLoginView), new(varco.Account)
	*v, *a = r.view, r.acct
	v.Account = a
	v.Throttles = make(map[string]store.Throttle, 2)
	if ta.exists {
		v.Throttles[acctKey] = ta.state
	}
	if ti.exists {
		v.Throttles[ipKey] = ti.state
	}
	return v
}

// put keeps v, read for username, acctKey and ipKey at version, at read.
func (c loginCache) put(username, acctKey, ipKey string, version uint64, read time.Time, v *store.MailLoginView) {
	r := loginRows{view: *v, acct: *v.Account}
	r.view.Account, r.view.Throttles = nil, nil
	c.views.Put(username, version, read, r)
	ta, oka := v.Throttles[acctKey]
	c.throttles.Put(acctKey, version, read, throttleRow{state: ta, exists: oka})
	ti, oki := v.Throttles[ipKey]
	c.throttles.Put(ipKey, version, read, throttleRow{state: ti, exists: oki})
}

// len returns how many accounts and throttling keys are kept.
func (c loginCache) len() (views, throttles int) {
	return c.views.Len(), c.throttles.Len()
}
