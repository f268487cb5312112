package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// MailFailureWindow is one open minute of identical mail login failures
// (SPEC §7.6, docs/audit.md): the failures that opened it were recorded at
// once; Repeats counts the ones after, not recorded yet.
type MailFailureWindow struct {
	Key       string
	AccountID int64 // 0 for a login of no account
	OrgID     int64
	IP        string
	Protocol  string
	Detail    string
	OpenedAt  time.Time
	LastAt    time.Time
	Repeats   int64
	OpenedBy  int64 // a random token of the batch that opened it
}

// CountMailFailures counts n identical failures into w.Key's window: a new
// window opens with w (Repeats 0) when there is none, an open one (opened
// after openCutoff) adds n to its repeats. It returns the window's opener,
// so a caller passing its own token in w.OpenedBy learns that it opened
// it and must record the n failures itself; ok is false when an expired
// window is in the way (close it with CloseMailFailureWindow and call again).
func (q *Q) CountMailFailures(ctx context.Context, w *MailFailureWindow, n int64, openCutoff time.Time) (openedBy int64, ok bool, err error) {
	err = q.queryRow(ctx, `INSERT INTO mail_failure_windows (key, account_id, org_id, ip, protocol, detail, opened_at, last_at, repeats, opened_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 0, $8)
		ON CONFLICT (key) DO UPDATE SET repeats = mail_failure_windows.repeats + $9, last_at = excluded.last_at
		WHERE mail_failure_windows.opened_at > $10
		RETURNING opened_by`,
		w.Key, w.AccountID, w.OrgID, w.IP, w.Protocol, w.Detail, ts(w.OpenedAt), w.OpenedBy, n, ts(openCutoff)).Scan(&openedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("count mail failures: %w", err)
	}
	return openedBy, true, nil
}

const mailFailureWindowColumns = `key, account_id, org_id, ip, protocol, detail, opened_at, last_at, repeats, opened_by`

// CloseMailFailureWindows deletes the windows opened at or before cutoff
// (of one key when key is not empty) and returns them, so that the caller
// records their repeats in the same transaction. On PostgreSQL a window
// two processes close at once is returned to one of them.
func (q *Q) CloseMailFailureWindows(ctx context.Context, key string, cutoff time.Time) ([]MailFailureWindow, error) {
	query := `DELETE FROM mail_failure_windows WHERE opened_at <= $1 RETURNING ` + mailFailureWindowColumns
	args := []any{ts(cutoff)}
	if key != "" {
		query = `DELETE FROM mail_failure_windows WHERE key = $2 AND opened_at <= $1 RETURNING ` + mailFailureWindowColumns
		args = append(args, key)
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("close mail failure windows: %w", err)
	}
	defer rows.Close()
	var out []MailFailureWindow
	for rows.Next() {
		var w MailFailureWindow
		var opened, last int64
		if err := rows.Scan(&w.Key, &w.AccountID, &w.OrgID, &w.IP, &w.Protocol, &w.Detail, &opened, &last, &w.Repeats, &w.OpenedBy); err != nil {
			return nil, fmt.Errorf("close mail failure windows: %w", err)
		}
		w.OpenedAt, w.LastAt = tm(opened), tm(last)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("close mail failure windows: %w", err)
	}
	return out, nil
}

// OldestMailFailureWindow returns when the oldest open window opened, and
// false when there is none.
func (q *Q) OldestMailFailureWindow(ctx context.Context) (time.Time, bool, error) {
	var t sql.NullInt64
	if err := q.queryRow(ctx, `SELECT MIN(opened_at) FROM mail_failure_windows`).Scan(&t); err != nil {
		return time.Time{}, false, fmt.Errorf("oldest mail failure window: %w", err)
	}
	if !t.Valid {
		return time.Time{}, false, nil
	}
	return tm(t.Int64), true, nil
}
