package auth

import (
	"context"
	"fmt"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
)

// AlertPasswordExpiry is the kind of the in-app alert shown at every sign-in
// while a password is about to expire (SPEC §2.4).
const AlertPasswordExpiry = "password_expiry"

var expiryAlertText = map[string][2]string{ // lang → {one day, N days}
	varco.LangIT: {"La tua password scade entro un giorno (%[2]s). Cambiala da Profilo > Password.",
		"La tua password scade tra %[1]d giorni (%[2]s). Cambiala da Profilo > Password."},
	varco.LangEN: {"Your password expires within a day (%[2]s). Change it under Profile > Password.",
		"Your password expires in %[1]d days (%[2]s). Change it under Profile > Password."},
}

// expiryAlert raises the expiry alert when the password expires within the
// policy's first warning day, and clears it otherwise.
func (s *Service) expiryAlert(ctx context.Context, q *store.Q, a *varco.Account, p varco.Policy, expires, now time.Time) error {
	left := varco.DaysLeft(expires, now)
	if left <= 0 || left > p.FirstWarning() {
		return q.ClearAlert(ctx, a.ID, AlertPasswordExpiry)
	}
	texts, ok := expiryAlertText[a.Lang]
	if !ok {
		texts = expiryAlertText[varco.LangIT]
	}
	text := texts[1]
	if left == 1 {
		text = texts[0]
	}
	return q.RaiseAlert(ctx, a.ID, AlertPasswordExpiry, fmt.Sprintf(text, left, expires.UTC().Format("2006-01-02 15:04 UTC")), now)
}

// Alerts returns the account's visible in-app alerts.
func (s *Service) Alerts(ctx context.Context, a *varco.Account) ([]store.Alert, error) {
	return s.db.Reader().ListAlerts(ctx, a.ID)
}

// DismissAlert hides one of the account's alerts; another account's is ENotFound.
func (s *Service) DismissAlert(ctx context.Context, a *varco.Account, id int64) error {
	return s.db.DismissAlert(ctx, a.ID, id, s.clock.Now())
}

// PasswordExpiry returns when a's password expires under its
// organization's policy (the default for support) and that policy: the
// admin console warns staff from it (SPEC §2.6).
func (s *Service) PasswordExpiry(ctx context.Context, a *varco.Account) (time.Time, varco.Policy, error) {
	return s.passwordExpiry(ctx, a)
}
