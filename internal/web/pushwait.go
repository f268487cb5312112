package web

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/auth"
	"varco.dev/varco/internal/sse"
)

// The sign-in of an account with 2-step verification waits on
// /login/push for the authenticator's approval (SPEC §6.2): the page shows
// the number to type on the device and, with JavaScript, continues by
// itself when the event stream /login/push/events says the request was
// answered; without it, the "I approved it" button checks again. The
// flow id stays in the flow cookie, as for the step-up.

//go:embed static/push.js
var pushJS []byte

var pushJSVersion = func() string {
	sum := sha256.Sum256(pushJS)
	return hex.EncodeToString(sum[:8])
}()

// The event stream's timing: a stream lives a little longer than a
// request (2 minutes), sends a comment now and then so proxies keep it
// open (the hub's heartbeat), and re-reads its flow when woken by a
// decision (taken in this process or, on PostgreSQL, notified by
// another), at the request's expiry, and otherwise every pushRecheck (Deps.PushRecheck): the bound
// when a notification is lost and nothing else wakes the stream (a
// listener reconnecting wakes every stream itself). With 10,000 waiting
// pages, a re-check every 10 s was 1,000 reads a second that delayed the
// reads decisions wait for (docs/performance.md, "Push").
const (
	pushStreamLife = 2*time.Minute + 30*time.Second
	pushRecheck    = 30 * time.Second
)

type pushWaitData struct {
	Number      string
	Application string
	Time        time.Time
	ExpiresAt   time.Time
	Script      string
}

// pushForm shows the number to type on the device while the request is
// pending; an answered or expired one ends here as on the button.
func (h *Handler) pushForm(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "pushwait.title", "login")
	wt, ok := h.pushWaiting(w, r, rq)
	if !ok {
		return
	}
	switch wt.State {
	case varco.StatePushDenied, varco.StateExpired:
		h.pushEnded(w, r, rq, wt.State)
		return
	}
	h.pushPage(w, r, p, http.StatusOK, wt)
}

// pushCheck is the "I approved it" button, pressed by the page's script
// once the stream says the request was answered: an approval opens the
// session as the sign-in form does; a pending request shows the page
// again; a denial or an expiry ends the flow with its message.
func (h *Handler) pushCheck(w http.ResponseWriter, r *http.Request, rq *request) {
	p := h.newPage(r, rq, "pushwait.title", "login")
	id := flowID(r)
	if id == "" {
		h.signInAgain(w, r)
		return
	}
	if err := parseForm(w, r); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	st, err := h.auth.Flow(r.Context(), id)
	switch {
	case varco.IsCode(err, varco.EFlowNotFound):
		h.signInAgain(w, r)
		return
	case err != nil:
		h.fail(w, r, rq, err)
		return
	}
	switch st.State {
	case varco.StatePushRequired:
		wt, ok := h.pushWaiting(w, r, rq)
		if !ok {
			return
		}
		p.Notice = p.T("pushwait.not_yet")
		h.pushPage(w, r, p, http.StatusOK, wt)
	case varco.StatePushDenied, varco.StateExpired:
		h.pushEnded(w, r, rq, st.State)
	case varco.StateAuthenticated, varco.StatePasswordChangeRequired:
		res := st.Login
		if res == nil || res.Token == "" {
			// The session was opened by an earlier check.
			h.signInAgain(w, r)
			return
		}
		h.clearFlowCookie(w)
		h.signedIn(w, r, res, h.targetFromCookie(r))
	default:
		h.signInAgain(w, r)
	}
}

// pushWaiting reads the waiting flow of the cookie; a missing or finished
// flow sends the browser back to the sign-in form, and false.
func (h *Handler) pushWaiting(w http.ResponseWriter, r *http.Request, rq *request) (*auth.PushWaiting, bool) {
	id := flowID(r)
	if id == "" {
		h.signInAgain(w, r)
		return nil, false
	}
	wt, err := h.auth.PushWait(r.Context(), id)
	switch {
	case varco.IsCode(err, varco.EFlowNotFound):
		h.signInAgain(w, r)
		return nil, false
	case err != nil:
		h.fail(w, r, rq, err)
		return nil, false
	}
	return wt, true
}

