package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v3"

	"varco.dev/varco"
)

// Exit statuses of the checkpassword interface (qmail's, as Dovecot reads
// them): 1 refuses the login, 111 is a temporary failure.
const (
	checkpwRefused   exitStatus = 1
	checkpwTemporary exitStatus = 111
)

// checkpwMaxInput is the most the checkpassword interface sends on file
// descriptor 3.
const checkpwMaxInput = 512

// checkpwTimeout bounds the question to varco.
const checkpwTimeout = 10 * time.Second

// exitStatus is an error that ends varco with that exit status and
// prints nothing more.
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// errCheckpwInput is a malformed checkpassword input.
var errCheckpwInput = errors.New("malformed checkpassword input")

// parseCheckpassword splits the checkpassword input "user\0password\0…"
// (anything after the password's NUL, such as a timestamp, is ignored).
// The user must not be empty and the password must end with a NUL.
func parseCheckpassword(in []byte) (user, password string, err error) {
	if len(in) > checkpwMaxInput {
		return "", "", fmt.Errorf("%w: more than %d bytes", errCheckpwInput, checkpwMaxInput)
	}
	u, rest, ok := bytes.Cut(in, []byte{0})
	if !ok || len(u) == 0 {
		return "", "", fmt.Errorf("%w: no user name", errCheckpwInput)
	}
	p, _, ok := bytes.Cut(rest, []byte{0})
	if !ok {
		return "", "", fmt.Errorf("%w: no password", errCheckpwInput)
	}
	return string(u), string(p), nil
}

// checkpwProtocol is the varco protocol of Dovecot's SERVICE, or "" for a
// service that never signs in with an app password (lmtp, doveadm, …).
func checkpwProtocol(service string) string {
	switch strings.ToLower(service) {
	case varco.ProtocolIMAP:
		return varco.ProtocolIMAP
	case varco.ProtocolPOP3:
		return varco.ProtocolPOP3
	case varco.ProtocolSMTP, "submission":
		return varco.ProtocolSMTP
	}
	return ""
}

func (e *env) checkpasswordCommand() *ucli.Command {
	stop := 1 // flags end at the program to run
	return &ucli.Command{
		Name:      "checkpassword",
		Usage:     "Dovecot checkpassword helper: ask the running varco about a mail login",
		ArgsUsage: "PROGRAM [ARG…]",
		Description: "Reads \"user\\0password\\0…\" (at most 512 bytes) from file descriptor 3, asks\n" +
			"POST /api/v1/mail/auth of the varco at --url with the secret of\n" +
			"$VARCO_MAIL_AUTH_SECRET, the protocol of $SERVICE and the client IP of\n" +
			"$TCPREMOTEIP, and on success runs PROGRAM with USER set and exits with its\n" +
			"status. Exit 1: refused; 111: temporary failure (varco unreachable,\n" +
			"overloaded or throttling, or not configured). It opens no database.",
		StopOnNthArg: &stop,
		OnUsageError: e.usageError,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "url", Usage: "base URL of the running varco (e.g. http://127.0.0.1:8080)",
				Sources: ucli.NewValueSourceChain(envSource{key: "VARCO_MAIL_AUTH_URL", getenv: e.getenv})},
		},
		Action: e.checkpassword,
	}
}

