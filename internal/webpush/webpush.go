// Package webpush sends Web Push messages (RFC 8030) to a browser's push
// service: the payload encrypted to the subscription's keys (RFC 8291,
// the aes128gcm content coding of RFC 8188) and the request signed with the
// server's VAPID key (RFC 8292), so the push service learns nothing of the
// message and can tell which server sent it. It is small enough to own:
// about what a library would do, on crypto/ecdh, crypto/hkdf and AES-GCM.
package webpush

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Subscription is what a browser's PushManager.subscribe() returns: where
// to send, and the keys to encrypt to (base64url, as the browser gives them).
type Subscription struct {
	Endpoint string `json:"endpoint"`
	P256dh   string `json:"p256dh"`
	Auth     string `json:"auth"`
}

// keys decodes and checks the subscription's keys.
func (s Subscription) keys() (ua *ecdh.PublicKey, auth []byte, err error) {
	pub, err := decode(s.P256dh)
	if err != nil {
		return nil, nil, fmt.Errorf("subscription p256dh: %w", err)
	}
	if ua, err = ecdh.P256().NewPublicKey(pub); err != nil {
		return nil, nil, fmt.Errorf("subscription p256dh: %w", err)
	}
	if auth, err = decode(s.Auth); err != nil || len(auth) != 16 {
		return nil, nil, errors.New("subscription auth: want 16 bytes in base64url")
	}
	return ua, auth, nil
}

// Check reports whether s can be sent to: an https endpoint (http only on
// loopback, for tests) and well-formed keys. Call it where a subscription
// enters, before storing it.
func (s Subscription) Check() error {
	u, err := url.Parse(s.Endpoint)
	if err != nil || u.Host == "" || len(s.Endpoint) > 2048 {
		return errors.New("subscription endpoint: not a URL")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && IsLoopback(u.Hostname())) {
		return errors.New("subscription endpoint: want https")
	}
	_, _, err = s.keys()
	return err
}

// IsLoopback reports whether host (a URL's Hostname) is localhost or a
// loopback address; "127.example.com" is not.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// recordSize is the aes128gcm record size: one record holds any message a
// push service takes (they cap payloads at about 4 kB).
const recordSize = 4096

// MaxPayload is the largest plaintext Encrypt takes: a record less the
// AES-GCM tag and the padding delimiter.
const MaxPayload = recordSize - 16 - 1

// Encrypt encrypts plaintext to the subscription (RFC 8291) with a fresh
// ephemeral key and salt, padding it with pad zero bytes so that its
// length says less about its content.
func Encrypt(s Subscription, plaintext []byte, pad int) ([]byte, error) {
	ua, auth, err := s.keys()
	if err != nil {
		return nil, err
	}
	as, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("webpush: ephemeral key: %w", err)
	}
	var salt [16]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return nil, fmt.Errorf("webpush: salt: %w", err)
	}
	return encrypt(ua, auth, as, salt, plaintext, pad)
}

// encrypt is Encrypt with the ephemeral key and salt given, so the RFC's
// example can be checked to the byte.
func encrypt(ua *ecdh.PublicKey, auth []byte, as *ecdh.PrivateKey, salt [16]byte, plaintext []byte, pad int) ([]byte, error) {
	if pad < 0 || len(plaintext)+pad > MaxPayload {
		return nil, fmt.Errorf("webpush: payload of %d bytes (padded %d) is over %d", len(plaintext), pad, MaxPayload)
	}
	shared, err := as.ECDH(ua)
	if err != nil {
		return nil, fmt.Errorf("webpush: ecdh: %w", err)
	}
	cek, nonce, err := contentKeys(shared, ua.Bytes(), as.PublicKey().Bytes(), auth, salt[:])
	if err != nil {
		return nil, err
	}
	record := make([]byte, 0, len(plaintext)+1+pad)
	record = append(record, plaintext...)
	record = append(record, 2) // the last (and only) record's delimiter
	record = append(record, make([]byte, pad)...)
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, fmt.Errorf("webpush: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("webpush: %w", err)
	}
	asPub := as.PublicKey().Bytes()
	out := make([]byte, 0, 16+4+1+len(asPub)+len(record)+gcm.Overhead())
	out = append(out, salt[:]...)
	out = binary.BigEndian.AppendUint32(out, recordSize)
	out = append(out, byte(len(asPub)))
	out = append(out, asPub...)
	return gcm.Seal(out, nonce, record, nil), nil
}

// contentKeys derives the content-encryption key and nonce (RFC 8291 §3.4)
// from the ECDH secret, both public keys (uncompressed) and the salt.
func contentKeys(shared, uaPub, asPub, auth, salt []byte) (cek, nonce []byte, err error) {
	info := append(append([]byte("WebPush: info\x00"), uaPub...), asPub...)
	ikm, err := hkdf.Key(sha256.New, shared, auth, string(info), 32)
	if err != nil {
		return nil, nil, fmt.Errorf("webpush: %w", err)
	}
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, nil, fmt.Errorf("webpush: %w", err)
	}
	if cek, err = hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16); err != nil {
		return nil, nil, fmt.Errorf("webpush: %w", err)
	}
	if nonce, err = hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12); err != nil {
		return nil, nil, fmt.Errorf("webpush: %w", err)
	}
	return cek, nonce, nil
}

