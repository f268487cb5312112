package web_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/keyfile"
	"varco.dev/varco/internal/push"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/chromium"
)

// device is a command-line authenticator enrolled for an account through
// the API, deciding with its key as the real one does.
type device struct {
	t     *testing.T
	site  *site
	key   *keyfile.Key
	token string
}

func (s *site) enrollDevice(email, pw string) *device {
	s.t.Helper()
	k, err := keyfile.New(s.url, email, "246810", keyfile.KDF{Time: 1, Memory: 8 * 1024, Threads: 1})
	if err != nil {
		s.t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"email": email, "password": pw, "public_key": base64.RawURLEncoding.EncodeToString(k.Public)})
	var out struct {
		DeviceToken string `json:"device_token"`
	}
	s.api("POST", "/api/v1/authenticator/enroll", "", string(body), http.StatusCreated, &out)
	return &device{t: s.t, site: s, key: k, token: out.DeviceToken}
}

// api sends a JSON request and decodes a reply of the wanted status.
func (s *site) api(method, path, token, body string, status int, out any) {
	s.t.Helper()
	resp, raw := testenv.CallJSON(s.t, method, s.url+path, token, body)
	if resp.StatusCode != status {
		var e map[string]any
		_ = json.Unmarshal(raw, &e)
		s.t.Fatalf("%s %s: %d, want %d: %v", method, path, resp.StatusCode, status, e)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			s.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// decide answers the device's only pending request with a signed decision.
func (d *device) decide(decision, number string) string {
	d.t.Helper()
	var list struct {
		Requests []struct {
			ID, Application, IP, Location, Browser, Nonce string
			Time                                          time.Time
			Risky                                         bool
		} `json:"requests"`
	}
	d.site.api("GET", "/api/v1/authenticator/requests", d.token, "", http.StatusOK, &list)
	if len(list.Requests) != 1 {
		d.t.Fatalf("pending requests: %+v", list.Requests)
	}
	r := list.Requests[0]
	nonce, err := base64.RawURLEncoding.DecodeString(r.Nonce)
	if err != nil {
		d.t.Fatal(err)
	}
	c := push.Context{Application: r.Application, IP: r.IP, Location: r.Location, Browser: r.Browser, Time: r.Time, Risky: r.Risky}
	dec := push.Sign(d.key.Sign, push.Decision{RequestID: r.ID, Decision: decision, Number: number}, nonce, c.Hash())
	var out struct {
		Status string `json:"status"`
	}
	d.site.api("POST", "/api/v1/authenticator/requests/"+r.ID+"/decision", d.token, string(push.EncodeDecision(dec)), http.StatusOK, &out)
	return out.Status
}

var numberRe = regexp.MustCompile(`<strong id="push-number">([0-9]+)</strong>`)

// pushSignIn signs in with the form and follows to the waiting page,
// returning it and the number it shows.
func pushSignIn(t *testing.T, b *browser, email, pw string, texts ...string) (page, string) {
	t.Helper()
	p := b.post("/login", url.Values{"email": {email}, "password": {pw}})
	wantRedirect(t, p, "/login/push")
	if c := p.header.Get("Set-Cookie"); strings.Contains(c, "varco_session=") || !strings.Contains(c, "Path=/login") {
		t.Fatalf("the sign-in set %q", c)
	}
	p = b.get("/login/push")
	want(t, p, 200, texts...)
	m := numberRe.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no number on the page:\n%s", p.body)
	}
	if strings.Contains(p.body, "?flow") || strings.Contains(p.header.Get("Location"), "flow") {
		t.Fatal("the flow id is in a URL")
	}
	return p, m[1]
}

// TestLoginWithPushOnTheWebPage: an account with 2-step verification signs
// in on the web: the page shows the number and where the request comes
// from; before the approval the button says it is not approved yet and no
// session is open; the device approves with a signed decision and the
// button lands signed in (SPEC §6.2).
func TestLoginWithPushOnTheWebPage(t *testing.T) {
	s := newSite(t)
	s.standard()
	dev := s.enrollDevice("mario@acme.test", marioPW)
	b := s.browser()
	p, number := pushSignIn(t, b, "mario@acme.test", marioPW, "Approva sul tuo dispositivo", "Ho approvato",
		"Gestione account", `src="/static/push.js?v=`)
	if len(number) != 3 {
		t.Fatalf("number %q", number)
	}
	js := regexp.MustCompile(`src="(/static/push\.js\?v=[0-9a-f]+)"`).FindStringSubmatch(p.body)
	if g := s.browser().get(js[1]); g.status != 200 || !strings.HasPrefix(g.header.Get("Content-Type"), "text/javascript") ||
		!strings.Contains(g.body, "EventSource") {
		t.Fatalf("push.js: %d %v", g.status, g.header)
	}
	p = b.post("/login/push", nil)
	want(t, p, 200, "non è ancora stata approvata", number)
	if strings.Contains(p.header.Get("Set-Cookie"), "varco_session=") {
		t.Fatal("a pending request opened a session")
	}
	if g := b.get("/profile"); g.status != http.StatusSeeOther {
		t.Fatalf("profile before the approval: %d", g.status)
	}
	if st := dev.decide(push.DecisionApprove, number); st != push.StatusApproved {
		t.Fatalf("decision: %s", st)
	}
	p = b.post("/login/push", nil)
	wantRedirect(t, p, "/profile")
	want(t, b.get("/profile"), 200, "Mario Rossi")
	// The flow is spent: the page sends the browser back to the sign-in.
	wantRedirect(t, b.get("/login/push"), "/login?done=signin_again")
}

// pushRefusals are the ways a push request ends without an approval: how
// the device (or the clock) answers, and the status and text of the page
// that then says so.
var pushRefusals = []struct {
	name   string
	answer func(s *site, d *device)
	status int
	text   string
}{
	{"denied", func(_ *site, d *device) { d.decide(push.DecisionDeny, "") }, http.StatusForbidden, "was denied on your device"},
	{"wrong number", func(_ *site, d *device) { d.decide(push.DecisionApprove, "999999") }, http.StatusForbidden, "was denied on your device"},
	{"expired", func(s *site, _ *device) { s.app.Clock.(*clock.Manual).Advance(2*time.Minute + time.Second) }, http.StatusOK, "has expired without an answer"},
}

// TestLoginWithPushDeniedOrExpired: a denial on the device and a request
// that expires unanswered each end on the sign-in form with their message,
// the flow cookie cleared and no session.
func TestLoginWithPushDeniedOrExpired(t *testing.T) {
	for _, tc := range pushRefusals {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t, siteOptions{dev: true, manualClock: true})
			s.standard()
			dev := s.enrollDevice("anna@acme.test", annaPW)
			b := s.browser("Accept-Language", "en")
			pushSignIn(t, b, "anna@acme.test", annaPW, "Approve on your device", "I approved it")
			tc.answer(s, dev)
			p := b.post("/login/push", nil)
			want(t, p, tc.status, tc.text, `role="alert"`, `action="/login"`)
			c := p.header.Get("Set-Cookie")
			if strings.Contains(c, "varco_session=") || !strings.Contains(c, "varco_login_flow=;") {
				t.Fatalf("Set-Cookie %q", c)
			}
			wantRedirect(t, b.get("/login/push"), "/login?done=signin_again")
		})
	}
}

