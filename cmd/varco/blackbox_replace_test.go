//go:build testclock

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/smtpsink"
)

// enrollWaiting starts `varco authenticator enroll` for an account that
// has a device: it prints the number to type on the old device and waits
// for the old device's answer. It returns the number and a function that
// waits for the command's end, returning its output and success.
func (b *blackbox) enrollWaiting(keyFile string) (string, func() (string, bool)) {
	b.t.Helper()
	r := b.startEnroll(keyFile)
	return r.number, r.wait
}

// enrollRun is a `varco authenticator enroll` waiting for the old device.
type enrollRun struct {
	cmd    *exec.Cmd
	number string // to type on the old device
	// wait waits for the command's end and returns its output (standard
	// output, then standard error) and success.
	wait func() (string, bool)
}

// startEnroll starts `varco authenticator enroll` with extra flags for an
// account that has a device, and returns once it printed the number.
func (b *blackbox) startEnroll(keyFile string, flags ...string) *enrollRun {
	b.t.Helper()
	args := append([]string{"authenticator", "enroll", "--server", b.url, "--email", "mario@acme.test", "--key-file", keyFile}, flags...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append([]string{}, b.env...), "VARCO_PASSWORD=Rossi-Verde-2026", "VARCO_AUTHENTICATOR_PIN=482913-pin")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	rd := bufio.NewReader(stdout)
	line, err := rd.ReadString('\n')
	m := regexp.MustCompile(`number ([0-9]{3,6})\s*$`).FindStringSubmatch(line)
	if err != nil || m == nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		b.t.Fatalf("enroll did not ask the old device: %q %v\n%s", line, err, stderr.String())
	}
	return &enrollRun{cmd: cmd, number: m[1], wait: func() (string, bool) {
		rest, _ := io.ReadAll(rd)
		err := cmd.Wait()
		return line + string(rest) + stderr.String(), err == nil
	}}
}

// TestSeed_6_1_ReplaceDeviceWithApproval: "changing it needs an approval
// on the old device or a recovery code" (SPEC §6.1). Enrolling a second
// device without a recovery code sends the old device a replace_device
// request with a number; a denial refuses the replacement and the old
// device keeps working; an approval with the number installs the new
// device (new recovery codes, the old key refused, device_removed and
// device_enrolled in the history, an e-mail); an unanswered request
// expires after 2 minutes and refuses it too.
func TestSeed_6_1_ReplaceDeviceWithApproval(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			b := newBlackbox(t, engine)
			dir := t.TempDir()
			keyA, keyB, keyC, keyD := filepath.Join(dir, "a.key"), filepath.Join(dir, "b.key"), filepath.Join(dir, "c.key"), filepath.Join(dir, "d.key")
			advance := func(d string) {
				t.Helper()
				if st, res := b.call("POST", "/_test/clock", "", map[string]string{"advance": d}); st != 200 {
					t.Fatalf("advance %s: %d %v", d, st, res)
				}
			}
			b.mustAuthenticator("enroll", "--server", b.url, "--email", "mario@acme.test", "--key-file", keyA)
			advance("1s")
			b.sink.Wait(t, smtpsink.EventIs("two_factor_enabled"), 10*time.Second)

			// Denied on the old device: refused, the old device stays.
			number, wait := b.enrollWaiting(keyB)
			var pending []map[string]any
			if err := json.Unmarshal([]byte(b.mustAuthenticator("pending", "--key-file", keyA)), &pending); err != nil || len(pending) != 1 {
				t.Fatalf("pending on the old device: %v %v", pending, err)
			}
			if p := pending[0]; p["purpose"] != "replace_device" || p["application"] != "authenticator" ||
				p["application_name"] != "App di autenticazione" || int(p["digits"].(float64)) != len(number) {
				t.Fatalf("the old device's request: %v", p)
			}
			b.mustAuthenticator("deny", "--key-file", keyA)
			if out, ok := wait(); ok || !strings.Contains(out, "push_denied") {
				t.Fatalf("enroll after a denial: %v\n%s", ok, out)
			}
			b.mustAuthenticator("pending", "--key-file", keyA)

			// Approved with the number: the new device takes the old one's place.
			advance("11s") // the wait after a denied request
			number, wait = b.enrollWaiting(keyC)
			if out, ok := b.authenticator("approve", "--key-file", keyA, "--number", wrongNumber(number)); ok {
				t.Fatalf("a wrong number was accepted: %s", out)
			}
			if out, ok := wait(); ok || !strings.Contains(out, "push_denied") {
				t.Fatalf("enroll after a wrong number: %v\n%s", ok, out)
			}
			advance("21s") // two denials in a row: 20 s
			number, wait = b.enrollWaiting(keyC)
			b.mustAuthenticator("approve", "--key-file", keyA, "--number", number)
			out, ok := wait()
			if codes := recoveryCode.FindAllString(out, -1); !ok || len(codes) != 10 {
				t.Fatalf("enroll after the approval: %v\n%s", ok, out)
			}
			if out, ok := b.authenticator("pending", "--key-file", keyA); ok || !strings.Contains(out, "unauthorized") {
				t.Fatalf("the replaced device still works: %s", out)
			}
			advance("1s") // drains the outbox before it answers
			n := 0
			for _, m := range b.sink.Messages() {
				if smtpsink.EventIs("two_factor_enabled")(m) {
					n++
				}
			}
			if n != 2 {
				t.Fatalf("%d two_factor_enabled e-mails, want 2 (enrollment and replacement)", n)
			}

			// The new device approves sign-ins; the history shows the swap.
			st, res := b.call("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": "Rossi-Verde-2026"})
			if st != 200 || res["state"] != "push_required" {
				t.Fatalf("login: %d %v", st, res)
			}
			flow := res["flow"].(string)
			b.mustAuthenticator("approve", "--key-file", keyC, "--number", res["number"].(string))
			_, res = b.call("GET", "/api/v1/login/"+flow, "", nil)
			tok, _ := res["session_token"].(string)
			if tok == "" {
				t.Fatalf("poll: %v", res)
			}
			_, res = b.call("GET", "/api/v1/me/activity", tok, nil)
			seen := map[string]int{}
			for _, e := range res["events"].([]any) {
				seen[e.(map[string]any)["event"].(string)]++
			}
			if seen["device_removed"] != 1 || seen["device_enrolled"] != 2 || seen["push_denied"] != 2 {
				t.Fatalf("history: %v", seen)
			}

			// Unanswered: expires after 2 minutes, refused.
			number, wait = b.enrollWaiting(keyD)
			_ = number
			advance("2m1s")
			if out, ok := wait(); ok || !strings.Contains(out, "expired") {
				t.Fatalf("enroll after 2 minutes: %v\n%s", ok, out)
			}
			b.mustAuthenticator("pending", "--key-file", keyC)
		})
	}
}

