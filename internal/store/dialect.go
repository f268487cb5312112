package store

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"varco.dev/varco"
)

// dialect is the only engine-specific code: everything else is portable SQL
// with $N placeholders, ON CONFLICT and RETURNING.
type dialect int

const (
	dialectSQLite dialect = iota + 1
	dialectPostgres
)

func (d dialect) String() string {
	if d == dialectPostgres {
		return "postgres"
	}
	return "sqlite"
}

// skipLocked is appended to a claim subquery so that concurrent workers on
// PostgreSQL skip rows another one holds. SQLite has a single writer, so the
// claim is already exclusive there.
func (d dialect) skipLocked() string {
	if d == dialectPostgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// forShare is appended to a SELECT of a row that a transaction relies on
// not changing until it commits. SQLite serializes write transactions, so
// the row cannot change there anyway.
func (d dialect) forShare() string {
	if d == dialectPostgres {
		return " FOR SHARE"
	}
	return ""
}

// mapError translates driver errors into domain errors: a unique violation
// becomes EConflict; everything else is returned unchanged.
func mapError(err error, what string) error {
	if err == nil {
		return nil
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23505" {
		return varco.Errorf(varco.EConflict, "%s already exists", what)
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return varco.Errorf(varco.EConflict, "%s already exists", what)
		}
	}
	if strings.Contains(err.Error(), "UNIQUE constraint failed") {
		return varco.Errorf(varco.EConflict, "%s already exists", what)
	}
	return err
}

// forUpdate is appended to a SELECT that must lock its row until the
// transaction ends, on PostgreSQL. On SQLite a write transaction already
// holds the single writer lock (transactions begin IMMEDIATE).
func (q *Q) forUpdate() string {
	if q.d == dialectPostgres && q.tx != nil {
		return " FOR UPDATE"
	}
	return ""
}
