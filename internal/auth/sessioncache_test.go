package auth

import (
	"context"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// cacheRig is one process's auth.Service on a database, its rows served
// from the session cache, and a second process (other) on the same
// database that changes things behind its back.
type cacheRig struct {
	t        *testing.T
	db       *store.DB
	other    *store.DB
	s        *Service
	clock    *clock.Manual
	notified chan struct{} // PostgreSQL: a notification of another process's change was acted on
	account  *varco.Account
}

func newCacheRig(t *testing.T, engine string) *cacheRig {
	ctx := t.Context()
	url := testenv.DatabaseURL(t, engine)
	db, other := testenv.OpenDBAt(t, url), testenv.OpenDBAt(t, url)
	clk := clock.NewManual(time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC))
	r := &cacheRig{t: t, db: db, other: other, clock: clk, notified: make(chan struct{}, 100),
		s: New(Deps{DB: db, Clock: clk}, Config{SessionIdle: 30 * time.Minute})}
	org := &varco.Org{Name: "acme", Plan: varco.PlanPro, CreatedAt: clk.Now()}
	if err := db.CreateOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	r.account = &varco.Account{OrgID: org.ID, Email: "mario@acme.test", Lang: "it", Role: varco.RoleUser,
		Status: varco.StatusActive, PasswordHash: "x", PasswordChangedAt: clk.Now(), CreatedAt: clk.Now()}
	if err := db.CreateAccount(ctx, r.account); err != nil {
		t.Fatal(err)
	}
	// Without its listener a process serves nothing from memory.
	testenv.ListenChanges(t, db, func() { r.notified <- struct{}{} })
	return r
}

// session opens a session for the account and returns its token.
func (r *cacheRig) session() (string, *varco.Session) {
	token, hash, err := varco.NewToken()
	if err != nil {
		r.t.Fatal(err)
	}
	now := r.clock.Now()
	sess := &varco.Session{AccountID: r.account.ID, TokenHash: hash, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(12 * time.Hour)}
	if err := r.db.InTx(r.t.Context(), func(q *store.Q) error { return q.CreateSession(r.t.Context(), sess) }); err != nil {
		r.t.Fatal(err)
	}
	return token, sess
}

// auth authenticates token and returns the error code ("" when signed in)
// and how many statements it sent.
func (r *cacheRig) auth(token string) (code string, statements int64) {
	r.t.Helper()
	before := r.db.Statements()
	_, _, err := r.s.Authenticate(r.t.Context(), token)
	n := r.db.Statements() - before
	if err != nil && varco.ErrorCode(err) == "" {
		r.t.Fatalf("authenticate: %v", err)
	}
	return varco.ErrorCode(err), n
}

// warm authenticates token twice and checks that the second time came from
// the cache: no statement at all (the change version is read from SQLite's
// WAL index or kept by PostgreSQL's notifications).
func (r *cacheRig) warm(token string) {
	r.t.Helper()
	r.mustAuth(token)
	code, n := r.auth(token)
	if code != "" || n != 0 {
		r.t.Fatalf("second lookup: %q with %d statements, want signed in with none (from the cache)", code, n)
	}
}

// settled waits, on PostgreSQL, for the notification of this process's own
// last write: it moves the version once more when it comes back, and a
// lookup cached before that is read again after it. Every subtest waits
// for its own writes' notifications, so none is pending at the next.
func (r *cacheRig) settled() {
	if r.db.Engine() == "postgres" {
		<-r.notified
	}
}

func (r *cacheRig) mustAuth(token string) {
	r.t.Helper()
	if code, _ := r.auth(token); code != "" {
		r.t.Fatalf("session refused: %s", code)
	}
}

// byOther runs a change in the other process and, on PostgreSQL, waits
// until its notification reached this one.
func (r *cacheRig) byOther(fn func(ctx context.Context, q *store.Q) error) {
	r.t.Helper()
	for len(r.notified) > 0 {
		<-r.notified
	}
	if err := r.other.InTx(r.t.Context(), func(q *store.Q) error { return fn(r.t.Context(), q) }); err != nil {
		r.t.Fatal(err)
	}
	if r.db.Engine() == "postgres" {
		<-r.notified
	}
}

