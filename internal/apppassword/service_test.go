package apppassword_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/apppassword"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

var t0 = time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)

// verifier accepts an account password equal to its stored "hash".
type verifier struct{}

func (verifier) Verify(_ context.Context, pw, encoded string) (bool, error) {
	return pw == encoded, nil
}
func (verifier) DummyVerify(context.Context, string) error { return nil }

type env struct {
	t   *testing.T
	db  *store.DB
	clk *clock.Manual
	svc *apppassword.Service
	ctx context.Context
}

func newEnv(t *testing.T, db *store.DB) *env { return newEnvWith(t, db, apppassword.Deps{}) }

// newEnvWith is newEnv with d's other fields (Throttle, Batching,
// MailCache).
func newEnvWith(t *testing.T, db *store.DB, d apppassword.Deps) *env {
	return envOn(t, db, newKeys(t), clock.NewManual(t0), d)
}

// twoProcesses opens a fresh database of engine twice, as two varco
// processes behind a load balancer (on SQLite, two pools on one file): one
// and two each have their own Service (with d's other fields, as
// newEnvWith), and share the history's key, the app password keys and the
// clock. url is the database's.
func twoProcesses(t *testing.T, engine string, d apppassword.Deps) (url string, one, two *env) {
	url = testenv.DatabaseURL(t, engine)
	db, other := testenv.OpenDBAt(t, url), testenv.OpenDBAt(t, url)
	other.SetAuditKeys(db.AuditKeys()) // one chain, sealed with one key
	keys, clk := newKeys(t), clock.NewManual(t0)
	return url, envOn(t, db, keys, clk, d), envOn(t, other, keys, clk, d)
}

// envOn is an env whose Service, on db with keys and clk, is closed when
// the test ends.
func envOn(t *testing.T, db *store.DB, keys *apppassword.Keys, clk *clock.Manual, d apppassword.Deps) *env {
	d.DB, d.Keys, d.Clock, d.Verifier = db, keys, clk, verifier{}
	svc := apppassword.NewService(d)
	t.Cleanup(func() { _ = svc.Close(context.Background()) })
	return &env{t: t, db: db, clk: clk, ctx: context.Background(), svc: svc}
}

