// Package notify renders and delivers notifications: e-mail and SMS through
// an outbox written in the same transaction as the change that causes it,
// and delivered by a Worker with retries and backoff.
package notify

import "time"

// Message is one rendered notification waiting in (or taken from) the outbox.
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
}

// E-mail events with a template (SPEC §9a lists the full set the product
// needs; each one gets a template pair per language as it is built).
const (
	EventPasswordChanged = "password_changed"
)

// Delivery channels of a Message.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// IsSMS reports whether m goes out by SMS.
func (m Message) IsSMS() bool { return m.Channel == ChannelSMS }

// MaskedTo returns m's recipient masked for logs: MaskPhone for an SMS,
// MaskEmail otherwise.
func (m Message) MaskedTo() string {
	if m.IsSMS() {
		return MaskPhone(m.To)
	}
	return MaskEmail(m.To)
}

// channel returns m's channel, ChannelEmail when unset.
func (m Message) channel() string {
	if m.Channel == "" {
		return ChannelEmail
	}
	return m.Channel
}
