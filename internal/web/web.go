// Package web is varco's server-rendered user interface (SPEC §9 "Web UI"):
// sign-in, profile, password change, sessions, activity history, the admin
// console and, in dev mode, the dev mailbox. Pages are html/template files
// embedded in the binary, in Italian and English, and need no JavaScript:
// forms POST and the answer redirects (303). The one exception is the
// authenticator web app at /authenticator, a script over the JSON API by
// nature (WebAuthn). Handlers parse and answer; the auth, recovery and
// admin services decide.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/apppassword"
	"varco.dev/varco/internal/auth"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/device"
	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/i18n"
	"varco.dev/varco/internal/recovery"
	"varco.dev/varco/internal/sse"
	"varco.dev/varco/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/varco.css
var css []byte

// Application is the name the web pages sign in to, as it appears in the
// activity history (SPEC §1).
const Application = "account_management"

// maxForm bounds the body of every form POST.
const maxForm = 64 << 10

// Deps are what the pages need.
type Deps struct {
	Auth     *auth.Service
	Recovery *recovery.Service // password reset, contact verification
	Admin    *admin.Service
	// AppPasswords are the app passwords of mail clients (nil: the page
	// answers 404).
	AppPasswords *apppassword.Service
	DB           *store.DB
	Proxies      httpx.Proxies
	// SecureCookies marks cookies Secure; off only in dev mode over http.
	SecureCookies bool
	// Dev serves /dev/mailbox.
	Dev bool
	Log *slog.Logger // optional
	// Clock tells the time for "password changed N days ago" (optional,
	// default the wall clock).
	Clock clock.Clock
	// PushRecheck is how often a push waiting page's event stream re-reads
	// its flow when nothing woke it (default 30 s): the bound on the delay
	// when a decision's notification is lost. Tests set it long, to see
	// that the notification alone delivers.
	PushRecheck time.Duration
	// Streams holds the waiting pages' event streams once they are
	// authorized (woken by Auth's push decisions; the caller closes it).
	// Nil: the handler keeps each stream on its own hub, which nobody
	// closes — for callers that never shut down.
	Streams *sse.Hub
}

// Handler serves the pages.
type Handler struct {
	auth     *auth.Service
	recovery *recovery.Service
	admin    *admin.Service
	apppw    *apppassword.Service
	db       *store.DB
	proxies  httpx.Proxies
	secure   bool
	dev      bool
	log      *slog.Logger
	clock    clock.Clock
	recheck  time.Duration // PushRecheck
	streams  *sse.Hub
	pages    map[string]*template.Template
	cssURL   string
	cssETag  string
}

// pages are the parsed templates, one set per page. They are embedded, so a
// parse error is a programming error that every test run reports at once.
var pages = mustParseTemplates()

func mustParseTemplates() map[string]*template.Template {
	p, err := parseTemplates()
	if err != nil {
		panic(err)
	}
	return p
}

// New returns a Handler.
func New(d Deps) *Handler {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = clock.Real{}
	}
	if d.PushRecheck <= 0 {
		d.PushRecheck = pushRecheck
	}
	if d.Streams == nil {
		d.Streams = sse.NewHub(sse.Options{Log: d.Log})
		d.Auth.OnPushDecided(d.Streams.Wake)
	}
	sum := sha256.Sum256(css)
	v := hex.EncodeToString(sum[:8])
	return &Handler{auth: d.Auth, recovery: d.Recovery, admin: d.Admin, apppw: d.AppPasswords, db: d.DB, proxies: d.Proxies, secure: d.SecureCookies,
		dev: d.Dev, log: d.Log, clock: d.Clock, recheck: d.PushRecheck, streams: d.Streams, pages: pages, cssURL: "/static/varco.css?v=" + v, cssETag: `"` + v + `"`}
}

// funcs are the template helpers; translation and formatting are methods
// of page.
var funcs = template.FuncMap{
	// args bundles values for a nested template: {{template "events" (args $ $v)}}.
	"args": func(v ...any) []any { return v },
}

