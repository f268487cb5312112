package store_test

import (
	"context"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// TestLoginView: the one query a sign-in reads before its password is
// checked has the throttling state of both keys, the account, its
// organization's policy and risk thresholds and whether 2-step
// verification is on, on both engines; an account of no organization gets
// the default policy and thresholds; an unknown login is ENotFound.
func TestLoginView(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := db.Reader()
		org := newOrg(t, db.Q, "acme")
		a := newAccount(t, db.Q, org, "mario@acme.test")
		acctKey, ipKey := "login:acct:"+a.Email, "login:ip:192.0.2.1"
		v, err := q.Login(ctx, a.Email, acctKey, ipKey)
		if err != nil {
			t.Fatal(err)
		}
		if v.Account.ID != a.ID || v.Account.OrgName != "acme" || v.TwoFactor || len(v.Throttles) != 0 ||
			v.Risk != store.DefaultRiskThresholds() || v.Policy.MaxAgeDays != varco.DefaultPolicy().MaxAgeDays {
			t.Fatalf("fresh account: %+v", v)
		}

		p := varco.Policy{MaxAgeDays: 60, WarningDays: []int{10, 3}, InactivityDays: 30, SuspensionGraceDays: 5, HistoryDepth: 4}
		if err := db.SetOrgPolicy(ctx, org.ID, p); err != nil {
			t.Fatal(err)
		}
		th := store.RiskThresholds{WindowDays: 30, DistanceKm: 100, SpeedKmh: 800}
		if err := db.SetOrgRiskThresholds(ctx, org.ID, th); err != nil {
			t.Fatal(err)
		}
		d := &store.PushDevice{AccountID: a.ID, PublicID: "dev", Kind: "cli", PublicKey: make([]byte, 32), TokenHash: []byte("t"), CreatedAt: t0}
		if err := db.InTx(ctx, func(q *store.Q) error { return q.ReplacePushDevice(ctx, d) }); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ThrottleFailures(ctx, ipKey, 3, t0, t0.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := db.ThrottleBlock(ctx, ipKey, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		v, err = q.Login(ctx, a.Email, acctKey, ipKey)
		if err != nil {
			t.Fatal(err)
		}
		st, ok := v.Throttles[ipKey]
		if !v.TwoFactor || v.Risk != th || v.Policy.MaxAgeDays != 60 || len(v.Policy.WarningDays) != 2 || v.Policy.WarningDays[1] != 3 ||
			v.Policy.InactivityDays != 30 || v.Policy.SuspensionGraceDays != 5 || v.Policy.HistoryDepth != 4 ||
			!ok || st.Failures != 3 || !st.BlockedUntil.Equal(t0.Add(time.Minute)) || len(v.Throttles) != 1 {
			t.Fatalf("set up account: %+v", v)
		}

		support := &varco.Account{Email: "help@provider.test", Lang: "en", Role: varco.RoleSupport, Status: varco.StatusActive,
			PasswordHash: "x", PasswordChangedAt: t0, CreatedAt: t0}
		if err := db.CreateAccount(ctx, support); err != nil {
			t.Fatal(err)
		}
		v, err = q.Login(ctx, support.Email, "a", "b")
		if err != nil || v.Account.OrgID != 0 || v.Risk != store.DefaultRiskThresholds() ||
			v.Policy.MaxAgeDays != varco.DefaultPolicy().MaxAgeDays || v.TwoFactor {
			t.Fatalf("account of no organization: %+v %v", v, err)
		}
		if _, err := q.Login(ctx, "nobody@acme.test", "a", "b"); !varco.IsCode(err, varco.ENotFound) {
			t.Fatalf("unknown login: %v", err)
		}
	})
}

// TestSignIn: the sign-in's writes insert the session, set the last
// sign-in, touch the place and the device only when they were used since
// the cutoff (and say so), and clear the alert asked for, on both engines.
func TestSignIn(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org := newOrg(t, db.Q, "acme")
		a := newAccount(t, db.Q, org, "mario@acme.test")
		place := store.Place{Key: "net:192.0.2.0/24", IP: "192.0.2.7", LastSeenAt: t0}
		signIn := func(at time.Time, clear string) (*varco.Session, store.SignInResult) {
			t.Helper()
			s := &varco.Session{AccountID: a.ID, TokenHash: []byte("tok-" + at.String()), CreatedAt: at, LastSeenAt: at,
				ExpiresAt: at.Add(time.Hour), IP: "192.0.2.7", UserAgent: "ua"}
			var r store.SignInResult
			err := db.InTx(ctx, func(q *store.Q) error {
				var err error
				p := place
				p.LastSeenAt = at
				r, err = q.SignIn(ctx, &store.SignIn{Session: s, Place: p, DeviceKey: "dev", Since: at.Add(-180 * varco.Day), At: at, ClearAlert: clear})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return s, r
		}
		// Neither place nor device known: nothing touched.
		s, r := signIn(t0, "")
		if s.ID == 0 || r.PlaceSeen || r.DeviceSeen {
			t.Fatalf("first: %+v %+v", s, r)
		}
		if got, err := db.AccountByID(ctx, a.ID); err != nil || !got.LastLoginAt.Equal(t0) {
			t.Fatalf("last login: %v %v", got.LastLoginAt, err)
		}
		if any, err := db.HasPlaces(ctx, a.ID); err != nil || any {
			t.Fatalf("a place was added: %v %v", any, err)
		}
		// Known since the cutoff: touched.
		if err := db.TouchPlace(ctx, a.ID, place); err != nil {
			t.Fatal(err)
		}
		if _, err := db.TouchDevice(ctx, a.ID, "dev", t0, t0); err != nil {
			t.Fatal(err)
		}
		if err := db.RaiseAlert(ctx, a.ID, store.Alert{Kind: "password_expiry", Message: "m"}, t0); err != nil {
			t.Fatal(err)
		}
		at := t0.Add(time.Hour)
		s2, r := signIn(at, "password_expiry")
		if s2.ID == s.ID || !r.PlaceSeen || !r.DeviceSeen {
			t.Fatalf("second: %+v %+v", s2, r)
		}
		places, err := db.LoginPlaces(ctx, a.ID, 10)
		if err != nil || len(places) != 1 || !places[0].LastSeenAt.Equal(at) {
			t.Fatalf("place: %+v %v", places, err)
		}
		if seen, err := db.TouchDevice(ctx, a.ID, "dev", at, at); err != nil || !seen {
			t.Fatalf("device not touched at %v: %v", at, err)
		}
		if al, err := db.ListAlerts(ctx, a.ID); err != nil || len(al) != 0 {
			t.Fatalf("alert not cleared: %+v %v", al, err)
		}
		// Used before the cutoff only: not seen, not touched.
		_, r = signIn(at.Add(200*varco.Day), "")
		if r.PlaceSeen || r.DeviceSeen {
			t.Fatalf("old place and device: %+v", r)
		}
	})
}
