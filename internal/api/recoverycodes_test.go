package api_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/api"
	"varco.dev/varco/internal/push"
	"varco.dev/varco/internal/testenv/smtpsink"
	"varco.dev/varco/internal/testenv/softkey"
)

// replaceWithCode enrolls a new command-line device for mario with a
// recovery code and answers the reply.
func (h *harness) replaceWithCode(code string) reply {
	h.t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.do("POST", "/api/v1/authenticator/enroll", "", map[string]string{"email": "mario@acme.test", "password": marioPW,
		"public_key": base64.RawURLEncoding.EncodeToString(pub), "recovery_code": code})
}

// TestRegenerateRecoveryCodes: new recovery codes need an approval on the
// device (SPEC §6.1 "regenerable", like turning 2-step verification off,
// §6.5): no approval, no codes; once approved, the first poll replaces
// every code with 10 new ones and shows them, once; the old codes stop
// working and a new one works once; a denial or a wrong number gives none.
func TestRegenerateRecoveryCodes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		session := h.login("mario@acme.test", marioPW)
		other := h.login("luigi@other.test", luigiPW)

		// Without 2-step verification there is nothing to regenerate.
		wantError(t, h.do("POST", "/api/v1/me/two-factor/recovery-codes", session, nil), http.StatusConflict, "two_factor_off")

		dev := h.enrollWeb("mario@acme.test", marioPW)
		r := h.do("POST", "/api/v1/me/two-factor/recovery-codes", session, nil)
		flow, number := r.str("flow"), r.str("number")
		if r.status != http.StatusAccepted || flow == "" || len(number) != 3 {
			t.Fatalf("new codes: %d %s", r.status, r.raw)
		}
		// No approval yet: no codes.
		r = h.do("GET", "/api/v1/me/two-factor/recovery-codes/"+flow, session, nil)
		if r.status != 200 || r.str("state") != "approval_required" || r.body["recovery_codes"] != nil || r.str("expires_at") == "" {
			t.Fatalf("before the approval: %d %s", r.status, r.raw)
		}
		// Another account does not see the request.
		wantError(t, h.do("GET", "/api/v1/me/two-factor/recovery-codes/"+flow, other, nil), http.StatusNotFound, "push_request_not_found")

		p := h.onePending(dev.token)
		if r := h.decideWeb(dev.token, p.ID, push.DecisionApprove, number,
			dev.assert(t, p.challenge(push.DecisionApprove, number), softkey.Options{})); r.status != 200 || r.str("status") != "approved" {
			t.Fatalf("approval: %d %s", r.status, r.raw)
		}
		r = h.do("GET", "/api/v1/me/two-factor/recovery-codes/"+flow, session, nil)
		codes, _ := r.body["recovery_codes"].([]any)
		if r.status != 200 || r.str("state") != "regenerated" || len(codes) != 10 || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("after the approval: %d %v %s", r.status, r.header, r.raw)
		}
		// Shown once.
		wantError(t, h.do("GET", "/api/v1/me/two-factor/recovery-codes/"+flow, session, nil), http.StatusNotFound, "push_request_not_found")
		if ev := h.lastEvent("mario@acme.test", varco.EventRecoveryCodesRegenerated); ev == nil || ev.Outcome != varco.OutcomeSuccess {
			t.Fatalf("event %+v", ev)
		}
		// A change to 2-step verification e-mails the user (SPEC §6.5).
		if m := h.sink.Wait(t, smtpsink.EventIs(varco.EventRecoveryCodesRegenerated), wait); !strings.Contains(m.Text, "mario@acme.test") {
			t.Fatalf("e-mail text %q", m.Text)
		}
		if r := h.do("GET", "/api/v1/me/two-factor", session, nil); r.body["enabled"] != true {
			t.Fatalf("2-step verification: %s", r.raw)
		}

		// A denial and a wrong number give no codes.
		for _, tc := range []struct{ decision, number string }{{push.DecisionDeny, ""}, {push.DecisionApprove, "999"}} {
			h.clock.Advance(time.Minute) // past the wait a denial sets
			r := h.do("POST", "/api/v1/me/two-factor/recovery-codes", session, nil)
			if r.status != http.StatusAccepted {
				t.Fatalf("new codes again: %d %s", r.status, r.raw)
			}
			f, n := r.str("flow"), tc.number
			if tc.decision == push.DecisionApprove && n == r.str("number") {
				n = "998"
			}
			p := h.onePending(dev.token)
			h.decideWeb(dev.token, p.ID, tc.decision, n, dev.assert(t, p.challenge(tc.decision, n), softkey.Options{}))
			r = h.do("GET", "/api/v1/me/two-factor/recovery-codes/"+f, session, nil)
			if r.status != 200 || r.str("state") != "push_denied" || r.body["recovery_codes"] != nil {
				t.Fatalf("%s %q: %d %s", tc.decision, n, r.status, r.raw)
			}
		}

		// Unanswered within 2 minutes, or approved but not collected
		// within 15: expired, no codes.
		h.clock.Advance(time.Minute)
		r = h.do("POST", "/api/v1/me/two-factor/recovery-codes", session, nil)
		h.clock.Advance(2*time.Minute + time.Second)
		if r := h.do("GET", "/api/v1/me/two-factor/recovery-codes/"+r.str("flow"), session, nil); r.status != 200 || r.str("state") != "expired" {
			t.Fatalf("unanswered: %d %s", r.status, r.raw)
		}
		h.clock.Advance(time.Minute)
		r = h.do("POST", "/api/v1/me/two-factor/recovery-codes", session, nil)
		late, n := r.str("flow"), r.str("number")
		p = h.onePending(dev.token)
		h.decideWeb(dev.token, p.ID, push.DecisionApprove, n, dev.assert(t, p.challenge(push.DecisionApprove, n), softkey.Options{}))
		h.clock.Advance(15 * time.Minute)
		if r := h.do("GET", "/api/v1/me/two-factor/recovery-codes/"+late, session, nil); r.status != 200 || r.str("state") != "expired" || r.body["recovery_codes"] != nil {
			t.Fatalf("collected late: %d %s", r.status, r.raw)
		}

		// The old codes stop working; a new one works, once.
		wantError(t, h.replaceWithCode(dev.codes[0].(string)), http.StatusUnauthorized, "invalid_recovery_code")
		if r := h.replaceWithCode(codes[0].(string)); r.status != http.StatusCreated {
			t.Fatalf("a new code: %d %s", r.status, r.raw)
		}
		wantError(t, h.replaceWithCode(codes[0].(string)), http.StatusUnauthorized, "invalid_recovery_code")
	})
}

