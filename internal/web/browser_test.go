package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"varco.dev/varco"
	"varco.dev/varco/internal/testenv/chromium"
	"varco.dev/varco/internal/testenv/smtpsink"
)

// TestBrowserJourney drives the pages in a real headless Chromium: sign in,
// see the profile, read the activity history, switch to English, sign out;
// then support changes an organization's password policy; last, a sign-in
// from a new network passes the step-up with the e-mailed PIN.
func TestBrowserJourney(t *testing.T) {
	chromium.Require(t)
	s := newSite(t, siteOptions{dev: true, smtp: true, proxies: true})
	s.standard()

	bctx := chromium.Start(t, 60*time.Second)

	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	location := func() string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.Location())
		if err != nil {
			t.Fatalf("location: %v", err)
		}
		return v
	}
	// click clicks a link or button, waits for the page it loads and checks
	// its status.
	click := func(sel string, status int64) {
		t.Helper()
		resp, err := chromedp.RunResponse(bctx, chromedp.Click(css(sel)))
		if err != nil {
			t.Fatalf("click %s: %v", sel, err)
		}
		if resp.Status != status {
			t.Fatalf("click %s: status %d, want %d", sel, resp.Status, status)
		}
	}

	// Chromium asks for English (en-US), so the form is in English.
	if err := chromedp.Do(bctx,
		chromedp.Navigate(s.url+"/login"),
		chromedp.WaitVisible(css(`#email`)),
		chromedp.WaitReady(css(`html[lang="en"]`)),
		chromedp.SendKeys(css(`#email`), "mario@acme.test"),
		chromedp.SendKeys(css(`#password`), marioPW),
	); err != nil {
		t.Fatalf("login form: %v", err)
	}
	click(`form[action="/login"] button[type=submit]`, 200)
	if err := chromedp.Do(bctx, chromedp.WaitVisible(css(`#display-name`))); err != nil {
		t.Fatalf("profile: %v", err)
	}
	if name, loc := text(`#display-name`), location(); name != "Mario Rossi" || !strings.HasSuffix(loc, "/profile") {
		t.Fatalf("after sign-in: name %q at %q", name, loc)
	}

	// Mario's account is Italian, so the signed-in pages are Italian.
	click(`nav.main a[href="/profile/activity"]`, 200)
	if err := chromedp.Do(bctx,
		chromedp.WaitVisible(css(`tr[data-event="login_succeeded"]`)),
		chromedp.WaitReady(css(`html[lang="it"]`)),
	); err != nil {
		t.Fatalf("activity: %v", err)
	}
	if h := text(`h1`); h != "Cronologia attività" {
		t.Fatalf("activity heading %q", h)
	}
	if ev := text(`tr[data-event="login_succeeded"] td:nth-child(2)`); ev != "Accesso riuscito" {
		t.Fatalf("login event shown as %q", ev)
	}

	click(`nav.langs a[hreflang="en"]`, 200)
	if err := chromedp.Do(bctx,
		chromedp.WaitReady(css(`html[lang="en"]`)),
		chromedp.WaitVisible(css(`tr[data-event="login_succeeded"]`)),
	); err != nil {
		t.Fatalf("switch to English: %v", err)
	}
	if h := text(`h1`); h != "Activity history" {
		t.Fatalf("after the switch the heading is %q", h)
	}
	if ev := text(`tr[data-event="login_succeeded"] td:nth-child(2)`); ev != "Signed in" {
		t.Fatalf("login event shown as %q", ev)
	}

	click(`form[action="/logout"] button`, 200)
	if err := chromedp.Do(bctx, chromedp.WaitVisible(css(`p.notice`))); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	if n, loc := text(`p.notice`), location(); n != "You have signed out." || !strings.Contains(loc, "/login") {
		t.Fatalf("after sign-out: notice %q at %q", n, loc)
	}
	// Signed out for real: the profile sends the browser back to the form.
	if err := chromedp.Do(bctx, chromedp.Navigate(s.url+"/profile"), chromedp.WaitVisible(css(`#email`))); err != nil {
		t.Fatalf("profile after sign-out: %v", err)
	}
	if loc := location(); !strings.HasSuffix(loc, "/login") {
		t.Fatalf("profile after sign-out landed on %q", loc)
	}

	// Support changes acme's password lifetime in the admin console. The
	// English picked above is still remembered.
	if err := chromedp.Do(bctx,
		chromedp.SendKeys(css(`#email`), "help@provider.test"),
		chromedp.SendKeys(css(`#password`), helpPW),
	); err != nil {
		t.Fatalf("support login form: %v", err)
	}
	click(`form[action="/login"] button[type=submit]`, 200)
	click(`nav.main a[href="/admin"]`, 200)
	click(`nav.tabs a[href="/admin/orgs"]`, 200)
	acme := fmt.Sprintf("/admin/orgs/%d", s.orgID("acme"))
	click(`table.orgs a[href="`+acme+`"]`, 200)
	if err := chromedp.Do(bctx,
		chromedp.WaitVisible(css(`#f-max_age_days`)),
		chromedp.Clear(css(`#f-max_age_days`)),
		chromedp.SendKeys(css(`#f-max_age_days`), "60"),
	); err != nil {
		t.Fatalf("policy form: %v", err)
	}
	click(`form.policy-form button[type=submit]`, 200)
	if err := chromedp.Do(bctx, chromedp.WaitVisible(css(`p.notice`))); err != nil {
		t.Fatalf("policy saved: %v", err)
	}
	if n, age := text(`p.notice`), text(`#policy-max-age`); !strings.HasPrefix(n, "Policy saved") || age != "60 days" {
		t.Fatalf("after saving: notice %q, lifetime %q", n, age)
	}
	if got := s.policy(s.orgID("acme")).MaxAgeDays; got != 60 {
		t.Fatalf("stored lifetime %d, want 60", got)
	}

	// Mario signs in from a network he never used (as the trusted proxy in
	// front tells varco): the step-up page asks for the PIN sent by e-mail.
	click(`form[action="/logout"] button`, 200)
	away := awayIP
	s.proxyFor.Store(&away)
	if err := chromedp.Do(bctx,
		chromedp.WaitVisible(css(`#email`)),
		chromedp.SendKeys(css(`#email`), "mario@acme.test"),
		chromedp.SendKeys(css(`#password`), marioPW),
	); err != nil {
		t.Fatalf("away login form: %v", err)
	}
	click(`form[action="/login"] button[type=submit]`, 200)
	if err := chromedp.Do(bctx, chromedp.WaitVisible(css(`#stepup-why`))); err != nil {
		t.Fatalf("step-up page: %v", err)
	}
	if h, loc := text(`h1`), location(); h != "Confirm it's you" || !strings.HasSuffix(loc, "/login/step-up") {
		t.Fatalf("step-up page: heading %q at %q", h, loc)
	}
	click(`button[value="email_pin"]`, 200)
	pin := s.sink.Code(t, smtpsink.EventIs(varco.EventPINSent), 1, 10*time.Second)
	if err := chromedp.Do(bctx, chromedp.WaitVisible(css(`p.notice`)), chromedp.SendKeys(css(`#code`), pin)); err != nil {
		t.Fatalf("type the PIN: %v", err)
	}
	click(`form[action="/login/step-up/verify"] button[type=submit]`, 200)
	if err := chromedp.Do(bctx, chromedp.WaitVisible(css(`#display-name`))); err != nil {
		t.Fatalf("profile after the step-up: %v", err)
	}
	if loc := location(); !strings.HasSuffix(loc, "/profile") {
		t.Fatalf("after the step-up landed on %q", loc)
	}
}
