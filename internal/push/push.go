// Package push is push 2-step verification (SPEC §6): the account's
// authenticator device, its recovery codes, approval requests with number
// matching, signed decisions and the limits on requests. It decides inside
// the caller's transaction; the sign-in flow, events and e-mails are
// internal/auth's.
package push

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
)

// Purposes of a request.
const (
	PurposeLogin   = "login"
	PurposeDisable = "disable"
	// PurposeReplaceDevice: a new device asks to take this one's place
	// (SPEC §6.1, "an approval on the old device").
	PurposeReplaceDevice = "replace_device"
	// PurposeRecoveryCodes: the account asks for new recovery codes
	// (SPEC §6.1, "regenerable").
	PurposeRecoveryCodes = "recovery_codes"
)

// Statuses of a request.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusDenied   = "denied"
	StatusReported = "reported"
	StatusExpired  = "expired"
	// StatusUsed: an approved request whose outcome was given (new
	// recovery codes), so that it is given once.
	StatusUsed = "used"
	// StatusCancelled: a request its requester withdrew before its
	// outcome was taken (a device replacement the new device gave up).
	// It counts towards the requests of the hour but sets no wait.
	StatusCancelled = "cancelled"
)

// KindCLI is the command-line authenticator's device kind.
const KindCLI = "cli"

// Config holds the push rules (SPEC §6.2–6.4 defaults). Zero values take
// the defaults.
type Config struct {
	RequestTTL    time.Duration // a request expires after this long (2 min)
	PerHour       int           // at most this many requests an hour (10)
	FirstWait     time.Duration // the wait after one unanswered or denied request (10 s), doubling after each more
	MaxWait       time.Duration // the longest such wait (15 min)
	Mute          time.Duration // a report mutes push this long (1 h)
	RecoveryCodes int           // codes made at enrollment (10)
	// PublicURL is the service's public URL: the web app's WebAuthn
	// origin, and its host name the relying party id.
	PublicURL string
}

// WithDefaults returns c with every zero value set to its default.
func (c Config) WithDefaults() Config {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&c.RequestTTL, 2*time.Minute)
	set(&c.FirstWait, 10*time.Second)
	set(&c.MaxWait, 15*time.Minute)
	set(&c.Mute, time.Hour)
	if c.PerHour <= 0 {
		c.PerHour = 10
	}
	if c.RecoveryCodes <= 0 {
		c.RecoveryCodes = 10
	}
	return c
}

// Store is what push reads and writes, inside the caller's transaction.
type Store interface {
	PushDevice(ctx context.Context, accountID int64) (*store.PushDevice, error)
	PushDeviceByToken(ctx context.Context, hash []byte) (*store.PushDevice, error)
	ReplacePushDevice(ctx context.Context, d *store.PushDevice) error
	DeletePushDevice(ctx context.Context, accountID int64) (bool, error)
	ReplaceRecoveryCodes(ctx context.Context, accountID int64, hashes [][]byte) error
	UseRecoveryCode(ctx context.Context, accountID int64, hash []byte, now time.Time) (bool, error)
	InsertPushRequest(ctx context.Context, r *store.PushRequest) error
	PushRequestByPublicID(ctx context.Context, publicID string) (*store.PushRequest, error)
	PushRequestsSince(ctx context.Context, accountID int64, since time.Time) ([]store.PushRequest, error)
	PendingPushRequests(ctx context.Context, deviceID int64, now time.Time) ([]store.PushRequest, error)
	AnswerPushRequest(ctx context.Context, id int64, status string, at time.Time) (bool, error)
	AnswerPush(ctx context.Context, a *store.PushAnswer) (store.PushAnswered, error)
	PushMutedUntil(ctx context.Context, accountID int64) (time.Time, error)
	InsertWebAuthnEnrollment(ctx context.Context, e *store.WebAuthnEnrollment, now time.Time) error
	TakeWebAuthnEnrollment(ctx context.Context, hash []byte, now time.Time) (*store.WebAuthnEnrollment, error)
	ReplacePushSubscription(ctx context.Context, s *store.PushSubscription) error
	HasPushSubscription(ctx context.Context, deviceID int64) (bool, error)
	DeletePushSubscription(ctx context.Context, deviceID int64) (bool, error)
}

var _ Store = (*store.Q)(nil)

