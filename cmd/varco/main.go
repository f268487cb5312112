// Command varco is the account-security service and its operator tools.
//
//	varco serve [--dev]          serve the web UI, the JSON API and the workers
//	varco migrate                apply database migrations
//	varco org create|list        manage organizations
//	varco user create|list|show|disable|reactivate|unlock
//	varco audit verify|checkpoint|rotate-key   check and anchor the activity history
//	varco import                 import users and their legacy password hashes
//	varco checkpassword PROGRAM  Dovecot checkpassword helper (asks the running varco)
//	varco version                print the version
//
// "varco help COMMAND" and "varco COMMAND --help" describe each command and
// its flags; help does nothing else and exits 0.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	ucli "github.com/urfave/cli/v3"

	"varco.dev/varco/internal/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// errUsage marks a mistake in the command line (exit status 2).
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	var status exitStatus
	switch {
	case err == nil:
	case errors.As(err, &status):
		os.Exit(int(status))
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "varco:", err)
		os.Exit(1)
	}
}

// env is what a command receives: its standard streams and environment, so
// tests run commands in-process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// fd3 and fd4 are checkpassword's input and reply descriptors; nil:
	// the process's file descriptors 3 and 4.
	fd3 io.Reader
	fd4 *os.File
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	return e.root().Run(ctx, append([]string{"varco"}, args...))
}

// root is the command tree. Each command's flags are its own; every command
// that opens the database also takes the configuration flags.
func (e *env) root() *ucli.Command {
	return &ucli.Command{
		Name:  "varco",
		Usage: "account security for mail and platform providers",
		Description: "Every command that opens the database reads the VARCO_* variables of its flags\n" +
			`(a flag wins over its variable); "varco serve --help" lists them.`,
		Reader: e.stdin, Writer: e.stdout, ErrWriter: e.stderr,
		HideVersion: true,
		Commands: []*ucli.Command{
			e.serveCommand(),
			e.migrateCommand(),
			e.orgCommand(),
			e.userCommand(),
			e.auditCommand(),
			e.importCommand(),
			e.authenticatorCommand(),
			e.checkpasswordCommand(),
			{Name: "version", Usage: "print the version", Action: func(ctx context.Context, cmd *ucli.Command) error {
				if err := noArgs(cmd); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, "varco", version)
				return nil
			}},
		},
		Action:         e.group,
		OnUsageError:   e.usageError,
		ExitErrHandler: func(context.Context, *ucli.Command, error) {}, // main decides the exit status
	}
}

// group is the action of a command made of subcommands when none was named:
// a usage error, with the command's help on standard error.
func (e *env) group(ctx context.Context, cmd *ucli.Command) error {
	if cmd.Args().Present() {
		fmt.Fprintf(e.stderr, "%s: unknown command %q\n\n", cmd.FullName(), cmd.Args().First())
	} else {
		fmt.Fprintf(e.stderr, "%s: missing command\n\n", cmd.FullName())
	}
	cmd.Writer = e.stderr
	_ = ucli.ShowSubcommandHelp(cmd)
	return errUsage
}

// usageError reports a bad flag as a usage error (exit status 2).
func (e *env) usageError(ctx context.Context, cmd *ucli.Command, err error, _ bool) error {
	fmt.Fprintf(e.stderr, "%s: %v (see %q)\n", cmd.FullName(), err, cmd.FullName()+" --help")
	return fmt.Errorf("%w: %w", errUsage, err)
}

// noArgs refuses positional arguments: every varco command takes flags only.
func noArgs(cmd *ucli.Command) error {
	if cmd.Args().Present() {
		return usagef(cmd, "unexpected argument %q", cmd.Args().First())
	}
	return nil
}

// usagef reports a mistake in the command line on standard error and
// returns errUsage.
func usagef(cmd *ucli.Command, format string, args ...any) error {
	fmt.Fprintf(cmd.Root().ErrWriter, "%s: %s\n", cmd.FullName(), fmt.Sprintf(format, args...))
	return errUsage
}

// configFlags are the settings of internal/config as flags, each with its
// VARCO_* variable as a source.
func (e *env) configFlags() []ucli.Flag {
	flags := make([]ucli.Flag, 0, len(config.Settings))
	for _, st := range config.Settings {
		src := ucli.NewValueSourceChain(envSource{key: st.Env, getenv: e.getenv})
		if st.Bool {
			flags = append(flags, &ucli.BoolFlag{Name: st.Flag, Usage: st.Usage, Sources: src, Category: "configuration"})
			continue
		}
		flags = append(flags, &ucli.StringFlag{Name: st.Flag, Value: st.Default, Usage: st.Usage, Sources: src, Category: "configuration"})
	}
	return flags
}

// loadConfig reads the configuration flags of cmd.
func loadConfig(cmd *ucli.Command) (*config.Config, error) {
	return config.Load(func(name string) string {
		for _, st := range config.Settings {
			if st.Flag == name && st.Bool {
				if cmd.Bool(name) {
					return "true"
				}
				return "false"
			}
		}
		return cmd.String(name)
	})
}

// envSource is a VARCO_* variable read through env.getenv (os.Getenv in
// main, a map in tests). An empty variable counts as unset.
type envSource struct {
	key    string
	getenv func(string) string
}

func (s envSource) Lookup() (string, bool) {
	v := s.getenv(s.key)
	return v, v != ""
}

func (s envSource) String() string   { return "environment variable " + strings.TrimSpace(s.key) }
func (s envSource) GoString() string { return fmt.Sprintf("envSource{key: %q}", s.key) }
func (s envSource) IsFromEnv() bool  { return true }
func (s envSource) Key() string      { return s.key }
