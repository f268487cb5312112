// Package chromium starts a real headless Chromium for tests of the pages.
package chromium

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"varco.dev/varco/internal/testenv"
)

// Path is Debian's chromium (package "chromium").
const Path = "/usr/bin/chromium"

// Require skips the test, or fails it under VARCO_REQUIRE_INTEGRATION=1,
// when Chromium is not installed.
func Require(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(Path); err != nil {
		testenv.Missing(t, "chromium ("+Path+")")
	}
}

// Start starts a headless Chromium with extra options added to the flags
// every test uses, and returns its browser context. The context ends after
// timeout, a safety net only (every step waits for a condition), or when
// the test ends; a failed test logs what the browser printed.
func Start(t testing.TB, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	Require(t)
	// Exactly these flags, built by hand rather than from
	// DefaultExecAllocatorOptions (chromedp's Headless and DisableGPU helpers
	// would add more). chromedp itself adds --remote-debugging-pipe and the
	// about:blank start page.
	out := &testenv.Buffer{}
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(out),
	}, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("chromium output:\n%s", out.String())
		}
	})
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}
