package api

import (
	"net/http"
	"strconv"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/store"
)

type orgJSON struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Plan    string `json:"plan"`
	Country string `json:"country"`
}

func (s *Server) listOrgs(w http.ResponseWriter, r *http.Request) {
	orgs, err := s.Admin.ListOrgs(r.Context(), actor(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]orgJSON, 0, len(orgs))
	for _, o := range orgs {
		out = append(out, orgJSON{ID: o.ID, Name: o.Name, Plan: o.Plan, Country: o.Country})
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"orgs": out})
}

func (s *Server) createOrg(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name    string `json:"name"`
		Plan    string `json:"plan"`
		Country string `json:"country"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	o, err := s.Admin.CreateOrgWith(r.Context(), actor(r), admin.NewOrg{Name: req.Name, Plan: req.Plan, Country: req.Country})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, orgJSON{ID: o.ID, Name: o.Name, Plan: o.Plan, Country: o.Country})
}

type createUserRequest struct {
	Email        string `json:"email"`
	Password     string `json:"password"`
	Org          string `json:"org,omitempty"`
	Role         string `json:"role,omitempty"`
	Phone        string `json:"phone,omitempty"`
	ContactEmail string `json:"contact_email,omitempty"`
	Language     string `json:"language,omitempty"`
	DisplayName  string `json:"display_name,omitempty"`
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var req createUserRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if len(req.Password) > 4096 {
		s.fail(w, r, varco.E(varco.EPasswordTooLong, "error.password_long"))
		return
	}
	a, err := s.Admin.CreateUser(r.Context(), actor(r), admin.NewUser{Email: req.Email, Password: req.Password,
		Org: req.Org, Role: req.Role, Phone: req.Phone, ContactEmail: req.ContactEmail, Language: req.Language,
		DisplayName: req.DisplayName})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, toAccountJSON(a))
}

func (s *Server) searchUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var after int64
	if v := q.Get("cursor"); v != "" {
		var err error
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			s.fail(w, r, httpx.Invalid("error.param_cursor"))
			return
		}
	}
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			s.fail(w, r, httpx.Invalid("error.param_limit", 500))
			return
		}
		limit = n
	}
	users, err := s.Admin.SearchUsers(r.Context(), actor(r), q.Get("q"), after, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]*accountJSON, 0, len(users))
	for _, u := range users {
		out = append(out, toAccountJSON(u))
	}
	var next *string
	if len(users) == limit {
		c := strconv.FormatInt(users[len(users)-1].ID, 10)
		next = &c
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"users": out, "next_cursor": next})
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	var a *varco.Account
	if err == nil {
		a, err = s.Admin.User(r.Context(), actor(r), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toAccountJSON(a))
}

func (s *Server) disableUser(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err == nil {
		err = s.Admin.DisableUser(r.Context(), actor(r), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": varco.StatusDisabled})
}

func (s *Server) userActivity(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	who := actor(r)
	// Check visibility first so an unknown user is a 404 even with ?format=.
	if _, err := s.Admin.User(r.Context(), who, id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeEvents(w, r, func(f store.EventFilter) ([]*varco.Event, error) {
		return s.Admin.UserActivity(r.Context(), who, id, f)
	}, true)
}

func (s *Server) orgActivity(w http.ResponseWriter, r *http.Request) {
	var orgID int64
	if v := r.URL.Query().Get("org_id"); v != "" {
		var err error
		if orgID, err = strconv.ParseInt(v, 10, 64); err != nil || orgID < 0 {
			s.fail(w, r, httpx.Invalid("error.param_org_id"))
			return
		}
	}
	who := actor(r)
	s.writeEvents(w, r, func(f store.EventFilter) ([]*varco.Event, error) {
		return s.Admin.OrgActivity(r.Context(), who, orgID, f)
	}, true)
}

// policyJSON is an organization's password policy (SPEC §2.3–2.7).
type policyJSON struct {
	OrgID               int64 `json:"org_id"`
	MaxAgeDays          *int  `json:"max_age_days"`
	WarningDays         []int `json:"warning_days"`
	InactivityDays      *int  `json:"inactivity_days"`
	SuspensionGraceDays *int  `json:"suspension_grace_days"`
	HistoryDepth        *int  `json:"history_depth"`
}

func toPolicyJSON(o *varco.Org) policyJSON {
	p := o.Policy
	days := p.WarningDays
	if days == nil {
		days = []int{}
	}
	return policyJSON{OrgID: o.ID, MaxAgeDays: &p.MaxAgeDays, WarningDays: days, InactivityDays: &p.InactivityDays,
		SuspensionGraceDays: &p.SuspensionGraceDays, HistoryDepth: &p.HistoryDepth}
}

func (s *Server) getOrgPolicy(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	var o *varco.Org
	if err == nil {
		o, err = s.Admin.OrgPolicy(r.Context(), actor(r), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toPolicyJSON(o))
}

type policyRequest struct {
	MaxAgeDays          *int  `json:"max_age_days"`
	WarningDays         []int `json:"warning_days"`
	InactivityDays      *int  `json:"inactivity_days"`
	SuspensionGraceDays *int  `json:"suspension_grace_days"`
	HistoryDepth        *int  `json:"history_depth"`
}

func (s *Server) setOrgPolicy(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req policyRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.MaxAgeDays == nil || req.WarningDays == nil || req.InactivityDays == nil || req.SuspensionGraceDays == nil || req.HistoryDepth == nil {
		s.fail(w, r, httpx.Invalid("error.policy_fields"))
		return
	}
	o, err := s.Admin.SetOrgPolicy(r.Context(), actor(r), id, varco.Policy{MaxAgeDays: *req.MaxAgeDays,
		WarningDays: req.WarningDays, InactivityDays: *req.InactivityDays, SuspensionGraceDays: *req.SuspensionGraceDays,
		HistoryDepth: *req.HistoryDepth})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toPolicyJSON(o))
}

func (s *Server) reactivateUser(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	var a *varco.Account
	if err == nil {
		a, err = s.Admin.ReactivateUser(r.Context(), actor(r), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toAccountJSON(a))
}

func (s *Server) enableUser(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	var a *varco.Account
	if err == nil {
		a, err = s.Admin.EnableUser(r.Context(), actor(r), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toAccountJSON(a))
}

// sendResetLink e-mails the user a reset link (SPEC §2.8): 202, the e-mail
// goes out through the outbox.
func (s *Server) sendResetLink(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err == nil {
		err = s.Admin.SendResetLink(r.Context(), actor(r), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "accepted"})
}

// requirePasswordChange makes the user's next sign-in a password change
// (SPEC §2.8).
func (s *Server) requirePasswordChange(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err == nil {
		err = s.Admin.RequirePasswordChange(r.Context(), actor(r), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type outboxJSON struct {
	ID          int64      `json:"id"`
	Channel     string     `json:"channel"` // email, sms or webpush
	Event       string     `json:"event"`
	To          string     `json:"to"` // masked
	Status      string     `json:"status"`
	Attempts    int        `json:"attempts"`
	NextAttempt *time.Time `json:"next_attempt_at,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	SentAt      *time.Time `json:"sent_at,omitempty"`
}

