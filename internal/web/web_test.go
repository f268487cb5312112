package web_test

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/httpx"
)

func TestLoginForm(t *testing.T) {
	s := newSite(t)
	s.standard()
	tests := []struct {
		name           string
		email, pw      string
		status         int
		text, location string
	}{
		{"wrong password", "mario@acme.test", "Wrong-password-1", 401, "E-mail o password errati", ""},
		{"unknown account", "nobody@acme.test", marioPW, 401, "E-mail o password errati", ""},
		{"empty password", "mario@acme.test", "", 400, "Inserisci l&#39;indirizzo e-mail e la password", ""},
		{"too long", strings.Repeat("a", 300) + "@acme.test", marioPW, 400, "troppo lunghi", ""},
		{"right password, any case", " Mario@ACME.test ", marioPW, 303, "", "/profile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := s.browser()
			p := b.post("/login", url.Values{"email": {tt.email}, "password": {tt.pw}})
			if tt.status == 303 {
				wantRedirect(t, p, tt.location)
				c := p.header.Get("Set-Cookie")
				for _, attr := range []string{httpx.SessionCookie + "=", "HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"} {
					if !strings.Contains(c, attr) {
						t.Fatalf("session cookie %q lacks %q", c, attr)
					}
				}
				want(t, b.get("/profile"), 200, "Mario Rossi")
				return
			}
			want(t, p, tt.status, tt.text, `role="alert"`)
			if strings.Contains(p.body, tt.pw) && tt.pw != "" {
				t.Fatal("the login page echoes the password")
			}
			if p.header.Get("Set-Cookie") != "" {
				t.Fatalf("a failed login set a cookie: %q", p.header.Get("Set-Cookie"))
			}
		})
	}
}

func TestLoginStatusErrors(t *testing.T) {
	s := newSite(t)
	s.standard()
	mario := s.Account("mario@acme.test")
	for _, tt := range []struct{ status, text string }{
		{varco.StatusLocked, "bloccato per motivi di sicurezza"},
		{varco.StatusSuspended, "sospeso perché la password non è stata rinnovata"},
		{varco.StatusDisabled, "disattivato da un amministratore"},
	} {
		t.Run(tt.status, func(t *testing.T) {
			if err := s.app.DB.SetAccountStatus(context.Background(), mario.ID, tt.status); err != nil {
				t.Fatal(err)
			}
			b := s.browser()
			want(t, b.post("/login", url.Values{"email": {"mario@acme.test"}, "password": {"Wrong-password-1"}}), 401, "E-mail o password errati")
			want(t, b.post("/login", url.Values{"email": {"mario@acme.test"}, "password": {marioPW}}), 403, tt.text)
		})
	}
}

func TestLoginThrottledShowsWait(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser("Accept-Language", "en")
	for i := 0; i < 5; i++ {
		b.post("/login", url.Values{"email": {"mario@acme.test"}, "password": {"Wrong-password-1"}})
	}
	p := b.post("/login", url.Values{"email": {"mario@acme.test"}, "password": {marioPW}})
	want(t, p, 429, "Too many attempts. Try again in 1 second.")
	if p.header.Get("Retry-After") != "1" {
		t.Fatalf("Retry-After = %q", p.header.Get("Retry-After"))
	}
}

