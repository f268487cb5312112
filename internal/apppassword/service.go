package apppassword

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"varco.dev/varco"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/text"
)

// Rules of SPEC §7 ([seed] and [default] values).
const (
	MaxPerAccount = 10                  // named app passwords per account
	Lifetime      = 90 * 24 * time.Hour // an app password expires after 90 days
	RotateGrace   = 72 * time.Hour      // the previous secret after a rotation
	SuccessEvery  = time.Hour           // mail_login_succeeded per app password, IP and protocol
	MaxLabel      = 64                  // characters of a label
	MaxPassword   = 1024                // bytes of a password a mail client may send
)

// Store is what the service reads and writes.
type Store interface {
	OrgByID(ctx context.Context, id int64) (*varco.Org, error)
	PushDevice(ctx context.Context, accountID int64) (*store.PushDevice, error)
	AppPasswords(ctx context.Context, accountID int64) ([]store.AppPassword, error)
	AppPasswordByID(ctx context.Context, accountID, id int64) (*store.AppPassword, error)
	InsertAppPassword(ctx context.Context, p *store.AppPassword) error
	RotateAppPassword(ctx context.Context, p *store.AppPassword) error
	DeleteAppPassword(ctx context.Context, accountID, id int64) error
	MailAccess(ctx context.Context, accountID int64) (store.MailAccess, error)
	SetMailAccess(ctx context.Context, accountID int64, m store.MailAccess) error
	ThrottleStates(ctx context.Context, keys ...string) (map[string]store.Throttle, error)
	MailLogin(ctx context.Context, email, acctKey, ipKey string) (*store.MailLoginView, error)
	AppendEvent(ctx context.Context, e *varco.Event) error
	AfterCommit(f func())
	// The recorder (recorder.go) writes through *store.Q in its batches:
	// ThrottleFailures, ThrottleBlock, ThrottleReset, CountMailFailures,
	// CloseMailFailureWindows, MarkMailLogin, TouchAppPassword, AppendEvents.
}

var _ Store = (*store.Q)(nil)

// DB is where the Store lives: *store.DB.
type DB interface {
	Reader() *store.Q
	InTx(ctx context.Context, fn func(q *store.Q) error) error
	// ChangeVersion moves whenever anything a mail login reads may have
	// changed, by any process (the login cache, logincache.go).
	ChangeVersion(ctx context.Context) (uint64, bool)
}

var _ DB = (*store.DB)(nil)

// PasswordVerifier checks account passwords (*password.Hasher).
type PasswordVerifier interface {
	Verify(ctx context.Context, pw, encoded string) (bool, error)
	DummyVerify(ctx context.Context, pw string) error
}

// Throttling of mail logins (SPEC §9a, as for sign-ins): from the
// AccountFailures-th consecutive failure of an account, or the
// IPFailures-th of an IP within IPWindow, logins wait Base, doubling up to
// Max. Zero values take the defaults.
type Throttling struct {
	AccountFailures int           // 5
	IPFailures      int           // 20
	IPWindow        time.Duration // 1 min
	AccountWindow   time.Duration // 24 h
	Base            time.Duration // 1 s
	Max             time.Duration // 15 min
}

func (t *Throttling) defaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&t.IPWindow, time.Minute)
	set(&t.AccountWindow, 24*time.Hour)
	set(&t.Base, time.Second)
	set(&t.Max, 15*time.Minute)
	if t.AccountFailures <= 0 {
		t.AccountFailures = 5
	}
	if t.IPFailures <= 0 {
		t.IPFailures = 20
	}
}

func (t *Throttling) backoff(n, threshold int) time.Duration {
	if n < threshold {
		return 0
	}
	d := t.Base
	for i := threshold; i < n && d < t.Max; i++ {
		d *= 2
	}
	return min(d, t.Max)
}