// parseTemplates builds one template set per page: the layout, the shared
// partials and the page's own file.
func parseTemplates() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || base == "partials" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// access says who may open a route.
type access int

const (
	anyone     access = iota // signed in or not; a restricted session is sent to the password page
	restricted               // any session, a restricted one too
	signedIn                 // a full session
	staff                    // a full session of an org admin or support
	devTool                  // no session needed, one only shown: the dev mailbox
)

// handlerFunc is a page's handler, called with what wrap learned.
type handlerFunc func(h *Handler, w http.ResponseWriter, r *http.Request, rq *request)

type route struct {
	pattern string
	access  access
	handle  handlerFunc
}

// routes is every page in one table.
var routes = []route{
	{"GET /{$}", anyone, (*Handler).root},
	{"GET /login", anyone, (*Handler).loginForm},
	{"POST /login", anyone, (*Handler).loginSubmit},
	{"GET /login/not-me", anyone, (*Handler).notMeForm},
	{"POST /login/not-me", anyone, (*Handler).notMeSubmit},
	{"GET /login/step-up", anyone, (*Handler).stepUpForm},
	{"POST /login/step-up/send", anyone, (*Handler).stepUpSend},
	{"POST /login/step-up/verify", anyone, (*Handler).stepUpVerify},
	{"GET /login/push", anyone, (*Handler).pushForm},
	{"POST /login/push", anyone, (*Handler).pushCheck},
	{"GET /login/push/events", anyone, (*Handler).pushEvents},
	{"GET /authenticator", anyone, (*Handler).authenticatorPage},
	{"POST /logout", restricted, (*Handler).logout},
	{"GET /password-reset", anyone, (*Handler).resetForm},
	{"POST /password-reset", anyone, (*Handler).resetSubmit},
	{"GET /password-reset/complete", anyone, (*Handler).resetCompleteForm},
	{"POST /password-reset/complete", anyone, (*Handler).resetCompleteSubmit},
	{"GET /profile", signedIn, (*Handler).profile},
	{"POST /profile/alerts/{id}/dismiss", signedIn, (*Handler).dismissAlert},
	{"POST /profile/alerts/{id}/not-me", signedIn, (*Handler).notMeAlert},
	{"POST /profile/preferences", signedIn, (*Handler).preferencesSubmit},
	{"POST /profile/phone", signedIn, (*Handler).phoneSubmit},
	{"POST /profile/phone/verify", signedIn, (*Handler).phoneVerifySubmit},
	{"POST /profile/phone/remove", signedIn, (*Handler).phoneRemoveSubmit},
	{"POST /profile/contact-email", signedIn, (*Handler).contactEmailSubmit},
	{"GET /contact-email/verify", anyone, (*Handler).contactEmailConfirmForm},
	{"POST /contact-email/verify", anyone, (*Handler).contactEmailConfirmSubmit},
	{"GET /profile/password", restricted, (*Handler).passwordForm},
	{"POST /profile/password", restricted, (*Handler).passwordSubmit},
	{"GET /profile/sessions", signedIn, (*Handler).sessions},
	{"POST /profile/sessions/{id}/revoke", signedIn, (*Handler).revokeSession},
	{"POST /profile/sessions/revoke-others", signedIn, (*Handler).revokeOtherSessions},
	{"GET /profile/activity", signedIn, (*Handler).activity},
	{"GET /profile/two-factor", signedIn, (*Handler).twoFactor},
	{"POST /profile/two-factor/disable", signedIn, (*Handler).twoFactorDisable},
	{"GET /profile/two-factor/disable/{id}", signedIn, (*Handler).twoFactorDisableWait},
	{"POST /profile/two-factor/recovery-codes", signedIn, (*Handler).recoveryCodesStart},
	{"GET /profile/two-factor/recovery-codes/{id}", signedIn, (*Handler).recoveryCodesWait},
	{"POST /profile/two-factor/recovery-codes/{id}", signedIn, (*Handler).recoveryCodesCollect},
	{"GET /profile/app-passwords", signedIn, withAppPasswords((*Handler).appPasswords)},
	{"POST /profile/app-passwords", signedIn, withAppPasswords((*Handler).appPasswordCreate)},
	{"POST /profile/app-passwords/{id}/rotate", signedIn, withAppPasswords((*Handler).appPasswordRotate)},
	{"POST /profile/app-passwords/{id}/delete", signedIn, withAppPasswords((*Handler).appPasswordDelete)},
	{"POST /profile/mail-access", signedIn, withAppPasswords((*Handler).mailAccessSubmit)},
	{"GET /admin", staff, (*Handler).adminSearch},
	{"GET /admin/users/{id}", staff, (*Handler).adminUser},
	{"POST /admin/users/{id}/disable", staff, (*Handler).adminDisable},
	{"POST /admin/users/{id}/reactivate", staff, (*Handler).adminReactivate},
	{"POST /admin/users/{id}/unlock", staff, (*Handler).adminUnlock},
	{"POST /admin/users", staff, (*Handler).adminCreateUser},
	{"POST /admin/users/{id}/enable", staff, (*Handler).adminEnable},
	{"POST /admin/users/{id}/reset-link", staff, (*Handler).adminResetLink},
	{"POST /admin/users/{id}/require-password-change", staff, (*Handler).adminRequireChange},
	{"GET /admin/orgs", staff, (*Handler).adminOrgs},
	{"GET /admin/orgs/{id}", staff, (*Handler).adminOrg},
	{"POST /admin/orgs/{id}/policy", staff, (*Handler).adminOrgPolicy},
	{"GET /admin/outbox", staff, (*Handler).adminOutbox},
	{"POST /admin/outbox/{id}/retry", staff, (*Handler).adminOutboxRetry},
	{"/", anyone, (*Handler).notFound},
}

