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

// appName is application id's display name in the account's language,
// as e-mails and the device show it (SPEC §6.2).
func (s *Service) appName(id string, a *varco.Account) string {
	return s.cfg.Applications.Name(id, a.Language())
}

// twoFactorOn reports whether the account has an authenticator device.
func (s *Service) twoFactorOn(ctx context.Context, accountID int64) (bool, error) {
	_, err := s.read().PushDevice(ctx, accountID)
	if varco.IsCode(err, varco.ENotFound) {
		return false, nil
	}
	return err == nil, err
}

// HasDevice reports whether the account has an authenticator device: for
// a device's event stream whose token is gone, whether another device
// replaced it.
func (s *Service) HasDevice(ctx context.Context, accountID int64) (bool, error) {
	return s.twoFactorOn(ctx, accountID)
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
		st, err := s.sendPush(ctx, q, a, m, push.PurposeLogin, f.ID, pc, push.PurposeLogin+" "+r.Reason, now)
		if err != nil {
			return err
		}
		res.Flow, res.Number = id, st.Request.Number
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("start push: %w", err)
	}
	s.decided.BroadcastTo(a.ID)
	return res, nil
}

// sendPush starts, in q, a push request of purpose to a's device (ref: the
// login flow or enrollment it belongs to, 0 for none) and records it as
// push_sent with detail: the requests found expired meanwhile are recorded
// push_expired, the device gets its Web Push, and its open event stream,
// here or in another process, hears of the new request once q commits.
// The caller wakes the account's waiting streams after the commit
// (s.decided.BroadcastTo).
func (s *Service) sendPush(ctx context.Context, q Store, a *varco.Account, m Meta, purpose string, ref int64, pc push.Context,
	detail string, now time.Time) (*push.Started, error) {
	st, err := s.push.Start(ctx, q, a.ID, purpose, ref, pc, now)
	if err != nil {
		return nil, err
	}
	if err := s.recordExpired(ctx, q, a, st.Expired); err != nil {
		return nil, err
	}
	if err := s.notifyDevice(ctx, q, st); err != nil {
		return nil, err
	}
	if err := q.NotifyPush(ctx, a.ID); err != nil {
		return nil, err
	}
	if err := q.AppendEvent(ctx, s.event(a, varco.EventPushSent, varco.OutcomeSuccess, m, detail)); err != nil {
		return nil, err
	}
	return st, nil
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
				// Only a request still pending expires: a decision that
				// got in first stands, and is what the poll answers.
				ok, err := q.AnswerPushRequest(ctx, req.ID, push.StatusExpired, req.ExpiresAt)
				if err != nil {
					return err
				}
				if ok {
					req.Status = push.StatusExpired
					if err := s.recordExpired(ctx, q, a, []store.PushRequest{*req}); err != nil {
						return err
					}
				} else if req, err = q.PushRequestByFlow(ctx, f.ID); err != nil {
					return err
				}
			}
			if state := flowStateOf(req.Status); state != f.State {
				f.State = state
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

// Enrolled is a device just registered, with what is shown once; or,
// when the account has a device and no recovery code was given, a
// replacement waiting for the old device's approval (Pending).
type Enrolled struct {
	DeviceID      string
	Token         string
	RecoveryCodes []string

	// Pending: the old device was asked (a push request of purpose
	// replace_device); the new one polls PollEnrollment with Enrollment
	// and the user types Number on the old device before ExpiresAt.
	Pending    bool
	Enrollment string
	Number     string
	ExpiresAt  time.Time
}

// States of a device replacement (GET /authenticator/enroll/{id}).
const (
	EnrollApprovalRequired = "approval_required"
	// EnrollApproved: the old device approved the web app's replacement,
	// which the app finishes with its credential.
	EnrollApproved = "approved"
	EnrollEnrolled = "enrolled"
	// EnrollCancelled: the new device withdrew the replacement
	// (CancelEnrollment).
	EnrollCancelled = "cancelled"
)

// replacedByApproval is the device_removed detail of a replacement
// approved on the old device.
const replacedByApproval = "replaced with an approval on the old device"

// EnrollAuthenticator signs in to the application authenticator with an
// e-mail and password (the same throttling, status and risk rules as any
// sign-in) and registers pub as the account's device: 2-step verification
// turns on (SPEC §6.1). An account that has a device replaces it with one
// of its recovery codes or, without one, with an approval on the old
// device: the answer is then Pending, and the old device gets a request
// to approve with the number. A risky sign-in is refused with
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

// enrollSignIn is the sign-in of an enrollment to the application
// authenticator: the password with the sign-in's throttling and status
// rules, then the risk rules; a risky sign-in is refused with
// step_up_required. It returns the account and m with its place.
func (s *Service) enrollSignIn(ctx context.Context, email, pw string, m Meta) (*varco.Account, Meta, error) {
	if len(pw) > MaxPasswordBytes || len(email) > varco.MaxEmailLen {
		return nil, m, varco.E(varco.EInvalid, "error.credentials_long")
	}
	m = repaired(m)
	email = varco.NormalizeEmail(email)
	if email == "" || pw == "" {
		return nil, m, varco.E(varco.EInvalid, "error.credentials_required")
	}
	now := s.clock.Now()
	acctKey, ipKey := "login:acct:"+email, "login:ip:"+m.IP
	wait, cancel := context.WithTimeout(ctx, s.hasher.MaxWait())
	defer cancel()
	a, failures, err := s.checkPassword(wait, ctx, now, email, pw, acctKey, ipKey, m)
	if err != nil {
		return nil, m, busy(ctx, wait, err)
	}
	if err := s.passwordAccepted(ctx, a, acctKey, failures, m); err != nil {
		return nil, m, err
	}
	th := store.DefaultRiskThresholds()
	if a.OrgID != 0 {
		_, t, err := s.read().OrgForLogin(ctx, a.OrgID)
		if err != nil {
			return nil, m, err
		}
		th = t
	}
	risk, err := s.assessWith(ctx, a, m, now, th)
	if err != nil {
		return nil, m, err
	}
	m.Location = risk.Location
	if risk.StepUp {
		if err := s.record(ctx, a, varco.EventLoginFailed, varco.OutcomeFailure, m, "authenticator enrollment: "+risk.Reason); err != nil {
			return nil, m, err
		}
		return nil, m, varco.E(varco.EStepUpRequired, "error.enroll_step_up")
	}
	return a, m, nil
}

func (s *Service) enroll(ctx context.Context, email, pw string, pub []byte, recovery string, m Meta) (*Enrolled, error) {
	a, m, err := s.enrollSignIn(ctx, email, pw, m)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var out *Enrolled
	var answer error
	err = s.inTx(ctx, func(q Store) error {
		// One enrollment of the account at a time: another one racing this
		// waits here and then finds this one's device.
		if err := q.LockAccountRow(ctx, a.ID); err != nil {
			return err
		}
		old, err := q.PushDevice(ctx, a.ID)
		if err != nil && !varco.IsCode(err, varco.ENotFound) {
			return err
		}
		if old != nil {
			if recovery == "" {
				if len(pub) != 32 {
					return varco.E(varco.EInvalid, "error.push_public_key")
				}
				out, err = s.askOldDevice(ctx, q, a, &store.PushEnrollment{Kind: push.KindCLI, PublicKey: pub}, m, now)
				return err
			}
			if err := s.push.UseRecoveryCode(ctx, q, a.ID, recovery, now); err != nil {
				answer = err
				return q.AppendEvent(ctx, s.event(a, varco.EventLoginFailed, varco.OutcomeFailure, m, "wrong recovery code"))
			}
		}
		why := ""
		if old != nil {
			why = "replaced with a recovery code"
		}
		out, err = s.installDevice(ctx, q, a, pub, m, now, why)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("enroll authenticator: %w", err)
	}
	if answer != nil {
		return nil, answer
	}
	// The old device's event stream hears of the request, or of its
	// replacement.
	s.decided.BroadcastTo(a.ID)
	return out, nil
}

// installDevice registers pub as the account's device, in place of the
// old one when why says how it was replaced, and records and e-mails it.
func (s *Service) installDevice(ctx context.Context, q Store, a *varco.Account, pub []byte, m Meta, now time.Time, why string) (*Enrolled, error) {
	e, err := s.push.Enroll(ctx, q, a.ID, pub, now)
	if err != nil {
		return nil, err
	}
	return s.recordDevice(ctx, q, a, e, m, now, why)
}

// recordDevice records, in q, the sign-in that enrolled e's device (of
// any kind), the old device's removal when why says how it was replaced,
// and 2-step verification turning on, and e-mails the user.
func (s *Service) recordDevice(ctx context.Context, q Store, a *varco.Account, e *push.Enrollment, m Meta, now time.Time, why string) (*Enrolled, error) {
	out := &Enrolled{DeviceID: e.Device.PublicID, Token: e.Token, RecoveryCodes: e.RecoveryCodes}
	if err := q.AppendEvent(ctx, s.event(a, varco.EventLoginSucceeded, varco.OutcomeSuccess, m, "")); err != nil {
		return nil, err
	}
	if why != "" {
		if err := q.AppendEvent(ctx, s.event(a, varco.EventDeviceRemoved, varco.OutcomeSuccess, m, why)); err != nil {
			return nil, err
		}
		// The old device's event stream, here or in another process,
		// ends once this commits (signed_out).
		if err := q.NotifyPush(ctx, a.ID); err != nil {
			return nil, err
		}
	}
	if err := q.AppendEvent(ctx, s.event(a, varco.EventDeviceEnrolled, varco.OutcomeSuccess, m, e.Device.Kind)); err != nil {
		return nil, err
	}
	if err := q.AppendEvent(ctx, s.event(a, varco.EventTwoFactorEnabled, varco.OutcomeSuccess, m, "")); err != nil {
		return nil, err
	}
	// With 2-step verification on, the account password no longer works
	// for mail (SPEC §7.1): a login Dovecot cached with it must end.
	s.mailCredentialsChanged(q, a)
	err := s.mailer.Enqueue(ctx, q, a, varco.EventTwoFactorEnabled, notify.Data{Time: now, IP: m.IP, Location: m.Location,
		Application: s.appName(m.Application, a)})
	return out, err
}

// enrollmentTTL is how long a device replacement may be finished after
// it started: the request expires after 2 minutes, and an approved one
// must be collected by the new device within this.
const enrollmentTTL = 15 * time.Minute

// askOldDevice starts replacing the account's device with an approval on
// it (SPEC §6.1), for the command-line authenticator and the web app
// alike: e, the new device (its kind, and the key of a command-line one),
// is stored to wait, and the old device gets a request of purpose
// replace_device with the number to type, under the limits of every
// request (push_muted, push_rate_limited), by its event stream and Web
// Push. e.ID is set. The caller wakes the account's waiting streams once
// q commits (s.decided.BroadcastTo).
func (s *Service) askOldDevice(ctx context.Context, q Store, a *varco.Account, e *store.PushEnrollment, m Meta, now time.Time) (*Enrolled, error) {
	id, hash, err := varco.NewToken()
	if err != nil {
		return nil, err
	}
	e.IDHash, e.AccountID, e.CreatedAt, e.ExpiresAt = hash, a.ID, now, now.Add(enrollmentTTL)
	if err := q.InsertPushEnrollment(ctx, e); err != nil {
		return nil, err
	}
	pc := push.Context{Application: m.Application, IP: m.IP, Location: m.Location, Browser: m.UserAgent}
	st, err := s.sendPush(ctx, q, a, m, push.PurposeReplaceDevice, e.ID, pc, push.PurposeReplaceDevice, now)
	if err != nil {
		return nil, err
	}
	return &Enrolled{Pending: true, Enrollment: id, Number: st.Request.Number, ExpiresAt: st.Request.ExpiresAt}, nil
}

// replacementByID reads, in q, the replacement whose enrollment id is id
// (the poll's and the withdrawal's only key): the enrollment, and where it
// stands — enrolled once its device was installed (the account is then
// not read), otherwise its account and what replacement says. An
// unknown id gives a nil enrollment and no error.
func (s *Service) replacementByID(ctx context.Context, q Store, id string, now time.Time) (e *store.PushEnrollment, a *varco.Account, state string, req *store.PushRequest, err error) {
	e, err = q.PushEnrollmentByHash(ctx, varco.HashToken(id))
	if varco.IsCode(err, varco.ENotFound) {
		return nil, nil, "", nil, nil
	}
	if err != nil {
		return nil, nil, "", nil, err
	}
	if !e.DoneAt.IsZero() {
		return e, nil, EnrollEnrolled, nil, nil
	}
	if a, err = q.AccountByID(ctx, e.AccountID); err != nil {
		return nil, nil, "", nil, err
	}
	state, req, err = s.replacement(ctx, q, a, e, now)
	return e, a, state, req, err
}

// replacement reads, in q, where the replacement e stands: approval_required
// while its request is pending within its life (the request is returned),
// approved once the old device approved it and e can still be collected,
// push_denied when the old device denied or reported it, cancelled when
// the new device withdrew it (CancelEnrollment), and expired
// otherwise: the request went unanswered, the approval was not collected
// before e expired, or the device that approved is no longer the
// account's. The new device — either kind — takes an approved replacement
// once (q.FinishPushEnrollment).
func (s *Service) replacement(ctx context.Context, q Store, a *varco.Account, e *store.PushEnrollment, now time.Time) (string, *store.PushRequest, error) {
	req, err := q.PushRequestFor(ctx, push.PurposeReplaceDevice, e.ID)
	if err != nil {
		return "", nil, err
	}
	switch req.Status {
	case push.StatusPending:
		pending, err := s.stillPending(ctx, q, a, req, now)
		if pending {
			return EnrollApprovalRequired, req, err
		}
		return varco.StateExpired, req, err
	case push.StatusApproved:
		if !now.Before(e.ExpiresAt) {
			return varco.StateExpired, req, nil
		}
		ok, err := s.approvedByItsDevice(ctx, q, a, req)
		if !ok || err != nil {
			return varco.StateExpired, req, err
		}
		return EnrollApproved, req, nil
	case push.StatusDenied, push.StatusReported:
		return varco.StatePushDenied, req, nil
	case push.StatusCancelled:
		return EnrollCancelled, req, nil
	}
	return varco.StateExpired, req, nil
}

// EnrollmentStatus is where a device replacement stands.
type EnrollmentStatus struct {
	// State is approval_required while the old device has not answered,
	// then enrolled, push_denied or expired.
	State     string
	ExpiresAt time.Time // of the request, while approval_required
	// Enrolled is the new device's token and recovery codes, given once:
	// to the poll that installed it.
	Enrolled *Enrolled
}

// PollEnrollment is the new device's poll of a replacement waiting for
// the old device (GET /authenticator/enroll/{id}). Once the old device
// approved (a signed decision with the right number, as for a sign-in),
// the first poll installs the new device in its place — device_removed,
// device_enrolled and the e-mail, as any enrollment — and answers its
// token and recovery codes (the web app's poll answers approved instead,
// and the app finishes with its credential: FinishWebAuthnEnrollment); a
// denial or a report is push_denied; a
// request unanswered after 2 minutes, an approved one not collected in
// time, or an old device that is no longer the account's is expired. An
// unknown id is expired too.
func (s *Service) PollEnrollment(ctx context.Context, id string, m Meta) (*EnrollmentStatus, error) {
	if !validFlowID(id) {
		return &EnrollmentStatus{State: varco.StateExpired}, nil
	}
	now := s.clock.Now()
	m.Application = AppAuthenticator
	m = repaired(m)
	var st *EnrollmentStatus
	var accountID int64 // of a device just replaced
	err := s.inTx(ctx, func(q Store) error {
		e, a, state, req, err := s.replacementByID(ctx, q, id, now)
		if err != nil {
			return err
		}
		if e == nil {
			st = &EnrollmentStatus{State: varco.StateExpired}
			return nil
		}
		st = &EnrollmentStatus{State: state}
		switch state {
		case EnrollApprovalRequired:
			st.ExpiresAt = req.ExpiresAt
		case EnrollApproved:
			if e.Kind != push.KindCLI {
				// The web app registers its credential now and finishes
				// with FinishWebAuthnEnrollment, which takes the approval.
				return nil
			}
			done, err := q.FinishPushEnrollment(ctx, e.ID, now)
			if err != nil {
				return err
			}
			if !done {
				st = &EnrollmentStatus{State: varco.StateExpired}
				return nil
			}
			m = s.located(m, a.Language())
			out, err := s.installDevice(ctx, q, a, e.PublicKey, m, now, replacedByApproval)
			if err != nil {
				return err
			}
			st = &EnrollmentStatus{State: EnrollEnrolled, Enrolled: out}
			accountID = a.ID
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("poll enrollment: %w", err)
	}
	if accountID != 0 {
		s.decided.BroadcastTo(accountID) // the old device's event stream ends
	}
	return st, nil
}

// CancelEnrollment is the new device's withdrawal of the replacement id
// (DELETE /authenticator/enroll/{id}): the id is its only key, as for
// the poll. A request still pending, or approved by the old device and
// not yet taken, is cancelled: it leaves the old device's list (its event
// stream hears of it, "closed" with state cancelled), the poll answers
// cancelled and the web app's finish is refused, push_cancelled is
// recorded, and it sets no wait before the account's next request
// (push.Rules.Start). A replacement already over (cancelled, denied,
// reported or expired) stays as it is, and withdrawing it is no error.
// not_found for an unknown id (or one whose replacement was cleaned up);
// conflict once the new device took the old one's place.
func (s *Service) CancelEnrollment(ctx context.Context, id string) error {
	if !validFlowID(id) {
		return replacementNotFound()
	}
	now := s.clock.Now()
	var answer error
	var accountID int64 // of a request withdrawn
	err := s.inTx(ctx, func(q Store) error {
		e, a, state, req, err := s.replacementByID(ctx, q, id, now)
		if err != nil {
			return err
		}
		if e == nil {
			answer = replacementNotFound()
			return nil
		}
		if state == EnrollEnrolled {
			answer = varco.E(varco.EConflict, "error.replacement_done")
			return nil
		}
		if state != EnrollApprovalRequired && state != EnrollApproved {
			return nil // over already
		}
		ok, err := q.CancelPushRequest(ctx, req.ID, now)
		if err != nil || !ok {
			return err
		}
		accountID = a.ID
		// The old device's open event stream, here or in another process,
		// drops the request once this commits.
		if err := q.NotifyPush(ctx, a.ID); err != nil {
			return err
		}
		detail := req.Purpose
		if state == EnrollApproved {
			detail += " approved"
		}
		rm := Meta{IP: req.IP, UserAgent: req.UserAgent, Application: req.Application, Location: req.Location}
		return q.AppendEvent(ctx, s.event(a, varco.EventPushCancelled, varco.OutcomeSuccess, rm, detail))
	})
	if err != nil {
		return fmt.Errorf("cancel enrollment: %w", err)
	}
	if answer != nil {
		return answer
	}
	if accountID != 0 {
		s.decided.BroadcastTo(accountID) // the old device's event stream
	}
	return nil
}

func replacementNotFound() error { return varco.E(varco.ENotFound, "error.replacement_not_found") }

// PushItem is a pending request as the device shows it.
type PushItem struct {
	ID      string
	Purpose string
	// ApplicationName is Context.Application's display name in the
	// account's language; the device signs the id, and shows this.
	ApplicationName string
	Number          int // digits the user must type: 3, or 6 when risky
	Nonce           []byte
	Context         push.Context
	ExpiresAt       time.Time
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
	a, err := q.AccountByID(ctx, dev.AccountID)
	if err != nil {
		return nil, err
	}
	out := make([]PushItem, 0, len(reqs))
	for i := range reqs {
		r := &reqs[i]
		out = append(out, PushItem{ID: r.PublicID, Purpose: r.Purpose, ApplicationName: s.appName(r.Application, a), Number: len(r.Number), Nonce: r.Nonce,
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
	hash, err := push.TokenHash(token)
	if err != nil {
		return "", err
	}
	// The device, its account and the request in one read, and the
	// signature checked, before the transaction: what the decision relies
	// on is checked again as its answer is written (push.Rules.Apply).
	v, err := s.read().PushDecisionView(ctx, hash, d.RequestID)
	if varco.IsCode(err, varco.ENotFound) {
		return "", push.BadToken()
	}
	if err != nil {
		return "", fmt.Errorf("push decision: %w", err)
	}
	out, err := s.push.Judge(v.Device, v.Request, d, now)
	if err != nil {
		return "", fmt.Errorf("push decision: %w", err)
	}
	r, a := out.Request, v.Account
	if r.Purpose == push.PurposeLogin {
		// The flow lets its poll open the session, or ends, if it still
		// waits; other processes' waiting pages hear of it once this
		// commits.
		out.Answer.Flow, out.Answer.FlowState = r.FlowID, flowStateOf(out.Status)
	}
	out.Answer.Notify = true
	var answer error
	err = s.inTx(ctx, func(q Store) error {
		if err := s.push.Apply(ctx, q, out); err != nil {
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
				Location: r.Location, Application: s.appName(r.Application, a), Device: r.UserAgent}); err != nil {
				return err
			}
		}
		if r.Purpose == push.PurposeDisable && out.Status == push.StatusApproved {
			return s.turnOff(ctx, q, a, m, now, "approved on the device")
		}
		// replace_device and recovery_codes: the new device collects the
		// outcome (PollEnrollment), or the account its new recovery codes
		// (CollectRecoveryCodes).
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("push decision: %w", err)
	}
	s.decided.BroadcastTo(a.ID)
	if answer != nil {
		return "", answer
	}
	return out.Status, nil
}

// flowStateOf is the state a login flow waiting for a push takes when its
// request gets status: push_required while it is pending.
func flowStateOf(status string) string {
	switch status {
	case push.StatusPending:
		return varco.StatePushRequired
	case push.StatusApproved:
		return varco.StatePushApproved
	case push.StatusExpired:
		return varco.StateExpired
	default:
		return varco.StatePushDenied
	}
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
	s.mailCredentialsChanged(q, a)
	m = s.located(repaired(m), a.Language())
	return s.mailer.Enqueue(ctx, q, a, varco.EventTwoFactorDisabled, notify.Data{Time: now, IP: m.IP, Location: m.Location, Application: s.appName(m.Application, a)})
}

// SignOutDevice is the authenticator's sign-out: it removes the device
// and so turns 2-step verification off (SPEC §6.5).
func (s *Service) SignOutDevice(ctx context.Context, token string, m Meta) error {
	m.Application = AppAuthenticator
	var accountID int64
	err := s.inTx(ctx, func(q Store) error {
		dev, err := s.push.Device(ctx, q, token)
		if err != nil {
			return err
		}
		a, err := q.AccountByID(ctx, dev.AccountID)
		if err != nil {
			return err
		}
		accountID = a.ID
		if err := q.NotifyPush(ctx, a.ID); err != nil {
			return err
		}
		return s.turnOff(ctx, q, a, m, s.clock.Now(), "signed out of the authenticator")
	})
	if err != nil {
		return fmt.Errorf("sign out of the authenticator: %w", err)
	}
	s.decided.BroadcastTo(accountID) // the device's event stream ends
	return nil
}

// StartDisable asks the device to approve turning 2-step verification off
// (DELETE /me/two-factor): the request's id and the number to type.
func (s *Service) StartDisable(ctx context.Context, a *varco.Account, m Meta) (id, number string, err error) {
	id, number, err = s.startAccountPush(ctx, a, m, push.PurposeDisable)
	if err != nil {
		return "", "", fmt.Errorf("disable 2-step verification: %w", err)
	}
	return id, number, nil
}

// startAccountPush asks the device to approve an account-management
// action (purpose): the request's id and the number to type.
func (s *Service) startAccountPush(ctx context.Context, a *varco.Account, m Meta, purpose string) (id, number string, err error) {
	now := s.clock.Now()
	m = s.located(repaired(m), a.Language())
	err = s.inTx(ctx, func(q Store) error {
		pc := push.Context{Application: m.Application, IP: m.IP, Location: m.Location, Browser: m.UserAgent}
		st, err := s.sendPush(ctx, q, a, m, purpose, 0, pc, purpose, now)
		if err != nil {
			return err
		}
		id, number = st.Request.PublicID, st.Request.Number
		return nil
	})
	if err != nil {
		return "", "", err
	}
	s.decided.BroadcastTo(a.ID)
	return id, number, nil
}

// PushDecided returns a channel closed at the next push decision of the
// account taken in this process or, on PostgreSQL, heard from another one
// (WakePushFor), or at a WakePush; a waiting page re-reads its flow then
// (PushWait). The page calls release when it stops waiting.
func (s *Service) PushDecided(accountID int64) (ch <-chan struct{}, release func()) {
	return s.decided.WaitFor(accountID)
}

// OnPushDecided has fn called with the account of every push decision
// PushDecided would report, and with 0 when every page is woken
// (WakePush): the event-stream hub's wake. fn must not block.
func (s *Service) OnPushDecided(fn func(accountID int64)) { s.decided.Subscribe(fn) }

// WakePush wakes every page waiting for a push decision. The PostgreSQL
// listener calls it when it (re)connects, since a notification sent while
// it was away is lost.
func (s *Service) WakePush() { s.decided.Broadcast() }

// WakePushFor wakes the pages waiting for the account's push decisions,
// as a decision taken in this process does. The PostgreSQL listener calls
// it when another process notifies one (store.Q.NotifyPush).
func (s *Service) WakePushFor(accountID int64) { s.decided.BroadcastTo(accountID) }

// PushWaiting is a sign-in waiting for the device, as its page shows it.
type PushWaiting struct {
	// State is push_required while the request is pending, then
	// push_approved, push_denied or expired.
	State       string
	AccountID   int64  // whose decision ends the wait (PushDecided)
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
	w := &PushWaiting{State: f.State, AccountID: f.AccountID, Number: req.Number, Application: req.Application, Time: req.CreatedAt, ExpiresAt: req.ExpiresAt}
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

// stillPending reports whether pending request r is still within its
// life at now; past it, r is marked expired and recorded (unless it was
// answered meanwhile), and stillPending reports false.
func (s *Service) stillPending(ctx context.Context, q Store, a *varco.Account, r *store.PushRequest, now time.Time) (bool, error) {
	if now.Before(r.ExpiresAt) {
		return true, nil
	}
	ok, err := q.AnswerPushRequest(ctx, r.ID, push.StatusExpired, r.ExpiresAt)
	if err != nil || !ok {
		return false, err
	}
	return false, s.recordExpired(ctx, q, a, []store.PushRequest{*r})
}

// approvedByItsDevice reports whether the device that approved r is
// still the account's: an approval of a device replaced or removed since
// counts for nothing.
func (s *Service) approvedByItsDevice(ctx context.Context, q Store, a *varco.Account, r *store.PushRequest) (bool, error) {
	dev, err := q.PushDevice(ctx, a.ID)
	if varco.IsCode(err, varco.ENotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return dev.ID == r.DeviceID, nil
}
