package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/store"
)

// Step-up methods (SPEC §5.4, §9).
const (
	MethodEmailPIN = "email_pin"
	MethodSMSOTP   = "sms_otp"
)

// Why an account locked, kept with its counters for support (SPEC §5.8).
const (
	LockPINConsecutive = "pin_consecutive"
	LockPINTotal       = "pin_total"
	LockOTPTotal       = "otp_total"
)

// StepUpConfig holds the step-up rules. The seed's values are exact; the
// others are defaults (SPEC §5.4–5.9). Zero values take the defaults.
type StepUpConfig struct {
	CodeTTL           time.Duration // a code is valid this long (10 min)
	FlowTTL           time.Duration // a login flow lives this long (15 min)
	PINConsecutiveMax int           // this many wrong PINs in a row lock (5)
	PINTotalMax       int           // this many wrong PINs in all lock (15)
	PINQuiet          time.Duration // the run of wrong PINs ends after this long without an attempt (30 min)
	OTPTotalMax       int           // this many wrong OTPs in all lock (50)
	OTPValid          int           // only the newest this many OTPs are valid (3)
	OTPInterval       time.Duration // at most one OTP per this long (1 min)
	OTPPerDay         int           // at most this many OTPs per 24 h (10)
	PINPerHour        int           // at most this many PIN e-mails per hour (30)
	// Per-IP limits across accounts: from the IPFailures-th wrong code (or
	// unknown flow) of one IP within IPWindow, its attempts wait, doubling.
	// They sit above what one account's counters allow (50 wrong OTPs), so
	// they slow a spray over many accounts without hiding the seed's rules.
	IPFailures int           // 100
	IPWindow   time.Duration // 10 min
	IPSends    int           // codes one IP may have sent per IPWindow (60)
}

func (c *StepUpConfig) defaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	seti := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	set(&c.CodeTTL, 10*time.Minute)
	set(&c.FlowTTL, 15*time.Minute)
	set(&c.PINQuiet, 30*time.Minute)
	set(&c.OTPInterval, time.Minute)
	set(&c.IPWindow, 10*time.Minute)
	seti(&c.PINConsecutiveMax, 5)
	seti(&c.PINTotalMax, 15)
	seti(&c.OTPTotalMax, 50)
	seti(&c.OTPValid, 3)
	seti(&c.OTPPerDay, 10)
	seti(&c.PINPerHour, 30)
	seti(&c.IPFailures, 100)
	seti(&c.IPSends, 60)
}

// A flow id is 32 random bytes, base64url without padding: 43 characters.
const flowIDLen = 43

func newFlowID() (id string, hash []byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("random flow id: %w", err)
	}
	id = base64.RawURLEncoding.EncodeToString(b[:])
	return id, HashToken(id), nil
}

// validFlowID reports whether id has the shape of a flow id, so garbage is
// refused before it reaches the database.
func validFlowID(id string) bool {
	if len(id) != flowIDLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(id)
	return err == nil
}

// ParseCode checks that s is a code as sent: exactly six ASCII digits.
// Anything else (spaces, letters, other digits, another length) is refused
// before any counter moves.
func ParseCode(s string) (string, bool) {
	if len(s) != 6 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	return s, true
}

// codeHash keys a code's hash with the flow id, which only the client holds:
// the stored hashes alone do not give the codes away, and a code is bound to
// the flow it was sent for.
func codeHash(flowID, method, code string) []byte {
	m := hmac.New(sha256.New, []byte(flowID))
	m.Write([]byte(method + ":" + code))
	return m.Sum(nil)
}

func flowNotFound() error {
	return varco.E(varco.EFlowNotFound, "error.flow_not_found")
}

