package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/apppassword"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/web"
)

// secretRE finds the app password shown once: four groups of four letters.
var secretRE = regexp.MustCompile(`<code id="app-password"[^>]*>((?:<span class="group">[a-z]{4}</span> ?){4})</code>`)

func shownSecret(t *testing.T, body string) string {
	t.Helper()
	m := secretRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no app password shown:\n%s", body)
	}
	return strings.NewReplacer(`<span class="group">`, "", `</span>`, "").Replace(m[1])
}

// enroll turns 2-step verification on for email (a device, as enrolling
// the authenticator leaves).
func (s *site) enroll(email string) *varco.Account {
	s.t.Helper()
	ctx := context.Background()
	a, err := s.app.DB.AccountByEmail(ctx, email)
	if err != nil {
		s.t.Fatal(err)
	}
	d := &store.PushDevice{AccountID: a.ID, PublicID: "dev-" + email, Kind: "cli", PublicKey: make([]byte, 32),
		TokenHash: []byte(email), CreatedAt: time.Now()}
	if err := s.app.DB.InTx(ctx, func(q *store.Q) error { return q.ReplacePushDevice(ctx, d) }); err != nil {
		s.t.Fatal(err)
	}
	return a
}

func (s *site) mailLogin(email, pw, proto string) string {
	s.t.Helper()
	return varco.ErrorCode(s.app.AppPasswords.Authenticate(context.Background(), apppassword.MailLogin{
		Username: email, Password: pw, Protocol: proto, ClientIP: "198.51.100.7"}))
}

// TestAppPasswordPages: the profile's app password page (SPEC §7, §9):
// without 2-step verification it says two_factor_required and offers no
// generation; with it, a named password is shown once in groups of four
// and works for mail; the list shows its last use; a rotation shows the
// new one once and says the old one keeps working 72 hours; a deletion
// revokes it; unticking every protocol says no_mail_protocol_enabled.
func TestAppPasswordPages(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser()
	b.login("luigi@other.test", luigiPW)

	// [seed] §7.2: generating one needs 2-step verification.
	p := b.get("/profile/app-passwords")
	want(t, p, 200, `data-error="two_factor_required"`, "need 2-step verification", `id="mail-access"`, "You have no app passwords.")
	if strings.Contains(p.body, `action="/profile/app-passwords"`) {
		t.Fatal("the generate form is offered without 2-step verification")
	}
	want(t, b.post("/profile/app-passwords", url.Values{"label": {"Thunderbird"}}), 409, "need 2-step verification")

	a := s.enroll("luigi@other.test")
	p = b.get("/profile/app-passwords")
	want(t, p, 200, `action="/profile/app-passwords"`, `name="label"`)
	if strings.Contains(p.body, `id="blocked"`) {
		t.Fatal("still blocked with 2-step verification on")
	}
	want(t, b.post("/profile/app-passwords", url.Values{"label": {"   "}}), 400, "The label must have 1 to 64 characters.")

	// [seed] §7.2: shown once, 16 letters in groups of four, with a copy hint.
	p = b.post("/profile/app-passwords", url.Values{"label": {"Thunderbird"}})
	want(t, p, 200, "App password created.", `Your new app password for &#34;Thunderbird&#34;`, "Copy it into your mail program", "shown only this once")
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("a page with a secret: Cache-Control %q", cc)
	}
	first := shownSecret(t, p.body)
	if n := len(strings.ReplaceAll(first, " ", "")); n != 16 || strings.Count(first, " ") != 3 {
		t.Fatalf("secret %q", first)
	}
	if got := s.mailLogin(a.Email, first, "imap"); got != "" {
		t.Fatalf("mail login with the shown password: %q", got)
	}
	// Never shown again.
	p = b.get("/profile/app-passwords")
	want(t, p, 200, "Thunderbird", "198.51.100.7", "IMAP")
	if secretRE.MatchString(p.body) || strings.Contains(p.body, strings.Fields(first)[0]+" "+strings.Fields(first)[1]) {
		t.Fatal("the list shows the secret again")
	}

	// [seed] §7.4: a rotation keeps the old one 72 hours.
	list, err := s.app.AppPasswords.List(context.Background(), a)
	if err != nil || len(list) != 1 {
		t.Fatalf("list %v %v", list, err)
	}
	id := list[0].ID
	p = b.post("/profile/app-passwords/"+strconv.FormatInt(id, 10)+"/rotate", nil)
	want(t, p, 200, "App password regenerated.", "The new app password for &#34;Thunderbird&#34;", `id="grace"`, "keeps working for 72 hours")
	second := shownSecret(t, p.body)
	if second == first {
		t.Fatal("rotation showed the same password")
	}
	for _, pw := range []string{first, second} {
		if got := s.mailLogin(a.Email, pw, "smtp"); got != "" {
			t.Fatalf("after rotation, %q: %q", pw, got)
		}
	}

	// [seed] §7.4: deleting revokes at once.
	wantRedirect(t, b.post("/profile/app-passwords/"+strconv.FormatInt(id, 10)+"/delete", nil), "/profile/app-passwords?done=deleted")
	want(t, b.get("/profile/app-passwords?done=deleted"), 200, "App password deleted", "You have no app passwords.")
	if got := s.mailLogin(a.Email, second, "imap"); got != varco.EInvalidCredentials {
		t.Fatalf("deleted password: %q", got)
	}
	want(t, b.post("/profile/app-passwords/"+strconv.FormatInt(id, 10)+"/delete", nil), 404)

	// Mail access: unticking everything blocks generation (§7.2).
	wantRedirect(t, b.post("/profile/mail-access", url.Values{}), "/profile/app-passwords?done=access#mail-access")
	p = b.get("/profile/app-passwords?done=access")
	want(t, p, 200, "Mail access saved.", `data-error="no_mail_protocol_enabled"`, "No mail protocol is enabled")
	if strings.Contains(p.body, ` checked`) {
		t.Fatal("a protocol still ticked")
	}
	want(t, b.post("/profile/app-passwords", url.Values{"label": {"Phone"}}), 409, "No mail protocol is enabled")
	wantRedirect(t, b.post("/profile/mail-access", url.Values{"pop3": {"on"}}), "/profile/app-passwords?done=access#mail-access")
	m, err := s.app.AppPasswords.MailAccess(context.Background(), a)
	if err != nil || m.IMAP || !m.POP3 || m.SMTP {
		t.Fatalf("mail access %+v %v", m, err)
	}

	// In Italian too.
	want(t, b.get("/profile/app-passwords?lang=it"), 200, "Password per le app", "Accesso alla posta")
}

