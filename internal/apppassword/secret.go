// Package apppassword holds the rules of app passwords for mail clients
// (SPEC §7): how one is made, shown and read back, and how it is stored —
// a keyed hash (HMAC-SHA256 under a server key, with the key's id beside
// it so keys rotate), so that a mail login costs microseconds, not an
// argon2id, and a copy of the database alone cannot check guesses.
package apppassword

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"hash"
	"strings"
	"sync"
)

// Length is how many letters an app password has (SPEC §7.2: 16 lowercase
// letters, shown in groups of four): 16 × log2(26) ≈ 75 bits.
const Length = 16

const alphabet = "abcdefghijklmnopqrstuvwxyz"

// Generate returns a new app password: Length letters from crypto/rand,
// uniform over the alphabet (rejection sampling, no modulo bias).
func Generate() (string, error) {
	out := make([]byte, 0, Length)
	var buf [32]byte
	for len(out) < Length {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", err
		}
		for _, b := range buf {
			if b >= 26*9 { // 234: the largest multiple of 26 that fits
				continue
			}
			out = append(out, alphabet[b%26])
			if len(out) == Length {
				break
			}
		}
	}
	return string(out), nil
}

// Format shows p in groups of four: "abcd efgh ijkl mnop".
func Format(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p[i:min(i+4, len(p))])
	}
	return b.String()
}

// ErrNotAnAppPassword is returned by Normalize for input that cannot be an
// app password; a mail login answers it like any wrong password.
var ErrNotAnAppPassword = errors.New("not an app password")

// Normalize reads what a user pasted into a mail client: spaces (and
// tabs, non-breaking spaces) ignored, letters of either case; anything else
// is ErrNotAnAppPassword. It runs in time independent of where the input
// goes wrong, up to a bounded length.
func Normalize(input string) (string, error) {
	if len(input) > 64 {
		return "", ErrNotAnAppPassword
	}
	out := make([]byte, 0, Length)
	bad := false
	for _, r := range input {
		switch {
		case r == ' ' || r == '\t' || r == '\u00a0':
		case r >= 'a' && r <= 'z':
			out = append(out, byte(r))
		case r >= 'A' && r <= 'Z':
			out = append(out, byte(r-'A'+'a'))
		default:
			bad = true
		}
	}
	if bad || len(out) != Length {
		return "", ErrNotAnAppPassword
	}
	return string(out), nil
}

// Keys are the server keys app passwords are hashed under: every key by
// id, and the one new hashes use.
type Keys struct {
	Current string
	Secrets map[string][]byte

	// macs keeps, per key id, HMACs already keyed (sync.Pool of
	// hash.Hash): a mail login then hashes the password alone, without
	// keying a new HMAC first. Secrets must not change once in use.
	macs sync.Map
}

// Hash returns the keyed hash of the normalized password p under the
// current key, and that key's id, to store beside it.
func (k *Keys) Hash(p string) (keyID string, sum []byte, err error) {
	secret, ok := k.Secrets[k.Current]
	if !ok || len(secret) < 32 {
		return "", nil, errors.New("apppassword: no current key")
	}
	return k.Current, k.macTo(nil, k.Current, secret, p), nil
}

// Check reports, in constant time, whether p hashes to sum under the key
// keyID; an unknown key never matches.
func (k *Keys) Check(p, keyID string, sum []byte) bool {
	secret, ok := k.Secrets[keyID]
	if !ok || len(secret) < 32 {
		return false
	}
	var out [sha256.Size]byte
	return hmac.Equal(k.macTo(out[:0], keyID, secret, p), sum)
}

// macTo appends to b the keyed hash of p under secret, the key keyID.
func (k *Keys) macTo(b []byte, keyID string, secret []byte, p string) []byte {
	pool, ok := k.macs.Load(keyID)
	if !ok {
		pool, _ = k.macs.LoadOrStore(keyID, &sync.Pool{New: func() any { return hmac.New(sha256.New, secret) }})
	}
	h := pool.(*sync.Pool).Get().(hash.Hash)
	h.Reset()
	h.Write([]byte("varco-app-password-v1\x00"))
	h.Write([]byte(p))
	b = h.Sum(b)
	pool.(*sync.Pool).Put(h)
	return b
}
