package password

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Reference hashes made with tools independent of the library under test
// (Debian 12: whois 5.5 mkpasswd over libxcrypt, OpenSSL 3, apache2-utils
// htpasswd, argon2 CLI 0~20190702). The command that made each is beside it.
var legacyVectors = []struct {
	name, pw, encoded, scheme string
}{
	// mkpasswd -m sha-512 'Correct horse 1'
	{"sha512 mkpasswd", "Correct horse 1", "$6$49RGuzMXsFYesHQH$lnW8h0CTzrJtc.nqA0AkvU2cSpV49fDNRkdC11Tf/f0Y2ra7gDjktouZyx3zTHgkJBgkYmKrK1RYInBA7KHdA.", SchemeSHA512Crypt},
	// mkpasswd -m sha-512 -R 12345 'Correct horse 1'
	{"sha512 rounds", "Correct horse 1", "$6$rounds=12345$/4t1oUjw/hIyD6qb$EpmGUQvN4EKDmP1WHdIgqdCnmp6ds4yMGc7Sh9vLvsHdUZ8qKNyfVM4FzoXTxz9vcBQDl.69UYA3M4ck/FZkW.", SchemeSHA512Crypt},
	// mkpasswd -m sha-512 -R 1000 'Correct horse 9'
	{"sha512 rounds min", "Correct horse 9", "$6$rounds=1000$unj8ThIgLVXaakwi$wtfM03W246WCvZUyF.xrsiekHBUJMgihMljeji6kIgT9AymHPGYd2iwgL/GNccGlJJJ5yaBMC15nwtaU5WDsp1", SchemeSHA512Crypt},
	// openssl passwd -6 -salt Sa1tSalt 'Correct horse 2'
	{"sha512 openssl", "Correct horse 2", "$6$Sa1tSalt$ESC6Ik5LUYNMfQRbLKsfHooF1vKB2gJTJB7ZSa6RgROLrXkBpBDz5CX7Bq4UPYSIrMSEnF/t15EhDy6i4DBNs0", SchemeSHA512Crypt},
	// mkpasswd -m sha-512 'pässwörd1ü'
	{"sha512 utf-8", "pässwörd1ü", "$6$cKaLQGACy24tPGlZ$d.gwVytKBaYkuJGmDDiNvOFvBdCPP7o3tXP1/sk6GZJTqzFnE32EVNdguG/mOMVmgGK4Gwcn3f7JJK0qUiY7S0", SchemeSHA512Crypt},
	// mkpasswd -m bcrypt -R 5 'Correct horse 3'
	{"bcrypt 2b", "Correct horse 3", "$2b$05$nT7OTQK9inFHqChkEHpviOuTFAYFs40ovZAYoYdjWKecTgHQBmPU6", SchemeBcrypt},
	// htpasswd -nbB -C 5 u 'Correct horse 4'
	{"bcrypt 2y", "Correct horse 4", "$2y$05$RIfG1PGo1tn9EByskpnSH.pUMseuyMTXO7gbDLSRMQpetO3AKa06e", SchemeBcrypt},
	// mkpasswd -m bcrypt-a -R 4 'Correct horse 8' (libxcrypt raises cost to 5)
	{"bcrypt 2a", "Correct horse 8", "$2a$05$dfy.SxKJX60rMaYZhEGx3ercs2CBq8K6FYH4bvYndJYJY8k7Lg3hq", SchemeBcrypt},
	// echo -n 'Correct horse 5' | argon2 somesaltsalt -id -t 3 -k 8192 -p 2 -e
	{"argon2id", "Correct horse 5", "$argon2id$v=19$m=8192,t=3,p=2$c29tZXNhbHRzYWx0$yywTSt1uwi7SeNt6KJ1sYLdoTSnHYXxe0ZPhcQ8dgB4", SchemeArgon2id},
	// the same, parameters reordered by hand (ParseHash refuses the order)
	{"argon2id param order", "Correct horse 5", "$argon2id$v=19$p=2,t=3,m=8192$c29tZXNhbHRzYWx0$yywTSt1uwi7SeNt6KJ1sYLdoTSnHYXxe0ZPhcQ8dgB4", SchemeArgon2id},
	// the same, with a leading zero written in by hand
	{"argon2id leading zero", "Correct horse 5", "$argon2id$v=19$m=08192,t=3,p=2$c29tZXNhbHRzYWx0$yywTSt1uwi7SeNt6KJ1sYLdoTSnHYXxe0ZPhcQ8dgB4", SchemeArgon2id},
	// echo -n 'Correct horse 7' | argon2 saltsaltsalt -id -t 1 -k 1024 -p 1 -l 24 -e
	{"argon2id 24-byte key", "Correct horse 7", "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0$YHhBPA729jiW1fbByOxbLwD36Vk+R2xo", SchemeArgon2id},
	// echo -n 'Correct horse 10' | argon2 dovecotsalt1234 -id -t 3 -m 16 -p 1 -e
	// (m=64 MiB, t=3 as libsodium's crypto_pwhash_str, which Dovecot uses)
	{"argon2id dovecot-like", "Correct horse 10", "$argon2id$v=19$m=65536,t=3,p=1$ZG92ZWNvdHNhbHQxMjM0$QAlQhkRYb4Xv/7vLH2rmO9VYMFrVsXFsD4W006m670I", SchemeArgon2id},
	// echo -n 'Correct horse 6' | argon2 othersaltsalt -i -t 2 -k 4096 -p 1 -e
	{"argon2i", "Correct horse 6", "$argon2i$v=19$m=4096,t=2,p=1$b3RoZXJzYWx0c2FsdA$poQHYXQDXyPuXynsc+yEPKoMuKb7SyqMhTMeQI1pxiI", SchemeArgon2i},
}