func TestLanguage(t *testing.T) {
	s := newSite(t)
	s.standard()
	tests := []struct {
		name, accept, want, text string
	}{
		{"default is Italian", "", "it", "Accedi con l&#39;indirizzo e-mail"},
		{"English browser", "en-US,en;q=0.9", "en", "Sign in with your account"},
		{"Italian browser", "it-IT,it;q=0.9,en;q=0.5", "it", "Indirizzo e-mail"},
		{"unsupported falls back to Italian", "fr-FR,fr;q=0.9", "it", "Indirizzo e-mail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := s.browser("Accept-Language", tt.accept).get("/login")
			want(t, p, 200, `<html lang="`+tt.want+`">`, tt.text)
			if p.header.Get("Content-Language") != tt.want {
				t.Fatalf("Content-Language = %q", p.header.Get("Content-Language"))
			}
		})
	}

	t.Run("account language beats the browser", func(t *testing.T) {
		b := s.browser("Accept-Language", "it")
		b.login("anna@acme.test", annaPW) // anna's language is English
		want(t, b.get("/profile"), 200, `<html lang="en">`, "Your account", "Organization administrator")
	})

	t.Run("switch is remembered and beats the account", func(t *testing.T) {
		b := s.browser("Accept-Language", "it")
		b.login("anna@acme.test", annaPW)
		p := b.get("/profile?lang=it")
		want(t, p, 200, `<html lang="it">`, "Il tuo account", "Amministratore dell&#39;organizzazione")
		if c := p.header.Get("Set-Cookie"); !strings.Contains(c, "lang=it") || !strings.Contains(c, "HttpOnly") {
			t.Fatalf("lang cookie: %q", c)
		}
		want(t, b.get("/profile/activity"), 200, `<html lang="it">`, "Cronologia attività")
		// The switch keeps the other query parameters.
		want(t, b.get("/profile/activity?type=login_succeeded"), 200, `href="/profile/activity?lang=en&amp;type=login_succeeded"`)
	})

	t.Run("bad lang is ignored", func(t *testing.T) {
		p := s.browser("Accept-Language", "en").get("/login?lang=%3Cscript%3E")
		want(t, p, 200, `<html lang="en">`)
	})
}

func TestRedirects(t *testing.T) {
	s := newSite(t)
	s.standard()
	anon := s.browser()
	wantRedirect(t, anon.get("/"), "/login")
	for _, path := range []string{"/profile", "/profile/password", "/profile/sessions", "/profile/activity", "/admin", "/admin/users/1"} {
		wantRedirect(t, anon.get(path), "/login")
	}
	for _, path := range []string{"/logout", "/profile/password", "/profile/sessions/1/revoke", "/profile/sessions/revoke-others", "/admin/users/1/disable"} {
		wantRedirect(t, anon.post(path, nil), "/login")
	}
	// A forged or stale cookie is forgotten.
	u, _ := url.Parse(s.url)
	anon.c.Jar.SetCookies(u, []*http.Cookie{{Name: httpx.SessionCookie, Value: "forged"}})
	p := anon.get("/profile")
	wantRedirect(t, p, "/login")
	if !strings.Contains(p.header.Get("Set-Cookie"), httpx.SessionCookie+"=;") {
		t.Fatalf("stale cookie not cleared: %q", p.header.Get("Set-Cookie"))
	}

	b := s.browser()
	b.login("mario@acme.test", marioPW)
	wantRedirect(t, b.get("/"), "/profile")
	wantRedirect(t, b.get("/login"), "/profile")
}

func TestProfile(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser()
	b.login("mario@acme.test", marioPW)
	p := b.get("/profile")
	want(t, p, 200, "Mario Rossi", "mario@acme.test", "acme", "Utente", "Attivo", "italiano", "cambiata oggi",
		`href="/profile/password"`, `href="/profile/sessions"`, `href="/profile/activity"`, `action="/logout"`)
	if strings.Contains(p.body, `href="/admin"`) {
		t.Fatal("a plain user sees the admin link")
	}
	if p.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control = %q", p.header.Get("Cache-Control"))
	}

	s.exec(`UPDATE accounts SET password_changed_at = password_changed_at - 40*86400*1000000 WHERE email = 'mario@acme.test'`)
	want(t, b.get("/profile"), 200, "cambiata 40 giorni fa")
}

