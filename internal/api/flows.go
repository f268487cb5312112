package api

import (
	"net/http"

	"varco.dev/varco"
	"varco.dev/varco/internal/auth"
	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/store"
)

// answerLogin writes the state of a sign-in: the session (cookie and
// session_token) when one opened, and the flow and methods when another
// step follows (SPEC §9).
func (s *Server) answerLogin(w http.ResponseWriter, res *auth.LoginResult) {
	out := loginResponse{State: res.State, Flow: res.Flow, Methods: res.Methods, Number: res.Number}
	if res.Session != nil {
		httpx.SetSessionCookie(w, res.Token, int(s.Auth.Config().SessionAbsolute.Seconds()), s.SecureCookies)
		exp := res.Session.ExpiresAt
		out.SessionToken, out.ExpiresAt = res.Token, &exp
	}
	if res.Account != nil && res.Session != nil {
		out.Account = toAccountJSON(res.Account)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

type flowJSON struct {
	State   string   `json:"state"`
	Flow    string   `json:"flow"`
	Methods []string `json:"methods,omitempty"`
}

func (s *Server) getFlow(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("flow")
	st, err := s.Auth.Flow(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if st.Login != nil {
		// The push was approved: this answer hands out the session, once.
		s.answerLogin(w, st.Login)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, flowJSON{State: st.State, Flow: id, Methods: st.Methods})
}

type sendRequest struct {
	Method string `json:"method"`
}

type sentJSON struct {
	State  string `json:"state"`
	Method string `json:"method"`
}

func (s *Server) sendStepUp(w http.ResponseWriter, r *http.Request) {
	var req sendRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Auth.SendStepUp(r.Context(), r.PathValue("flow"), req.Method, s.meta(r, "")); err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusAccepted, sentJSON{State: varco.StateStepUpRequired, Method: req.Method})
}

type verifyRequest struct {
	Code string `json:"code"`
}

func (s *Server) verifyStepUp(w http.ResponseWriter, r *http.Request) {
	var req verifyRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.Auth.VerifyStepUp(r.Context(), r.PathValue("flow"), req.Code, s.meta(r, ""))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerLogin(w, res)
}

type flowPasswordRequest struct {
	NewPassword string `json:"new_password"`
}

func (s *Server) flowPassword(w http.ResponseWriter, r *http.Request) {
	var req flowPasswordRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.NewPassword == "" {
		s.fail(w, r, httpx.Invalid("error.new_password_field"))
		return
	}
	res, err := s.Auth.FlowPassword(r.Context(), r.PathValue("flow"), req.NewPassword, s.meta(r, ""))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerLogin(w, res)
}

func (s *Server) unlockUser(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	var a *varco.Account
	if err == nil {
		a, err = s.Admin.UnlockUser(r.Context(), actor(r), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toAccountJSON(a))
}

type riskJSON struct {
	WindowDays int `json:"window_days"`
	DistanceKm int `json:"distance_km"`
	SpeedKmh   int `json:"speed_kmh"`
}

type riskRequest struct {
	WindowDays *int `json:"window_days"`
	DistanceKm *int `json:"distance_km"`
	SpeedKmh   *int `json:"speed_kmh"`
}

func (s *Server) getOrgRisk(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	var t store.RiskThresholds
	if err == nil {
		t, err = s.Admin.OrgRisk(r.Context(), actor(r), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, riskJSON(t))
}

func (s *Server) setOrgRisk(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req riskRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.WindowDays == nil || req.DistanceKm == nil || req.SpeedKmh == nil {
		s.fail(w, r, httpx.Invalid("error.risk_fields"))
		return
	}
	t, err := s.Admin.SetOrgRisk(r.Context(), actor(r), id,
		store.RiskThresholds{WindowDays: *req.WindowDays, DistanceKm: *req.DistanceKm, SpeedKmh: *req.SpeedKmh})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, riskJSON(t))
}

type notMeRequest struct {
	Token string `json:"token"`
}

type notMeJSON struct {
	SessionRevoked bool `json:"session_revoked"`
	ResetSent      bool `json:"reset_sent"`
}

// notMe is the "this wasn't me" link of a login alert (SPEC §5.10).
func (s *Server) notMe(w http.ResponseWriter, r *http.Request) {
	var req notMeRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Auth.NotMe(r.Context(), req.Token, s.meta(r, "")); err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, notMeJSON{SessionRevoked: true, ResetSent: true})
}
