package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/i18n"
)

// flowCookie carries the id of a sign-in that waits for a step-up code
// (SPEC §5.3–5.4). The id is the flow's only key, so it travels in an
// HttpOnly cookie scoped to /login and never in a URL, where it would end
// up in the history, in logs and in Referer headers.
const flowCookie = "varco_login_flow"

// maxCodeInput bounds the code field before it is trimmed and parsed.
const maxCodeInput = 64

func (h *Handler) setFlowCookie(w http.ResponseWriter, flow string) {
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Value: flow, Path: "/login",
		MaxAge: int(h.auth.Config().StepUp.FlowTTL.Seconds()), HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

func (h *Handler) clearFlowCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: flowCookie, Value: "", Path: "/login", MaxAge: -1,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

// flowID is the flow in the request's cookie, "" when there is none.
func flowID(r *http.Request) string {
	c, err := r.Cookie(flowCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

type stepUpData struct {
	EmailPIN bool // the "e-mail me a PIN" button
	SMSOTP   bool // the "text me a code" button, only with a verified phone
	Locked   bool // the account locked: no more forms, only "contact support"
	// CodeMinutes is how long a code is valid.
	CodeMinutes int
}

// stepUpPage renders the step-up page for the flow's methods.
func (h *Handler) stepUpPage(w http.ResponseWriter, r *http.Request, p *page, status int, methods []string) {
	p.Data = stepUpData{EmailPIN: slices.Contains(methods, varco.MethodEmailPIN), SMSOTP: slices.Contains(methods, varco.MethodSMSOTP),
		CodeMinutes: int(h.auth.Config().StepUp.CodeTTL / time.Minute)}
	h.render(w, r, status, "stepup", p)
}

// lockedPage tells the user the account is locked and that only support
// can unlock it; the flow is over.
func (h *Handler) lockedPage(w http.ResponseWriter, r *http.Request, p *page) {
	h.clearFlowCookie(w)
	p.Error = p.T("err.account_locked")
	p.Data = stepUpData{Locked: true}
	h.render(w, r, http.StatusForbidden, "stepup", p)
}

// signInAgain ends a flow that is gone (expired, forged, finished) and
// sends the browser back to the sign-in form.
func (h *Handler) signInAgain(w http.ResponseWriter, r *http.Request) {
	h.clearFlowCookie(w)
	redirect(w, r, "/login?done=signin_again")
}

// stepUpForm shows the step-up page of the flow in the cookie: why it is
// needed, a button per method and the code form.
func (h *Handler) stepUpForm(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "stepup.title", "login")
	id := flowID(r)
	if id == "" {
		h.signInAgain(w, r)
		return
	}
	st, err := h.auth.Flow(r.Context(), id)
	switch {
	case varco.IsCode(err, varco.EAccountLocked):
		h.lockedPage(w, r, p)
		return
	case varco.IsCode(err, varco.EFlowNotFound):
		h.signInAgain(w, r)
		return
	case err != nil:
		h.fail(w, r, rq, err)
		return
	case st.State != varco.StateStepUpRequired:
		// Expired, or already past this step.
		h.signInAgain(w, r)
		return
	}
	notice(p, r, map[string]string{"pin_sent": "stepup.pin_sent", "otp_sent": "stepup.otp_sent"})
	h.stepUpPage(w, r, p, http.StatusOK, st.Methods)
}

// stepUpPost begins the answer to a form of the step-up page: the page and
// the flow of the cookie, its form read; ok is false when it has answered
// (no flow: sign in again; a bad form: the page with the error).
func (h *Handler) stepUpPost(w http.ResponseWriter, r *http.Request, rq *request) (p *page, id string, ok bool) {
	p = h.newPage(r, rq, "stepup.title", "login")
	id = flowID(r)
	if id == "" {
		h.signInAgain(w, r)
		return nil, "", false
	}
	if err := parseForm(w, r); err != nil {
		h.stepUpError(w, r, rq, p, id, err)
		return nil, "", false
	}
	return p, id, true
}

// stepUpSend sends a PIN by e-mail or an OTP by SMS for the flow.
func (h *Handler) stepUpSend(w http.ResponseWriter, r *http.Request, rq *request) {
	p, id, ok := h.stepUpPost(w, r, rq)
	if !ok {
		return
	}
	method := r.PostForm.Get("method")
	if err := h.auth.SendStepUp(r.Context(), id, method, h.meta(r)); err != nil {
		h.stepUpError(w, r, rq, p, id, err)
		return
	}
	done := "pin_sent"
	if method == varco.MethodSMSOTP {
		done = "otp_sent"
	}
	redirect(w, r, "/login/step-up?done="+done)
}

// stepUpVerify checks the code. A right one opens the session exactly as
// the sign-in form does; a wrong one says how many attempts are left once
// the next would lock the account.
func (h *Handler) stepUpVerify(w http.ResponseWriter, r *http.Request, rq *request) {
	p, id, ok := h.stepUpPost(w, r, rq)
	if !ok {
		return
	}
	code := r.PostForm.Get("code")
	if len(code) > maxCodeInput {
		h.stepUpError(w, r, rq, p, id, varco.E(varco.EInvalid, "error.code_format"))
		return
	}
	res, err := h.auth.VerifyStepUp(r.Context(), id, strings.TrimSpace(code), h.meta(r))
	if err != nil {
		h.stepUpError(w, r, rq, p, id, err)
		return
	}
	h.clearFlowCookie(w)
	h.signedIn(w, r, res, h.targetFromCookie(r))
}

// stepUpError answers a failed send or verify in the page's language.
func (h *Handler) stepUpError(w http.ResponseWriter, r *http.Request, rq *request, p *page, id string, err error) {
	switch varco.ErrorCode(err) {
	case varco.EFlowNotFound:
		h.signInAgain(w, r)
		return
	case varco.EAccountLocked:
		h.lockedPage(w, r, p)
		return
	case varco.EInternal:
		h.fail(w, r, rq, err)
		return
	}
	p.Error = stepUpErrorText(p.Lang, err)
	setRetryAfter(w, err)
	// The buttons follow the flow; a flow that vanished meanwhile is
	// handled when the page is next used.
	var methods []string
	if st, ferr := h.auth.Flow(r.Context(), id); ferr == nil {
		methods = st.Methods
	} else {
		methods = []string{varco.MethodEmailPIN}
	}
	h.stepUpPage(w, r, p, errorStatus(err), methods)
}

// stepUpErrorText is the message of a step-up error in lang, with the
// attempts left before the lock and the wait spelled out.
func stepUpErrorText(lang string, err error) string {
	var ve *varco.Error
	errors.As(err, &ve)
	switch varco.ErrorCode(err) {
	case varco.EInvalid:
		return translate(lang, "stepup.code_format")
	case varco.EInvalidCode:
		msg := translate(lang, "err.invalid_code")
		if ve != nil && ve.AttemptsLeft > 0 {
			msg += " " + i18n.N(lang, "stepup.attempts_left", ve.AttemptsLeft)
		}
		return msg
	case varco.EOTPRateLimited:
		return translate(lang, "err.otp_rate_limited") + " " + translate(lang, "stepup.retry_in", waitText(lang, ve))
	}
	return errorText(lang, err)
}

// waitText spells out an error's retry_after: seconds up to two minutes,
// then minutes.
func waitText(lang string, ve *varco.Error) string {
	n := 1
	if ve != nil {
		n = max(ve.RetryAfter, 1)
	}
	if n <= 120 {
		return i18n.N(lang, "duration.seconds", n)
	}
	return i18n.N(lang, "duration.minutes", (n+59)/60)
}
