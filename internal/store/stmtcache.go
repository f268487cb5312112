package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
)

// maxCachedStmts bounds the cache: queries built from filters (ListEvents)
// come in many shapes, and past this many they are simply not cached.
const maxCachedStmts = 256

// stmtCache keeps one prepared statement per query text for a pool. SQLite
// spends most of a point query parsing its SQL, so preparing once matters:
// it more than doubles GET /api/v1/me. database/sql re-prepares a Stmt on
// each connection the first time it is used there.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt)}
}

// get returns the prepared statement for query, or nil when it cannot be
// prepared or cached (the caller then runs the query unprepared).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	st := c.m[query]
	c.mu.RUnlock()
	if st != nil {
		return st
	}
	c.mu.RLock()
	full := len(c.m) >= maxCachedStmts
	c.mu.RUnlock()
	if full {
		return nil
	}
	// Prepare without holding the lock: on SQLite it may wait for the
	// writer connection, whose transaction may itself need lookup. That
	// wait is bounded by the caller's deadline (a sign-in's, say); a
	// statement not prepared in time runs unprepared, under the same ctx.
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	prev := c.m[query]
	if prev == nil {
		c.m[query] = st
	}
	c.mu.Unlock()
	if prev != nil {
		// Lost a race to prepare it. Close outside the lock: closing waits
		// for every connection the statement was used on, and one may be
		// a transaction that needs lookup — holding the lock here would
		// deadlock with it.
		_ = st.Close()
		return prev
	}
	return st
}

func (c *stmtCache) lookup(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[query]
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	old := c.m
	c.m = make(map[string]*sql.Stmt)
	c.mu.Unlock()
	for _, st := range old {
		_ = st.Close() // outside the lock, as in get
	}
}

// stmt returns the cached statement for query, bound to this Q's
// transaction if any. Inside a transaction it never prepares: on SQLite the
// pool's only writer connection is the transaction's, and preparing on the
// pool would wait for it forever. It notes the query instead, for InTx to
// prepare once the transaction has ended, so that the next transaction
// running it (a batch of the lifecycle jobs, say) finds it prepared.
func (q *Q) stmt(ctx context.Context, query string) *sql.Stmt {
	if q.tx == nil {
		return q.stmts.get(ctx, query)
	}
	if st := q.stmts.lookup(query); st != nil {
		return q.tx.StmtContext(ctx, st)
	}
	if q.missed != nil && !slices.Contains(*q.missed, query) {
		*q.missed = append(*q.missed, query)
	}
	return nil
}

func (q *Q) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	q.count()
	if q.changes != nil {
		// A write's row comes back before its statement ends; the
		// trigger's notification moves the version again after it.
		defer q.changed()
	}
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return q.q.QueryRowContext(ctx, query, args...)
}

func (q *Q) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q.count()
	if q.changes != nil {
		defer q.changed()
	}
	if st := q.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return q.q.QueryContext(ctx, query, args...)
}

func (q *Q) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	q.count()
	if q.changes != nil {
		defer q.changed()
	}
	if st := q.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return q.q.ExecContext(ctx, query, args...)
}

// count counts one statement (DB.Statements).
func (q *Q) count() {
	if q.statements != nil {
		q.statements.Add(1)
	}
}

// queryList runs query and reads every row with scan; what names the list
// in errors.
func queryList[T any](ctx context.Context, q *Q, what string, scan func(interface{ Scan(...any) error }) (*T, error), query string, args ...any) ([]T, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, *v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}
