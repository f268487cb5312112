//go:build testclock

package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/mailservers"
)

// mailCheck runs curl logins against the test's mail servers and fails the
// test when the server's answer is not the one expected.
type mailCheck struct {
	t    *testing.T
	m    *mailservers.Servers
	from int // the last 127.0.0.N used as a client address
}

// Server answers, as curl -v shows them, by protocol.
var (
	loggedIn = map[string][]string{"imap": {"OK", "Logged in"}, "pop3": {"+OK Logged in"}, "smtp": {"235 "}}
	// refused by Dovecot (and Postfix, through Dovecot SASL)
	refusedDovecot = map[string][]string{"imap": {"NO [AUTHENTICATIONFAILED]"}, "pop3": {"-ERR [AUTH]"}, "smtp": {"535 5.7.8"}}
	// refused by nginx from varco's Auth-Status and Auth-Error-Code
	refusedProxy = map[string][]string{"imap": {"NO Invalid login or password"}, "pop3": {"-ERR Invalid login or password"}, "smtp": {"535 5.7.8 Invalid login or password"}}
)

func refused(e mailservers.Endpoint) []string {
	if e == mailservers.ProxyIMAP || e == mailservers.ProxyPOP3 || e == mailservers.ProxySMTP {
		return refusedProxy[e.Protocol()]
	}
	return refusedDovecot[e.Protocol()]
}

// nextIP is a client address of its own for a login that is to fail, so
// that no address collects the failures that throttle it (SPEC §9a).
func (c *mailCheck) nextIP() string {
	c.from++
	return fmt.Sprintf("127.0.0.%d", c.from+1)
}

// ok signs in at e and expects success; a message sent over SMTP must be
// accepted too.
func (c *mailCheck) ok(what string, e mailservers.Endpoint, user, pw string) {
	c.t.Helper()
	r := c.m.Login(c.t, e, user, pw, "")
	good := r.Exit == 0 && r.Has(loggedIn[e.Protocol()]...)
	if e.Protocol() == "smtp" {
		good = good && r.Has("250 2.0.0 Ok")
	}
	if !good {
		c.t.Fatalf("%s at %s: want a login, got exit %d:\n%s", what, e, r.Exit, r.Transcript)
	}
}

// no signs in at e from an address of its own and expects the answer for a
// wrong password (curl exit 67, "login denied").
func (c *mailCheck) no(what string, e mailservers.Endpoint, user, pw string) {
	c.t.Helper()
	r := c.m.Login(c.t, e, user, pw, c.nextIP())
	if r.Exit != 67 || !r.Has(refused(e)...) {
		c.t.Fatalf("%s at %s: want %q, got exit %d:\n%s", what, e, refused(e), r.Exit, r.Transcript)
	}
}

// soonNo signs in at e until the login is refused: a revocation that
// reached Dovecot's auth cache through VARCO_DOVECOT_CACHE_FLUSH. Until
// the flush has run, the cached login succeeds without asking varco. The
// deadline is half of the cache's 60 s TTL, so only the flush can make it.
func (c *mailCheck) soonNo(what string, e mailservers.Endpoint, user, pw string) {
	c.t.Helper()
	began := time.Now()
	defer func() { c.t.Logf("%s at %s: refused after %v", what, e, time.Since(began).Round(time.Millisecond)) }()
	deadline := began.Add(30 * time.Second)
	for {
		r := c.m.Login(c.t, e, user, pw, c.nextIP())
		switch {
		case r.Exit == 67 && r.Has(refused(e)...):
			return
		case r.Exit != 0 || !r.Has(loggedIn[e.Protocol()]...):
			c.t.Fatalf("%s at %s: want a refusal, got exit %d:\n%s", what, e, r.Exit, r.Transcript)
		case time.Now().After(deadline):
			c.t.Fatalf("%s at %s: still signed in from the cache after 30 s: was the cache flushed?", what, e)
		}
	}
}

