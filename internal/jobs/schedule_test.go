package jobs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/jobs"
)

// run moves the clock to t0 + d and runs the jobs once, returning the report.
func (e *env) run(d time.Duration) jobs.Report {
	e.t.Helper()
	e.clock.Set(t0.Add(d))
	rep, err := e.app.Jobs.RunOnce(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return rep
}

// TestNothingDueIsNotReread: an account the jobs have looked at is read
// again only when its next notice can be due, not at every run.
func TestNothingDueIsNotReread(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		for i := range 30 {
			e.User(admin.NewUser{Email: fmt.Sprintf("u%d@acme.test", i), Org: "acme"})
		}
		// New accounts are looked at once (31 with mario), then not again
		// until the first inactivity check, more than 30 days after
		// their creation.
		for _, tt := range []struct {
			at       time.Duration
			examined int
			idle     int
		}{
			{time.Hour, 31, 0},
			{2 * time.Hour, 0, 0},
			{day, 0, 0},
			{29 * day, 0, 0},
			{30 * day, 0, 0},
			{30*day + time.Minute, 31, 31},
			{30*day + 2*time.Minute, 0, 0},
			{59 * day, 0, 0},
		} {
			rep := e.run(tt.at)
			if rep.Examined != tt.examined || rep.InactivityWarnings != tt.idle {
				t.Fatalf("at %v: %+v, want %d examined and %d inactivity warnings", tt.at, rep, tt.examined, tt.idle)
			}
		}
	})
}

// TestPasswordChangeAfterWarningStartsANewCycle: a password changed after
// the first warning is warned about again when it, in turn, nears expiry,
// at every threshold (the next_notice_at of the old password skips none).
func TestPasswordChangeAfterWarningStartsANewCycle(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		warnings := func() int { return len(e.mails("password_expiry_warning_sent")) }
		e.at(70 * day) // 20 days left
		if n := warnings(); n != 1 {
			t.Fatalf("day 70: %d warnings", n)
		}
		a := e.Account("mario@acme.test")
		e.clock.Set(t0.Add(72 * day))
		if err := e.app.Auth.ChangePassword(ctx, a, nil, "Rossi-Verde-2026", "Bianchi-Neri-2027", authMeta()); err != nil {
			t.Fatal(err)
		}
		// The new password expires on day 162: warnings from day 142.
		for d := 73; d <= 141; d++ {
			e.at(time.Duration(d) * day)
		}
		if n := warnings(); n != 1 {
			t.Fatalf("before day 142: %d warnings", n)
		}
		want := map[int]int{142: 2, 152: 3, 157: 4, 159: 5, 160: 6, 161: 7}
		for d := 142; d <= 161; d++ {
			e.at(time.Duration(d) * day)
			if w, ok := want[d]; ok && warnings() != w {
				t.Fatalf("day %d: %d warnings, want %d", d, warnings(), w)
			}
		}
		if s := e.status(); s != varco.StatusActive {
			t.Fatalf("status %s", s)
		}
	})
}

// TestPolicyChangeTakesEffectAtTheNextRun: accounts the jobs have looked
// at under the old policy are looked at again under the new one.
func TestPolicyChangeTakesEffectAtTheNextRun(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if rep := e.run(day); rep.Examined != 1 {
			t.Fatalf("day 1: %+v", rep)
		}
		if rep := e.run(20 * day); rep.Examined != 0 {
			t.Fatalf("day 20, nothing due under the old policy: %+v", rep)
		}
		o, err := e.app.DB.OrgByName(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		// Passwords now expire after 40 days: mario's has 20 days left.
		if _, err := e.app.Admin.SetOrgPolicy(ctx, admin.Operator(), o.ID, varco.Policy{MaxAgeDays: 40, WarningDays: []int{20, 5},
			InactivityDays: 365, SuspensionGraceDays: 10, HistoryDepth: 5}); err != nil {
			t.Fatal(err)
		}
		if rep := e.run(20*day + time.Minute); rep.Examined != 1 || rep.ExpiryWarnings != 1 {
			t.Fatalf("first run under the new policy: %+v", rep)
		}
		// Inactivity now counts in years: no inactivity warning at day 31.
		for _, tt := range []struct {
			at                     time.Duration
			expiry, idle, suspends int
		}{
			{31 * day, 0, 0, 0},
			{35 * day, 1, 0, 0},
			{50 * day, 0, 0, 0},
			{50*day + time.Minute, 0, 0, 1},
		} {
			rep := e.run(tt.at)
			if rep.ExpiryWarnings != tt.expiry || rep.InactivityWarnings != tt.idle || rep.Suspended != tt.suspends {
				t.Fatalf("at %v: %+v", tt.at, rep)
			}
		}
		if s := e.status(); s != varco.StatusSuspended {
			t.Fatalf("status %s, want suspended 10 days after the 40-day expiry", s)
		}
	})
}
