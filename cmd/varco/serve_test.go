package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"varco.dev/varco/internal/app"
	"varco.dev/varco/internal/auth"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/fixture"
)

// TestDevSeedIsIdempotent: `serve --dev` creates the demo organization and
// users once, and every start prints credentials that work.
func TestDevSeedIsIdempotent(t *testing.T) {
	cfg := &config.Config{AuditDir: t.TempDir(), DatabaseURL: testenv.DatabaseURL(t, "sqlite"), Listen: "127.0.0.1:0", BaseURL: "http://127.0.0.1",
		Dev: true, LogLevel: "info"}
	ctx := context.Background()
	for run := 0; run < 2; run++ {
		a, err := app.New(ctx, cfg, app.Options{HashParams: &fixture.Hash})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := seedDemo(ctx, a, &env{stdout: &out}); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		for _, u := range demoUsers {
			if !strings.Contains(out.String(), u.Email) || !strings.Contains(out.String(), u.Password) {
				t.Fatalf("run %d does not print %s and its password:\n%s", run, u.Email, out.String())
			}
			if _, err := a.Auth.Login(ctx, u.Email, u.Password, authMeta()); err != nil {
				t.Fatalf("demo login %s: %v", u.Email, err)
			}
		}
		if n, _ := a.DB.CountAccounts(ctx); n != len(demoUsers) {
			t.Fatalf("run %d: %d accounts", run, n)
		}
		a.Close()
	}
}

func authMeta() auth.Meta { return auth.Meta{IP: "127.0.0.1", Application: "account_management"} }
