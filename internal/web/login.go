package web

import (
	"net/http"

	"varco.dev/varco"
	"varco.dev/varco/internal/auth"
	"varco.dev/varco/internal/httpx"
)

// root sends a visitor where they belong.
func (h *Handler) root(w http.ResponseWriter, r *http.Request, rq *request) {
	if rq.account != nil {
		redirect(w, r, "/profile")
		return
	}
	redirect(w, r, "/login")
}

type loginData struct {
	Email string
	// App and ReturnTo are the application signing in and where to go
	// afterwards (hidden fields); AppName is what the page shows.
	App, ReturnTo, AppName string
}

// loginData returns the form's data for t.
func (h *Handler) loginData(p *page, t target, email string) loginData {
	d := loginData{Email: email, App: t.App, ReturnTo: t.ReturnTo}
	if t.App != "" {
		d.AppName = p.apps.Name(t.App, p.Lang)
	}
	return d
}

// loginForm shows the sign-in form, for ?app= and ?return_to= when an
// application sent the browser here; someone already signed in goes
// straight on.
func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request, rq *request) {
	t := h.targetFromQuery(r)
	if rq.account != nil {
		redirect(w, r, t.destination())
		return
	}
	p := h.newPage(r, rq, "login.title", "login")
	notice(p, r, map[string]string{"signedout": "login.signedout", "reset": "login.reset_done",
		"signin_again": "login.signin_again"})
	p.Data = h.loginData(p, t, "")
	h.render(w, r, http.StatusOK, "login", p)
}

// loginSubmit checks the e-mail and password; on success it sets the
// session cookie and sends the browser to the profile, or to the password
// page when the password must be changed first. A sign-in from an unusual
// place goes to the step-up page, and an account with 2-step verification
// to the page that waits for the device; the flow id is kept in a cookie.
func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "login.title", "login")
	if err := parseForm(w, r); err != nil {
		p.Error = p.T("err.invalid_request")
		p.Data = loginData{}
		h.render(w, r, http.StatusBadRequest, "login", p)
		return
	}
	email, pw := r.PostForm.Get("email"), r.PostForm.Get("password")
	t := h.targetOf(r.PostForm.Get("app"), r.PostForm.Get("return_to"))
	shown := email
	if len(shown) > varco.MaxEmailLen {
		shown = ""
	}
	p.Data = h.loginData(p, t, shown)
	if email == "" || pw == "" {
		p.Error = p.T("login.missing")
		h.render(w, r, http.StatusBadRequest, "login", p)
		return
	}
	m := h.meta(r)
	m.Application = t.application()
	res, err := h.auth.Login(r.Context(), email, pw, m)
	if err != nil {
		switch varco.ErrorCode(err) {
		case varco.EInvalid:
			p.Error = p.T("login.too_long")
		case varco.EInternal:
			h.log.ErrorContext(r.Context(), "web login", "error", err)
			p.Error = errorText(p.Lang, err)
		default:
			p.Error = errorText(p.Lang, err)
		}
		setRetryAfter(w, err)
		h.render(w, r, errorStatus(err), "login", p)
		return
	}
	if res.State == varco.StatePushRequired {
		h.setFlowCookie(w, res.Flow)
		h.setTargetCookie(w, t)
		redirect(w, r, "/login/push")
		return
	}
	if res.State == varco.StateStepUpRequired {
		h.setFlowCookie(w, res.Flow)
		h.setTargetCookie(w, t)
		redirect(w, r, "/login/step-up")
		return
	}
	h.signedIn(w, r, res, t)
}

// signedIn sets the session cookie of a finished sign-in (after the
// password, a step-up or a push approval) and goes where it leads: the
// password page for a session that may only change it, else the
// application's return_to when it is allowed, else the profile.
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request, res *auth.LoginResult, t target) {
	httpx.SetSessionCookie(w, res.Token, int(h.auth.Config().SessionAbsolute.Seconds()), h.secure)
	h.clearTargetCookie(w)
	if res.State == varco.StatePasswordChangeRequired || (res.Session != nil && res.Session.Restricted) {
		redirect(w, r, "/profile/password")
		return
	}
	redirect(w, r, t.destination())
}

// logout ends the current session and forgets the cookie.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := h.auth.Logout(r.Context(), rq.account, rq.session, h.meta(r)); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	httpx.ClearSessionCookie(w, h.secure)
	redirect(w, r, "/login?done=signedout")
}
