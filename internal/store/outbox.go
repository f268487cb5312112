package store

import (
	"context"
	"fmt"
	"time"
)

// Message is one rendered notification waiting in (or taken from) the
// outbox, or kept in the dev mailbox: a row. Rendering and delivering it is
// internal/notify's business.
type Message struct {
	ID        int64
	Channel   string // ChannelEmail or ChannelSMS; "" is e-mail
	Event     string // a SPEC §3 event name, e.g. "password_changed"; sent as X-Varco-Event
	To        string // e-mail: the address (the verified contact e-mail, else the login e-mail); SMS: the E.164 number
	Lang      string // "it" or "en"
	Subject   string // e-mail only
	Text      string // the text/plain body, or the SMS text
	HTML      string // e-mail only
	MessageID string // RFC 5322 Message-ID, fixed at enqueue so a re-delivery carries the same one
	Attempts  int    // delivery attempts made before this one
	CreatedAt time.Time
	// ExpiresAt, when set, is when the message becomes worthless (a push
	// request's notification once the request expired): it is neither sent
	// nor retried from then on.
	ExpiresAt time.Time
}

// Delivery channels of a Message.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
	// ChannelWebPush is a Web Push message to an authenticator device: To
	// is the device's public id, Text the payload (JSON); the subscription
	// is looked up at delivery, so the endpoint never enters the outbox.
	ChannelWebPush = "webpush"
)

// IsSMS reports whether m goes out by SMS.
func (m Message) IsSMS() bool { return m.Channel == ChannelSMS }

// ChannelName returns m's channel, ChannelEmail when unset.
func (m Message) ChannelName() string {
	if m.Channel == "" {
		return ChannelEmail
	}
	return m.Channel
}

// Outbox message states.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxDead    = "dead"
)

// EnqueueMessage writes a rendered message to the outbox, due at once. Call
// it in the transaction of the change that causes it: the message then
// exists exactly when the change does.
func (q *Q) EnqueueMessage(ctx context.Context, m *Message) error {
	err := q.queryRow(ctx, `INSERT INTO outbox (event, recipient, lang, subject, text_body, html_body,
		message_id, next_attempt_at, created_at, channel, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10) RETURNING id`,
		m.Event, m.To, m.Lang, m.Subject, m.Text, m.HTML, m.MessageID, ts(m.CreatedAt), m.ChannelName(), ts(m.ExpiresAt)).Scan(&m.ID)
	if err != nil {
		return fmt.Errorf("enqueue message: %w", err)
	}
	return nil
}

const outboxColumns = `id, channel, event, recipient, lang, subject, text_body, html_body, message_id, attempts, created_at, expires_at`

func scanMessage(row interface{ Scan(...any) error }) (Message, error) {
	var m Message
	var created, expires int64
	err := row.Scan(&m.ID, &m.Channel, &m.Event, &m.To, &m.Lang, &m.Subject, &m.Text, &m.HTML, &m.MessageID, &m.Attempts, &created, &expires)
	m.CreatedAt, m.ExpiresAt = tm(created), tm(expires)
	return m, err
}

// ClaimDue leases up to limit pending messages that are due at now and not
// leased by another worker, until leaseUntil. A worker that dies leaves its
// lease to expire, and the message is claimed again: delivery is at least
// once, never lost.
func (q *Q) ClaimDue(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Message, error) {
	return q.claimDue(ctx, "", now, leaseUntil, limit)
}

