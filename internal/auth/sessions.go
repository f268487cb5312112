package auth

import (
	"context"
	"fmt"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
)

// maxTokenLen bounds what is hashed from an untrusted header or cookie.
const maxTokenLen = varco.MaxTokenLen

// touchEvery limits last_seen_at writes to one a minute per session, so a
// busy client does not turn every read into a write.
const touchEvery = 60 // seconds

// Authenticate returns the account and session behind a session token, or
// an unauthorized error when the token is unknown, revoked, idle for too
// long, past its absolute limit, or its account is no longer active.
func (s *Service) Authenticate(ctx context.Context, token string) (*varco.Account, *varco.Session, error) {
	// Built only when needed: varco.E looks its message up in the
	// catalogue, which showed in the profile of every signed-in request.
	unauthorized := func() error { return varco.E(varco.EUnauthorized, "error.sign_in") }
	if token == "" || len(token) > maxTokenLen {
		return nil, nil, unauthorized()
	}
	hash := varco.HashToken(token)
	// The rows come from memory while nothing has changed since they were
	// read (sessionCache); the decisions below are taken every time.
	version, cacheable := s.db.ChangeVersion(ctx)
	var sess *varco.Session
	var a *varco.Account
	if cacheable {
		sess, a = s.sessions.get(hash, version)
	}
	if sess == nil {
		read := time.Now()
		var err error
		sess, a, err = s.read().SessionAndAccount(ctx, hash)
		if varco.IsCode(err, varco.ENotFound) {
			return nil, nil, unauthorized()
		}
		if err != nil {
			return nil, nil, err
		}
		if cacheable {
			s.sessions.put(hash, version, read, sess, a)
		}
	}
	now := s.clock.Now()
	if !s.live(sess, now) {
		return nil, nil, varco.E(varco.EUnauthorized, "error.session_expired")
	}
	if a.Status != varco.StatusActive {
		return nil, nil, unauthorized()
	}
	if now.Sub(sess.LastSeenAt).Seconds() >= touchEvery {
		// The write moves the change version: the next request reads the
		// session again, with its new last_seen_at.
		if err := s.db.TouchSession(ctx, sess.ID, now); err != nil {
			return nil, nil, err
		}
		sess.LastSeenAt = now
	}
	return a, sess, nil
}

// Logout revokes the current session.
func (s *Service) Logout(ctx context.Context, a *varco.Account, sess *varco.Session, m Meta) error {
	now := s.clock.Now()
	return s.inTx(ctx, func(q Store) error {
		if err := q.RevokeSession(ctx, a.ID, sess.ID, now); err != nil {
			return err
		}
		return q.AppendEvent(ctx, s.event(a, varco.EventLogout, varco.OutcomeSuccess, m, ""))
	})
}

// live reports whether an unrevoked session still signs its holder in: it
// is before its absolute limit and was used within the idle limit.
func (s *Service) live(sess *varco.Session, now time.Time) bool {
	return now.Before(sess.ExpiresAt) && now.Sub(sess.LastSeenAt) <= s.cfg.SessionIdle
}

// sessionLister lists an account's sessions: a Reader, or a Store in a
// transaction.
type sessionLister interface {
	ListSessions(ctx context.Context, accountID int64, now time.Time) ([]*varco.Session, error)
}

// liveSessions is the account's sessions that still sign in, newest first.
func (s *Service) liveSessions(ctx context.Context, q sessionLister, accountID int64, now time.Time) ([]*varco.Session, error) {
	all, err := q.ListSessions(ctx, accountID, now)
	if err != nil {
		return nil, err
	}
	live := all[:0]
	for _, sess := range all {
		if s.live(sess, now) {
			live = append(live, sess)
		}
	}
	return live, nil
}

// Sessions lists the account's live sessions: one idle for longer than the
// idle limit is over, as Authenticate says, and is not shown.
func (s *Service) Sessions(ctx context.Context, a *varco.Account) ([]*varco.Session, error) {
	return s.liveSessions(ctx, s.read(), a.ID, s.clock.Now())
}

// RevokeSession ends one of the account's own sessions; another account's
// session id is ENotFound.
func (s *Service) RevokeSession(ctx context.Context, a *varco.Account, id int64, m Meta) error {
	now := s.clock.Now()
	return s.inTx(ctx, func(q Store) error {
		if err := q.RevokeSession(ctx, a.ID, id, now); err != nil {
			return err
		}
		return q.AppendEvent(ctx, s.event(a, varco.EventSessionRevoked, varco.OutcomeSuccess, m, fmt.Sprintf("session %d", id)))
	})
}

// RevokeOtherSessions ends every session of the account but keep, and
// returns how many of them were live (the ones Sessions listed); expired
// ones are revoked too but not counted.
func (s *Service) RevokeOtherSessions(ctx context.Context, a *varco.Account, keep *varco.Session, m Meta) (int64, error) {
	now := s.clock.Now()
	var n int64
	err := s.inTx(ctx, func(q Store) error {
		live, err := s.liveSessions(ctx, q, a.ID, now)
		if err != nil {
			return err
		}
		for _, sess := range live {
			if sess.ID != keep.ID {
				n++
			}
		}
		if _, err := q.RevokeAllSessions(ctx, a.ID, keep.ID, now); err != nil || n == 0 {
			return err
		}
		return q.AppendEvent(ctx, s.event(a, varco.EventSessionRevoked, varco.OutcomeSuccess, m, fmt.Sprintf("%d other sessions", n)))
	})
	return n, err
}

// Activity returns the account's own history, newest first.
func (s *Service) Activity(ctx context.Context, a *varco.Account, f store.EventFilter) ([]*varco.Event, error) {
	f.AccountID, f.OrgID = a.ID, 0
	return s.read().ListEvents(ctx, f)
}
