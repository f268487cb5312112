package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"varco.dev/varco"
)

// auditState is shared by every Q of a DB: the keys events are sealed with.
type auditState struct {
	keys atomic.Pointer[varco.AuditKeys]
}

// SetAuditKeys sets the keys new events are sealed with. Until it is
// called, appending an event fails: the history is never written unkeyed.
func (db *DB) SetAuditKeys(k *varco.AuditKeys) { db.Q.audit.keys.Store(k) }

// AuditKeys returns the keys set with SetAuditKeys, nil before.
func (db *DB) AuditKeys() *varco.AuditKeys { return db.Q.audit.keys.Load() }

// AppendEvent adds e to the activity history at the end of its chain (see
// varco.ChainOf), sealed with the current audit key, and sets e.ID, Chain,
// ChainSeq, KeyID, PrevHash and Hash. Call it inside the transaction of the
// change it records: it holds the chain's head row until that commits, and
// only that row, so appends to other chains go on meanwhile.
func (q *Q) AppendEvent(ctx context.Context, e *varco.Event) error {
	return q.AppendEvents(ctx, []*varco.Event{e})
}

// rowsPerStatement is how many rows one multi-row statement of
// AppendEvents writes: a fixed size, so that the statement is prepared
// once, and small, because the SQLite driver looks up each parameter.
const rowsPerStatement = 16

// AppendEvents adds es to the activity history in order, as AppendEvent
// would one by one, but moving each chain's head once and writing several
// rows per statement: for the lifecycle jobs, which record thousands of
// events in a run. Heads are taken in the order of their names, so two
// transactions never wait for each other's heads in a cycle.
func (q *Q) AppendEvents(ctx context.Context, es []*varco.Event) error {
	if len(es) == 0 {
		return nil
	}
	keys := q.audit.keys.Load()
	if keys == nil || len(keys.Secrets[keys.Current]) == 0 {
		return varco.Errorf(varco.EInternal, "append event: no audit key is configured")
	}
	byChain := map[string][]*varco.Event{}
	for _, e := range es {
		repairEvent(e) // before sealing: the chain covers what is stored
		e.Chain = varco.ChainOf(e)
		byChain[e.Chain] = append(byChain[e.Chain], e)
	}
	chains := make([]string, 0, len(byChain))
	for c := range byChain {
		chains = append(chains, c)
	}
	sort.Strings(chains)

	// Take the heads: add each chain's count to its position and read the
	// link the chain ends with now (the inserted empty link for a new one).
	type head struct {
		seq  int64
		hash []byte
	}
	heads := make(map[string]head, len(chains))
	err := q.batches(ctx, len(chains), 3,
		`INSERT INTO audit_heads (chain, seq, hash) VALUES `,
		` ON CONFLICT (chain) DO UPDATE SET seq = audit_heads.seq + excluded.seq RETURNING chain, seq, hash`,
		func(i int) []any { return []any{chains[i], int64(len(byChain[chains[i]])), []byte{}} },
		func(scan func(...any) error) error {
			var c string
			var h head
			if err := scan(&c, &h.seq, &h.hash); err != nil {
				return err
			}
			heads[c] = h
			return nil
		})
	if err != nil {
		return fmt.Errorf("append events: take heads: %w", err)
	}
	for _, c := range chains {
		h, ok := heads[c]
		if !ok {
			return fmt.Errorf("append events: head of chain %s not returned", c)
		}
		seq, prev := h.seq-int64(len(byChain[c])), h.hash
		if prev == nil {
			prev = []byte{} // SQLite reads an empty blob back as nil
		}
		for _, e := range byChain[c] {
			seq++
			e.Time = e.Time.UTC().Truncate(time.Microsecond)
			e.ChainSeq, e.PrevHash = seq, prev
			keys.Seal(e)
			prev = e.Hash
		}
	}

	type position struct {
		chain string
		seq   int64
	}
	byPos := make(map[position]*varco.Event, len(es))
	for _, e := range es {
		byPos[position{e.Chain, e.ChainSeq}] = e
	}
	values := func(i int) []any {
		e := es[i]
		return []any{e.Chain, e.ChainSeq, e.KeyID, ts(e.Time), e.AccountID, e.OrgID, e.Event, e.Actor, e.ActorID,
			e.IP, e.Location, e.UserAgent, e.Application, e.Outcome, e.Detail, e.PrevHash, e.Hash, max(e.Count, 1)}
	}
	setID := func(scan func(...any) error) error {
		var id, pos int64
		var c string
		if err := scan(&id, &c, &pos); err != nil {
			return err
		}
		if e := byPos[position{c, pos}]; e != nil {
			e.ID = id
		}
		return nil
	}
	// On PostgreSQL, the head of a single chain moves in the statement
	// that inserts its last event (a sign-in's one event: two statements,
	// not three). The head row is the chain's own, taken above.
	oneChain := q.d == dialectPostgres && len(chains) == 1
	first := len(es)
	if oneChain {
		first--
	}
	err = q.batches(ctx, first, 18, insertEvents+` VALUES `, ` RETURNING seq, chain, chain_seq`, values, setID)
	if err != nil {
		return fmt.Errorf("append events: insert: %w", err)
	}
	if oneChain {
		e := es[len(es)-1]
		err = q.eachRow(ctx, `WITH h AS (UPDATE audit_heads SET hash = $17 WHERE chain = $1) `+insertEvents+
			` VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING seq, chain, chain_seq`,
			values(len(es)-1), setID)
		if err != nil {
			return fmt.Errorf("append events: insert: %w", err)
		}
		if e.ID == 0 {
			return fmt.Errorf("append events: event %d of chain %s not returned", e.ChainSeq, e.Chain)
		}
		return nil
	}

	last := func(c string) *varco.Event { l := byChain[c]; return l[len(l)-1] }
	err = q.batches(ctx, len(chains), 3,
		`INSERT INTO audit_heads (chain, seq, hash) VALUES `,
		` ON CONFLICT (chain) DO UPDATE SET hash = excluded.hash`,
		func(i int) []any { e := last(chains[i]); return []any{e.Chain, e.ChainSeq, e.Hash} },
		nil)
	if err != nil {
		return fmt.Errorf("append events: move heads: %w", err)
	}
	return nil
}

