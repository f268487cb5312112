package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"varco.dev/varco"
	"varco.dev/varco/internal/push"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv/softkey"
)

// cancelReplacement is the new device's withdrawal of a replacement.
func (h *harness) cancelReplacement(id string) reply {
	h.t.Helper()
	return h.do("DELETE", "/api/v1/authenticator/enroll/"+id, "", nil)
}

// pushCancelled returns the push_cancelled events of email, newest first.
func (h *harness) pushCancelled(email string) []*varco.Event {
	h.t.Helper()
	a, err := h.app.DB.AccountByEmail(h.t.Context(), email)
	if err != nil {
		h.t.Fatal(err)
	}
	evs, err := h.app.DB.ListEvents(h.t.Context(), store.EventFilter{AccountID: a.ID, Types: []string{varco.EventPushCancelled}, Limit: 10})
	if err != nil {
		h.t.Fatal(err)
	}
	return evs
}

// TestReplaceCancel: the new device withdraws a replacement that waits for
// the old device (the web app's "Cancel"; SPEC §6.1, §6.4). The request
// leaves the old device's list and its event stream says so; the poll
// answers cancelled and finish is refused; push_cancelled is recorded
// once; a new request is accepted at once. Only the replacement's own id
// withdraws it: another account's or an older enrollment's touches
// nothing. Withdrawing twice, or one over already, answers 204; an
// unknown or malformed id 404; an installed replacement 409.
func TestReplaceCancel(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		old := h.enrollWeb("mario@acme.test", marioPW)
		luigi := h.enroll("luigi@other.test", luigiPW) // a command-line device
		events := h.deviceStream(t, old.token)
		requests := func(token string) []pending {
			t.Helper()
			r := h.do("GET", "/api/v1/authenticator/requests", token, nil)
			var out struct {
				Requests []pending `json:"requests"`
			}
			if err := json.Unmarshal(r.raw, &out); err != nil || r.status != http.StatusOK {
				t.Fatalf("requests: %d %s", r.status, r.raw)
			}
			return out.Requests
		}
		// next reads the old device's stream up to its next event that
		// is not a keep-alive.
		next := func() (string, map[string]any) {
			t.Helper()
			name, data := events()
			var v map[string]any
			if err := json.Unmarshal([]byte(data), &v); err != nil {
				t.Fatalf("event %s %q: %v", name, data, err)
			}
			return name, v
		}

		w := h.beginReplacement()
		asked := h.onePending(old.token)
		if name, v := next(); name != "request" || v["id"] != asked.ID || v["purpose"] != push.PurposeReplaceDevice {
			t.Fatalf("the old device's stream: %s %v", name, v)
		}

		t.Run("bad ids", func(t *testing.T) {
			forged := "A" + w.approval[1:]
			if w.approval[0] == 'A' {
				forged = "B" + w.approval[1:]
			}
			for _, id := range []string{forged, "short", w.approval + "A", strings.Repeat("!", 43), w.enrollment} {
				wantError(t, h.cancelReplacement(id), http.StatusNotFound, varco.ENotFound)
			}
			// No id at all is no endpoint.
			wantError(t, h.cancelReplacement(""), http.StatusNotFound, varco.ENotFound)
			if got := requests(old.token); len(got) != 1 || got[0].ID != asked.ID {
				t.Fatalf("after bad ids the old device has %+v", got)
			}
		})

		t.Run("another account's replacement touches nothing here", func(t *testing.T) {
			r := h.do("POST", "/api/v1/authenticator/enroll", "", map[string]string{"email": "luigi@other.test",
				"password": luigiPW, "public_key": "AQ" + strings.Repeat("A", 41)})
			if r.status != http.StatusAccepted || r.str("enrollment") == "" {
				t.Fatalf("luigi's replacement: %d %s", r.status, r.raw)
			}
			if r := h.cancelReplacement(r.str("enrollment")); r.status != http.StatusNoContent || len(r.raw) != 0 {
				t.Fatalf("cancel luigi's: %d %s", r.status, r.raw)
			}
			if got := requests(luigi); len(got) != 0 {
				t.Fatalf("luigi's device still has %+v", got)
			}
			if got := requests(old.token); len(got) != 1 || got[0].ID != asked.ID {
				t.Fatalf("mario's device has %+v", got)
			}
			if evs := h.pushCancelled("mario@acme.test"); len(evs) != 0 {
				t.Fatalf("mario's push_cancelled %+v", evs)
			}
		})

		t.Run("withdrawn: gone from the old device, refused, and a new request at once", func(t *testing.T) {
			if r := h.cancelReplacement(w.approval); r.status != http.StatusNoContent || len(r.raw) != 0 {
				t.Fatalf("cancel: %d %s", r.status, r.raw)
			}
			if name, v := next(); name != "closed" || v["id"] != asked.ID || v["state"] != push.StatusCancelled {
				t.Fatalf("the old device's stream after the cancel: %s %v", name, v)
			}
			if got := requests(old.token); len(got) != 0 {
				t.Fatalf("the old device still lists %+v", got)
			}
			if r := h.pollReplacement(w); r.str("state") != "cancelled" {
				t.Fatalf("poll after the cancel: %s", r.raw)
			}
			// The old device can no longer answer it.
			wantError(t, h.decideWeb(old.token, asked.ID, push.DecisionApprove, w.number,
				old.assert(t, asked.challenge(push.DecisionApprove, w.number), softkey.Options{})), http.StatusConflict, varco.EPushAnswered)
			r, _ := h.finishReplacement(w)
			wantError(t, r, http.StatusForbidden, varco.EForbidden)
			evs := h.pushCancelled("mario@acme.test")
			if len(evs) != 1 || evs[0].Detail != push.PurposeReplaceDevice || evs[0].Outcome != varco.OutcomeSuccess {
				t.Fatalf("push_cancelled %+v", evs)
			}

			// Twice: nothing more happens.
			if r := h.cancelReplacement(w.approval); r.status != http.StatusNoContent {
				t.Fatalf("cancel twice: %d %s", r.status, r.raw)
			}
			if evs := h.pushCancelled("mario@acme.test"); len(evs) != 1 {
				t.Fatalf("push_cancelled after the second cancel: %+v", evs)
			}

			// A new request at once, not push_rate_limited; the older
			// enrollment's id does not withdraw it.
			w2 := h.beginReplacement()
			again := h.onePending(old.token)
			if name, v := next(); name != "request" || v["id"] != again.ID {
				t.Fatalf("the old device's stream: %s %v", name, v)
			}
			if r := h.cancelReplacement(w.approval); r.status != http.StatusNoContent {
				t.Fatalf("cancel the old one again: %d %s", r.status, r.raw)
			}
			if got := requests(old.token); len(got) != 1 || got[0].ID != again.ID {
				t.Fatalf("the new request after the old id's cancel: %+v", got)
			}

			// Approved but not finished: withdrawing it still wins.
			h.answer(old, push.DecisionApprove, w2.number)
			if name, v := next(); name != "closed" || v["state"] != push.StatusApproved {
				t.Fatalf("the old device's stream after approving: %s %v", name, v)
			}
			if r := h.pollReplacement(w2); r.str("state") != "approved" {
				t.Fatalf("poll after the approval: %s", r.raw)
			}
			if r := h.cancelReplacement(w2.approval); r.status != http.StatusNoContent {
				t.Fatalf("cancel an approved replacement: %d %s", r.status, r.raw)
			}
			if r := h.pollReplacement(w2); r.str("state") != "cancelled" {
				t.Fatalf("poll after cancelling the approved one: %s", r.raw)
			}
			r, _ = h.finishReplacement(w2)
			wantError(t, r, http.StatusForbidden, varco.EForbidden)
			if evs := h.pushCancelled("mario@acme.test"); len(evs) != 2 || evs[0].Detail != push.PurposeReplaceDevice+" approved" {
				t.Fatalf("push_cancelled %+v", evs)
			}
			if got := requests(old.token); got == nil {
				t.Fatal("the old device is gone")
			}

			// Installed: nothing to withdraw.
			w3 := h.beginReplacement()
			h.answer(old, push.DecisionApprove, w3.number)
			if r, _ := h.finishReplacement(w3); r.status != http.StatusCreated {
				t.Fatalf("finish: %d %s", r.status, r.raw)
			}
			wantError(t, h.cancelReplacement(w3.approval), http.StatusConflict, varco.EConflict)
		})
	})
}
