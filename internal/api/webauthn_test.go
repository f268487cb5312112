package api_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"varco.dev/varco/internal/push"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/fixture"
	"varco.dev/varco/internal/testenv/softkey"
)

// The web app's origin in the harness: its public URL.
const appOrigin = "http://varco.test"

// webDevice is an enrolled web app device: its token and its WebAuthn key.
type webDevice struct {
	token string
	key   *softkey.Key
	codes []any
}

// beginWebAuthn starts a web app enrollment and returns its token and
// creation options.
func (h *harness) beginWebAuthn(email, pw, recovery string) (string, []byte) {
	h.t.Helper()
	body := map[string]string{"email": email, "password": pw}
	if recovery != "" {
		body["recovery_code"] = recovery
	}
	r := h.do("POST", "/api/v1/authenticator/webauthn/enroll/begin", "", body)
	if r.status != 200 || r.str("enrollment") == "" {
		h.t.Fatalf("begin enrollment %s: %d %s", email, r.status, r.raw)
	}
	var out struct {
		Options json.RawMessage `json:"options"`
	}
	_ = json.Unmarshal(r.raw, &out)
	return r.str("enrollment"), out.Options
}

func (h *harness) finishWebAuthn(enrollment string, cred []byte) reply {
	h.t.Helper()
	return h.do("POST", "/api/v1/authenticator/webauthn/enroll/finish", "",
		map[string]any{"enrollment": enrollment, "credential": json.RawMessage(cred)})
}

// enrollWeb enrolls the web app for email with a software authenticator.
func (h *harness) enrollWeb(email, pw string) *webDevice {
	h.t.Helper()
	enr, opts := h.beginWebAuthn(email, pw, "")
	key, cred, err := softkey.Register(opts, appOrigin, softkey.Options{})
	if err != nil {
		h.t.Fatal(err)
	}
	r := h.finishWebAuthn(enr, cred)
	codes, _ := r.body["recovery_codes"].([]any)
	if r.status != 201 || r.str("device_token") == "" || len(codes) != 10 {
		h.t.Fatalf("finish enrollment %s: %d %s", email, r.status, r.raw)
	}
	return &webDevice{token: r.str("device_token"), key: key, codes: codes}
}

// pending is the device's one pending request.
type pending struct {
	ID          string    `json:"id"`
	Application string    `json:"application"`
	IP          string    `json:"ip"`
	Location    string    `json:"location"`
	Browser     string    `json:"browser"`
	Time        time.Time `json:"time"`
	Risky       bool      `json:"risky"`
	Digits      int       `json:"digits"`
	Nonce       string    `json:"nonce"`
}

func (p pending) challenge(decision, number string) []byte {
	nonce, _ := base64.RawURLEncoding.DecodeString(p.Nonce)
	c := push.Context{Application: p.Application, IP: p.IP, Location: p.Location, Browser: p.Browser, Time: p.Time, Risky: p.Risky}
	return push.Challenge(p.ID, nonce, decision, number, c.Hash())
}

func (h *harness) onePending(token string) pending {
	h.t.Helper()
	r := h.do("GET", "/api/v1/authenticator/requests", token, nil)
	var out struct {
		Requests []pending `json:"requests"`
	}
	if err := json.Unmarshal(r.raw, &out); err != nil || r.status != 200 || len(out.Requests) != 1 {
		h.t.Fatalf("pending requests: %d %s", r.status, r.raw)
	}
	return out.Requests[0]
}

// decideWeb sends a decision with an assertion over challenge.
func (h *harness) decideWeb(token, id, decision, number string, assertion []byte) reply {
	h.t.Helper()
	return h.do("POST", "/api/v1/authenticator/requests/"+id+"/decision", token,
		map[string]any{"decision": decision, "number": number, "assertion": json.RawMessage(assertion)})
}

