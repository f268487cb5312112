package push

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"encoding/json"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/webpush"
)

// Limits of a Web Push subscription (SPEC §6.6), checked where it enters.
const (
	// MaxSubscriptionBytes bounds the body of PUT
	// /api/v1/authenticator/push-subscription.
	MaxSubscriptionBytes = 4096
	// MaxEndpointLen bounds an endpoint; the push services' are a few
	// hundred characters.
	MaxEndpointLen = 2048
)

// subscriptionJSON is the body of PUT /api/v1/authenticator/push-subscription:
// what PushSubscription.toJSON() gives in a browser, whose expirationTime
// (null or a time) varco does not use.
type subscriptionJSON struct {
	Endpoint       string          `json:"endpoint"`
	ExpirationTime json.RawMessage `json:"expirationTime,omitempty"`
	Keys           struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// ParseSubscription reads a subscription body and checks it strictly:
// invalid_request for a body that is not one JSON object of the known
// fields; invalid_push_endpoint (field endpoint) for an endpoint that is
// not an https URL (http only on loopback) without credentials or
// fragment, of printable ASCII, at most MaxEndpointLen long, whose host is
// not a private, link-local or unspecified address; invalid_push_keys
// (field keys.p256dh or keys.auth) unless p256dh is an uncompressed P-256
// point and auth 16 bytes, both base64url. The keys come back without
// padding.
func ParseSubscription(body []byte) (webpush.Subscription, error) {
	if len(body) > MaxSubscriptionBytes {
		return webpush.Subscription{}, badSubscription()
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var in subscriptionJSON
	if err := dec.Decode(&in); err != nil || dec.More() {
		return webpush.Subscription{}, badSubscription()
	}
	if exp := bytes.TrimSpace(in.ExpirationTime); len(exp) > 0 && !bytes.Equal(exp, []byte("null")) {
		var n float64
		if json.Unmarshal(exp, &n) != nil {
			return webpush.Subscription{}, badSubscription()
		}
	}
	if !validEndpoint(in.Endpoint) {
		return webpush.Subscription{}, fieldError(varco.EInvalidPushEndpoint, "error.push_endpoint", "endpoint")
	}
	pub, ok := decodeKey(in.Keys.P256dh, 65)
	if !ok || pub[0] != 4 {
		return webpush.Subscription{}, fieldError(varco.EInvalidPushKeys, "error.push_p256dh", "keys.p256dh")
	}
	if _, err := ecdh.P256().NewPublicKey(pub); err != nil {
		return webpush.Subscription{}, fieldError(varco.EInvalidPushKeys, "error.push_p256dh", "keys.p256dh")
	}
	auth, ok := decodeKey(in.Keys.Auth, 16)
	if !ok {
		return webpush.Subscription{}, fieldError(varco.EInvalidPushKeys, "error.push_auth", "keys.auth")
	}
	enc := base64.RawURLEncoding.EncodeToString
	return webpush.Subscription{Endpoint: in.Endpoint, P256dh: enc(pub), Auth: enc(auth)}, nil
}

func badSubscription() error { return varco.E(varco.EInvalid, "error.push_subscription") }

func fieldError(code, key, field string) error {
	e := varco.E(code, key)
	e.Field = field
	return e
}

// decodeKey decodes base64url (padding tolerated: browsers differ) of
// exactly n bytes.
func decodeKey(s string, n int) ([]byte, bool) {
	if len(s) > base64.URLEncoding.EncodedLen(n) {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(b) != n {
		return nil, false
	}
	return b, true
}

func validEndpoint(s string) bool {
	if s == "" || len(s) > MaxEndpointLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || strings.Contains(s, "#") || u.Opaque != "" {
		return false
	}
	host := u.Hostname()
	if host == "" {
		return false
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !webpush.IsLoopback(host) {
			return false
		}
	default:
		return false
	}
	if ip, err := netip.ParseAddr(host); err == nil && !ip.IsLoopback() {
		// An address instead of a push service's name: refuse the ones
		// that would point varco at its own network.
		if ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast() || ip.Zone() != "" {
			return false
		}
	}
	return true
}

// Subscribe makes sub the push subscription of dev (replacing any other),
// recorded as made under the VAPID public key serverKey.
func (r *Rules) Subscribe(ctx context.Context, q Store, dev *store.PushDevice, sub webpush.Subscription, serverKey string, now time.Time) error {
	return q.ReplacePushSubscription(ctx, &store.PushSubscription{DeviceID: dev.ID, AccountID: dev.AccountID,
		Endpoint: sub.Endpoint, P256dh: sub.P256dh, Auth: sub.Auth, ServerKey: serverKey, CreatedAt: now})
}

// Unsubscribe removes dev's push subscription, if any.
func (r *Rules) Unsubscribe(ctx context.Context, q Store, dev *store.PushDevice) error {
	_, err := q.DeletePushSubscription(ctx, dev.ID)
	return err
}
