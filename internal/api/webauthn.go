package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/auth"
	"varco.dev/varco/internal/httpx"
)

// The authenticator web app's routes (SPEC §6.1, §6.6, §6.7): its
// two-step WebAuthn enrollment and the device's event stream.

type webAuthnBeginRequest struct {
	Email        string `json:"email"`
	Password     string `json:"password"`
	RecoveryCode string `json:"recovery_code,omitempty"`
}

type webAuthnBeginJSON struct {
	Enrollment string          `json:"enrollment"`
	Options    json.RawMessage `json:"options"`
	ExpiresAt  time.Time       `json:"expires_at"`
}

func (s *Server) beginWebAuthnEnrollment(w http.ResponseWriter, r *http.Request) {
	var req webAuthnBeginRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.Auth.BeginWebAuthnEnrollment(r.Context(), req.Email, req.Password, req.RecoveryCode, s.meta(r, auth.AppAuthenticator))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, webAuthnBeginJSON{Enrollment: out.Token, Options: out.Options, ExpiresAt: out.ExpiresAt.UTC()})
}

type webAuthnFinishRequest struct {
	Enrollment string          `json:"enrollment"`
	Credential json.RawMessage `json:"credential"`
}

func (s *Server) finishWebAuthnEnrollment(w http.ResponseWriter, r *http.Request) {
	var req webAuthnFinishRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.Auth.FinishWebAuthnEnrollment(r.Context(), req.Enrollment, req.Credential, s.meta(r, auth.AppAuthenticator))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, enrolledJSON{DeviceID: out.DeviceID, DeviceToken: out.Token, RecoveryCodes: out.RecoveryCodes})
}

// The device event stream's timing: a stream lives some minutes (the app
// reconnects), sends a comment now and then so proxies keep it open, and
// re-reads the device's requests when woken (a new request or a decision,
// here or, on PostgreSQL, in another process), at the next expiry, and
// otherwise every Server.PushRecheck: the bound on the delay when a
// notification is lost.
const (
	deviceStreamLife = 10 * time.Minute
	deviceHeartbeat  = 15 * time.Second
	deviceRecheck    = 10 * time.Second
)

type closedJSON struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

// deviceEvents is GET /api/v1/authenticator/events: a text/event-stream of
// the device's requests. Each pending request is sent once as a "request"
// event (the JSON of an item of GET /api/v1/authenticator/requests), and
// a "closed" event {id, state} follows when it leaves the pending list:
// approved, denied, reported or expired.
func (s *Server) deviceEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token := deviceToken(r)
	items, woken, release, err := s.Auth.DeviceRequests(ctx, token)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer func() { release() }()
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(deviceStreamLife + 30*time.Second))
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(s string) bool {
		if _, err := fmt.Fprint(w, s); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	event := func(name string, v any) bool {
		b, _ := json.Marshal(v)
		return send("event: " + name + "\ndata: " + string(b) + "\n\n")
	}
	if !send("retry: 3000\n: listening\n\n") {
		return
	}
	recheck := s.PushRecheck
	if recheck <= 0 {
		recheck = deviceRecheck
	}
	life := time.NewTimer(deviceStreamLife)
	defer life.Stop()
	beat := time.NewTicker(deviceHeartbeat)
	defer beat.Stop()
	poll := time.NewTicker(recheck)
	defer poll.Stop()
	known := map[string]time.Time{} // pending requests sent, and their expiry
	for {
		now := s.Auth.Now()
		seen := map[string]bool{}
		for _, it := range items {
			seen[it.ID] = true
			if _, ok := known[it.ID]; ok {
				continue
			}
			known[it.ID] = it.ExpiresAt
			if !event("request", pushItem(it)) {
				return
			}
		}
		for id := range known {
			if seen[id] {
				continue
			}
			state, err := s.Auth.PushRequestState(ctx, token, id)
			if err != nil {
				state = "expired" // gone: cleaned up, or the device signed out
			}
			delete(known, id)
			if !event("closed", closedJSON{ID: id, State: state}) {
				return
			}
		}
		next := recheck
		for _, exp := range known {
			next = min(next, max(exp.Sub(now), 0)+time.Millisecond)
		}
		expiry := time.NewTimer(next)
		read := false
		for !read {
			select {
			case <-ctx.Done():
				expiry.Stop()
				return
			case <-life.C:
				expiry.Stop()
				return
			case <-beat.C:
				if !send(": keep-alive\n\n") {
					expiry.Stop()
					return
				}
			case <-woken:
				read = true
			case <-expiry.C:
				read = true
			case <-poll.C:
				read = true
			}
		}
		expiry.Stop()
		release()
		items, woken, release, err = s.Auth.DeviceRequests(ctx, token)
		if err != nil {
			release = func() {}
		}
		switch {
		case varco.IsCode(err, varco.EUnauthorized):
			// Signed out: the device token is gone.
			send("event: signed_out\ndata: {}\n\n")
			return
		case err != nil:
			if ctx.Err() == nil {
				s.Log.ErrorContext(ctx, "device events", "error", err)
			}
			return
		}
	}
}
