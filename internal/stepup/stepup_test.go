package stepup

import (
	"testing"
	"unicode/utf8"
)

func TestParseCode(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"123456", true},
		{"000000", true},
		{"", false},
		{"12345", false},
		{"1234567", false},
		{"12 456", false},
		{" 123456", false},
		{"123456\n", false},
		{"12345a", false},
		{"١٢٣٤٥٦", false}, // Arabic-Indic digits
		{"１２３４５６", false}, // full-width digits
		{"+12345", false},
		{"-12345", false},
	} {
		got, ok := ParseCode(tt.in)
		if ok != tt.ok || (ok && got != tt.in) {
			t.Errorf("ParseCode(%q) = %q, %v; want ok=%v", tt.in, got, ok, tt.ok)
		}
	}
}

// FuzzParseCode: whatever a client sends, ParseCode never panics and
// accepts only six ASCII digits, returned unchanged.
func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"123456", "12345", "١٢٣٤٥٦", "\x00\x00\x00\x00\x00\x00", "99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseCode(s)
		if !ok {
			return
		}
		if got != s || len(s) != 6 || !utf8.ValidString(s) {
			t.Fatalf("ParseCode(%q) accepted %q", s, got)
		}
		for _, c := range []byte(s) {
			if c < '0' || c > '9' {
				t.Fatalf("ParseCode(%q) accepted a non-digit", s)
			}
		}
	})
}
