package notify

import (
	"errors"
	htmltemplate "html/template"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

var t0 = time.Date(2026, 11, 23, 10, 25, 0, 0, time.UTC) // a Monday

// sampleData has, for every event with templates, data that fills every
// field its templates use. A new event must be added here: the test below
// fails for an event without sample data.
var sampleData = map[string]any{
	"two_factor_enabled": Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it"},
		Time:   t0, IP: "203.0.113.7", Location: "Milano, Italia",
	},
	"recovery_codes_regenerated": Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it"},
		Time:   t0, IP: "203.0.113.7", Location: "Milano, Italia",
	},
	"two_factor_disabled": Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it"},
		Time:   t0, IP: "203.0.113.7", Location: "Milano, Italia",
	},
	"push_reported": Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it"},
		Time:   t0, IP: "203.0.113.7", Location: "Milano, Italia", Application: "webmail",
	},
	EventPasswordChanged: Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it",
			Support: "assistenza@example.it"},
		Time: t0, IP: "203.0.113.7", Location: "Milano, Italia", Actor: "self",
	},
	"password_expiry_warning_sent": Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it"},
		Time:   t0, DaysLeft: 5, ExpiresAt: t0.Add(5 * 24 * time.Hour), GraceDays: 30,
	},
	"app_password_expiry_warning_sent": Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it"},
		Time:   t0, Label: "Thunderbird", DaysLeft: 7, ExpiresAt: t0.Add(7 * 24 * time.Hour),
	},
	"app_password_expired": Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it"},
		Time:   t0, Label: "Thunderbird", ExpiresAt: t0,
	},
	"inactivity_warning_sent": Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it"},
		Time:   t0, DaysInactive: 31, LastLogin: t0.Add(-31 * 24 * time.Hour),
	},
	"account_suspended": Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it",
			Support: "assistenza@example.it"},
		Time: t0, ExpiresAt: t0.Add(-30 * 24 * time.Hour), GraceDays: 30,
	},
	"password_reset_requested": Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it"},
		Time:   t0, IP: "203.0.113.7", ResetURL: "https://account.example.it/password-reset/complete?token=abc",
		ResetExpiresAt: t0.Add(24 * time.Hour),
	},
	"password_reset_completed": Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it"},
		Time:   t0, IP: "203.0.113.7", Actor: "reset",
	},
	"login_alert_sent": Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it"},
		Time:   t0, IP: "203.0.113.7", Location: "Paris, Francia", Device: "Mozilla/5.0 (X11; Linux x86_64; rv:147.0) Gecko/20100101 Firefox/147.0",
		Application: "webmail", NotMeURL: "https://account.example.it/login/not-me?token=abc",
	},
	"pin_sent": Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it"},
		Time:   t0, IP: "203.0.113.7", Location: "Parigi, Francia", Code: "042917", ValidFor: 10 * time.Minute,
	},
	"account_locked": Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it",
			Support: "assistenza@example.it"},
		Time: t0, IP: "203.0.113.7", Location: "Parigi, Francia",
	},
	"account_unlocked": Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it"},
		Time:   t0, Actor: "support",
	},
	"contact_email_verification_sent": Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it"},
		Time:   t0, IP: "203.0.113.7", ContactEmail: "mario.rossi@home.example",
		VerifyURL:       "https://account.example.it/contact-email/verify?token=abc",
		VerifyExpiresAt: t0.Add(24 * time.Hour),
	},
	"account_reactivated": Data{
		Common: Common{BaseURL: "https://account.example.it", DisplayName: "Mario Rossi", Email: "mario@example.it"},
		Time:   t0, Actor: "support",
	},
}

var sixDigits = regexp.MustCompile(`(^|[^0-9])[0-9]{6}([^0-9]|$)`)

