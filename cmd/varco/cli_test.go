package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

type cli struct {
	t   *testing.T
	env map[string]string
}

func newCLI(t *testing.T, engine string) *cli {
	return &cli{t: t, env: map[string]string{"VARCO_DATABASE_URL": testenv.DatabaseURL(t, engine), "VARCO_AUDIT_DIR": t.TempDir()}}
}

// run runs one varco command in-process and returns its output and error.
func (c *cli) run(stdin string, args ...string) (string, string, error) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut, func(k string) string { return c.env[k] })
	return out.String(), errOut.String(), err
}

// account opens the database the commands work on, closed when the test
// ends, and reads email's account from it.
func (c *cli) account(email string) (*store.DB, *varco.Account) {
	c.t.Helper()
	db, err := store.Open(context.Background(), c.env["VARCO_DATABASE_URL"])
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { db.Close() })
	a, err := db.AccountByEmail(context.Background(), email)
	if err != nil {
		c.t.Fatal(err)
	}
	return db, a
}

func (c *cli) must(stdin string, args ...string) string {
	c.t.Helper()
	out, errOut, err := c.run(stdin, args...)
	if err != nil {
		c.t.Fatalf("varco %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

func TestCLIOrgsAndUsers(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			c := newCLI(t, engine)
			c.must("", "migrate")
			c.must("", "org", "create", "--name", "acme", "--plan", "pro")
			if _, _, err := c.run("", "org", "create", "--name", "acme", "--plan", "pro"); err == nil || !strings.Contains(err.Error(), "conflict") {
				t.Fatalf("duplicate org: %v", err)
			}
			if _, _, err := c.run("", "org", "create", "--name", "x", "--plan", "gold"); err == nil {
				t.Fatal("unknown plan accepted")
			}
			c.must("Assist-Desk-2026\n", "user", "create", "--email", "help@provider.test", "--password-stdin", "--role", "support")
			c.must("Rossi-Verde-2026\n", "user", "create", "--email", "mario@acme.test", "--password-stdin", "--org", "acme",
				"--phone", "+393471234567", "--contact-email", "mario@home.test", "--lang", "en")
			for _, tt := range []struct {
				name, stdin string
				args        []string
				usage       bool
			}{
				{"no org for a user", "Rossi-Verde-2026\n", []string{"user", "create", "--email", "x@acme.test", "--password-stdin"}, false},
				{"no password-stdin", "", []string{"user", "create", "--email", "x@acme.test", "--org", "acme"}, true},
				{"empty stdin", "", []string{"user", "create", "--email", "x@acme.test", "--org", "acme", "--password-stdin"}, false},
				{"weak password", "password1\n", []string{"user", "create", "--email", "x@acme.test", "--org", "acme", "--password-stdin"}, false},
				{"bad phone", "Rossi-Verde-2026\n", []string{"user", "create", "--email", "x@acme.test", "--org", "acme", "--password-stdin", "--phone", "347"}, false},
				{"unknown flag", "", []string{"user", "create", "--bogus"}, true},
				{"unknown verb", "", []string{"user", "explode"}, true},
				{"unknown command", "", []string{"frobnicate"}, true},
			} {
				_, _, err := c.run(tt.stdin, tt.args...)
				if err == nil || errors.Is(err, errUsage) != tt.usage {
					t.Errorf("%s: err = %v, usage error wanted: %v", tt.name, err, tt.usage)
				}
			}
			list := c.must("", "user", "list", "--org", "acme")
			if !strings.Contains(list, "mario@acme.test") || strings.Contains(list, "help@provider.test") {
				t.Fatalf("user list --org acme:\n%s", list)
			}
			show := c.must("", "user", "show", "--email", "MARIO@acme.test")
			if !strings.Contains(show, `"language": "en"`) || !strings.Contains(show, `"org": "acme"`) {
				t.Fatalf("user show:\n%s", show)
			}
			c.must("", "user", "disable", "--email", "mario@acme.test")
			if show := c.must("", "user", "show", "--email", "mario@acme.test"); !strings.Contains(show, `"status": "disabled"`) {
				t.Fatalf("after disable:\n%s", show)
			}
			if out := c.must("", "audit", "verify"); !strings.Contains(out, "intact: 3 entries") {
				t.Fatalf("audit verify: %s", out)
			}
		})
	}
}