func (d *webDevice) assert(t *testing.T, challenge []byte, o softkey.Options) []byte {
	t.Helper()
	a, err := d.key.Assert(challenge, o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// startLogin signs in to an account with 2FA on and returns the flow and
// the number to type.
func (h *harness) startLogin(email, pw string) (string, string) {
	h.t.Helper()
	r := h.do("POST", "/api/v1/login", "", map[string]string{"email": email, "password": pw})
	if r.status != 200 || r.str("state") != "push_required" {
		h.t.Fatalf("login %s: %d %s", email, r.status, r.raw)
	}
	return r.str("flow"), r.str("number")
}

// TestWebAuthnDevice: the web app's device key is a WebAuthn credential
// (SPEC §6.1, §6.3, §6.7): enrollment, an approval by assertion, and
// every assertion that must be refused.
func TestWebAuthnDevice(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		mario := h.enrollWeb("mario@acme.test", marioPW)
		luigi := h.enrollWeb("luigi@other.test", luigiPW)

		flow, number := h.startLogin("mario@acme.test", marioPW)
		p := h.onePending(mario.token)
		if p.Digits != len(number) || p.Application != "api" {
			t.Fatalf("pending request %+v", p)
		}
		wrong := "000"
		if number == wrong {
			wrong = "111"
		}

		t.Run("[seed] an approval without user verification is refused", func(t *testing.T) {
			a := mario.assert(t, p.challenge("approve", number), softkey.Options{NoUV: true})
			wantError(t, h.decideWeb(mario.token, p.ID, "approve", number, a), 403, "device_user_verification_required")
		})
		t.Run("wrong challenge", func(t *testing.T) {
			// Signed for another number than the one sent.
			a := mario.assert(t, p.challenge("approve", wrong), softkey.Options{})
			wantError(t, h.decideWeb(mario.token, p.ID, "approve", number, a), 401, "invalid_signature")
			// A denial's assertion used as an approval.
			a = mario.assert(t, p.challenge("deny", ""), softkey.Options{})
			wantError(t, h.decideWeb(mario.token, p.ID, "approve", number, a), 401, "invalid_signature")
		})
		t.Run("wrong origin", func(t *testing.T) {
			a := mario.assert(t, p.challenge("approve", number), softkey.Options{Origin: "http://evil.test"})
			wantError(t, h.decideWeb(mario.token, p.ID, "approve", number, a), 401, "invalid_signature")
		})
		t.Run("wrong type", func(t *testing.T) {
			a := mario.assert(t, p.challenge("approve", number), softkey.Options{Type: "webauthn.create"})
			wantError(t, h.decideWeb(mario.token, p.ID, "approve", number, a), 401, "invalid_signature")
		})
		t.Run("another device's key", func(t *testing.T) {
			a := luigi.assert(t, p.challenge("approve", number), softkey.Options{})
			wantError(t, h.decideWeb(mario.token, p.ID, "approve", number, a), 401, "invalid_signature")
		})
		t.Run("another account's request", func(t *testing.T) {
			a := luigi.assert(t, p.challenge("approve", number), softkey.Options{})
			wantError(t, h.decideWeb(luigi.token, p.ID, "approve", number, a), 404, "push_request_not_found")
		})
		t.Run("a signature instead of an assertion", func(t *testing.T) {
			r := h.do("POST", "/api/v1/authenticator/requests/"+p.ID+"/decision", mario.token,
				map[string]any{"decision": "approve", "number": number, "signature": strings.Repeat("A", 86)})
			wantError(t, r, 401, "invalid_signature")
		})

		// None of these touched the request: the right assertion approves it.
		ok := mario.assert(t, p.challenge("approve", number), softkey.Options{})
		if r := h.decideWeb(mario.token, p.ID, "approve", number, ok); r.status != 200 || r.str("status") != "approved" {
			t.Fatalf("approve: %d %s", r.status, r.raw)
		}
		if r := h.do("GET", "/api/v1/login/"+flow, "", nil); r.str("state") != "authenticated" {
			t.Fatalf("flow after the approval: %d %s", r.status, r.raw)
		}
		t.Run("replayed assertion", func(t *testing.T) {
			wantError(t, h.decideWeb(mario.token, p.ID, "approve", number, ok), 409, "push_already_answered")
		})

		t.Run("expired request", func(t *testing.T) {
			h.clock.Advance(time.Minute) // past the wait after the last request
			flow, number := h.startLogin("luigi@other.test", luigiPW)
			p := h.onePending(luigi.token)
			h.clock.Advance(2*time.Minute + time.Second)
			a := luigi.assert(t, p.challenge("approve", number), softkey.Options{})
			wantError(t, h.decideWeb(luigi.token, p.ID, "approve", number, a), 409, "push_already_answered")
			if r := h.do("GET", "/api/v1/login/"+flow, "", nil); r.str("state") != "expired" {
				t.Fatalf("flow after the expiry: %d %s", r.status, r.raw)
			}
		})

		t.Run("a counter that does not grow", func(t *testing.T) {
			// The approval above stored the key's counter; a copy of the
			// key shows an older one.
			h.clock.Advance(time.Minute)
			h.startLogin("mario@acme.test", marioPW)
			p := h.onePending(mario.token)
			old := mario.key.Counter
			a := mario.assert(t, p.challenge("deny", ""), softkey.Options{Counter: &old})
			wantError(t, h.decideWeb(mario.token, p.ID, "deny", "", a), 401, "invalid_signature")
			a = mario.assert(t, p.challenge("deny", ""), softkey.Options{})
			if r := h.decideWeb(mario.token, p.ID, "deny", "", a); r.status != 200 || r.str("status") != "denied" {
				t.Fatalf("deny: %d %s", r.status, r.raw)
			}
		})

		t.Run("wrong number is a denial", func(t *testing.T) {
			h.clock.Advance(time.Minute)
			flow, number := h.startLogin("mario@acme.test", marioPW)
			p := h.onePending(mario.token)
			wrong := "999"
			if number == wrong {
				wrong = "998"
			}
			a := mario.assert(t, p.challenge("approve", wrong), softkey.Options{})
			if r := h.decideWeb(mario.token, p.ID, "approve", wrong, a); r.status != 200 || r.str("status") != "denied" {
				t.Fatalf("wrong number: %d %s", r.status, r.raw)
			}
			if r := h.do("GET", "/api/v1/login/"+flow, "", nil); r.str("state") != "push_denied" {
				t.Fatalf("flow after a wrong number: %d %s", r.status, r.raw)
			}
		})

		t.Run("report", func(t *testing.T) {
			h.clock.Advance(time.Minute)
			h.startLogin("mario@acme.test", marioPW)
			p := h.onePending(mario.token)
			// A denial needs no user verification: only approvals do.
			a := mario.assert(t, p.challenge("report", ""), softkey.Options{NoUV: true})
			if r := h.decideWeb(mario.token, p.ID, "report", "", a); r.status != 200 || r.str("status") != "reported" {
				t.Fatalf("report: %d %s", r.status, r.raw)
			}
			wantError(t, h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": marioPW}), 429, "push_muted")
		})
	})
}

// TestWebAuthnEnrollment: the web app's two-step enrollment — the sign-in's
// rules, one use per enrollment, an answer that must hold, and two
// enrollments racing each other leave one device.
func TestWebAuthnEnrollment(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		wantError(t, h.do("POST", "/api/v1/authenticator/webauthn/enroll/begin", "",
			map[string]string{"email": "mario@acme.test", "password": "wrong-Password-1"}), 401, "invalid_credentials")

		t.Run("[seed] 6.1 the device key proves user verification; an answer that does not hold", func(t *testing.T) {
			for name, tc := range map[string]struct {
				o      softkey.Options
				status int
				code   string
			}{
				"no user verification": {softkey.Options{NoUV: true}, 403, "device_user_verification_required"},
				"another origin":       {softkey.Options{Origin: "http://evil.test"}, 400, "invalid_request"},
				"another challenge":    {softkey.Options{Challenge: []byte("0123456789abcdef0123456789abcdef")}, 400, "invalid_request"},
				"another ceremony":     {softkey.Options{Type: "webauthn.get"}, 400, "invalid_request"},
			} {
				enr, opts := h.beginWebAuthn("anna@acme.test", "Admin-Acme-2026", "")
				_, cred, err := softkey.Register(opts, appOrigin, tc.o)
				if err != nil {
					t.Fatal(err)
				}
				r := h.finishWebAuthn(enr, cred)
				if r.status != tc.status || r.str("error") != tc.code {
					t.Fatalf("%s: %d %s, want %d %s", name, r.status, r.raw, tc.status, tc.code)
				}
				// Spent either way.
				_, cred, _ = softkey.Register(opts, appOrigin, softkey.Options{})
				wantError(t, h.finishWebAuthn(enr, cred), 400, "invalid_or_expired_token")
			}
			if r := h.do("GET", "/api/v1/me/two-factor", h.login("anna@acme.test", "Admin-Acme-2026"), nil); r.body["enabled"] != false {
				t.Fatalf("two-factor after refused enrollments: %s", r.raw)
			}
		})

		t.Run("racing enrollments leave one device", func(t *testing.T) {
			const n = 4
			type started struct {
				enr  string
				cred []byte
			}
			var st [n]started
			for i := range st {
				enr, opts := h.beginWebAuthn("mario@acme.test", marioPW, "")
				_, cred, err := softkey.Register(opts, appOrigin, softkey.Options{})
				if err != nil {
					t.Fatal(err)
				}
				st[i] = started{enr, cred}
			}
			var wg sync.WaitGroup
			var replies [n]reply
			for i := range st {
				wg.Go(func() { replies[i] = h.finishWebAuthn(st[i].enr, st[i].cred) })
			}
			wg.Wait()
			enrolled := 0
			for _, r := range replies {
				switch {
				case r.status == 201:
					enrolled++
				case r.status == 403 && r.str("error") == "recovery_code_required":
				case r.status == 409 && r.str("error") == "conflict":
				default:
					t.Fatalf("racing finish: %d %s", r.status, r.raw)
				}
			}
			if enrolled != 1 {
				t.Fatalf("%d enrollments succeeded, want 1", enrolled)
			}
			raw := testenv.RawDB(t, h.cfg.DatabaseURL)
			var devices int
			if err := raw.QueryRow(`SELECT COUNT(*) FROM push_devices WHERE account_id =
				(SELECT id FROM accounts WHERE email = 'mario@acme.test')`).Scan(&devices); err != nil || devices != 1 {
				t.Fatalf("%d devices (%v)", devices, err)
			}
			// A second enrollment now needs a recovery code from the start.
			wantError(t, h.do("POST", "/api/v1/authenticator/webauthn/enroll/begin", "",
				map[string]string{"email": "mario@acme.test", "password": marioPW}), 403, "recovery_code_required")
		})

		t.Run("racing command-line enrollments leave one device", func(t *testing.T) {
			const n = 4
			var wg sync.WaitGroup
			var replies [n]reply
			for i := range replies {
				pub, _, _ := ed25519.GenerateKey(rand.Reader)
				body := map[string]string{"email": "luigi@other.test", "password": luigiPW,
					"public_key": base64.RawURLEncoding.EncodeToString(pub)}
				wg.Go(func() { replies[i] = h.do("POST", "/api/v1/authenticator/enroll", "", body) })
			}
			wg.Wait()
			enrolled := 0
			for _, r := range replies {
				switch {
				case r.status == 201 && r.str("device_token") != "":
					enrolled++
				case r.status == 202 && r.str("state") == "approval_required":
					// The later ones find the device: they ask it to
					// approve the replacement (one request at a time).
				case r.status == 429 && r.str("error") == "push_rate_limited":
				default:
					t.Fatalf("racing enroll: %d %s", r.status, r.raw)
				}
			}
			if enrolled != 1 {
				t.Fatalf("%d enrollments succeeded, want 1", enrolled)
			}
		})
	})
}

