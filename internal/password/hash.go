// Package password hashes passwords with argon2id, decides whether a new
// password is acceptable (SPEC §2.2) and keeps the embedded list of common
// passwords. It does no I/O: callers bring the stored hashes and the e-mail.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Params are the argon2id cost parameters of a hash.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams are the OWASP minimum for argon2id (m=19 MiB, t=2, p=1),
// the floor SPEC §2.1 sets.
var DefaultParams = Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on parameters. Hashes are imported from other systems, so a stored
// hash is untrusted input: without these a single crafted hash could make a
// login allocate terabytes or loop for hours.
const (
	maxMemoryKiB   = 4 << 20 // 4 GiB
	maxTime        = 64
	maxThreads     = 64
	minSaltLen     = 8 // the argon2 reference minimum
	maxSaltLen     = 64
	minKeyLen      = 16 // shorter tags are too easy to collide with
	maxKeyLen      = 128
	maxEncodedLen  = 512
	argon2idPrefix = "$argon2id$"
)

var (
	// ErrUnknownFormat is returned by Verify for an encoded hash whose
	// scheme this package does not verify, such as Dovecot's {PLAIN},
	// {MD5-CRYPT} or {SSHA}.
	ErrUnknownFormat = errors.New("password: unknown hash format")
	// ErrMalformedHash is returned for an encoded hash of a known scheme
	// that does not parse or whose parameters are out of bounds.
	ErrMalformedHash = errors.New("password: malformed hash")
)

// b64 is the PHC string encoding: standard alphabet, no padding. Strict
// rejects non-zero trailing bits, so every accepted string has exactly one
// encoding and ParseHash can demand the canonical form.
var b64 = base64.RawStdEncoding.Strict()

