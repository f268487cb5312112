package web_test

import (
	"database/sql"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/app"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/fixture"
	"varco.dev/varco/internal/testenv/smtpsink"
)

const (
	marioPW = "Rossi-Secret-2026"
	annaPW  = "Bianchi-Admin-2026"
	luigiPW = "Verdi-Secret-2026"
	helpPW  = "Service-Desk-2026"
)

// site is the real varco (store, services, HTTP handler) on a fresh SQLite
// file, served by httptest.
type site struct {
	*fixture.Fixture
	t      *testing.T
	app    *app.App
	url    string
	dbPath string
	raw    *sql.DB        // behind exec
	sink   *smtpsink.Sink // with siteOptions.smtp
	cfg    *config.Config
	opt    fixture.Options
	// proxyFor, with siteOptions.proxies, is the client address the
	// trusted proxy in front of the site adds to requests that carry no
	// X-Forwarded-For, as nginx would for a real browser.
	proxyFor atomic.Pointer[string]
}

type siteOptions struct {
	dev    bool
	engine string // "sqlite" (default) or "postgres"
	// smtp sends e-mail to a real SMTP sink through the running outbox
	// worker, on a manual clock.
	smtp bool
	// proxies trusts X-Forwarded-For from the loopback, so a test can sign
	// in "from" any address.
	proxies bool
	// manualClock runs the services on a manual clock (s.app.Clock).
	manualClock bool
	// apps are the configured applications (nil: the defaults).
	apps *varco.Applications
	// worker runs the background work (app.Run) as serve does: on
	// PostgreSQL that includes the push listener.
	worker bool
	// pushRecheck is app.Options.PushRecheck; pushListening is called
	// each time the push listener is listening.
	pushRecheck   time.Duration
	pushListening func()
}

// newSite starts varco. Dev mode is on by default here because it is what
// lets the session cookie work without Secure over plain http.
func newSite(t *testing.T, opts ...siteOptions) *site {
	t.Helper()
	o := siteOptions{dev: true}
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.engine == "" {
		o.engine = "sqlite"
	}
	cfg := fixture.Config(t, o.engine)
	cfg.Dev = o.dev
	cfg.Applications = o.apps
	opt := fixture.Options{Worker: o.smtp || o.worker, PushRecheck: o.pushRecheck, PushListening: o.pushListening}
	var sink *smtpsink.Sink
	if o.smtp {
		sink = smtpsink.Start(t)
		cfg.SMTPURL = sink.URL()
		opt.Clock = clock.NewManual(time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC))
	}
	if o.manualClock && opt.Clock == nil {
		opt.Clock = clock.NewManual(time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC))
	}
	if o.proxies {
		fixture.TrustLoopback(cfg)
	}
	return startSite(t, o, cfg, opt, sink)
}

// twin starts a second varco process on s's database, as two processes
// behind a load balancer share one PostgreSQL; opts replaces what tells
// the processes apart (the push listener's hook).
func (s *site) twin(o siteOptions) *site {
	s.t.Helper()
	opt := s.opt
	opt.PushListening = o.pushListening
	return startSite(s.t, o, s.cfg, opt, s.sink)
}

func startSite(t *testing.T, o siteOptions, cfg *config.Config, opt fixture.Options, sink *smtpsink.Sink) *site {
	t.Helper()
	a := fixture.Start(t, cfg, opt)
	s := &site{Fixture: fixture.New(t, a.Admin, a.DB), t: t, app: a, dbPath: cfg.DatabaseURL, sink: sink, cfg: cfg, opt: opt}
	h := a.Handler
	if o.proxies {
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ip := s.proxyFor.Load(); ip != nil && r.Header.Get("X-Forwarded-For") == "" {
				r.Header.Set("X-Forwarded-For", *ip)
			}
			a.Handler.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// standard sets up org "acme" with mario (user, Italian) and anna
// (org_admin, English), org "other" with luigi, and a support account.
func (s *site) standard() {
	s.Org("acme", varco.PlanPro)
	s.Org("other", varco.PlanPro)
	s.User(admin.NewUser{Email: "mario@acme.test", Password: marioPW, Org: "acme", DisplayName: "Mario Rossi", Language: "it"})
	s.User(admin.NewUser{Email: "anna@acme.test", Password: annaPW, Org: "acme", Role: varco.RoleOrgAdmin, DisplayName: "Anna Bianchi", Language: "en"})
	s.User(admin.NewUser{Email: "luigi@other.test", Password: luigiPW, Org: "other", DisplayName: "Luigi Verdi", Language: "en"})
	s.User(admin.NewUser{Email: "help@provider.test", Password: helpPW, Role: varco.RoleSupport, DisplayName: "Help Desk"})
}

// exec runs SQL on the database behind the service's back, for states no
// service call sets up (e.g. a password that must be changed).
func (s *site) exec(query string, args ...any) {
	s.t.Helper()
	if s.raw == nil {
		s.raw = testenv.RawDB(s.t, s.dbPath)
	}
	if _, err := s.raw.Exec(query, args...); err != nil {
		s.t.Fatalf("exec %q: %v", query, err)
	}
}

// browser is a cookie-keeping client that does not follow redirects, so
// tests see every 303.
type browser struct {
	t      *testing.T
	site   *site
	c      *http.Client
	header http.Header
}

func (s *site) browser(hdr ...string) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.t.Fatal(err)
	}
	b := &browser{t: s.t, site: s, header: http.Header{}, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	for i := 0; i+1 < len(hdr); i += 2 {
		b.header.Set(hdr[i], hdr[i+1])
	}
	return b
}

type page struct {
	status int
	header http.Header
	body   string
}

func (p page) location() string { return p.header.Get("Location") }

func (b *browser) do(method, path string, form url.Values, hdr ...string) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.site.url+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

func (b *browser) get(path string, hdr ...string) page { return b.do("GET", path, nil, hdr...) }

func (b *browser) post(path string, form url.Values, hdr ...string) page {
	if form == nil {
		form = url.Values{}
	}
	return b.do("POST", path, form, hdr...)
}

// login signs in through the form and checks the redirect to the profile.
func (b *browser) login(email, pw string) {
	b.t.Helper()
	p := b.post("/login", url.Values{"email": {email}, "password": {pw}})
	if p.status != http.StatusSeeOther || p.location() != "/profile" {
		b.t.Fatalf("login %s: %d → %q\n%s", email, p.status, p.location(), p.body)
	}
}

// want checks a page's status and that its body holds every text.
func want(t *testing.T, p page, status int, texts ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d; Location %q\n%s", p.status, status, p.location(), p.body)
	}
	for _, s := range texts {
		if !strings.Contains(p.body, s) {
			t.Fatalf("page lacks %q:\n%s", s, p.body)
		}
	}
	if strings.Contains(p.body, "[[") {
		t.Fatalf("page shows a missing catalog key:\n%s", p.body)
	}
}

// wantRedirect checks a 303 to target.
func wantRedirect(t *testing.T, p page, target string) {
	t.Helper()
	if p.status != http.StatusSeeOther || p.location() != target {
		t.Fatalf("got %d → %q, want 303 → %q\n%s", p.status, p.location(), target, p.body)
	}
}