// TestDeviceEventsCollectedRequest: a request the device approved and
// whose outcome was then collected (new recovery codes; stored as used,
// so that the codes are given once) closes on the device's event stream
// with state approved, one of the states the stream documents: what the
// device decided, whether the stream reads it before the collection or
// after.
func TestDeviceEventsCollectedRequest(t *testing.T) {
	forEachEngineWith(t, newStreamHarness, func(t *testing.T, h *harness) {
		standard(h)
		session := h.login("mario@acme.test", marioPW)
		dev := h.enrollWeb("mario@acme.test", marioPW)
		next := h.deviceStream(t, dev.token)

		r := h.do("POST", "/api/v1/me/two-factor/recovery-codes", session, nil)
		flow, number := r.str("flow"), r.str("number")
		if r.status != http.StatusAccepted {
			t.Fatalf("new codes: %d %s", r.status, r.raw)
		}
		name, data := next()
		var p pending
		if err := json.Unmarshal([]byte(data), &p); name != "request" || err != nil {
			t.Fatalf("first event %s %s", name, data)
		}
		if r := h.decideWeb(dev.token, p.ID, push.DecisionApprove, number,
			dev.assert(t, p.challenge(push.DecisionApprove, number), softkey.Options{})); r.status != 200 {
			t.Fatalf("approval: %d %s", r.status, r.raw)
		}
		if r := h.do("GET", "/api/v1/me/two-factor/recovery-codes/"+flow, session, nil); r.status != 200 || r.str("state") != "regenerated" {
			t.Fatalf("collect: %d %s", r.status, r.raw)
		}
		closed := `{"id":"` + p.ID + `","state":"approved"}`
		// The live stream read it when the approval woke it, before the
		// collection or after.
		if name, data := next(); name != "closed" || data != closed {
			t.Fatalf("second event %s %s", name, data)
		}
		// A stream that reads it only now, collected: approved, not used.
		got, err := (&api.Server{Auth: h.app.Auth}).DeviceStreamUpdate(context.Background(), dev.token, p.ID)
		if want := "event: closed\ndata: " + closed + "\n\n"; err != nil || got != want {
			t.Fatalf("a stream reading after the collection: %q %v, want %q", got, err, want)
		}
	})
}
