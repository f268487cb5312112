package varco

// EventInfo is everything varco says about one activity event, in one
// place (SPEC §3): its name, what a person reads for it in each language,
// whether it is recorded from a request (and so carries the client's IP and
// place), and which messages go out with it. The services record events by
// their Event* names; the web filter and labels, the OpenAPI document, the
// message templates and the tests all read this registry.
type EventInfo struct {
	Name  string
	IT    string // label in Italian
	EN    string // label in English
	Place bool   // recorded from a request: has the client's IP and location
	Email bool   // an e-mail with X-Varco-Event: Name goes with it
	SMS   bool   // an SMS with event Name goes with it
}

// Label is the event's name for a person reading lang ("it" or "en").
func (e EventInfo) Label(lang string) string {
	if lang == LangEN {
		return e.EN
	}
	return e.IT
}

// events is the registry, in the order a user thinks of them: the web's
// type filter offers them so.
var events = []EventInfo{
	{Name: EventLoginSucceeded, IT: "Accesso riuscito", EN: "Signed in", Place: true},
	{Name: EventLoginFailed, IT: "Accesso non riuscito", EN: "Failed sign-in", Place: true},
	{Name: EventLogout, IT: "Uscita", EN: "Signed out", Place: true},
	{Name: EventSessionRevoked, IT: "Sessione chiusa", EN: "Session ended", Place: true},
	{Name: EventLoginAlertSent, IT: "Avviso di nuovo accesso inviato", EN: "New sign-in alert sent", Place: true, Email: true},
	{Name: EventPasswordChanged, IT: "Password cambiata", EN: "Password changed", Place: true, Email: true},
	{Name: EventPasswordResetRequested, IT: "Richiesta di recupero password", EN: "Password reset requested", Place: true, Email: true},
	{Name: EventPasswordResetCompleted, IT: "Password reimpostata", EN: "Password reset completed", Place: true, Email: true},
	{Name: EventPasswordChangeRequired, IT: "Cambio password richiesto", EN: "Password change required", Place: true},
	{Name: EventPasswordExpiryWarningSent, IT: "Avviso di scadenza password inviato", EN: "Password expiry warning sent", Email: true},
	{Name: EventInactivityWarningSent, IT: "Avviso di inattività inviato", EN: "Inactivity warning sent", Email: true},
	{Name: EventAccountCreated, IT: "Account creato", EN: "Account created", Place: true},
	{Name: EventAccountDisabled, IT: "Account disattivato", EN: "Account disabled", Place: true},
	{Name: EventAccountEnabled, IT: "Account riabilitato", EN: "Account re-enabled", Place: true},
	{Name: EventAccountSuspended, IT: "Account sospeso", EN: "Account suspended", Email: true},
	{Name: EventAccountReactivated, IT: "Account riattivato", EN: "Account reactivated", Place: true, Email: true},
	{Name: EventAccountLocked, IT: "Account bloccato", EN: "Account locked", Place: true, Email: true},
	{Name: EventAccountUnlocked, IT: "Account sbloccato", EN: "Account unlocked", Place: true, Email: true},
	{Name: EventStepUpRequired, IT: "Verifica aggiuntiva richiesta", EN: "Extra verification required", Place: true},
	{Name: EventPINSent, IT: "PIN inviato via e-mail", EN: "PIN sent by e-mail", Place: true, Email: true},
	{Name: EventPINFailed, IT: "PIN errato", EN: "Wrong PIN", Place: true},
	{Name: EventOTPSent, IT: "Codice inviato via SMS", EN: "Code sent by SMS", Place: true, SMS: true},
	{Name: EventOTPFailed, IT: "Codice SMS errato", EN: "Wrong SMS code", Place: true},
	{Name: EventStepUpSucceeded, IT: "Verifica aggiuntiva riuscita", EN: "Extra verification succeeded", Place: true},
	{Name: EventPhoneVerificationSent, IT: "Codice di verifica del telefono inviato", EN: "Phone verification code sent", Place: true, SMS: true},
	{Name: EventPhoneVerificationFailed, IT: "Codice di verifica del telefono errato", EN: "Wrong phone verification code", Place: true},
	{Name: EventPhoneVerified, IT: "Numero di telefono verificato", EN: "Phone number verified", Place: true},
	{Name: EventPhoneRemoved, IT: "Numero di telefono rimosso", EN: "Phone number removed", Place: true},
	{Name: EventContactEmailVerificationSent, IT: "Link di conferma dell'e-mail di contatto inviato", EN: "Contact e-mail confirmation link sent", Place: true, Email: true},
	{Name: EventContactEmailVerified, IT: "E-mail di contatto verificata", EN: "Contact e-mail verified", Place: true},
	{Name: EventOrgPolicyChanged, IT: "Criteri dell'organizzazione modificati", EN: "Organization policy changed", Place: true},
	{Name: EventOutboxRetried, IT: "Messaggio rimesso in coda", EN: "Message queued again", Place: true},
	{Name: EventTwoFactorEnabled, IT: "Verifica in due passaggi attivata", EN: "2-step verification turned on", Place: true, Email: true},
	{Name: EventTwoFactorDisabled, IT: "Verifica in due passaggi disattivata", EN: "2-step verification turned off", Place: true, Email: true},
	{Name: EventDeviceEnrolled, IT: "Dispositivo di verifica registrato", EN: "Authenticator device enrolled", Place: true},
	{Name: EventDeviceRemoved, IT: "Dispositivo di verifica rimosso", EN: "Authenticator device removed", Place: true},
	{Name: EventRecoveryCodesRegenerated, IT: "Codici di recupero rigenerati", EN: "Recovery codes regenerated", Place: true, Email: true},
	{Name: EventPushSent, IT: "Richiesta di approvazione inviata", EN: "Approval request sent", Place: true},
	{Name: EventPushApproved, IT: "Richiesta di approvazione accettata", EN: "Approval request approved", Place: true},
	{Name: EventPushDenied, IT: "Richiesta di approvazione rifiutata", EN: "Approval request denied", Place: true},
	{Name: EventPushReported, IT: "Richiesta di approvazione segnalata", EN: "Approval request reported", Place: true, Email: true},
	{Name: EventPushExpired, IT: "Richiesta di approvazione scaduta", EN: "Approval request expired", Place: true},
	{Name: EventPushCancelled, IT: "Richiesta di approvazione annullata", EN: "Approval request cancelled", Place: true},
	{Name: EventAppPasswordCreated, IT: "Password per app creata", EN: "App password created", Place: true},
	{Name: EventAppPasswordRotated, IT: "Password per app rigenerata", EN: "App password regenerated", Place: true},
	{Name: EventAppPasswordDeleted, IT: "Password per app eliminata", EN: "App password deleted", Place: true},
	{Name: EventAppPasswordExpiryWarningSent, IT: "Avviso di scadenza della password per app inviato", EN: "App password expiry warning sent", Email: true},
	{Name: EventAppPasswordExpired, IT: "Password per app scaduta", EN: "App password expired", Email: true},
	{Name: EventMailLoginSucceeded, IT: "Accesso alla posta riuscito", EN: "Mail client signed in", Place: true},
	{Name: EventMailLoginFailed, IT: "Accesso alla posta non riuscito", EN: "Failed mail client sign-in", Place: true},
}

var eventsByName = func() map[string]EventInfo {
	m := make(map[string]EventInfo, len(events))
	for _, e := range events {
		m[e.Name] = e
	}
	return m
}()

// Events returns every event varco records, in display order.
func Events() []EventInfo { return append([]EventInfo(nil), events...) }

// LookupEvent returns the registry's entry for name.
func LookupEvent(name string) (EventInfo, bool) {
	e, ok := eventsByName[name]
	return e, ok
}
