package apppassword

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
)

// What mail logins leave behind is written by one recorder per Service in
// group commits (docs/audit.md, "Mail logins"): the failures counted
// against their throttling keys and recorded in the activity history, the
// hourly mail_login_succeeded and the last use of app passwords. Callers
// queue a record; one goroutine writes everything queued in one
// transaction, moving each chain's head once. A caller whose record must
// be durable before it is answered waits for that commit (a failure, a
// success event); the last use of an app password is not waited for.

// Batching tunes the recorder. Zero values take the defaults.
type Batching struct {
	// MaxItems is the most records one transaction writes (256).
	MaxItems int
	// MaxDelay is how long the recorder waits for more records after the
	// first before writing (0: none; records that arrive while a
	// transaction commits are written by the next one, which is already a
	// group commit without delaying a lone failure).
	MaxDelay time.Duration
	// SweepEvery is how often windows of repeated failures whose minute
	// is over are looked for (5 s).
	SweepEvery time.Duration
}

// FailureWindow is how long repeated identical failures are counted into
// one event (a mail client retrying a stale password, a guessing bot).
const FailureWindow = time.Minute

func (b *Batching) defaults() {
	if b.MaxItems <= 0 {
		b.MaxItems = 256
	}
	if b.SweepEvery <= 0 {
		b.SweepEvery = 5 * time.Second
	}
}

// failure is one refused mail login to record and count.
type failure struct {
	account      *varco.Account // nil for a login of no account
	username     string
	acctKey      string
	ipKey        string
	ip, protocol string
	why          string
	at           time.Time
}

// success is what a successful mail login writes when it writes anything.
type success struct {
	account    *varco.Account
	credential int64 // 0: the account password
	ip         string
	protocol   string
	resource   string
	at         time.Time
	reset      string // throttling key to forget ("" none)
	mark       bool   // mail_login_succeeded may be due
}

// touch is the last use of an app password.
type touch struct {
	credential   int64
	at           time.Time
	ip, protocol string
}

type record struct {
	failure *failure
	success *success
	touch   *touch
	done    chan error // nil: nobody waits
}

type recorder struct {
	s    *Service
	cfg  Batching
	in   chan *record
	once sync.Once
	mu   sync.RWMutex
	// closed: Close has begun; records are then written one by one, so
	// that a request finishing during shutdown loses nothing.
	closed  bool
	started bool // the loop was started (set once, under mu)
	done    chan struct{}

	memMu   sync.Mutex
	marks   map[markKey]time.Time // when mail_login_succeeded was last recorded (by this process)
	touched map[int64]touch       // the last use this process wrote per app password
}

type markKey struct {
	account, credential int64
	ip, protocol        string
}

func newRecorder(s *Service, cfg Batching) *recorder {
	cfg.defaults()
	return &recorder{s: s, cfg: cfg, in: make(chan *record, cfg.MaxItems), done: make(chan struct{}),
		marks: map[markKey]time.Time{}, touched: map[int64]touch{}}
}

// batchTimeout bounds one batch's transaction; it does not depend on any
// caller, so a caller that goes away never cancels the others' records.
const batchTimeout = 30 * time.Second

// submit queues r; with wait it returns once r is committed (or failed).
func (rc *recorder) submit(ctx context.Context, r *record, wait bool) error {
	if wait {
		r.done = make(chan error, 1)
	}
	rc.mu.RLock()
	if rc.closed {
		rc.mu.RUnlock()
		err := rc.write(context.WithoutCancel(ctx), []*record{r})
		if err == nil && r.failure != nil {
			// Nothing sweeps after Close: no window stays open.
			err = rc.sweep(true)
		}
		if err != nil && !wait {
			rc.logErr(err)
		}
		return err
	}
	rc.once.Do(rc.startLoop)
	rc.in <- r
	rc.mu.RUnlock()
	if !wait {
		return nil
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		// The record is written all the same; only this caller stops
		// waiting for it.
		return ctx.Err()
	}
}

