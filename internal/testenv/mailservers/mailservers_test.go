package mailservers

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"varco.dev/varco/internal/testenv"
)

// stub stands in for varco's POST /api/v1/mail/auth: it records each
// question and answers what the test sets.
type stub struct {
	mu      sync.Mutex
	status  int
	body    string
	hang    chan struct{} // when set, answers only once it is closed
	asked   []map[string]string
	bearers []string
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var q map[string]string
	_ = json.Unmarshal(b, &q)
	s.mu.Lock()
	s.asked = append(s.asked, q)
	s.bearers = append(s.bearers, r.Header.Get("Authorization"))
	status, body, hang := s.status, s.body, s.hang
	s.mu.Unlock()
	if r.URL.Path != "/api/v1/mail/auth" || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		status, body = http.StatusNotFound, ""
	}
	if hang != nil {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (s *stub) answer(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func (s *stub) last(t *testing.T) (map[string]string, string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.asked) == 0 {
		t.Fatal("the Lua passdb asked nothing")
	}
	return s.asked[len(s.asked)-1], s.bearers[len(s.bearers)-1]
}

func (s *stub) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.asked)
}

// TestLuaPassdb drives contrib/dovecot/varco-auth.lua in a real Dovecot
// against a stand-in for varco: the question it sends (SPEC §9a "Mail
// auth": username, password, protocol, client IP, resource, the Bearer
// secret from the file), and that only varco's 200 {"result": "ok"} signs
// in — 401 and 400 are a wrong password, and every other answer, a body
// that is not "ok", and no answer within the timeout fail temporarily,
// never succeed (SPEC §7.6, fail closed).
func TestLuaPassdb(t *testing.T) {
	m := New(t)
	s := &stub{status: http.StatusOK, body: `{"result": "ok"}`}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	const secret = "stub-secret-0123456789"
	m.Start(t, srv.URL, secret, Options{NoProxy: true, NoCache: true, TimeoutMS: 1000})
	const user, pw = "mario@acme.test", `abcd efgh "ijkl" \mnop é`

	r := m.Login(t, DovecotIMAP, user, pw, "127.0.0.7")
	if r.Exit != 0 || !r.Has("OK", "Logged in") {
		t.Fatalf("200 ok: exit %d\n%s", r.Exit, r.Transcript)
	}
	q, bearer := s.last(t)
	want := map[string]string{"username": user, "password": pw, "protocol": "imap", "client_ip": "127.0.0.7", "resource": "mailbox"}
	for k, v := range want {
		if q[k] != v {
			t.Errorf("%s = %q, want %q (question %v)", k, q[k], v, q)
		}
	}
	if len(q) != len(want) || bearer != "Bearer "+secret {
		t.Errorf("question %v with %q", q, bearer)
	}
	if r := m.Login(t, DovecotPOP3, user, pw, ""); r.Exit != 0 || !r.Has("+OK Logged in") {
		t.Fatalf("POP3: exit %d\n%s", r.Exit, r.Transcript)
	}
	if q, _ := s.last(t); q["protocol"] != "pop3" || q["resource"] != "mailbox" {
		t.Errorf("POP3 question %v", q)
	}
	if r := m.Login(t, DovecotArchive, user, pw, ""); r.Exit != 0 || !r.Has("OK", "Logged in") {
		t.Fatalf("archive port: exit %d\n%s", r.Exit, r.Transcript)
	}
	if q, _ := s.last(t); q["protocol"] != "imap" || q["resource"] != "archive" {
		t.Errorf("archive question %v", q)
	}

	for _, c := range []struct {
		status int
		body   string
		want   string // the IMAP answer
	}{
		{401, `{"error": "invalid_credentials"}`, "NO [AUTHENTICATIONFAILED]"},
		{400, `{"error": "invalid_input"}`, "NO [AUTHENTICATIONFAILED]"},
		{429, `{"error": "too_many_attempts", "retry_after": 3}`, "NO [UNAVAILABLE]"},
		{403, `{"error": "forbidden"}`, "NO [UNAVAILABLE]"},
		{500, `{"error": "internal"}`, "NO [UNAVAILABLE]"},
		{503, ``, "NO [UNAVAILABLE]"},
		{200, `{"result": "no"}`, "NO [UNAVAILABLE]"},
		{200, ``, "NO [UNAVAILABLE]"},
		{302, ``, "NO [UNAVAILABLE]"},
	} {
		s.answer(c.status, c.body)
		before := s.count()
		r := m.Login(t, DovecotIMAP, user, pw, "")
		if r.Exit != 67 || !r.Has(c.want) {
			t.Errorf("varco answers %d %s: want %q, got exit %d\n%s", c.status, c.body, c.want, r.Exit, r.Transcript)
		}
		if s.count() == before {
			t.Errorf("varco answers %d %s: Dovecot did not ask", c.status, c.body)
		}
	}

	// The script reads the secret file for each question: a new secret
	// there is used at once, without a reload.
	m.write(t, "varco-mail-auth.secret", "rotated-secret-0123456789\n", 0o600)
	chown(t, filepath.Join(m.dir, "varco-mail-auth.secret"), "dovecot")
	s.answer(200, `{"result": "ok"}`)
	if r := m.Login(t, DovecotIMAP, user, pw, ""); r.Exit != 0 || !r.Has("OK", "Logged in") {
		t.Fatalf("a new secret: exit %d\n%s", r.Exit, r.Transcript)
	}
	if _, bearer := s.last(t); bearer != "Bearer rotated-secret-0123456789" {
		t.Errorf("after the secret changed the script sent %q", bearer)
	}

	// No secret file: a temporary failure, and varco is not asked.
	secretFile := filepath.Join(m.dir, "varco-mail-auth.secret")
	if err := os.Rename(secretFile, secretFile+".away"); err != nil {
		t.Fatal(err)
	}
	before := s.count()
	if r := m.Login(t, DovecotIMAP, user, pw, ""); r.Exit != 67 || !r.Has("NO [UNAVAILABLE]") || s.count() != before {
		t.Errorf("no secret file: exit %d, asked %d\n%s", r.Exit, s.count()-before, r.Transcript)
	}
	if err := os.Rename(secretFile+".away", secretFile); err != nil {
		t.Fatal(err)
	}

	// No answer within timeout_ms: a temporary failure.
	hang := make(chan struct{})
	s.mu.Lock()
	s.hang = hang
	s.mu.Unlock()
	began := time.Now()
	r = m.Login(t, DovecotIMAP, user, pw, "")
	close(hang)
	if r.Exit != 67 || !r.Has("NO [UNAVAILABLE]") {
		t.Fatalf("no answer: exit %d\n%s", r.Exit, r.Transcript)
	}
	t.Logf("no answer: refused after %v (timeout_ms 1000)", time.Since(began).Round(time.Millisecond))

	// Dovecot's services as varco's protocols: submission and Postfix's
	// smtp are smtp; any other service is refused without asking.
	for service, protocol := range map[string]string{"submission": "smtp", "smtp": "smtp", "lmtp": "", "doveadm": ""} {
		before := s.count()
		out, err := exec.Command("doveadm", "-c", filepath.Join(m.dir, "dovecot.conf"), "auth", "test", "-x", "service="+service, user, pw).CombinedOutput()
		switch {
		case protocol == "" && (err == nil || s.count() != before):
			t.Errorf("service %s: signed in or asked varco (%v)\n%s", service, err, out)
		case protocol != "" && err != nil:
			t.Errorf("service %s: %v\n%s", service, err, out)
		case protocol != "":
			if q, _ := s.last(t); q["protocol"] != protocol {
				t.Errorf("service %s asked as %q", service, q["protocol"])
			}
		}
	}
}

