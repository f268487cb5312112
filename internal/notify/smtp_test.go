package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"mime"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	gmsmtp "github.com/wneessen/go-mail/smtp"

	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/testenv/smtpsink"
)

// wait is only a safety net for Sink.Wait: messages arrive in milliseconds.
const wait = 10 * time.Second

func newSender(t *testing.T, rawURL string, opts SMTPOptions) *SMTPSender {
	t.Helper()
	if opts.Clock == nil {
		opts.Clock = clock.NewManual(t0)
	}
	if opts.Timeout == 0 {
		opts.Timeout = wait
	}
	s, err := NewSMTPSender(rawURL, "Varco Sicurezza <no-reply@varco.test>", opts)
	if err != nil {
		t.Fatalf("NewSMTPSender(%q): %v", rawURL, err)
	}
	return s
}

func testMessage(t *testing.T, lang string, data Data) Message {
	t.Helper()
	subject, text, html, err := Render(EventPasswordChanged, lang, data)
	if err != nil {
		t.Fatal(err)
	}
	return Message{ID: 7, Event: EventPasswordChanged, To: "mario.rossi@example.it", Lang: lang,
		Subject: subject, Text: text, HTML: html, MessageID: "<0123abcd@varco.test>", CreatedAt: t0}
}

func TestSMTPSendsMultipartMessage(t *testing.T) {
	sink := smtpsink.Start(t)
	s := newSender(t, sink.URL(), SMTPOptions{})
	data := sampleData[EventPasswordChanged].(Data)
	data.DisplayName = `Mario <script>alert(1)</script> & co`
	m := testMessage(t, "it", data)
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := sink.Wait(t, smtpsink.EventIs(EventPasswordChanged), wait)
	if got.Err != nil {
		t.Fatalf("sink could not parse the message: %v\n%s", got.Err, got.Raw)
	}
	if got.From != "no-reply@varco.test" || len(got.To) != 1 || got.To[0] != "mario.rossi@example.it" {
		t.Errorf("envelope = %q → %q", got.From, got.To)
	}
	h := got.Header
	checks := map[string]string{
		"X-Varco-Event":  "password_changed",
		"Message-Id":     "<0123abcd@varco.test>",
		"To":             "<mario.rossi@example.it>",
		"Auto-Submitted": "auto-generated",
	}
	for k, want := range checks {
		if v := h.Get(k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	if got.Subject != "La tua password è stata modificata" {
		t.Errorf("decoded subject = %q (raw %q)", got.Subject, h.Get("Subject"))
	}
	if raw := h.Get("Subject"); !strings.HasPrefix(raw, "=?UTF-8?") {
		t.Errorf("raw subject %q is not RFC 2047 encoded", raw)
	}
	from, err := (&mail.AddressParser{WordDecoder: &mime.WordDecoder{}}).Parse(h.Get("From"))
	if err != nil || from.Name != "Varco Sicurezza" || from.Address != "no-reply@varco.test" {
		t.Errorf("From = %q (%v)", h.Get("From"), err)
	}
	if date, err := h.Date(); err != nil || !date.Equal(t0) {
		t.Errorf("Date = %q (%v), want the clock's %v", h.Get("Date"), err, t0)
	}
	if mt, _, _ := mime.ParseMediaType(h.Get("Content-Type")); mt != "multipart/alternative" {
		t.Errorf("Content-Type = %q", h.Get("Content-Type"))
	}
	if got.Text != m.Text {
		t.Errorf("text/plain part changed in transit:\n got %q\nwant %q", got.Text, m.Text)
	}
	if got.HTML != m.HTML {
		t.Errorf("text/html part changed in transit")
	}
	if !strings.Contains(got.HTML, "Mario &lt;script&gt;alert(1)&lt;/script&gt; &amp; co") || strings.Contains(got.HTML, "<script>") {
		t.Errorf("HTML part does not escape the display name:\n%s", got.HTML)
	}
	if link, ok := smtpsink.FindLink(got.Text, PathPasswordReset); !ok || link.String() != "https://account.example.it/password-reset" {
		t.Errorf("reset link = %v, %v", link, ok)
	}
	if got.TLS || got.AuthUser != "" {
		t.Errorf("TLS = %v, AuthUser = %q on a plain sink", got.TLS, got.AuthUser)
	}
}

func TestSMTPSendsWithoutHTMLPart(t *testing.T) {
	sink := smtpsink.Start(t)
	s := newSender(t, sink.URL(), SMTPOptions{})
	m := Message{Event: "pin_sent", To: "a@example.it", Subject: "Codice", Text: "Il tuo codice è 123456.\n", MessageID: "x@y"}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := sink.Wait(t, nil, wait)
	if got.Text != m.Text || got.HTML != "" || got.Header.Get("Message-Id") != "<x@y>" {
		t.Errorf("got text %q html %q id %q", got.Text, got.HTML, got.Header.Get("Message-Id"))
	}
	if code, ok := smtpsink.SixDigitCode(got.Text); !ok || code != "123456" {
		t.Errorf("SixDigitCode = %q, %v", code, ok)
	}
}

func TestSMTPTLSModes(t *testing.T) {
	tests := []struct {
		name    string
		sink    []smtpsink.Option
		query   string
		trust   bool
		wantErr bool
	}{
		{name: "starttls trusted", sink: []smtpsink.Option{smtpsink.WithSTARTTLS()}, trust: true},
		{name: "starttls insecure_skip_verify", sink: []smtpsink.Option{smtpsink.WithSTARTTLS()}, query: "?insecure_skip_verify=1"},
		{name: "starttls unknown certificate", sink: []smtpsink.Option{smtpsink.WithSTARTTLS()}, wantErr: true},
		{name: "implicit tls trusted", sink: []smtpsink.Option{smtpsink.WithImplicitTLS()}, trust: true},
		{name: "implicit tls insecure_skip_verify", sink: []smtpsink.Option{smtpsink.WithImplicitTLS()}, query: "?insecure_skip_verify=true"},
		{name: "implicit tls unknown certificate", sink: []smtpsink.Option{smtpsink.WithImplicitTLS()}, wantErr: true},
		{name: "starttls and auth", sink: []smtpsink.Option{smtpsink.WithSTARTTLS(), smtpsink.WithAuth("varco", "s3cret pass")}, trust: true},
		{name: "implicit tls and auth", sink: []smtpsink.Option{smtpsink.WithImplicitTLS(), smtpsink.WithAuth("varco", "s3cret")}, trust: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := smtpsink.Start(t, tt.sink...)
			opts := SMTPOptions{}
			if tt.trust {
				opts.TLSConfig = &tls.Config{RootCAs: sink.CertPool()}
			}
			s := newSender(t, sink.URL()+tt.query, opts)
			err := s.Send(context.Background(), testMessage(t, "en", sampleData[EventPasswordChanged].(Data)))
			if tt.wantErr {
				if err == nil {
					t.Fatal("Send trusted an unknown certificate")
				}
				if IsPermanent(err) {
					t.Errorf("a TLS failure is permanent: %v", err)
				}
				if n := len(sink.Messages()); n != 0 {
					t.Errorf("sink got %d messages", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := sink.Wait(t, nil, wait)
			if !got.TLS {
				t.Error("message was not sent over TLS")
			}
			if ok, _ := sink.Auths(); ok > 0 && got.AuthUser != "varco" {
				t.Errorf("AuthUser = %q", got.AuthUser)
			}
		})
	}
}

func TestSMTPAuth(t *testing.T) {
	ctx := context.Background()
	sink := smtpsink.Start(t, smtpsink.WithAuth("varco", "pa:ss@word"))
	msg := testMessage(t, "it", sampleData[EventPasswordChanged].(Data))

	// Loopback: credentials may go in clear.
	if err := newSender(t, sink.URL(), SMTPOptions{}).Send(ctx, msg); err != nil {
		t.Fatalf("Send with AUTH: %v", err)
	}
	if got := sink.Wait(t, nil, wait); got.AuthUser != "varco" {
		t.Errorf("AuthUser = %q", got.AuthUser)
	}

	// Wrong password: refused, temporary (a configuration problem, not the message's).
	err := newSender(t, "smtp://varco:wrong@"+sink.Addr(), SMTPOptions{}).Send(ctx, msg)
	if err == nil || IsPermanent(err) {
		t.Fatalf("wrong password: err = %v, permanent = %v", err, IsPermanent(err))
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error shows the password: %v", err)
	}

	// No credentials: the sink refuses MAIL FROM with a 5xx.
	err = newSender(t, "smtp://"+sink.Addr(), SMTPOptions{}).Send(ctx, msg)
	if err == nil {
		t.Fatal("unauthenticated send accepted")
	}
	if ok, bad := sink.Auths(); ok != 1 || bad != 1 {
		t.Errorf("auths ok=%d failed=%d, want 1 and 1", ok, bad)
	}
	if n := len(sink.Messages()); n != 1 {
		t.Errorf("sink has %d messages, want 1", n)
	}
}

func TestSMTPNeverSendsCredentialsInClearToRemoteHost(t *testing.T) {
	// The sink accepts AUTH in clear and offers no STARTTLS; the sender
	// thinks it talks to mail.example.test, which is not loopback.
	sink := smtpsink.Start(t, smtpsink.WithAuth("varco", "s3cret"))
	s := newSender(t, "smtp://varco:s3cret@mail.example.test:587", SMTPOptions{})
	s.dialTCP = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, sink.Addr())
	}
	err := s.Send(context.Background(), testMessage(t, "en", sampleData[EventPasswordChanged].(Data)))
	if err == nil {
		t.Fatal("Send succeeded without TLS to a remote host")
	}
	if !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("err = %v, want it to say STARTTLS is missing", err)
	}
	if ok, bad := sink.Auths(); ok+bad != 0 {
		t.Errorf("credentials were sent: %d AUTH attempts", ok+bad)
	}

	// The AUTH mechanism itself refuses too, should the TLS policy not apply.
	a := &plainOrLogin{username: "u", password: "p", host: "mail.example.test"}
	if _, _, err := a.Start(&gmsmtp.ServerInfo{Name: "mail.example.test", Auth: []string{"PLAIN"}}); err == nil {
		t.Error("plainOrLogin started without TLS")
	}
}

func TestSMTPErrorClassification(t *testing.T) {
	ctx := context.Background()
	sink := smtpsink.Start(t)
	s := newSender(t, sink.URL(), SMTPOptions{})
	msg := testMessage(t, "en", sampleData[EventPasswordChanged].(Data))

	sink.FailNext(1, 451)
	err := s.Send(ctx, msg)
	if err == nil || IsPermanent(err) {
		t.Errorf("451: err = %v, permanent = %v; want a temporary error", err, IsPermanent(err))
	}
	sink.FailNext(1, 550)
	err = s.Send(ctx, msg)
	if err == nil || !IsPermanent(err) {
		t.Errorf("550: err = %v, permanent = %v; want a permanent error", err, IsPermanent(err))
	}
	if err != nil && (!strings.Contains(err.Error(), "550") || !strings.Contains(err.Error(), sink.Addr())) {
		t.Errorf("error lacks context: %v", err)
	}
	if sink.Rejected() != 2 || len(sink.Messages()) != 0 {
		t.Errorf("rejected %d, received %d", sink.Rejected(), len(sink.Messages()))
	}

	// Messages that cannot be built fail permanently, before connecting.
	for name, bad := range map[string]Message{
		"recipient":        {Event: "password_changed", To: "not an address", MessageID: "a@b"},
		"message id crlf":  {Event: "password_changed", To: "a@example.it", MessageID: "<a@b>\r\nBcc: x@evil.test"},
		"message id empty": {Event: "password_changed", To: "a@example.it"},
		"event":            {Event: "Password Changed\r\nX: y", To: "a@example.it", MessageID: "a@b"},
	} {
		err := s.Send(ctx, bad)
		if err == nil || !IsPermanent(err) {
			t.Errorf("%s: err = %v, permanent = %v", name, err, IsPermanent(err))
		}
	}

	// Nobody listening: temporary.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	err = newSender(t, "smtp://"+addr, SMTPOptions{Timeout: time.Second}).Send(ctx, msg)
	if err == nil || IsPermanent(err) {
		t.Errorf("connection refused: err = %v, permanent = %v", err, IsPermanent(err))
	}

	// A cancelled context: temporary, and says so.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err = s.Send(cctx, msg)
	if err == nil || IsPermanent(err) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, permanent = %v", err, IsPermanent(err))
	}
	if len(sink.Messages()) != 0 {
		t.Error("a message went out after its context was cancelled")
	}

	if !IsPermanent(Permanent(errors.New("x"))) || IsPermanent(errors.New("x")) || IsPermanent(nil) || Permanent(nil) != nil {
		t.Error("Permanent/IsPermanent disagree")
	}
}

