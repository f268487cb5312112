package web

import (
	"net/http"
	"strconv"

	"varco.dev/varco"
	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/i18n"
)

type sessionRow struct {
	*varco.Session
	Current bool
}

type sessionsData struct {
	Sessions []sessionRow
	Others   int
}

// sessions lists the account's live sessions, the current one marked.
func (h *Handler) sessions(w http.ResponseWriter, r *http.Request, rq *request) {
	list, err := h.auth.Sessions(r.Context(), rq.account)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	p := h.newPage(r, rq, "sessions.title", "sessions")
	notice(p, r, map[string]string{"revoked": "sessions.revoked"})
	if n, err := strconv.Atoi(r.URL.Query().Get("others")); err == nil && n >= 0 && r.URL.Query().Get("done") == "others" {
		p.Notice = i18n.N(p.Lang, "sessions.revoked_others", n)
	}
	var d sessionsData
	for _, s := range list {
		cur := s.ID == rq.session.ID
		if !cur {
			d.Others++
		}
		d.Sessions = append(d.Sessions, sessionRow{Session: s, Current: cur})
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "sessions", p)
}

// revokeSession ends one of the account's sessions; ending the current one
// signs out.
func (h *Handler) revokeSession(w http.ResponseWriter, r *http.Request, rq *request) {
	id, err := httpx.PathID(r, "id")
	if err == nil {
		err = h.auth.RevokeSession(r.Context(), rq.account, id, h.meta(r))
	}
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	if id == rq.session.ID {
		httpx.ClearSessionCookie(w, h.secure)
		redirect(w, r, "/login?done=signedout")
		return
	}
	redirect(w, r, "/profile/sessions?done=revoked")
}

// revokeOtherSessions ends every session but the current one.
func (h *Handler) revokeOtherSessions(w http.ResponseWriter, r *http.Request, rq *request) {
	n, err := h.auth.RevokeOtherSessions(r.Context(), rq.account, rq.session, h.meta(r))
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	redirect(w, r, "/profile/sessions?done=others&others="+strconv.FormatInt(n, 10))
}
