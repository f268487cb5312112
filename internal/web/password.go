package web

import (
	"net/http"

	"varco.dev/varco"
)

// passwordForm shows the password change form. A restricted session
// (password_change_required) can reach this page and nothing else.
func (h *Handler) passwordForm(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "password.title", "password")
	h.render(w, r, http.StatusOK, "password", p)
}

// passwordSubmit changes the password. Policy errors are shown by code in
// the user's language; on success the browser goes back to the profile.
func (h *Handler) passwordSubmit(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "password.title", "password")
	if err := parseForm(w, r); err != nil {
		p.Error = p.T("err.invalid_request")
		h.render(w, r, http.StatusBadRequest, "password", p)
		return
	}
	cur, next, confirm := r.PostForm.Get("current_password"), r.PostForm.Get("new_password"), r.PostForm.Get("confirm_password")
	switch {
	case cur == "" || next == "" || confirm == "":
		p.Error = p.T("password.missing")
		h.render(w, r, http.StatusBadRequest, "password", p)
		return
	case next != confirm:
		p.Error = p.T("password.mismatch")
		h.render(w, r, http.StatusBadRequest, "password", p)
		return
	}
	err := h.auth.ChangePassword(r.Context(), rq.account, rq.session, cur, next, h.meta(r))
	if err != nil {
		switch varco.ErrorCode(err) {
		case varco.EInvalidCredentials:
			p.Error = p.T("password.wrong_current")
		case varco.EInternal:
			h.log.ErrorContext(r.Context(), "web password change", "account_id", rq.account.ID, "error", err)
			p.Error = errorText(p.Lang, err)
		default:
			p.Error = errorText(p.Lang, err)
		}
		setRetryAfter(w, err)
		h.render(w, r, errorStatus(err), "password", p)
		return
	}
	redirect(w, r, "/profile?done=password")
}
