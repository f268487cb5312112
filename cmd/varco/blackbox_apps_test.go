//go:build testclock

package main

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"varco.dev/varco/internal/testenv"
)

const applicationsJSON = `{"applications": [
  {"id": "webmail", "name": {"it": "Posta Acme", "en": "Acme Mail"}, "return_to": ["https://webmail.acme.test/"]},
  {"id": "crm", "name": {"it": "Gestionale", "en": "CRM"}, "return_to": ["https://crm.acme.test/app/"]}
]}`

// webClient is a browser without JavaScript: it keeps cookies whatever
// their Secure flag (varco runs over plain http here) and never follows
// redirects.
type webClient struct {
	t       *testing.T
	base    string
	cookies map[string]string
}

func (c *webClient) do(method, path string, form url.Values) (int, http.Header, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(raw)
}

var pushNumber = regexp.MustCompile(`<strong id="push-number">([0-9]+)</strong>`)

// TestBlackBoxApplications drives the configured applications through the
// testclock binary on both engines: VARCO_APPLICATIONS names them; an
// unknown `app` is 400 unknown_application; the sign-in page for an
// application, with 2-step verification on, shows its name and the number,
// the command-line authenticator approves, and the browser lands on the
// allowed return_to (or on the profile for one off the list); and the
// headless example application in examples/ signs in with the push
// approved by the command-line authenticator.
func TestBlackBoxApplications(t *testing.T) {
	example := filepath.Join(t.TempDir(), "headless-login")
	build := exec.Command("go", "build", "-o", example, "../../examples/headless-login")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the example: %v\n%s", err, out)
	}
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			b := setupBlackbox(t, engine)
			file := filepath.Join(t.TempDir(), "applications.json")
			if err := os.WriteFile(file, []byte(applicationsJSON), 0o600); err != nil {
				t.Fatal(err)
			}
			b.serve("VARCO_APPLICATIONS=" + file)
			key := filepath.Join(t.TempDir(), "device.key")

			st, res := b.call("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": "Rossi-Verde-2026", "app": "nosuch"})
			if st != 400 || res["error"] != "unknown_application" {
				t.Fatalf("unknown app: %d %v", st, res)
			}
			if st, res := b.call("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": "Rossi-Verde-2026", "app": "crm"}); st != 200 || res["state"] != "authenticated" {
				t.Fatalf("configured app: %d %v", st, res)
			}
			b.mustAuthenticator("enroll", "--server", b.url, "--email", "mario@acme.test", "--key-file", key)

			webSignIn := func(returnTo, want string) {
				t.Helper()
				c := &webClient{t: t, base: b.url, cookies: map[string]string{}}
				q := url.Values{"app": {"webmail"}, "return_to": {returnTo}}
				st, _, body := c.do("GET", "/login?"+q.Encode(), nil)
				if st != 200 || !strings.Contains(body, "Posta Acme") {
					t.Fatalf("sign-in page: %d\n%s", st, body)
				}
				st, hdr, _ := c.do("POST", "/login", url.Values{"email": {"mario@acme.test"}, "password": {"Rossi-Verde-2026"},
					"app": {"webmail"}, "return_to": {returnTo}})
				if st != 303 || hdr.Get("Location") != "/login/push" {
					t.Fatalf("sign-in: %d %v", st, hdr)
				}
				st, _, body = c.do("GET", "/login/push", nil)
				m := pushNumber.FindStringSubmatch(body)
				if st != 200 || m == nil || !strings.Contains(body, "Posta Acme") {
					t.Fatalf("waiting page: %d\n%s", st, body)
				}
				if out := b.mustAuthenticator("pending", "--key-file", key); !strings.Contains(out, `"application_name": "Posta Acme"`) {
					t.Fatalf("pending:\n%s", out)
				}
				b.mustAuthenticator("approve", "--key-file", key, "--number", m[1])
				st, hdr, _ = c.do("POST", "/login/push", url.Values{})
				if st != 303 || hdr.Get("Location") != want {
					t.Fatalf("after the approval: %d → %q, want %q", st, hdr.Get("Location"), want)
				}
				if c.cookies["varco_session"] == "" {
					t.Fatal("no session cookie")
				}
			}
			webSignIn("https://webmail.acme.test/inbox", "https://webmail.acme.test/inbox")
			webSignIn("https://webmail.acme.test.evil.test/", "/profile")
			webSignIn("https://crm.acme.test/app/", "/profile") // another application's list

			// The headless example: prints the number, the CLI approves.
			cmd := exec.Command(example)
			cmd.Env = append(os.Environ(), "VARCO_URL="+b.url, "APP=webmail", "EMAIL=mario@acme.test", "PASSWORD=Rossi-Verde-2026")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			rd := bufio.NewReader(stdout)
			line, _ := rd.ReadString('\n')
			m := regexp.MustCompile(`number ([0-9]{3})\s*$`).FindStringSubmatch(line)
			if m == nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("the example did not show a number: %q\n%s", line, stderr.String())
			}
			b.mustAuthenticator("approve", "--key-file", key, "--number", m[1])
			rest, _ := io.ReadAll(rd)
			if err := cmd.Wait(); err != nil || !strings.Contains(string(rest), "authenticated") {
				t.Fatalf("the example: %v\n%s%s", err, rest, stderr.String())
			}

			// Denied on the device: the example says so and fails.
			cmd = exec.Command(example)
			cmd.Env = append(os.Environ(), "VARCO_URL="+b.url, "APP=webmail", "EMAIL=mario@acme.test", "PASSWORD=Rossi-Verde-2026")
			stdout, _ = cmd.StdoutPipe()
			stderr.Reset()
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			rd = bufio.NewReader(stdout)
			if line, _ := rd.ReadString('\n'); !strings.Contains(line, "number") {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("the example did not show a number: %q\n%s", line, stderr.String())
			}
			b.mustAuthenticator("deny", "--key-file", key)
			_, _ = io.ReadAll(rd)
			if err := cmd.Wait(); err == nil || !strings.Contains(stderr.String(), "refused on the device") {
				t.Fatalf("the example after a denial: %v\n%s", err, stderr.String())
			}
		})
	}
}
