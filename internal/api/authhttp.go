package api

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"varco.dev/varco"
	"varco.dev/varco/internal/apppassword"
)

// AuthHTTPPath is nginx's mail auth_http endpoint (SPEC §9a "Mail auth:").
const AuthHTTPPath = "/mail/auth-http"

// Answers of GET /mail/auth-http in Auth-Status and, for SMTP,
// Auth-Error-Code.
const (
	authHTTPInvalid   = "Invalid login or password"
	authHTTPTemporary = "Temporary server problem, try again later"
	smtpInvalidCode   = "535 5.7.8"
	smtpTemporaryCode = "451 4.3.0"
)

// DecodeAuthHeader decodes an Auth-User or Auth-Pass header as nginx sends
// it: %-escaped, where "+" is a plus and not a space. Bad escapes are an
// error.
func DecodeAuthHeader(v string) (string, error) {
	return url.PathUnescape(v)
}

// RegisterMailAuthHTTP adds GET /mail/auth-http to mux.
func (s *Server) RegisterMailAuthHTTP(mux *http.ServeMux) {
	mux.HandleFunc("GET "+AuthHTTPPath, s.mailAuthHTTP)
}

// mailAuthHTTP answers nginx's mail proxy: the login in Auth-User,
// Auth-Pass, Auth-Protocol and Client-IP is decided by the same rules as
// POST /api/v1/mail/auth; the answer is in headers. The shared secret
// comes in X-Varco-Secret (auth_http_header); without it the answer is 403.
func (s *Server) mailAuthHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if !s.mailSecretOK(r.Header.Get("X-Varco-Secret")) {
		h.Set("Auth-Status", "Forbidden")
		w.WriteHeader(http.StatusForbidden)
		return
	}
	proto := r.Header.Get("Auth-Protocol")
	refuse := func(status, smtpCode string) {
		h.Set("Auth-Status", status)
		if proto == varco.ProtocolSMTP {
			h.Set("Auth-Error-Code", smtpCode)
		}
		w.WriteHeader(http.StatusOK)
	}
	user, errU := DecodeAuthHeader(r.Header.Get("Auth-User"))
	pw, errP := DecodeAuthHeader(r.Header.Get("Auth-Pass"))
	if errU != nil || errP != nil {
		refuse(authHTTPInvalid, smtpInvalidCode)
		return
	}
	backend, ok := s.MailBackends[proto]
	if !ok {
		// An unknown protocol, or one with no mail server configured.
		refuse(authHTTPInvalid, smtpInvalidCode)
		return
	}
	err := s.AppPasswords.Authenticate(r.Context(), apppassword.MailLogin{Username: user, Password: pw,
		Protocol: proto, ClientIP: strings.TrimSpace(r.Header.Get("Client-IP"))})
	var ve *varco.Error
	switch {
	case err == nil:
		h.Set("Auth-Status", "OK")
		h.Set("Auth-Server", backend.Addr().String())
		h.Set("Auth-Port", strconv.Itoa(int(backend.Port())))
		w.WriteHeader(http.StatusOK)
	case errors.As(err, &ve) && ve.Code == varco.ETooManyAttempts:
		h.Set("Auth-Wait", strconv.Itoa(max(ve.RetryAfter, 1)))
		refuse(authHTTPTemporary, smtpTemporaryCode)
	case errors.As(err, &ve) && ve.Code != varco.EOverloaded && ve.Code != varco.EInternal:
		refuse(authHTTPInvalid, smtpInvalidCode)
	default:
		if s.Log != nil {
			s.Log.Error("mail auth_http", "err", err)
		}
		refuse(authHTTPTemporary, smtpTemporaryCode)
	}
}