func newKeys(t *testing.T) *apppassword.Keys {
	keys, err := apppassword.LoadKeys(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// account makes an account on a new organization of plan; twoFactor
// enrolls a device.
func (e *env) account(email, plan string, twoFactor bool) *varco.Account {
	e.t.Helper()
	o := &varco.Org{Name: email, Plan: plan, CreatedAt: t0}
	if err := e.db.CreateOrg(e.ctx, o); err != nil {
		e.t.Fatal(err)
	}
	a := &varco.Account{OrgID: o.ID, Email: email, Lang: "en", Role: varco.RoleUser, Status: varco.StatusActive,
		PasswordHash: "account-pw", PasswordChangedAt: t0, CreatedAt: t0}
	if err := e.db.CreateAccount(e.ctx, a); err != nil {
		e.t.Fatal(err)
	}
	if twoFactor {
		d := &store.PushDevice{AccountID: a.ID, PublicID: "dev-" + email, Kind: "cli", PublicKey: make([]byte, 32), TokenHash: []byte(email), CreatedAt: t0}
		if err := e.db.InTx(e.ctx, func(q *store.Q) error { return q.ReplacePushDevice(e.ctx, d) }); err != nil {
			e.t.Fatal(err)
		}
	}
	return a
}

func (e *env) create(a *varco.Account, label string) *apppassword.Created {
	e.t.Helper()
	c, err := e.svc.Create(e.ctx, a, label, varco.Meta{IP: "192.0.2.1"})
	if err != nil {
		e.t.Fatalf("create: %v", err)
	}
	return c
}

func (e *env) auth(user, pw, proto, resource string) string {
	e.t.Helper()
	return varco.ErrorCode(e.svc.Authenticate(e.ctx, apppassword.MailLogin{Username: user, Password: pw, Protocol: proto, ClientIP: "198.51.100.7", Resource: resource}))
}

func (e *env) count(a *varco.Account, event string) int {
	e.t.Helper()
	evs, err := e.db.ListEvents(e.ctx, store.EventFilter{AccountID: a.ID, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Event == event {
			n++
		}
	}
	return n
}

// failures returns how many failed mail logins the account's history
// records: the sum of the mail_login_failed events' counts.
func (e *env) failures(a *varco.Account) int64 {
	e.t.Helper()
	evs, err := e.db.ListEvents(e.ctx, store.EventFilter{AccountID: a.ID, Types: []string{varco.EventMailLoginFailed}, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	var n int64
	for _, ev := range evs {
		n += max(ev.Count, 1)
	}
	return n
}

func want(t *testing.T, what, got, code string) {
	t.Helper()
	if got != code {
		t.Fatalf("%s: got %q, want %q", what, got, code)
	}
}

// TestSeed_7_AppPasswordLifecycle: shown once in groups of four; expires
// after 90 days; a rotation keeps the old secret 72 hours; a deletion
// revokes at once; the account password is refused with 2FA on.
func TestSeed_7_AppPasswordLifecycle(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a := e.account("mario@example.test", varco.PlanBasic, true)
		c := e.create(a, "Thunderbird")
		if len(c.Password) != 19 || strings.Count(c.Password, " ") != 3 || !c.ExpiresAt.Equal(t0.Add(90*24*time.Hour)) {
			t.Fatalf("created: %+v", c)
		}
		want(t, "app password", e.auth(a.Email, c.Password, "imap", ""), "")
		want(t, "upper case, no spaces", e.auth(strings.ToUpper(a.Email), strings.ToUpper(strings.ReplaceAll(c.Password, " ", "")), "smtp", ""), "")
		want(t, "account password with 2FA on", e.auth(a.Email, "account-pw", "imap", ""), varco.EInvalidCredentials)

		e.clk.Advance(24 * time.Hour)
		r, err := e.svc.Rotate(e.ctx, a, c.ID, varco.Meta{})
		if err != nil || r.ID != c.ID || r.Password == c.Password {
			t.Fatalf("rotate: %+v %v", r, err)
		}
		e.clk.Advance(72*time.Hour - time.Second)
		want(t, "old secret within 72 h", e.auth(a.Email, c.Password, "imap", ""), "")
		want(t, "new secret", e.auth(a.Email, r.Password, "imap", ""), "")
		e.clk.Advance(time.Second)
		want(t, "old secret after 72 h", e.auth(a.Email, c.Password, "imap", ""), varco.EInvalidCredentials)

		e.clk.Set(r.ExpiresAt.Add(-time.Second))
		want(t, "new secret before expiry", e.auth(a.Email, r.Password, "pop3", ""), "")
		e.clk.Advance(time.Second)
		want(t, "new secret at 90 days", e.auth(a.Email, r.Password, "pop3", ""), varco.EInvalidCredentials)

		d := e.create(a, "Phone")
		want(t, "second", e.auth(a.Email, d.Password, "imap", ""), "")
		if err := e.svc.Delete(e.ctx, a, d.ID, varco.Meta{}); err != nil {
			t.Fatal(err)
		}
		want(t, "deleted", e.auth(a.Email, d.Password, "imap", ""), varco.EInvalidCredentials)
		if err := e.svc.Delete(e.ctx, a, d.ID, varco.Meta{}); !varco.IsCode(err, varco.ENotFound) {
			t.Fatalf("delete again: %v", err)
		}
		for ev, n := range map[string]int{varco.EventAppPasswordCreated: 2, varco.EventAppPasswordRotated: 1, varco.EventAppPasswordDeleted: 1} {
			if got := e.count(a, ev); got != n {
				t.Fatalf("%s: %d events, want %d", ev, got, n)
			}
		}
	})
}

// TestSeed_7_GenerationRules: 2FA required, a protocol required, at most 10.
func TestSeed_7_GenerationRules(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		off := e.account("off@example.test", varco.PlanBasic, false)
		if _, err := e.svc.Create(e.ctx, off, "x", varco.Meta{}); !varco.IsCode(err, varco.ETwoFactorRequired) {
			t.Fatalf("2FA off: %v", err)
		}
		a := e.account("on@example.test", varco.PlanBasic, true)
		if _, err := e.svc.SetMailAccess(e.ctx, a, store.MailAccess{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Create(e.ctx, a, "x", varco.Meta{}); !varco.IsCode(err, varco.ENoMailProtocol) {
			t.Fatalf("no protocol: %v", err)
		}
		if _, err := e.svc.SetMailAccess(e.ctx, a, store.MailAccess{POP3: true}); err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			e.create(a, "client "+string(rune('a'+i)))
		}
		if _, err := e.svc.Create(e.ctx, a, "eleventh", varco.Meta{}); !varco.IsCode(err, varco.EAppPasswordLimit) {
			t.Fatalf("eleventh: %v", err)
		}
		for _, label := range []string{"", "   ", strings.Repeat("x", 65), "a\x00b", "a\nb", "\xff"} {
			if _, err := e.svc.Create(e.ctx, a, label, varco.Meta{}); !varco.IsCode(err, varco.EInvalidInput) {
				t.Fatalf("label %q: %v", label, err)
			}
		}
	})
}

// TestSeed_7_MailAuthRules: only enabled protocols; the archive only on
// pro/premium; the account password with 2FA off (unless the organization
// forbids it); refused accounts; 2FA off revokes every app password is in
// the auth package's hook, checked through the API.
func TestSeed_7_MailAuthRules(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		basic := e.account("basic@example.test", varco.PlanBasic, true)
		pro := e.account("pro@example.test", varco.PlanPro, true)
		cb, cp := e.create(basic, "m"), e.create(pro, "m")
		want(t, "basic archive", e.auth(basic.Email, cb.Password, "imap", "archive"), varco.EInvalidCredentials)
		want(t, "basic mailbox", e.auth(basic.Email, cb.Password, "imap", "mailbox"), "")
		want(t, "pro archive", e.auth(pro.Email, cp.Password, "imap", "archive"), "")
		if acc, err := e.svc.MailAccess(e.ctx, pro); err != nil || strings.Join(acc.Resources, ",") != "mailbox,archive" {
			t.Fatalf("pro access: %+v %v", acc, err)
		}
		if acc, err := e.svc.MailAccess(e.ctx, basic); err != nil || strings.Join(acc.Resources, ",") != "mailbox" {
			t.Fatalf("basic access: %+v %v", acc, err)
		}

		if _, err := e.svc.SetMailAccess(e.ctx, basic, store.MailAccess{IMAP: true}); err != nil {
			t.Fatal(err)
		}
		want(t, "pop3 disabled", e.auth(basic.Email, cb.Password, "pop3", ""), varco.EInvalidCredentials)
		want(t, "imap enabled", e.auth(basic.Email, cb.Password, "imap", ""), "")

		plain := e.account("plain@example.test", varco.PlanBasic, false)
		want(t, "account password, 2FA off", e.auth(plain.Email, "account-pw", "imap", ""), "")
		want(t, "wrong password", e.auth(plain.Email, "nope", "imap", ""), varco.EInvalidCredentials)
		if err := db.SetOrgMailAccountPassword(e.ctx, plain.OrgID, false); err != nil {
			t.Fatal(err)
		}
		want(t, "account password, org forbids", e.auth(plain.Email, "account-pw", "imap", ""), varco.EInvalidCredentials)

		for _, status := range []string{varco.StatusSuspended, varco.StatusLocked, varco.StatusDisabled} {
			if err := db.SetAccountStatus(e.ctx, pro.ID, status); err != nil {
				t.Fatal(err)
			}
			want(t, status, e.auth(pro.Email, cp.Password, "imap", ""), varco.EInvalidCredentials)
		}
		want(t, "unknown account", e.auth("nobody@example.test", cp.Password, "imap", ""), varco.EInvalidCredentials)
		if n := e.count(basic, varco.EventMailLoginFailed); n != 2 {
			t.Fatalf("basic failures recorded: %d", n)
		}
	})
}

