//go:build testclock

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/smtpsink"
)

// The black-box suite drives a `-tags testclock` binary only through the
// names of SPEC §9a: CLI flags, HTTP routes, e-mail headers and the clock.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "varco-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "varco")
	build := exec.Command("go", "build", "-tags", "testclock", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(dir)
		panic("build varco: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type blackbox struct {
	t    testing.TB
	env  []string
	url  string
	sink *smtpsink.Sink
}

func (b *blackbox) varco(stdin string, args ...string) string {
	b.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = b.env
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.t.Fatalf("varco %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// serve starts `varco serve` and returns when it listens; the test's end
// stops it with SIGTERM and expects a clean exit.
func (b *blackbox) serve(env ...string) *exec.Cmd {
	b.t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(append(append([]string{}, b.env...), "VARCO_LISTEN=127.0.0.1:0"), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		b.t.Fatalf("varco serve did not start: %v\n%s", err, stderr.String())
	}
	go io.Copy(io.Discard, stdout)
	b.url = strings.TrimSpace(strings.TrimPrefix(line, "varco listening on "))
	b.t.Cleanup(func() {
		if cmd.ProcessState != nil {
			return // killed and reaped by the test
		}
		// A graceful stop on SIGTERM exits 0.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			b.t.Errorf("varco serve did not stop cleanly: %v\n%s", err, stderr.String())
		}
		if strings.Contains(stderr.String(), "Rossi-Verde-2026") {
			b.t.Errorf("a password reached the logs")
		}
	})
	return cmd
}

func (b *blackbox) dbURL() string {
	for _, kv := range b.env {
		if v, ok := strings.CutPrefix(kv, "VARCO_DATABASE_URL="); ok {
			return v
		}
	}
	return ""
}

func (b *blackbox) call(method, path, token string, body any) (int, map[string]any) {
	b.t.Helper()
	return b.send(method, path, token, body)
}

// send sends a request with an optional JSON body, Bearer token and
// header name/value pairs, and decodes the JSON answer.
func (b *blackbox) send(method, path, token string, body any, hdr ...string) (int, map[string]any) {
	b.t.Helper()
	resp, raw := testenv.CallJSON(b.t, method, b.url+path, token, body, hdr...)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m
}

func newBlackbox(t *testing.T, engine string) *blackbox {
	b := setupBlackbox(t, engine)
	b.serve()
	return b
}

// setupBlackbox creates org acme and user mario, without starting varco.
func setupBlackbox(t testing.TB, engine string) *blackbox {
	sink := smtpsink.Start(t)
	b := &blackbox{t: t, sink: sink, env: append(os.Environ(),
		"VARCO_DATABASE_URL="+testenv.DatabaseURL(t, engine), "VARCO_AUDIT_DIR="+t.TempDir(),
		"VARCO_SMTP_URL="+sink.URL(), "VARCO_MAIL_FROM=varco@provider.test", "VARCO_BASE_URL=http://varco.test")}
	b.varco("", "org", "create", "--name", "acme", "--plan", "pro")
	b.varco("Rossi-Verde-2026\n", "user", "create", "--email", "mario@acme.test", "--password-stdin", "--org", "acme", "--lang", "it")
	return b
}

func TestBlackBoxSessionIdleAndPasswordMail(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			b := newBlackbox(t, engine)
			st, clk := b.call("GET", "/_test/clock", "", nil)
			start, err := time.Parse(time.RFC3339, clk["now"].(string))
			if st != 200 || err != nil {
				t.Fatalf("GET /_test/clock: %d %v", st, clk)
			}
			st, res := b.call("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": "Rossi-Verde-2026"})
			if st != 200 || res["state"] != "authenticated" {
				t.Fatalf("login: %d %v", st, res)
			}
			tok := res["session_token"].(string)
			st, clk = b.call("POST", "/_test/clock", "", map[string]string{"advance": "31m"})
			now, _ := time.Parse(time.RFC3339, clk["now"].(string))
			if st != 200 || now.Sub(start) < 31*time.Minute {
				t.Fatalf("advance: %d %v", st, clk)
			}
			if st, res := b.call("GET", "/api/v1/me", tok, nil); st != 401 || res["error"] != "unauthorized" {
				t.Fatalf("after 31 idle minutes: %d %v", st, res)
			}
			_, res = b.call("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": "Rossi-Verde-2026"})
			tok = res["session_token"].(string)
			st, res = b.call("POST", "/api/v1/me/password", tok, map[string]string{"current_password": "Rossi-Verde-2026", "new_password": "Nuova-Password-2026"})
			if st != 200 {
				t.Fatalf("password change: %d %v", st, res)
			}
			// Advancing the clock drains the outbox before it answers.
			b.call("POST", "/_test/clock", "", map[string]string{"advance": "1s"})
			msg := b.sink.Wait(t, func(m smtpsink.Mail) bool { return m.Header.Get("X-Varco-Event") == "password_changed" }, 10*time.Second)
			if !strings.Contains(msg.Text, "password") {
				t.Fatalf("unexpected text:\n%s", msg.Text)
			}
			if out := b.varco("", "audit", "verify"); !strings.Contains(out, "intact") {
				t.Fatalf("audit verify: %s", out)
			}
		})
	}
}

