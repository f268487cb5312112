package apppassword_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/apppassword"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/audittest"
)

// TestMailFailureFlood: many goroutines send wrong passwords for one
// account from two IPs over two protocols, in rounds a few seconds of
// the clock apart. Every login is answered invalid_credentials or
// too_many_attempts and nothing else; the history verifies; and once the
// service is closed, the counts of the account's mail_login_failed events
// add up exactly to the logins answered invalid_credentials — every
// refusal that passed the throttling check was recorded, none twice —
// while logins answered too_many_attempts wrote nothing.
func TestMailFailureFlood(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		// Thresholds high enough that many failures pass the throttling
		// check before the account and the IPs are blocked.
		e := newEnvWith(t, db, apppassword.Deps{Throttle: apppassword.Throttling{AccountFailures: 150, IPFailures: 120}})
		a := e.account("flood@example.test", varco.PlanBasic, true)
		c := e.create(a, "m")
		const goroutines, perRound, rounds = 16, 4, 12
		var refused, blocked atomic.Int64
		for round := range rounds {
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					for i := range perRound {
						l := apppassword.MailLogin{Username: a.Email, Password: fmt.Sprintf("wrong-%d-%d-%d", round, g, i),
							Protocol: []string{"imap", "smtp"}[g%2], ClientIP: []string{"198.51.100.7", "203.0.113.9"}[(g/2)%2]}
						switch code := varco.ErrorCode(e.svc.Authenticate(e.ctx, l)); code {
						case varco.EInvalidCredentials:
							refused.Add(1)
						case varco.ETooManyAttempts:
							blocked.Add(1)
						default:
							t.Errorf("answer %q", code)
						}
					}
				})
			}
			wg.Wait()
			e.clk.Advance(7 * time.Second) // some rounds wait out a block, some do not; minutes close
		}
		if refused.Load() == 0 || blocked.Load() == 0 || refused.Load()+blocked.Load() != goroutines*perRound*rounds {
			t.Fatalf("answers: %d invalid_credentials, %d too_many_attempts", refused.Load(), blocked.Load())
		}
		audittest.Verify(t, db)

		// The right password is still refused while blocked, then works:
		// the service kept answering.
		e.clk.Advance(time.Hour)
		want(t, "right password after the flood", e.auth(a.Email, c.Password, "imap", ""), "")

		if err := e.svc.Close(e.ctx); err != nil {
			t.Fatal(err)
		}
		if got := e.failures(a); got != refused.Load() {
			t.Fatalf("recorded failures: %d, want the %d answered invalid_credentials", got, refused.Load())
		}
		events := e.count(a, varco.EventMailLoginFailed)
		if int64(events) >= refused.Load() {
			t.Fatalf("%d events for %d identical failures: not aggregated", events, refused.Load())
		}
		audittest.Verify(t, db)
		t.Logf("%d refused, %d blocked, %d events", refused.Load(), blocked.Load(), events)
	})
}

// TestBlockedFloodWritesNothing: once an account is blocked, a flood of
// logins for it is answered too_many_attempts before anything is written:
// no event, no count, no change to its throttling state. [seed] §9a
// throttling: too_many_attempts with retry_after.
func TestBlockedFloodWritesNothing(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		a := e.account("blocked@example.test", varco.PlanBasic, true)
		for range 5 {
			want(t, "wrong", e.auth(a.Email, "aaaabbbbccccdddd", "imap", ""), varco.EInvalidCredentials)
		}
		before, err := db.ThrottleStates(e.ctx, "mail:acct:"+a.Email, "mail:ip:198.51.100.7")
		if err != nil {
			t.Fatal(err)
		}
		eventsBefore, _ := db.ListEvents(e.ctx, store.EventFilter{Limit: 1000})
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 25 {
					if code := e.auth(a.Email, "aaaabbbbccccdddd", "imap", ""); code != varco.ETooManyAttempts {
						t.Errorf("blocked: %q", code)
					}
				}
			})
		}
		wg.Wait()
		after, err := db.ThrottleStates(e.ctx, "mail:acct:"+a.Email, "mail:ip:198.51.100.7")
		if err != nil {
			t.Fatal(err)
		}
		eventsAfter, _ := db.ListEvents(e.ctx, store.EventFilter{Limit: 1000})
		if fmt.Sprint(before) != fmt.Sprint(after) || len(eventsAfter) != len(eventsBefore) {
			t.Fatalf("a blocked flood wrote: throttle %v → %v, events %d → %d", before, after, len(eventsBefore), len(eventsAfter))
		}
		if err := e.svc.Close(e.ctx); err != nil {
			t.Fatal(err)
		}
		if n := e.failures(a); n != 5 {
			t.Fatalf("recorded failures: %d, want 5", n)
		}
	})
}

