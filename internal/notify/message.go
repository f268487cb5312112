// Package notify renders and delivers notifications: e-mail through an
// outbox written in the same transaction as the change that causes it, and
// delivered by a Worker with retries and backoff.
package notify

import "time"

// Message is one rendered notification waiting in (or taken from) the outbox.
type Message struct {
	ID        int64
	Event     string // a SPEC §3 event name, e.g. "password_changed"; sent as X-Varco-Event
	To        string // recipient address (the verified contact e-mail, else the login e-mail)
	Lang      string // "it" or "en"
	Subject   string
	Text      string
	HTML      string
	MessageID string // RFC 5322 Message-ID, fixed at enqueue so a re-delivery carries the same one
	Attempts  int    // delivery attempts made before this one
	CreatedAt time.Time
}

// E-mail events with a template (SPEC §9a lists the full set the product
// needs; each one gets a template pair per language as it is built).
const (
	EventPasswordChanged = "password_changed"
)
