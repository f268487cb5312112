package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/apppassword"
	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/store"
)

// App passwords for mail clients and the account's mail protocols
// (SPEC §7, §9 "profile … app passwords").

type appPasswordRow struct {
	store.AppPassword
	Expired bool
}

type appPasswordsData struct {
	List []appPasswordRow
	// Blocked is why no app password can be generated now
	// (two_factor_required, no_mail_protocol_enabled), "" when one can.
	Blocked    string
	BlockedMsg string
	Access     *apppassword.Access
	Max        int
	Full       bool // MaxPerAccount reached
	Label      string
	// Created is the secret just generated or rotated, shown once.
	Created *shownSecret
}

type shownSecret struct {
	Label          string
	Groups         []string // the password in groups of four
	Password       string
	ExpiresAt      time.Time
	PrevValidUntil time.Time // after a rotation: the old one works until then
}

// withAppPasswords runs fn only when app passwords are configured; without
// them (Deps.AppPasswords nil) every app password route answers 404.
func withAppPasswords(fn handlerFunc) handlerFunc {
	return func(h *Handler, w http.ResponseWriter, r *http.Request, rq *request) {
		if h.apppw == nil {
			h.notFound(w, r, rq)
			return
		}
		fn(h, w, r, rq)
	}
}

// appPasswords lists the account's app passwords and its mail access.
func (h *Handler) appPasswords(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "apppw.title", "apppasswords")
	notice(p, r, map[string]string{"deleted": "apppw.deleted", "access": "apppw.access_saved"})
	h.renderAppPasswords(w, r, rq, p, http.StatusOK, nil)
}

// renderAppPasswords renders the page; edit adjusts its data (a secret to
// show once, a label to echo).
func (h *Handler) renderAppPasswords(w http.ResponseWriter, r *http.Request, rq *request, p *page, status int, edit func(*appPasswordsData)) {
	ctx, a := r.Context(), rq.account
	list, err := h.apppw.List(ctx, a)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	access, err := h.apppw.MailAccess(ctx, a)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	now := h.apppw.Now()
	d := appPasswordsData{Access: access, Max: apppassword.MaxPerAccount, Full: len(list) >= apppassword.MaxPerAccount}
	for _, ap := range list {
		d.List = append(d.List, appPasswordRow{AppPassword: ap, Expired: !now.Before(ap.ExpiresAt)})
	}
	switch err := h.apppw.CanGenerate(ctx, a); {
	case err == nil:
	case varco.IsCode(err, varco.ETwoFactorRequired), varco.IsCode(err, varco.ENoMailProtocol):
		d.Blocked, d.BlockedMsg = varco.ErrorCode(err), p.T("apppw.blocked."+varco.ErrorCode(err))
	default:
		h.fail(w, r, rq, err)
		return
	}
	if edit != nil {
		edit(&d)
	}
	p.Data = d
	if d.Created != nil {
		// The page holds a secret: no cache at all, not even the
		// browser's back/forward one.
		w.Header().Set("Pragma", "no-cache")
	}
	h.render(w, r, status, "apppasswords", p)
}

// formError is err's message for a form on this page, or false when err is
// not the user's to fix (then the error page is shown).
func formError(lang string, err error) (string, bool) {
	var ve *varco.Error
	if !errors.As(err, &ve) || ve.Code == varco.EInternal || ve.Code == varco.EOverloaded || ve.Code == varco.ENotFound {
		return "", false
	}
	if ve.Code == varco.ETwoFactorRequired || ve.Code == varco.ENoMailProtocol {
		return translate(lang, "apppw.blocked."+ve.Code), true
	}
	if ve.Key != "" {
		return translate(lang, ve.Key, ve.Args...), true
	}
	return errorText(lang, err), true
}

func secretView(label string, c *apppassword.Created) *shownSecret {
	return &shownSecret{Label: label, Groups: strings.Fields(c.Password), Password: c.Password,
		ExpiresAt: c.ExpiresAt, PrevValidUntil: c.PrevValidUntil}
}

// appPasswordCreate generates a named app password and shows it once.
func (h *Handler) appPasswordCreate(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	label := r.PostForm.Get("label")
	c, err := h.apppw.Create(r.Context(), rq.account, label, h.meta(r))
	h.showSecret(w, r, rq, c, err, "apppw.created", func(d *appPasswordsData) { d.Label = label })
}

// appPasswordRotate regenerates one; the old secret keeps working for
// 72 hours (SPEC §7.4).
func (h *Handler) appPasswordRotate(w http.ResponseWriter, r *http.Request, rq *request) {
	id, err := httpx.PathID(r, "id")
	var c *apppassword.Created
	if err == nil {
		c, err = h.apppw.Rotate(r.Context(), rq.account, id, h.meta(r))
	}
	h.showSecret(w, r, rq, c, err, "apppw.rotated", nil)
}

// showSecret answers a generation or a rotation: the page with the new
// secret shown once and the notice, or with err's message (onError adjusts
// that page's data) when it is the user's to fix, else the error page.
func (h *Handler) showSecret(w http.ResponseWriter, r *http.Request, rq *request, c *apppassword.Created, err error,
	notice string, onError func(*appPasswordsData)) {
	p := h.newPage(r, rq, "apppw.title", "apppasswords")
	if err != nil {
		msg, ok := formError(p.Lang, err)
		if !ok {
			h.fail(w, r, rq, err)
			return
		}
		p.Error = msg
		h.renderAppPasswords(w, r, rq, p, errorStatus(err), onError)
		return
	}
	p.Notice = p.T(notice)
	h.renderAppPasswords(w, r, rq, p, http.StatusOK, func(d *appPasswordsData) { d.Created = secretView(labelOf(d, c.ID), c) })
}

func labelOf(d *appPasswordsData, id int64) string {
	for _, ap := range d.List {
		if ap.ID == id {
			return ap.Label
		}
	}
	return ""
}

// appPasswordDelete revokes one at once.
func (h *Handler) appPasswordDelete(w http.ResponseWriter, r *http.Request, rq *request) {
	id, err := httpx.PathID(r, "id")
	if err == nil {
		err = h.apppw.Delete(r.Context(), rq.account, id, h.meta(r))
	}
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	redirect(w, r, "/profile/app-passwords?done=deleted")
}

// mailAccessSubmit sets which mail protocols the account may use.
func (h *Handler) mailAccessSubmit(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	on := func(name string) bool { return r.PostForm.Get(name) == "on" }
	if _, err := h.apppw.SetMailAccess(r.Context(), rq.account, store.MailAccess{IMAP: on("imap"), POP3: on("pop3"), SMTP: on("smtp")}); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	redirect(w, r, "/profile/app-passwords?done=access#mail-access")
}
