package auth

import (
	"context"
	"fmt"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/store"
)

// ChangePassword sets a new password for the signed-in account after
// checking the current one and the policy. Other sessions are revoked, the
// change is audited (never the password or its hash, SPEC §2.8) and a
// confirmation e-mail is queued, all in one transaction. A restricted
// session becomes a full one.
func (s *Service) ChangePassword(ctx context.Context, a *varco.Account, sess *varco.Session, current, next string, m Meta) error {
	if len(current) > MaxPasswordBytes {
		return varco.E(varco.EInvalid, "error.current_password_long")
	}
	now := s.clock.Now()
	key := "login:acct:" + a.Email
	if err := s.checkThrottle(ctx, now, key); err != nil {
		return err
	}
	ok, err := s.hasher.Verify(ctx, current, a.PasswordHash)
	if err != nil && varco.IsCode(err, varco.EOverloaded) {
		return err
	}
	if !ok {
		// A wrong current password counts like a failed login.
		if err := s.failLogin(ctx, now, a, key, "login:ip:"+m.IP, m, "wrong current password on password change"); err != nil && !varco.IsCode(err, varco.EInvalidCredentials) {
			return err
		}
		return varco.E(varco.EInvalidCredentials, "error.current_password_wrong")
	}
	return s.setPassword(ctx, a, next, m, passwordChange{actor: varco.ActorSelf, keep: sess, mail: varco.EventPasswordChanged})
}

// ResetPassword sets next as a's password from a reset link (SPEC §4.3,
// recovery.Accounts): a suspended, locked or disabled account is refused
// with its status error (a reset never reactivates an account, §4.4);
// otherwise as any change, by the policy and history, with every session
// revoked and the reset recorded and confirmed by e-mail, in one
// transaction in which spend (spending the link) runs first.
func (s *Service) ResetPassword(ctx context.Context, a *varco.Account, next string, m Meta, spend func(q *store.Q) error) error {
	if code := statusError(a.Status); code != "" {
		// The account was suspended, locked or disabled after the link went out.
		return varco.E(code, statusKey(a.Status))
	}
	return s.setPassword(ctx, a, next, m, passwordChange{actor: varco.ActorReset, event: varco.EventPasswordResetCompleted,
		mail: varco.EventPasswordResetCompleted, spend: spend})
}

// passwordChange says who changes a password and what goes with it.
type passwordChange struct {
	actor string
	keep  *varco.Session // the session that stays signed in; nil revokes all
	// spend runs first in the transaction: a reset spends its link there,
	// through recovery's own store interface, so it takes the transaction
	// itself (recovery.Accounts).
	spend func(q *store.Q) error
	// before runs next (a login flow checks and moves its state there).
	before func(q Store) error
	event  string // an extra activity event, e.g. password_reset_completed
	mail   string // the e-mail event to send
	// after runs last in the transaction (a login flow opens its session).
	after func(q Store) error
}

// setPassword checks next against the policy and the history, stores it and
// records who changed it.
func (s *Service) setPassword(ctx context.Context, a *varco.Account, next string, m Meta, c passwordChange) error {
	keep, actor := c.keep, c.actor
	m = s.located(m, a.Language())
	pol := s.policy
	if a.OrgID != 0 {
		// The organization decides how many old passwords may not return.
		org, err := s.read().OrgByID(ctx, a.OrgID)
		if err != nil {
			return err
		}
		pol.HistoryDepth = org.Policy.HistoryDepth
	}
	if err := pol.Check(next, a.Email); err != nil {
		return err
	}
	if pol.HistoryDepth > 0 {
		prev, err := s.read().PasswordHistory(ctx, a.ID, pol.HistoryDepth)
		if err != nil {
			return err
		}
		if err := pol.CheckReuse(ctx, s.hasher, next, prev); err != nil {
			return err
		}
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	err = s.db.InTx(ctx, func(tx *store.Q) error {
		if c.spend != nil {
			if err := c.spend(tx); err != nil {
				return err
			}
		}
		var q Store = tx
		if c.before != nil {
			if err := c.before(q); err != nil {
				return err
			}
		}
		if err := q.SetPassword(ctx, a.ID, hash, now); err != nil {
			return err
		}
		// The old password may be what Dovecot cached for a mail client.
		s.mailCredentialsChanged(q, a)
		for _, kind := range []string{notify.AlertPasswordExpiry, notify.AlertSuspensionComing} {
			if err := q.ClearAlert(ctx, a.ID, kind); err != nil {
				return err
			}
		}
		var keepID int64
		if keep != nil {
			keepID = keep.ID
			if keep.Restricted {
				if err := q.UnrestrictSession(ctx, keep.ID); err != nil {
					return err
				}
			}
		}
		if _, err := q.RevokeAllSessions(ctx, a.ID, keepID, now); err != nil {
			return err
		}
		ev := s.event(a, varco.EventPasswordChanged, varco.OutcomeSuccess, m, "changed by "+actor)
		ev.Actor = actor
		if err := q.AppendEvent(ctx, ev); err != nil {
			return err
		}
		if c.event != "" {
			if err := q.AppendEvent(ctx, s.event(a, c.event, varco.OutcomeSuccess, m, "")); err != nil {
				return err
			}
		}
		if err := s.mailer.Enqueue(ctx, q, a, c.mail, notify.Data{Time: now, IP: m.IP, Location: m.Location, Actor: actor}); err != nil {
			return err
		}
		if c.after != nil {
			return c.after(q)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if keep != nil {
		keep.Restricted = false
	}
	return nil
}
