package store

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"varco.dev/varco"
)

// AppendEvent adds e to the activity history, chained to the entry before
// it, and sets e.ID, PrevHash and Hash. Call it inside the transaction of
// the change it records. Updating the single audit_head row first
// serializes concurrent appends on both engines.
func (q *Q) AppendEvent(ctx context.Context, e *varco.Event) error {
	var seq int64
	var prev []byte
	err := q.queryRow(ctx, `UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash`).Scan(&seq, &prev)
	if err != nil {
		return fmt.Errorf("append event: advance head: %w", err)
	}
	if prev == nil {
		prev = []byte{} // SQLite reads an empty blob back as nil; store it as empty, not NULL
	}
	repairEvent(e)
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	e.ID, e.PrevHash = seq, prev
	e.Hash = e.ChainHash(seq, prev)
	_, err = q.exec(ctx, `INSERT INTO audit_events (seq, time, account_id, org_id, event, actor, actor_id,
		ip, location, user_agent, application, outcome, detail, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		seq, ts(e.Time), e.AccountID, e.OrgID, e.Event, e.Actor, e.ActorID, e.IP, e.Location, e.UserAgent,
		e.Application, e.Outcome, e.Detail, e.PrevHash, e.Hash)
	if err != nil {
		return fmt.Errorf("append event: insert: %w", err)
	}
	if _, err := q.exec(ctx, `UPDATE audit_head SET hash = $1 WHERE id = 1`, e.Hash); err != nil {
		return fmt.Errorf("append event: move head: %w", err)
	}
	return nil
}

// eventsPerInsert is how many events one INSERT of AppendEvents writes:
// a fixed size, so that the statement is prepared once, and small, because
// the SQLite driver looks up each of a statement's parameters by name.
const eventsPerInsert = 16

// AppendEvents adds es to the activity history in order, as AppendEvent
// would one by one, but advancing the chain's head once and inserting
// several events per statement: for the lifecycle jobs, which record
// thousands in a run. Call it inside the transaction of the change.
func (q *Q) AppendEvents(ctx context.Context, es []*varco.Event) error {
	if len(es) == 0 {
		return nil
	}
	var last int64
	var prev []byte
	err := q.queryRow(ctx, `UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash`, len(es)).Scan(&last, &prev)
	if err != nil {
		return fmt.Errorf("append events: advance head: %w", err)
	}
	if prev == nil {
		prev = []byte{}
	}
	seq := last - int64(len(es))
	for _, e := range es {
		seq++
		repairEvent(e)
		e.Time = e.Time.UTC().Truncate(time.Microsecond)
		e.ID, e.PrevHash = seq, prev
		e.Hash = e.ChainHash(seq, prev)
		prev = e.Hash
	}
	for rest := es; len(rest) > 0; {
		n := eventsPerInsert
		if len(rest) < n {
			n = 1
		}
		var sb strings.Builder
		sb.WriteString(`INSERT INTO audit_events (seq, time, account_id, org_id, event, actor, actor_id,
		ip, location, user_agent, application, outcome, detail, prev_hash, hash) VALUES `)
		args := make([]any, 0, 15*n)
		for i, e := range rest[:n] {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte('(')
			for j := 1; j <= 15; j++ {
				if j > 1 {
					sb.WriteByte(',')
				}
				q.placeholder(&sb, 15*i+j)
			}
			sb.WriteByte(')')
			args = append(args, e.ID, ts(e.Time), e.AccountID, e.OrgID, e.Event, e.Actor, e.ActorID, e.IP, e.Location,
				e.UserAgent, e.Application, e.Outcome, e.Detail, e.PrevHash, e.Hash)
		}
		if _, err := q.exec(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("append events: insert: %w", err)
		}
		rest = rest[n:]
	}
	if _, err := q.exec(ctx, `UPDATE audit_head SET hash = $1 WHERE id = 1`, prev); err != nil {
		return fmt.Errorf("append events: move head: %w", err)
	}
	return nil
}

const eventColumns = `seq, time, account_id, org_id, event, actor, actor_id, ip, location, user_agent,
	application, outcome, detail, prev_hash, hash`

func scanEvent(row interface{ Scan(...any) error }) (*varco.Event, error) {
	var e varco.Event
	var t int64
	err := row.Scan(&e.ID, &t, &e.AccountID, &e.OrgID, &e.Event, &e.Actor, &e.ActorID, &e.IP, &e.Location,
		&e.UserAgent, &e.Application, &e.Outcome, &e.Detail, &e.PrevHash, &e.Hash)
	if err != nil {
		return nil, err
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

// ChainError describes the first entry where the activity history's hash
// chain does not hold.
type ChainError struct {
	Seq    int64
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit chain broken at entry %d: %s", e.Seq, e.Reason)
}

// VerifyChain walks the whole history in order and checks every link. It
// returns the number of entries checked and a *ChainError naming the first
// bad entry, if any.
func (q *Q) VerifyChain(ctx context.Context) (int64, error) {
	rows, err := q.query(ctx, `SELECT `+eventColumns+` FROM audit_events ORDER BY seq`)
	if err != nil {
		return 0, fmt.Errorf("verify chain: %w", err)
	}
	defer rows.Close()
	var n int64
	prev := []byte{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return n, fmt.Errorf("verify chain: %w", err)
		}
		want := n + 1
		switch {
		case e.ID != want:
			return n, &ChainError{Seq: want, Reason: fmt.Sprintf("entry missing or reordered (found %d next)", e.ID)}
		case !bytes.Equal(e.PrevHash, prev):
			return n, &ChainError{Seq: e.ID, Reason: "does not link to the entry before it"}
		case !bytes.Equal(e.ChainHash(e.ID, prev), e.Hash):
			return n, &ChainError{Seq: e.ID, Reason: "content does not match its hash (edited)"}
		}
		prev, n = e.Hash, want
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("verify chain: %w", err)
	}
	var headSeq int64
	var headHash []byte
	if err := q.queryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return n, fmt.Errorf("verify chain: read head: %w", err)
	}
	if headSeq != n || !bytes.Equal(headHash, prev) {
		return n, &ChainError{Seq: n + 1, Reason: fmt.Sprintf("history ends at entry %d but %d were written", n, headSeq)}
	}
	return n, nil
}
