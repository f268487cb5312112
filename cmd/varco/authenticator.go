package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v3"

	"varco.dev/varco/internal/api"
	"varco.dev/varco/internal/keyfile"
	"varco.dev/varco/internal/push"
)

// The command-line authenticator (SPEC §6.7, §9a): a device key in a file
// sealed under a PIN, enrolled with e-mail and password, answering
// approval requests with signed decisions.

func (e *env) authenticatorCommand() *ucli.Command {
	keyFlag := &ucli.StringFlag{Name: "key-file", Usage: "the authenticator's key file"}
	requestFlag := &ucli.StringFlag{Name: "request", Usage: "the request to answer (default: the only pending one)"}
	enroll := e.authLeaf("enroll", "sign in with e-mail and password and register a new device key (2-step verification turns on); prints the recovery codes. "+
		"When the account has a device, the new one replaces it: with --recovery-code at once, else once the old device approves with the number printed here", []ucli.Flag{
		&ucli.StringFlag{Name: "server", Usage: "varco's base URL"},
		&ucli.StringFlag{Name: "email", Usage: "the account's login e-mail"},
		keyFlag,
		&ucli.StringFlag{Name: "recovery-code", Usage: "one of the recovery codes, to replace the account's device without asking it"},
		&ucli.DurationFlag{Name: "wait", Value: 3 * time.Minute, Usage: "how long to wait for the old device's approval; then, as on an interruption, the request is withdrawn"},
	}, e.enrollAuthenticator)
	pending := e.authLeaf("pending", "list the pending approval requests as JSON", []ucli.Flag{keyFlag}, e.pendingRequests)
	approve := e.authLeaf("approve", "approve a request, typing the number the sign-in page shows", []ucli.Flag{
		keyFlag, &ucli.StringFlag{Name: "number", Usage: "the number shown where you sign in"}, requestFlag,
	}, func(ctx context.Context, cmd *ucli.Command) error {
		if cmd.String("number") == "" {
			return usagef(cmd, "--number is required")
		}
		return e.decide(ctx, cmd, push.DecisionApprove, cmd.String("number"))
	})
	deny := e.authLeaf("deny", "deny a request; --report also says it wasn't you (mutes requests for an hour)", []ucli.Flag{
		keyFlag, requestFlag, &ucli.BoolFlag{Name: "report", Usage: "report the request: it wasn't you"},
	}, func(ctx context.Context, cmd *ucli.Command) error {
		d := push.DecisionDeny
		if cmd.Bool("report") {
			d = push.DecisionReport
		}
		return e.decide(ctx, cmd, d, "")
	})
	logout := e.authLeaf("logout", "sign out: removes the device, which turns 2-step verification off", []ucli.Flag{keyFlag}, e.authenticatorLogout)
	return e.branch("authenticator", "the command-line authenticator for push 2-step verification", enroll, pending, approve, deny, logout)
}

// authLeaf is an authenticator command: it talks to varco over HTTP and
// takes no configuration flags.
func (e *env) authLeaf(name, usage string, flags []ucli.Flag, action ucli.ActionFunc) *ucli.Command {
	return &ucli.Command{Name: name, Usage: usage, Flags: flags, OnUsageError: e.usageError,
		Action: func(ctx context.Context, cmd *ucli.Command) error {
			if err := noArgs(cmd); err != nil {
				return err
			}
			if cmd.String("key-file") == "" {
				return usagef(cmd, "--key-file is required")
			}
			return action(ctx, cmd)
		}}
}

// secret returns the variable's value, or the next line of standard input
// after a prompt on standard error.
func (e *env) secret(in *bufio.Reader, variable, prompt string) (string, error) {
	if v := e.getenv(variable); v != "" {
		return v, nil
	}
	fmt.Fprint(e.stderr, prompt+": ")
	line, err := in.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read %s: %w", strings.ToLower(prompt), err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("no %s (set %s)", strings.ToLower(prompt), variable)
	}
	return line, nil
}

var authClient = &http.Client{Timeout: 30 * time.Second}