const insertEvents = `INSERT INTO audit_events (chain, chain_seq, key_id, time, account_id, org_id, event, actor, actor_id,
		ip, location, user_agent, application, outcome, detail, prev_hash, hash, occurrences)`

// batches runs prefix + VALUES rows + suffix for n rows of cols columns,
// rowsPerStatement rows a statement (single rows for the rest, so that
// only two statement shapes are ever prepared), and hands every returned
// row to each (nil: the statement returns nothing).
func (q *Q) batches(ctx context.Context, n, cols int, prefix, suffix string,
	row func(i int) []any, each func(scan func(...any) error) error) error {
	for i := 0; i < n; {
		size := rowsPerStatement
		if n-i < size {
			size = 1
		}
		var sb strings.Builder
		sb.WriteString(prefix)
		args := make([]any, 0, size*cols)
		for r := 0; r < size; r++ {
			if r > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte('(')
			for c := 1; c <= cols; c++ {
				if c > 1 {
					sb.WriteByte(',')
				}
				q.placeholder(&sb, r*cols+c)
			}
			sb.WriteByte(')')
			args = append(args, row(i+r)...)
		}
		sb.WriteString(suffix)
		if each == nil {
			if _, err := q.exec(ctx, sb.String(), args...); err != nil {
				return err
			}
		} else if err := q.eachRow(ctx, sb.String(), args, each); err != nil {
			return err
		}
		i += size
	}
	return nil
}