// TestSeed_7_6_RealMailServers: SPEC §7 and §9a "Mail auth" with real
// servers and curl as the mail client — Dovecot (IMAP, POP3) with varco's
// Lua passdb (contrib/dovecot), Postfix SMTP AUTH through Dovecot SASL,
// and the nginx mail proxy (IMAP, POP3, SMTP) with auth_http. With 2-step
// verification on, the app password signs in everywhere and the account
// password nowhere [seed 7.1]; the archive works on plan pro and not on
// basic [seed 7.5]; Dovecot's auth cache serves repeated logins, and a
// deletion [seed 7.4], a change of mail access, an expiry [seed 7.3] and
// 2-step verification turned off each end a cached login at once through
// VARCO_DOVECOT_CACHE_FLUSH; with varco down Dovecot fails closed.
func TestSeed_7_6_RealMailServers(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			m := mailservers.New(t)
			b := setupBlackbox(t, engine) // mario in acme, plan pro
			b.varco("", "org", "create", "--name", "bottega", "--plan", "basic")
			b.varco("Rossi-Verde-2026\n", "user", "create", "--email", "luigi@bottega.test", "--password-stdin", "--org", "bottega")
			serve := b.serve(m.VarcoEnv(blackboxMailSecret)...)
			m.Start(t, b.url, blackboxMailSecret)
			c := &mailCheck{t: t, m: m}
			const mario, luigi = "mario@acme.test", "luigi@bottega.test"
			dir := t.TempDir()
			keyMario, keyLuigi := filepath.Join(dir, "mario.key"), filepath.Join(dir, "luigi.key")
			advance := func(d string) {
				t.Helper()
				if st, res := b.call("POST", "/_test/clock", "", map[string]string{"advance": d}); st != 200 {
					t.Fatalf("advance %s: %d %v", d, st, res)
				}
			}

			b.mustAuthenticator("enroll", "--server", b.url, "--email", mario, "--key-file", keyMario)
			tok := b.pushSession(mario, keyMario)
			_, phone := b.createAppPassword(tok, "telefono", nil)
			laptopID, laptop := b.createAppPassword(tok, "portatile", nil)
			b.mustAuthenticator("enroll", "--server", b.url, "--email", luigi, "--key-file", keyLuigi)
			_, luigiPW := b.createAppPassword(b.pushSession(luigi, keyLuigi), "telefono", nil)

			// [seed] 7.1: the app password everywhere, the account password
			// nowhere while 2-step verification is on.
			for _, e := range []mailservers.Endpoint{mailservers.DovecotIMAP, mailservers.DovecotPOP3, mailservers.PostfixSMTP,
				mailservers.ProxyIMAP, mailservers.ProxyPOP3, mailservers.ProxySMTP} {
				c.ok("app password", e, mario, phone)
			}
			// Three failures at most in a row, then a success that varco
			// sees (nginx asks every time), so that the account is never
			// throttled here.
			for i, e := range []mailservers.Endpoint{mailservers.DovecotIMAP, mailservers.PostfixSMTP, mailservers.ProxyIMAP,
				mailservers.DovecotPOP3, mailservers.ProxyPOP3, mailservers.ProxySMTP} {
				c.no("account password with 2FA on", e, mario, "Rossi-Verde-2026")
				if i%3 == 2 {
					c.ok("app password", mailservers.ProxyIMAP, mario, phone)
				}
			}

			// The Lua script writes any password as JSON that varco reads:
			// quotes, backslashes and UTF-8 come to a recorded refusal (401),
			// not a malformed question (400). (Dovecot itself refuses control
			// characters in a password without asking the passdb.)
			odd := c.nextIP()
			if r := m.Login(t, mailservers.DovecotIMAP, mario, `a"b\c {é}`, odd); r.Exit != 67 || !r.Has(refusedDovecot["imap"]...) {
				t.Fatalf("odd password: exit %d:\n%s", r.Exit, r.Transcript)
			}
			if !b.hasMailFailure(tok, odd) {
				t.Fatalf("no mail_login_failed from %s: varco did not read the odd password's question", odd)
			}

			// [seed] 7.5: the archive on pro, not on basic.
			c.ok("archive on plan pro", mailservers.DovecotArchive, mario, phone)
			c.no("archive on plan basic", mailservers.DovecotArchive, luigi, luigiPW)
			c.ok("mailbox on plan basic", mailservers.DovecotIMAP, luigi, luigiPW)

			// Dovecot's auth cache answers a repeated login without varco:
			// the last use stays the first login's address.
			c.ok("laptop", mailservers.DovecotIMAP, mario, laptop)
			if r := m.Login(t, mailservers.DovecotIMAP, mario, laptop, "127.0.0.200"); r.Exit != 0 || !r.Has("OK", "Logged in") {
				t.Fatalf("second login:\n%s", r.Transcript)
			}
			if ip := b.lastUseIP(tok, laptopID); ip != "127.0.0.1" {
				t.Fatalf("last use from %q: the second login was not served from Dovecot's cache", ip)
			}
			// [seed] 7.4: a deletion ends the cached login at once.
			if st, res := b.call("DELETE", fmt.Sprintf("/api/v1/me/app-passwords/%v", laptopID), tok, nil); st != 204 {
				t.Fatalf("delete: %d %v", st, res)
			}
			c.soonNo("deleted app password", mailservers.DovecotIMAP, mario, laptop)
			c.no("deleted app password", mailservers.ProxyIMAP, mario, laptop)
			c.ok("app password", mailservers.ProxyIMAP, mario, phone)

			// A change of mail access ends a cached POP3 login at once.
			if st, res := b.call("PUT", "/api/v1/me/mail-access", tok, map[string]bool{"imap": true, "pop3": false, "smtp": true}); st != 200 {
				t.Fatalf("mail access: %d %v", st, res)
			}
			c.soonNo("POP3 turned off", mailservers.DovecotPOP3, mario, phone)
			c.ok("IMAP still on", mailservers.ProxyIMAP, mario, phone)
			if st, res := b.call("PUT", "/api/v1/me/mail-access", tok, map[string]bool{"imap": true, "pop3": true, "smtp": true}); st != 200 {
				t.Fatalf("mail access: %d %v", st, res)
			}

			// [seed] 7.3: 90 days after its creation the app password
			// expires, and its cached login ends with the run of the jobs
			// that finds it expired; one made later still works.
			advance("1080h") // 45 days
			tok = b.pushSession(mario, keyMario)
			_, tablet := b.createAppPassword(tok, "tablet", nil)
			c.ok("app password at 45 days", mailservers.DovecotIMAP, mario, phone)
			advance("1080h") // 90 days: "phone" expires
			c.soonNo("expired app password", mailservers.DovecotIMAP, mario, phone)
			c.no("expired app password", mailservers.ProxySMTP, mario, phone)
			c.ok("app password of day 45", mailservers.DovecotIMAP, mario, tablet)
			c.ok("app password of day 45", mailservers.ProxyIMAP, mario, tablet)

			// 2-step verification off revokes every app password (SPEC
			// §7.2): the cached login ends at once.
			b.mustAuthenticator("logout", "--key-file", keyMario)
			c.soonNo("2-step verification off", mailservers.DovecotIMAP, mario, tablet)

			// varco down: a login Dovecot has not cached fails temporarily,
			// never succeeds.
			_ = serve.Process.Signal(syscall.SIGTERM)
			_ = serve.Wait()
			for e, want := range map[mailservers.Endpoint][]string{mailservers.DovecotPOP3: {"-ERR [SYS/TEMP]"},
				mailservers.DovecotArchive: {"NO [UNAVAILABLE]"},
				// Postfix 3.7 answers Dovecot's temporary failure as a refusal.
				mailservers.PostfixSMTP: {"535 5.7.8"}} {
				r := m.Login(t, e, luigi, luigiPW, c.nextIP())
				if r.Exit == 0 || !r.Has(want...) {
					t.Fatalf("varco down, at %s: want %q, got exit %d:\n%s", e, want, r.Exit, r.Transcript)
				}
			}
			r := m.Login(t, mailservers.ProxyIMAP, luigi, luigiPW, c.nextIP())
			if r.Exit == 0 || !r.Has("BAD internal server error") {
				t.Fatalf("varco down, through nginx: want a failure, got exit %d:\n%s", r.Exit, r.Transcript)
			}
		})
	}
}

