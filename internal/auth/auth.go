// Package auth is the login flow and everything a signed-in session does
// with its own account: sessions, password change, activity. It ties the
// password, store and notify packages together and makes the security
// decisions; handlers only parse and answer.
package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/metrics"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/password"
	"varco.dev/varco/internal/push"
	"varco.dev/varco/internal/stepup"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/text"
)

// Config holds the tunables of the login flow. Zero values take defaults.
type Config struct {
	SessionIdle     time.Duration // default 30 min
	SessionAbsolute time.Duration // default 12 h
	// Throttling (SPEC §9a): from the AccountFailures-th consecutive failure
	// of an account, or the IPFailures-th of an IP within IPWindow, logins
	// wait ThrottleBase, doubling up to ThrottleMax.
	AccountFailures int           // default 5
	IPFailures      int           // default 20
	IPWindow        time.Duration // default 1 min
	ThrottleBase    time.Duration // default 1 s
	ThrottleMax     time.Duration // default 15 min
	// AccountWindow forgets an account's failures this long after the first
	// of a run (default 24 h).
	AccountWindow time.Duration
	// WriteWait bounds what a sign-in whose password is right still waits
	// for (its writes and their database connections), after the hashing
	// deadline bounded everything before (default 500 ms). Past it the
	// sign-in is refused as overloaded and nothing of it is committed.
	WriteWait time.Duration
	BaseURL   string // public URL, for links in e-mails
	StepUp    stepup.Config
	Push      push.Config
	// PushKey is the server's VAPID public key (base64url, uncompressed
	// P-256) that the authenticator subscribes to Web Push with; empty
	// turns Web Push off.
	PushKey string
	// Applications are the applications behind varco (SPEC §1): their
	// display names in push requests and e-mails; nil is the defaults.
	Applications *varco.Applications
}

func (c *Config) defaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&c.SessionIdle, 30*time.Minute)
	set(&c.SessionAbsolute, 12*time.Hour)
	set(&c.IPWindow, time.Minute)
	set(&c.ThrottleBase, time.Second)
	set(&c.ThrottleMax, 15*time.Minute)
	set(&c.AccountWindow, 24*time.Hour)
	set(&c.WriteWait, 500*time.Millisecond)
	if c.AccountFailures <= 0 {
		c.AccountFailures = 5
	}
	if c.IPFailures <= 0 {
		c.IPFailures = 20
	}
}

// Reader is what auth reads outside a transaction.
type Reader interface {
	AccountByEmail(ctx context.Context, email string) (*varco.Account, error)
	// Login is what a sign-in reads before its password is checked.
	Login(ctx context.Context, email, acctKey, ipKey string) (*store.LoginView, error)
	AccountByID(ctx context.Context, id int64) (*varco.Account, error)
	OrgByID(ctx context.Context, id int64) (*varco.Org, error)
	OrgForLogin(ctx context.Context, id int64) (*varco.Org, store.RiskThresholds, error)
	OrgRiskThresholds(ctx context.Context, orgID int64) (store.RiskThresholds, error)
	ThrottleStates(ctx context.Context, keys ...string) (map[string]store.Throttle, error)
	PasswordHistory(ctx context.Context, id int64, n int) ([]string, error)
	LoginPlaces(ctx context.Context, accountID int64, limit int) ([]store.Place, error)
	LoginFlowByHash(ctx context.Context, hash []byte) (*store.LoginFlow, error)
	SessionAndAccount(ctx context.Context, hash []byte) (*varco.Session, *varco.Account, error)
	ListSessions(ctx context.Context, accountID int64, now time.Time) ([]*varco.Session, error)
	ListEvents(ctx context.Context, f store.EventFilter) ([]*varco.Event, error)
	ListAlerts(ctx context.Context, accountID int64) ([]store.Alert, error)
	UnusedRecoveryCodes(ctx context.Context, accountID int64) (int, error)
	PushDecisionView(ctx context.Context, hash []byte, publicID string) (*store.PushDecisionView, error)
	// push.Store: the authenticator's device and its pending requests are
	// read outside a transaction too (push.Rules.Device and Pending).
	push.Store
}

