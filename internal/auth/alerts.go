package auth

import (
	"context"
	"fmt"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/store"
)

// expiryAlertPlan is what a sign-in does with the expiry alert: the kind
// of alert to clear first ("": none), then the alert to raise (nil: none).
// The expiry alert is raised when the password expires within the policy's
// first warning day, and cleared otherwise. Once the password has expired,
// a plain user's account is told that suspension is coming (SPEC §2.6);
// staff are never suspended. A sign-in clears in its one statement
// (store.Q.SignIn) and raises after.
func expiryAlertPlan(a *varco.Account, p varco.Policy, expires, now time.Time) (clear string, raise *store.Alert) {
	left := varco.DaysLeft(expires, now)
	if left <= 0 && a.Role == varco.RoleUser && p.SuspensionGraceDays > 0 {
		suspendAt := expires.Add(time.Duration(p.SuspensionGraceDays) * varco.Day)
		al := notify.SuspensionAlert(a, suspendAt)
		return notify.AlertPasswordExpiry, &al
	}
	if left <= 0 || left > p.FirstWarning() {
		return notify.AlertPasswordExpiry, nil
	}
	al := notify.ExpiryAlert(a, left, expires)
	return "", &al
}

// Alerts returns the account's visible in-app alerts.
func (s *Service) Alerts(ctx context.Context, a *varco.Account) ([]store.Alert, error) {
	return s.read().ListAlerts(ctx, a.ID)
}

// DismissAlert hides one of the account's alerts; another account's is ENotFound.
func (s *Service) DismissAlert(ctx context.Context, a *varco.Account, id int64) error {
	return s.db.DismissAlert(ctx, a.ID, id, s.clock.Now())
}

// NotMeAlert answers "this wasn't me" on a new_login alert of a's: like the
// e-mail's link (NotMe), it ends the session the alert is about and starts
// a password reset, and it dismisses the alert. Any other alert, or
// another account's, is ENotFound.
func (s *Service) NotMeAlert(ctx context.Context, a *varco.Account, id int64, m Meta) error {
	now := s.clock.Now()
	err := s.inTx(ctx, func(q Store) error {
		al, err := q.AlertByID(ctx, a.ID, id)
		if err != nil {
			return err
		}
		if al.Kind != notify.AlertNewLogin || al.SessionID == 0 {
			return varco.Errorf(varco.ENotFound, "alert not found")
		}
		if err := q.DismissAlert(ctx, a.ID, id, now); err != nil {
			return err
		}
		if err := q.RevokeSession(ctx, a.ID, al.SessionID, now); err != nil && !varco.IsCode(err, varco.ENotFound) {
			return err
		}
		return q.AppendEvent(ctx, s.event(a, varco.EventSessionRevoked, varco.OutcomeSuccess, m,
			fmt.Sprintf("session %d: \"this wasn't me\" from an in-app alert", al.SessionID)))
	})
	if err != nil {
		return err
	}
	return s.requestReset(ctx, a.Email, m)
}

// PasswordExpiry returns when a's password expires under its
// organization's policy (the default for support) and that policy: the
// admin console warns staff from it (SPEC §2.6).
func (s *Service) PasswordExpiry(ctx context.Context, a *varco.Account) (time.Time, varco.Policy, error) {
	return s.passwordExpiry(ctx, a)
}
