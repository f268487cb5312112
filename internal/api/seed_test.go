package api_test

import (
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/password"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/audittest"
)

// Tests named after the [seed] rules of SPEC.md that the foundation proves.

// TestSeed_2_1_PasswordsAreEncrypted: [seed] SPEC §2.1 "passwords are
// encrypted": only a salted argon2id hash is stored, with at least the OWASP
// parameters by default, and never the password itself.
func TestSeed_2_1_PasswordsAreEncrypted(t *testing.T) {
	if p := password.DefaultParams; p.Memory < 19456 || p.Time < 2 || p.Threads < 1 {
		t.Fatalf("default argon2id parameters %+v are below m=19 MiB, t=2, p=1", p)
	}
	for _, engine := range testenv.Engines() {
		h := newHarness(t, engine)
		standard(h)
		a, err := h.app.DB.AccountByEmail(t.Context(), "mario@acme.test")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(a.PasswordHash, "$argon2id$v=19$") || strings.Contains(a.PasswordHash, marioPW) {
			t.Fatalf("stored password is not an argon2id hash: %q", a.PasswordHash)
		}
		other, _ := h.app.DB.AccountByEmail(t.Context(), "luigi@other.test")
		if strings.Split(a.PasswordHash, "$")[4] == strings.Split(other.PasswordHash, "$")[4] {
			t.Fatal("two accounts share a salt")
		}
	}
}

// TestSeed_2_2_AtLeastEightAlphanumeric: [seed] SPEC §2.2 — a password has
// at least 8 characters and contains letters and digits.
func TestSeed_2_2_AtLeastEightAlphanumeric(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	tok := h.login("mario@acme.test", marioPW)
	for _, tt := range []struct{ pw, code string }{
		{"Ab3dEf7", varco.EPasswordTooShort},          // 7 characters
		{"Abcdefgh", varco.EPasswordNeedsLetterDigit}, // letters only
		{"12345678", varco.EPasswordNeedsLetterDigit}, // digits only
		{"Àè3ìòù9ü", ""},                              // 8 Unicode characters, letters and digits
	} {
		r := h.do("POST", "/api/v1/me/password", tok, map[string]string{"current_password": marioPW, "new_password": tt.pw})
		if tt.code == "" {
			if r.status != 200 {
				t.Fatalf("%q refused: %s", tt.pw, r.raw)
			}
			continue
		}
		wantError(t, r, 400, tt.code)
	}
}

// TestSeed_2_8_PasswordChangesAreAudited: [seed] SPEC §2.8 — every password
// change is recorded with who, when and from where, never the password or
// its hash.
func TestSeed_2_8_PasswordChangesAreAudited(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	tok := h.login("mario@acme.test", marioPW)
	h.clock.Advance(20 * time.Minute)
	when := h.clock.Now()
	r := h.do("POST", "/api/v1/me/password", tok, map[string]string{"current_password": marioPW, "new_password": "Brand-new-2026"},
		"User-Agent", "Thunderbird/128")
	if r.status != 200 {
		t.Fatalf("change: %s", r.raw)
	}
	evs, err := h.app.DB.ListEvents(t.Context(), storeFilter("password_changed"))
	if err != nil || len(evs) != 1 {
		t.Fatalf("password_changed events: %v %v", evs, err)
	}
	e := evs[0]
	if e.Actor != varco.ActorSelf || !e.Time.Equal(when) || e.IP != "127.0.0.1" || e.UserAgent != "Thunderbird/128" || e.Outcome != varco.OutcomeSuccess {
		t.Fatalf("event lacks who/when/where: %+v", e)
	}
	a, _ := h.app.DB.AccountByEmail(t.Context(), "mario@acme.test")
	for _, secret := range []string{"Brand-new-2026", marioPW, a.PasswordHash} {
		if strings.Contains(e.Detail, secret) || strings.Contains(e.UserAgent, secret) {
			t.Fatalf("event carries a secret: %+v", e)
		}
	}
	if audittest.Verify(t, h.app.DB) == 0 {
		t.Fatal("no events recorded")
	}
}

func storeFilter(types ...string) store.EventFilter { return store.EventFilter{Types: types} }
