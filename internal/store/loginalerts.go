package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// TouchDevice records a sign-in with the device key at at and reports
// whether the account had used that device at or after since.
func (q *Q) TouchDevice(ctx context.Context, accountID int64, key string, since, at time.Time) (bool, error) {
	var last int64
	err := q.queryRow(ctx, `SELECT last_seen_at FROM login_devices WHERE account_id = $1 AND device_key = $2`,
		accountID, key).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("login device: %w", err)
	}
	seen := err == nil && last >= ts(since)
	if _, err := q.exec(ctx, `INSERT INTO login_devices (account_id, device_key, last_seen_at) VALUES ($1, $2, $3)
		ON CONFLICT (account_id, device_key) DO UPDATE SET last_seen_at = excluded.last_seen_at`,
		accountID, key, ts(at)); err != nil {
		return false, fmt.Errorf("touch login device: %w", err)
	}
	return seen, nil
}

// CreateLoginAlert stores the "this wasn't me" link of an alert about
// session sessionID.
func (q *Q) CreateLoginAlert(ctx context.Context, accountID, sessionID int64, tokenHash []byte, at, expires time.Time) error {
	if _, err := q.exec(ctx, `INSERT INTO login_alerts (account_id, session_id, token_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, accountID, sessionID, tokenHash, ts(at), ts(expires)); err != nil {
		return fmt.Errorf("create login alert: %w", err)
	}
	return nil
}

// UseLoginAlert spends a live, unused "this wasn't me" link and returns its
// account and session; ENotFound when there is none.
func (q *Q) UseLoginAlert(ctx context.Context, tokenHash []byte, now time.Time) (accountID, sessionID int64, err error) {
	err = q.queryRow(ctx, `UPDATE login_alerts SET used_at = $2
		WHERE token_hash = $1 AND used_at = 0 AND expires_at > $2 RETURNING account_id, session_id`,
		tokenHash, ts(now)).Scan(&accountID, &sessionID)
	if err != nil {
		return 0, 0, fmt.Errorf("use login alert: %w", notFound(err, "login alert"))
	}
	return accountID, sessionID, nil
}

// DeleteExpiredLoginAlerts deletes links that expired before before.
func (q *Q) DeleteExpiredLoginAlerts(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM login_alerts WHERE expires_at < $1`, ts(before))
	if err != nil {
		return 0, fmt.Errorf("delete expired login alerts: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
