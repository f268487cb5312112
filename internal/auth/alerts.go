package auth

import (
	"context"
	"fmt"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/device"
	"varco.dev/varco/internal/i18n"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/store"
)

// Kinds of in-app alert (SPEC §8). They are part of the API contract.
const (
	// AlertPasswordExpiry is shown at every sign-in while a password is
	// about to expire, and with each expiry warning e-mail (SPEC §2.4).
	AlertPasswordExpiry = "password_expiry"
	// AlertSuspensionComing: the password has expired and the account will
	// be suspended unless it is changed (SPEC §2.6).
	AlertSuspensionComing = "suspension_coming"
	AlertAccountLocked    = "account_locked"
	AlertAccountUnlocked  = "account_unlocked"
	// AlertNewLogin comes with every login alert e-mail (SPEC §5.10); it
	// names the session, so "this wasn't me" can end it.
	AlertNewLogin      = "new_login"
	AlertContactChange = "contact_changed"
)

// alertText formats the catalogue text key in a's language.
func alertText(a *varco.Account, key string, args ...any) string {
	return i18n.T(accountLang(a), key, args...)
}

// alertTime writes t in a's language and time zone.
func alertTime(a *varco.Account, t time.Time) string {
	return notify.FormatTime(t.In(a.Location()), accountLang(a))
}

// emailAlert is the in-app alert that goes with the e-mail of event, if
// the e-mail asks the user to act (SPEC §8): written with the e-mail, in
// its transaction.
func emailAlert(a *varco.Account, event string, d notify.Data) (store.Alert, bool) {
	switch event {
	case varco.EventAccountLocked:
		return store.Alert{Kind: AlertAccountLocked, Message: alertText(a, "alert_text.account_locked", alertTime(a, d.Time))}, true
	case varco.EventAccountUnlocked:
		return store.Alert{Kind: AlertAccountUnlocked, Message: alertText(a, "alert_text.account_unlocked", alertTime(a, d.Time))}, true
	case varco.EventLoginAlertSent:
		from, with := "", ""
		if place := d.Location; place != "" || d.IP != "" {
			if place == "" {
				place = d.IP
			}
			from = alertText(a, "alert_text.from", place)
		}
		if d.Device != "" {
			with = alertText(a, "alert_text.with", device.Describe(d.Device, accountLang(a)))
		}
		return store.Alert{Kind: AlertNewLogin, SessionID: d.SessionID,
			Message: alertText(a, "alert_text.new_login", alertTime(a, d.Time), from, with)}, true
	case varco.EventPasswordExpiryWarningSent:
		return expiryAlertFor(a, d.DaysLeft, d.ExpiresAt), true
	}
	return store.Alert{}, false
}

// expiryAlertFor is the password_expiry alert for daysLeft days before expires.
func expiryAlertFor(a *varco.Account, daysLeft int, expires time.Time) store.Alert {
	key := "alert_text.password_expiry"
	if daysLeft <= 1 {
		key = "alert_text.password_expiry_soon"
	}
	return store.Alert{Kind: AlertPasswordExpiry, Message: alertText(a, key, daysLeft, alertTime(a, expires))}
}

// expiryAlert raises the expiry alert when the password expires within the
// policy's first warning day, and clears it otherwise. Once the password
// has expired, a plain user's account is told that suspension is coming
// (SPEC §2.6); staff are never suspended.
func (s *Service) expiryAlert(ctx context.Context, q *store.Q, a *varco.Account, p varco.Policy, expires, now time.Time) error {
	left := varco.DaysLeft(expires, now)
	if left <= 0 && a.Role == varco.RoleUser && p.SuspensionGraceDays > 0 {
		if err := q.ClearAlert(ctx, a.ID, AlertPasswordExpiry); err != nil {
			return err
		}
		suspendAt := expires.Add(time.Duration(p.SuspensionGraceDays) * varco.Day)
		return q.RaiseAlert(ctx, a.ID, store.Alert{Kind: AlertSuspensionComing,
			Message: alertText(a, "alert_text.suspension_coming", alertTime(a, suspendAt))}, now)
	}
	if left <= 0 || left > p.FirstWarning() {
		return q.ClearAlert(ctx, a.ID, AlertPasswordExpiry)
	}
	return q.RaiseAlert(ctx, a.ID, expiryAlertFor(a, left, expires), now)
}

// contactAlert tells the account that its contact e-mail or phone changed
// (SPEC §8 contact_changed), in the change's transaction. what is "email"
// or "phone"; value the new address or number, "" when removed; the alert
// shows it masked.
func contactAlert(ctx context.Context, q *store.Q, a *varco.Account, what, value string, now time.Time) error {
	var msg string
	switch {
	case what == "email":
		msg = alertText(a, "alert_text.contact_email", alertTime(a, now), notify.MaskEmail(value))
	case value == "":
		msg = alertText(a, "alert_text.contact_phone_removed", alertTime(a, now))
	default:
		msg = alertText(a, "alert_text.contact_phone", alertTime(a, now), notify.MaskPhone(value))
	}
	return q.RaiseAlert(ctx, a.ID, store.Alert{Kind: AlertContactChange, Message: msg}, now)
}

// Alerts returns the account's visible in-app alerts.
func (s *Service) Alerts(ctx context.Context, a *varco.Account) ([]store.Alert, error) {
	return s.db.Reader().ListAlerts(ctx, a.ID)
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
	err := s.db.InTx(ctx, func(q *store.Q) error {
		al, err := q.AlertByID(ctx, a.ID, id)
		if err != nil {
			return err
		}
		if al.Kind != AlertNewLogin || al.SessionID == 0 {
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
	return s.RequestPasswordReset(ctx, a.Email, m)
}

// PasswordExpiry returns when a's password expires under its
// organization's policy (the default for support) and that policy: the
// admin console warns staff from it (SPEC §2.6).
func (s *Service) PasswordExpiry(ctx context.Context, a *varco.Account) (time.Time, varco.Policy, error) {
	return s.passwordExpiry(ctx, a)
}