// TestCloseDrains: records queued behind a long batching delay, and a
// last use nobody waited for, are written by Close; the open window of
// repeated failures is recorded with its count.
func TestCloseDrains(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		// A batch is written when 4 records are queued, or at Close.
		// (Thresholds high enough that no login of the test is blocked.)
		e := newEnvWith(t, db, apppassword.Deps{Batching: apppassword.Batching{MaxItems: 4, MaxDelay: time.Hour},
			Throttle: apppassword.Throttling{AccountFailures: 50, IPFailures: 50}})
		svc, clk := e.svc, e.clk
		a := e.account("drain@example.test", varco.PlanBasic, true)
		c := e.create(a, "m")

		// The first success waits for its hourly event: with 3 failures it
		// makes a batch of 4.
		var wg sync.WaitGroup
		codes := make([]string, 4)
		for i := range 4 {
			wg.Go(func() {
				pw := "wrong-password-x"
				if i == 0 {
					pw = c.Password
				}
				codes[i] = varco.ErrorCode(svc.Authenticate(e.ctx, apppassword.MailLogin{Username: a.Email, Password: pw,
					Protocol: "imap", ClientIP: "198.51.100.7"}))
			})
		}
		wg.Wait()
		// Two more failures and a later use from another IP: these wait in
		// the queue (or, if Close came first, are written one by one).
		clk.Advance(30 * time.Second)
		done := make(chan struct{})
		go func() {
			defer close(done)
			var wg sync.WaitGroup
			for range 2 {
				wg.Go(func() {
					if code := e.auth(a.Email, "wrong-password-x", "imap", ""); code != varco.EInvalidCredentials {
						t.Errorf("queued failure: %q", code)
					}
				})
			}
			if err := svc.Authenticate(e.ctx, apppassword.MailLogin{Username: a.Email, Password: c.Password, Protocol: "pop3",
				ClientIP: "203.0.113.9"}); err != nil {
				t.Errorf("second success: %v", err)
			}
			wg.Wait()
		}()
		if err := svc.Close(e.ctx); err != nil {
			t.Fatal(err)
		}
		<-done
		if codes[0] != "" || codes[1] != varco.EInvalidCredentials {
			t.Fatalf("first batch: %q", codes)
		}
		if n := e.failures(a); n != 5 {
			evs, _ := db.ListEvents(e.ctx, store.EventFilter{AccountID: a.ID})
			for _, ev := range evs {
				t.Logf("%s %s %s %d", ev.Time, ev.Event, ev.Detail, ev.Count)
			}
			t.Fatalf("recorded failures: %d, want 5", n)
		}
		list, err := svc.List(e.ctx, a)
		if err != nil || len(list) != 1 || list[0].LastUsedIP != "203.0.113.9" || list[0].LastUsedProtocol != "pop3" {
			t.Fatalf("last use: %+v %v", list, err)
		}
		if n := e.count(a, varco.EventMailLoginSucceeded); n != 2 {
			t.Fatalf("success events: %d, want 2", n)
		}
		audittest.Verify(t, db)
	})
}

// TestMailFailureFloodTwoProcesses: two services on one database, as two
// varco processes behind a load balancer (on SQLite, two pools on one
// file), answer identical failures of one account at once: they share its
// throttling keys and its window of repeated failures. Once both are
// closed, the history's counts still add up exactly to the refusals, and
// the history verifies.
func TestMailFailureFloodTwoProcesses(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			_, e, other := twoProcesses(t, engine, apppassword.Deps{Throttle: apppassword.Throttling{AccountFailures: 1000, IPFailures: 1000}})
			db, clk, one, two := e.db, e.clk, e.svc, other.svc
			a := e.account("two@example.test", varco.PlanBasic, true)
			var refused atomic.Int64
			for round := range 3 {
				var wg sync.WaitGroup
				for g := range 8 {
					svc := []*apppassword.Service{one, two}[g%2]
					wg.Go(func() {
						for range 10 {
							err := svc.Authenticate(t.Context(), apppassword.MailLogin{Username: a.Email, Password: "wrong-password-x",
								Protocol: "imap", ClientIP: "198.51.100.7"})
							if code := varco.ErrorCode(err); code != varco.EInvalidCredentials {
								t.Errorf("round %d: %q", round, code)
								return
							}
							refused.Add(1)
						}
					})
				}
				wg.Wait()
				clk.Advance(40 * time.Second) // every other round a minute closes
			}
			for _, svc := range []*apppassword.Service{one, two} {
				if err := svc.Close(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			if got := e.failures(a); got != refused.Load() || got != 240 {
				t.Fatalf("recorded failures: %d, want the %d refused", got, refused.Load())
			}
			audittest.Verify(t, db)
		})
	}
}
