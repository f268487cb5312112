package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/push"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/smtpsink"
	"varco.dev/varco/internal/testenv/softkey"
)

// webReplacement is a web app enrollment that asked the old device.
type webReplacement struct {
	enrollment string // the WebAuthn enrollment's token
	options    []byte
	approval   string // the id the app polls
	number     string
}

// beginReplacement starts a web app enrollment of mario that asks the
// old device to approve it.
func (h *harness) beginReplacement() webReplacement {
	h.t.Helper()
	return h.beginReplacementOf("mario@acme.test", marioPW)
}

// beginReplacementOf starts a web app enrollment of email that asks the
// old device to approve it.
func (h *harness) beginReplacementOf(email, pw string) webReplacement {
	h.t.Helper()
	r := h.do("POST", "/api/v1/authenticator/webauthn/enroll/begin", "",
		map[string]any{"email": email, "password": pw, "approve_on_old_device": true})
	var out struct {
		Options json.RawMessage `json:"options"`
	}
	_ = json.Unmarshal(r.raw, &out)
	w := webReplacement{enrollment: r.str("enrollment"), options: out.Options, approval: r.str("approval"), number: r.str("number")}
	if r.status != http.StatusAccepted || r.str("state") != "approval_required" || w.enrollment == "" || w.approval == "" ||
		len(w.number) != 3 || r.str("approval_expires_at") == "" || len(w.options) == 0 {
		h.t.Fatalf("begin a replacement: %d %s", r.status, r.raw)
	}
	return w
}

// poll answers the state of the replacement as the app polls it.
func (h *harness) pollReplacement(w webReplacement) reply {
	h.t.Helper()
	r := h.do("GET", "/api/v1/authenticator/enroll/"+w.approval, "", nil)
	if r.status != http.StatusOK {
		h.t.Fatalf("poll the replacement: %d %s", r.status, r.raw)
	}
	return r
}

// finishReplacement registers a new credential for w and finishes it.
func (h *harness) finishReplacement(w webReplacement) (reply, *softkey.Key) {
	h.t.Helper()
	key, cred, err := softkey.Register(w.options, appOrigin, softkey.Options{})
	if err != nil {
		h.t.Fatal(err)
	}
	return h.finishWebAuthn(w.enrollment, cred), key
}

// answer has the device with token answer its one pending request, of
// purpose replace_device.
func (h *harness) answer(dev *webDevice, decision, number string) {
	h.t.Helper()
	p := h.onePending(dev.token)
	r := h.do("GET", "/api/v1/authenticator/requests", dev.token, nil)
	var out struct {
		Requests []struct {
			Purpose string `json:"purpose"`
		} `json:"requests"`
	}
	if err := json.Unmarshal(r.raw, &out); err != nil || out.Requests[0].Purpose != push.PurposeReplaceDevice {
		h.t.Fatalf("the old device's request: %s", r.raw)
	}
	if r := h.decideWeb(dev.token, p.ID, decision, number, dev.assert(h.t, p.challenge(decision, number), softkey.Options{})); r.status != 200 {
		h.t.Fatalf("%s: %d %s", decision, r.status, r.raw)
	}
}