// newFlow stores f, a flow of a's sign-in from m, filling in its id hash,
// where the sign-in comes from and its lifetime, and returns the flow id.
func (s *Service) newFlow(ctx context.Context, q *store.Q, f *store.LoginFlow, a *varco.Account, m Meta, now time.Time) (string, error) {
	id, hash, err := newFlowID()
	if err != nil {
		return "", err
	}
	f.FlowHash, f.AccountID, f.CreatedAt, f.ExpiresAt = hash, a.ID, now, now.Add(s.stepUp.FlowTTL)
	m = m.repaired()
	f.IP, f.UserAgent, f.Application, f.Location = m.IP, m.UserAgent, m.Application, m.Location
	if err := q.CreateLoginFlow(ctx, f); err != nil {
		return "", err
	}
	return id, nil
}

// methodsFor lists the step-up methods an account can use: the e-mail PIN
// always, the SMS OTP with a verified phone (SPEC §5.4).
func methodsFor(a *varco.Account) []string {
	ms := []string{MethodEmailPIN}
	if a.Phone != "" && a.PhoneVerified {
		ms = append(ms, MethodSMSOTP)
	}
	return ms
}

// startStepUp answers a right password from a risky place: a flow that
// waits for a code, and the reason in the history (SPEC §5.3).
func (s *Service) startStepUp(ctx context.Context, a *varco.Account, m Meta, now time.Time, r Assessment, mustChange bool) (*LoginResult, error) {
	methods := methodsFor(a)
	res := &LoginResult{State: StateStepUpRequired, Account: a, Methods: methods}
	err := s.db.InTx(ctx, func(q *store.Q) error {
		id, err := s.newFlow(ctx, q, &store.LoginFlow{State: StateStepUpRequired, Methods: strings.Join(methods, ","),
			MustChange: mustChange, Place: r.Place, RiskRule: r.Rule}, a, m, now)
		if err != nil {
			return err
		}
		res.Flow = id
		return q.AppendEvent(ctx, s.event(a, varco.EventStepUpRequired, varco.OutcomeSuccess, m, r.Reason))
	})
	if err != nil {
		return nil, fmt.Errorf("start step-up: %w", err)
	}
	return res, nil
}

// openFlow reads a live flow and its account inside q's transaction,
// locking the flow row on PostgreSQL.
func (s *Service) openFlow(ctx context.Context, q *store.Q, flowID string, now time.Time) (*store.LoginFlow, *varco.Account, error) {
	f, err := q.LoginFlowByHash(ctx, HashToken(flowID))
	if varco.IsCode(err, varco.ENotFound) {
		return nil, nil, flowNotFound()
	}
	if err != nil {
		return nil, nil, err
	}
	if !now.Before(f.ExpiresAt) {
		return nil, nil, flowNotFound()
	}
	a, err := q.AccountByID(ctx, f.AccountID)
	if err != nil {
		return nil, nil, err
	}
	if code := statusError(a.Status); code != "" {
		return nil, nil, varco.E(code, statusKey(a.Status))
	}
	return f, a, nil
}

// FlowStatus is what GET /login/{flow} shows.
type FlowStatus struct {
	State   string
	Methods []string
}

// Flow returns the state of a login flow; the id is all it needs (SPEC §9a).
func (s *Service) Flow(ctx context.Context, flowID string) (*FlowStatus, error) {
	if !validFlowID(flowID) {
		return nil, flowNotFound()
	}
	f, err := s.db.Reader().LoginFlowByHash(ctx, HashToken(flowID))
	if varco.IsCode(err, varco.ENotFound) {
		return nil, flowNotFound()
	}
	if err != nil {
		return nil, err
	}
	st := &FlowStatus{State: f.State}
	if f.Methods != "" {
		st.Methods = strings.Split(f.Methods, ",")
	}
	if st.State == store.FlowLocked {
		return nil, varco.E(varco.EAccountLocked, statusKey(varco.StatusLocked))
	}
	if !s.clock.Now().Before(f.ExpiresAt) && st.State != StateAuthenticated {
		st.State = StateExpired
	}
	return st, nil
}

// countIP counts one failure of an IP and makes it wait once it passes the
// limit, doubling the wait each time after.
func (s *Service) countIP(ctx context.Context, q *store.Q, now time.Time, key string, limit int) error {
	st, err := q.ThrottleFailure(ctx, key, now, now.Add(-s.stepUp.IPWindow))
	if err != nil {
		return err
	}
	if d := s.backoff(st.Failures, limit); d > 0 {
		return q.ThrottleBlock(ctx, key, now.Add(d))
	}
	return nil
}

