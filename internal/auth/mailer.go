package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/store"
)

// RenderFunc renders an e-mail for an event in a language.
type RenderFunc func(event, lang string, data any) (subject, text, html string, err error)

// Mailer renders notifications and writes them to the outbox inside the
// caller's transaction. Delivery is the notify worker's job.
type Mailer struct {
	Render  RenderFunc
	BaseURL string // public URL of varco, for links
	Domain  string // right-hand side of generated Message-IDs
	Clock   interface{ Now() time.Time }
	// Wake, if set, wakes the delivery worker (see Committed).
	Wake func()
}

// Enqueue renders event for a and queues it to the account's notification
// address (SPEC §9a); data's Common part is filled in from the account.
func (m *Mailer) Enqueue(ctx context.Context, q *store.Q, a *varco.Account, event string, data notify.Data) error {
	lang := a.Lang
	if !varco.ValidLang(lang) {
		lang = varco.LangIT
	}
	data.Common = notify.Common{BaseURL: strings.TrimRight(m.BaseURL, "/"), DisplayName: a.DisplayName, Email: a.Email}
	subject, text, html, err := m.Render(event, lang, data)
	if err != nil {
		return fmt.Errorf("render %s: %w", event, err)
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return fmt.Errorf("message id: %w", err)
	}
	msg := &notify.Message{Event: event, To: a.NotifyAddress(), Lang: lang, Subject: subject, Text: text, HTML: html,
		MessageID: "<" + hex.EncodeToString(id[:]) + "@" + m.Domain + ">", CreatedAt: m.Clock.Now()}
	return q.EnqueueMessage(ctx, msg)
}

// Committed tells the worker that messages were committed to the outbox, so
// it delivers them without waiting for its next poll. Call it after the
// transaction that queued them has committed.
func (m *Mailer) Committed() {
	if m != nil && m.Wake != nil {
		m.Wake()
	}
}