// TestBlackBoxPasswordLifecycle: through the testclock binary, the 20-day
// warning arrives on day 70 and not before, day 91 needs a password change,
// and day 121 without one suspends the account (SPEC §2.3–2.6).
func TestBlackBoxPasswordLifecycle(t *testing.T) {
	b := newBlackbox(t, "sqlite")
	expiry := func(m smtpsink.Mail) bool { return m.Header.Get("X-Varco-Event") == "password_expiry_warning_sent" }
	count := func() int {
		n := 0
		for _, m := range b.sink.Messages() {
			if expiry(m) {
				n++
			}
		}
		return n
	}
	advance := func(d string) {
		if st, res := b.call("POST", "/_test/clock", "", map[string]string{"advance": d}); st != 200 {
			t.Fatalf("advance %s: %d %v", d, st, res)
		}
	}
	advance("1656h") // day 69
	if n := count(); n != 0 {
		t.Fatalf("%d expiry warnings by day 69", n)
	}
	advance("24h") // day 70
	m := b.sink.Wait(t, expiry, 10*time.Second)
	if !strings.Contains(m.Text, "20") {
		t.Fatalf("day-70 warning does not say 20 days:\n%s", m.Text)
	}
	for _, step := range []string{"240h", "120h", "48h", "24h", "24h"} { // days 80, 85, 87, 88, 89
		before := count()
		advance(step)
		if count() != before+1 {
			t.Fatalf("after +%s: %d warnings, want %d", step, count(), before+1)
		}
	}
	advance("48h") // day 91
	st, res := b.call("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": "Rossi-Verde-2026"})
	if st != 200 || res["state"] != "password_change_required" {
		t.Fatalf("day 91 login: %d %v", st, res)
	}
	restricted := res["session_token"].(string)
	if st, res := b.call("GET", "/api/v1/me/sessions", restricted, nil); st != 403 || res["error"] != "password_change_required" {
		t.Fatalf("restricted session reached sessions: %d %v", st, res)
	}
	advance("720h") // day 121
	b.sink.Wait(t, func(m smtpsink.Mail) bool { return m.Header.Get("X-Varco-Event") == "account_suspended" }, 10*time.Second)
	if out := b.varco("", "user", "show", "--email", "mario@acme.test"); !strings.Contains(out, `"status": "suspended"`) {
		t.Fatalf("user show after day 121:\n%s", out)
	}
	if st, res := b.call("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": "Rossi-Verde-2026"}); st != 403 || res["error"] != "account_suspended" {
		t.Fatalf("day 121 login: %d %v", st, res)
	}
	if n := count(); n != 6 {
		t.Fatalf("%d expiry warnings in all, want 6 (20, 10, 5, 3, 2, 1 days)", n)
	}
	b.varco("", "user", "reactivate", "--email", "mario@acme.test")
	advance("1m")
	b.sink.Wait(t, func(m smtpsink.Mail) bool { return m.Header.Get("X-Varco-Event") == "account_reactivated" }, 10*time.Second)
	st, res = b.call("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": "Rossi-Verde-2026"})
	if st != 200 || res["state"] != "password_change_required" {
		t.Fatalf("login after reactivation: %d %v", st, res)
	}
}

