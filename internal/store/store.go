// Package store keeps varco's state in SQLite (default) or PostgreSQL behind
// one set of portable queries. It stores and enforces atomicity; it makes no
// security decisions.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"varco.dev/varco"
)

//go:embed migrations
var migrationFS embed.FS

type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Q runs queries on a connection pool or inside a transaction. Every store
// method is defined on Q, so the same method serves both.
type Q struct {
	q     querier
	d     dialect
	stmts *stmtCache // statements prepared on the pool Q belongs to
	tx    *sql.Tx    // set inside a transaction
	// missed collects, inside a transaction from InTx, the queries that
	// were not prepared yet (see stmt).
	missed *[]string
	// after collects, inside a transaction from InTx, what runs once it
	// has committed (AfterCommit).
	after *[]func()
	audit *auditState // shared by every Q of one DB
	// changes is set on PostgreSQL's writing Q outside a transaction: each
	// statement it runs moves ChangeVersion once done (see changed).
	changes *changes
	// statements counts what every Q of one DB sends (Statements).
	statements *atomic.Int64
}

// DB is an open database. Its embedded Q writes (on SQLite, through the single
// writer connection); Reader returns a Q for concurrent reads.
type DB struct {
	*Q
	write  *sql.DB
	read   *sql.DB
	reader *Q
	d      dialect
	url    string // PostgreSQL: for the listener's own connection (ListenPush)
	// changes is what ChangeVersion reads.
	changes *changes
}

// Statements returns how many statements this DB has sent to the database
// since it was opened, BEGIN and COMMIT included: each is a round trip on
// PostgreSQL. Tests count the statements of a request with it, so that a
// request that starts costing more round trips fails a test.
func (db *DB) Statements() int64 { return db.Q.statements.Load() }

// Open connects to the database named by url: "postgres://…" or
// "postgresql://…" for PostgreSQL, anything else is a SQLite file path
// (optionally "sqlite://path" or "file:path"). It does not migrate.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	if strings.HasPrefix(rawURL, "postgres://") || strings.HasPrefix(rawURL, "postgresql://") {
		return openPostgres(ctx, rawURL)
	}
	return openSQLite(ctx, rawURL)
}

func openPostgres(ctx context.Context, rawURL string) (*DB, error) {
	pool, err := sql.Open("pgx", rawURL)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pool.SetMaxOpenConns(max(8, 4*runtime.GOMAXPROCS(0)))
	pool.SetMaxIdleConns(max(8, 4*runtime.GOMAXPROCS(0)))
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	ch, count := &changes{}, &atomic.Int64{}
	stmts, audit := newStmtCache(pool), &auditState{}
	// Two Qs on the one pool: writes through the first move ChangeVersion,
	// reads through Reader do not.
	q := &Q{q: pool, d: dialectPostgres, stmts: stmts, audit: audit, changes: ch, statements: count}
	r := &Q{q: pool, d: dialectPostgres, stmts: stmts, audit: audit, statements: count}
	return &DB{Q: q, write: pool, read: pool, reader: r, d: dialectPostgres, url: rawURL, changes: ch}, nil
}

func openSQLite(ctx context.Context, rawURL string) (*DB, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(rawURL, "sqlite://"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		return nil, errors.New("open sqlite: empty path")
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	// One writer connection: SQLite allows one writer at a time, and taking
	// the write lock at BEGIN avoids deadlocks between upgrading readers.
	w, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite reader: %w", err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	// ChangeVersion's own connection, outside the readers' pool.
	v, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open sqlite reader: %w", err)
	}
	v.SetMaxOpenConns(1)
	v.SetMaxIdleConns(1)
	v.SetConnMaxLifetime(0)
	audit, count := &auditState{}, &atomic.Int64{}
	return &DB{
		Q:       &Q{q: w, d: dialectSQLite, stmts: newStmtCache(w), audit: audit, statements: count},
		write:   w,
		read:    r,
		reader:  &Q{q: r, d: dialectSQLite, stmts: newStmtCache(r), audit: audit, statements: count},
		d:       dialectSQLite,
		changes: &changes{sqlDB: v, path: path},
	}, nil
}

// Engine names the database engine: "sqlite" or "postgres".
func (db *DB) Engine() string { return db.d.String() }