// devRoutes exist only in dev mode.
var devRoutes = []route{
	{"GET /dev/mailbox", devTool, (*Handler).mailbox},
	{"GET /dev/mailbox/{id}", devTool, (*Handler).mailboxMessage},
}

// Patterns returns every page's route pattern ("METHOD /path"; the
// catch-all "/" included), dev-mode pages excepted.
func Patterns() []string {
	out := make([]string, len(routes))
	for i, r := range routes {
		out[i] = r.pattern
	}
	return out
}

// Register adds the pages to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	all := routes
	if h.dev {
		all = append(append([]route{}, routes...), devRoutes...)
	}
	for _, rt := range all {
		mux.Handle(rt.pattern, h.wrap(rt.access, rt.handle))
	}
	mux.HandleFunc("GET /static/varco.css", h.static)
	mux.HandleFunc("GET /static/push.js", h.pushScript)
	mux.HandleFunc("GET /authenticator/app.js", h.authenticatorScript)
	mux.HandleFunc("GET /authenticator/sw.js", h.authenticatorWorker)
	mux.HandleFunc("GET /authenticator/manifest.webmanifest", h.authenticatorManifest)
	mux.HandleFunc("GET /authenticator/icon-192.png", h.authenticatorIcon(icon192))
	mux.HandleFunc("GET /authenticator/icon-512.png", h.authenticatorIcon(icon512))
}

// request is what the middleware learned about a request.
type request struct {
	account *varco.Account // nil when not signed in
	session *varco.Session
	lang    string
}

// actor is who acts on the admin service: the signed-in account, or nobody
// (refused everything) when no one is signed in.
func (rq *request) actor() admin.Actor { return admin.AccountActor(rq.account) }

func (rq *request) staff() bool {
	return rq.account != nil && (rq.account.Role == varco.RoleOrgAdmin || rq.account.Role == varco.RoleSupport)
}

