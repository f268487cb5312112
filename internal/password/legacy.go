package password

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-crypt/crypt/algorithm"
	cargon2 "github.com/go-crypt/crypt/algorithm/argon2"
	cbcrypt "github.com/go-crypt/crypt/algorithm/bcrypt"
	"github.com/go-crypt/crypt/algorithm/shacrypt"
)

// Legacy hashes are imported from mail servers (SPEC §2.1): Dovecot stores
// them as "{SCHEME}value", other systems as bare crypt(3)/PHC strings. They
// verify here and NeedsRehash is true for all of them, so the caller
// replaces them with our argon2id on the first successful login.
//
// Only salted, slow schemes are accepted. Plaintext and fast or unsalted
// schemes ({PLAIN}, {CLEARTEXT}, {MD5-CRYPT}, {SSHA}, {SHA256}, {CRYPT}
// with DES…) are deliberately never verified: they return ErrUnknownFormat
// and the account has to reset its password.
//
// A stored hash is untrusted input, so every cost parameter is parsed and
// bounded here, strictly, before github.com/go-crypt/crypt sees it: the
// library itself accepts sha512-crypt rounds up to 999,999,999 and bcrypt
// cost up to 31, either of which would let one crafted row burn minutes of
// CPU per login.
const (
	// maxSHACryptRounds caps sha512-crypt rounds=. glibc allows up to
	// 999,999,999 (minutes of CPU). Measured here (one core, v0.14.15):
	// 5,000,000 rounds take 2 s with a short password and 14 s with a
	// 1024-byte one, too much for a login; 1,000,000 takes ~0.4 s and
	// ~2.9 s. That is twice the library's default (500,000) and above
	// passlib's 656,000 and anything mail servers use (Dovecot and
	// libxcrypt default to 5,000); a hash over the cap is ErrMalformedHash
	// and its user has to reset the password.
	maxSHACryptRounds = 1_000_000
	// minSHACryptRounds is glibc's floor: it clamps smaller values to 1000
	// and writes the clamped value, so real hashes never carry less.
	minSHACryptRounds = 1000
	// maxBcryptCost caps bcrypt cost at 2^16 rounds (~5 s); Dovecot's
	// default is 5 and anything above 14 is unheard of.
	maxBcryptCost = 16
	minBcryptCost = 4 // the bcrypt minimum
	// maxSHACryptSalt is glibc's salt length: longer salts are truncated
	// when hashing, so a stored hash never has more.
	maxSHACryptSalt = 16
	shaCryptKeyLen  = 86 // sha512-crypt checksum, crypt base64
	// maxLegacyPasswordLen bounds the password a legacy hash is checked
	// against: sha512-crypt's work grows with rounds × password length, so
	// a login with a megabyte "password" would burn seconds even at 5,000
	// rounds. 1024 bytes is the policy's 256 code points at 4 bytes each.
	maxLegacyPasswordLen = 1024
	bcryptBodyLen        = 53 // 22 salt + 31 checksum, bcrypt base64
)

// Scheme names returned by LegacyScheme.
const (
	SchemeArgon2id    = "argon2id"
	SchemeArgon2i     = "argon2i"
	SchemeSHA512Crypt = "sha512-crypt"
	SchemeBcrypt      = "bcrypt"
)

// dovecotSchemes maps the upper-cased Dovecot scheme name to ours.
var dovecotSchemes = map[string]string{
	"SHA512-CRYPT": SchemeSHA512Crypt,
	"BLF-CRYPT":    SchemeBcrypt,
	"ARGON2ID":     SchemeArgon2id,
	"ARGON2I":      SchemeArgon2i,
}

// legacyHash is a parsed, bounded legacy hash, ready for the library.
type legacyHash struct {
	scheme string
	bare   string // without the {SCHEME} prefix
	// cost is a rough work estimate in microseconds on one core, for
	// tests and fuzzing: sha512-crypt ~0.3 µs a round, bcrypt ~80 µs per
	// 2^cost round, argon2 ~1 µs per KiB and pass.
	cost uint64
}

// LegacyScheme names the legacy format of encoded: "argon2id",
// "sha512-crypt", "bcrypt" or "argon2i", with or without a Dovecot
// {SCHEME} prefix. It returns "" for our own canonical argon2id format and
// for anything this package does not verify. It only looks at the prefix;
// Verify still checks the rest.
func LegacyScheme(encoded string) string {
	if !strings.HasPrefix(encoded, "{") {
		if _, _, _, err := ParseHash(encoded); err == nil {
			return ""
		}
	}
	scheme, _, err := splitLegacy(encoded)
	if err != nil {
		return ""
	}
	return scheme
}

