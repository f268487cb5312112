package api_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/push"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/fixture"
)

// TestStatementsPerRequest counts the statements of the hot requests
// (store.DB.Statements: database round trips on PostgreSQL, BEGIN and
// COMMIT included), so that a change that adds one fails here whatever the
// machine's speed. The process runs no background work, so every
// statement counted is the request's.
//
//   - GET /api/v1/me of a session already looked up: nothing (the
//     session cache, internal/auth, whose change version is read from
//     SQLite's WAL index or kept by PostgreSQL's notifications); the
//     first lookup of a session adds its query, and on SQLite the
//     process's first PRAGMA data_version.
//   - POST /api/v1/mail/auth with a valid app password, the login already
//     read: nothing (the mail login cache, internal/apppassword).
//   - a sign-in of an account with no failures counted, from an address
//     and a device seen before, with no alert due: one read before the
//     hash (throttling, account, organization, authenticator:
//     store.Q.Login), the places after it, then the session's transaction
//     (BEGIN, store.Q.SignIn, the history's statements, COMMIT).
//     SignIn is one statement on PostgreSQL; on SQLite it is five (the
//     session, the last sign-in, the place, the device, the expiry
//     alert). The history takes three statements on SQLite (take the
//     chain's head, insert, move the head) and two on PostgreSQL (the
//     head moves in the insert). It was 17 on both before.
//   - a decision of the command-line authenticator approving a sign-in:
//     one read before the transaction (the device, its account and the
//     request: store.Q.PushDecisionView), then BEGIN, store.Q.AnswerPush,
//     the history's statements, COMMIT. AnswerPush is one statement on
//     PostgreSQL (the request, the flow, the notification); on SQLite it
//     is two (the request, the flow). It was 12 on both before.
//
// A change that removes statements lowers the numbers here (and says so in
// docs/performance.md).
func TestStatementsPerRequest(t *testing.T) {
	want := map[string]struct{ meFirst, me, login, decision int64 }{
		"sqlite":   {meFirst: 2, me: 0, login: 12, decision: 8},
		"postgres": {meFirst: 1, me: 0, login: 7, decision: 6},
	}
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			clk := clock.NewManual(time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC))
			cfg := fixture.Config(t, engine)
			cfg.MailAuthSecret = mailSecret
			a := fixture.Start(t, cfg, fixture.Options{Clock: clk})
			srv := httptest.NewServer(a.Handler)
			t.Cleanup(srv.Close)
			// What Run starts for the session cache; nothing else of Run.
			testenv.ListenChanges(t, a.DB, nil)
			fixture.New(t, a.Admin, a.DB).Mario("pro", admin.NewUser{})
			call := func(method, path, token, body string) map[string]any {
				t.Helper()
				req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var out map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&out)
				if resp.StatusCode/100 != 2 {
					t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, out)
				}
				return out
			}
			login := func() string {
				tok, _ := call("POST", "/api/v1/login", "", `{"email":"mario@acme.test","password":"`+fixture.Password+`"}`)["session_token"].(string)
				if tok == "" {
					t.Fatal("no session token")
				}
				return tok
			}
			count := func(fn func()) int64 {
				before := a.DB.Statements()
				fn()
				return a.DB.Statements() - before
			}
			login() // the first sign-in sees a new place and device
			tok := login()
			if n := count(func() { login() }); n != want[engine].login {
				t.Errorf("a sign-in: %d statements, want %d", n, want[engine].login)
			}
			if n := count(func() { call("GET", "/api/v1/me", tok, "") }); n != want[engine].meFirst {
				t.Errorf("GET /me, first: %d statements, want %d", n, want[engine].meFirst)
			}
			// On PostgreSQL the sign-ins' own notifications move the change
			// version when they come back, and the cached rows are read
			// again once: count a GET /me during which it stood still.
			for i := 0; ; i++ {
				v, _ := a.DB.ChangeVersion(t.Context())
				call("GET", "/api/v1/me", tok, "") // the rows cached at v
				n := count(func() { call("GET", "/api/v1/me", tok, "") })
				if v2, _ := a.DB.ChangeVersion(t.Context()); engine == "postgres" && v2 != v && i < 100 {
					continue
				}
				if n != want[engine].me {
					t.Errorf("GET /me: %d statements, want %d", n, want[engine].me)
				}
				break
			}

			// A mail login with an app password: enroll a device, create
			// one, then count a login during which the version stood still
			// (the first logins write their last use and success event).
			pub, priv, _ := ed25519.GenerateKey(rand.Reader)
			device, _ := call("POST", "/api/v1/authenticator/enroll", "", `{"email":"mario@acme.test","password":"`+fixture.Password+
				`","public_key":"`+base64.RawURLEncoding.EncodeToString(pub)+`"}`)["device_token"].(string)
			pw, _ := call("POST", "/api/v1/me/app-passwords", tok, `{"label":"Thunderbird"}`)["password"].(string)
			mail := `{"username":"mario@acme.test","password":"` + pw + `","protocol":"imap","client_ip":"203.0.113.9"}`
			for i := 0; ; i++ {
				v, _ := a.DB.ChangeVersion(t.Context())
				call("POST", "/api/v1/mail/auth", mailSecret, mail)
				n := count(func() { call("POST", "/api/v1/mail/auth", mailSecret, mail) })
				if v2, _ := a.DB.ChangeVersion(t.Context()); v2 != v && i < 100 {
					continue
				}
				if n != want[engine].me {
					t.Errorf("POST /mail/auth: %d statements, want %d", n, want[engine].me)
				}
				break
			}

			// A decision of the command-line authenticator: a sign-in
			// (now with 2-step verification) waits for it.
			start := call("POST", "/api/v1/login", "", `{"email":"mario@acme.test","password":"`+fixture.Password+`"}`)
			number, _ := start["number"].(string)
			if start["state"] != "push_required" || number == "" {
				t.Fatalf("a sign-in with 2-step verification: %v", start)
			}
			var list struct {
				Requests []struct {
					ID, Application, IP, Location, Browser, Nonce string
					Time                                          time.Time
					Risky                                         bool
				} `json:"requests"`
			}
			req, _ := http.NewRequest("GET", srv.URL+"/api/v1/authenticator/requests", nil)
			req.Header.Set("Authorization", "Bearer "+device)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			err = json.NewDecoder(resp.Body).Decode(&list)
			resp.Body.Close()
			if err != nil || len(list.Requests) != 1 {
				t.Fatalf("pending requests: %v %+v", err, list)
			}
			r := list.Requests[0]
			nonce, _ := base64.RawURLEncoding.DecodeString(r.Nonce)
			c := push.Context{Application: r.Application, IP: r.IP, Location: r.Location, Browser: r.Browser, Time: r.Time, Risky: r.Risky}
			d := push.Sign(func(m []byte) []byte { return ed25519.Sign(priv, m) },
				push.Decision{RequestID: r.ID, Decision: push.DecisionApprove, Number: number}, nonce, c.Hash())
			var status string
			if n := count(func() {
				status, _ = call("POST", "/api/v1/authenticator/requests/"+r.ID+"/decision", device, string(push.EncodeDecision(d)))["status"].(string)
			}); n != want[engine].decision {
				t.Errorf("a push decision: %d statements, want %d", n, want[engine].decision)
			}
			if status != push.StatusApproved {
				t.Errorf("the decision: %q, want approved", status)
			}
		})
	}
}
