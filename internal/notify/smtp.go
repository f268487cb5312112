package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"varco.dev/varco/internal/clock"
)

// SMTPOptions tune an SMTPSender; zero values take defaults.
type SMTPOptions struct {
	// Clock dates the messages (the Date header). Default: clock.Real.
	Clock clock.Clock
	// Timeout bounds connecting and each SMTP command. Default: 30 s.
	Timeout time.Duration
	// HELO is the name sent in EHLO. Default: the machine's host name.
	HELO string
	// TLSConfig is the base TLS configuration, e.g. RootCAs for a relay
	// with a private CA. It is cloned; ServerName is set from the URL.
	TLSConfig *tls.Config
}

// SMTPSender delivers messages to an SMTP relay, one connection per message.
// It never logs; its errors never carry a message body, and the recipient
// address in them is masked.
type SMTPSender struct {
	host        string
	port        int
	implicitTLS bool // smtps://
	requireTLS  bool // STARTTLS is mandatory: credentials for a host that is not loopback
	username    string
	password    string
	from        string
	helo        string
	timeout     time.Duration
	clock       clock.Clock
	tlsConfig   *tls.Config

	// dialTCP opens the TCP connection; tests point it elsewhere.
	dialTCP func(ctx context.Context, network, addr string) (net.Conn, error)
}

var _ Sender = (*SMTPSender)(nil)

// NewSMTPSender returns a sender for rawURL, sending as from (an RFC 5322
// address, e.g. "Varco <no-reply@example.it>"):
//
//   - smtp://[user:pass@]host[:port] (port 25 by default) uses STARTTLS
//     when the server offers it; with credentials and a host that is not
//     loopback, STARTTLS is required, so a password never travels in clear;
//   - smtps://[user:pass@]host[:port] (port 465 by default) is TLS from
//     the first byte;
//   - ?insecure_skip_verify=1 accepts any server certificate (tests,
//     self-signed relays); it must not be used across untrusted networks.
//
// Credentials are sent with AUTH PLAIN, or LOGIN when the server offers
// only that, and only over TLS or to a loopback host. The error for a bad
// URL or sender never repeats the URL, which may hold a password.
func NewSMTPSender(rawURL, from string, opts SMTPOptions) (*SMTPSender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // without the URL and its password
		}
		return nil, fmt.Errorf("smtp url: %w", err)
	}
	s := &SMTPSender{timeout: opts.Timeout, clock: opts.Clock, helo: opts.HELO}
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		s.port = 25
	case "smtps":
		s.port, s.implicitTLS = 465, true
	default:
		return nil, fmt.Errorf("smtp url: scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") {
		return nil, errors.New("smtp url: want smtp[s]://[user:pass@]host:port with no path")
	}
	if s.host = u.Hostname(); s.host == "" {
		return nil, errors.New("smtp url: no host")
	}
	if p := u.Port(); p != "" {
		if s.port, err = strconv.Atoi(p); err != nil || s.port < 1 || s.port > 65535 {
			return nil, fmt.Errorf("smtp url: invalid port %q", p)
		}
	}
	insecure := false
	for k, v := range u.Query() {
		switch k {
		case "insecure_skip_verify":
			if insecure, err = strconv.ParseBool(v[len(v)-1]); err != nil {
				return nil, fmt.Errorf("smtp url: insecure_skip_verify must be 0 or 1, not %q", v[len(v)-1])
			}
		default:
			return nil, fmt.Errorf("smtp url: unknown parameter %q", k)
		}
	}
	if u.User != nil {
		s.username = u.User.Username()
		s.password, _ = u.User.Password()
		if s.username == "" {
			return nil, errors.New("smtp url: empty user name")
		}
		s.requireTLS = !s.implicitTLS && !isLoopback(s.host)
	}
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("smtp sender address %q: %w", from, err)
	}
	s.from = addr.String()

	if opts.TLSConfig != nil {
		s.tlsConfig = opts.TLSConfig.Clone()
	} else {
		s.tlsConfig = &tls.Config{}
	}
	s.tlsConfig.ServerName = s.host
	if s.tlsConfig.MinVersion == 0 {
		s.tlsConfig.MinVersion = tls.VersionTLS12
	}
	if insecure {
		s.tlsConfig.InsecureSkipVerify = true
	}
	if s.timeout <= 0 {
		s.timeout = 30 * time.Second
	}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.helo == "" {
		if s.helo, err = os.Hostname(); err != nil || s.helo == "" {
			s.helo = "localhost"
		}
	}
	d := &net.Dialer{}
	s.dialTCP = d.DialContext
	return s, nil
}

