package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"varco.dev/varco"
	"varco.dev/varco/internal/httpx"
)

type adminOrgsData struct {
	Orgs []*varco.Org
}

// adminOrgs lists the organizations the actor may see: every one for
// support, its own for an org admin. Each links to its password policy.
func (h *Handler) adminOrgs(w http.ResponseWriter, r *http.Request, rq *request) {
	orgs, err := h.admin.ListOrgs(r.Context(), rq.actor())
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	p := h.newPage(r, rq, "orgs.title", "admin")
	p.Data = adminOrgsData{Orgs: orgs}
	h.render(w, r, http.StatusOK, "admin_orgs", p)
}

// policyField is one input of the policy form, with what the user typed
// and the reason it was refused, if it was.
type policyField struct {
	Name, Label, Hint, Value, Error string
	List                            bool // the warning days: a comma-separated list
	Min, Max                        int  // bounds of a number field
}

type adminOrgData struct {
	Org     *varco.Org
	Policy  *policyView
	Action  string        // the form's target; empty when the actor may only read
	Fields  []policyField // the form, for support
	History *activityView // the organization's whole activity history
}

// policyInput is the policy form as typed, field by field.
type policyInput struct {
	MaxAge, Warning, Inactivity, Grace, History string
}

func inputOf(p varco.Policy) policyInput {
	return policyInput{MaxAge: strconv.Itoa(p.MaxAgeDays), Warning: varco.FormatDays(p.WarningDays),
		Inactivity: strconv.Itoa(p.InactivityDays), Grace: strconv.Itoa(p.SuspensionGraceDays),
		History: strconv.Itoa(p.HistoryDepth)}
}

// maxPolicyInput bounds one typed field; longer is refused, not parsed.
const maxPolicyInput = 100

// parsePolicyInput reads the typed form into a policy. It checks only the
// syntax (whole numbers, a comma-separated list); the rules are
// Policy.Validate's. errs maps a field to the catalog key of its problem.
func parsePolicyInput(in policyInput) (p varco.Policy, errs map[string]string) {
	errs = map[string]string{}
	number := func(field, s string) int {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			errs[field] = "policy.err.required"
			return 0
		case len(s) > 9:
			errs[field] = "policy.err.number"
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			errs[field] = "policy.err.number"
		}
		return n
	}
	p.MaxAgeDays = number(varco.FieldMaxAgeDays, in.MaxAge)
	p.InactivityDays = number(varco.FieldInactivityDays, in.Inactivity)
	p.SuspensionGraceDays = number(varco.FieldSuspensionGraceDays, in.Grace)
	p.HistoryDepth = number(varco.FieldHistoryDepth, in.History)
	p.WarningDays = []int{}
	list := strings.TrimSpace(in.Warning)
	if len(list) > maxPolicyInput {
		errs[varco.FieldWarningDays] = "policy.err.days_list"
		return p, errs
	}
	if list == "" {
		return p, errs // no warnings
	}
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		n, err := strconv.Atoi(item)
		if err != nil || len(item) > 9 {
			errs[varco.FieldWarningDays] = "policy.err.days_list"
			return p, errs
		}
		p.WarningDays = append(p.WarningDays, n)
	}
	return p, errs
}

// policyErrorText writes a refusal of Policy.Validate in lang.
func policyErrorText(lang string, pe *varco.PolicyError) string {
	switch {
	case pe.TooMany:
		return translate(lang, "policy.err.too_many", pe.Max)
	case pe.Duplicate != 0:
		return translate(lang, "policy.err.duplicate", pe.Duplicate)
	case pe.Field == varco.FieldWarningDays && pe.Max < pe.Min:
		return translate(lang, "policy.err.no_room")
	case pe.Field == varco.FieldWarningDays:
		return translate(lang, "policy.err.warning_range", pe.Min, pe.Max)
	}
	return translate(lang, "policy.err.range", pe.Min, pe.Max)
}

