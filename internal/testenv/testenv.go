// Package testenv gives tests the real parts they run against: fresh,
// migrated SQLite and PostgreSQL databases (and, in sub-packages, an SMTP
// sink). PostgreSQL comes from VARCO_TEST_POSTGRES_URL, which the test
// script sets after starting a throwaway cluster; with
// VARCO_REQUIRE_INTEGRATION=1 a missing server fails the test instead of
// skipping it.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
)

// Engines lists the database engines every storage test runs on.
func Engines() []string { return []string{"sqlite", "postgres"} }

// RequireIntegration reports whether missing integration servers must fail
// tests (VARCO_REQUIRE_INTEGRATION=1, set by CI).
func RequireIntegration() bool { return os.Getenv("VARCO_REQUIRE_INTEGRATION") == "1" }

// Missing skips the test because a server is not available, or fails it when
// integration is required.
func Missing(t testing.TB, what string) {
	t.Helper()
	if RequireIntegration() {
		t.Fatalf("%s is not available and VARCO_REQUIRE_INTEGRATION=1", what)
	}
	t.Skipf("%s is not available (set it up with the README's test command)", what)
}

// DatabaseURL returns the URL of a fresh, empty database on engine: a new
// SQLite file in a temp dir, or a new PostgreSQL database dropped when the
// test ends.
func DatabaseURL(t testing.TB, engine string) string {
	t.Helper()
	switch engine {
	case "sqlite":
		return filepath.Join(t.TempDir(), "varco.db")
	case "postgres":
		return postgresDatabase(t)
	}
	t.Fatalf("unknown engine %q", engine)
	return ""
}

// OpenDB returns a fresh, migrated database on engine, closed when the test ends.
func OpenDB(t testing.TB, engine string) *store.DB {
	t.Helper()
	return OpenDBAt(t, DatabaseURL(t, engine))
}

// OpenDBAt is OpenDB for a database url already made (DatabaseURL): a
// second call on the same url is another process's connection to it.
func OpenDBAt(t testing.TB, url string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", url, err)
	}
	db.SetAuditKeys(AuditKeys(t))
	return db
}

// AuditKeys returns a fresh random key for sealing the activity history.
func AuditKeys(t testing.TB) *varco.AuditKeys {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		t.Fatal(err)
	}
	return &varco.AuditKeys{Current: "test", Secrets: map[string][]byte{"test": secret}}
}

// ForEachEngine runs fn as a subtest on every engine with a fresh database.
func ForEachEngine(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for _, e := range Engines() {
		t.Run(e, func(t *testing.T) { fn(t, OpenDB(t, e)) })
	}
}

// RawDB opens the database at url (from DatabaseURL, or a varco's
// configuration) with plain database/sql, closed when the test ends, for
// states no service call sets up and for tampering behind the services'
// back. On SQLite it waits up to 10 s for a running varco's writes.
func RawDB(t testing.TB, url string) *sql.DB {
	t.Helper()
	path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite://"), "file:")
	driver, dsn := "sqlite", "file:"+path+"?_pragma=busy_timeout(10000)"
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		driver, dsn = "pgx", url
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("open %s database: %v", driver, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func postgresDatabase(t testing.TB) string {
	t.Helper()
	base := os.Getenv("VARCO_TEST_POSTGRES_URL")
	if base == "" {
		Missing(t, "PostgreSQL (VARCO_TEST_POSTGRES_URL)")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer admin.Close()
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := "varco_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse VARCO_TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// ListenChanges runs db's change listener (store.DB.ListenChanges, as
// serve's Run does) until the test ends and returns once it listens;
// notified, if set, is called at each notification acted on. Before it,
// the process must trust nothing it keeps: the change version is checked
// to be unknown. On SQLite there is no listener and it does nothing.
func ListenChanges(t testing.TB, db *store.DB, notified func()) {
	t.Helper()
	if db.Engine() != "postgres" {
		return
	}
	if _, ok := db.ChangeVersion(context.Background()); ok {
		t.Fatal("PostgreSQL: a change version without a listener")
	}
	listening := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.ListenChanges(ctx, store.ListenOptions{Notified: notified, Listening: func() {
			select {
			case listening <- struct{}{}:
			default:
			}
		}})
	}()
	t.Cleanup(func() { cancel(); <-done })
	<-listening
}
