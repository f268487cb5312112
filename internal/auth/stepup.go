package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/stepup"
	"varco.dev/varco/internal/store"
)

// A flow id is 32 random bytes, base64url without padding: 43 characters.
const flowIDLen = 43

func newFlowID() (id string, hash []byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("random flow id: %w", err)
	}
	id = base64.RawURLEncoding.EncodeToString(b[:])
	return id, varco.HashToken(id), nil
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

func flowNotFound() error {
	return varco.E(varco.EFlowNotFound, "error.flow_not_found")
}

// newFlow stores f, a flow of a's sign-in from m, filling in its id hash,
// where the sign-in comes from and its lifetime, and returns the flow id.
func (s *Service) newFlow(ctx context.Context, q Store, f *store.LoginFlow, a *varco.Account, m Meta, now time.Time) (string, error) {
	id, hash, err := newFlowID()
	if err != nil {
		return "", err
	}
	f.FlowHash, f.AccountID, f.CreatedAt, f.ExpiresAt = hash, a.ID, now, now.Add(s.stepUpCfg.FlowTTL)
	m = repaired(m)
	f.IP, f.UserAgent, f.Application, f.Location = m.IP, m.UserAgent, m.Application, m.Location
	if err := q.CreateLoginFlow(ctx, f); err != nil {
		return "", err
	}
	return id, nil
}

