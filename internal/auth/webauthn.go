package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/push"
	"varco.dev/varco/internal/store"
)

// The authenticator web app enrolls in two steps (SPEC §6.1, §6.7): its
// sign-in (e-mail and password, a login to the application authenticator
// with the same rules as the command-line authenticator's) starts a
// WebAuthn registration; the browser's answer to it finishes the
// enrollment. Between the two the server keeps only the registration's
// challenge and user handle, under a token the app holds.

// webAuthnEnrollmentTTL is how long the registration ceremony may take.
const webAuthnEnrollmentTTL = 5 * time.Minute

// WebAuthnStart is a started web app enrollment.
type WebAuthnStart struct {
	Token     string          // finishes the enrollment, once
	Options   json.RawMessage // for navigator.credentials.create
	ExpiresAt time.Time
	// Approval, when the account's device was asked to approve its
	// replacement: the id the app polls (PollEnrollment) until approved,
	// the number to type on the old device and the request's expiry.
	Approval *Enrolled
}

// WebAuthnBegin is the web app's sign-in that starts an enrollment. An
// account that has a device replaces it with one of its recovery codes or
// with an approval on the old device (ApproveOnOldDevice), not both.
type WebAuthnBegin struct {
	Email              string
	Password           string
	RecoveryCode       string
	ApproveOnOldDevice bool
}

// BeginWebAuthnEnrollment signs in to the application authenticator with
// an e-mail and password and starts the registration of the app's
// platform credential. An account that has a device needs one of its
// recovery codes to replace it, spent when the enrollment finishes, or an
// approval on the old device: with ApproveOnOldDevice the old device gets
// a request of purpose replace_device, as for the command-line
// authenticator, and the answer has the Approval to wait for; without
// either, recovery_code_required. Risky sign-ins are refused with
// step_up_required, as for the command-line authenticator.
func (s *Service) BeginWebAuthnEnrollment(ctx context.Context, b WebAuthnBegin, m Meta) (*WebAuthnStart, error) {
	if b.RecoveryCode != "" && b.ApproveOnOldDevice {
		return nil, varco.E(varco.EInvalid, "error.replace_one_way")
	}
	start := time.Now()
	m.Application = AppAuthenticator
	out, err := s.beginWebAuthn(ctx, b, m)
	if varco.IsCode(err, varco.EInvalidCredentials) {
		s.pad.wait(ctx, time.Since(start))
	}
	return out, err
}

func (s *Service) beginWebAuthn(ctx context.Context, b WebAuthnBegin, m Meta) (*WebAuthnStart, error) {
	a, m, err := s.enrollSignIn(ctx, b.Email, b.Password, m)
	if err != nil {
		return nil, err
	}
	var rhash []byte
	if b.RecoveryCode != "" {
		if rhash, err = push.RecoveryHash(b.RecoveryCode); err != nil {
			return nil, err
		}
	}
	reg, err := s.push.BeginRegistration(a.Email)
	if err != nil {
		return nil, err
	}
	tok, hash, err := varco.NewToken()
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := &WebAuthnStart{Token: tok, Options: reg.Options, ExpiresAt: now.Add(webAuthnEnrollmentTTL)}
	var answer error
	err = s.inTx(ctx, func(q Store) error {
		// One replacement request at a time for the account, as for the
		// command-line authenticator.
		if err := q.LockAccountRow(ctx, a.ID); err != nil {
			return err
		}
		e := &store.WebAuthnEnrollment{TokenHash: hash, AccountID: a.ID, UserHandle: reg.UserHandle,
			Challenge: reg.Challenge, RecoveryHash: rhash, ExpiresAt: out.ExpiresAt}
		_, err := q.PushDevice(ctx, a.ID)
		switch {
		case err == nil && b.ApproveOnOldDevice:
			pe := &store.PushEnrollment{Kind: push.KindWebAuthn}
			if out.Approval, err = s.askOldDevice(ctx, q, a, pe, m, now); err != nil {
				return err
			}
			e.PushEnrollmentID = pe.ID
		case err == nil && rhash == nil:
			answer = varco.E(varco.ERecoveryCodeRequired, "error.recovery_code_required")
			return nil
		case err != nil && !varco.IsCode(err, varco.ENotFound):
			return err
		}
		return q.InsertWebAuthnEnrollment(ctx, e, now)
	})
	if err != nil {
		return nil, fmt.Errorf("begin authenticator enrollment: %w", err)
	}
	if answer != nil {
		return nil, answer
	}
	if out.Approval != nil {
		s.decided.BroadcastTo(a.ID) // the old device's event stream
	}
	return out, nil
}

