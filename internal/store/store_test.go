package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/audittest"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func newOrg(t *testing.T, q *store.Q, name string) *varco.Org {
	t.Helper()
	o := &varco.Org{Name: name, Plan: varco.PlanPro, CreatedAt: t0}
	if err := q.CreateOrg(context.Background(), o); err != nil {
		t.Fatalf("create org: %v", err)
	}
	return o
}

func newAccount(t *testing.T, q *store.Q, org *varco.Org, email string) *varco.Account {
	t.Helper()
	a := &varco.Account{OrgID: org.ID, Email: email, Lang: "it", Role: varco.RoleUser, Status: varco.StatusActive,
		PasswordHash: "$argon2id$fake$" + email, PasswordChangedAt: t0, CreatedAt: t0, DisplayName: "Mario Rossi"}
	if err := q.CreateAccount(context.Background(), a); err != nil {
		t.Fatalf("create account: %v", err)
	}
	return a
}

func TestMigrateIsIdempotent(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		applied, err := db.Migrate(ctx)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second Migrate = %v, %v; want nothing applied", applied, err)
		}
		if n, err := db.MigrationsPending(ctx); err != nil || n != 0 {
			t.Fatalf("MigrationsPending = %d, %v", n, err)
		}
	})
}

func TestOrgsAndAccounts(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db.Q, "acme")
		if err := db.CreateOrg(ctx, &varco.Org{Name: "acme", Plan: "basic", CreatedAt: t0}); varco.ErrorCode(err) != varco.EConflict {
			t.Fatalf("duplicate org: got %v, want conflict", err)
		}
		got, err := db.Reader().OrgByName(ctx, "acme")
		if err != nil || got.ID != org.ID || got.Plan != varco.PlanPro || !got.CreatedAt.Equal(t0) {
			t.Fatalf("OrgByName = %+v, %v", got, err)
		}
		if _, err := db.OrgByName(ctx, "nope"); varco.ErrorCode(err) != varco.ENotFound {
			t.Fatalf("missing org: %v", err)
		}

		a := newAccount(t, db.Q, org, "mario@example.it")
		dup := *a
		if err := db.CreateAccount(ctx, &dup); varco.ErrorCode(err) != varco.EConflict {
			t.Fatalf("duplicate account: got %v, want conflict", err)
		}
		support := &varco.Account{Email: "help@provider.it", Role: varco.RoleSupport, Status: varco.StatusActive,
			Lang: "en", PasswordHash: "h", PasswordChangedAt: t0, CreatedAt: t0}
		if err := db.CreateAccount(ctx, support); err != nil {
			t.Fatalf("support account without org: %v", err)
		}
		back, err := db.Reader().AccountByEmail(ctx, "mario@example.it")
		if err != nil || back.ID != a.ID || back.OrgName != "acme" || back.Status != varco.StatusActive {
			t.Fatalf("AccountByEmail = %+v, %v", back, err)
		}
		s, err := db.AccountByID(ctx, support.ID)
		if err != nil || s.OrgID != 0 || s.OrgName != "" {
			t.Fatalf("support = %+v, %v", s, err)
		}

		// Search: substring, case-insensitive, org scoped, LIKE wildcards literal.
		newAccount(t, db.Q, newOrg(t, db.Q, "other"), "luigi@other.it")
		for _, tt := range []struct {
			f    store.AccountFilter
			want int
		}{
			{store.AccountFilter{Query: "MARIO@"}, 1},
			{store.AccountFilter{Query: "rossi"}, 2},
			{store.AccountFilter{Query: "rossi", OrgID: org.ID}, 1},
			{store.AccountFilter{Query: "%"}, 0},
			{store.AccountFilter{Query: "_"}, 0},
			{store.AccountFilter{}, 3},
		} {
			got, err := db.SearchAccounts(ctx, tt.f)
			if err != nil || len(got) != tt.want {
				t.Errorf("SearchAccounts(%+v) = %d results, %v; want %d", tt.f, len(got), err, tt.want)
			}
		}

		if err := db.SetAccountStatus(ctx, a.ID, varco.StatusDisabled); err != nil {
			t.Fatal(err)
		}
		if err := db.SetAccountStatus(ctx, 9999, varco.StatusDisabled); varco.ErrorCode(err) != varco.ENotFound {
			t.Fatalf("status of missing account: %v", err)
		}
	})
}

