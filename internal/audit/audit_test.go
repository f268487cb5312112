package audit_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/audit"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// history is a database with a few chains, a checkpoint of them, and a raw
// connection to tamper with it as someone who can write the database but
// holds none of the keys.
type history struct {
	t      *testing.T
	db     *store.DB
	raw    *sql.DB
	keys   *audit.Keys
	dir    string
	engine string
	now    time.Time
}

func newHistory(t *testing.T, engine string) *history {
	t.Helper()
	url := testenv.DatabaseURL(t, engine)
	db, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	driver := "pgx"
	if engine == "sqlite" {
		driver = "sqlite"
	}
	raw, err := sql.Open(driver, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	h := &history{t: t, db: db, raw: raw, dir: t.TempDir(), engine: engine, now: t0}
	if h.keys, err = audit.LoadKeys(h.dir, true); err != nil {
		t.Fatal(err)
	}
	db.SetAuditKeys(h.keys.Chain)
	return h
}

// record appends n events for account (0: an event of no account).
func (h *history) record(account int64, n int) {
	h.t.Helper()
	for i := 0; i < n; i++ {
		h.now = h.now.Add(time.Minute)
		e := &varco.Event{Time: h.now, AccountID: account, OrgID: 1, Event: varco.EventLoginSucceeded,
			Actor: varco.ActorSelf, Outcome: varco.OutcomeSuccess, IP: "192.0.2.7"}
		if account == 0 {
			e.OrgID, e.Event, e.Outcome = 0, varco.EventLoginFailed, varco.OutcomeFailure
		}
		if err := h.db.InTx(h.t.Context(), func(q *store.Q) error { return q.AppendEvent(h.t.Context(), e) }); err != nil {
			h.t.Fatal(err)
		}
	}
}

func (h *history) checkpoint() *audit.Body {
	h.t.Helper()
	b, err := audit.Write(h.t.Context(), h.db, h.keys, h.dir, h.now, true)
	if err != nil {
		h.t.Fatal(err)
	}
	return b
}

func (h *history) exec(stmts ...string) {
	h.t.Helper()
	for _, s := range stmts {
		if _, err := h.raw.Exec(s); err != nil {
			h.t.Fatalf("%s: %v", s, err)
		}
	}
}

// verify checks against the newest checkpoint file, as varco audit verify does.
func (h *history) verify(chain string) *audit.Report {
	h.t.Helper()
	opt := audit.Options{Chain: chain}
	path, err := audit.Newest(h.dir)
	if err != nil {
		h.t.Fatal(err)
	}
	if path != "" {
		if opt.Trusted, err = audit.ReadFile(path); err != nil {
			h.t.Fatal(err)
		}
	}
	r, err := audit.Verify(h.t.Context(), h.db.Reader(), h.keys, opt)
	if err != nil {
		h.t.Fatal(err)
	}
	return r
}

func problems(r *audit.Report) string {
	var s []string
	for _, p := range r.Problems {
		s = append(s, p.String())
	}
	return strings.Join(s, "\n")
}

// TestTamperingIsDetected is SPEC §3: an edit, a deletion, a cut tail, a
// deleted chain, a rewound head, an emptied history or a restored old copy
// is detected against the newest checkpoint, on both engines.
func TestTamperingIsDetected(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(h *history)
		want   string // in the problems
	}{
		{"edit a field", func(h *history) {
			h.exec(`UPDATE audit_events SET ip = '6.6.6.6' WHERE chain = 'a/1' AND chain_seq = 2`)
		}, "chain a/1 entry 2: its content does not match"},
		{"edit and re-link with a guessed key", func(h *history) {
			// Without the key the best an attacker can do is an unkeyed hash.
			h.exec(`UPDATE audit_events SET key_id = '', hash = prev_hash WHERE chain = 'a/1' AND chain_seq = 3`)
		}, "chain a/1 entry 3"},
		{"delete a middle entry", func(h *history) {
			h.exec(`DELETE FROM audit_events WHERE chain = 'a/1' AND chain_seq = 2`)
		}, "chain a/1 entry 2: missing"},
		{"cut one account's tail and rewind its head", func(h *history) {
			h.exec(`DELETE FROM audit_events WHERE chain = 'a/1' AND chain_seq = 3`,
				`UPDATE audit_heads SET seq = 2, hash = (SELECT hash FROM audit_events WHERE chain = 'a/1' AND chain_seq = 2) WHERE chain = 'a/1'`)
		}, "chain a/1: checkpoint 1 anchored entry 3 but the chain ends at entry 2 (cut)"},
		{"delete one account's whole chain", func(h *history) {
			h.exec(`DELETE FROM audit_events WHERE chain = 'a/2'`, `DELETE FROM audit_heads WHERE chain = 'a/2'`)
		}, "chain a/2: checkpoint 1 anchored entry 2 but the chain has no entries (deleted)"},
		{"rewind a head", func(h *history) {
			h.exec(`UPDATE audit_heads SET seq = seq - 1 WHERE chain = 'a/2'`)
		}, "chain a/2: its head names entry 1 but the chain ends at entry 2"},
		{"empty everything", func(h *history) {
			h.exec(`DELETE FROM audit_events`, `DELETE FROM audit_heads`, `DELETE FROM audit_checkpoints`)
		}, "the database has no checkpoint, but checkpoint 1 was written"},
		{"empty the events and heads, keep the checkpoints", func(h *history) {
			h.exec(`DELETE FROM audit_events`, `DELETE FROM audit_heads`)
		}, "chain a/1: checkpoint 1 anchored entry 3 but the chain has no entries (deleted)"},
		{"restore an old copy", func(h *history) {
			tables := []string{"audit_events", "audit_heads", "audit_checkpoints"}
			for _, tb := range tables {
				h.exec(`CREATE TABLE old_` + tb + ` AS SELECT * FROM ` + tb)
			}
			h.record(1, 2)
			h.record(3, 1)
			h.checkpoint()
			for _, tb := range tables {
				h.exec(`DELETE FROM `+tb, `INSERT INTO `+tb+` SELECT * FROM old_`+tb)
			}
		}, "the database lacks checkpoints 2 to 2 (restored from an older copy, or cut)"},
		{"delete a checkpoint from the database", func(h *history) {
			h.record(1, 1)
			h.checkpoint()
			h.record(2, 1)
			h.checkpoint()
			h.exec(`DELETE FROM audit_checkpoints WHERE n = 2`)
		}, "checkpoints 2 to 2 are missing from the database"},
		{"rewrite a checkpoint in the database", func(h *history) {
			h.record(1, 1)
			h.checkpoint()
			h.exec(`UPDATE audit_checkpoints SET body = (SELECT body FROM audit_checkpoints WHERE n = 1) WHERE n = 2`)
			h.record(2, 1)
			h.checkpoint()
		}, "checkpoint 2: its body is checkpoint 1's"},
	}
	for _, engine := range testenv.Engines() {
		for _, c := range cases {
			t.Run(engine+"/"+c.name, func(t *testing.T) {
				h := newHistory(t, engine)
				h.record(1, 3)
				h.record(2, 2)
				h.record(0, 3)
				h.checkpoint()
				if r := h.verify(""); !r.OK() || r.Events != 8 {
					t.Fatalf("before tampering: %d events, problems:\n%s", r.Events, problems(r))
				}
				c.tamper(h)
				r := h.verify("")
				if r.OK() {
					t.Fatalf("tampering not detected (%d events verified)", r.Events)
				}
				if got := problems(r); !strings.Contains(got, c.want) {
					t.Fatalf("problems:\n%s\nwant one with %q", got, c.want)
				}
			})
		}
	}
}