// FinishWebAuthnEnrollment checks the browser's answer to the enrollment
// of token and registers its credential as the account's only device: 2-step
// verification turns on (SPEC §6.1). Each enrollment is finished once,
// whether its answer holds or not: invalid_or_expired_token for an unknown,
// used or expired token. An account that has a device needs what the
// enrollment began with: the recovery code, which is spent now, or the old
// device's approval of this enrollment's own request, taken now, once
// (forbidden when it is not there: pending, denied, reported, expired or
// approved by a device no longer the account's). So an account that got
// a device since the enrollment began (another enrollment, say) needs one
// of them too, and two enrollments racing each other leave one device.
func (s *Service) FinishWebAuthnEnrollment(ctx context.Context, token string, response []byte, m Meta) (*Enrolled, error) {
	if token == "" || len(token) > 64 {
		return nil, varco.E(varco.EInvalidOrExpiredToken, "error.enrollment_expired")
	}
	m.Application = AppAuthenticator
	m = repaired(m)
	now := s.clock.Now()
	var out *Enrolled
	var answer error
	var accountID int64
	err := s.inTx(ctx, func(q Store) error {
		e, err := q.TakeWebAuthnEnrollment(ctx, varco.HashToken(token), now)
		if varco.IsCode(err, varco.ENotFound) {
			answer = varco.E(varco.EInvalidOrExpiredToken, "error.enrollment_expired")
			return nil
		}
		if err != nil {
			return err
		}
		// One enrollment of the account at a time: another one finishing
		// now waits here and then finds this one's device.
		if err := q.LockAccountRow(ctx, e.AccountID); err != nil {
			return err
		}
		a, err := q.AccountByID(ctx, e.AccountID)
		if err != nil {
			return err
		}
		accountID = a.ID
		dev, err := s.push.FinishRegistration(e.UserHandle, e.Challenge, response)
		if err != nil {
			// The enrollment is spent: the app starts again.
			answer = err
			return nil
		}
		old, err := q.PushDevice(ctx, a.ID)
		if err != nil && !varco.IsCode(err, varco.ENotFound) {
			return err
		}
		why := ""
		switch {
		case old == nil:
		case e.PushEnrollmentID != 0:
			ok, err := s.takeApproval(ctx, q, a, e.PushEnrollmentID, now)
			if err != nil {
				return err
			}
			if !ok {
				answer = varco.E(varco.EForbidden, "error.replace_not_approved")
				return nil
			}
			why = replacedByApproval
		case len(e.RecoveryHash) == 0:
			answer = varco.E(varco.ERecoveryCodeRequired, "error.recovery_code_required")
			return nil
		default:
			if err := s.push.UseRecoveryHash(ctx, q, a.ID, e.RecoveryHash, now); err != nil {
				answer = err
				return q.AppendEvent(ctx, s.event(a, varco.EventLoginFailed, varco.OutcomeFailure, m, "wrong recovery code"))
			}
			why = "replaced with a recovery code"
		}
		m = s.located(m, a.Language())
		en, err := s.push.EnrollDevice(ctx, q, a.ID, dev, now)
		if err != nil {
			return err
		}
		out, err = s.recordDevice(ctx, q, a, en, m, now, why)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("finish authenticator enrollment: %w", err)
	}
	if answer != nil {
		return nil, answer
	}
	s.decided.BroadcastTo(accountID) // a replaced device's event stream ends
	return out, nil
}

// takeApproval takes, once, the old device's approval of the web app's
// replacement with id: true when the replacement is the account's, of
// the web app, approved by the account's device and not yet taken or
// expired (replacement); anything else lets nothing through.
func (s *Service) takeApproval(ctx context.Context, q Store, a *varco.Account, id int64, now time.Time) (bool, error) {
	pe, err := q.PushEnrollmentByID(ctx, id)
	if varco.IsCode(err, varco.ENotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if pe.AccountID != a.ID || pe.Kind != push.KindWebAuthn || !pe.DoneAt.IsZero() {
		return false, nil
	}
	state, _, err := s.replacement(ctx, q, a, pe, now)
	if err != nil || state != EnrollApproved {
		return false, err
	}
	return q.FinishPushEnrollment(ctx, pe.ID, now)
}

// PushRequestState is the state of one of the device's requests as its
// event stream reports it once the request leaves the pending list:
// approved, denied, reported, cancelled (withdrawn by its requester:
// CancelEnrollment) or expired (a pending request past its
// expiry). A request approved and then collected (stored as used, so that
// its outcome is given once: new recovery codes) is approved: that is
// what the device decided, and the collection is the server's business.
// push_request_not_found for a request of another device.
func (s *Service) PushRequestState(ctx context.Context, token, id string) (string, error) {
	q := s.read()
	dev, err := s.push.Device(ctx, q, token)
	if err != nil {
		return "", err
	}
	r, err := q.PushRequestByPublicID(ctx, id)
	if varco.IsCode(err, varco.ENotFound) || (err == nil && r.DeviceID != dev.ID) {
		return "", varco.E(varco.EPushNotFound, "error.push_not_found")
	}
	if err != nil {
		return "", err
	}
	switch r.Status {
	case push.StatusPending:
		return push.StatusExpired, nil
	case push.StatusUsed:
		return push.StatusApproved, nil
	}
	return r.Status, nil
}

// Now is the service's clock: what the device's event stream compares
// request expiries with.
func (s *Service) Now() time.Time { return s.clock.Now() }

// DevicePending returns the account of the device with token and its
// pending requests; unauthorized when the token names no device.
func (s *Service) DevicePending(ctx context.Context, token string) (int64, []PushItem, error) {
	dev, err := s.push.Device(ctx, s.read(), token)
	if err != nil {
		return 0, nil, err
	}
	items, err := s.PendingPush(ctx, token)
	if err != nil {
		return 0, nil, err
	}
	return dev.AccountID, items, nil
}
