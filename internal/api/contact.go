package api

import (
	"net/http"

	"varco.dev/varco/internal/httpx"
)

// Phone and contact e-mail verification (SPEC §1): the profile sets a new
// number or address, which becomes the account's only once verified.

type phoneRequest struct {
	Phone string `json:"phone"`
}

// setPhone sends a verification code by SMS to the new number.
func (s *Server) setPhone(w http.ResponseWriter, r *http.Request) {
	var req phoneRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Recovery.StartPhoneVerification(r.Context(), account(r), req.Phone, s.meta(r, "")); err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "verification_sent"})
}

type codeRequest struct {
	Code string `json:"code"`
}

// verifyPhone checks the code; the number becomes the verified phone.
func (s *Server) verifyPhone(w http.ResponseWriter, r *http.Request) {
	var req codeRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.Recovery.VerifyPhone(r.Context(), account(r), req.Code, s.meta(r, ""))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toAccountJSON(a))
}

func (s *Server) removePhone(w http.ResponseWriter, r *http.Request) {
	if err := s.Recovery.RemovePhone(r.Context(), account(r), s.meta(r, "")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type contactEmailRequest struct {
	ContactEmail string `json:"contact_email"`
}

// setContactEmail e-mails a confirmation link to the new address.
func (s *Server) setContactEmail(w http.ResponseWriter, r *http.Request) {
	var req contactEmailRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Recovery.StartContactEmailVerification(r.Context(), account(r), req.ContactEmail, s.meta(r, "")); err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "verification_sent"})
}

type tokenRequest struct {
	Token string `json:"token"`
}

// verifyContactEmail uses the link's token; the address becomes the
// verified contact e-mail.
func (s *Server) verifyContactEmail(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	a, err := s.Recovery.VerifyContactEmail(r.Context(), account(r).ID, req.Token, s.meta(r, ""))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, toAccountJSON(a))
}
