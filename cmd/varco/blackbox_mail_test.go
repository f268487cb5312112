//go:build testclock

package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/smtpsink"
)

const blackboxMailSecret = "mail-servers-shared-secret-0123456789"

// mailAuth asks POST /api/v1/mail/auth as a mail server would and returns
// the status.
func (b *blackbox) mailAuth(user, pw, protocol, ip, resource string) int {
	b.t.Helper()
	body := map[string]string{"username": user, "password": pw, "protocol": protocol, "client_ip": ip}
	if resource != "" {
		body["resource"] = resource
	}
	st, res := b.send("POST", "/api/v1/mail/auth", blackboxMailSecret, body)
	if st == 200 && res["result"] != "ok" {
		b.t.Fatalf("mail auth: 200 %v", res)
	}
	return st
}

// pushSession signs email in with push approval on the device of keyFile
// and returns the session token.
func (b *blackbox) pushSession(email, keyFile string) string {
	b.t.Helper()
	st, res := b.call("POST", "/api/v1/login", "", map[string]string{"email": email, "password": "Rossi-Verde-2026"})
	if st != 200 || res["state"] != "push_required" {
		b.t.Fatalf("login of %s with 2FA on: %d %v", email, st, res)
	}
	flow, number := res["flow"].(string), res["number"].(string)
	b.mustAuthenticator("approve", "--key-file", keyFile, "--number", number)
	st, res = b.call("GET", "/api/v1/login/"+flow, "", nil)
	tok, _ := res["session_token"].(string)
	if st != 200 || res["state"] != "authenticated" || tok == "" {
		b.t.Fatalf("poll after the approval: %d %v", st, res)
	}
	return tok
}

// createAppPassword makes an app password (or rotates id when given) and
// returns its id and secret.
func (b *blackbox) createAppPassword(tok, label string, rotate any) (any, string) {
	b.t.Helper()
	path, body := "/api/v1/me/app-passwords", any(map[string]string{"label": label})
	if rotate != nil {
		path, body = fmt.Sprintf("/api/v1/me/app-passwords/%v/rotate", rotate), nil
	}
	st, res := b.call("POST", path, tok, body)
	pw, _ := res["password"].(string)
	if st != 201 || res["id"] == nil || pw == "" || res["expires_at"] == nil {
		b.t.Fatalf("POST %s: %d %v", path, st, res)
	}
	return res["id"], pw
}

// TestSeed_7_AppPasswordsForMailServers drives the testclock binary through
// SPEC §7 and §9a "App passwords:"/"Mail auth:": with 2-step verification
// on (enrolled with the command-line authenticator, signed in by push) an
// app password opens IMAP and the account password does not; after a
// rotation the previous secret works for 72 hours and then not; a deleted
// one is refused at once, another one expires after 90 days; the archive
// is refused on plan basic and allowed on pro.
func TestSeed_7_AppPasswordsForMailServers(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			b := setupBlackbox(t, engine) // mario in acme, plan pro
			b.varco("", "org", "create", "--name", "bottega", "--plan", "basic")
			b.varco("Rossi-Verde-2026\n", "user", "create", "--email", "luigi@bottega.test", "--password-stdin", "--org", "bottega")
			b.serve("VARCO_MAIL_AUTH_SECRET=" + blackboxMailSecret)
			dir := t.TempDir()
			keyMario, keyLuigi := filepath.Join(dir, "mario.key"), filepath.Join(dir, "luigi.key")
			advance := func(d string) {
				t.Helper()
				if st, res := b.call("POST", "/_test/clock", "", map[string]string{"advance": d}); st != 200 {
					t.Fatalf("advance %s: %d %v", d, st, res)
				}
			}
			const mario, luigi = "mario@acme.test", "luigi@bottega.test"
			expect := func(what string, got, want int) {
				t.Helper()
				if got != want {
					t.Fatalf("%s: mail auth answered %d, want %d", what, got, want)
				}
			}

			// 2-step verification on; a session by push approval.
			b.mustAuthenticator("enroll", "--server", b.url, "--email", mario, "--key-file", keyMario)
			tok := b.pushSession(mario, keyMario)
			phone, phonePW := b.createAppPassword(tok, "telefono", nil)
			_, laptopPW := b.createAppPassword(tok, "portatile", nil)

			expect("app password, IMAP", b.mailAuth(mario, phonePW, "imap", "192.0.2.10", ""), 200)
			expect("second app password, IMAP", b.mailAuth(mario, laptopPW, "imap", "192.0.2.11", ""), 200)
			expect("app password, archive on pro", b.mailAuth(mario, phonePW, "imap", "192.0.2.10", "archive"), 200)
			expect("account password with 2FA on", b.mailAuth(mario, "Rossi-Verde-2026", "imap", "192.0.2.12", ""), 401)
			expect("wrong secret", b.mailAuth(mario, laptopPW+"x", "imap", "192.0.2.12", ""), 401)

			// Plan basic: the mailbox, never the archive.
			b.mustAuthenticator("enroll", "--server", b.url, "--email", luigi, "--key-file", keyLuigi)
			luigiTok := b.pushSession(luigi, keyLuigi)
			_, luigiPW := b.createAppPassword(luigiTok, "telefono", nil)
			expect("basic plan, mailbox", b.mailAuth(luigi, luigiPW, "imap", "192.0.2.20", ""), 200)
			expect("basic plan, archive", b.mailAuth(luigi, luigiPW, "imap", "192.0.2.20", "archive"), 401)

			// Rotation: the previous secret works for 72 hours, then not.
			_, phonePW2 := b.createAppPassword(tok, "", phone)
			if phonePW2 == phonePW {
				t.Fatal("rotation returned the same password")
			}
			expect("new secret after the rotation", b.mailAuth(mario, phonePW2, "imap", "192.0.2.10", ""), 200)
			expect("previous secret after the rotation", b.mailAuth(mario, phonePW, "imap", "192.0.2.10", ""), 200)
			advance("71h59m")
			expect("previous secret at +71h59m", b.mailAuth(mario, phonePW, "imap", "192.0.2.10", ""), 200)
			advance("1m")
			expect("previous secret at +72h", b.mailAuth(mario, phonePW, "imap", "192.0.2.10", ""), 401)
			expect("new secret at +72h", b.mailAuth(mario, phonePW2, "imap", "192.0.2.10", ""), 200)

			// Deletion is immediate.
			tok = b.pushSession(mario, keyMario)
			if st, res := b.call("DELETE", fmt.Sprintf("/api/v1/me/app-passwords/%v", phone), tok, nil); st != 204 && st != 200 {
				t.Fatalf("delete: %d %v", st, res)
			}
			expect("deleted app password", b.mailAuth(mario, phonePW2, "imap", "192.0.2.10", ""), 401)

			// The other one expires 90 days after its creation.
			expect("second app password before expiry", b.mailAuth(mario, laptopPW, "imap", "192.0.2.11", ""), 200)
			advance("2087h") // 89 days 23 hours after its creation
			expect("second app password at 89 days 23 hours", b.mailAuth(mario, laptopPW, "imap", "192.0.2.11", ""), 200)
			advance("1h")
			expect("second app password after 90 days", b.mailAuth(mario, laptopPW, "imap", "192.0.2.11", ""), 401)
		})
	}
}