// TestSeed_7_SuccessEventOncePerHour: mail_login_succeeded at most once
// per app password, IP and protocol an hour; the last use is kept.
func TestSeed_7_SuccessEventOncePerHour(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a := e.account("m@example.test", varco.PlanBasic, true)
		c := e.create(a, "m")
		for range 3 {
			want(t, "imap", e.auth(a.Email, c.Password, "imap", ""), "")
		}
		if n := e.count(a, varco.EventMailLoginSucceeded); n != 1 {
			t.Fatalf("after 3 imap logins: %d events", n)
		}
		want(t, "smtp", e.auth(a.Email, c.Password, "smtp", ""), "")
		e.clk.Advance(59 * time.Minute)
		want(t, "imap", e.auth(a.Email, c.Password, "imap", ""), "")
		if n := e.count(a, varco.EventMailLoginSucceeded); n != 2 {
			t.Fatalf("within the hour: %d events", n)
		}
		e.clk.Advance(time.Minute)
		want(t, "imap", e.auth(a.Email, c.Password, "imap", ""), "")
		if n := e.count(a, varco.EventMailLoginSucceeded); n != 3 {
			t.Fatalf("after the hour: %d events", n)
		}
		list, err := e.svc.List(e.ctx, a)
		if err != nil || len(list) != 1 || !list[0].LastUsedAt.Equal(e.clk.Now()) || list[0].LastUsedIP != "198.51.100.7" ||
			list[0].LastUsedProtocol != "imap" || list[0].Hash != nil {
			t.Fatalf("list: %+v %v", list, err)
		}
	})
}