// Store is what auth reads and writes inside its transactions, with what
// step-up, push and the Mailer do in them.
type Store interface {
	AccountByID(ctx context.Context, id int64) (*varco.Account, error)
	AccountForUpdate(ctx context.Context, id int64) (*varco.Account, error)
	AppendEvent(ctx context.Context, e *varco.Event) error
	ThrottleFailure(ctx context.Context, key string, now, windowCutoff time.Time) (store.Throttle, error)
	ThrottleBlock(ctx context.Context, key string, until time.Time) error
	SetPassword(ctx context.Context, id int64, hash string, at time.Time) error
	RecordLogin(ctx context.Context, id int64, at time.Time) error
	SignIn(ctx context.Context, in *store.SignIn) (store.SignInResult, error)
	HasPlaces(ctx context.Context, accountID int64) (bool, error)
	LockAccount(ctx context.Context, accountID int64, reason string) (bool, error)
	TouchPlace(ctx context.Context, accountID int64, p store.Place) error
	TouchDevice(ctx context.Context, accountID int64, key string, since, at time.Time) (bool, error)
	CreateSession(ctx context.Context, s *varco.Session) error
	ListSessions(ctx context.Context, accountID int64, now time.Time) ([]*varco.Session, error)
	UnrestrictSession(ctx context.Context, id int64) error
	RevokeSession(ctx context.Context, accountID, id int64, at time.Time) error
	RevokeAllSessions(ctx context.Context, accountID, keepID int64, at time.Time) (int64, error)
	CreateLoginFlow(ctx context.Context, f *store.LoginFlow) error
	LoginFlowByHash(ctx context.Context, hash []byte) (*store.LoginFlow, error)
	LoginFlowByID(ctx context.Context, id int64) (*store.LoginFlow, error)
	UpdateLoginFlow(ctx context.Context, f *store.LoginFlow) error
	EndLoginFlows(ctx context.Context, accountID int64, state string) error
	CreateLoginAlert(ctx context.Context, accountID, sessionID int64, tokenHash []byte, at, expires time.Time) error
	UseLoginAlert(ctx context.Context, tokenHash []byte, now time.Time) (accountID, sessionID int64, err error)
	AlertByID(ctx context.Context, accountID, id int64) (store.Alert, error)
	DismissAlert(ctx context.Context, accountID, id int64, at time.Time) error
	PushRequestByFlow(ctx context.Context, flowID int64) (*store.PushRequest, error)
	PushRequestFor(ctx context.Context, purpose string, flowID int64) (*store.PushRequest, error)
	InsertPushEnrollment(ctx context.Context, e *store.PushEnrollment) error
	PushEnrollmentByHash(ctx context.Context, hash []byte) (*store.PushEnrollment, error)
	PushEnrollmentByID(ctx context.Context, id int64) (*store.PushEnrollment, error)
	FinishPushEnrollment(ctx context.Context, id int64, at time.Time) (bool, error)
	UseApprovedPushRequest(ctx context.Context, id int64) (bool, error)
	CancelPushRequest(ctx context.Context, id int64, at time.Time) (bool, error)
	NotifyPush(ctx context.Context, accountID int64) error
	DeleteAppPasswords(ctx context.Context, accountID int64) (int64, error)
	stepup.Store    // step-up codes and their counters
	push.Store      // the authenticator's device and requests
	notify.Enqueuer // the e-mails, SMS and alerts that go with a change
}