// wrap authenticates the request from the session cookie, picks the
// language and enforces the route's access level.
func (h *Handler) wrap(level access, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := &request{}
		if level == devTool {
			// The dev mailbox needs no session, but shows the navigation
			// to whoever is signed in; a bad cookie is simply ignored.
			if c, err := r.Cookie(httpx.SessionCookie); err == nil && c.Value != "" {
				if a, sess, err := h.auth.Authenticate(r.Context(), c.Value); err == nil {
					rq.account, rq.session = a, sess
				}
			}
		} else {
			if c, err := r.Cookie(httpx.SessionCookie); err == nil && c.Value != "" {
				a, sess, err := h.auth.Authenticate(r.Context(), c.Value)
				switch {
				case err == nil:
					rq.account, rq.session = a, sess
				case varco.IsCode(err, varco.EUnauthorized):
					// A stale cookie: forget it.
					httpx.ClearSessionCookie(w, h.secure)
				default:
					rq.lang, _ = pickLang(r, nil)
					h.fail(w, r, rq, err)
					return
				}
			}
		}
		lang, fromQuery := pickLang(r, rq.account)
		rq.lang = lang
		if fromQuery {
			http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
		}
		switch {
		case level == devTool:
		case level != anyone && rq.account == nil:
			redirect(w, r, "/login")
			return
		case rq.session != nil && rq.session.Restricted && level != restricted:
			redirect(w, r, "/profile/password")
			return
		case level == staff && !rq.staff():
			h.errorPage(w, r, rq, http.StatusForbidden, "err.forbidden")
			return
		case level == staff:
			// Admin actions are recorded with where the admin is (SPEC §3).
			r = r.WithContext(admin.WithOrigin(r.Context(), h.meta(r)))
		}
		fn(h, w, r, rq)
	})
}

// redirect answers 303 See Other: after a POST the browser GETs the target.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// page is the data every template gets.
type page struct {
	Lang       string
	Title      string
	Section    string
	CSS        string
	Account    *varco.Account
	Restricted bool
	Staff      bool
	Support    bool // the admin console shows the support-only pages
	Dev        bool
	Langs      []langLink
	Notice     string
	Error      string
	Data       any
	apps       *varco.Applications
}

type langLink struct {
	Code, Name, URL string
	Current         bool
}

// T translates key into the page's language.
func (p *page) T(key string, args ...any) string { return translate(p.Lang, key, args...) }

// Label is the human name of an event, role, status, outcome, actor or
// application (prefix "event.", "role." …), or the raw name.
func (p *page) Label(prefix, name string) string {
	if prefix == "appname." {
		// Configured applications have their own display names (SPEC §1).
		return p.apps.Name(name, p.Lang)
	}
	return label(p.Lang, prefix, name)
}

// Time formats t for the page's language in the reader's time zone, naming it.
func (p *page) Time(t time.Time) string { return formatTime(p.Lang, p.loc(), t) }

// loc is the reader's time zone: the signed-in account's (SPEC §3), else
// varco's default.
func (p *page) loc() *time.Location {
	if p.Account != nil {
		return p.Account.Location()
	}
	loc, _ := varco.LoadTimeZone(varco.DefaultTimeZone)
	return loc
}

// Device names the client behind a recorded user agent in the page's
// language, "Chrome 148 on Linux" (SPEC §3); "" when none was recorded.
func (p *page) Device(userAgent string) string { return device.Describe(userAgent, p.Lang) }

// ISO formats t for a <time datetime> attribute.
func (p *page) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (h *Handler) newPage(r *http.Request, rq *request, titleKey, section string) *page {
	p := &page{Lang: rq.lang, Section: section, CSS: h.cssURL, Account: rq.account, Staff: rq.staff(), Dev: h.dev,
		Support: rq.account != nil && rq.account.Role == varco.RoleSupport, apps: h.auth.Config().Applications}
	p.Title = p.T(titleKey)
	p.Restricted = rq.session != nil && rq.session.Restricted
	for _, l := range languages {
		q := r.URL.Query()
		q.Set("lang", l)
		p.Langs = append(p.Langs, langLink{Code: l, Name: translate(l, "lang."+l), Current: l == rq.lang,
			URL: (&url.URL{Path: r.URL.Path, RawQuery: q.Encode()}).String()})
	}
	return p
}