func (rc *recorder) startLoop() { rc.started = true; go rc.loop() }

// start starts the loop before any record (serve: the sweep of windows a
// previous process left open runs from the start).
func (rc *recorder) start() {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	if !rc.closed {
		rc.once.Do(rc.startLoop)
	}
}

func (rc *recorder) logErr(err error) {
	if rc.s.log != nil {
		rc.s.log.Error("record mail logins", "err", err)
	}
}

func (rc *recorder) loop() {
	defer close(rc.done)
	tick := time.NewTicker(rc.cfg.SweepEvery)
	defer tick.Stop()
	for {
		select {
		case r, ok := <-rc.in:
			if !ok {
				return
			}
			batch, open := rc.collect(r)
			rc.flush(batch)
			if !open {
				return
			}
		case <-tick.C:
			if err := rc.sweep(false); err != nil {
				rc.logErr(err)
			}
		}
	}
}

// collect gathers what is queued behind first, up to MaxItems, waiting
// MaxDelay at most for more; open is false once the queue is closed.
func (rc *recorder) collect(first *record) (batch []*record, open bool) {
	batch = append(make([]*record, 0, 16), first)
	var deadline <-chan time.Time
	if rc.cfg.MaxDelay > 0 {
		t := time.NewTimer(rc.cfg.MaxDelay)
		defer t.Stop()
		deadline = t.C
	}
	for len(batch) < rc.cfg.MaxItems {
		select {
		case r, ok := <-rc.in:
			if !ok {
				return batch, false
			}
			batch = append(batch, r)
			continue
		default:
		}
		if deadline == nil {
			return batch, true
		}
		select {
		case r, ok := <-rc.in:
			if !ok {
				return batch, false
			}
			batch = append(batch, r)
		case <-deadline:
			return batch, true
		}
	}
	return batch, true
}

// flush writes batch, retrying once (a PostgreSQL deadlock or
// serialization failure rolls the whole transaction back), and answers
// every waiting caller.
func (rc *recorder) flush(batch []*record) {
	err := rc.write(context.Background(), batch)
	if err != nil {
		err = rc.write(context.Background(), batch)
	}
	waiting := false
	for _, r := range batch {
		if r.done != nil {
			r.done <- err
			waiting = true
		}
	}
	if err != nil && !waiting {
		rc.logErr(err)
	}
}

// close stops the queue, writes what is in it and then closes every
// window of repeated failures, so a clean shutdown leaves nothing
// unrecorded in the history.
func (rc *recorder) close(ctx context.Context) error {
	rc.mu.Lock()
	if rc.closed {
		rc.mu.Unlock()
		return nil
	}
	rc.closed = true
	rc.once.Do(func() {}) // a loop can no longer start
	started := rc.started
	close(rc.in)
	rc.mu.Unlock()
	if !started {
		// Nothing was ever queued (a command of the CLI): the windows
		// of a running server are its own to close.
		return nil
	}
	// The loop writes what is queued, then stops.
	select {
	case <-rc.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return rc.sweep(true)
}

func randomToken() int64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return int64(binary.BigEndian.Uint64(b[:])>>1) | 1 // positive, never 0
}

// sweep records and closes the windows whose minute is over (all of them
// with everything).
func (rc *recorder) sweep(everything bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	now := rc.s.clock.Now()
	cutoff := now.Add(-FailureWindow)
	if everything {
		cutoff = now.Add(100 * 365 * 24 * time.Hour)
	}
	oldest, any, err := rc.s.db.Reader().OldestMailFailureWindow(ctx)
	if err != nil || !any || oldest.After(cutoff) {
		return err
	}
	err = rc.s.db.InTx(ctx, func(q *store.Q) error {
		ws, err := q.CloseMailFailureWindows(ctx, "", cutoff)
		if err != nil {
			return err
		}
		return q.AppendEvents(ctx, rc.windowEvents(ws))
	})
	if err != nil {
		return fmt.Errorf("close mail failure windows: %w", err)
	}
	return nil
}

