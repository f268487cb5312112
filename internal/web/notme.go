package web

import (
	"net/http"

	"varco.dev/varco"
)

type notMeData struct {
	Token string
	Done  bool
}

// notMeForm is the page the "this wasn't me" link of a login alert opens
// (SPEC §5.10). Opening it changes nothing; the button does.
func (h *Handler) notMeForm(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "notme.title", "login")
	token := r.URL.Query().Get("token")
	if token == "" || len(token) > maxResetToken {
		p.Error = p.T("notme.invalid")
		p.Data = notMeData{}
		h.render(w, r, http.StatusBadRequest, "notme", p)
		return
	}
	p.Data = notMeData{Token: token}
	h.render(w, r, http.StatusOK, "notme", p)
}

// notMeSubmit ends the session the alert was about and sends a reset link.
func (h *Handler) notMeSubmit(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "notme.title", "login")
	p.Data = notMeData{}
	if err := parseForm(w, r); err != nil {
		p.Error = p.T("err.invalid_request")
		h.render(w, r, http.StatusBadRequest, "notme", p)
		return
	}
	err := h.auth.NotMe(r.Context(), r.PostForm.Get("token"), h.meta(r))
	switch {
	case varco.IsCode(err, varco.EInvalidOrExpiredToken):
		p.Error = p.T("notme.invalid")
		h.render(w, r, http.StatusBadRequest, "notme", p)
		return
	case err != nil:
		setRetryAfter(w, err)
		p.Error = errorText(p.Lang, err)
		h.render(w, r, errorStatus(err), "notme", p)
		return
	}
	p.Data = notMeData{Done: true}
	h.render(w, r, http.StatusOK, "notme", p)
}
