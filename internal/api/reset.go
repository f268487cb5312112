package api

import (
	"net/http"

	"varco.dev/varco/internal/httpx"
)

func (s *Server) requestPasswordReset(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Email string `json:"email"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Recovery.RequestPasswordReset(r.Context(), req.Email, s.meta(r, "account_management")); err != nil {
		s.fail(w, r, err)
		return
	}
	// The same answer whether or not the account exists (SPEC §4.2).
	httpx.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "accepted"})
}

func (s *Server) completePasswordReset(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token       string `json:"token"`
		NewPassword string `json:"new_password"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Recovery.CompletePasswordReset(r.Context(), req.Token, req.NewPassword, s.meta(r, "account_management")); err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "password_reset"})
}