// Decrypt opens a message encrypted to the user agent's key ua and auth
// secret, as a browser does on receipt: for the push service stand-in of
// the tests and for checking the scheme end to end. It refuses anything
// malformed without panicking.
func Decrypt(body []byte, ua *ecdh.PrivateKey, auth []byte) ([]byte, error) {
	if len(body) < 16+4+1 {
		return nil, errors.New("webpush: message too short")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	rest := body[21:]
	if idlen != 65 || len(rest) < idlen {
		return nil, errors.New("webpush: key id is not an uncompressed P-256 key")
	}
	as, err := ecdh.P256().NewPublicKey(rest[:idlen])
	if err != nil {
		return nil, fmt.Errorf("webpush: sender key: %w", err)
	}
	ciphertext := rest[idlen:]
	if rs < 18 || uint64(len(ciphertext)) > uint64(rs) {
		return nil, errors.New("webpush: more than one record")
	}
	shared, err := ua.ECDH(as)
	if err != nil {
		return nil, fmt.Errorf("webpush: ecdh: %w", err)
	}
	cek, nonce, err := contentKeys(shared, ua.PublicKey().Bytes(), as.Bytes(), auth, salt)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, fmt.Errorf("webpush: %w", err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("webpush: %w", err)
	}
	plain, err := gcm.Open(nil, nonce, ciphertext, nil)
	if err != nil {
		return nil, errors.New("webpush: message does not decrypt")
	}
	i := bytes.LastIndexByte(plain, 2)
	if i < 0 || len(bytes.Trim(plain[i+1:], "\x00")) != 0 {
		return nil, errors.New("webpush: no last-record delimiter")
	}
	return plain[:i], nil
}

// VAPID is the application server's identity (RFC 8292): a P-256 key whose
// public half browsers were given as applicationServerKey, and a contact.
type VAPID struct {
	Key     *ecdsa.PrivateKey
	Subject string // mailto: or https: contact for the push service's operators
}

// GenerateKey makes a new VAPID key.
func GenerateKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// PublicKey is the key in the form a browser's applicationServerKey takes.
func (v *VAPID) PublicKey() string {
	pub, err := v.Key.PublicKey.Bytes()
	if err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(pub)
}

// header returns the Authorization header for a request to endpoint,
// valid until exp: "vapid t=<ES256 JWT>, k=<public key>".
func (v *VAPID) header(endpoint string, exp time.Time) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("webpush: endpoint: %w", err)
	}
	head := enc([]byte(`{"typ":"JWT","alg":"ES256"}`))
	claims, err := json.Marshal(map[string]any{"aud": u.Scheme + "://" + u.Host, "exp": exp.Unix(), "sub": v.Subject})
	if err != nil {
		return "", fmt.Errorf("webpush: %w", err)
	}
	signed := head + "." + enc(claims)
	digest := sha256.Sum256([]byte(signed))
	r, s, err := ecdsa.Sign(rand.Reader, v.Key, digest[:])
	if err != nil {
		return "", fmt.Errorf("webpush: sign: %w", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return "vapid t=" + signed + "." + enc(sig) + ", k=" + v.PublicKey(), nil
}

// VerifyVAPID checks an Authorization header as a push service does: a
// well-formed ES256 JWT signed by the key it names, for audience aud, not
// expired at now and expiring within 24 hours. It returns the key.
func VerifyVAPID(header, aud string, now time.Time) (string, error) {
	rest, ok := strings.CutPrefix(header, "vapid ")
	if !ok {
		return "", errors.New("vapid: not a vapid authorization")
	}
	var token, key string
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			token = v
		case "k":
			key = v
		}
	}
	pubBytes, err := decode(key)
	if err != nil {
		return "", errors.New("vapid: bad k")
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pubBytes)
	if err != nil {
		return "", errors.New("vapid: bad k")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("vapid: bad t")
	}
	sig, err := decode(parts[2])
	if err != nil || len(sig) != 64 {
		return "", errors.New("vapid: bad signature")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(pub, digest[:], r, s) {
		return "", errors.New("vapid: signature does not verify")
	}
	rawClaims, err := decode(parts[1])
	if err != nil {
		return "", errors.New("vapid: bad claims")
	}
	var c struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(rawClaims, &c); err != nil {
		return "", errors.New("vapid: bad claims")
	}
	switch exp := time.Unix(c.Exp, 0); {
	case c.Aud != aud:
		return "", fmt.Errorf("vapid: audience %q, want %q", c.Aud, aud)
	case !exp.After(now) || exp.After(now.Add(24*time.Hour)):
		return "", errors.New("vapid: expired, or expiring more than 24 hours ahead")
	case !strings.HasPrefix(c.Sub, "mailto:") && !strings.HasPrefix(c.Sub, "https:"):
		return "", errors.New("vapid: sub is not a mailto: or https: contact")
	}
	return key, nil
}

