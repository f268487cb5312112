package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/notify"
)

var resetLinkRE = regexp.MustCompile(`https?://[^\s"<>]+/password-reset/complete\?token=[^\s"<>]+`)

// resetLink delivers the pending mail and returns the path (with the token)
// of the newest reset link sent to email, read from the dev mailbox.
func (s *site) resetLink(email string) string {
	s.t.Helper()
	msgs := s.mailbox()
	for _, m := range msgs {
		if m.To != email || m.Event != varco.EventPasswordResetRequested {
			continue
		}
		link := resetLinkRE.FindString(m.Text)
		if link == "" {
			s.t.Fatalf("reset e-mail without a link:\n%s", m.Text)
		}
		u, err := url.Parse(link)
		if err != nil || u.Query().Get("token") == "" {
			s.t.Fatalf("bad reset link %q: %v", link, err)
		}
		return u.RequestURI()
	}
	s.t.Fatalf("no reset e-mail for %s", email)
	return ""
}

// mailbox delivers what is due and returns the dev mailbox, newest first.
func (s *site) mailbox() []notify.Message {
	s.t.Helper()
	if err := s.app.RunDue(context.Background()); err != nil {
		s.t.Fatal(err)
	}
	msgs, err := s.app.DB.Reader().ListDevMessages(context.Background(), 1000)
	if err != nil {
		s.t.Fatal(err)
	}
	return msgs
}

// devMessages counts the dev mailbox, after delivering what is due.
func (s *site) devMessages() int {
	s.t.Helper()
	msgs := s.mailbox()
	return len(msgs)
}

var hiddenTokenRE = regexp.MustCompile(`<input type="hidden" name="token" value="([^"]+)">`)

func TestPasswordResetJourney(t *testing.T) {
	s := newSite(t)
	s.standard()
	for _, tt := range []struct {
		lang, email, oldPW, newPW                         string
		forgot, sent, formTitle, done, mismatch, tooShort string
	}{
		{"it", "mario@acme.test", marioPW, "Nuova-Password-2026", "Password dimenticata?",
			"Se esiste un account con questo indirizzo", "Scegli una nuova password",
			"Password cambiata: accedi con la nuova password.", "Le due nuove password non coincidono.",
			"La password deve avere almeno 8 caratteri."},
		{"en", "anna@acme.test", annaPW, "Fresh-Admin-2026", "Forgot your password?",
			"If an account exists for that address", "Choose a new password",
			"Password changed: sign in with your new password.", "The two new passwords do not match.",
			"The password must be at least 8 characters long."},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			b := s.browser("Accept-Language", tt.lang)
			want(t, b.get("/login"), 200, `href="/password-reset"`, tt.forgot)
			want(t, b.get("/password-reset"), 200, `action="/password-reset"`, `name="email"`)
			p := b.post("/password-reset", url.Values{"email": {tt.email}})
			want(t, p, 200, tt.sent, "24")

			link := s.resetLink(tt.email)
			p = b.get(link)
			want(t, p, 200, tt.formTitle, `name="new_password"`, `name="confirm_password"`, `action="/password-reset/complete"`)
			if p.header.Get("Cache-Control") != "no-store" || p.header.Get("Referrer-Policy") != "no-referrer" {
				t.Fatalf("headers: Cache-Control %q, Referrer-Policy %q", p.header.Get("Cache-Control"), p.header.Get("Referrer-Policy"))
			}
			m := hiddenTokenRE.FindStringSubmatch(p.body)
			if m == nil {
				t.Fatalf("no hidden token field:\n%s", p.body)
			}
			token := html.UnescapeString(m[1])
			u, _ := url.Parse(link)
			if token != u.Query().Get("token") {
				t.Fatalf("hidden token %q differs from the link's", token)
			}

			complete := func(next, confirm string) page {
				return b.post("/password-reset/complete", url.Values{"token": {token}, "new_password": {next}, "confirm_password": {confirm}})
			}
			p = complete(tt.newPW, tt.newPW+"x")
			want(t, p, 400, tt.mismatch, `role="alert"`, `name="token"`)
			want(t, complete("short1", "short1"), 400, tt.tooShort, `name="token"`)
			// A policy error leaves the link usable.
			wantRedirect(t, complete(tt.newPW, tt.newPW), "/login?done=reset")
			want(t, b.get("/login?done=reset"), 200, tt.done)

			want(t, b.post("/login", url.Values{"email": {tt.email}, "password": {tt.oldPW}}), 401)
			b.login(tt.email, tt.newPW)
		})
	}
}

