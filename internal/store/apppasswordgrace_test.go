package store_test

import (
	"context"
	"testing"
	"time"

	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// TestEndAppPasswordGrace: SPEC §7.4 — only app passwords whose previous
// secret's grace has ended are listed; ending it forgets that secret once,
// and not when another rotation came since the read.
func TestEndAppPasswordGrace(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := newAccount(t, db.Q, newOrg(t, db.Q, "acme"), "mario@acme.test")
		var ids []int64
		for _, label := range []string{"never rotated", "rotated", "rotated later"} {
			p := &store.AppPassword{AccountID: a.ID, Label: label, KeyID: "k1", Hash: []byte("h-" + label), CreatedAt: t0,
				ExpiresAt: t0.Add(90 * 24 * time.Hour)}
			if err := db.InsertAppPassword(ctx, p); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
		}
		rotate := func(id int64, until time.Time) {
			t.Helper()
			p, err := db.AppPasswordByID(ctx, a.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			p.PrevKeyID, p.PrevHash, p.PrevValidUntil = p.KeyID, p.Hash, until
			p.Hash = []byte("new")
			if err := db.RotateAppPassword(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		end := t0.Add(72 * time.Hour)
		rotate(ids[1], end)
		rotate(ids[2], end.Add(time.Hour))
		listed := func(now time.Time) []int64 {
			t.Helper()
			ps, err := db.EndedAppPasswordGraces(ctx, now, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, p := range ps {
				out = append(out, p.ID)
			}
			return out
		}
		if got := listed(end.Add(-time.Microsecond)); len(got) != 0 {
			t.Fatalf("within the grace: %v", got)
		}
		if got := listed(end); len(got) != 1 || got[0] != ids[1] {
			t.Fatalf("at the end of the grace: %v, want [%d]", got, ids[1])
		}
		// Rotated again since the read: its grace is another one.
		if ok, err := db.EndAppPasswordGrace(ctx, ids[2], end); err != nil || ok {
			t.Fatalf("ended a grace that is not over: %v %v", ok, err)
		}
		if ok, err := db.EndAppPasswordGrace(ctx, ids[1], end); err != nil || !ok {
			t.Fatalf("end: %v %v", ok, err)
		}
		if ok, err := db.EndAppPasswordGrace(ctx, ids[1], end); err != nil || ok {
			t.Fatalf("ended twice: %v %v", ok, err)
		}
		p, err := db.AppPasswordByID(ctx, a.ID, ids[1])
		if err != nil {
			t.Fatal(err)
		}
		if len(p.PrevHash) != 0 || p.PrevKeyID != "" || !p.PrevValidUntil.IsZero() || string(p.Hash) != "new" {
			t.Fatalf("after the end: %+v", p)
		}
		if got := listed(end.Add(2 * time.Hour)); len(got) != 1 || got[0] != ids[2] {
			t.Fatalf("later: %v, want [%d]", got, ids[2])
		}
	})
}
