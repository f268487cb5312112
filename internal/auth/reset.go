package auth

import (
	"context"
	"fmt"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/recovery"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/text"
)

// RequestPasswordReset e-mails a reset link to an active account (SPEC §4).
// It answers the same whether or not the account exists. A suspended,
// locked or disabled account gets an e-mail telling it to contact support
// instead: a reset never reactivates an account (§4.4). Requests are
// limited per account and per IP.
func (s *Service) RequestPasswordReset(ctx context.Context, email string, m Meta) error {
	if _, err := text.Identifier("email", email); err != nil {
		return err
	}
	m = repaired(m)
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
	a, err := s.db.Reader().AccountByEmail(ctx, email)
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
		if data.ResetURL, hash, err = recovery.NewResetLink(s.mailer.BaseURL); err != nil {
			return err
		}
		data.ResetExpiresAt = now.Add(recovery.ResetTTL)
	} else {
		data.ContactSupport = true
		detail = "account " + a.Status + ": told to contact support"
	}
	err = s.db.InTx(ctx, func(q *store.Q) error {
		if hash != nil {
			if err := q.CreatePasswordReset(ctx, a.ID, hash, now, now.Add(recovery.ResetTTL)); err != nil {
				return err
			}
		}
		if err := q.AppendEvent(ctx, s.event(a, varco.EventPasswordResetRequested, varco.OutcomeSuccess, m, detail)); err != nil {
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
	err := s.db.InTx(ctx, func(q *store.Q) error {
		for _, l := range []struct {
			key   string
			limit int
		}{{acctKey, recovery.ResetPerAccount}, {ipKey, recovery.ResetPerIP}} {
			st, err := q.ThrottleFailure(ctx, l.key, now, now.Add(-recovery.ResetWindow))
			if err != nil {
				return err
			}
			if st.Failures > l.limit {
				until := st.WindowStart.Add(recovery.ResetWindow)
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
	if token == "" || len(token) > maxTokenLen {
		return invalidToken()
	}
	id, err := s.db.Reader().PasswordResetAccount(ctx, varco.HashToken(token), s.clock.Now())
	if err != nil {
		return err
	}
	if id == 0 {
		return invalidToken()
	}
	return nil
}

// CompletePasswordReset sets a new password with a reset token: the token
// works once, within recovery.ResetTTL, and only if it is the account's newest. Every
// session is revoked and a confirmation is e-mailed (SPEC §4.3). A policy
// error leaves the token usable, so the user can try another password.
func (s *Service) CompletePasswordReset(ctx context.Context, token, next string, m Meta) error {
	if token == "" || len(token) > maxTokenLen {
		return invalidToken()
	}
	if next == "" {
		return varco.E(varco.EInvalid, "error.new_password_required")
	}
	hash := varco.HashToken(token)
	id, err := s.db.Reader().PasswordResetAccount(ctx, hash, s.clock.Now())
	if err != nil {
		return err
	}
	if id == 0 {
		return invalidToken()
	}
	a, err := s.db.Reader().AccountByID(ctx, id)
	if err != nil {
		return err
	}
	if code := statusError(a.Status); code != "" {
		// The account was suspended, locked or disabled after the link went out.
		return varco.E(code, statusKey(a.Status))
	}
	return s.setPassword(ctx, a, next, m, passwordChange{actor: varco.ActorReset, event: varco.EventPasswordResetCompleted,
		mail: varco.EventPasswordResetCompleted, before: func(q *store.Q) error {
			used, err := q.UsePasswordReset(ctx, hash, s.clock.Now())
			if err != nil {
				return err
			}
			if used != a.ID {
				return invalidToken() // spent by a concurrent request
			}
			return nil
		}})
}