// Send delivers m as a multipart/alternative message (text/plain and, when
// m.HTML is set, text/html, both UTF-8) with From, To, Subject, Date,
// Message-ID (m.MessageID) and X-Varco-Event (m.Event). A message that
// cannot be built (bad recipient, Message-ID or event) fails permanently;
// so does a 5xx answer to MAIL, RCPT or DATA; everything else (network,
// TLS, AUTH, 4xx, ctx ending) is temporary. See IsPermanent.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	msg, err := s.build(m)
	if err != nil {
		return s.fail(ctx, Permanent(fmt.Errorf("build message: %w", err)), m.To)
	}
	var stopClose func() bool
	defer func() {
		if stopClose != nil {
			stopClose()
		}
	}()
	dial := func(dctx context.Context, network, _ string) (net.Conn, error) {
		conn, err := s.dialTCP(dctx, network, net.JoinHostPort(s.host, strconv.Itoa(s.port)))
		if err != nil {
			return nil, err
		}
		if s.implicitTLS {
			tc := tls.Client(conn, s.tlsConfig)
			if err := tc.HandshakeContext(dctx); err != nil {
				_ = conn.Close()
				return nil, fmt.Errorf("tls: %w", err)
			}
			conn = tc
		}
		// go-mail honours ctx only while dialing; closing the connection
		// when ctx ends stops a delivery stuck mid-conversation.
		stopClose = context.AfterFunc(ctx, func() { _ = conn.Close() })
		return conn, nil
	}
	opts := []mail.Option{
		mail.WithPort(s.port),
		mail.WithTimeout(s.timeout),
		mail.WithHELO(s.helo),
		mail.WithTLSConfig(s.tlsConfig),
		mail.WithDialContextFunc(dial),
	}
	switch {
	case s.implicitTLS:
		opts = append(opts, mail.WithSSL())
	case s.requireTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	}
	if s.username != "" {
		opts = append(opts, mail.WithSMTPAuthCustom(&plainOrLogin{username: s.username, password: s.password, host: s.host}))
	}
	client, err := mail.NewClient(s.host, opts...)
	if err != nil {
		return s.fail(ctx, fmt.Errorf("smtp client: %w", err), m.To)
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if msg.IsDelivered() {
		// Accepted by the server: an error after that (RSET, QUIT) must not
		// make the worker send it again.
		return nil
	}
	if err == nil {
		return nil
	}
	return s.fail(ctx, err, m.To)
}

// atext is RFC 5322's atext, as a regexp character class body.
const atext = "A-Za-z0-9!#$%&'*+/=?^_`{|}~-"

// messageIDRE is the shape of an RFC 5322 msg-id without its angle
// brackets: dot-atom-text "@" (dot-atom-text or a [literal]).
var messageIDRE = regexp.MustCompile(`^[.` + atext + `]+@[.\[\]` + atext + `]+$`)

// eventRE is the shape of a SPEC §3 event name.
var eventRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

