package push_test

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"varco.dev/varco"
	"varco.dev/varco/internal/push"
	"varco.dev/varco/internal/webpush"
)

// browserKeys returns a fresh p256dh and auth, as a browser makes them.
func browserKeys(t testing.TB) (p256dh, auth string) {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a := make([]byte, 16)
	rand.Read(a)
	return base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), base64.RawURLEncoding.EncodeToString(a)
}

func subBody(endpoint, p256dh, auth string) []byte {
	b, _ := json.Marshal(map[string]any{"endpoint": endpoint, "keys": map[string]string{"p256dh": p256dh, "auth": auth}})
	return b
}

// TestParseSubscriptionAccepts what browsers' push services hand out.
func TestParseSubscriptionAccepts(t *testing.T) {
	p, a := browserKeys(t)
	for _, endpoint := range []string{
		"https://fcm.googleapis.com/fcm/send/dGVzdA:APA91bH-long_token",
		"https://updates.push.services.mozilla.com/wpush/v2/gAAAAABk",
		"https://web.push.apple.com/QGx1Zm9vYmFy",
		"https://push.example.it:8443/p/1?x=y",
		"http://127.0.0.1:39121/push/1",
		"http://[::1]:8080/push/2",
		"http://localhost/push/3",
		"https://203.0.113.9/push",
	} {
		sub, err := push.ParseSubscription(subBody(endpoint, p+"=", a+"=="))
		if err != nil {
			t.Errorf("%s: %v", endpoint, err)
			continue
		}
		if sub.Endpoint != endpoint || sub.P256dh != p || sub.Auth != a || sub.Check() != nil {
			t.Errorf("%s: parsed %+v", endpoint, sub)
		}
	}
	body := `{"endpoint":"https://push.example.it/1","expirationTime":1767225600000,"keys":{"p256dh":"` + p + `","auth":"` + a + `"}}`
	if _, err := push.ParseSubscription([]byte(body)); err != nil {
		t.Errorf("an expirationTime: %v", err)
	}
}

// FuzzParseSubscription: never a panic; whatever is accepted is an https
// endpoint (http only on loopback) with a P-256 point and a 16-byte
// secret, that webpush can encrypt to, and parses again to itself; what
// is refused has a code of the contract.
func FuzzParseSubscription(f *testing.F) {
	p, a := browserKeys(f)
	f.Add(subBody("https://fcm.googleapis.com/fcm/send/abc", p, a))
	f.Add(subBody("http://127.0.0.1:1/x", p+"=", a))
	f.Add(subBody("http://127.evil.test/x", p, a))
	f.Add(subBody("https://10.1.2.3/x", p, a))
	f.Add([]byte(`{"endpoint":"https://a.test/x","expirationTime":null,"keys":{"p256dh":"` + p + `","auth":"` + a + `"}}`))
	f.Add([]byte(`{"endpoint":"https://a.test/x","keys":{"p256dh":"BA","auth":""}}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		sub, err := push.ParseSubscription(body)
		if err != nil {
			switch code := varco.ErrorCode(err); code {
			case varco.EInvalid, varco.EInvalidPushEndpoint, varco.EInvalidPushKeys:
			default:
				t.Fatalf("code %q: %v", code, err)
			}
			return
		}
		u, err := url.Parse(sub.Endpoint)
		if err != nil || len(sub.Endpoint) > push.MaxEndpointLen || u.User != nil || strings.ContainsAny(sub.Endpoint, " #") {
			t.Fatalf("accepted endpoint %q", sub.Endpoint)
		}
		if u.Scheme != "https" && !(u.Scheme == "http" && webpush.IsLoopback(u.Hostname())) {
			t.Fatalf("accepted endpoint %q", sub.Endpoint)
		}
		if ip, err := netip.ParseAddr(u.Hostname()); err == nil && ip.IsPrivate() {
			t.Fatalf("accepted a private address %q", sub.Endpoint)
		}
		if err := sub.Check(); err != nil {
			t.Fatalf("accepted %+v that webpush refuses: %v", sub, err)
		}
		if _, err := webpush.Encrypt(sub, []byte("x"), 0); err != nil {
			t.Fatalf("accepted %+v that cannot be encrypted to: %v", sub, err)
		}
		again, err := push.ParseSubscription(subBody(sub.Endpoint, sub.P256dh, sub.Auth))
		if err != nil || again != sub {
			t.Fatalf("round trip of %+v: %+v %v", sub, again, err)
		}
	})
}