// splitLegacy strips an optional Dovecot {SCHEME} prefix (case-insensitive)
// and checks that the value is of that scheme. It returns ErrUnknownFormat
// for schemes not verified here, ErrMalformedHash when prefix and value
// disagree.
func splitLegacy(encoded string) (scheme, bare string, err error) {
	bare = encoded
	prefixed := ""
	if rest, ok := strings.CutPrefix(encoded, "{"); ok {
		end := strings.IndexByte(rest, '}')
		if end < 0 || end > 32 {
			return "", "", ErrUnknownFormat
		}
		s, known := dovecotSchemes[strings.ToUpper(rest[:end])]
		if !known {
			return "", "", ErrUnknownFormat
		}
		prefixed, bare = s, rest[end+1:]
	}
	switch {
	case strings.HasPrefix(bare, "$6$"):
		scheme = SchemeSHA512Crypt
	case strings.HasPrefix(bare, "$2y$"), strings.HasPrefix(bare, "$2a$"), strings.HasPrefix(bare, "$2b$"):
		scheme = SchemeBcrypt
	case strings.HasPrefix(bare, "$argon2id$"):
		scheme = SchemeArgon2id
	case strings.HasPrefix(bare, "$argon2i$"):
		scheme = SchemeArgon2i
	default:
		if prefixed != "" {
			return "", "", fmt.Errorf("%w: {%s} value is not a %s hash", ErrMalformedHash, strings.ToUpper(prefixed), prefixed)
		}
		return "", "", ErrUnknownFormat
	}
	if prefixed != "" && prefixed != scheme {
		return "", "", fmt.Errorf("%w: %s prefix on a %s hash", ErrMalformedHash, prefixed, scheme)
	}
	return scheme, bare, nil
}

// parseLegacy recognises and bounds a legacy hash without computing
// anything. Errors are ErrUnknownFormat or wrap ErrMalformedHash.
func parseLegacy(encoded string) (legacyHash, error) {
	if len(encoded) > maxEncodedLen {
		if _, _, err := splitLegacy(encoded); err != nil {
			return legacyHash{}, err
		}
		return legacyHash{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformedHash, maxEncodedLen)
	}
	scheme, bare, err := splitLegacy(encoded)
	if err != nil {
		return legacyHash{}, err
	}
	h := legacyHash{scheme: scheme, bare: bare}
	switch scheme {
	case SchemeSHA512Crypt:
		h.cost, err = checkSHACrypt(bare)
	case SchemeBcrypt:
		h.cost, err = checkBcrypt(bare)
	default:
		h.cost, err = checkArgon2(bare)
	}
	if err != nil {
		return legacyHash{}, fmt.Errorf("%w: %s: %w", ErrMalformedHash, scheme, err)
	}
	return h, nil
}

// checkSHACrypt validates $6$[rounds=N$]salt$checksum.
func checkSHACrypt(s string) (rounds uint64, err error) {
	parts := strings.Split(s, "$") // "", "6", [rounds=N], salt, key
	rounds = 5000                  // crypt(3)'s default when rounds= is absent
	switch len(parts) {
	case 4:
		if strings.HasPrefix(parts[2], "rounds=") {
			return 0, fmt.Errorf("rounds without salt")
		}
	case 5:
		v, ok := strings.CutPrefix(parts[2], "rounds=")
		if !ok {
			return 0, fmt.Errorf("want rounds=N")
		}
		if rounds, err = parseDecimal(v); err != nil || rounds < minSHACryptRounds || rounds > maxSHACryptRounds {
			return 0, fmt.Errorf("rounds %q out of range %d..%d", v, minSHACryptRounds, maxSHACryptRounds)
		}
	default:
		return 0, fmt.Errorf("want 3 or 4 fields")
	}
	salt, key := parts[len(parts)-2], parts[len(parts)-1]
	if len(salt) > maxSHACryptSalt || !isCryptB64(salt, true) {
		return 0, fmt.Errorf("bad salt")
	}
	if len(key) != shaCryptKeyLen || !isCryptB64(key, false) {
		return 0, fmt.Errorf("bad checksum")
	}
	return rounds / 3, nil
}

// checkBcrypt validates $2y$NN$<53 chars>.
func checkBcrypt(s string) (work uint64, err error) {
	parts := strings.Split(s, "$") // "", "2y", cost, salt+key
	if len(parts) != 4 {
		return 0, fmt.Errorf("want 3 fields")
	}
	if len(parts[2]) != 2 {
		return 0, fmt.Errorf("cost must be two digits")
	}
	cost, err := parseDecimal(parts[2])
	if err != nil || cost < minBcryptCost || cost > maxBcryptCost {
		return 0, fmt.Errorf("cost %q out of range %d..%d", parts[2], minBcryptCost, maxBcryptCost)
	}
	if len(parts[3]) != bcryptBodyLen || !isCryptB64(parts[3], false) {
		return 0, fmt.Errorf("bad salt or checksum")
	}
	return 80 << cost, nil
}

