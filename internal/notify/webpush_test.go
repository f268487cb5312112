package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv/pushsink"
	"varco.dev/varco/internal/webpush"
)

// TestWorkerNeverSendsOrRetriesPastExpiry: a message with an expiry is
// dead-lettered instead of sent once it expired, and instead of retried
// when its next attempt would come after it.
func TestWorkerNeverSendsOrRetriesPastExpiry(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(t0)
	ob := &fakeOutbox{}
	var sends int
	fail := senderFunc(func(context.Context, Message) error { sends++; return errors.New("push service answered 503") })
	w := NewWorker(ob, fail, WorkerOptions{Clock: clk, Jitter: noJitter})

	m := Message{Channel: ChannelWebPush, Event: varco.EventPushSent, To: "device-1", Text: "{}", ExpiresAt: t0.Add(2 * time.Minute)}
	id := ob.add(m, t0)
	if _, failed, err := w.DrainOnce(ctx); err != nil || failed != 1 {
		t.Fatalf("first attempt: %d failed, %v", failed, err)
	}
	if r := ob.row(id); r.status != "pending" || !r.next.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("after the first failure: %+v", r)
	}
	clk.Advance(30 * time.Second)
	w.DrainOnce(ctx) // 2nd failure: next at +90 s, before the expiry
	clk.Advance(time.Minute)
	w.DrainOnce(ctx) // 3rd failure at +90 s: the next would be at +210 s, past it
	r := ob.row(id)
	if r.status != "dead" || sends != 3 || !strings.Contains(r.lastError, "503") || !strings.Contains(r.lastError, errExpired) {
		t.Fatalf("after the failure whose retry would come too late: %+v, %d sends", r, sends)
	}

	clk.Advance(time.Minute)
	late := ob.add(m, t0) // due, but expired at +2 min
	w.DrainOnce(ctx)
	if r := ob.row(late); r.status != "dead" || r.lastError != errExpired || sends != 3 {
		t.Fatalf("an expired message: %+v, %d sends", r, sends)
	}
}

// fakePushStore holds subscriptions by device public id.
type fakePushStore struct {
	mu   sync.Mutex
	subs map[string]*store.PushSubscription
}

func (f *fakePushStore) PushSubscriptionOf(_ context.Context, id string) (*store.PushSubscription, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.subs[id]
	if !ok {
		return nil, varco.E(varco.ENotFound, "error.not_found")
	}
	c := *s
	return &c, nil
}

func (f *fakePushStore) DeletePushSubscriptionAt(_ context.Context, deviceID int64, endpoint string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, s := range f.subs {
		if s.DeviceID == deviceID && s.Endpoint == endpoint {
			delete(f.subs, id)
			return true, nil
		}
	}
	return false, nil
}

