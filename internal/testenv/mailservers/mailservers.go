// Package mailservers runs real mail servers for tests, asking a running
// varco whether a login is good (SPEC §7.6): Dovecot (IMAP, POP3 and the
// SASL auth service) with varco's Lua passdb from contrib/dovecot, Postfix
// (smtpd with SMTP AUTH through Dovecot SASL) and the nginx mail proxy
// (IMAP, POP3, SMTP with auth_http). Each listens on loopback high ports,
// keeps its configuration, state and logs in a temporary directory, and is
// stopped when the test ends. curl is the mail client.
//
//	m := mailservers.New(t)            // skips (or fails under CI) without the servers
//	// … start varco with m.VarcoEnv(secret) …
//	m.Start(t, varcoURL, secret)
//	out := m.Login(t, mailservers.DovecotIMAP, user, pw, "")
//
// The daemons run as root (Dovecot and Postfix drop privileges for their
// workers), so the tests need root, as the README's test command has.
package mailservers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"varco.dev/varco/internal/testenv"
)

// Binaries the servers need (Debian packages dovecot-imapd, dovecot-pop3d,
// dovecot-auth-lua, postfix, nginx, libnginx-mod-mail, curl).
var (
	binaries   = []string{"dovecot", "doveadm", "postfix", "nginx", "curl"}
	luaModule  = "/usr/lib/dovecot/modules/auth/libauthdb_lua.so"
	mailModule = "/usr/lib/nginx/modules/ngx_mail_module.so"
)

// Endpoint is one place a mail client can sign in.
type Endpoint int

// The endpoints Start opens.
const (
	DovecotIMAP    Endpoint = iota // Dovecot IMAP, resource mailbox
	DovecotArchive                 // Dovecot IMAP on the archive port, resource archive
	DovecotPOP3                    // Dovecot POP3
	PostfixSMTP                    // Postfix smtpd, SMTP AUTH through Dovecot SASL
	ProxyIMAP                      // nginx mail proxy, IMAP (to Dovecot)
	ProxyPOP3                      // nginx mail proxy, POP3 (to Dovecot)
	ProxySMTP                      // nginx mail proxy, SMTP (to Postfix with XCLIENT)
	saslPort                       // Dovecot's auth service for Postfix
	endpoints
)

var endpointNames = [...]string{"Dovecot IMAP", "Dovecot IMAP (archive)", "Dovecot POP3", "Postfix SMTP",
	"nginx IMAP", "nginx POP3", "nginx SMTP", "Dovecot SASL"}

func (e Endpoint) String() string { return endpointNames[e] }

// Protocol is the endpoint's mail protocol: imap, pop3 or smtp.
func (e Endpoint) Protocol() string {
	switch e {
	case DovecotPOP3, ProxyPOP3:
		return "pop3"
	case PostfixSMTP, ProxySMTP:
		return "smtp"
	}
	return "imap"
}

// Servers are the mail servers of one test.
type Servers struct {
	dir   string
	ports [endpoints]int
	logs  map[string]string // name → log file
}