// Errors of Send.
var (
	// ErrGone: the subscription no longer exists (404, 410); forget it.
	ErrGone = errors.New("webpush: subscription gone")
	// ErrRejected: the push service refused the message for good (another 4xx).
	ErrRejected = errors.New("webpush: message rejected")
)

// Sender delivers messages to push services.
type Sender struct {
	VAPID  *VAPID
	Client *http.Client // default: 10 s timeout, no redirects, public addresses only
	// AllowLoopback lets the default client connect to loopback
	// addresses: for a development or test install whose push service
	// stand-in runs on the same machine.
	AllowLoopback bool
	Now           func() time.Time            // default: time.Now
	Pad           func(payload []byte) int    // default: pad to a multiple of 256 bytes
	Log           func(status int, err error) // optional
}

// Options of one message.
type Options struct {
	TTL     time.Duration // how long the push service keeps it for an offline browser
	Urgency string        // very-low, low, normal or high; default high
	Topic   string        // a newer message with the same topic replaces an undelivered one
}

// Send encrypts payload to s and posts it to the push service. A 2xx is
// delivered; ErrGone and ErrRejected are final; anything else (a network
// error, 429, 5xx) may succeed when retried.
func (snd *Sender) Send(ctx context.Context, s Subscription, payload []byte, o Options) error {
	pad := 256 - len(payload)%256
	if snd.Pad != nil {
		pad = snd.Pad(payload)
	}
	if len(payload)+pad > MaxPayload {
		pad = MaxPayload - len(payload)
	}
	body, err := Encrypt(s, payload, max(pad, 0))
	if err != nil {
		return err
	}
	now := time.Now
	if snd.Now != nil {
		now = snd.Now
	}
	auth, err := snd.VAPID.header(s.Endpoint, now().Add(12*time.Hour))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webpush: %w", err)
	}
	ttl := int(o.TTL / time.Second)
	req.Header.Set("TTL", strconv.Itoa(max(ttl, 0)))
	req.Header.Set("Content-Encoding", "aes128gcm")
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", auth)
	urgency := o.Urgency
	if urgency == "" {
		urgency = "high"
	}
	req.Header.Set("Urgency", urgency)
	if o.Topic != "" {
		req.Header.Set("Topic", o.Topic)
	}
	client := snd.Client
	if client == nil {
		client = defaultClient
		if snd.AllowLoopback {
			client = loopbackClient
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		// A *url.Error names the endpoint, a bearer capability: keep only
		// its origin.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("webpush: post to %s: %w", Origin(s.Endpoint), err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return ErrGone
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("webpush: push service answered %d", resp.StatusCode)
	default:
		return fmt.Errorf("%w: push service answered %d", ErrRejected, resp.StatusCode)
	}
}

// defaultClient gives up after 10 s and follows no redirect: a push
// service answers, it does not send elsewhere, and a redirect would take
// the message (and its VAPID token) where the subscription did not say.
// It connects to public addresses only, checked on the address it dials
// after name resolution: a subscription is the device holder's text, and
// a name that resolves to varco's own network must not turn varco into a
// way to reach it. It uses no proxy.
var (
	defaultClient  = newClient(false)
	loopbackClient = newClient(true)
)

func newClient(allowLoopback bool) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		return checkDialAddr(address, allowLoopback)
	}}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext:         d.DialContext,
			TLSHandshakeTimeout: 5 * time.Second,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     90 * time.Second,
			ForceAttemptHTTP2:   true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ErrForbiddenAddress: the push service's name resolved to an address
// varco does not send to (its own network).
var ErrForbiddenAddress = errors.New("webpush: push service address not public")

// checkDialAddr refuses to connect to private, link-local, unspecified,
// multicast and (unless allowed) loopback addresses.
func checkDialAddr(address string, allowLoopback bool) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrForbiddenAddress, err)
	}
	ip := ap.Addr().Unmap()
	switch {
	case ip.IsLoopback():
		if allowLoopback {
			return nil
		}
		return ErrForbiddenAddress
	case ip.IsPrivate(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(), ip.IsUnspecified(),
		ip.IsMulticast(), ip.IsInterfaceLocalMulticast(), cgnat.Contains(ip):
		return ErrForbiddenAddress
	}
	return nil
}

// cgnat is the shared address space of RFC 6598, private in practice.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Origin returns the scheme and host of a subscription's endpoint, what
// logs may show of it: the path is the capability to push to the device.
func Origin(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return "(bad endpoint)"
	}
	return u.Scheme + "://" + u.Host
}

func enc(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// decode reads base64url with or without padding (browsers differ).
func decode(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}
