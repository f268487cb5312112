package password

import (
	"errors"
	"strings"
	"testing"
)

// testParams keep tests fast; only TestHashDefaultParams pays for the real
// cost.
var testParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestHashRoundTrip(t *testing.T) {
	for _, pw := range []string{"", "correct horse battery staple", "pässwörd1ü", "密码密码12", strings.Repeat("é", 256)} {
		encoded, err := Hash(pw, testParams)
		if err != nil {
			t.Fatalf("Hash(%q): %v", pw, err)
		}
		if !strings.HasPrefix(encoded, "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Errorf("Hash(%q) = %q, want the argon2id PHC prefix", pw, encoded)
		}
		ok, err := Verify(pw, encoded)
		if err != nil || !ok {
			t.Errorf("Verify(%q, own hash) = %v, %v; want true, nil", pw, ok, err)
		}
		ok, err = Verify(pw+"x", encoded)
		if err != nil || ok {
			t.Errorf("Verify(wrong password) = %v, %v; want false, nil", ok, err)
		}
	}
}

func TestHashUsesFreshSalt(t *testing.T) {
	a, _ := Hash("same", testParams)
	b, _ := Hash("same", testParams)
	if a == b {
		t.Fatalf("two hashes of the same password are equal: %s", a)
	}
}

func TestHashDefaultParams(t *testing.T) {
	encoded, err := Hash("Tr0ub4dor&3", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("Hash = %q, want m=19456,t=2,p=1", encoded)
	}
	p, salt, key, err := ParseHash(encoded)
	if err != nil {
		t.Fatal(err)
	}
	if p != DefaultParams || len(salt) != 16 || len(key) != 32 {
		t.Errorf("ParseHash = %+v, %d-byte salt, %d-byte key", p, len(salt), len(key))
	}
	if ok, err := Verify("Tr0ub4dor&3", encoded); !ok || err != nil {
		t.Errorf("Verify = %v, %v", ok, err)
	}
	if NeedsRehash(encoded, DefaultParams) {
		t.Error("NeedsRehash of a fresh default hash = true")
	}
}

// Vectors made with the reference implementation (Debian's argon2 CLI,
// 0~20171227), so a hash imported from another system verifies here.
func TestVerifyReferenceVectors(t *testing.T) {
	tests := []struct{ pw, encoded string }{
		// echo -n "correct horse" | argon2 saltsaltsaltsalt -id -t 1 -k 64 -p 1 -l 32
		{"correct horse", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$rAjuexKlLdAHLvqk7TeeiWZjW4OPoRGwldJXdHbTuKI"},
		// echo -n "pässwörd1ü" | argon2 0123456789abcdef -id -t 3 -k 256 -p 2 -l 24
		{"pässwörd1ü", "$argon2id$v=19$m=256,t=3,p=2$MDEyMzQ1Njc4OWFiY2RlZg$YD3Z0xgkIaWcTlaqpWbhWCNDOMLxrYev"},
	}
	for _, tt := range tests {
		ok, err := Verify(tt.pw, tt.encoded)
		if err != nil || !ok {
			t.Errorf("Verify(%q, %s) = %v, %v; want true", tt.pw, tt.encoded, ok, err)
		}
		if ok, _ := Verify(strings.ToUpper(tt.pw), tt.encoded); ok {
			t.Errorf("Verify(%q) matched a different password", strings.ToUpper(tt.pw))
		}
	}
}

func TestVerifyUnknownFormat(t *testing.T) {
	for _, encoded := range []string{
		// Legacy schemes verify now: see legacy_test.go.
		"{PLAIN}x",
		"{MD5-CRYPT}$1$salt$hash",
		"",
		"plaintext",
	} {
		ok, err := Verify("x", encoded)
		if ok || !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Verify(%q) = %v, %v; want ErrUnknownFormat", encoded, ok, err)
		}
	}
}