// deviceStream opens the device's event stream and returns a reader of its
// events (name and data), which fails the test when the stream ends.
func (h *harness) deviceStream(t *testing.T, token string) func() (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", h.url+"/api/v1/authenticator/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("events: %d %s", resp.StatusCode, ct)
	}
	events := bufio.NewReader(resp.Body)
	return func() (string, string) {
		t.Helper()
		var name, data string
		for {
			line, err := events.ReadString('\n')
			if err != nil {
				t.Fatalf("read events: %v", err)
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			case line == "" && name != "":
				return name, data
			}
		}
	}
}

// TestDeviceEventsAcrossProcesses: two varco processes on one PostgreSQL;
// the device listens on A while the sign-in and the decision go through B.
// Both reach A's stream through LISTEN/NOTIFY, although its fallback
// re-read is set to an hour.
func TestDeviceEventsAcrossProcesses(t *testing.T) {
	listening := make(chan struct{}, 8)
	a := newHarnessWith(t, "postgres", fixture.Options{PushRecheck: time.Hour, PushListening: func() { listening <- struct{}{} }})
	standard(a)
	b := a.twin()
	for range 2 {
		select {
		case <-listening:
		case <-time.After(10 * time.Second):
			t.Fatal("a push listener is not listening")
		}
	}
	mario := b.enrollWeb("mario@acme.test", marioPW)
	next := a.deviceStream(t, mario.token)
	_, number := b.startLogin("mario@acme.test", marioPW)
	name, data := next()
	var p pending
	if err := json.Unmarshal([]byte(data), &p); name != "request" || err != nil {
		t.Fatalf("first event %s %s", name, data)
	}
	a2 := mario.assert(t, p.challenge("approve", number), softkey.Options{})
	if r := b.decideWeb(mario.token, p.ID, "approve", number, a2); r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, r.raw)
	}
	if name, data := next(); name != "closed" || data != `{"id":"`+p.ID+`","state":"approved"}` {
		t.Fatalf("second event %s %s", name, data)
	}
}

