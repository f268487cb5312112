package web_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv/chromium"
)

// screenshotViewports are the sizes every page is checked and shot at: a
// laptop and a phone (an iPhone 12–15's CSS pixels).
var screenshotViewports = []struct {
	name          string
	width, height int64
	mobile        bool
}{
	{"desktop", 1280, 800, false},
	{"phone", 390, 844, true},
}

// pageCheck is what the test asks every page in the browser: does the page
// scroll sideways, and which form fields have no label.
const pageCheck = `(() => {
  const de = document.documentElement;
  const unlabeled = [];
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.hidden || ['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type)) continue;
    const named = (el.labels && el.labels.length > 0) || (el.getAttribute('aria-label') || '').trim() !== '' ||
      (el.getAttribute('aria-labelledby') || '').trim() !== '';
    if (!named) unlabeled.push(el.outerHTML.slice(0, 160));
  }
  const wide = [];
  if (de.scrollWidth > de.clientWidth) {
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right > de.clientWidth + 1 && wide.length < 5) wide.push(el.tagName.toLowerCase() + '.' + el.className + ' right=' + Math.round(r.right));
    }
  }
  return {scrollWidth: de.scrollWidth, clientWidth: de.clientWidth, unlabeled, wide, lang: de.lang};
})()`

type pageReport struct {
	ScrollWidth int64    `json:"scrollWidth"`
	ClientWidth int64    `json:"clientWidth"`
	Unlabeled   []string `json:"unlabeled"`
	Wide        []string `json:"wide"`
	Lang        string   `json:"lang"`
}

// shot is one page to photograph, as one persona.
type shot struct {
	name   string
	path   string
	status int64
}

