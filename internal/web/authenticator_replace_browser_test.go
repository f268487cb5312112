package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"varco.dev/varco"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/push"
	"varco.dev/varco/internal/testenv/chromium"
	"varco.dev/varco/internal/testenv/smtpsink"
)

// TestBrowserAuthenticatorAppReplace: a second authenticator app, in a
// browser context of its own with its own platform authenticator, enrolls
// on an account whose device is the first app (SPEC §6.1). Told that the
// account has a device, the user chooses to approve on the old device:
// the new app shows the number, the old app shows a request to replace
// it. A denial ends it with an error in the new app; "Cancel" on the new
// app withdraws the request, which leaves the old app, and the new app
// may ask again at once; an approval lets the
// new app register its key, and it becomes the account's one device while
// the old app is signed out.
func TestBrowserAuthenticatorAppReplace(t *testing.T) {
	chromium.Require(t)
	s := newSite(t, siteOptions{dev: true, smtp: true, localhost: true})
	s.standard()
	bctx := chromium.Start(t, 120*time.Second)
	signIn := func(ctx context.Context, what string) {
		t.Helper()
		cdpRun(t, ctx, what,
			chromedp.Navigate(s.url+"/authenticator"),
			chromedp.WaitVisible(css(`#enroll-email`)),
			chromedp.SendKeys(css(`#enroll-email`), "mario@acme.test"),
			chromedp.SendKeys(css(`#enroll-password`), marioPW),
			chromedp.Click(css(`#enroll-form button[type=submit]`)),
		)
	}

	// The old device: the first app, enrolled.
	old := bctx
	addPlatformAuthenticator(t, old)
	signIn(old, "enroll the old device")
	cdpRun(t, old, "the old device enrolled",
		chromedp.WaitVisible(css(`#codes-list li`)),
		chromedp.Click(css(`#codes-done`)),
		chromedp.WaitReady(css(`#authenticator[data-stream="open"]`)),
	)

	// The new app, in another browser context: another device.
	fresh, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	defer cancel()
	addPlatformAuthenticator(t, fresh)
	signIn(fresh, "sign in on the new device")
	cdpRun(t, fresh, "the account has a device", chromedp.WaitVisible(css(`#enroll-old-device`)))
	if code := cdpText(t, fresh, `#app-error`); !strings.Contains(code, "recovery code") {
		t.Fatalf("the new app says %q", code)
	}
	ask := func() string {
		t.Helper()
		cdpRun(t, fresh, "approve on the old device",
			chromedp.Click(css(`#enroll-old-device`)),
			chromedp.WaitVisible(css(`#replace-number`)),
		)
		if dir := os.Getenv("VARCO_SCREENSHOT_DIR"); dir != "" {
			png, err := chromedp.Run(fresh, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "authenticator-replace-en-desktop.png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		n := cdpText(t, fresh, `#replace-number`)
		if len(n) != 3 {
			t.Fatalf("number %q", n)
		}
		// The old app shows what is asked.
		cdpRun(t, old, "the request reaches the old device", chromedp.WaitVisible(css(`li[data-request] .request-number`)))
		if title := cdpText(t, old, `li[data-request] .request-title`); title != "Replace this authenticator with a new device" {
			t.Fatalf("the old device shows %q", title)
		}
		return n
	}

	// A denial on the old device ends it: the new app says so.
	ask()
	cdpRun(t, old, "deny",
		chromedp.Click(css(`li[data-request] .request-deny`)),
		chromedp.WaitNotPresent(css(`li[data-request]`)),
	)
	cdpRun(t, fresh, "refused", chromedp.WaitVisible(css(`#app-error[data-code="push_denied"]`)), chromedp.WaitVisible(css(`#enroll-old-device`)))
	if e := cdpText(t, fresh, `#app-error`); !strings.Contains(e, "refused the replacement") {
		t.Fatalf("the new app after the denial: %q", e)
	}
	s.app.Clock.(*clock.Manual).Advance(time.Minute) // past the wait a denial sets

	// Cancel on the new app withdraws the request: the old app drops it,
	// and the new app can ask again at once (no push_rate_limited).
	ask()
	cdpRun(t, fresh, "cancel",
		chromedp.Click(css(`#replace-cancel`)),
		chromedp.WaitVisible(css(`#enroll-old-device`)),
	)
	cdpRun(t, old, "the withdrawn request leaves the old app", chromedp.WaitNotPresent(css(`li[data-request]`)))

	// An approval: the new app registers its key and shows its codes.
	number := ask()
	cdpRun(t, old, "approve",
		chromedp.SendKeys(css(`li[data-request] .request-number`), number),
		chromedp.Click(css(`li[data-request] .request-approve-button`)),
		chromedp.WaitNotPresent(css(`li[data-request]`)),
	)
	if st := cdpText(t, old, `#app-status`); st != "Approved: the new device replaces this one." {
		t.Fatalf("the old app after approving: %q", st)
	}
	cdpRun(t, fresh, "the new device enrolled", chromedp.WaitVisible(css(`#codes-list li`)))
	codes, err := chromedp.Run(fresh, chromedp.Evaluate[int](`document.querySelectorAll("#codes-list li").length`))
	if err != nil || codes != 10 {
		t.Fatalf("%d recovery codes shown (%v)", codes, err)
	}
	cdpRun(t, fresh, "codes saved", chromedp.Click(css(`#codes-done`)), chromedp.WaitReady(css(`#authenticator[data-stream="open"]`)))

	// The new app is the account's one device; the old one is signed out.
	stored, err := chromedp.Run(fresh, chromedp.Evaluate[string](`JSON.parse(localStorage.getItem("varco.authenticator")).device`))
	if err != nil {
		t.Fatal(err)
	}
	a := s.Account("mario@acme.test")
	dev, err := s.app.DB.PushDevice(t.Context(), a.ID)
	if err != nil || dev.PublicID != stored || dev.Kind != push.KindWebAuthn {
		t.Fatalf("the account's device %+v (%v), the new app's %q", dev, err, stored)
	}
	cdpRun(t, old, "the old app signed out", chromedp.WaitReady(css(`#authenticator[data-state="enroll"]`)))
	if st := cdpText(t, old, `#app-status`); !strings.Contains(st, "a new device replaced this one") {
		t.Fatalf("the old app after the replacement: %q", st)
	}
	mail := s.sink.Wait(t, smtpsink.EventIs(varco.EventTwoFactorEnabled), 10*time.Second)
	if len(mail.To) != 1 || mail.To[0] != "mario@acme.test" {
		t.Fatalf("two_factor_enabled e-mail to %v", mail.To)
	}
}