// TestVerifyOneAccount checks one account's chain quickly: another
// account's tampering does not fail it, its own does.
func TestVerifyOneAccount(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, _ *store.DB) {
		h := newHistory(t, engineOf(t))
		h.record(1, 3)
		h.checkpoint()
		h.record(2, 2)
		h.checkpoint()
		h.record(1, 1) // after the newest checkpoint
		if r := h.verify(varco.AccountChain(1)); !r.OK() || r.Events != 4 || r.Chains != 1 {
			t.Fatalf("account 1: %d events in %d chains, problems:\n%s", r.Events, r.Chains, problems(r))
		}
		h.exec(`DELETE FROM audit_events WHERE chain = 'a/2'`, `DELETE FROM audit_heads WHERE chain = 'a/2'`)
		if r := h.verify(varco.AccountChain(1)); !r.OK() {
			t.Fatalf("account 1 after account 2 was deleted: %s", problems(r))
		}
		if r := h.verify(varco.AccountChain(2)); r.OK() {
			t.Fatal("account 2's deleted chain verified")
		}
		h.exec(`DELETE FROM audit_events WHERE chain = 'a/1' AND chain_seq >= 3`,
			`UPDATE audit_heads SET seq = 2, hash = (SELECT hash FROM audit_events WHERE chain = 'a/1' AND chain_seq = 2) WHERE chain = 'a/1'`)
		if r := h.verify(varco.AccountChain(1)); r.OK() || !strings.Contains(problems(r), "checkpoint 1 anchored entry 3") {
			t.Fatalf("account 1's cut tail: %s", problems(r))
		}
	})
}

