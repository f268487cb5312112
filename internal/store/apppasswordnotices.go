package store

import (
	"context"
	"fmt"
	"math"
	"time"
)

// DueAppPasswords returns up to limit app passwords, in id order after
// afterID, whose next_notice_at has come by now: the ones the lifecycle
// jobs must look at for their expiry notices (SPEC §7.3).
func (q *Q) DueAppPasswords(ctx context.Context, now time.Time, afterID int64, limit int) ([]AppPassword, error) {
	return queryList(ctx, q, "due app passwords", scanAppPassword, `SELECT `+appPasswordColumns+` FROM app_passwords
		WHERE next_notice_at <= $1 AND id > $2 ORDER BY id LIMIT $3`, ts(now), afterID, limit)
}

// SetAppPasswordNextNotice sets when the jobs next look at app password id,
// never again when next is zero, provided its secret still expires at
// expires; it reports false when the app password was rotated or deleted
// since it was read.
func (q *Q) SetAppPasswordNextNotice(ctx context.Context, id int64, expires, next time.Time) (bool, error) {
	at := int64(math.MaxInt64)
	if !next.IsZero() {
		at = ts(next)
	}
	res, err := q.exec(ctx, `UPDATE app_passwords SET next_notice_at = $3 WHERE id = $1 AND expires_at = $2`,
		id, ts(expires), at)
	if err != nil {
		return false, fmt.Errorf("set app password next notice: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("set app password next notice: %w", err)
	}
	return n == 1, nil
}

// EndedAppPasswordGraces returns up to limit app passwords, in id order
// after afterID, that still keep a previous secret whose grace after a
// rotation ended by now (SPEC §7.4): the ones the lifecycle jobs must end
// (EndAppPasswordGrace).
func (q *Q) EndedAppPasswordGraces(ctx context.Context, now time.Time, afterID int64, limit int) ([]AppPassword, error) {
	return queryList(ctx, q, "ended app password graces", scanAppPassword, `SELECT `+appPasswordColumns+` FROM app_passwords
		WHERE prev_valid_until > 0 AND prev_valid_until <= $1 AND id > $2 ORDER BY id LIMIT $3`,
		ts(now), afterID, limit)
}

// EndAppPasswordGrace forgets app password id's previous secret, provided
// its grace is still the one that ended at until; it reports false when
// the app password was rotated again or deleted since it was read, or its
// grace was already ended.
func (q *Q) EndAppPasswordGrace(ctx context.Context, id int64, until time.Time) (bool, error) {
	if until.IsZero() {
		return false, nil
	}
	res, err := q.exec(ctx, `UPDATE app_passwords SET prev_key_id = '', prev_hash = NULL, prev_valid_until = 0
		WHERE id = $1 AND prev_valid_until = $2`, id, ts(until))
	if err != nil {
		return false, fmt.Errorf("end app password grace: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("end app password grace: %w", err)
	}
	return n == 1, nil
}