// TestWebPushSender: what the sender does with each answer and state of
// the subscription, against the push service stand-in.
func TestWebPushSender(t *testing.T) {
	ctx := context.Background()
	sink := pushsink.Start(t)
	key, err := webpush.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	vapid := &webpush.VAPID{Key: key, Subject: "mailto:security@provider.test"}
	clk := clock.NewManual(t0)
	st := &fakePushStore{subs: map[string]*store.PushSubscription{}}
	p := &WebPush{Store: st, Sender: &webpush.Sender{VAPID: vapid, AllowLoopback: true}, Clock: clk}
	add := func(device string, id int64, serverKey string) webpush.Subscription {
		sub := sink.Subscribe(t)
		st.subs[device] = &store.PushSubscription{DeviceID: id, Endpoint: sub.Endpoint, P256dh: sub.P256dh, Auth: sub.Auth, ServerKey: serverKey}
		return sub
	}
	msg := func(device string) Message {
		return Message{Channel: ChannelWebPush, To: device, Text: `{"type":"push_request"}`, ExpiresAt: t0.Add(100*time.Second + time.Millisecond)}
	}

	add("d1", 1, vapid.PublicKey())
	if err := p.Send(ctx, msg("d1")); err != nil {
		t.Fatal(err)
	}
	got := sink.Wait(t, 1, 10*time.Second)[0]
	if got.TTL != "101" || got.Urgency != "high" || string(got.Payload) != `{"type":"push_request"}` {
		t.Errorf("received %+v", got)
	}

	sink.FailNext(1, http.StatusTooManyRequests)
	if err := p.Send(ctx, msg("d1")); err == nil || IsPermanent(err) {
		t.Errorf("a 429: %v, want a temporary error", err)
	}
	sink.FailNext(1, http.StatusBadRequest)
	if err := p.Send(ctx, msg("d1")); !IsPermanent(err) {
		t.Errorf("a 400: %v, want a permanent error", err)
	}

	gone := add("d2", 2, vapid.PublicKey())
	sink.Unsubscribe(gone)
	if err := p.Send(ctx, msg("d2")); !IsPermanent(err) || !errors.Is(err, webpush.ErrGone) {
		t.Errorf("a 410: %v", err)
	}
	if _, ok := st.subs["d2"]; ok {
		t.Error("a subscription the push service said is gone was kept")
	}
	if err := p.Send(ctx, msg("d2")); !IsPermanent(err) || !errors.Is(err, ErrNoSubscription) {
		t.Errorf("no subscription: %v", err)
	}

	other, _ := webpush.GenerateKey()
	add("d3", 3, (&webpush.VAPID{Key: other}).PublicKey())
	if err := p.Send(ctx, msg("d3")); !IsPermanent(err) {
		t.Errorf("a subscription of another VAPID key: %v", err)
	}
	if _, ok := st.subs["d3"]; ok {
		t.Error("a subscription of another VAPID key was kept")
	}

	clk.Advance(2 * time.Minute)
	if err := p.Send(ctx, msg("d1")); !IsPermanent(err) {
		t.Errorf("an expired message: %v", err)
	}
	if n := len(sink.Messages()); n != 1 {
		t.Errorf("%d messages delivered, want 1", n)
	}
}

// TestQueuePushRequestCarriesNoSecret: the queued payload has what the
// notification shows and neither the number nor the nonce; the message
// expires with the request.
func TestQueuePushRequestCarriesNoSecret(t *testing.T) {
	q := &recordingEnqueuer{}
	m := &Mailer{Clock: clock.NewManual(t0), Domain: "varco.test"}
	r := &store.PushRequest{PublicID: "AAAAAAAAAAAAAAAAAAAAAA", Purpose: "login", Number: "417", Nonce: []byte("nonce-nonce-nonce-nonce-nonce-32"),
		Application: "webmail", IP: "203.0.113.9", Location: "Roma, IT", UserAgent: "Firefox", CreatedAt: t0, ExpiresAt: t0.Add(2 * time.Minute)}
	if err := m.QueuePushRequest(context.Background(), q, "device-1", r); err != nil {
		t.Fatal(err)
	}
	if len(q.msgs) != 1 {
		t.Fatalf("%d messages", len(q.msgs))
	}
	got := q.msgs[0]
	if got.Channel != ChannelWebPush || got.To != "device-1" || !got.ExpiresAt.Equal(r.ExpiresAt) || got.Event != varco.EventPushSent {
		t.Errorf("message %+v", got)
	}
	var n PushNotice
	if err := json.Unmarshal([]byte(got.Text), &n); err != nil {
		t.Fatal(err)
	}
	if n.ID != r.PublicID || n.Digits != 3 || n.Location != "Roma, IT" || n.IP != "203.0.113.9" || !n.ExpiresAt.Equal(r.ExpiresAt) {
		t.Errorf("notice %+v", n)
	}
	if strings.Contains(got.Text, "417") || strings.Contains(got.Text, "nonce") || strings.Contains(got.Text, "bm9uY2") {
		t.Errorf("the payload carries the number or the nonce: %s", got.Text)
	}
}

type recordingEnqueuer struct{ msgs []*Message }

func (r *recordingEnqueuer) EnqueueMessage(_ context.Context, m *store.Message) error {
	r.msgs = append(r.msgs, m)
	return nil
}
func (r *recordingEnqueuer) RaiseAlert(context.Context, int64, store.Alert, time.Time) error {
	return nil
}
func (r *recordingEnqueuer) ClearAlert(context.Context, int64, string) error { return nil }
func (r *recordingEnqueuer) AfterCommit(f func())                            { f() }
