package jobs_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/app"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/jobs"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/fixture"
)

// The lifecycle jobs against many accounts in SQLite (docs/performance.md):
//
//	VARCO_BENCH_ACCOUNTS=1000000 go test -run '^$' -bench Jobs -benchtime 1x -timeout 30m ./internal/jobs/
//
// Accounts are written straight into the database (the hash is a fixed
// string: the jobs never verify passwords), with the next_notice_at the
// jobs would have set, as after the runs of earlier days. 1 % of them are
// due for the 20-day expiry warning. The database is built once per process
// and copied for each benchmark.
func benchAccounts() int {
	if n, err := strconv.Atoi(os.Getenv("VARCO_BENCH_ACCOUNTS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

var benchNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// template is the seeded database the benchmarks copy, in a directory
// removed by TestMain.
var template struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if template.dir != "" {
		os.RemoveAll(template.dir)
	}
	os.Exit(code)
}

func benchConfig(path string) *config.Config {
	return &config.Config{DatabaseURL: path, Listen: "127.0.0.1:0", BaseURL: "http://varco.test", MailFrom: "v@bench.test",
		SessionIdle: time.Hour, SessionAbsolute: time.Hour, LogLevel: "info"}
}

var benchOptions = app.Options{HashParams: &fixture.Hash}

// buildTemplate migrates a database, creates the organization and seeds n
// accounts; it returns the file's path.
func buildTemplate(n int) (string, error) {
	dir, err := os.MkdirTemp("", "varco-jobs-bench-")
	if err != nil {
		return "", err
	}
	template.dir = dir
	path := filepath.Join(dir, "varco.db")
	ctx := context.Background()
	opts := benchOptions
	opts.Clock = clock.NewManual(benchNow)
	a, err := app.New(ctx, benchConfig(path), opts)
	if err != nil {
		return "", err
	}
	_, err = a.Admin.CreateOrg(ctx, admin.Operator(), "bench", "pro")
	a.Close()
	if err != nil {
		return "", err
	}
	return path, seedAccounts(path, n, benchNow)
}

// seedAccounts inserts n accounts of organization 1 in one transaction,
// many rows per statement.
func seedAccounts(path string, n int, now time.Time) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	const perStmt = 100
	stmt, err := tx.PrepareContext(ctx, insertAccounts(perStmt))
	if err != nil {
		return err
	}
	policy := varco.DefaultPolicy()
	args := make([]any, 0, perStmt*5)
	flush := func(st *sql.Stmt) error {
		_, err := st.ExecContext(ctx, args...)
		args = args[:0]
		return err
	}
	for i := 0; i < n; i++ {
		changed := now.Add(-time.Duration(i%60) * 24 * time.Hour) // 0–59 days old: nothing due
		if i%100 == 0 {
			changed = now.Add(-70*24*time.Hour - time.Duration(i%1000)*time.Second) // 1 %: 20 days left
		}
		lastLogin := now.Add(-time.Hour)
		next := jobs.NextNoticeAt(policy, &varco.Account{PasswordChangedAt: changed, LastLoginAt: lastLogin, CreatedAt: lastLogin}, now)
		args = append(args, fmt.Sprintf("user%d@bench.test", i), changed.UnixMicro(), lastLogin.UnixMicro(), lastLogin.UnixMicro(), next.UnixMicro())
		if len(args) == cap(args) {
			if err := flush(stmt); err != nil {
				return err
			}
		}
	}
	if rest := len(args) / 5; rest > 0 {
		st, err := tx.PrepareContext(ctx, insertAccounts(rest))
		if err != nil {
			return err
		}
		if err := flush(st); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func insertAccounts(rows int) string {
	var sb strings.Builder
	sb.WriteString(`INSERT INTO accounts (org_id, email, role, status, password_hash,
		password_changed_at, last_login_at, created_at, next_notice_at) VALUES `)
	for i := 0; i < rows; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, "(1, $%d, 'user', 'active', 'x', $%d, $%d, $%d, $%d)", 5*i+1, 5*i+2, 5*i+3, 5*i+4, 5*i+5)
	}
	return sb.String()
}

// benchApp opens a copy of the seeded database.
func benchApp(b *testing.B, n int) *app.App {
	b.Helper()
	template.once.Do(func() { template.path, template.err = buildTemplate(n) })
	if template.err != nil {
		b.Fatal(template.err)
	}
	path := filepath.Join(b.TempDir(), "varco.db")
	if err := copyFile(template.path, path); err != nil {
		b.Fatal(err)
	}
	opts := benchOptions
	opts.Clock = clock.NewManual(benchNow)
	a, err := app.New(context.Background(), benchConfig(path), opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close() })
	return a
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

func benchRunner(b *testing.B, dueFraction bool) {
	n := benchAccounts()
	a := benchApp(b, n)
	ctx := context.Background()
	if !dueFraction {
		// Send the due warnings once, so the measured run finds nothing to do.
		if _, err := a.Jobs.RunOnce(ctx); err != nil {
			b.Fatal(err)
		}
	}
	var rep jobs.Report
	runs := 0
	cpu := testenv.ProcessCPU()
	for b.Loop() {
		r, err := a.Jobs.RunOnce(ctx)
		if err != nil {
			b.Fatal(err)
		}
		rep = r
		runs++
	}
	b.ReportMetric((testenv.ProcessCPU()-cpu).Seconds()/float64(runs), "cpu-s/op")
	b.ReportMetric(float64(n), "accounts")
	b.ReportMetric(float64(rep.Examined), "examined")
	b.Logf("%d accounts: %+v", n, rep)
}

// BenchmarkJobsOnePercentDue: one full run when 1 % of the accounts need
// the expiry warning (target < 2 s for 1,000,000 accounts). Run it with
// -benchtime 1x: a second run would find nothing due.
func BenchmarkJobsOnePercentDue(b *testing.B) { benchRunner(b, true) }

// BenchmarkJobsNoneDue: one full run when nothing is due (target < 50 ms).
func BenchmarkJobsNoneDue(b *testing.B) { benchRunner(b, false) }