// apiCall sends a JSON request to varco and decodes a 2xx answer into
// out; an error answer becomes "message (code)".
func apiCall(ctx context.Context, method, base, path, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	u, err := url.JoinPath(base, path)
	if err != nil {
		return fmt.Errorf("server url: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := authClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct{ Error, Message string }
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s (%s)", strings.TrimSuffix(e.Message, "."), e.Error)
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

func (e *env) enrollAuthenticator(ctx context.Context, cmd *ucli.Command) error {
	server, email := cmd.String("server"), cmd.String("email")
	if server == "" || email == "" {
		return usagef(cmd, "--server and --email are required")
	}
	in := bufio.NewReader(e.stdin)
	pw, err := e.secret(in, "VARCO_PASSWORD", "Password")
	if err != nil {
		return err
	}
	pin, err := e.secret(in, "VARCO_AUTHENTICATOR_PIN", "PIN")
	if err != nil {
		return err
	}
	k, err := keyfile.New(server, email, pin, keyfile.KDF{})
	if err != nil {
		return err
	}
	var out enrollAnswer
	body := map[string]string{"email": email, "password": pw, "public_key": base64.RawURLEncoding.EncodeToString(k.Public)}
	if c := cmd.String("recovery-code"); c != "" {
		body["recovery_code"] = c
	}
	if err := apiCall(ctx, http.MethodPost, server, "/api/v1/authenticator/enroll", "", body, &out); err != nil {
		return err
	}
	if out.State == "approval_required" {
		// SPEC §6.1: the account has a device, and it must approve.
		fmt.Fprintf(e.stdout, "This account already has an authenticator. On it, approve the request to replace it, typing the number %s\n", out.Number)
		if out, err = e.waitForOldDevice(ctx, server, out.Enrollment, cmd.Duration("wait")); err != nil {
			return err
		}
	}
	if err := k.SetDevice(out.DeviceID, out.DeviceToken, pin); err != nil {
		return err
	}
	if err := k.Save(cmd.String("key-file")); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "2-step verification is on for %s. Recovery codes (each works once; keep them safe):\n", email)
	for _, c := range out.RecoveryCodes {
		fmt.Fprintln(e.stdout, c)
	}
	return nil
}

// enrollAnswer is POST /authenticator/enroll's answer, and the poll's.
type enrollAnswer struct {
	State         string   `json:"state"` // "" (enrolled at once), approval_required, enrolled, push_denied, cancelled, expired
	Enrollment    string   `json:"enrollment"`
	Number        string   `json:"number"`
	DeviceID      string   `json:"device_id"`
	DeviceToken   string   `json:"device_token"`
	RecoveryCodes []string `json:"recovery_codes"`
}

// enrollPoll is how often the new device asks whether the old one
// answered.
const enrollPoll = time.Second

// withdrawTimeout bounds the withdrawal of a replacement the command gave
// up on: it runs after an interruption, so it must not hold the exit up.
const withdrawTimeout = 5 * time.Second

// waitForOldDevice polls the replacement until the old device answered:
// the new device's token and codes when it approved, an error when it
// denied or the request expired. When the command gives up first —
// interrupted (SIGINT, SIGTERM: ctx ends), wait passed, or a poll failed —
// it withdraws the request (withdrawReplacement) before it returns the
// error: the key the old device would install is never saved, and a
// request left pending would hold the account's next one back for its
// 2 minutes (SPEC §6.4).
func (e *env) waitForOldDevice(ctx context.Context, server, enrollment string, wait time.Duration) (enrollAnswer, error) {
	pollCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	giveUp := func(err error) (enrollAnswer, error) {
		switch {
		case ctx.Err() != nil:
			err = fmt.Errorf("interrupted while waiting for the old device: %w", ctx.Err())
		case pollCtx.Err() != nil:
			err = fmt.Errorf("no answer from the old device within %s: %w", wait, pollCtx.Err())
		}
		e.withdrawReplacement(ctx, server, enrollment)
		return enrollAnswer{}, err
	}
	tick := time.NewTicker(enrollPoll)
	defer tick.Stop()
	for {
		var st enrollAnswer
		if err := apiCall(pollCtx, http.MethodGet, server, enrollPath(enrollment), "", nil, &st); err != nil {
			return giveUp(err)
		}
		switch st.State {
		case "enrolled":
			if st.DeviceToken == "" {
				return st, errors.New("the replacement was already collected")
			}
			return st, nil
		case "push_denied":
			return st, errors.New("the old device refused the replacement (push_denied)")
		case "expired":
			return st, errors.New("the old device did not approve in time (expired)")
		case "cancelled":
			return st, errors.New("the replacement was withdrawn (cancelled)")
		}
		select {
		case <-pollCtx.Done():
			return giveUp(pollCtx.Err())
		case <-tick.C:
		}
	}
}

// withdrawReplacement withdraws the replacement the command gave up on
// (DELETE /authenticator/enroll/{id}), best effort: within withdrawTimeout
// even when ctx has ended, and a failure is only reported, since the
// request then expires by itself.
func (e *env) withdrawReplacement(ctx context.Context, server, enrollment string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), withdrawTimeout)
	defer cancel()
	if err := apiCall(ctx, http.MethodDelete, server, enrollPath(enrollment), "", nil, nil); err != nil {
		fmt.Fprintf(e.stderr, "varco: could not withdraw the request on the old device (it expires by itself within 2 minutes): %v\n", err)
		return
	}
	fmt.Fprintln(e.stdout, "The request to replace the old device was withdrawn: nothing changed.")
}