// TestPushEventsStream: the waiting page's event stream stays open while
// the request is pending and emits the approval as soon as the device
// decides; the button then signs in. Without a waiting flow the stream
// answers 204 so EventSource stops.
func TestPushEventsStream(t *testing.T) {
	s := newSite(t)
	s.standard()
	dev := s.enrollDevice("mario@acme.test", marioPW)
	b := s.browser()
	_, number := pushSignIn(t, b, "mario@acme.test", marioPW)

	req, err := http.NewRequest("GET", s.url+"/login/push/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %v", resp.StatusCode, resp.Header)
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() string {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("the stream ended: %v", lines.Err())
		}
		return lines.Text()
	}
	// The stream is open and waiting before the device decides.
	for l := next(); l != ": waiting"; l = next() {
	}
	if st := dev.decide(push.DecisionApprove, number); st != push.StatusApproved {
		t.Fatalf("decision: %s", st)
	}
	var got []string
	for {
		l := next()
		if strings.HasPrefix(l, ":") || l == "" && len(got) == 0 {
			continue
		}
		if l == "" {
			break
		}
		got = append(got, l)
	}
	if fmt.Sprint(got) != "[event: state data: push_approved]" {
		t.Fatalf("event %q", got)
	}
	if lines.Scan() {
		t.Fatalf("the stream goes on after the state: %q", lines.Text())
	}
	wantRedirect(t, b.post("/login/push", nil), "/profile")

	// No waiting flow: 204.
	resp2, err := b.c.Get(s.url + "/login/push/events")
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusNoContent {
		t.Fatalf("events without a flow: %d", resp2.StatusCode)
	}
}