func TestEveryEventRendersInEveryLanguage(t *testing.T) {
	events, err := Events()
	if err != nil {
		t.Fatalf("load templates: %v", err)
	}
	if !slices.Contains(events, EventPasswordChanged) {
		t.Fatalf("events = %v, want password_changed among them", events)
	}
	for _, event := range events {
		data, ok := sampleData[event]
		if !ok {
			t.Errorf("%s: no sample data in sampleData", event)
			continue
		}
		for _, lang := range Languages {
			t.Run(event+"/"+lang, func(t *testing.T) {
				subject, text, html, err := Render(event, lang, data)
				if err != nil {
					t.Fatal(err)
				}
				if subject == "" || strings.ContainsAny(subject, "\r\n") {
					t.Errorf("subject = %q, want one non-empty line", subject)
				}
				if !strings.HasSuffix(text, "\n") || strings.Contains(text, "\n\n\n") || strings.TrimSpace(text) == "" {
					t.Errorf("text is not tidy:\n%s", text)
				}
				if !strings.Contains(html, `<html lang="`+lang+`">`) || !strings.Contains(html, "</html>") {
					t.Errorf("html is not a document in %s:\n%s", lang, html)
				}
				for _, s := range []string{text, html} {
					if strings.Contains(s, "<no value>") || strings.Contains(s, "ZgotmplZ") {
						t.Errorf("%s/%s renders a missing or rejected value:\n%s", event, lang, s)
					}
				}
				// SPEC §9a: a PIN is the only 6-digit number in text/plain,
				// so nothing else (dates, times, addresses) may look like one.
				if event != "pin_sent" && sixDigits.MatchString(text) {
					t.Errorf("text has a 6-digit number that is not a PIN:\n%s", text)
				}
				if event == "pin_sent" {
					if got := sixDigits.FindAllString(text, -1); len(got) != 1 || !strings.Contains(got[0], "042917") {
						t.Errorf("the PIN must be the only 6-digit number in the text, found %q:\n%s", got, text)
					}
				}
			})
		}
	}
}

func TestRenderPasswordChanged(t *testing.T) {
	data := sampleData[EventPasswordChanged].(Data)
	subject, text, html, err := Render(EventPasswordChanged, "it", data)
	if err != nil {
		t.Fatal(err)
	}
	if subject != "La tua password è stata modificata" {
		t.Errorf("subject = %q", subject)
	}
	for _, want := range []string{
		"Ciao Mario Rossi,",
		"la password del tuo account mario@example.it è stata modificata",
		"Quando: lunedì 23 novembre 2026, ore 10:25 (UTC)",
		"Indirizzo IP: 203.0.113.7",
		"Posizione approssimativa: Milano, Italia",
		"Modificata da: te, dalle impostazioni del tuo account",
		"https://account.example.it/password-reset\n",
		"contatta l'assistenza (assistenza@example.it)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Italian text lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(html, `href="https://account.example.it/password-reset"`) {
		t.Errorf("Italian html lacks the reset link:\n%s", html)
	}

	subject, text, _, err = Render(EventPasswordChanged, "en", data)
	if err != nil {
		t.Fatal(err)
	}
	if subject != "Your password was changed" {
		t.Errorf("subject = %q", subject)
	}
	for _, want := range []string{"Hello Mario Rossi,", "When: Monday, 23 November 2026 at 10:25 UTC",
		"IP address: 203.0.113.7", "Changed by: you, from your account settings",
		"https://account.example.it/password-reset"} {
		if !strings.Contains(text, want) {
			t.Errorf("English text lacks %q:\n%s", want, text)
		}
	}
}

func TestRenderPasswordChangedActorsAndOptionalFields(t *testing.T) {
	tests := []struct {
		actor, lang, want string
	}{
		{"self", "it", "Modificata da: te"},
		{"reset", "it", "Modificata con: la procedura di recupero della password"},
		{"admin", "it", "Modificata da: un amministratore della tua organizzazione"},
		{"support", "it", "Modificata da: il nostro servizio di assistenza"},
		{"reset", "en", "Changed by: the password reset procedure"},
		{"admin", "en", "Changed by: an administrator of your organisation"},
		{"support", "en", "Changed by: our customer support"},
	}
	for _, tt := range tests {
		t.Run(tt.actor+"/"+tt.lang, func(t *testing.T) {
			d := Data{Common: Common{BaseURL: "https://a.example"}, Time: t0, Actor: tt.actor}
			_, text, _, err := Render(EventPasswordChanged, tt.lang, d)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("text lacks %q:\n%s", tt.want, text)
			}
			// No IP, location, name, e-mail or support contact: their
			// lines and words disappear instead of showing empty values.
			for _, absent := range []string{"IP", "Posizione", "location", "Ciao ,", "Hello ,", "()", "account ."} {
				if strings.Contains(text, absent) {
					t.Errorf("text shows %q for an empty field:\n%s", absent, text)
				}
			}
		})
	}
}