var dovecotPrefix = map[string][]string{
	SchemeSHA512Crypt: {"{SHA512-CRYPT}", "{sha512-crypt}", "{Sha512-Crypt}"},
	SchemeBcrypt:      {"{BLF-CRYPT}", "{blf-crypt}"},
	SchemeArgon2id:    {"{ARGON2ID}", "{argon2id}"},
	SchemeArgon2i:     {"{ARGON2I}", "{Argon2i}"},
}

func TestVerifyLegacy(t *testing.T) {
	for _, tt := range legacyVectors {
		t.Run(tt.name, func(t *testing.T) {
			forms := []string{tt.encoded}
			for _, p := range dovecotPrefix[tt.scheme] {
				forms = append(forms, p+tt.encoded)
			}
			for _, enc := range forms {
				ok, err := Verify(tt.pw, enc)
				if !ok || err != nil {
					t.Errorf("Verify(right, %q) = %v, %v; want true", enc, ok, err)
				}
				for _, wrong := range []string{tt.pw + "x", tt.pw[:len(tt.pw)-1]} {
					if ok, err := Verify(wrong, enc); ok || err != nil {
						t.Errorf("Verify(%q, %q) = %v, %v; want false, nil", wrong, enc, ok, err)
					}
				}
				want := tt.scheme
				if _, _, _, err := ParseHash(enc); err == nil {
					want = "" // bare and canonical: our own format
				}
				if got := LegacyScheme(enc); got != want {
					t.Errorf("LegacyScheme(%q) = %q, want %q", enc, got, want)
				}
				if !NeedsRehash(enc, DefaultParams) {
					t.Errorf("NeedsRehash(%q) = false", enc)
				}
			}
		})
	}
}

func TestHasherVerifyLegacy(t *testing.T) {
	h := NewHasher(HasherOptions{Params: testParams})
	v := legacyVectors[0]
	if ok, err := h.Verify(t.Context(), v.pw, "{SHA512-CRYPT}"+v.encoded); !ok || err != nil {
		t.Errorf("Hasher.Verify = %v, %v; want true", ok, err)
	}
	if !h.NeedsRehash("{SHA512-CRYPT}" + v.encoded) {
		t.Error("Hasher.NeedsRehash(legacy) = false")
	}
}

// bcrypt only uses the first 72 bytes, as crypt(3) does; a longer password
// must still verify instead of failing with an error.
func TestVerifyBcryptLongPassword(t *testing.T) {
	// mkpasswd -m bcrypt -R 4 "$(printf 'x%.0s' {1..80})"
	const enc = "$2b$05$Etzm74wA1g3cylBjx4N4xu.zdA65Xbiq0injPMZ3yGH8km/3vyC5."
	ok, err := Verify(strings.Repeat("x", 80), enc)
	if !ok || err != nil {
		t.Errorf("Verify(80 bytes) = %v, %v; want true", ok, err)
	}
}

