package push_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/push"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// fixture is an account with an enrolled device on one engine.
type fixture struct {
	t    *testing.T
	db   *store.DB
	r    *push.Rules
	acct *varco.Account
	dev  *store.PushDevice
	priv ed25519.PrivateKey
	enr  *push.Enrollment
}

func newAccount(t *testing.T, db *store.DB, email string) *varco.Account {
	t.Helper()
	ctx := context.Background()
	o := &varco.Org{Name: "org-" + email, Plan: varco.PlanPro, CreatedAt: t0}
	if err := db.CreateOrg(ctx, o); err != nil {
		t.Fatal(err)
	}
	a := &varco.Account{OrgID: o.ID, Email: email, Lang: "it", Role: varco.RoleUser, Status: varco.StatusActive,
		PasswordHash: "$argon2id$fake$" + email, PasswordChangedAt: t0, CreatedAt: t0}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	return a
}

func enroll(t *testing.T, db *store.DB, r *push.Rules, email string) *fixture {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := newAccount(t, db, email)
	e, err := r.Enroll(context.Background(), db.Q, a.ID, pub, t0)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, db: db, r: r, acct: a, dev: e.Device, priv: priv, enr: e}
}

func (f *fixture) start(now time.Time, risky bool) (*store.PushRequest, error) {
	st, err := f.r.Start(context.Background(), f.db.Q, f.acct.ID, push.PurposeLogin, 0,
		push.Context{Application: "webmail", IP: "203.0.113.7", Location: "Milano, Italia", Browser: "Firefox", Risky: risky}, now)
	if err != nil {
		return nil, err
	}
	return st.Request, nil
}

func (f *fixture) mustStart(now time.Time) *store.PushRequest {
	f.t.Helper()
	req, err := f.start(now, false)
	if err != nil {
		f.t.Fatalf("start at %s: %v", now.Sub(t0), err)
	}
	return req
}

// decision is what the device signs for req, from the context it shows.
func (f *fixture) decision(req *store.PushRequest, decision, number string) push.Decision {
	return push.Sign(func(m []byte) []byte { return ed25519.Sign(f.priv, m) },
		push.Decision{RequestID: req.PublicID, Decision: decision, Number: number}, req.Nonce, push.ContextOf(req).Hash())
}

func (f *fixture) decide(d push.Decision, now time.Time) (*push.Outcome, error) {
	return f.r.Decide(context.Background(), f.db.Q, f.dev, d, now)
}

// TestSeed_6_2_RequestExpiresAfterTwoMinutes: an approval at 1:59 counts,
// one at 2:00 finds the request expired.
func TestSeed_6_2_RequestExpiresAfterTwoMinutes(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		r := push.New(push.Config{})
		f := enroll(t, db, r, "a@acme.test")
		req := f.mustStart(t0)
		if req.ExpiresAt.Sub(t0) != 2*time.Minute || len(req.Number) != 3 {
			t.Fatalf("request = %+v", req)
		}
		out, err := f.decide(f.decision(req, push.DecisionApprove, req.Number), t0.Add(2*time.Minute))
		if err != nil || out.Status != push.StatusExpired {
			t.Fatalf("approval at 2:00: %+v %v", out, err)
		}
		g := enroll(t, db, r, "b@acme.test")
		req = g.mustStart(t0)
		out, err = g.decide(g.decision(req, push.DecisionApprove, req.Number), t0.Add(2*time.Minute-time.Second))
		if err != nil || out.Status != push.StatusApproved {
			t.Fatalf("approval at 1:59: %+v %v", out, err)
		}
	})
}

