// Package recovery holds the rules of the links that get an account back:
// the password reset link (SPEC §4), which the sign-in's "forgot password"
// and support's reset (internal/admin) both send.
package recovery

import (
	"net/url"
	"strings"
	"time"

	"varco.dev/varco"
)

// ResetTTL is how long a reset link works: [seed] SPEC §4.1, 24 hours.
const ResetTTL = 24 * time.Hour

// Reset request limits (SPEC §4.2): per account and per client IP, per hour.
const (
	ResetPerAccount = 3
	ResetPerIP      = 20
	ResetWindow     = time.Hour
)

// PathReset is the page a reset link opens.
const PathReset = "/password-reset/complete"

// NewResetLink returns a fresh reset link under baseURL, carrying its token
// as the "token" parameter (SPEC §9a), and the stored form of the token.
// Store it with CreatePasswordReset, valid ResetTTL.
func NewResetLink(baseURL string) (link string, hash []byte, err error) {
	token, hash, err := varco.NewToken()
	if err != nil {
		return "", nil, err
	}
	return strings.TrimRight(baseURL, "/") + PathReset + "?token=" + url.QueryEscape(token), hash, nil
}