// Validate reports whether p can be used to hash: every field is within
// the bounds ParseHash accepts.
func (p Params) Validate() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("argon2id time %d out of range 1..%d", p.Time, maxTime)
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("argon2id threads %d out of range 1..%d", p.Threads, maxThreads)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemoryKiB:
		// argon2 needs at least 8 KiB per lane.
		return fmt.Errorf("argon2id memory %d KiB out of range %d..%d", p.Memory, 8*uint32(p.Threads), maxMemoryKiB)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("argon2id salt length %d out of range %d..%d", p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("argon2id key length %d out of range %d..%d", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}

// Hash returns the PHC string of pw under p with a fresh random salt, e.g.
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>. It fails only for invalid
// params or when the system's random source fails.
func Hash(pw string, p Params) (string, error) { return hashIn(nil, pw, p) }

// hashIn is Hash on ws's memory (nil: fresh memory).
func hashIn(ws *workspace, pw string, p Params) (string, error) {
	if err := p.Validate(); err != nil {
		return "", fmt.Errorf("password: hash: %w", err)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: hash: read salt: %w", err)
	}
	key := idKey(ws, []byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return encodeHash(p, salt, key), nil
}

// Verify reports whether pw matches encoded. A mismatch is (false, nil); an
// error means encoded could not be checked at all: ErrUnknownFormat for a
// scheme this package does not handle, ErrMalformedHash for a broken one.
// Besides our own format it verifies the legacy schemes LegacyScheme
// names; NeedsRehash is true for all of them.
func Verify(pw, encoded string) (bool, error) { return verifyIn(nil, pw, encoded) }

// verifyIn is Verify on ws's memory (nil: fresh memory).
func verifyIn(ws *workspace, pw, encoded string) (bool, error) {
	p, salt, key, err := ParseHash(encoded)
	if err != nil {
		// Legacy schemes imported from mail servers ({SHA512-CRYPT},
		// {BLF-CRYPT}, {ARGON2ID}, bare $6$/$2y$/$argon2i$ and argon2id
		// in forms ParseHash refuses): see legacy.go.
		return verifyLegacy(pw, encoded)
	}
	got := idKey(ws, []byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether encoded should be replaced by a fresh hash
// under p: it is not our argon2id format, does not parse, or was made with
// other parameters.
func NeedsRehash(encoded string, p Params) bool {
	got, _, _, err := ParseHash(encoded)
	return err != nil || got != p
}

// ParseHash splits an argon2id PHC string into its parameters, salt and
// key. Only the canonical form Hash produces is accepted (version 19, the
// order m,t,p, no leading zeros, unpadded base64), and every value is
// bounded, so a hostile string costs nothing to reject. Errors wrap
// ErrMalformedHash, or are ErrUnknownFormat when encoded is not argon2id.
func ParseHash(encoded string) (p Params, salt, key []byte, err error) {
	if !strings.HasPrefix(encoded, argon2idPrefix) {
		return Params{}, nil, nil, ErrUnknownFormat
	}
	if len(encoded) > maxEncodedLen {
		return Params{}, nil, nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformedHash, maxEncodedLen)
	}
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, key
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 {
		return Params{}, nil, nil, fmt.Errorf("%w: want 5 fields, got %d", ErrMalformedHash, len(parts)-1)
	}
	if parts[2] != "v=19" {
		return Params{}, nil, nil, fmt.Errorf("%w: unsupported version %q", ErrMalformedHash, parts[2])
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return Params{}, nil, nil, fmt.Errorf("%w: want parameters m,t,p", ErrMalformedHash)
	}
	m, err := parseParam(kv[0], "m", maxMemoryKiB)
	if err != nil {
		return Params{}, nil, nil, err
	}
	t, err := parseParam(kv[1], "t", maxTime)
	if err != nil {
		return Params{}, nil, nil, err
	}
	threads, err := parseParam(kv[2], "p", maxThreads)
	if err != nil {
		return Params{}, nil, nil, err
	}
	// Decoded lengths are checked before decoding so an oversized field
	// allocates nothing; maxEncodedLen bounds them already, this keeps the
	// error precise.
	if n := b64.DecodedLen(len(parts[4])); n < minSaltLen || n > maxSaltLen {
		return Params{}, nil, nil, fmt.Errorf("%w: salt length %d out of range", ErrMalformedHash, n)
	}
	if n := b64.DecodedLen(len(parts[5])); n < minKeyLen || n > maxKeyLen {
		return Params{}, nil, nil, fmt.Errorf("%w: key length %d out of range", ErrMalformedHash, n)
	}
	salt, err = decodeB64(parts[4])
	if err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: salt: %w", ErrMalformedHash, err)
	}
	key, err = decodeB64(parts[5])
	if err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: key: %w", ErrMalformedHash, err)
	}
	p = Params{Memory: m, Time: t, Threads: uint8(threads), SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	if err := p.Validate(); err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
	return p, salt, key, nil
}

// parseParam reads "name=decimal" in canonical form: no sign, no leading
// zero, at most max.
func parseParam(s, name string, max uint32) (uint32, error) {
	v, ok := strings.CutPrefix(s, name+"=")
	if !ok {
		return 0, fmt.Errorf("%w: want parameter %s", ErrMalformedHash, name)
	}
	if v == "" || len(v) > 10 || (v[0] == '0' && len(v) > 1) {
		return 0, fmt.Errorf("%w: parameter %s is not a canonical number", ErrMalformedHash, name)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, fmt.Errorf("%w: parameter %s is not a canonical number", ErrMalformedHash, name)
		}
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n > uint64(max) {
		return 0, fmt.Errorf("%w: parameter %s out of range", ErrMalformedHash, name)
	}
	return uint32(n), nil
}

// decodeB64 decodes unpadded standard base64, refusing the CR and LF that
// Go's decoder would otherwise skip, so the encoding stays canonical.
func decodeB64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line break in base64")
	}
	return b64.DecodeString(s)
}

func encodeHash(p Params, salt, key []byte) string {
	return fmt.Sprintf("%sv=%d$m=%d,t=%d,p=%d$%s$%s", argon2idPrefix, argon2Version,
		p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}
