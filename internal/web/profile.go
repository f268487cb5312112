package web

import (
	"net/http"
	"time"
)

type profileData struct {
	OrgName      string
	PasswordAge  string
	LastLogin    time.Time
	LanguageName string
}

// profile shows the signed-in account and links to its security pages.
func (h *Handler) profile(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "profile.title", "profile")
	notice(p, r, map[string]string{"password": "profile.password_changed"})
	a := rq.account
	d := profileData{OrgName: a.OrgName, LastLogin: a.LastLoginAt, LanguageName: p.T("langname." + a.Lang)}
	if d.OrgName == "" {
		d.OrgName = p.T("profile.none")
	}
	d.PasswordAge = passwordAge(p.Lang, h.clock.Now(), a.PasswordChangedAt)
	p.Data = d
	h.render(w, r, http.StatusOK, "profile", p)
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