// policyFields lays out the form with the typed values and the errors.
func policyFields(lang string, in policyInput, errs map[string]string) []policyField {
	f := []policyField{
		{Name: varco.FieldMaxAgeDays, Label: "policy.form.max_age", Hint: "policy.form.max_age_hint", Value: in.MaxAge, Min: 1, Max: varco.MaxPolicyDays},
		{Name: varco.FieldWarningDays, Label: "policy.form.warning", Hint: "policy.form.warning_hint", Value: in.Warning, List: true},
		{Name: varco.FieldInactivityDays, Label: "policy.form.inactivity", Hint: "policy.form.inactivity_hint", Value: in.Inactivity, Min: 1, Max: varco.MaxPolicyDays},
		{Name: varco.FieldSuspensionGraceDays, Label: "policy.form.grace", Hint: "policy.form.grace_hint", Value: in.Grace, Min: 1, Max: varco.MaxPolicyDays},
		{Name: varco.FieldHistoryDepth, Label: "policy.form.history", Hint: "policy.form.history_hint", Value: in.History, Min: 0, Max: varco.MaxHistoryDepth},
	}
	for i := range f {
		f[i].Label, f[i].Error = translate(lang, f[i].Label), errs[f[i].Name]
		if f[i].List {
			f[i].Hint = translate(lang, f[i].Hint, varco.MaxWarningDays)
		} else {
			f[i].Hint = translate(lang, f[i].Hint, f[i].Min, f[i].Max)
		}
	}
	return f
}

func orgPath(id int64) string { return "/admin/orgs/" + strconv.FormatInt(id, 10) }

// adminOrg shows an organization's password policy: a form for support,
// read-only for the organization's own admin. Another organization is a
// 404 for an org admin, as in the API.
func (h *Handler) adminOrg(w http.ResponseWriter, r *http.Request, rq *request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	o, err := h.admin.OrgPolicy(r.Context(), rq.actor(), id)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	p := h.newPage(r, rq, "orgs.title", "admin")
	p.Title = p.T("orgs.org_title", o.Name)
	notice(p, r, map[string]string{"saved": "policy.saved"})
	h.renderOrg(w, r, rq, p, http.StatusOK, o, inputOf(o.Policy), nil)
}

// renderOrg renders the policy page; the form only when the admin service
// lets the actor edit the policy.
func (h *Handler) renderOrg(w http.ResponseWriter, r *http.Request, rq *request, p *page, status int, o *varco.Org,
	in policyInput, errs map[string]string) {
	d := adminOrgData{Org: o, Policy: newPolicyView(rq.lang, o)}
	var err error
	if d.History, err = h.orgHistory(r, rq, o.ID); err != nil {
		if varco.IsCode(err, varco.EInvalid) {
			h.errorPage(w, r, rq, http.StatusBadRequest, "err.bad_filter")
			return
		}
		h.fail(w, r, rq, err)
		return
	}
	if h.admin.MayEditOrgPolicy(rq.actor(), o.ID) == nil {
		d.Action = orgPath(o.ID) + "/policy"
		d.Fields = policyFields(rq.lang, in, errs)
	}
	p.Data = d
	h.render(w, r, status, "admin_org", p)
}

// adminOrgPolicy replaces an organization's policy from the form. A
// refused value comes back next to its field with what was typed; the
// actor's right to post at all is checked before the form is read.
func (h *Handler) adminOrgPolicy(w http.ResponseWriter, r *http.Request, rq *request) {
	id, err := httpx.PathID(r, "id")
	var o *varco.Org
	if err == nil {
		o, err = h.admin.OrgPolicy(r.Context(), rq.actor(), id)
	}
	if err == nil {
		err = h.admin.MayEditOrgPolicy(rq.actor(), id)
	}
	if err == nil {
		err = parseForm(w, r)
	}
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	f := r.PostForm
	in := policyInput{MaxAge: f.Get(varco.FieldMaxAgeDays), Warning: f.Get(varco.FieldWarningDays),
		Inactivity: f.Get(varco.FieldInactivityDays), Grace: f.Get(varco.FieldSuspensionGraceDays),
		History: f.Get(varco.FieldHistoryDepth)}
	pol, errs := parsePolicyInput(in)
	msgs := map[string]string{}
	for field, key := range errs {
		msgs[field] = translate(rq.lang, key)
	}
	if len(errs) == 0 {
		_, err := h.admin.SetOrgPolicy(r.Context(), rq.actor(), id, pol)
		var pe *varco.PolicyError
		switch {
		case err == nil:
			redirect(w, r, orgPath(id)+"?"+url.Values{"done": {"saved"}}.Encode())
			return
		case errors.As(err, &pe):
			msgs[pe.Field] = policyErrorText(rq.lang, pe)
		default:
			h.fail(w, r, rq, err)
			return
		}
	}
	p := h.newPage(r, rq, "orgs.title", "admin")
	p.Title = p.T("orgs.org_title", o.Name)
	p.Error = p.T("policy.err.summary")
	h.renderOrg(w, r, rq, p, http.StatusBadRequest, o, in, msgs)
}
