package web

import (
	"net/http"
	"time"

	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/i18n"
	"varco.dev/varco/internal/store"
)

type profileData struct {
	OrgName      string
	PasswordAge  string
	LastLogin    time.Time
	LanguageName string
	Alerts       []store.Alert // in-app alerts not dismissed yet
	Contact      contactView
	TimeZone     string   // the account's own zone, "" when it follows the organization
	Zone         string   // the zone its times are shown in
	Zones        []string // suggestions for the time zone field
}

// zoneSuggestions are offered in the time zone field; any IANA name works.
var zoneSuggestions = []string{"Europe/Rome", "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Madrid",
	"UTC", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney"}

// profile shows the signed-in account and links to its security pages.
func (h *Handler) profile(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "profile.title", "profile")
	notice(p, r, map[string]string{"password": "profile.password_changed",
		"phone_verified": "contact.phone_verified", "phone_removed": "contact.phone_removed",
		"not_me": "alerts.not_me_done", "preferences": "prefs.saved"})
	h.renderProfile(w, r, rq, p, http.StatusOK, nil)
}

// renderProfile renders the profile page p with status; edit, if set,
// adjusts the contact section (to echo a form's input).
func (h *Handler) renderProfile(w http.ResponseWriter, r *http.Request, rq *request, p *page, status int, edit func(*contactView)) {
	a := rq.account
	d := profileData{OrgName: a.OrgName, LastLogin: a.LastLoginAt, LanguageName: p.T("langname." + a.Lang),
		TimeZone: a.TimeZone, Zone: a.Location().String(), Zones: zoneSuggestions}
	if d.OrgName == "" {
		d.OrgName = p.T("profile.none")
	}
	d.PasswordAge = passwordAge(p.Lang, a.Location(), h.clock.Now(), a.PasswordChangedAt)
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
func passwordAge(lang string, loc *time.Location, now, changed time.Time) string {
	if changed.IsZero() {
		return translate(lang, "profile.none")
	}
	days := int(now.Sub(changed) / (24 * time.Hour))
	if days <= 0 {
		return translate(lang, "profile.pw_today")
	}
	return i18n.N(lang, "profile.pw_changed", days, days, formatDate(lang, loc, changed))
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

// notMeAlert answers "this wasn't me" on a new-sign-in alert: that session
// ends and a password reset link is e-mailed (SPEC §5.10, §8).
func (h *Handler) notMeAlert(w http.ResponseWriter, r *http.Request, rq *request) {
	id, err := httpx.PathID(r, "id")
	if err == nil {
		err = h.auth.NotMeAlert(r.Context(), rq.account, id, h.meta(r))
	}
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	redirect(w, r, "/profile?done=not_me")
}

// preferencesSubmit saves the account's language and time zone. The
// language cookie follows, so the pages switch at once.
func (h *Handler) preferencesSubmit(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	a, err := h.auth.SetLanguage(r.Context(), rq.account, r.PostForm.Get("language"))
	if err == nil {
		a, err = h.auth.SetTimeZone(r.Context(), a, r.PostForm.Get("time_zone"))
	}
	if err != nil {
		p := h.newPage(r, rq, "profile.title", "profile")
		p.Error = p.T("prefs.invalid")
		h.renderProfile(w, r, rq, p, errorStatus(err), nil)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: a.Lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	redirect(w, r, "/profile?done=preferences#preferences")
}