// New checks that the servers can run (skipping the test, or failing it
// under VARCO_REQUIRE_INTEGRATION=1, when they cannot) and chooses their
// directory and ports; Start starts them.
func New(t testing.TB) *Servers {
	t.Helper()
	var missing []string
	for _, b := range binaries {
		if _, err := exec.LookPath(b); err != nil {
			missing = append(missing, b)
		}
	}
	for _, f := range []string{luaModule, mailModule} {
		if _, err := os.Stat(f); err != nil {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		testenv.Missing(t, "mail servers ("+strings.Join(missing, ", ")+")")
	}
	if os.Geteuid() != 0 {
		testenv.Missing(t, "root, which the mail servers need")
	}
	// Short: Dovecot's sockets live under it, and a socket path has at most
	// 107 bytes.
	dir, err := os.MkdirTemp("/tmp", "varco-mail-")
	if err != nil {
		t.Fatal(err)
	}
	// The daemons' unprivileged processes read (and Dovecot's mail
	// processes write) below it.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Servers{dir: dir, logs: map[string]string{}}
	t.Cleanup(func() { removeAll(t, dir) })
	s.ports = freePorts(t)
	return s
}

// Port is the endpoint's port on 127.0.0.1.
func (s *Servers) Port(e Endpoint) int { return s.ports[e] }

// addr is 127.0.0.1:port of e.
func (s *Servers) addr(e Endpoint) string { return "127.0.0.1:" + strconv.Itoa(s.ports[e]) }

// VarcoEnv is the environment varco needs to serve these servers: the
// shared secret, the backends nginx hands accepted logins to, and the
// command that flushes Dovecot's auth cache.
func (s *Servers) VarcoEnv(secret string) []string {
	return []string{
		"VARCO_MAIL_AUTH_SECRET=" + secret,
		"VARCO_MAIL_BACKEND_IMAP=" + s.addr(DovecotIMAP),
		"VARCO_MAIL_BACKEND_POP3=" + s.addr(DovecotPOP3),
		"VARCO_MAIL_BACKEND_SMTP=" + s.addr(PostfixSMTP),
		"VARCO_DOVECOT_CACHE_FLUSH=" + s.FlushCommand(),
	}
}

// FlushCommand flushes the auth cache of the test's Dovecot.
func (s *Servers) FlushCommand() string {
	return "doveadm -c " + filepath.Join(s.dir, "dovecot.conf") + " auth cache flush"
}

// Options change what Start runs.
type Options struct {
	// NoProxy leaves nginx and Postfix out: Dovecot alone.
	NoProxy bool
	// NoCache turns Dovecot's auth cache off (auth_cache_size = 0).
	NoCache bool
	// PasswdFile, if set, is the content of a Dovecot passwd-file that a
	// passdb before varco's consults: its users never reach varco, the
	// others do.
	PasswdFile string
	// TimeoutMS, if set, replaces the Lua script's timeout_ms (5000).
	TimeoutMS int
	// CacheTTL, if set, replaces auth_cache_ttl (60 s) of
	// passdb-lua.conf.ext, e.g. "2 s".
	CacheTTL string
	// Checkpassword, if set, is the path of a varco binary: Dovecot asks
	// through "varco checkpassword" (contrib/dovecot/
	// passdb-checkpassword.conf.ext) instead of the Lua passdb.
	Checkpassword string
}

// Start writes the configurations and starts Dovecot, Postfix and nginx,
// asking the varco at varcoURL with secret, and returns when every port
// answers. They stop when the test ends.
func (s *Servers) Start(t testing.TB, varcoURL, secret string, o ...Options) {
	t.Helper()
	var opt Options
	if len(o) > 0 {
		opt = o[0]
	}
	began := time.Now()
	defer func() { t.Logf("mail servers started in %v", time.Since(began).Round(time.Millisecond)) }()
	t.Cleanup(func() {
		if t.Failed() {
			s.dumpLogs(t)
		}
	})
	s.writeDovecot(t, varcoURL, secret, opt)
	// The checkpassword helper reads the secret from the environment
	// Dovecot passes on (import_environment).
	s.start(t, "dovecot", []string{"VARCO_MAIL_AUTH_SECRET=" + secret}, "dovecot", "-F", "-c", filepath.Join(s.dir, "dovecot.conf"))
	wait := []Endpoint{DovecotIMAP, DovecotArchive, DovecotPOP3, saslPort}
	if !opt.NoProxy {
		s.writePostfix(t)
		s.start(t, "postfix", nil, "postfix", "-c", filepath.Join(s.dir, "postfix"), "start-fg")
		s.writeNginx(t, varcoURL, secret)
		s.start(t, "nginx", nil, "nginx", "-c", filepath.Join(s.dir, "nginx.conf"), "-p", s.dir, "-e", "stderr")
		wait = append(wait, PostfixSMTP, ProxyIMAP, ProxyPOP3, ProxySMTP)
	}
	for _, e := range wait {
		s.waitPort(t, e)
	}
	if !opt.NoProxy {
		// Postfix's master leaves the process group for a session of its
		// own: stop it by its pid file (waited for, in case the master
		// listens before it writes it).
		var b []byte
		var err error
		pid := 0
		testenv.Poll(10*time.Second, func() bool {
			b, err = os.ReadFile(filepath.Join(s.dir, "postfix-queue", "pid", "master.pid"))
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			return err == nil && pid > 1
		})
		if err != nil || pid <= 1 {
			t.Fatalf("postfix master pid: %q %v", b, err)
		}
		t.Cleanup(func() { stopGroup(t, "postfix master", pid, nil) })
	}
}

// repoFile is the path of a file of the repository (rel from its root).
func repoFile(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, rel)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the working directory: cannot find %s", rel)
		}
		dir = parent
	}
}