func TestParseHashRejects(t *testing.T) {
	const salt, key = "c2FsdHNhbHRzYWx0c2FsdA", "rAjuexKlLdAHLvqk7TeeiWZjW4OPoRGwldJXdHbTuKI"
	tests := []struct{ name, encoded string }{
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"version 16", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key},
		{"param order", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key},
		{"extra param", "$argon2id$v=19$m=64,t=1,p=1,keyid=x$" + salt + "$" + key},
		{"leading zero", "$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key},
		{"plus sign", "$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key},
		{"negative", "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key},
		{"empty number", "$argon2id$v=19$m=,t=1,p=1$" + salt + "$" + key},
		{"overflow", "$argon2id$v=19$m=99999999999,t=1,p=1$" + salt + "$" + key},
		{"memory over 4 GiB", "$argon2id$v=19$m=4194305,t=1,p=1$" + salt + "$" + key},
		{"memory below 8 KiB per lane", "$argon2id$v=19$m=15,t=1,p=2$" + salt + "$" + key},
		{"time zero", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key},
		{"time too high", "$argon2id$v=19$m=64,t=65,p=1$" + salt + "$" + key},
		{"threads zero", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key},
		{"threads too high", "$argon2id$v=19$m=4096,t=1,p=65$" + salt + "$" + key},
		{"threads over uint8", "$argon2id$v=19$m=4096,t=1,p=256$" + salt + "$" + key},
		{"short salt", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key},
		{"short key", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$c2FsdA"},
		{"padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key},
		{"url alphabet", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.ReplaceAll(key, "K", "_")},
		{"non-canonical trailing bits", "$argon2id$v=19$m=64,t=1,p=1$" + salt[:len(salt)-1] + "B$" + key},
		{"newline in base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt[:4] + "\n" + salt[4:] + "$" + key},
		{"missing key", "$argon2id$v=19$m=64,t=1,p=1$" + salt},
		{"extra field", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key + "$"},
		{"oversized", "$argon2id$v=19$m=64,t=1,p=1$" + strings.Repeat("A", 600) + "$" + key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := ParseHash(tt.encoded)
			if !errors.Is(err, ErrMalformedHash) {
				t.Errorf("ParseHash(%q) error = %v, want ErrMalformedHash", tt.encoded, err)
			}
			// Verify also accepts, as legacy hashes (legacy.go), argon2id
			// spellings ParseHash refuses; these three are a valid hash
			// of "correct horse" spelled differently. The rest must error.
			lax := tt.name == "param order" || tt.name == "leading zero" || tt.name == "non-canonical trailing bits"
			if ok, err := Verify("correct horse", tt.encoded); lax && (!ok || err != nil) {
				t.Errorf("Verify = %v, %v; want true (legacy spelling)", ok, err)
			} else if !lax && (ok || err == nil) {
				t.Errorf("Verify = %v, %v; want an error", ok, err)
			}
			if !NeedsRehash(tt.encoded, testParams) {
				t.Error("NeedsRehash of a malformed hash = false")
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	encoded, err := Hash("pw", testParams)
	if err != nil {
		t.Fatal(err)
	}
	if NeedsRehash(encoded, testParams) {
		t.Error("same params: NeedsRehash = true")
	}
	for _, p := range []Params{
		{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 32, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 64},
		DefaultParams,
	} {
		if !NeedsRehash(encoded, p) {
			t.Errorf("params %+v: NeedsRehash = false", p)
		}
	}
	if !NeedsRehash("{SHA512-CRYPT}$6$x$y", testParams) {
		t.Error("legacy format: NeedsRehash = false")
	}
}

func TestHashRejectsInvalidParams(t *testing.T) {
	for _, p := range []Params{
		{},
		{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8},
		{Memory: 5 << 20, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
	} {
		if _, err := Hash("pw", p); err == nil {
			t.Errorf("Hash with %+v: no error", p)
		}
	}
}

func BenchmarkHashDefault(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("correct horse battery staple", DefaultParams); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
}

func BenchmarkHashParallel(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := Hash("correct horse battery staple", DefaultParams); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hashes/s")
}