// enrollPath is the API path of the replacement enrollment.
func enrollPath(enrollment string) string {
	return "/api/v1/authenticator/enroll/" + url.PathEscape(enrollment)
}

// openKey opens the key file of cmd with the PIN.
func (e *env) openKey(cmd *ucli.Command) (*keyfile.Key, error) {
	pin, err := e.secret(bufio.NewReader(e.stdin), "VARCO_AUTHENTICATOR_PIN", "PIN")
	if err != nil {
		return nil, err
	}
	k, err := keyfile.Open(cmd.String("key-file"), pin)
	if err != nil {
		return nil, err
	}
	if k.Token() == "" {
		return nil, errors.New("the key file is not enrolled: run varco authenticator enroll")
	}
	return k, nil
}

// fetchPending reads the pending requests in the API's own type: what
// `pending` prints of each is its api.PushRequestInfo, and the decision
// signs its nonce.
func fetchPending(ctx context.Context, k *keyfile.Key) ([]api.PushRequest, error) {
	var out api.PushRequestList
	if err := apiCall(ctx, http.MethodGet, k.Server, "/api/v1/authenticator/requests", k.Token(), nil, &out); err != nil {
		return nil, err
	}
	return out.Requests, nil
}

func (e *env) pendingRequests(ctx context.Context, cmd *ucli.Command) error {
	k, err := e.openKey(cmd)
	if err != nil {
		return err
	}
	reqs, err := fetchPending(ctx, k)
	if err != nil {
		return err
	}
	list := make([]api.PushRequestInfo, 0, len(reqs))
	for _, r := range reqs {
		list = append(list, r.PushRequestInfo)
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(list)
}

// decide signs decision for the chosen pending request and sends it.
func (e *env) decide(ctx context.Context, cmd *ucli.Command, decision, number string) error {
	k, err := e.openKey(cmd)
	if err != nil {
		return err
	}
	reqs, err := fetchPending(ctx, k)
	if err != nil {
		return err
	}
	var r *api.PushRequest
	for i := range reqs {
		if id := cmd.String("request"); id == "" || reqs[i].ID == id {
			if r != nil {
				return errors.New("several requests are pending: name one with --request")
			}
			r = &reqs[i]
		}
	}
	if r == nil {
		return errors.New("no such pending request")
	}
	nonce, err := base64.RawURLEncoding.DecodeString(r.Nonce)
	if err != nil {
		return fmt.Errorf("request nonce: %w", err)
	}
	// The device signs the context it shows, recomputed from what it got.
	c := push.Context{Application: r.Application, IP: r.IP, Location: r.Location, Browser: r.Browser, Time: r.Time, Risky: r.Risky}
	d := push.Sign(k.Sign, push.Decision{RequestID: r.ID, Decision: decision, Number: number}, nonce, c.Hash())
	var out struct {
		Status string `json:"status"`
	}
	var body json.RawMessage = push.EncodeDecision(d)
	if err := apiCall(ctx, http.MethodPost, k.Server, "/api/v1/authenticator/requests/"+url.PathEscape(r.ID)+"/decision", k.Token(), body, &out); err != nil {
		return err
	}
	if decision == push.DecisionApprove && out.Status != push.StatusApproved {
		return fmt.Errorf("the number did not match: the request was %s", out.Status)
	}
	fmt.Fprintln(e.stdout, out.Status)
	return nil
}

func (e *env) authenticatorLogout(ctx context.Context, cmd *ucli.Command) error {
	k, err := e.openKey(cmd)
	if err != nil {
		return err
	}
	if err := apiCall(ctx, http.MethodPost, k.Server, "/api/v1/authenticator/logout", k.Token(), nil, nil); err != nil {
		return err
	}
	if err := os.Remove(cmd.String("key-file")); err != nil {
		return fmt.Errorf("remove the key file: %w", err)
	}
	fmt.Fprintln(e.stdout, "signed out: the device is removed and 2-step verification is off")
	return nil
}
