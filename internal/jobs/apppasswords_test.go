package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
)

// withTwoFactor gives mario an authenticator, which app passwords need.
func (e *env) withTwoFactor() *varco.Account {
	e.t.Helper()
	a := e.Account("mario@acme.test")
	d := &store.PushDevice{AccountID: a.ID, PublicID: "dev-mario", Kind: "cli", PublicKey: make([]byte, 32),
		TokenHash: []byte("mario"), CreatedAt: e.clock.Now()}
	if err := e.app.DB.InTx(context.Background(), func(q *store.Q) error { return q.ReplacePushDevice(context.Background(), d) }); err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *env) createAppPassword(a *varco.Account, label string) int64 {
	e.t.Helper()
	c, err := e.app.AppPasswords.Create(context.Background(), a, label, varco.Meta{IP: "192.0.2.10"})
	if err != nil {
		e.t.Fatal(err)
	}
	return c.ID
}

// appMails returns the subjects of the app password notices received so
// far, in order, checking each went to the contact e-mail.
func (e *env) appMails() []string {
	e.t.Helper()
	var out []string
	for _, m := range e.sink.Messages() {
		ev := m.Header.Get("X-Varco-Event")
		if ev != varco.EventAppPasswordExpiryWarningSent && ev != varco.EventAppPasswordExpired {
			continue
		}
		if len(m.To) != 1 || m.To[0] != "mario@home.test" {
			e.t.Errorf("%s went to %v, not the contact e-mail", ev, m.To)
		}
		out = append(out, ev+": "+m.Subject)
	}
	return out
}

func (e *env) appAlert(a *varco.Account) string {
	e.t.Helper()
	list, err := e.app.DB.ListAlerts(context.Background(), a.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, al := range list {
		if al.Kind == "app_password_expiry" {
			return al.Message
		}
	}
	return ""
}

// TestSeed_7_3_AppPasswordExpiryNotices: [seed] SPEC §7.3 with the rule of
// §9a "Clock" — an app password is warned at 14, 7 and 1 days before its
// expiry and told at expiry, by e-mail (X-Varco-Event) and in-app alert,
// each once; a jump across thresholds sends only the most urgent.
func TestSeed_7_3_AppPasswordExpiryNotices(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a := e.withTwoFactor()
		e.at(10 * day)
		e.createAppPassword(a, "Thunderbird") // expires at day 100
		if err := e.app.Auth.ChangePassword(ctx, a, nil, "Rossi-Verde-2026", "Nuova-Password-2026", authMeta()); err != nil {
			t.Fatal(err) // the account password stays valid past day 100
		}
		warn := varco.EventAppPasswordExpiryWarningSent + ": "
		steps := []struct {
			at   time.Duration
			want []string // all the app password e-mails so far
		}{
			{85*day + 12*time.Hour, nil}, // 14.5 days left: 15
			{86 * day, []string{warn + "Una password per app scade tra 14 giorni"}},
			{86*day + time.Hour, []string{warn + "Una password per app scade tra 14 giorni"}},
			// From 14 to 1 day left in one jump: only the 1-day warning.
			{99 * day, []string{warn + "Una password per app scade tra 14 giorni", warn + "Una password per app scade domani"}},
			{99*day + 23*time.Hour, []string{warn + "Una password per app scade tra 14 giorni", warn + "Una password per app scade domani"}},
			{100 * day, []string{warn + "Una password per app scade tra 14 giorni", warn + "Una password per app scade domani",
				varco.EventAppPasswordExpired + ": Una password per app è scaduta"}},
			{130 * day, []string{warn + "Una password per app scade tra 14 giorni", warn + "Una password per app scade domani",
				varco.EventAppPasswordExpired + ": Una password per app è scaduta"}},
		}
		for _, s := range steps {
			e.at(s.at)
			if got := e.appMails(); strings.Join(got, "\n") != strings.Join(s.want, "\n") {
				t.Fatalf("at day %.1f: e-mails\n%v\nwant\n%v", s.at.Hours()/24, got, s.want)
			}
			switch n := len(s.want); {
			case n == 1 && !strings.Contains(e.appAlert(a), "«Thunderbird» scade tra 14 giorni"),
				n == 2 && !strings.Contains(e.appAlert(a), "«Thunderbird» scade entro un giorno"),
				n == 3 && !strings.Contains(e.appAlert(a), "«Thunderbird» è scaduta"):
				t.Fatalf("at day %.1f: app_password_expiry alert = %q", s.at.Hours()/24, e.appAlert(a))
			}
		}
		for ev, want := range map[string]int{varco.EventAppPasswordExpiryWarningSent: 2, varco.EventAppPasswordExpired: 1} {
			evs, err := e.app.DB.ListEvents(ctx, store.EventFilter{AccountID: a.ID, Types: []string{ev}})
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != want {
				t.Errorf("%d %s events, want %d", len(evs), ev, want)
			}
		}
	})
}

// TestSeed_7_3_AppPasswordRotateAndDelete: SPEC §7.3 — a rotation gives
// the app password a new expiry and its warnings start over; a deleted app
// password gets nothing more. Each app password is warned on its own.
func TestSeed_7_3_AppPasswordRotateAndDelete(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a := e.withTwoFactor()
		e.at(10 * day)
		kept := e.createAppPassword(a, "Thunderbird") // expires at day 100
		gone := e.createAppPassword(a, "K-9 Mail")    // expires at day 100
		if err := e.app.Auth.ChangePassword(ctx, a, nil, "Rossi-Verde-2026", "Nuova-Password-2026", authMeta()); err != nil {
			t.Fatal(err)
		}
		count := func(at time.Duration, want int) []string {
			t.Helper()
			e.at(at)
			got := e.appMails()
			if len(got) != want {
				t.Fatalf("at day %.1f: %d e-mails, want %d: %v", at.Hours()/24, len(got), want, got)
			}
			return got
		}
		count(86*day, 2) // 14 days left: one warning each
		count(93*day, 4) // 7 days left
		e.at(94 * day)
		if err := e.app.AppPasswords.Delete(ctx, a, gone, varco.Meta{IP: "192.0.2.10"}); err != nil {
			t.Fatal(err)
		}
		count(99*day, 5)  // the kept one's 1-day warning only
		count(100*day, 6) // its expiry only
		e.at(101 * day)
		if _, err := e.app.AppPasswords.Rotate(ctx, a, kept, varco.Meta{IP: "192.0.2.10"}); err != nil {
			t.Fatal(err) // now expires at day 191
		}
		count(120*day, 6)
		count(176*day+23*time.Hour, 6)
		// 14 days before the new expiry: the warnings start over.
		if got := count(177*day, 7); !strings.HasSuffix(got[6], "scade tra 14 giorni") {
			t.Fatalf("after the rotated secret's 14-day mark: %v", got)
		}
		if got := count(191*day, 8); !strings.HasPrefix(got[7], varco.EventAppPasswordExpired) {
			t.Fatalf("at the rotated secret's expiry: %v", got)
		}
	})
}
