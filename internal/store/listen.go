package store

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// ListenerName is the application_name of the listener's connection, so an
// operator (and a test) can find it in pg_stat_activity.
const ListenerName = "varco-push-listener"

// ListenOptions tune ListenPush; zero values take the defaults.
type ListenOptions struct {
	Logger *slog.Logger // default: discard
	// MinBackoff and MaxBackoff bound the wait before a reconnection,
	// doubling after each failed attempt (defaults 200 ms and 30 s).
	MinBackoff, MaxBackoff time.Duration
	// Listening, if set, is called each time the listener is connected
	// and listening again.
	Listening func()
	// Notified, if set, is called after each notification was acted on.
	Notified func()
	// WakeAccount, if set, is called instead of wake for a push
	// notification that names its account (NotifyPush's payload), so that
	// only that account's waiters wake.
	WakeAccount func(accountID int64)
}

// ListenPush calls o.WakeAccount with the account of every push
// notification (NotifyPush) of any process on the database — or wake,
// without WakeAccount or for a payload that names no account — until ctx
// ends. It holds one connection of its
// own, outside the pool, and when that connection drops it reconnects
// after a backoff and calls wake once, since a notification sent while it
// was away is lost: the woken waiters re-read their state, and their own
// slow re-check bounds what the listener misses. On SQLite, one process
// only, it returns at once.
func (db *DB) ListenPush(ctx context.Context, wake func(), o ListenOptions) {
	if db.d != dialectPostgres {
		return
	}
	listening := o.Listening
	o.Listening = func() {
		wake() // what was notified while not listening
		if listening != nil {
			listening()
		}
	}
	db.listenLoop(ctx, PushChannel, ListenerName, "push listener", func(payload string) {
		if id, err := strconv.ParseInt(payload, 10, 64); err == nil && id > 0 && o.WakeAccount != nil {
			o.WakeAccount(id)
			return
		}
		wake()
	}, nil, o)
}

// listenLoop listens on channel (connection named name) and calls notified
// with each notification's payload until ctx ends; o.Listening each time it is connected
// and listening, lost (if set) each time the connection is gone, and it
// reconnects after a backoff.
func (db *DB) listenLoop(ctx context.Context, channel, name, what string, notified func(payload string), lost func(), o ListenOptions) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 200 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.Notified != nil {
		n := notified
		notified = func(payload string) { n(payload); o.Notified() }
	}
	backoff := o.MinBackoff
	for {
		err := db.listen(ctx, channel, name, func() {
			backoff = o.MinBackoff
			if o.Listening != nil {
				o.Listening()
			}
		}, notified)
		if lost != nil {
			lost()
		}
		if ctx.Err() != nil {
			return
		}
		o.Logger.WarnContext(ctx, what+": connection lost, reconnecting", "error", err, "retry_in", backoff.String())
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, o.MaxBackoff)
	}
}

// listen connects, listens on channel, calls listening, then notified
// with each notification's payload until the connection fails or ctx
// ends.
func (db *DB) listen(ctx context.Context, channel, name string, listening func(), notified func(payload string)) error {
	cfg, err := pgx.ParseConfig(db.url)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	cfg.RuntimeParams["application_name"] = name
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() {
		c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(c)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait for notification: %w", err)
		}
		notified(n.Payload)
	}
}