// TestAuditVerifyCatchesDatabaseCLIEdits edits the activity history with the
// database's own command-line client, as someone who can write the database
// but holds none of varco's keys, and expects `varco audit verify` to fail
// naming what was changed, against the checkpoint every command leaves.
func TestAuditVerifyCatchesDatabaseCLIEdits(t *testing.T) {
	const b = `(SELECT id FROM accounts WHERE email = 'b@acme.test')`
	edits := []struct {
		name, sql, want string
	}{
		{"edit a field", `UPDATE audit_events SET ip = '6.6.6.6' WHERE account_id = ` + b, "entry 1: its content does not match"},
		{"delete an account's chain", `DELETE FROM audit_events WHERE account_id = ` + b + `; DELETE FROM audit_heads WHERE chain = 'a/' || ` + b,
			"but the chain has no entries (deleted)"},
		{"empty the history", `DELETE FROM audit_events; DELETE FROM audit_heads; DELETE FROM audit_checkpoints;`,
			"the database has no checkpoint, but checkpoint"},
	}
	for _, engine := range testenv.Engines() {
		for _, ed := range edits {
			t.Run(engine+"/"+ed.name, func(t *testing.T) {
				c := newCLI(t, engine)
				c.must("", "org", "create", "--name", "acme")
				for _, e := range []string{"a@acme.test", "b@acme.test", "c@acme.test"} {
					c.must("Rossi-Verde-2026\n", "user", "create", "--email", e, "--password-stdin", "--org", "acme")
				}
				if out := c.must("", "audit", "verify"); !strings.Contains(out, "intact: 3 entries") || !strings.Contains(out, "against checkpoint") {
					t.Fatalf("audit verify before: %s", out)
				}
				dbCLI(t, engine, c.env["VARCO_DATABASE_URL"], ed.sql)
				out, _, err := c.run("", "audit", "verify")
				if err == nil || !strings.Contains(out+err.Error(), ed.want) {
					t.Fatalf("audit verify after %q: %v (out %q), want failure naming %q", ed.name, err, out, ed.want)
				}
			})
		}
	}
}

