package recovery

import (
	"context"
	"fmt"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/text"
)

// RequestPasswordReset e-mails a reset link to an active account (SPEC §4).
// It answers the same whether or not the account exists. A suspended,
// locked or disabled account gets an e-mail telling it to contact support
// instead: a reset never reactivates an account (§4.4). Requests are
// limited per account and per IP.
func (s *Service) RequestPasswordReset(ctx context.Context, email string, m varco.Meta) error {
	if _, err := text.Identifier("email", email); err != nil {
		return err
	}
	m = text.RecordMeta(m)
	email = varco.NormalizeEmail(email)
	if email == "" || len(email) > varco.MaxEmailLen {
		return varco.E(varco.EInvalid, "error.email_required")
	}
	now := s.clock.Now()
	acctKey, ipKey := "reset:acct:"+email, "reset:ip:"+m.IP
	if err := s.checkThrottle(ctx, now, acctKey, ipKey); err != nil {
		return err
	}
	if err := s.countResetRequest(ctx, now, acctKey, ipKey); err != nil {
		return err
	}
	a, err := s.read().AccountByEmail(ctx, email)
	if varco.IsCode(err, varco.ENotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	m = s.located(m, a.Language())
	data := notify.Data{Time: now, IP: m.IP, Location: m.Location}
	detail := "reset link sent"
	var hash []byte
	if a.Status == varco.StatusActive {
		if data.ResetURL, hash, err = NewResetLink(s.mailer.BaseURL); err != nil {
			return err
		}
		data.ResetExpiresAt = now.Add(ResetTTL)
	} else {
		data.ContactSupport = true
		detail = "account " + a.Status + ": told to contact support"
	}
	err = s.inTx(ctx, func(q Store) error {
		if hash != nil {
			if err := q.CreatePasswordReset(ctx, a.ID, hash, now, now.Add(ResetTTL)); err != nil {
				return err
			}
		}
		if err := q.AppendEvent(ctx, s.accounts.Event(a, varco.EventPasswordResetRequested, varco.OutcomeSuccess, m, detail)); err != nil {
			return err
		}
		return s.mailer.Enqueue(ctx, q, a, varco.EventPasswordResetRequested, data)
	})
	if err != nil {
		return fmt.Errorf("request password reset: %w", err)
	}
	return nil
}

// countResetRequest counts one request against both limits and answers
// too_many_attempts past either, until the hour of the first is over.
func (s *Service) countResetRequest(ctx context.Context, now time.Time, acctKey, ipKey string) error {
	var wait time.Duration
	err := s.inTx(ctx, func(q Store) error {
		for _, l := range []struct {
			key   string
			limit int
		}{{acctKey, ResetPerAccount}, {ipKey, ResetPerIP}} {
			st, err := q.ThrottleFailure(ctx, l.key, now, now.Add(-ResetWindow))
			if err != nil {
				return err
			}
			if st.Failures > l.limit {
				until := st.WindowStart.Add(ResetWindow)
				if err := q.ThrottleBlock(ctx, l.key, until); err != nil {
					return err
				}
				wait = max(wait, until.Sub(now))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("count reset request: %w", err)
	}
	if wait > 0 {
		return varco.TooManyAttempts(wait)
	}
	return nil
}

func invalidToken() error {
	return varco.E(varco.EInvalidOrExpiredToken, "error.reset_link_invalid")
}

// CheckPasswordReset reports whether a reset token can still set a password
// (unused, not expired, not replaced by a newer link): nil, or the error
// CompletePasswordReset would give. The reset page asks before it shows the
// form, so a spent link says so at once.
func (s *Service) CheckPasswordReset(ctx context.Context, token string) error {
	if token == "" || len(token) > varco.MaxTokenLen {
		return invalidToken()
	}
	id, err := s.read().PasswordResetAccount(ctx, varco.HashToken(token), s.clock.Now())
	if err != nil {
		return err
	}
	if id == 0 {
		return invalidToken()
	}
	return nil
}

// CompletePasswordReset sets a new password with a reset token: the token
// works once, within ResetTTL, and only if it is the account's newest. Every
// session is revoked and a confirmation is e-mailed (SPEC §4.3). A policy
// error leaves the token usable, so the user can try another password.
// The account's status and the password rules are the sign-in's
// (Accounts.ResetPassword).
func (s *Service) CompletePasswordReset(ctx context.Context, token, next string, m varco.Meta) error {
	if token == "" || len(token) > varco.MaxTokenLen {
		return invalidToken()
	}
	if next == "" {
		return varco.E(varco.EInvalid, "error.new_password_required")
	}
	hash := varco.HashToken(token)
	id, err := s.read().PasswordResetAccount(ctx, hash, s.clock.Now())
	if err != nil {
		return err
	}
	if id == 0 {
		return invalidToken()
	}
	a, err := s.read().AccountByID(ctx, id)
	if err != nil {
		return err
	}
	return s.accounts.ResetPassword(ctx, a, next, m, func(q *store.Q) error { return s.spendReset(ctx, q, hash, a.ID) })
}

// spendReset spends the reset token hash of account id in the
// transaction that sets the password.
func (s *Service) spendReset(ctx context.Context, q Store, hash []byte, id int64) error {
	used, err := q.UsePasswordReset(ctx, hash, s.clock.Now())
	if err != nil {
		return err
	}
	if used != id {
		return invalidToken() // spent by a concurrent request
	}
	return nil
}

// checkThrottle refuses with too_many_attempts while any of keys is blocked.
func (s *Service) checkThrottle(ctx context.Context, now time.Time, keys ...string) error {
	states, err := s.read().ThrottleStates(ctx, keys...)
	if err != nil {
		return err
	}
	var wait time.Duration
	for _, st := range states {
		wait = max(wait, st.BlockedUntil.Sub(now))
	}
	if wait > 0 {
		return varco.TooManyAttempts(wait)
	}
	return nil
}
