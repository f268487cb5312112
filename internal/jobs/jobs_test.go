package jobs_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/app"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/fixture"
	"varco.dev/varco/internal/testenv/smtpsink"
)

const day = 24 * time.Hour

var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

type env struct {
	*fixture.Fixture
	t     *testing.T
	app   *app.App
	clock *clock.Manual
	sink  *smtpsink.Sink
	cfg   *config.Config // every process of the test shares it
}

// newEnv starts varco on engine with a manual clock at t0 and a real SMTP
// sink, and mario in acme with a contact e-mail. The test runs the jobs.
func newEnv(t *testing.T, engine string) *env {
	sink := smtpsink.Start(t)
	cfg := fixture.Config(t, engine)
	cfg.SMTPURL = sink.URL()
	e := &env{t: t, clock: clock.NewManual(t0), sink: sink, cfg: cfg}
	e.app = e.open()
	e.Fixture = fixture.New(t, e.app.Admin, e.app.DB)
	e.Mario(varco.PlanPro, admin.NewUser{ContactEmail: "mario@home.test", Language: "it"})
	return e
}

// forEachEngine runs fn as a subtest on every engine with a fresh env.
func forEachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) { fn(t, newEnv(t, engine)) })
	}
}

// open builds another varco on the same database: a second process.
func (e *env) open() *app.App {
	return fixture.Start(e.t, e.cfg, fixture.Options{Clock: e.clock})
}

// at moves the clock to t0 + d, runs the jobs and delivers the mail.
func (e *env) at(d time.Duration) {
	e.t.Helper()
	e.clock.Set(t0.Add(d))
	if err := e.app.RunDue(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// mails returns the events of the e-mails received so far, in order.
func (e *env) mails(event string) []smtpsink.Mail {
	var out []smtpsink.Mail
	for _, m := range e.sink.Messages() {
		if m.Header.Get("X-Varco-Event") == event {
			out = append(out, m)
		}
	}
	return out
}

func (e *env) status() string {
	return e.Account("mario@acme.test").Status
}

// TestSeed_2_3_to_2_6_Timeline: [seed] SPEC §2.3 (3 months), §2.4 (warned
// from 20 days before expiry, at 20, 10, 5, 3, 2, 1 days, each once), §2.6
// (suspended when not changed within a month of expiry), with a sign-in
// every 20 days so inactivity does not interfere.
func TestSeed_2_3_to_2_6_Timeline(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		login := func() {
			if _, err := e.app.Auth.Login(ctx, "mario@acme.test", "Rossi-Verde-2026", authMeta()); err != nil {
				t.Fatal(err)
			}
		}
		warnings := func() int { return len(e.mails("password_expiry_warning_sent")) }
		for d := 1; d <= 69; d++ {
			if d%20 == 0 {
				login()
			}
			e.at(time.Duration(d) * day)
		}
		if n := warnings(); n != 0 {
			t.Fatalf("%d expiry warnings before day 70", n)
		}
		want := map[int]int{70: 1, 80: 2, 85: 3, 87: 4, 88: 5, 89: 6}
		for d := 70; d <= 90; d++ {
			e.at(time.Duration(d) * day)
			e.at(time.Duration(d)*day + 6*time.Hour) // a second run the same day sends nothing new
			if w, ok := want[d]; ok && warnings() != w {
				t.Fatalf("day %d: %d warnings, want %d", d, warnings(), w)
			}
		}
		if n := warnings(); n != 6 {
			t.Fatalf("%d warnings in all, want 6", n)
		}
		m := e.mails("password_expiry_warning_sent")[0]
		if m.To[0] != "mario@home.test" {
			t.Fatalf("warning sent to %v, want the contact address", m.To)
		}
		// Day 91: the right password opens only a password change.
		e.at(91 * day)
		res, err := e.app.Auth.Login(ctx, "mario@acme.test", "Rossi-Verde-2026", authMeta())
		if err != nil || res.State != "password_change_required" || !res.Session.Restricted {
			t.Fatalf("day 91 login: %+v, %v", res, err)
		}
		e.at(120 * day)
		if s := e.status(); s != varco.StatusActive {
			t.Fatalf("day 120: %s, want still active", s)
		}
		e.at(120*day + time.Minute)
		if s := e.status(); s != varco.StatusSuspended {
			t.Fatalf("day 120 + 1 min: %s, want suspended", s)
		}
		if n := len(e.mails("account_suspended")); n != 1 {
			t.Fatalf("%d suspension e-mails", n)
		}
		e.at(125 * day)
		if n := len(e.mails("account_suspended")); n != 1 {
			t.Fatalf("suspension e-mailed again: %d", n)
		}
		if _, err := e.app.Auth.Login(ctx, "mario@acme.test", "Rossi-Verde-2026", authMeta()); varco.ErrorCode(err) != varco.EAccountSuspended {
			t.Fatalf("login when suspended: %v", err)
		}
		// Reactivated, the account is not suspended again by the next run,
		// and its first sign-in is a password change.
		a := e.Account("mario@acme.test")
		if _, err := e.app.Admin.ReactivateUser(ctx, admin.Operator(), a.ID); err != nil {
			t.Fatal(err)
		}
		e.at(126 * day)
		if s := e.status(); s != varco.StatusActive {
			t.Fatalf("re-suspended after reactivation: %s", s)
		}
		res, err = e.app.Auth.Login(ctx, "mario@acme.test", "Rossi-Verde-2026", authMeta())
		if err != nil || res.State != "password_change_required" {
			t.Fatalf("login after reactivation: %+v, %v", res, err)
		}
	})
}

