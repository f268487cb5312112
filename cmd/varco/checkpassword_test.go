package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/fixture"
)

const checkpwSecret = "mail-servers-shared-secret-0123456789"

// checkpwResult is what one run of "varco checkpassword" did.
type checkpwResult struct {
	status int    // exit status: 0, 1, 111, 2 (usage), or the program's
	reply  string // what the program wrote on file descriptor 4
	output string // standard output and standard error
}

// replyScript is the program run after a good login: it writes its USER and
// AUTHORIZED on file descriptor 4, as Dovecot's checkpassword-reply reads
// them.
const replyScript = `printf '%s|%s' "$USER" "$AUTHORIZED" >&4`

// runCheckpw runs "varco checkpassword" in-process with input on a pipe as
// file descriptor 3, a file as descriptor 4 and the variables vars.
func runCheckpw(t *testing.T, input []byte, vars map[string]string, args ...string) checkpwResult {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	go func() {
		_, _ = w.Write(input) // a reader that stops early makes this fail; that is fine
		w.Close()
	}()
	fd4, err := os.Create(filepath.Join(t.TempDir(), "fd4"))
	if err != nil {
		t.Fatal(err)
	}
	defer fd4.Close()
	var out bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &out, getenv: func(k string) string { return vars[k] }, fd3: r, fd4: fd4}
	runErr := e.root().Run(context.Background(), append([]string{"varco", "checkpassword"}, args...))
	res := checkpwResult{output: out.String()}
	var st exitStatus
	switch {
	case runErr == nil:
	case errors.As(runErr, &st):
		res.status = int(st)
	case errors.Is(runErr, errUsage):
		res.status = 2
	default:
		t.Fatalf("checkpassword: %v", runErr)
	}
	reply, err := os.ReadFile(fd4.Name())
	if err != nil {
		t.Fatal(err)
	}
	res.reply = string(reply)
	return res
}

