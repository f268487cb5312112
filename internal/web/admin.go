package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/i18n"
)

// adminPageSize is how many users one page of search results shows.
const adminPageSize = 50

type adminSearchData struct {
	Query   string
	Support bool
	Users   []*varco.Account
	NextURL string
	Policy  *policyView // an org admin's own organization
	NewUser *newUserForm
	// PasswordWarning tells the signed-in staff account that its own
	// password expires soon.
	PasswordWarning string
}

// policyView is an organization's password policy, read-only, written out
// in the page's language.
type policyView struct {
	OrgName                                     string
	EditURL                                     string // set when the viewer may edit it
	MaxAge, Warning, Inactivity, Grace, History string
}

func newPolicyView(lang string, o *varco.Org) *policyView {
	days := func(n int) string { return i18n.N(lang, "policy.days", n) }
	pol := o.Policy
	v := &policyView{OrgName: o.Name, MaxAge: days(pol.MaxAgeDays),
		Inactivity: translate(lang, "policy.after_no_login", days(pol.InactivityDays)),
		Grace:      translate(lang, "policy.after_expiry", days(pol.SuspensionGraceDays))}
	if len(pol.WarningDays) == 0 {
		v.Warning = translate(lang, "policy.no_warnings")
	} else {
		list := make([]string, len(pol.WarningDays))
		for i, d := range pol.WarningDays {
			list[i] = strconv.Itoa(d)
		}
		v.Warning = translate(lang, "policy.warning_days", strings.Join(list, ", "))
	}
	if pol.HistoryDepth == 0 {
		v.History = translate(lang, "policy.no_history")
	} else {
		v.History = i18n.N(lang, "policy.history", pol.HistoryDepth)
	}
	return v
}

// adminSearch is the admin console's user search. The admin service scopes
// it: an org admin sees its organization, support sees every one.
func (h *Handler) adminSearch(w http.ResponseWriter, r *http.Request, rq *request) {
	f, err := h.newUserFormFor(r.Context(), rq.account)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	h.renderSearch(w, r, rq, http.StatusOK, f)
}

// renderSearch renders the console's first page with the "create a user"
// form f.
func (h *Handler) renderSearch(w http.ResponseWriter, r *http.Request, rq *request, status int, f *newUserForm) {
	q := r.URL.Query()
	var after int64
	if c := q.Get("cursor"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n < 0 {
			h.errorPage(w, r, rq, http.StatusBadRequest, "err.bad_filter")
			return
		}
		after = n
	}
	query := q.Get("q")
	users, err := h.admin.SearchUsers(r.Context(), rq.actor(), query, after, adminPageSize+1)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	d := adminSearchData{Query: query, Support: rq.account.Role == varco.RoleSupport, NewUser: f}
	if len(users) > adminPageSize {
		users = users[:adminPageSize]
		next := url.Values{"cursor": {strconv.FormatInt(users[len(users)-1].ID, 10)}}
		if query != "" {
			next.Set("q", query)
		}
		d.NextURL = "/admin?" + next.Encode()
	}
	d.Users = users
	if rq.account.Role == varco.RoleOrgAdmin {
		o, err := h.admin.OrgPolicy(r.Context(), rq.actor(), rq.account.OrgID)
		if err != nil {
			h.fail(w, r, rq, err)
			return
		}
		d.Policy = newPolicyView(rq.lang, o)
	}
	if d.PasswordWarning, err = h.passwordWarning(r.Context(), rq.lang, rq.account); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	p := h.newPage(r, rq, "admin.title", "admin")
	p.Data = d
	h.render(w, r, status, "admin", p)
}

type adminUserData struct {
	User          *varco.Account
	Self          bool
	CanDisable    bool
	DisableURL    string
	CanReactivate bool
	ReactivateURL string
	Locked        bool   // locked by the step-up counters or otherwise
	LockReason    string // why, in the page's language
	CanUnlock     bool   // support only (SPEC §5.8)
	UnlockURL     string
	Policy        *policyView // the user's organization, when it has one
	Activity      *activityView
	// Support desk (SPEC §2.8): a reset link, a forced change, re-enabling.
	CanHelp          bool
	ResetLinkURL     string
	RequireChangeURL string
	CanEnable        bool
	EnableURL        string
}

