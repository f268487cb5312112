package password

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"varco.dev/varco"
)

func FuzzParseHash(f *testing.F) {
	for _, s := range []string{
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$rAjuexKlLdAHLvqk7TeeiWZjW4OPoRGwldJXdHbTuKI",
		"$argon2id$v=19$m=256,t=3,p=2$MDEyMzQ1Njc4OWFiY2RlZg$YD3Z0xgkIaWcTlaqpWbhWCNDOMLxrYev",
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=4194304,t=64,p=64$c2FsdHNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=64,t=0,p=0$$",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"{SHA512-CRYPT}$6$rounds=5000$salt$hash",
		"$argon2id$",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, encoded string) {
		p, salt, key, err := ParseHash(encoded)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) && !errors.Is(err, ErrUnknownFormat) {
				t.Fatalf("ParseHash(%q) error %v wraps neither sentinel", encoded, err)
			}
			if !NeedsRehash(encoded, p) {
				t.Fatalf("NeedsRehash(%q) = false for an unparsable hash", encoded)
			}
			return
		}
		if verr := p.Validate(); verr != nil {
			t.Fatalf("ParseHash(%q) accepted invalid params: %v", encoded, verr)
		}
		if int(p.SaltLen) != len(salt) || int(p.KeyLen) != len(key) {
			t.Fatalf("ParseHash(%q): lengths %+v vs %d, %d", encoded, p, len(salt), len(key))
		}
		// Only the canonical form is accepted, so encoding what was parsed
		// gives back the input byte for byte.
		if again := encodeHash(p, salt, key); again != encoded {
			t.Fatalf("round trip: %q became %q", encoded, again)
		}
		if NeedsRehash(encoded, p) {
			t.Fatalf("NeedsRehash(%q) with its own params = true", encoded)
		}
	})
}

func FuzzPolicyCheck(f *testing.F) {
	for _, s := range [][2]string{
		{"pässwörd1ü", "mario.rossi@example.it"},
		{"password1", "a@b"},
		{"mario.rossi2024", "mario.rossi@example.it"},
		{"abc\xffdef1", ""},
		{strings.Repeat("é", 256) + "1", "x@y"},
		{"пароль٣٣", "@@@"},
		{"kv7Qzr2x", "kv7@"},
	} {
		f.Add(s[0], s[1])
	}
	codes := map[string]bool{
		varco.EInvalid: true, varco.EPasswordTooShort: true, varco.EPasswordTooLong: true,
		varco.EPasswordNeedsLetterDigit: true, varco.EPasswordTooCommon: true, varco.EPasswordContainsEmail: true,
	}
	p := DefaultPolicy()
	f.Fuzz(func(t *testing.T, pw, email string) {
		err := p.Check(pw, email)
		if err == nil {
			n := utf8.RuneCountInString(pw)
			if !utf8.ValidString(pw) || n < p.MinLen || n > p.MaxLen || !hasLetterAndDigit(pw) || IsCommon(pw) {
				t.Fatalf("Check(%q, %q) accepted a password that breaks a rule", pw, email)
			}
			return
		}
		var ve *varco.Error
		if !errors.As(err, &ve) || !codes[ve.Code] || ve.Message == "" {
			t.Fatalf("Check(%q, %q) = %v: want a *varco.Error with a policy code", pw, email, err)
		}
		if ve.Code == varco.EPasswordNeedsLetterDigit && strings.IndexFunc(pw, unicode.IsLetter) >= 0 && strings.IndexFunc(pw, unicode.IsDigit) >= 0 {
			t.Fatalf("Check(%q) says no letter and digit", pw)
		}
	})
}
