package web

import (
	"net/http"
	"net/url"
	"strconv"

	"varco.dev/varco"
	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/store"
)

// outboxPageSize is how many dead letters one page shows.
const outboxPageSize = 50

type adminOutboxData struct {
	Messages []store.OutboxEntry // recipients masked by the admin service
	NextURL  string
}

// adminOutbox lists the messages the outbox gave up on (dead letters),
// newest first, for support; the admin service refuses anyone else (403,
// as the API does).
func (h *Handler) adminOutbox(w http.ResponseWriter, r *http.Request, rq *request) {
	var before int64
	if c := r.URL.Query().Get("cursor"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n <= 0 {
			h.errorPage(w, r, rq, http.StatusBadRequest, "err.bad_filter")
			return
		}
		before = n
	}
	list, err := h.admin.Outbox(r.Context(), rq.actor(), store.OutboxDead, before, outboxPageSize+1)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	var d adminOutboxData
	if len(list) > outboxPageSize {
		list = list[:outboxPageSize]
		d.NextURL = "/admin/outbox?" + url.Values{"cursor": {strconv.FormatInt(list[len(list)-1].ID, 10)}}.Encode()
	}
	d.Messages = list
	p := h.newPage(r, rq, "outbox.title", "admin")
	notice(p, r, map[string]string{"retried": "outbox.retried"})
	if r.URL.Query().Get("done") == "gone" {
		p.Error = p.T("outbox.gone")
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "admin_outbox", p)
}

// adminOutboxRetry puts a dead letter back in the queue. A message that is
// no longer dead (retried twice, say) comes back as a message on the list,
// not an error page; anyone but support gets the service's 403.
func (h *Handler) adminOutboxRetry(w http.ResponseWriter, r *http.Request, rq *request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	// The service answers ENotFound only to support: others are refused first.
	switch err := h.admin.RetryMessage(r.Context(), rq.actor(), id); {
	case err == nil:
		redirect(w, r, "/admin/outbox?done=retried")
	case varco.IsCode(err, varco.ENotFound):
		redirect(w, r, "/admin/outbox?done=gone")
	default:
		h.fail(w, r, rq, err)
	}
}
