package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"varco.dev/varco"
	"varco.dev/varco/internal/auth"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/testenv/chromium"
	"varco.dev/varco/internal/testenv/smtpsink"
)

// TestBrowserSupportDesk drives the admin console's support desk in a real
// headless Chromium (SPEC §2.6, §2.8, §3): support, whose own password
// expires in five days, is warned; creates a user; sends the user a reset
// link and requires a password change, both recorded as support's with
// support's IP and place; disables and re-enables the account; and reads
// the organization's whole history.
func TestBrowserSupportDesk(t *testing.T) {
	chromium.Require(t)
	s := newSite(t, siteOptions{dev: true, smtp: true, proxies: true})
	s.standard()
	s.app.Clock.(*clock.Manual).Advance(85 * 24 * time.Hour) // every password now expires in 5 days
	from := "198.51.100.20"
	s.proxyFor.Store(&from)

	bctx := chromium.Start(t, 60*time.Second)

	cdpRun(t, bctx, "login form", chromedp.Navigate(s.url+"/login"), chromedp.WaitVisible(css(`#email`)),
		chromedp.SendKeys(css(`#email`), "help@provider.test"), chromedp.SendKeys(css(`#password`), helpPW))
	cdpClick(t, bctx, `form[action="/login"] button[type=submit]`, 200)
	// Support's account speaks Italian; the switch makes the pages English.
	cdpRun(t, bctx, "the console", chromedp.Navigate(s.url+"/admin?lang=en"), chromedp.WaitVisible(css(`#password-warning`)))
	if w := cdpText(t, bctx, `#password-warning`); !strings.Contains(w, "Your password expires in 5 days.") {
		t.Fatalf("staff expiry warning: %q", w)
	}

	// Create a user in acme.
	cdpRun(t, bctx, "create form", chromedp.SendKeys(css(`#nu-email`), "nuovo@acme.test"),
		chromedp.SendKeys(css(`#nu-password`), "Parola-Chiave-2026"),
		chromedp.SendKeys(css(`#nu-name`), "Nuovo Utente"),
		chromedp.SetValue(css(`#nu-org`), "acme"),
		chromedp.SetValue(css(`#nu-lang`), "en"))
	cdpClick(t, bctx, `form.new-user button[type=submit]`, 200)
	cdpRun(t, bctx, "created", chromedp.WaitVisible(css(`p.notice`)))
	if n := cdpText(t, bctx, `p.notice`); n != "User created." {
		t.Fatalf("after creating: %q", n)
	}
	u := s.Account("nuovo@acme.test")
	if u.OrgName != "acme" || u.Role != varco.RoleUser || u.Lang != "en" {
		t.Fatalf("created %+v", u)
	}

	// Send a reset link.
	cdpRun(t, bctx, "reset link form", chromedp.Click(css(`#confirm-reset-link`)))
	cdpClick(t, bctx, `form.reset-link button[type=submit]`, 200)
	cdpRun(t, bctx, "reset link sent", chromedp.WaitVisible(css(`p.notice`)))
	if n := cdpText(t, bctx, `p.notice`); n != "Reset link sent." {
		t.Fatalf("after the reset link: %q", n)
	}
	m := s.sink.Wait(t, smtpsink.EventIs(varco.EventPasswordResetRequested), 10*time.Second)
	if m.To[0] != "nuovo@acme.test" || !strings.Contains(m.Text, "token=") || !strings.Contains(m.Text, "Support sent you this link") {
		t.Fatalf("reset e-mail to %v:\n%s", m.To, m.Text)
	}

	// Require a password change.
	cdpRun(t, bctx, "require change form", chromedp.Click(css(`#confirm-require-change`)))
	cdpClick(t, bctx, `form.require-change button[type=submit]`, 200)
	cdpRun(t, bctx, "change required", chromedp.WaitVisible(css(`p.notice`)))
	if !s.Account("nuovo@acme.test").MustChangePassword {
		t.Fatal("no password change required")
	}
	res, err := s.app.Auth.Login(context.Background(), "nuovo@acme.test", "Parola-Chiave-2026", auth.Meta{IP: from})
	if err != nil || res.State != "password_change_required" {
		t.Fatalf("next sign-in: %+v, %v", res, err)
	}

	// Disable, then re-enable.
	cdpRun(t, bctx, "disable form", chromedp.Click(css(`#confirm`)))
	cdpClick(t, bctx, `form.danger-zone button[type=submit]`, 200)
	cdpRun(t, bctx, "re-enable form", chromedp.WaitVisible(css(`#confirm-enable`)), chromedp.Click(css(`#confirm-enable`)))
	cdpClick(t, bctx, `form.enable button[type=submit]`, 200)
	cdpRun(t, bctx, "re-enabled", chromedp.WaitVisible(css(`p.notice`)))
	if n, st := cdpText(t, bctx, `p.notice`), cdpText(t, bctx, `#user-status`); n != "Account re-enabled." || st != "Active" {
		t.Fatalf("after re-enabling: notice %q, status %q", n, st)
	}

	// The organization's history shows every account's events, admin
	// actions with support's IP.
	cdpRun(t, bctx, "org page", chromedp.Navigate(fmt.Sprintf("%s/admin/orgs/%d", s.url, s.orgID("acme"))),
		chromedp.WaitVisible(css(`#org-history-title`)))
	for _, ev := range []string{"account_created", "password_reset_requested", "password_change_required", "account_enabled"} {
		row := `tr[data-event="` + ev + `"]`
		cdpRun(t, bctx, "history row "+ev, chromedp.WaitVisible(css(row)))
		if ip := cdpText(t, bctx, row+` td.mono`); ip != from {
			t.Fatalf("%s recorded from %q, want %q", ev, ip, from)
		}
	}
	if acct := cdpText(t, bctx, `tr[data-event="password_change_required"] td:nth-child(3)`); acct != fmt.Sprintf("#%d", u.ID) {
		t.Fatalf("account column %q", acct)
	}
}