// TestSeed_6_2_NumberMatching: the right number approves; a wrong one, or
// none, is a denial; a risky sign-in's number has 6 digits.
func TestSeed_6_2_NumberMatching(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		r := push.New(push.Config{})
		f := enroll(t, db, r, "a@acme.test")
		req := f.mustStart(t0)
		wrong := "000"
		if req.Number == wrong {
			wrong = "001"
		}
		out, err := f.decide(f.decision(req, push.DecisionApprove, wrong), t0.Add(time.Second))
		if err != nil || out.Status != push.StatusDenied || !out.WrongNumber {
			t.Fatalf("wrong number: %+v %v", out, err)
		}
		g := enroll(t, db, r, "b@acme.test")
		req, err = g.start(t0, true)
		if err != nil || len(req.Number) != 6 {
			t.Fatalf("risky request: %+v %v", req, err)
		}
		out, err = g.decide(g.decision(req, push.DecisionApprove, req.Number), t0.Add(time.Second))
		if err != nil || out.Status != push.StatusApproved {
			t.Fatalf("right number: %+v %v", out, err)
		}
	})
}

// TestSeed_6_3_EachSignatureOnce: a decision is accepted once; replaying
// it, signing with another key, changing what was signed (number,
// decision, the context shown), or answering another account's request
// is refused with a clear code.
func TestSeed_6_3_EachSignatureOnce(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		r := push.New(push.Config{})
		f := enroll(t, db, r, "a@acme.test")
		g := enroll(t, db, r, "b@acme.test")
		req := f.mustStart(t0)
		good := f.decision(req, push.DecisionApprove, req.Number)

		tampered := good
		tampered.Decision = push.DecisionDeny
		other := g.decision(req, push.DecisionApprove, req.Number) // g's key
		shown := *req
		shown.IP = "198.51.100.1" // the device was shown another context
		lied := f.decision(&shown, push.DecisionApprove, req.Number)
		for name, tc := range map[string]struct {
			dev  *store.PushDevice
			d    push.Decision
			code string
		}{
			"tampered decision":     {f.dev, tampered, varco.EInvalidSignature},
			"another device's key":  {f.dev, other, varco.EInvalidSignature},
			"another context":       {f.dev, lied, varco.EInvalidSignature},
			"cross-account request": {g.dev, other, varco.EPushNotFound},
			"unknown request":       {f.dev, push.Decision{RequestID: "AAAAAAAAAAAAAAAAAAAAAA", Decision: "deny", Signature: good.Signature}, varco.EPushNotFound},
		} {
			if _, err := r.Decide(context.Background(), db.Q, tc.dev, tc.d, t0.Add(time.Second)); !varco.IsCode(err, tc.code) {
				t.Errorf("%s: %v, want %s", name, err, tc.code)
			}
		}
		if out, err := f.decide(good, t0.Add(time.Second)); err != nil || out.Status != push.StatusApproved {
			t.Fatalf("first use: %+v %v", out, err)
		}
		if _, err := f.decide(good, t0.Add(2*time.Second)); !varco.IsCode(err, varco.EPushAnswered) {
			t.Fatalf("replay: %v", err)
		}
	})
}

// TestSeed_6_4_Limits: one pending request at a time; waits from 10 s
// after each unanswered or denied request, doubling; an approval resets
// them; at most 10 requests an hour.
func TestSeed_6_4_Limits(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		r := push.New(push.Config{})
		f := enroll(t, db, r, "a@acme.test")
		now := t0
		req := f.mustStart(now)
		if _, err := f.start(now.Add(time.Minute), false); !varco.IsCode(err, varco.EPushRateLimited) {
			t.Fatalf("second pending request: %v", err)
		}
		// Denied at +5 s: the next may start 10 s later, not before.
		now = now.Add(5 * time.Second)
		if _, err := f.decide(f.decision(req, push.DecisionDeny, ""), now); err != nil {
			t.Fatal(err)
		}
		_, err := f.start(now.Add(9*time.Second), false)
		if e, ok := err.(*varco.Error); !ok || e.Code != varco.EPushRateLimited || e.RetryAfter != 1 {
			t.Fatalf("9 s after a denial: %v", err)
		}
		now = now.Add(10 * time.Second)
		req = f.mustStart(now)
		// Unanswered: it expires at +2 min, then 20 s (the second in a row).
		now = req.ExpiresAt
		if _, err := f.start(now.Add(19*time.Second), false); !varco.IsCode(err, varco.EPushRateLimited) {
			t.Fatalf("19 s after the second failure: %v", err)
		}
		now = now.Add(20 * time.Second)
		req = f.mustStart(now)
		now = now.Add(time.Second)
		if _, err := f.decide(f.decision(req, push.DecisionApprove, req.Number), now); err != nil {
			t.Fatal(err)
		}
		// An approval resets the waits.
		for i := 0; i < 7; i++ { // requests 4…10 of the hour, each approved
			req = f.mustStart(now)
			now = now.Add(time.Second)
			if _, err := f.decide(f.decision(req, push.DecisionApprove, req.Number), now); err != nil {
				t.Fatal(err)
			}
		}
		_, err = f.start(now, false)
		if e, ok := err.(*varco.Error); !ok || e.Code != varco.EPushRateLimited || time.Duration(e.RetryAfter)*time.Second > time.Hour {
			t.Fatalf("11th request of the hour: %v", err)
		}
		f.mustStart(t0.Add(time.Hour + time.Second)) // the first left the hour
	})
}

