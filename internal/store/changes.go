package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// ChangesChannel is the PostgreSQL notification channel on which the
// triggers of migration 0021 announce every change to sessions, accounts
// and organizations, from any process: the rows a session's lookup reads;
// those of 0022 every change to app passwords, mail protocols,
// authenticator devices and mail logins' throttling: the rest of what a
// mail login reads (Q.MailLogin).
const ChangesChannel = "varco_changes"

// ChangesListenerName is the application_name of the connection that
// listens on ChangesChannel (ListenChanges).
const ChangesListenerName = "varco-changes-listener"

// changes is what ChangeVersion reads. One per DB, shared by its Qs.
type changes struct {
	// SQLite: the header of the WAL index, mapped while conn is open
	// (nil before, or when it could not be read: walFailed); and a
	// connection of its own whose PRAGMA data_version moves with every
	// commit of any other connection, in this process or not, asked when
	// the header cannot be read. Open, conn also keeps the WAL index file
	// from being deleted. epoch counts the connections it had: a new
	// connection's data_version is unrelated to the old one's.
	path      string
	wal       atomic.Pointer[walIndex]
	walFailed bool
	mu        sync.Mutex
	sqlDB     *sql.DB
	conn      *sql.Conn
	stmt      driver.Stmt // prepared on conn's driver connection
	dest      []driver.Value
	epoch     uint64

	// PostgreSQL: moved after each write this process commits (Q.changed)
	// and at each notification on ChangesChannel; listening is true while
	// the listener is connected.
	gen       atomic.Uint64
	listening atomic.Bool
}

// ChangeVersion returns a number that changes whenever a session, an
// account or an organization may have changed — by this process or by any
// other on the same database — and true; or false when the process cannot
// tell now, and then nothing read before may be trusted as current. A
// caller that reads the version first, then the rows, may keep those rows
// for as long as the version it read is still the one ChangeVersion
// returns. auth's session cache and apppassword's mail login cache are
// built on it.
//
// On SQLite it reads the header of the WAL index, which every commit of
// every connection rewrites (the CLI is another process), and asks PRAGMA
// data_version on a connection kept for it while that header cannot be
// read (not mapped yet, or a writer is rewriting it). On PostgreSQL it
// costs nothing: a counter moved after every write this process commits
// and at every notification of the triggers of migration 0021, which
// every process's writes fire; false while ListenChanges is not
// connected (and in processes that do not run it).
func (db *DB) ChangeVersion(ctx context.Context) (uint64, bool) {
	c := db.changes
	if db.d == dialectPostgres {
		if !c.listening.Load() {
			return 0, false
		}
		return c.gen.Load(), true
	}
	if w := c.wal.Load(); w != nil {
		if v, ok := w.version(); ok {
			return v, true
		}
	}
	// Not under the caller's deadline: an interrupted query would only
	// cost the next caller a new connection.
	ctx = context.WithoutCancel(ctx)
	db.Q.count()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		conn, err := c.sqlDB.Conn(ctx)
		if err != nil {
			return 0, false
		}
		c.conn, c.dest = conn, make([]driver.Value, 1)
		c.epoch++
	}
	// On the driver's connection directly: through database/sql's Stmt
	// and Row this pragma cost more than the rest of the lookup.
	var v int64
	err := c.conn.Raw(func(dc any) error {
		if c.stmt == nil {
			p, ok := dc.(driver.ConnPrepareContext)
			if !ok {
				return errors.New("data_version: the driver cannot prepare")
			}
			st, err := p.PrepareContext(ctx, `PRAGMA data_version`)
			if err != nil {
				return err
			}
			c.stmt = st
		}
		q, ok := c.stmt.(driver.StmtQueryContext)
		if !ok {
			return errors.New("data_version: the driver cannot query")
		}
		rows, err := q.QueryContext(ctx, nil)
		if err != nil {
			return err
		}
		err = rows.Next(c.dest)
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		n, ok := c.dest[0].(int64)
		if !ok {
			return fmt.Errorf("data_version: %T", c.dest[0])
		}
		v = n
		return nil
	})
	if err != nil {
		c.dropLocked()
		return 0, false
	}
	if c.wal.Load() == nil && !c.walFailed {
		// conn has read: the WAL index exists, and stays while conn is open.
		w, err := openWALIndex(c.path)
		c.walFailed = err != nil
		c.wal.Store(w)
		if err == nil {
			if v, ok := w.version(); ok {
				return v, true // as the next callers will read it
			}
		}
	}
	return c.epoch<<40 | uint64(v)&(1<<40-1), true
}

func (c *changes) dropLocked() {
	// The WAL index is read only while conn keeps it: mapped again with
	// the next connection.
	c.wal.Store(nil)
	c.walFailed = false
	if c.conn == nil {
		return
	}
	if c.stmt != nil {
		st := c.stmt
		_ = c.conn.Raw(func(any) error { return st.Close() })
	}
	// Closing a Conn returns it to its pool (of one): a connection that
	// failed is marked bad by database/sql and not reused; for one that did
	// not, the next caller starts a new epoch anyway.
	_ = c.conn.Close()
	c.stmt, c.conn = nil, nil
}

func (c *changes) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked()
	if c.sqlDB != nil {
		_ = c.sqlDB.Close()
	}
}

// changed notes, on PostgreSQL, that this process has just committed a
// write: ChangeVersion moves at once, without waiting for the
// notification of the write's trigger to come back.
func (q *Q) changed() {
	if q.changes != nil {
		q.changes.gen.Add(1)
	}
}

// ListenChanges keeps, on PostgreSQL, ChangeVersion in step with the other
// processes' writes until ctx ends: it listens on ChangesChannel on a
// connection of its own, moves the version at each notification, and
// while that connection is down (a notification sent then is lost)
// ChangeVersion answers false, so that nothing cached is trusted. It
// reconnects as ListenPush does. On SQLite it returns at once: there
// ChangeVersion needs no listener.
func (db *DB) ListenChanges(ctx context.Context, o ListenOptions) {
	if db.d != dialectPostgres {
		return
	}
	c := db.changes
	defer c.listening.Store(false)
	listening := o.Listening
	o.Listening = func() {
		// Everything read before the connection was up may have changed
		// unseen: a new version, then trust it.
		c.gen.Add(1)
		c.listening.Store(true)
		if listening != nil {
			listening()
		}
	}
	db.listenLoop(ctx, ChangesChannel, ChangesListenerName, "changes listener", func(string) { c.gen.Add(1) },
		func() { c.listening.Store(false); c.gen.Add(1) }, o)
}