func wrongNumber(n string) string {
	w := []byte(n)
	w[0] = '0' + (w[0]-'0'+1)%10
	return string(w)
}

// TestEnrollWithdrawsWhenItGivesUp: `varco authenticator enroll` that
// stops waiting for the old device — its --wait passed, or interrupted
// with SIGINT — withdraws its replacement request (DELETE
// /api/v1/authenticator/enroll/{enrollment}) before it exits with status
// 1: the request leaves the old device's list at once, and a new
// enrollment is accepted right away instead of push_rate_limited (SPEC
// §6.1, §6.4).
func TestEnrollWithdrawsWhenItGivesUp(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			b := newBlackbox(t, engine)
			dir := t.TempDir()
			keyA, keyB := filepath.Join(dir, "a.key"), filepath.Join(dir, "b.key")
			b.mustAuthenticator("enroll", "--server", b.url, "--email", "mario@acme.test", "--key-file", keyA)
			noneOnTheOldDevice := func(when string) {
				t.Helper()
				var pending []map[string]any
				if err := json.Unmarshal([]byte(b.mustAuthenticator("pending", "--key-file", keyA)), &pending); err != nil || len(pending) != 0 {
					t.Fatalf("pending on the old device %s: %v %v", when, pending, err)
				}
			}
			gaveUp := func(r *enrollRun, why string) {
				t.Helper()
				out, ok := r.wait()
				if ok || r.cmd.ProcessState.ExitCode() != 1 || !strings.Contains(out, why) || !strings.Contains(out, "withdrawn") {
					t.Fatalf("enroll that gave up: exit %d, want 1, %q and withdrawn:\n%s", r.cmd.ProcessState.ExitCode(), why, out)
				}
				if _, err := os.Stat(keyB); !os.IsNotExist(err) {
					t.Fatalf("enroll that gave up wrote its key file: %v", err)
				}
			}

			// --wait passes: the request is withdrawn.
			gaveUp(b.startEnroll(keyB, "--wait", "1ms"), "no answer from the old device within 1ms")
			noneOnTheOldDevice("after --wait passed")

			// Accepted at once, not push_rate_limited; then SIGINT (Ctrl-C).
			r := b.startEnroll(keyB)
			if err := r.cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			gaveUp(r, "interrupted while waiting for the old device")
			noneOnTheOldDevice("after SIGINT")

			// Accepted at once again, and the old device can still approve it.
			r = b.startEnroll(keyB)
			b.mustAuthenticator("approve", "--key-file", keyA, "--number", r.number)
			if out, ok := r.wait(); !ok || len(recoveryCode.FindAllString(out, -1)) != 10 {
				t.Fatalf("enroll after two withdrawals: %v\n%s", ok, out)
			}
			b.mustAuthenticator("pending", "--key-file", keyB)
		})
	}
}
