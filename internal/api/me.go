package api

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/device"
	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/text"
)

var appName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	App      string `json:"app,omitempty"`
}

type loginResponse struct {
	State        string       `json:"state"`
	Flow         string       `json:"flow,omitempty"`
	Methods      []string     `json:"methods,omitempty"`
	Number       string       `json:"number,omitempty"`
	SessionToken string       `json:"session_token,omitempty"`
	ExpiresAt    *time.Time   `json:"expires_at,omitempty"`
	Account      *accountJSON `json:"account,omitempty"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.App != "" && !appName.MatchString(req.App) {
		s.fail(w, r, httpx.Invalid("error.app_field"))
		return
	}
	// `app` is optional (SPEC §9a); when given it names a configured
	// application, whose name the push request shows.
	if _, ok := s.Auth.Config().Applications.Lookup(req.App); req.App != "" && !ok {
		s.fail(w, r, varco.E(varco.EUnknownApplication, "error.unknown_application", req.App))
		return
	}
	res, err := s.Auth.Login(r.Context(), req.Email, req.Password, s.meta(r, req.App))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerLogin(w, res)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.Auth.Logout(r.Context(), account(r), session(r), s.meta(r, "")); err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.ClearSessionCookie(w, s.SecureCookies)
	w.WriteHeader(http.StatusNoContent)
}

type accountJSON struct {
	ID                   int64      `json:"id"`
	Email                string     `json:"email"`
	DisplayName          string     `json:"display_name"`
	Org                  string     `json:"org,omitempty"`
	Role                 string     `json:"role"`
	Status               string     `json:"status"`
	Language             string     `json:"language"`
	ContactEmail         string     `json:"contact_email,omitempty"`
	ContactEmailVerified bool       `json:"contact_email_verified"`
	Phone                string     `json:"phone,omitempty"` // masked
	PhoneVerified        bool       `json:"phone_verified"`
	PasswordChangedAt    time.Time  `json:"password_changed_at"`
	LastLoginAt          *time.Time `json:"last_login_at,omitempty"`
	CreatedAt            time.Time  `json:"created_at"`
	// TimeZone is the IANA zone the account's times are shown in: its own,
	// else its organization's (SPEC §3).
	TimeZone string `json:"time_zone"`
}

// MaskPhone keeps the country prefix and the last two digits of a number;
// full numbers never leave varco in answers or logs.
func MaskPhone(p string) string {
	if len(p) < 6 {
		return strings.Repeat("•", len(p))
	}
	return p[:3] + strings.Repeat("•", len(p)-5) + p[len(p)-2:]
}

func toAccountJSON(a *varco.Account) *accountJSON {
	j := &accountJSON{ID: a.ID, Email: a.Email, DisplayName: a.DisplayName, Org: a.OrgName, Role: a.Role,
		Status: a.Status, Language: a.Lang, ContactEmail: a.ContactEmail, ContactEmailVerified: a.ContactEmailVerified,
		PhoneVerified: a.PhoneVerified, PasswordChangedAt: a.PasswordChangedAt, CreatedAt: a.CreatedAt,
		TimeZone: a.Location().String()}
	if a.Phone != "" {
		j.Phone = MaskPhone(a.Phone)
	}
	if !a.LastLoginAt.IsZero() {
		t := a.LastLoginAt
		j.LastLoginAt = &t
	}
	return j
}

type meResponse struct {
	*accountJSON
	PasswordChangeRequired bool `json:"password_change_required"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, meResponse{accountJSON: toAccountJSON(account(r)),
		PasswordChangeRequired: session(r).Restricted})
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	var req passwordRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.CurrentPassword == "" || req.NewPassword == "" {
		s.fail(w, r, httpx.Invalid("error.password_fields"))
		return
	}
	if err := s.Auth.ChangePassword(r.Context(), account(r), session(r), req.CurrentPassword, req.NewPassword, s.meta(r, "")); err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "password_changed"})
}

