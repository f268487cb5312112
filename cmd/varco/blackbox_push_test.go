//go:build testclock

package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/smtpsink"
)

// authenticator runs `varco authenticator …` with the password and PIN in
// the environment and returns its output and whether it succeeded.
func (b *blackbox) authenticator(args ...string) (string, bool) {
	b.t.Helper()
	cmd := exec.Command(binary, append([]string{"authenticator"}, args...)...)
	cmd.Env = append(append([]string{}, b.env...), "VARCO_PASSWORD=Rossi-Verde-2026", "VARCO_AUTHENTICATOR_PIN=482913-pin")
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func (b *blackbox) mustAuthenticator(args ...string) string {
	b.t.Helper()
	out, ok := b.authenticator(args...)
	if !ok {
		b.t.Fatalf("varco authenticator %s failed:\n%s", strings.Join(args, " "), out)
	}
	return out
}

var recoveryCode = regexp.MustCompile(`(?m)^[2-9A-Z]{5}-[2-9A-Z]{5}$`)

// TestSeed_6_PushWithCommandLineAuthenticator drives the testclock binary
// and the command-line authenticator through SPEC §6 and §9a "Push":
// enrolling turns 2-step verification on and prints 10 recovery codes; a
// login answers push_required with a 3-digit number, the CLI approves it
// and polling hands out the session once; a wrong number denies; a report
// e-mails the user and mutes push (429 push_muted); a request expires
// after 2 minutes; a recovery code replaces the device; signing out of the
// app turns 2FA off; DELETE /me/two-factor needs a fresh approval.
func TestSeed_6_PushWithCommandLineAuthenticator(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			b := newBlackbox(t, engine)
			dir := t.TempDir()
			keyA, keyB, keyC := filepath.Join(dir, "a.key"), filepath.Join(dir, "b.key"), filepath.Join(dir, "c.key")
			advance := func(d string) {
				t.Helper()
				if st, res := b.call("POST", "/_test/clock", "", map[string]string{"advance": d}); st != 200 {
					t.Fatalf("advance %s: %d %v", d, st, res)
				}
			}
			creds := map[string]string{"email": "mario@acme.test", "password": "Rossi-Verde-2026"}
			pushLogin := func() (flow, number string) {
				t.Helper()
				st, res := b.call("POST", "/api/v1/login", "", creds)
				if st != 200 || res["state"] != "push_required" {
					t.Fatalf("login with 2FA on: %d %v", st, res)
				}
				flow, number = res["flow"].(string), res["number"].(string)
				if !regexp.MustCompile(`^[0-9]{3}$`).MatchString(number) {
					t.Fatalf("number %q is not 3 digits", number)
				}
				return flow, number
			}
			poll := func(flow string) map[string]any {
				t.Helper()
				st, res := b.call("GET", "/api/v1/login/"+flow, "", nil)
				if st != 200 {
					t.Fatalf("poll: %d %v", st, res)
				}
				return res
			}
			wrong := func(n string) string {
				if n == "999" {
					return "998"
				}
				return "999"
			}

			// Enrollment: 2FA on, ten recovery codes, an e-mail.
			out := b.mustAuthenticator("enroll", "--server", b.url, "--email", "mario@acme.test", "--key-file", keyA)
			codes := recoveryCode.FindAllString(out, -1)
			if len(codes) != 10 {
				t.Fatalf("enroll printed %d recovery codes, want 10:\n%s", len(codes), out)
			}
			advance("1s")
			b.sink.Wait(t, smtpsink.EventIs("two_factor_enabled"), 10*time.Second)

			// Approve with the right number: the first poll opens the session.
			flow, number := pushLogin()
			if res := poll(flow); res["state"] != "push_required" {
				t.Fatalf("poll before the approval: %v", res)
			}
			var pending []map[string]any
			if err := json.Unmarshal([]byte(b.mustAuthenticator("pending", "--key-file", keyA)), &pending); err != nil || len(pending) != 1 {
				t.Fatalf("pending: %v %v", pending, err)
			}
			for _, f := range []string{"id", "application", "ip", "location", "time"} {
				if _, ok := pending[0][f]; !ok {
					t.Errorf("pending request lacks %s: %v", f, pending[0])
				}
			}
			if out := b.mustAuthenticator("approve", "--key-file", keyA, "--number", number); !strings.Contains(out, "approved") {
				t.Fatalf("approve: %s", out)
			}
			res := poll(flow)
			tok, _ := res["session_token"].(string)
			if res["state"] != "authenticated" || tok == "" {
				t.Fatalf("poll after the approval: %v", res)
			}
			if res := poll(flow); res["state"] != "authenticated" || res["session_token"] != nil {
				t.Fatalf("second poll handed out the session again: %v", res)
			}
			if st, res := b.call("GET", "/api/v1/me/two-factor", tok, nil); st != 200 || res["enabled"] != true {
				t.Fatalf("two-factor: %d %v", st, res)
			}

			// A wrong number is a denial.
			flow, number = pushLogin()
			if out, ok := b.authenticator("approve", "--key-file", keyA, "--number", wrong(number)); ok {
				t.Fatalf("approve with a wrong number succeeded: %s", out)
			}
			if res := poll(flow); res["state"] != "push_denied" {
				t.Fatalf("poll after a wrong number: %v", res)
			}

			// A report e-mails the user and mutes push.
			advance("11s") // the wait after a denied request
			flow, _ = pushLogin()
			b.mustAuthenticator("deny", "--key-file", keyA, "--report")
			if res := poll(flow); res["state"] != "push_denied" {
				t.Fatalf("poll after a report: %v", res)
			}
			advance("1s")
			b.sink.Wait(t, smtpsink.EventIs("push_reported"), 10*time.Second)
			st, res := b.call("POST", "/api/v1/login", "", creds)
			if st != 429 || res["error"] != "push_muted" || res["retry_after"] == nil {
				t.Fatalf("login while muted: %d %v", st, res)
			}

			// A request expires after 2 minutes.
			advance("61m")
			flow, _ = pushLogin()
			advance("2m")
			if res := poll(flow); res["state"] != "expired" {
				t.Fatalf("poll after 2 minutes: %v", res)
			}

			// A recovery code replaces the device; the old key stops working.
			// (Without one the old device is asked: TestSeed_6_1_ReplaceDeviceWithApproval.)
			b.mustAuthenticator("enroll", "--server", b.url, "--email", "mario@acme.test", "--key-file", keyB, "--recovery-code", codes[0])
			if out, ok := b.authenticator("pending", "--key-file", keyA); ok || !strings.Contains(out, "unauthorized") {
				t.Fatalf("the replaced device still works: %s", out)
			}
			if out, ok := b.authenticator("enroll", "--server", b.url, "--email", "mario@acme.test", "--key-file", keyC, "--recovery-code", codes[0]); ok ||
				!strings.Contains(out, "invalid_recovery_code") {
				t.Fatalf("a recovery code worked twice: %s", out)
			}
			advance("11s") // the wait after the expired request
			flow, number = pushLogin()
			b.mustAuthenticator("approve", "--key-file", keyB, "--number", number)
			res = poll(flow)
			tok, _ = res["session_token"].(string)
			if res["state"] != "authenticated" || tok == "" {
				t.Fatalf("poll after approving on the new device: %v", res)
			}

			// Signing out of the app turns 2FA off.
			b.mustAuthenticator("logout", "--key-file", keyB)
			if st, res := b.call("GET", "/api/v1/me/two-factor", tok, nil); st != 200 || res["enabled"] != false {
				t.Fatalf("two-factor after the app's sign-out: %d %v", st, res)
			}
			advance("1s")
			b.sink.Wait(t, smtpsink.EventIs("two_factor_disabled"), 10*time.Second)
			if st, res := b.call("POST", "/api/v1/login", "", creds); st != 200 || res["state"] != "authenticated" {
				t.Fatalf("login with 2FA off: %d %v", st, res)
			}

			// Disabling from account management needs a fresh approval.
			b.mustAuthenticator("enroll", "--server", b.url, "--email", "mario@acme.test", "--key-file", keyC)
			st, res = b.call("DELETE", "/api/v1/me/two-factor", tok, nil)
			if st != 202 || res["flow"] == nil || res["number"] == nil {
				t.Fatalf("DELETE two-factor: %d %v", st, res)
			}
			if st, res := b.call("GET", "/api/v1/me/two-factor", tok, nil); res["enabled"] != true {
				t.Fatalf("two-factor before the approval: %d %v", st, res)
			}
			b.mustAuthenticator("approve", "--key-file", keyC, "--number", res["number"].(string))
			if st, res := b.call("GET", "/api/v1/me/two-factor", tok, nil); st != 200 || res["enabled"] != false {
				t.Fatalf("two-factor after the approval: %d %v", st, res)
			}
		})
	}
}
