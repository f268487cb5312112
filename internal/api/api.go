// Package api is varco's JSON API under /api/v1 (SPEC §9). Handlers parse
// and answer; the auth and admin services decide.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/apppassword"
	"varco.dev/varco/internal/audit"
	"varco.dev/varco/internal/auth"
	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/recovery"
	"varco.dev/varco/internal/sse"
)

// Server serves the JSON API.
type Server struct {
	Auth     *auth.Service
	Recovery *recovery.Service // password reset, contact verification
	Admin    *admin.Service
	// AppPasswords are app passwords and mail logins (SPEC §7).
	AppPasswords *apppassword.Service
	// MailAuthSecret is what mail servers send as a Bearer token to
	// POST /api/v1/mail/auth; empty refuses every call.
	MailAuthSecret string
	// MailBackends are the mail servers, per protocol, that GET
	// /mail/auth-http names to nginx for an accepted login.
	MailBackends map[string]netip.AddrPort
	Proxies      httpx.Proxies
	// SecureCookies marks the session cookie Secure; off only in dev mode over http.
	SecureCookies bool
	Log           *slog.Logger
	// History proves an account's own activity history (SPEC §3).
	History HistoryVerifier
	// PushRecheck is how often the device event stream re-reads the
	// device's requests when nothing woke it (default 10 s).
	PushRecheck time.Duration
	// Streams holds the device event streams while they wait.
	Streams *sse.Hub
}

// HistoryVerifier checks one account's chain of the activity history
// against the newest signed checkpoint.
type HistoryVerifier interface {
	VerifyAccount(ctx context.Context, accountID int64) (*audit.Report, error)
}

type route struct {
	pattern string
	handler func(*Server, http.ResponseWriter, *http.Request)
	auth    authLevel
}

type authLevel int

const (
	public     authLevel = iota
	signedIn             // any full session
	restricted           // also a restricted session (password change only)
	staff                // org_admin or support
	deviceAuth           // the authenticator's device token; the handler checks it
	mailServer           // the mail servers' shared secret; the handler checks it
)

