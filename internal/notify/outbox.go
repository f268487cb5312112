package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"varco.dev/varco/internal/clock"
)

// Outbox is what the delivery worker needs from the store. Messages are
// written to it in the transaction of the change that causes them; the
// worker claims the due ones, sends them and records the outcome. The store
// implements it on SQLite and PostgreSQL; several worker processes may share
// one outbox.
type Outbox interface {
	// ClaimDue atomically claims up to limit messages that are pending,
	// whose next attempt is at or before now and whose lease (if any) ended
	// at or before now, and leases them until leaseUntil, so that no other
	// worker (in this or another process) takes them meanwhile. Oldest
	// first. A worker that dies leaves the lease to run out, and the
	// message is claimed again: delivery is at least once. It returns an
	// empty slice when nothing is due.
	ClaimDue(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Message, error)
	// MarkSent records that message id was delivered at at, counting the
	// attempt; the message is never claimed again.
	MarkSent(ctx context.Context, id int64, at time.Time) error
	// MarkFailed records a failed attempt of message id: it counts the
	// attempt, keeps lastError (already free of bodies and full addresses)
	// for support, releases the lease and makes the message due again at
	// nextAttempt. dead=true moves it to the dead-letter state instead,
	// where it is never claimed again.
	MarkFailed(ctx context.Context, id int64, nextAttempt time.Time, lastError string, dead bool) error
}

// Sender delivers one message. An error for which IsPermanent reports true
// dead-letters the message; any other error is retried with backoff.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// WorkerOptions tune a Worker; zero values take the defaults shown.
type WorkerOptions struct {
	Clock     clock.Clock  // clock.Real
	Logger    *slog.Logger // discard
	BatchSize int          // 20 messages per claim
	// Lease is how long a claimed message stays reserved for this worker
	// (2 min). A batch stops before a message whose send might outlive it.
	Lease       time.Duration
	MaxAttempts int // 10; the attempt that reaches it and fails dead-letters the message
	// Retry n (n ≥ 1) waits BackoffBase·2^(n−1) (30 s, 1 min, 2 min, …),
	// at most BackoffMax (1 h), minus a random jitter of up to a quarter of
	// it, so that messages that failed together do not retry together.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Jitter returns a duration in [0, max); default math/rand/v2. Tests
	// inject a deterministic one.
	Jitter func(max time.Duration) time.Duration
	// SendTimeout bounds one Send (30 s; less than half the lease).
	SendTimeout time.Duration
	// PollInterval is how often Run looks for due messages when nobody
	// calls Notify (2 s).
	PollInterval time.Duration
}

// Worker delivers the outbox: it claims due messages, sends them and marks
// them sent, or failed with a retry time, or dead.
type Worker struct {
	outbox Outbox
	sender Sender
	opts   WorkerOptions
	log    *slog.Logger
	wake   chan struct{}
	drain  sync.Mutex // one drain at a time in this process
}

// NewWorker returns a worker delivering o's messages through s.
func NewWorker(o Outbox, s Sender, opts WorkerOptions) *Worker {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 20
	}
	if opts.Lease <= 0 {
		opts.Lease = 2 * time.Minute
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 10
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = 30 * time.Second
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = time.Hour
	}
	if opts.BackoffMax < opts.BackoffBase {
		opts.BackoffMax = opts.BackoffBase
	}
	if opts.Jitter == nil {
		opts.Jitter = randomJitter
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = 30 * time.Second
	}
	if opts.SendTimeout >= opts.Lease {
		opts.SendTimeout = opts.Lease / 2
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 2 * time.Second
	}
	return &Worker{outbox: o, sender: s, opts: opts, log: opts.Logger, wake: make(chan struct{}, 1)}
}

func randomJitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return rand.N(max)
}

// Notify wakes Run so it drains the outbox now instead of at its next poll.
// Call it after committing a transaction that queued messages. It never
// blocks.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run drains the outbox, then waits for Notify or the poll interval, until
// ctx ends. Errors are logged and retried at the next round.
func (w *Worker) Run(ctx context.Context) {
	timer := time.NewTimer(w.opts.PollInterval)
	defer timer.Stop()
	for {
		if _, _, err := w.DrainOnce(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("outbox drain failed", "error", err.Error())
		}
		timer.Reset(w.opts.PollInterval)
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-timer.C:
		}
	}
}

// DrainOnce sends every message that is due now and reports how many were
// sent and how many failed (retried later or dead-lettered). It claims
// batches until none is left. A failed message is due again only after its
// backoff, so it is tried at most once per drain. Drains in one process run
// one at a time, so a caller that drains (the test clock) sees the result
// of a drain already under way. It returns an error when the outbox does,
// or when ctx ends; messages it had claimed but not sent are claimed again
// when their lease runs out.
func (w *Worker) DrainOnce(ctx context.Context) (sent, failed int, err error) {
	if w == nil || w.outbox == nil || w.sender == nil {
		return 0, 0, errors.New("drain outbox: worker has no outbox or sender")
	}
	w.drain.Lock()
	defer w.drain.Unlock()
	// attempted holds the messages this drain tried to send. One it claimed
	// but left unsent (its lease was too short to try) may be claimed and
	// sent later in the same drain.
	attempted := map[int64]bool{}
	for {
		if err := ctx.Err(); err != nil {
			return sent, failed, fmt.Errorf("drain outbox: %w", err)
		}
		now := w.opts.Clock.Now()
		leaseUntil := now.Add(w.opts.Lease)
		msgs, err := w.outbox.ClaimDue(ctx, now, leaseUntil, w.opts.BatchSize)
		if err != nil {
			return sent, failed, fmt.Errorf("claim due messages: %w", err)
		}
		fresh := 0
		for _, m := range msgs {
			if attempted[m.ID] {
				// A store that ignored nextAttempt; leave it to its lease
				// rather than sending it twice in one drain.
				continue
			}
			fresh++
			if w.opts.Clock.Now().Add(w.opts.SendTimeout).After(leaseUntil) {
				// The lease could run out mid-send and another worker
				// send it too; the rest of the batch waits for the lease.
				break
			}
			attempted[m.ID] = true
			ok, err := w.deliver(ctx, m)
			if err != nil {
				return sent, failed, err
			}
			if ok {
				sent++
			} else {
				failed++
			}
		}
		if fresh == 0 {
			return sent, failed, nil
		}
	}
}