func TestPasswordHistory(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAccount(t, db.Q, newOrg(t, db.Q, "acme"), "mario@example.it")
		for i := 1; i <= 6; i++ {
			if err := db.SetPassword(ctx, a.ID, fmt.Sprintf("h%d", i), t0.Add(time.Duration(i)*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		h, err := db.PasswordHistory(ctx, a.ID, 5)
		if err != nil || len(h) != 5 || h[0] != "h6" || h[4] != "h2" {
			t.Fatalf("PasswordHistory = %v, %v", h, err)
		}
		if err := db.RehashPassword(ctx, a.ID, "h6", "h6-new"); err != nil {
			t.Fatal(err)
		}
		got, _ := db.AccountByID(ctx, a.ID)
		if got.PasswordHash != "h6-new" || !got.PasswordChangedAt.Equal(t0.Add(6*time.Hour)) {
			t.Fatalf("after rehash: %q changed %v", got.PasswordHash, got.PasswordChangedAt)
		}
	})
}

func TestSessions(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAccount(t, db.Q, newOrg(t, db.Q, "acme"), "mario@example.it")
		mk := func(tok string) *varco.Session {
			s := &varco.Session{AccountID: a.ID, TokenHash: []byte(tok), CreatedAt: t0, LastSeenAt: t0,
				ExpiresAt: t0.Add(12 * time.Hour), IP: "192.0.2.1", UserAgent: "test"}
			if err := db.CreateSession(ctx, s); err != nil {
				t.Fatal(err)
			}
			return s
		}
		s1, s2, s3 := mk("one"), mk("two"), mk("three")
		got, err := db.SessionByTokenHash(ctx, []byte("two"))
		if err != nil || got.ID != s2.ID || got.IP != "192.0.2.1" {
			t.Fatalf("SessionByTokenHash = %+v, %v", got, err)
		}
		if err := db.TouchSession(ctx, s2.ID, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeSession(ctx, a.ID, s1.ID, t0); err != nil {
			t.Fatal(err)
		}
		if err := db.RevokeSession(ctx, a.ID+1, s2.ID, t0); varco.ErrorCode(err) != varco.ENotFound {
			t.Fatalf("revoking another account's session: %v", err)
		}
		if _, err := db.SessionByTokenHash(ctx, []byte("one")); varco.ErrorCode(err) != varco.ENotFound {
			t.Fatalf("revoked session still found: %v", err)
		}
		n, err := db.RevokeAllSessions(ctx, a.ID, s3.ID, t0)
		if err != nil || n != 1 {
			t.Fatalf("RevokeAllSessions = %d, %v", n, err)
		}
		list, err := db.ListSessions(ctx, a.ID, t0)
		if err != nil || len(list) != 1 || list[0].ID != s3.ID {
			t.Fatalf("ListSessions = %v, %v", list, err)
		}
		if list, _ := db.ListSessions(ctx, a.ID, t0.Add(13*time.Hour)); len(list) != 0 {
			t.Fatalf("expired sessions listed: %v", list)
		}
	})
}

func TestAuditChain(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for i := 0; i < 5; i++ {
			e := &varco.Event{Time: t0.Add(time.Duration(i) * time.Minute), AccountID: 7, OrgID: 3,
				Event: varco.EventLoginSucceeded, Actor: varco.ActorSelf, Outcome: varco.OutcomeSuccess, IP: "192.0.2.1"}
			if err := db.InTx(ctx, func(q *store.Q) error { return q.AppendEvent(ctx, e) }); err != nil {
				t.Fatal(err)
			}
		}
		if n := audittest.Verify(t, db); n != 5 {
			t.Fatalf("verified %d events", n)
		}
		evs, err := db.ListEvents(ctx, store.EventFilter{AccountID: 7, Limit: 2})
		if err != nil || len(evs) != 2 || evs[0].ID != 5 {
			t.Fatalf("ListEvents = %v, %v", evs, err)
		}
		more, _ := db.ListEvents(ctx, store.EventFilter{AccountID: 7, Before: evs[1].ID})
		if len(more) != 3 {
			t.Fatalf("page two has %d events", len(more))
		}
		if evs, _ := db.ListEvents(ctx, store.EventFilter{Types: []string{"login_failed"}}); len(evs) != 0 {
			t.Fatalf("type filter: %d", len(evs))
		}
		if evs, _ := db.ListEvents(ctx, store.EventFilter{Since: t0.Add(2 * time.Minute), Until: t0.Add(4 * time.Minute)}); len(evs) != 2 {
			t.Fatalf("time filter: %d", len(evs))
		}
	})
}