// windowEvents are the events of closed windows: one per window with
// repeats, carrying their count.
func (rc *recorder) windowEvents(ws []store.MailFailureWindow) []*varco.Event {
	var es []*varco.Event
	for _, w := range ws {
		if w.Repeats == 0 {
			continue
		}
		e := rc.s.event(nil, varco.EventMailLoginFailed, varco.OutcomeFailure, varco.Meta{IP: w.IP, Application: w.Protocol}, w.Detail)
		e.Time, e.AccountID, e.OrgID, e.ActorID, e.Count = w.LastAt, w.AccountID, w.OrgID, w.AccountID, w.Repeats
		es = append(es, e)
	}
	return es
}

// windowKey names identical failures: the same account (or login of no
// account), client IP, protocol and reason.
func (f *failure) windowKey() string {
	who := "u:" + f.username
	if f.account != nil {
		who = "a:" + strconv.FormatInt(f.account.ID, 10)
	}
	return who + "|" + f.ip + "|" + f.protocol + "|" + f.why
}

// write records batch in one transaction.
func (rc *recorder) write(ctx context.Context, batch []*record) error {
	ctx, cancel := context.WithTimeout(ctx, batchTimeout)
	defer cancel()
	s := rc.s
	now := s.clock.Now()
	token := randomToken()
	t := &s.throttle

	// Everything is grouped and taken in the order of its key, so two
	// transactions (two processes on PostgreSQL) never wait in a cycle.
	type count struct{ n int }
	throttles := map[string]*count{}
	type group struct {
		first *failure
		n     int64
	}
	groups := map[string]*group{}
	resets := map[string]bool{}
	touches := map[int64]touch{}
	var successes []*success
	for _, r := range batch {
		switch {
		case r.failure != nil:
			f := r.failure
			for _, k := range []string{f.acctKey, f.ipKey} {
				if throttles[k] == nil {
					throttles[k] = &count{}
				}
				throttles[k].n++
			}
			k := f.windowKey()
			if groups[k] == nil {
				groups[k] = &group{first: f}
			}
			groups[k].n++
		case r.success != nil:
			if r.success.reset != "" {
				resets[r.success.reset] = true
			}
			if r.success.mark {
				successes = append(successes, r.success)
			}
		}
		if r.touch != nil {
			if old, ok := touches[r.touch.credential]; !ok || !r.touch.at.Before(old.at) {
				touches[r.touch.credential] = *r.touch
			}
		}
	}

	var marked []*success
	err := s.db.InTx(ctx, func(q *store.Q) error {
		marked = marked[:0]
		var events []*varco.Event
		// A success forgets the account's failures before this batch's
		// failures are counted: a failure is never forgotten.
		for _, k := range sortedKeys(resets) {
			if err := q.ThrottleReset(ctx, k); err != nil {
				return err
			}
		}
		for _, k := range sortedKeys(throttles) {
			window, threshold := t.IPWindow, t.IPFailures
			if strings.HasPrefix(k, acctKeyPrefix) {
				window, threshold = t.AccountWindow, t.AccountFailures
			}
			st, err := q.ThrottleFailures(ctx, k, throttles[k].n, now, now.Add(-window))
			if err != nil {
				return err
			}
			if d := t.backoff(st.Failures, threshold); d > 0 {
				if err := q.ThrottleBlock(ctx, k, now.Add(d)); err != nil {
					return err
				}
			}
		}
		for _, k := range sortedKeys(groups) {
			g := groups[k]
			f := g.first
			w := &store.MailFailureWindow{Key: k, IP: f.ip, Protocol: f.protocol, Detail: f.why, OpenedAt: f.at, OpenedBy: token}
			if f.account != nil {
				w.AccountID, w.OrgID = f.account.ID, f.account.OrgID
			}
			for attempt := 0; ; attempt++ {
				opener, ok, err := q.CountMailFailures(ctx, w, g.n, now.Add(-FailureWindow))
				if err != nil {
					return err
				}
				if ok {
					if opener == token {
						e := s.event(f.account, varco.EventMailLoginFailed, varco.OutcomeFailure, varco.Meta{IP: f.ip, Application: f.protocol}, f.why)
						e.Time, e.Count = f.at, g.n
						events = append(events, e)
					}
					break
				}
				if attempt > 0 {
					return errors.New("count mail failures: the window stays in the way")
				}
				// Its minute is over: record its repeats, then open a new one.
				closed, err := q.CloseMailFailureWindows(ctx, k, now.Add(-FailureWindow))
				if err != nil {
					return err
				}
				events = append(events, rc.windowEvents(closed)...)
			}
		}
		for _, sc := range successes {
			isNew, err := q.MarkMailLogin(ctx, sc.account.ID, sc.credential, sc.ip, sc.protocol, sc.at, sc.at.Add(-SuccessEvery))
			if err != nil {
				return err
			}
			marked = append(marked, sc)
			if !isNew {
				continue
			}
			detail := "account password"
			if sc.credential != 0 {
				detail = "app password " + strconv.FormatInt(sc.credential, 10)
			}
			e := s.event(sc.account, varco.EventMailLoginSucceeded, varco.OutcomeSuccess,
				varco.Meta{IP: sc.ip, Application: sc.protocol}, detail+", "+sc.resource)
			e.Time = sc.at
			events = append(events, e)
		}
		ids := make([]int64, 0, len(touches))
		for id := range touches {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			u := touches[id]
			if err := q.TouchAppPassword(ctx, id, u.at, u.ip, u.protocol); err != nil {
				return err
			}
		}
		return q.AppendEvents(ctx, events)
	})
	if err != nil {
		return fmt.Errorf("record mail logins: %w", err)
	}
	rc.memMu.Lock()
	for _, sc := range marked {
		k := markKey{sc.account.ID, sc.credential, sc.ip, sc.protocol}
		if sc.at.After(rc.marks[k]) {
			rc.marks[k] = sc.at
		}
	}
	rc.memMu.Unlock()
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// memoryLimit bounds the recorder's maps; past it, entries that no longer
// save a write are dropped.
const memoryLimit = 100_000

// markDue reports whether mail_login_succeeded may be due for k at now:
// false only when this process recorded it within the hour. The database
// decides the rest (another process may have recorded it).
func (rc *recorder) markDue(k markKey, now time.Time) bool {
	rc.memMu.Lock()
	defer rc.memMu.Unlock()
	last, ok := rc.marks[k]
	if ok && now.Sub(last) < SuccessEvery && !now.Before(last) {
		return false
	}
	if len(rc.marks) >= memoryLimit {
		for mk, t := range rc.marks {
			if now.Sub(t) >= SuccessEvery {
				delete(rc.marks, mk)
			}
		}
	}
	return true
}

// TouchEvery is how stale an app password's recorded last use may get
// while it is used from the same IP and protocol.
const TouchEvery = time.Minute

// touchDue reports whether the last use of credential is worth writing:
// another IP or protocol, or TouchEvery since this process last wrote it.
// It notes u as written.
func (rc *recorder) touchDue(u touch) bool {
	rc.memMu.Lock()
	defer rc.memMu.Unlock()
	old, ok := rc.touched[u.credential]
	if ok && old.ip == u.ip && old.protocol == u.protocol && u.at.Sub(old.at) < TouchEvery && !u.at.Before(old.at) {
		return false
	}
	if len(rc.touched) >= memoryLimit {
		clear(rc.touched)
	}
	rc.touched[u.credential] = u
	return true
}
