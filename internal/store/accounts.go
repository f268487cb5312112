package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"varco.dev/varco"
)

const accountColumns = `a.id, COALESCE(a.org_id, 0), COALESCE(o.name, ''), a.email, a.contact_email,
	a.contact_email_verified, a.phone, a.phone_verified, a.display_name, a.lang, a.role, a.status,
	a.password_hash, a.password_changed_at, a.must_change_password, a.last_login_at, a.created_at,
	a.time_zone, COALESCE(o.time_zone, '')`

const accountFrom = ` FROM accounts a LEFT JOIN orgs o ON o.id = a.org_id `

// scanFunc adapts a function to the Scan method scanAccount wants, so a
// query can scan other columns before an account's.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

func scanAccount(row interface{ Scan(...any) error }) (*varco.Account, error) {
	var a varco.Account
	var changed, lastLogin, created int64
	err := row.Scan(&a.ID, &a.OrgID, &a.OrgName, &a.Email, &a.ContactEmail,
		&a.ContactEmailVerified, &a.Phone, &a.PhoneVerified, &a.DisplayName, &a.Lang, &a.Role, &a.Status,
		&a.PasswordHash, &changed, &a.MustChangePassword, &lastLogin, &created, &a.TimeZone, &a.OrgTimeZone)
	if err != nil {
		return nil, err
	}
	a.PasswordChangedAt, a.LastLoginAt, a.CreatedAt = tm(changed), tm(lastLogin), tm(created)
	return &a, nil
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// CreateAccount inserts an account, records its first password in the
// history, and sets its ID. A taken e-mail is EConflict.
func (q *Q) CreateAccount(ctx context.Context, a *varco.Account) error {
	err := q.queryRow(ctx, `INSERT INTO accounts (org_id, email, contact_email, contact_email_verified,
		phone, phone_verified, display_name, lang, role, status, password_hash, password_changed_at,
		must_change_password, created_at, time_zone)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
		nullID(a.OrgID), a.Email, a.ContactEmail, a.ContactEmailVerified, a.Phone, a.PhoneVerified,
		a.DisplayName, a.Lang, a.Role, a.Status, a.PasswordHash, ts(a.PasswordChangedAt),
		a.MustChangePassword, ts(a.CreatedAt), a.TimeZone).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("create account: %w", mapError(err, "account"))
	}
	if err := q.addPasswordHistory(ctx, a.ID, a.PasswordHash, a.PasswordChangedAt); err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	return nil
}

// AccountByID returns the account, or ENotFound.
func (q *Q) AccountByID(ctx context.Context, id int64) (*varco.Account, error) {
	return q.accountByID(ctx, id, "")
}

// AccountForUpdate is AccountByID that, in a transaction on PostgreSQL,
// also locks the account's row until the transaction ends (SQLite's
// writer already holds the database). A transaction that writes several
// things of one account takes its row first, as the jobs do: taking, say,
// the account's history first and its row later can deadlock with them.
func (q *Q) AccountForUpdate(ctx context.Context, id int64) (*varco.Account, error) {
	lock := ""
	if q.d == dialectPostgres && q.tx != nil {
		lock = " FOR UPDATE OF a" // not the organization's row
	}
	return q.accountByID(ctx, id, lock)
}

// accountByID reads the account with lock appended to its query.
func (q *Q) accountByID(ctx context.Context, id int64, lock string) (*varco.Account, error) {
	a, err := scanAccount(q.queryRow(ctx, `SELECT `+accountColumns+accountFrom+`WHERE a.id = $1`+lock, id))
	if err != nil {
		return nil, fmt.Errorf("account by id: %w", notFound(err, "account"))
	}
	return a, nil
}

// AccountByEmail returns the account with that (normalized) login, or ENotFound.
func (q *Q) AccountByEmail(ctx context.Context, email string) (*varco.Account, error) {
	a, err := scanAccount(q.queryRow(ctx, `SELECT `+accountColumns+accountFrom+`WHERE a.email = $1`, email))
	if err != nil {
		return nil, fmt.Errorf("account by email: %w", notFound(err, "account"))
	}
	return a, nil
}

// AccountFilter narrows SearchAccounts.
type AccountFilter struct {
	OrgID int64  // 0: every organization
	Query string // substring of e-mail or display name, case-insensitive
	Limit int    // default 50, at most 500
	After int64  // only ids greater than this (pagination)
}

// likeEscape escapes LIKE wildcards so a query matches literally.
func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// SearchAccounts returns accounts matching f, ordered by id.
func (q *Q) SearchAccounts(ctx context.Context, f AccountFilter) ([]*varco.Account, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	pattern := "%" + likeEscape(strings.ToLower(f.Query)) + "%"
	rows, err := q.query(ctx, `SELECT `+accountColumns+accountFrom+`
		WHERE ($1 = 0 OR a.org_id = $1) AND a.id > $2
		AND (a.email LIKE $3 ESCAPE '\' OR LOWER(a.display_name) LIKE $3 ESCAPE '\')
		ORDER BY a.id LIMIT $4`, f.OrgID, f.After, pattern, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("search accounts: %w", err)
	}
	defer rows.Close()
	var out []*varco.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("search accounts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetAccountStatus changes an account's status.
func (q *Q) SetAccountStatus(ctx context.Context, id int64, status string) error {
	res, err := q.exec(ctx, `UPDATE accounts SET status = $1 WHERE id = $2`, status, id)
	if err != nil {
		return fmt.Errorf("set account status: %w", err)
	}
	return mustAffect(res, "account")
}

// SetAccountLanguage sets the language of an account's pages, e-mails and
// API messages; ENotFound when there is no such account.
func (q *Q) SetAccountLanguage(ctx context.Context, id int64, lang string) error {
	res, err := q.exec(ctx, `UPDATE accounts SET lang = $1 WHERE id = $2`, lang, id)
	if err != nil {
		return fmt.Errorf("set account language: %w", err)
	}
	return mustAffect(res, "account")
}

// SetAccountTimeZone sets the zone an account's times are shown in ("" to
// follow its organization); ENotFound when there is no such account.
func (q *Q) SetAccountTimeZone(ctx context.Context, id int64, zone string) error {
	res, err := q.exec(ctx, `UPDATE accounts SET time_zone = $1 WHERE id = $2`, zone, id)
	if err != nil {
		return fmt.Errorf("set account time zone: %w", err)
	}
	return mustAffect(res, "account")
}

// SetPassword stores a new password hash, records it in the history,
// clears must_change_password and makes the account due for the lifecycle
// jobs (its expiry schedule starts again).
func (q *Q) SetPassword(ctx context.Context, id int64, hash string, at time.Time) error {
	res, err := q.exec(ctx, `UPDATE accounts SET password_hash = $1, password_changed_at = $2,
		must_change_password = FALSE, next_notice_at = 0 WHERE id = $3`, hash, ts(at), id)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if err := mustAffect(res, "account"); err != nil {
		return err
	}
	return q.addPasswordHistory(ctx, id, hash, at)
}

// RehashPassword replaces the stored hash of the same password (new
// parameters) without touching its age or the history.
func (q *Q) RehashPassword(ctx context.Context, id int64, oldHash, newHash string) error {
	_, err := q.exec(ctx, `UPDATE accounts SET password_hash = $1 WHERE id = $2 AND password_hash = $3`,
		newHash, id, oldHash)
	if err != nil {
		return fmt.Errorf("rehash password: %w", err)
	}
	_, err = q.exec(ctx, `UPDATE password_history SET hash = $1 WHERE account_id = $2 AND hash = $3`,
		newHash, id, oldHash)
	if err != nil {
		return fmt.Errorf("rehash password history: %w", err)
	}
	return nil
}

// RecordLogin sets last_login_at.
func (q *Q) RecordLogin(ctx context.Context, id int64, at time.Time) error {
	_, err := q.exec(ctx, `UPDATE accounts SET last_login_at = $1 WHERE id = $2`, ts(at), id)
	if err != nil {
		return fmt.Errorf("record login: %w", err)
	}
	return nil
}

func (q *Q) addPasswordHistory(ctx context.Context, id int64, hash string, at time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO password_history (account_id, hash, created_at) VALUES ($1, $2, $3)`,
		id, hash, ts(at))
	if err != nil {
		return fmt.Errorf("add password history: %w", err)
	}
	return nil
}

// PasswordHistory returns up to n previous password hashes, newest first
// (the current one included).
func (q *Q) PasswordHistory(ctx context.Context, id int64, n int) ([]string, error) {
	rows, err := q.query(ctx, `SELECT hash FROM password_history WHERE account_id = $1 ORDER BY id DESC LIMIT $2`, id, n)
	if err != nil {
		return nil, fmt.Errorf("password history: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("password history: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// CountAccounts returns how many accounts exist.
func (q *Q) CountAccounts(ctx context.Context) (int, error) {
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count accounts: %w", err)
	}
	return n, nil
}

func mustAffect(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("rows affected: %w", err)
	}
	if n == 0 {
		return varco.Errorf(varco.ENotFound, "%s not found", what)
	}
	return nil
}
