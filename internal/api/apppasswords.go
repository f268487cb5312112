package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/apppassword"
	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/store"
)

// App passwords for mail clients and the mail servers' login endpoint
// (SPEC §7, §9a "App passwords", "Mail auth").

type appPasswordCreatedJSON struct {
	ID        int64     `json:"id"`
	Password  string    `json:"password"` // shown once, in groups of four
	ExpiresAt time.Time `json:"expires_at"`
}

type lastUseJSON struct {
	Time     time.Time `json:"time"`
	IP       string    `json:"ip"`
	Protocol string    `json:"protocol"`
}

type appPasswordJSON struct {
	ID        int64        `json:"id"`
	Label     string       `json:"label"`
	CreatedAt time.Time    `json:"created_at"`
	ExpiresAt time.Time    `json:"expires_at"`
	Expired   bool         `json:"expired"`
	LastUse   *lastUseJSON `json:"last_use"`
}

func (s *Server) listAppPasswords(w http.ResponseWriter, r *http.Request) {
	list, err := s.AppPasswords.List(r.Context(), account(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.AppPasswords.Now()
	out := make([]appPasswordJSON, 0, len(list))
	for _, p := range list {
		j := appPasswordJSON{ID: p.ID, Label: p.Label, CreatedAt: p.CreatedAt, ExpiresAt: p.ExpiresAt, Expired: !now.Before(p.ExpiresAt)}
		if !p.LastUsedAt.IsZero() {
			j.LastUse = &lastUseJSON{Time: p.LastUsedAt, IP: p.LastUsedIP, Protocol: p.LastUsedProtocol}
		}
		out = append(out, j)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"app_passwords": out})
}

func (s *Server) createAppPassword(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Label string `json:"label"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.AppPasswords.Create(r.Context(), account(r), req.Label, s.meta(r, ""))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, appPasswordCreatedJSON{ID: c.ID, Password: c.Password, ExpiresAt: c.ExpiresAt})
}

func (s *Server) rotateAppPassword(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	var c *apppassword.Created
	if err == nil {
		c, err = s.AppPasswords.Rotate(r.Context(), account(r), id, s.meta(r, ""))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, appPasswordCreatedJSON{ID: c.ID, Password: c.Password, ExpiresAt: c.ExpiresAt})
}

func (s *Server) deleteAppPassword(w http.ResponseWriter, r *http.Request) {
	id, err := httpx.PathID(r, "id")
	if err == nil {
		err = s.AppPasswords.Delete(r.Context(), account(r), id, s.meta(r, ""))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type mailAccessJSON struct {
	IMAP      bool     `json:"imap"`
	POP3      bool     `json:"pop3"`
	SMTP      bool     `json:"smtp"`
	Resources []string `json:"resources"`
}

func (s *Server) writeMailAccess(w http.ResponseWriter, r *http.Request, a *apppassword.Access, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, mailAccessJSON{IMAP: a.IMAP, POP3: a.POP3, SMTP: a.SMTP, Resources: a.Resources})
}

func (s *Server) getMailAccess(w http.ResponseWriter, r *http.Request) {
	a, err := s.AppPasswords.MailAccess(r.Context(), account(r))
	s.writeMailAccess(w, r, a, err)
}

func (s *Server) setMailAccess(w http.ResponseWriter, r *http.Request) {
	var req struct {
		IMAP *bool `json:"imap"`
		POP3 *bool `json:"pop3"`
		SMTP *bool `json:"smtp"`
	}
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.IMAP == nil || req.POP3 == nil || req.SMTP == nil {
		s.fail(w, r, httpx.Invalid("error.mail_access_fields"))
		return
	}
	a, err := s.AppPasswords.SetMailAccess(r.Context(), account(r), store.MailAccess{IMAP: *req.IMAP, POP3: *req.POP3, SMTP: *req.SMTP})
	s.writeMailAccess(w, r, a, err)
}

// mailServer reports whether r carries the mail servers' secret, compared
// in constant time; with no secret configured nobody does.
func (s *Server) mailServer(r *http.Request) bool { return s.mailSecretOK(deviceToken(r)) }

// mailSecretOK compares presented with the mail servers' secret in
// constant time; with no secret configured nothing matches.
func (s *Server) mailSecretOK(presented string) bool {
	if s.MailAuthSecret == "" {
		return false
	}
	got, want := sha256.Sum256([]byte(presented)), sha256.Sum256([]byte(s.MailAuthSecret))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

func (s *Server) mailAuth(w http.ResponseWriter, r *http.Request) {
	if !s.mailServer(r) {
		s.fail(w, r, varco.E(varco.EForbidden, "error.mail_auth_forbidden"))
		return
	}
	var req apppassword.MailLogin
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.AppPasswords.Authenticate(r.Context(), req); err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSONBody(w, http.StatusOK, mailAuthOK)
}

// mailAuthOK is what every accepted mail login answers.
var mailAuthOK = []byte(`{"result":"ok"}` + "\n")
