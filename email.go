package varco

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxEmailLen is the longest address accepted (RFC 5321 path limit).
const MaxEmailLen = 254

// ValidEmail reports whether s (already normalized) looks like a deliverable
// address: one "@", a non-empty local part of at most 64 bytes, a domain with
// at least one dot, no spaces or control characters. It is deliberately
// simpler than RFC 5322: quoted local parts and IP literals are refused.
func ValidEmail(s string) bool {
	if len(s) == 0 || len(s) > MaxEmailLen || !utf8.ValidString(s) {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at > 64 || strings.Count(s, "@") != 1 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '"' || r == '<' || r == '>' || r == ',' || r == ';' || r == '\\' {
			return false
		}
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return false
		}
	}
	return true
}

// LocalPart returns the part of an address before the last "@".
func LocalPart(email string) string {
	if at := strings.LastIndexByte(email, '@'); at >= 0 {
		return email[:at]
	}
	return email
}