func TestPasswordResetUnknownEmailSameAnswer(t *testing.T) {
	s := newSite(t)
	s.standard()
	before := s.devMessages()
	known := s.browser("Accept-Language", "it").post("/password-reset", url.Values{"email": {"mario@acme.test"}})
	unknown := s.browser("Accept-Language", "it").post("/password-reset", url.Values{"email": {"nobody@acme.test"}})
	want(t, known, 200, "Se esiste un account con questo indirizzo")
	want(t, unknown, 200, "Se esiste un account con questo indirizzo")
	if known.body != unknown.body {
		t.Fatalf("the answers differ:\n%s\n---\n%s", known.body, unknown.body)
	}
	if strings.Contains(unknown.body, "nobody@acme.test") {
		t.Fatal("the confirmation echoes the address")
	}
	if n := s.devMessages(); n != before+1 {
		t.Fatalf("%d messages sent, want 1", n-before)
	}
	want(t, s.browser("Accept-Language", "en").post("/password-reset", url.Values{"email": {""}}), 400, "Enter your e-mail address.")
}

func TestPasswordResetThrottled(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser("Accept-Language", "en")
	for i := 0; i < 3; i++ {
		want(t, b.post("/password-reset", url.Values{"email": {"mario@acme.test"}}), 200, "If an account exists")
	}
	p := b.post("/password-reset", url.Values{"email": {"mario@acme.test"}})
	want(t, p, 429, "Too many attempts. Try again in")
	if p.header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}

func TestPasswordResetBadLinks(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser("Accept-Language", "it")
	const invalid = "Questo link non è valido o è scaduto. Chiedine uno nuovo."

	// No token, or a made-up one.
	want(t, b.get("/password-reset/complete"), 400, invalid, `href="/password-reset"`)
	want(t, b.post("/password-reset/complete", url.Values{"token": {"made-up"}, "new_password": {"Nuova-Password-2026"},
		"confirm_password": {"Nuova-Password-2026"}}), 400, invalid, `href="/password-reset"`)

	// A spent link.
	b.post("/password-reset", url.Values{"email": {"mario@acme.test"}})
	link := s.resetLink("mario@acme.test")
	token := hiddenTokenRE.FindStringSubmatch(b.get(link).body)[1]
	form := url.Values{"token": {html.UnescapeString(token)}, "new_password": {"Nuova-Password-2026"}, "confirm_password": {"Nuova-Password-2026"}}
	wantRedirect(t, b.post("/password-reset/complete", form), "/login?done=reset")
	p := b.post("/password-reset/complete", form)
	want(t, p, 400, invalid, `href="/password-reset"`)
	if strings.Contains(p.body, `name="new_password"`) {
		t.Fatal("a spent link still shows the form")
	}

	// Reusing a recent password is refused, the link stays usable.
	b.post("/password-reset", url.Values{"email": {"mario@acme.test"}})
	link = s.resetLink("mario@acme.test")
	token = hiddenTokenRE.FindStringSubmatch(b.get(link).body)[1]
	want(t, b.post("/password-reset/complete", url.Values{"token": {html.UnescapeString(token)}, "new_password": {marioPW},
		"confirm_password": {marioPW}}), 400, "Hai già usato questa password di recente")

	// An expired link.
	s.exec(`UPDATE password_resets SET expires_at = 1`)
	want(t, b.post("/password-reset/complete", url.Values{"token": {html.UnescapeString(token)}, "new_password": {"Altra-Password-2026"},
		"confirm_password": {"Altra-Password-2026"}}), 400, invalid)
	b.login("mario@acme.test", "Nuova-Password-2026")
}