// SendStepUp sends a new code for a flow: a PIN by e-mail or an OTP by SMS
// to the verified phone (SPEC §5.4). Sending never resets a counter (§5.9).
// At most one OTP a minute (otp_rate_limited) and OTPPerDay a day.
func (s *Service) SendStepUp(ctx context.Context, flowID, method string, m Meta) error {
	if method != MethodEmailPIN && method != MethodSMSOTP {
		return varco.E(varco.EInvalid, "error.method")
	}
	now := s.clock.Now()
	ipKey := "stepup:send:ip:" + m.IP
	if err := s.checkThrottle(ctx, now, ipKey); err != nil {
		return err
	}
	if !validFlowID(flowID) {
		return s.unknownFlow(ctx, now, m)
	}
	var sendErr error
	err := s.db.InTx(ctx, func(q *store.Q) error {
		f, a, err := s.openFlow(ctx, q, flowID, now)
		if varco.IsCode(err, varco.EFlowNotFound) {
			sendErr = err
			return s.countIP(ctx, q, now, "stepup:verify:ip:"+m.IP, s.stepUp.IPFailures)
		}
		if err != nil {
			return err
		}
		if f.State != StateStepUpRequired {
			return varco.E(varco.EFlowNotFound, "error.step_done")
		}
		if !slices.Contains(strings.Split(f.Methods, ","), method) {
			return varco.E(varco.EMethodUnavailable, "error.no_verified_phone")
		}
		// The counters' row lock makes parallel sends take turns, so the
		// per-minute limit lets exactly one through (SPEC §5.6–5.7).
		if _, err := q.LockStepUpCounters(ctx, a.ID); err != nil {
			return err
		}
		if err := s.checkSendLimits(ctx, q, a.ID, method, now); err != nil {
			return err
		}
		if err := s.countIP(ctx, q, now, ipKey, s.stepUp.IPSends); err != nil {
			return err
		}
		code, err := newCode()
		if err != nil {
			return err
		}
		c := &store.StepUpCode{AccountID: a.ID, FlowID: f.ID, Method: method, CodeHash: codeHash(flowID, method, code),
			CreatedAt: now, ExpiresAt: now.Add(s.stepUp.CodeTTL)}
		if err := q.InsertStepUpCode(ctx, c); err != nil {
			return err
		}
		f.LastMethod = method
		if err := q.UpdateLoginFlow(ctx, f); err != nil {
			return err
		}
		fm := flowMeta(f, m)
		data := notify.Data{Time: now, IP: f.IP, Location: f.Location, Code: code,
			ValidFor: s.stepUp.CodeTTL}
		if method == MethodEmailPIN {
			if err := q.AppendEvent(ctx, s.event(a, varco.EventPINSent, varco.OutcomeSuccess, fm, "to "+notify.MaskEmail(a.NotifyAddress()))); err != nil {
				return err
			}
			return s.mailer.Enqueue(ctx, q, a, varco.EventPINSent, data)
		}
		if err := q.AppendEvent(ctx, s.event(a, varco.EventOTPSent, varco.OutcomeSuccess, fm, "to "+notify.MaskPhone(a.Phone))); err != nil {
			return err
		}
		return s.mailer.EnqueueSMS(ctx, q, a, a.Phone, varco.EventOTPSent, data)
	})
	if err != nil {
		return fmt.Errorf("send step-up code: %w", err)
	}
	if sendErr != nil {
		return sendErr
	}
	return nil
}

// unknownFlow counts a request for a flow that cannot exist against the
// client's IP, and answers flow_not_found.
func (s *Service) unknownFlow(ctx context.Context, now time.Time, m Meta) error {
	err := s.db.InTx(ctx, func(q *store.Q) error {
		return s.countIP(ctx, q, now, "stepup:verify:ip:"+m.IP, s.stepUp.IPFailures)
	})
	if err != nil {
		return err
	}
	return flowNotFound()
}