// TestLuaPassdbCache: the auth cache of passdb-lua.conf.ext, with its TTL
// cut to 2 s — a repeated login does not ask varco; a login varco now
// refuses still signs in from the cache until the TTL has passed, and no
// longer after (SPEC §7.6: revocation within the TTL); a refusal is never
// cached (auth_cache_negative_ttl = 0), so the next good answer signs in
// at once.
func TestLuaPassdbCache(t *testing.T) {
	m := New(t)
	s := &stub{status: http.StatusOK, body: `{"result": "ok"}`}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	m.Start(t, srv.URL, "stub-secret-0123456789", Options{NoProxy: true, CacheTTL: "2 s"})
	const user, pw = "mario@acme.test", "abcd efgh ijkl mnop"
	login := func(what string, ok bool) {
		t.Helper()
		r := m.Login(t, DovecotIMAP, user, pw, "")
		if ok && (r.Exit != 0 || !r.Has("OK", "Logged in")) || !ok && (r.Exit != 67 || !r.Has("NO [AUTHENTICATIONFAILED]")) {
			t.Fatalf("%s: want signed in %v, got exit %d\n%s", what, ok, r.Exit, r.Transcript)
		}
	}
	login("first login", true)
	login("second login", true)
	if n := s.count(); n != 1 {
		t.Fatalf("two logins asked varco %d times: no cache", n)
	}
	s.answer(401, `{"error": "invalid_credentials"}`)
	login("revoked, within the TTL", true)
	began := time.Now()
	var last Result
	refused := testenv.Poll(20*time.Second, func() bool {
		last = m.Login(t, DovecotIMAP, user, pw, "")
		return last.Exit != 0
	})
	if !refused || last.Exit != 67 || !last.Has("NO [AUTHENTICATIONFAILED]") {
		t.Fatalf("revoked: after %v (TTL 2 s), exit %d\n%s", time.Since(began), last.Exit, last.Transcript)
	}
	t.Logf("revoked: refused %v after the first cached login", time.Since(began).Round(time.Millisecond))
	before := s.count()
	s.answer(200, `{"result": "ok"}`)
	login("good again", true)
	if s.count() == before {
		t.Fatal("the login after a refusal did not ask varco")
	}
}