func (s *SMTPSender) build(m Message) (*mail.Msg, error) {
	if !eventRE.MatchString(m.Event) {
		return nil, fmt.Errorf("invalid event name %q", m.Event)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(m.MessageID, "<"), ">")
	if !messageIDRE.MatchString(id) {
		return nil, fmt.Errorf("invalid Message-ID %q", m.MessageID)
	}
	to, err := netmail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("invalid recipient: %w", err)
	}
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(s.from); err != nil {
		return nil, fmt.Errorf("sender: %w", err)
	}
	msg.ToMailAddress(to)
	msg.Subject(m.Subject)
	msg.SetDateWithValue(s.clock.Now())
	msg.SetMessageIDWithValue(id)
	msg.SetGenHeader("X-Varco-Event", m.Event)
	// RFC 3834: no vacation auto-replies to notifications.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	if l := normalizeLang(m.Lang); l == "it" || l == "en" {
		msg.SetGenHeader(mail.HeaderContentLang, l)
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// fail turns err into a delivery error: its text names the relay and masks
// the recipient, and it knows whether the failure is permanent.
func (s *SMTPSender) fail(ctx context.Context, err error, to string) error {
	e := &deliveryError{err: err, ctxErr: ctx.Err()}
	var p *permanentError
	var se *mail.SendError
	switch {
	case errors.As(err, &p):
		e.permanent = true
	case errors.As(err, &se):
		e.code = se.ErrorCode()
		switch se.Reason {
		case mail.ErrSMTPMailFrom, mail.ErrSMTPRcptTo, mail.ErrSMTPData, mail.ErrSMTPDataClose:
			// The server refused this message; the connection and the
			// credentials were fine, so retrying will not help.
			e.permanent = !se.IsTemp() && e.code >= 500 && e.code <= 599
		}
	}
	text := "smtp " + net.JoinHostPort(s.host, strconv.Itoa(s.port)) + ": " + err.Error()
	if e.ctxErr != nil {
		text += " (" + e.ctxErr.Error() + ")"
	}
	e.text = redactAddress(text, to)
	return e
}

// deliveryError is a failed delivery.
type deliveryError struct {
	text      string // masked
	permanent bool
	code      int // SMTP reply code, 0 when there was none
	err       error
	ctxErr    error
}

func (e *deliveryError) Error() string   { return e.text }
func (e *deliveryError) Permanent() bool { return e.permanent }
func (e *deliveryError) Unwrap() []error {
	if e.ctxErr != nil {
		return []error{e.err, e.ctxErr}
	}
	return []error{e.err}
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string   { return e.err.Error() }
func (e *permanentError) Unwrap() error   { return e.err }
func (e *permanentError) Permanent() bool { return true }

// Permanent marks err as a failure that retrying cannot fix, so the worker
// dead-letters the message at once. Senders other than SMTP use it (e.g. a
// webhook answering 400). Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether a Send error is permanent (a 5xx answer to
// the message, a message that cannot be built, or an error marked with
// Permanent): the worker dead-letters such a message instead of retrying.
func IsPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// plainOrLogin authenticates with PLAIN, or LOGIN when the server offers
// only that, and refuses to send credentials in clear to a host that is not
// loopback.
type plainOrLogin struct {
	username, password, host string
	mech                     smtp.Auth
}

func (a *plainOrLogin) Start(si *smtp.ServerInfo) (string, []byte, error) {
	if !si.TLS && !isLoopback(a.host) {
		return "", nil, errors.New("refusing to send SMTP credentials over an unencrypted connection")
	}
	has := func(name string) bool {
		for _, m := range si.Auth {
			if strings.EqualFold(m, name) {
				return true
			}
		}
		return false
	}
	switch {
	case has("PLAIN"):
		a.mech = smtp.PlainAuth("", a.username, a.password, si.Name, true)
	case has("LOGIN"):
		a.mech = smtp.LoginAuth(a.username, a.password, si.Name, true)
	default:
		return "", nil, fmt.Errorf("smtp server offers neither AUTH PLAIN nor LOGIN (offers %q)", si.Auth)
	}
	return a.mech.Start(si)
}

func (a *plainOrLogin) Next(fromServer []byte, more bool) ([]byte, error) {
	if a.mech == nil {
		return nil, errors.New("smtp auth: Next before Start")
	}
	return a.mech.Next(fromServer, more)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
