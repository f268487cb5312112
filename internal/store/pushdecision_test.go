package store_test

import (
	"context"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// TestPushDecisionViewAndAnswer: a decision's read finds the device by its
// token, its account and the request (none for an unknown id), and its
// answer writes only while the request is pending and the device still
// has the token and the signature counter it was read with: a replay, a
// device that lost its token and a counter moved meanwhile change nothing.
func TestPushDecisionViewAndAnswer(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		q := db.Q
		a := newAccount(t, q, newOrg(t, q, "acme"), "mario@acme.test")
		dev := &store.PushDevice{AccountID: a.ID, PublicID: "dev-1", Kind: "webauthn", PublicKey: []byte("key"),
			TokenHash: []byte("token-hash"), CreatedAt: t0, CredentialID: []byte("cred"), SignCount: 7}
		if err := q.ReplacePushDevice(ctx, dev); err != nil {
			t.Fatal(err)
		}
		f := &store.LoginFlow{FlowHash: []byte("flow-hash"), AccountID: a.ID, State: varco.StatePushRequired,
			CreatedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)}
		if err := q.CreateLoginFlow(ctx, f); err != nil {
			t.Fatal(err)
		}
		r := &store.PushRequest{PublicID: "req-1", AccountID: a.ID, DeviceID: dev.ID, Purpose: "login", FlowID: f.ID,
			Number: "417", Nonce: []byte("nonce"), Application: "webmail", IP: "192.0.2.7", Risky: true,
			ContextHash: []byte("context"), Status: "pending", CreatedAt: t0, ExpiresAt: t0.Add(2 * time.Minute)}
		if err := q.InsertPushRequest(ctx, r); err != nil {
			t.Fatal(err)
		}

		if _, err := db.Reader().PushDecisionView(ctx, []byte("another"), r.PublicID); !varco.IsCode(err, varco.ENotFound) {
			t.Fatalf("an unknown token: %v", err)
		}
		v, err := db.Reader().PushDecisionView(ctx, dev.TokenHash, "unknown")
		if err != nil || v.Request != nil || v.Device.ID != dev.ID || v.Account.ID != a.ID {
			t.Fatalf("an unknown request: %+v %v", v, err)
		}
		v, err = db.Reader().PushDecisionView(ctx, dev.TokenHash, r.PublicID)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Request; got == nil || got.ID != r.ID || got.Number != "417" || string(got.Nonce) != "nonce" ||
			string(got.ContextHash) != "context" || !got.Risky || got.Status != "pending" || got.FlowID != f.ID ||
			!got.ExpiresAt.Equal(r.ExpiresAt) {
			t.Fatalf("the request: %+v", v.Request)
		}
		if v.Device.SignCount != 7 || string(v.Device.CredentialID) != "cred" || v.Account.Email != "mario@acme.test" || v.Account.OrgName != "acme" {
			t.Fatalf("the device and account: %+v %+v", v.Device, v.Account)
		}

		at := t0.Add(time.Minute)
		answer := func(tokenHash []byte, count uint32) store.PushAnswered {
			t.Helper()
			var got store.PushAnswered
			err := db.InTx(ctx, func(q *store.Q) error {
				var err error
				got, err = q.AnswerPush(ctx, &store.PushAnswer{Request: r.ID, Status: "reported", At: at, Device: dev.ID,
					TokenHash: tokenHash, SignCount: count, NewSignCount: 9, AccountID: a.ID, MuteUntil: at.Add(time.Hour),
					Flow: f.ID, FlowState: varco.StatePushDenied, Notify: true})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		state := func() (string, uint32, string, time.Time) {
			t.Helper()
			req, err := q.PushRequestByPublicID(ctx, r.PublicID)
			if err != nil {
				t.Fatal(err)
			}
			d, err := q.PushDevice(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			fl, err := q.LoginFlowByHash(ctx, f.FlowHash)
			if err != nil {
				t.Fatal(err)
			}
			muted, err := q.PushMutedUntil(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			return req.Status, d.SignCount, fl.State, muted
		}
		unchanged := func(what string) {
			t.Helper()
			if st, count, fs, muted := state(); st != "pending" || count != 7 || fs != varco.StatePushRequired || !muted.IsZero() {
				t.Fatalf("%s changed something: %s %d %s %v", what, st, count, fs, muted)
			}
		}
		if got := answer([]byte("another"), 7); got != (store.PushAnswered{}) {
			t.Fatalf("a device without the token: %+v", got)
		}
		unchanged("a device without the token")
		if got := answer(dev.TokenHash, 6); got != (store.PushAnswered{DeviceHeld: true}) {
			t.Fatalf("a counter moved since it was read: %+v", got)
		}
		unchanged("a counter moved")
		if got := answer(dev.TokenHash, 7); got != (store.PushAnswered{DeviceHeld: true, CountHeld: true, Answered: true}) {
			t.Fatalf("the answer: %+v", got)
		}
		if st, count, fs, muted := state(); st != "reported" || count != 9 || fs != varco.StatePushDenied || !muted.Equal(at.Add(time.Hour)) {
			t.Fatalf("after the answer: %s %d %s %v", st, count, fs, muted)
		}
		// The same answer again (a replay, the counter it now has): the
		// request is no longer pending.
		if got := answer(dev.TokenHash, 9); got != (store.PushAnswered{DeviceHeld: true, CountHeld: true}) {
			t.Fatalf("a replay: %+v", got)
		}
	})
}