// DB is where Reader and Store live: *store.DB.
type DB interface {
	Reader() *store.Q
	InTx(ctx context.Context, fn func(q *store.Q) error) error
	// Single writes outside a transaction, on the writer.
	TouchSession(ctx context.Context, id int64, at time.Time) error
	ThrottleReset(ctx context.Context, key string) error
	RehashPassword(ctx context.Context, id int64, oldHash, newHash string) error
	SetAccountLanguage(ctx context.Context, id int64, lang string) error
	SetAccountTimeZone(ctx context.Context, id int64, zone string) error
	DismissAlert(ctx context.Context, accountID, id int64, at time.Time) error
	// AccountByID reads on the writer, after a change committed.
	AccountByID(ctx context.Context, id int64) (*varco.Account, error)
	// ChangeVersion tells whether sessions and accounts may have changed
	// since a version read before (sessionCache).
	ChangeVersion(ctx context.Context) (uint64, bool)
}

var (
	_ Reader = (*store.Q)(nil)
	_ Store  = (*store.Q)(nil)
	_ DB     = (*store.DB)(nil)
)

// Service runs logins and session-scoped account actions.
type Service struct {
	db        DB
	hasher    *password.Hasher
	policy    password.Policy
	clock     clock.Clock
	mailer    *notify.Mailer
	metrics   *metrics.Metrics
	log       *slog.Logger
	cfg       Config
	stepUp    *stepup.Rules
	stepUpCfg stepup.Config
	risk      RiskEngine
	pad       *failurePad
	resets    Resets // set by SetResets
	push      *push.Rules
	decided   push.Signal // broadcast after each push decision, here or (PostgreSQL) in another process
	sessions  sessionCache

	mailCache varco.MailCache // nil: none

	// txStore, set by tests only, wraps the Store of each transaction,
	// to step in between two of its statements (a concurrent change).
	txStore func(*store.Q) Store
}

// mailCredentialsChanged tells the mail servers to forget a's cached
// logins once q's transaction has committed: a change in it ends them
// (SPEC §7.6; varco.MailCredentialsChanged).
func (s *Service) mailCredentialsChanged(q Store, a *varco.Account) {
	varco.MailCredentialsChanged(s.mailCache, q, a.Email)
}

// Deps are what a Service needs.
type Deps struct {
	DB      DB
	Hasher  *password.Hasher
	Policy  password.Policy
	Clock   clock.Clock
	Mailer  *notify.Mailer
	Metrics *metrics.Metrics // optional
	Logger  *slog.Logger     // optional
	// Risk places sign-ins and decides on step-up; nil falls back to "new
	// IP network" (SPEC §5.3).
	Risk RiskEngine
	// MailCache, if set, is told the account once a change of what its
	// mail logins accept committed: the password changed or reset, 2-step
	// verification turned on or off (which revokes its app passwords), a
	// lockout (varco.MailCredentialsChanged).
	MailCache varco.MailCache
}

// New returns a Service.
func New(d Deps, cfg Config) *Service {
	cfg.defaults()
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.StepUp = cfg.StepUp.WithDefaults()
	if d.Risk == nil {
		d.Risk = GeoRisk{}
	}
	return &Service{db: d.DB, hasher: d.Hasher, policy: d.Policy, clock: d.Clock, mailer: d.Mailer,
		metrics: d.Metrics, log: d.Logger, cfg: cfg, stepUp: stepup.New(cfg.StepUp), stepUpCfg: cfg.StepUp, risk: d.Risk,
		pad: &failurePad{sleep: sleepCtx}, push: push.New(cfg.pushConfig()), sessions: newSessionCache(),
		mailCache: d.MailCache}
}

// pushConfig is cfg.Push with the public URL, the web app's WebAuthn
// origin, taken from BaseURL unless set.
func (c Config) pushConfig() push.Config {
	p := c.Push
	if p.PublicURL == "" {
		p.PublicURL = c.BaseURL
	}
	return p
}

// read is the Reader outside a transaction.
func (s *Service) read() Reader { return s.db.Reader() }

