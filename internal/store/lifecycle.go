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

func (q *Q) listAccounts(ctx context.Context, what, query string, args ...any) ([]*varco.Account, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []*varco.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// PasswordsChangedBetween returns the active accounts of an organization
// whose password was last set in (after, upTo]: those whose expiry or grace
// falls in a window. It is a range scan of accounts_org_password_changed.
func (q *Q) PasswordsChangedBetween(ctx context.Context, orgID int64, after, upTo time.Time) ([]*varco.Account, error) {
	return q.listAccounts(ctx, "passwords changed between", `SELECT `+accountColumns+accountFrom+`
		WHERE `+orgScope(orgID)+` AND a.status = 'active' AND a.password_changed_at > $2 AND a.password_changed_at <= $3
		ORDER BY a.id`, orgID, ts(after), ts(upTo))
}

// InactiveSince returns the active accounts of an organization with no
// sign-in since before (accounts that never signed in count from their
// creation). Two range scans of accounts_org_last_login.
func (q *Q) InactiveSince(ctx context.Context, orgID int64, before time.Time) ([]*varco.Account, error) {
	return q.listAccounts(ctx, "inactive accounts", `SELECT `+accountColumns+accountFrom+`
		WHERE `+orgScope(orgID)+` AND a.status = 'active' AND a.last_login_at BETWEEN 1 AND $2
		UNION ALL
		SELECT `+accountColumns+accountFrom+`
		WHERE `+orgScope(orgID)+` AND a.status = 'active' AND a.last_login_at = 0 AND a.created_at <= $2`,
		orgID, ts(before))
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