// startStepUp answers a right password from a risky place: a flow that
// waits for a code, and the reason in the history (SPEC §5.3).
func (s *Service) startStepUp(ctx context.Context, a *varco.Account, m Meta, now time.Time, r Assessment, mustChange bool) (*LoginResult, error) {
	methods := stepup.MethodsFor(a)
	res := &LoginResult{State: varco.StateStepUpRequired, Account: a, Methods: methods}
	err := s.inTx(ctx, func(q Store) error {
		id, err := s.newFlow(ctx, q, &store.LoginFlow{State: varco.StateStepUpRequired, Methods: methods,
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
func (s *Service) openFlow(ctx context.Context, q Store, flowID string, now time.Time) (*store.LoginFlow, *varco.Account, error) {
	f, err := q.LoginFlowByHash(ctx, varco.HashToken(flowID))
	if varco.IsCode(err, varco.ENotFound) {
		return nil, nil, flowNotFound()
	}
	if err != nil {
		return nil, nil, err
	}
	if !now.Before(f.ExpiresAt) {
		return nil, nil, flowNotFound()
	}
	// The account's row before anything else of the account: the jobs
	// take it first too (store.Q.AccountForUpdate).
	a, err := q.AccountForUpdate(ctx, f.AccountID)
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
	Methods varco.Methods
	// Login is the sign-in a push approval completed, answered once with
	// its session.
	Login *LoginResult
}

// Flow returns the state of a login flow; the id is all it needs (SPEC §9a).
func (s *Service) Flow(ctx context.Context, flowID string) (*FlowStatus, error) {
	if !validFlowID(flowID) {
		return nil, flowNotFound()
	}
	f, err := s.read().LoginFlowByHash(ctx, varco.HashToken(flowID))
	if varco.IsCode(err, varco.ENotFound) {
		return nil, flowNotFound()
	}
	if err != nil {
		return nil, err
	}
	if f.State == varco.StatePushRequired || f.State == varco.StatePushApproved {
		return s.pollPush(ctx, flowID)
	}
	st := &FlowStatus{State: f.State, Methods: f.Methods}
	if st.State == varco.StateLocked {
		return nil, varco.E(varco.EAccountLocked, statusKey(varco.StatusLocked))
	}
	if !s.clock.Now().Before(f.ExpiresAt) && st.State != varco.StateAuthenticated {
		st.State = varco.StateExpired
	}
	return st, nil
}

// countIP counts one failure of an IP and makes it wait once it passes the
// limit, doubling the wait each time after.
func (s *Service) countIP(ctx context.Context, q Store, now time.Time, key string, limit int) error {
	st, err := q.ThrottleFailure(ctx, key, now, now.Add(-s.stepUpCfg.IPWindow))
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
	if method != varco.MethodEmailPIN && method != varco.MethodSMSOTP {
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
	err := s.inTx(ctx, func(q Store) error {
		f, a, err := s.openFlow(ctx, q, flowID, now)
		if varco.IsCode(err, varco.EFlowNotFound) {
			sendErr = err
			return s.countIP(ctx, q, now, "stepup:verify:ip:"+m.IP, s.stepUpCfg.IPFailures)
		}
		if err != nil {
			return err
		}
		if f.State != varco.StateStepUpRequired {
			return varco.E(varco.EFlowNotFound, "error.step_done")
		}
		if !f.Methods.Has(method) {
			return varco.E(varco.EMethodUnavailable, "error.no_verified_phone")
		}
		// The counters' row lock makes parallel sends take turns, so the
		// per-minute limit lets exactly one through (SPEC §5.6–5.7).
		if err := s.stepUp.CheckSend(ctx, q, a.ID, method, now); err != nil {
			return err
		}
		if err := s.countIP(ctx, q, now, ipKey, s.stepUpCfg.IPSends); err != nil {
			return err
		}
		code, err := s.stepUp.Issue(ctx, q, stepup.Flow{ID: flowID, RowID: f.ID, AccountID: a.ID}, method, now)
		if err != nil {
			return err
		}
		f.LastMethod = method
		if err := q.UpdateLoginFlow(ctx, f); err != nil {
			return err
		}
		fm := flowMeta(f, m)
		data := notify.Data{Time: now, IP: f.IP, Location: f.Location, Code: code,
			ValidFor: s.stepUpCfg.CodeTTL}
		if method == varco.MethodEmailPIN {
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
	err := s.inTx(ctx, func(q Store) error {
		return s.countIP(ctx, q, now, "stepup:verify:ip:"+m.IP, s.stepUpCfg.IPFailures)
	})
	if err != nil {
		return err
	}
	return flowNotFound()
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
	code, ok := stepup.ParseCode(code)
	if !ok {
		return nil, varco.E(varco.EInvalid, "error.code_format")
	}
	if !validFlowID(flowID) {
		return nil, s.unknownFlow(ctx, now, m)
	}
	var res *LoginResult
	var answer error // an answer that must not roll back what was counted
	var locked *varco.Account
	err := s.inTx(ctx, func(q Store) error {
		f, a, err := s.openFlow(ctx, q, flowID, now)
		if varco.IsCode(err, varco.EFlowNotFound) {
			answer = err
			return s.countIP(ctx, q, now, ipKey, s.stepUpCfg.IPFailures)
		}
		if err != nil {
			return err
		}
		if f.State != varco.StateStepUpRequired {
			return varco.E(varco.EFlowNotFound, "error.step_done")
		}
		if f.LastMethod == "" {
			return varco.E(varco.ENoCodeSent, "error.ask_code_first")
		}
		out, err := s.stepUp.Verify(ctx, q, stepup.Flow{ID: flowID, RowID: f.ID, AccountID: a.ID}, f.LastMethod, code, now)
		if err != nil {
			return err
		}
		fm := flowMeta(f, m)
		if out.Passed {
			res, err = s.stepUpPassed(ctx, q, flowID, f, a, fm, now)
			return err
		}
		reason, left := out.LockReason, out.Left
		failed := varco.EventPINFailed
		if f.LastMethod == varco.MethodSMSOTP {
			failed = varco.EventOTPFailed
		}
		if err := q.AppendEvent(ctx, s.event(a, failed, varco.OutcomeFailure, fm, "")); err != nil {
			return err
		}
		if err := s.countIP(ctx, q, now, ipKey, s.stepUpCfg.IPFailures); err != nil {
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
		// The message stays the catalogue's; how many attempts are left is
		// the attempts_left field, which the page spells out in its language.
		e := varco.E(varco.EInvalidCode, "error.code_wrong")
		if left > 0 {
			e.AttemptsLeft = left
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

// lock locks the account: sessions end, open flows end, the user is told
// and the counter that fired is recorded (SPEC §5.5–5.8).
func (s *Service) lock(ctx context.Context, q Store, a *varco.Account, reason string, m Meta, now time.Time) error {
	ok, err := q.LockAccount(ctx, a.ID, reason)
	if err != nil || !ok {
		return err
	}
	s.mailCredentialsChanged(q, a)
	if err := q.EndLoginFlows(ctx, a.ID, varco.StateLocked); err != nil {
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

// stepUpPassed goes on with the sign-in whose code was right (the
// counters and codes are stepup.Verify's): the place becomes usual.
func (s *Service) stepUpPassed(ctx context.Context, q Store, flowID string, f *store.LoginFlow, a *varco.Account,
	m Meta, now time.Time) (*LoginResult, error) {
	if err := q.AppendEvent(ctx, s.event(a, varco.EventStepUpSucceeded, varco.OutcomeSuccess, m, f.LastMethod)); err != nil {
		return nil, err
	}
	expires, policy, err := s.passwordExpiry(ctx, a)
	if err != nil {
		return nil, err
	}
	mustChange := f.MustChange || a.MustChangePassword || !now.Before(expires)
	// The same flow goes on to the password change when one is due.
	res, err := s.completeLogin(ctx, q, signIn{account: a, meta: m, now: now, place: f.Place, mustChange: mustChange,
		policy: policy, expires: expires, flow: flowID})
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
	f, err := s.read().LoginFlowByHash(ctx, varco.HashToken(flowID))
	if varco.IsCode(err, varco.ENotFound) {
		return nil, s.unknownFlow(ctx, s.clock.Now(), m)
	}
	if err != nil {
		return nil, err
	}
	if f.State != varco.StatePasswordChangeRequired || !s.clock.Now().Before(f.ExpiresAt) {
		return nil, flowNotFound()
	}
	a, err := s.read().AccountByID(ctx, f.AccountID)
	if err != nil {
		return nil, err
	}
	if code := statusError(a.Status); code != "" {
		return nil, varco.E(code, statusKey(a.Status))
	}
	fm := flowMeta(f, m)
	res := &LoginResult{State: varco.StateAuthenticated, Account: a}
	check := func(q Store) error {
		// Under the flow's row lock: one password change per flow.
		locked, _, err := s.openFlow(ctx, q, flowID, s.clock.Now())
		if err != nil {
			return err
		}
		if locked.State != varco.StatePasswordChangeRequired {
			return flowNotFound()
		}
		locked.State = varco.StateAuthenticated
		return q.UpdateLoginFlow(ctx, locked)
	}
	open := func(q Store) error {
		tok, sess, err := s.openSession(ctx, q, a, s.clock.Now(), fm, fullSession)
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
