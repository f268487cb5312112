package auth

import (
	"context"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/store"
)

// EnqueueSMS queues an SMS to to inside the caller's transaction.
func (m *Mailer) EnqueueSMS(ctx context.Context, q *store.Q, a *varco.Account, to, event string, data notify.Data) error {
	return varco.Errorf(varco.EMethodUnavailable, "SMS is not configured.")
}
