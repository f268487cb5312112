package app_test

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/app"
	"varco.dev/varco/internal/audit"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/fixture"
)

// legacyDB is a database at the schema before per-account chains, holding
// n events in the single unkeyed chain as that version wrote them.
func legacyDB(t *testing.T, engine string, n int) (url string, raw *sql.DB) {
	t.Helper()
	url = testenv.DatabaseURL(t, engine)
	db, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.MigrateTo(t.Context(), 9); err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw = testenv.RawDB(t, url)
	prev := []byte{}
	for i := int64(1); i <= int64(n); i++ {
		e := &varco.Event{Time: time.Date(2026, 1, 1, 0, int(i), 0, 0, time.UTC), AccountID: i%3 + 1, OrgID: 1,
			Event: varco.EventLoginSucceeded, Actor: varco.ActorSelf, Outcome: varco.OutcomeSuccess, IP: "192.0.2.1"}
		h := e.ChainHash(i, prev)
		if _, err := raw.Exec(`INSERT INTO audit_events (seq, time, account_id, org_id, event, actor, actor_id, ip,
			location, user_agent, application, outcome, detail, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, 0, $7, '', '', '', $8, '', $9, $10)`,
			i, e.Time.UnixMicro(), e.AccountID, e.OrgID, e.Event, e.Actor, e.IP, e.Outcome, prev, h); err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(`UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, i, h); err != nil {
			t.Fatal(err)
		}
		prev = h
	}
	return url, raw
}

// TestUpgradeAnchorsTheLegacyChain: upgrading a database written with the
// single unkeyed chain verifies it, anchors it in the first checkpoint, and
// from then on a rewrite of the old entries (even with their unkeyed hashes
// recomputed) is detected; a history changed before the upgrade refuses to
// be anchored.
func TestUpgradeAnchorsTheLegacyChain(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			url, raw := legacyDB(t, engine, 5)
			cfg := &config.Config{DatabaseURL: url, AuditDir: t.TempDir()}
			db, err := store.Open(t.Context(), url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			keys, err := app.OpenAudit(t.Context(), db, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := audit.Write(t.Context(), db, keys, cfg.AuditDir, time.Now(), false); err != nil {
				t.Fatal(err)
			}
			e := &varco.Event{Time: time.Now(), AccountID: 1, Event: varco.EventLoginFailed, Actor: varco.ActorSelf, Outcome: varco.OutcomeFailure}
			if err := db.InTx(t.Context(), func(q *store.Q) error { return q.AppendEvent(t.Context(), e) }); err != nil {
				t.Fatal(err)
			}
			verify := func() *audit.Report {
				path, _ := audit.Newest(cfg.AuditDir)
				f, err := audit.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				r, err := audit.Verify(t.Context(), db.Reader(), keys, audit.Options{Trusted: f})
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			if r := verify(); !r.OK() || r.Events != 6 || r.Chains != 2 {
				t.Fatalf("after the upgrade: %d events in %d chains, %v", r.Events, r.Chains, r.Problems)
			}
			// Rewrite the whole legacy chain with recomputed unkeyed hashes.
			rows, err := raw.Query(`SELECT seq FROM audit_events WHERE chain = 'legacy' ORDER BY seq`)
			if err != nil {
				t.Fatal(err)
			}
			var seqs []int64
			for rows.Next() {
				var s int64
				rows.Scan(&s)
				seqs = append(seqs, s)
			}
			rows.Close()
			prev := []byte{}
			for _, s := range seqs {
				e := &varco.Event{Time: time.Date(2026, 1, 1, 0, int(s), 0, 0, time.UTC), AccountID: s%3 + 1, OrgID: 1,
					Event: varco.EventLoginSucceeded, Actor: varco.ActorSelf, Outcome: varco.OutcomeSuccess, IP: "198.51.100.9"}
				h := e.ChainHash(s, prev)
				if _, err := raw.Exec(`UPDATE audit_events SET ip = $1, prev_hash = $2, hash = $3 WHERE chain = 'legacy' AND chain_seq = $4`,
					e.IP, prev, h, s); err != nil {
					t.Fatal(err)
				}
				prev = h
			}
			if _, err := raw.Exec(`UPDATE audit_heads SET hash = $1 WHERE chain = 'legacy'`, prev); err != nil {
				t.Fatal(err)
			}
			r := verify()
			if r.OK() || !strings.Contains(r.Problems[0].String(), "chain legacy entry 5: differs from what checkpoint 1 anchored") {
				t.Fatalf("rewritten legacy chain: %v", r.Problems)
			}
		})
	}
}

func TestUpgradeRefusesATamperedLegacyChain(t *testing.T) {
	url, raw := legacyDB(t, "sqlite", 3)
	if _, err := raw.Exec(`UPDATE audit_events SET ip = '6.6.6.6' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, err = app.OpenAudit(t.Context(), db, &config.Config{DatabaseURL: url, AuditDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "chain legacy entry 2") {
		t.Fatalf("OpenAudit on a tampered legacy chain: %v", err)
	}
}

// TestSealedHistoryNeedsItsKeys: once entries are sealed, a start without
// the keys refuses instead of sealing on under a new key.
func TestSealedHistoryNeedsItsKeys(t *testing.T) {
	cfg := fixture.Config(t, "sqlite")
	a, err := app.New(t.Context(), cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fixture.New(t, a.Admin, a.DB).Mario("basic", admin.NewUser{})
	a.Close()
	cfg.AuditDir = t.TempDir()
	if _, err := app.New(t.Context(), cfg, app.Options{}); err == nil || !strings.Contains(err.Error(), "audit keys are missing") {
		t.Fatalf("start without the audit keys: %v", err)
	}
}