func TestChangePassword(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser()
	b.login("mario@acme.test", marioPW)
	other := s.browser()
	other.login("mario@acme.test", marioPW)

	change := func(cur, next, confirm string) page {
		return b.post("/profile/password", url.Values{"current_password": {cur}, "new_password": {next}, "confirm_password": {confirm}})
	}
	tests := []struct {
		name, cur, next string
		status          int
		text            string
	}{
		{"wrong current", "Wrong-password-1", "Brand-new-2026", 401, "La password attuale non è corretta."},
		{"too short", marioPW, "short1", 400, "La password deve avere almeno 8 caratteri."},
		{"too long", marioPW, strings.Repeat("a1", 129), 400, "al massimo 256 caratteri"},
		{"no digit", marioPW, "onlyletters", 400, "sia lettere sia numeri"},
		{"common", marioPW, "password1", 400, "troppo comune"},
		{"contains e-mail", marioPW, "xx-mario-2026", 400, "non può contenere il tuo indirizzo e-mail"},
		{"reused", marioPW, marioPW, 400, "Hai già usato questa password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want(t, change(tt.cur, tt.next, tt.next), tt.status, tt.text, `role="alert"`)
		})
	}
	want(t, change(marioPW, "Brand-new-2026", "Brand-new-2027"), 400, "Le due nuove password non coincidono.")
	want(t, change("", "Brand-new-2026", "Brand-new-2026"), 400, "Compila tutti i campi.")

	// The same policy errors in English.
	en := b.post("/profile/password?lang=en", url.Values{"current_password": {marioPW}, "new_password": {"password1"}, "confirm_password": {"password1"}})
	want(t, en, 400, "This password is too common")

	wantRedirect(t, change(marioPW, "Brand-new-2026", "Brand-new-2026"), "/profile?done=password")
	// The ?lang=en above was remembered.
	want(t, b.get("/profile?done=password"), 200, "Password changed. Your other sessions have been ended.")
	want(t, b.get("/profile?done=password&lang=it"), 200, "Password cambiata. Le altre sessioni sono state chiuse.")
	wantRedirect(t, other.get("/profile"), "/login")
	want(t, s.browser().post("/login", url.Values{"email": {"mario@acme.test"}, "password": {marioPW}}), 401)
	s.browser().login("mario@acme.test", "Brand-new-2026")
}

var revokeForm = regexp.MustCompile(`action="/profile/sessions/(\d+)/revoke"`)