// routes is every API route in one table; the OpenAPI test checks it
// against the document.
var routes = []route{
	{"POST /api/v1/login", (*Server).login, public},
	{"GET /api/v1/login/{flow}", (*Server).getFlow, public},
	{"POST /api/v1/login/{flow}/step-up/send", (*Server).sendStepUp, public},
	{"POST /api/v1/login/{flow}/step-up/verify", (*Server).verifyStepUp, public},
	{"POST /api/v1/login/{flow}/password", (*Server).flowPassword, public},
	{"POST /api/v1/login-alerts/not-me", (*Server).notMe, public},
	{"POST /api/v1/logout", (*Server).logout, restricted},
	{"POST /api/v1/password-reset", (*Server).requestPasswordReset, public},
	{"POST /api/v1/password-reset/complete", (*Server).completePasswordReset, public},
	{"GET /api/v1/me", (*Server).me, restricted},
	{"POST /api/v1/me/password", (*Server).changePassword, restricted},
	{"GET /api/v1/me/sessions", (*Server).listSessions, signedIn},
	{"DELETE /api/v1/me/sessions", (*Server).revokeOtherSessions, signedIn},
	{"DELETE /api/v1/me/sessions/{id}", (*Server).revokeSession, signedIn},
	{"GET /api/v1/me/activity", (*Server).myActivity, signedIn},
	{"GET /api/v1/me/activity/integrity", (*Server).myActivityIntegrity, signedIn},
	{"GET /api/v1/me/alerts", (*Server).listAlerts, signedIn},
	{"DELETE /api/v1/me/alerts/{id}", (*Server).dismissAlert, signedIn},
	{"POST /api/v1/me/alerts/{id}/not-me", (*Server).notMeAlert, signedIn},
	{"PUT /api/v1/me/language", (*Server).setLanguage, signedIn},
	{"PUT /api/v1/me/time-zone", (*Server).setTimeZone, signedIn},
	{"PUT /api/v1/me/phone", (*Server).setPhone, signedIn},
	{"DELETE /api/v1/me/phone", (*Server).removePhone, signedIn},
	{"POST /api/v1/me/phone/verify", (*Server).verifyPhone, signedIn},
	{"PUT /api/v1/me/contact-email", (*Server).setContactEmail, signedIn},
	{"POST /api/v1/me/contact-email/verify", (*Server).verifyContactEmail, signedIn},
	{"GET /api/v1/admin/orgs", (*Server).listOrgs, staff},
	{"POST /api/v1/admin/orgs", (*Server).createOrg, staff},
	{"GET /api/v1/admin/orgs/{id}/policy", (*Server).getOrgPolicy, staff},
	{"PUT /api/v1/admin/orgs/{id}/policy", (*Server).setOrgPolicy, staff},
	{"GET /api/v1/admin/orgs/{id}/risk", (*Server).getOrgRisk, staff},
	{"PUT /api/v1/admin/orgs/{id}/risk", (*Server).setOrgRisk, staff},
	{"GET /api/v1/admin/users", (*Server).searchUsers, staff},
	{"POST /api/v1/admin/users", (*Server).createUser, staff},
	{"GET /api/v1/admin/users/{id}", (*Server).getUser, staff},
	{"POST /api/v1/admin/users/{id}/disable", (*Server).disableUser, staff},
	{"POST /api/v1/admin/users/{id}/reactivate", (*Server).reactivateUser, staff},
	{"POST /api/v1/admin/users/{id}/enable", (*Server).enableUser, staff},
	{"POST /api/v1/admin/users/{id}/unlock", (*Server).unlockUser, staff},
	{"POST /api/v1/admin/users/{id}/reset-link", (*Server).sendResetLink, staff},
	{"POST /api/v1/admin/users/{id}/require-password-change", (*Server).requirePasswordChange, staff},
	{"GET /api/v1/admin/outbox", (*Server).listOutbox, staff},
	{"POST /api/v1/admin/outbox/{id}/retry", (*Server).retryMessage, staff},
	{"GET /api/v1/admin/users/{id}/activity", (*Server).userActivity, staff},
	{"GET /api/v1/admin/activity", (*Server).orgActivity, staff},
	{"POST /api/v1/authenticator/enroll", (*Server).enrollAuthenticator, public},
	{"GET /api/v1/authenticator/enroll/{enrollment}", (*Server).enrollment, public},
	{"DELETE /api/v1/authenticator/enroll/{enrollment}", (*Server).cancelEnrollment, public},
	{"GET /api/v1/authenticator/requests", (*Server).pendingPush, deviceAuth},
	{"POST /api/v1/authenticator/requests/{id}/decision", (*Server).decidePush, deviceAuth},
	{"POST /api/v1/authenticator/logout", (*Server).authenticatorLogout, deviceAuth},
	{"POST /api/v1/authenticator/webauthn/enroll/begin", (*Server).beginWebAuthnEnrollment, public},
	{"POST /api/v1/authenticator/webauthn/enroll/finish", (*Server).finishWebAuthnEnrollment, public},
	{"GET /api/v1/authenticator/events", (*Server).deviceEvents, deviceAuth},
	{"GET /api/v1/authenticator/push-key", (*Server).pushKey, public},
	{"PUT /api/v1/authenticator/push-subscription", (*Server).putPushSubscription, deviceAuth},
	{"DELETE /api/v1/authenticator/push-subscription", (*Server).deletePushSubscription, deviceAuth},
	{"GET /api/v1/me/two-factor", (*Server).getTwoFactor, signedIn},
	{"DELETE /api/v1/me/two-factor", (*Server).disableTwoFactor, signedIn},
	{"POST /api/v1/me/two-factor/recovery-codes", (*Server).newRecoveryCodes, signedIn},
	{"GET /api/v1/me/two-factor/recovery-codes/{flow}", (*Server).recoveryCodes, signedIn},
	{"GET /api/v1/me/app-passwords", (*Server).listAppPasswords, signedIn},
	{"POST /api/v1/me/app-passwords", (*Server).createAppPassword, signedIn},
	{"DELETE /api/v1/me/app-passwords/{id}", (*Server).deleteAppPassword, signedIn},
	{"POST /api/v1/me/app-passwords/{id}/rotate", (*Server).rotateAppPassword, signedIn},
	{"GET /api/v1/me/mail-access", (*Server).getMailAccess, signedIn},
	{"PUT /api/v1/me/mail-access", (*Server).setMailAccess, signedIn},
	{"POST /api/v1/mail/auth", (*Server).mailAuth, mailServer},
	{"GET /api/v1/openapi.json", (*Server).openapi, public},
}