// checkpassword is the action of "varco checkpassword".
func (e *env) checkpassword(ctx context.Context, cmd *ucli.Command) error {
	if !cmd.Args().Present() {
		return usagef(cmd, "missing the program to run after a good login")
	}
	in, reply := e.fd3, e.fd4
	if in == nil {
		f := os.NewFile(3, "checkpassword input")
		defer f.Close()
		in = f
		if fd4 := os.NewFile(4, "checkpassword reply"); fd4 != nil {
			if _, err := fd4.Stat(); err == nil {
				reply = fd4
			}
		}
	}
	data, err := io.ReadAll(io.LimitReader(in, checkpwMaxInput+1))
	if err != nil {
		fmt.Fprintf(e.stderr, "varco checkpassword: read file descriptor 3: %v\n", err)
		return checkpwTemporary
	}
	user, password, err := parseCheckpassword(data)
	clear(data)
	if err != nil {
		fmt.Fprintf(e.stderr, "varco checkpassword: %v\n", err)
		return checkpwRefused
	}
	authorized := e.getenv("AUTHORIZED")
	switch authorized {
	case "1":
		// Dovecot has authenticated the user already (a userdb lookup or a
		// master user's login) and asks for no password check.
	case "":
		if err := e.checkpwAsk(ctx, cmd.String("url"), user, password); err != nil {
			return err
		}
	default:
		fmt.Fprintf(e.stderr, "varco checkpassword: unexpected AUTHORIZED=%q\n", authorized)
		return checkpwTemporary
	}
	return e.checkpwRun(ctx, cmd.Args().Slice(), user, authorized == "1", reply)
}

// checkpwAsk asks varco whether user may sign in with password; nil is yes.
func (e *env) checkpwAsk(ctx context.Context, base, user, password string) error {
	secret := e.getenv("VARCO_MAIL_AUTH_SECRET")
	if base == "" || secret == "" {
		fmt.Fprintln(e.stderr, "varco checkpassword: set --url (VARCO_MAIL_AUTH_URL) and VARCO_MAIL_AUTH_SECRET")
		return checkpwTemporary
	}
	proto := checkpwProtocol(e.getenv("SERVICE"))
	if proto == "" || password == "" {
		return checkpwRefused
	}
	body, err := json.Marshal(map[string]string{"username": user, "password": password, "protocol": proto,
		"client_ip": e.getenv("TCPREMOTEIP")})
	if err != nil {
		return checkpwTemporary
	}
	ctx, cancel := context.WithTimeout(ctx, checkpwTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/api/v1/mail/auth", bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(e.stderr, "varco checkpassword: bad --url: %v\n", err)
		return checkpwTemporary
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(e.stderr, "varco checkpassword: ask varco: %v\n", err)
		return checkpwTemporary
	}
	defer res.Body.Close()
	var answer struct {
		Result string `json:"result"`
	}
	decodeErr := json.NewDecoder(io.LimitReader(res.Body, 1<<16)).Decode(&answer)
	switch {
	case res.StatusCode == http.StatusOK && decodeErr == nil && answer.Result == "ok":
		return nil
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusBadRequest:
		return checkpwRefused
	default:
		// 403 (a wrong secret), 429, 5xx and anything unexpected: not the
		// user's fault, so not a refusal.
		fmt.Fprintf(e.stderr, "varco checkpassword: varco answered %d\n", res.StatusCode)
		return checkpwTemporary
	}
}

// checkpwRun runs the program of argv for user with the environment
// Dovecot's checkpassword-reply reads, hands it reply as file descriptor
// 4, and ends with its exit status.
func (e *env) checkpwRun(ctx context.Context, argv []string, user string, lookup bool, reply *os.File) error {
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	c.Stdin, c.Stdout, c.Stderr = e.stdin, e.stdout, e.stderr
	envv := make([]string, 0, len(os.Environ())+2)
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k != "USER" && k != "AUTHORIZED" && k != "VARCO_MAIL_AUTH_SECRET" {
			envv = append(envv, kv)
		}
	}
	envv = append(envv, "USER="+user)
	if lookup {
		envv = append(envv, "AUTHORIZED=2")
	}
	c.Env = envv
	if reply != nil {
		c.ExtraFiles = []*os.File{nil, reply} // descriptor 3 closed, 4 the reply
	}
	err := c.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee) && ee.ExitCode() > 0:
		return exitStatus(ee.ExitCode())
	default:
		fmt.Fprintf(e.stderr, "varco checkpassword: run %s: %v\n", argv[0], err)
		return checkpwTemporary
	}
}
