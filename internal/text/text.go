// Package text is the one rule for untrusted strings — headers, JSON
// bodies, form fields, query parameters, CLI arguments and import files —
// before they reach the store or a message:
//
//   - no string that is not valid UTF-8 or holds a NUL is ever stored
//     (PostgreSQL refuses both in a text column, SQLite keeps them);
//   - a name or address (e-mail, organization, phone, display name, label)
//     with a control or bidirectional formatting character is refused with
//     invalid_input naming the field (Identifier), since it would show as
//     something it is not;
//   - free text that is only recorded (a User-Agent, a device name, a
//     location) is repaired and capped, never refused (Record), so that a
//     failed sign-in is always counted and audited.
package text

import (
	"strings"
	"unicode/utf8"

	"varco.dev/varco"
)

// MaxUserAgent is the most bytes of a User-Agent kept in the history.
const MaxUserAgent = 512

// Storable reports whether s is valid UTF-8 without NUL: the least every
// string must be to reach the store.
func Storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// Check returns nil when s is Storable, else an invalid_input error naming
// field. It is the rule for every field that has no stricter one
// (passwords, tokens, search text, filters).
func Check(field, s string) error {
	if Storable(s) {
		return nil
	}
	return invalid(field, "error.input_text")
}

// Identifier returns s when it is valid UTF-8 without control characters
// (C0, DEL, C1) or bidirectional formatting characters, else an
// invalid_input error naming field. Callers normalize and bound the length
// themselves.
func Identifier(field, s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", invalid(field, "error.input_utf8")
	}
	for _, r := range s {
		if isControl(r) || isBidi(r) {
			return "", invalid(field, "error.input_control")
		}
	}
	return s, nil
}

// Record returns s repaired for the history: every invalid byte, control
// character (a tab becomes a space) and bidirectional formatting character
// replaced by U+FFFD, cut to at most limit bytes on a character boundary.
// It never fails: recording a request must not depend on what the client
// put in a free-text header.
func Record(s string, limit int) string {
	if limit <= 0 {
		return ""
	}
	if len(s) <= limit && clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), limit))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\t':
			r = ' '
		case r == utf8.RuneError || isControl(r) || isBidi(r):
			r = utf8.RuneError
		}
		if b.Len()+utf8.RuneLen(r) > limit {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// clean reports whether Record would leave s as it is (length aside).
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			return cleanSlow(s[i:])
		}
	}
	return true
}

func cleanSlow(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if isControl(r) || isBidi(r) {
			return false
		}
	}
	return true
}

// isControl reports a C0 or C1 control character or DEL.
func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) }

// isBidi reports a bidirectional formatting character: the marks, embeddings,
// overrides and isolates that can make text read in another order than it is
// stored (the "Trojan Source" characters) and the Arabic letter mark.
func isBidi(r rune) bool {
	switch {
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x202a && r <= 0x202e:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// invalid is the invalid_input error about field with the catalogue message key.
func invalid(field, key string) *varco.Error {
	e := varco.E(varco.EInvalidInput, key, field)
	e.Field = field
	return e
}

// RecordMeta returns m with every field made fit to record (Record): what a
// client sent in a header never stops a sign-in or a reset request from
// being counted and audited.
func RecordMeta(m varco.Meta) varco.Meta {
	return varco.Meta{IP: Record(m.IP, 64), UserAgent: Record(m.UserAgent, MaxUserAgent),
		Application: Record(m.Application, 64), Location: Record(m.Location, 200)}
}