// Rules applies the push rules.
type Rules struct {
	cfg Config
	rp  relyingParty
}

// New returns Rules with cfg's defaults applied.
func New(cfg Config) *Rules {
	cfg = cfg.WithDefaults()
	return &Rules{cfg: cfg, rp: newRelyingParty(cfg.PublicURL)}
}

// Config returns the effective configuration.
func (r *Rules) Config() Config { return r.cfg }

// Enrollment is a device just registered: its token and recovery codes
// are shown once.
type Enrollment struct {
	Device        *store.PushDevice
	Token         string
	RecoveryCodes []string
}

// Enroll registers pub (an Ed25519 public key) as the account's only
// device, replacing any other, with a new device token and new recovery
// codes. Whether the caller may replace a device is its decision.
func (r *Rules) Enroll(ctx context.Context, q Store, accountID int64, pub []byte, now time.Time) (*Enrollment, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, varco.E(varco.EInvalid, "error.push_public_key")
	}
	id, err := randomID()
	if err != nil {
		return nil, err
	}
	return r.EnrollDevice(ctx, q, accountID, &store.PushDevice{PublicID: id, Kind: KindCLI, PublicKey: pub}, now)
}

// EnrollDevice registers d (its kind, key and, for a webauthn device, its
// credential) as the account's only device, as Enroll does.
func (r *Rules) EnrollDevice(ctx context.Context, q Store, accountID int64, d *store.PushDevice, now time.Time) (*Enrollment, error) {
	tok, hash, err := varco.NewToken()
	if err != nil {
		return nil, err
	}
	d.AccountID, d.TokenHash, d.CreatedAt = accountID, hash, now
	if err := q.ReplacePushDevice(ctx, d); err != nil {
		return nil, err
	}
	codes, err := r.NewRecoveryCodes(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	return &Enrollment{Device: d, Token: tok, RecoveryCodes: codes}, nil
}

// NewRecoveryCodes makes new recovery codes the account's only ones (the
// old ones stop working) and returns them, to be shown once.
func (r *Rules) NewRecoveryCodes(ctx context.Context, q Store, accountID int64) ([]string, error) {
	codes := make([]string, r.cfg.RecoveryCodes)
	hashes := make([][]byte, len(codes))
	for i := range codes {
		var err error
		if codes[i], err = newRecoveryCode(); err != nil {
			return nil, err
		}
		hashes[i] = recoveryHash(codes[i])
	}
	if err := q.ReplaceRecoveryCodes(ctx, accountID, hashes); err != nil {
		return nil, err
	}
	return codes, nil
}

// UseRecoveryCode spends one of the account's unused recovery codes:
// invalid_recovery_code when code is none of them.
func (r *Rules) UseRecoveryCode(ctx context.Context, q Store, accountID int64, code string, now time.Time) error {
	c, ok := NormalizeRecoveryCode(code)
	if !ok {
		return varco.E(varco.EInvalidRecoveryCode, "error.recovery_code_wrong")
	}
	used, err := q.UseRecoveryCode(ctx, accountID, recoveryHash(c), now)
	if err != nil {
		return err
	}
	if !used {
		return varco.E(varco.EInvalidRecoveryCode, "error.recovery_code_wrong")
	}
	return nil
}

// RecoveryHash returns the stored form of a typed recovery code, to spend
// later with UseRecoveryHash: invalid_recovery_code when it cannot be a
// code at all.
func RecoveryHash(code string) ([]byte, error) {
	if _, ok := NormalizeRecoveryCode(code); !ok {
		return nil, varco.E(varco.EInvalidRecoveryCode, "error.recovery_code_wrong")
	}
	return recoveryHash(code), nil
}

// UseRecoveryHash spends the unused recovery code of the account whose
// stored form is hash: invalid_recovery_code when there is none.
func (r *Rules) UseRecoveryHash(ctx context.Context, q Store, accountID int64, hash []byte, now time.Time) error {
	used, err := q.UseRecoveryCode(ctx, accountID, hash, now)
	if err != nil {
		return err
	}
	if !used {
		return varco.E(varco.EInvalidRecoveryCode, "error.recovery_code_wrong")
	}
	return nil
}

// Device returns the device of a device token: unauthorized when there
// is none.
func (r *Rules) Device(ctx context.Context, q Store, token string) (*store.PushDevice, error) {
	hash, err := TokenHash(token)
	if err != nil {
		return nil, err
	}
	d, err := q.PushDeviceByToken(ctx, hash)
	if varco.IsCode(err, varco.ENotFound) {
		return nil, BadToken()
	}
	return d, err
}

// TokenHash returns the hash a device token is looked up by:
// unauthorized for an empty or over-long one.
func TokenHash(token string) ([]byte, error) {
	if token == "" || len(token) > 64 {
		return nil, BadToken()
	}
	return varco.HashToken(token), nil
}

// BadToken is the error of a device token no device has.
func BadToken() error { return varco.E(varco.EUnauthorized, "error.device_token") }

// Context is what a request shows on the device (SPEC §6.2).
type Context struct {
	Application string
	IP          string
	Location    string
	Browser     string
	Time        time.Time
	Risky       bool
}

// Hash is the SHA-256 of the context in a canonical form: the device
// signs it, so a decision holds only for what was shown.
func (c Context) Hash() []byte {
	risky := "0"
	if c.Risky {
		risky = "1"
	}
	h := sha256.New()
	for _, f := range []string{"varco-push-context-v1", c.Application, c.IP, c.Location, c.Browser,
		c.Time.UTC().Format(time.RFC3339), risky} {
		fmt.Fprintf(h, "%d:%s\n", len(f), f)
	}
	return h.Sum(nil)
}

// ContextOf returns what request r shows.
func ContextOf(r *store.PushRequest) Context {
	return Context{Application: r.Application, IP: r.IP, Location: r.Location, Browser: r.UserAgent,
		Time: r.CreatedAt.Truncate(time.Second), Risky: r.Risky}
}

// Started is a new request and the account's requests that expired
// unanswered, found on the way (their push_expired events are the
// caller's).
type Started struct {
	Request *store.PushRequest
	Device  *store.PushDevice // the device the request is for
	Expired []store.PushRequest
}

// Start makes a request for the account's device, after the limits of
// SPEC §6.4: push_muted while a report mutes push; push_rate_limited
// while a request is pending, after PerHour requests in an hour, and
// until the wait after unanswered or denied requests has passed.
// two_factor_off when the account has no device.
func (r *Rules) Start(ctx context.Context, q Store, accountID int64, purpose string, flowID int64, c Context, now time.Time) (*Started, error) {
	dev, err := q.PushDevice(ctx, accountID)
	if varco.IsCode(err, varco.ENotFound) {
		return nil, varco.E(varco.ETwoFactorOff, "error.two_factor_off")
	}
	if err != nil {
		return nil, err
	}
	until, err := q.PushMutedUntil(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if now.Before(until) {
		return nil, retryAfter(varco.E(varco.EPushMuted, "error.push_muted"), until.Sub(now))
	}
	recent, err := q.PushRequestsSince(ctx, accountID, now.Add(-time.Hour))
	if err != nil {
		return nil, err
	}
	out := &Started{Device: dev}
	for i := range recent {
		p := &recent[i]
		if p.Status == StatusPending && !now.Before(p.ExpiresAt) {
			ok, err := q.AnswerPushRequest(ctx, p.ID, StatusExpired, p.ExpiresAt)
			if err != nil {
				return nil, err
			}
			if ok {
				p.Status, p.AnsweredAt = StatusExpired, p.ExpiresAt
				out.Expired = append(out.Expired, *p)
			}
		}
	}
	if wait := r.wait(recent, now); wait > 0 {
		return nil, retryAfter(varco.E(varco.EPushRateLimited, "error.push_rate_limited"), wait)
	}
	c.Time = now.Truncate(time.Second)
	digits := 3
	if c.Risky {
		digits = 6
	}
	number, err := randomDigits(digits)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, 32)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("random push nonce: %w", err)
	}
	id, err := randomID()
	if err != nil {
		return nil, err
	}
	req := &store.PushRequest{PublicID: id, AccountID: accountID, DeviceID: dev.ID, Purpose: purpose, FlowID: flowID,
		Number: number, Nonce: nonce, Application: c.Application, IP: c.IP, Location: c.Location, UserAgent: c.Browser,
		Risky: c.Risky, ContextHash: c.Hash(), Status: StatusPending, CreatedAt: now, ExpiresAt: now.Add(r.cfg.RequestTTL)}
	if err := q.InsertPushRequest(ctx, req); err != nil {
		return nil, err
	}
	out.Request = req
	return out, nil
}