func TestAdminReactivate(t *testing.T) {
	s := newSite(t)
	s.standard()
	mario := s.Account("mario@acme.test")
	luigi := s.Account("luigi@other.test")
	ctx := context.Background()
	for _, id := range []int64{mario.ID, luigi.ID} {
		if err := s.app.DB.SetAccountStatus(ctx, id, varco.StatusSuspended); err != nil {
			t.Fatal(err)
		}
	}
	path := fmt.Sprintf("/admin/users/%d", mario.ID)

	// A plain user of the same organization may not.
	s.User(admin.NewUser{Email: "carla@acme.test", Password: "Pink-Secret-2026", Org: "acme"})
	carla := s.browser()
	carla.login("carla@acme.test", "Pink-Secret-2026")
	want(t, carla.post(path+"/reactivate", url.Values{"confirm": {"yes"}}), 403)

	anna := s.browser()
	anna.login("anna@acme.test", annaPW)
	p := anna.get(path)
	want(t, p, 200, "Suspended", `action="`+path+`/reactivate"`, "Reactivate the account", `name="confirm"`)
	// Another organization's user is a 404, with or without the confirmation.
	want(t, anna.post(fmt.Sprintf("/admin/users/%d/reactivate", luigi.ID), url.Values{"confirm": {"yes"}}), 404)
	want(t, anna.post(fmt.Sprintf("/admin/users/%d/reactivate", luigi.ID), nil), 404)

	wantRedirect(t, anna.post(path+"/reactivate", nil), path+"?done=confirm_reactivate")
	want(t, anna.get(path+"?done=confirm_reactivate"), 200, "To reactivate the account, tick the confirmation box.")
	wantRedirect(t, anna.post(path+"/reactivate", url.Values{"confirm": {"yes"}}), path+"?done=reactivated")
	p = anna.get(path + "?done=reactivated")
	want(t, p, 200, "Account reactivated: the user must change the password at the next sign-in.", `data-event="account_reactivated"`)
	if strings.Contains(p.body, "/reactivate\"") {
		t.Fatal("an active account still offers the reactivate button")
	}
	if got := s.Account("mario@acme.test").Status; got != varco.StatusActive {
		t.Fatalf("status %q after reactivation", got)
	}
	// Again: not suspended any more.
	wantRedirect(t, anna.post(path+"/reactivate", url.Values{"confirm": {"yes"}}), path+"?done=not_suspended")
	want(t, anna.get(path+"?done=not_suspended"), 200, "The account is not suspended")

	m := s.browser()
	wantRedirect(t, m.post("/login", url.Values{"email": {"mario@acme.test"}, "password": {marioPW}}), "/profile/password")

	// Support reactivates anyone.
	support := s.browser()
	support.login("help@provider.test", helpPW)
	lpath := fmt.Sprintf("/admin/users/%d", luigi.ID)
	wantRedirect(t, support.post(lpath+"/reactivate", url.Values{"confirm": {"yes"}}), lpath+"?done=reactivated")
	if got := s.Account("luigi@other.test").Status; got != varco.StatusActive {
		t.Fatalf("luigi status %q", got)
	}
	if p := s.browser().post(path+"/reactivate", nil); p.status != http.StatusSeeOther || p.location() != "/login" {
		t.Fatalf("anonymous reactivate: %d %q", p.status, p.location())
	}
}

func TestAdminOrgPolicy(t *testing.T) {
	s := newSite(t)
	s.standard()
	mario := s.Account("mario@acme.test")
	anna := s.browser()
	anna.login("anna@acme.test", annaPW)
	want(t, anna.get("/admin"), 200, "Password policy of acme", "90 days", "20, 10, 5, 3, 2, 1 days before expiry",
		"after 30 days without signing in", "30 days after the password expires", "the last 5")
	want(t, anna.get("/admin?lang=it"), 200, "Regole sulle password di acme", "90 giorni", "le ultime 5")

	support := s.browser("Accept-Language", "en")
	support.login("help@provider.test", helpPW)
	p := support.get("/admin")
	want(t, p, 200)
	if strings.Contains(p.body, "policy-title") {
		t.Fatal("support sees an organization policy on the search page")
	}
	want(t, support.get(fmt.Sprintf("/admin/users/%d?lang=en", mario.ID)), 200, "Password policy of acme", "90 days")
	help := s.Account("help@provider.test")
	if p := support.get(fmt.Sprintf("/admin/users/%d", help.ID)); strings.Contains(p.body, "policy-title") {
		t.Fatal("a support account shows an organization policy")
	}
}

// TestPasswordResetDeadLinkSaysSoAtOnce: opening a used or expired reset
// link shows at once that it is no longer valid and offers a new one,
// without the new-password form, in Italian and English.
func TestPasswordResetDeadLinkSaysSoAtOnce(t *testing.T) {
	s := newSite(t)
	s.standard()
	for _, tt := range []struct{ lang, email, invalid, newPW string }{
		{"it", "mario@acme.test", "Questo link non è valido o è scaduto. Chiedine uno nuovo.", "Nuova-Password-2026"},
		{"en", "anna@acme.test", "This link is not valid or has expired. Ask for a new one.", "Fresh-Admin-2026"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			b := s.browser("Accept-Language", tt.lang)
			dead := func(what, link string) {
				t.Helper()
				p := b.get(link)
				want(t, p, 400, tt.invalid, `href="/password-reset"`)
				if strings.Contains(p.body, `name="new_password"`) {
					t.Fatalf("%s link still shows the form", what)
				}
			}
			// Used.
			b.post("/password-reset", url.Values{"email": {tt.email}})
			link := s.resetLink(tt.email)
			u, _ := url.Parse(link)
			wantRedirect(t, b.post("/password-reset/complete", url.Values{"token": {u.Query().Get("token")},
				"new_password": {tt.newPW}, "confirm_password": {tt.newPW}}), "/login?done=reset")
			dead("a used", link)
			// Expired.
			b.post("/password-reset", url.Values{"email": {tt.email}})
			link = s.resetLink(tt.email)
			want(t, b.get(link), 200, `name="new_password"`)
			s.exec(`UPDATE password_resets SET expires_at = 1`)
			dead("an expired", link)
		})
	}
}
