// Package smtpsink is a real SMTP server for tests: it listens on
// 127.0.0.1, accepts every message (or fails the next ones on request),
// parses what it receives and lets tests wait for a message without
// sleeping.
//
//	sink := smtpsink.Start(t, smtpsink.WithSTARTTLS())
//	// … configure varco with sink.URL(), do something that sends mail …
//	m := sink.Wait(t, smtpsink.EventIs("password_changed"), 10*time.Second)
//	link, _ := smtpsink.FindLink(m.Text, "/password-reset")
package smtpsink

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"varco.dev/varco/internal/testenv/inbox"
)

// Option configures a Sink.
type Option func(*config)

type config struct {
	startTLS    bool
	implicitTLS bool
	username    string
	password    string
	auth        bool
}

// WithSTARTTLS makes the sink offer STARTTLS with a self-signed certificate
// for 127.0.0.1 and localhost, generated in memory (see CertPool).
func WithSTARTTLS() Option { return func(c *config) { c.startTLS = true } }

// WithImplicitTLS makes the sink speak TLS from the first byte (smtps://),
// with the same kind of certificate as WithSTARTTLS.
func WithImplicitTLS() Option { return func(c *config) { c.implicitTLS = true } }

// WithAuth makes the sink require AUTH PLAIN with these credentials before
// MAIL FROM. Without TLS the sink accepts AUTH in clear, as the client is
// on loopback; with WithSTARTTLS it offers AUTH only after STARTTLS.
func WithAuth(username, password string) Option {
	return func(c *config) { c.username, c.password, c.auth = username, password, true }
}

// Sink is a running SMTP server. Its methods are safe for concurrent use.
type Sink struct {
	cfg  config
	addr string
	pool *x509.CertPool

	inbox inbox.Inbox[Mail]

	mu       sync.Mutex
	failN    int
	failCode int
	rejected int
	authOK   int
	authBad  int
}

// Start starts a sink on 127.0.0.1 on a free port; it stops when the test
// ends.
func Start(t testing.TB, opts ...Option) *Sink {
	t.Helper()
	s := &Sink{}
	for _, o := range opts {
		o(&s.cfg)
	}
	if s.cfg.startTLS && s.cfg.implicitTLS {
		t.Fatal("smtpsink: WithSTARTTLS and WithImplicitTLS exclude each other")
	}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 50
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = log.New(io.Discard, "", 0) // it would outlive the test's log
	var tlsConfig *tls.Config
	if s.cfg.startTLS || s.cfg.implicitTLS {
		cert, pool, err := selfSigned()
		if err != nil {
			t.Fatalf("smtpsink: certificate: %v", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		s.pool = pool
	}
	if s.cfg.startTLS {
		srv.TLSConfig = tlsConfig
	}
	// Without TLS the client is on loopback, where it may send credentials.
	srv.AllowInsecureAuth = !s.cfg.startTLS
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtpsink: listen: %v", err)
	}
	if s.cfg.implicitTLS {
		ln = tls.NewListener(ln, tlsConfig)
	}
	s.addr = ln.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		// Close the listener too: when a test ends before the goroutine
		// reached Serve, srv.Close has nothing to close yet and Serve would
		// then block forever on a listener nobody closes.
		_ = srv.Close()
		_ = ln.Close()
		<-done
	})
	return s
}

// Addr returns the sink's host:port.
func (s *Sink) Addr() string { return s.addr }

// URL returns the URL to give varco (VARCO_SMTP_URL): smtp://127.0.0.1:port,
// smtps://… with WithImplicitTLS, with the credentials of WithAuth in it.
// It does not add insecure_skip_verify: add it, or trust CertPool.
func (s *Sink) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.addr}
	if s.cfg.implicitTLS {
		u.Scheme = "smtps"
	}
	if s.cfg.auth {
		u.User = url.UserPassword(s.cfg.username, s.cfg.password)
	}
	return u.String()
}