// Service manages app passwords and answers mail logins.
type Service struct {
	db       DB
	keys     *Keys // nil: no server key; app passwords can be neither made nor checked
	clock    clock.Clock
	verifier PasswordVerifier
	throttle Throttling
	log      *slog.Logger
	rec      *recorder
	logins   loginCache

	mailCache varco.MailCache // nil: none
}

// Deps are what a Service needs.
type Deps struct {
	DB       DB
	Keys     *Keys
	Clock    clock.Clock
	Verifier PasswordVerifier
	Throttle Throttling
	Batching Batching
	Logger   *slog.Logger // errors of writes nobody waits for; nil: none logged
	// MailCache, if set, is told the account after each change that may
	// end a mail login Dovecot has cached (deletion, rotation, mail
	// access), once it committed (varco.MailCredentialsChanged).
	MailCache varco.MailCache
}

// NewService returns a Service. Close it to write what it has queued.
func NewService(d Deps) *Service {
	d.Throttle.defaults()
	s := &Service{db: d.DB, keys: d.Keys, clock: d.Clock, verifier: d.Verifier, throttle: d.Throttle, log: d.Logger,
		logins: newLoginCache(), mailCache: d.MailCache}
	s.rec = newRecorder(s, d.Batching)
	return s
}

// mailCredentialsChanged tells the mail servers to forget a's cached
// logins once q's transaction has committed (varco.MailCredentialsChanged).
func (s *Service) mailCredentialsChanged(q Store, a *varco.Account) {
	varco.MailCredentialsChanged(s.mailCache, q, a.Email)
}

// Start starts writing mail logins' records before the first login, so
// that windows of repeated failures a previous process left open are
// closed from the start (varco serve).
func (s *Service) Start() { s.rec.start() }

// Close writes every queued record of mail logins and, when this service
// recorded any, records every window of repeated failures still open,
// then returns; records that come after are written one by one. Call it
// once the HTTP server has stopped.
func (s *Service) Close(ctx context.Context) error { return s.rec.close(ctx) }

// Throttling keys of mail logins.
const (
	acctKeyPrefix = "mail:acct:"
	ipKeyPrefix   = "mail:ip:"
)

func (s *Service) read() Store { return s.db.Reader() }

func (s *Service) inTx(ctx context.Context, fn func(q Store) error) error {
	return s.db.InTx(ctx, func(q *store.Q) error { return fn(q) })
}

func (s *Service) event(a *varco.Account, name, outcome string, m varco.Meta, detail string) *varco.Event {
	m = text.RecordMeta(m)
	e := &varco.Event{Time: s.clock.Now(), Event: name, Actor: varco.ActorSelf, Outcome: outcome, IP: m.IP,
		UserAgent: m.UserAgent, Application: m.Application, Location: m.Location, Detail: text.Record(detail, 200)}
	if a != nil {
		e.AccountID, e.OrgID, e.ActorID = a.ID, a.OrgID, a.ID
	}
	return e
}

// Created is a new or regenerated app password: Password, in groups of
// four, is shown once.
type Created struct {
	ID        int64
	Password  string
	ExpiresAt time.Time
	// PrevValidUntil is, after a rotation, until when the previous secret
	// keeps working (RotateGrace, never past its own expiry).
	PrevValidUntil time.Time
}

// CanGenerate returns nil when the account may generate app passwords,
// else two_factor_required or no_mail_protocol_enabled (SPEC §7.2): the
// pages say so before the user tries.
func (s *Service) CanGenerate(ctx context.Context, a *varco.Account) error {
	return mayGenerate(ctx, s.read(), a.ID)
}