func sessionIDs(t *testing.T, body string) []string {
	t.Helper()
	var ids []string
	for _, m := range revokeForm.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestSessions(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser("User-Agent", "Browser-A")
	b.login("mario@acme.test", marioPW)
	second := s.browser("User-Agent", "Browser-B")
	second.login("mario@acme.test", marioPW)
	third := s.browser("User-Agent", "Browser-C")
	third.login("mario@acme.test", marioPW)

	p := b.get("/profile/sessions")
	want(t, p, 200, "Browser-A", "Browser-B", "Browser-C", "Questa sessione", `action="/profile/sessions/revoke-others"`)
	if n := strings.Count(p.body, "Questa sessione"); n != 1 {
		t.Fatalf("%d sessions marked current", n)
	}
	ids := sessionIDs(t, p.body)
	if len(ids) != 3 {
		t.Fatalf("revoke forms for %v", ids)
	}
	// Find Browser-B's row and end it.
	rowB := regexp.MustCompile(`(?s)Browser-B.*?action="/profile/sessions/(\d+)/revoke"`).FindStringSubmatch(p.body)
	if rowB == nil {
		t.Fatal("no revoke form for Browser-B")
	}
	wantRedirect(t, b.post("/profile/sessions/"+rowB[1]+"/revoke", nil), "/profile/sessions?done=revoked")
	wantRedirect(t, second.get("/profile"), "/login")
	want(t, b.get("/profile/sessions?done=revoked"), 200, "Sessione chiusa.")

	// Another account's session does not exist for luigi; a bad id is a 404.
	luigi := s.browser()
	luigi.login("luigi@other.test", luigiPW)
	want(t, luigi.post("/profile/sessions/"+ids[0]+"/revoke", nil), 404, "does not exist")
	want(t, b.post("/profile/sessions/abc/revoke", nil), 404)
	want(t, b.post("/profile/sessions/-1/revoke", nil), 404)
	want(t, b.post("/profile/sessions/99999999999999999999/revoke", nil), 404)

	wantRedirect(t, b.post("/profile/sessions/revoke-others", nil), "/profile/sessions?done=others&others=1")
	want(t, b.get("/profile/sessions?done=others&others=1"), 200, "È stata chiusa 1 altra sessione.")
	wantRedirect(t, third.get("/profile"), "/login")
	p = b.get("/profile/sessions")
	if n := len(sessionIDs(t, p.body)); n != 1 {
		t.Fatalf("%d sessions left, want 1", n)
	}

	// Ending the current session signs out.
	cur := sessionIDs(t, p.body)[0]
	p = b.post("/profile/sessions/"+cur+"/revoke", nil)
	wantRedirect(t, p, "/login?done=signedout")
	wantRedirect(t, b.get("/profile"), "/login")
}

// TestSeed_3_ActivityHistoryInProfile: [seed] SPEC §3 — login failures,
// password changes and the other security events are recorded and the user
// reads them under Profile > Activity history.
func TestSeed_3_ActivityHistoryInProfile(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser("User-Agent", "TestAgent/1.0")
	b.post("/login", url.Values{"email": {"mario@acme.test"}, "password": {"Wrong-password-1"}})
	b.login("mario@acme.test", marioPW)

	p := b.get("/profile/activity")
	want(t, p, 200, "Profilo", "Cronologia attività", `data-event="login_succeeded"`, "Accesso riuscito",
		`data-event="login_failed"`, "Accesso non riuscito", `data-event="account_created"`,
		"127.0.0.1", "TestAgent/1.0", "Gestione account", "Riuscito", "Non riuscito",
		`href="/api/v1/me/activity?format=csv"`, `href="/api/v1/me/activity?format=json"`)
	if strings.Contains(p.body, "activity.older") || strings.Contains(p.body, "Eventi meno recenti") {
		t.Fatal("an older link on a short history")
	}

	en := b.get("/profile/activity?lang=en")
	want(t, en, 200, "Activity history", "Signed in", "Failed sign-in", "Account management", "Succeeded")

	p = b.get("/profile/activity?type=login_failed&lang=it")
	want(t, p, 200, `data-event="login_failed"`, `<option value="login_failed" selected>`,
		`href="/api/v1/me/activity?format=csv&amp;type=login_failed"`)
	if strings.Contains(p.body, `data-event="login_succeeded"`) {
		t.Fatal("type filter let another event through")
	}

	p = b.get("/profile/activity?from=2000-01-01&to=2000-01-31")
	want(t, p, 200, "Nessun evento da mostrare.", "since=2000-01-01T00%3A00%3A00Z", "until=2000-02-01T00%3A00%3A00Z")

	// The export links work with the session cookie.
	csv := b.get("/api/v1/me/activity?format=csv")
	if csv.status != 200 || !strings.Contains(csv.body, "login_succeeded") {
		t.Fatalf("csv export: %d %s", csv.status, csv.body)
	}
}

func TestActivityPagination(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser()
	for i := 0; i < 55; i++ {
		b.login("mario@acme.test", marioPW)
	}
	// 1 account_created + 55 logins: a full page and an older one.
	p := b.get("/profile/activity")
	want(t, p, 200, "Eventi meno recenti")
	if n := strings.Count(p.body, "<tr data-event="); n != 50 {
		t.Fatalf("first page has %d rows, want 50", n)
	}
	older := regexp.MustCompile(`rel="next" href="([^"]+)"`).FindStringSubmatch(p.body)
	if older == nil || !strings.Contains(older[1], "cursor=") {
		t.Fatalf("no older link: %v", older)
	}
	p = b.get(strings.ReplaceAll(older[1], "&amp;", "&"))
	want(t, p, 200, "Torna ai più recenti", `data-event="account_created"`)
	if n := strings.Count(p.body, "<tr data-event="); n != 6 {
		t.Fatalf("second page has %d rows, want 6", n)
	}
	if strings.Contains(p.body, `rel="next"`) {
		t.Fatal("the last page has an older link")
	}
}

func TestBadInput(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser()
	b.login("help@provider.test", helpPW)
	tests := []struct {
		method, path string
		status       int
	}{
		{"GET", "/profile/activity?cursor=abc", 400},
		{"GET", "/profile/activity?cursor=-5", 400},
		{"GET", "/profile/activity?from=yesterday", 400},
		{"GET", "/profile/activity?to=2026-13-45", 400},
		{"GET", "/profile/activity?type=%3Cscript%3E", 400},
		{"GET", "/profile/activity?type=" + strings.Repeat("a", 100), 400},
		{"GET", "/admin?cursor=x", 400},
		{"GET", "/admin?q=" + strings.Repeat("a", 300), 400},
		{"GET", "/admin/users/abc", 404},
		{"GET", "/admin/users/0", 404},
		{"GET", "/admin/users/999999", 404},
		{"GET", "/admin/users/1?from=nope", 400},
		{"POST", "/admin/users/abc/disable", 404},
		{"GET", "/no/such/page", 404},
		{"GET", "/dev/mailbox/abc", 404},
		{"GET", "/dev/mailbox/424242", 404},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			p := b.do(tt.method, tt.path, url.Values{})
			want(t, p, tt.status, "<html lang=")
		})
	}
	// An oversized form is refused, not read.
	big := url.Values{"email": {strings.Repeat("x", 100<<10)}, "password": {"x"}}
	want(t, s.browser().post("/login", big), 400)
}

