// Package pushsink is a Web Push service stand-in for tests: it hands out
// subscriptions as a browser's PushManager would (a fresh P-256 key pair and
// auth secret each), and on every message posted to one it checks the VAPID
// signature as a real push service does and decrypts the payload with the
// subscription's private key as the browser would (RFC 8030, 8291, 8292).
// What varco sent is therefore checked for real, not trusted.
package pushsink

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"varco.dev/varco/internal/testenv/inbox"
	"varco.dev/varco/internal/webpush"
)

// Message is one push message the sink received and opened.
type Message struct {
	Subscription string // the endpoint it was posted to
	Payload      []byte // decrypted
	VAPIDKey     string // the sender's public key from its Authorization
	// Authorization is the header as received, its signature already
	// checked against VAPIDKey (Claims reads its JWT claims).
	Authorization string
	TTL           string
	Urgency       string
	Topic         string
}

// Claims are the claims of a VAPID JWT (RFC 8292 §2).
type Claims struct {
	Aud string `json:"aud"`
	Exp int64  `json:"exp"`
	Sub string `json:"sub"`
}

// Claims returns the claims of m's VAPID JWT, whose signature the sink
// verified on receipt.
func (m Message) Claims() (Claims, error) {
	var c Claims
	rest, _ := strings.CutPrefix(m.Authorization, "vapid ")
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		if k != "t" {
			continue
		}
		parts := strings.Split(v, ".")
		if len(parts) != 3 {
			return c, fmt.Errorf("vapid token of %d parts", len(parts))
		}
		raw, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			return c, fmt.Errorf("vapid claims: %w", err)
		}
		return c, json.Unmarshal(raw, &c)
	}
	return c, fmt.Errorf("no vapid token")
}

// Origin returns the sink's origin, the audience of the VAPID tokens sent
// to it.
func (s *Sink) Origin() string { return s.srv.URL }

type browser struct {
	priv *ecdh.PrivateKey
	auth []byte
	gone bool
}

// Sink is a running push service on loopback.
type Sink struct {
	srv *httptest.Server

	inbox inbox.Inbox[Message]

	mu       sync.Mutex
	subs     map[string]*browser // by endpoint path
	refused  []string            // why requests were refused
	failNext []int
}

// Start runs a sink until the test ends.
func Start(t testing.TB) *Sink {
	s := &Sink{subs: map[string]*browser{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.receive))
	t.Cleanup(s.srv.Close)
	return s
}

// Subscribe returns a new subscription, as a browser would.
func (s *Sink) Subscribe(t testing.TB) webpush.Subscription {
	t.Helper()
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	if _, err := rand.Read(auth); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	path := "/push/" + strconv.Itoa(len(s.subs)+1)
	s.subs[path] = &browser{priv: priv, auth: auth}
	s.mu.Unlock()
	enc := base64.RawURLEncoding.EncodeToString
	return webpush.Subscription{Endpoint: s.srv.URL + path, P256dh: enc(priv.PublicKey().Bytes()), Auth: enc(auth)}
}

// Unsubscribe makes the push service answer 410 Gone for sub from now on,
// as when the user removed the app.
func (s *Sink) Unsubscribe(sub webpush.Subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.subs[strings.TrimPrefix(sub.Endpoint, s.srv.URL)]; b != nil {
		b.gone = true
	}
}

// FailNext makes the next n requests answer status (e.g. 503), to test
// retries.
func (s *Sink) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failNext = append(s.failNext, status)
	}
}

// Refused returns why requests were refused (bad signature, bad payload…).
func (s *Sink) Refused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.refused...)
}

// Messages returns the messages received so far.
func (s *Sink) Messages() []Message { return s.inbox.All() }

// Wait blocks until at least n messages arrived and returns the first n;
// timeout is only a safety net after which the test fails.
func (s *Sink) Wait(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	return s.inbox.Wait(t, n, timeout, func() string { return fmt.Sprintf("pushsink refused: %v", s.Refused()) })
}

func (s *Sink) receive(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	b := s.subs[r.URL.Path]
	var fail int
	if len(s.failNext) > 0 {
		fail, s.failNext = s.failNext[0], s.failNext[1:]
	}
	s.mu.Unlock()
	switch {
	case r.Method != http.MethodPost:
		s.refuse(w, http.StatusMethodNotAllowed, "method "+r.Method)
		return
	case b == nil:
		s.refuse(w, http.StatusNotFound, "no subscription at "+r.URL.Path)
		return
	case b.gone:
		s.refuse(w, http.StatusGone, "unsubscribed")
		return
	case fail != 0:
		s.refuse(w, fail, "told to fail")
		return
	case r.Header.Get("Content-Encoding") != "aes128gcm":
		s.refuse(w, http.StatusUnsupportedMediaType, "content-encoding "+r.Header.Get("Content-Encoding"))
		return
	case r.Header.Get("TTL") == "":
		s.refuse(w, http.StatusBadRequest, "no TTL")
		return
	}
	key, err := webpush.VerifyVAPID(r.Header.Get("Authorization"), s.srv.URL, time.Now())
	if err != nil {
		s.refuse(w, http.StatusForbidden, err.Error())
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8192))
	if err != nil {
		s.refuse(w, http.StatusBadRequest, "read: "+err.Error())
		return
	}
	if len(body) > 4096 {
		s.refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("payload of %d bytes", len(body)))
		return
	}
	payload, err := webpush.Decrypt(body, b.priv, b.auth)
	if err != nil {
		s.refuse(w, http.StatusBadRequest, err.Error())
		return
	}
	s.inbox.Add(Message{Subscription: s.srv.URL + r.URL.Path, Payload: payload, VAPIDKey: key,
		Authorization: r.Header.Get("Authorization"), TTL: r.Header.Get("TTL"), Urgency: r.Header.Get("Urgency"), Topic: r.Header.Get("Topic")})
	w.WriteHeader(http.StatusCreated)
}

func (s *Sink) refuse(w http.ResponseWriter, status int, why string) {
	s.mu.Lock()
	s.refused = append(s.refused, why)
	s.mu.Unlock()
	http.Error(w, why, status)
}
