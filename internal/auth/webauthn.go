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
}

// BeginWebAuthnEnrollment signs in to the application authenticator with
// an e-mail and password and starts the registration of the app's
// platform credential. An account that has a device needs one of its
// recovery codes to replace it (recovery_code_required); the code is
// spent when the enrollment finishes. Risky sign-ins are refused with
// step_up_required, as for the command-line authenticator.
func (s *Service) BeginWebAuthnEnrollment(ctx context.Context, email, pw, recovery string, m Meta) (*WebAuthnStart, error) {
	start := time.Now()
	m.Application = AppAuthenticator
	out, err := s.beginWebAuthn(ctx, email, pw, recovery, m)
	if varco.IsCode(err, varco.EInvalidCredentials) {
		s.pad.wait(ctx, time.Since(start))
	}
	return out, err
}

func (s *Service) beginWebAuthn(ctx context.Context, email, pw, recovery string, m Meta) (*WebAuthnStart, error) {
	a, _, err := s.enrollSignIn(ctx, email, pw, m)
	if err != nil {
		return nil, err
	}
	var rhash []byte
	if recovery != "" {
		if rhash, err = push.RecoveryHash(recovery); err != nil {
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
		_, err := q.PushDevice(ctx, a.ID)
		switch {
		case err == nil && rhash == nil:
			answer = varco.E(varco.ERecoveryCodeRequired, "error.recovery_code_required")
			return nil
		case err != nil && !varco.IsCode(err, varco.ENotFound):
			return err
		}
		return q.InsertWebAuthnEnrollment(ctx, &store.WebAuthnEnrollment{TokenHash: hash, AccountID: a.ID, UserHandle: reg.UserHandle,
			Challenge: reg.Challenge, RecoveryHash: rhash, ExpiresAt: out.ExpiresAt}, now)
	})
	if err != nil {
		return nil, fmt.Errorf("begin authenticator enrollment: %w", err)
	}
	if answer != nil {
		return nil, answer
	}
	return out, nil
}

// FinishWebAuthnEnrollment checks the browser's answer to the enrollment
// of token and registers its credential as the account's only device: 2-step
// verification turns on (SPEC §6.1). Each enrollment is finished once,
// whether its answer holds or not: invalid_or_expired_token for an unknown,
// used or expired token. An account that got a device since the
// enrollment began (another enrollment, say) needs the recovery code given
// at the start, which is spent now: so two enrollments racing each other
// leave one device.
func (s *Service) FinishWebAuthnEnrollment(ctx context.Context, token string, response []byte, m Meta) (*Enrolled, error) {
	if token == "" || len(token) > 64 {
		return nil, varco.E(varco.EInvalidOrExpiredToken, "error.enrollment_expired")
	}
	m.Application = AppAuthenticator
	m = repaired(m)
	now := s.clock.Now()
	var out *Enrolled
	var answer error
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
		if old != nil {
			if len(e.RecoveryHash) == 0 {
				answer = varco.E(varco.ERecoveryCodeRequired, "error.recovery_code_required")
				return nil
			}
			if err := s.push.UseRecoveryHash(ctx, q, a.ID, e.RecoveryHash, now); err != nil {
				answer = err
				return q.AppendEvent(ctx, s.event(a, varco.EventLoginFailed, varco.OutcomeFailure, m, "wrong recovery code"))
			}
		}
		m = s.located(m, a.Language())
		en, err := s.push.EnrollDevice(ctx, q, a.ID, dev, now)
		if err != nil {
			return err
		}
		why := ""
		if old != nil {
			why = "replaced with a recovery code"
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
	return out, nil
}

// PushRequestState is the state of one of the device's requests as its
// event stream reports it once the request leaves the pending list:
// approved, denied, reported or expired (a pending request past its
// expiry). push_request_not_found for a request of another device.
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
	if r.Status == push.StatusPending {
		return push.StatusExpired, nil
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
