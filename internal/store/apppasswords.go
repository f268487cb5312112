package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"varco.dev/varco"
)

// AppPassword is one app password for mail clients (SPEC §7): only its
// keyed hash is stored, and after a rotation the previous one until
// PrevValidUntil.
type AppPassword struct {
	ID               int64
	AccountID        int64
	Label            string
	KeyID            string
	Hash             []byte
	PrevKeyID        string
	PrevHash         []byte
	PrevValidUntil   time.Time
	CreatedAt        time.Time
	ExpiresAt        time.Time
	LastUsedAt       time.Time
	LastUsedIP       string
	LastUsedProtocol string
}

// MailAccess is which mail protocols an account may use.
type MailAccess struct {
	IMAP, POP3, SMTP bool
}

const appPasswordColumns = `id, account_id, label, key_id, hash, prev_key_id, prev_hash, prev_valid_until,
	created_at, expires_at, last_used_at, last_used_ip, last_used_protocol`

func scanAppPassword(row interface{ Scan(...any) error }) (*AppPassword, error) {
	var p AppPassword
	var prevUntil, created, expires, used int64
	if err := row.Scan(&p.ID, &p.AccountID, &p.Label, &p.KeyID, &p.Hash, &p.PrevKeyID, &p.PrevHash, &prevUntil,
		&created, &expires, &used, &p.LastUsedIP, &p.LastUsedProtocol); err != nil {
		return nil, err
	}
	p.PrevValidUntil, p.CreatedAt, p.ExpiresAt, p.LastUsedAt = tm(prevUntil), tm(created), tm(expires), tm(used)
	return &p, nil
}

// AppPasswords returns the account's app passwords, oldest first.
func (q *Q) AppPasswords(ctx context.Context, accountID int64) ([]AppPassword, error) {
	return queryList(ctx, q, "app passwords", scanAppPassword, `SELECT `+appPasswordColumns+` FROM app_passwords WHERE account_id = $1 ORDER BY id`, accountID)
}

// AppPasswordByID returns the account's app password id, or ENotFound.
func (q *Q) AppPasswordByID(ctx context.Context, accountID, id int64) (*AppPassword, error) {
	p, err := scanAppPassword(q.queryRow(ctx, `SELECT `+appPasswordColumns+` FROM app_passwords
		WHERE account_id = $1 AND id = $2`+q.forUpdate(), accountID, id))
	if err != nil {
		return nil, fmt.Errorf("app password: %w", notFound(err, "app password"))
	}
	return p, nil
}

// InsertAppPassword stores p and sets p.ID.
func (q *Q) InsertAppPassword(ctx context.Context, p *AppPassword) error {
	err := q.queryRow(ctx, `INSERT INTO app_passwords (account_id, label, key_id, hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		p.AccountID, p.Label, p.KeyID, p.Hash, ts(p.CreatedAt), ts(p.ExpiresAt)).Scan(&p.ID)
	if err != nil {
		return fmt.Errorf("insert app password: %w", mapError(err, "app password"))
	}
	return nil
}

// RotateAppPassword replaces p's secret with p.KeyID/p.Hash and its expiry
// with p.ExpiresAt, keeping the previous secret until p.PrevValidUntil.
// The new secret's expiry notices start over (the next jobs run looks).
func (q *Q) RotateAppPassword(ctx context.Context, p *AppPassword) error {
	res, err := q.exec(ctx, `UPDATE app_passwords SET prev_key_id = $3, prev_hash = $4, prev_valid_until = $5,
		key_id = $6, hash = $7, expires_at = $8, next_notice_at = 0 WHERE account_id = $1 AND id = $2`,
		p.AccountID, p.ID, p.PrevKeyID, p.PrevHash, ts(p.PrevValidUntil), p.KeyID, p.Hash, ts(p.ExpiresAt))
	if err != nil {
		return fmt.Errorf("rotate app password: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("rotate app password: %w", notFound(sql.ErrNoRows, "app password"))
	}
	return nil
}

// DeleteAppPassword removes the account's app password id; ENotFound when
// there is none.
func (q *Q) DeleteAppPassword(ctx context.Context, accountID, id int64) error {
	res, err := q.exec(ctx, `DELETE FROM app_passwords WHERE account_id = $1 AND id = $2`, accountID, id)
	if err != nil {
		return fmt.Errorf("delete app password: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("delete app password: %w", notFound(sql.ErrNoRows, "app password"))
	}
	return nil
}

// DeleteAppPasswords removes every app password of the account and
// returns how many there were.
func (q *Q) DeleteAppPasswords(ctx context.Context, accountID int64) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM app_passwords WHERE account_id = $1`, accountID)
	if err != nil {
		return 0, fmt.Errorf("delete app passwords: %w", err)
	}
	return res.RowsAffected()
}

