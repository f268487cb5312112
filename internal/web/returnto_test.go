package web_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"varco.dev/varco"
	"varco.dev/varco/internal/push"
	"varco.dev/varco/internal/store"
)

const inbox = "https://webmail.example.it/inbox?folder=INBOX"

func returnApps(t *testing.T) *varco.Applications {
	t.Helper()
	apps, err := varco.NewApplications([]varco.Application{
		{ID: "webmail", Names: map[string]string{"it": "Posta Acme", "en": "Acme Mail"}, ReturnTo: []string{"https://webmail.example.it/"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return apps
}

func loginQuery(app, returnTo string) string {
	return "/login?" + url.Values{"app": {app}, "return_to": {returnTo}}.Encode()
}

// TestLoginReturnTo: /login?app=&return_to= signs in to that application
// and, right after the password, goes to return_to when it is on the
// application's allow-list, else to the profile, never elsewhere; someone
// already signed in goes straight on by the same rule.
func TestLoginReturnTo(t *testing.T) {
	s := newSite(t, siteOptions{dev: true, apps: returnApps(t)})
	s.standard()
	p := s.browser().get(loginQuery("webmail", inbox))
	want(t, p, 200, "Stai accedendo a Posta Acme", `name="app" value="webmail"`,
		`name="return_to" value="https://webmail.example.it/inbox?folder=INBOX"`)
	// A return_to off the list is not even carried in the form.
	p = s.browser().get(loginQuery("webmail", "https://evil.example/"))
	want(t, p, 200, `name="app" value="webmail"`)
	if strings.Contains(p.body, `name="return_to"`) {
		t.Fatal("the form carries a return_to off the allow-list")
	}

	for _, tc := range []struct {
		name, app, returnTo, to string
	}{
		{"allowed", "webmail", inbox, inbox},
		{"other host", "webmail", "https://evil.example/", "/profile"},
		{"scheme-relative", "webmail", "//webmail.example.it/", "/profile"},
		{"userinfo", "webmail", "https://webmail.example.it@evil.example/", "/profile"},
		{"backslash", "webmail", "https://webmail.example.it\\@evil.example/", "/profile"},
		{"encoded dots", "webmail", "https://webmail.example.it/%2e%2e/x", "/profile"},
		{"javascript", "webmail", "javascript:alert(1)", "/profile"},
		{"another application's list", "customer_area", inbox, "/profile"},
		{"unknown application", "nosuch", inbox, "/profile"},
		{"no application", "", inbox, "/profile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := s.browser()
			p := b.post("/login", url.Values{"email": {"mario@acme.test"}, "password": {marioPW}, "app": {tc.app}, "return_to": {tc.returnTo}})
			wantRedirect(t, p, tc.to)
			// Signed in, the sign-in page goes straight on by the same rule.
			wantRedirect(t, b.get(loginQuery(tc.app, tc.returnTo)), tc.to)
		})
	}
	// The history names the application signed in to.
	evs, err := s.app.DB.ListEvents(context.Background(), store.EventFilter{AccountID: s.Account("mario@acme.test").ID,
		Types: []string{varco.EventLoginSucceeded}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	apps := map[string]int{}
	for _, e := range evs {
		apps[e.Application]++
	}
	if apps["webmail"] != 7 || apps["customer_area"] != 1 || apps["account_management"] != 2 {
		t.Fatalf("sign-ins recorded for %v", apps)
	}
}

// TestLoginReturnToAfterPush: with 2-step verification on, the waiting
// page names the application and, once the device approves with the
// number (a decision signed as the command-line authenticator signs it),
// the browser goes to return_to. A return_to forged into the cookie
// between the steps is checked again and ignored.
func TestLoginReturnToAfterPush(t *testing.T) {
	s := newSite(t, siteOptions{dev: true, apps: returnApps(t)})
	s.standard()
	dev := s.enrollDevice("mario@acme.test", marioPW)

	b := s.browser()
	p := b.post("/login", url.Values{"email": {"mario@acme.test"}, "password": {marioPW}, "app": {"webmail"}, "return_to": {inbox}})
	wantRedirect(t, p, "/login/push")
	if c := cookie(p, "varco_login_next"); !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "Path=/login") {
		t.Fatalf("next cookie %q", c)
	}
	p = b.get("/login/push")
	want(t, p, 200, "Posta Acme")
	m := numberRe.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no number:\n%s", p.body)
	}
	if st := dev.decide(push.DecisionApprove, m[1]); st != push.StatusApproved {
		t.Fatalf("decision %s", st)
	}
	p = b.post("/login/push", nil)
	wantRedirect(t, p, inbox)
	if c := cookie(p, "varco_login_next"); !strings.Contains(c, "Max-Age=0") {
		t.Fatalf("the next cookie outlives the sign-in: %q", c)
	}

	// A forged cookie: the allow-list still decides.
	b = s.browser()
	p = b.post("/login", url.Values{"email": {"mario@acme.test"}, "password": {marioPW}, "app": {"webmail"}, "return_to": {inbox}})
	wantRedirect(t, p, "/login/push")
	u, _ := url.Parse(s.url + "/login")
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "varco_login_next", Path: "/login",
		Value: base64.RawURLEncoding.EncodeToString([]byte("webmail\nhttps://evil.example/"))}})
	m = numberRe.FindStringSubmatch(b.get("/login/push").body)
	if m == nil {
		t.Fatal("no number")
	}
	dev.decide(push.DecisionApprove, m[1])
	wantRedirect(t, b.post("/login/push", nil), "/profile")
}

// TestLoginReturnToAfterStepUp: a risky sign-in for an application passes
// the e-mail PIN and then goes to return_to.
func TestLoginReturnToAfterStepUp(t *testing.T) {
	s := newSite(t, siteOptions{dev: true, smtp: true, proxies: true, apps: returnApps(t)})
	s.standard()
	s.browser("X-Forwarded-For", homeIP).login("mario@acme.test", marioPW)
	b := s.away()
	p := b.post("/login", url.Values{"email": {"mario@acme.test"}, "password": {marioPW}, "app": {"webmail"}, "return_to": {inbox}})
	wantRedirect(t, p, "/login/step-up")
	pin := b.sendPIN("mario@acme.test")
	wantRedirect(t, b.post("/login/step-up/verify", url.Values{"code": {pin}}), inbox)
}