// mayGenerate checks SPEC §7.2: 2-step verification on and a mail
// protocol enabled.
func mayGenerate(ctx context.Context, q Store, accountID int64) error {
	if _, err := q.PushDevice(ctx, accountID); varco.IsCode(err, varco.ENotFound) {
		return varco.E(varco.ETwoFactorRequired, "error.two_factor_required")
	} else if err != nil {
		return err
	}
	m, err := q.MailAccess(ctx, accountID)
	if err != nil {
		return err
	}
	if !m.IMAP && !m.POP3 && !m.SMTP {
		return varco.E(varco.ENoMailProtocol, "error.no_mail_protocol_enabled")
	}
	return nil
}

// newSecret returns a new app password and its keyed hash.
func (s *Service) newSecret() (pw, keyID string, sum []byte, err error) {
	if s.keys == nil {
		return "", "", nil, fmt.Errorf("app password: no server key configured")
	}
	if pw, err = Generate(); err != nil {
		return "", "", nil, fmt.Errorf("generate app password: %w", err)
	}
	if keyID, sum, err = s.keys.Hash(pw); err != nil {
		return "", "", nil, err
	}
	return pw, keyID, sum, nil
}

// Create makes a named app password (POST /me/app-passwords).
func (s *Service) Create(ctx context.Context, a *varco.Account, label string, m varco.Meta) (*Created, error) {
	label = strings.TrimSpace(label)
	if _, err := text.Identifier("label", label); err != nil {
		return nil, err
	}
	if label == "" || utf8.RuneCountInString(label) > MaxLabel {
		e := varco.E(varco.EInvalidInput, "error.app_password_label", MaxLabel)
		e.Field = "label"
		return nil, e
	}
	var out *Created
	err := s.inTx(ctx, func(q Store) error {
		if err := mayGenerate(ctx, q, a.ID); err != nil {
			return err
		}
		list, err := q.AppPasswords(ctx, a.ID)
		if err != nil {
			return err
		}
		if len(list) >= MaxPerAccount {
			return varco.E(varco.EAppPasswordLimit, "error.app_password_limit", MaxPerAccount)
		}
		pw, keyID, sum, err := s.newSecret()
		if err != nil {
			return err
		}
		now := s.clock.Now()
		p := &store.AppPassword{AccountID: a.ID, Label: label, KeyID: keyID, Hash: sum, CreatedAt: now, ExpiresAt: now.Add(Lifetime)}
		if err := q.InsertAppPassword(ctx, p); err != nil {
			return err
		}
		out = &Created{ID: p.ID, Password: Format(pw), ExpiresAt: p.ExpiresAt}
		return q.AppendEvent(ctx, s.event(a, varco.EventAppPasswordCreated, varco.OutcomeSuccess, m, label))
	})
	if err != nil {
		return nil, fmt.Errorf("create app password: %w", err)
	}
	return out, nil
}

// Rotate regenerates app password id; the previous secret stays valid for
// RotateGrace, never past its own expiry (SPEC §7.4).
func (s *Service) Rotate(ctx context.Context, a *varco.Account, id int64, m varco.Meta) (*Created, error) {
	var out *Created
	err := s.inTx(ctx, func(q Store) error {
		if err := mayGenerate(ctx, q, a.ID); err != nil {
			return err
		}
		p, err := q.AppPasswordByID(ctx, a.ID, id)
		if err != nil {
			return err
		}
		pw, keyID, sum, err := s.newSecret()
		if err != nil {
			return err
		}
		now := s.clock.Now()
		p.PrevKeyID, p.PrevHash, p.PrevValidUntil = p.KeyID, p.Hash, now.Add(RotateGrace)
		if p.ExpiresAt.Before(p.PrevValidUntil) {
			p.PrevValidUntil = p.ExpiresAt
		}
		p.KeyID, p.Hash, p.ExpiresAt = keyID, sum, now.Add(Lifetime)
		if err := q.RotateAppPassword(ctx, p); err != nil {
			return err
		}
		out = &Created{ID: p.ID, Password: Format(pw), ExpiresAt: p.ExpiresAt, PrevValidUntil: p.PrevValidUntil}
		// A rotation during the grace of an earlier one ends that
		// earlier secret at once.
		s.mailCredentialsChanged(q, a)
		return q.AppendEvent(ctx, s.event(a, varco.EventAppPasswordRotated, varco.OutcomeSuccess, m, p.Label))
	})
	if err != nil {
		return nil, fmt.Errorf("rotate app password: %w", err)
	}
	return out, nil
}