func TestRenderEscapesHTML(t *testing.T) {
	d := Data{
		Common: Common{BaseURL: "https://a.example", DisplayName: `<script>alert("x")</script>`, Email: `a"b@example.it`},
		Time:   t0, IP: "203.0.113.7", Location: `Roma <b>&</b>`, Actor: "self",
	}
	_, text, html, err := Render(EventPasswordChanged, "it", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, "<script>") || strings.Contains(html, "<b>&</b>") {
		t.Errorf("html does not escape data:\n%s", html)
	}
	for _, want := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "Roma &lt;b&gt;&amp;&lt;/b&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("html lacks %q:\n%s", want, html)
		}
	}
	if !strings.Contains(text, `<script>alert("x")</script>`) {
		t.Errorf("text/plain should show data as is:\n%s", text)
	}

	// A hostile base URL cannot become a javascript: link.
	d.BaseURL = "javascript:alert(1)//"
	_, _, html, err = Render(EventPasswordChanged, "en", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, `href="javascript:`) {
		t.Errorf("html links to javascript:\n%s", html)
	}
}

func TestRenderLanguageFallbackAndErrors(t *testing.T) {
	data := sampleData[EventPasswordChanged]
	for lang, want := range map[string]string{
		"de": "Your password was changed", "": "Your password was changed",
		"it-IT": "La tua password è stata modificata", "IT": "La tua password è stata modificata",
	} {
		subject, _, _, err := Render(EventPasswordChanged, lang, data)
		if err != nil || subject != want {
			t.Errorf("Render(lang %q) = %q, %v; want %q", lang, subject, err, want)
		}
	}
	if _, _, _, err := Render("no_such_event", "it", data); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("unknown event: err = %v, want ErrUnknownEvent", err)
	}
	// Data without the fields the template uses is an error, not a panic.
	if _, _, _, err := Render(EventPasswordChanged, "it", struct{ X int }{1}); err == nil {
		t.Error("rendering with the wrong data type succeeded")
	}
	if _, _, _, err := Render(EventPasswordChanged, "it", nil); err == nil {
		t.Error("rendering with nil data succeeded")
	}
}