// CertPool returns a pool trusting the sink's certificate, or nil when the
// sink has no TLS.
func (s *Sink) CertPool() *x509.CertPool { return s.pool }

// FailNext makes the next n messages fail at the end of DATA with the SMTP
// reply code (e.g. 451 for a temporary failure, 550 for a permanent one).
// Failed messages are not recorded; Rejected counts them.
func (s *Sink) FailNext(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, code
}

// Rejected returns how many messages FailNext has failed so far.
func (s *Sink) Rejected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected
}

// Auths returns how many AUTH attempts succeeded and failed.
func (s *Sink) Auths() (ok, failed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authOK, s.authBad
}

// Messages returns the messages received so far, oldest first.
func (s *Sink) Messages() []Mail { return s.inbox.All() }

// Wait returns the first message received (already, or while waiting) for
// which match reports true; a nil match takes any message. It blocks until
// such a message arrives; timeout is only a safety net, after which the
// test fails. Call it from the test's goroutine.
func (s *Sink) Wait(t testing.TB, match func(Mail) bool, timeout time.Duration) Mail {
	t.Helper()
	return s.inbox.WaitFor(t, match, timeout, func() string { return fmt.Sprintf("smtpsink: %d rejected", s.Rejected()) })
}

// Code waits, as Wait, for the n-th message (from 1) that match accepts
// and returns the six-digit code in its text (a PIN, a verification
// code); a message without one fails the test.
func (s *Sink) Code(t testing.TB, match func(Mail) bool, n int, timeout time.Duration) string {
	t.Helper()
	seen := 0
	m := s.Wait(t, func(m Mail) bool {
		if match != nil && !match(m) {
			return false
		}
		seen++
		return seen == n
	}, timeout)
	code, ok := SixDigitCode(m.Text)
	if !ok {
		t.Fatalf("smtpsink: no six-digit code in the message:\n%s", m.Text)
	}
	return code
}

// All matches messages that every one of matches accepts.
func All(matches ...func(Mail) bool) func(Mail) bool {
	return func(m Mail) bool {
		for _, match := range matches {
			if !match(m) {
				return false
			}
		}
		return true
	}
}

// EventIs matches messages whose X-Varco-Event is event.
func EventIs(event string) func(Mail) bool {
	return func(m Mail) bool { return m.Header.Get("X-Varco-Event") == event }
}

// SentTo matches messages with addr among their envelope recipients.
func SentTo(addr string) func(Mail) bool {
	return func(m Mail) bool {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				return true
			}
		}
		return false
	}
}

func (s *Sink) receive(m Mail) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failN > 0 {
		s.failN--
		s.rejected++
		return &smtp.SMTPError{Code: s.failCode, EnhancedCode: smtp.EnhancedCodeNotSet,
			Message: "smtpsink: failing as asked"}
	}
	s.inbox.Add(m)
	return nil
}

type backend struct{ s *Sink }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{sink: b.s, conn: c}, nil
}

type session struct {
	sink     *Sink
	conn     *smtp.Conn
	authUser string
	from     string
	to       []string
}

func (ss *session) AuthMechanisms() []string {
	if !ss.sink.cfg.auth {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if !ss.sink.cfg.auth || mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		ss.sink.mu.Lock()
		defer ss.sink.mu.Unlock()
		if username != ss.sink.cfg.username || password != ss.sink.cfg.password ||
			(identity != "" && identity != username) {
			ss.sink.authBad++
			return smtp.ErrAuthFailed
		}
		ss.sink.authOK++
		ss.authUser = username
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.sink.cfg.auth && ss.authUser == "" {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("smtpsink: read data: %w", err)
	}
	m := Parse(raw)
	m.From, m.To, m.AuthUser = ss.from, append([]string(nil), ss.to...), ss.authUser
	_, m.TLS = ss.conn.TLSConnectionState()
	return ss.sink.receive(m)
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }

func (ss *session) Logout() error { return nil }

// selfSigned returns a certificate for 127.0.0.1, ::1 and localhost, valid
// for a day, and a pool that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "smtpsink"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
