package notify

import (
	"context"
	"errors"
	"fmt"
)

// ErrNoSMSGateway is the (permanent) error of an SMS when no gateway is
// configured: the message is dead-lettered with it as its last error.
var ErrNoSMSGateway = errors.New("no SMS gateway configured (VARCO_SMS_URL)")

// ErrNoWebPush is the (permanent) error of a Web Push message when no Web
// Push sender is configured.
var ErrNoWebPush = errors.New("no Web Push sender configured")

// ErrNoSMTP is the (temporary) error of an e-mail when no SMTP server is
// configured: the message is retried, so it goes out once one is.
var ErrNoSMTP = errors.New("no SMTP server configured (VARCO_SMTP_URL)")

// Router is the worker's Sender when there is more than one channel: it
// hands each message to the sender of its channel. A nil Email sender
// fails e-mails temporarily (ErrNoSMTP); a nil SMS sender dead-letters
// SMS (ErrNoSMSGateway), since a number cannot be reached any other way;
// a nil Push sender dead-letters Web Push messages (ErrNoWebPush).
type Router struct {
	Email Sender
	SMS   Sender
	Push  Sender
}

var _ Sender = Router{}

// Send delivers m through the sender of m.Channel. An unknown channel is a
// permanent failure.
func (r Router) Send(ctx context.Context, m Message) error {
	switch m.ChannelName() {
	case ChannelEmail:
		if r.Email == nil {
			return ErrNoSMTP
		}
		return r.Email.Send(ctx, m)
	case ChannelSMS:
		if r.SMS == nil {
			return Permanent(ErrNoSMSGateway)
		}
		return r.SMS.Send(ctx, m)
	case ChannelWebPush:
		if r.Push == nil {
			return Permanent(ErrNoWebPush)
		}
		return r.Push.Send(ctx, m)
	}
	return Permanent(fmt.Errorf("unknown channel %q", m.Channel))
}
