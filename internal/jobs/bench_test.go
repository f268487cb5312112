package jobs_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"varco.dev/varco/internal/app"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/password"
	"varco.dev/varco/internal/testenv"
)

// The lifecycle jobs against many accounts in SQLite (docs/performance.md):
//
//	VARCO_BENCH_ACCOUNTS=1000000 go test -run '^$' -bench Jobs -benchtime 1x -timeout 30m ./internal/jobs/
//
// Accounts are written straight into the database (the hash is a fixed
// string: the jobs never verify passwords). 1 % of them are due for the
// 20-day expiry warning.
func benchAccounts() int {
	if n, err := strconv.Atoi(os.Getenv("VARCO_BENCH_ACCOUNTS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

func seedAccounts(b *testing.B, path string, n int, now time.Time) {
	b.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO accounts (org_id, email, role, status, password_hash,
		password_changed_at, last_login_at, created_at) VALUES (1, $1, 'user', 'active', 'x', $2, $3, $3)`)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i++ {
		changed := now.Add(-time.Duration(i%60) * 24 * time.Hour) // 0–59 days old: nothing due
		if i%100 == 0 {
			changed = now.Add(-70*24*time.Hour - time.Duration(i%1000)*time.Second) // 1 %: 20 days left
		}
		if _, err := stmt.ExecContext(ctx, fmt.Sprintf("user%d@bench.test", i), changed.UnixMicro(), now.Add(-time.Hour).UnixMicro()); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

func benchRunner(b *testing.B, dueFraction bool) {
	n := benchAccounts()
	path := testenv.DatabaseURL(b, "sqlite")
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	clk := clock.NewManual(now)
	cfg := &config.Config{DatabaseURL: path, Listen: "127.0.0.1:0", BaseURL: "http://varco.test", MailFrom: "v@bench.test",
		SessionIdle: time.Hour, SessionAbsolute: time.Hour, LogLevel: "info"}
	a, err := app.New(context.Background(), cfg, app.Options{Clock: clk, HashParams: &password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Admin.CreateOrg(context.Background(), nil, "bench", "pro"); err != nil {
		b.Fatal(err)
	}
	seedAccounts(b, path, n, now)
	if !dueFraction {
		// Send the due warnings once, so the measured run finds nothing to do.
		if _, err := a.Jobs.RunOnce(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	var rep any
	for i := 0; i < b.N; i++ {
		r, err := a.Jobs.RunOnce(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		rep = r
	}
	b.StopTimer()
	b.ReportMetric(float64(n), "accounts")
	b.Logf("%d accounts: %+v", n, rep)
}

// BenchmarkJobsOnePercentDue: one full run when 1 % of the accounts need
// the expiry warning (target < 2 s for 1,000,000 accounts).
func BenchmarkJobsOnePercentDue(b *testing.B) { benchRunner(b, true) }

// BenchmarkJobsNoneDue: one full run when nothing is due (target < 50 ms).
func BenchmarkJobsNoneDue(b *testing.B) { benchRunner(b, false) }