// TestJumpSendsOnlyTheMostUrgentWarning (SPEC §9a).
func TestJumpSendsOnlyTheMostUrgentWarning(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.at(86 * day) // 4 days left: the 5-day warning, not 20 or 10
	ms := e.mails("password_expiry_warning_sent")
	if len(ms) != 1 {
		t.Fatalf("%d warnings after the jump", len(ms))
	}
	evs, _ := e.app.DB.ListEvents(context.Background(), store.EventFilter{Types: []string{"password_expiry_warning_sent"}})
	if len(evs) != 1 || evs[0].Actor != varco.ActorSystem {
		t.Fatalf("events: %+v", evs)
	}
	e.at(87 * day)
	if n := len(e.mails("password_expiry_warning_sent")); n != 2 {
		t.Fatalf("the 3-day warning after the jump: %d", n)
	}
}

// TestSeed_2_5_Inactivity: [seed] SPEC §2.5 — more than 30 days without a
// sign-in brings an e-mail asking to sign in, again every 30 days.
func TestSeed_2_5_Inactivity(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.at(30 * day)
	if n := len(e.mails("inactivity_warning_sent")); n != 0 {
		t.Fatalf("warned at exactly 30 days: %d", n)
	}
	e.at(31 * day)
	e.at(32 * day)
	if n := len(e.mails("inactivity_warning_sent")); n != 1 {
		t.Fatalf("after 31 days: %d inactivity e-mails, want 1", n)
	}
	e.at(61 * day)
	if n := len(e.mails("inactivity_warning_sent")); n != 2 {
		t.Fatalf("after 61 days: %d, want 2", n)
	}
	// A sign-in starts a new count.
	if _, err := e.app.Auth.Login(context.Background(), "mario@acme.test", "Rossi-Verde-2026", authMeta()); err != nil {
		t.Fatal(err)
	}
	e.at(85 * day)
	if n := len(e.mails("inactivity_warning_sent")); n != 2 {
		t.Fatalf("warned 24 days after a sign-in: %d", n)
	}
	e.at(92 * day)
	if n := len(e.mails("inactivity_warning_sent")); n != 3 {
		t.Fatalf("31 days after the sign-in: %d, want 3", n)
	}
}

// TestTwoRunnersSendEachWarningOnce runs the jobs of two varco instances on
// one database at the same moment, many times: every notice goes out once.
func TestTwoRunnersSendEachWarningOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for i := 0; i < 20; i++ {
			e.User(admin.NewUser{Email: "u" + string(rune('a'+i)) + "@acme.test", Org: "acme"})
		}
		other := e.open()
		e.clock.Set(t0.Add(70 * day))
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for round := 0; round < 3; round++ {
			for _, a := range []*app.App{e.app, other} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rep, err := a.Jobs.RunOnce(ctx)
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					total += rep.ExpiryWarnings
					mu.Unlock()
				}()
			}
		}
		wg.Wait()
		if total != 21 {
			t.Fatalf("%d expiry warnings claimed by two runners, want 21 (one per account)", total)
		}
		if err := e.app.RunDue(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(e.mails("password_expiry_warning_sent")); n != 21 {
			t.Fatalf("%d e-mails, want 21", n)
		}
	})
}

