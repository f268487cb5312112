package auth

import (
	"context"
	"fmt"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/push"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/webpush"
)

// AppAuthenticator is the application the authenticator signs in to
// (SPEC §9a).
const AppAuthenticator = "authenticator"

// twoFactorOn reports whether the account has an authenticator device.
func (s *Service) twoFactorOn(ctx context.Context, accountID int64) (bool, error) {
	_, err := s.read().PushDevice(ctx, accountID)
	if varco.IsCode(err, varco.ENotFound) {
		return false, nil
	}
	return err == nil, err
}

// TwoFactorEnabled reports whether 2-step verification is on for the
// account (GET /me/two-factor).
func (s *Service) TwoFactorEnabled(ctx context.Context, a *varco.Account) (bool, error) {
	return s.twoFactorOn(ctx, a.ID)
}

// startPush answers a right password of an account with 2-step
// verification on: a flow that waits for the device's approval, with the
// number the user types there (SPEC §6.2, §9a). A risky sign-in needs no
// PIN or OTP: the request says so and the number has 6 digits.
func (s *Service) startPush(ctx context.Context, a *varco.Account, m Meta, now time.Time, r Assessment, mustChange bool) (*LoginResult, error) {
	res := &LoginResult{State: varco.StatePushRequired, Account: a}
	err := s.inTx(ctx, func(q Store) error {
		f := &store.LoginFlow{State: varco.StatePushRequired, MustChange: mustChange, Place: r.Place, RiskRule: r.Rule}
		id, err := s.newFlow(ctx, q, f, a, m, now)
		if err != nil {
			return err
		}
		pc := push.Context{Application: f.Application, IP: f.IP, Location: f.Location, Browser: f.UserAgent, Risky: r.StepUp}
		st, err := s.push.Start(ctx, q, a.ID, push.PurposeLogin, f.ID, pc, now)
		if err != nil {
			return err
		}
		if err := s.recordExpired(ctx, q, a, st.Expired); err != nil {
			return err
		}
		if err := s.notifyDevice(ctx, q, st); err != nil {
			return err
		}
		res.Flow, res.Number = id, st.Request.Number
		return q.AppendEvent(ctx, s.event(a, varco.EventPushSent, varco.OutcomeSuccess, m, push.PurposeLogin+" "+r.Reason))
	})
	if err != nil {
		return nil, fmt.Errorf("start push: %w", err)
	}
	return res, nil
}

// recordExpired records push_expired for requests found expired.
func (s *Service) recordExpired(ctx context.Context, q Store, a *varco.Account, expired []store.PushRequest) error {
	for _, p := range expired {
		m := Meta{IP: p.IP, UserAgent: p.UserAgent, Application: p.Application, Location: p.Location}
		if err := q.AppendEvent(ctx, s.event(a, varco.EventPushExpired, varco.OutcomeFailure, m, p.Purpose)); err != nil {
			return err
		}
	}
	return nil
}