// HasAppPasswords reports whether any account has an app password.
func (q *Q) HasAppPasswords(ctx context.Context) (bool, error) {
	var one int
	err := q.queryRow(ctx, `SELECT 1 FROM app_passwords LIMIT 1`).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("has app passwords: %w", err)
	}
	return true, nil
}

// TouchAppPassword records the last use of an app password.
func (q *Q) TouchAppPassword(ctx context.Context, id int64, at time.Time, ip, protocol string) error {
	if _, err := q.exec(ctx, `UPDATE app_passwords SET last_used_at = $2, last_used_ip = $3, last_used_protocol = $4
		WHERE id = $1`, id, ts(at), ip, protocol); err != nil {
		return fmt.Errorf("touch app password: %w", err)
	}
	return nil
}

// MarkMailLogin records that a mail login success of credential from ip
// over protocol is being recorded at now, unless one was recorded after
// since; it reports whether this one is to be recorded.
func (q *Q) MarkMailLogin(ctx context.Context, accountID, credential int64, ip, protocol string, now, since time.Time) (bool, error) {
	var one int
	err := q.queryRow(ctx, `INSERT INTO mail_login_marks (account_id, credential, ip, protocol, recorded_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (account_id, credential, ip, protocol) DO UPDATE SET recorded_at = excluded.recorded_at
		WHERE mail_login_marks.recorded_at <= $6
		RETURNING 1`, accountID, credential, ip, protocol, ts(now), ts(since)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mark mail login: %w", err)
	}
	return true, nil
}

// MailAccess returns the account's mail protocols; an account never set
// has all three.
func (q *Q) MailAccess(ctx context.Context, accountID int64) (MailAccess, error) {
	var m MailAccess
	err := q.queryRow(ctx, `SELECT imap, pop3, smtp FROM mail_access WHERE account_id = $1`, accountID).Scan(&m.IMAP, &m.POP3, &m.SMTP)
	if errors.Is(err, sql.ErrNoRows) {
		return MailAccess{IMAP: true, POP3: true, SMTP: true}, nil
	}
	if err != nil {
		return MailAccess{}, fmt.Errorf("mail access: %w", err)
	}
	return m, nil
}

// SetMailAccess sets the account's mail protocols.
func (q *Q) SetMailAccess(ctx context.Context, accountID int64, m MailAccess) error {
	if _, err := q.exec(ctx, `INSERT INTO mail_access (account_id, imap, pop3, smtp) VALUES ($1, $2, $3, $4)
		ON CONFLICT (account_id) DO UPDATE SET imap = excluded.imap, pop3 = excluded.pop3, smtp = excluded.smtp`,
		accountID, m.IMAP, m.POP3, m.SMTP); err != nil {
		return fmt.Errorf("set mail access: %w", err)
	}
	return nil
}

// OrgMailAccountPassword reports whether the organization lets accounts
// without 2-step verification give mail clients the account password.
func (q *Q) OrgMailAccountPassword(ctx context.Context, orgID int64) (bool, error) {
	var ok bool
	err := q.queryRow(ctx, `SELECT mail_account_password FROM orgs WHERE id = $1`, orgID).Scan(&ok)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil // no organization (support accounts): the default
	}
	if err != nil {
		return false, fmt.Errorf("org mail account password: %w", err)
	}
	return ok, nil
}

// SetOrgMailAccountPassword sets whether the organization's accounts
// without 2-step verification may give mail clients the account password.
func (q *Q) SetOrgMailAccountPassword(ctx context.Context, orgID int64, allowed bool) error {
	if _, err := q.exec(ctx, `UPDATE orgs SET mail_account_password = $2 WHERE id = $1`, orgID, allowed); err != nil {
		return fmt.Errorf("set org mail account password: %w", err)
	}
	return nil
}

