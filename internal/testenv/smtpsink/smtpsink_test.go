package smtpsink

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

const wait = 10 * time.Second // a safety net only

const rawMessage = "From: Varco <no-reply@varco.test>\r\n" +
	"To: mario@example.it\r\n" +
	"Subject: =?UTF-8?q?La_tua_password_=C3=A8_stata_modificata?=\r\n" +
	"X-Varco-Event: password_changed\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=outer\r\n" +
	"\r\n" +
	"--outer\r\n" +
	"Content-Type: multipart/alternative; boundary=inner\r\n" +
	"\r\n" +
	"--inner\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Il codice =C3=A8 482913, valido 10 minuti. Reimposta qui: https://a.example=\r\n" +
	".it/password-reset?token=3Dabc%2Bdef.\r\n" +
	"--inner\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PHA+SWwgY29kaWNlIMOoIDxiPjQ4MjkxMzwvYj48L3A+\r\n" +
	"--inner--\r\n" +
	"--outer\r\n" +
	"Content-Type: application/pdf\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"JVBERi0=\r\n" +
	"--outer--\r\n"

func TestParse(t *testing.T) {
	m := Parse([]byte(rawMessage))
	if m.Err != nil {
		t.Fatal(m.Err)
	}
	if m.Subject != "La tua password è stata modificata" || m.Header.Get("X-Varco-Event") != "password_changed" {
		t.Errorf("subject %q, event %q", m.Subject, m.Header.Get("X-Varco-Event"))
	}
	wantText := "Il codice è 482913, valido 10 minuti. Reimposta qui: https://a.example.it/password-reset?token=abc%2Bdef."
	if m.Text != wantText {
		t.Errorf("text = %q\nwant   %q", m.Text, wantText)
	}
	if m.HTML != "<p>Il codice è <b>482913</b></p>" {
		t.Errorf("html = %q", m.HTML)
	}
	if code, ok := SixDigitCode(m.Text); !ok || code != "482913" {
		t.Errorf("SixDigitCode = %q, %v", code, ok)
	}
	u, ok := FindLink(m.Text, "/password-reset")
	if !ok || u.Query().Get("token") != "abc+def" || u.Host != "a.example.it" {
		t.Errorf("FindLink = %v, %v", u, ok)
	}

	plain := Parse([]byte("Subject: hi\r\n\r\nhello\r\nworld\r\n"))
	if plain.Err != nil || plain.Text != "hello\nworld\n" || plain.HTML != "" {
		t.Errorf("single-part message: %+v", plain)
	}
	for _, bad := range []string{"", "no header line\r\n", "Content-Type: multipart/alternative\r\n\r\nx",
		"Content-Type: text/plain\r\nContent-Transfer-Encoding: rot13\r\n\r\nx"} {
		if m := Parse([]byte(bad)); m.Err == nil {
			t.Errorf("Parse(%q) reported no error", bad)
		}
	}
}

func TestFindLink(t *testing.T) {
	text := "Vai su https://a.example/login, oppure (https://a.example/password-reset?token=x1).\n" +
		"Altro: http://b.example/password-reset-other!"
	tests := []struct {
		prefix, want string
		ok           bool
	}{
		{"/login", "https://a.example/login", true},
		{"/password-reset", "https://a.example/password-reset?token=x1", true},
		{"/password-reset-other", "http://b.example/password-reset-other", true},
		{"/nope", "", false},
		{"", "https://a.example/login", true},
	}
	for _, tt := range tests {
		u, ok := FindLink(text, tt.prefix)
		if ok != tt.ok || (ok && u.String() != tt.want) {
			t.Errorf("FindLink(%q) = %v, %v; want %q, %v", tt.prefix, u, ok, tt.want, tt.ok)
		}
	}
}

func TestSixDigitCode(t *testing.T) {
	tests := []struct {
		text, want string
		ok         bool
	}{
		{"Il tuo codice è 123456.", "123456", true},
		{"123456", "123456", true},
		{"codice 123456, ripeto: 123456", "123456", true},
		{"codice: 012345 alle 10:25 del 23/11/2026", "012345", true},
		{"no code here, 12345 or 1234567", "", false},
		{"two codes 123456 and 654321", "", false},
		{"ab123456cd", "123456", true},
		{"", "", false},
		{"١٢٣٤٥٦", "", false}, // not ASCII digits
	}
	for _, tt := range tests {
		got, ok := SixDigitCode(tt.text)
		if got != tt.want || ok != tt.ok {
			t.Errorf("SixDigitCode(%q) = %q, %v; want %q, %v", tt.text, got, ok, tt.want, tt.ok)
		}
	}
}

func send(t *testing.T, c *smtp.Client, from, to, body string) error {
	t.Helper()
	return c.SendMail(from, []string{to}, strings.NewReader(body))
}

