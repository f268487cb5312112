package apppassword_test

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/apppassword"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// cacheRig is one process (e) answering mail logins from its login cache
// and a second process (other) on the same database, with its own
// Service, that changes things behind its back.
type cacheRig struct {
	*env
	other    *env
	url      string
	notified chan struct{} // PostgreSQL: a notification on varco_changes was acted on
}

func newCacheRig(t *testing.T, engine string) *cacheRig {
	// No sweep during a test: its statements would be counted.
	url, e, other := twoProcesses(t, engine, apppassword.Deps{Batching: apppassword.Batching{SweepEvery: time.Hour}})
	r := &cacheRig{env: e, other: other, url: url, notified: make(chan struct{}, 100)}
	// Without its listener a process serves nothing from memory.
	testenv.ListenChanges(t, e.db, func() { r.notified <- struct{}{} })
	return r
}

// settled waits, on PostgreSQL, for the notifications of n transactions
// this process committed on the tables a mail login reads: each moves the
// version once more when it comes back. Every step waits for its own
// writes', so none is pending when another process changes something.
func (r *cacheRig) settled(n int) {
	r.t.Helper()
	if r.db.Engine() != "postgres" {
		return
	}
	for range n {
		select {
		case <-r.notified:
		case <-time.After(10 * time.Second):
			r.t.Fatal("no notification of this process's own change")
		}
	}
	if len(r.notified) > 0 {
		r.t.Fatalf("%d notifications more than the changes made", len(r.notified))
	}
}

// byOther runs fn, one change committed by the other process, and waits,
// on PostgreSQL, until its notification reached this one.
func (r *cacheRig) byOther(fn func()) {
	r.t.Helper()
	if len(r.notified) > 0 {
		r.t.Fatalf("%d notifications pending before another process's change", len(r.notified))
	}
	fn()
	r.settled(1)
}

// login signs in as user with pw over imap and returns the error code
// ("" when signed in) and how many statements it sent.
func (r *cacheRig) login(user, pw, proto, resource string) (string, int64) {
	r.t.Helper()
	before := r.db.Statements()
	code := r.auth(user, pw, proto, resource)
	return code, r.db.Statements() - before
}

// warm signs in as user twice more after a first sign-in, and checks that
// the last came from the cache: only the change version (one pragma on
// SQLite, nothing on PostgreSQL). firstWrites is how many notifying
// transactions the first sign-in committed (its last use of the app
// password: 1).
func (r *cacheRig) warm(user, pw, proto, resource string, firstWrites int) {
	r.t.Helper()
	if code, _ := r.login(user, pw, proto, resource); code != "" {
		r.t.Fatalf("first sign-in: %q", code)
	}
	r.settled(firstWrites)
	if code, _ := r.login(user, pw, proto, resource); code != "" {
		r.t.Fatalf("second sign-in: %q", code)
	}
	code, n := r.login(user, pw, proto, resource)
	if code != "" || n != 0 {
		r.t.Fatalf("third sign-in: %q with %d statements, want signed in with none (from the cache)", code, n)
	}
}

// account makes an account (with 2-step verification, an app password)
// and settles its writes.
func (r *cacheRig) account(email, plan string) (*varco.Account, *apppassword.Created) {
	a := r.env.account(email, plan, true)
	c := r.create(a, "Thunderbird")
	r.settled(2) // the device, the app password
	return a, c
}

