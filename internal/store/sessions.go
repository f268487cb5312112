package store

import (
	"context"
	"fmt"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/text"
)

// CreateSession inserts a session and sets its ID.
func (q *Q) CreateSession(ctx context.Context, s *varco.Session) error {
	s.IP, s.UserAgent = text.Record(s.IP, maxIPText), text.Record(s.UserAgent, text.MaxUserAgent)
	err := q.queryRow(ctx, `INSERT INTO sessions (account_id, token_hash, created_at, last_seen_at,
		expires_at, ip, user_agent, restricted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		s.AccountID, s.TokenHash, ts(s.CreatedAt), ts(s.LastSeenAt), ts(s.ExpiresAt), s.IP, s.UserAgent,
		s.Restricted).Scan(&s.ID)
	if err != nil {
		return fmt.Errorf("create session: %w", mapError(err, "session"))
	}
	return nil
}

const sessionColumns = `id, account_id, token_hash, created_at, last_seen_at, expires_at, ip, user_agent, restricted`

func scanSession(row interface{ Scan(...any) error }) (*varco.Session, error) {
	var s varco.Session
	var created, seen, expires int64
	if err := row.Scan(&s.ID, &s.AccountID, &s.TokenHash, &created, &seen, &expires, &s.IP, &s.UserAgent, &s.Restricted); err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = tm(created), tm(seen), tm(expires)
	return &s, nil
}

// SessionByTokenHash returns the live (not revoked) session with that token
// hash, or ENotFound. Expiry is the caller's decision.
func (q *Q) SessionByTokenHash(ctx context.Context, hash []byte) (*varco.Session, error) {
	s, err := scanSession(q.queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE token_hash = $1 AND revoked_at = 0`, hash))
	if err != nil {
		return nil, fmt.Errorf("session by token: %w", notFound(err, "session"))
	}
	return s, nil
}

// ListSessions returns an account's live sessions that have not expired at
// now, newest first.
func (q *Q) ListSessions(ctx context.Context, accountID int64, now time.Time) ([]*varco.Session, error) {
	rows, err := q.query(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE account_id = $1 AND revoked_at = 0 AND expires_at > $2 ORDER BY id DESC`, accountID, ts(now))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	var out []*varco.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("list sessions: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// TouchSession moves last_seen_at forward.
func (q *Q) TouchSession(ctx context.Context, id int64, at time.Time) error {
	_, err := q.exec(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $1`, ts(at), id)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// RevokeSession revokes one session of an account; ENotFound when the
// account has no such live session.
func (q *Q) RevokeSession(ctx context.Context, accountID, id int64, at time.Time) error {
	res, err := q.exec(ctx, `UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at = 0`,
		ts(at), id, accountID)
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return mustAffect(res, "session")
}

// RevokeAllSessions revokes every live session of an account except keepID
// (0 keeps none) and returns how many it revoked.
func (q *Q) RevokeAllSessions(ctx context.Context, accountID, keepID int64, at time.Time) (int64, error) {
	res, err := q.exec(ctx, `UPDATE sessions SET revoked_at = $1 WHERE account_id = $2 AND id <> $3 AND revoked_at = 0`,
		ts(at), accountID, keepID)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	return n, nil
}

// UnrestrictSession turns a restricted session into a full one.
func (q *Q) UnrestrictSession(ctx context.Context, id int64) error {
	if _, err := q.exec(ctx, `UPDATE sessions SET restricted = FALSE WHERE id = $1`, id); err != nil {
		return fmt.Errorf("unrestrict session: %w", err)
	}
	return nil
}

// SessionAndAccount returns the live session with that token hash and its
// account in one query: the hot path of every authenticated request.
func (q *Q) SessionAndAccount(ctx context.Context, hash []byte) (*varco.Session, *varco.Account, error) {
	// The token hash is the one asked for: not read back, one allocation
	// less on every request.
	row := q.queryRow(ctx, `SELECT s.id, s.account_id, s.created_at, s.last_seen_at, s.expires_at,
		s.ip, s.user_agent, s.restricted, `+accountColumns+`
		FROM sessions s JOIN accounts a ON a.id = s.account_id LEFT JOIN orgs o ON o.id = a.org_id
		WHERE s.token_hash = $1 AND s.revoked_at = 0`, hash)
	s := varco.Session{TokenHash: hash}
	var created, seen, expires int64
	a, err := scanAccount(scanFunc(func(dest ...any) error {
		all := append([]any{&s.ID, &s.AccountID, &created, &seen, &expires, &s.IP, &s.UserAgent, &s.Restricted}, dest...)
		return row.Scan(all...)
	}))
	if err != nil {
		return nil, nil, fmt.Errorf("session by token: %w", notFound(err, "session"))
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = tm(created), tm(seen), tm(expires)
	return &s, a, nil
}

// DeleteSessionsBefore removes sessions that expired or were revoked before
// cutoff and returns how many.
func (q *Q) DeleteSessionsBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM sessions WHERE expires_at < $1 OR (revoked_at <> 0 AND revoked_at < $1)`, ts(cutoff))
	if err != nil {
		return 0, fmt.Errorf("delete old sessions: %w", err)
	}
	return res.RowsAffected()
}