func TestSinkReceivesAndWaits(t *testing.T) {
	s := Start(t)
	if !strings.HasPrefix(s.URL(), "smtp://127.0.0.1:") {
		t.Errorf("URL = %q", s.URL())
	}
	// A message sent while Wait blocks.
	errc := make(chan error, 1)
	go func() {
		c, err := smtp.Dial(s.Addr())
		if err != nil {
			errc <- err
			return
		}
		defer c.Close()
		for _, to := range []string{"first@example.it", "second@example.it"} {
			if err := c.SendMail("from@varco.test", []string{to}, strings.NewReader(rawMessage)); err != nil {
				errc <- err
				return
			}
		}
		errc <- c.Quit()
	}()
	m := s.Wait(t, SentTo("second@example.it"), wait)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if m.From != "from@varco.test" || m.Err != nil || m.TLS || m.AuthUser != "" || string(m.Raw) != rawMessage {
		t.Errorf("got from %q err %v tls %v auth %q", m.From, m.Err, m.TLS, m.AuthUser)
	}
	// Wait also finds messages that arrived before it was called.
	if first := s.Wait(t, SentTo("FIRST@example.it"), wait); first.To[0] != "first@example.it" {
		t.Errorf("first = %v", first.To)
	}
	if got := s.Wait(t, EventIs("password_changed"), wait); got.To[0] != "first@example.it" {
		t.Errorf("EventIs found %v, want the oldest match", got.To)
	}
	// Code counts only the messages its match accepts.
	if code := s.Code(t, All(EventIs("password_changed"), SentTo("second@example.it")), 1, wait); code != "482913" {
		t.Errorf("Code = %q", code)
	}
	if All(EventIs("password_changed"), SentTo("nobody@example.it"))(m) {
		t.Errorf("All matched a message to %v", m.To)
	}
	msgs := s.Messages()
	if len(msgs) != 2 {
		t.Fatalf("Messages = %d", len(msgs))
	}
	msgs[0].From = "changed"
	if s.Messages()[0].From == "changed" {
		t.Error("Messages returns the sink's own slice")
	}
}

func TestSinkFailNext(t *testing.T) {
	s := Start(t)
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s.FailNext(2, 451)
	var se *smtp.SMTPError
	if err := send(t, c, "a@varco.test", "b@example.it", rawMessage); !errors.As(err, &se) || se.Code != 451 {
		t.Fatalf("1st send: %v, want 451", err)
	}
	if err := send(t, c, "a@varco.test", "b@example.it", rawMessage); !errors.As(err, &se) || se.Code != 451 {
		t.Fatalf("2nd send: %v, want 451", err)
	}
	if err := send(t, c, "a@varco.test", "b@example.it", rawMessage); err != nil {
		t.Fatalf("3rd send: %v", err)
	}
	s.FailNext(1, 550)
	if err := send(t, c, "a@varco.test", "b@example.it", rawMessage); !errors.As(err, &se) || se.Code != 550 {
		t.Fatalf("4th send: %v, want 550", err)
	}
	if s.Rejected() != 3 || len(s.Messages()) != 1 {
		t.Errorf("rejected %d, received %d", s.Rejected(), len(s.Messages()))
	}
}

func TestSinkSTARTTLSAndAuth(t *testing.T) {
	s := Start(t, WithSTARTTLS(), WithAuth("varco", "s3cret"))
	if s.URL() != "smtp://varco:s3cret@"+s.Addr() {
		t.Errorf("URL = %q", s.URL())
	}
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("test"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("AUTH"); ok {
		t.Error("AUTH offered before STARTTLS")
	}
	if err := send(t, c, "a@varco.test", "b@example.it", rawMessage); err == nil {
		t.Error("unauthenticated message accepted")
	}
	c.Close()

	tlsConfig := &tls.Config{RootCAs: s.CertPool(), ServerName: "127.0.0.1"}
	c, err = smtp.DialStartTLS(s.Addr(), tlsConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "varco", "wrong")); err == nil {
		t.Error("wrong password accepted")
	}
	c.Close()
	c, err = smtp.DialStartTLS(s.Addr(), tlsConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "varco", "s3cret")); err != nil {
		t.Fatal(err)
	}
	if err := send(t, c, "a@varco.test", "b@example.it", rawMessage); err != nil {
		t.Fatal(err)
	}
	m := s.Wait(t, nil, wait)
	if !m.TLS || m.AuthUser != "varco" {
		t.Errorf("TLS %v, AuthUser %q", m.TLS, m.AuthUser)
	}
	if ok, bad := s.Auths(); ok != 1 || bad != 1 {
		t.Errorf("auths ok=%d bad=%d", ok, bad)
	}
}

func TestSinkImplicitTLS(t *testing.T) {
	s := Start(t, WithImplicitTLS())
	if !strings.HasPrefix(s.URL(), "smtps://127.0.0.1:") {
		t.Errorf("URL = %q", s.URL())
	}
	c, err := smtp.DialTLS(s.Addr(), &tls.Config{RootCAs: s.CertPool(), ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := send(t, c, "a@varco.test", "b@example.it", rawMessage); err != nil {
		t.Fatal(err)
	}
	if m := s.Wait(t, nil, wait); !m.TLS {
		t.Error("message not marked as received over TLS")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(rawMessage))
	f.Add([]byte("Subject: =?UTF-8?b?w6g=?=\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\nPGI+\r\n"))
	f.Add([]byte("Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a--\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := Parse(raw) // must not panic or hang
		if string(m.Raw) != string(raw) {
			t.Fatal("Raw is not the input")
		}
	})
}

func FuzzSixDigitCode(f *testing.F) {
	for _, s := range []string{"codice 123456", "1234567", "12 345678 x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		code, ok := SixDigitCode(text)
		if ok != (code != "") || (ok && (len(code) != 6 || !strings.Contains(text, code))) {
			t.Fatalf("SixDigitCode(%q) = %q, %v", text, code, ok)
		}
		for _, c := range []byte(code) {
			if !isDigit(c) {
				t.Fatalf("SixDigitCode(%q) = %q has a non-digit", text, code)
			}
		}
	})
}

func FuzzFindLink(f *testing.F) {
	for _, s := range []string{"see https://a.example/p?x=1.", "http://[::1", "https://%zz/", "x https://a/b) y"} {
		f.Add(s, "/p")
	}
	f.Fuzz(func(t *testing.T, text, prefix string) {
		if u, ok := FindLink(text, prefix); ok && (u == nil || !strings.HasPrefix(u.Path, prefix)) {
			t.Fatalf("FindLink(%q, %q) = %v", text, prefix, u)
		}
	})
}
