package store

import (
	"context"
	"fmt"
	"time"
)

// Alert is an in-app notice for one account.
type Alert struct {
	ID        int64
	Kind      string
	Message   string
	SessionID int64 // new_login: the session the alert is about; 0 otherwise
	CreatedAt time.Time
}

// RaiseAlert shows an alert of kind to an account, replacing the text of
// an earlier one of the same kind and showing it again if it was dismissed.
func (q *Q) RaiseAlert(ctx context.Context, accountID int64, al Alert, at time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO alerts (account_id, kind, message, session_id, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (account_id, kind) DO UPDATE SET message = excluded.message, session_id = excluded.session_id,
			created_at = excluded.created_at, dismissed_at = 0`, accountID, al.Kind, al.Message, al.SessionID, ts(at))
	if err != nil {
		return fmt.Errorf("raise alert: %w", err)
	}
	return nil
}

// ClearAlert removes an account's alert of kind, if any.
func (q *Q) ClearAlert(ctx context.Context, accountID int64, kind string) error {
	if _, err := q.exec(ctx, `DELETE FROM alerts WHERE account_id = $1 AND kind = $2`, accountID, kind); err != nil {
		return fmt.Errorf("clear alert: %w", err)
	}
	return nil
}

// ListAlerts returns an account's alerts that are not dismissed, newest first.
func (q *Q) ListAlerts(ctx context.Context, accountID int64) ([]Alert, error) {
	rows, err := q.query(ctx, `SELECT id, kind, message, session_id, created_at FROM alerts
		WHERE account_id = $1 AND dismissed_at = 0 ORDER BY created_at DESC, id DESC`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var a Alert
		var created int64
		if err := rows.Scan(&a.ID, &a.Kind, &a.Message, &a.SessionID, &created); err != nil {
			return nil, fmt.Errorf("list alerts: %w", err)
		}
		a.CreatedAt = tm(created)
		out = append(out, a)
	}
	return out, rows.Err()
}

// AlertByID returns one of the account's visible alerts; ENotFound when it
// has no such alert.
func (q *Q) AlertByID(ctx context.Context, accountID, id int64) (Alert, error) {
	a := Alert{ID: id}
	var created int64
	err := q.queryRow(ctx, `SELECT kind, message, session_id, created_at FROM alerts
		WHERE id = $1 AND account_id = $2 AND dismissed_at = 0`, id, accountID).Scan(&a.Kind, &a.Message, &a.SessionID, &created)
	if err != nil {
		return Alert{}, fmt.Errorf("alert by id: %w", notFound(err, "alert"))
	}
	a.CreatedAt = tm(created)
	return a, nil
}

// DismissAlert hides one of the account's alerts; ENotFound when it has no
// such visible alert.
func (q *Q) DismissAlert(ctx context.Context, accountID, id int64, at time.Time) error {
	res, err := q.exec(ctx, `UPDATE alerts SET dismissed_at = $1 WHERE id = $2 AND account_id = $3 AND dismissed_at = 0`,
		ts(at), id, accountID)
	if err != nil {
		return fmt.Errorf("dismiss alert: %w", err)
	}
	return mustAffect(res, "alert")
}
