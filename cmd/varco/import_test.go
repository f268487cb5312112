package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"varco.dev/varco/internal/auth"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/audittest"
	"varco.dev/varco/internal/testenv/fixture"
)

const samples = "../../internal/importer/testdata/import/"

func TestCLIImport(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			c := newCLI(t, engine)
			c.must("", "org", "create", "--name", "acme", "--plan", "pro")

			// A dry run validates and writes nothing.
			out, errOut, err := c.run("", "import", "--format", "csv", "--file", samples+"sample.csv", "--dry-run")
			if err != nil || !strings.Contains(out, "dry run: would import 4, skip 0 existing, 6 errors") {
				t.Fatalf("dry run: %v\n%s%s", err, out, errOut)
			}
			if list := c.must("", "user", "list"); strings.Contains(list, "mario.rossi@acme.test") {
				t.Fatalf("dry run wrote accounts:\n%s", list)
			}

			out, errOut, err = c.run("", "import", "--format", "csv", "--file", samples+"sample.csv")
			if err != nil || !strings.Contains(out, "imported 4, skipped 0 existing, 6 errors") {
				t.Fatalf("csv import: %v\n%s%s", err, out, errOut)
			}
			for _, want := range []string{"line 6: phone number not in E.164", "line 7: unsupported hash scheme {PLAIN}",
				"line 8: broken CSV quoting", `line 9: organization "nowhere" not found`, "line 10: invalid e-mail",
				"line 11: want 6 fields, got 2"} {
				if !strings.Contains(errOut, want) {
					t.Errorf("error report lacks %q:\n%s", want, errOut)
				}
			}
			if strings.Contains(errOut, "$6$") || strings.Contains(errOut, "secret") {
				t.Fatalf("error report echoes a hash:\n%s", errOut)
			}

			// The passwd file overlaps the CSV: existing accounts are skipped.
			// Its bad lines go to --errors.
			errFile := filepath.Join(t.TempDir(), "errors.txt")
			passwd := "bare@acme.test:{SHA512-CRYPT}$6$Ab12Cd34$uufiZhLYgxmbngrwwzswWttptPUmQOTSW5.lCvsVbeQLhonXMPA6tHp8bnQ014aaGbTzNADZ3EHeukla0olo0.\n"
			out, errOut, err = c.run(passwd, "import", "--format", "passwd", "--file", "-", "--org", "acme", "--lang", "en")
			if err != nil || !strings.Contains(out, "imported 1, skipped 0 existing, 0 errors") {
				t.Fatalf("passwd from stdin: %v\n%s%s", err, out, errOut)
			}
			out, errOut, err = c.run("", "import", "--format", "passwd", "--file", samples+"sample.passwd", "--org", "acme", "--errors", errFile)
			if err != nil || !strings.Contains(out, "imported 0, skipped 4 existing, 3 errors") || strings.Contains(errOut, "line ") {
				t.Fatalf("passwd import: %v\n%s%s", err, out, errOut)
			}
			report, _ := os.ReadFile(errFile)
			if !strings.Contains(string(report), "line 9: no password field") || strings.Count(string(report), "\n") != 3 {
				t.Fatalf("--errors file:\n%s", report)
			}

			for _, tt := range [][]string{
				{"import", "--file", samples + "sample.csv"},
				{"import", "--format", "xml", "--file", "x"},
				{"import", "--format", "csv"},
				{"import", "--format", "passwd", "--file", samples + "sample.passwd"},
			} {
				if _, _, err := c.run("", tt...); err != errUsage {
					t.Errorf("%v: err = %v, want usage error", tt, err)
				}
			}
			if _, _, err := c.run("", "import", "--format", "passwd", "--file", samples+"sample.passwd", "--org", "nowhere"); err == nil {
				t.Error("unknown --org accepted")
			}
			if _, _, err := c.run("", "import", "--format", "csv", "--file", filepath.Join(t.TempDir(), "missing.csv")); err == nil {
				t.Error("missing file accepted")
			}
			if _, _, err := c.run("email,name\n", "import", "--format", "csv", "--file", "-"); err == nil || !strings.Contains(err.Error(), "header") {
				t.Errorf("bad header: %v", err)
			}

			// Imported legacy hashes verify at login and become argon2id.
			cfg := &config.Config{AuditDir: c.env["VARCO_AUDIT_DIR"], DatabaseURL: c.env["VARCO_DATABASE_URL"], Listen: "127.0.0.1:0", BaseURL: "http://127.0.0.1", LogLevel: "info"}
			ctx := context.Background()
			a := fixture.Start(t, cfg, fixture.Options{})
			for _, email := range []string{"mario.rossi@acme.test", "bare@acme.test", "giulia.verdi@acme.test", "anna@acme.test"} {
				if _, err := a.Auth.Login(ctx, email, "Rossi-Verde-2026", auth.Meta{IP: "127.0.0.1"}); err != nil {
					t.Fatalf("login %s: %v", email, err)
				}
				acc, err := a.DB.AccountByEmail(ctx, email)
				if err != nil || !strings.HasPrefix(acc.PasswordHash, "$argon2id$v=19$m=64,") {
					t.Fatalf("%s after login: hash %.20q, %v", email, acc.PasswordHash, err)
				}
			}
			if audittest.Verify(t, a.DB) == 0 {
				t.Fatal("no events recorded")
			}
		})
	}
}