func TestAuditAppendsConcurrently(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				e := &varco.Event{Time: t0, AccountID: int64(i), Event: varco.EventLoginFailed, Actor: varco.ActorSelf, Outcome: varco.OutcomeFailure}
				errs <- db.InTx(ctx, func(q *store.Q) error { return q.AppendEvent(ctx, e) })
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := audittest.Verify(t, db); n != 40 {
			t.Fatalf("verified %d events after concurrent appends", n)
		}
	})
}

func TestOutboxClaimLeaseAndRetry(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for i := 0; i < 3; i++ {
			m := &store.Message{Event: "password_changed", To: "a@example.it", Lang: "it", Subject: "s", Text: "t",
				HTML: "h", MessageID: fmt.Sprintf("<%d@varco>", i), CreatedAt: t0}
			if err := db.EnqueueMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.ClaimDue(ctx, t0, t0.Add(2*time.Minute), 2)
		if err != nil || len(got) != 2 || got[0].MessageID != "<0@varco>" {
			t.Fatalf("ClaimDue = %v, %v", got, err)
		}
		// Leased messages are not claimed again until the lease ends.
		again, _ := db.ClaimDue(ctx, t0.Add(time.Minute), t0.Add(3*time.Minute), 10)
		if len(again) != 1 {
			t.Fatalf("second claim got %d, want 1 (the unleased one)", len(again))
		}
		if err := db.MarkSent(ctx, got[0].ID, t0); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkFailed(ctx, got[1].ID, t0.Add(10*time.Minute), "451 try later", false); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkFailed(ctx, again[0].ID, t0, "550 no such user", true); err != nil {
			t.Fatal(err)
		}
		// After the first lease ran out only the retried message is due, once its time comes.
		if ms, _ := db.ClaimDue(ctx, t0.Add(5*time.Minute), t0.Add(7*time.Minute), 10); len(ms) != 0 {
			t.Fatalf("claimed %d before the retry time", len(ms))
		}
		ms, _ := db.ClaimDue(ctx, t0.Add(10*time.Minute), t0.Add(12*time.Minute), 10)
		if len(ms) != 1 || ms[0].ID != got[1].ID || ms[0].Attempts != 1 {
			t.Fatalf("retry claim = %+v", ms)
		}
		if n, _ := db.OutboxBacklog(ctx); n != 1 {
			t.Fatalf("backlog = %d", n)
		}
	})
}

func TestOutboxClaimIsExclusive(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const total = 200
		for i := 0; i < total; i++ {
			m := &store.Message{Event: "e", To: "a@example.it", Lang: "en", MessageID: fmt.Sprint(i), CreatedAt: t0}
			if err := db.EnqueueMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					ms, err := db.ClaimDue(ctx, t0, t0.Add(time.Hour), 7)
					if err != nil {
						t.Error(err)
						return
					}
					if len(ms) == 0 {
						return
					}
					mu.Lock()
					for _, m := range ms {
						seen[m.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != total {
			t.Fatalf("claimed %d distinct messages, want %d", len(seen), total)
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("message %d claimed %d times", id, n)
			}
		}
	})
}

func TestThrottleCountsAtomically(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := db.ThrottleFailure(ctx, "ip:192.0.2.1", t0, t0.Add(-time.Minute)); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		st, err := db.ThrottleState(ctx, "ip:192.0.2.1")
		if err != nil || st.Failures != 50 {
			t.Fatalf("after 50 concurrent failures: %+v, %v", st, err)
		}
		// A failure after the window restarts the count.
		st, _ = db.ThrottleFailure(ctx, "ip:192.0.2.1", t0.Add(2*time.Minute), t0.Add(time.Minute))
		if st.Failures != 1 || !st.WindowStart.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("new window: %+v", st)
		}
		if err := db.ThrottleBlock(ctx, "ip:192.0.2.1", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		_ = db.ThrottleBlock(ctx, "ip:192.0.2.1", t0) // never moves backwards
		if st, _ := db.ThrottleState(ctx, "ip:192.0.2.1"); !st.BlockedUntil.Equal(t0.Add(time.Hour)) {
			t.Fatalf("blocked until %v", st.BlockedUntil)
		}
		// Several keys in one read: the unknown one is absent.
		states, err := db.Reader().ThrottleStates(ctx, "acct:nobody@example.test", "ip:192.0.2.1")
		if st, ok := states["ip:192.0.2.1"]; err != nil || len(states) != 1 || !ok || st.Failures != 1 || !st.BlockedUntil.Equal(t0.Add(time.Hour)) {
			t.Fatalf("throttle states: %+v, %v", states, err)
		}
		_ = db.ThrottleReset(ctx, "ip:192.0.2.1")
		if st, _ := db.ThrottleState(ctx, "ip:192.0.2.1"); st.Failures != 0 {
			t.Fatalf("after reset: %+v", st)
		}
	})
}

