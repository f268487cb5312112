package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/auth"
	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/sse"
)

// The authenticator web app's routes (SPEC §6.1, §6.6, §6.7): its
// two-step WebAuthn enrollment and the device's event stream.

type webAuthnBeginRequest struct {
	Email              string `json:"email"`
	Password           string `json:"password"`
	RecoveryCode       string `json:"recovery_code,omitempty"`
	ApproveOnOldDevice bool   `json:"approve_on_old_device,omitempty"`
}

type webAuthnBeginJSON struct {
	Enrollment string          `json:"enrollment"`
	Options    json.RawMessage `json:"options"`
	ExpiresAt  time.Time       `json:"expires_at"`
	// While the old device is asked (202): approval_required, the id to
	// poll GET /api/v1/authenticator/enroll/{enrollment} with, the number
	// to type on the old device and the request's expiry.
	State             string     `json:"state,omitempty"`
	Approval          string     `json:"approval,omitempty"`
	Number            string     `json:"number,omitempty"`
	ApprovalExpiresAt *time.Time `json:"approval_expires_at,omitempty"`
}

func (s *Server) beginWebAuthnEnrollment(w http.ResponseWriter, r *http.Request) {
	var req webAuthnBeginRequest
	if err := httpx.DecodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	b := auth.WebAuthnBegin{Email: req.Email, Password: req.Password, RecoveryCode: req.RecoveryCode, ApproveOnOldDevice: req.ApproveOnOldDevice}
	out, err := s.Auth.BeginWebAuthnEnrollment(r.Context(), b, s.meta(r, auth.AppAuthenticator))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := webAuthnBeginJSON{Enrollment: out.Token, Options: out.Options, ExpiresAt: out.ExpiresAt.UTC()}
	if p := out.Approval; p != nil {
		exp := p.ExpiresAt.UTC()
		res.State, res.Approval, res.Number, res.ApprovalExpiresAt = auth.EnrollApprovalRequired, p.Enrollment, p.Number, &exp
		httpx.WriteJSON(w, http.StatusAccepted, res)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, res)
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
// approved (also once its outcome was collected), denied, reported,
// cancelled (a replacement the new device withdrew) or expired; "signed_out" ends the stream
// when the device is gone. Once the device's requests are read, the
// stream waits in the hub (internal/sse), without this handler's
// goroutine where the connection can be hijacked, and is read again
// when its account's requests change (here or, on PostgreSQL, in another
// process), at the next expiry, and otherwise every Server.PushRecheck.
func (s *Server) deviceEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if s.Streams == nil {
		s.fail(w, r, errors.New("device events: no event-stream hub"))
		return
	}
	// A copy: the header's value would keep the whole request's headers
	// alive for the stream's life.
	token := strings.Clone(deviceToken(r))
	since := time.Now()
	account, items, err := s.Auth.DevicePending(ctx, token)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	recheck := s.PushRecheck
	if recheck <= 0 {
		recheck = deviceRecheck
	}
	st := &deviceStream{s: s, token: token, account: account, known: map[string]time.Time{}}
	first := append([]byte("retry: 3000\n: listening\n\n"), st.update(ctx, items)...)
	s.Streams.Serve(w, r, sse.Subscription{Key: account, Since: since, First: first, Life: deviceStreamLife,
		Recheck: recheck, Next: st.next(), Stream: st})
}

// deviceStream is what a device's event stream waits for: changes to its
// requests. The hub never runs two Checks of one stream at once.
type deviceStream struct {
	s       *Server
	token   string
	account int64
	known   map[string]time.Time // pending requests sent, and their expiry
}

// signedOutEvent ends the stream of a device that is gone; replacedEvent
// of one gone because another device took its place (SPEC §6.1), while
// 2-step verification stays on.
var (
	signedOutEvent = []byte("event: signed_out\ndata: {}\n\n")
	replacedEvent  = []byte("event: signed_out\ndata: {\"replaced\":true}\n\n")
)

// Check re-reads the device's pending requests and writes what changed.
func (d *deviceStream) Check(ctx context.Context) (sse.Result, error) {
	_, items, err := d.s.Auth.DevicePending(ctx, d.token)
	if varco.IsCode(err, varco.EUnauthorized) {
		// The device token is gone.
		replaced, err := d.s.Auth.HasDevice(ctx, d.account)
		if err != nil {
			return sse.Result{}, err
		}
		if replaced {
			return sse.Result{Event: replacedEvent, Done: true}, nil
		}
		return sse.Result{Event: signedOutEvent, Done: true}, nil
	}
	if err != nil {
		return sse.Result{}, err
	}
	return sse.Result{Event: d.update(ctx, items), Next: d.next()}, nil
}

// update returns the events that bring the app from what it was sent to
// items: a "request" for each new one, a "closed" for each gone.
func (d *deviceStream) update(ctx context.Context, items []auth.PushItem) []byte {
	var b []byte
	event := func(name string, v any) {
		j, _ := json.Marshal(v)
		b = append(b, "event: "+name+"\ndata: "...)
		b = append(b, j...)
		b = append(b, "\n\n"...)
	}
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		seen[it.ID] = true
		if _, ok := d.known[it.ID]; ok {
			continue
		}
		d.known[it.ID] = it.ExpiresAt
		event("request", pushItem(it))
	}
	for id := range d.known {
		if seen[id] {
			continue
		}
		state, err := d.s.Auth.PushRequestState(ctx, d.token, id)
		if err != nil {
			state = "expired" // gone: cleaned up, or the device signed out
		}
		delete(d.known, id)
		event("closed", closedJSON{ID: id, State: state})
	}
	return b
}

// next is when the stream must be read again at the latest: just after
// the first expiry of a request it sent (0: none, the hub's Recheck).
func (d *deviceStream) next() time.Duration {
	now := d.s.Auth.Now()
	var next time.Duration
	for _, exp := range d.known {
		if n := max(exp.Sub(now), 0) + time.Millisecond; next == 0 || n < next {
			next = n
		}
	}
	return next
}
