// Command headless-login is an application's back end signing a user in
// through varco without varco's pages (docs/integration.md, "headless"):
// POST /api/v1/login with the application's id, then every state of the
// answer — a push to approve with the number shown to the user, a step-up
// code, a forced password change — until a session or a refusal.
// Standard library only; copy it into your application.
//
//	VARCO_URL=https://varco.example.it APP=webmail EMAIL=mario@acme.test PASSWORD=… go run ./examples/headless-login
//
// Codes and new passwords are read from standard input when asked.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

var (
	base   = strings.TrimRight(os.Getenv("VARCO_URL"), "/")
	client = &http.Client{Timeout: 30 * time.Second}
	stdin  = bufio.NewReader(os.Stdin)
)

// answer is every field a sign-in answer may have, error included.
type answer struct {
	State        string   `json:"state"`
	Flow         string   `json:"flow"`
	Number       string   `json:"number"`
	Methods      []string `json:"methods"`
	SessionToken string   `json:"session_token"`
	Error        string   `json:"error"`
	Message      string   `json:"message"`
	RetryAfter   int      `json:"retry_after"`
}

// call sends a JSON request to varco and decodes its JSON answer; an
// error answer (4xx, 5xx) comes back with Error set.
func call(method, path string, body any) (answer, error) {
	var a answer
	b, _ := json.Marshal(body)
	req, err := http.NewRequest(method, base+path, bytes.NewReader(b))
	if err != nil {
		return a, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return a, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil && resp.StatusCode != http.StatusAccepted {
		return a, fmt.Errorf("%s %s: %s, %v", method, path, resp.Status, err)
	}
	return a, nil
}

func ask(prompt string) string {
	fmt.Print(prompt + ": ")
	line, _ := stdin.ReadString('\n')
	return strings.TrimSpace(line)
}

func login() (string, error) {
	a, err := call("POST", "/api/v1/login", map[string]string{
		"email": os.Getenv("EMAIL"), "password": os.Getenv("PASSWORD"), "app": os.Getenv("APP")})
	flow := ""
	for err == nil {
		if a.Flow != "" {
			flow = "/api/v1/login/" + url.PathEscape(a.Flow)
		}
		switch a.State {
		case "authenticated":
			return a.SessionToken, nil // keep it server-side: Authorization: Bearer …
		case "push_required":
			// Show the number to the user, who types it on the device.
			fmt.Printf("Approve the sign-in on your device, typing the number %s\n", a.Number)
			time.Sleep(time.Second) // poll gently: the request lives 2 minutes
			a, err = call("GET", flow, nil)
		case "step_up_required":
			// An unusual place: a code by e-mail (or SMS when a method says so).
			method := a.Methods[0]
			if a, err = call("POST", flow+"/step-up/send", map[string]string{"method": method}); err != nil || a.Error != "" {
				break
			}
			for a.Error == "" || a.Error == "invalid_code" { // a wrong code: try again (attempts_left says how many)
				a, err = call("POST", flow+"/step-up/verify", map[string]string{"code": ask("Code sent by " + method)})
				if err != nil || a.State != "" {
					break
				}
			}
		case "password_change_required":
			a, err = call("POST", flow+"/password", map[string]string{"new_password": ask("New password")})
		case "push_denied":
			return "", fmt.Errorf("refused on the device")
		case "expired":
			return "", fmt.Errorf("not approved in time: sign in again")
		case "":
			// An error: invalid_credentials, account_locked, too_many_attempts
			// (wait retry_after seconds), push_muted, unknown_application, …
			return "", fmt.Errorf("%s: %s (retry after %d s)", a.Error, a.Message, a.RetryAfter)
		default:
			return "", fmt.Errorf("unexpected state %q", a.State)
		}
	}
	return "", err
}

func main() {
	token, err := login()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sign-in failed:", err)
		os.Exit(1)
	}
	fmt.Printf("authenticated (session token of %d characters)\n", len(token))
}