// A huge password against a legacy hash is refused quickly, not hashed:
// sha512-crypt's work grows with its length.
func TestVerifyLegacyLongPassword(t *testing.T) {
	v := legacyVectors[1] // sha512-crypt, rounds=12345
	start := time.Now()
	ok, err := Verify(strings.Repeat(v.pw, 1<<16), v.encoded)
	if ok || err != nil {
		t.Errorf("Verify(1 MB password) = %v, %v; want false, nil", ok, err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("took %v", d)
	}
}

func TestLegacySchemeOurs(t *testing.T) {
	enc, err := Hash("pw", testParams)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{enc, "", "garbage", "{PLAIN}secret", "{MD5-CRYPT}$1$abc$def", "$1$abc$def", "{CRYPT}$6$x$y"} {
		if got := LegacyScheme(s); got != "" {
			t.Errorf("LegacyScheme(%q) = %q, want \"\"", s, got)
		}
	}
	if got := LegacyScheme("{ARGON2ID}" + enc); got != SchemeArgon2id {
		t.Errorf("LegacyScheme({ARGON2ID}ours) = %q", got)
	}
}

func TestVerifyLegacyRejects(t *testing.T) {
	const (
		sha     = "$6$49RGuzMXsFYesHQH$lnW8h0CTzrJtc.nqA0AkvU2cSpV49fDNRkdC11Tf/f0Y2ra7gDjktouZyx3zTHgkJBgkYmKrK1RYInBA7KHdA."
		shaKey  = "lnW8h0CTzrJtc.nqA0AkvU2cSpV49fDNRkdC11Tf/f0Y2ra7gDjktouZyx3zTHgkJBgkYmKrK1RYInBA7KHdA."
		bcBody  = "nT7OTQK9inFHqChkEHpviOuTFAYFs40ovZAYoYdjWKecTgHQBmPU6"
		a2salt  = "c29tZXNhbHRzYWx0"
		a2key   = "yywTSt1uwi7SeNt6KJ1sYLdoTSnHYXxe0ZPhcQ8dgB4"
		a2param = "$argon2id$v=19$m=8192,t=3,p=2$"
	)
	unknown := []string{
		"", "plaintext", "{PLAIN}secret", "{plain}Correct horse 1", "{CLEARTEXT}secret",
		"{MD5-CRYPT}$1$abcdefgh$abcdefghijklmnopqrstuv", "$1$abcdefgh$abcdefghijklmnopqrstuv",
		"{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "{SHA256-CRYPT}$5$salt$hash", "$5$salt$hash",
		"{CRYPT}" + sha, "{SHA512-CRYPT", "{" + strings.Repeat("A", 40) + "}" + sha,
		"$2x$05$" + bcBody, "$argon2d$v=19$m=8192,t=3,p=2$" + a2salt + "$" + a2key,
		"$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
		"{PLAIN}" + strings.Repeat("x", 1000),
	}
	for _, enc := range unknown {
		if ok, err := Verify("secret", enc); ok || !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Verify(%.60q) = %v, %v; want ErrUnknownFormat", enc, ok, err)
		}
		if !NeedsRehash(enc, DefaultParams) {
			t.Errorf("NeedsRehash(%.60q) = false", enc)
		}
	}
	malformed := map[string]string{
		"over-long sha":          "$6$" + strings.Repeat("a", 600) + "$" + shaKey,
		"over-long prefixed":     "{SHA512-CRYPT}" + sha + strings.Repeat("a", 600),
		"rounds too high":        "$6$rounds=1000001$49RGuzMXsFYesHQH$" + shaKey,
		"rounds absurd":          "{SHA512-CRYPT}$6$rounds=999999999$49RGuzMXsFYesHQH$" + shaKey,
		"rounds overflow":        "$6$rounds=99999999999999$49RGuzMXsFYesHQH$" + shaKey,
		"rounds below glibc":     "$6$rounds=999$49RGuzMXsFYesHQH$" + shaKey,
		"rounds negative":        "$6$rounds=-5000$49RGuzMXsFYesHQH$" + shaKey,
		"rounds no salt":         "$6$rounds=5000$" + shaKey,
		"sha truncated":          sha[:len(sha)-1],
		"sha no checksum":        "$6$49RGuzMXsFYesHQH$",
		"sha long salt":          "$6$49RGuzMXsFYesHQHx$" + shaKey,
		"sha bad alphabet":       "$6$49RGuzMXsFYesHQH$" + strings.Replace(shaKey, "l", "+", 1),
		"sha extra field":        sha + "$",
		"bcrypt cost 17":         "$2y$17$" + bcBody,
		"bcrypt cost 31":         "{BLF-CRYPT}$2y$31$" + bcBody,
		"bcrypt cost 3":          "$2y$03$" + bcBody,
		"bcrypt one-digit cost":  "$2y$5$" + bcBody,
		"bcrypt signed cost":     "$2y$+5$" + bcBody,
		"bcrypt truncated":       "$2y$05$" + bcBody[:52],
		"bcrypt bad alphabet":    "$2y$05$" + strings.Replace(bcBody, "n", "+", 1),
		"argon2 memory 4 GiB+":   "$argon2id$v=19$m=4194305,t=1,p=1$" + a2salt + "$" + a2key,
		"argon2 memory huge":     "{ARGON2ID}$argon2id$v=19$t=1,p=1,m=9999999999$" + a2salt + "$" + a2key,
		"argon2 time 65":         "$argon2id$v=19$t=65,m=8192,p=2$" + a2salt + "$" + a2key,
		"argon2 threads 0":       "$argon2i$v=19$m=8192,t=3,p=0$" + a2salt + "$" + a2key,
		"argon2 missing m":       "$argon2id$v=19$t=3,p=2$" + a2salt + "$" + a2key,
		"argon2 duplicate m":     "$argon2id$v=19$m=8,t=3,p=1,m=8192$" + a2salt + "$" + a2key,
		"argon2 unknown param":   "$argon2id$v=19$m=8192,t=3,p=2,keyid=x$" + a2salt + "$" + a2key,
		"argon2 version 16":      "$argon2id$v=16$m=8192,t=3,p=2$" + a2salt + "$" + a2key,
		"argon2 no version":      "$argon2id$m=8192,t=3,p=2$" + a2salt + "$" + a2key,
		"argon2 bad base64":      a2param + a2salt + "$" + a2key[:10] + "!" + a2key[11:],
		"argon2 padded":          a2param + a2salt + "$" + a2key + "=",
		"argon2 newline":         a2param + a2salt[:4] + "\n" + a2salt[4:] + "$" + a2key,
		"argon2 truncated":       a2param + a2salt + "$" + a2key[:8],
		"argon2 no key":          a2param + a2salt,
		"argon2 short salt":      a2param + "c2FsdA$" + a2key,
		"prefix mismatch":        "{BLF-CRYPT}" + sha,
		"prefix argon2i on id":   "{ARGON2I}" + a2param + a2salt + "$" + a2key,
		"prefix with no value":   "{SHA512-CRYPT}",
		"prefix with plain text": "{ARGON2ID}Correct horse 5",
	}
	for name, enc := range malformed {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			ok, err := Verify("Correct horse 1", enc)
			if ok || !errors.Is(err, ErrMalformedHash) {
				t.Errorf("Verify(%.80q) = %v, %v; want ErrMalformedHash", enc, ok, err)
			}
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Errorf("rejecting took %v; bounds must be checked before hashing", d)
			}
			if !NeedsRehash(enc, DefaultParams) {
				t.Error("NeedsRehash = false")
			}
		})
	}
}