// TestCheckpasswordAgainstStub: the answers of POST /api/v1/mail/auth
// become the checkpassword exit statuses (200 runs the program with USER,
// 401/400 exit 1, 403/429/5xx/down exit 111); SERVICE and TCPREMOTEIP are
// sent as protocol and client_ip; services other than imap, pop3, smtp
// (and submission, as smtp) are refused without asking; AUTHORIZED=1 runs
// the program with AUTHORIZED=2 without asking; the password is never
// printed.
func TestCheckpasswordAgainstStub(t *testing.T) {
	const pw = "abcd efgh ijkl mnop"
	var status atomic.Int32
	var calls atomic.Int32
	var last atomic.Value
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var body map[string]string
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/mail/auth" || r.Header.Get("Authorization") != "Bearer "+checkpwSecret ||
			json.NewDecoder(r.Body).Decode(&body) != nil {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		last.Store(body)
		st := int(status.Load())
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(st)
		if st == http.StatusOK {
			_, _ = w.Write([]byte(`{"result":"ok"}`))
		} else {
			_, _ = w.Write([]byte(`{"error":"x"}`))
		}
	}))
	defer stub.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()

	input := []byte("mario@acme.test\x00" + pw + "\x001764640000\x00")
	tests := []struct {
		name     string
		answer   int
		vars     map[string]string
		args     []string
		want     int
		reply    string
		asks     bool
		protocol string
	}{
		{name: "ok imap", answer: 200, want: 0, reply: "mario@acme.test|", asks: true, protocol: "imap"},
		{name: "ok pop3", answer: 200, vars: map[string]string{"SERVICE": "pop3"}, want: 0, reply: "mario@acme.test|", asks: true, protocol: "pop3"},
		{name: "ok submission as smtp", answer: 200, vars: map[string]string{"SERVICE": "submission"}, want: 0, reply: "mario@acme.test|", asks: true, protocol: "smtp"},
		{name: "url with a slash", answer: 200, args: []string{"--url", stub.URL + "/"}, want: 0, reply: "mario@acme.test|", asks: true, protocol: "imap"},
		{name: "wrong password", answer: 401, want: 1, asks: true, protocol: "imap"},
		{name: "malformed question", answer: 400, want: 1, asks: true, protocol: "imap"},
		{name: "wrong secret", answer: 403, want: 111, asks: true, protocol: "imap"},
		{name: "throttled", answer: 429, want: 111, asks: true, protocol: "imap"},
		{name: "overloaded", answer: 503, want: 111, asks: true, protocol: "imap"},
		{name: "internal error", answer: 500, want: 111, asks: true, protocol: "imap"},
		{name: "200 without ok", answer: 418, want: 111, asks: true, protocol: "imap"},
		{name: "lmtp refused", answer: 200, vars: map[string]string{"SERVICE": "lmtp"}, want: 1},
		{name: "no service refused", answer: 200, vars: map[string]string{"SERVICE": ""}, want: 1},
		{name: "userdb lookup", answer: 200, vars: map[string]string{"AUTHORIZED": "1", "SERVICE": "lmtp"}, want: 0, reply: "mario@acme.test|2"},
		{name: "odd AUTHORIZED", answer: 200, vars: map[string]string{"AUTHORIZED": "yes"}, want: 111},
		{name: "varco down", vars: map[string]string{"VARCO_MAIL_AUTH_URL": downURL}, want: 111},
		{name: "no url", vars: map[string]string{"VARCO_MAIL_AUTH_URL": ""}, want: 111},
		{name: "no secret", answer: 200, vars: map[string]string{"VARCO_MAIL_AUTH_SECRET": ""}, want: 111},
		{name: "program fails", answer: 200, args: []string{"sh", "-c", "exit 7"}, want: 7, asks: true, protocol: "imap"},
		{name: "no program", answer: 200, args: []string{}, want: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{"VARCO_MAIL_AUTH_URL": stub.URL, "VARCO_MAIL_AUTH_SECRET": checkpwSecret, "SERVICE": "imap",
				"TCPREMOTEIP": "203.0.113.9"}
			for k, v := range tc.vars {
				vars[k] = v
			}
			args := tc.args
			if args == nil {
				args = []string{"sh", "-c", replyScript}
			} else if len(args) > 0 && args[0] == "--url" {
				args = append(args, "sh", "-c", replyScript)
			}
			status.Store(int32(tc.answer))
			before := calls.Load()
			last.Store(map[string]string(nil))
			res := runCheckpw(t, input, vars, args...)
			if res.status != tc.want || res.reply != tc.reply {
				t.Fatalf("status %d reply %q, want %d %q\n%s", res.status, res.reply, tc.want, tc.reply, res.output)
			}
			if asked := calls.Load() != before; asked != tc.asks {
				t.Fatalf("asked varco: %v, want %v", asked, tc.asks)
			}
			if tc.asks {
				body := last.Load().(map[string]string)
				if body["username"] != "mario@acme.test" || body["password"] != pw || body["protocol"] != tc.protocol || body["client_ip"] != "203.0.113.9" {
					t.Fatalf("question %v", body)
				}
			}
			if strings.Contains(res.output, pw) || strings.Contains(res.output, checkpwSecret) {
				t.Fatalf("printed a secret: %s", res.output)
			}
		})
	}
}

// TestCheckpasswordMalformedInput: input that is not "user\0password\0"
// within 512 bytes is refused (exit 1) without asking varco, never a
// panic; exactly 512 bytes is accepted.
func TestCheckpasswordMalformedInput(t *testing.T) {
	var calls atomic.Int32
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_, _ = w.Write([]byte(`{"result":"ok"}`))
	}))
	defer stub.Close()
	vars := map[string]string{"VARCO_MAIL_AUTH_URL": stub.URL, "VARCO_MAIL_AUTH_SECRET": checkpwSecret, "SERVICE": "imap"}
	exact := append([]byte("u\x00"), bytes.Repeat([]byte("p"), checkpwMaxInput-3)...)
	exact = append(exact, 0)
	tests := []struct {
		name  string
		input []byte
		want  int
	}{
		{"empty", nil, 1},
		{"no NUL", []byte("mario@acme.test"), 1},
		{"no password NUL", []byte("mario@acme.test\x00secret"), 1},
		{"empty user", []byte("\x00secret\x00"), 1},
		{"empty password", []byte("mario@acme.test\x00\x00"), 1},
		{"oversize", bytes.Repeat([]byte("a\x00"), 1000), 1},
		{"513 bytes", append(bytes.Clone(exact), 0), 1},
		{"512 bytes", exact, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := calls.Load()
			res := runCheckpw(t, tc.input, vars, "/bin/true")
			if res.status != tc.want {
				t.Fatalf("status %d, want %d\n%s", res.status, tc.want, res.output)
			}
			if asked := calls.Load() != before; asked != (tc.want == 0) {
				t.Fatalf("asked varco: %v", asked)
			}
		})
	}
}

