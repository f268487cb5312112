package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
)

// activityPageSize is how many events one page of the history shows.
const activityPageSize = 50

// eventNames are the events the type filter offers: the registry's, in
// its order.
var eventNames = func() []string {
	var names []string
	for _, e := range varco.Events() {
		names = append(names, e.Name)
	}
	return names
}()

// eventTone marks the events whose success is bad news for the account:
// the history shows them as a danger or a warning, never as "succeeded".
var eventTone = map[string]string{
	varco.EventAccountLocked:          "danger",
	varco.EventAccountDisabled:        "danger",
	varco.EventAccountSuspended:       "warning",
	varco.EventPasswordChangeRequired: "warning",
	varco.EventStepUpRequired:         "warning",
	"push_reported":                   "warning",
}

// outcomeBadge is the class and text of an event's outcome badge.
type outcomeBadge struct{ Class, Text string }

// Outcome is the badge of an event's outcome, by what the event means to
// the account: a lock that worked is "access blocked", not "succeeded".
func (p *page) Outcome(event, outcome string) outcomeBadge {
	if tone, ok := eventTone[event]; ok && outcome == varco.OutcomeSuccess {
		return outcomeBadge{Class: tone, Text: p.T("outcome." + tone)}
	}
	return outcomeBadge{Class: outcome, Text: p.Label("outcome.", outcome)}
}

var eventName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// dateLayout is what <input type="date"> submits.
const dateLayout = "2006-01-02"

// activityView is the history table with its filter form, pager and
// export links; the profile and the admin console both show it.
type activityView struct {
	Events     []*varco.Event
	Types      []string
	Type       string
	From, To   string
	Filtered   bool
	Action     string // where the filter form and pager point
	OlderURL   string
	NewestURL  string
	ExportCSV  string
	ExportJSON string
	// ShowAccount adds a column linking each event's account in the admin
	// console (an organization's history).
	ShowAccount bool
}

// parseActivityQuery reads ?type=&from=&to=&cursor= into a filter. Any
// malformed value is an EInvalid error (a 400 page), never a guess.
func parseActivityQuery(r *http.Request) (store.EventFilter, *activityView, error) {
	q := r.URL.Query()
	v := &activityView{Types: eventNames, Type: q.Get("type"), From: q.Get("from"), To: q.Get("to")}
	f := store.EventFilter{Limit: activityPageSize + 1}
	bad := varco.E(varco.EInvalid, "error.filters")
	if v.Type != "" {
		if !eventName.MatchString(v.Type) {
			return f, nil, bad
		}
		f.Types = []string{v.Type}
	}
	if v.From != "" {
		t, err := time.Parse(dateLayout, v.From)
		if err != nil {
			return f, nil, bad
		}
		f.Since = t
	}
	if v.To != "" {
		t, err := time.Parse(dateLayout, v.To)
		if err != nil {
			return f, nil, bad
		}
		f.Until = t.AddDate(0, 0, 1) // the whole day is included
	}
	if c := q.Get("cursor"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n <= 0 {
			return f, nil, bad
		}
		f.Before = n
	}
	v.Filtered = v.Type != "" || v.From != "" || v.To != ""
	return f, v, nil
}

// fill sets the view's events and links from one page of results (fetched
// with one extra row to know whether an older page exists). path is the
// page's own path, export the API path of the same history.
func (v *activityView) fill(evs []*varco.Event, f store.EventFilter, path, export string) {
	v.Action = path
	filters := url.Values{}
	if v.Type != "" {
		filters.Set("type", v.Type)
	}
	if v.From != "" {
		filters.Set("from", v.From)
	}
	if v.To != "" {
		filters.Set("to", v.To)
	}
	if len(evs) > activityPageSize {
		evs = evs[:activityPageSize]
		older := cloneValues(filters)
		older.Set("cursor", strconv.FormatInt(evs[len(evs)-1].ID, 10))
		v.OlderURL = path + "?" + older.Encode()
	}
	v.Events = evs
	if f.Before != 0 {
		v.NewestURL = path
		if len(filters) > 0 {
			v.NewestURL += "?" + filters.Encode()
		}
	}
	// The API takes RFC 3339 times and a type list.
	api := url.Values{}
	if v.Type != "" {
		api.Set("type", v.Type)
	}
	if !f.Since.IsZero() {
		api.Set("since", f.Since.UTC().Format(time.RFC3339))
	}
	if !f.Until.IsZero() {
		api.Set("until", f.Until.UTC().Format(time.RFC3339))
	}
	for _, format := range []string{"csv", "json"} {
		e := cloneValues(api)
		e.Set("format", format)
		u := export + "?" + e.Encode()
		if format == "csv" {
			v.ExportCSV = u
		} else {
			v.ExportJSON = u
		}
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// activity is "Profile > Activity history": the account's own events.
func (h *Handler) activity(w http.ResponseWriter, r *http.Request, rq *request) {
	f, v, err := parseActivityQuery(r)
	if err != nil {
		h.errorPage(w, r, rq, http.StatusBadRequest, "err.bad_filter")
		return
	}
	evs, err := h.auth.Activity(r.Context(), rq.account, f)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	v.fill(evs, f, "/profile/activity", "/api/v1/me/activity")
	p := h.newPage(r, rq, "activity.title", "activity")
	p.Data = v
	h.render(w, r, http.StatusOK, "activity", p)
}
