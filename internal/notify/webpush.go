package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/webpush"
)

// PushNotice is the payload of the Web Push message that tells the closed
// authenticator app about a push request (SPEC §6.6): what it shows in the
// notification. It never carries the number to type nor the nonce the
// device signs: the app reads the request from the server, over its
// device token, before anything is approved.
type PushNotice struct {
	Type        string    `json:"type"` // "push_request"
	ID          string    `json:"id"`
	Purpose     string    `json:"purpose"` // login or disable
	Application string    `json:"application"`
	Location    string    `json:"location"`
	IP          string    `json:"ip"`
	Browser     string    `json:"browser"`
	Time        time.Time `json:"time"`
	ExpiresAt   time.Time `json:"expires_at"`
	Risky       bool      `json:"risky"`
	Digits      int       `json:"digits"` // how many digits the number has, not the number
}

// PushNoticeType is PushNotice.Type of a push request.
const PushNoticeType = "push_request"

// QueuePushRequest queues, in q's transaction, the Web Push message that
// tells device devicePublicID about request r; it expires with r, so it
// is neither sent nor retried after that. The caller checks that the
// device has a subscription; delivery reads it then.
func (m *Mailer) QueuePushRequest(ctx context.Context, q Enqueuer, devicePublicID string, r *store.PushRequest) error {
	payload, err := json.Marshal(PushNotice{Type: PushNoticeType, ID: r.PublicID, Purpose: r.Purpose,
		Application: r.Application, Location: r.Location, IP: r.IP, Browser: r.UserAgent,
		Time: r.CreatedAt.UTC().Truncate(time.Second), ExpiresAt: r.ExpiresAt.UTC(), Risky: r.Risky, Digits: len(r.Number)})
	if err != nil {
		return fmt.Errorf("push notice: %w", err)
	}
	id, err := m.messageID()
	if err != nil {
		return err
	}
	return m.Queue(ctx, q, &Message{Channel: ChannelWebPush, Event: varco.EventPushSent, To: devicePublicID,
		Text: string(payload), MessageID: id, CreatedAt: m.Clock.Now(), ExpiresAt: r.ExpiresAt})
}

// PushTopic is the Topic of every Web Push message (RFC 8030 §5.4): a push
// service holding an undelivered one for an offline device replaces it
// with the newer, and an account has one pending request at a time, so the
// device wakes to the request that counts.
const PushTopic = "varco-push-request"

// PushStore is what WebPush reads and changes at delivery.
type PushStore interface {
	PushSubscriptionOf(ctx context.Context, devicePublicID string) (*store.PushSubscription, error)
	DeletePushSubscriptionAt(ctx context.Context, deviceID int64, endpoint string) (bool, error)
}

var _ PushStore = (*store.Q)(nil)

// ErrNoSubscription is the (permanent) error of a Web Push message whose
// device has no subscription any more (signed out, unsubscribed, gone).
var ErrNoSubscription = errors.New("the device has no push subscription")

// WebPush is the Sender of Web Push messages: it reads the device's
// subscription, encrypts the payload to it and posts it to the push
// service with the server's VAPID signature, to live as long as the
// message is worth (its ExpiresAt), with high urgency and PushTopic. A 404 or 410
// from the push service removes the subscription; other 4xx answers are
// permanent; 429, 5xx and network errors are retried by the worker. Logs
// name the push service by its origin only: the endpoint's path is the
// capability to push to the device.
type WebPush struct {
	Store  PushStore
	Sender *webpush.Sender
	Clock  interface{ Now() time.Time }
	Logger *slog.Logger // optional
}

var _ Sender = (*WebPush)(nil)

// Send delivers m, a ChannelWebPush message.
func (p *WebPush) Send(ctx context.Context, m Message) error {
	if m.ChannelName() != ChannelWebPush {
		return Permanent(fmt.Errorf("webpush: not a Web Push message (channel %q)", m.Channel))
	}
	sub, err := p.Store.PushSubscriptionOf(ctx, m.To)
	if varco.IsCode(err, varco.ENotFound) {
		return Permanent(ErrNoSubscription)
	}
	if err != nil {
		return err
	}
	log := p.logger().With("device", m.To, "push_service", webpush.Origin(sub.Endpoint))
	if sub.ServerKey != p.Sender.VAPID.PublicKey() {
		// Made under another VAPID key (rotated since): the push service
		// would refuse it. The app subscribes again with the current key.
		if _, err := p.Store.DeletePushSubscriptionAt(ctx, sub.DeviceID, sub.Endpoint); err != nil {
			return err
		}
		log.Warn("push subscription made under a previous VAPID key, removed")
		return Permanent(errors.New("webpush: subscription made under a previous VAPID key, removed"))
	}
	var ttl time.Duration
	if !m.ExpiresAt.IsZero() {
		ttl = m.ExpiresAt.Sub(p.Clock.Now())
		ttl = (ttl + time.Second - 1).Truncate(time.Second)
		if ttl <= 0 {
			return Permanent(errors.New("webpush: " + errExpired))
		}
	}
	ws := webpush.Subscription{Endpoint: sub.Endpoint, P256dh: sub.P256dh, Auth: sub.Auth}
	err = p.Sender.Send(ctx, ws, []byte(m.Text), webpush.Options{TTL: ttl, Urgency: "high", Topic: PushTopic})
	switch {
	case errors.Is(err, webpush.ErrGone):
		// The browser unsubscribed or the app was removed: forget the
		// subscription, unless the device already made a new one.
		if _, derr := p.Store.DeletePushSubscriptionAt(ctx, sub.DeviceID, sub.Endpoint); derr != nil {
			return derr
		}
		log.Warn("push subscription gone (404/410 from the push service), removed")
		return Permanent(err)
	case errors.Is(err, webpush.ErrRejected):
		return Permanent(err)
	}
	return err
}

func (p *WebPush) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}