func TestAdminScoping(t *testing.T) {
	s := newSite(t)
	s.standard()
	mario := s.Account("mario@acme.test")
	luigi := s.Account("luigi@other.test")

	user := s.browser()
	user.login("mario@acme.test", marioPW)
	want(t, user.get("/admin"), 403, "Non hai i permessi")
	want(t, user.get(fmt.Sprintf("/admin/users/%d", mario.ID)), 403)
	want(t, user.post(fmt.Sprintf("/admin/users/%d/disable", luigi.ID), url.Values{"confirm": {"yes"}}), 403)

	anna := s.browser()
	anna.login("anna@acme.test", annaPW)
	p := anna.get("/admin")
	want(t, p, 200, "The users of your organization.", "mario@acme.test", "anna@acme.test",
		fmt.Sprintf(`href="/admin/users/%d"`, mario.ID))
	if strings.Contains(p.body, "luigi@other.test") || strings.Contains(p.body, "help@provider.test") {
		t.Fatal("an org admin sees users of another organization")
	}
	want(t, anna.get("/admin?q=luigi"), 200, "No users found.")
	want(t, anna.get(fmt.Sprintf("/admin/users/%d", luigi.ID)), 404, "does not exist")
	want(t, anna.post(fmt.Sprintf("/admin/users/%d/disable", luigi.ID), url.Values{"confirm": {"yes"}}), 404)

	support := s.browser()
	support.login("help@provider.test", helpPW)
	want(t, support.get("/admin"), 200, "luigi@other.test", "mario@acme.test", "help@provider.test")
	want(t, support.get("/admin?q=luigi"), 200, "luigi@other.test", "Luigi Verdi")
}

func TestAdminUserAndDisable(t *testing.T) {
	s := newSite(t)
	s.standard()
	mario := s.Account("mario@acme.test")
	m := s.browser()
	m.login("mario@acme.test", marioPW)

	anna := s.browser()
	anna.login("anna@acme.test", annaPW)
	path := fmt.Sprintf("/admin/users/%d", mario.ID)
	p := anna.get(path)
	want(t, p, 200, "Mario Rossi", "mario@acme.test", "Active", `data-event="login_succeeded"`, "Signed in",
		`action="`+path+`/disable"`, fmt.Sprintf(`href="/api/v1/admin/users/%d/activity?format=csv"`, mario.ID))

	// The export link works with the session cookie.
	if csv := anna.get(fmt.Sprintf("/api/v1/admin/users/%d/activity?format=csv", mario.ID)); csv.status != 200 || !strings.Contains(csv.body, "login_succeeded") {
		t.Fatalf("admin csv export: %d %s", csv.status, csv.body)
	}

	// Without the confirmation nothing happens.
	wantRedirect(t, anna.post(path+"/disable", nil), path+"?done=confirm")
	want(t, anna.get(path+"?done=confirm"), 200, "tick the confirmation box", "Active")

	wantRedirect(t, anna.post(path+"/disable", url.Values{"confirm": {"yes"}}), path+"?done=disabled")
	p = anna.get(path + "?done=disabled")
	want(t, p, 200, "Account disabled.", `data-event="account_disabled"`)
	if strings.Contains(p.body, `/disable"`) {
		t.Fatal("a disabled account still offers the disable button")
	}
	wantRedirect(t, m.get("/profile"), "/login")
	want(t, s.browser().post("/login", url.Values{"email": {"mario@acme.test"}, "password": {marioPW}}), 403, "disattivato")

	// An admin is not offered to disable itself.
	self := s.Account("anna@acme.test")
	if p := anna.get(fmt.Sprintf("/admin/users/%d", self.ID)); strings.Contains(p.body, "/disable\"") {
		t.Fatal("an admin is offered to disable its own account")
	}
}