// Patterns returns every route pattern ("METHOD /path").
func Patterns() []string {
	out := make([]string, len(routes))
	for i, r := range routes {
		out[i] = r.pattern
	}
	return out
}

// Register adds the API routes to mux.
func (s *Server) Register(mux *http.ServeMux) {
	for _, rt := range routes {
		h := func(w http.ResponseWriter, r *http.Request) { rt.handler(s, w, r) }
		mux.Handle(rt.pattern, s.guard(rt.auth, h))
	}
	// Anything else under /api/ is a JSON error, not the web UI's HTML
	// page: 405 when the path exists with another method, else 404.
	paths := http.NewServeMux()
	seen := map[string]bool{}
	for _, rt := range routes {
		_, path, _ := strings.Cut(rt.pattern, " ")
		if !seen[path] {
			seen[path] = true
			paths.HandleFunc(path, http.NotFound)
		}
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if _, p := paths.Handler(r); p != "" {
			httpx.WriteError(w, r, s.Log, varco.E("method_not_allowed", "error.method_not_allowed", r.Method))
			return
		}
		httpx.WriteError(w, r, s.Log, varco.E(varco.ENotFound, "error.no_endpoint"))
	})
}

type ctxKey int

const (
	accountKey ctxKey = iota
	sessionKey
)

func account(r *http.Request) *varco.Account {
	a, _ := r.Context().Value(accountKey).(*varco.Account)
	return a
}

// actor is who acts on the admin service: the signed-in account, or nobody
// (refused everything) on a route that has no account.
func actor(r *http.Request) admin.Actor { return admin.AccountActor(account(r)) }

func session(r *http.Request) *varco.Session {
	s, _ := r.Context().Value(sessionKey).(*varco.Session)
	return s
}

func (s *Server) guard(level authLevel, h http.HandlerFunc) http.Handler {
	if level == public || level == deviceAuth || level == mailServer {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, sess, err := s.Auth.Authenticate(r.Context(), httpx.SessionToken(r))
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if sess.Restricted && level != restricted {
			s.fail(w, r, varco.E(varco.EPasswordChangeRequire, "error.change_password"))
			return
		}
		if level == staff && a.Role != varco.RoleSupport && a.Role != varco.RoleOrgAdmin {
			s.fail(w, r, varco.E(varco.EForbidden, "error.staff_only"))
			return
		}
		ctx := context.WithValue(context.WithValue(r.Context(), accountKey, a), sessionKey, sess)
		// Errors from here on speak the account's language (SPEC §8).
		ctx = httpx.WithLang(ctx, a.Lang)
		if level == staff {
			// Admin actions are recorded with where the admin is (SPEC §3).
			ctx = admin.WithOrigin(ctx, s.meta(r, ""))
		}
		h(w, r.WithContext(ctx))
	})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.WriteError(w, r, s.Log, err)
}

func (s *Server) meta(r *http.Request, app string) auth.Meta {
	if app == "" {
		app = "api"
	}
	return auth.Meta{IP: s.clientIP(r), UserAgent: httpx.UserAgent(r), Application: app}
}

func (s *Server) clientIP(r *http.Request) string {
	return httpx.ClientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), s.Proxies)
}
