package password

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"varco.dev/varco"
)

// Policy is an organization's password policy (SPEC §2.2).
type Policy struct {
	MinLen       int // Unicode code points
	MaxLen       int // Unicode code points; 0 means no limit
	HistoryDepth int // how many previous passwords may not be reused
}

// DefaultPolicy returns the policy of SPEC §2.2: 8 to 256 characters, not
// one of the last 5 passwords.
func DefaultPolicy() Policy {
	return Policy{MinLen: 8, MaxLen: 256, HistoryDepth: 5}
}

// minEmailLocalLen keeps very short local parts ("al@…") from rejecting
// every password that happens to contain those letters.
const minEmailLocalLen = 3

// Check reports whether pw may become the password of the account whose
// login is email. It returns nil or a *varco.Error with the first rule pw
// breaks, in this order: varco.EInvalid (not valid UTF-8),
// password_too_short, password_too_long, password_needs_letter_and_digit,
// password_too_common, password_contains_email. Lengths count Unicode code
// points, not bytes. Reuse needs the stored hashes: see CheckReuse.
func (p Policy) Check(pw, email string) error {
	// Lengths and character classes are meaningless for bytes that are not
	// text. JSON decoding already replaces such bytes, but the CLI reads
	// raw stdin.
	if !utf8.ValidString(pw) {
		return varco.E(varco.EInvalid, "error.password_utf8")
	}
	n := utf8.RuneCountInString(pw)
	if n < p.MinLen {
		return varco.E(varco.EPasswordTooShort, "error.password_min", p.MinLen)
	}
	if p.MaxLen > 0 && n > p.MaxLen {
		return varco.E(varco.EPasswordTooLong, "error.password_max", p.MaxLen)
	}
	if !hasLetterAndDigit(pw) {
		return varco.E(varco.EPasswordNeedsLetterDigit, "error.password_letter_digit")
	}
	if IsCommon(pw) {
		return varco.E(varco.EPasswordTooCommon, "error.password_common")
	}
	if containsLocalPart(pw, email) {
		return varco.E(varco.EPasswordContainsEmail, "error.password_email")
	}
	return nil
}

// CheckReuse returns a password_reused *varco.Error when pw matches one of
// the first HistoryDepth hashes in previous (newest first; the current
// password's hash belongs at the front). Stored hashes this package cannot
// read are skipped: they cannot prove reuse, and refusing the change over
// them would lock the user into an old password. Overload errors from h
// are returned as they are.
func (p Policy) CheckReuse(ctx context.Context, h *Hasher, pw string, previous []string) error {
	if len(previous) > p.HistoryDepth {
		previous = previous[:max(p.HistoryDepth, 0)]
	}
	for _, encoded := range previous {
		ok, err := h.Verify(ctx, pw, encoded)
		if errors.Is(err, ErrUnknownFormat) || errors.Is(err, ErrMalformedHash) {
			continue
		}
		if err != nil {
			return fmt.Errorf("password: check reuse: %w", err)
		}
		if ok {
			return varco.E(varco.EPasswordReused, "error.password_reused", p.HistoryDepth)
		}
	}
	return nil
}

func hasLetterAndDigit(s string) bool {
	var letter, digit bool
	for _, r := range s {
		letter = letter || unicode.IsLetter(r)
		digit = digit || unicode.IsDigit(r)
		if letter && digit {
			return true
		}
	}
	return false
}

// containsLocalPart reports whether pw contains the part of email before
// its last @, ignoring case.
func containsLocalPart(pw, email string) bool {
	email = strings.TrimSpace(email)
	local := email
	if i := strings.LastIndexByte(email, '@'); i >= 0 {
		local = email[:i]
	}
	if utf8.RuneCountInString(local) < minEmailLocalLen {
		return false
	}
	return strings.Contains(strings.ToLower(pw), strings.ToLower(local))
}