// TestPushEventsAcrossProcesses: two varco processes on one PostgreSQL; a
// web sign-in on A waits on A's event stream while the device approves
// through B's API. B's decision reaches A through PostgreSQL's
// LISTEN/NOTIFY: A's stream emits push_approved within a second of the
// decision, although its fallback re-read is set to an hour, so nothing
// but the notification can deliver it in time. A's button then signs in.
func TestPushEventsAcrossProcesses(t *testing.T) {
	listening := make(chan struct{}, 8)
	a := newSite(t, siteOptions{dev: true, engine: "postgres", worker: true, pushRecheck: time.Hour,
		pushListening: func() { listening <- struct{}{} }})
	a.standard()
	b := a.twin(siteOptions{dev: true})
	select {
	case <-listening:
	case <-time.After(10 * time.Second):
		t.Fatal("A's push listener is not listening")
	}
	dev := b.enrollDevice("mario@acme.test", marioPW)
	br := a.browser()
	_, number := pushSignIn(t, br, "mario@acme.test", marioPW)

	req, err := http.NewRequest("GET", a.url+"/login/push/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := br.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("events: %d", resp.StatusCode)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	next := func(deadline <-chan time.Time, what string) string {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the stream ended before %s", what)
			}
			return l
		case <-deadline:
			t.Fatalf("no %s", what)
			return ""
		}
	}
	opened := time.After(10 * time.Second)
	for l := next(opened, "waiting comment in 10 s"); l != ": waiting"; l = next(opened, "waiting comment in 10 s") {
	}
	sent := time.Now()
	if st := dev.decide(push.DecisionApprove, number); st != push.StatusApproved {
		t.Fatalf("decision through B: %s", st)
	}
	decided := time.Now()
	deadline := time.After(time.Second)
	var got []string
	for {
		l := next(deadline, "push_approved on A's stream within 1 s of B's decision")
		if strings.HasPrefix(l, ":") || l == "" && len(got) == 0 {
			continue
		}
		if l == "" {
			break
		}
		got = append(got, l)
	}
	t.Logf("A's stream delivered B's decision %s after B answered it (%s after it was sent)", time.Since(decided), time.Since(sent))
	if fmt.Sprint(got) != "[event: state data: push_approved]" {
		t.Fatalf("event %q", got)
	}
	wantRedirect(t, br.post("/login/push", nil), "/profile")
}

// TestPushEventsStreamHijacked: over HTTP/1.1 the waiting stream is held
// by the hub, not by a handler: its head still carries the event-stream
// and security headers and the request id, the hub counts it, and closing
// the streams (as the server's shutdown does) ends it at once.
func TestPushEventsStreamHijacked(t *testing.T) {
	s := newSite(t)
	s.standard()
	s.enrollDevice("mario@acme.test", marioPW)
	b := s.browser()
	pushSignIn(t, b, "mario@acme.test", marioPW)
	resp, err := b.c.Get(s.url + "/login/push/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	h := resp.Header
	if resp.StatusCode != 200 || h.Get("Content-Type") != "text/event-stream; charset=utf-8" || h.Get("Cache-Control") != "no-store" ||
		!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Frame-Options") != "DENY" ||
		h.Get("X-Request-Id") == "" || !resp.Close || resp.ContentLength != -1 {
		t.Fatalf("events: %d %v close=%v", resp.StatusCode, h, resp.Close)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() && sc.Text() != ": waiting" {
	}
	if n := s.app.Streams.Len(); n != 1 {
		t.Fatalf("the hub holds %d streams", n)
	}
	s.app.CloseStreams()
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "event:") {
			t.Fatalf("closing sent %q", l)
		}
	}
	if n := s.app.Streams.Len(); n != 0 {
		t.Fatalf("the hub holds %d streams after closing", n)
	}
}

// TestBrowserPushPageContinues: in Chromium, the waiting page's script
// follows the event stream (held by the hub) and, once the device
// approves, presses the button itself: the browser lands signed in
// without a click (SPEC §6.2).
func TestBrowserPushPageContinues(t *testing.T) {
	chromium.Require(t)
	s := newSite(t)
	s.standard()
	dev := s.enrollDevice("mario@acme.test", marioPW)
	bctx := chromium.Start(t, 60*time.Second)
	if err := chromedp.Do(bctx,
		chromedp.Navigate(s.url+"/login"),
		chromedp.WaitVisible(css(`#email`)),
		chromedp.SendKeys(css(`#email`), "mario@acme.test"),
		chromedp.SendKeys(css(`#password`), marioPW),
	); err != nil {
		t.Fatalf("login form: %v", err)
	}
	if _, err := chromedp.RunResponse(bctx, chromedp.Click(css(`form[action="/login"] button[type=submit]`))); err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	if err := chromedp.Do(bctx, chromedp.WaitVisible(css(`#push-number`))); err != nil {
		t.Fatalf("waiting page: %v", err)
	}
	number, err := chromedp.Run(bctx, chromedp.Text(css(`#push-number`)))
	if err != nil {
		t.Fatal(err)
	}
	// Whether or not the page's stream is open yet, the approval reaches
	// it: a stream opened later reads the answered flow.
	if st := dev.decide(push.DecisionApprove, number); st != push.StatusApproved {
		t.Fatalf("decision: %s", st)
	}
	if err := chromedp.Do(bctx, chromedp.WaitVisible(css(`#display-name`))); err != nil {
		t.Fatalf("the page did not continue by itself: %v", err)
	}
	if loc, err := chromedp.Run(bctx, chromedp.Location()); err != nil || !strings.HasSuffix(loc, "/profile") {
		t.Fatalf("landed on %s (%v)", loc, err)
	}
}