// inTx runs fn in one transaction with the Store.
func (s *Service) inTx(ctx context.Context, fn func(q Store) error) error {
	return s.db.InTx(ctx, func(q *store.Q) error {
		if s.txStore != nil {
			return fn(s.txStore(q))
		}
		return fn(q)
	})
}

// Resets starts password resets: internal/recovery's Service, which needs
// this Service in turn (recovery.Accounts), so app sets it with SetResets
// once both exist. "This wasn't me" asks it for a reset.
type Resets interface {
	RequestPasswordReset(ctx context.Context, email string, m Meta) error
}

// SetResets sets what starts password resets. Call it before serving: until
// then "this wasn't me" fails.
func (s *Service) SetResets(r Resets) { s.resets = r }

// requestReset starts a password reset for email (Resets).
func (s *Service) requestReset(ctx context.Context, email string, m Meta) error {
	if s.resets == nil {
		return errors.New("request password reset: no reset service")
	}
	return s.resets.RequestPasswordReset(ctx, email, m)
}

// Config returns the effective configuration (defaults applied).
func (s *Service) Config() Config { return s.cfg }

// Meta describes where a request comes from (varco.Meta).
type Meta = varco.Meta

// repaired returns m with every field made fit to record (text.RecordMeta).
func repaired(m Meta) Meta { return text.RecordMeta(m) }

// LoginResult is the outcome of a successful first factor.
type LoginResult struct {
	State   string
	Account *varco.Account
	Session *varco.Session // nil until a session is open
	Token   string         // the session token, shown once
	Flow    string         // the login flow id when another step follows
	Methods varco.Methods  // step-up methods offered (step_up_required)
	Number  string         // the number to type on the device (push_required)
}

// Limits on untrusted input, checked before any work is done.
const (
	MaxPasswordBytes = 1024
)

// Login checks an e-mail and password. A wrong e-mail and a wrong password
// answer the same invalid_credentials in about the same time; status errors
// are revealed only after the right password (SPEC §5.1). Guessing is
// throttled per account and per IP, never locking the account (§5.2).
func (s *Service) Login(ctx context.Context, email, pw string, m Meta) (*LoginResult, error) {
	start := time.Now()
	res, err := s.login(ctx, email, pw, m)
	if varco.IsCode(err, varco.EInvalidCredentials) {
		s.pad.wait(ctx, time.Since(start))
	}
	if err != nil {
		s.metrics.Login(varco.ErrorCode(err))
	} else {
		s.metrics.Login(res.State)
	}
	return res, err
}

func (s *Service) login(ctx context.Context, email, pw string, m Meta) (*LoginResult, error) {
	// Refused before anything is counted or looked up: no account can have
	// such an address, and the store may not take it.
	if _, err := text.Identifier("email", email); err != nil {
		return nil, err
	}
	if err := text.Check("password", pw); err != nil {
		return nil, err
	}
	m = repaired(m)
	email = varco.NormalizeEmail(email)
	if email == "" || pw == "" {
		return nil, varco.E(varco.EInvalid, "error.credentials_required")
	}
	if len(email) > varco.MaxEmailLen || len(pw) > MaxPasswordBytes {
		return nil, varco.E(varco.EInvalid, "error.credentials_long")
	}
	// Under a flood, the surplus is refused before it costs the database
	// two reads: it would be refused at the hashing queue anyway. Nothing
	// was checked, so nothing is counted.
	if s.hasher.Saturated() {
		return nil, password.Overloaded("too many password checks are waiting", nil)
	}
	now := s.clock.Now()
	acctKey, ipKey := "login:acct:"+email, "login:ip:"+m.IP

	// Everything a sign-in waits for before its password is checked — a
	// database connection, the reads, a hashing slot — shares one deadline,
	// the hasher's (2 s): under a flood a sign-in is answered "overloaded"
	// in bounded time instead of queueing for a connection first and a
	// hashing slot after.
	wait, cancel := context.WithTimeout(ctx, s.hasher.MaxWait())
	defer cancel()
	v, failures, slot, err := s.checkLogin(wait, ctx, now, email, pw, acctKey, ipKey, m)
	if err != nil {
		return nil, busy(ctx, wait, err)
	}
	// The sign-in keeps its hashing slot through its writes (see
	// password.Hasher.Slot).
	defer slot.Release()
	// The password is right: the sign-in's writes have WriteWait more.
	fin, cancelFin := context.WithTimeout(ctx, s.cfg.WriteWait)
	defer cancelFin()
	res, err := s.finishLogin(fin, slot, v, pw, acctKey, failures, m, now)
	return res, busy(ctx, fin, err)
}