// FuzzVerifyLegacy checks that no stored hash makes Verify panic or
// misreport: a match only for the right password, errors only of the two
// documented kinds. Hashes whose (bounded, but still large) cost would
// stall the fuzzer are parsed and skipped rather than computed.
func FuzzVerifyLegacy(f *testing.F) {
	for _, v := range legacyVectors {
		f.Add(v.pw, v.encoded)
		f.Add(v.pw, dovecotPrefix[v.scheme][0]+v.encoded)
	}
	f.Add("secret", "{PLAIN}secret")
	f.Add("x", "$6$rounds=1000000$salt$"+strings.Repeat("a", 86))
	f.Add("x", "$2y$16$"+strings.Repeat("a", 53))
	f.Add("x", "$argon2id$v=19$m=4194304,t=64,p=1$c2FsdHNhbHQ$"+strings.Repeat("A", 43))
	f.Fuzz(func(t *testing.T, pw, encoded string) {
		if LegacyScheme(encoded) == "" && strings.HasPrefix(encoded, "{") {
			// Prefixed but unnamed: must never verify.
			if ok, err := Verify(pw, encoded); ok || err == nil {
				t.Fatalf("Verify(%q) = %v, %v for an unnamed scheme", encoded, ok, err)
			}
			return
		}
		h, err := parseLegacy(encoded)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) && !errors.Is(err, ErrUnknownFormat) {
				t.Fatalf("parseLegacy(%q) error %v of an unexpected kind", encoded, err)
			}
			if LegacyScheme(encoded) != "" && errors.Is(err, ErrUnknownFormat) {
				t.Fatalf("LegacyScheme names %q but parseLegacy calls it unknown", encoded)
			}
			if _, _, _, perr := ParseHash(encoded); perr != nil {
				if ok, verr := Verify(pw, encoded); ok || verr == nil {
					t.Fatalf("Verify(%q) = %v, %v; want an error", encoded, ok, verr)
				}
			}
			return
		}
		if !NeedsRehash(encoded, DefaultParams) && LegacyScheme(encoded) != "" {
			t.Fatalf("NeedsRehash(%q) = false for a legacy hash", encoded)
		}
		if h.cost*(1+uint64(min(len(pw), maxLegacyPasswordLen))/64) > 20_000 { // ~20 ms
			return // too slow for fuzzing; the bound itself is tested above
		}
		ok, err := h.verify(pw)
		if err != nil && !errors.Is(err, ErrMalformedHash) {
			t.Fatalf("verify(%q) error %v of an unexpected kind", encoded, err)
		}
		if ok {
			for _, v := range legacyVectors {
				if strings.HasSuffix(encoded, v.encoded) && pw == v.pw {
					return
				}
			}
			// A random hash matching a random password would be a
			// forged match; the fuzzer cannot find a real preimage.
			t.Fatalf("Verify(%q, %q) = true", pw, encoded)
		}
	})
}