// Delete revokes app password id at once (SPEC §7.4).
func (s *Service) Delete(ctx context.Context, a *varco.Account, id int64, m varco.Meta) error {
	err := s.inTx(ctx, func(q Store) error {
		p, err := q.AppPasswordByID(ctx, a.ID, id)
		if err != nil {
			return err
		}
		if err := q.DeleteAppPassword(ctx, a.ID, id); err != nil {
			return err
		}
		s.mailCredentialsChanged(q, a)
		return q.AppendEvent(ctx, s.event(a, varco.EventAppPasswordDeleted, varco.OutcomeSuccess, m, p.Label))
	})
	if err != nil {
		return fmt.Errorf("delete app password: %w", err)
	}
	return nil
}

// List returns the account's app passwords (never their secrets).
func (s *Service) List(ctx context.Context, a *varco.Account) ([]store.AppPassword, error) {
	list, err := s.read().AppPasswords(ctx, a.ID)
	if err != nil {
		return nil, fmt.Errorf("list app passwords: %w", err)
	}
	for i := range list {
		list[i].Hash, list[i].PrevHash = nil, nil
	}
	return list, nil
}

// Access is an account's mail access: its protocols and the resources
// that exist for it (SPEC §1).
type Access struct {
	store.MailAccess
	Resources []string
}

// MailAccess returns the account's mail access (GET /me/mail-access).
func (s *Service) MailAccess(ctx context.Context, a *varco.Account) (*Access, error) {
	m, err := s.read().MailAccess(ctx, a.ID)
	if err != nil {
		return nil, fmt.Errorf("mail access: %w", err)
	}
	out := &Access{MailAccess: m, Resources: []string{varco.ResourceMailbox}}
	archive, err := s.archive(ctx, s.read(), a)
	if err != nil {
		return nil, fmt.Errorf("mail access: %w", err)
	}
	if archive {
		out.Resources = append(out.Resources, varco.ResourceArchive)
	}
	return out, nil
}

// SetMailAccess sets the account's mail protocols (PUT /me/mail-access).
func (s *Service) SetMailAccess(ctx context.Context, a *varco.Account, m store.MailAccess) (*Access, error) {
	err := s.inTx(ctx, func(q Store) error {
		s.mailCredentialsChanged(q, a)
		return q.SetMailAccess(ctx, a.ID, m)
	})
	if err != nil {
		return nil, fmt.Errorf("set mail access: %w", err)
	}
	return s.MailAccess(ctx, a)
}

func (s *Service) archive(ctx context.Context, q Store, a *varco.Account) (bool, error) {
	if a.OrgID == 0 {
		return false, nil
	}
	org, err := q.OrgByID(ctx, a.OrgID)
	if err != nil {
		return false, err
	}
	return varco.ArchivePlan(org.Plan), nil
}

// MailLogin is one question of a mail server (POST /api/v1/mail/auth).
type MailLogin struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Protocol string `json:"protocol"`
	ClientIP string `json:"client_ip"`
	Resource string `json:"resource,omitempty"`
}

func invalidField(field, key string, args ...any) *varco.Error {
	e := varco.E(varco.EInvalidInput, key, args...)
	e.Field = field
	return e
}

