package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
)

// newUserForm is the admin console's "create a user" form: its values (never
// the password) and what went wrong.
type newUserForm struct {
	Email, DisplayName, Org, Role, Language, Phone, ContactEmail string
	Orgs                                                         []string // support picks one; an org admin creates in its own
	Roles                                                        []string
	Error                                                        string
}

// newUserFormFor is an empty form for the signed-in staff account.
func (h *Handler) newUserFormFor(ctx context.Context, a *varco.Account) (*newUserForm, error) {
	f := &newUserForm{Role: varco.RoleUser, Language: varco.LangIT, Roles: []string{varco.RoleUser, varco.RoleOrgAdmin}}
	if a.Role == varco.RoleOrgAdmin {
		f.Org, f.Orgs = a.OrgName, []string{a.OrgName}
		return f, nil
	}
	f.Roles = append(f.Roles, varco.RoleSupport)
	orgs, err := h.admin.ListOrgs(ctx, admin.AccountActor(a))
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		f.Orgs = append(f.Orgs, o.Name)
	}
	return f, nil
}

// passwordWarning is the admin console's notice to a staff account whose
// password expires within its policy's warning window (SPEC §2.4, §2.6):
// staff are never suspended, so nothing else would press them.
func (h *Handler) passwordWarning(ctx context.Context, lang string, a *varco.Account) (string, error) {
	expires, pol, err := h.auth.PasswordExpiry(ctx, a)
	if err != nil || len(pol.WarningDays) == 0 {
		return "", err
	}
	now := h.clock.Now()
	window := time.Duration(slices.Max(pol.WarningDays)) * varco.Day
	if now.Before(expires.Add(-window)) {
		return "", nil
	}
	if left := varco.DaysLeft(expires, now); left > 1 {
		return translate(lang, "support.staff_expiry", left), nil
	}
	return translate(lang, "support.staff_expiry_soon"), nil
}

// adminCreateUser creates an account from the console's form: support in
// any organization, an org admin in its own (the admin service decides).
// A refused form comes back filled in, with what to fix.
func (h *Handler) adminCreateUser(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	pf := r.PostForm
	in := admin.NewUser{Email: strings.TrimSpace(pf.Get("email")), Password: pf.Get("password"), Org: pf.Get("org"),
		Role: pf.Get("role"), Phone: strings.TrimSpace(pf.Get("phone")), ContactEmail: strings.TrimSpace(pf.Get("contact_email")),
		Language: pf.Get("language"), DisplayName: strings.TrimSpace(pf.Get("display_name"))}
	if rq.account.Role == varco.RoleOrgAdmin {
		in.Org = rq.account.OrgName
	}
	if in.Role == varco.RoleSupport {
		in.Org = ""
	}
	if len(in.Password) > 4096 {
		in.Password = in.Password[:4096] // the policy refuses it as too long
	}
	u, err := h.admin.CreateUser(r.Context(), rq.actor(), in)
	if err == nil {
		redirect(w, r, "/admin/users/"+strconv.FormatInt(u.ID, 10)+"?done=created")
		return
	}
	var key string
	switch code := varco.ErrorCode(err); {
	case code == varco.EConflict:
		key = "support.create_taken"
	case code == varco.EInvalid || code == varco.ENotFound:
		key = "support.create_invalid"
	case strings.HasPrefix(code, "password_"):
		key = errorKey(err)
	default:
		h.fail(w, r, rq, err)
		return
	}
	f, ferr := h.newUserFormFor(r.Context(), rq.account)
	if ferr != nil {
		h.fail(w, r, rq, ferr)
		return
	}
	f.Email, f.DisplayName, f.Role, f.Language, f.Phone, f.ContactEmail = in.Email, in.DisplayName, in.Role, in.Language, in.Phone, in.ContactEmail
	if rq.account.Role == varco.RoleSupport {
		f.Org = in.Org
	}
	f.Error = translate(rq.lang, key)
	h.renderSearch(w, r, rq, errorStatus(err), f)
}

// adminEnable gives a disabled account back its access after the admin
// ticked the confirmation.
func (h *Handler) adminEnable(w http.ResponseWriter, r *http.Request, rq *request) {
	h.confirmedUserAction(w, r, rq, userAction{
		run: func(ctx context.Context, actor admin.Actor, id int64) error {
			_, err := h.admin.EnableUser(ctx, actor, id)
			return err
		},
		confirm: "confirm_enable", done: "enabled", conflict: "not_disabled",
	})
}

// adminResetLink e-mails the user a reset link (SPEC §2.8).
func (h *Handler) adminResetLink(w http.ResponseWriter, r *http.Request, rq *request) {
	h.confirmedUserAction(w, r, rq, userAction{run: h.admin.SendResetLink, confirm: "confirm_reset_link",
		done: "reset_link_sent", conflict: "reset_link_inactive"})
}

// adminRequireChange makes the user change the password at the next
// sign-in (SPEC §2.8).
func (h *Handler) adminRequireChange(w http.ResponseWriter, r *http.Request, rq *request) {
	h.confirmedUserAction(w, r, rq, userAction{run: h.admin.RequirePasswordChange, confirm: "confirm_require_change",
		done: "change_required"})
}

// orgHistory reads an organization's whole activity history for its page,
// filtered and paged like a user's.
func (h *Handler) orgHistory(r *http.Request, rq *request, orgID int64) (*activityView, error) {
	f, v, err := parseActivityQuery(r)
	if err != nil {
		return nil, err
	}
	evs, err := h.admin.OrgActivity(r.Context(), rq.actor(), orgID, f)
	if err != nil {
		return nil, err
	}
	v.fill(evs, f, orgPath(orgID), "/api/v1/admin/activity")
	org := "&org_id=" + strconv.FormatInt(orgID, 10)
	v.ExportCSV, v.ExportJSON, v.ShowAccount = v.ExportCSV+org, v.ExportJSON+org, true
	return v, nil
}