// checkPassword returns the account whose password pw is, after the
// throttling check, and whether the account has failures counted; a
// failure is counted and answered invalid_credentials.
// Reads and the hashing slot wait under wait; a failure is recorded under
// ctx, so that no deadline lets a guess go uncounted.
func (s *Service) checkPassword(wait, ctx context.Context, now time.Time, email, pw, acctKey, ipKey string, m Meta) (a *varco.Account, failures bool, err error) {
	v, failures, slot, err := s.checkLogin(wait, ctx, now, email, pw, acctKey, ipKey, m)
	slot.Release()
	if err != nil {
		return nil, false, err
	}
	return v.Account, failures, nil
}

// checkLogin is checkPassword with everything else the sign-in read with
// the account, in the same query (store.Q.Login): both throttling keys,
// the organization's policy and thresholds, whether 2-step verification
// is on. Nothing is read after the hash that could be read before it, and
// no transaction is open while it runs: the writes come after, in their
// own short transaction. A right password returns the hashing slot it was
// checked in, for the caller to release once its writes are done; a
// failure is recorded before the slot is released.
func (s *Service) checkLogin(wait, ctx context.Context, now time.Time, email, pw, acctKey, ipKey string, m Meta) (v *store.LoginView, failures bool, slot *password.Slot, err error) {
	defer func() {
		if err != nil {
			slot.Release()
			slot = nil
		}
	}()
	v, err = s.read().Login(wait, email, acctKey, ipKey)
	var states map[string]store.Throttle
	switch {
	case err == nil:
		states = v.Throttles
	case varco.IsCode(err, varco.ENotFound):
		// No such account: the keys' states alone, in one query.
		v = nil
		if states, err = s.read().ThrottleStates(wait, acctKey, ipKey); err != nil {
			return nil, false, nil, err
		}
	default:
		return nil, false, nil, err
	}
	if err := s.refuseBlocked(states, now); err != nil {
		return nil, false, nil, err
	}
	// The account's state also tells whether a right password has
	// failures to forget.
	_, failures = states[acctKey]
	if slot, err = s.hasher.Slot(wait); err != nil {
		return nil, false, nil, err
	}
	if v == nil {
		// Spend the same time as a real verification so timing does not
		// tell whether the account exists.
		slot.DummyVerify(pw)
		return nil, false, slot, s.failLogin(ctx, now, nil, acctKey, ipKey, m, "unknown account")
	}
	a := v.Account
	ok, err := slot.Verify(pw, a.PasswordHash)
	if err != nil {
		// A stored hash we cannot read is a data problem, not the user's: log it, answer as a wrong password.
		s.log.ErrorContext(ctx, "verify stored password hash", "account_id", a.ID, "error", err)
	}
	if !ok {
		return nil, false, slot, s.failLogin(ctx, now, a, acctKey, ipKey, m, "wrong password")
	}
	return v, failures, slot, nil
}