// claimDue is ClaimDue, of one channel only when channel is not empty.
func (q *Q) claimDue(ctx context.Context, channel string, now, leaseUntil time.Time, limit int) ([]Message, error) {
	rows, err := q.query(ctx, `UPDATE outbox SET lease_until = $2
		WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $1 AND lease_until <= $1
			AND ($4 = '' OR channel = $4)
			ORDER BY id LIMIT $3`+q.d.skipLocked()+`)
		RETURNING `+outboxColumns, ts(now), ts(leaseUntil), limit, channel)
	if err != nil {
		return nil, fmt.Errorf("claim messages: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("claim messages: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ChannelOutbox is the outbox of one channel: a worker over it claims only
// that channel's messages. varco runs one for Web Push when no e-mail or
// SMS sender is configured, so e-mails keep waiting untouched meanwhile.
type ChannelOutbox struct {
	Q       *Q
	Channel string
}

// ClaimDue is Q.ClaimDue of the channel's messages only.
func (c ChannelOutbox) ClaimDue(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Message, error) {
	return c.Q.claimDue(ctx, c.Channel, now, leaseUntil, limit)
}

// MarkSent is Q.MarkSent.
func (c ChannelOutbox) MarkSent(ctx context.Context, id int64, at time.Time) error {
	return c.Q.MarkSent(ctx, id, at)
}

// MarkFailed is Q.MarkFailed.
func (c ChannelOutbox) MarkFailed(ctx context.Context, id int64, nextAttempt time.Time, lastError string, dead bool) error {
	return c.Q.MarkFailed(ctx, id, nextAttempt, lastError, dead)
}

// MarkSent records a delivered message.
func (q *Q) MarkSent(ctx context.Context, id int64, at time.Time) error {
	// The bodies go: they may hold a PIN, an OTP or a reset link, which
	// must not outlive their delivery in the database.
	_, err := q.exec(ctx, `UPDATE outbox SET status = 'sent', sent_at = $1, lease_until = 0, attempts = attempts + 1,
		text_body = '', html_body = '' WHERE id = $2`, ts(at), id)
	if err != nil {
		return fmt.Errorf("mark sent: %w", err)
	}
	return nil
}

// MarkFailed records a failed attempt; dead moves the message to the
// dead-letter state, where support can see it.
func (q *Q) MarkFailed(ctx context.Context, id int64, nextAttempt time.Time, lastError string, dead bool) error {
	status := OutboxPending
	if dead {
		status = OutboxDead
	}
	if len(lastError) > 500 {
		lastError = lastError[:500]
	}
	_, err := q.exec(ctx, `UPDATE outbox SET status = $1, attempts = attempts + 1, next_attempt_at = $2,
		lease_until = 0, last_error = $3 WHERE id = $4`, status, ts(nextAttempt), lastError, id)
	if err != nil {
		return fmt.Errorf("mark failed: %w", err)
	}
	return nil
}

// OutboxBacklog returns how many messages wait for delivery.
func (q *Q) OutboxBacklog(ctx context.Context) (int, error) {
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM outbox WHERE status = 'pending'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("outbox backlog: %w", err)
	}
	return n, nil
}

// SaveDevMessage stores a message for the dev-mode mailbox page.
func (q *Q) SaveDevMessage(ctx context.Context, m Message) error {
	_, err := q.exec(ctx, `INSERT INTO dev_messages (event, recipient, subject, text_body, html_body,
		message_id, created_at, channel) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		m.Event, m.To, m.Subject, m.Text, m.HTML, m.MessageID, ts(m.CreatedAt), m.ChannelName())
	if err != nil {
		return fmt.Errorf("save dev message: %w", err)
	}
	return nil
}

// ListDevMessages returns the newest dev-mode messages first.
func (q *Q) ListDevMessages(ctx context.Context, limit int) ([]Message, error) {
	rows, err := q.query(ctx, `SELECT id, channel, event, recipient, '', subject, text_body, html_body, message_id, 0, created_at, 0
		FROM dev_messages ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list dev messages: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("list dev messages: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// OutboxEntry is an outbox message as support sees it: no body.
type OutboxEntry struct {
	ID          int64
	Channel     string
	Event       string
	To          string
	Status      string
	Attempts    int
	NextAttempt time.Time
	LastError   string
	CreatedAt   time.Time
	SentAt      time.Time
}

// ListOutbox returns messages in a status, newest first, with ids below
// before (0: from the newest).
func (q *Q) ListOutbox(ctx context.Context, status string, before int64, limit int) ([]OutboxEntry, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := q.query(ctx, `SELECT id, channel, event, recipient, status, attempts, next_attempt_at, last_error, created_at, sent_at
		FROM outbox WHERE status = $1 AND ($2 = 0 OR id < $2) ORDER BY id DESC LIMIT $3`, status, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxEntry
	for rows.Next() {
		var e OutboxEntry
		var next, created, sent int64
		if err := rows.Scan(&e.ID, &e.Channel, &e.Event, &e.To, &e.Status, &e.Attempts, &next, &e.LastError, &created, &sent); err != nil {
			return nil, fmt.Errorf("list outbox: %w", err)
		}
		e.NextAttempt, e.CreatedAt, e.SentAt = tm(next), tm(created), tm(sent)
		out = append(out, e)
	}
	return out, rows.Err()
}

// RetryDeadMessage puts a dead-lettered message back in the queue, due at
// now with its attempts reset; ENotFound when there is no such dead message.
func (q *Q) RetryDeadMessage(ctx context.Context, id int64, now time.Time) error {
	res, err := q.exec(ctx, `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, lease_until = 0
		WHERE id = $2 AND status = 'dead'`, ts(now), id)
	if err != nil {
		return fmt.Errorf("retry message: %w", err)
	}
	return mustAffect(res, "dead message")
}