// FuzzParseCheckpassword: the descriptor-3 parser never panics, and what
// it accepts is at most 512 bytes starting "user\0password\0" with a user.
func FuzzParseCheckpassword(f *testing.F) {
	for _, s := range []string{"", "u\x00p\x00", "u\x00p\x00123\x00", "u", "u\x00p", "\x00p\x00", "u\x00\x00", strings.Repeat("x", 600)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		user, pw, err := parseCheckpassword(in)
		if err != nil {
			if user != "" || pw != "" {
				t.Fatalf("error with values %q %q", user, pw)
			}
			return
		}
		if len(in) > checkpwMaxInput || user == "" || strings.ContainsRune(user, 0) || strings.ContainsRune(pw, 0) ||
			!bytes.HasPrefix(in, []byte(user+"\x00"+pw+"\x00")) {
			t.Fatalf("accepted %q as %q %q", in, user, pw)
		}
	})
}

// TestCheckpasswordAgainstVarco: against a real varco on each engine, an
// app password over IMAP runs the program with USER set; the account
// password (2-step verification on), a wrong one and an app password over
// a protocol turned off exit 1; a stopped varco exits 111.
func TestCheckpasswordAgainstVarco(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			cfg := fixture.Config(t, engine)
			cfg.MailAuthSecret = checkpwSecret
			a := fixture.Start(t, cfg, fixture.Options{})
			srv := httptest.NewServer(a.Handler)
			defer srv.Close()
			const email = "mario@acme.test"
			f := fixture.New(t, a.Admin, a.DB)
			f.Mario("pro", admin.NewUser{})

			pub, _, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := json.Marshal(map[string]string{"email": email, "password": fixture.Password,
				"public_key": base64.RawURLEncoding.EncodeToString(pub)})
			res, err := http.Post(srv.URL+"/api/v1/authenticator/enroll", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("enroll: %d", res.StatusCode)
			}
			ctx := context.Background()
			if _, err := a.AppPasswords.SetMailAccess(ctx, f.Account(email), store.MailAccess{IMAP: true, SMTP: true}); err != nil {
				t.Fatalf("mail access: %v", err)
			}
			created, err := a.AppPasswords.Create(ctx, f.Account(email), "Thunderbird", varco.Meta{})
			if err != nil {
				t.Fatalf("create app password: %v", err)
			}

			vars := map[string]string{"VARCO_MAIL_AUTH_URL": srv.URL, "VARCO_MAIL_AUTH_SECRET": checkpwSecret, "SERVICE": "imap",
				"TCPREMOTEIP": "203.0.113.9"}
			login := func(pw string, extra ...string) checkpwResult {
				t.Helper()
				v := map[string]string{}
				for k, x := range vars {
					v[k] = x
				}
				for i := 0; i+1 < len(extra); i += 2 {
					v[extra[i]] = extra[i+1]
				}
				return runCheckpw(t, []byte(email+"\x00"+pw+"\x00"), v, "sh", "-c", replyScript)
			}
			if r := login(created.Password); r.status != 0 || r.reply != email+"|" {
				t.Fatalf("app password over IMAP: %d %q\n%s", r.status, r.reply, r.output)
			}
			if r := login(created.Password, "SERVICE", "smtp"); r.status != 0 {
				t.Fatalf("app password over SMTP: %d\n%s", r.status, r.output)
			}
			for _, tc := range []struct{ name, pw, service string }{
				{"account password with 2FA on", fixture.Password, "imap"},
				{"wrong app password", created.Password + "x", "imap"},
				{"POP3 turned off", created.Password, "pop3"},
			} {
				if r := login(tc.pw, "SERVICE", tc.service); r.status != 1 || r.reply != "" {
					t.Fatalf("%s: %d %q\n%s", tc.name, r.status, r.reply, r.output)
				}
			}
			srv.Close()
			if r := login(created.Password); r.status != 111 || r.reply != "" {
				t.Fatalf("varco stopped: %d %q\n%s", r.status, r.reply, r.output)
			}
		})
	}
}
