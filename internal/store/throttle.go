package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Throttle is the failure count behind one throttling key (an account or a
// client IP).
type Throttle struct {
	Failures     int
	WindowStart  time.Time
	BlockedUntil time.Time
}

// ThrottleState returns the state of key; an unknown key has zero state.
func (q *Q) ThrottleState(ctx context.Context, key string) (Throttle, error) {
	var t Throttle
	var start, blocked int64
	err := q.queryRow(ctx, `SELECT failures, window_start, blocked_until FROM throttle WHERE key = $1`, key).
		Scan(&t.Failures, &start, &blocked)
	if errors.Is(err, sql.ErrNoRows) {
		return Throttle{}, nil
	}
	if err != nil {
		return Throttle{}, fmt.Errorf("throttle state: %w", err)
	}
	t.WindowStart, t.BlockedUntil = tm(start), tm(blocked)
	return t, nil
}

// ThrottleStates returns the state of each key that has one, in one query
// (a sign-in checks its account's and its IP's); keys without state are
// absent from the map.
func (q *Q) ThrottleStates(ctx context.Context, keys ...string) (map[string]Throttle, error) {
	out := make(map[string]Throttle, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	query, args := q.inList(`SELECT key, failures, window_start, blocked_until FROM throttle WHERE key`, keys)
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("throttle states: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var t Throttle
		var start, blocked int64
		if err := rows.Scan(&key, &t.Failures, &start, &blocked); err != nil {
			return nil, fmt.Errorf("throttle states: %w", err)
		}
		t.WindowStart, t.BlockedUntil = tm(start), tm(blocked)
		out[key] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("throttle states: %w", err)
	}
	return out, nil
}

// ThrottleFailure atomically counts one failure for key and returns the new
// state. A window that started before windowCutoff starts again at now with
// this failure as its first.
func (q *Q) ThrottleFailure(ctx context.Context, key string, now, windowCutoff time.Time) (Throttle, error) {
	return q.ThrottleFailures(ctx, key, 1, now, windowCutoff)
}

// ThrottleFailures is ThrottleFailure for n failures at once (a batch of
// mail logins counts each key once).
func (q *Q) ThrottleFailures(ctx context.Context, key string, n int, now, windowCutoff time.Time) (Throttle, error) {
	var t Throttle
	var start, blocked int64
	err := q.queryRow(ctx, `INSERT INTO throttle (key, failures, window_start, updated_at)
		VALUES ($1, $4, $2, $2)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN throttle.window_start < $3 THEN $4 ELSE throttle.failures + $4 END,
			window_start = CASE WHEN throttle.window_start < $3 THEN $2 ELSE throttle.window_start END,
			updated_at = $2
		RETURNING failures, window_start, blocked_until`, key, ts(now), ts(windowCutoff), n).Scan(&t.Failures, &start, &blocked)
	if err != nil {
		return Throttle{}, fmt.Errorf("throttle failure: %w", err)
	}
	t.WindowStart, t.BlockedUntil = tm(start), tm(blocked)
	return t, nil
}

// ThrottleBlock makes key wait until until (never moving it backwards).
func (q *Q) ThrottleBlock(ctx context.Context, key string, until time.Time) error {
	_, err := q.exec(ctx, `UPDATE throttle SET blocked_until = $2 WHERE key = $1 AND blocked_until < $2`, key, ts(until))
	if err != nil {
		return fmt.Errorf("throttle block: %w", err)
	}
	return nil
}

// ThrottleReset forgets key's failures.
func (q *Q) ThrottleReset(ctx context.Context, key string) error {
	if _, err := q.exec(ctx, `DELETE FROM throttle WHERE key = $1`, key); err != nil {
		return fmt.Errorf("throttle reset: %w", err)
	}
	return nil
}