func TestRenderExpiryInactivitySuspension(t *testing.T) {
	base := Common{BaseURL: "https://a.example", DisplayName: "<b>x</b>", Email: "u@example.it"}
	expires := time.Date(2026, 11, 28, 10, 25, 0, 0, time.UTC)
	tests := []struct {
		name, event, lang string
		data              Data
		subject           string   // the exact subject
		want              []string // in the text
		absent            []string // not in the text
	}{
		{"expiry 5 days", "password_expiry_warning_sent", "it",
			Data{Common: base, Time: t0, DaysLeft: 5, ExpiresAt: expires, GraceDays: 30},
			"La tua password scade tra 5 giorni",
			[]string{"scade tra 5 giorni", "Scadenza: sabato 28 novembre 2026, ore 10:25 (UTC)",
				"https://a.example/profile/password\n", "entro 30 giorni dalla scadenza", "sospeso"},
			[]string{"domani"}},
		{"expiry 1 day", "password_expiry_warning_sent", "it",
			Data{Common: base, Time: t0, DaysLeft: 1, ExpiresAt: expires, GraceDays: 1},
			"La tua password scade domani",
			[]string{"scade domani", "https://a.example/profile/password\n", "entro 1 giorno dalla scadenza"},
			[]string{"1 giorni"}},
		{"expiry 5 days", "password_expiry_warning_sent", "en",
			Data{Common: base, Time: t0, DaysLeft: 5, ExpiresAt: expires, GraceDays: 30},
			"Your password expires in 5 days",
			[]string{"expires in 5 days", "Expires: Saturday, 28 November 2026 at 10:25 UTC",
				"https://a.example/profile/password\n", "within 30 days of expiry", "suspended"},
			[]string{"tomorrow"}},
		{"expiry 1 day", "password_expiry_warning_sent", "en",
			Data{Common: base, Time: t0, DaysLeft: 1, ExpiresAt: expires, GraceDays: 1},
			"Your password expires tomorrow",
			[]string{"expires tomorrow", "https://a.example/profile/password\n", "within 1 day of expiry"},
			[]string{"1 days"}},
		{"app password 7 days", "app_password_expiry_warning_sent", "it",
			Data{Common: base, Time: t0, Label: "Thunderbird <casa>", DaysLeft: 7, ExpiresAt: expires},
			"Una password per app scade tra 7 giorni",
			[]string{"«Thunderbird <casa>»", "scade tra 7 giorni", "Scadenza: sabato 28 novembre 2026, ore 10:25 (UTC)"},
			[]string{"domani"}},
		{"app password 1 day", "app_password_expiry_warning_sent", "en",
			Data{Common: base, Time: t0, Label: "Thunderbird", DaysLeft: 1, ExpiresAt: expires},
			"An app password expires tomorrow",
			[]string{"\"Thunderbird\"", "expires tomorrow"},
			[]string{"1 days"}},
		{"app password expired", "app_password_expired", "en",
			Data{Common: base, Time: t0, Label: "Thunderbird", ExpiresAt: expires},
			"An app password has expired",
			[]string{"\"Thunderbird\" of your account", "can no longer sign in", "Expired: Saturday, 28 November 2026 at 10:25 UTC"},
			nil},
		{"inactive", "inactivity_warning_sent", "it",
			Data{Common: base, Time: t0, DaysInactive: 31, LastLogin: time.Date(2026, 10, 23, 9, 0, 0, 0, time.UTC)},
			"Non accedi al tuo account da 31 giorni",
			[]string{"da 31 giorni", "Ultimo accesso: venerdì 23 ottobre 2026, ore 09:00 (UTC)", "https://a.example/login\n"},
			nil},
		{"inactive never", "inactivity_warning_sent", "it",
			Data{Common: base, Time: t0, DaysInactive: 60},
			"Non accedi al tuo account da 60 giorni",
			[]string{"da 60 giorni", "Ultimo accesso: mai", "https://a.example/login\n"},
			[]string{"0001"}},
		{"inactive", "inactivity_warning_sent", "en",
			Data{Common: base, Time: t0, DaysInactive: 31, LastLogin: time.Date(2026, 10, 23, 9, 0, 0, 0, time.UTC)},
			"You have not signed in for 31 days",
			[]string{"for 31 days", "Last sign-in: Friday, 23 October 2026 at 09:00 UTC", "https://a.example/login\n"},
			nil},
		{"inactive never", "inactivity_warning_sent", "en",
			Data{Common: base, Time: t0, DaysInactive: 60},
			"You have not signed in for 60 days",
			[]string{"for 60 days", "Last sign-in: never", "https://a.example/login\n"},
			[]string{"0001"}},
		{"suspended", "account_suspended", "it",
			Data{Common: base, Time: t0, ExpiresAt: expires, GraceDays: 30},
			"Il tuo account è stato sospeso",
			[]string{"entro 30 giorni dalla scadenza", "Scadenza della password: sabato 28 novembre 2026, ore 10:25 (UTC)",
				"l'assistenza o un amministratore della tua organizzazione", "al primo accesso dovrai cambiare la password"},
			[]string{"https://"}},
		{"suspended", "account_suspended", "en",
			Data{Common: base, Time: t0, ExpiresAt: expires, GraceDays: 30},
			"Your account has been suspended",
			[]string{"within 30 days of its expiry", "Password expired: Saturday, 28 November 2026 at 10:25 UTC",
				"support or an administrator of your organisation", "change your password the next time you sign in"},
			[]string{"https://"}},
	}
	for _, tt := range tests {
		t.Run(tt.event+"/"+tt.name+"/"+tt.lang, func(t *testing.T) {
			subject, text, html, err := Render(tt.event, tt.lang, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if subject != tt.subject {
				t.Errorf("subject = %q, want %q", subject, tt.subject)
			}
			for _, want := range tt.want {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q:\n%s", want, text)
				}
			}
			for _, absent := range tt.absent {
				if strings.Contains(text, absent) {
					t.Errorf("text has %q:\n%s", absent, text)
				}
			}
			if sixDigits.MatchString(text) {
				t.Errorf("text has a 6-digit number:\n%s", text)
			}
			if strings.Contains(html, "<b>x</b>") || !strings.Contains(html, "&lt;b&gt;x&lt;/b&gt;") {
				t.Errorf("html does not escape the display name:\n%s", html)
			}
			if !strings.Contains(text, "<b>x</b>") {
				t.Errorf("text/plain should show the display name as is:\n%s", text)
			}
			for _, path := range []string{"/profile/password", "/login"} {
				if strings.Contains(text, "https://a.example"+path) && !strings.Contains(html, `href="https://a.example`+path+`"`) {
					t.Errorf("html lacks the link to %s:\n%s", path, html)
				}
			}
		})
	}
}

