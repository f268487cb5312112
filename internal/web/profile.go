package web

import (
	"net/http"
	"time"

	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/store"
)

type profileData struct {
	OrgName      string
	PasswordAge  string
	LastLogin    time.Time
	LanguageName string
	Alerts       []store.Alert // in-app alerts not dismissed yet
	Contact      contactView
}

// profile shows the signed-in account and links to its security pages.
func (h *Handler) profile(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "profile.title", "profile")
	notice(p, r, map[string]string{"password": "profile.password_changed",
		"phone_verified": "contact.phone_verified", "phone_removed": "contact.phone_removed"})
	h.renderProfile(w, r, rq, p, http.StatusOK, nil)
}

// renderProfile renders the profile page p with status; edit, if set,
// adjusts the contact section (to echo a form's input).
func (h *Handler) renderProfile(w http.ResponseWriter, r *http.Request, rq *request, p *page, status int, edit func(*contactView)) {
	a := rq.account
	d := profileData{OrgName: a.OrgName, LastLogin: a.LastLoginAt, LanguageName: p.T("langname." + a.Lang)}
	if d.OrgName == "" {
		d.OrgName = p.T("profile.none")
	}
	d.PasswordAge = passwordAge(p.Lang, h.clock.Now(), a.PasswordChangedAt)
	alerts, err := h.auth.Alerts(r.Context(), a)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	d.Alerts = alerts
	if d.Contact, err = h.contactView(r, a); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	if edit != nil {
		edit(&d.Contact)
	}
	p.Data = d
	h.render(w, r, status, "profile", p)
}

// passwordAge says how long ago the password was changed, in days.
func passwordAge(lang string, now, changed time.Time) string {
	if changed.IsZero() {
		return translate(lang, "profile.none")
	}
	days := int(now.Sub(changed) / (24 * time.Hour))
	switch {
	case days <= 0:
		return translate(lang, "profile.pw_today")
	case days == 1:
		return translate(lang, "profile.pw_one", formatDate(lang, changed))
	}
	return translate(lang, "profile.pw_many", days, formatDate(lang, changed))
}

// dismissAlert hides one of the account's in-app alerts.
func (h *Handler) dismissAlert(w http.ResponseWriter, r *http.Request, rq *request) {
	id, err := httpx.PathID(r, "id")
	if err == nil {
		err = h.auth.DismissAlert(r.Context(), rq.account, id)
	}
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	redirect(w, r, "/profile")
}