// TestSeed_7_3_AppPasswordExpiryMail: [seed] SPEC §7.3 through the
// testclock binary — an app password is warned by e-mail 14 days before it
// expires, a jump from there to 1 day left sends only the 1-day warning,
// and at expiry app_password_expired goes out; each once.
func TestSeed_7_3_AppPasswordExpiryMail(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			b := setupBlackbox(t, engine) // mario in acme, plan pro
			b.serve()
			key := filepath.Join(t.TempDir(), "mario.key")
			b.mustAuthenticator("enroll", "--server", b.url, "--email", "mario@acme.test", "--key-file", key)
			b.createAppPassword(b.pushSession("mario@acme.test", key), "telefono", nil)
			notices := func() []smtpsink.Mail {
				var out []smtpsink.Mail
				for _, m := range b.sink.Messages() {
					if ev := m.Header.Get("X-Varco-Event"); ev == "app_password_expiry_warning_sent" || ev == "app_password_expired" {
						out = append(out, m)
					}
				}
				return out
			}
			steps := []struct {
				advance string
				want    int    // app password e-mails so far
				event   string // of the last one
				text    string // in its text
			}{
				{"1823h", 0, "", ""}, // 75 days 23 hours: 15 days left
				{"1h", 1, "app_password_expiry_warning_sent", "14"},
				{"312h", 2, "app_password_expiry_warning_sent", "telefono"}, // 1 day left: 7 skipped
				{"23h", 2, "", ""},
				{"1h", 3, "app_password_expired", "telefono"},
				{"240h", 3, "", ""},
			}
			for _, s := range steps {
				if st, res := b.call("POST", "/_test/clock", "", map[string]string{"advance": s.advance}); st != 200 {
					t.Fatalf("advance %s: %d %v", s.advance, st, res)
				}
				got := notices()
				if len(got) != s.want {
					t.Fatalf("after +%s: %d app password e-mails, want %d", s.advance, len(got), s.want)
				}
				if s.event == "" {
					continue
				}
				last := got[len(got)-1]
				if last.Header.Get("X-Varco-Event") != s.event || !strings.Contains(last.Text, s.text) {
					t.Fatalf("after +%s: %s %q\n%s", s.advance, last.Header.Get("X-Varco-Event"), last.Subject, last.Text)
				}
			}
			if s := notices()[1].Subject; !strings.Contains(s, "domani") && !strings.Contains(s, "tomorrow") {
				t.Fatalf("1-day warning subject %q", s)
			}
		})
	}
}