// wait returns how long a new request must wait given the account's
// requests of the last hour (newest first, expired ones already marked).
func (r *Rules) wait(recent []store.PushRequest, now time.Time) time.Duration {
	var wait time.Duration
	for _, p := range recent {
		if p.Status == StatusPending {
			wait = max(wait, p.ExpiresAt.Sub(now))
		}
	}
	if len(recent) >= r.cfg.PerHour {
		oldest := recent[r.cfg.PerHour-1] // the PerHour-th newest leaves the hour first
		wait = max(wait, oldest.CreatedAt.Add(time.Hour).Sub(now))
	}
	// Unanswered or denied requests in a row, newest first. A request its
	// requester withdrew neither counts nor breaks the row: withdrawing
	// one sets no wait, and clears none that the ones before it set.
	n := 0
	var newest *store.PushRequest
	for i := range recent {
		p := &recent[i]
		if p.Status == StatusCancelled {
			continue
		}
		if p.Status != StatusDenied && p.Status != StatusReported && p.Status != StatusExpired {
			break
		}
		if newest == nil {
			newest = p
		}
		n++
	}
	if n > 0 {
		d := r.cfg.FirstWait
		for i := 1; i < n && d < r.cfg.MaxWait; i++ {
			d *= 2
		}
		d = min(d, r.cfg.MaxWait)
		end := newest.AnsweredAt
		if end.IsZero() {
			end = newest.ExpiresAt
		}
		wait = max(wait, end.Add(d).Sub(now))
	}
	return wait
}