// TestAppPasswordFormsRefuseCrossSite: the forms are protected as every
// other form (cross-origin protection): a cross-site POST changes nothing.
func TestAppPasswordFormsRefuseCrossSite(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser()
	b.login("luigi@other.test", luigiPW)
	a := s.enroll("luigi@other.test")
	for _, path := range []string{"/profile/app-passwords", "/profile/mail-access"} {
		p := b.post(path, url.Values{"label": {"evil"}}, "Sec-Fetch-Site", "cross-site")
		if p.status != http.StatusForbidden {
			t.Fatalf("cross-site POST %s: %d", path, p.status)
		}
	}
	if list, err := s.app.AppPasswords.List(context.Background(), a); err != nil || len(list) != 0 {
		t.Fatalf("cross-site POST created %v %v", list, err)
	}
	if m, err := s.app.AppPasswords.MailAccess(context.Background(), a); err != nil || !m.IMAP || !m.POP3 || !m.SMTP {
		t.Fatalf("cross-site POST changed mail access: %+v %v", m, err)
	}
	// Signed out, the page sends to the sign-in.
	wantRedirect(t, s.browser().get("/profile/app-passwords"), "/login")
}

// TestActivityShowsRepeatedFailures: identical mail login failures within
// a minute are one entry of the history with their count, and the
// activity page shows it.
func TestActivityShowsRepeatedFailures(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser()
	b.login("luigi@other.test", luigiPW)
	for range 3 {
		if got := s.mailLogin("luigi@other.test", "not-the-password", "imap"); got != varco.EInvalidCredentials {
			t.Fatalf("wrong password: %q", got)
		}
	}
	// The first is recorded at once; closing the service records the
	// other two as one entry.
	if err := s.app.AppPasswords.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := b.get("/profile/activity?type=mail_login_failed")
	want(t, p, 200, `<span class="badge count">× 2</span>`)
	if n := strings.Count(p.body, `data-event="mail_login_failed"`); n != 2 {
		t.Fatalf("%d entries, want 2:\n%s", n, p.body)
	}
}

// TestAppPasswordPagesNotConfigured: without app passwords (Deps.AppPasswords
// nil) every app password route answers 404 to a signed-in account, and
// still sends a signed-out visitor to sign in first.
func TestAppPasswordPagesNotConfigured(t *testing.T) {
	s := newSite(t)
	s.standard()
	mux := http.NewServeMux()
	web.New(web.Deps{Auth: s.app.Auth, Recovery: s.app.Recovery, Admin: s.app.Admin, DB: s.app.DB, Dev: true,
		Log: s.app.Log, Clock: s.app.Clock, Streams: s.app.Streams}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	bare := &site{t: t, url: srv.URL}

	out := s.browser()
	out.site = bare
	wantRedirect(t, out.get("/profile/app-passwords"), "/login")

	b := s.browser()
	b.login("luigi@other.test", luigiPW) // on the configured site: the cookie is the same session
	b.site = bare
	want(t, b.get("/profile"), 200)
	want(t, b.get("/profile/app-passwords"), 404)
	want(t, b.post("/profile/app-passwords", url.Values{"label": {"Thunderbird"}}), 404)
	want(t, b.post("/profile/app-passwords/1/rotate", nil), 404)
	want(t, b.post("/profile/app-passwords/1/delete", nil), 404)
	want(t, b.post("/profile/mail-access", url.Values{"imap": {"on"}}), 404)
}