// adminUser shows one account and its activity history. Another
// organization's user is a 404 for an org admin.
func (h *Handler) adminUser(w http.ResponseWriter, r *http.Request, rq *request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	u, err := h.admin.User(r.Context(), rq.actor(), id)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	f, v, err := parseActivityQuery(r)
	if err != nil {
		h.errorPage(w, r, rq, http.StatusBadRequest, "err.bad_filter")
		return
	}
	evs, err := h.admin.UserActivity(r.Context(), rq.actor(), id, f)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	path := "/admin/users/" + strconv.FormatInt(id, 10)
	v.fill(evs, f, path, "/api/v1/admin/users/"+strconv.FormatInt(id, 10)+"/activity")
	d := adminUserData{User: u, Self: u.ID == rq.account.ID, Activity: v, DisableURL: path + "/disable",
		ReactivateURL: path + "/reactivate"}
	d.CanDisable = !d.Self && u.Status != varco.StatusDisabled &&
		(u.Role != varco.RoleSupport || rq.account.Role == varco.RoleSupport)
	d.CanReactivate = !d.Self && u.Status == varco.StatusSuspended
	d.CanHelp = !d.Self && (u.Role != varco.RoleSupport || rq.account.Role == varco.RoleSupport)
	d.ResetLinkURL, d.RequireChangeURL, d.EnableURL = path+"/reset-link", path+"/require-password-change", path+"/enable"
	d.CanEnable = d.CanHelp && u.Status == varco.StatusDisabled
	if u.Status == varco.StatusLocked {
		reason, err := h.admin.LockReason(r.Context(), rq.actor(), id)
		if err != nil {
			h.fail(w, r, rq, err)
			return
		}
		d.Locked, d.LockReason, d.UnlockURL = true, lockReasonText(rq.lang, reason), path+"/unlock"
		d.CanUnlock = !d.Self && rq.account.Role == varco.RoleSupport
	}
	if u.OrgID != 0 {
		o, err := h.admin.OrgPolicy(r.Context(), rq.actor(), u.OrgID)
		if err != nil {
			h.fail(w, r, rq, err)
			return
		}
		d.Policy = newPolicyView(rq.lang, o)
		if h.admin.MayEditOrgPolicy(rq.actor(), o.ID) == nil {
			d.Policy.EditURL = orgPath(o.ID)
		}
	}
	p := h.newPage(r, rq, "admin.title", "admin")
	p.Title = p.T("admin.user_title", u.Email)
	notice(p, r, map[string]string{"disabled": "admin.disabled", "reactivated": "admin.reactivated",
		"unlocked": "admin.unlocked", "created": "support.created", "enabled": "support.enabled",
		"reset_link_sent": "support.reset_link_sent", "change_required": "support.change_required"})
	switch r.URL.Query().Get("done") {
	case "confirm":
		p.Error = p.T("admin.confirm_needed")
	case "confirm_reactivate":
		p.Error = p.T("admin.reactivate_confirm_needed")
	case "not_suspended":
		p.Error = p.T("admin.not_suspended")
	case "confirm_unlock":
		p.Error = p.T("admin.unlock_confirm_needed")
	case "not_locked":
		p.Error = p.T("admin.not_locked")
	default:
		if key, ok := supportProblems[r.URL.Query().Get("done")]; ok {
			p.Error = p.T(key)
		}
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "admin_user", p)
}

// supportProblems are the support actions' ?done= values that say why an
// action did not run, and their messages.
var supportProblems = map[string]string{
	"confirm_enable":         "support.confirm_enable",
	"not_disabled":           "support.not_disabled",
	"confirm_reset_link":     "support.confirm_reset_link",
	"reset_link_inactive":    "support.reset_link_inactive",
	"confirm_require_change": "support.confirm_require_change",
}

// userAction is an admin action on one account that needs the "confirm"
// box ticked; the outcomes come back to the user page as ?done=….
type userAction struct {
	run      func(ctx context.Context, actor admin.Actor, id int64) error
	confirm  string // ?done= when the box was not ticked
	done     string // ?done= on success
	conflict string // ?done= on EConflict; empty: a conflict is an error page
}

// confirmedUserAction runs act on the account in the path.
func (h *Handler) confirmedUserAction(w http.ResponseWriter, r *http.Request, rq *request, act userAction) {
	id, err := httpx.PathID(r, "id")
	if err == nil {
		err = parseForm(w, r)
	}
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	path := "/admin/users/" + strconv.FormatInt(id, 10)
	if r.PostForm.Get("confirm") != "yes" {
		// Check visibility first, so another organization's id stays a 404.
		if _, err := h.admin.User(r.Context(), rq.actor(), id); err != nil {
			h.fail(w, r, rq, err)
			return
		}
		redirect(w, r, path+"?done="+act.confirm)
		return
	}
	if err := act.run(r.Context(), rq.actor(), id); err != nil {
		if act.conflict != "" && varco.IsCode(err, varco.EConflict) {
			redirect(w, r, path+"?done="+act.conflict)
			return
		}
		h.fail(w, r, rq, err)
		return
	}
	redirect(w, r, path+"?done="+act.done)
}

// adminDisable disables an account after the admin ticked the confirmation.
func (h *Handler) adminDisable(w http.ResponseWriter, r *http.Request, rq *request) {
	h.confirmedUserAction(w, r, rq, userAction{run: h.admin.DisableUser, confirm: "confirm", done: "disabled"})
}

// adminReactivate reactivates a suspended account after the admin ticked
// the confirmation. The user must change the password at the next sign-in.
func (h *Handler) adminReactivate(w http.ResponseWriter, r *http.Request, rq *request) {
	h.confirmedUserAction(w, r, rq, userAction{
		run: func(ctx context.Context, actor admin.Actor, id int64) error {
			_, err := h.admin.ReactivateUser(ctx, actor, id)
			return err
		},
		confirm: "confirm_reactivate", done: "reactivated", conflict: "not_suspended",
	})
}

// lockReasonText names the step-up counter that locked an account.
func lockReasonText(lang, reason string) string {
	switch reason {
	case varco.LockPINConsecutive, varco.LockPINTotal, varco.LockOTPTotal:
		return translate(lang, "admin.lock_reason."+reason)
	}
	return translate(lang, "admin.lock_reason.other")
}

// adminUnlock unlocks an account locked by the step-up counters after
// support ticked the confirmation; every counter is reset and the user is
// told (SPEC §5.8). An org admin is refused before anything is read, so a
// forged form gets 403 whatever the account; the service refuses it too.
func (h *Handler) adminUnlock(w http.ResponseWriter, r *http.Request, rq *request) {
	if rq.account.Role != varco.RoleSupport {
		h.errorPage(w, r, rq, http.StatusForbidden, "admin.unlock_support_only")
		return
	}
	h.confirmedUserAction(w, r, rq, userAction{
		run: func(ctx context.Context, actor admin.Actor, id int64) error {
			_, err := h.admin.UnlockUser(ctx, actor, id)
			return err
		},
		confirm: "confirm_unlock", done: "unlocked", conflict: "not_locked",
	})
}
