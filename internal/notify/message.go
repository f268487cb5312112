// Package notify renders and delivers notifications: e-mail and SMS through
// an outbox written in the same transaction as the change that causes it,
// and delivered by a Worker with retries and backoff.
package notify

import "varco.dev/varco/internal/store"

// Message is the outbox row (store.Message) that notify renders and
// delivers: the store knows the row, notify what it means.
type Message = store.Message

// E-mail events with a template (SPEC §9a lists the full set the product
// needs; each one gets a language-neutral template, templates/mail/<event>.tmpl,
// and its sentences in the catalogue as it is built).
const (
	EventPasswordChanged = "password_changed"
)

// Delivery channels of a Message.
const (
	ChannelEmail   = store.ChannelEmail
	ChannelSMS     = store.ChannelSMS
	ChannelWebPush = store.ChannelWebPush
)

// MaskedTo returns m's recipient masked for logs: MaskPhone for an SMS,
// "webpush:" and the device id for Web Push (the endpoint is never in the
// outbox), MaskEmail otherwise.
func MaskedTo(m Message) string {
	if m.ChannelName() == ChannelWebPush {
		return "webpush:" + m.To
	}
	if m.IsSMS() {
		return MaskPhone(m.To)
	}
	return MaskEmail(m.To)
}
