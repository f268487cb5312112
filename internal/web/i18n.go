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
	if prefix == "event." {
		if e, ok := varco.LookupEvent(name); ok {
			return e.Label(lang)
		}
		return name
	}
	if s, ok := catalog[lang][prefix+name]; ok {
		return s
	}
	return name
}

var months = map[string][12]string{
	varco.LangIT: {"gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"},
	varco.LangEN: {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
}

// formatTime writes t in loc, the reader's time zone, the way a reader of
// lang expects it, naming the zone (SPEC §3): "4 mag 2026, 10:05 CEST" or
// "4 May 2026, 10:05 CEST".
func formatTime(lang string, loc *time.Location, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(loc)
	m, ok := months[lang]
	if !ok {
		m = months[varco.LangIT]
	}
	return fmt.Sprintf("%d %s %d, %02d:%02d %s", t.Day(), m[t.Month()-1], t.Year(), t.Hour(), t.Minute(), t.Format("MST"))
}

// formatDate is formatTime without the time of day (nor the zone).
func formatDate(lang string, loc *time.Location, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(loc)
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
		"notme.title":      "Non ero io",
		"notme.intro":      "Se non hai fatto tu l'accesso descritto nell'e-mail, chiudiamo quella sessione e ti mandiamo un link per cambiare la password.",
		"notme.submit":     "Chiudi la sessione e cambia la password",
		"notme.done":       "Fatto: quella sessione è chiusa. Ti abbiamo mandato via e-mail un link per cambiare la password.",
		"notme.invalid":    "Questo link non è valido o è scaduto. Puoi comunque cambiare la password chiedendo un nuovo link.",
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

		"admin.tabs":       "Sezioni dell'amministrazione",
		"admin.tab_users":  "Utenti",
		"admin.tab_orgs":   "Organizzazioni",
		"admin.tab_outbox": "Messaggi non recapitati",

		"login.signin_again": "La verifica dell'accesso è scaduta o non è più valida: accedi di nuovo.",

		"stepup.title":             "Conferma che sei tu",
		"stepup.why":               "Non riconosciamo il luogo da cui stai accedendo. Per proteggere il tuo account ti chiediamo un codice in più.",
		"stepup.choose":            "Come vuoi ricevere il codice?",
		"stepup.send_email":        "Mandami un PIN via e-mail",
		"stepup.send_sms":          "Mandami un codice via SMS",
		"stepup.code":              "Codice di verifica",
		"stepup.code_hint":         "Le 6 cifre che ti abbiamo mandato. Il codice vale %d minuti.",
		"stepup.verify":            "Verifica",
		"stepup.cancel":            "Annulla e torna all'accesso",
		"stepup.pin_sent":          "Ti abbiamo mandato un PIN via e-mail. Vale solo l'ultimo che hai ricevuto.",
		"stepup.otp_sent":          "Ti abbiamo mandato un codice via SMS.",
		"stepup.locked":            "Per proteggerlo abbiamo bloccato l'account dopo troppi codici errati. Contatta l'assistenza per sbloccarlo: ti abbiamo mandato un'e-mail.",
		"stepup.back_login":        "Torna all'accesso",
		"stepup.code_format":       "Il codice è formato dalle 6 cifre che ti abbiamo mandato.",
		"stepup.attempts_left_one": "Ancora 1 tentativo, poi l'account verrà bloccato.",
		"stepup.attempts_left":     "Ancora %d tentativi, poi l'account verrà bloccato.",
		"stepup.retry_in":          "Riprova tra %s.",

		"wait.second_one": "1 secondo",
		"wait.seconds":    "%d secondi",
		"wait.minutes":    "%d minuti",

		"err.invalid_code":       "Il codice è sbagliato o è scaduto.",
		"err.otp_rate_limited":   "Ti abbiamo appena mandato un codice: aspetta prima di chiederne un altro.",
		"err.no_code_sent":       "Chiedi prima un codice con uno dei pulsanti qui sopra.",
		"err.flow_not_found":     "Questa verifica dell'accesso non esiste o è scaduta: accedi di nuovo.",
		"err.method_unavailable": "Questo account non ha un numero di telefono verificato: chiedi un PIN via e-mail.",

		"admin.lock_reason":                 "Account bloccato: %s.",
		"admin.lock_reason.pin_consecutive": "5 PIN errati di fila",
		"admin.lock_reason.pin_total":       "15 PIN errati in tutto",
		"admin.lock_reason.otp_total":       "50 codici SMS errati in tutto",
		"admin.lock_reason.other":           "per motivi di sicurezza",
		"admin.unlock":                      "Sblocca l'account",
		"admin.unlock_hint":                 "Lo sblocco azzera tutti i contatori dei codici errati; l'utente riceve un'e-mail e può accedere di nuovo.",
		"admin.unlock_confirm":              "Confermo di voler sbloccare questo account",
		"admin.unlocked":                    "Account sbloccato: i contatori sono stati azzerati e l'utente è stato avvisato.",
		"admin.unlock_confirm_needed":       "Per sbloccare l'account spunta la casella di conferma.",
		"admin.not_locked":                  "L'account non è bloccato: non c'è niente da sbloccare.",
		"admin.unlock_support_only":         "Solo l'assistenza può sbloccare un account.",

		"orgs.title":     "Organizzazioni",
		"orgs.org_title": "Organizzazione %s",
		"orgs.intro_all": "Tutte le organizzazioni. Apri un'organizzazione per vedere e cambiare le sue regole sulle password.",
		"orgs.intro_org": "La tua organizzazione e le sue regole sulle password.",
		"orgs.caption":   "Organizzazioni",
		"orgs.name":      "Nome",
		"orgs.plan":      "Piano",
		"orgs.created":   "Creata il",
		"orgs.none":      "Nessuna organizzazione.",

		"policy.edit":      "Cambia le regole",
		"policy.read_only": "Solo l'assistenza può cambiare queste regole.",
		"policy.saved":     "Regole salvate: valgono dal prossimo giro dei controlli programmati.",

		"policy.form.title":           "Cambia le regole",
		"policy.form.intro":           "I giorni si contano dal cambio della password; la sospensione dalla sua scadenza.",
		"policy.form.submit":          "Salva le regole",
		"policy.form.max_age":         "Durata della password (giorni)",
		"policy.form.max_age_hint":    "Da %d a %d giorni.",
		"policy.form.warning":         "Avvisi di scadenza (giorni prima)",
		"policy.form.warning_hint":    "Numeri separati da virgole, per esempio 20,10,5,3,2,1; al massimo %d. Lascia vuoto per non mandare avvisi.",
		"policy.form.inactivity":      "Promemoria di inattività (giorni senza accessi)",
		"policy.form.inactivity_hint": "Da %d a %d giorni; il promemoria si ripete dopo altrettanti giorni.",
		"policy.form.grace":           "Sospensione (giorni dopo la scadenza)",
		"policy.form.grace_hint":      "Da %d a %d giorni.",
		"policy.form.history":         "Password precedenti da non riusare",
		"policy.form.history_hint":    "Da %d a %d; con 0 si può riusare qualunque password.",

		"policy.err.summary":       "Le regole non sono state salvate: correggi i campi indicati.",
		"policy.err.required":      "Compila questo campo.",
		"policy.err.number":        "Inserisci un numero intero.",
		"policy.err.days_list":     "Inserisci numeri interi separati da virgole, per esempio 20,10,5.",
		"policy.err.range":         "Inserisci un numero da %d a %d.",
		"policy.err.warning_range": "Ogni giorno deve essere da %d a %d (meno della durata della password).",
		"policy.err.no_room":       "Con una durata di 1 giorno non c'è spazio per gli avvisi: lascia vuoto il campo.",
		"policy.err.too_many":      "Indica al massimo %d giorni.",
		"policy.err.duplicate":     "Il giorno %d compare due volte.",

		"outbox.title":       "Messaggi non recapitati",
		"outbox.intro":       "Le e-mail che il server di posta ha rifiutato per sempre o che hanno esaurito i tentativi, dalla più recente. Dopo aver risolto il problema, rimettile in coda.",
		"outbox.caption":     "Messaggi non recapitati",
		"outbox.created":     "Creato il",
		"outbox.event":       "Evento",
		"outbox.to":          "Destinatario",
		"outbox.attempts":    "Tentativi",
		"outbox.last_error":  "Ultimo errore",
		"outbox.retry":       "Riprova",
		"outbox.retry_label": "Rimetti in coda il messaggio creato il %s",
		"outbox.none":        "Nessun messaggio non recapitato.",
		"outbox.older":       "Messaggi meno recenti",
		"outbox.retried":     "Messaggio rimesso in coda: verrà inviato a breve.",
		"outbox.gone":        "Quel messaggio non è più tra quelli non recapitati.",

		"err.invalid_credentials":             "E-mail o password errati.",
		"err.too_many_attempts_one":           "Troppi tentativi. Riprova tra %d secondo.",
		"err.too_many_attempts":               "Troppi tentativi. Riprova tra %d secondi.",
		"err.account_locked":                  "Questo account è bloccato per motivi di sicurezza. Contatta l'assistenza per sbloccarlo.",
		"err.account_suspended":               "Questo account è sospeso perché la password non è stata rinnovata in tempo. Contatta il tuo amministratore o l'assistenza.",
		"err.account_disabled":                "Questo account è stato disattivato da un amministratore.",
		"err.overloaded":                      "Il servizio è molto carico in questo momento. Riprova tra qualche istante.",
		"err.internal":                        "Si è verificato un errore imprevisto. Riprova più tardi.",
		"err.invalid_request":                 "La richiesta non è valida.",
		"err.invalid_input":                   "Un campo contiene caratteri non ammessi (caratteri di controllo o testo non valido): correggilo e riprova.",
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

		"profile.title":  "Profilo",
		"profile.intro":  "I dati del tuo account e le impostazioni di sicurezza.",
		"alerts.dismiss": "Nascondi",

		// Notifications users expect: alert kinds, "this wasn't me" from an
		// alert, language and time zone settings.
		"alert.password_expiry":    "Password in scadenza.",
		"alert.suspension_coming":  "Sospensione in arrivo.",
		"alert.account_locked":     "Account bloccato.",
		"alert.account_unlocked":   "Account sbloccato.",
		"alert.new_login":          "Nuovo accesso.",
		"alert.contact_changed":    "Contatti modificati.",
		"alerts.not_me":            "Non sono stato io",
		"alerts.not_me_done":       "Abbiamo chiuso quella sessione e ti abbiamo inviato un link per cambiare la password.",
		"prefs.title":              "Lingua e fuso orario",
		"prefs.time_zone":          "Fuso orario",
		"prefs.time_zone_hint":     "Un nome IANA, per esempio Europe/Rome. Vuoto: quello della tua organizzazione. Ora gli orari sono in %s.",
		"prefs.save":               "Salva",
		"prefs.saved":              "Preferenze salvate.",
		"prefs.invalid":            "Scegli italiano o inglese e un fuso orario valido, per esempio Europe/Rome.",
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
		"activity.time":        "Data e ora",
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
		"mailbox.time":     "Data e ora",
		"mailbox.open":     "Apri il messaggio",
		"mailbox.back":     "Torna alla posta",
		"mailbox.has_html": "Il messaggio ha anche una versione HTML, non mostrata qui.",
		"mailbox.sms":      "SMS",
		"mailbox.sms_to":   "SMS a %s",
		"mailbox.email":    "E-mail",

		"err.invalid_phone": "Il numero di telefono non è valido. Scrivilo con il prefisso internazionale (per esempio +39 347 123 4567) o come lo componi in Italia (347 123 4567).",

		"contact.title":          "Contatti",
		"contact.intro":          "Dove ti mandiamo le notifiche di sicurezza e i codici via SMS. Un nuovo numero o indirizzo vale solo dopo averlo confermato.",
		"contact.phone":          "Telefono",
		"contact.none":           "nessuno",
		"contact.verified":       "verificato",
		"contact.unverified":     "non verificato",
		"contact.new_phone":      "Nuovo numero di telefono",
		"contact.phone_hint":     "Per esempio 347 123 4567 o, dall'estero, +39 347 123 4567.",
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
		// Support desk: creating users, reset links, forced changes,
		// re-enabling, an organization's history, staff password expiry.
		"support.new_user":               "Crea un utente",
		"support.new_user_hint":          "Telefono ed e-mail per le notifiche inseriti qui valgono come verificati.",
		"support.initial_password":       "Password iniziale",
		"support.initial_password_hint":  "Almeno 8 caratteri con lettere e cifre. Comunicala all'utente in modo sicuro, oppure inviagli poi un link di recupero.",
		"support.create":                 "Crea l'utente",
		"support.created":                "Utente creato.",
		"support.create_taken":           "Esiste già un account con questa e-mail.",
		"support.create_invalid":         "Controlla i dati: e-mail, organizzazione, ruolo, telefono (es. +393471234567) ed e-mail per le notifiche.",
		"support.enable":                 "Riabilita l'account",
		"support.enable_hint":            "L'account è disabilitato da un amministratore. Riabilitandolo l'utente potrà di nuovo accedere.",
		"support.enable_confirm":         "Confermo di voler riabilitare questo account",
		"support.enabled":                "Account riabilitato.",
		"support.confirm_enable":         "Per riabilitare l'account spunta la casella di conferma.",
		"support.not_disabled":           "L'account non è disabilitato: non c'è niente da riabilitare.",
		"support.reset_link":             "Invia un link di recupero",
		"support.reset_link_hint":        "L'utente riceve per e-mail un link, valido 24 ore, per scegliere una nuova password.",
		"support.reset_link_confirm":     "Confermo di voler inviare un link di recupero",
		"support.reset_link_sent":        "Link di recupero inviato.",
		"support.confirm_reset_link":     "Per inviare il link spunta la casella di conferma.",
		"support.reset_link_inactive":    "L'account non è attivo: riattivalo o sbloccalo prima di inviare un link.",
		"support.require_change":         "Richiedi il cambio password",
		"support.require_change_hint":    "Le sessioni dell'utente terminano e al prossimo accesso dovrà scegliere una nuova password.",
		"support.require_change_confirm": "Confermo di voler richiedere il cambio password",
		"support.change_required":        "Fatto: al prossimo accesso l'utente dovrà cambiare la password.",
		"support.confirm_require_change": "Per richiedere il cambio password spunta la casella di conferma.",
		"support.org_history":            "Cronologia dell'organizzazione",
		"support.account":                "Account",
		"support.staff_expiry":           "La tua password scade tra %d giorni.",
		"support.staff_expiry_one":       "La tua password scade entro un giorno.",
		"support.change_now":             "Cambiala ora",

		// Outcome badges by meaning, the contact card's parts.
		"outcome.danger":     "Accesso bloccato",
		"outcome.warning":    "Da controllare",
		"contact.email_part": "E-mail per le notifiche",
		"contact.phone_part": "Telefono",
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
		"notme.title":      "It wasn't me",
		"notme.intro":      "If you did not make the sign-in described in the e-mail, we end that session and send you a link to change your password.",
		"notme.submit":     "End the session and change my password",
		"notme.done":       "Done: that session has ended. We sent you a link by e-mail to change your password.",
		"notme.invalid":    "This link is not valid or has expired. You can still change your password by asking for a new link.",
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

		"admin.tabs":       "Administration sections",
		"admin.tab_users":  "Users",
		"admin.tab_orgs":   "Organizations",
		"admin.tab_outbox": "Undelivered messages",

		"login.signin_again": "The sign-in check has expired or is no longer valid: please sign in again.",

		"stepup.title":             "Confirm it's you",
		"stepup.why":               "We don't recognise the place you are signing in from. To protect your account we need one more code.",
		"stepup.choose":            "How would you like to receive the code?",
		"stepup.send_email":        "E-mail me a PIN",
		"stepup.send_sms":          "Text me a code",
		"stepup.code":              "Verification code",
		"stepup.code_hint":         "The 6 digits we sent you. The code is valid for %d minutes.",
		"stepup.verify":            "Verify",
		"stepup.cancel":            "Cancel and go back to sign-in",
		"stepup.pin_sent":          "We have e-mailed you a PIN. Only the latest one you received is valid.",
		"stepup.otp_sent":          "We have texted you a code.",
		"stepup.locked":            "To protect it, we locked the account after too many wrong codes. Contact support to unlock it: we have sent you an e-mail.",
		"stepup.back_login":        "Back to sign-in",
		"stepup.code_format":       "The code is the 6 digits we sent you.",
		"stepup.attempts_left_one": "1 attempt left before the account is locked.",
		"stepup.attempts_left":     "%d attempts left before the account is locked.",
		"stepup.retry_in":          "Try again in %s.",

		"wait.second_one": "1 second",
		"wait.seconds":    "%d seconds",
		"wait.minutes":    "%d minutes",

		"err.invalid_code":       "The code is wrong or has expired.",
		"err.otp_rate_limited":   "We have just sent you a code: wait before asking for another one.",
		"err.no_code_sent":       "First ask for a code with one of the buttons above.",
		"err.flow_not_found":     "This sign-in check does not exist or has expired: please sign in again.",
		"err.method_unavailable": "This account has no verified phone number: ask for a PIN by e-mail.",

		"admin.lock_reason":                 "Account locked: %s.",
		"admin.lock_reason.pin_consecutive": "5 wrong PINs in a row",
		"admin.lock_reason.pin_total":       "15 wrong PINs in all",
		"admin.lock_reason.otp_total":       "50 wrong SMS codes in all",
		"admin.lock_reason.other":           "for security reasons",
		"admin.unlock":                      "Unlock the account",
		"admin.unlock_hint":                 "Unlocking resets every wrong-code counter; the user gets an e-mail and can sign in again.",
		"admin.unlock_confirm":              "I confirm I want to unlock this account",
		"admin.unlocked":                    "Account unlocked: the counters were reset and the user has been told.",
		"admin.unlock_confirm_needed":       "To unlock the account, tick the confirmation box.",
		"admin.not_locked":                  "The account is not locked: there is nothing to unlock.",
		"admin.unlock_support_only":         "Only support can unlock an account.",

		"orgs.title":     "Organizations",
		"orgs.org_title": "Organization %s",
		"orgs.intro_all": "Every organization. Open one to read and change its password policy.",
		"orgs.intro_org": "Your organization and its password policy.",
		"orgs.caption":   "Organizations",
		"orgs.name":      "Name",
		"orgs.plan":      "Plan",
		"orgs.created":   "Created on",
		"orgs.none":      "No organizations.",

		"policy.edit":      "Change the policy",
		"policy.read_only": "Only support can change this policy.",
		"policy.saved":     "Policy saved: the scheduled checks use it from their next run.",

		"policy.form.title":           "Change the policy",
		"policy.form.intro":           "Days count from the password change; the suspension from the password's expiry.",
		"policy.form.submit":          "Save the policy",
		"policy.form.max_age":         "Password lifetime (days)",
		"policy.form.max_age_hint":    "From %d to %d days.",
		"policy.form.warning":         "Expiry warnings (days before)",
		"policy.form.warning_hint":    "Numbers separated by commas, e.g. 20,10,5,3,2,1; at most %d. Leave empty to send no warnings.",
		"policy.form.inactivity":      "Inactivity reminder (days without signing in)",
		"policy.form.inactivity_hint": "From %d to %d days; the reminder repeats after as many days.",
		"policy.form.grace":           "Suspension (days after expiry)",
		"policy.form.grace_hint":      "From %d to %d days.",
		"policy.form.history":         "Previous passwords that cannot be reused",
		"policy.form.history_hint":    "From %d to %d; 0 lets any password be reused.",

		"policy.err.summary":       "The policy was not saved: fix the fields marked below.",
		"policy.err.required":      "Fill in this field.",
		"policy.err.number":        "Enter a whole number.",
		"policy.err.days_list":     "Enter whole numbers separated by commas, e.g. 20,10,5.",
		"policy.err.range":         "Enter a number from %d to %d.",
		"policy.err.warning_range": "Each day must be from %d to %d (less than the password lifetime).",
		"policy.err.no_room":       "With a lifetime of 1 day there is no room for warnings: leave the field empty.",
		"policy.err.too_many":      "List at most %d days.",
		"policy.err.duplicate":     "Day %d is listed twice.",

		"outbox.title":       "Undelivered messages",
		"outbox.intro":       "The e-mails that the mail server refused for good or that ran out of attempts, newest first. Once the problem is fixed, queue them again.",
		"outbox.caption":     "Undelivered messages",
		"outbox.created":     "Created on",
		"outbox.event":       "Event",
		"outbox.to":          "Recipient",
		"outbox.attempts":    "Attempts",
		"outbox.last_error":  "Last error",
		"outbox.retry":       "Retry",
		"outbox.retry_label": "Queue again the message created on %s",
		"outbox.none":        "No undelivered messages.",
		"outbox.older":       "Older messages",
		"outbox.retried":     "Message queued again: it will be sent shortly.",
		"outbox.gone":        "That message is no longer among the undelivered ones.",

		"err.invalid_credentials":             "Wrong e-mail or password.",
		"err.too_many_attempts_one":           "Too many attempts. Try again in %d second.",
		"err.too_many_attempts":               "Too many attempts. Try again in %d seconds.",
		"err.account_locked":                  "This account is locked for security reasons. Contact support to unlock it.",
		"err.account_suspended":               "This account is suspended because its password was not renewed in time. Contact your administrator or support.",
		"err.account_disabled":                "This account has been disabled by an administrator.",
		"err.overloaded":                      "The service is very busy right now. Try again in a moment.",
		"err.internal":                        "Something went wrong. Please try again later.",
		"err.invalid_request":                 "The request is not valid.",
		"err.invalid_input":                   "A field holds characters that are not allowed (control characters or invalid text): correct it and try again.",
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

		"profile.title":  "Profile",
		"profile.intro":  "Your account details and security settings.",
		"alerts.dismiss": "Dismiss",

		// Notifications users expect: alert kinds, "this wasn't me" from an
		// alert, language and time zone settings.
		"alert.password_expiry":    "Password expiring.",
		"alert.suspension_coming":  "Suspension coming.",
		"alert.account_locked":     "Account locked.",
		"alert.account_unlocked":   "Account unlocked.",
		"alert.new_login":          "New sign-in.",
		"alert.contact_changed":    "Contact details changed.",
		"alerts.not_me":            "This wasn't me",
		"alerts.not_me_done":       "We ended that session and sent you a link to change your password.",
		"prefs.title":              "Language and time zone",
		"prefs.time_zone":          "Time zone",
		"prefs.time_zone_hint":     "An IANA name such as Europe/Rome. Empty: your organization's. Times are now shown in %s.",
		"prefs.save":               "Save",
		"prefs.saved":              "Preferences saved.",
		"prefs.invalid":            "Choose Italian or English and a valid time zone, such as Europe/Rome.",
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
		"activity.time":        "Date and time",
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

		"err.invalid_phone": "The phone number is not valid. Write it with its country code (for example +39 347 123 4567) or as you would dial it in your organization's country (347 123 4567).",

		"contact.title":          "Contact details",
		"contact.intro":          "Where we send security notifications and SMS codes. A new number or address counts only once you confirm it.",
		"contact.phone":          "Phone",
		"contact.none":           "none",
		"contact.verified":       "verified",
		"contact.unverified":     "not verified",
		"contact.new_phone":      "New phone number",
		"contact.phone_hint":     "For example +39 347 123 4567, or 347 123 4567 within your organization's country.",
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
		// Support desk: creating users, reset links, forced changes,
		// re-enabling, an organization's history, staff password expiry.
		"support.new_user":               "Create a user",
		"support.new_user_hint":          "A phone and notification e-mail entered here count as verified.",
		"support.initial_password":       "Initial password",
		"support.initial_password_hint":  "At least 8 characters with letters and digits. Tell the user safely, or send a reset link afterwards.",
		"support.create":                 "Create the user",
		"support.created":                "User created.",
		"support.create_taken":           "An account with this e-mail already exists.",
		"support.create_invalid":         "Check the details: e-mail, organization, role, phone (e.g. +393471234567) and notification e-mail.",
		"support.enable":                 "Re-enable the account",
		"support.enable_hint":            "An administrator disabled this account. Once re-enabled, the user can sign in again.",
		"support.enable_confirm":         "I confirm I want to re-enable this account",
		"support.enabled":                "Account re-enabled.",
		"support.confirm_enable":         "To re-enable the account, tick the confirmation box.",
		"support.not_disabled":           "The account is not disabled: there is nothing to re-enable.",
		"support.reset_link":             "Send a reset link",
		"support.reset_link_hint":        "The user gets an e-mail with a link, valid 24 hours, to choose a new password.",
		"support.reset_link_confirm":     "I confirm I want to send a reset link",
		"support.reset_link_sent":        "Reset link sent.",
		"support.confirm_reset_link":     "To send the link, tick the confirmation box.",
		"support.reset_link_inactive":    "The account is not active: reactivate or unlock it before sending a link.",
		"support.require_change":         "Require a password change",
		"support.require_change_hint":    "The user's sessions end, and the next sign-in asks for a new password.",
		"support.require_change_confirm": "I confirm I want to require a password change",
		"support.change_required":        "Done: the user must change the password at the next sign-in.",
		"support.confirm_require_change": "To require a password change, tick the confirmation box.",
		"support.org_history":            "Organization history",
		"support.account":                "Account",
		"support.staff_expiry":           "Your password expires in %d days.",
		"support.staff_expiry_one":       "Your password expires within a day.",
		"support.change_now":             "Change it now",

		// Outcome badges by meaning, the contact card's parts.
		"outcome.danger":     "Access blocked",
		"outcome.warning":    "Needs attention",
		"contact.email_part": "E-mail for notifications",
		"contact.phone_part": "Phone",
	},
}
