package web

import (
	"encoding/base64"
	"net/http"
	"strings"

	"varco.dev/varco"
)

// An application sends the browser to varco's sign-in page as
// /login?app=ID&return_to=URL (docs/integration.md). The sign-in is then
// one to that application: the push request names it. Once signed in —
// right away, after a step-up or after the push approval — the browser
// goes to return_to when it is on the application's allow-list
// (varco.Applications.ReturnTo), else to the profile, never elsewhere.
// Between the steps the pair travels in an HttpOnly cookie scoped to
// /login, and it is checked again each time it is used.

// nextCookie carries the application and return_to of a sign-in waiting
// for a step-up or a push approval.
const nextCookie = "varco_login_next"

// target is where a sign-in for an application should end.
type target struct {
	App      string // a configured application, or ""
	ReturnTo string // on App's allow-list, or ""
}

// targetOf checks an application id and return_to URL from a query,
// form or cookie: an unknown application is none, and a return_to off its
// allow-list is dropped.
func (h *Handler) targetOf(app, returnTo string) target {
	apps := h.auth.Config().Applications
	if _, ok := apps.Lookup(app); !ok || app == varco.AppAuthenticator {
		return target{}
	}
	t := target{App: app}
	if u, ok := apps.ReturnTo(app, returnTo); ok {
		t.ReturnTo = u
	}
	return t
}

// targetFromQuery is the target of GET /login?app=…&return_to=….
func (h *Handler) targetFromQuery(r *http.Request) target {
	q := r.URL.Query()
	return h.targetOf(q.Get("app"), q.Get("return_to"))
}

// targetFromCookie is the target kept while a step-up or push is pending.
func (h *Handler) targetFromCookie(r *http.Request) target {
	c, err := r.Cookie(nextCookie)
	if err != nil || len(c.Value) > 2*varco.MaxReturnToLen {
		return target{}
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return target{}
	}
	app, returnTo, _ := strings.Cut(string(raw), "\n")
	return h.targetOf(app, returnTo)
}

func (h *Handler) setTargetCookie(w http.ResponseWriter, t target) {
	if t.App == "" {
		h.clearTargetCookie(w)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: nextCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(t.App + "\n" + t.ReturnTo)),
		Path: "/login", MaxAge: int(h.auth.Config().StepUp.FlowTTL.Seconds()), HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

func (h *Handler) clearTargetCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: nextCookie, Value: "", Path: "/login", MaxAge: -1,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

// application is the application a sign-in for t is recorded as: its own,
// or varco's account management.
func (t target) application() string {
	if t.App == "" {
		return varco.AppAccountManagement
	}
	return t.App
}

// destination is where a finished sign-in for t goes: return_to when it
// is allowed, else the profile.
func (t target) destination() string {
	if t.ReturnTo != "" {
		return t.ReturnTo
	}
	return "/profile"
}
