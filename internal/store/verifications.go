package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ContactVerification is a pending check that an account owns a phone
// number (a code sent by SMS) or a contact e-mail (a link). Only the
// secret's hash is stored.
type ContactVerification struct {
	ID         int64
	AccountID  int64
	Kind       string // varco.VerifyPhone or varco.VerifyContactEmail
	Target     string // the E.164 number or the address being verified
	SecretHash []byte
	Attempts   int
	CreatedAt  time.Time
	ExpiresAt  time.Time
	UsedAt     time.Time // verified, replaced or voided; zero while usable
}

const verificationColumns = `id, account_id, kind, target, secret_hash, attempts, created_at, expires_at, used_at`

func scanVerification(row interface{ Scan(...any) error }) (*ContactVerification, error) {
	var v ContactVerification
	var created, expires, used int64
	if err := row.Scan(&v.ID, &v.AccountID, &v.Kind, &v.Target, &v.SecretHash, &v.Attempts, &created, &expires, &used); err != nil {
		return nil, err
	}
	v.CreatedAt, v.ExpiresAt, v.UsedAt = tm(created), tm(expires), tm(used)
	return &v, nil
}

// LockAccountRow takes the write lock on an account's row until the end of
// the transaction, so checks and writes about one account (send limits)
// run one at a time on every engine. ENotFound when there is no account.
func (q *Q) LockAccountRow(ctx context.Context, id int64) error {
	res, err := q.exec(ctx, `UPDATE accounts SET id = id WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("lock account: %w", err)
	}
	return mustAffect(res, "account")
}

// CreateContactVerification stores v (its ID is set) and retires every
// older unused verification of the same account and kind: only the newest
// works.
func (q *Q) CreateContactVerification(ctx context.Context, v *ContactVerification) error {
	if _, err := q.exec(ctx, `UPDATE contact_verifications SET used_at = $1
		WHERE account_id = $2 AND kind = $3 AND used_at = 0`, ts(v.CreatedAt), v.AccountID, v.Kind); err != nil {
		return fmt.Errorf("retire old verifications: %w", err)
	}
	err := q.queryRow(ctx, `INSERT INTO contact_verifications (account_id, kind, target, secret_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		v.AccountID, v.Kind, v.Target, v.SecretHash, ts(v.CreatedAt), ts(v.ExpiresAt)).Scan(&v.ID)
	if err != nil {
		return fmt.Errorf("create verification: %w", mapError(err, "verification"))
	}
	return nil
}

// VerificationSends summarizes the verifications an account was sent of a
// kind since a time: how many, the oldest and the newest.
type VerificationSends struct {
	Count          int
	Oldest, Newest time.Time
}

// ContactVerificationSends counts an account's verifications of kind
// created at or after since (used or not), for the send limits.
func (q *Q) ContactVerificationSends(ctx context.Context, accountID int64, kind string, since time.Time) (VerificationSends, error) {
	var s VerificationSends
	var oldest, newest int64
	err := q.queryRow(ctx, `SELECT COUNT(*), COALESCE(MIN(created_at), 0), COALESCE(MAX(created_at), 0)
		FROM contact_verifications WHERE account_id = $1 AND kind = $2 AND created_at >= $3`,
		accountID, kind, ts(since)).Scan(&s.Count, &oldest, &newest)
	if err != nil {
		return s, fmt.Errorf("count verifications: %w", err)
	}
	s.Oldest, s.Newest = tm(oldest), tm(newest)
	return s, nil
}

// PendingContactVerification returns the account's usable verification of
// kind (unused, not expired at now), or ENotFound.
func (q *Q) PendingContactVerification(ctx context.Context, accountID int64, kind string, now time.Time) (*ContactVerification, error) {
	v, err := scanVerification(q.queryRow(ctx, `SELECT `+verificationColumns+` FROM contact_verifications
		WHERE account_id = $1 AND kind = $2 AND used_at = 0 AND expires_at > $3 ORDER BY id DESC LIMIT 1`,
		accountID, kind, ts(now)))
	if err != nil {
		return nil, fmt.Errorf("pending verification: %w", notFound(err, "verification"))
	}
	return v, nil
}

// ContactVerificationByHash returns the usable verification of kind whose
// secret hashes to hash, or ENotFound.
func (q *Q) ContactVerificationByHash(ctx context.Context, kind string, hash []byte, now time.Time) (*ContactVerification, error) {
	v, err := scanVerification(q.queryRow(ctx, `SELECT `+verificationColumns+` FROM contact_verifications
		WHERE secret_hash = $1 AND kind = $2 AND used_at = 0 AND expires_at > $3`, hash, kind, ts(now)))
	if err != nil {
		return nil, fmt.Errorf("verification by token: %w", notFound(err, "verification"))
	}
	return v, nil
}

// CountVerificationAttempt counts one attempt on a usable verification
// that has had fewer than max, atomically, and returns the attempts made
// including this one; 0 when the verification is used or already at max
// (so concurrent attempts never exceed max).
func (q *Q) CountVerificationAttempt(ctx context.Context, id int64, max int) (int, error) {
	var n int
	err := q.queryRow(ctx, `UPDATE contact_verifications SET attempts = attempts + 1
		WHERE id = $1 AND used_at = 0 AND attempts < $2 RETURNING attempts`, id, max).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("count verification attempt: %w", err)
	}
	return n, nil
}

// UseContactVerification retires a usable verification at now and reports
// whether it was usable (false: another request retired it first).
func (q *Q) UseContactVerification(ctx context.Context, id int64, now time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE contact_verifications SET used_at = $1 WHERE id = $2 AND used_at = 0`, ts(now), id)
	if err != nil {
		return false, fmt.Errorf("use verification: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use verification: %w", err)
	}
	return n == 1, nil
}

// RetireContactVerifications retires every unused verification of an
// account and kind.
func (q *Q) RetireContactVerifications(ctx context.Context, accountID int64, kind string, now time.Time) error {
	if _, err := q.exec(ctx, `UPDATE contact_verifications SET used_at = $1
		WHERE account_id = $2 AND kind = $3 AND used_at = 0`, ts(now), accountID, kind); err != nil {
		return fmt.Errorf("retire verifications: %w", err)
	}
	return nil
}

// DeleteExpiredContactVerifications removes verifications that expired
// before cutoff and returns how many.
func (q *Q) DeleteExpiredContactVerifications(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM contact_verifications WHERE expires_at < $1`, ts(cutoff))
	if err != nil {
		return 0, fmt.Errorf("delete expired verifications: %w", err)
	}
	return res.RowsAffected()
}

// SetAccountPhone sets an account's phone number and whether it is
// verified ("" removes it).
func (q *Q) SetAccountPhone(ctx context.Context, id int64, phone string, verified bool) error {
	res, err := q.exec(ctx, `UPDATE accounts SET phone = $1, phone_verified = $2 WHERE id = $3`, phone, verified, id)
	if err != nil {
		return fmt.Errorf("set phone: %w", err)
	}
	return mustAffect(res, "account")
}

// SetAccountContactEmail sets an account's contact e-mail and whether it
// is verified ("" removes it).
func (q *Q) SetAccountContactEmail(ctx context.Context, id int64, email string, verified bool) error {
	res, err := q.exec(ctx, `UPDATE accounts SET contact_email = $1, contact_email_verified = $2 WHERE id = $3`,
		email, verified, id)
	if err != nil {
		return fmt.Errorf("set contact e-mail: %w", err)
	}
	return mustAffect(res, "account")
}