// engineOf reads the engine from a ForEachEngine subtest's name.
func engineOf(t *testing.T) string {
	return t.Name()[strings.LastIndexByte(t.Name(), '/')+1:]
}

// TestForgedCheckpointFile refuses a checkpoint file not signed by this
// deployment's key, and one whose body was edited.
func TestForgedCheckpointFile(t *testing.T) {
	h := newHistory(t, "sqlite")
	h.record(1, 2)
	h.checkpoint()
	path, _ := audit.Newest(h.dir)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(string(b), `"seq":2`, `"seq":1`, 1)
	if forged == string(b) {
		t.Fatalf("checkpoint file has no seq 2: %s", b)
	}
	if err := os.WriteFile(path, []byte(forged), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := h.verify(""); r.OK() || !strings.Contains(problems(r), "signature does not verify") {
		t.Fatalf("forged file: %s", problems(r))
	}
	other, err := audit.LoadKeys(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	h.keys.PublicKey = other.PublicKey
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := h.verify(""); r.OK() {
		t.Fatal("a checkpoint verified with another deployment's key")
	}
}

// TestKeyRotation: entries sealed with an old key still verify after a new
// one is made current, and new entries use the new one.
func TestKeyRotation(t *testing.T) {
	h := newHistory(t, "sqlite")
	h.record(1, 2)
	id, err := audit.RotateChainKey(h.dir)
	if err != nil {
		t.Fatal(err)
	}
	if h.keys, err = audit.LoadKeys(h.dir, false); err != nil {
		t.Fatal(err)
	}
	if h.keys.Chain.Current != id || len(h.keys.Chain.Secrets) != 2 {
		t.Fatalf("keys after rotation: current %s of %d", h.keys.Chain.Current, len(h.keys.Chain.Secrets))
	}
	h.db.SetAuditKeys(h.keys.Chain)
	h.record(1, 1)
	h.checkpoint()
	if r := h.verify(""); !r.OK() || r.Events != 3 {
		t.Fatalf("after rotation: %d events, %s", r.Events, problems(r))
	}
	var keyID string
	if err := h.raw.QueryRow(`SELECT key_id FROM audit_events WHERE chain_seq = 3`).Scan(&keyID); err != nil || keyID != id {
		t.Fatalf("newest entry sealed with %q, %v; want %s", keyID, err, id)
	}
	// Losing the old key is detected, not ignored.
	lines, _ := os.ReadFile(filepath.Join(h.dir, "chain.keys"))
	rest := strings.SplitN(string(lines), "\n", 2)[1]
	if err := os.WriteFile(filepath.Join(h.dir, "chain.keys"), []byte(rest), 0o600); err != nil {
		t.Fatal(err)
	}
	if h.keys, err = audit.LoadKeys(h.dir, false); err != nil {
		t.Fatal(err)
	}
	if r := h.verify(""); r.OK() {
		t.Fatal("entries sealed with a lost key verified")
	}
}

// TestLoadKeysFailsClosed: without create, missing keys are an error; a
// damaged key file is refused.
func TestLoadKeysFailsClosed(t *testing.T) {
	dir := t.TempDir()
	if _, err := audit.LoadKeys(dir, false); err == nil {
		t.Fatal("missing keys loaded")
	}
	if _, err := audit.LoadKeys(dir, true); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "chain.keys")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("chain.keys: %v, %v", fi, err)
	}
	for _, bad := range []string{"", "k1", "k1 notbase64!", "k1 c2hvcnQ=", "k/1 " + strings.Repeat("A", 44)} {
		if err := os.WriteFile(filepath.Join(dir, "chain.keys"), []byte(bad+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := audit.LoadKeys(dir, true); err == nil {
			t.Errorf("key file %q accepted", bad)
		}
	}
}

// TestAppendWithoutKeyFails: the store never writes an unkeyed entry.
func TestAppendWithoutKeyFails(t *testing.T) {
	db, err := store.Open(context.Background(), testenv.DatabaseURL(t, "sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	err = db.InTx(t.Context(), func(q *store.Q) error {
		return q.AppendEvent(t.Context(), &varco.Event{Time: t0, AccountID: 1, Event: varco.EventLoginFailed, Actor: varco.ActorSelf, Outcome: varco.OutcomeFailure})
	})
	if err == nil {
		t.Fatal("an event was appended without an audit key")
	}
}