func TestRestrictedSession(t *testing.T) {
	s := newSite(t)
	s.standard()
	s.exec(`UPDATE accounts SET must_change_password = TRUE WHERE email = 'mario@acme.test'`)
	b := s.browser()
	p := b.post("/login", url.Values{"email": {"mario@acme.test"}, "password": {marioPW}})
	wantRedirect(t, p, "/profile/password")

	p = b.get("/profile/password")
	want(t, p, 200, "La tua password è scaduta o va rinnovata", `action="/profile/password"`, `action="/logout"`)
	if strings.Contains(p.body, `href="/profile/activity"`) {
		t.Fatal("the restricted page links to other pages")
	}
	for _, path := range []string{"/", "/login", "/profile", "/profile/sessions", "/profile/activity", "/admin", "/nowhere"} {
		wantRedirect(t, b.get(path), "/profile/password")
	}
	wantRedirect(t, b.post("/profile/sessions/revoke-others", nil), "/profile/password")

	wantRedirect(t, b.post("/profile/password", url.Values{"current_password": {marioPW},
		"new_password": {"Brand-new-2026"}, "confirm_password": {"Brand-new-2026"}}), "/profile?done=password")
	want(t, b.get("/profile"), 200, "Mario Rossi", `href="/profile/activity"`)

	// A restricted session may sign out.
	s.exec(`UPDATE accounts SET must_change_password = TRUE WHERE email = 'mario@acme.test'`)
	r := s.browser()
	wantRedirect(t, r.post("/login", url.Values{"email": {"mario@acme.test"}, "password": {"Brand-new-2026"}}), "/profile/password")
	wantRedirect(t, r.post("/logout", nil), "/login?done=signedout")
	wantRedirect(t, r.get("/profile/password"), "/login")
}

func TestLogout(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser("Accept-Language", "en")
	b.login("mario@acme.test", marioPW)
	p := b.post("/logout", nil)
	wantRedirect(t, p, "/login?done=signedout")
	if !strings.Contains(p.header.Get("Set-Cookie"), httpx.SessionCookie+"=;") {
		t.Fatalf("logout did not clear the cookie: %q", p.header.Get("Set-Cookie"))
	}
	want(t, b.get("/login?done=signedout"), 200, "You have signed out.")
	wantRedirect(t, b.get("/profile"), "/login")
}

func TestCrossOriginPostRefused(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser()
	b.login("mario@acme.test", marioPW)
	for _, hdr := range [][]string{
		{"Origin", "https://evil.example"},
		{"Sec-Fetch-Site", "cross-site"},
	} {
		t.Run(hdr[0], func(t *testing.T) {
			p := b.post("/logout", nil, hdr...)
			if p.status != http.StatusForbidden {
				t.Fatalf("cross-origin logout: %d", p.status)
			}
			p = s.browser().post("/login", url.Values{"email": {"mario@acme.test"}, "password": {marioPW}}, hdr...)
			if p.status != http.StatusForbidden || p.header.Get("Set-Cookie") != "" {
				t.Fatalf("cross-origin login: %d %q", p.status, p.header.Get("Set-Cookie"))
			}
			want(t, b.get("/profile"), 200, "Mario Rossi")
		})
	}
	// A same-origin form POST, as a browser sends it, works.
	wantRedirect(t, b.post("/logout", nil, "Origin", s.url, "Sec-Fetch-Site", "same-origin"), "/login?done=signedout")
}

