package notify

import (
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/device"
	"varco.dev/varco/internal/i18n"
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
	// AlertAppPasswordExpiry comes with each expiry warning and the expiry
	// notice of an app password (SPEC §7.3).
	AlertAppPasswordExpiry = "app_password_expiry"
)

// alertText formats the catalogue text key in a's language.
func alertText(a *varco.Account, key string, args ...any) string {
	return i18n.T(a.Language(), key, args...)
}

// alertTime writes t in a's language and time zone.
func alertTime(a *varco.Account, t time.Time) string {
	return FormatTime(t.In(a.Location()), a.Language())
}

// emailAlert is the in-app alert that goes with the e-mail of event, if
// the e-mail asks the user to act (SPEC §8): written with the e-mail, in
// its transaction.
func emailAlert(a *varco.Account, event string, d Data) (store.Alert, bool) {
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
			with = alertText(a, "alert_text.with", device.Describe(d.Device, a.Language()))
		}
		return store.Alert{Kind: AlertNewLogin, SessionID: d.SessionID,
			Message: alertText(a, "alert_text.new_login", alertTime(a, d.Time), from, with)}, true
	case varco.EventPasswordExpiryWarningSent:
		return ExpiryAlert(a, d.DaysLeft, d.ExpiresAt), true
	case varco.EventAppPasswordExpiryWarningSent:
		key := "alert_text.app_password_expiry"
		if d.DaysLeft <= 1 {
			key = "alert_text.app_password_expiry_soon"
		}
		return store.Alert{Kind: AlertAppPasswordExpiry, Message: alertText(a, key, d.Label, d.DaysLeft, alertTime(a, d.ExpiresAt))}, true
	case varco.EventAppPasswordExpired:
		return store.Alert{Kind: AlertAppPasswordExpiry, Message: alertText(a, "alert_text.app_password_expired", d.Label, alertTime(a, d.ExpiresAt))}, true
	}
	return store.Alert{}, false
}

// ExpiryAlert is the password_expiry alert for daysLeft days before expires.
func ExpiryAlert(a *varco.Account, daysLeft int, expires time.Time) store.Alert {
	key := "alert_text.password_expiry"
	if daysLeft <= 1 {
		key = "alert_text.password_expiry_soon"
	}
	return store.Alert{Kind: AlertPasswordExpiry, Message: alertText(a, key, daysLeft, alertTime(a, expires))}
}

// SuspensionAlert tells a plain user whose password has expired that the
// account will be suspended at suspendAt unless it changes (SPEC §2.6).
func SuspensionAlert(a *varco.Account, suspendAt time.Time) store.Alert {
	return store.Alert{Kind: AlertSuspensionComing, Message: alertText(a, "alert_text.suspension_coming", alertTime(a, suspendAt))}
}

// ContactAlert tells the account that its contact e-mail or phone changed
// on now (SPEC §8 contact_changed). what is "email" or "phone"; value the
// new address or number, "" when removed; the alert shows it masked.
func ContactAlert(a *varco.Account, what, value string, now time.Time) store.Alert {
	var msg string
	switch {
	case what == "email":
		msg = alertText(a, "alert_text.contact_email", alertTime(a, now), MaskEmail(value))
	case value == "":
		msg = alertText(a, "alert_text.contact_phone_removed", alertTime(a, now))
	default:
		msg = alertText(a, "alert_text.contact_phone", alertTime(a, now), MaskPhone(value))
	}
	return store.Alert{Kind: AlertContactChange, Message: msg}
}