// TestWebAuthnReplaceOnOldDevice: the web app replaces the account's
// device with an approval on the old one, as the command-line
// authenticator does (SPEC §6.1): the old device gets a request of
// purpose replace_device; only that request's approval, taken once, lets
// this enrollment through; a denial, an expiry or a pending request
// leave the old device in place.
func TestWebAuthnReplaceOnOldDevice(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		old := h.enrollWeb("mario@acme.test", marioPW)
		stillOld := func(when string) {
			t.Helper()
			if r := h.do("GET", "/api/v1/authenticator/requests", old.token, nil); r.status != http.StatusOK {
				t.Fatalf("%s: the old device is gone: %d %s", when, r.status, r.raw)
			}
		}
		// Past the waits that denied and unanswered requests set.
		later := func() { h.clock.Advance(16 * time.Minute) }

		// Without a device there is nothing to approve: an ordinary
		// enrollment.
		r := h.do("POST", "/api/v1/authenticator/webauthn/enroll/begin", "",
			map[string]any{"email": "luigi@other.test", "password": luigiPW, "approve_on_old_device": true})
		if r.status != http.StatusOK || r.str("enrollment") == "" || r.str("approval") != "" {
			t.Fatalf("begin without a device: %d %s", r.status, r.raw)
		}

		// One way to replace, not both; the sign-in is still needed,
		// and a wrong password asks nothing of the old device.
		wantError(t, h.do("POST", "/api/v1/authenticator/webauthn/enroll/begin", "", map[string]any{"email": "mario@acme.test",
			"password": marioPW, "approve_on_old_device": true, "recovery_code": old.codes[0]}), http.StatusBadRequest, varco.EInvalid)
		wantError(t, h.do("POST", "/api/v1/authenticator/webauthn/enroll/begin", "", map[string]any{"email": "mario@acme.test",
			"password": "wrong-Password-1", "approve_on_old_device": true}), http.StatusUnauthorized, varco.EInvalidCredentials)
		if r := h.do("GET", "/api/v1/authenticator/requests", old.token, nil); r.status != 200 || len(r.body["requests"].([]any)) != 0 {
			t.Fatalf("requests after a wrong password: %s", r.raw)
		}

		t.Run("pending, then denied: refused", func(t *testing.T) {
			w := h.beginReplacement()
			if r := h.pollReplacement(w); r.str("state") != "approval_required" || r.str("expires_at") == "" {
				t.Fatalf("before the answer: %s", r.raw)
			}
			// Finishing before the approval is refused, and spends the
			// enrollment.
			r, _ := h.finishReplacement(w)
			wantError(t, r, http.StatusForbidden, varco.EForbidden)
			r, _ = h.finishReplacement(w)
			wantError(t, r, http.StatusBadRequest, varco.EInvalidOrExpiredToken)
			stillOld("finished before the approval")

			later()
			w = h.beginReplacement()
			h.answer(old, push.DecisionDeny, "")
			if r := h.pollReplacement(w); r.str("state") != "push_denied" {
				t.Fatalf("after the denial: %s", r.raw)
			}
			r, _ = h.finishReplacement(w)
			wantError(t, r, http.StatusForbidden, varco.EForbidden)
			stillOld("denied")
		})

		t.Run("expired: refused", func(t *testing.T) {
			later()
			w := h.beginReplacement()
			h.clock.Advance(2*time.Minute + time.Second)
			if r := h.pollReplacement(w); r.str("state") != "expired" {
				t.Fatalf("unanswered: %s", r.raw)
			}
			r, _ := h.finishReplacement(w)
			wantError(t, r, http.StatusForbidden, varco.EForbidden)
			stillOld("expired")
			if ev := h.lastEvent("mario@acme.test", varco.EventPushExpired); ev == nil || ev.Detail != push.PurposeReplaceDevice {
				t.Fatalf("push_expired event %+v", ev)
			}
		})

		t.Run("[seed] 6.1 one device per account: approved on the old device, the new one replaces the old, once", func(t *testing.T) {
			later()
			approved := h.beginReplacement()
			h.answer(old, push.DecisionApprove, approved.number)
			// The poll says approved and installs nothing: the app
			// registers its credential now.
			if r := h.pollReplacement(approved); r.str("state") != "approved" || r.str("device_token") != "" {
				t.Fatalf("after the approval: %s", r.raw)
			}
			stillOld("approved, not yet finished")

			// The approval of another request does not count: an
			// enrollment started meanwhile still waits for its own.
			other := h.beginReplacement()
			r, _ := h.finishReplacement(other)
			wantError(t, r, http.StatusForbidden, varco.EForbidden)
			stillOld("another enrollment finished")

			// The old device's open event stream hears of its replacement.
			events := h.deviceStream(t, old.token)
			r, key := h.finishReplacement(approved)
			codes, _ := r.body["recovery_codes"].([]any)
			if r.status != http.StatusCreated || r.str("device_token") == "" || len(codes) != 10 {
				t.Fatalf("finish the approved replacement: %d %s", r.status, r.raw)
			}
			dev := &webDevice{token: r.str("device_token"), key: key, codes: codes}
			for {
				name, data := events()
				if name == "signed_out" {
					if data != `{"replaced":true}` {
						t.Fatalf("the old device's stream ended with %s", data)
					}
					break
				}
			}
			// Used once.
			r, _ = h.finishReplacement(approved)
			wantError(t, r, http.StatusBadRequest, varco.EInvalidOrExpiredToken)
			if r := h.pollReplacement(approved); r.str("state") != "enrolled" || r.str("device_token") != "" {
				t.Fatalf("poll after the replacement: %s", r.raw)
			}

			// The new credential is the account's device, the old one is gone.
			wantError(t, h.do("GET", "/api/v1/authenticator/requests", old.token, nil), http.StatusUnauthorized, varco.EUnauthorized)
			raw := testenv.RawDB(t, h.cfg.DatabaseURL)
			var devices int
			if err := raw.QueryRow(`SELECT COUNT(*) FROM push_devices WHERE kind = 'webauthn' AND account_id =
				(SELECT id FROM accounts WHERE email = 'mario@acme.test')`).Scan(&devices); err != nil || devices != 1 {
				t.Fatalf("%d devices (%v)", devices, err)
			}
			if ev := h.lastEvent("mario@acme.test", varco.EventDeviceRemoved); ev == nil || ev.Detail != "replaced with an approval on the old device" {
				t.Fatalf("device_removed %+v", ev)
			}
			if ev := h.lastEvent("mario@acme.test", varco.EventDeviceEnrolled); ev == nil || ev.Detail != push.KindWebAuthn {
				t.Fatalf("device_enrolled %+v", ev)
			}
			h.sink.Wait(t, smtpsink.EventIs(varco.EventTwoFactorEnabled), wait)

			// The new device approves sign-ins.
			later()
			flow, number := h.startLogin("mario@acme.test", marioPW)
			p := h.onePending(dev.token)
			if r := h.decideWeb(dev.token, p.ID, push.DecisionApprove, number,
				dev.assert(t, p.challenge(push.DecisionApprove, number), softkey.Options{})); r.status != 200 {
				t.Fatalf("approve with the new device: %d %s", r.status, r.raw)
			}
			if r := h.do("GET", "/api/v1/login/"+flow, "", nil); r.str("state") != "authenticated" {
				t.Fatalf("sign-in approved by the new device: %s", r.raw)
			}
		})
	})
}