// render returns the repository file rel with each old string replaced by
// its new one; an old string that is not there fails the test, so that the
// shipped file and the test cannot drift apart.
func render(t testing.TB, rel string, pairs ...string) string {
	t.Helper()
	b, err := os.ReadFile(repoFile(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(out, pairs[i]) {
			t.Fatalf("%s no longer contains %q", rel, pairs[i])
		}
		out = strings.ReplaceAll(out, pairs[i], pairs[i+1])
	}
	return out
}

func (s *Servers) write(t testing.TB, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(s.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func (s *Servers) mkdir(t testing.TB, name, owner string) string {
	t.Helper()
	p := filepath.Join(s.dir, name)
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if owner != "" {
		chown(t, p, owner)
	}
	return p
}

func chown(t testing.TB, path, owner string) {
	t.Helper()
	if out, err := exec.Command("chown", owner, path).CombinedOutput(); err != nil {
		t.Fatalf("chown %s %s: %v %s", owner, path, err, out)
	}
}

// writeDovecot writes dovecot.conf, the shipped passdb snippet and Lua
// script with this test's paths, and the secret file.
func (s *Servers) writeDovecot(t testing.TB, varcoURL, secret string, opt Options) {
	t.Helper()
	secretFile := s.write(t, "varco-mail-auth.secret", secret+"\n", 0o600)
	chown(t, secretFile, "dovecot") // the auth workers run as dovecot (passdb-lua.conf.ext)
	timeout := 5000
	if opt.TimeoutMS > 0 {
		timeout = opt.TimeoutMS
	}
	script := s.write(t, "varco-auth.lua", render(t, "contrib/dovecot/varco-auth.lua",
		`url = "http://127.0.0.1:8080/api/v1/mail/auth"`, `url = "`+varcoURL+`/api/v1/mail/auth"`,
		`secret_file = "/etc/dovecot/varco-mail-auth.secret"`, `secret_file = "`+secretFile+`"`,
		`timeout_ms = 5000,`, fmt.Sprintf(`timeout_ms = %d,`, timeout),
		`archive_ports = {},`, fmt.Sprintf(`archive_ports = { [%d] = true },`, s.ports[DovecotArchive]),
	), 0o644)
	passdb := render(t, "contrib/dovecot/passdb-lua.conf.ext", "file=/etc/dovecot/varco-auth.lua", "file="+script)
	if opt.NoCache {
		passdb = strings.Replace(passdb, "auth_cache_size = 10M", "auth_cache_size = 0", 1)
	}
	if opt.CacheTTL != "" {
		passdb = strings.Replace(passdb, "auth_cache_ttl = 60 s", "auth_cache_ttl = "+opt.CacheTTL, 1)
	}
	if opt.Checkpassword != "" {
		// Dovecot's auth process, which runs the helper, is not root: a
		// copy where it may run it.
		b, err := os.ReadFile(opt.Checkpassword)
		if err != nil {
			t.Fatal(err)
		}
		helper := s.write(t, "varco", string(b), 0o755)
		passdb = render(t, "contrib/dovecot/passdb-checkpassword.conf.ext",
			"/usr/local/bin/varco checkpassword --url http://127.0.0.1:8080", helper+" checkpassword --url "+varcoURL)
	}
	if opt.PasswdFile != "" {
		users := s.write(t, "users", opt.PasswdFile, 0o644)
		passdb = "passdb {\n  driver = passwd-file\n  args = " + users + "\n}\n" + passdb
	}
	s.write(t, "passdb.conf.ext", passdb, 0o644)
	s.mkdir(t, "mail", "nobody:nogroup")
	s.logs["dovecot"] = filepath.Join(s.dir, "dovecot.log")
	s.write(t, "dovecot.conf", fmt.Sprintf(`# Dovecot for one test: loopback high ports, no TLS (loopback only).
instance_name = varco-test-%[1]d
base_dir = %[2]s/dovecot
state_dir = %[2]s/dovecot-state
log_path = %[2]s/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Tests fail logins on purpose: no delay, no per-IP penalty.
auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
!include %[2]s/passdb.conf.ext
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=%[2]s/mail/%%d/%%n allow_all_users=yes
}
mail_location = maildir:~/Maildir
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[3]d
  }
  inet_listener archive {
    address = 127.0.0.1
    port = %[4]d
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = %[5]d
  }
  inet_listener pop3s {
    port = 0
  }
}
service auth {
  # Postfix's SMTP AUTH (smtpd_sasl_type = dovecot)
  inet_listener sasl {
    address = 127.0.0.1
    port = %[6]d
  }
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
`, s.ports[DovecotIMAP], s.dir, s.ports[DovecotIMAP], s.ports[DovecotArchive], s.ports[DovecotPOP3], s.ports[saslPort]), 0o644)
}

// writePostfix writes a private Postfix configuration: smtpd on a high
// port with SMTP AUTH through Dovecot SASL, relaying for authenticated
// clients only, and every message discarded.
func (s *Servers) writePostfix(t testing.TB) {
	t.Helper()
	s.mkdir(t, "postfix-queue", "")
	s.mkdir(t, "postfix-data", "postfix")
	s.write(t, "postfix/main.cf", fmt.Sprintf(`# Postfix for one test (postfix -c %[1]s/postfix start-fg)
compatibility_level = 3.6
queue_directory = %[1]s/postfix-queue
data_directory = %[1]s/postfix-data
maillog_file = /dev/stdout
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mail.varco.test
mydestination =
alias_maps =
alias_database =
mynetworks = 127.0.0.1/32
default_transport = discard:
relay_transport = discard:
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:%[2]d
smtpd_sasl_auth_enable = yes
smtpd_tls_security_level = none
smtpd_relay_restrictions = permit_sasl_authenticated, reject
# nginx passes the signed-in login and the client's address with XCLIENT
smtpd_authorized_xclient_hosts = 127.0.0.1
`, s.dir, s.ports[saslPort]), 0o644)
	s.write(t, "postfix/master.cf", fmt.Sprintf(`# No chroot, one smtpd on a loopback high port.
127.0.0.1:%d inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`, s.ports[PostfixSMTP]), 0o644)
}

// writeNginx writes nginx.conf from contrib/nginx/varco-mail.conf with this
// test's ports and varco.
func (s *Servers) writeNginx(t testing.TB, varcoURL, secret string) {
	t.Helper()
	mail := render(t, "contrib/nginx/varco-mail.conf",
		"127.0.0.1:8080/mail/auth-http", strings.TrimPrefix(varcoURL, "http://")+"/mail/auth-http",
		`X-Varco-Secret "change-me"`, `X-Varco-Secret "`+secret+`"`,
		"listen     143;", "listen     "+s.addr(ProxyIMAP)+";",
		"listen     110;", "listen     "+s.addr(ProxyPOP3)+";",
		"listen     587;", "listen     "+s.addr(ProxySMTP)+";",
	)
	s.write(t, "nginx.conf", fmt.Sprintf(`load_module %s;
daemon off;
worker_processes 1;
pid %s/nginx.pid;
error_log stderr info;
events {
    worker_connections 64;
}
%s`, mailModule, s.dir, mail), 0o644)
}

// start runs a daemon in the foreground in its own process group, with
// env added to the test's environment and its output in a log file; the
// test's end stops the whole group.
func (s *Servers) start(t testing.TB, name string, env []string, argv ...string) {
	t.Helper()
	logPath := filepath.Join(s.dir, name+".out")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.logs[name]; !ok {
		s.logs[name] = logPath
	} else {
		s.logs[name+" output"] = logPath
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(exited) }()
	pgid := cmd.Process.Pid
	t.Cleanup(func() { stopGroup(t, name, pgid, exited) })
}

// stopGroup ends the process group pgid (the daemon and every process it
// forked) and waits until none of it is left, nor the process start
// waits for (exited, when not nil).
func stopGroup(t testing.TB, name string, pgid int, exited <-chan struct{}) {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	gone := func() bool {
		if exited != nil {
			select {
			case <-exited:
			default:
				return false
			}
		}
		return errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
	}
	if testenv.Poll(10*time.Second, gone) {
		return
	}
	t.Logf("%s did not stop within 10 s of SIGTERM: killing its process group", name)
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	if !testenv.Poll(10*time.Second, gone) {
		t.Errorf("%s (process group %d) is still running", name, pgid)
	}
}

func (s *Servers) waitPort(t testing.TB, e Endpoint) {
	t.Helper()
	up := testenv.Poll(30*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", s.addr(e), time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
	if !up {
		t.Fatalf("%s did not listen on %s within 30 s", e, s.addr(e))
	}
}

// freePorts returns a loopback port for each endpoint, all different, each
// free a moment ago. Every port stays taken until all are chosen: the
// kernel may hand out a port it just got back, and did for 8 in 2,000
// sets of nine taken one at a time (two servers then asked for one port).
func freePorts(t testing.TB) [endpoints]int {
	t.Helper()
	var ports [endpoints]int
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// removeAll removes dir once the daemons' last processes let go of it.
func removeAll(t testing.TB, dir string) {
	var err error
	if !testenv.Poll(10*time.Second, func() bool { err = os.RemoveAll(dir); return err == nil }) {
		t.Errorf("remove the mail servers' directory: %v", err)
	}
}

func (s *Servers) dumpLogs(t testing.TB) {
	for name, p := range s.logs {
		b, _ := os.ReadFile(p)
		if len(b) > 10000 {
			// The start (a crash's first lines) and the end.
			b = append(append(b[:3000:3000], "\n…\n"...), b[len(b)-7000:]...)
		}
		t.Logf("%s log (%s):\n%s", name, p, b)
	}
}

// Result is what curl saw of one session.
type Result struct {
	Exit       int    // curl's exit status
	Transcript string // the protocol lines curl -v printed ("< " from the server, "> " from curl) and its errors
}

// Has reports whether a server line contains every one of parts, in
// order, such as Has("OK", "Logged in").
func (r Result) Has(parts ...string) bool {
	for _, line := range strings.Split(r.Transcript, "\n") {
		if !strings.HasPrefix(line, "< ") {
			continue
		}
		rest, ok := line, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}

// Login signs in at e with curl as user with password pw, from source
// address from (127.0.0.N; "" for 127.0.0.1): IMAP lists the folders,
// POP3 lists the messages, SMTP sends a message from and to user after
// AUTH. It returns what curl saw.
func (s *Servers) Login(t testing.TB, e Endpoint, user, pw, from string) Result {
	t.Helper()
	args := []string{"-sS", "-v", "--max-time", "30", "--user", user + ":" + pw}
	if from != "" {
		args = append(args, "--interface", from)
	}
	switch e.Protocol() {
	case "imap":
		args = append(args, "imap://"+s.addr(e)+"/")
	case "pop3":
		args = append(args, "pop3://"+s.addr(e)+"/")
	case "smtp":
		msg := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: varco test\r\n\r\nhello\r\n", user, user)
		args = append(args, "--mail-from", user, "--mail-rcpt", user, "--upload-file", "-", "smtp://"+s.addr(e))
		return curl(t, msg, args...)
	}
	return curl(t, "", args...)
}

func curl(t testing.TB, stdin string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "curl", args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	r := Result{Transcript: strings.ReplaceAll(out.String(), "\r", "")}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		r.Exit = exit.ExitCode()
	default:
		t.Fatalf("curl: %v", err)
	}
	return r
}