// TestCleanupRemovesOldTokensAndSessions: expired reset tokens and ended
// sessions go after a week; live ones stay.
func TestCleanupRemovesOldTokensAndSessions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if err := e.app.Recovery.RequestPasswordReset(ctx, "mario@acme.test", authMeta()); err != nil {
			t.Fatal(err)
		}
		if _, err := e.app.Auth.Login(ctx, "mario@acme.test", "Rossi-Verde-2026", authMeta()); err != nil {
			t.Fatal(err)
		}
		e.clock.Set(t0.Add(13 * time.Hour)) // past the first session's 12-hour limit
		if _, err := e.app.Auth.Login(ctx, "mario@acme.test", "Rossi-Verde-2026", authMeta()); err != nil {
			t.Fatal(err)
		}
		rep, err := e.app.Jobs.RunOnce(ctx)
		if err != nil || rep.Deleted != 0 {
			t.Fatalf("first run deleted %d, %v", rep.Deleted, err)
		}
		e.clock.Set(t0.Add(9 * day)) // over a week after the token and all three sessions ended
		fresh, err := e.app.Auth.Login(ctx, "mario@acme.test", "Rossi-Verde-2026", authMeta())
		if err != nil {
			t.Fatal(err)
		}
		rep, err = e.app.Jobs.RunOnce(ctx)
		if err != nil || rep.Deleted != 3 {
			t.Fatalf("cleanup deleted %d (want the reset token and two old sessions), %v", rep.Deleted, err)
		}
		if _, _, err := e.app.Auth.Authenticate(ctx, fresh.Token); err != nil {
			t.Fatalf("a live session was cleaned up: %v", err)
		}
	})
}

// TestCleanupRemovesOldPushRequestsAndMutes: push requests go 30 days
// after their expiry, answered or not, and mutes once they end; recent
// requests and a running mute stay.
func TestCleanupRemovesOldPushRequestsAndMutes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		mario := e.Account("mario@acme.test")
		luigi := e.User(admin.NewUser{Email: "luigi@acme.test", Password: "Verdi-Giallo-2026", Org: "acme"})
		insert := func(id, status string, at time.Time) {
			t.Helper()
			err := e.app.DB.InTx(ctx, func(q *store.Q) error {
				return q.InsertPushRequest(ctx, &store.PushRequest{PublicID: id, AccountID: mario.ID, DeviceID: 1, Purpose: "login",
					Number: "123", Nonce: []byte("nonce"), ContextHash: []byte("hash"), Status: status, CreatedAt: at,
					ExpiresAt: at.Add(2 * time.Minute)})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		insert("old-approved", "approved", t0)
		insert("old-unanswered", "pending", t0.Add(time.Hour))
		insert("recent-denied", "denied", t0.Add(20*day))
		if err := e.app.DB.InTx(ctx, func(q *store.Q) error {
			if err := q.MutePush(ctx, mario.ID, t0.Add(time.Hour)); err != nil {
				return err
			}
			return q.MutePush(ctx, luigi.ID, t0.Add(40*day))
		}); err != nil {
			t.Fatal(err)
		}
		e.clock.Set(t0.Add(31 * day))
		rep, err := e.app.Jobs.RunOnce(ctx)
		if err != nil || rep.Deleted != 3 {
			t.Fatalf("cleanup deleted %d (want two old requests and one ended mute), %v", rep.Deleted, err)
		}
		q := e.app.DB.Reader()
		for id, kept := range map[string]bool{"old-approved": false, "old-unanswered": false, "recent-denied": true} {
			_, err := q.PushRequestByPublicID(ctx, id)
			if kept != (err == nil) {
				t.Fatalf("request %s: kept %v, got %v", id, kept, err)
			}
		}
		if until, err := q.PushMutedUntil(ctx, luigi.ID); err != nil || !until.Equal(t0.Add(40*day)) {
			t.Fatalf("a running mute was cleaned up: %v %v", until, err)
		}
	})
}
