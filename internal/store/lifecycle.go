package store

import (
	"context"
	"fmt"
	"time"

	"varco.dev/varco"
)

// orgScope selects the accounts of one organization, or with orgID 0 the
// accounts that belong to none (support). Two shapes rather than an OR, so
// that both engines use the (org_id, status, …) indexes.
func orgScope(orgID int64) string {
	if orgID == 0 {
		return `a.org_id IS NULL AND $1 = 0`
	}
	return `a.org_id = $1`
}

// NoticeCursor is a position in the due order of the lifecycle jobs:
// (next_notice_at, id). The zero cursor is the start.
type NoticeCursor struct {
	At time.Time
	ID int64
}

// DueAccount is an account whose next_notice_at has come.
type DueAccount struct {
	*varco.Account
	Cursor NoticeCursor // its place in the due order: the cursor of the next page
}

// DueForNotice returns up to limit active accounts of an organization whose
// next_notice_at is at or before now, in (next_notice_at, id) order after
// the cursor. It is a range scan of accounts_notice_due: its cost grows with
// the accounts due, not with all accounts.
func (q *Q) DueForNotice(ctx context.Context, orgID int64, now time.Time, after NoticeCursor, limit int) ([]DueAccount, error) {
	// The cursor as a plain range (at ≥ cursor) plus a tie-break, rather than
	// a row value, so that both engines bound the index scan by it.
	rows, err := q.query(ctx, `SELECT a.next_notice_at, `+accountColumns+accountFrom+`
		WHERE `+orgScope(orgID)+` AND a.status = 'active'
		AND a.next_notice_at >= $2 AND a.next_notice_at <= $3 AND (a.next_notice_at > $2 OR a.id > $4)
		ORDER BY a.next_notice_at, a.id LIMIT $5`, orgID, ts(after.At), ts(now), after.ID, limit)
	if err != nil {
		return nil, fmt.Errorf("accounts due for notice: %w", err)
	}
	defer rows.Close()
	var out []DueAccount
	for rows.Next() {
		var at int64
		a, err := scanAccount(scanFunc(func(dest ...any) error { return rows.Scan(append([]any{&at}, dest...)...) }))
		if err != nil {
			return nil, fmt.Errorf("accounts due for notice: %w", err)
		}
		out = append(out, DueAccount{Account: a, Cursor: NoticeCursor{At: tm(at), ID: a.ID}})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("accounts due for notice: %w", err)
	}
	return out, nil
}

// SetNextNotice records when the lifecycle jobs must next look at an
// account, computed from a read of it. It returns false, and changes
// nothing, when the account moved on since that read (another password or
// sign-in, another status): then the read is stale and the account stays
// due, to be looked at again with what it is now.
func (q *Q) SetNextNotice(ctx context.Context, id int64, read *varco.Account, next time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE accounts SET next_notice_at = $1
		WHERE id = $2 AND status = 'active' AND password_changed_at = $3 AND last_login_at = $4`,
		ts(next), id, ts(read.PasswordChangedAt), ts(read.LastLoginAt))
	if err != nil {
		return false, fmt.Errorf("set next notice: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("set next notice: %w", err)
	}
	return n == 1, nil
}

// LockOrgPolicy returns an organization's password policy for the
// lifecycle jobs' transaction. On PostgreSQL it holds a share lock on the
// organization until the transaction ends, so a policy change (which
// resets its accounts' next_notice_at) either waits for the jobs or is the
// policy they see; SQLite transactions are serialized anyway.
func (q *Q) LockOrgPolicy(ctx context.Context, orgID int64) (varco.Policy, error) {
	o, err := scanOrg(q.queryRow(ctx, `SELECT `+orgColumns+` FROM orgs WHERE id = $1`+q.d.forShare(), orgID))
	if err != nil {
		return varco.Policy{}, fmt.Errorf("lock org policy: %w", notFound(err, "organization"))
	}
	return o.Policy, nil
}

// ClaimNotice records that a notice (kind, cycle, threshold) is being sent
// to an account. It returns false when it was already recorded, by this
// process or another: the caller then sends nothing. Call it in the
// transaction that queues the notice.
func (q *Q) ClaimNotice(ctx context.Context, accountID int64, kind string, cycle int64, threshold int, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `INSERT INTO sent_notices (account_id, kind, cycle, threshold, sent_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, accountID, kind, cycle, threshold, ts(at))
	if err != nil {
		return false, fmt.Errorf("claim notice: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim notice: %w", err)
	}
	return n == 1, nil
}

// SuspendIfActive moves an active account whose password was last set at
// changedAt to suspended. It returns false when the account changed in the
// meantime (a new password, another status), or when it was reactivated
// and must change its password at the next sign-in: then nothing happens.
func (q *Q) SuspendIfActive(ctx context.Context, id int64, changedAt time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE accounts SET status = 'suspended'
		WHERE id = $1 AND status = 'active' AND password_changed_at = $2 AND must_change_password = FALSE`, id, ts(changedAt))
	if err != nil {
		return false, fmt.Errorf("suspend account: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("suspend account: %w", err)
	}
	return n == 1, nil
}

// Unix micro of a time, as stored: the cycle key of a password's notices.
func Micros(t time.Time) int64 { return ts(t) }

// ReactivateAccount moves a suspended account back to active and makes it
// change its password at the next sign-in. It returns false when the
// account is not suspended.
func (q *Q) ReactivateAccount(ctx context.Context, id int64) (bool, error) {
	res, err := q.exec(ctx, `UPDATE accounts SET status = 'active', must_change_password = TRUE
		WHERE id = $1 AND status = 'suspended'`, id)
	if err != nil {
		return false, fmt.Errorf("reactivate account: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("reactivate account: %w", err)
	}
	return n == 1, nil
}

// EnableAccount moves a disabled account back to active; false when it was
// not disabled.
func (q *Q) EnableAccount(ctx context.Context, id int64) (bool, error) {
	res, err := q.exec(ctx, `UPDATE accounts SET status = 'active' WHERE id = $1 AND status = 'disabled'`, id)
	if err != nil {
		return false, fmt.Errorf("enable account: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("enable account: %w", err)
	}
	return n == 1, nil
}

// RequirePasswordChange makes an account change its password at the next
// sign-in (an admin's request, SPEC §2.8). ENotFound when there is no such
// account.
func (q *Q) RequirePasswordChange(ctx context.Context, id int64) error {
	res, err := q.exec(ctx, `UPDATE accounts SET must_change_password = TRUE WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("require password change: %w", err)
	}
	return mustAffect(res, "account")
}
