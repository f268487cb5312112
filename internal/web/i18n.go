package web

import (
	"fmt"
	"net/http"
	"time"

	"golang.org/x/text/language"

	"varco.dev/varco"
)

// langCookie remembers the language a visitor picked with the switch.
const langCookie = "lang"

// languages the pages speak, in the order of the switch; the first is the
// default.
var languages = []string{varco.LangIT, varco.LangEN}

var langMatcher = language.NewMatcher([]language.Tag{language.Italian, language.English})

// maxAcceptLanguage bounds the header parsed for a language.
const maxAcceptLanguage = 512

// pickLang decides the language of a page: an explicit ?lang= wins, then the
// lang cookie, then the signed-in account's language, then Accept-Language;
// Italian when nothing matches. fromQuery reports that ?lang= chose it, so
// the caller remembers the choice in a cookie.
func pickLang(r *http.Request, a *varco.Account) (lang string, fromQuery bool) {
	if l := r.URL.Query().Get("lang"); varco.ValidLang(l) {
		return l, true
	}
	if c, err := r.Cookie(langCookie); err == nil && varco.ValidLang(c.Value) {
		return c.Value, false
	}
	if a != nil && varco.ValidLang(a.Lang) {
		return a.Lang, false
	}
	return acceptLanguage(r.Header.Get("Accept-Language")), false
}

// acceptLanguage matches an Accept-Language header against the supported
// languages, Italian by default.
func acceptLanguage(header string) string {
	if header == "" || len(header) > maxAcceptLanguage {
		return varco.LangIT
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return varco.LangIT
	}
	_, idx, conf := langMatcher.Match(tags...)
	if conf == language.No || idx < 0 || idx >= len(languages) {
		return varco.LangIT
	}
	return languages[idx]
}

