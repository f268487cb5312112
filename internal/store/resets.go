package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CreatePasswordReset stores a new reset token for an account and retires
// every older one that is still unused: only the newest link works.
func (q *Q) CreatePasswordReset(ctx context.Context, accountID int64, tokenHash []byte, now, expires time.Time) error {
	if _, err := q.exec(ctx, `UPDATE password_resets SET used_at = $1 WHERE account_id = $2 AND used_at = 0`,
		ts(now), accountID); err != nil {
		return fmt.Errorf("retire old reset tokens: %w", err)
	}
	if _, err := q.exec(ctx, `INSERT INTO password_resets (account_id, token_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4)`, accountID, tokenHash, ts(now), ts(expires)); err != nil {
		return fmt.Errorf("create reset token: %w", mapError(err, "reset token"))
	}
	return nil
}

// PasswordResetAccount returns the account of a usable reset token (unused,
// not expired at now), or 0 when there is none.
func (q *Q) PasswordResetAccount(ctx context.Context, tokenHash []byte, now time.Time) (int64, error) {
	var id int64
	err := q.queryRow(ctx, `SELECT account_id FROM password_resets
		WHERE token_hash = $1 AND used_at = 0 AND expires_at > $2`, tokenHash, ts(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reset token: %w", err)
	}
	return id, nil
}

// UsePasswordReset spends a usable reset token atomically and returns its
// account; 0 when it was not usable (already spent by a concurrent request,
// retired, or expired).
func (q *Q) UsePasswordReset(ctx context.Context, tokenHash []byte, now time.Time) (int64, error) {
	var id int64
	err := q.queryRow(ctx, `UPDATE password_resets SET used_at = $2
		WHERE token_hash = $1 AND used_at = 0 AND expires_at > $2 RETURNING account_id`, tokenHash, ts(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("use reset token: %w", err)
	}
	return id, nil
}

// DeleteExpiredPasswordResets removes tokens that expired before cutoff and
// returns how many.
func (q *Q) DeleteExpiredPasswordResets(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM password_resets WHERE expires_at < $1`, ts(cutoff))
	if err != nil {
		return 0, fmt.Errorf("delete expired reset tokens: %w", err)
	}
	return res.RowsAffected()
}
