package web

import (
	"net/http"
	"regexp"
	"strings"

	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/notify"
)

// mailboxSize is how many of the newest dev messages the mailbox lists.
const mailboxSize = 100

// mailboxSearch is how far back /dev/mailbox/{id} looks for a message.
const mailboxSearch = 1000

// segment is a piece of a message body: plain text, or a link.
type segment struct {
	Text string
	URL  string
}

type mailMessage struct {
	notify.Message
	Body []segment
}

type mailboxData struct {
	Messages []mailMessage
	Single   bool
}

// linkRE finds http(s) links in a text body. Trailing punctuation is not
// part of the link.
var linkRE = regexp.MustCompile(`https?://[^\s<>"']+`)

// linkify splits text into plain and link segments. html/template escapes
// both and vets each href, so a hostile body cannot inject markup.
func linkify(text string) []segment {
	var out []segment
	last := 0
	for _, m := range linkRE.FindAllStringIndex(text, -1) {
		start, end := m[0], m[1]
		end = start + len(strings.TrimRight(text[start:end], ".,;:!?)]}"))
		if start > last {
			out = append(out, segment{Text: text[last:start]})
		}
		out = append(out, segment{Text: text[start:end], URL: text[start:end]})
		last = end
	}
	if last < len(text) {
		out = append(out, segment{Text: text[last:]})
	}
	return out
}

// mailbox lists the e-mails and SMS that dev mode kept instead of sending,
// newest first. It is registered only in dev mode.
func (h *Handler) mailbox(w http.ResponseWriter, r *http.Request, rq *request) {
	msgs, err := h.db.Reader().ListDevMessages(r.Context(), mailboxSize)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	d := mailboxData{}
	for _, m := range msgs {
		d.Messages = append(d.Messages, mailMessage{Message: m, Body: linkify(m.Text)})
	}
	p := h.newPage(r, rq, "mailbox.title", "mailbox")
	p.Data = d
	h.render(w, r, http.StatusOK, "mailbox", p)
}

// mailboxMessage shows one dev message.
func (h *Handler) mailboxMessage(w http.ResponseWriter, r *http.Request, rq *request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	msgs, err := h.db.Reader().ListDevMessages(r.Context(), mailboxSearch)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	for _, m := range msgs {
		if m.ID == id {
			p := h.newPage(r, rq, "mailbox.title", "mailbox")
			p.Title = m.Subject
			if m.IsSMS() {
				p.Title = p.T("mailbox.sms_to", m.To)
			}
			p.Data = mailboxData{Single: true, Messages: []mailMessage{{Message: m, Body: linkify(m.Text)}}}
			h.render(w, r, http.StatusOK, "mailbox", p)
			return
		}
	}
	h.errorPage(w, r, rq, http.StatusNotFound, "err.not_found")
}