// translate returns the text of key in lang, formatted with args when there
// are any. A key missing from the catalog shows as [[key]] so that tests
// catch it.
func translate(lang, key string, args ...any) string {
	s, ok := catalog[lang][key]
	if !ok {
		if s, ok = catalog[varco.LangIT][key]; !ok {
			return "[[" + key + "]]"
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// label translates prefix+name (an event, role, status…) and falls back to
// the raw name, so a new event shows up even before it has a label.
func label(lang, prefix, name string) string {
	if s, ok := catalog[lang][prefix+name]; ok {
		return s
	}
	return name
}

var months = map[string][12]string{
	varco.LangIT: {"gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"},
	varco.LangEN: {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
}

// formatTime writes t (in UTC) the way a reader of lang expects it:
// "4 mag 2026, 08:05" or "4 May 2026, 08:05".
func formatTime(lang string, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.UTC()
	m, ok := months[lang]
	if !ok {
		m = months[varco.LangIT]
	}
	return fmt.Sprintf("%d %s %d, %02d:%02d", t.Day(), m[t.Month()-1], t.Year(), t.Hour(), t.Minute())
}

// formatDate is formatTime without the time of day.
func formatDate(lang string, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.UTC()
	m, ok := months[lang]
	if !ok {
		m = months[varco.LangIT]
	}
	return fmt.Sprintf("%d %s %d", t.Day(), m[t.Month()-1], t.Year())
}

// catalog holds every string of the pages, one key per string, per language.
// TestCatalogComplete checks that both languages have the same keys.
var catalog = map[string]map[string]string{
	varco.LangIT: {
		"app.name":     "varco",
		"lang.it":      "Italiano",
		"lang.en":      "English",
		"langname.it":  "italiano",
		"langname.en":  "inglese",
		"nav.label":    "Navigazione principale",
		"nav.language": "Lingua",
		"nav.skip":     "Vai al contenuto",
		"nav.profile":  "Profilo",
		"nav.password": "Password",
		"nav.sessions": "Sessioni",
		"nav.activity": "Cronologia attività",
		"nav.admin":    "Amministrazione",
		"nav.mailbox":  "Posta di sviluppo",
		"nav.logout":   "Esci",
		"nav.signedin": "Accesso effettuato come %s",
		"footer.text":  "varco · sicurezza degli account",

		"login.title":     "Accedi",
		"login.intro":     "Accedi con l'indirizzo e-mail e la password del tuo account.",
		"login.email":     "Indirizzo e-mail",
		"login.password":  "Password",
		"login.submit":    "Accedi",
		"login.missing":   "Inserisci l'indirizzo e-mail e la password.",
		"login.too_long":  "L'indirizzo e-mail o la password sono troppo lunghi.",
		"login.signedout": "Sei uscito dal tuo account.",
		"login.expired":   "La sessione è scaduta: accedi di nuovo.",

		"login.forgot":     "Password dimenticata?",
		"login.reset_done": "Password cambiata: accedi con la nuova password.",

		"reset.title":           "Recupera la password",
		"reset.intro":           "Inserisci l'indirizzo e-mail del tuo account: ti mandiamo un link per sceglierne una nuova.",
		"reset.submit":          "Mandami il link",
		"reset.missing":         "Inserisci l'indirizzo e-mail.",
		"reset.bad_email":       "L'indirizzo e-mail non è valido o è troppo lungo.",
		"reset.sent":            "Se esiste un account con questo indirizzo, ti abbiamo mandato un'e-mail con un link per scegliere una nuova password. Il link vale 24 ore.",
		"reset.sent_hint":       "Non trovi il messaggio? Controlla anche nella posta indesiderata.",
		"reset.back_login":      "Torna all'accesso",
		"reset.complete_title":  "Scegli una nuova password",
		"reset.complete_submit": "Salva la nuova password",
		"reset.invalid_token":   "Questo link non è valido o è scaduto. Chiedine uno nuovo.",
		"reset.ask_again":       "Chiedi un nuovo link",

		"policy.title":          "Regole sulle password di %s",
		"policy.max_age":        "Durata della password",
		"policy.warning":        "Avvisi di scadenza",
		"policy.warning_days":   "%s giorni prima della scadenza",
		"policy.no_warnings":    "nessun avviso",
		"policy.inactivity":     "Promemoria di inattività",
		"policy.after_no_login": "dopo %s senza accessi",
		"policy.grace":          "Sospensione dell'account",
		"policy.after_expiry":   "%s dopo la scadenza della password",
		"policy.history":        "Password precedenti da non riusare",
		"policy.history_one":    "l'ultima",
		"policy.history_n":      "le ultime %d",
		"policy.no_history":     "nessun vincolo",
		"policy.day_one":        "1 giorno",
		"policy.days":           "%d giorni",

		"admin.reactivate":                "Riattiva l'account",
		"admin.reactivate_hint":           "L'account è sospeso perché la password non è stata rinnovata in tempo. Dopo la riattivazione l'utente dovrà cambiare la password al primo accesso.",
		"admin.reactivate_confirm":        "Confermo di voler riattivare questo account",
		"admin.reactivated":               "Account riattivato: al prossimo accesso l'utente dovrà cambiare la password.",
		"admin.reactivate_confirm_needed": "Per riattivare l'account spunta la casella di conferma.",
		"admin.not_suspended":             "L'account non è sospeso: non c'è niente da riattivare.",

		"err.invalid_credentials":             "E-mail o password errati.",
		"err.too_many_attempts_one":           "Troppi tentativi. Riprova tra %d secondo.",
		"err.too_many_attempts":               "Troppi tentativi. Riprova tra %d secondi.",
		"err.account_locked":                  "Questo account è bloccato per motivi di sicurezza. Contatta l'assistenza per sbloccarlo.",
		"err.account_suspended":               "Questo account è sospeso perché la password non è stata rinnovata in tempo. Contatta il tuo amministratore o l'assistenza.",
		"err.account_disabled":                "Questo account è stato disattivato da un amministratore.",
		"err.overloaded":                      "Il servizio è molto carico in questo momento. Riprova tra qualche istante.",
		"err.internal":                        "Si è verificato un errore imprevisto. Riprova più tardi.",
		"err.invalid_request":                 "La richiesta non è valida.",
		"err.not_found":                       "La pagina o l'elemento che cerchi non esiste.",
		"err.forbidden":                       "Non hai i permessi per accedere a questa pagina.",
		"err.password_too_short":              "La password deve avere almeno 8 caratteri.",
		"err.password_too_long":               "La password può avere al massimo 256 caratteri.",
		"err.password_needs_letter_and_digit": "La password deve contenere sia lettere sia numeri.",
		"err.password_too_common":             "Questa password è troppo comune o è già comparsa in furti di dati: scegline un'altra.",
		"err.password_contains_email":         "La password non può contenere il tuo indirizzo e-mail.",
		"err.password_reused":                 "Hai già usato questa password di recente: scegline una nuova.",
		"err.bad_filter":                      "I filtri indicati non sono validi.",
		"err.title.400":                       "Richiesta non valida",
		"err.title.403":                       "Accesso negato",
		"err.title.404":                       "Pagina non trovata",
		"err.title.500":                       "Errore",
		"err.back":                            "Torna alla pagina iniziale",

		"profile.title":            "Profilo",
		"profile.intro":            "I dati del tuo account e le impostazioni di sicurezza.",
		"alerts.dismiss":           "Nascondi",
		"profile.account":          "Il tuo account",
		"profile.email":            "E-mail di accesso",
		"profile.contact":          "E-mail per le notifiche",
		"profile.name":             "Nome",
		"profile.org":              "Organizzazione",
		"profile.role":             "Ruolo",
		"profile.status":           "Stato",
		"profile.language":         "Lingua",
		"profile.password_age":     "Password",
		"profile.pw_today":         "cambiata oggi",
		"profile.pw_one":           "cambiata 1 giorno fa (%s)",
		"profile.pw_many":          "cambiata %d giorni fa (%s)",
		"profile.last_login":       "Ultimo accesso",
		"profile.none":             "—",
		"profile.security":         "Sicurezza",
		"profile.go_password":      "Cambia la password",
		"profile.go_password_hint": "Scegli una nuova password per il tuo account.",
		"profile.go_sessions":      "Sessioni attive",
		"profile.go_sessions_hint": "Vedi dove hai effettuato l'accesso e chiudi le sessioni che non riconosci.",
		"profile.go_activity":      "Cronologia attività",
		"profile.go_activity_hint": "Accessi, cambi di password e altri eventi di sicurezza del tuo account.",
		"profile.go_admin":         "Amministrazione",
		"profile.go_admin_hint":    "Cerca gli utenti, consulta la loro cronologia e disattiva gli account.",
		"profile.password_changed": "Password cambiata. Le altre sessioni sono state chiuse.",

		"role.user":      "Utente",
		"role.org_admin": "Amministratore dell'organizzazione",
		"role.support":   "Assistenza",

		"status.active":    "Attivo",
		"status.suspended": "Sospeso",
		"status.locked":    "Bloccato",
		"status.disabled":  "Disattivato",

		"password.title":         "Cambia la password",
		"password.intro":         "Scegli una password di almeno 8 caratteri con lettere e numeri, diversa dalle ultime che hai usato e che non contenga il tuo indirizzo e-mail.",
		"password.required":      "La tua password è scaduta o va rinnovata: cambiala per continuare a usare l'account.",
		"password.current":       "Password attuale",
		"password.new":           "Nuova password",
		"password.confirm":       "Ripeti la nuova password",
		"password.submit":        "Cambia la password",
		"password.mismatch":      "Le due nuove password non coincidono.",
		"password.missing":       "Compila tutti i campi.",
		"password.wrong_current": "La password attuale non è corretta.",
		"password.hint_new":      "Almeno 8 caratteri, con lettere e numeri.",

		"sessions.title":              "Sessioni attive",
		"sessions.intro":              "Questi sono i dispositivi e i browser da cui hai effettuato l'accesso. Se non ne riconosci uno, chiudilo e cambia la password.",
		"sessions.caption":            "Sessioni attive del tuo account",
		"sessions.device":             "Dispositivo",
		"sessions.ip":                 "Indirizzo IP",
		"sessions.created":            "Inizio",
		"sessions.last_seen":          "Ultima attività",
		"sessions.current":            "Questa sessione",
		"sessions.revoke":             "Chiudi",
		"sessions.revoke_label":       "Chiudi la sessione iniziata il %s",
		"sessions.revoke_others":      "Chiudi tutte le altre sessioni",
		"sessions.none":               "Nessuna sessione attiva.",
		"sessions.revoked":            "Sessione chiusa.",
		"sessions.revoked_others_one": "È stata chiusa 1 altra sessione.",
		"sessions.revoked_others":     "Sono state chiuse %d altre sessioni.",
		"sessions.unknown_device":     "Dispositivo sconosciuto",

		"activity.title":       "Cronologia attività",
		"activity.breadcrumb":  "Profilo > Cronologia attività",
		"activity.intro":       "Gli eventi di sicurezza del tuo account, dal più recente.",
		"activity.caption":     "Eventi di sicurezza",
		"activity.filters":     "Filtra",
		"activity.type":        "Tipo di evento",
		"activity.all_types":   "Tutti gli eventi",
		"activity.from":        "Dal giorno",
		"activity.to":          "Al giorno",
		"activity.apply":       "Applica i filtri",
		"activity.reset":       "Azzera i filtri",
		"activity.time":        "Data e ora (UTC)",
		"activity.event":       "Evento",
		"activity.actor":       "Autore",
		"activity.ip":          "Indirizzo IP",
		"activity.location":    "Luogo",
		"activity.device":      "Dispositivo",
		"activity.application": "Applicazione",
		"activity.outcome":     "Esito",
		"activity.none":        "Nessun evento da mostrare.",
		"activity.older":       "Eventi meno recenti",
		"activity.newest":      "Torna ai più recenti",
		"activity.pages":       "Pagine della cronologia",
		"activity.export":      "Esporta",
		"activity.export_csv":  "Scarica in CSV",
		"activity.export_json": "Scarica in JSON",

		"outcome.success": "Riuscito",
		"outcome.failure": "Non riuscito",

		"actor.self":    "Tu",
		"actor.admin":   "Un amministratore",
		"actor.support": "L'assistenza",
		"actor.system":  "Il sistema",
		"actor.reset":   "Recupero password",

		"appname.webmail":            "Webmail",
		"appname.customer_area":      "Area clienti",
		"appname.support_portal":     "Portale assistenza",
		"appname.account_management": "Gestione account",
		"appname.mail_panel":         "Pannello posta",
		"appname.api":                "API",
		"appname.authenticator":      "App di autenticazione",

		"event.login_succeeded":                  "Accesso riuscito",
		"event.login_failed":                     "Accesso non riuscito",
		"event.logout":                           "Uscita",
		"event.password_changed":                 "Password cambiata",
		"event.password_reset_requested":         "Richiesta di recupero password",
		"event.password_reset_completed":         "Password reimpostata",
		"event.password_expiry_warning_sent":     "Avviso di scadenza password inviato",
		"event.inactivity_warning_sent":          "Avviso di inattività inviato",
		"event.account_created":                  "Account creato",
		"event.account_disabled":                 "Account disattivato",
		"event.account_suspended":                "Account sospeso",
		"event.account_reactivated":              "Account riattivato",
		"event.account_locked":                   "Account bloccato",
		"event.account_unlocked":                 "Account sbloccato",
		"event.step_up_required":                 "Verifica aggiuntiva richiesta",
		"event.pin_sent":                         "PIN inviato via e-mail",
		"event.pin_failed":                       "PIN errato",
		"event.otp_sent":                         "Codice inviato via SMS",
		"event.otp_failed":                       "Codice SMS errato",
		"event.step_up_succeeded":                "Verifica aggiuntiva riuscita",
		"event.two_factor_enabled":               "Verifica in due passaggi attivata",
		"event.two_factor_disabled":              "Verifica in due passaggi disattivata",
		"event.device_enrolled":                  "Dispositivo associato",
		"event.device_removed":                   "Dispositivo rimosso",
		"event.push_sent":                        "Richiesta di approvazione inviata",
		"event.push_approved":                    "Accesso approvato dal dispositivo",
		"event.push_denied":                      "Accesso negato dal dispositivo",
		"event.push_reported":                    "Accesso segnalato come sospetto",
		"event.push_expired":                     "Richiesta di approvazione scaduta",
		"event.app_password_created":             "Password per app creata",
		"event.app_password_rotated":             "Password per app rigenerata",
		"event.app_password_deleted":             "Password per app eliminata",
		"event.app_password_expiry_warning_sent": "Avviso di scadenza password per app inviato",
		"event.app_password_expired":             "Password per app scaduta",
		"event.mail_login_succeeded":             "Accesso alla posta riuscito",
		"event.mail_login_failed":                "Accesso alla posta non riuscito",
		"event.session_revoked":                  "Sessione chiusa",
		"event.login_alert_sent":                 "Avviso di nuovo accesso inviato",

		"admin.title":           "Amministrazione",
		"admin.intro_org":       "Gli utenti della tua organizzazione.",
		"admin.intro_all":       "Gli utenti di tutte le organizzazioni.",
		"admin.search":          "Cerca per e-mail o nome",
		"admin.search_submit":   "Cerca",
		"admin.caption":         "Utenti trovati",
		"admin.email":           "E-mail",
		"admin.name":            "Nome",
		"admin.org":             "Organizzazione",
		"admin.role":            "Ruolo",
		"admin.status":          "Stato",
		"admin.none":            "Nessun utente trovato.",
		"admin.next":            "Altri risultati",
		"admin.back":            "Torna alla ricerca",
		"admin.user_title":      "Utente %s",
		"admin.details":         "Dati dell'account",
		"admin.created":         "Creato il",
		"admin.history":         "Cronologia attività",
		"admin.disable":         "Disattiva l'account",
		"admin.disable_hint":    "L'utente non potrà più accedere e tutte le sue sessioni verranno chiuse.",
		"admin.disable_confirm": "Confermo di voler disattivare questo account",
		"admin.disabled":        "Account disattivato.",
		"admin.confirm_needed":  "Per disattivare l'account spunta la casella di conferma.",

		"mailbox.title":    "Posta di sviluppo",
		"mailbox.intro":    "In modalità sviluppo i messaggi non vengono spediti: eccoli qui, dal più recente.",
		"mailbox.none":     "Nessun messaggio.",
		"mailbox.event":    "Evento",
		"mailbox.to":       "Destinatario",
		"mailbox.subject":  "Oggetto",
		"mailbox.time":     "Data e ora (UTC)",
		"mailbox.open":     "Apri il messaggio",
		"mailbox.back":     "Torna alla posta",
		"mailbox.has_html": "Il messaggio ha anche una versione HTML, non mostrata qui.",
		"mailbox.sms":      "SMS",
		"mailbox.sms_to":   "SMS a %s",
		"mailbox.email":    "E-mail",

		"event.phone_verification_sent":         "Codice di verifica del telefono inviato",
		"event.phone_verification_failed":       "Codice di verifica del telefono errato",
		"event.phone_verified":                  "Numero di telefono verificato",
		"event.phone_removed":                   "Numero di telefono rimosso",
		"event.contact_email_verification_sent": "Link di conferma dell'e-mail di contatto inviato",
		"event.contact_email_verified":          "E-mail di contatto verificata",

		"err.invalid_phone": "Il numero deve essere in formato internazionale: + seguito da 8-15 cifre, senza spazi (per esempio +393471234567).",
		"err.invalid_code":  "Il codice non è corretto.",

		"contact.title":          "Contatti",
		"contact.intro":          "Dove ti mandiamo le notifiche di sicurezza e i codici via SMS. Un nuovo numero o indirizzo vale solo dopo averlo confermato.",
		"contact.phone":          "Telefono",
		"contact.none":           "nessuno",
		"contact.verified":       "verificato",
		"contact.unverified":     "non verificato",
		"contact.new_phone":      "Nuovo numero di telefono",
		"contact.phone_hint":     "In formato internazionale, senza spazi: per esempio +393471234567.",
		"contact.send_code":      "Invia il codice via SMS",
		"contact.code_sent":      "Abbiamo inviato un codice via SMS a %s. Vale 10 minuti.",
		"contact.code":           "Codice ricevuto via SMS",
		"contact.verify_code":    "Conferma il numero",
		"contact.remove_phone":   "Rimuovi il numero",
		"contact.phone_verified": "Numero di telefono verificato.",
		"contact.phone_removed":  "Numero di telefono rimosso.",
		"contact.code_void":      "Nessun codice valido in attesa: è scaduto o è stato sbagliato troppe volte. Chiedine uno nuovo.",
		"contact.email":          "E-mail per le notifiche",
		"contact.email_default":  "%s (l'e-mail di accesso)",
		"contact.new_email":      "Nuova e-mail per le notifiche",
		"contact.send_link":      "Invia il link di conferma",
		"contact.link_sent":      "Abbiamo inviato un link di conferma a %s. Finché non lo apri, le notifiche continuano ad arrivare all'indirizzo attuale.",
		"contact.bad_email":      "Scrivi un indirizzo e-mail valido.",
		"contact.confirm_title":  "Conferma l'e-mail di contatto",
		"contact.confirm_intro":  "Conferma per ricevere le notifiche di sicurezza del tuo account a questo indirizzo.",
		"contact.confirm_submit": "Conferma l'indirizzo",
		"contact.confirmed":      "Fatto: %s è ora la tua e-mail per le notifiche.",
		"contact.invalid_link":   "Questo link di conferma non è valido o è scaduto. Chiedine uno nuovo dal profilo.",
		"contact.go_profile":     "Vai al profilo",
	},
	varco.LangEN: {
		"app.name":     "varco",
		"lang.it":      "Italiano",
		"lang.en":      "English",
		"langname.it":  "Italian",
		"langname.en":  "English",
		"nav.label":    "Main navigation",
		"nav.language": "Language",
		"nav.skip":     "Skip to content",
		"nav.profile":  "Profile",
		"nav.password": "Password",
		"nav.sessions": "Sessions",
		"nav.activity": "Activity history",
		"nav.admin":    "Administration",
		"nav.mailbox":  "Dev mailbox",
		"nav.logout":   "Sign out",
		"nav.signedin": "Signed in as %s",
		"footer.text":  "varco · account security",

		"login.title":     "Sign in",
		"login.intro":     "Sign in with your account's e-mail address and password.",
		"login.email":     "E-mail address",
		"login.password":  "Password",
		"login.submit":    "Sign in",
		"login.missing":   "Enter your e-mail address and password.",
		"login.too_long":  "The e-mail address or the password is too long.",
		"login.signedout": "You have signed out.",
		"login.expired":   "Your session has expired: please sign in again.",

		"login.forgot":     "Forgot your password?",
		"login.reset_done": "Password changed: sign in with your new password.",

		"reset.title":           "Reset your password",
		"reset.intro":           "Enter your account's e-mail address and we will send you a link to choose a new password.",
		"reset.submit":          "Send me the link",
		"reset.missing":         "Enter your e-mail address.",
		"reset.bad_email":       "The e-mail address is not valid or is too long.",
		"reset.sent":            "If an account exists for that address, we have sent it an e-mail with a link to choose a new password. The link works for 24 hours.",
		"reset.sent_hint":       "Can't find the message? Check your spam folder too.",
		"reset.back_login":      "Back to sign in",
		"reset.complete_title":  "Choose a new password",
		"reset.complete_submit": "Save the new password",
		"reset.invalid_token":   "This link is not valid or has expired. Ask for a new one.",
		"reset.ask_again":       "Ask for a new link",

		"policy.title":          "Password policy of %s",
		"policy.max_age":        "Password lifetime",
		"policy.warning":        "Expiry warnings",
		"policy.warning_days":   "%s days before expiry",
		"policy.no_warnings":    "no warnings",
		"policy.inactivity":     "Inactivity reminder",
		"policy.after_no_login": "after %s without signing in",
		"policy.grace":          "Account suspension",
		"policy.after_expiry":   "%s after the password expires",
		"policy.history":        "Previous passwords that cannot be reused",
		"policy.history_one":    "the last one",
		"policy.history_n":      "the last %d",
		"policy.no_history":     "no restriction",
		"policy.day_one":        "1 day",
		"policy.days":           "%d days",

		"admin.reactivate":                "Reactivate the account",
		"admin.reactivate_hint":           "The account is suspended because its password was not renewed in time. Once reactivated, the user must change the password at the next sign-in.",
		"admin.reactivate_confirm":        "I confirm I want to reactivate this account",
		"admin.reactivated":               "Account reactivated: the user must change the password at the next sign-in.",
		"admin.reactivate_confirm_needed": "To reactivate the account, tick the confirmation box.",
		"admin.not_suspended":             "The account is not suspended: there is nothing to reactivate.",

		"err.invalid_credentials":             "Wrong e-mail or password.",
		"err.too_many_attempts_one":           "Too many attempts. Try again in %d second.",
		"err.too_many_attempts":               "Too many attempts. Try again in %d seconds.",
		"err.account_locked":                  "This account is locked for security reasons. Contact support to unlock it.",
		"err.account_suspended":               "This account is suspended because its password was not renewed in time. Contact your administrator or support.",
		"err.account_disabled":                "This account has been disabled by an administrator.",
		"err.overloaded":                      "The service is very busy right now. Try again in a moment.",
		"err.internal":                        "Something went wrong. Please try again later.",
		"err.invalid_request":                 "The request is not valid.",
		"err.not_found":                       "The page or item you are looking for does not exist.",
		"err.forbidden":                       "You are not allowed to open this page.",
		"err.password_too_short":              "The password must be at least 8 characters long.",
		"err.password_too_long":               "The password can be at most 256 characters long.",
		"err.password_needs_letter_and_digit": "The password must contain both letters and digits.",
		"err.password_too_common":             "This password is too common or has appeared in data breaches: choose another one.",
		"err.password_contains_email":         "The password cannot contain your e-mail address.",
		"err.password_reused":                 "You have used this password recently: choose a new one.",
		"err.bad_filter":                      "The filters are not valid.",
		"err.title.400":                       "Bad request",
		"err.title.403":                       "Access denied",
		"err.title.404":                       "Page not found",
		"err.title.500":                       "Error",
		"err.back":                            "Back to the home page",

		"profile.title":            "Profile",
		"profile.intro":            "Your account details and security settings.",
		"alerts.dismiss":           "Dismiss",
		"profile.account":          "Your account",
		"profile.email":            "Sign-in e-mail",
		"profile.contact":          "E-mail for notifications",
		"profile.name":             "Name",
		"profile.org":              "Organization",
		"profile.role":             "Role",
		"profile.status":           "Status",
		"profile.language":         "Language",
		"profile.password_age":     "Password",
		"profile.pw_today":         "changed today",
		"profile.pw_one":           "changed 1 day ago (%s)",
		"profile.pw_many":          "changed %d days ago (%s)",
		"profile.last_login":       "Last sign-in",
		"profile.none":             "—",
		"profile.security":         "Security",
		"profile.go_password":      "Change password",
		"profile.go_password_hint": "Choose a new password for your account.",
		"profile.go_sessions":      "Active sessions",
		"profile.go_sessions_hint": "See where you are signed in and end the sessions you do not recognize.",
		"profile.go_activity":      "Activity history",
		"profile.go_activity_hint": "Sign-ins, password changes and other security events of your account.",
		"profile.go_admin":         "Administration",
		"profile.go_admin_hint":    "Search users, read their history and disable accounts.",
		"profile.password_changed": "Password changed. Your other sessions have been ended.",

		"role.user":      "User",
		"role.org_admin": "Organization administrator",
		"role.support":   "Support",

		"status.active":    "Active",
		"status.suspended": "Suspended",
		"status.locked":    "Locked",
		"status.disabled":  "Disabled",

		"password.title":         "Change password",
		"password.intro":         "Choose a password of at least 8 characters with letters and digits, different from your recent ones and not containing your e-mail address.",
		"password.required":      "Your password has expired or must be renewed: change it to keep using your account.",
		"password.current":       "Current password",
		"password.new":           "New password",
		"password.confirm":       "Repeat the new password",
		"password.submit":        "Change password",
		"password.mismatch":      "The two new passwords do not match.",
		"password.missing":       "Fill in every field.",
		"password.wrong_current": "The current password is wrong.",
		"password.hint_new":      "At least 8 characters, with letters and digits.",

		"sessions.title":              "Active sessions",
		"sessions.intro":              "These are the devices and browsers where you are signed in. If you do not recognize one, end it and change your password.",
		"sessions.caption":            "Active sessions of your account",
		"sessions.device":             "Device",
		"sessions.ip":                 "IP address",
		"sessions.created":            "Started",
		"sessions.last_seen":          "Last activity",
		"sessions.current":            "This session",
		"sessions.revoke":             "End",
		"sessions.revoke_label":       "End the session started on %s",
		"sessions.revoke_others":      "End all other sessions",
		"sessions.none":               "No active sessions.",
		"sessions.revoked":            "Session ended.",
		"sessions.revoked_others_one": "1 other session was ended.",
		"sessions.revoked_others":     "%d other sessions were ended.",
		"sessions.unknown_device":     "Unknown device",

		"activity.title":       "Activity history",
		"activity.breadcrumb":  "Profile > Activity history",
		"activity.intro":       "The security events of your account, newest first.",
		"activity.caption":     "Security events",
		"activity.filters":     "Filter",
		"activity.type":        "Event type",
		"activity.all_types":   "All events",
		"activity.from":        "From",
		"activity.to":          "To",
		"activity.apply":       "Apply filters",
		"activity.reset":       "Clear filters",
		"activity.time":        "Date and time (UTC)",
		"activity.event":       "Event",
		"activity.actor":       "By",
		"activity.ip":          "IP address",
		"activity.location":    "Location",
		"activity.device":      "Device",
		"activity.application": "Application",
		"activity.outcome":     "Outcome",
		"activity.none":        "No events to show.",
		"activity.older":       "Older events",
		"activity.newest":      "Back to the newest",
		"activity.pages":       "History pages",
		"activity.export":      "Export",
		"activity.export_csv":  "Download as CSV",
		"activity.export_json": "Download as JSON",

		"outcome.success": "Succeeded",
		"outcome.failure": "Failed",

		"actor.self":    "You",
		"actor.admin":   "An administrator",
		"actor.support": "Support",
		"actor.system":  "The system",
		"actor.reset":   "Password recovery",

		"appname.webmail":            "Webmail",
		"appname.customer_area":      "Customer area",
		"appname.support_portal":     "Support portal",
		"appname.account_management": "Account management",
		"appname.mail_panel":         "Mail panel",
		"appname.api":                "API",
		"appname.authenticator":      "Authenticator app",

		"event.login_succeeded":                  "Signed in",
		"event.login_failed":                     "Failed sign-in",
		"event.logout":                           "Signed out",
		"event.password_changed":                 "Password changed",
		"event.password_reset_requested":         "Password reset requested",
		"event.password_reset_completed":         "Password reset completed",
		"event.password_expiry_warning_sent":     "Password expiry warning sent",
		"event.inactivity_warning_sent":          "Inactivity warning sent",
		"event.account_created":                  "Account created",
		"event.account_disabled":                 "Account disabled",
		"event.account_suspended":                "Account suspended",
		"event.account_reactivated":              "Account reactivated",
		"event.account_locked":                   "Account locked",
		"event.account_unlocked":                 "Account unlocked",
		"event.step_up_required":                 "Extra verification required",
		"event.pin_sent":                         "PIN sent by e-mail",
		"event.pin_failed":                       "Wrong PIN",
		"event.otp_sent":                         "Code sent by SMS",
		"event.otp_failed":                       "Wrong SMS code",
		"event.step_up_succeeded":                "Extra verification succeeded",
		"event.two_factor_enabled":               "2-step verification turned on",
		"event.two_factor_disabled":              "2-step verification turned off",
		"event.device_enrolled":                  "Device added",
		"event.device_removed":                   "Device removed",
		"event.push_sent":                        "Approval request sent",
		"event.push_approved":                    "Sign-in approved on the device",
		"event.push_denied":                      "Sign-in denied on the device",
		"event.push_reported":                    "Sign-in reported as suspicious",
		"event.push_expired":                     "Approval request expired",
		"event.app_password_created":             "App password created",
		"event.app_password_rotated":             "App password regenerated",
		"event.app_password_deleted":             "App password deleted",
		"event.app_password_expiry_warning_sent": "App password expiry warning sent",
		"event.app_password_expired":             "App password expired",
		"event.mail_login_succeeded":             "Mail sign-in",
		"event.mail_login_failed":                "Failed mail sign-in",
		"event.session_revoked":                  "Session ended",
		"event.login_alert_sent":                 "New sign-in alert sent",

		"admin.title":           "Administration",
		"admin.intro_org":       "The users of your organization.",
		"admin.intro_all":       "The users of every organization.",
		"admin.search":          "Search by e-mail or name",
		"admin.search_submit":   "Search",
		"admin.caption":         "Users found",
		"admin.email":           "E-mail",
		"admin.name":            "Name",
		"admin.org":             "Organization",
		"admin.role":            "Role",
		"admin.status":          "Status",
		"admin.none":            "No users found.",
		"admin.next":            "More results",
		"admin.back":            "Back to the search",
		"admin.user_title":      "User %s",
		"admin.details":         "Account details",
		"admin.created":         "Created on",
		"admin.history":         "Activity history",
		"admin.disable":         "Disable account",
		"admin.disable_hint":    "The user will no longer be able to sign in and every session will be ended.",
		"admin.disable_confirm": "I confirm that I want to disable this account",
		"admin.disabled":        "Account disabled.",
		"admin.confirm_needed":  "To disable the account, tick the confirmation box.",

		"mailbox.title":    "Dev mailbox",
		"mailbox.intro":    "In dev mode messages are not sent: here they are, newest first.",
		"mailbox.none":     "No messages.",
		"mailbox.event":    "Event",
		"mailbox.to":       "To",
		"mailbox.subject":  "Subject",
		"mailbox.time":     "Date and time (UTC)",
		"mailbox.open":     "Open the message",
		"mailbox.back":     "Back to the mailbox",
		"mailbox.has_html": "The message also has an HTML part, not shown here.",
		"mailbox.sms":      "SMS",
		"mailbox.sms_to":   "SMS to %s",
		"mailbox.email":    "E-mail",

		"event.phone_verification_sent":         "Phone verification code sent",
		"event.phone_verification_failed":       "Wrong phone verification code",
		"event.phone_verified":                  "Phone number verified",
		"event.phone_removed":                   "Phone number removed",
		"event.contact_email_verification_sent": "Contact e-mail confirmation link sent",
		"event.contact_email_verified":          "Contact e-mail verified",

		"err.invalid_phone": "The number must be in international form: + and 8 to 15 digits, no spaces (for example +393471234567).",
		"err.invalid_code":  "The code is not right.",

		"contact.title":          "Contact details",
		"contact.intro":          "Where we send security notifications and SMS codes. A new number or address counts only once you confirm it.",
		"contact.phone":          "Phone",
		"contact.none":           "none",
		"contact.verified":       "verified",
		"contact.unverified":     "not verified",
		"contact.new_phone":      "New phone number",
		"contact.phone_hint":     "In international form, no spaces: for example +393471234567.",
		"contact.send_code":      "Send the code by SMS",
		"contact.code_sent":      "We sent a code by SMS to %s. It is valid for 10 minutes.",
		"contact.code":           "Code from the SMS",
		"contact.verify_code":    "Confirm the number",
		"contact.remove_phone":   "Remove the number",
		"contact.phone_verified": "Phone number verified.",
		"contact.phone_removed":  "Phone number removed.",
		"contact.code_void":      "No valid code is pending: it expired or was mistyped too many times. Ask for a new one.",
		"contact.email":          "E-mail for notifications",
		"contact.email_default":  "%s (the sign-in e-mail)",
		"contact.new_email":      "New e-mail for notifications",
		"contact.send_link":      "Send the confirmation link",
		"contact.link_sent":      "We sent a confirmation link to %s. Until you open it, notifications keep going to the current address.",
		"contact.bad_email":      "Enter a valid e-mail address.",
		"contact.confirm_title":  "Confirm your contact e-mail",
		"contact.confirm_intro":  "Confirm to receive your account's security notifications at this address.",
		"contact.confirm_submit": "Confirm the address",
		"contact.confirmed":      "Done: %s is now your e-mail for notifications.",
		"contact.invalid_link":   "This confirmation link is not valid or has expired. Ask for a new one from your profile.",
		"contact.go_profile":     "Go to your profile",
	},
}