// TestSeed_6_4_ReportMutesForAnHour: a report mutes push for the account
// for one hour (push_muted with retry_after), not for other accounts.
func TestSeed_6_4_ReportMutesForAnHour(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		r := push.New(push.Config{})
		f := enroll(t, db, r, "a@acme.test")
		g := enroll(t, db, r, "b@acme.test")
		req := f.mustStart(t0)
		out, err := f.decide(f.decision(req, push.DecisionReport, ""), t0.Add(time.Second))
		if err != nil || out.Status != push.StatusReported || !out.MutedUntil.Equal(t0.Add(time.Hour+time.Second)) {
			t.Fatalf("report: %+v %v", out, err)
		}
		_, err = f.start(t0.Add(time.Hour), false)
		if e, ok := err.(*varco.Error); !ok || e.Code != varco.EPushMuted || e.RetryAfter != 1 {
			t.Fatalf("59:59 after the report: %v", err)
		}
		g.mustStart(t0.Add(time.Minute))
		f.mustStart(t0.Add(time.Hour + time.Second))
	})
}

// TestSeed_6_1_RecoveryCodes: ten codes, each works once; a new enrollment
// replaces the device and the codes.
func TestSeed_6_1_RecoveryCodes(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := push.New(push.Config{})
		f := enroll(t, db, r, "a@acme.test")
		codes := f.enr.RecoveryCodes
		if len(codes) != 10 {
			t.Fatalf("%d codes", len(codes))
		}
		if err := r.UseRecoveryCode(ctx, db.Q, f.acct.ID, codes[3], t0); err != nil {
			t.Fatal(err)
		}
		if err := r.UseRecoveryCode(ctx, db.Q, f.acct.ID, codes[3], t0); !varco.IsCode(err, varco.EInvalidRecoveryCode) {
			t.Fatalf("second use: %v", err)
		}
		g := enroll(t, db, r, "b@acme.test")
		if err := r.UseRecoveryCode(ctx, db.Q, g.acct.ID, codes[4], t0); !varco.IsCode(err, varco.EInvalidRecoveryCode) {
			t.Fatalf("another account's code: %v", err)
		}
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		e, err := r.Enroll(ctx, db.Q, f.acct.ID, pub, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.UseRecoveryCode(ctx, db.Q, f.acct.ID, codes[4], t0); !varco.IsCode(err, varco.EInvalidRecoveryCode) {
			t.Fatalf("a code of the replaced enrollment: %v", err)
		}
		if _, err := r.Device(ctx, db.Q, f.enr.Token); !varco.IsCode(err, varco.EUnauthorized) {
			t.Fatalf("the replaced device's token: %v", err)
		}
		if d, err := r.Device(ctx, db.Q, e.Token); err != nil || d.PublicID != e.Device.PublicID {
			t.Fatalf("the new device's token: %+v %v", d, err)
		}
	})
}