// TestBlackBoxOutboxSurvivesSIGKILL: messages pending or in flight when the
// process is killed with SIGKILL are all delivered after a restart, and a
// message delivered twice carries the same Message-ID (SPEC §8).
func TestBlackBoxOutboxSurvivesSIGKILL(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			b := setupBlackbox(t, engine)
			users := []string{"a@acme.test", "b@acme.test", "c@acme.test", "d@acme.test"}
			for _, u := range users {
				b.varco("Rossi-Verde-2026\n", "user", "create", "--email", u, "--password-stdin", "--org", "acme")
			}
			// An "SMTP server" that accepts connections and never answers:
			// the first delivery hangs in flight.
			hang, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer hang.Close()
			connected := make(chan net.Conn, 16)
			go func() {
				for {
					c, err := hang.Accept()
					if err != nil {
						return
					}
					connected <- c
				}
			}()
			victim := b.serve("VARCO_SMTP_URL=smtp://" + hang.Addr().String())
			reset := func(email string) {
				if st, res := b.call("POST", "/api/v1/password-reset", "", map[string]string{"email": email}); st != 202 {
					t.Fatalf("reset %s: %d %v", email, st, res)
				}
			}
			reset(users[0])
			select {
			case c := <-connected: // the worker is now delivering: in flight
				defer c.Close()
			case <-time.After(30 * time.Second):
				t.Fatal("the worker never tried to deliver")
			}
			for _, u := range users[1:] {
				reset(u) // these wait in the outbox behind the stuck delivery
			}
			if err := victim.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = victim.Wait()

			b.serve() // the real SMTP sink, same database
			// Past the 2-minute lease of the message that was in flight.
			if st, res := b.call("POST", "/_test/clock", "", map[string]string{"advance": "3m"}); st != 200 {
				t.Fatalf("advance: %d %v", st, res)
			}
			ids := map[string]map[string]bool{}
			for _, m := range b.sink.Messages() {
				if m.Header.Get("X-Varco-Event") != "password_reset_requested" {
					continue
				}
				if ids[m.To[0]] == nil {
					ids[m.To[0]] = map[string]bool{}
				}
				ids[m.To[0]][m.Header.Get("Message-Id")] = true
			}
			for _, u := range users {
				if len(ids[u]) != 1 {
					t.Errorf("%s: %d distinct Message-IDs delivered, want exactly 1", u, len(ids[u]))
					if engine == "sqlite" {
						out, _ := exec.Command("sqlite3", b.dbURL(), "SELECT id, recipient, status, attempts, next_attempt_at, lease_until, last_error FROM outbox").CombinedOutput()
						t.Logf("outbox:\n%s", out)
						st, clk := b.call("GET", "/_test/clock", "", nil)
						t.Logf("clock %d %v", st, clk)
					}
				}
			}
		})
	}
}

// TestBlackBoxInactivityAndResetWhileSuspended: through the testclock
// binary, a user who has not signed in for over a month gets the
// inactivity e-mail on day 31 and not before (SPEC §2.5); once suspended,
// asking for a reset sends "contact support" without a link, and the
// account stays suspended (§2.7, §4).
func TestBlackBoxInactivityAndResetWhileSuspended(t *testing.T) {
	b := newBlackbox(t, "sqlite")
	advance := func(d string) {
		if st, res := b.call("POST", "/_test/clock", "", map[string]string{"advance": d}); st != 200 {
			t.Fatalf("advance %s: %d %v", d, st, res)
		}
	}
	inactivity := func() int {
		n := 0
		for _, m := range b.sink.Messages() {
			if m.Header.Get("X-Varco-Event") == "inactivity_warning_sent" {
				n++
			}
		}
		return n
	}
	if st, res := b.call("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": "Rossi-Verde-2026"}); st != 200 || res["state"] != "authenticated" {
		t.Fatalf("login: %d %v", st, res)
	}
	advance("720h") // day 30
	if n := inactivity(); n != 0 {
		t.Fatalf("%d inactivity e-mails by day 30", n)
	}
	advance("24h") // day 31
	m := b.sink.Wait(t, smtpsink.EventIs("inactivity_warning_sent"), 10*time.Second)
	if link, ok := smtpsink.FindLink(m.Text, "/login"); !ok || link.Host != "varco.test" {
		t.Fatalf("inactivity e-mail lacks the sign-in link:\n%s", m.Text)
	}

	advance("2160h") // day 121: 90 days of password age plus 30 of grace
	b.sink.Wait(t, smtpsink.EventIs("account_suspended"), 10*time.Second)
	if st, res := b.call("POST", "/api/v1/password-reset", "", map[string]string{"email": "mario@acme.test"}); st != 202 {
		t.Fatalf("reset request: %d %v", st, res)
	}
	advance("1s")
	m = b.sink.Wait(t, smtpsink.EventIs("password_reset_requested"), 10*time.Second)
	if _, ok := smtpsink.FindLink(m.Text, "/password-reset/complete"); ok || strings.Contains(m.Text, "token=") {
		t.Fatalf("a suspended account got a reset link:\n%s", m.Text)
	}
	if st, res := b.call("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": "Rossi-Verde-2026"}); st != 403 || res["error"] != "account_suspended" {
		t.Fatalf("login after the reset request: %d %v", st, res)
	}
}