func (h *Handler) pushPage(w http.ResponseWriter, r *http.Request, p *page, status int, wt *auth.PushWaiting) {
	p.Data = pushWaitData{Number: wt.Number, Application: wt.Application, Time: wt.Time, ExpiresAt: wt.ExpiresAt,
		Script: "/static/push.js?v=" + pushJSVersion}
	h.render(w, r, status, "pushwait", p)
}

// pushEnded ends a denied or expired flow: the sign-in form again, with
// what happened.
func (h *Handler) pushEnded(w http.ResponseWriter, r *http.Request, rq *request, state string) {
	h.clearFlowCookie(w)
	p := h.newPage(r, rq, "login.title", "login")
	p.Data = h.loginData(p, h.targetFromCookie(r), "")
	status := http.StatusOK
	if state == varco.StatePushDenied {
		p.Error = p.T("pushwait.denied")
		status = http.StatusForbidden
	} else {
		p.Error = p.T("pushwait.expired")
	}
	h.render(w, r, status, "login", p)
}

// pushEvents is the waiting page's server-sent-events stream: one "state"
// event (push_approved, push_denied or expired) once the request is
// answered or expires, then the stream ends. A browser without a waiting
// flow gets 204, which stops EventSource from reconnecting. Once the flow
// is read, the stream waits in the hub (internal/sse), without this
// handler's goroutine where the connection can be hijacked.
func (h *Handler) pushEvents(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	// A copy: the cookie's value would keep the whole header alive for
	// the stream's life.
	id := strings.Clone(flowID(r))
	since := time.Now()
	wt, err := h.pushWaitShallow(ctx, id)
	if err != nil {
		if !varco.IsCode(err, varco.EFlowNotFound) && ctx.Err() == nil {
			h.log.ErrorContext(ctx, "push events", "error", err)
		}
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if wt.State != varco.StatePushRequired {
		since = time.Time{} // answered already: the hub checks at once
	}
	// Only the decisions of this account wake this stream; one taken
	// since the read above has the hub check it at once.
	h.streams.Serve(w, r, sse.Subscription{Key: wt.AccountID, Since: since, First: pushFirst, Life: pushStreamLife,
		Recheck: h.recheck, Next: max(wt.ExpiresAt.Sub(h.clock.Now()), time.Millisecond), Stream: &pushStream{h: h, flow: id}})
}

var pushFirst = []byte("retry: 5000\n: waiting\n\n")

// pushStream is what a waiting page's stream waits for: its flow.
type pushStream struct {
	h    *Handler
	flow string
}

// Check re-reads the flow: while the request is pending nothing is
// written and the next check is at its expiry at the latest; then its
// state is the stream's one event.
func (s *pushStream) Check(ctx context.Context) (sse.Result, error) {
	wt, err := s.h.auth.PushWait(ctx, s.flow)
	switch {
	case varco.IsCode(err, varco.EFlowNotFound):
		// Finished elsewhere (e.g. by the button): the page checks.
		wt = &auth.PushWaiting{State: varco.StateExpired}
	case err != nil:
		return sse.Result{}, err
	}
	if wt.State != varco.StatePushRequired {
		return sse.Result{Event: []byte("event: state\ndata: " + wt.State + "\n\n"), Done: true}, nil
	}
	return sse.Result{Next: max(wt.ExpiresAt.Sub(s.h.clock.Now()), time.Millisecond)}, nil
}

// pushWaitShallow is PushWait on a goroutine of its own. A database read
// runs deep (the SQLite driver most of all), and a goroutine whose stack
// grew for it keeps that stack while it waits; with thousands of waiting
// pages that was most of their memory (docs/performance.md, "Push"). The
// short-lived goroutine's stack goes back to the runtime when it ends.
// Since the hub, this matters where the handler holds its stream (HTTP/2);
// a hijacked stream's handler returns anyway.
func (h *Handler) pushWaitShallow(ctx context.Context, id string) (*auth.PushWaiting, error) {
	type result struct {
		wt  *auth.PushWaiting
		err error
	}
	done := make(chan result, 1)
	go func() {
		wt, err := h.auth.PushWait(ctx, id)
		done <- result{wt, err}
	}()
	r := <-done
	return r.wt, r.err
}

func (h *Handler) pushScript(w http.ResponseWriter, r *http.Request) {
	serveAsset(w, r, "text/javascript; charset=utf-8", cacheForGood, `"`+pushJSVersion+`"`, pushJS)
}