// TestScreenshots opens every page in Italian and English on a laptop and
// a phone in a real Chromium, saves a full-page PNG of each under
// VARCO_SCREENSHOT_DIR (a temporary directory when unset) and fails when a
// page scrolls sideways or has a form field without a label.
func TestScreenshots(t *testing.T) {
	chromium.Require(t)
	dir := os.Getenv("VARCO_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := newSite(t, siteOptions{dev: true, proxies: true})
	s.standard()
	ctx := context.Background()
	home, away := homeIP, awayIP

	// Mario: a history with several kinds of events, an alert, a phone
	// waiting for its code and a second session.
	s.proxyFor.Store(&home)
	mario := s.browser()
	mario.login("mario@acme.test", marioPW)
	s.browser().login("mario@acme.test", marioPW)
	mario.post("/profile/phone", url.Values{"phone": {"333 123 4567"}})
	marioAcc := s.Account("mario@acme.test")
	if err := s.app.DB.InTx(ctx, func(q *store.Q) error {
		return q.RaiseAlert(ctx, marioAcc.ID, store.Alert{Kind: notify.AlertPasswordExpiry,
			Message: "La tua password scade tra 5 giorni: cambiala da «Password»."}, time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	// A wrong password, from elsewhere.
	s.proxyFor.Store(&away)
	s.browser().post("/login", url.Values{"email": {"mario@acme.test"}, "password": {"wrong-password"}})

	// A step-up in progress: mario signs in from a network he never used.
	stepUp := s.browser()
	stepUp.startStepUp("mario@acme.test", marioPW)
	s.proxyFor.Store(&home)

	// A reset link for anna, and luigi locked out.
	anon := s.browser()
	anon.post("/password-reset", url.Values{"email": {"anna@acme.test"}})
	reset := s.lastDevMessage(varco.EventPasswordResetRequested)
	m := regexp.MustCompile(`token=([A-Za-z0-9_-]+)`).FindStringSubmatch(reset.Text)
	if m == nil {
		t.Fatalf("no reset token in:\n%s", reset.Text)
	}
	luigi := s.lock("luigi@other.test", "5 wrong PINs in a row")
	support := s.browser()
	support.login("help@provider.test", helpPW)
	s.browser().post("/login", url.Values{"email": {"luigi@other.test"}, "password": {luigiPW}}) // refused: locked
	msgs, err := s.app.DB.Reader().ListDevMessages(ctx, 1)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("dev messages: %v", err)
	}

	// A sign-in waiting for the authenticator: anna has 2-step verification.
	pushWait := s.browser()
	s.enrollDevice("anna@acme.test", annaPW)
	pushSignIn(t, pushWait, "anna@acme.test", annaPW)

	personas := []struct {
		name    string
		browser *browser
		ip      *string
		shots   []shot
	}{
		{"anonymous", nil, &home, []shot{
			{"login", "/login", 200},
			{"reset-request", "/password-reset", 200},
			{"reset-complete", "/password-reset/complete?token=" + m[1], 200},
			{"not-found", "/no-such-page", 404},
		}},
		{"step-up", stepUp, &away, []shot{
			{"step-up", "/login/step-up", 200},
		}},
		{"push-wait", pushWait, &home, []shot{
			{"push-wait", "/login/push", 200},
		}},
		{"mario", mario, &home, []shot{
			{"profile", "/profile", 200},
			{"password", "/profile/password", 200},
			{"sessions", "/profile/sessions", 200},
			{"activity", "/profile/activity", 200},
			{"app-passwords", "/profile/app-passwords", 200}, // no 2-step verification: two_factor_required
			{"mailbox", "/dev/mailbox", 200},
			{"mailbox-message", fmt.Sprintf("/dev/mailbox/%d", msgs[0].ID), 200},
			{"forbidden", "/admin", 403},
		}},
		{"support", support, &home, []shot{
			{"admin-search", "/admin?q=acme", 200},
			{"admin-user-locked", fmt.Sprintf("/admin/users/%d", luigi.ID), 200},
			{"admin-orgs", "/admin/orgs", 200},
			{"admin-org", fmt.Sprintf("/admin/orgs/%d", s.orgID("acme")), 200},
			{"admin-outbox", "/admin/outbox", 200},
		}},
	}

	bctx := chromium.Start(t, 3*time.Minute, chromedp.Flag("hide-scrollbars", true))

	site, _ := url.Parse(s.url)
	loginURL, _ := url.Parse(s.url + "/login/push")
	n := 0
	for _, p := range personas {
		// Each persona browses in a context of its own: its own cookies.
		pctx, cancelTab := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
		if p.browser != nil {
			for _, c := range p.browser.c.Jar.Cookies(site) {
				httpOnly := true
				if _, err := chromedp.Call(pctx, network.SetCookie, network.SetCookieParams{Name: c.Name, Value: c.Value,
					URL: s.url, Path: "/", HTTPOnly: &httpOnly}); err != nil {
					t.Fatalf("%s: cookie: %v", p.name, err)
				}
			}
		}
		if p.browser != nil {
			// The flow cookie of a sign-in in progress is scoped to /login.
			for _, c := range p.browser.c.Jar.Cookies(loginURL) {
				if c.Name != "varco_login_flow" {
					continue
				}
				httpOnly := true
				if _, err := chromedp.Call(pctx, network.SetCookie, network.SetCookieParams{Name: c.Name, Value: c.Value,
					URL: s.url, Path: "/login", HTTPOnly: &httpOnly}); err != nil {
					t.Fatalf("%s: flow cookie: %v", p.name, err)
				}
			}
		}
		s.proxyFor.Store(p.ip)
		for _, vp := range screenshotViewports {
			if _, err := chromedp.Call(pctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
				Width: vp.width, Height: vp.height, DeviceScaleFactor: 1, Mobile: vp.mobile}); err != nil {
				t.Fatalf("viewport %s: %v", vp.name, err)
			}
			for _, lang := range []string{varco.LangIT, varco.LangEN} {
				for _, sh := range p.shots {
					n++
					target := sh.path + "?lang=" + lang
					if strings.Contains(sh.path, "?") {
						target = sh.path + "&lang=" + lang
					}
					name := fmt.Sprintf("%s-%s-%s", sh.name, lang, vp.name)
					resp, err := chromedp.RunResponse(pctx, chromedp.Navigate(s.url+target))
					if err != nil {
						t.Fatalf("%s: open %s: %v", name, target, err)
					}
					if resp.Status != sh.status {
						t.Errorf("%s: status %d, want %d", name, resp.Status, sh.status)
					}
					rep, err := chromedp.Run(pctx, chromedp.Evaluate[pageReport](pageCheck))
					if err != nil {
						t.Fatalf("%s: check: %v", name, err)
					}
					png, err := chromedp.Run(pctx, chromedp.FullScreenshot(100))
					if err != nil {
						t.Fatalf("%s: screenshot: %v", name, err)
					}
					if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
						t.Fatal(err)
					}
					if rep.Lang != lang {
						t.Errorf("%s: page in %q", name, rep.Lang)
					}
					if rep.ScrollWidth > rep.ClientWidth {
						t.Errorf("%s: scrolls sideways (%d > %d px): %v", name, rep.ScrollWidth, rep.ClientWidth, rep.Wide)
					}
					for _, f := range rep.Unlabeled {
						t.Errorf("%s: a field without a label: %s", name, f)
					}
				}
			}
		}
		cancelTab()
	}
	t.Logf("%d screenshots in %s", n, dir)
}