// Reader returns a Q for reads that may run concurrently with writes.
func (db *DB) Reader() *Q { return db.reader }

// Close closes every connection.
func (db *DB) Close() error {
	db.Q.stmts.close()
	if db.reader.stmts != db.Q.stmts {
		db.reader.stmts.close()
	}
	db.changes.close()
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", db.d, err)
	}
	return nil
}

// InTx runs fn in one transaction, committing when fn returns nil and rolling
// back otherwise. Security events and outbox messages written through q
// commit or vanish together with the change that caused them.
func (db *DB) InTx(ctx context.Context, fn func(q *Q) error) error {
	db.Q.statements.Add(1)
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	var missed []string
	var after []func()
	if err := fn(&Q{q: tx, d: db.d, stmts: db.Q.stmts, tx: tx, missed: &missed, after: &after, audit: db.Q.audit,
		statements: db.Q.statements}); err != nil {
		db.Q.statements.Add(1)
		_ = tx.Rollback()
		return err
	}
	db.Q.statements.Add(1)
	err = tx.Commit()
	// Even a failed commit may have committed (the answer was lost).
	db.Q.changed()
	if err != nil {
		return fmt.Errorf("commit: %w", mapError(err, "record"))
	}
	for _, query := range missed {
		db.Q.stmts.get(ctx, query)
	}
	for _, f := range after {
		f()
	}
	return nil
}

// AfterCommit runs f once the transaction q belongs to has committed, and
// never if it rolls back; outside a transaction (each statement commits by
// itself) it runs f at once. The outbox uses it to wake its worker only for
// messages that exist.
func (q *Q) AfterCommit(f func()) {
	if q.after == nil {
		f()
		return
	}
	*q.after = append(*q.after, f)
}

type migration struct {
	version int
	name    string
	sql     string
}

func (db *DB) migrations() ([]migration, error) {
	dir := "migrations/" + db.d.String()
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", name)
		}
		b, err := fs.ReadFile(migrationFS, dir+"/"+name)
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		ms = append(ms, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// advisoryLockKey is the PostgreSQL advisory lock that serializes
// migrations when several varco processes start at once.
const advisoryLockKey = 0x7661_7263_6f // "varco"

// Migrate applies every migration not applied yet, each in its own
// transaction. It returns the versions it applied.
func (db *DB) Migrate(ctx context.Context) ([]int, error) { return db.MigrateTo(ctx, math.MaxInt) }

// MigrateTo applies the migrations not applied yet up to version last: for
// tests of an upgrade from an older schema.
func (db *DB) MigrateTo(ctx context.Context, last int) ([]int, error) {
	ms, err := db.migrations()
	if err != nil {
		return nil, err
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if db.d == dialectPostgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, advisoryLockKey); err != nil {
			return nil, fmt.Errorf("migrate: take lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, advisoryLockKey) //nolint:errcheck
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	var applied []int
	for _, m := range ms {
		if m.version > last {
			break
		}
		var n int
		if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&n); err != nil {
			return applied, fmt.Errorf("migrate: check %s: %w", m.name, err)
		}
		if n > 0 {
			continue
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return applied, fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			_ = tx.Rollback()
			return applied, fmt.Errorf("migrate %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.version, m.name, time.Now().UnixMicro()); err != nil {
			_ = tx.Rollback()
			return applied, fmt.Errorf("migrate %s: record: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return applied, fmt.Errorf("migrate %s: commit: %w", m.name, err)
		}
		applied = append(applied, m.version)
	}
	return applied, nil
}

// MigrationsPending reports how many embedded migrations are not applied;
// /readyz answers 503 while it is not zero.
func (db *DB) MigrationsPending(ctx context.Context) (int, error) {
	ms, err := db.migrations()
	if err != nil {
		return 0, err
	}
	var latest int
	err = db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&latest)
	if err != nil {
		return len(ms), fmt.Errorf("read schema version: %w", err)
	}
	pending := 0
	for _, m := range ms {
		if m.version > latest {
			pending++
		}
	}
	return pending, nil
}

// notFound turns sql.ErrNoRows into a domain ENotFound error.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return varco.Errorf(varco.ENotFound, "%s not found", what)
	}
	return err
}

// ts converts a time to the stored form: Unix microseconds, 0 for zero.
func ts(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// tm converts a stored time back; 0 is the zero time.
func tm(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}
