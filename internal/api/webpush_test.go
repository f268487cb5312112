package api_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/fixture"
	"varco.dev/varco/internal/testenv/pushsink"
	"varco.dev/varco/internal/webpush"
)

// pushHarness is a harness whose logs a test can read, with a push
// service stand-in.
type pushHarness struct {
	*harness
	sink *pushsink.Sink
	logs *testenv.Buffer
}

func newPushHarness(t *testing.T, engine string) *pushHarness {
	t.Helper()
	logs := &testenv.Buffer{}
	h := newHarnessWith(t, engine, fixture.Options{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	standard(h)
	return &pushHarness{harness: h, sink: pushsink.Start(t), logs: logs}
}

func subscriptionBody(sub webpush.Subscription) map[string]any {
	return map[string]any{"endpoint": sub.Endpoint, "expirationTime": nil, "keys": map[string]string{"p256dh": sub.P256dh, "auth": sub.Auth}}
}

// subscribe enrolls a device for email and subscribes it to a new
// subscription of the sink; it returns the device token and subscription.
func (h *pushHarness) subscribe(email, pw string) (string, webpush.Subscription) {
	h.t.Helper()
	device := h.enroll(email, pw)
	sub := h.sink.Subscribe(h.t)
	if r := h.do("PUT", "/api/v1/authenticator/push-subscription", device, subscriptionBody(sub)); r.status != http.StatusNoContent {
		h.t.Fatalf("subscribe: %d %s", r.status, r.raw)
	}
	return device, sub
}

// pushLogin signs in to an account with 2-step verification on and
// returns the number shown.
func (h *pushHarness) pushLogin(email, pw string) string {
	h.t.Helper()
	r := h.do("POST", "/api/v1/login", "", map[string]string{"email": email, "password": pw, "app": "webmail"},
		"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
	if r.status != 200 || r.str("state") != varco.StatePushRequired || r.str("number") == "" {
		h.t.Fatalf("login %s: %d %s", email, r.status, r.raw)
	}
	return r.str("number")
}

// drain runs one delivery round of the outbox, after any round the
// background worker has under way: when it returns, every message that
// was due has been tried.
func (h *pushHarness) drain() {
	h.t.Helper()
	if _, _, err := h.app.Worker.DrainOnce(h.t.Context()); err != nil {
		h.t.Fatal(err)
	}
}

// webPushMessages returns the outbox's Web Push messages in a status.
func (h *pushHarness) webPushMessages(status string) []store.OutboxEntry {
	h.t.Helper()
	list, err := h.app.DB.Reader().ListOutbox(h.t.Context(), status, 0, 100)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []store.OutboxEntry
	for _, e := range list {
		if e.Channel == store.ChannelWebPush {
			out = append(out, e)
		}
	}
	return out
}

// pending returns the device's one pending request.
func (h *pushHarness) pending(device string) map[string]any {
	h.t.Helper()
	r := h.do("GET", "/api/v1/authenticator/requests", device, nil)
	reqs, _ := r.body["requests"].([]any)
	if r.status != 200 || len(reqs) != 1 {
		h.t.Fatalf("pending requests: %d %s", r.status, r.raw)
	}
	return reqs[0].(map[string]any)
}

// noSecretsLogged checks that the logs never show a subscription's
// endpoint path or keys.
func (h *pushHarness) noSecretsLogged(subs ...webpush.Subscription) {
	h.t.Helper()
	logs := h.logs.String()
	for _, sub := range subs {
		u, _ := url.Parse(sub.Endpoint)
		for _, secret := range []string{u.Path, sub.P256dh, sub.Auth} {
			if strings.Contains(logs, secret) {
				h.t.Errorf("the logs show %q:\n%s", secret, logs)
			}
		}
	}
}

// TestWebPushReachesTheClosedApp: SPEC §6.6 — a sign-in with push sends
// the device's push service a message it decrypts with the subscription's
// keys: the request's id, application, place, IP, browser, time and
// expiry, never the number or the nonce; signed with the server's VAPID
// key for the push service's origin, living as long as the request, with
// high urgency. The outbox lists it as a webpush message to the device.
func TestWebPushReachesTheClosedApp(t *testing.T) {
	forEachEngineWith(t, newPushHarness, func(t *testing.T, h *pushHarness) {
		const email = "mario@acme.test"
		kr := h.do("GET", "/api/v1/authenticator/push-key", "", nil)
		stored, err := webpush.LoadKey(h.cfg.AuditDir, false)
		if err != nil {
			t.Fatal(err)
		}
		publicKey := (&webpush.VAPID{Key: stored}).PublicKey()
		if kr.status != 200 || kr.str("public_key") != publicKey || len(publicKey) != 87 {
			t.Fatalf("push-key: %d %s, stored key %s", kr.status, kr.raw, publicKey)
		}
		device, sub := h.subscribe(email, marioPW)
		number := h.pushLogin(email, marioPW)
		req := h.pending(device)

		m := h.sink.Wait(t, 1, 10*time.Second)[0]
		var got map[string]any
		if err := json.Unmarshal(m.Payload, &got); err != nil {
			t.Fatalf("payload %q: %v", m.Payload, err)
		}
		want := map[string]any{"type": "push_request", "id": req["id"], "purpose": "login", "application": "webmail",
			"location": req["location"], "ip": req["ip"], "browser": req["browser"], "time": req["time"],
			"expires_at": req["expires_at"], "risky": false, "digits": float64(3)}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("payload %s = %v, want %v", k, got[k], v)
			}
		}
		if len(got) != len(want) {
			t.Errorf("payload has other fields: %s", m.Payload)
		}
		if got["ip"] == "" || !strings.Contains(got["browser"].(string), "Firefox") {
			t.Errorf("payload without the sign-in's IP or browser: %s", m.Payload)
		}
		nonce, _ := req["nonce"].(string)
		if nonce == "" || strings.Contains(string(m.Payload), nonce) || strings.Contains(string(m.Payload), `"number"`) {
			t.Errorf("payload carries the nonce or the number (%s): %s", number, m.Payload)
		}
		if m.VAPIDKey != publicKey || m.TTL != "120" || m.Urgency != "high" || m.Topic != "varco-push-request" {
			t.Errorf("VAPID key %s (want %s), TTL %s, Urgency %s, Topic %s", m.VAPIDKey, publicKey, m.TTL, m.Urgency, m.Topic)
		}
		c, err := m.Claims()
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		if exp := time.Unix(c.Exp, 0); c.Aud != h.sink.Origin() || !exp.After(now) || exp.After(now.Add(24*time.Hour)) ||
			c.Sub != "mailto:varco@provider.test" {
			t.Errorf("VAPID claims %+v, want aud %s, exp within a day, sub mailto:varco@provider.test", c, h.sink.Origin())
		}

		h.drain()
		sent := h.webPushMessages(store.OutboxSent)
		if len(sent) != 1 || sent[0].Event != varco.EventPushSent || sent[0].To != h.deviceID(device) || sent[0].Attempts != 1 {
			t.Fatalf("outbox: %+v", sent)
		}
		// The admin view says what it is and to which device.
		support := h.login("help@provider.test", "Assist-Desk-2026")
		ob := h.do("GET", "/api/v1/admin/outbox?status=sent", support, nil)
		if ob.status != 200 || !strings.Contains(string(ob.raw), `"channel":"webpush"`) || !strings.Contains(string(ob.raw), `"to":"webpush:`) {
			t.Errorf("admin outbox: %d %s", ob.status, ob.raw)
		}

		// Turning 2-step verification off asks the device too.
		annaSession := h.login("anna@acme.test", "Admin-Acme-2026")
		_, annaSub := h.subscribe("anna@acme.test", "Admin-Acme-2026")
		if r := h.do("DELETE", "/api/v1/me/two-factor", annaSession, nil); r.status != http.StatusAccepted {
			t.Fatalf("disable 2-step verification: %d %s", r.status, r.raw)
		}
		m = h.sink.Wait(t, 2, 10*time.Second)[1]
		var disable map[string]any
		if err := json.Unmarshal(m.Payload, &disable); err != nil || m.Subscription != annaSub.Endpoint ||
			disable["purpose"] != "disable" || disable["type"] != "push_request" {
			t.Fatalf("disable request's message to %s: %s %v", m.Subscription, m.Payload, err)
		}
		if len(h.sink.Refused()) != 0 {
			t.Errorf("the push service refused: %v", h.sink.Refused())
		}
		h.noSecretsLogged(sub, annaSub)
	})
}

// TestWebPushRetriesAndForgetsGoneSubscriptions: a 500 from the push
// service is retried with the outbox's backoff and delivered once; a 410
// removes the subscription; a device without one gets no message; the
// subscription goes with the device.
func TestWebPushRetriesAndForgetsGoneSubscriptions(t *testing.T) {
	forEachEngineWith(t, newPushHarness, func(t *testing.T, h *pushHarness) {

		// 500, then 201: one delivery, with what is left of the request's life.
		device, sub := h.subscribe("mario@acme.test", marioPW)
		h.sink.FailNext(1, http.StatusInternalServerError)
		h.pushLogin("mario@acme.test", marioPW)
		h.drain()
		pending := h.webPushMessages(store.OutboxPending)
		if len(pending) != 1 || pending[0].Attempts != 1 || !strings.Contains(pending[0].LastError, "500") {
			t.Fatalf("after a 500: %+v", pending)
		}
		if strings.Contains(pending[0].LastError, sub.Endpoint) || len(h.sink.Messages()) != 0 {
			t.Fatalf("after a 500: %+v, %d messages", pending[0], len(h.sink.Messages()))
		}
		h.clock.Advance(30 * time.Second)
		h.drain()
		m := h.sink.Wait(t, 1, 10*time.Second)[0]
		if m.TTL != "90" {
			t.Errorf("TTL of the retry: %s, want 90", m.TTL)
		}
		h.clock.Advance(30 * time.Second)
		h.drain()
		if n := len(h.sink.Messages()); n != 1 || len(h.webPushMessages(store.OutboxSent)) != 1 {
			t.Fatalf("%d messages delivered, outbox %+v", n, h.webPushMessages(store.OutboxSent))
		}

		// 410: the subscription is removed, the message dead-lettered.
		lDevice, lSub := h.subscribe("luigi@other.test", luigiPW)
		h.sink.Unsubscribe(lSub)
		h.pushLogin("luigi@other.test", luigiPW)
		h.drain()
		if has, err := h.app.DB.Reader().HasPushSubscriptions(h.t.Context()); err != nil || !has {
			t.Fatalf("mario's subscription: %v %v", has, err)
		}
		if _, err := h.app.DB.Reader().PushSubscriptionOf(h.t.Context(), h.deviceID(lDevice)); !varco.IsCode(err, varco.ENotFound) {
			t.Fatalf("luigi's subscription after a 410: %v", err)
		}
		dead := h.webPushMessages(store.OutboxDead)
		if len(dead) != 1 || !strings.Contains(dead[0].LastError, "gone") {
			t.Fatalf("after a 410: %+v", dead)
		}
		if !strings.Contains(h.logs.String(), "push subscription gone") || !strings.Contains(h.logs.String(), h.sink.Origin()) {
			t.Errorf("the removal is not logged with the push service's origin:\n%s", h.logs.String())
		}

		// No subscription, no message.
		anna := h.enroll("anna@acme.test", "Admin-Acme-2026")
		before := len(h.webPushMessages(store.OutboxPending)) + len(h.webPushMessages(store.OutboxSent)) + len(h.webPushMessages(store.OutboxDead))
		h.pushLogin("anna@acme.test", "Admin-Acme-2026")
		h.pending(anna)
		after := len(h.webPushMessages(store.OutboxPending)) + len(h.webPushMessages(store.OutboxSent)) + len(h.webPushMessages(store.OutboxDead))
		if after != before {
			t.Fatalf("a device without a subscription got a Web Push message (%d → %d)", before, after)
		}

		// Unsubscribing, and signing out of the app, remove it.
		if r := h.do("DELETE", "/api/v1/authenticator/push-subscription", anna, nil); r.status != http.StatusNoContent {
			t.Fatalf("unsubscribe without a subscription: %d %s", r.status, r.raw)
		}
		if r := h.do("POST", "/api/v1/authenticator/logout", device, nil); r.status != http.StatusNoContent {
			t.Fatalf("authenticator logout: %d %s", r.status, r.raw)
		}
		if has, err := h.app.DB.Reader().HasPushSubscriptions(h.t.Context()); err != nil || has {
			t.Fatalf("a subscription outlived its device: %v %v", has, err)
		}
		if r := h.do("PUT", "/api/v1/authenticator/push-subscription", device, subscriptionBody(sub)); r.status != http.StatusUnauthorized {
			t.Fatalf("subscribe with a signed-out device: %d %s", r.status, r.raw)
		}
		h.noSecretsLogged(sub, lSub)
	})
}

// deviceID returns the public id of the device with token.
func (h *pushHarness) deviceID(token string) string {
	h.t.Helper()
	d, err := h.app.DB.Reader().PushDeviceByToken(h.t.Context(), varco.HashToken(token))
	if err != nil {
		h.t.Fatal(err)
	}
	return d.PublicID
}

// TestWebPushSubscriptionRefusesBadBodies: the subscription is checked
// where it enters, each problem with its own code and field.
func TestWebPushSubscriptionRefusesBadBodies(t *testing.T) {
	forEachEngineWith(t, newPushHarness, func(t *testing.T, h *pushHarness) {
		device := h.enroll("mario@acme.test", marioPW)
		good := h.sink.Subscribe(t)
		body := func(endpoint, p256dh, auth string) string {
			b, _ := json.Marshal(map[string]any{"endpoint": endpoint, "keys": map[string]string{"p256dh": p256dh, "auth": auth}})
			return string(b)
		}
		short := good.P256dh[:20]
		for _, tc := range []struct {
			name, body, code, field string
		}{
			{"not JSON", "{", "invalid_request", ""},
			{"unknown field", `{"endpoint":"` + good.Endpoint + `","keys":{"p256dh":"` + good.P256dh + `","auth":"` + good.Auth + `"},"x":1}`, "invalid_request", ""},
			{"two objects", body(good.Endpoint, good.P256dh, good.Auth) + "{}", "invalid_request", ""},
			{"expirationTime a string", `{"endpoint":"` + good.Endpoint + `","expirationTime":"soon","keys":{"p256dh":"` + good.P256dh + `","auth":"` + good.Auth + `"}}`, "invalid_request", ""},
			{"over 4096 bytes", body(good.Endpoint+"?"+strings.Repeat("a", 5000), good.P256dh, good.Auth), "invalid_request", ""},
			{"no endpoint", body("", good.P256dh, good.Auth), "invalid_push_endpoint", "endpoint"},
			{"plain http", body("http://push.example.com/x", good.P256dh, good.Auth), "invalid_push_endpoint", "endpoint"},
			{"http on a look-alike of loopback", body("http://127.example.com/x", good.P256dh, good.Auth), "invalid_push_endpoint", "endpoint"},
			{"ftp", body("ftp://push.example.com/x", good.P256dh, good.Auth), "invalid_push_endpoint", "endpoint"},
			{"credentials", body("https://u:p@push.example.com/x", good.P256dh, good.Auth), "invalid_push_endpoint", "endpoint"},
			{"private address", body("https://10.0.0.7/x", good.P256dh, good.Auth), "invalid_push_endpoint", "endpoint"},
			{"link-local address", body("https://[fe80::1]/x", good.P256dh, good.Auth), "invalid_push_endpoint", "endpoint"},
			{"a space", body("https://push.example.com/a b", good.P256dh, good.Auth), "invalid_push_endpoint", "endpoint"},
			{"too long", body("https://push.example.com/"+strings.Repeat("a", 2048), good.P256dh, good.Auth), "invalid_push_endpoint", "endpoint"},
			{"p256dh short", body(good.Endpoint, short, good.Auth), "invalid_push_keys", "keys.p256dh"},
			{"p256dh not on the curve", body(good.Endpoint, "BA"+strings.Repeat("A", 85), good.Auth), "invalid_push_keys", "keys.p256dh"},
			{"p256dh standard base64", body(good.Endpoint, strings.ReplaceAll(strings.ReplaceAll(good.P256dh, "-", "+"), "_", "/")+"+", good.Auth), "invalid_push_keys", "keys.p256dh"},
			{"auth missing", body(good.Endpoint, good.P256dh, ""), "invalid_push_keys", "keys.auth"},
			{"auth 15 bytes", body(good.Endpoint, good.P256dh, "AAAAAAAAAAAAAAAAAAAA"), "invalid_push_keys", "keys.auth"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := h.do("PUT", "/api/v1/authenticator/push-subscription", device, tc.body)
				wantError(t, r, http.StatusBadRequest, tc.code)
				if f, _ := r.body["field"].(string); f != tc.field {
					t.Errorf("field %q, want %q", f, tc.field)
				}
			})
		}
		r := h.do("PUT", "/api/v1/authenticator/push-subscription", "", subscriptionBody(good))
		wantError(t, r, http.StatusUnauthorized, "unauthorized")
		r = h.do("PUT", "/api/v1/authenticator/push-subscription", device, subscriptionBody(good), "Content-Type", "text/plain")
		wantError(t, r, http.StatusBadRequest, "invalid_request")
		if has, err := h.app.DB.Reader().HasPushSubscriptions(t.Context()); err != nil || has {
			t.Fatalf("a refused subscription was stored: %v %v", has, err)
		}
		// Padding is tolerated and dropped; a second subscription replaces the first.
		padded := good
		padded.P256dh += "="
		padded.Auth += "=="
		if r := h.do("PUT", "/api/v1/authenticator/push-subscription", device, subscriptionBody(padded)); r.status != http.StatusNoContent {
			t.Fatalf("padded keys: %d %s", r.status, r.raw)
		}
		newer := h.sink.Subscribe(t)
		if r := h.do("PUT", "/api/v1/authenticator/push-subscription", device, subscriptionBody(newer)); r.status != http.StatusNoContent {
			t.Fatalf("second subscription: %d %s", r.status, r.raw)
		}
		h.pushLogin("mario@acme.test", marioPW)
		if m := h.sink.Wait(t, 1, 10*time.Second)[0]; m.Subscription != newer.Endpoint {
			t.Fatalf("delivered to %s, want the newer subscription", m.Subscription)
		}
	})
}

// TestWebPushAcrossProcesses: two processes on one PostgreSQL share the
// VAPID key (the same key directory) and the outbox: a device subscribed
// through one process gets a request started on the other exactly once,
// whichever worker claims it.
func TestWebPushAcrossProcesses(t *testing.T) {
	h := newPushHarness(t, "postgres")
	other := &pushHarness{harness: h.twin(), sink: h.sink, logs: h.logs}
	if a, b := h.do("GET", "/api/v1/authenticator/push-key", "", nil), other.do("GET", "/api/v1/authenticator/push-key", "", nil); a.str("public_key") == "" || a.str("public_key") != b.str("public_key") {
		t.Fatalf("the processes' keys: %s, %s", a.raw, b.raw)
	}
	device, _ := h.subscribe("mario@acme.test", marioPW)
	other.pushLogin("mario@acme.test", marioPW)
	h.pending(device)
	other.drain()
	h.drain()
	h.sink.Wait(t, 1, 10*time.Second)
	other.drain()
	h.drain()
	if n := len(h.sink.Messages()); n != 1 {
		t.Fatalf("%d messages delivered, want 1", n)
	}
}
