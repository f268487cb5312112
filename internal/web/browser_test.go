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

	// Chromium asks for English (en-US), so the form is in English.
	cdpRun(t, bctx, "login form",
		chromedp.Navigate(s.url+"/login"),
		chromedp.WaitVisible(css(`#email`)),
		chromedp.WaitReady(css(`html[lang="en"]`)),
		chromedp.SendKeys(css(`#email`), "mario@acme.test"),
		chromedp.SendKeys(css(`#password`), marioPW),
	)
	cdpClick(t, bctx, `form[action="/login"] button[type=submit]`, 200)
	cdpRun(t, bctx, "profile", chromedp.WaitVisible(css(`#display-name`)))
	if name, loc := cdpText(t, bctx, `#display-name`), cdpLocation(t, bctx); name != "Mario Rossi" || !strings.HasSuffix(loc, "/profile") {
		t.Fatalf("after sign-in: name %q at %q", name, loc)
	}

	// Mario's account is Italian, so the signed-in pages are Italian.
	cdpClick(t, bctx, `nav.main a[href="/profile/activity"]`, 200)
	cdpRun(t, bctx, "activity",
		chromedp.WaitVisible(css(`tr[data-event="login_succeeded"]`)),
		chromedp.WaitReady(css(`html[lang="it"]`)),
	)
	if h := cdpText(t, bctx, `h1`); h != "Cronologia attività" {
		t.Fatalf("activity heading %q", h)
	}
	if ev := cdpText(t, bctx, `tr[data-event="login_succeeded"] td:nth-child(2)`); ev != "Accesso riuscito" {
		t.Fatalf("login event shown as %q", ev)
	}

	cdpClick(t, bctx, `nav.langs a[hreflang="en"]`, 200)
	cdpRun(t, bctx, "switch to English",
		chromedp.WaitReady(css(`html[lang="en"]`)),
		chromedp.WaitVisible(css(`tr[data-event="login_succeeded"]`)),
	)
	if h := cdpText(t, bctx, `h1`); h != "Activity history" {
		t.Fatalf("after the switch the heading is %q", h)
	}
	if ev := cdpText(t, bctx, `tr[data-event="login_succeeded"] td:nth-child(2)`); ev != "Signed in" {
		t.Fatalf("login event shown as %q", ev)
	}

	cdpClick(t, bctx, `form[action="/logout"] button`, 200)
	cdpRun(t, bctx, "sign out", chromedp.WaitVisible(css(`p.notice`)))
	if n, loc := cdpText(t, bctx, `p.notice`), cdpLocation(t, bctx); n != "You have signed out." || !strings.Contains(loc, "/login") {
		t.Fatalf("after sign-out: notice %q at %q", n, loc)
	}
	// Signed out for real: the profile sends the browser back to the form.
	cdpRun(t, bctx, "profile after sign-out", chromedp.Navigate(s.url+"/profile"), chromedp.WaitVisible(css(`#email`)))
	if loc := cdpLocation(t, bctx); !strings.HasSuffix(loc, "/login") {
		t.Fatalf("profile after sign-out landed on %q", loc)
	}

	// Support changes acme's password lifetime in the admin console. The
	// English picked above is still remembered.
	cdpRun(t, bctx, "support login form",
		chromedp.SendKeys(css(`#email`), "help@provider.test"),
		chromedp.SendKeys(css(`#password`), helpPW),
	)
	cdpClick(t, bctx, `form[action="/login"] button[type=submit]`, 200)
	cdpClick(t, bctx, `nav.main a[href="/admin"]`, 200)
	cdpClick(t, bctx, `nav.tabs a[href="/admin/orgs"]`, 200)
	acme := fmt.Sprintf("/admin/orgs/%d", s.orgID("acme"))
	cdpClick(t, bctx, `table.orgs a[href="`+acme+`"]`, 200)
	cdpRun(t, bctx, "policy form",
		chromedp.WaitVisible(css(`#f-max_age_days`)),
		chromedp.Clear(css(`#f-max_age_days`)),
		chromedp.SendKeys(css(`#f-max_age_days`), "60"),
	)
	cdpClick(t, bctx, `form.policy-form button[type=submit]`, 200)
	cdpRun(t, bctx, "policy saved", chromedp.WaitVisible(css(`p.notice`)))
	if n, age := cdpText(t, bctx, `p.notice`), cdpText(t, bctx, `#policy-max-age`); !strings.HasPrefix(n, "Policy saved") || age != "60 days" {
		t.Fatalf("after saving: notice %q, lifetime %q", n, age)
	}
	if got := s.policy(s.orgID("acme")).MaxAgeDays; got != 60 {
		t.Fatalf("stored lifetime %d, want 60", got)
	}

	// Mario signs in from a network he never used (as the trusted proxy in
	// front tells varco): the step-up page asks for the PIN sent by e-mail.
	cdpClick(t, bctx, `form[action="/logout"] button`, 200)
	away := awayIP
	s.proxyFor.Store(&away)
	cdpRun(t, bctx, "away login form",
		chromedp.WaitVisible(css(`#email`)),
		chromedp.SendKeys(css(`#email`), "mario@acme.test"),
		chromedp.SendKeys(css(`#password`), marioPW),
	)
	cdpClick(t, bctx, `form[action="/login"] button[type=submit]`, 200)
	cdpRun(t, bctx, "step-up page", chromedp.WaitVisible(css(`#stepup-why`)))
	if h, loc := cdpText(t, bctx, `h1`), cdpLocation(t, bctx); h != "Confirm it's you" || !strings.HasSuffix(loc, "/login/step-up") {
		t.Fatalf("step-up page: heading %q at %q", h, loc)
	}
	cdpClick(t, bctx, `button[value="email_pin"]`, 200)
	pin := s.sink.Code(t, smtpsink.EventIs(varco.EventPINSent), 1, 10*time.Second)
	cdpRun(t, bctx, "type the PIN", chromedp.WaitVisible(css(`p.notice`)), chromedp.SendKeys(css(`#code`), pin))
	cdpClick(t, bctx, `form[action="/login/step-up/verify"] button[type=submit]`, 200)
	cdpRun(t, bctx, "profile after the step-up", chromedp.WaitVisible(css(`#display-name`)))
	if loc := cdpLocation(t, bctx); !strings.HasSuffix(loc, "/profile") {
		t.Fatalf("after the step-up landed on %q", loc)
	}
}
