// Command varco is the account-security service and its operator tools.
//
//	varco serve [--dev]          serve the web UI, the JSON API and the workers
//	varco migrate                apply database migrations
//	varco org create|list        manage organizations
//	varco user create|list|show|disable|reactivate|unlock
//	varco audit verify           check the activity history's hash chain
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `varco — account security for mail and platform providers

Usage:
  varco serve [--dev] [flags]     serve the web UI, the JSON API and the workers
  varco migrate                   apply database migrations
  varco org create --name N --plan basic|pro|premium
  varco org list
  varco user create --email E --password-stdin [--role user|org_admin|support]
                    [--org N] [--phone +39…] [--contact-email X] [--lang it|en] [--name "Display Name"]
  varco user list [--org N] [--q TEXT]
  varco user show --email E
  varco user disable --email E
  varco user reactivate --email E   (a suspended account; password change required next)
  varco user unlock --email E       (a locked account; resets every step-up counter)
  varco audit verify [--account E] [--checkpoint FILE]
  varco audit checkpoint          write a signed checkpoint of the activity history now
  varco audit rotate-key          seal new entries with a new key (old ones still verify)
  varco import --format csv|passwd --file F|- [--org N] [--lang it|en] [--dry-run] [--errors FILE]
  varco version

Every command reads VARCO_* variables; run "varco serve -h" for them.
`

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// errUsage marks a mistake in the command line (exit status 2).
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "varco:", err)
		os.Exit(1)
	}
}

// env is what a command receives: its arguments, standard streams and
// environment, so tests run commands in-process.
type env struct {
	args   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	e := &env{args: args[1:], stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, e)
	case "migrate":
		return cmdMigrate(ctx, e)
	case "org":
		return cmdOrg(ctx, e)
	case "user":
		return cmdUser(ctx, e)
	case "audit":
		return cmdAudit(ctx, e)
	case "import":
		return cmdImport(ctx, e)
	case "version":
		fmt.Fprintln(stdout, "varco", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "varco: unknown command %q\n\n%s", args[0], usage)
	return errUsage
}

// sub splits "org create …" into its verb and the rest.
func (e *env) sub(name string) (string, *env, error) {
	if len(e.args) == 0 {
		fmt.Fprintf(e.stderr, "varco %s: missing subcommand\n\n%s", name, usage)
		return "", nil, errUsage
	}
	rest := *e
	rest.args = e.args[1:]
	return e.args[0], &rest, nil
}

// flags returns a FlagSet that reports errors on e.stderr.
func (e *env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parse parses fs, turning flag errors into errUsage.
func (e *env) parse(fs *flag.FlagSet) error {
	if err := fs.Parse(e.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	return nil
}