// Validate checks l's shape and normalizes it: a known protocol and
// resource (mailbox when empty), an IP address, a username and password
// that can be stored and are bounded. Anything else is invalid_input.
func (l *MailLogin) Validate() error {
	switch l.Protocol {
	case varco.ProtocolIMAP, varco.ProtocolPOP3, varco.ProtocolSMTP:
	default:
		return invalidField("protocol", "error.mail_protocol")
	}
	switch l.Resource {
	case "":
		l.Resource = varco.ResourceMailbox
	case varco.ResourceMailbox, varco.ResourceArchive:
	default:
		return invalidField("resource", "error.mail_resource")
	}
	ip, err := netip.ParseAddr(l.ClientIP)
	if err != nil || ip.Zone() != "" {
		return invalidField("client_ip", "error.mail_client_ip")
	}
	l.ClientIP = ip.Unmap().String()
	if _, err := text.Identifier("username", l.Username); err != nil {
		return err
	}
	if err := text.Check("password", l.Password); err != nil {
		return err
	}
	l.Username = varco.NormalizeEmail(l.Username)
	if l.Username == "" || l.Password == "" {
		return varco.E(varco.EInvalid, "error.credentials_required")
	}
	if len(l.Username) > varco.MaxEmailLen || len(l.Password) > MaxPassword {
		return varco.E(varco.EInvalid, "error.credentials_long")
	}
	return nil
}

func wrongCredentials() error {
	return varco.E(varco.EInvalidCredentials, "error.wrong_credentials")
}

// Authenticate answers a mail server (SPEC §7): nil when l may sign in.
// Throttled accounts and IPs are answered too_many_attempts before
// anything is written; every other refusal is invalid_credentials,
// counted and recorded as mail_login_failed.
func (s *Service) Authenticate(ctx context.Context, l MailLogin) error {
	if err := l.Validate(); err != nil {
		return err
	}
	now := s.clock.Now()
	acctKey, ipKey := acctKeyPrefix+l.Username, ipKeyPrefix+l.ClientIP
	states, v, err := s.view(ctx, l.Username, acctKey, ipKey)
	if err != nil {
		return fmt.Errorf("mail login: %w", err)
	}
	var wait time.Duration
	for _, st := range states {
		wait = max(wait, st.BlockedUntil.Sub(now))
	}
	if wait > 0 {
		// Nothing is written for a blocked login, and no password is
		// checked: a flood of them costs one read each at most (none
		// while the cached state stands: the block is compared with the
		// clock here, on every login).
		return varco.TooManyAttempts(wait)
	}
	a, credential, why, err := s.check(ctx, l, v, now)
	if err != nil {
		return fmt.Errorf("mail login: %w", err)
	}
	if why != "" {
		f := &failure{account: a, username: l.Username, acctKey: acctKey, ipKey: ipKey, ip: l.ClientIP,
			protocol: l.Protocol, why: why, at: now}
		if err := s.rec.submit(ctx, &record{failure: f}, true); err != nil {
			return fmt.Errorf("record failed mail login: %w", err)
		}
		return wrongCredentials()
	}
	// A success writes only what is due: the reset of counted failures,
	// the hourly mail_login_succeeded (both waited for: an answer never
	// runs ahead of them), the last use of the app password (not waited
	// for, at most once a minute per IP and protocol).
	sc := &success{account: a, credential: credential, ip: l.ClientIP, protocol: l.Protocol, resource: l.Resource, at: now}
	if _, failed := states[acctKey]; failed {
		sc.reset = acctKey
	}
	sc.mark = s.rec.markDue(markKey{a.ID, credential, l.ClientIP, l.Protocol}, now)
	r := &record{success: sc}
	if credential != 0 {
		if u := (touch{credential: credential, at: now, ip: l.ClientIP, protocol: l.Protocol}); s.rec.touchDue(u) {
			r.touch = &u
		}
	}
	switch {
	case sc.reset != "" || sc.mark:
		if err := s.rec.submit(ctx, r, true); err != nil {
			return fmt.Errorf("mail login: %w", err)
		}
	case r.touch != nil:
		_ = s.rec.submit(ctx, r, false)
	}
	return nil
}

