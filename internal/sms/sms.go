// Package sms delivers SMS messages of the notify outbox through an HTTP
// gateway (SPEC §8, §9a "SMS"): a generic JSON webhook, or a provider that
// speaks the Twilio Messages API.
//
// A sender never logs. Its errors never carry the SMS text, the gateway's
// credentials or the full number, so the worker may keep them as the
// message's last error.
package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"varco.dev/varco/internal/notify"
)

// Gateway kinds.
const (
	KindWebhook = "webhook"
	KindTwilio  = "twilio"
)

// Config is a parsed VARCO_SMS_URL.
type Config struct {
	Kind string // KindWebhook or KindTwilio
	// Endpoint is where messages are POSTed: the webhook URL itself, or
	// {scheme}://{host}/2010-04-01/Accounts/{SID}/Messages.json.
	Endpoint string
	// Twilio only.
	AccountSID string
	AuthToken  string
	From       string // E.164 number or alphanumeric sender id
}

// e164RE is an E.164 number as varco accepts it: "+", a non-zero digit,
// then 7 to 14 more ASCII digits.
var e164RE = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// senderIDRE is an alphanumeric sender id: up to 11 letters, digits and
// spaces, at least one letter.
var senderIDRE = regexp.MustCompile(`^[A-Za-z0-9 ]{1,11}$`)

// sidRE is a Twilio account SID (Twilio's are "AC" and 32 hex digits;
// compatible providers use other shapes of the same alphabet).
var sidRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ParseURL parses VARCO_SMS_URL:
//
//   - https://host[:port]/path[?query] is a JSON webhook; http:// is
//     accepted only for a loopback host (localhost, 127.0.0.0/8, ::1),
//     so messages never cross a network in clear. It must not carry
//     credentials: the bearer token is VARCO_SMS_TOKEN.
//   - twilio://SID:TOKEN@host[:port]?from=+39… speaks the Twilio Messages
//     API at host (api.twilio.com for Twilio itself) over https, or over
//     http for a loopback host (tests). from is an E.164 number or an
//     alphanumeric sender id.
//
// The error never repeats the URL or its credentials.
func ParseURL(raw string) (Config, error) {
	if strings.TrimSpace(raw) != raw || raw == "" {
		return Config{}, errors.New("sms url: empty or surrounded by spaces")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // without the URL and its credentials
		}
		return Config{}, fmt.Errorf("sms url: %w", err)
	}
	if u.Opaque != "" || u.Host == "" {
		return Config{}, errors.New("sms url: want https://host/path or twilio://SID:TOKEN@host?from=+…")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return Config{}, errors.New("sms url: no #fragment allowed")
	}
	host := u.Hostname()
	if host == "" {
		return Config{}, errors.New("sms url: no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return Config{}, errors.New("sms url: invalid port")
		}
	}
	switch strings.ToLower(u.Scheme) {
	case "https", "http":
		if u.User != nil {
			return Config{}, errors.New("sms url: a webhook URL must not carry credentials; set VARCO_SMS_TOKEN")
		}
		if strings.EqualFold(u.Scheme, "http") && !isLoopback(host) {
			return Config{}, errors.New("sms url: http:// only for a loopback host; use https://")
		}
		u.Scheme = strings.ToLower(u.Scheme)
		return Config{Kind: KindWebhook, Endpoint: u.String()}, nil
	case "twilio":
		return parseTwilio(u, host)
	}
	return Config{}, fmt.Errorf("sms url: scheme must be https, http (loopback) or twilio, not %q", u.Scheme)
}

func parseTwilio(u *url.URL, host string) (Config, error) {
	if u.User == nil {
		return Config{}, errors.New("sms url: want twilio://SID:TOKEN@host?from=+…")
	}
	sid := u.User.Username()
	token, ok := u.User.Password()
	if !sidRE.MatchString(sid) {
		return Config{}, errors.New("sms url: invalid Twilio account SID")
	}
	if !ok || token == "" {
		return Config{}, errors.New("sms url: missing Twilio auth token (twilio://SID:TOKEN@host)")
	}
	if u.Path != "" && u.Path != "/" {
		return Config{}, errors.New("sms url: a twilio:// URL has no path")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return Config{}, errors.New("sms url: invalid query")
	}
	var from string
	for k, v := range q {
		switch k {
		case "from":
			if len(v) != 1 {
				return Config{}, errors.New("sms url: from given more than once")
			}
			from = v[0]
		default:
			return Config{}, fmt.Errorf("sms url: unknown parameter %q", k)
		}
	}
	if !e164RE.MatchString(from) && !(senderIDRE.MatchString(from) && strings.ContainsFunc(from, isLetter)) {
		return Config{}, errors.New("sms url: from must be an E.164 number (+39…) or an alphanumeric sender id of up to 11 characters")
	}
	scheme := "https"
	if isLoopback(host) {
		scheme = "http"
	}
	endpoint := url.URL{Scheme: scheme, Host: u.Host, Path: "/2010-04-01/Accounts/" + sid + "/Messages.json"}
	return Config{Kind: KindTwilio, Endpoint: endpoint.String(), AccountSID: sid, AuthToken: token, From: from}, nil
}