func (q *Q) eachRow(ctx context.Context, query string, args []any, each func(scan func(...any) error) error) error {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

const eventColumns = `seq, chain, chain_seq, key_id, time, account_id, org_id, event, actor, actor_id, ip, location,
	user_agent, application, outcome, detail, prev_hash, hash, occurrences`

func scanEvent(row interface{ Scan(...any) error }) (*varco.Event, error) {
	var e varco.Event
	var t int64
	err := row.Scan(&e.ID, &e.Chain, &e.ChainSeq, &e.KeyID, &t, &e.AccountID, &e.OrgID, &e.Event, &e.Actor,
		&e.ActorID, &e.IP, &e.Location, &e.UserAgent, &e.Application, &e.Outcome, &e.Detail, &e.PrevHash, &e.Hash, &e.Count)
	if err != nil {
		return nil, err
	}
	if e.PrevHash == nil {
		e.PrevHash = []byte{}
	}
	e.Time = tm(t)
	return &e, nil
}

// EventFilter narrows ListEvents. Zero values mean "any".
type EventFilter struct {
	AccountID int64
	OrgID     int64
	Types     []string
	Since     time.Time // inclusive
	Until     time.Time // exclusive
	Before    int64     // cursor: only events with a smaller id
	Limit     int       // default 50, at most 1000
}

// ListEvents returns events matching f, newest first.
func (q *Q) ListEvents(ctx context.Context, f EventFilter) ([]*varco.Event, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 50
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if f.AccountID != 0 {
		add("account_id = ?", f.AccountID)
	}
	if f.OrgID != 0 {
		add("org_id = ?", f.OrgID)
	}
	if len(f.Types) > 0 {
		var ph []string
		for _, t := range f.Types {
			args = append(args, t)
			ph = append(ph, fmt.Sprintf("$%d", len(args)))
		}
		where = append(where, "event IN ("+strings.Join(ph, ", ")+")")
	}
	if !f.Since.IsZero() {
		add("time >= ?", ts(f.Since))
	}
	if !f.Until.IsZero() {
		add("time < ?", ts(f.Until))
	}
	if f.Before > 0 {
		add("seq < ?", f.Before)
	}
	query := `SELECT ` + eventColumns + ` FROM audit_events`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	query += fmt.Sprintf(" ORDER BY seq DESC LIMIT $%d", len(args))
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []*varco.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ChainEvents calls fn with every event of chain (every chain when chain
// is ""), ordered by chain and position, streaming: verification reads a
// history of millions of events this way in constant memory.
func (q *Q) ChainEvents(ctx context.Context, chain string, fn func(*varco.Event) error) error {
	query := `SELECT ` + eventColumns + ` FROM audit_events ORDER BY chain, chain_seq`
	var args []any
	if chain != "" {
		query = `SELECT ` + eventColumns + ` FROM audit_events WHERE chain = $1 ORDER BY chain_seq`
		args = []any{chain}
	}
	rows, err := q.q.QueryContext(ctx, query, args...) // not cached: run rarely, read long
	if err != nil {
		return fmt.Errorf("read chains: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return fmt.Errorf("read chains: %w", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read chains: %w", err)
	}
	return nil
}

// ChainHead is where a chain of the activity history ends.
type ChainHead struct {
	Chain string
	Seq   int64
	Hash  []byte
}

// ChainHeads returns the head rows of every chain (chain ""), or of one.
func (q *Q) ChainHeads(ctx context.Context, chain string) ([]ChainHead, error) {
	if chain != "" {
		return q.chainHeads(ctx, `SELECT chain, seq, hash FROM audit_heads WHERE chain = $1`, chain)
	}
	return q.chainHeads(ctx, `SELECT chain, seq, hash FROM audit_heads`)
}

// UnanchoredHeads returns at most limit heads of the chains that changed
// since a checkpoint last anchored them.
func (q *Q) UnanchoredHeads(ctx context.Context, limit int) ([]ChainHead, error) {
	return q.chainHeads(ctx, `SELECT chain, seq, hash FROM audit_heads WHERE anchored_seq <> seq ORDER BY chain LIMIT $1`, limit)
}

func (q *Q) chainHeads(ctx context.Context, query string, args ...any) ([]ChainHead, error) {
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read chain heads: %w", err)
	}
	defer rows.Close()
	var out []ChainHead
	for rows.Next() {
		var h ChainHead
		if err := rows.Scan(&h.Chain, &h.Seq, &h.Hash); err != nil {
			return nil, fmt.Errorf("read chain heads: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// Checkpoint is a signed checkpoint as the database keeps a copy of it.
type Checkpoint struct {
	N         int64
	Time      time.Time
	Body      []byte
	Signature []byte
}

// LatestCheckpoint returns the newest checkpoint, or ENotFound.
func (q *Q) LatestCheckpoint(ctx context.Context) (*Checkpoint, error) {
	var c Checkpoint
	var t int64
	err := q.queryRow(ctx, `SELECT n, time, body, signature FROM audit_checkpoints ORDER BY n DESC LIMIT 1`).
		Scan(&c.N, &t, &c.Body, &c.Signature)
	if err != nil {
		return nil, notFound(err, "checkpoint")
	}
	c.Time = tm(t)
	return &c, nil
}

// Checkpoints calls fn with every checkpoint, newest first, until fn
// returns ErrStop (which ends it without an error) or another error.
func (q *Q) Checkpoints(ctx context.Context, fn func(*Checkpoint) error) error {
	rows, err := q.q.QueryContext(ctx, `SELECT n, time, body, signature FROM audit_checkpoints ORDER BY n DESC`)
	if err != nil {
		return fmt.Errorf("read checkpoints: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c Checkpoint
		var t int64
		if err := rows.Scan(&c.N, &t, &c.Body, &c.Signature); err != nil {
			return fmt.Errorf("read checkpoints: %w", err)
		}
		c.Time = tm(t)
		if err := fn(&c); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
	return rows.Err()
}

// ErrStop ends an iteration early without an error.
var ErrStop = errors.New("stop")

// InsertCheckpoint records c and marks the heads it anchors; the
// checkpoint's number is its primary key, so two processes writing one at
// once cannot both succeed (EConflict). Call it inside a transaction.
func (q *Q) InsertCheckpoint(ctx context.Context, c *Checkpoint, anchored []ChainHead) error {
	_, err := q.exec(ctx, `INSERT INTO audit_checkpoints (n, time, body, signature) VALUES ($1, $2, $3, $4)`,
		c.N, ts(c.Time), c.Body, c.Signature)
	if err != nil {
		return fmt.Errorf("insert checkpoint: %w", mapError(err, "checkpoint"))
	}
	for _, h := range anchored {
		if _, err := q.exec(ctx, `UPDATE audit_heads SET anchored_seq = $2 WHERE chain = $1 AND anchored_seq < $2`,
			h.Chain, h.Seq); err != nil {
			return fmt.Errorf("insert checkpoint: mark %s anchored: %w", h.Chain, err)
		}
	}
	return nil
}

// HasSealedEvents reports whether any event was sealed with an audit key.
func (q *Q) HasSealedEvents(ctx context.Context) (bool, error) {
	var n int
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM audit_events WHERE key_id <> '' LIMIT 1) AS s`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for sealed events: %w", err)
	}
	return n > 0, nil
}
