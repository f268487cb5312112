package notify

import (
	"fmt"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/device"
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

// alertTexts are the alerts' texts, lang → kind → format. The verbs take
// what alertMessage passes for the kind.
var alertTexts = map[string]map[string]string{
	varco.LangIT: {
		AlertPasswordExpiry + ".1":      "La tua password scade entro un giorno (%[2]s). Cambiala da Profilo > Password.",
		AlertPasswordExpiry:             "La tua password scade tra %[1]d giorni (%[2]s). Cambiala da Profilo > Password.",
		AlertSuspensionComing:           "La tua password è scaduta: cambiala entro %[1]s, altrimenti l'account sarà sospeso.",
		AlertAccountLocked:              "L'account è stato bloccato il %[1]s dopo troppi codici di verifica sbagliati. Chi ci ha provato conosceva la tua password: cambiala.",
		AlertAccountUnlocked:            "L'assistenza ha sbloccato l'account il %[1]s. Se non eri tu a sbagliare i codici, cambia la password.",
		AlertNewLogin:                   "Nuovo accesso il %[1]s%[2]s%[3]s. Se non sei stato tu, usa «Non sono stato io».",
		AlertContactChange + ".email":   "Il %[1]s l'indirizzo e-mail di contatto è diventato %[2]s. Se non sei stato tu, cambia subito la password.",
		AlertContactChange + ".phone":   "Il %[1]s il numero di telefono è diventato %[2]s. Se non sei stato tu, cambia subito la password.",
		AlertContactChange + ".nophone": "Il %[1]s il numero di telefono è stato rimosso. Se non sei stato tu, cambia subito la password.",
		"from":                          " da %s",
		"with":                          " con %s",
	},
	varco.LangEN: {
		AlertPasswordExpiry + ".1":      "Your password expires within a day (%[2]s). Change it under Profile > Password.",
		AlertPasswordExpiry:             "Your password expires in %[1]d days (%[2]s). Change it under Profile > Password.",
		AlertSuspensionComing:           "Your password has expired: change it by %[1]s, or the account will be suspended.",
		AlertAccountLocked:              "Your account was locked on %[1]s after too many wrong verification codes. Whoever tried knew your password: change it.",
		AlertAccountUnlocked:            "Support unlocked your account on %[1]s. If the wrong codes were not yours, change your password.",
		AlertNewLogin:                   "New sign-in on %[1]s%[2]s%[3]s. If it was not you, choose \"This wasn't me\".",
		AlertContactChange + ".email":   "On %[1]s your contact e-mail address became %[2]s. If it was not you, change your password now.",
		AlertContactChange + ".phone":   "On %[1]s your phone number became %[2]s. If it was not you, change your password now.",
		AlertContactChange + ".nophone": "On %[1]s your phone number was removed. If it was not you, change your password now.",
		"from":                          " from %s",
		"with":                          " with %s",
	},
}

// alertText formats the text key of a's language.
func alertText(a *varco.Account, key string, args ...any) string {
	return fmt.Sprintf(alertTexts[a.Language()][key], args...)
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
		return store.Alert{Kind: AlertAccountLocked, Message: alertText(a, AlertAccountLocked, alertTime(a, d.Time))}, true
	case varco.EventAccountUnlocked:
		return store.Alert{Kind: AlertAccountUnlocked, Message: alertText(a, AlertAccountUnlocked, alertTime(a, d.Time))}, true
	case varco.EventLoginAlertSent:
		from, with := "", ""
		if place := d.Location; place != "" || d.IP != "" {
			if place == "" {
				place = d.IP
			}
			from = alertText(a, "from", place)
		}
		if d.Device != "" {
			with = alertText(a, "with", device.Describe(d.Device, a.Language()))
		}
		return store.Alert{Kind: AlertNewLogin, SessionID: d.SessionID,
			Message: alertText(a, AlertNewLogin, alertTime(a, d.Time), from, with)}, true
	case varco.EventPasswordExpiryWarningSent:
		return ExpiryAlert(a, d.DaysLeft, d.ExpiresAt), true
	}
	return store.Alert{}, false
}

// ExpiryAlert is the password_expiry alert for daysLeft days before expires.
func ExpiryAlert(a *varco.Account, daysLeft int, expires time.Time) store.Alert {
	key := AlertPasswordExpiry
	if daysLeft <= 1 {
		key += ".1"
	}
	return store.Alert{Kind: AlertPasswordExpiry, Message: alertText(a, key, daysLeft, alertTime(a, expires))}
}

// SuspensionAlert tells a plain user whose password has expired that the
// account will be suspended at suspendAt unless it changes (SPEC §2.6).
func SuspensionAlert(a *varco.Account, suspendAt time.Time) store.Alert {
	return store.Alert{Kind: AlertSuspensionComing, Message: alertText(a, AlertSuspensionComing, alertTime(a, suspendAt))}
}

// ContactAlert tells the account that its contact e-mail or phone changed
// on now (SPEC §8 contact_changed). what is "email" or "phone"; value the
// new address or number, "" when removed; the alert shows it masked.
func ContactAlert(a *varco.Account, what, value string, now time.Time) store.Alert {
	var msg string
	switch {
	case what == "email":
		msg = alertText(a, AlertContactChange+".email", alertTime(a, now), MaskEmail(value))
	case value == "":
		msg = alertText(a, AlertContactChange+".nophone", alertTime(a, now))
	default:
		msg = alertText(a, AlertContactChange+".phone", alertTime(a, now), MaskPhone(value))
	}
	return store.Alert{Kind: AlertContactChange, Message: msg}
}