func retryAfter(e *varco.Error, d time.Duration) *varco.Error {
	e.RetryAfter = max(1, int(math.Ceil(d.Seconds())))
	return e
}

// Pending returns the device's requests waiting for a decision.
func (r *Rules) Pending(ctx context.Context, q Store, dev *store.PushDevice, now time.Time) ([]store.PushRequest, error) {
	return q.PendingPushRequests(ctx, dev.ID, now)
}

// Outcome is what a decision does to its request.
type Outcome struct {
	Request     *store.PushRequest
	Status      string // approved, denied, reported or expired
	WrongNumber bool   // an approval with the wrong number, counted as a denial
	MutedUntil  time.Time
	// Answer is what Apply writes; the caller may add the login flow's
	// new state and the notification to it.
	Answer store.PushAnswer
}

// Decide applies a signed decision of dev (Judge, then Apply), reading
// the request in q.
func (r *Rules) Decide(ctx context.Context, q Store, dev *store.PushDevice, d Decision, now time.Time) (*Outcome, error) {
	req, err := q.PushRequestByPublicID(ctx, d.RequestID)
	if varco.IsCode(err, varco.ENotFound) {
		req, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	out, err := r.Judge(dev, req, d, now)
	if err != nil {
		return nil, err
	}
	return out, r.Apply(ctx, q, out)
}

// Judge checks a signed decision of dev on req (nil: no request has the
// decision's id), as both were read, and returns what it does, writing
// nothing. The signature is checked first (invalid_signature); a request
// of another device or account is push_request_not_found; each request
// takes one decision (push_already_answered). A request past its expiry
// is marked expired (Outcome.Status expired) whatever the decision. An
// approval with a wrong number is a denial; a report mutes push for
// Config.Mute.
func (r *Rules) Judge(dev *store.PushDevice, req *store.PushRequest, d Decision, now time.Time) (*Outcome, error) {
	if req == nil || req.DeviceID != dev.ID || req.AccountID != dev.AccountID {
		return nil, varco.E(varco.EPushNotFound, "error.push_not_found")
	}
	counter := dev.SignCount
	switch dev.Kind {
	case KindWebAuthn:
		if d.Assertion == nil {
			return nil, varco.E(varco.EInvalidSignature, "error.push_signature")
		}
		c := Challenge(req.PublicID, req.Nonce, d.Decision, d.Number, req.ContextHash)
		var err error
		if counter, err = r.verifyAssertion(dev, d.Assertion, c, d.Decision == DecisionApprove); err != nil {
			return nil, err
		}
	default:
		msg := Message(req.PublicID, req.Nonce, d.Decision, d.Number, req.ContextHash)
		if len(dev.PublicKey) != ed25519.PublicKeySize || !ed25519.Verify(dev.PublicKey, msg, d.Signature) {
			return nil, varco.E(varco.EInvalidSignature, "error.push_signature")
		}
	}
	if req.Status != StatusPending {
		return nil, varco.E(varco.EPushAnswered, "error.push_answered")
	}
	// A counter that does not grow is a copy of the key (or a replay of an
	// assertion whose request is still pending).
	if dev.Kind == KindWebAuthn && !counterAdvances(dev.SignCount, counter) {
		return nil, varco.E(varco.EInvalidSignature, "error.push_sign_count")
	}
	out := &Outcome{Request: req}
	switch {
	case !now.Before(req.ExpiresAt):
		out.Status = StatusExpired
	case d.Decision == DecisionApprove && subtle.ConstantTimeCompare([]byte(d.Number), []byte(req.Number)) == 1:
		out.Status = StatusApproved
	case d.Decision == DecisionApprove:
		out.Status, out.WrongNumber = StatusDenied, true
	case d.Decision == DecisionReport:
		out.Status = StatusReported
	default:
		out.Status = StatusDenied
	}
	at := now
	if out.Status == StatusExpired {
		at = req.ExpiresAt
	}
	if out.Status == StatusReported {
		out.MutedUntil = now.Add(r.cfg.Mute)
	}
	out.Answer = store.PushAnswer{Request: req.ID, Status: out.Status, At: at, Device: dev.ID, TokenHash: dev.TokenHash,
		SignCount: dev.SignCount, NewSignCount: counter, AccountID: req.AccountID, MuteUntil: out.MutedUntil}
	return out, nil
}

// Apply writes out's answer (Judge) in q's transaction: push_already_answered
// when the request was answered meanwhile, unauthorized when the device
// no longer holds its token, invalid_signature when its signature counter
// moved since it was read (a copy of the key used at the same time). On
// an error the caller rolls back.
func (r *Rules) Apply(ctx context.Context, q Store, out *Outcome) error {
	got, err := q.AnswerPush(ctx, &out.Answer)
	switch {
	case err != nil:
		return err
	case !got.DeviceHeld:
		return BadToken()
	case !got.CountHeld:
		return varco.E(varco.EInvalidSignature, "error.push_sign_count")
	case !got.Answered:
		return varco.E(varco.EPushAnswered, "error.push_answered")
	}
	out.Request.Status, out.Request.AnsweredAt = out.Status, out.Answer.At
	return nil
}

// Recovery codes: 10 characters of an alphabet without look-alikes,
// shown as two groups of five (e.g. "7KQ4M-XW2PA").
const recoveryAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

func newRecoveryCode() (string, error) {
	var b strings.Builder
	for i := 0; i < 10; i++ {
		if i == 5 {
			b.WriteByte('-')
		}
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(recoveryAlphabet))))
		if err != nil {
			return "", fmt.Errorf("random recovery code: %w", err)
		}
		b.WriteByte(recoveryAlphabet[n.Int64()])
	}
	return b.String(), nil
}

// NormalizeRecoveryCode returns a typed code in its stored form (upper
// case, without spaces or dashes) and whether it can be a code at all.
func NormalizeRecoveryCode(s string) (string, bool) {
	if len(s) > 32 {
		return "", false
	}
	var b strings.Builder
	for _, c := range strings.ToUpper(s) {
		switch {
		case c == '-' || c == ' ':
		case c < 128 && strings.IndexByte(recoveryAlphabet, byte(c)) >= 0:
			b.WriteRune(c)
		default:
			return "", false
		}
	}
	if b.Len() != 10 {
		return "", false
	}
	return b.String(), true
}

func recoveryHash(code string) []byte {
	c, _ := NormalizeRecoveryCode(code)
	h := sha256.Sum256([]byte("varco-recovery-code\n" + c))
	return h[:]
}

func randomDigits(n int) (string, error) {
	limit := big.NewInt(int64(math.Pow10(n)))
	v, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return "", fmt.Errorf("random number: %w", err)
	}
	return fmt.Sprintf("%0*d", n, v.Int64()), nil
}

func randomID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