type sessionJSON struct {
	ID         int64     `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	Device     string    `json:"device"` // UserAgent as "Chrome 148 on Linux", in the reader's language
	Current    bool      `json:"current"`
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) {
	list, err := s.Auth.Sessions(r.Context(), account(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cur, lang := session(r), httpx.RequestLang(r)
	out := make([]sessionJSON, 0, len(list))
	for _, x := range list {
		out = append(out, sessionJSON{ID: x.ID, CreatedAt: x.CreatedAt, LastSeenAt: x.LastSeenAt, ExpiresAt: x.ExpiresAt,
			IP: x.IP, UserAgent: x.UserAgent, Device: device.Describe(x.UserAgent, lang), Current: x.ID == cur.ID})
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"sessions": out})
}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err == nil {
		err = s.Auth.RevokeSession(r.Context(), account(r), id, s.meta(r, ""))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if id == session(r).ID {
		httpx.ClearSessionCookie(w, s.SecureCookies)
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) revokeOtherSessions(w http.ResponseWriter, r *http.Request) {
	n, err := s.Auth.RevokeOtherSessions(r.Context(), account(r), session(r), s.meta(r, ""))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]int64{"revoked": n})
}

// eventJSON is one activity entry (SPEC §9a).
type eventJSON struct {
	ID          int64     `json:"id"`
	Time        time.Time `json:"time"`
	Event       string    `json:"event"`
	Actor       string    `json:"actor"`
	IP          string    `json:"ip"`
	Location    string    `json:"location"`
	UserAgent   string    `json:"user_agent"`
	Device      string    `json:"device"` // UserAgent as "Chrome 148 on Linux", in the reader's language
	Application string    `json:"application"`
	Outcome     string    `json:"outcome"`
	Count       int64     `json:"count"` // identical occurrences the entry stands for (repeated mail login failures)
	Detail      string    `json:"detail,omitempty"`
	AccountID   int64     `json:"account_id,omitempty"`
}

func toEventJSON(e *varco.Event, withAccount bool, lang string) eventJSON {
	j := eventJSON{ID: e.ID, Time: e.Time, Event: e.Event, Actor: e.Actor, IP: e.IP, Location: e.Location,
		UserAgent: e.UserAgent, Device: device.Describe(e.UserAgent, lang), Application: e.Application,
		Outcome: e.Outcome, Count: max(e.Count, 1), Detail: e.Detail}
	if withAccount {
		j.AccountID = e.AccountID
	}
	return j
}

// maxExport bounds one export download.
const maxExport = 100_000

// parseEventFilter reads ?type=a,b&since=&until=&cursor=&limit= .
func parseEventFilter(r *http.Request) (store.EventFilter, string, error) {
	q := r.URL.Query()
	var f store.EventFilter
	for _, t := range q["type"] {
		for _, x := range strings.Split(t, ",") {
			if x = strings.TrimSpace(x); x != "" {
				if len(x) > 64 || len(f.Types) >= 50 {
					return f, "", httpx.Invalid("error.event_types")
				}
				if _, err := text.Identifier("type", x); err != nil {
					return f, "", err
				}
				f.Types = append(f.Types, x)
			}
		}
	}
	parseTime := func(name string) (time.Time, error) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return t, httpx.Invalid("error.param_time", name)
		}
		return t, nil
	}
	var err error
	if f.Since, err = parseTime("since"); err != nil {
		return f, "", err
	}
	if f.Until, err = parseTime("until"); err != nil {
		return f, "", err
	}
	if v := q.Get("cursor"); v != "" {
		if f.Before, err = strconv.ParseInt(v, 10, 64); err != nil || f.Before <= 0 {
			return f, "", httpx.Invalid("error.param_cursor")
		}
	}
	f.Limit = 50
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 1000 {
			return f, "", httpx.Invalid("error.param_limit", 1000)
		}
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		return f, "", httpx.Invalid("error.param_format")
	}
	return f, format, nil
}

type eventLister func(f store.EventFilter) ([]*varco.Event, error)

// writeEvents answers one page of events, or with ?format= the whole
// filtered history as a download.
func (s *Server) writeEvents(w http.ResponseWriter, r *http.Request, list eventLister, withAccount bool) {
	f, format, err := parseEventFilter(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lang := httpx.RequestLang(r)
	if format == "" {
		evs, err := list(f)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out := make([]eventJSON, 0, len(evs))
		for _, e := range evs {
			out = append(out, toEventJSON(e, withAccount, lang))
		}
		var next *string
		if len(evs) == f.Limit {
			c := strconv.FormatInt(evs[len(evs)-1].ID, 10)
			next = &c
		}
		httpx.WriteJSON(w, http.StatusOK, map[string]any{"events": out, "next_cursor": next})
		return
	}
	var all []eventJSON
	f.Limit = 1000
	for len(all) < maxExport {
		evs, err := list(f)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, e := range evs {
			all = append(all, toEventJSON(e, withAccount, lang))
		}
		if len(evs) < f.Limit {
			break
		}
		f.Before = evs[len(evs)-1].ID
	}
	name := "activity-" + time.Now().UTC().Format("20060102") + "." + format
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	if format == "json" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(map[string]any{"events": all})
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	cw := csv.NewWriter(w)
	header := []string{"id", "time", "event", "actor", "ip", "location", "user_agent", "application", "outcome", "detail", "count"}
	if withAccount {
		header = append(header, "account_id")
	}
	_ = cw.Write(header)
	for _, e := range all {
		row := []string{strconv.FormatInt(e.ID, 10), e.Time.Format(time.RFC3339), e.Event, e.Actor, e.IP,
			csvSafe(e.Location), csvSafe(e.UserAgent), csvSafe(e.Application), e.Outcome, csvSafe(e.Detail),
			strconv.FormatInt(e.Count, 10)}
		if withAccount {
			row = append(row, strconv.FormatInt(e.AccountID, 10))
		}
		_ = cw.Write(row)
	}
	cw.Flush()
}

// csvSafe defuses spreadsheet formulas in attacker-controlled cells (a
// user agent can start with "=").
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (s *Server) myActivity(w http.ResponseWriter, r *http.Request) {
	a := account(r)
	s.writeEvents(w, r, func(f store.EventFilter) ([]*varco.Event, error) {
		return s.Auth.Activity(r.Context(), a, f)
	}, false)
}

// myActivityIntegrity tells the user whether their own history verifies:
// every entry's keyed link, and its end against the newest checkpoint.
func (s *Server) myActivityIntegrity(w http.ResponseWriter, r *http.Request) {
	if s.History == nil {
		s.fail(w, r, varco.E(varco.EInternal, "error.history_unverifiable"))
		return
	}
	rep, err := s.History.VerifyAccount(r.Context(), account(r).ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := map[string]any{"verified": rep.OK(), "events": rep.Events, "checkpoint_time": nil}
	if rep.Checkpoint != nil {
		out["checkpoint_time"] = rep.Checkpoint.Time
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

type alertJSON struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Message   string    `json:"message"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	list, err := s.Auth.Alerts(r.Context(), account(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]alertJSON, 0, len(list))
	for _, a := range list {
		out = append(out, alertJSON{ID: a.ID, Kind: a.Kind, Message: a.Message, CreatedAt: a.CreatedAt})
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"alerts": out})
}

// notMeAlert is "this wasn't me" on a new_login alert: the session it is
// about ends and a password reset link is e-mailed.
func (s *Server) notMeAlert(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err == nil {
		err = s.Auth.NotMeAlert(r.Context(), account(r), id, s.meta(r, ""))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "session_revoked"})
}

type languageRequest struct {
	Language string `json:"language"`
}

// setLanguage sets the account's language (SPEC §1): pages, e-mails and
// API messages follow it.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) {
	var req languageRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.Auth.SetLanguage(r.Context(), account(r), req.Language)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, meResponse{accountJSON: toAccountJSON(a)})
}

type timeZoneRequest struct {
	TimeZone string `json:"time_zone"`
}

// setTimeZone sets the zone the account's times are shown in; "" follows
// the organization's.
func (s *Server) setTimeZone(w http.ResponseWriter, r *http.Request) {
	var req timeZoneRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.Auth.SetTimeZone(r.Context(), account(r), req.TimeZone)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, meResponse{accountJSON: toAccountJSON(a)})
}

func (s *Server) dismissAlert(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err == nil {
		err = s.Auth.DismissAlert(r.Context(), account(r), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