// errExpired is the last error of a message dead-lettered at its expiry.
const errExpired = "expired before it could be delivered"

// markTimeout bounds recording a delivery's outcome.
const markTimeout = 10 * time.Second

// deliver sends m and records the outcome. It reports whether m was sent;
// its error is the outbox's (or ctx's), not the send's.
func (w *Worker) deliver(ctx context.Context, m Message) (bool, error) {
	attempt := m.Attempts + 1
	log := w.log.With("message_id", m.ID, "event", m.Event, "channel", m.ChannelName(), "to", MaskedTo(m), "attempt", attempt)
	if !m.ExpiresAt.IsZero() && !w.opts.Clock.Now().Before(m.ExpiresAt) {
		// Worthless now (a push request that expired): never sent late.
		mctx, mcancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
		defer mcancel()
		if err := w.outbox.MarkFailed(mctx, m.ID, w.opts.Clock.Now(), errExpired, true); err != nil {
			return false, fmt.Errorf("mark message %d failed: %w", m.ID, err)
		}
		log.Info("message expired before delivery, dead-lettered", "expires_at", m.ExpiresAt)
		return false, nil
	}
	sctx, cancel := context.WithTimeout(ctx, w.opts.SendTimeout)
	sendErr := w.sender.Send(sctx, m)
	cancel()
	// Record the outcome even if ctx ends meanwhile: a message sent but not
	// marked would go out twice.
	mctx, mcancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer mcancel()
	if sendErr == nil {
		if err := w.outbox.MarkSent(mctx, m.ID, w.opts.Clock.Now()); err != nil {
			// Delivered but not recorded: the message goes out again
			// (with the same Message-ID) when its lease runs out.
			log.Error("message sent but not marked", "error", err.Error())
			return true, fmt.Errorf("mark message %d sent: %w", m.ID, err)
		}
		log.Info("message sent")
		return true, nil
	}
	if ctx.Err() != nil {
		// Shutting down: not the message's fault. Its lease runs out and
		// it is tried again, without this attempt counting.
		return false, fmt.Errorf("drain outbox: %w", ctx.Err())
	}
	lastError := redactRecipient(sendErr.Error(), m)
	permanent := IsPermanent(sendErr)
	dead := permanent || attempt >= w.opts.MaxAttempts
	now := w.opts.Clock.Now()
	next := now
	expiring := false
	if !dead {
		next = now.Add(w.Backoff(attempt))
		// Not retried past its expiry: the retry would find it worthless.
		if !m.ExpiresAt.IsZero() && !next.Before(m.ExpiresAt) {
			dead, expiring, next = true, true, now
			lastError += "; " + errExpired
		}
	}
	if err := w.outbox.MarkFailed(mctx, m.ID, next, lastError, dead); err != nil {
		log.Error("message failed and not marked", "error", lastError, "mark_error", err.Error())
		return false, fmt.Errorf("mark message %d failed: %w", m.ID, err)
	}
	switch {
	case permanent:
		log.Error("message rejected permanently, dead-lettered", "error", lastError)
	case expiring:
		log.Warn("message failed and expires before its next attempt, dead-lettered", "error", lastError, "expires_at", m.ExpiresAt)
	case dead:
		log.Error("message failed too many times, dead-lettered", "error", lastError, "max_attempts", w.opts.MaxAttempts)
	default:
		log.Warn("message delivery failed, will retry", "error", lastError, "retry_at", next)
	}
	return false, nil
}

// Backoff returns how long to wait after failed attempt n (1 for the
// first) before the next one; see WorkerOptions. It is at least a second.
func (w *Worker) Backoff(n int) time.Duration {
	d, limit := w.opts.BackoffBase, w.opts.BackoffMax
	for i := 1; i < n && d < limit; i++ {
		if d > limit/2 {
			d = limit
			break
		}
		d *= 2
	}
	d = min(d, limit)
	j := w.opts.Jitter(d / 4)
	if j < 0 || j >= d/4 {
		j = 0
	}
	d -= j
	if d < time.Second {
		d = time.Second
	}
	return d
}

// DevMailbox is the Sender of dev mode: instead of sending, it keeps every
// message for the /dev/mailbox page.
type DevMailbox struct {
	store DevStore
}

// DevStore keeps dev-mode messages for the /dev/mailbox page.
type DevStore interface {
	SaveDevMessage(ctx context.Context, m Message) error
}

var _ Sender = (*DevMailbox)(nil)

// NewDevMailbox returns a Sender that saves messages to s.
func NewDevMailbox(s DevStore) *DevMailbox { return &DevMailbox{store: s} }

// Send saves m to the dev mailbox. Its errors are temporary.
func (d *DevMailbox) Send(ctx context.Context, m Message) error {
	if d == nil || d.store == nil {
		return errors.New("dev mailbox: no store")
	}
	if err := d.store.SaveDevMessage(ctx, m); err != nil {
		return fmt.Errorf("dev mailbox: %w", err)
	}
	return nil
}