func isLetter(r rune) bool { return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') }

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Options tune a Sender; zero values take defaults.
type Options struct {
	// Client makes the requests. Default: a client with Timeout that does
	// not follow redirects.
	Client *http.Client
	// Timeout bounds one request when Client is nil. Default: 30 s.
	Timeout time.Duration
}

// Sender delivers SMS messages to a gateway.
type Sender struct {
	cfg    Config
	token  string // webhook bearer token
	client *http.Client
}

var _ notify.Sender = (*Sender)(nil)

// New returns a sender for a VARCO_SMS_URL (see ParseURL) and, for a
// webhook, the bearer token to send (VARCO_SMS_TOKEN; empty sends none).
func New(rawURL, token string, opts Options) (*Sender, error) {
	cfg, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	if strings.ContainsAny(token, "\r\n") {
		return nil, errors.New("sms token: must be one line")
	}
	if token != "" && cfg.Kind == KindTwilio {
		return nil, errors.New("sms token: a twilio:// URL carries its own credentials; leave VARCO_SMS_TOKEN empty")
	}
	client := opts.Client
	if client == nil {
		timeout := opts.Timeout
		if timeout <= 0 {
			timeout = 30 * time.Second
		}
		client = &http.Client{
			Timeout: timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	return &Sender{cfg: cfg, token: token, client: client}, nil
}

// Kind returns KindWebhook or KindTwilio.
func (s *Sender) Kind() string { return s.cfg.Kind }

// maxResponse is how much of a gateway's answer is read (and discarded).
const maxResponse = 64 << 10

// Send delivers m (an SMS: m.To is the E.164 number, m.Text the text).
//
// A webhook gets POST {"to", "text", "event"} as JSON with
// "Authorization: Bearer TOKEN" when a token is set; a Twilio gateway gets
// the form To, From, Body with HTTP basic auth SID:TOKEN. Any 2xx means
// delivered. A message that cannot be sent (not an SMS, not an E.164
// number, empty text) and a 4xx answer other than 408 and 429 are
// permanent (see notify.IsPermanent); 5xx, 408, 429, 3xx and network
// errors are temporary.
func (s *Sender) Send(ctx context.Context, m notify.Message) error {
	if !m.IsSMS() {
		return notify.Permanent(fmt.Errorf("sms %s: not an SMS (channel %q)", s.cfg.Kind, m.Channel))
	}
	if !e164RE.MatchString(m.To) {
		return notify.Permanent(fmt.Errorf("sms %s: recipient is not an E.164 number", s.cfg.Kind))
	}
	if strings.TrimSpace(m.Text) == "" {
		return notify.Permanent(fmt.Errorf("sms %s: empty text", s.cfg.Kind))
	}
	req, err := s.request(ctx, m)
	if err != nil {
		return notify.Permanent(fmt.Errorf("sms %s: build request: %w", s.cfg.Kind, err))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		// *url.Error repeats the URL, which for a webhook may hold a key
		// in its query: keep only the cause.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("sms %s %s: %w", s.cfg.Kind, s.host(), err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	code := resp.StatusCode
	switch {
	case code >= 200 && code <= 299:
		return nil
	case code >= 400 && code <= 499 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		return notify.Permanent(&StatusError{Gateway: s.cfg.Kind, Host: s.host(), Code: code})
	}
	return &StatusError{Gateway: s.cfg.Kind, Host: s.host(), Code: code}
}

// StatusError is a gateway's answer other than 2xx. Its text carries only
// the gateway kind, host and status.
type StatusError struct {
	Gateway string
	Host    string
	Code    int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("sms %s %s: answered %d %s", e.Gateway, e.Host, e.Code, http.StatusText(e.Code))
}

func (s *Sender) host() string {
	u, err := url.Parse(s.cfg.Endpoint)
	if err != nil {
		return "gateway"
	}
	return u.Host
}

// webhookBody is the JSON a webhook receives (SPEC §9a).
type webhookBody struct {
	To    string `json:"to"`
	Text  string `json:"text"`
	Event string `json:"event"`
}

func (s *Sender) request(ctx context.Context, m notify.Message) (*http.Request, error) {
	var req *http.Request
	var err error
	switch s.cfg.Kind {
	case KindTwilio:
		form := url.Values{"To": {m.To}, "From": {s.cfg.From}, "Body": {m.Text}}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.Endpoint, strings.NewReader(form.Encode()))
		if err != nil {
			return nil, errors.New("invalid endpoint")
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(s.cfg.AccountSID, s.cfg.AuthToken)
	default:
		body, jerr := json.Marshal(webhookBody{To: m.To, Text: m.Text, Event: m.Event})
		if jerr != nil {
			return nil, errors.New("encode body")
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.Endpoint, bytes.NewReader(body))
		if err != nil {
			return nil, errors.New("invalid endpoint")
		}
		req.Header.Set("Content-Type", "application/json")
		if s.token != "" {
			req.Header.Set("Authorization", "Bearer "+s.token)
		}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "varco")
	return req, nil
}
