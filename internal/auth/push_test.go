package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/push"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// approvalWins is a transaction's Store in which the device's approval
// of request wins the race with the poll that expires it: it lands just
// before the poll's own answer.
type approvalWins struct {
	Store
	request int64
	at      time.Time
}

func (w *approvalWins) AnswerPushRequest(ctx context.Context, id int64, status string, at time.Time) (bool, error) {
	if id == w.request && status == push.StatusExpired {
		if ok, err := w.Store.AnswerPushRequest(ctx, id, push.StatusApproved, w.at); err != nil || !ok {
			return false, err
		}
	}
	return w.Store.AnswerPushRequest(ctx, id, status, at)
}

// TestPollExpiresOnlyAPendingRequest: the poll of a sign-in whose request
// is past its life expires it only if it is still pending; when the
// device's approval got in first, the poll records no push_expired, does
// not end the flow, and answers what happened (push_approved).
func TestPollExpiresOnlyAPendingRequest(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		now := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
		clk := clock.NewManual(now)
		s := New(Deps{DB: db, Clock: clk}, Config{})
		p := newPendingPush(t, db, now)
		a, r, flowID, flowHash := p.account, p.request, p.flowID, p.flowHash
		clk.Advance(3 * time.Minute) // the poll finds the request past its life
		s.txStore = func(q *store.Q) Store { return &approvalWins{Store: q, request: r.ID, at: now.Add(time.Minute)} }

		st, err := s.Flow(ctx, flowID)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != varco.StatePushApproved {
			t.Errorf("the poll answered %s, want %s", st.State, varco.StatePushApproved)
		}
		got, err := db.PushRequestByPublicID(ctx, r.PublicID)
		if err != nil || got.Status != push.StatusApproved {
			t.Errorf("the request: %+v %v, want approved", got, err)
		}
		flow, err := db.LoginFlowByHash(ctx, flowHash)
		if err != nil || flow.State != varco.StatePushApproved {
			t.Errorf("the flow: %+v %v, want %s", flow, err, varco.StatePushApproved)
		}
		events, err := db.ListEvents(ctx, store.EventFilter{AccountID: a.ID, Types: []string{varco.EventPushExpired}})
		if err != nil || len(events) != 0 {
			t.Errorf("push_expired recorded for an approved request: %d %v", len(events), err)
		}
	})
}

// TestConcurrentDecisionsOneWins: the same signed approval sent eight
// times at once is accepted once; the others are push_already_answered,
// and the history has one push_approved.
func TestConcurrentDecisionsOneWins(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		now := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
		s := New(Deps{DB: db, Clock: clock.NewManual(now)}, Config{})
		p := newPendingPush(t, db, now)
		a, r, priv, flowHash := p.account, p.request, p.priv, p.flowHash
		d := push.Sign(func(m []byte) []byte { return ed25519.Sign(priv, m) },
			push.Decision{RequestID: r.PublicID, Decision: push.DecisionApprove, Number: "417"}, r.Nonce, r.ContextHash)

		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.DecidePush(ctx, p.deviceToken, d, Meta{IP: "192.0.2.9", Application: AppAuthenticator})
			}()
		}
		wg.Wait()
		accepted := 0
		for _, err := range errs {
			switch {
			case err == nil:
				accepted++
			case !varco.IsCode(err, varco.EPushAnswered):
				t.Errorf("a decision: %v", err)
			}
		}
		if accepted != 1 {
			t.Errorf("%d decisions accepted, want 1", accepted)
		}
		events, err := db.ListEvents(ctx, store.EventFilter{AccountID: a.ID, Types: []string{varco.EventPushApproved}})
		if err != nil || len(events) != 1 {
			t.Errorf("push_approved recorded %d times (%v), want once", len(events), err)
		}
		if fl, err := db.LoginFlowByHash(ctx, flowHash); err != nil || fl.State != varco.StatePushApproved {
			t.Errorf("the flow: %+v %v", fl, err)
		}
	})
}

// pendingPush is an account with a command-line device, a sign-in flow
// waiting for it and the flow's pending request, made at now.
type pendingPush struct {
	account     *varco.Account
	priv        ed25519.PrivateKey
	deviceToken string
	flowID      string
	flowHash    []byte
	request     *store.PushRequest
}

func newPendingPush(t *testing.T, db *store.DB, now time.Time) *pendingPush {
	t.Helper()
	ctx := t.Context()
	org := &varco.Org{Name: "acme", Plan: varco.PlanPro, CreatedAt: now}
	if err := db.CreateOrg(ctx, org); err != nil {
		t.Fatal(err)
	}
	a := &varco.Account{OrgID: org.ID, Email: "mario@acme.test", Lang: "it", Role: varco.RoleUser,
		Status: varco.StatusActive, PasswordHash: "x", PasswordChangedAt: now, CreatedAt: now}
	if err := db.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e, err := push.New(push.Config{}).Enroll(ctx, db.Q, a.ID, pub, now)
	if err != nil {
		t.Fatal(err)
	}
	flowID, flowHash, err := newFlowID()
	if err != nil {
		t.Fatal(err)
	}
	f := &store.LoginFlow{FlowHash: flowHash, AccountID: a.ID, State: varco.StatePushRequired, Application: "webmail",
		IP: "192.0.2.7", CreatedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
	if err := db.CreateLoginFlow(ctx, f); err != nil {
		t.Fatal(err)
	}
	c := push.Context{Application: "webmail", IP: "192.0.2.7", Time: now}
	r := &store.PushRequest{PublicID: "AAAAAAAAAAAAAAAAAAAAAA", AccountID: a.ID, DeviceID: e.Device.ID, Purpose: push.PurposeLogin,
		FlowID: f.ID, Number: "417", Nonce: make([]byte, 32), Application: c.Application, IP: c.IP,
		ContextHash: c.Hash(), Status: push.StatusPending, CreatedAt: now, ExpiresAt: now.Add(2 * time.Minute)}
	if err := db.InsertPushRequest(ctx, r); err != nil {
		t.Fatal(err)
	}
	return &pendingPush{account: a, priv: priv, deviceToken: e.Token, flowID: flowID, flowHash: flowHash, request: r}
}