// TestSeed_7_MailThrottling: from the 5th failure of an account logins
// wait, answered too_many_attempts with nothing written; a right password
// after the wait forgets the failures.
func TestSeed_7_MailThrottling(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a := e.account("t@example.test", varco.PlanBasic, true)
		c := e.create(a, "m")
		for range 5 {
			want(t, "wrong", e.auth(a.Email, "aaaabbbbccccdddd", "imap", ""), varco.EInvalidCredentials)
		}
		err := e.svc.Authenticate(e.ctx, apppassword.MailLogin{Username: a.Email, Password: c.Password, Protocol: "imap", ClientIP: "198.51.100.7"})
		var ve *varco.Error
		if !varco.IsCode(err, varco.ETooManyAttempts) || !errorsAs(err, &ve) || ve.RetryAfter != 1 {
			t.Fatalf("blocked: %v", err)
		}
		// Five identical failures within a minute: recorded once, with
		// their count, when their minute closes.
		if n := e.count(a, varco.EventMailLoginFailed); n != 1 {
			t.Fatalf("identical failures: %d events before the minute closes, want 1", n)
		}
		if err := e.svc.Close(e.ctx); err != nil {
			t.Fatal(err)
		}
		if n := e.failures(a); n != 5 {
			t.Fatalf("a blocked attempt wrote: %d failures", n)
		}
		e.clk.Advance(time.Second)
		want(t, "after the wait", e.auth(a.Email, c.Password, "imap", ""), "")
		want(t, "one more wrong", e.auth(a.Email, "x", "imap", ""), varco.EInvalidCredentials)
		want(t, "not blocked", e.auth(a.Email, c.Password, "imap", ""), "")
	})
}

func errorsAs(err error, target **varco.Error) bool { return errors.As(err, target) }