// TestAuditVerifyAgainstShippedCheckpoint restores an old copy of a SQLite
// database together with its audit directory, as an attacker with the
// machine would; the checkpoint shipped off the machine before still tells.
func TestAuditVerifyAgainstShippedCheckpoint(t *testing.T) {
	c := newCLI(t, "sqlite")
	c.must("", "org", "create", "--name", "acme")
	c.must("Rossi-Verde-2026\n", "user", "create", "--email", "a@acme.test", "--password-stdin", "--org", "acme")
	db, dir := c.env["VARCO_DATABASE_URL"], c.env["VARCO_AUDIT_DIR"]
	old := t.TempDir()
	copyTree(t, filepath.Dir(db), old)
	copyTree(t, dir, filepath.Join(old, "audit"))

	c.must("Rossi-Verde-2026\n", "user", "create", "--email", "b@acme.test", "--password-stdin", "--org", "acme")
	if out := c.must("", "audit", "checkpoint"); !strings.Contains(out, "checkpoint") {
		t.Fatalf("audit checkpoint: %s", out)
	}
	shipped := filepath.Join(t.TempDir(), "shipped.json")
	newest, err := filepath.Glob(filepath.Join(dir, "checkpoints", "*.json"))
	if err != nil || len(newest) == 0 {
		t.Fatalf("no checkpoint files: %v", err)
	}
	copyFile(t, newest[len(newest)-1], shipped)
	if out := c.must("", "audit", "verify", "--account", "b@acme.test"); !strings.Contains(out, "intact: 1 entries of b@acme.test") {
		t.Fatalf("audit verify --account: %s", out)
	}

	// Roll the database and the audit directory back to the old copy.
	copyTree(t, old, filepath.Dir(db))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	copyTree(t, filepath.Join(old, "audit"), dir)
	c.must("", "audit", "verify") // the rolled-back machine agrees with itself…
	out, _, err := c.run("", "audit", "verify", "--checkpoint", shipped)
	if err == nil || !strings.Contains(out, "restored from an older copy") {
		t.Fatalf("verify against the shipped checkpoint: %v\n%s", err, out)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		copyFile(t, path, filepath.Join(to, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func dbCLI(t *testing.T, engine, url, sql string) {
	t.Helper()
	var cmd *exec.Cmd
	switch engine {
	case "sqlite":
		bin, err := exec.LookPath("sqlite3")
		if err != nil {
			testenv.Missing(t, "the sqlite3 command-line client")
		}
		cmd = exec.Command(bin, url, sql)
	case "postgres":
		bin, err := exec.LookPath("psql")
		if err != nil {
			testenv.Missing(t, "the psql command-line client")
		}
		cmd = exec.Command(bin, "-v", "ON_ERROR_STOP=1", "-q", "-d", url, "-c", sql)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
}

// TestCLIUnlock: `varco user unlock` reopens an account the step-up
// counters locked, says which counter did, and resets them (SPEC §5.8).
func TestCLIUnlock(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			c := newCLI(t, engine)
			c.must("", "org", "create", "--name", "acme", "--plan", "pro")
			c.must("Rossi-Verde-2026\n", "user", "create", "--email", "mario@acme.test", "--password-stdin", "--org", "acme")
			if _, _, err := c.run("", "user", "unlock", "--email", "mario@acme.test"); err == nil || !strings.Contains(err.Error(), "not locked") {
				t.Fatalf("unlock of an active account: %v", err)
			}
			ctx := context.Background()
			db, a := c.account("mario@acme.test")
			err := db.InTx(ctx, func(q *store.Q) error {
				if err := q.SaveStepUpCounters(ctx, a.ID, mustCounters(t, q, a.ID, 15)); err != nil {
					return err
				}
				_, err := q.LockAccount(ctx, a.ID, "pin_total")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			out := c.must("", "user", "unlock", "--email", "mario@acme.test")
			if !strings.Contains(out, "unlocked") || !strings.Contains(out, "pin_total") {
				t.Fatalf("user unlock: %s", out)
			}
			if show := c.must("", "user", "show", "--email", "mario@acme.test"); !strings.Contains(show, `"status": "active"`) {
				t.Fatalf("after unlock:\n%s", show)
			}
			if cs, err := db.StepUpCountersOf(ctx, a.ID); err != nil || cs.PINTotal != 0 || cs.LockedReason != "" {
				t.Fatalf("counters after unlock: %+v %v", cs, err)
			}
		})
	}
}

func mustCounters(t *testing.T, q *store.Q, id int64, pinTotal int) varco.StepUpCounters {
	t.Helper()
	c, err := q.LockStepUpCounters(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	c.PINTotal = pinTotal
	return c
}

// TestCLIOrgCountry: an organization's country is where its users' phone
// numbers without a country code are dialled.
func TestCLIOrgCountry(t *testing.T) {
	c := newCLI(t, "sqlite")
	c.must("", "org", "create", "--name", "uk", "--country", "GB")
	c.must("Rossi-Verde-2026\n", "user", "create", "--email", "ann@uk.test", "--password-stdin", "--org", "uk", "--phone", "07400 123456")
	if show := c.must("", "user", "show", "--email", "ann@uk.test"); !strings.Contains(show, `"phone": "+447400123456"`) {
		t.Fatalf("user show:\n%s", show)
	}
	if _, _, err := c.run("", "org", "create", "--name", "nowhere", "--country", "XX"); err == nil {
		t.Fatal("an unknown country was accepted")
	}
}