// exec runs one statement on the database through a connection of its
// own, as another program would (there is no store method for it).
func (r *cacheRig) exec(query string, args ...any) {
	r.t.Helper()
	driver := map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[r.db.Engine()]
	db, err := sql.Open(driver, r.url)
	if err != nil {
		r.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(r.ctx, query, args...); err != nil {
		r.t.Fatal(err)
	}
}

// TestLoginCacheRevocation: with the cache warm, each change made by
// another process is seen by the very next mail login: revocations are
// immediate, and so is a new app password.
func TestLoginCacheRevocation(t *testing.T) {
	tests := []struct {
		name     string
		resource string
		after    int // notifying transactions of the login after the change
		// change is made by the other process; it returns the password
		// to try next and the code expected.
		change func(r *cacheRig, a *varco.Account, c *apppassword.Created) (pw, code string)
	}{
		{"app password deleted", "", 1, func(r *cacheRig, a *varco.Account, c *apppassword.Created) (string, string) {
			if err := r.other.svc.Delete(r.ctx, a, c.ID, varco.Meta{}); err != nil {
				r.t.Fatal(err)
			}
			return c.Password, varco.EInvalidCredentials
		}},
		{"app password rotated, grace over", "", 1, func(r *cacheRig, a *varco.Account, c *apppassword.Created) (string, string) {
			if _, err := r.other.svc.Rotate(r.ctx, a, c.ID, varco.Meta{}); err != nil {
				r.t.Fatal(err)
			}
			r.clk.Advance(apppassword.RotateGrace)
			return c.Password, varco.EInvalidCredentials
		}},
		{"app password rotated, new secret", "", 0, func(r *cacheRig, a *varco.Account, c *apppassword.Created) (string, string) {
			n, err := r.other.svc.Rotate(r.ctx, a, c.ID, varco.Meta{})
			if err != nil {
				r.t.Fatal(err)
			}
			return n.Password, ""
		}},
		{"new app password", "", 1, func(r *cacheRig, a *varco.Account, _ *apppassword.Created) (string, string) {
			return r.other.create(a, "Phone").Password, ""
		}},
		{"2-step verification turned off", "", 1, func(r *cacheRig, a *varco.Account, c *apppassword.Created) (string, string) {
			// As auth's turnOff does: the device and every app password go.
			if err := r.other.db.InTx(r.ctx, func(q *store.Q) error {
				if _, err := q.DeletePushDevice(r.ctx, a.ID); err != nil {
					return err
				}
				_, err := q.DeleteAppPasswords(r.ctx, a.ID)
				return err
			}); err != nil {
				r.t.Fatal(err)
			}
			return c.Password, varco.EInvalidCredentials
		}},
		{"imap disabled", "", 1, func(r *cacheRig, a *varco.Account, c *apppassword.Created) (string, string) {
			if _, err := r.other.svc.SetMailAccess(r.ctx, a, store.MailAccess{POP3: true, SMTP: true}); err != nil {
				r.t.Fatal(err)
			}
			return c.Password, varco.EInvalidCredentials
		}},
		{"account suspended", "", 1, func(r *cacheRig, a *varco.Account, c *apppassword.Created) (string, string) {
			return c.Password, r.status(a, varco.StatusSuspended)
		}},
		{"account locked", "", 1, func(r *cacheRig, a *varco.Account, c *apppassword.Created) (string, string) {
			return c.Password, r.status(a, varco.StatusLocked)
		}},
		{"account disabled", "", 1, func(r *cacheRig, a *varco.Account, c *apppassword.Created) (string, string) {
			return c.Password, r.status(a, varco.StatusDisabled)
		}},
		{"plan without the archive", varco.ResourceArchive, 1, func(r *cacheRig, a *varco.Account, c *apppassword.Created) (string, string) {
			r.exec(`UPDATE orgs SET plan = $1 WHERE id = $2`, varco.PlanBasic, a.OrgID)
			return c.Password, varco.EInvalidCredentials
		}},
		{"blocked by another process's failures", "", 0, func(r *cacheRig, a *varco.Account, c *apppassword.Created) (string, string) {
			// Four failures here, the fifth there: the account is blocked.
			for range 4 {
				if code, _ := r.login(a.Email, "wrong", "imap", ""); code != varco.EInvalidCredentials {
					r.t.Fatalf("wrong password: %q", code)
				}
				r.settled(1)
			}
			if code := r.other.auth(a.Email, "wrong", "imap", ""); code != varco.EInvalidCredentials {
				r.t.Fatalf("wrong password there: %q", code)
			}
			return c.Password, varco.ETooManyAttempts
		}},
	}
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			r := newCacheRig(t, engine)
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					r.t, r.other.t = t, t
					defer func() { r.clk.Set(t0) }()
					a, c := r.account(fmt.Sprintf("user%d@example.test", i), varco.PlanPro)
					r.warm(a.Email, c.Password, "imap", tt.resource, 1)
					var pw, code string
					if strings.HasPrefix(tt.name, "blocked") {
						// Its own writes settle one by one; the last is the other's.
						if len(r.notified) > 0 {
							t.Fatal("notifications pending")
						}
						pw, code = tt.change(r, a, c)
						r.settled(1)
					} else {
						r.byOther(func() { pw, code = tt.change(r, a, c) })
					}
					if got, _ := r.login(a.Email, pw, "imap", tt.resource); got != code {
						t.Fatalf("after the change: %q, want %q", got, code)
					}
					r.settled(tt.after)
				})
			}
		})
	}
}

// status sets a's status in the other process.
func (r *cacheRig) status(a *varco.Account, status string) string {
	if err := r.other.db.SetAccountStatus(r.ctx, a.ID, status); err != nil {
		r.t.Fatal(err)
	}
	return varco.EInvalidCredentials
}

// TestLoginCacheExpiry: an app password that expires while its login is
// cached is refused at once: expiry is checked against the clock on every
// login, not kept. The same for the previous secret's grace.
func TestLoginCacheExpiry(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			r := newCacheRig(t, engine)
			a, c := r.account("mario@example.test", varco.PlanPro)
			r.clk.Set(c.ExpiresAt.Add(-time.Second))
			r.warm(a.Email, c.Password, "imap", "", 1)
			r.clk.Advance(time.Second)
			if code, _ := r.login(a.Email, c.Password, "imap", ""); code != varco.EInvalidCredentials {
				t.Fatalf("expired while cached: %q", code)
			}
			r.settled(1)
		})
	}
}

// TestLoginCacheBound: many usernames, known or not, never grow the cache
// past its bound, and unknown ones are not kept at all.
func TestLoginCacheBound(t *testing.T) {
	db := testenv.OpenDB(t, "sqlite")
	e := newEnv(t, db)
	a := e.account("mario@example.test", varco.PlanPro, true)
	c := e.create(a, "Thunderbird")
	want(t, "sign-in", e.auth(a.Email, c.Password, "imap", ""), "")
	for i := range 15 { // fewer than the address's failures that block it
		e.auth(fmt.Sprintf("guess%d@example.test", i), c.Password, "imap", "")
	}
	if views, _ := apppassword.CacheLen(e.svc); views > 1 {
		t.Fatalf("%d accounts kept after unknown usernames, want at most 1", views)
	}
	// Known accounts past the bound, each from many addresses.
	apppassword.FillCache(e.svc, 3*apppassword.MaxCachedLogins)
	views, throttles := apppassword.CacheLen(e.svc)
	if views > apppassword.MaxCachedLogins || throttles > 2*apppassword.MaxCachedLogins {
		t.Fatalf("cache holds %d accounts and %d keys, bound %d", views, throttles, apppassword.MaxCachedLogins)
	}
	want(t, "sign-in after", e.auth(a.Email, c.Password, "imap", ""), "")
}
