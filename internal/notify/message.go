// Package notify renders and delivers notifications: e-mail through an
// outbox written in the same transaction as the change that causes it.
package notify

import "time"

// Message is one rendered notification waiting in (or taken from) the outbox.
type Message struct {
	ID        int64
	Event     string // a SPEC §3 event name, e.g. "password_changed"
	To        string
	Lang      string // "it" or "en"
	Subject   string
	Text      string
	HTML      string
	MessageID string // RFC 5322 Message-ID, fixed at enqueue so a re-delivery carries the same one
	Attempts  int
	CreatedAt time.Time
}