func TestParseDecision(t *testing.T) {
	id := base64.RawURLEncoding.EncodeToString(make([]byte, 16))
	sig := base64.RawURLEncoding.EncodeToString(make([]byte, 64))
	for _, tc := range []struct {
		id, body string
		ok       bool
	}{
		{id, `{"decision":"approve","number":"123","signature":"` + sig + `"}`, true},
		{id, `{"decision":"deny","signature":"` + sig + `"}`, true},
		{id, `{"decision":"report","signature":"` + sig + `"}`, true},
		{id, `{"decision":"approve","signature":"` + sig + `"}`, false},
		{id, `{"decision":"approve","number":"12a","signature":"` + sig + `"}`, false},
		{id, `{"decision":"approve","number":"1234567","signature":"` + sig + `"}`, false},
		{id, `{"decision":"allow","number":"123","signature":"` + sig + `"}`, false},
		{id, `{"decision":"deny","signature":"AAAA"}`, false},
		{id, `{"decision":"deny","signature":"` + sig + `","extra":1}`, false},
		{id, `{"decision":"deny","signature":"` + sig + `"} {}`, false},
		{"short", `{"decision":"deny","signature":"` + sig + `"}`, false},
	} {
		d, err := push.ParseDecision(tc.id, []byte(tc.body))
		if (err == nil) != tc.ok {
			t.Errorf("ParseDecision(%q) = %+v, %v; want ok=%v", tc.body, d, err, tc.ok)
		}
		if err != nil && !varco.IsCode(err, varco.EInvalid) {
			t.Errorf("ParseDecision(%q) error code %s", tc.body, varco.ErrorCode(err))
		}
	}
}

// FuzzParseDecision: whatever a device sends, ParseDecision never panics,
// and what it accepts is well formed and encodes back to itself.
func FuzzParseDecision(f *testing.F) {
	sig := base64.RawURLEncoding.EncodeToString(make([]byte, 64))
	f.Add("AAAAAAAAAAAAAAAAAAAAAA", `{"decision":"approve","number":"123","signature":"`+sig+`"}`)
	f.Add("AAAAAAAAAAAAAAAAAAAAAA", `{"decision":"report","signature":"`+sig+`"}`)
	f.Add("x", `{"decision":1}`)
	f.Fuzz(func(t *testing.T, id, body string) {
		d, err := push.ParseDecision(id, []byte(body))
		if err != nil {
			return
		}
		signed := len(d.Signature) == ed25519.SignatureSize && d.Assertion == nil
		asserted := d.Signature == nil && len(d.Assertion) > 0 && len(d.Assertion) <= push.MaxCredentialBytes
		if !(signed || asserted) || len(d.Number) > 6 || !push.ValidID(d.RequestID) {
			t.Fatalf("accepted %+v", d)
		}
		switch d.Decision {
		case push.DecisionApprove, push.DecisionDeny, push.DecisionReport:
		default:
			t.Fatalf("accepted decision %q", d.Decision)
		}
		again, err := push.ParseDecision(id, push.EncodeDecision(d))
		if err != nil || again.Decision != d.Decision || again.Number != d.Number || string(again.Signature) != string(d.Signature) ||
			(again.Assertion == nil) != (d.Assertion == nil) {
			t.Fatalf("round trip: %+v %v", again, err)
		}
	})
}

// FuzzMessage: two different decisions never share a signed message.
func FuzzMessage(f *testing.F) {
	f.Add("a", []byte("n"), "approve", "123", []byte("h"), "a", []byte("n"), "approve", "124", []byte("h"))
	f.Add("a", []byte("n1"), "deny", "", []byte("h"), "a", []byte("n"), "deny", "1", []byte("h"))
	f.Fuzz(func(t *testing.T, id1 string, n1 []byte, d1, num1 string, h1 []byte, id2 string, n2 []byte, d2, num2 string, h2 []byte) {
		same := id1 == id2 && string(n1) == string(n2) && d1 == d2 && num1 == num2 && string(h1) == string(h2)
		m1, m2 := push.Message(id1, n1, d1, num1, h1), push.Message(id2, n2, d2, num2, h2)
		if (string(m1) == string(m2)) != same {
			t.Fatalf("messages collide: %q", m1)
		}
	})
}

