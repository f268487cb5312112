package auth

import (
	"context"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/clock"
	"varco.dev/varco/internal/password"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
)

// TestFailurePadEvensOutFailures: after slow failures (a known account with
// a legacy hash), a fast one (an unknown e-mail) is padded to about as long;
// the floor decays slowly when the slow ones stop and never exceeds its bound.
func TestFailurePadEvensOutFailures(t *testing.T) {
	var slept []time.Duration
	p := &failurePad{sleep: func(_ context.Context, d time.Duration) { slept = append(slept, d) }}
	for range 20 {
		p.wait(context.Background(), 30*time.Millisecond) // slow path
	}
	if floor := time.Duration(p.floor.Load()); floor < 29*time.Millisecond || floor > 30*time.Millisecond {
		t.Fatalf("floor after 20 slow failures = %v, want about 30ms", floor)
	}
	wait := p.wait(context.Background(), 5*time.Millisecond) // fast path
	if wait < 24*time.Millisecond {
		t.Fatalf("a fast failure after slow ones waits %v, want about 25ms", wait)
	}
	if len(slept) == 0 || slept[len(slept)-1] != wait {
		t.Fatalf("sleeps %v, want the last to be %v", slept, wait)
	}
	for range 100 {
		p.wait(context.Background(), 5*time.Millisecond)
	}
	if floor := time.Duration(p.floor.Load()); floor > 25*time.Millisecond || floor < 10*time.Millisecond {
		t.Fatalf("floor after 100 fast failures = %v: it should decay, slowly", floor)
	}
	p.wait(context.Background(), time.Hour) // a stall
	if floor := time.Duration(p.floor.Load()); floor > maxFailurePad {
		t.Fatalf("floor after a stall = %v, over the bound %v", floor, maxFailurePad)
	}
}

// TestEveryFailedLoginIsPadded: a wrong password for a known account (here
// with a legacy {SHA512-CRYPT} hash, slower or faster than argon2id) and
// one for an unknown e-mail both go through the pad (SPEC §5.1: "in about
// the same time"), on both engines; a right password does not.
func TestEveryFailedLoginIsPadded(t *testing.T) {
	testenv.ForEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		now := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
		org := &varco.Org{Name: "acme", Plan: varco.PlanPro, CreatedAt: now}
		if err := db.CreateOrg(ctx, org); err != nil {
			t.Fatal(err)
		}
		const legacy = "{SHA512-CRYPT}$6$rounds=5000$saltsalt$" // a wrong one is enough: it is never right
		acc := &varco.Account{OrgID: org.ID, Email: "mario@acme.test", Lang: "it", Role: varco.RoleUser,
			Status: varco.StatusActive, PasswordHash: legacy, PasswordChangedAt: now, CreatedAt: now}
		if err := db.CreateAccount(ctx, acc); err != nil {
			t.Fatal(err)
		}
		h := password.NewHasher(password.HasherOptions{Params: password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
		s := New(Deps{DB: db, Hasher: h, Policy: password.DefaultPolicy(), Clock: clock.NewManual(now)}, Config{})
		s.pad.sleep = func(context.Context, time.Duration) {}
		for i, email := range []string{"mario@acme.test", "nobody@acme.test", "mario@acme.test", "nobody@acme.test"} {
			before := s.pad.padded.Load()
			_, err := s.Login(ctx, email, "Wrong-pass-2026", Meta{IP: "192.0.2.1"})
			if !varco.IsCode(err, varco.EInvalidCredentials) {
				t.Fatalf("%s: %v", email, err)
			}
			if s.pad.padded.Load() != before+1 {
				t.Fatalf("failure %d (%s) did not go through the pad", i+1, email)
			}
		}
	})
}
