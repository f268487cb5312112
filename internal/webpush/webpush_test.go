package webpush

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The example of RFC 8291 §5 with the intermediate values of its Appendix A.
const (
	rfcPlaintext = "When I grow up, I want to be a watermelon"
	rfcUAPublic  = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
	rfcUAPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
	rfcASPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"
	rfcAuth      = "BTBZMqHH6r4Tts7J_aSIgg"
	rfcSalt      = "DGv6ra1nlYgDCS1FRnbzlw"
	rfcBody      = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
)

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRFC8291Example(t *testing.T) {
	ua, err := ecdh.P256().NewPublicKey(mustDecode(t, rfcUAPublic))
	if err != nil {
		t.Fatal(err)
	}
	as, err := ecdh.P256().NewPrivateKey(mustDecode(t, rfcASPrivate))
	if err != nil {
		t.Fatal(err)
	}
	var salt [16]byte
	copy(salt[:], mustDecode(t, rfcSalt))
	body, err := encrypt(ua, mustDecode(t, rfcAuth), as, salt, []byte(rfcPlaintext), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := base64.RawURLEncoding.EncodeToString(body); got != rfcBody {
		t.Fatalf("encrypted\n%s\nwant\n%s", got, rfcBody)
	}
	uaPriv, err := ecdh.P256().NewPrivateKey(mustDecode(t, rfcUAPrivate))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Decrypt(mustDecode(t, rfcBody), uaPriv, mustDecode(t, rfcAuth))
	if err != nil || string(plain) != rfcPlaintext {
		t.Fatalf("decrypt the RFC's body: %q, %v", plain, err)
	}
}

// newSubscription is a browser's side: its private key, auth secret and
// the subscription it hands out.
func newSubscription(t testing.TB, endpoint string) (Subscription, *ecdh.PrivateKey, []byte) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	return Subscription{Endpoint: endpoint, P256dh: enc(priv.PublicKey().Bytes()), Auth: enc(auth)}, priv, auth
}

func TestRoundTripAndTampering(t *testing.T) {
	sub, priv, auth := newSubscription(t, "https://push.example/x")
	for _, pad := range []int{0, 1, 200} {
		body, err := Encrypt(sub, []byte(`{"request":"r1"}`), pad)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := Decrypt(body, priv, auth)
		if err != nil || string(plain) != `{"request":"r1"}` {
			t.Fatalf("pad %d: %q, %v", pad, plain, err)
		}
		// The record size (bytes 16–19) is not authenticated, as in RFC 8188;
		// the salt, the sender's key and the ciphertext are.
		for _, i := range []int{0, 15, 30, len(body) - 1} {
			bad := bytes.Clone(body)
			bad[i] ^= 1
			if _, err := Decrypt(bad, priv, auth); err == nil {
				t.Fatalf("pad %d: a flipped byte %d decrypted", pad, i)
			}
		}
	}
	other, _, _ := newSubscription(t, "https://push.example/y")
	body, _ := Encrypt(other, []byte("for someone else"), 0)
	if _, err := Decrypt(body, priv, auth); err == nil {
		t.Fatal("a message for another subscription decrypted")
	}
	if _, err := Encrypt(sub, make([]byte, MaxPayload+1), 0); err == nil {
		t.Fatal("an oversized payload was encrypted")
	}
}