// busy turns an error caused by the deadline of dl (not by the caller's
// own ctx ending) into 503 overloaded: the service is too busy to finish
// the sign-in in time, and nothing was committed.
func busy(ctx, dl context.Context, err error) error {
	if err == nil || ctx.Err() != nil || dl.Err() == nil || varco.IsCode(err, varco.EOverloaded) {
		return err
	}
	e := varco.E(varco.EOverloaded, "error.busy")
	e.RetryAfter = 1
	return fmt.Errorf("login: out of time: %w: %w", e, err)
}

// finishLogin completes a sign-in whose password is right: the account's
// status, a rehash, the risk rules, then the session or the step-up.
func (s *Service) finishLogin(ctx context.Context, slot *password.Slot, v *store.LoginView, pw, acctKey string, failures bool, m Meta, now time.Time) (*LoginResult, error) {
	a := v.Account
	if err := s.passwordAccepted(ctx, a, acctKey, failures, m); err != nil {
		return nil, err
	}
	if s.hasher.NeedsRehash(a.PasswordHash) {
		// In the slot the password was verified in: waiting for another
		// while holding it could wait for good.
		if h, err := slot.Hash(pw); err == nil {
			if err := s.db.RehashPassword(ctx, a.ID, a.PasswordHash, h); err != nil {
				s.log.ErrorContext(ctx, "rehash password", "account_id", a.ID, "error", err)
			}
		}
	}
	// The organization's policy and risk thresholds were read with the
	// account.
	policy, th := v.Policy, v.Risk
	expires := policy.ExpiresAt(a.PasswordChangedAt)
	// A password that must change first is changed after the step-up,
	// never instead of it (SPEC §2.6, §5.3).
	mustChange := a.MustChangePassword || !now.Before(expires)
	risk, err := s.assessWith(ctx, a, m, now, th)
	if err != nil {
		return nil, err
	}
	m.Location = risk.Location
	// With 2-step verification on, the device's approval replaces the
	// step-up of a risky sign-in (SPEC §9a).
	if v.TwoFactor {
		return s.startPush(ctx, a, m, now, risk, mustChange)
	}
	if risk.StepUp {
		return s.startStepUp(ctx, a, m, now, risk, mustChange)
	}
	var res *LoginResult
	err = s.inTx(ctx, func(q Store) error {
		var err error
		res, err = s.completeLogin(ctx, q, signIn{account: a, meta: m, now: now, place: risk.Place,
			mustChange: mustChange, policy: policy, expires: expires})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	return res, nil
}

// passwordAccepted is what follows a right password, for every sign-in:
// the account's failures are forgotten (none were counted when the check
// read the state; one counted since then stays counted, the safe side),
// and from here on the account's status may be told (SPEC §5.1).
func (s *Service) passwordAccepted(ctx context.Context, a *varco.Account, acctKey string, failures bool, m Meta) error {
	if failures {
		if err := s.db.ThrottleReset(ctx, acctKey); err != nil {
			return err
		}
	}
	if code := statusError(a.Status); code != "" {
		if err := s.record(ctx, a, varco.EventLoginFailed, varco.OutcomeFailure, m, "account "+a.Status); err != nil {
			return err
		}
		return varco.E(code, statusKey(a.Status))
	}
	return nil
}

// signIn is a sign-in whose every factor passed.
type signIn struct {
	account *varco.Account
	meta    Meta
	now     time.Time
	place   store.Place // where it comes from; it becomes usual
	// mustChange: the password must change before the account may do
	// anything else (SPEC §2.6); the session is restricted.
	mustChange bool
	policy     varco.Policy // the account's organization's
	expires    time.Time    // when the password expires under policy
	// flow is the id of the sign-in's flow when it has one (it passed a
	// step-up); when a password change follows without one, a flow is made.
	flow string
}

// completeLogin opens the session of in: a full one, or a restricted one
// when the password must change first (with a flow for POST
// /login/{flow}/password). The place becomes usual.
func (s *Service) completeLogin(ctx context.Context, q Store, in signIn) (*LoginResult, error) {
	a, m, now, place, mustChange := in.account, in.meta, in.now, in.place, in.mustChange
	state := varco.StateAuthenticated
	kind := fullSession
	if mustChange {
		state, kind = varco.StatePasswordChangeRequired, restrictedSession
	}
	res := &LoginResult{State: state, Account: a}
	tok, sess, err := s.newSession(a, now, m, kind)
	if err != nil {
		return nil, err
	}
	res.Token, res.Session = tok, sess
	// The session, the last sign-in, the usual place and device, the
	// expiry alert's removal: one statement on PostgreSQL. The place and
	// device are touched there only when they are usual; a new one is
	// recorded by loginAlert.
	place.LastSeenAt = now
	clear, raise := expiryAlertPlan(a, in.policy, in.expires, now)
	seen, err := q.SignIn(ctx, &store.SignIn{Session: sess, Place: place, DeviceKey: deviceKey(m.UserAgent),
		Since: now.Add(-alertWindow), At: now, ClearAlert: clear})
	if err != nil {
		return nil, err
	}
	if mustChange {
		res.Flow = in.flow
		if in.flow == "" {
			if res.Flow, err = s.newFlow(ctx, q, &store.LoginFlow{State: varco.StatePasswordChangeRequired, Place: place}, a, m, now); err != nil {
				return nil, err
			}
		}
	}
	if err := s.loginAlert(ctx, q, a, sess, m, place, now, seen); err != nil {
		return nil, err
	}
	if raise != nil {
		if err := q.RaiseAlert(ctx, a.ID, *raise, now); err != nil {
			return nil, err
		}
	}
	if err := q.AppendEvent(ctx, s.event(a, varco.EventLoginSucceeded, varco.OutcomeSuccess, m, "")); err != nil {
		return nil, err
	}
	return res, nil
}

func statusError(status string) string {
	switch status {
	case varco.StatusLocked:
		return varco.EAccountLocked
	case varco.StatusSuspended:
		return varco.EAccountSuspended
	case varco.StatusDisabled:
		return varco.EAccountDisabled
	}
	return ""
}

// statusKey is the catalogue key of the message refusing an account in status.
func statusKey(status string) string {
	switch status {
	case varco.StatusLocked:
		return "error.account_locked"
	case varco.StatusSuspended:
		return "error.account_suspended"
	}
	return "error.account_disabled"
}

func (s *Service) checkThrottle(ctx context.Context, now time.Time, keys ...string) error {
	_, err := s.throttleStates(ctx, now, keys...)
	return err
}

// throttleStates reads the keys' states in one query and refuses with
// too_many_attempts while any of them is blocked.
func (s *Service) throttleStates(ctx context.Context, now time.Time, keys ...string) (map[string]store.Throttle, error) {
	states, err := s.read().ThrottleStates(ctx, keys...)
	if err != nil {
		return nil, err
	}
	if err := s.refuseBlocked(states, now); err != nil {
		return nil, err
	}
	return states, nil
}

// refuseBlocked answers too_many_attempts while any of states is blocked.
func (s *Service) refuseBlocked(states map[string]store.Throttle, now time.Time) error {
	var wait time.Duration
	for _, st := range states {
		if d := st.BlockedUntil.Sub(now); d > wait {
			wait = d
		}
	}
	if wait > 0 {
		return varco.TooManyAttempts(wait)
	}
	return nil
}

// backoff returns the wait after the n-th counted failure when waiting
// starts at the threshold-th: base, doubling each time, capped.
func (s *Service) backoff(n, threshold int) time.Duration {
	if n < threshold {
		return 0
	}
	d := s.cfg.ThrottleBase
	for i := threshold; i < n && d < s.cfg.ThrottleMax; i++ {
		d *= 2
	}
	return min(d, s.cfg.ThrottleMax)
}

func (s *Service) failLogin(ctx context.Context, now time.Time, a *varco.Account, acctKey, ipKey string, m Meta, why string) error {
	err := s.inTx(ctx, func(q Store) error {
		acct, err := q.ThrottleFailure(ctx, acctKey, now, now.Add(-s.cfg.AccountWindow))
		if err != nil {
			return err
		}
		if d := s.backoff(acct.Failures, s.cfg.AccountFailures); d > 0 {
			if err := q.ThrottleBlock(ctx, acctKey, now.Add(d)); err != nil {
				return err
			}
		}
		ip, err := q.ThrottleFailure(ctx, ipKey, now, now.Add(-s.cfg.IPWindow))
		if err != nil {
			return err
		}
		if d := s.backoff(ip.Failures, s.cfg.IPFailures); d > 0 {
			if err := q.ThrottleBlock(ctx, ipKey, now.Add(d)); err != nil {
				return err
			}
		}
		ev := s.event(a, varco.EventLoginFailed, varco.OutcomeFailure, m, why)
		return q.AppendEvent(ctx, ev)
	})
	if err != nil {
		return fmt.Errorf("record failed login: %w", err)
	}
	return varco.E(varco.EInvalidCredentials, "error.wrong_credentials")
}

func (s *Service) event(a *varco.Account, name, outcome string, m Meta, detail string) *varco.Event {
	m = repaired(m)
	lang := varco.LangIT
	if a != nil {
		lang = a.Language()
	}
	m = s.located(m, lang)
	e := &varco.Event{Time: s.clock.Now(), Event: name, Actor: varco.ActorSelf, Outcome: outcome, IP: m.IP,
		UserAgent: m.UserAgent, Application: m.Application, Location: m.Location, Detail: detail}
	if a != nil {
		e.AccountID, e.OrgID, e.ActorID = a.ID, a.OrgID, a.ID
	}
	return e
}

// Event is the activity event of a's own action (nil: of no account), its
// request data made fit to record and placed (recovery.Accounts).
func (s *Service) Event(a *varco.Account, name, outcome string, m Meta, detail string) *varco.Event {
	return s.event(a, name, outcome, m, detail)
}

func (s *Service) record(ctx context.Context, a *varco.Account, name, outcome string, m Meta, detail string) error {
	return s.inTx(ctx, func(q Store) error { return q.AppendEvent(ctx, s.event(a, name, outcome, m, detail)) })
}

// Kinds of session openSession opens.
type sessionKind int

const (
	fullSession       sessionKind = iota
	restrictedSession             // only the password change is allowed (SPEC §2.6)
)

func (s *Service) openSession(ctx context.Context, q Store, a *varco.Account, now time.Time, m Meta, kind sessionKind) (string, *varco.Session, error) {
	tok, sess, err := s.newSession(a, now, m, kind)
	if err != nil {
		return "", nil, err
	}
	if err := q.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return tok, sess, nil
}

// newSession is a session of a not stored yet, and its token.
func (s *Service) newSession(a *varco.Account, now time.Time, m Meta, kind sessionKind) (string, *varco.Session, error) {
	tok, hash, err := varco.NewToken()
	if err != nil {
		return "", nil, err
	}
	return tok, &varco.Session{AccountID: a.ID, TokenHash: hash, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(s.cfg.SessionAbsolute), IP: text.Record(m.IP, 64), UserAgent: text.Record(m.UserAgent, text.MaxUserAgent),
		Restricted: kind == restrictedSession}, nil
}

// passwordExpiry returns when the account's password expires under its
// organization's policy (support accounts follow the default policy).
func (s *Service) passwordExpiry(ctx context.Context, a *varco.Account) (time.Time, varco.Policy, error) {
	p := varco.DefaultPolicy()
	if a.OrgID != 0 {
		org, err := s.read().OrgByID(ctx, a.OrgID)
		if err != nil {
			return time.Time{}, p, err
		}
		p = org.Policy
	}
	return p.ExpiresAt(a.PasswordChangedAt), p, nil
}