// TestFormatTime: a time is written in its own zone, which is named (SPEC
// §3: times in the account's zone, with the zone shown).
func TestFormatTime(t *testing.T) {
	rome, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		t.Fatal(err)
	}
	utc := time.Date(2026, 2, 28, 23, 5, 0, 0, time.UTC)
	summer := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		at   time.Time
		lang string
		want string
	}{
		{utc, "it", "sabato 28 febbraio 2026, ore 23:05 (UTC)"},
		{utc, "en", "Saturday, 28 February 2026 at 23:05 UTC"},
		{utc.In(rome), "it", "domenica 1 marzo 2026, ore 00:05 (CET)"},
		{utc.In(rome), "en", "Sunday, 1 March 2026 at 00:05 CET"},
		{summer.In(rome), "it", "mercoledì 1 luglio 2026, ore 12:00 (CEST)"},
		{utc.Local(), "en", "Saturday, 28 February 2026 at 23:05 UTC"}, // the server's zone is nobody's
	} {
		if got := FormatTime(tc.at, tc.lang); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.at, tc.lang, got, tc.want)
		}
	}
}

// TestRenderInReadersZone: Data.In moves every time of a message to the
// reader's zone, and the e-mail shows it there with the zone.
func TestRenderInReadersZone(t *testing.T) {
	rome, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		t.Fatal(err)
	}
	d := Data{Common: Common{BaseURL: "https://a.example"}, Time: t0, DaysLeft: 5,
		ExpiresAt: time.Date(2026, 11, 28, 10, 25, 0, 0, time.UTC), GraceDays: 30}.In(rome)
	_, text, html, err := Render("password_expiry_warning_sent", "it", d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sabato 28 novembre 2026, ore 11:25 (CET)"} {
		if !strings.Contains(text, want) || !strings.Contains(html, want) {
			t.Errorf("message lacks %q:\n%s", want, text)
		}
	}
}

// TestRenderLoginAlertDevice: the login alert names the device as
// "browser on system" in the reader's language (SPEC §3, §5.10), never
// the raw User-Agent; an unrecognised one is an unknown device, and no
// User-Agent leaves the line out.
func TestRenderLoginAlertDevice(t *testing.T) {
	base := sampleData["login_alert_sent"].(Data)
	for _, tc := range []struct {
		lang, ua string
		want     []string // in both the text and the HTML
		not      []string // in neither
	}{
		{"it", base.Device, []string{"Dispositivo", "Firefox 147 su Linux"}, []string{"Gecko"}},
		{"en", base.Device, []string{"Device", "Firefox 147 on Linux"}, []string{"Gecko"}},
		{"en", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.18025; Pro)", []string{"Outlook on Windows"}, []string{"Office"}},
		{"it", "please call +1 555 0100", []string{"Dispositivo sconosciuto"}, []string{"555"}},
		{"en", "", nil, []string{"Device:", ">Device<", "Unknown device"}},
	} {
		d := base
		d.Device = tc.ua
		_, text, html, err := Render("login_alert_sent", tc.lang, d)
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range []string{text, html} {
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s %q: lacks %q:\n%s", tc.lang, tc.ua, w, body)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(body, n) {
					t.Errorf("%s %q: shows %q:\n%s", tc.lang, tc.ua, n, body)
				}
			}
		}
	}
}

// TestEveryEventEscapesUntrustedData: names, e-mails, places, user agents,
// labels and support contacts come from users; in every event and language
// the HTML part shows them escaped (markup and quotes), and the text/plain
// part as they are.
func TestEveryEventEscapesUntrustedData(t *testing.T) {
	events, err := Events()
	if err != nil {
		t.Fatal(err)
	}
	for _, event := range events {
		d, _ := sampleData[event].(Data)
		d.DisplayName = `<script>alert("x")</script>`
		d.Email = `a"b@example.it`
		d.Location = `Roma <b>&</b> "centro"`
		d.Device = `<script>alert("ua")</script>`
		d.Label = `<u>"mine"</u>`
		d.Support = `<i>help</i>`
		d.ContactEmail = `<c>@example.it`
		for _, lang := range Languages {
			_, text, html, err := Render(event, lang, d)
			if err != nil {
				t.Fatalf("%s/%s: %v", event, lang, err)
			}
			for _, raw := range []string{"<script", "<b>", "<u>", "<i>", "<c>", `a"b`, `"centro"`, `"mine"`} {
				if strings.Contains(html, raw) {
					t.Errorf("%s/%s: the HTML part has %q unescaped:\n%s", event, lang, raw, html)
				}
			}
			if !strings.Contains(html, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
				t.Errorf("%s/%s: the HTML part lacks the escaped display name:\n%s", event, lang, html)
			}
			if !strings.Contains(text, `<script>alert("x")</script>`) {
				t.Errorf("%s/%s: the text part should show the display name as it is:\n%s", event, lang, text)
			}
			if strings.Contains(text, "&lt;") || strings.Contains(text, "&#34;") {
				t.Errorf("%s/%s: the text part is HTML-escaped:\n%s", event, lang, text)
			}
		}
	}
	// The login alert shows where and from what device, in both parts.
	d := sampleData["login_alert_sent"].(Data)
	d.Location = `<script>"x"</script>`
	d.Device = `"><script>alert(1)</script>`
	_, text, html, err := Render("login_alert_sent", "en", d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, "&lt;script&gt;&#34;x&#34;&lt;/script&gt;") || !strings.Contains(text, `<script>"x"</script>`) {
		t.Errorf("the location is not shown escaped in HTML and as it is in text:\n%s\n%s", html, text)
	}
}