func TestNewSMTPSenderURLs(t *testing.T) {
	good := []struct {
		url        string
		host       string
		port       int
		implicit   bool
		requireTLS bool
		user       string
		insecure   bool
	}{
		{url: "smtp://mail.example.it", host: "mail.example.it", port: 25},
		{url: "smtp://mail.example.it:587", host: "mail.example.it", port: 587},
		{url: "smtps://mail.example.it", host: "mail.example.it", port: 465, implicit: true},
		{url: "SMTPS://u:p@mail.example.it:2465/", host: "mail.example.it", port: 2465, implicit: true, user: "u"},
		{url: "smtp://u%40x:p%3Aq@mail.example.it:587", host: "mail.example.it", port: 587, requireTLS: true, user: "u@x"},
		{url: "smtp://u:p@127.0.0.1:2525", host: "127.0.0.1", port: 2525, user: "u"},
		{url: "smtp://u:p@[::1]:2525", host: "::1", port: 2525, user: "u"},
		{url: "smtp://u:p@localhost:2525?insecure_skip_verify=1", host: "localhost", port: 2525, user: "u", insecure: true},
	}
	for _, tt := range good {
		s, err := NewSMTPSender(tt.url, "no-reply@varco.test", SMTPOptions{})
		if err != nil {
			t.Errorf("%s: %v", tt.url, err)
			continue
		}
		if s.host != tt.host || s.port != tt.port || s.implicitTLS != tt.implicit || s.requireTLS != tt.requireTLS ||
			s.username != tt.user || s.tlsConfig.InsecureSkipVerify != tt.insecure || s.tlsConfig.ServerName != tt.host {
			t.Errorf("%s: got host %q port %d implicit %v requireTLS %v user %q insecure %v", tt.url, s.host, s.port,
				s.implicitTLS, s.requireTLS, s.username, s.tlsConfig.InsecureSkipVerify)
		}
	}
	bad := []string{
		"", "mail.example.it:25", "http://mail.example.it", "smtp://", "smtp://:25", "smtp://h:0", "smtp://h:70000",
		"smtp://h:x", "smtp://h/path", "smtp://h?insecure_skip_verify=maybe", "smtp://h?tls=1",
		"smtp://:s3cret@h", "smtp://u:s3cret@h:bad", "smtp:opaque", "smtp://u:s3cret@h\x7f",
	}
	for _, u := range bad {
		_, err := NewSMTPSender(u, "no-reply@varco.test", SMTPOptions{})
		if err == nil {
			t.Errorf("%q: accepted", u)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: error shows the password: %v", u, err)
		}
	}
	if _, err := NewSMTPSender("smtp://h", "not an address", SMTPOptions{}); err == nil {
		t.Error("bad sender address accepted")
	}
}