func TestSubscriptionCheck(t *testing.T) {
	good, _, _ := newSubscription(t, "https://fcm.googleapis.com/fcm/send/abc")
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	local, _, _ := newSubscription(t, "http://127.0.0.1:9/push")
	if err := local.Check(); err != nil {
		t.Fatalf("loopback http: %v", err)
	}
	for name, mod := range map[string]func(*Subscription){
		"http elsewhere": func(s *Subscription) { s.Endpoint = "http://push.example/x" },
		"no host":        func(s *Subscription) { s.Endpoint = "https:///x" },
		"bad p256dh":     func(s *Subscription) { s.P256dh = "AAAA" },
		"short auth":     func(s *Subscription) { s.Auth = enc([]byte("short")) },
		"not base64":     func(s *Subscription) { s.Auth = "!!!" },
	} {
		s := good
		mod(&s)
		if err := s.Check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestVAPID(t *testing.T) {
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	v := &VAPID{Key: key, Subject: "mailto:security@provider.example"}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	h, err := v.header("https://push.example/send/abc", now.Add(12*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if k, err := VerifyVAPID(h, "https://push.example", now); err != nil || k != v.PublicKey() {
		t.Fatalf("verify: %q, %v", k, err)
	}
	if _, err := VerifyVAPID(h, "https://other.example", now); err == nil {
		t.Error("another audience accepted")
	}
	if _, err := VerifyVAPID(h, "https://push.example", now.Add(13*time.Hour)); err == nil {
		t.Error("an expired token accepted")
	}
	other, _ := GenerateKey()
	forged := strings.Replace(h, v.PublicKey(), (&VAPID{Key: other}).PublicKey(), 1)
	if _, err := VerifyVAPID(forged, "https://push.example", now); err == nil {
		t.Error("a token under another key accepted")
	}
}

func TestSend(t *testing.T) {
	status := http.StatusCreated
	var got []byte
	var hdr http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		hdr = r.Header
		w.WriteHeader(status)
	}))
	defer srv.Close()
	key, _ := GenerateKey()
	snd := &Sender{VAPID: &VAPID{Key: key, Subject: "mailto:s@p.example"}, AllowLoopback: true}
	sub, priv, auth := newSubscription(t, srv.URL+"/push/1")
	if err := snd.Send(context.Background(), sub, []byte("hello"), Options{TTL: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if plain, err := Decrypt(got, priv, auth); err != nil || string(plain) != "hello" {
		t.Fatalf("push service got %q, %v", plain, err)
	}
	if hdr.Get("Content-Encoding") != "aes128gcm" || hdr.Get("TTL") != "60" || hdr.Get("Urgency") != "high" {
		t.Fatalf("headers %v", hdr)
	}
	if _, err := VerifyVAPID(hdr.Get("Authorization"), srv.URL, time.Now()); err != nil {
		t.Fatalf("authorization: %v", err)
	}
	const overhead = 16 + 4 + 1 + 65 + 1 + 16 // header, delimiter, tag
	if (len(got)-overhead)%256 != 0 {
		t.Errorf("body of %d bytes is not padded to a multiple of 256", len(got))
	}
	for code, want := range map[int]error{http.StatusGone: ErrGone, http.StatusNotFound: ErrGone, http.StatusBadRequest: ErrRejected} {
		status = code
		if err := snd.Send(context.Background(), sub, []byte("x"), Options{}); !errors.Is(err, want) {
			t.Errorf("%d: %v, want %v", code, err, want)
		}
	}
	for _, code := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		status = code
		err := snd.Send(context.Background(), sub, []byte("x"), Options{})
		if err == nil || errors.Is(err, ErrGone) || errors.Is(err, ErrRejected) {
			t.Errorf("%d: %v, want a retryable error", code, err)
		}
	}
}

func FuzzDecrypt(f *testing.F) {
	f.Add(mustDecode(&testing.T{}, rfcBody))
	f.Add([]byte{})
	priv, err := ecdh.P256().NewPrivateKey(mustDecode(&testing.T{}, rfcUAPrivate))
	if err != nil {
		f.Fatal(err)
	}
	auth := mustDecode(&testing.T{}, rfcAuth)
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = Decrypt(body, priv, auth)
	})
}

func FuzzVerifyVAPID(f *testing.F) {
	f.Add("vapid t=a.b.c, k=d")
	f.Add("vapid t=eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.e30.AAAA, k=BCVx")
	f.Fuzz(func(t *testing.T, h string) {
		_, _ = VerifyVAPID(h, "https://push.example", time.Now())
	})
}

// A subscription is the device holder's text: varco's default client
// connects only to public addresses, checked after name resolution, so a
// name that resolves to varco's own network reaches nothing.
func TestSendRefusesVarcosOwnNetwork(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	key, _ := GenerateKey()
	snd := &Sender{VAPID: &VAPID{Key: key, Subject: "mailto:s@p.example"}}
	_, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "http://"), ":")
	for _, endpoint := range []string{srv.URL + "/push/1", "http://localhost:" + port + "/push/1"} {
		sub, _, _ := newSubscription(t, endpoint)
		err := snd.Send(context.Background(), sub, []byte("x"), Options{})
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s: %v, want ErrForbiddenAddress", endpoint, err)
		}
	}
	if hits != 0 {
		t.Errorf("the loopback server was reached %d times", hits)
	}
}

func TestCheckDialAddr(t *testing.T) {
	for _, c := range []struct {
		addr     string
		loopback bool
		ok       bool
	}{
		{"93.184.216.34:443", false, true},
		{"[2606:4700::1111]:443", false, true},
		{"127.0.0.1:443", false, false},
		{"127.0.0.1:443", true, true},
		{"[::1]:443", false, false},
		{"[::ffff:127.0.0.1]:443", false, false},
		{"10.1.2.3:443", true, false},
		{"192.168.1.1:443", false, false},
		{"172.16.0.1:443", false, false},
		{"169.254.169.254:80", true, false},
		{"[fe80::1]:443", false, false},
		{"[fd00::1]:443", false, false},
		{"0.0.0.0:443", true, false},
		{"100.64.0.1:443", false, false},
		{"224.0.0.1:443", false, false},
		{"not-an-address", false, false},
	} {
		err := checkDialAddr(c.addr, c.loopback)
		if (err == nil) != c.ok {
			t.Errorf("checkDialAddr(%q, loopback %v) = %v, want ok %v", c.addr, c.loopback, err, c.ok)
		}
	}
}
