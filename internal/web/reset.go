package web

import (
	"net/http"

	"varco.dev/varco"
)

// maxResetToken bounds the token the complete page carries; the service
// rejects longer ones anyway.
const maxResetToken = 512

type resetRequestData struct {
	Email string
	Sent  bool
}

// resetForm asks for the e-mail address a reset link goes to.
func (h *Handler) resetForm(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "reset.title", "reset")
	p.Data = resetRequestData{}
	h.render(w, r, http.StatusOK, "reset", p)
}

// resetSubmit asks the service for a reset link. Whether or not an account
// has that address, the answer is the same confirmation page; only
// throttling and malformed input are told apart.
func (h *Handler) resetSubmit(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "reset.title", "reset")
	p.Data = resetRequestData{}
	if err := parseForm(w, r); err != nil {
		p.Error = p.T("err.invalid_request")
		h.render(w, r, http.StatusBadRequest, "reset", p)
		return
	}
	email := r.PostForm.Get("email")
	d := resetRequestData{Email: email}
	if len(d.Email) > varco.MaxEmailLen {
		d.Email = ""
	}
	p.Data = d
	if email == "" {
		p.Error = p.T("reset.missing")
		h.render(w, r, http.StatusBadRequest, "reset", p)
		return
	}
	if err := h.recovery.RequestPasswordReset(r.Context(), email, h.meta(r)); err != nil {
		switch varco.ErrorCode(err) {
		case varco.EInvalid:
			p.Error = p.T("reset.bad_email")
		case varco.EInternal:
			h.log.ErrorContext(r.Context(), "web password reset request", "error", err)
			p.Error = errorText(p.Lang, err)
		default:
			p.Error = errorText(p.Lang, err)
		}
		setRetryAfter(w, err)
		h.render(w, r, errorStatus(err), "reset", p)
		return
	}
	p.Data = resetRequestData{Sent: true}
	h.render(w, r, http.StatusOK, "reset", p)
}

type resetCompleteData struct {
	Token string
	// Invalid: the link is spent, expired or unknown; the page offers a new one.
	Invalid bool
}

// resetCompleteForm is the page the e-mailed link opens: the token travels
// in the "token" query parameter and goes on in a hidden field. It is never
// logged; the page is no-store and sends no Referer (global headers).
func (h *Handler) resetCompleteForm(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "reset.complete_title", "reset")
	token := r.URL.Query().Get("token")
	if !h.resetLinkValid(w, r, rq, p, token) {
		return
	}
	p.Data = resetCompleteData{Token: token}
	h.render(w, r, http.StatusOK, "reset_complete", p)
}

// resetLinkValid reports whether token is a reset link that can still set
// a password; when not, it has answered: a missing, malformed, used,
// expired or replaced link says so at once instead of showing a form that
// can only fail.
func (h *Handler) resetLinkValid(w http.ResponseWriter, r *http.Request, rq *request, p *page, token string) bool {
	if token == "" || len(token) > maxResetToken {
		h.invalidResetLink(w, r, p)
		return false
	}
	if err := h.recovery.CheckPasswordReset(r.Context(), token); err != nil {
		if varco.IsCode(err, varco.EInvalidOrExpiredToken) {
			h.invalidResetLink(w, r, p)
			return false
		}
		h.fail(w, r, rq, err)
		return false
	}
	return true
}

// invalidResetLink answers a missing, malformed or unknown token: no form,
// a link to ask for a new one.
func (h *Handler) invalidResetLink(w http.ResponseWriter, r *http.Request, p *page) {
	p.Error = p.T("reset.invalid_token")
	p.Data = resetCompleteData{Invalid: true}
	h.render(w, r, http.StatusBadRequest, "reset_complete", p)
}

// resetCompleteSubmit sets the new password. Policy errors keep the token
// usable, so the form comes back with it; on success the browser goes to
// the sign-in page.
func (h *Handler) resetCompleteSubmit(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "reset.complete_title", "reset")
	if err := parseForm(w, r); err != nil {
		p.Error = p.T("err.invalid_request")
		p.Data = resetCompleteData{Invalid: true}
		h.render(w, r, http.StatusBadRequest, "reset_complete", p)
		return
	}
	token, next, confirm := r.PostForm.Get("token"), r.PostForm.Get("new_password"), r.PostForm.Get("confirm_password")
	if !h.resetLinkValid(w, r, rq, p, token) {
		return
	}
	p.Data = resetCompleteData{Token: token}
	switch {
	case next == "" || confirm == "":
		p.Error = p.T("password.missing")
		h.render(w, r, http.StatusBadRequest, "reset_complete", p)
		return
	case next != confirm:
		p.Error = p.T("password.mismatch")
		h.render(w, r, http.StatusBadRequest, "reset_complete", p)
		return
	}
	err := h.recovery.CompletePasswordReset(r.Context(), token, next, h.meta(r))
	if err != nil {
		switch varco.ErrorCode(err) {
		case varco.EInvalidOrExpiredToken:
			p.Error = p.T("reset.invalid_token")
			p.Data = resetCompleteData{Invalid: true}
		case varco.EInvalid:
			p.Error = p.T("err.invalid_request")
		case varco.EAccountSuspended, varco.EAccountLocked, varco.EAccountDisabled:
			p.Error = errorText(p.Lang, err)
			p.Data = resetCompleteData{}
		case varco.EInternal:
			// The error never carries the token; the request path has none.
			h.log.ErrorContext(r.Context(), "web password reset", "error", err)
			p.Error = errorText(p.Lang, err)
		default:
			p.Error = errorText(p.Lang, err)
		}
		setRetryAfter(w, err)
		h.render(w, r, errorStatus(err), "reset_complete", p)
		return
	}
	redirect(w, r, "/login?done=reset")
}
