package varco

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// NewToken returns a fresh secret for a session, a reset or confirmation
// link or a login flow: 256 random bits, base64url without padding, and
// its stored form (HashToken). Only the hash is ever stored.
func NewToken() (token string, hash []byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("random token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token), nil
}

// HashToken returns the stored form of a token: its SHA-256.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// MaxTokenLen bounds a token taken from a request (a header, a cookie, a
// link) before it is hashed: a token NewToken makes is 43 characters.
const MaxTokenLen = 128
