package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"varco.dev/varco/internal/app"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/fixture"
	"varco.dev/varco/internal/testenv/smssink"
	"varco.dev/varco/internal/testenv/smtpsink"
)

type harness struct {
	*fixture.Fixture
	t     *testing.T
	app   *app.App
	url   string
	clock *clock.Manual
	sink  *smtpsink.Sink
	sms   *smssink.Sink
	cfg   *config.Config
	opts  fixture.Options
}

// newHarness starts the real varco (store, services, HTTP handler, outbox
// worker) on engine, with a manual clock and real SMTP and SMS sinks.
func newHarness(t *testing.T, engine string, tweak ...func(*config.Config)) *harness {
	t.Helper()
	return newHarnessWith(t, engine, fixture.Options{}, tweak...)
}

// newBoundedHarness is newHarness with the sign-in's production deadlines,
// for the tests of those deadlines.
func newBoundedHarness(t *testing.T, engine string) *harness {
	t.Helper()
	return newHarnessWith(t, engine, fixture.Options{ProductionWaits: true})
}

func newHarnessWith(t *testing.T, engine string, o fixture.Options, tweak ...func(*config.Config)) *harness {
	t.Helper()
	sink := smtpsink.Start(t)
	sms := smssink.Start(t, smssink.WithToken("sms-secret"))
	cfg := fixture.Config(t, engine)
	cfg.SMTPURL, cfg.SMSURL, cfg.SMSToken = sink.URL(), sms.URL(), "sms-secret"
	for _, f := range tweak {
		f(cfg)
	}
	clk := clock.NewManual(time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC))
	return start(t, cfg, clk, sink, sms, o)
}

// forEachEngine runs fn as a subtest, named after the engine, on every
// engine with a fresh newHarness.
func forEachEngine(t *testing.T, fn func(t *testing.T, h *harness)) {
	forEachEngineWith(t, tweaked(), fn)
}

// forEachEngineWith is forEachEngine with what newH makes on the engine: a
// harness set up otherwise (tweaked, newStepUpHarness) or one that wraps it
// (newPushHarness).
func forEachEngineWith[H any](t *testing.T, newH func(t *testing.T, engine string) H, fn func(t *testing.T, h H)) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) { fn(t, newH(t, engine)) })
	}
}

// tweaked returns newHarness with tweak applied to the configuration, for
// forEachEngineWith.
func tweaked(tweak ...func(*config.Config)) func(t *testing.T, engine string) *harness {
	return func(t *testing.T, engine string) *harness {
		t.Helper()
		return newHarness(t, engine, tweak...)
	}
}

// twin starts a second varco process on h's database, clock and SMTP sink,
// as two processes behind a load balancer share one PostgreSQL.
func (h *harness) twin() *harness {
	h.t.Helper()
	return start(h.t, h.cfg, h.clock, h.sink, h.sms, h.opts)
}

func start(t *testing.T, cfg *config.Config, clk *clock.Manual, sink *smtpsink.Sink, sms *smssink.Sink, o fixture.Options) *harness {
	t.Helper()
	o.Clock, o.Worker = clk, true
	a := fixture.Start(t, cfg, o)
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	return &harness{Fixture: fixture.New(t, a.Admin, a.DB), t: t, app: a, url: srv.URL, clock: clk, sink: sink, sms: sms, cfg: cfg, opts: o}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r reply) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

// do sends a request with an optional JSON body and Bearer token
// (testenv.CallJSON) and decodes the JSON answer.
func (h *harness) do(method, path, token string, body any, hdr ...string) reply {
	h.t.Helper()
	resp, raw := testenv.CallJSON(h.t, method, h.url+path, token, body, hdr...)
	r := reply{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// login signs in and returns the session token, failing the test otherwise.
func (h *harness) login(email, pw string) string {
	h.t.Helper()
	r := h.do("POST", "/api/v1/login", "", map[string]string{"email": email, "password": pw})
	if r.status != 200 || r.str("state") != "authenticated" || r.str("session_token") == "" {
		h.t.Fatalf("login %s: %d %s", email, r.status, r.raw)
	}
	return r.str("session_token")
}

// wantError checks an error answer's status and code.
func wantError(t *testing.T, r reply, status int, code string) {
	t.Helper()
	if r.status != status || r.str("error") != code || r.str("message") == "" {
		t.Fatalf("got %d %s, want %d %q with a message", r.status, r.raw, status, code)
	}
}

// newStreamHarness is newHarness for the device event stream's tests: the
// stream's periodic recheck is far longer than any test, so only wake-ups
// deliver.
func newStreamHarness(t *testing.T, engine string) *harness {
	return newHarnessWith(t, engine, fixture.Options{PushRecheck: time.Hour})
}
