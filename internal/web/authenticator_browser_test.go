package web_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	cdpcall "github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"varco.dev/varco"
	"varco.dev/varco/internal/testenv/chromium"
	"varco.dev/varco/internal/testenv/smtpsink"
)

// TestBrowserAuthenticatorApp drives the authenticator web app in a real
// headless Chromium whose device key lives in DevTools' virtual
// authenticator (a platform authenticator with user verification): the app
// enrolls and shows the recovery codes; a sign-in on another tab shows the
// number, typed and approved in the app, and that tab continues by itself
// to the profile. With the device's user verification gone, an approval
// is refused (device_user_verification_required, SPEC §6.3); "It wasn't
// me" then denies the sign-in, e-mails push_reported and mutes push. A Web
// Push message delivered to the service worker shows a notification;
// signing out of the app turns 2-step verification off; with the server
// gone, the service worker still opens the app.
func TestBrowserAuthenticatorApp(t *testing.T) {
	chromium.Require(t)
	s := newSite(t, siteOptions{dev: true, smtp: true, localhost: true})
	s.standard()
	bctx := chromium.Start(t, 120*time.Second)
	attr := func(ctx context.Context, sel, name string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.AttributeValue(css(sel), name))
		if err != nil {
			t.Fatalf("attribute %s of %s: %v", name, sel, err)
		}
		return v.Value
	}
	// cdp runs one DevTools command on the tab of ctx.
	cdp := func(ctx context.Context, what string, f func(ctx context.Context, t *chromedp.Target) error) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Func(f)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	// The app's tab, with its platform authenticator.
	app := bctx
	authID := addPlatformAuthenticator(t, app)

	cdpRun(t, app, "open the app",
		chromedp.Navigate(s.url+"/authenticator"),
		chromedp.WaitVisible(css(`#enroll-email`)),
		chromedp.WaitReady(css(`html[lang="en"]`)),
	)
	// Installable: a manifest with icons, a service worker controlling
	// /authenticator.
	scope, err := chromedp.Run(app, chromedp.Evaluate[string](`navigator.serviceWorker.ready.then(r => r.scope)`, chromedp.EvalAwaitPromise))
	if err != nil || scope != s.url+"/authenticator" {
		t.Fatalf("service worker scope %q (%v)", scope, err)
	}
	cdp(app, "installability", func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdpcall.Call(ctx, tg, cdppage.GetInstallabilityErrors, cdpcall.Empty{})
		if err != nil {
			return err
		}
		for _, e := range res.InstallabilityErrors {
			t.Errorf("not installable: %s %v", e.ErrorID, e.ErrorArguments)
		}
		return nil
	})

	// Enroll: the sign-in, then the device's key; the recovery codes once.
	cdpRun(t, app, "enroll",
		chromedp.SendKeys(css(`#enroll-email`), "mario@acme.test"),
		chromedp.SendKeys(css(`#enroll-password`), marioPW),
		chromedp.Click(css(`#enroll-form button[type=submit]`)),
		chromedp.WaitVisible(css(`#codes-list li`)),
	)
	codes, err := chromedp.Run(app, chromedp.Evaluate[int](`document.querySelectorAll("#codes-list li").length`))
	if err != nil || codes != 10 {
		t.Fatalf("%d recovery codes shown (%v)", codes, err)
	}
	cdpRun(t, app, "codes saved",
		chromedp.Click(css(`#codes-done`)),
		chromedp.WaitReady(css(`#authenticator[data-state="requests"]`)),
		chromedp.WaitVisible(css(`#requests-empty`)),
		chromedp.WaitReady(css(`#authenticator[data-stream="open"]`)),
	)

	// A sign-in on another tab waits for the device.
	login, cancel := chromedp.NewContext(bctx)
	defer cancel()
	signIn := func() string {
		t.Helper()
		cdpRun(t, login, "sign in",
			chromedp.Navigate(s.url+"/login"),
			chromedp.WaitVisible(css(`#email`)),
			chromedp.SendKeys(css(`#email`), "mario@acme.test"),
			chromedp.SendKeys(css(`#password`), marioPW),
			chromedp.Click(css(`form[action="/login"] button[type=submit]`)),
			chromedp.WaitVisible(css(`#push-number`)),
		)
		return cdpText(t, login, `#push-number`)
	}
	number := signIn()
	if len(number) != 3 {
		t.Fatalf("number %q", number)
	}

	// The request reaches the open app through its event stream.
	cdpRun(t, app, "request shown", chromedp.WaitVisible(css(`li[data-request] .request-number`)))
	if dir := os.Getenv("VARCO_SCREENSHOT_DIR"); dir != "" {
		png, err := chromedp.Run(app, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "authenticator-request-en-desktop.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cdpRun(t, app, "approve",
		chromedp.SendKeys(css(`li[data-request] .request-number`), number),
		chromedp.Click(css(`li[data-request] .request-approve-button`)),
		chromedp.WaitNotPresent(css(`li[data-request]`)),
	)
	if st := cdpText(t, app, `#app-status`); st != "Approved: the sign-in continues." {
		t.Fatalf("app status after approving: %q", st)
	}
	// The sign-in tab continues by itself.
	cdpRun(t, login, "signed in", chromedp.WaitVisible(css(`#display-name`)))
	if loc, err := chromedp.Run(login, chromedp.Location()); err != nil || !strings.HasSuffix(loc, "/profile") {
		t.Fatalf("the sign-in ended on %q (%v)", loc, err)
	}

	// [seed] removing the phone's PIN makes logins fail.
	cdp(app, "no user verification", func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdpcall.Call(ctx, tg, webauthn.SetUserVerified, webauthn.SetUserVerifiedParams{AuthenticatorID: authID, IsUserVerified: false})
		return err
	})
	cdpRun(t, login, "sign out", chromedp.Click(css(`form[action="/logout"] button`)), chromedp.WaitVisible(css(`#email`)))
	number = signIn()
	cdpRun(t, app, "approve without user verification",
		chromedp.WaitVisible(css(`li[data-request] .request-number`)),
		chromedp.SendKeys(css(`li[data-request] .request-number`), number),
		chromedp.Click(css(`li[data-request] .request-approve-button`)),
		chromedp.WaitVisible(css(`li[data-request] .request-error`)),
	)
	if code := attr(app, `li[data-request] .request-error`, "data-code"); code != varco.EDeviceUVRequired {
		t.Fatalf("refused approval: code %q, message %q", code, cdpText(t, app, `li[data-request] .request-error`))
	}
	if msg := cdpText(t, app, `li[data-request] .request-error`); !strings.Contains(msg, "did not verify you") {
		t.Fatalf("refused approval shown as %q", msg)
	}

	// "It wasn't me": the sign-in is denied, the user e-mailed, push muted.
	cdpRun(t, app, "report",
		chromedp.Click(css(`li[data-request] .request-report`)),
		chromedp.WaitNotPresent(css(`li[data-request]`)),
	)
	cdpRun(t, login, "denied", chromedp.WaitVisible(css(`#form-error`)))
	if e := cdpText(t, login, `#form-error`); !strings.Contains(e, "denied") {
		t.Fatalf("sign-in page after the report: %q", e)
	}
	mail := s.sink.Wait(t, smtpsink.EventIs(varco.EventPushReported), 10*time.Second)
	if len(mail.To) != 1 || mail.To[0] != "mario@acme.test" {
		t.Fatalf("push_reported e-mail to %v", mail.To)
	}
	var muted struct {
		Error string `json:"error"`
	}
	s.api("POST", "/api/v1/login", "", `{"email": "mario@acme.test", "password": "`+marioPW+`"}`, http.StatusTooManyRequests, &muted)
	if muted.Error != varco.EPushMuted {
		t.Fatalf("login within the hour after a report: %q, want push_muted", muted.Error)
	}

	// A Web Push message becomes a notification naming the request's
	// application, place, IP and time, which opens the app on the request.
	cdp(app, "push message", func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdpcall.Call(ctx, tg, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: "notifications"}, Setting: cdpbrowser.PermissionSettingGranted, Origin: s.url}); err != nil {
			return err
		}
		regs := cdpcall.Events(ctx, tg, serviceworker.WorkerRegistrationUpdated)
		if _, err := cdpcall.Call(ctx, tg, serviceworker.Enable, cdpcall.Empty{}); err != nil {
			return err
		}
		var id serviceworker.RegistrationID
		for ev, err := range regs {
			if err != nil {
				return err
			}
			for _, r := range ev.Registrations {
				if r.ScopeURL == s.url+"/authenticator" && !r.IsDeleted {
					id = r.RegistrationID
				}
			}
			if id != "" {
				break
			}
		}
		_, err := cdpcall.Call(ctx, tg, serviceworker.DeliverPushMessage, serviceworker.DeliverPushMessageParams{Origin: s.url, RegistrationID: id,
			Data: `{"id":"AAAAAAAAAAAAAAAAAAAAAA","application":"webmail","ip":"203.0.113.7","location":"Milano, Italia","time":"2026-05-04T08:00:00Z"}`})
		return err
	})
	shown, err := chromedp.Run(app, chromedp.Evaluate[string](`(async () => {
		const r = await navigator.serviceWorker.ready;
		for (let i = 0; i < 100; i++) {
			const ns = await r.getNotifications();
			if (ns.length) return ns.map(n => [n.title, n.body, n.data && n.data.url].join(" | ")).join("\n");
			await new Promise(f => setTimeout(f, 100));
		}
		return "";
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(shown, "webmail | Milano, Italia · 203.0.113.7 · ") ||
		!strings.HasSuffix(shown, " | /authenticator#request=AAAAAAAAAAAAAAAAAAAAAA") {
		t.Fatalf("notification %q (%v)", shown, err)
	}

	// Signing out of the app removes the device: 2-step verification is off.
	cdpRun(t, app, "sign out of the app",
		chromedp.Click(css(`#signout-form button`)),
		chromedp.WaitReady(css(`#authenticator[data-state="enroll"]`)),
		chromedp.WaitVisible(css(`#enroll-email`)),
	)
	a := s.Account("mario@acme.test")
	if on, err := s.app.Auth.TwoFactorEnabled(t.Context(), a); err != nil || on {
		t.Fatalf("two-factor after signing out of the app: %v %v", on, err)
	}

	// With the server gone, the service worker still opens the app.
	s.srv.CloseClientConnections()
	s.srv.Close()
	_ = chromedp.Do(app, chromedp.Navigate(s.url+"/login"))
	if form, err := chromedp.Run(app, chromedp.Evaluate[bool](`document.getElementById("email") !== null`)); err != nil || form {
		t.Fatalf("the sign-in page loaded with the server gone (%v)", err)
	}
	cdpRun(t, app, "the app offline", chromedp.Navigate(s.url+"/authenticator"), chromedp.WaitVisible(css(`#enroll-email`)))
}