// checkArgon2 validates $argon2i[d]$v=19$m=…,t=…,p=…$salt$key with the
// parameters in any order, each exactly once, and the bounds ParseHash
// applies. Leading zeros and non-canonical trailing base64 bits, which
// ParseHash refuses, are accepted.
func checkArgon2(s string) (work uint64, err error) {
	parts := strings.Split(s, "$") // "", variant, v=19, params, salt, key
	if len(parts) != 6 {
		return 0, fmt.Errorf("want 5 fields")
	}
	if parts[2] != "v=19" {
		return 0, fmt.Errorf("unsupported version %q", parts[2])
	}
	var m, t, p uint64
	seen := map[string]bool{}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || seen[k] {
			return 0, fmt.Errorf("bad parameter %q", kv)
		}
		seen[k] = true
		n, err := parseDecimal(v)
		if err != nil {
			return 0, fmt.Errorf("bad parameter %q", kv)
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			p = n
		default:
			return 0, fmt.Errorf("unknown parameter %q", k)
		}
	}
	if !seen["m"] || !seen["t"] || !seen["p"] {
		return 0, fmt.Errorf("want parameters m, t and p")
	}
	if t < 1 || t > maxTime || p < 1 || p > maxThreads || m < 8*p || m > maxMemoryKiB {
		return 0, fmt.Errorf("parameters m=%d,t=%d,p=%d out of range", m, t, p)
	}
	if strings.ContainsAny(parts[4]+parts[5], "\r\n=") {
		return 0, fmt.Errorf("bad base64")
	}
	salt, err := b64Lax.DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return 0, fmt.Errorf("bad salt")
	}
	key, err := b64Lax.DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return 0, fmt.Errorf("bad key")
	}
	return m * t, nil
}

// b64Lax is what the library decodes with (unpadded standard base64,
// trailing bits ignored).
var b64Lax = base64.RawStdEncoding

// parseDecimal reads 1–10 ASCII digits (leading zeros allowed: other
// encoders write them), no sign.
func parseDecimal(v string) (uint64, error) {
	if v == "" || len(v) > 10 {
		return 0, fmt.Errorf("bad number %q", v)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, fmt.Errorf("bad number %q", v)
		}
	}
	return strconv.ParseUint(v, 10, 64)
}

// isCryptB64 reports whether s uses only the crypt(3) base64 alphabet
// [./0-9A-Za-z]; empty is allowed only if allowEmpty.
func isCryptB64(s string, allowEmpty bool) bool {
	if s == "" {
		return allowEmpty
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '.' || c == '/' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// verifyLegacy verifies pw against a legacy hash. The library compares the
// derived key with crypto/subtle.ConstantTimeCompare for all four schemes
// (checked in v0.14.15: shacrypt, bcrypt and argon2 Digest.MatchBytesAdvanced).
func verifyLegacy(pw, encoded string) (bool, error) {
	h, err := parseLegacy(encoded)
	if err != nil {
		return false, err
	}
	return h.verify(pw)
}

func (h legacyHash) verify(pw string) (ok bool, err error) {
	if len(pw) > maxLegacyPasswordLen {
		// Refused unchecked: no imported password is this long, and
		// checking it is the expensive part (see maxLegacyPasswordLen).
		return false, nil
	}
	defer func() {
		// The input was bounded above, but a library bug must not take
		// the login handler down with it.
		if r := recover(); r != nil {
			ok, err = false, fmt.Errorf("%w: %s: library panic: %v", ErrMalformedHash, h.scheme, r)
		}
	}()
	var decode func(string) (algorithm.Digest, error)
	switch h.scheme {
	case SchemeSHA512Crypt:
		decode = shacrypt.DecodeVariant(shacrypt.VariantSHA512)
	case SchemeBcrypt:
		decode = cbcrypt.DecodeVariant(cbcrypt.VariantStandard)
	case SchemeArgon2id:
		decode = cargon2.DecodeVariant(cargon2.VariantID)
	case SchemeArgon2i:
		decode = cargon2.DecodeVariant(cargon2.VariantI)
	default:
		return false, ErrUnknownFormat
	}
	d, err := decode(h.bare)
	if err != nil {
		return false, fmt.Errorf("%w: %s: %w", ErrMalformedHash, h.scheme, err)
	}
	ok, err = d.MatchAdvanced(pw)
	if err != nil {
		return false, fmt.Errorf("%w: %s: %w", ErrMalformedHash, h.scheme, err)
	}
	return ok, nil
}