// TestLoadRefusesMissingStrings: a template naming a key that a language's
// catalogue lacks does not load, nor one building its key at run time
// (which no check could see); so no event ships without its strings in
// every language.
func TestLoadRefusesMissingStrings(t *testing.T) {
	layout, err := fs.ReadFile(templateFS, "templates/layout.html")
	if err != nil {
		t.Fatal(err)
	}
	common, err := fs.ReadFile(templateFS, "templates/mail/_common.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ tmpl, want string }{
		"missing key": {`{{define "subject"}}{{t "mail.zz_never.subject"}}{{end}}{{define "text"}}x{{end}}{{define "html"}}x{{end}}`,
			`key "mail.zz_never.subject" is not in the en catalogue`},
		"dynamic key": {`{{define "subject"}}{{t (printf "mail.%s" "greeting") "name" ""}}{{end}}{{define "text"}}x{{end}}{{define "html"}}x{{end}}`,
			errDynamicKey.Error()},
		"no html": {`{{define "subject"}}{{t "mail.signature"}}{{end}}{{define "text"}}x{{end}}`, `does not define "html"`},
	} {
		fsys := fstest.MapFS{
			"templates/layout.html":          {Data: layout},
			"templates/mail/_common.tmpl":    {Data: common},
			"templates/mail/some_event.tmpl": {Data: []byte(tc.tmpl)},
		}
		if _, err := parseTemplates(fsys); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
	sms := fstest.MapFS{"templates/sms/otp_sent.txt": {Data: []byte(`{{t "sms.zz_never"}}`)}}
	if _, err := parseSMSTemplates(sms); err == nil || !strings.Contains(err.Error(), "sms.zz_never") {
		t.Error("an SMS template with a missing key loaded")
	}
}

// TestCatalogueFuncs: t, n, strong, paren and link in both parts.
func TestCatalogueFuncs(t *testing.T) {
	tf, hf := textFuncs("it"), htmlFuncs("en")
	if s, err := tf["n"].(func(string, int, ...any) (string, error))("mail.days", 1); err != nil || s != "1 giorno" {
		t.Errorf("n mail.days 1 = %q, %v", s, err)
	}
	if s, err := tf["n"].(func(string, int, ...any) (string, error))("mail.days", 21); err != nil || s != "21 giorni" {
		t.Errorf("n mail.days 21 = %q, %v", s, err)
	}
	if _, err := tf["t"].(func(string, ...any) (string, error))("mail.greeting", "name"); err == nil {
		t.Error("t with an odd number of arguments succeeded")
	}
	if _, err := tf["t"].(func(string, ...any) (string, error))("mail.greeting"); err == nil {
		t.Error("t without the text's argument succeeded")
	}
	link := hf["link"].(func(string, any) (htmltemplate.HTML, error))
	if h, err := link("javascript:alert(1)", `<b>`); err != nil || strings.Contains(string(h), "javascript:") || !strings.Contains(string(h), "&lt;b&gt;") {
		t.Errorf("link = %q, %v", h, err)
	}
	if h, err := link("https://a.example/x?token=a&b=c", "ok"); err != nil || string(h) != `<a href="https://a.example/x?token=a&amp;b=c">ok</a>` {
		t.Errorf("link = %q, %v", h, err)
	}
	strong := hf["strong"].(func(any) (htmltemplate.HTML, error))
	if h, _ := strong(""); h != "" {
		t.Errorf("strong of nothing = %q", h)
	}
}
