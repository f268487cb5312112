package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"varco.dev/varco"
)

// ImportAccount is one validated account for ImportAccounts: the importer
// (internal/importer) has normalized and checked every field, and
// PasswordHash is a supported legacy hash or our argon2id, stored as is.
type ImportAccount struct {
	OrgID        int64
	Email        string
	DisplayName  string
	Phone        string // E.164 or ""
	ContactEmail string // or ""
	Lang         string
	PasswordHash string
}

// MaxImportBatch bounds one ImportAccounts call: 14 parameters a row stays
// under SQLite's and PostgreSQL's parameter limits.
const MaxImportBatch = 2000

// ImportAccounts inserts a batch of accounts in one transaction (its own,
// or the caller's when q is inside DB.InTx). An e-mail that already exists
// is skipped, not overwritten, so re-running an import is idempotent:
// created counts the new accounts, skipped the ones already there (also a
// repeated e-mail inside the batch).
//
// Imported accounts are active users; their password counts its age from
// the import (password_changed_at = now), since the source's change date is
// unknown; a phone or contact e-mail counts as verified, as when an
// administrator sets it (SPEC §9a). Each new account gets its password
// history row. The activity history gets one account_created event per
// batch (actor system, detail "imported N accounts"), not one per account:
// a million appends to the hash chain would dominate the import's time.
func (q *Q) ImportAccounts(ctx context.Context, batch []ImportAccount, now time.Time) (created, skipped int, err error) {
	if len(batch) == 0 {
		return 0, 0, nil
	}
	if len(batch) > MaxImportBatch {
		return 0, 0, fmt.Errorf("import accounts: batch of %d, at most %d", len(batch), MaxImportBatch)
	}
	if q.tx == nil {
		pool, ok := q.q.(*sql.DB)
		if !ok {
			return 0, 0, errors.New("import accounts: not a pool or a transaction")
		}
		tx, err := pool.BeginTx(ctx, nil)
		if err != nil {
			return 0, 0, fmt.Errorf("import accounts: begin: %w", err)
		}
		created, skipped, err = (&Q{q: tx, d: q.d, stmts: q.stmts, tx: tx, audit: q.audit, statements: q.statements}).ImportAccounts(ctx, batch, now)
		if err != nil {
			_ = tx.Rollback()
			return 0, 0, err
		}
		if err := tx.Commit(); err != nil {
			return 0, 0, fmt.Errorf("import accounts: commit: %w", mapError(err, "account"))
		}
		return created, skipped, nil
	}

	at := ts(now)
	var sb strings.Builder
	sb.WriteString(`INSERT INTO accounts (org_id, email, contact_email, contact_email_verified,
		phone, phone_verified, display_name, lang, role, status, password_hash, password_changed_at,
		must_change_password, created_at) VALUES `)
	args := make([]any, 0, len(batch)*14)
	byEmail := make(map[string]string, len(batch))
	for i, a := range batch {
		if i > 0 {
			sb.WriteByte(',')
		}
		n := len(args)
		sb.WriteByte('(')
		for j := 1; j <= 14; j++ {
			if j > 1 {
				sb.WriteByte(',')
			}
			q.placeholder(&sb, n+j)
		}
		sb.WriteByte(')')
		args = append(args, nullID(a.OrgID), a.Email, a.ContactEmail, a.ContactEmail != "",
			a.Phone, a.Phone != "", a.DisplayName, a.Lang, varco.RoleUser, varco.StatusActive,
			a.PasswordHash, at, false, at)
		if _, dup := byEmail[a.Email]; !dup {
			byEmail[a.Email] = a.PasswordHash
		}
	}
	sb.WriteString(` ON CONFLICT (email) DO NOTHING RETURNING id, email`)
	// Unprepared: batch sizes vary, and the statement cache is for fixed queries.
	rows, err := q.q.QueryContext(ctx, sb.String(), args...)
	if err != nil {
		return 0, 0, fmt.Errorf("import accounts: %w", mapError(err, "account"))
	}
	type inserted struct {
		id   int64
		hash string
	}
	var ins []inserted
	for rows.Next() {
		var id int64
		var email string
		if err := rows.Scan(&id, &email); err != nil {
			rows.Close()
			return 0, 0, fmt.Errorf("import accounts: %w", err)
		}
		ins = append(ins, inserted{id, byEmail[email]})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("import accounts: %w", err)
	}
	if len(ins) > 0 {
		sb.Reset()
		sb.WriteString(`INSERT INTO password_history (account_id, hash, created_at) VALUES `)
		args = args[:0]
		for i, r := range ins {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte('(')
			q.placeholder(&sb, 3*i+1)
			sb.WriteByte(',')
			q.placeholder(&sb, 3*i+2)
			sb.WriteByte(',')
			q.placeholder(&sb, 3*i+3)
			sb.WriteByte(')')
			args = append(args, r.id, r.hash, at)
		}
		if _, err := q.q.ExecContext(ctx, sb.String(), args...); err != nil {
			return 0, 0, fmt.Errorf("import accounts: password history: %w", err)
		}
		var org int64
		for i, a := range batch {
			if i == 0 {
				org = a.OrgID
			} else if a.OrgID != org {
				org = 0
				break
			}
		}
		ev := &varco.Event{Time: now, OrgID: org, Event: varco.EventAccountCreated, Actor: varco.ActorSystem,
			Outcome: varco.OutcomeSuccess, Detail: fmt.Sprintf("imported %d accounts", len(ins))}
		if err := q.AppendEvent(ctx, ev); err != nil {
			return 0, 0, fmt.Errorf("import accounts: %w", err)
		}
	}
	return len(ins), len(batch) - len(ins), nil
}

// ExistingEmails returns which of emails already have an account (for a
// dry run's "would skip" count).
func (q *Q) ExistingEmails(ctx context.Context, emails []string) (map[string]bool, error) {
	out := make(map[string]bool)
	if len(emails) == 0 {
		return out, nil
	}
	query, args := q.inList(`SELECT email FROM accounts WHERE email`, emails)
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("existing emails: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, fmt.Errorf("existing emails: %w", err)
		}
		out[e] = true
	}
	return out, rows.Err()
}

// placeholder writes parameter n: "$n" on PostgreSQL, "?" on SQLite, whose
// lookup of named parameters ("$n") is linear per parameter, quadratic in a
// statement with thousands of them (most of an import's time).
func (q *Q) placeholder(sb *strings.Builder, n int) {
	if q.d == dialectSQLite {
		sb.WriteByte('?')
		return
	}
	sb.WriteByte('$')
	sb.WriteString(strconv.Itoa(n))
}

// inList returns head followed by " IN (…)" with one parameter for each of
// vals, and vals as the statement's arguments.
func (q *Q) inList(head string, vals []string) (string, []any) {
	var sb strings.Builder
	sb.WriteString(head)
	sb.WriteString(" IN (")
	args := make([]any, len(vals))
	for i, v := range vals {
		if i > 0 {
			sb.WriteByte(',')
		}
		q.placeholder(&sb, i+1)
		args[i] = v
	}
	sb.WriteByte(')')
	return sb.String(), args
}
