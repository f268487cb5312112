package api

import (
	"context"
	"encoding/base64"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/auth"
	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/push"
)

// The authenticator's routes (SPEC §6, §9a "Push"). Device calls carry
// the device token issued at enrollment as a Bearer token; decisions are
// signed with the device key besides.

type enrollRequest struct {
	Email        string `json:"email"`
	Password     string `json:"password"`
	PublicKey    string `json:"public_key"` // Ed25519, base64url without padding
	RecoveryCode string `json:"recovery_code,omitempty"`
}

type enrolledJSON struct {
	DeviceID      string   `json:"device_id"`
	DeviceToken   string   `json:"device_token"`
	RecoveryCodes []string `json:"recovery_codes"`
}

func (s *Server) enrollAuthenticator(w http.ResponseWriter, r *http.Request) {
	var req enrollRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	pub, err := base64.RawURLEncoding.DecodeString(req.PublicKey)
	if err != nil || len(pub) != 32 {
		s.fail(w, r, httpx.Invalid("error.push_public_key"))
		return
	}
	out, err := s.Auth.EnrollAuthenticator(r.Context(), req.Email, req.Password, pub, req.RecoveryCode, s.meta(r, "authenticator"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if out.Pending {
		exp := out.ExpiresAt.UTC()
		httpx.WriteJSON(w, http.StatusAccepted, enrollmentJSON{State: auth.EnrollApprovalRequired, Enrollment: out.Enrollment,
			Number: out.Number, ExpiresAt: &exp})
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, enrolledJSON{DeviceID: out.DeviceID, DeviceToken: out.Token, RecoveryCodes: out.RecoveryCodes})
}

// enrollmentJSON is a device replacement waiting for the old device's
// approval, or its outcome (SPEC §6.1).
type enrollmentJSON struct {
	State         string     `json:"state"`
	Enrollment    string     `json:"enrollment,omitempty"`
	Number        string     `json:"number,omitempty"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	DeviceID      string     `json:"device_id,omitempty"`
	DeviceToken   string     `json:"device_token,omitempty"`
	RecoveryCodes []string   `json:"recovery_codes,omitempty"`
}

// enrollment is the new device's poll of a replacement: approval_required,
// then enrolled (with the device token and recovery codes, once),
// push_denied, cancelled or expired.
func (s *Server) enrollment(w http.ResponseWriter, r *http.Request) {
	st, err := s.Auth.PollEnrollment(r.Context(), r.PathValue("enrollment"), s.meta(r, "authenticator"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := enrollmentJSON{State: st.State}
	if st.State == auth.EnrollApprovalRequired {
		exp := st.ExpiresAt.UTC()
		out.ExpiresAt = &exp
	}
	if e := st.Enrolled; e != nil {
		out.DeviceID, out.DeviceToken, out.RecoveryCodes = e.DeviceID, e.Token, e.RecoveryCodes
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// cancelEnrollment is the new device's withdrawal of a replacement that
// waits for the old device: 204, also when it was over already; 404 for
// an unknown id, 409 once the new device replaced the old one.
func (s *Server) cancelEnrollment(w http.ResponseWriter, r *http.Request) {
	if err := s.Auth.CancelEnrollment(r.Context(), r.PathValue("enrollment")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deviceToken is the Bearer token of a device call: the Authorization
// header only, never a cookie.
func deviceToken(r *http.Request) string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(tok)
}

// PushRequestInfo is what a pending push request tells of the sign-in
// that asks (schema PushRequest): what the device shows, and exactly what
// `varco authenticator pending` prints of each request (SPEC §9a), which
// decodes the API's answer into PushRequestList.
type PushRequestInfo struct {
	ID          string `json:"id"`
	Purpose     string `json:"purpose"`
	Application string `json:"application"`
	// ApplicationName is the application's display name in the account's
	// language; the signature covers the id.
	ApplicationName string    `json:"application_name"`
	IP              string    `json:"ip"`
	Location        string    `json:"location"`
	Browser         string    `json:"browser"`
	Time            time.Time `json:"time"`
	Risky           bool      `json:"risky"`
	Digits          int       `json:"digits"`
}

// PushRequest is a pending push request as the device reads it, in the
// list and in the event stream (schema PushRequest): what it shows, the
// nonce its decision signs, and when the request expires.
type PushRequest struct {
	PushRequestInfo
	Nonce     string    `json:"nonce"`
	ExpiresAt time.Time `json:"expires_at"`
}

// PushRequestList is the answer of GET /api/v1/authenticator/requests
// (schema PushRequestList).
type PushRequestList struct {
	Requests []PushRequest `json:"requests"`
}

func (s *Server) pendingPush(w http.ResponseWriter, r *http.Request) {
	items, err := s.Auth.PendingPush(r.Context(), deviceToken(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := PushRequestList{Requests: make([]PushRequest, 0, len(items))}
	for _, it := range items {
		out.Requests = append(out.Requests, pushItem(it))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// pushItem is a pending request as the device reads it, in the list and
// in the event stream.
func pushItem(it auth.PushItem) PushRequest {
	c := it.Context
	return PushRequest{PushRequestInfo: PushRequestInfo{ID: it.ID, Purpose: it.Purpose, Application: c.Application,
		ApplicationName: it.ApplicationName, IP: c.IP, Location: c.Location, Browser: c.Browser, Time: c.Time.UTC(),
		Risky: c.Risky, Digits: it.Number},
		Nonce: base64.RawURLEncoding.EncodeToString(it.Nonce), ExpiresAt: it.ExpiresAt.UTC()}
}

type decidedJSON struct {
	Status string `json:"status"`
}

func (s *Server) decidePush(w http.ResponseWriter, r *http.Request) {
	mt := r.Header.Get("Content-Type")
	if !strings.HasPrefix(mt, "application/json") {
		s.fail(w, r, varco.E(varco.EInvalid, "error.body_not_json"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, push.MaxDecisionBytes))
	if err != nil {
		s.fail(w, r, varco.E(varco.EInvalid, "error.push_decision"))
		return
	}
	d, err := push.ParseDecision(r.PathValue("id"), body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status, err := s.Auth.DecidePush(r.Context(), deviceToken(r), d, s.meta(r, "authenticator"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, decidedJSON{Status: status})
}

func (s *Server) authenticatorLogout(w http.ResponseWriter, r *http.Request) {
	if err := s.Auth.SignOutDevice(r.Context(), deviceToken(r), s.meta(r, "authenticator")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type twoFactorJSON struct {
	Enabled bool `json:"enabled"`
}

func (s *Server) getTwoFactor(w http.ResponseWriter, r *http.Request) {
	on, err := s.Auth.TwoFactorEnabled(r.Context(), account(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, twoFactorJSON{Enabled: on})
}

type disableJSON struct {
	Flow   string `json:"flow"`
	Number string `json:"number"`
}

func (s *Server) disableTwoFactor(w http.ResponseWriter, r *http.Request) {
	s.startApproval(w, r, s.Auth.StartDisable)
}

// newRecoveryCodes asks the device to approve new recovery codes
// (SPEC §6.1 "regenerable"): 202 {flow, number}, as turning 2-step
// verification off.
func (s *Server) newRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	s.startApproval(w, r, s.Auth.StartRecoveryCodes)
}

// startApproval starts an action that waits for the device's approval and
// answers 202 {flow, number}.
func (s *Server) startApproval(w http.ResponseWriter, r *http.Request,
	start func(context.Context, *varco.Account, auth.Meta) (string, string, error)) {
	id, number, err := start(r.Context(), account(r), s.meta(r, ""))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusAccepted, disableJSON{Flow: id, Number: number})
}

type recoveryCodesJSON struct {
	State         string     `json:"state"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	RecoveryCodes []string   `json:"recovery_codes,omitempty"`
}

// recoveryCodes is the poll of a request for new recovery codes:
// approval_required, then regenerated with the codes (once: later polls
// answer 404 push_not_found), push_denied or expired.
func (s *Server) recoveryCodes(w http.ResponseWriter, r *http.Request) {
	st, err := s.Auth.CollectRecoveryCodes(r.Context(), account(r), r.PathValue("flow"), s.meta(r, ""))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := recoveryCodesJSON{State: st.State, RecoveryCodes: st.Codes}
	if st.State == auth.EnrollApprovalRequired {
		exp := st.ExpiresAt.UTC()
		out.ExpiresAt = &exp
	}
	if st.Codes != nil {
		w.Header().Set("Cache-Control", "no-store")
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

type pushKeyJSON struct {
	PublicKey string `json:"public_key"` // uncompressed P-256 point, base64url without padding
}

// pushKey answers the server's VAPID public key: the authenticator's
// applicationServerKey when it subscribes to Web Push (SPEC §6.6).
func (s *Server) pushKey(w http.ResponseWriter, r *http.Request) {
	key, err := s.Auth.PushKey()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, pushKeyJSON{PublicKey: key})
}

// putPushSubscription stores the device's Web Push subscription, replacing
// any other; the body is checked strictly (push.ParseSubscription).
func (s *Server) putPushSubscription(w http.ResponseWriter, r *http.Request) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		s.fail(w, r, varco.E(varco.EInvalid, "error.body_not_json"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, push.MaxSubscriptionBytes))
	if err != nil {
		s.fail(w, r, varco.E(varco.EInvalid, "error.push_subscription"))
		return
	}
	sub, err := push.ParseSubscription(body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Auth.SubscribePush(r.Context(), deviceToken(r), sub); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deletePushSubscription(w http.ResponseWriter, r *http.Request) {
	if err := s.Auth.UnsubscribePush(r.Context(), deviceToken(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
