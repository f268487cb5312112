package store

import (
	"context"
	"fmt"
	"time"
)

// PushSubscription is where a device's push service takes Web Push
// messages for it (SPEC §6.6): what the browser's PushManager.subscribe()
// returned. Endpoint is a bearer capability and Auth a secret: neither is
// ever logged.
type PushSubscription struct {
	DeviceID  int64
	AccountID int64
	Endpoint  string
	P256dh    string // the browser's P-256 key, base64url
	Auth      string // the browser's 16-byte auth secret, base64url
	ServerKey string // the VAPID public key it was made under
	CreatedAt time.Time
}

const pushSubscriptionColumns = `s.device_id, s.account_id, s.endpoint, s.p256dh, s.auth, s.server_key, s.created_at`

// ReplacePushSubscription makes s its device's only subscription.
func (q *Q) ReplacePushSubscription(ctx context.Context, s *PushSubscription) error {
	_, err := q.exec(ctx, `INSERT INTO push_subscriptions (device_id, account_id, endpoint, p256dh, auth, server_key, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (device_id) DO UPDATE SET endpoint = excluded.endpoint, p256dh = excluded.p256dh,
			auth = excluded.auth, server_key = excluded.server_key, created_at = excluded.created_at`,
		s.DeviceID, s.AccountID, s.Endpoint, s.P256dh, s.Auth, s.ServerKey, ts(s.CreatedAt))
	if err != nil {
		return fmt.Errorf("replace push subscription: %w", mapError(err, "push subscription"))
	}
	return nil
}

// PushSubscriptionOf returns the subscription of the device with public
// id devicePublicID, or ENotFound (no such device, or no subscription).
func (q *Q) PushSubscriptionOf(ctx context.Context, devicePublicID string) (*PushSubscription, error) {
	var s PushSubscription
	var created int64
	err := q.queryRow(ctx, `SELECT `+pushSubscriptionColumns+` FROM push_subscriptions s
		JOIN push_devices d ON d.id = s.device_id WHERE d.public_id = $1`, devicePublicID).
		Scan(&s.DeviceID, &s.AccountID, &s.Endpoint, &s.P256dh, &s.Auth, &s.ServerKey, &created)
	if err != nil {
		return nil, fmt.Errorf("push subscription: %w", notFound(err, "push subscription"))
	}
	s.CreatedAt = tm(created)
	return &s, nil
}

// HasPushSubscription reports whether the device has a subscription.
func (q *Q) HasPushSubscription(ctx context.Context, deviceID int64) (bool, error) {
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM push_subscriptions WHERE device_id = $1`, deviceID).Scan(&n); err != nil {
		return false, fmt.Errorf("push subscription: %w", err)
	}
	return n > 0, nil
}

// DeletePushSubscription removes the device's subscription and reports
// whether there was one.
func (q *Q) DeletePushSubscription(ctx context.Context, deviceID int64) (bool, error) {
	res, err := q.exec(ctx, `DELETE FROM push_subscriptions WHERE device_id = $1`, deviceID)
	if err != nil {
		return false, fmt.Errorf("delete push subscription: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("delete push subscription: %w", err)
	}
	return n > 0, nil
}

// DeletePushSubscriptionAt removes the device's subscription if it still
// has endpoint: the push service said it is gone, and a subscription the
// device made since then must stay. It reports whether one was removed.
func (q *Q) DeletePushSubscriptionAt(ctx context.Context, deviceID int64, endpoint string) (bool, error) {
	res, err := q.exec(ctx, `DELETE FROM push_subscriptions WHERE device_id = $1 AND endpoint = $2`, deviceID, endpoint)
	if err != nil {
		return false, fmt.Errorf("delete push subscription: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("delete push subscription: %w", err)
	}
	return n > 0, nil
}

// HasPushSubscriptions reports whether any device has a subscription:
// then the VAPID key they were made under must not change silently.
func (q *Q) HasPushSubscriptions(ctx context.Context) (bool, error) {
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM push_subscriptions LIMIT 1) x`).Scan(&n); err != nil {
		return false, fmt.Errorf("push subscriptions: %w", err)
	}
	return n > 0, nil
}