// render executes the page's template into a buffer first, so a template
// error becomes a clean 500 rather than half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, ok := h.pages[name]
	if !ok {
		h.log.ErrorContext(r.Context(), "unknown template", "template", name)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.ErrorContext(r.Context(), "render page", "template", name, "error", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	// Pages show personal data: never keep them in a shared cache.
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Language", p.Lang)
	hd.Add("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorPage answers a status with a page that explains it in the user's
// language.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, rq *request, status int, msgKey string) {
	titleKey := "err.title." + strconv.Itoa(status)
	if !i18n.Has(titleKey) {
		titleKey = "err.title.500"
	}
	p := h.newPage(r, rq, titleKey, "")
	p.Error = p.T(msgKey)
	h.render(w, r, status, "error", p)
}

// fail answers err with the error page its code calls for. Internal errors
// are logged and shown with a generic text.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	code := varco.ErrorCode(err)
	switch code {
	case varco.EUnauthorized:
		redirect(w, r, "/login")
		return
	case varco.ENotFound:
		h.errorPage(w, r, rq, http.StatusNotFound, "err.not_found")
		return
	case varco.EForbidden:
		h.errorPage(w, r, rq, http.StatusForbidden, "err.forbidden")
		return
	case varco.EInvalid:
		h.errorPage(w, r, rq, http.StatusBadRequest, "err.invalid_request")
		return
	}
	status := httpx.Status(code)
	if status >= 500 {
		h.log.ErrorContext(r.Context(), "page failed", "method", r.Method, "path", httpx.LogPath(r.URL.Path), "error", err)
	}
	h.errorPage(w, r, rq, max(status, 400), errorKey(err))
}

// errorKey is the catalog key of an error's message.
func errorKey(err error) string {
	key := "err." + varco.ErrorCode(err)
	if i18n.Has(key) {
		return key
	}
	return "err.internal"
}

// errorText is an error's message in lang, with the wait spelled out for
// too_many_attempts.
func errorText(lang string, err error) string {
	var ve *varco.Error
	if varco.IsCode(err, varco.ETooManyAttempts) && errors.As(err, &ve) {
		return i18n.N(lang, "err.too_many_attempts", max(ve.RetryAfter, 1))
	}
	return translate(lang, errorKey(err))
}

// setRetryAfter adds Retry-After when err asks the client to wait.
func setRetryAfter(w http.ResponseWriter, err error) {
	var ve *varco.Error
	if errors.As(err, &ve) && ve.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(ve.RetryAfter))
	}
}

// errorStatus is the status a form page answers with when err stops it.
func errorStatus(err error) int {
	return max(httpx.Status(varco.ErrorCode(err)), 400)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, rq *request) {
	h.errorPage(w, r, rq, http.StatusNotFound, "err.not_found")
}

func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	serveAsset(w, r, "text/css; charset=utf-8", cacheForGood, h.cssETag, css)
}

// cacheForGood is the Cache-Control of an asset served under a versioned
// URL.
const cacheForGood = "public, max-age=31536000, immutable"

// serveAsset answers body with its type, caching and entity tag (quoted),
// or 304 when the browser already has that version.
func serveAsset(w http.ResponseWriter, r *http.Request, contentType, cacheControl, etag string, body []byte) {
	hd := w.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("Cache-Control", cacheControl)
	hd.Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(body)
}

// meta describes the request for the activity history.
func (h *Handler) meta(r *http.Request) auth.Meta {
	return auth.Meta{IP: httpx.ClientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), h.proxies),
		UserAgent: httpx.UserAgent(r), Application: Application}
}

// parseForm reads a form POST of bounded size.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return varco.E(varco.EInvalid, "error.form")
	}
	return httpx.CheckValues(r.PostForm)
}

// notice picks a confirmation message by the ?done= value the handler
// redirected with; unknown values show nothing.
func notice(p *page, r *http.Request, known map[string]string) {
	if key, ok := known[r.URL.Query().Get("done")]; ok {
		p.Notice = p.T(key)
	}
}