// MailLoginView is everything a mail login decides on about its account,
// read in one query (SPEC §7): the throttling state of the keys asked for,
// the account, whether its organization lets it use the account password
// for mail, its plan, its mail protocols, whether 2-step verification is
// on, and its app passwords.
type MailLoginView struct {
	Throttles       map[string]Throttle // as ThrottleStates: keys without state are absent
	Account         *varco.Account
	AccountPassword bool   // the organization allows the account password for mail
	Plan            string // "" without an organization
	Access          MailAccess
	TwoFactor       bool
	AppPasswords    []AppPassword // secrets and validity only: no label, no last use
}

// MailLogin returns the MailLoginView of the account with that
// (normalized) login, with the throttling state of acctKey and ipKey, or
// ENotFound when there is no such account (ask ThrottleStates then).
func (q *Q) MailLogin(ctx context.Context, email, acctKey, ipKey string) (*MailLoginView, error) {
	rows, err := q.query(ctx, `SELECT COALESCE(ta.failures, -1), COALESCE(ta.window_start, 0), COALESCE(ta.blocked_until, 0),
		COALESCE(ti.failures, -1), COALESCE(ti.window_start, 0), COALESCE(ti.blocked_until, 0),
		`+accountColumns+`, COALESCE(o.mail_account_password, TRUE), COALESCE(o.plan, ''),
		COALESCE(m.imap, TRUE), COALESCE(m.pop3, TRUE), COALESCE(m.smtp, TRUE),
		EXISTS (SELECT 1 FROM push_devices d WHERE d.account_id = a.id),
		COALESCE(p.id, 0), COALESCE(p.key_id, ''), p.hash, COALESCE(p.prev_key_id, ''), p.prev_hash,
		COALESCE(p.prev_valid_until, 0), COALESCE(p.expires_at, 0)`+accountFrom+`
		LEFT JOIN mail_access m ON m.account_id = a.id
		LEFT JOIN app_passwords p ON p.account_id = a.id
		LEFT JOIN throttle ta ON ta.key = $2
		LEFT JOIN throttle ti ON ti.key = $3
		WHERE a.email = $1 ORDER BY p.id`, email, acctKey, ipKey)
	if err != nil {
		return nil, fmt.Errorf("mail login: %w", err)
	}
	defer rows.Close()
	var v *MailLoginView
	for rows.Next() {
		var cur MailLoginView
		var p AppPassword
		var prevUntil, expires int64
		var th [2]struct{ failures, start, blocked int64 }
		a, err := scanAccount(scanFunc(func(dest ...any) error {
			head := []any{&th[0].failures, &th[0].start, &th[0].blocked, &th[1].failures, &th[1].start, &th[1].blocked}
			return rows.Scan(append(append(head, dest...), &cur.AccountPassword, &cur.Plan, &cur.Access.IMAP, &cur.Access.POP3, &cur.Access.SMTP,
				&cur.TwoFactor, &p.ID, &p.KeyID, &p.Hash, &p.PrevKeyID, &p.PrevHash, &prevUntil, &expires)...)
		}))
		if err != nil {
			return nil, fmt.Errorf("mail login: %w", err)
		}
		if v == nil {
			cur.Account = a
			cur.Throttles = make(map[string]Throttle, 2)
			for i, k := range []string{acctKey, ipKey} {
				if th[i].failures >= 0 {
					cur.Throttles[k] = Throttle{Failures: int(th[i].failures), WindowStart: tm(th[i].start), BlockedUntil: tm(th[i].blocked)}
				}
			}
			v = &cur
		}
		if p.ID != 0 {
			p.AccountID, p.PrevValidUntil, p.ExpiresAt = a.ID, tm(prevUntil), tm(expires)
			v.AppPasswords = append(v.AppPasswords, p)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mail login: %w", err)
	}
	if v == nil {
		return nil, fmt.Errorf("mail login: %w", notFound(sql.ErrNoRows, "account"))
	}
	return v, nil
}