// TestDeviceEvents: the device's event stream tells the open app of a new
// request and of its end without polling (SPEC §6.6).
func TestDeviceEvents(t *testing.T) {
	forEachEngineWith(t, newStreamHarness, func(t *testing.T, h *harness) {
		standard(h)
		mario := h.enrollWeb("mario@acme.test", marioPW)
		wantError(t, h.do("GET", "/api/v1/authenticator/events", "not-a-token", nil), 401, "unauthorized")

		held := h.app.Streams.Len()
		next := h.deviceStream(t, mario.token)
		_, number := h.startLogin("mario@acme.test", marioPW)
		name, data := next()
		// The stream waits in the hub, not in a handler of its own.
		if n := h.app.Streams.Len(); n != held+1 {
			t.Fatalf("the hub holds %d streams, want %d", n, held+1)
		}
		var p pending
		if err := json.Unmarshal([]byte(data), &p); name != "request" || err != nil || p.Digits != 3 || p.Nonce == "" {
			t.Fatalf("first event %s %s", name, data)
		}
		if listed := h.onePending(mario.token); listed != p {
			t.Fatalf("event %+v, list %+v", p, listed)
		}
		a := mario.assert(t, p.challenge("approve", number), softkey.Options{})
		if r := h.decideWeb(mario.token, p.ID, "approve", number, a); r.status != 200 {
			t.Fatalf("approve: %d %s", r.status, r.raw)
		}
		name, data = next()
		if name != "closed" || data != `{"id":"`+p.ID+`","state":"approved"}` {
			t.Fatalf("second event %s %s", name, data)
		}
		// Signing out ends the stream.
		if r := h.do("POST", "/api/v1/authenticator/logout", mario.token, nil); r.status != 204 {
			t.Fatalf("logout: %d %s", r.status, r.raw)
		}
		if name, _ := next(); name != "signed_out" {
			t.Fatalf("after sign-out: event %s", name)
		}
	})
}