// lastUseIP is the address of the last use of app password id.
func (b *blackbox) lastUseIP(tok string, id any) string {
	b.t.Helper()
	st, res := b.call("GET", "/api/v1/me/app-passwords", tok, nil)
	list, _ := res["app_passwords"].([]any)
	if st != 200 {
		b.t.Fatalf("list app passwords: %d %v", st, res)
	}
	for _, x := range list {
		p, _ := x.(map[string]any)
		if fmt.Sprint(p["id"]) == fmt.Sprint(id) {
			lu, _ := p["last_use"].(map[string]any)
			ip, _ := lu["ip"].(string)
			return ip
		}
	}
	b.t.Fatalf("app password %v not listed: %v", id, strings.TrimSpace(fmt.Sprint(res)))
	return ""
}

// hasMailFailure reports whether the account's history has a
// mail_login_failed from ip.
func (b *blackbox) hasMailFailure(tok, ip string) bool {
	b.t.Helper()
	st, res := b.call("GET", "/api/v1/me/activity", tok, nil)
	if st != 200 {
		b.t.Fatalf("activity: %d %v", st, res)
	}
	events, _ := res["events"].([]any)
	for _, x := range events {
		e, _ := x.(map[string]any)
		if e["event"] == "mail_login_failed" && e["ip"] == ip {
			return true
		}
	}
	return false
}

// TestSeed_7_6_DovecotCheckpassword: the fallback of SPEC §7.6 with a real
// Dovecot — `varco checkpassword` from contrib/dovecot/
// passdb-checkpassword.conf.ext signs in the app password over IMAP and
// POP3 [seed 7.1], refuses the account password while 2-step verification
// is on, and, never cached, refuses a deleted app password at once
// [seed 7.4].
func TestSeed_7_6_DovecotCheckpassword(t *testing.T) {
	m := mailservers.New(t)
	b := setupBlackbox(t, "sqlite")
	b.serve(m.VarcoEnv(blackboxMailSecret)...)
	m.Start(t, b.url, blackboxMailSecret, mailservers.Options{NoProxy: true, Checkpassword: binary})
	c := &mailCheck{t: t, m: m}
	const mario = "mario@acme.test"
	key := filepath.Join(t.TempDir(), "mario.key")
	b.mustAuthenticator("enroll", "--server", b.url, "--email", mario, "--key-file", key)
	tok := b.pushSession(mario, key)
	id, pw := b.createAppPassword(tok, "telefono", nil)

	c.ok("app password", mailservers.DovecotIMAP, mario, pw)
	c.ok("app password", mailservers.DovecotPOP3, mario, pw)
	c.no("account password with 2FA on", mailservers.DovecotIMAP, mario, "Rossi-Verde-2026")
	c.ok("app password", mailservers.DovecotIMAP, mario, pw)
	if st, res := b.call("DELETE", fmt.Sprintf("/api/v1/me/app-passwords/%v", id), tok, nil); st != 204 {
		t.Fatalf("delete: %d %v", st, res)
	}
	c.no("deleted app password", mailservers.DovecotIMAP, mario, pw)
}