// TestSeed_6_4_OnePendingUnderConcurrency: a sign-in that starts while
// another one's request is not committed yet waits for it and then finds
// it pending, so an account never gets two pending requests.
func TestSeed_6_4_OnePendingUnderConcurrency(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := push.New(push.Config{})
		f := enroll(t, db, r, "a@acme.test")
		start := func(q *store.Q) error {
			_, err := r.Start(ctx, q, f.acct.ID, push.PurposeLogin, 0, push.Context{}, t0)
			return err
		}
		second := make(chan error, 1)
		err := db.InTx(ctx, func(q *store.Q) error {
			if err := start(q); err != nil {
				return err
			}
			go func() { second <- db.InTx(ctx, start) }()
			select {
			case err := <-second:
				// It did not wait for this transaction.
				t.Errorf("the second sign-in finished while the first was open: %v", err)
				second <- err
			case <-time.After(300 * time.Millisecond):
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := <-second; !varco.IsCode(err, varco.EPushRateLimited) {
			t.Fatalf("second sign-in: %v, want push_rate_limited", err)
		}
	})
}

// TestCancelledSetsNoWait: a request its requester withdrew (a device
// replacement the new device gave up) lets the next one start at once,
// and neither clears nor breaks the row of denied and unanswered requests
// whose wait grows (SPEC §6.4). Only a pending or approved request can be
// withdrawn.
func TestCancelledSetsNoWait(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := push.New(push.Config{})
		f := enroll(t, db, r, "a@acme.test")
		cancel := func(req *store.PushRequest, at time.Time) bool {
			t.Helper()
			ok, err := db.Q.CancelPushRequest(ctx, req.ID, at)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		deny := func(req *store.PushRequest, at time.Time) {
			t.Helper()
			if _, err := f.decide(f.decision(req, push.DecisionDeny, ""), at); err != nil {
				t.Fatal(err)
			}
		}
		refused := func(at time.Time, retry int) {
			t.Helper()
			_, err := f.start(at, false)
			if e, ok := err.(*varco.Error); !ok || e.Code != varco.EPushRateLimited || e.RetryAfter != retry {
				t.Fatalf("at +%s: %v, want push_rate_limited after %d s", at.Sub(t0), err, retry)
			}
		}

		// Withdrawn while pending: the next starts in the same second.
		now := t0
		req := f.mustStart(now)
		now = now.Add(time.Second)
		if !cancel(req, now) {
			t.Fatal("a pending request was not withdrawn")
		}
		if cancel(req, now) {
			t.Fatal("withdrawn twice")
		}
		b := f.mustStart(now)

		// A denial's wait stays after a withdrawal.
		now = now.Add(time.Second) // +2 s
		deny(b, now)
		if cancel(b, now) {
			t.Fatal("a denied request was withdrawn")
		}
		refused(now.Add(time.Second), 9)
		now = now.Add(10 * time.Second) // +12 s
		c := f.mustStart(now)
		now = now.Add(time.Second) // +13 s
		if !cancel(c, now) {
			t.Fatal("c was not withdrawn")
		}
		d := f.mustStart(now)
		// The row goes on past the withdrawn one: the second denial in a
		// row waits 20 s.
		now = now.Add(time.Second) // +14 s
		deny(d, now)
		refused(now.Add(19*time.Second), 1)
		e := f.mustStart(now.Add(20 * time.Second))

		// An approved request not yet taken can be withdrawn too.
		now = now.Add(21 * time.Second)
		if _, err := f.decide(f.decision(e, push.DecisionApprove, e.Number), now); err != nil {
			t.Fatal(err)
		}
		if !cancel(e, now) {
			t.Fatal("an approved request was not withdrawn")
		}
		got, err := db.Q.PushRequestByPublicID(ctx, e.PublicID)
		if err != nil || got.Status != push.StatusCancelled {
			t.Fatalf("the withdrawn request %+v %v", got, err)
		}
		f.mustStart(now)
	})
}
