// Package smssink is a real SMS gateway for tests: an HTTP server on
// 127.0.0.1 that accepts both shapes varco sends (the JSON webhook and the
// Twilio Messages API), checks their credentials, records every message and
// lets tests wait for messages without sleeping.
//
//	sink := smssink.Start(t, smssink.WithToken("s3cret"))
//	// … configure varco with sink.URL() and VARCO_SMS_TOKEN=s3cret, send …
//	m := sink.Wait(t, 1, 10*time.Second)[0]
//	code := smssink.Code(t, m.Text)
package smssink

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"varco.dev/varco/internal/testenv/inbox"
)

// Shapes of a received message.
const (
	ShapeWebhook = "webhook"
	ShapeTwilio  = "twilio"
)

// Message is one SMS the sink accepted.
type Message struct {
	Shape string // ShapeWebhook or ShapeTwilio
	To    string
	Text  string
	Event string // webhook only
	From  string // Twilio only
}

// Option configures a Sink.
type Option func(*Sink)

// WithToken makes the webhook require "Authorization: Bearer token".
// Without it, the webhook requires no Authorization header at all.
func WithToken(token string) Option { return func(s *Sink) { s.token = token } }

// WithTwilioAccount sets the account SID and auth token the Twilio shape
// requires (defaults: "ACtest" and "twilio-secret").
func WithTwilioAccount(sid, token string) Option {
	return func(s *Sink) { s.sid, s.sidToken = sid, token }
}

// Sink is a running gateway. Its methods are safe for concurrent use.
type Sink struct {
	srv      *httptest.Server
	token    string
	sid      string
	sidToken string

	inbox inbox.Inbox[Message]

	mu       sync.Mutex
	failN    int
	failCode int
	rejected int // failed on request (FailNext)
	refused  int // bad credentials or shape
}

// WebhookPath is where the sink takes webhook messages.
const WebhookPath = "/sms"

// Start starts a sink on 127.0.0.1 on a free port; it stops when the test
// ends.
func Start(t testing.TB, opts ...Option) *Sink {
	t.Helper()
	s := &Sink{sid: "ACtest", sidToken: "twilio-secret"}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+WebhookPath, s.webhook)
	mux.HandleFunc("POST /2010-04-01/Accounts/{sid}/Messages.json", s.twilio)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// URL returns the webhook URL to give varco (VARCO_SMS_URL).
func (s *Sink) URL() string { return s.srv.URL + WebhookPath }

// TwilioURL returns a twilio:// URL for the sink's Twilio shape, sending
// from from (e.g. "+390612345678").
func (s *Sink) TwilioURL(from string) string {
	u := url.URL{Scheme: "twilio", User: url.UserPassword(s.sid, s.sidToken),
		Host: strings.TrimPrefix(s.srv.URL, "http://"), RawQuery: url.Values{"from": {from}}.Encode()}
	return u.String()
}

// FailNext makes the next n well-formed, authorized requests fail with the
// HTTP status (e.g. 503 to be retried, 400 to be dead-lettered). Failed
// messages are not recorded; Rejected counts them.
func (s *Sink) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, status
}

// Rejected returns how many requests FailNext has failed so far.
func (s *Sink) Rejected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected
}

// Refused returns how many requests were refused for bad credentials or a
// malformed body.
func (s *Sink) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// Messages returns the messages received so far, oldest first.
func (s *Sink) Messages() []Message { return s.inbox.All() }

// Wait blocks until the sink has received at least n messages and returns
// the first n. timeout is only a safety net, after which the test fails.
// Call it from the test's goroutine.
func (s *Sink) Wait(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	return s.inbox.Wait(t, n, timeout, s.state)
}

// WaitFor returns the first message received (already, or while waiting)
// for which match reports true.
func (s *Sink) WaitFor(t testing.TB, match func(Message) bool, timeout time.Duration) Message {
	t.Helper()
	return s.inbox.WaitFor(t, match, timeout, s.state)
}

func (s *Sink) state() string {
	return fmt.Sprintf("smssink: %d rejected, %d refused", s.Rejected(), s.Refused())
}

// SentTo matches messages to the number to.
func SentTo(to string) func(Message) bool { return func(m Message) bool { return m.To == to } }

var digitRun = regexp.MustCompile(`[0-9]+`)

// FindCode returns the only 6-digit number in text; an error when there is
// none or more than one.
func FindCode(text string) (string, error) {
	var codes []string
	for _, run := range digitRun.FindAllString(text, -1) {
		if len(run) == 6 {
			codes = append(codes, run)
		}
	}
	if len(codes) != 1 {
		return "", fmt.Errorf("smssink: want exactly one 6-digit code in %q, found %d", text, len(codes))
	}
	return codes[0], nil
}

// Code is FindCode that fails the test instead of returning an error.
func Code(t testing.TB, text string) string {
	t.Helper()
	c, err := FindCode(text)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (s *Sink) webhook(w http.ResponseWriter, r *http.Request) {
	want := ""
	if s.token != "" {
		want = "Bearer " + s.token
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
		s.refuse(w, http.StatusUnauthorized, "bad or missing bearer token")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		s.refuse(w, http.StatusUnsupportedMediaType, "want application/json")
		return
	}
	var body struct {
		To    string `json:"to"`
		Text  string `json:"text"`
		Event string `json:"event"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || body.To == "" || body.Text == "" || body.Event == "" {
		s.refuse(w, http.StatusBadRequest, "want {to, text, event}")
		return
	}
	s.receive(w, Message{Shape: ShapeWebhook, To: body.To, Text: body.Text, Event: body.Event}, http.StatusOK)
}

func (s *Sink) twilio(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || r.PathValue("sid") != s.sid ||
		subtle.ConstantTimeCompare([]byte(user), []byte(s.sid)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(s.sidToken)) != 1 {
		s.refuse(w, http.StatusUnauthorized, "bad or missing basic auth")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		s.refuse(w, http.StatusUnsupportedMediaType, "want a form")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		s.refuse(w, http.StatusBadRequest, "bad form")
		return
	}
	m := Message{Shape: ShapeTwilio, To: r.PostForm.Get("To"), From: r.PostForm.Get("From"), Text: r.PostForm.Get("Body")}
	if m.To == "" || m.From == "" || m.Text == "" {
		s.refuse(w, http.StatusBadRequest, "want To, From and Body")
		return
	}
	s.receive(w, m, http.StatusCreated)
}

func (s *Sink) refuse(w http.ResponseWriter, status int, why string) {
	s.mu.Lock()
	s.refused++
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": why})
}

func (s *Sink) receive(w http.ResponseWriter, m Message, status int) {
	s.mu.Lock()
	if s.failN > 0 {
		s.failN--
		s.rejected++
		code := s.failCode
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "smssink: failing as asked"})
		return
	}
	s.mu.Unlock()
	n := s.inbox.Add(m)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"sid": fmt.Sprintf("SM%032d", n), "status": "queued"})
}