// pollPush is GET /login/{flow} of a flow waiting for a push: the first
// poll after the approval opens the session and answers it (SPEC §9a); a
// request past its 2 minutes expires the flow.
func (s *Service) pollPush(ctx context.Context, flowID string) (*FlowStatus, error) {
	now := s.clock.Now()
	var st *FlowStatus
	err := s.inTx(ctx, func(q Store) error {
		f, a, err := s.openFlow(ctx, q, flowID, now)
		if varco.IsCode(err, varco.EFlowNotFound) {
			st = &FlowStatus{State: varco.StateExpired}
			return nil
		}
		if err != nil {
			return err
		}
		switch f.State {
		case varco.StatePushApproved:
			expires, policy, err := s.passwordExpiry(ctx, a)
			if err != nil {
				return err
			}
			m := flowMeta(f, Meta{})
			mustChange := f.MustChange || a.MustChangePassword || !now.Before(expires)
			res, err := s.completeLogin(ctx, q, signIn{account: a, meta: m, now: now, place: f.Place, mustChange: mustChange,
				policy: policy, expires: expires, flow: flowID})
			if err != nil {
				return err
			}
			f.State = res.State
			st = &FlowStatus{State: res.State, Login: res}
			return q.UpdateLoginFlow(ctx, f)
		case varco.StatePushRequired:
			req, err := q.PushRequestByFlow(ctx, f.ID)
			if err != nil {
				return err
			}
			if req.Status == push.StatusPending && !now.Before(req.ExpiresAt) {
				if _, err := q.AnswerPushRequest(ctx, req.ID, push.StatusExpired, req.ExpiresAt); err != nil {
					return err
				}
				req.Status = push.StatusExpired
				if err := s.recordExpired(ctx, q, a, []store.PushRequest{*req}); err != nil {
					return err
				}
			}
			if req.Status == push.StatusExpired {
				f.State = varco.StateExpired
				if err := q.UpdateLoginFlow(ctx, f); err != nil {
					return err
				}
			}
		}
		st = &FlowStatus{State: f.State}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("poll push: %w", err)
	}
	return st, nil
}

// Enrolled is a device just registered, with what is shown once.
type Enrolled struct {
	DeviceID      string
	Token         string
	RecoveryCodes []string
}

// EnrollAuthenticator signs in to the application authenticator with an
// e-mail and password (the same throttling, status and risk rules as any
// sign-in) and registers pub as the account's device: 2-step verification
// turns on (SPEC §6.1). An account that has a device needs one of its
// recovery codes to replace it. A risky sign-in is refused with
// step_up_required: the command-line authenticator cannot do a step-up.
func (s *Service) EnrollAuthenticator(ctx context.Context, email, pw string, pub []byte, recovery string, m Meta) (*Enrolled, error) {
	start := time.Now()
	m.Application = AppAuthenticator
	out, err := s.enroll(ctx, email, pw, pub, recovery, m)
	if varco.IsCode(err, varco.EInvalidCredentials) {
		s.pad.wait(ctx, time.Since(start))
	}
	return out, err
}

func (s *Service) enroll(ctx context.Context, email, pw string, pub []byte, recovery string, m Meta) (*Enrolled, error) {
	if len(pw) > MaxPasswordBytes || len(email) > varco.MaxEmailLen {
		return nil, varco.E(varco.EInvalid, "error.credentials_long")
	}
	m = repaired(m)
	email = varco.NormalizeEmail(email)
	if email == "" || pw == "" {
		return nil, varco.E(varco.EInvalid, "error.credentials_required")
	}
	now := s.clock.Now()
	acctKey, ipKey := "login:acct:"+email, "login:ip:"+m.IP
	wait, cancel := context.WithTimeout(ctx, s.hasher.MaxWait())
	defer cancel()
	a, failures, err := s.checkPassword(wait, ctx, now, email, pw, acctKey, ipKey, m)
	if err != nil {
		return nil, busy(ctx, wait, err)
	}
	if err := s.passwordAccepted(ctx, a, acctKey, failures, m); err != nil {
		return nil, err
	}
	th := store.DefaultRiskThresholds()
	if a.OrgID != 0 {
		_, t, err := s.read().OrgForLogin(ctx, a.OrgID)
		if err != nil {
			return nil, err
		}
		th = t
	}
	risk, err := s.assessWith(ctx, a, m, now, th)
	if err != nil {
		return nil, err
	}
	m.Location = risk.Location
	if risk.StepUp {
		if err := s.record(ctx, a, varco.EventLoginFailed, varco.OutcomeFailure, m, "authenticator enrollment: "+risk.Reason); err != nil {
			return nil, err
		}
		return nil, varco.E(varco.EStepUpRequired, "error.enroll_step_up")
	}
	var out *Enrolled
	var answer error
	err = s.inTx(ctx, func(q Store) error {
		old, err := q.PushDevice(ctx, a.ID)
		if err != nil && !varco.IsCode(err, varco.ENotFound) {
			return err
		}
		if old != nil {
			if recovery == "" {
				answer = varco.E(varco.ERecoveryCodeRequired, "error.recovery_code_required")
				return nil
			}
			if err := s.push.UseRecoveryCode(ctx, q, a.ID, recovery, now); err != nil {
				answer = err
				return q.AppendEvent(ctx, s.event(a, varco.EventLoginFailed, varco.OutcomeFailure, m, "wrong recovery code"))
			}
		}
		e, err := s.push.Enroll(ctx, q, a.ID, pub, now)
		if err != nil {
			return err
		}
		out = &Enrolled{DeviceID: e.Device.PublicID, Token: e.Token, RecoveryCodes: e.RecoveryCodes}
		if err := q.AppendEvent(ctx, s.event(a, varco.EventLoginSucceeded, varco.OutcomeSuccess, m, "")); err != nil {
			return err
		}
		if old != nil {
			if err := q.AppendEvent(ctx, s.event(a, varco.EventDeviceRemoved, varco.OutcomeSuccess, m, "replaced with a recovery code")); err != nil {
				return err
			}
		}
		if err := q.AppendEvent(ctx, s.event(a, varco.EventDeviceEnrolled, varco.OutcomeSuccess, m, push.KindCLI)); err != nil {
			return err
		}
		if err := q.AppendEvent(ctx, s.event(a, varco.EventTwoFactorEnabled, varco.OutcomeSuccess, m, "")); err != nil {
			return err
		}
		return s.mailer.Enqueue(ctx, q, a, varco.EventTwoFactorEnabled, notify.Data{Time: now, IP: m.IP, Location: m.Location, Application: m.Application})
	})
	if err != nil {
		return nil, fmt.Errorf("enroll authenticator: %w", err)
	}
	if answer != nil {
		return nil, answer
	}
	return out, nil
}

// PushItem is a pending request as the device shows it.
type PushItem struct {
	ID        string
	Purpose   string
	Number    int // digits the user must type: 3, or 6 when risky
	Nonce     []byte
	Context   push.Context
	ExpiresAt time.Time
}

// PendingPush returns the pending requests of the device with token.
func (s *Service) PendingPush(ctx context.Context, token string) ([]PushItem, error) {
	q := s.read()
	dev, err := s.push.Device(ctx, q, token)
	if err != nil {
		return nil, err
	}
	reqs, err := s.push.Pending(ctx, q, dev, s.clock.Now())
	if err != nil {
		return nil, err
	}
	out := make([]PushItem, 0, len(reqs))
	for i := range reqs {
		r := &reqs[i]
		out = append(out, PushItem{ID: r.PublicID, Purpose: r.Purpose, Number: len(r.Number), Nonce: r.Nonce,
			Context: push.ContextOf(r), ExpiresAt: r.ExpiresAt})
	}
	return out, nil
}

// DecidePush applies a decision signed by the device with token (SPEC
// §6.3–6.5) and returns the request's new status. An approved login lets
// its flow open the session; a denial, a wrong number or a report ends it;
// a report also mutes push, e-mails the user and is audited. An approved
// disable turns 2-step verification off.
func (s *Service) DecidePush(ctx context.Context, token string, d push.Decision, m Meta) (string, error) {
	now := s.clock.Now()
	var status string
	var answer error
	err := s.inTx(ctx, func(q Store) error {
		dev, err := s.push.Device(ctx, q, token)
		if err != nil {
			return err
		}
		out, err := s.push.Decide(ctx, q, dev, d, now)
		if err != nil {
			return err
		}
		status = out.Status
		r := out.Request
		a, err := q.AccountByID(ctx, r.AccountID)
		if err != nil {
			return err
		}
		// Other processes' waiting pages hear of it once this commits.
		if err := q.NotifyPush(ctx, r.AccountID); err != nil {
			return err
		}
		rm := Meta{IP: r.IP, UserAgent: r.UserAgent, Application: r.Application, Location: r.Location}
		name, outcome, detail := varco.EventPushDenied, varco.OutcomeFailure, r.Purpose
		switch out.Status {
		case push.StatusApproved:
			name, outcome = varco.EventPushApproved, varco.OutcomeSuccess
		case push.StatusReported:
			name = varco.EventPushReported
		case push.StatusExpired:
			name = varco.EventPushExpired
			answer = varco.E(varco.EPushAnswered, "error.push_expired")
		}
		if out.WrongNumber {
			detail += " wrong number"
		}
		if err := q.AppendEvent(ctx, s.event(a, name, outcome, rm, detail)); err != nil {
			return err
		}
		if out.Status == push.StatusReported {
			if err := s.mailer.Enqueue(ctx, q, a, varco.EventPushReported, notify.Data{Time: r.CreatedAt, IP: r.IP,
				Location: r.Location, Application: r.Application, Device: r.UserAgent}); err != nil {
				return err
			}
		}
		if r.Purpose == push.PurposeDisable {
			if out.Status == push.StatusApproved {
				return s.turnOff(ctx, q, a, m, now, "approved on the device")
			}
			return nil
		}
		f, err := q.LoginFlowByID(ctx, r.FlowID)
		if err != nil {
			return err
		}
		if f.State != varco.StatePushRequired {
			return nil
		}
		switch out.Status {
		case push.StatusApproved:
			f.State = varco.StatePushApproved
		case push.StatusExpired:
			f.State = varco.StateExpired
		default:
			f.State = varco.StatePushDenied
		}
		return q.UpdateLoginFlow(ctx, f)
	})
	if err != nil {
		return "", fmt.Errorf("push decision: %w", err)
	}
	s.decided.Broadcast()
	if answer != nil {
		return "", answer
	}
	return status, nil
}

// turnOff removes the account's device: 2-step verification is off, and
// the user is told (SPEC §6.5).
func (s *Service) turnOff(ctx context.Context, q Store, a *varco.Account, m Meta, now time.Time, why string) error {
	removed, err := q.DeletePushDevice(ctx, a.ID)
	if err != nil || !removed {
		return err
	}
	if err := q.AppendEvent(ctx, s.event(a, varco.EventDeviceRemoved, varco.OutcomeSuccess, m, why)); err != nil {
		return err
	}
	if err := q.AppendEvent(ctx, s.event(a, varco.EventTwoFactorDisabled, varco.OutcomeSuccess, m, why)); err != nil {
		return err
	}
	// Turning 2-step verification off revokes every app password (SPEC §7.2).
	if n, err := q.DeleteAppPasswords(ctx, a.ID); err != nil {
		return err
	} else if n > 0 {
		detail := fmt.Sprintf("%d revoked: 2-step verification turned off", n)
		if err := q.AppendEvent(ctx, s.event(a, varco.EventAppPasswordDeleted, varco.OutcomeSuccess, m, detail)); err != nil {
			return err
		}
	}
	// Without 2-step verification the account password may work for mail
	// again, and the app passwords are gone: either way Dovecot must ask
	// anew.
	s.flushMailCache(q, a)
	m = s.located(repaired(m), a.Language())
	return s.mailer.Enqueue(ctx, q, a, varco.EventTwoFactorDisabled, notify.Data{Time: now, IP: m.IP, Location: m.Location, Application: m.Application})
}

// SignOutDevice is the authenticator's sign-out: it removes the device
// and so turns 2-step verification off (SPEC §6.5).
func (s *Service) SignOutDevice(ctx context.Context, token string, m Meta) error {
	m.Application = AppAuthenticator
	err := s.inTx(ctx, func(q Store) error {
		dev, err := s.push.Device(ctx, q, token)
		if err != nil {
			return err
		}
		a, err := q.AccountByID(ctx, dev.AccountID)
		if err != nil {
			return err
		}
		return s.turnOff(ctx, q, a, m, s.clock.Now(), "signed out of the authenticator")
	})
	if err != nil {
		return fmt.Errorf("sign out of the authenticator: %w", err)
	}
	return nil
}

// StartDisable asks the device to approve turning 2-step verification off
// (DELETE /me/two-factor): the request's id and the number to type.
func (s *Service) StartDisable(ctx context.Context, a *varco.Account, m Meta) (id, number string, err error) {
	now := s.clock.Now()
	m = s.located(repaired(m), a.Language())
	err = s.inTx(ctx, func(q Store) error {
		pc := push.Context{Application: m.Application, IP: m.IP, Location: m.Location, Browser: m.UserAgent}
		st, err := s.push.Start(ctx, q, a.ID, push.PurposeDisable, 0, pc, now)
		if err != nil {
			return err
		}
		if err := s.recordExpired(ctx, q, a, st.Expired); err != nil {
			return err
		}
		if err := s.notifyDevice(ctx, q, st); err != nil {
			return err
		}
		id, number = st.Request.PublicID, st.Request.Number
		return q.AppendEvent(ctx, s.event(a, varco.EventPushSent, varco.OutcomeSuccess, m, push.PurposeDisable))
	})
	if err != nil {
		return "", "", fmt.Errorf("disable 2-step verification: %w", err)
	}
	return id, number, nil
}

// PushDecided returns a channel closed at the next push decision taken in
// this process or, on PostgreSQL, heard from another one (WakePush): a
// waiting page re-reads its flow then (PushWait).
func (s *Service) PushDecided() <-chan struct{} { return s.decided.Wait() }

// WakePush wakes every page waiting for a push decision, as a decision
// taken in this process does. The PostgreSQL listener calls it when
// another process notifies a decision (store.Q.NotifyPush).
func (s *Service) WakePush() { s.decided.Broadcast() }

// PushWaiting is a sign-in waiting for the device, as its page shows it.
type PushWaiting struct {
	// State is push_required while the request is pending, then
	// push_approved, push_denied or expired.
	State       string
	Number      string // the number to type on the device
	Application string
	Time        time.Time // when the request was made
	ExpiresAt   time.Time
}

// PushWait reads the state of a sign-in waiting for a push without
// changing anything: only the flow's poll (Flow) opens the session or
// records an expiry. flow_not_found for a flow that is not or no longer
// waiting for a push.
func (s *Service) PushWait(ctx context.Context, flowID string) (*PushWaiting, error) {
	if !validFlowID(flowID) {
		return nil, flowNotFound()
	}
	q := s.db.Reader()
	f, err := q.LoginFlowByHash(ctx, varco.HashToken(flowID))
	if varco.IsCode(err, varco.ENotFound) {
		return nil, flowNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("push wait: %w", err)
	}
	switch f.State {
	case varco.StatePushRequired, varco.StatePushApproved, varco.StatePushDenied, varco.StateExpired:
	default:
		return nil, flowNotFound()
	}
	req, err := q.PushRequestByFlow(ctx, f.ID)
	if varco.IsCode(err, varco.ENotFound) {
		return nil, flowNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("push wait: %w", err)
	}
	w := &PushWaiting{State: f.State, Number: req.Number, Application: req.Application, Time: req.CreatedAt, ExpiresAt: req.ExpiresAt}
	now := s.clock.Now()
	if f.State == varco.StatePushRequired && (!now.Before(req.ExpiresAt) || !now.Before(f.ExpiresAt)) {
		w.State = varco.StateExpired
	}
	return w, nil
}

// notifyDevice queues, in the request's transaction, the Web Push message
// that reaches the authenticator app while it is closed (SPEC §6.6), when
// its device has a subscription. An open app hears of the request from
// the server directly.
func (s *Service) notifyDevice(ctx context.Context, q Store, st *push.Started) error {
	if s.cfg.PushKey == "" {
		return nil
	}
	has, err := q.HasPushSubscription(ctx, st.Device.ID)
	if err != nil || !has {
		return err
	}
	return s.mailer.QueuePushRequest(ctx, q, st.Device.PublicID, st.Request)
}

// PushKey returns the server's VAPID public key, which the authenticator
// subscribes to Web Push with: not_found when Web Push is off.
func (s *Service) PushKey() (string, error) {
	if s.cfg.PushKey == "" {
		return "", varco.E(varco.ENotFound, "error.web_push_off")
	}
	return s.cfg.PushKey, nil
}

// SubscribePush makes sub the push subscription of the device with token,
// replacing any other (SPEC §6.6). sub was checked by push.ParseSubscription.
func (s *Service) SubscribePush(ctx context.Context, token string, sub webpush.Subscription) error {
	if s.cfg.PushKey == "" {
		return varco.E(varco.ENotFound, "error.web_push_off")
	}
	err := s.inTx(ctx, func(q Store) error {
		dev, err := s.push.Device(ctx, q, token)
		if err != nil {
			return err
		}
		return s.push.Subscribe(ctx, q, dev, sub, s.cfg.PushKey, s.clock.Now())
	})
	if err != nil {
		return fmt.Errorf("push subscription: %w", err)
	}
	return nil
}

// UnsubscribePush removes the push subscription of the device with
// token; removing none is no error.
func (s *Service) UnsubscribePush(ctx context.Context, token string) error {
	err := s.inTx(ctx, func(q Store) error {
		dev, err := s.push.Device(ctx, q, token)
		if err != nil {
			return err
		}
		return s.push.Unsubscribe(ctx, q, dev)
	})
	if err != nil {
		return fmt.Errorf("push subscription: %w", err)
	}
	return nil
}