func (s *Server) listOutbox(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status := q.Get("status")
	if status == "" {
		status = "dead"
	}
	var before int64
	if v := q.Get("cursor"); v != "" {
		var err error
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before <= 0 {
			s.fail(w, r, httpx.Invalid("error.param_cursor"))
			return
		}
	}
	list, err := s.Admin.Outbox(r.Context(), actor(r), status, before, 100)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]outboxJSON, 0, len(list))
	for _, e := range list {
		j := outboxJSON{ID: e.ID, Channel: store.Message{Channel: e.Channel}.ChannelName(), Event: e.Event, To: e.To, Status: e.Status, Attempts: e.Attempts, LastError: e.LastError,
			CreatedAt: e.CreatedAt}
		if e.Status == "pending" {
			t := e.NextAttempt
			j.NextAttempt = &t
		}
		if !e.SentAt.IsZero() {
			t := e.SentAt
			j.SentAt = &t
		}
		out = append(out, j)
	}
	var next *string
	if len(list) == 100 {
		c := strconv.FormatInt(list[len(list)-1].ID, 10)
		next = &c
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"messages": out, "next_cursor": next})
}

func (s *Server) retryMessage(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err == nil {
		err = s.Admin.RetryMessage(r.Context(), actor(r), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "pending"})
}
