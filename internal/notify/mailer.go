package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
)

// RenderFunc renders an e-mail for an event in a language.
type RenderFunc func(event, lang string, data any) (subject, text, html string, err error)

// RenderSMSFunc renders the text of an SMS for an event in a language.
type RenderSMSFunc func(event, lang string, data any) (string, error)

// Enqueuer is what a Mailer writes in the caller's transaction: the message,
// the in-app alert that goes with it, and the wake-up of the worker once
// the transaction commits.
type Enqueuer interface {
	EnqueueMessage(ctx context.Context, m *store.Message) error
	RaiseAlert(ctx context.Context, accountID int64, al store.Alert, at time.Time) error
	ClearAlert(ctx context.Context, accountID int64, kind string) error
	AfterCommit(f func())
}

var _ Enqueuer = (*store.Q)(nil)

// Mailer renders notifications and writes them to the outbox inside the
// caller's transaction. Delivery is the Worker's job.
type Mailer struct {
	Render RenderFunc
	// RenderSMS renders SMS texts; nil uses RenderSMS.
	RenderSMS RenderSMSFunc
	BaseURL   string // public URL of varco, for links
	Domain    string // right-hand side of generated Message-IDs
	Clock     interface{ Now() time.Time }
	// Wake, if set, wakes the delivery worker (see Committed).
	Wake func()
}

// Enqueue renders event for a and queues it to the account's notification
// address (SPEC §9a); data's Common part is filled in from the account.
// An e-mail that asks the user to act comes with its in-app alert, raised
// here in the same transaction (SPEC §8).
func (m *Mailer) Enqueue(ctx context.Context, q Enqueuer, a *varco.Account, event string, data Data) error {
	if err := m.EnqueueTo(ctx, q, a, a.NotifyAddress(), event, data); err != nil {
		return err
	}
	return m.RaiseAlert(ctx, q, a, event, data)
}

// RaiseAlert raises the in-app alert that goes with the e-mail of event
// to a, if any (see emailAlert), inside the caller's transaction: callers that
// queue a prepared Message call it beside EnqueueMessage.
func (m *Mailer) RaiseAlert(ctx context.Context, q Enqueuer, a *varco.Account, event string, data Data) error {
	al, ok := emailAlert(a, event, data)
	if !ok {
		return nil
	}
	if event == varco.EventAccountUnlocked {
		if err := q.ClearAlert(ctx, a.ID, AlertAccountLocked); err != nil {
			return err
		}
	}
	if err := q.RaiseAlert(ctx, a.ID, al, m.Clock.Now()); err != nil {
		return fmt.Errorf("alert for %s: %w", event, err)
	}
	return nil
}

// EnqueueTo is Enqueue to the address to instead of the account's
// notification address: a contact e-mail being verified gets its link
// before it becomes the notification address.
func (m *Mailer) EnqueueTo(ctx context.Context, q Enqueuer, a *varco.Account, to, event string, data Data) error {
	msg, err := m.Message(a, to, event, data)
	if err != nil {
		return err
	}
	return m.Queue(ctx, q, msg)
}

// Queue writes msg to the outbox in q's transaction and wakes the delivery
// worker once that commits.
func (m *Mailer) Queue(ctx context.Context, q Enqueuer, msg *Message) error {
	if err := q.EnqueueMessage(ctx, msg); err != nil {
		return err
	}
	q.AfterCommit(m.Committed)
	return nil
}

// Message renders the e-mail of event for a, to the address to, without
// queueing it: a caller may render outside its transaction (the lifecycle
// jobs do, on every core) and queue the message inside it.
func (m *Mailer) Message(a *varco.Account, to, event string, data Data) (*Message, error) {
	lang := a.Language()
	data.Common = m.common(a)
	data = data.In(a.Location())
	subject, text, html, err := m.Render(event, lang, data)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", event, err)
	}
	id, err := m.messageID()
	if err != nil {
		return nil, err
	}
	return &Message{Channel: ChannelEmail, Event: event, To: to, Lang: lang, Subject: subject,
		Text: text, HTML: html, MessageID: id, CreatedAt: m.Clock.Now()}, nil
}

// EnqueueSMS renders the SMS of event in a's language and queues it to the
// E.164 number to (a verified phone, or one being verified), inside the
// caller's transaction like Enqueue. data carries what the text needs,
// e.g. Code and ValidFor; its Common part is filled in from the account.
func (m *Mailer) EnqueueSMS(ctx context.Context, q Enqueuer, a *varco.Account, to, event string, data Data) error {
	lang := a.Language()
	data.Common = m.common(a)
	data = data.In(a.Location())
	render := m.RenderSMS
	if render == nil {
		render = RenderSMS
	}
	text, err := render(event, lang, data)
	if err != nil {
		return fmt.Errorf("render sms %s: %w", event, err)
	}
	id, err := m.messageID()
	if err != nil {
		return err
	}
	msg := &Message{Channel: ChannelSMS, Event: event, To: to, Lang: lang, Text: text,
		MessageID: id, CreatedAt: m.Clock.Now()}
	return m.Queue(ctx, q, msg)
}

func (m *Mailer) common(a *varco.Account) Common {
	return Common{BaseURL: strings.TrimRight(m.BaseURL, "/"), DisplayName: a.DisplayName, Email: a.Email}
}

// messageID returns a fresh Message-ID (SMS carry one too, so a re-delivery
// can be recognized).
func (m *Mailer) messageID() (string, error) {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", fmt.Errorf("message id: %w", err)
	}
	return "<" + hex.EncodeToString(id[:]) + "@" + m.Domain + ">", nil
}

// Committed tells the worker that messages were committed to the outbox, so
// it delivers them without waiting for its next poll. Queue registers it to
// run after the transaction that queued a message commits (store.AfterCommit),
// so no caller has to remember it.
func (m *Mailer) Committed() {
	if m != nil && m.Wake != nil {
		m.Wake()
	}
}