// view returns the throttling state of acctKey and ipKey and what
// store.Q.MailLogin reads of username's account (nil: there is none). The
// rows come from memory while nothing has changed since they were read
// (loginCache: the change version is read first, then the rows); every
// decision is taken on them afresh. One query reads them otherwise (a
// second one the state alone when there is no such account).
func (s *Service) view(ctx context.Context, username, acctKey, ipKey string) (map[string]store.Throttle, *store.MailLoginView, error) {
	version, cacheable := s.db.ChangeVersion(ctx)
	if cacheable {
		if v := s.logins.get(username, acctKey, ipKey, version); v != nil {
			return v.Throttles, v, nil
		}
	}
	read := time.Now()
	v, err := s.read().MailLogin(ctx, username, acctKey, ipKey)
	switch {
	case varco.IsCode(err, varco.ENotFound):
		// Not kept: a bot guessing names would fill the cache.
		states, err := s.read().ThrottleStates(ctx, acctKey, ipKey)
		return states, nil, err
	case err != nil:
		return nil, nil, err
	}
	if cacheable {
		s.logins.put(username, acctKey, ipKey, version, read, v)
	}
	return v.Throttles, v, nil
}

// check decides l with v, what store.Q.MailLogin read of its account (nil:
// there is none): the account, the app password that matched (0 for the
// account password), or why it is refused.
func (s *Service) check(ctx context.Context, l MailLogin, v *store.MailLoginView, now time.Time) (a *varco.Account, credential int64, why string, err error) {
	if v == nil {
		// The same work as an account without 2-step verification, so
		// that timing does not tell who exists.
		if err := s.verifier.DummyVerify(ctx, l.Password); err != nil && varco.IsCode(err, varco.EOverloaded) {
			return nil, 0, "", err
		}
		return nil, 0, "unknown account", nil
	}
	a = v.Account
	credential, ok := s.matchAppPassword(v.AppPasswords, l.Password, now)
	if !ok {
		if v.TwoFactor {
			return a, 0, "not an app password with 2-step verification on", nil
		}
		good, err := s.verifier.Verify(ctx, l.Password, a.PasswordHash)
		if err != nil && varco.IsCode(err, varco.EOverloaded) {
			return nil, 0, "", err
		}
		if !good {
			return a, 0, "wrong password", nil
		}
		if !v.AccountPassword {
			return a, 0, "account password not allowed for mail", nil
		}
	}
	if a.Status != varco.StatusActive {
		return a, 0, "account " + a.Status, nil
	}
	if on := map[string]bool{varco.ProtocolIMAP: v.Access.IMAP, varco.ProtocolPOP3: v.Access.POP3, varco.ProtocolSMTP: v.Access.SMTP}; !on[l.Protocol] {
		return a, 0, l.Protocol + " disabled", nil
	}
	if l.Resource == varco.ResourceArchive && (a.OrgID == 0 || !varco.ArchivePlan(v.Plan)) {
		return a, 0, "no archive on this plan", nil
	}
	return a, credential, "", nil
}

// matchAppPassword returns the app password of list that pw is, still
// valid at now: its current secret before expiry, or its previous one
// within the grace after a rotation. Without a server key nothing
// matches.
func (s *Service) matchAppPassword(list []store.AppPassword, pw string, now time.Time) (int64, bool) {
	norm, err := Normalize(pw)
	if err != nil || s.keys == nil {
		return 0, false
	}
	for _, p := range list {
		if now.Before(p.ExpiresAt) && s.keys.Check(norm, p.KeyID, p.Hash) {
			return p.ID, true
		}
		if now.Before(p.PrevValidUntil) && len(p.PrevHash) > 0 && s.keys.Check(norm, p.PrevKeyID, p.PrevHash) {
			return p.ID, true
		}
	}
	return 0, false
}

// Now is the service's clock: what "expired" is measured against.
func (s *Service) Now() time.Time { return s.clock.Now() }