func TestOrgPolicy(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db.Q, "acme")
		got, err := db.OrgByID(ctx, org.ID)
		if err != nil || got.Policy.MaxAgeDays != 90 || fmt.Sprint(got.Policy.WarningDays) != "[20 10 5 3 2 1]" ||
			got.Policy.InactivityDays != 30 || got.Policy.SuspensionGraceDays != 30 || got.Policy.HistoryDepth != 5 {
			t.Fatalf("default policy = %+v, %v", got.Policy, err)
		}
		p := varco.Policy{MaxAgeDays: 60, WarningDays: []int{14, 1}, InactivityDays: 15, SuspensionGraceDays: 7, HistoryDepth: 0}
		if err := db.SetOrgPolicy(ctx, org.ID, p); err != nil {
			t.Fatal(err)
		}
		got, _ = db.OrgByName(ctx, "acme")
		if got.Policy.MaxAgeDays != 60 || fmt.Sprint(got.Policy.WarningDays) != "[14 1]" || got.Policy.HistoryDepth != 0 {
			t.Fatalf("policy after set = %+v", got.Policy)
		}
		// A sign-in reads the policy and the risk thresholds at once.
		if err := db.SetOrgRiskThresholds(ctx, org.ID, store.RiskThresholds{WindowDays: 90, DistanceKm: 300, SpeedKmh: 800}); err != nil {
			t.Fatal(err)
		}
		lo, th, err := db.Reader().OrgForLogin(ctx, org.ID)
		if err != nil || lo.Policy.MaxAgeDays != 60 || fmt.Sprint(lo.Policy.WarningDays) != "[14 1]" ||
			th != (store.RiskThresholds{WindowDays: 90, DistanceKm: 300, SpeedKmh: 800}) {
			t.Fatalf("org for login = %+v %+v, %v", lo, th, err)
		}
		if _, _, err := db.Reader().OrgForLogin(ctx, 4242); varco.ErrorCode(err) != varco.ENotFound {
			t.Fatalf("org for login of a missing org: %v", err)
		}
		if err := db.SetOrgPolicy(ctx, 4242, p); varco.ErrorCode(err) != varco.ENotFound {
			t.Fatalf("policy of a missing org: %v", err)
		}
		if err := db.SetOrgPolicy(ctx, org.ID, varco.Policy{MaxAgeDays: 60, InactivityDays: 1, SuspensionGraceDays: 1}); err != nil {
			t.Fatal(err)
		}
		if got, _ = db.OrgByID(ctx, org.ID); len(got.Policy.WarningDays) != 0 {
			t.Fatalf("no warning days read back as %v", got.Policy.WarningDays)
		}
	})
}

// TestAfterCommit: hooks run once the transaction committed, in order,
// never after a rollback, and at once outside a transaction.
func TestAfterCommit(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		var ran []string
		err := db.InTx(t.Context(), func(q *store.Q) error {
			q.AfterCommit(func() { ran = append(ran, "first") })
			q.AfterCommit(func() { ran = append(ran, "second") })
			if len(ran) != 0 {
				t.Fatal("a hook ran before the commit")
			}
			return nil
		})
		if err != nil || strings.Join(ran, ",") != "first,second" {
			t.Fatalf("after commit: %v, %v", ran, err)
		}
		ran = nil
		_ = db.InTx(t.Context(), func(q *store.Q) error {
			q.AfterCommit(func() { ran = append(ran, "rolled back") })
			return errors.New("roll back")
		})
		if len(ran) != 0 {
			t.Fatalf("a hook ran after a rollback: %v", ran)
		}
		db.AfterCommit(func() { ran = append(ran, "now") })
		if len(ran) != 1 {
			t.Fatal("outside a transaction the hook did not run at once")
		}
	})
}
