package notify

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMaskEmail(t *testing.T) {
	tests := map[string]string{
		"mario.rossi@example.it": "m***@example.it",
		"Mario@Example.IT":       "M***@Example.IT",
		"a@example.it":           "***@example.it",
		"@example.it":            "***@example.it",
		"èlena@example.it":       "è***@example.it",
		"no-at-sign":             "***",
		"":                       "***",
		"a@b@example.it":         "a***@example.it",
		"\xff\xfe@example.it":    "***@example.it",
		"\nx@example.it":         "***@example.it",
	}
	for in, want := range tests {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactAddress(t *testing.T) {
	got := redactAddress("550 5.1.1 <Mario.Rossi@Example.it>: no such user mario.rossi@example.it", "mario.rossi@example.it")
	if want := "550 5.1.1 <m***@example.it>: no such user m***@example.it"; got != want {
		t.Errorf("redactAddress = %q, want %q", got, want)
	}
	if got := redactAddress("nothing here", ""); got != "nothing here" {
		t.Errorf("empty address changed the text: %q", got)
	}
	if got := redactAddress("x \xff@a y", "\xff@a"); strings.Contains(got, "\xff@a") {
		t.Errorf("invalid UTF-8 address not redacted: %q", got)
	}
}

func FuzzMaskEmail(f *testing.F) {
	for _, s := range []string{"mario.rossi@example.it", "a@b", "@", "", "no-at", "è@x", "\xff@x", "a@b@c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		got := MaskEmail(addr)
		at := strings.LastIndexByte(addr, '@')
		if at < 0 {
			if got != "***" {
				t.Fatalf("MaskEmail(%q) = %q, want ***", addr, got)
			}
			return
		}
		local, domain := addr[:at], addr[at+1:]
		prefix, ok := strings.CutSuffix(got, "***@"+domain)
		if !ok {
			t.Fatalf("MaskEmail(%q) = %q: domain not kept", addr, got)
		}
		// At most the first character of the local part shows, and only
		// when the local part has more than that.
		if prefix != "" {
			r, size := utf8.DecodeRuneInString(local)
			if prefix != local[:size] || size == len(local) || r == utf8.RuneError {
				t.Fatalf("MaskEmail(%q) = %q shows too much of %q", addr, got, local)
			}
		}
		if utf8.ValidString(addr) && !utf8.ValidString(got) {
			t.Fatalf("MaskEmail(%q) = %q is not valid UTF-8", addr, got)
		}
		// Redacting a text never leaves the address in it (unless the
		// mask itself contains it, as "*@x" in "***@x").
		text := "550 <" + addr + "> rejected " + addr
		if strings.TrimSpace(addr) != "" && !strings.Contains(got, strings.TrimSpace(addr)) {
			if red := redactAddress(text, addr); strings.Contains(red, strings.TrimSpace(addr)) {
				t.Fatalf("redactAddress(%q) left the address: %q", addr, red)
			}
		}
	})
}