// The session cache keeps every rule of Authenticate: a revocation, a
// disabled account or a role change made by this process takes effect on
// the very next request, one made by another process as soon as it is
// committed (SQLite: the next request; PostgreSQL: once its notification
// arrived, and nothing is served from memory while the listener is down),
// and the idle and absolute limits are checked against the clock on every
// request, cached rows or not.
func TestSessionCacheKeepsRevocationAndLimits(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			r := newCacheRig(t, engine)
			ctx := t.Context()
			m := Meta{IP: "192.0.2.1", UserAgent: "test", Application: "api"}

			t.Run("revoked by this process", func(t *testing.T) {
				r.t = t
				tok, sess := r.session()
				r.warm(tok)
				if err := r.s.RevokeSession(ctx, r.account, sess.ID, m); err != nil {
					t.Fatal(err)
				}
				if code, _ := r.auth(tok); code != varco.EUnauthorized {
					t.Fatalf("revoked session: %q", code)
				}
				r.settled()
			})
			t.Run("revoked by another process", func(t *testing.T) {
				r.t = t
				tok, _ := r.session()
				r.warm(tok)
				r.byOther(func(ctx context.Context, q *store.Q) error {
					_, err := q.RevokeAllSessions(ctx, r.account.ID, 0, r.clock.Now())
					return err
				})
				if code, _ := r.auth(tok); code != varco.EUnauthorized {
					t.Fatalf("session revoked by another process: %q", code)
				}
			})
			t.Run("account disabled by another process", func(t *testing.T) {
				r.t = t
				tok, _ := r.session()
				r.warm(tok)
				r.byOther(func(ctx context.Context, q *store.Q) error {
					return q.SetAccountStatus(ctx, r.account.ID, varco.StatusDisabled)
				})
				if code, _ := r.auth(tok); code != varco.EUnauthorized {
					t.Fatalf("disabled account: %q", code)
				}
				if err := r.db.SetAccountStatus(ctx, r.account.ID, varco.StatusActive); err != nil {
					t.Fatal(err)
				}
				r.mustAuth(tok) // this process's own write: no waiting
				r.settled()
			})
			t.Run("idle limit exact", func(t *testing.T) {
				r.t = t
				tok, _ := r.session()
				r.warm(tok)
				// 30 minutes unused is still within the limit: the
				// request writes last_seen_at, and the next one reads it.
				r.clock.Advance(30 * time.Minute)
				r.mustAuth(tok)
				r.settled()
				r.warm(tok)
				// From cached rows, one second past the limit is over.
				r.clock.Advance(30*time.Minute + time.Second)
				if code, _ := r.auth(tok); code != varco.EUnauthorized {
					t.Fatalf("idle session from the cache: %q", code)
				}
			})
			t.Run("absolute limit", func(t *testing.T) {
				r.t = t
				tok, _ := r.session()
				for range 24 { // used every 29 minutes for 12 hours
					r.clock.Advance(29 * time.Minute)
					r.mustAuth(tok)
					r.settled()
					r.warm(tok)
				}
				r.clock.Advance(29 * time.Minute)
				if code, _ := r.auth(tok); code != varco.EUnauthorized {
					t.Fatalf("session past its absolute limit: %q", code)
				}
			})
			t.Run("unknown token", func(t *testing.T) {
				r.t = t
				tok, _, _ := varco.NewToken()
				for range 2 {
					if code, _ := r.auth(tok); code != varco.EUnauthorized {
						t.Fatalf("unknown token: %q", code)
					}
				}
			})
		})
	}
}

// The session cache holds at most maxCachedSessions tokens however many
// are looked up, and keeps nothing for a hash of the wrong length.
func TestSessionCacheBound(t *testing.T) {
	c := newSessionCache()
	now := time.Now()
	sess, a := &varco.Session{ID: 1}, &varco.Account{ID: 1}
	for i := range 2 * maxCachedSessions {
		_, hash, err := varco.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		c.put(hash, 1, now, sess, a)
		if i == 0 {
			s, acct := c.get(hash, 1)
			if s == nil || acct == nil || s.ID != 1 || acct.ID != 1 {
				t.Fatalf("rows just put: %v %v", s, acct)
			}
			s.ID, acct.ID = 2, 2 // callers may change what they are given
			if s, acct := c.get(hash, 1); s.ID != 1 || acct.ID != 1 {
				t.Fatalf("kept rows changed by a caller: %d %d", s.ID, acct.ID)
			}
		}
	}
	if n := c.rows.Len(); n != maxCachedSessions {
		t.Fatalf("holds %d sessions, bound %d", n, maxCachedSessions)
	}
	c.put([]byte("short"), 1, now, sess, a)
	if s, _ := c.get([]byte("short"), 1); s != nil || c.rows.Len() != maxCachedSessions {
		t.Fatal("a hash of the wrong length was kept")
	}
}
