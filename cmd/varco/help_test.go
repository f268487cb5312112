package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	ucli "github.com/urfave/cli/v3"
)

// failReader fails the test if a command reads standard input.
type failReader struct{ t *testing.T }

func (r failReader) Read([]byte) (int, error) {
	r.t.Error("help read standard input")
	return 0, errors.New("no input")
}

// commandPaths lists every command of the tree, as its arguments.
func commandPaths(prefix []string, cmds []*ucli.Command) [][]string {
	var out [][]string
	for _, c := range cmds {
		p := append(append([]string{}, prefix...), c.Name)
		out = append(out, p)
		out = append(out, commandPaths(p, c.Commands)...)
	}
	return out
}

// TestHelpDoesNothingElse: -h and --help on every command print its usage
// on standard output, exit 0, read no input and touch no database (the
// default database file is not created in the working directory).
func TestHelpDoesNothingElse(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	root := (&env{getenv: func(string) string { return "" }}).root()
	paths := append([][]string{nil}, commandPaths(nil, root.Commands)...)
	if len(paths) < 15 {
		t.Fatalf("only %d commands: %v", len(paths), paths)
	}
	for _, p := range paths {
		for _, help := range []string{"-h", "--help"} {
			args := append(append([]string{}, p...), help)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				var out, errOut bytes.Buffer
				err := run(ctx, args, failReader{t}, &out, &errOut, func(string) string { return "" })
				if err != nil || !strings.Contains(out.String(), "USAGE:") || errOut.Len() != 0 {
					t.Fatalf("varco %s: err %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errOut.String())
				}
				if ents, _ := os.ReadDir(dir); len(ents) != 0 {
					t.Fatalf("varco %s created %s", strings.Join(args, " "), ents[0].Name())
				}
			})
		}
	}
}

// TestHelpNamesEveryFlag: each command's help lists the flags SPEC §9a
// names, and serve's help the VARCO_* variable of each setting.
func TestHelpNamesEveryFlag(t *testing.T) {
	want := map[string][]string{
		"org create":      {"--name", "--plan", "--database-url"},
		"org list":        {"--database-url"},
		"user create":     {"--email", "--password-stdin", "--role", "--org", "--phone", "--contact-email", "--lang", "--name"},
		"user list":       {"--org", "-q"}, // one-letter flags show one dash; --q works too
		"user show":       {"--email"},
		"user disable":    {"--email"},
		"user reactivate": {"--email"},
		"user unlock":     {"--email"},
		"audit verify":    {"--database-url"},
		"import":          {"--format", "--file", "--org", "--lang", "--dry-run", "--errors"},
		"migrate":         {"--database-url"},
		"serve": {"--dev", "--database-url", "$VARCO_DATABASE_URL", "--listen", "$VARCO_LISTEN", "--base-url", "--smtp-url",
			"$VARCO_SMTP_URL", "--mail-from", "--sms-url", "--sms-token", "--geoip-db", "--trusted-proxies", "--log-level",
			"--session-idle", "--session-absolute", "$VARCO_SESSION_ABSOLUTE"},
	}
	for cmd, flags := range want {
		var out bytes.Buffer
		args := append(strings.Fields(cmd), "--help")
		if err := run(context.Background(), args, failReader{t}, &out, &out, func(string) string { return "" }); err != nil {
			t.Fatalf("varco %s: %v", cmd, err)
		}
		for _, f := range flags {
			if !strings.Contains(out.String(), f+" ") && !strings.Contains(out.String(), f+"]") {
				t.Errorf("varco %s --help does not name %s:\n%s", cmd, f, out.String())
			}
		}
	}
}

// TestConfigFlagWinsOverVariable: the configuration flags read their
// VARCO_* variable, and a flag given wins over it.
func TestConfigFlagWinsOverVariable(t *testing.T) {
	dir := t.TempDir()
	getenv := func(k string) string {
		if k == "VARCO_DATABASE_URL" {
			return dir + "/env.db"
		}
		return ""
	}
	var out bytes.Buffer
	for _, args := range [][]string{{"migrate"}, {"migrate", "--database-url", dir + "/flag.db"}} {
		if err := run(context.Background(), args, failReader{t}, &out, &out, getenv); err != nil {
			t.Fatalf("varco %v: %v\n%s", args, err, out.String())
		}
	}
	for _, f := range []string{"env.db", "flag.db"} {
		if _, err := os.Stat(dir + "/" + f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestOnlyServeWarnsAboutMail: commands that send no mail do not warn that
// no SMTP server is configured.
func TestOnlyServeWarnsAboutMail(t *testing.T) {
	c := &cli{t: t, env: map[string]string{"VARCO_DATABASE_URL": t.TempDir() + "/varco.db"}}
	for _, args := range [][]string{{"migrate"}, {"org", "create", "--name", "acme"}, {"org", "list"}, {"user", "list"}, {"audit", "verify"}} {
		_, errOut, err := c.run("", args...)
		if err != nil || errOut != "" {
			t.Errorf("varco %v: %v, stderr %q", args, err, errOut)
		}
	}
}