func (s *Service) checkSendLimits(ctx context.Context, q *store.Q, accountID int64, method string, now time.Time) error {
	if method == MethodEmailPIN {
		n, _, _, err := q.CodesSentSince(ctx, accountID, method, now.Add(-time.Hour))
		if err != nil {
			return err
		}
		if n >= s.stepUp.PINPerHour {
			return tooMany(time.Hour)
		}
		return nil
	}
	n, _, last, err := q.CodesSentSince(ctx, accountID, method, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	limited := func(wait time.Duration) *varco.Error {
		e := varco.E(varco.EOTPRateLimited, "error.code_just_sent")
		e.RetryAfter = max(1, int(math.Ceil(wait.Seconds())))
		return e
	}
	if n > 0 && now.Sub(last) < s.stepUp.OTPInterval {
		return limited(s.stepUp.OTPInterval - now.Sub(last))
	}
	// The day's SMS budget is shared with phone verification codes; the
	// account row lock makes the two count one by one.
	if err := q.LockAccountRow(ctx, accountID); err != nil {
		return err
	}
	today, oldest, err := s.smsSentToday(ctx, q, accountID, now)
	if err != nil {
		return err
	}
	if today >= s.stepUp.OTPPerDay {
		e := limited(oldest.Add(24 * time.Hour).Sub(now))
		e.Message = "Too many codes were sent by SMS today. Ask for a PIN by e-mail or try again later."
		return e
	}
	return nil
}

// flowMeta is where a flow's sign-in came from, for its events; the
// current request's IP wins when it is known.
func flowMeta(f *store.LoginFlow, m Meta) Meta {
	out := Meta{IP: f.IP, UserAgent: f.UserAgent, Application: f.Application, Location: f.Location}
	if m.IP != "" {
		out.IP = m.IP
	}
	if m.UserAgent != "" {
		out.UserAgent = m.UserAgent
	}
	return out
}

// VerifyStepUp checks a code for a flow. A right code makes the place usual
// and continues the sign-in; a wrong one counts against the account and,
// at the limit, locks it (SPEC §5.5–5.9). Codes that are not six digits,
// unknown flows and flows without a code sent are refused without counting.
func (s *Service) VerifyStepUp(ctx context.Context, flowID, code string, m Meta) (*LoginResult, error) {
	now := s.clock.Now()
	ipKey := "stepup:verify:ip:" + m.IP
	if err := s.checkThrottle(ctx, now, ipKey); err != nil {
		return nil, err
	}
	code, ok := ParseCode(code)
	if !ok {
		return nil, varco.E(varco.EInvalid, "error.code_format")
	}
	if !validFlowID(flowID) {
		return nil, s.unknownFlow(ctx, now, m)
	}
	var res *LoginResult
	var answer error // an answer that must not roll back what was counted
	var locked *varco.Account
	err := s.db.InTx(ctx, func(q *store.Q) error {
		f, a, err := s.openFlow(ctx, q, flowID, now)
		if varco.IsCode(err, varco.EFlowNotFound) {
			answer = err
			return s.countIP(ctx, q, now, ipKey, s.stepUp.IPFailures)
		}
		if err != nil {
			return err
		}
		if f.State != StateStepUpRequired {
			return varco.E(varco.EFlowNotFound, "error.step_done")
		}
		if f.LastMethod == "" {
			return varco.E(varco.ENoCodeSent, "error.ask_code_first")
		}
		c, err := q.LockStepUpCounters(ctx, a.ID)
		if err != nil {
			return err
		}
		valid := 1 // only the newest PIN (SPEC §5.5)
		if f.LastMethod == MethodSMSOTP {
			valid = s.stepUp.OTPValid // only the last three OTPs (§5.6)
		}
		codes, err := q.NewestStepUpCodes(ctx, a.ID, f.LastMethod, valid)
		if err != nil {
			return err
		}
		want := codeHash(flowID, f.LastMethod, code)
		match := false
		for _, sc := range codes {
			// Every candidate is compared, in constant time, so the time
			// taken does not tell which one matched.
			if sc.FlowID == f.ID && sc.UsedAt.IsZero() && now.Before(sc.ExpiresAt) && hmac.Equal(want, sc.CodeHash) {
				match = true
			}
		}
		fm := flowMeta(f, m)
		if match {
			res, err = s.stepUpPassed(ctx, q, flowID, f, a, c, fm, now)
			return err
		}
		reason, left := s.countWrong(&c, f.LastMethod, now)
		if err := q.SaveStepUpCounters(ctx, a.ID, c); err != nil {
			return err
		}
		failed := varco.EventPINFailed
		if f.LastMethod == MethodSMSOTP {
			failed = varco.EventOTPFailed
		}
		if err := q.AppendEvent(ctx, s.event(a, failed, varco.OutcomeFailure, fm, "")); err != nil {
			return err
		}
		if err := s.countIP(ctx, q, now, ipKey, s.stepUp.IPFailures); err != nil {
			return err
		}
		if reason != "" {
			if err := s.lock(ctx, q, a, reason, fm, now); err != nil {
				return err
			}
			locked = a
			answer = varco.E(varco.EAccountLocked, statusKey(varco.StatusLocked))
			return nil
		}
		e := varco.E(varco.EInvalidCode, "error.code_wrong")
		if left > 0 {
			e.AttemptsLeft = left
			e.Message = fmt.Sprintf("The code is wrong. %d more wrong code(s) will lock the account.", left)
		}
		answer = e
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify step-up code: %w", err)
	}
	if locked != nil {
		s.log.WarnContext(ctx, "account locked", "account_id", locked.ID)
	}
	if answer != nil {
		return nil, answer
	}
	return res, nil
}

// countWrong counts one wrong code in c. It returns the counter that locks
// the account ("" if none) and, when the next wrong code would lock it, how
// many are left (SPEC §5.5, §5.6, §9a).
func (s *Service) countWrong(c *store.StepUpCounters, method string, now time.Time) (lockReason string, left int) {
	if method == MethodSMSOTP {
		c.OTPTotal++
		if c.OTPTotal >= s.stepUp.OTPTotalMax {
			return LockOTPTotal, 0
		}
		if l := s.stepUp.OTPTotalMax - c.OTPTotal; l <= 5 {
			return "", l
		}
		return "", 0
	}
	// The run of consecutive wrong PINs ends when PINQuiet passed since the
	// last wrong PIN with no attempt in between (SPEC §5.5).
	if !c.PINLastFailedAt.IsZero() && now.Sub(c.PINLastFailedAt) >= s.stepUp.PINQuiet {
		c.PINConsecutive = 0
	}
	c.PINConsecutive++
	c.PINTotal++
	c.PINLastFailedAt = now
	switch {
	case c.PINConsecutive >= s.stepUp.PINConsecutiveMax:
		return LockPINConsecutive, 0
	case c.PINTotal >= s.stepUp.PINTotalMax:
		return LockPINTotal, 0
	}
	if l := min(s.stepUp.PINConsecutiveMax-c.PINConsecutive, s.stepUp.PINTotalMax-c.PINTotal); l == 1 {
		return "", 1
	}
	return "", 0
}

// lock locks the account: sessions end, open flows end, the user is told
// and the counter that fired is recorded (SPEC §5.5–5.8).
func (s *Service) lock(ctx context.Context, q *store.Q, a *varco.Account, reason string, m Meta, now time.Time) error {
	ok, err := q.LockAccount(ctx, a.ID, reason)
	if err != nil || !ok {
		return err
	}
	if err := q.EndLoginFlows(ctx, a.ID, store.FlowLocked); err != nil {
		return err
	}
	if err := q.VoidStepUpCodes(ctx, a.ID, now); err != nil {
		return err
	}
	if _, err := q.RevokeAllSessions(ctx, a.ID, 0, now); err != nil {
		return err
	}
	ev := s.event(a, varco.EventAccountLocked, varco.OutcomeSuccess, m, reason)
	ev.Actor = varco.ActorSystem
	if err := q.AppendEvent(ctx, ev); err != nil {
		return err
	}
	return s.mailer.Enqueue(ctx, q, a, varco.EventAccountLocked, notify.Data{Time: now, IP: m.IP, Location: m.Location})
}

// stepUpPassed resets the counters of the method, voids every other code,
// makes the place usual and goes on with the sign-in.
func (s *Service) stepUpPassed(ctx context.Context, q *store.Q, flowID string, f *store.LoginFlow, a *varco.Account,
	c store.StepUpCounters, m Meta, now time.Time) (*LoginResult, error) {
	if f.LastMethod == MethodSMSOTP {
		c.OTPTotal = 0
	} else {
		c.PINConsecutive, c.PINTotal, c.PINLastFailedAt = 0, 0, time.Time{}
	}
	if err := q.SaveStepUpCounters(ctx, a.ID, c); err != nil {
		return nil, err
	}
	if err := q.VoidStepUpCodes(ctx, a.ID, now); err != nil {
		return nil, err
	}
	if err := q.AppendEvent(ctx, s.event(a, varco.EventStepUpSucceeded, varco.OutcomeSuccess, m, f.LastMethod)); err != nil {
		return nil, err
	}
	expires, policy, err := s.passwordExpiry(ctx, a)
	if err != nil {
		return nil, err
	}
	mustChange := f.MustChange || a.MustChangePassword || !now.Before(expires)
	// The same flow goes on to the password change when one is due.
	res, err := s.completeLogin(ctx, q, a, m, now, f.Place, mustChange, policy, expires, flowID)
	if err != nil {
		return nil, err
	}
	f.State = res.State
	if err := q.UpdateLoginFlow(ctx, f); err != nil {
		return nil, err
	}
	return res, nil
}

// FlowPassword sets the new password of a flow that requires a change
// (SPEC §2.6, §9: POST /login/{flow}/password) and finishes the sign-in
// with a full session. The flow is the proof of the old password.
func (s *Service) FlowPassword(ctx context.Context, flowID, next string, m Meta) (*LoginResult, error) {
	if !validFlowID(flowID) {
		return nil, s.unknownFlow(ctx, s.clock.Now(), m)
	}
	if len(next) > MaxPasswordBytes {
		return nil, varco.E(varco.EPasswordTooLong, "error.new_password_long")
	}
	f, err := s.db.Reader().LoginFlowByHash(ctx, HashToken(flowID))
	if varco.IsCode(err, varco.ENotFound) {
		return nil, s.unknownFlow(ctx, s.clock.Now(), m)
	}
	if err != nil {
		return nil, err
	}
	if f.State != StatePasswordChangeRequired || !s.clock.Now().Before(f.ExpiresAt) {
		return nil, flowNotFound()
	}
	a, err := s.db.Reader().AccountByID(ctx, f.AccountID)
	if err != nil {
		return nil, err
	}
	if code := statusError(a.Status); code != "" {
		return nil, varco.E(code, statusKey(a.Status))
	}
	fm := flowMeta(f, m)
	res := &LoginResult{State: StateAuthenticated, Account: a}
	check := func(q *store.Q) error {
		// Under the flow's row lock: one password change per flow.
		locked, _, err := s.openFlow(ctx, q, flowID, s.clock.Now())
		if err != nil {
			return err
		}
		if locked.State != StatePasswordChangeRequired {
			return flowNotFound()
		}
		locked.State = StateAuthenticated
		return q.UpdateLoginFlow(ctx, locked)
	}
	open := func(q *store.Q) error {
		tok, sess, err := s.openSession(ctx, q, a, s.clock.Now(), fm, false)
		res.Token, res.Session = tok, sess
		return err
	}
	err = s.setPassword(ctx, a, next, fm, passwordChange{actor: varco.ActorSelf, before: check, after: open,
		mail: varco.EventPasswordChanged})
	if err != nil {
		return nil, err
	}
	return res, nil
}