func TestSecurityHeadersAndStatic(t *testing.T) {
	s := newSite(t)
	p := s.browser().get("/login")
	want(t, p, 200)
	for k, v := range map[string]string{
		"Content-Security-Policy": "script-src 'self'",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
		"Content-Type":            "text/html; charset=utf-8",
	} {
		if !strings.Contains(p.header.Get(k), v) {
			t.Errorf("%s = %q, want it to contain %q", k, p.header.Get(k), v)
		}
	}
	// The CSP forbids inline scripts and styles: the pages have none.
	for _, bad := range []string{"<script", " style=", "<style", "onclick=", "onsubmit="} {
		if strings.Contains(p.body, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	css := regexp.MustCompile(`href="(/static/varco\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(p.body)
	if css == nil {
		t.Fatal("no stylesheet link")
	}
	c := s.browser().get(css[1])
	if c.status != 200 || !strings.HasPrefix(c.header.Get("Content-Type"), "text/css") ||
		!strings.Contains(c.header.Get("Cache-Control"), "max-age=31536000") || !strings.Contains(c.body, "body") {
		t.Fatalf("css: %d %v", c.status, c.header)
	}
	if nm := s.browser().get(css[1], "If-None-Match", c.header.Get("ETag")); nm.status != http.StatusNotModified {
		t.Fatalf("conditional css: %d", nm.status)
	}
}

func TestEscaping(t *testing.T) {
	s := newSite(t)
	s.Org("acme", varco.PlanPro)
	evil := `<script>alert("x")</script>`
	s.User(admin.NewUser{Email: "eve@acme.test", Password: "Hidden-Secret-2026", Org: "acme", DisplayName: evil})
	s.User(admin.NewUser{Email: "boss@acme.test", Password: "Chief-Secret-2026", Org: "acme", Role: varco.RoleOrgAdmin})

	b := s.browser("User-Agent", `"><img src=x onerror=alert(1)>`)
	b.login("eve@acme.test", "Hidden-Secret-2026")
	for _, path := range []string{"/profile", "/profile/activity", "/profile/sessions"} {
		p := b.get(path)
		want(t, p, 200)
		if strings.Contains(p.body, "<script>") || strings.Contains(p.body, "<img") {
			t.Fatalf("%s renders markup from user data:\n%s", path, p.body)
		}
	}
	want(t, b.get("/profile"), 200, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
	want(t, b.get("/profile/activity"), 200, "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;")

	boss := s.browser()
	boss.login("boss@acme.test", "Chief-Secret-2026")
	p := boss.get("/admin?q=" + url.QueryEscape(`"><script>`))
	if strings.Contains(p.body, "<script>") {
		t.Fatal("the search box echoes markup")
	}
	p = boss.get("/admin")
	if strings.Contains(p.body, "<script>") || !strings.Contains(p.body, "&lt;script&gt;") {
		t.Fatal("the user list renders markup from a display name")
	}

	// The login form echoes the e-mail, escaped.
	p = s.browser().post("/login", url.Values{"email": {`"><script>x</script>@a.test`}, "password": {"x"}})
	if strings.Contains(p.body, "<script>") {
		t.Fatal("the login form echoes markup")
	}
}

func TestDevMailbox(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser()
	b.login("mario@acme.test", marioPW)
	want(t, s.browser().get("/dev/mailbox"), 200, "Nessun messaggio.")
	wantRedirect(t, b.post("/profile/password", url.Values{"current_password": {marioPW},
		"new_password": {"Brand-new-2026"}, "confirm_password": {"Brand-new-2026"}}), "/profile?done=password")
	if err := s.app.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := s.browser().get("/dev/mailbox")
	want(t, p, 200, "password_changed", "mario@acme.test", "<pre")
	if p.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("mailbox Cache-Control = %q", p.header.Get("Cache-Control"))
	}
	id := regexp.MustCompile(`href="/dev/mailbox/(\d+)"`).FindStringSubmatch(p.body)
	if id == nil {
		t.Fatalf("no message link:\n%s", p.body)
	}
	want(t, s.browser().get("/dev/mailbox/"+id[1]), 200, "password_changed", "mario@acme.test")

	// Without dev mode there is no mailbox.
	prod := newSite(t, siteOptions{dev: false})
	want(t, prod.browser().get("/dev/mailbox"), 404)
	want(t, prod.browser().get("/dev/mailbox/1"), 404)
}

// TestProfileShowsExpiryAlert: [seed] SPEC §2.4 — inside the warning window
// every sign-in shows the in-app alert on the profile until dismissed.
func TestProfileShowsExpiryAlert(t *testing.T) {
	s := newSite(t)
	s.standard()
	ctx := context.Background()
	a, err := s.app.DB.AccountByEmail(ctx, "mario@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	// The password was set 75 days ago: 15 days left.
	if err := s.app.DB.SetPassword(ctx, a.ID, a.PasswordHash, time.Now().UTC().Add(-75*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	b := s.browser()
	b.login("mario@acme.test", marioPW)
	p := b.get("/profile")
	want(t, p, 200, `data-alert="password_expiry"`, "La tua password scade tra 15 giorni")
	id := regexp.MustCompile(`action="/profile/alerts/(\d+)/dismiss"`).FindStringSubmatch(p.body)
	if id == nil {
		t.Fatalf("no dismiss form:\n%s", p.body)
	}
	other := s.browser()
	other.login("luigi@other.test", luigiPW)
	want(t, other.post("/profile/alerts/"+id[1]+"/dismiss", url.Values{}), 404)
	wantRedirect(t, b.post("/profile/alerts/"+id[1]+"/dismiss", url.Values{}), "/profile")
	if p := b.get("/profile"); strings.Contains(p.body, `data-alert=`) {
		t.Fatal("the dismissed alert is still shown")
	}
	// The next sign-in shows it again.
	again := s.browser()
	again.login("mario@acme.test", marioPW)
	want(t, again.get("/profile"), 200, `data-alert="password_expiry"`)
}

// TestSpec_3_DevicesAsBrowserOnSystem: SPEC §3 — the activity history (the
// user's and the admin console's) and the sessions page show the device as
// "browser on system" in the reader's language, with the recorded
// User-Agent on hover.
func TestSpec_3_DevicesAsBrowserOnSystem(t *testing.T) {
	const chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36"
	const thunderbird = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0"
	s := newSite(t)
	s.standard()
	mario := s.browser("User-Agent", chrome)
	mario.login("mario@acme.test", marioPW)
	s.browser("User-Agent", thunderbird).login("mario@acme.test", marioPW)
	s.browser("User-Agent", "").login("mario@acme.test", marioPW)
	title := `title="` + template.HTMLEscapeString(chrome) + `"`

	cell := func(p page, text string) {
		t.Helper()
		if !regexp.MustCompile(`class="[^"]*\bua\b[^"]*" title="[^"]+">` + regexp.QuoteMeta(text) + `[<\s]`).MatchString(p.body) {
			t.Fatalf("no device cell %q:\n%s", text, p.body)
		}
	}
	p := mario.get("/profile/sessions")
	want(t, p, 200, title, "Dispositivo sconosciuto")
	cell(p, "Chrome 148 su Linux")
	cell(p, "Thunderbird 128 su Windows")
	p = mario.get("/profile/activity")
	want(t, p, 200, title)
	cell(p, "Chrome 148 su Linux")
	p = mario.get("/profile/activity?lang=en")
	cell(p, "Chrome 148 on Linux")
	cell(p, "Thunderbird 128 on Windows")
	if strings.Contains(p.body, ">"+template.HTMLEscapeString(chrome)) {
		t.Fatal("the raw User-Agent is shown as the device")
	}

	anna := s.browser()
	anna.login("anna@acme.test", annaPW)
	p = anna.get(fmt.Sprintf("/admin/users/%d", s.Account("mario@acme.test").ID))
	want(t, p, 200, title)
	cell(p, "Chrome 148 on Linux")
	cell(p, "Thunderbird 128 on Windows")
}
