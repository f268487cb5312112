package text_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"varco.dev/varco"
	"varco.dev/varco/internal/text"
)

func TestIdentifier(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"mario@acme.example", true},
		{"Àcme S.p.A. — 東京", true},
		{"", true},
		{"a\xffb", false},
		{"a\x00b", false},
		{"a\nb", false},
		{"a\rb", false},
		{"a\tb", false},
		{"a\x7fb", false},
		{"a\u0085b", false},         // C1 next line
		{"abc\u202egpj.exe", false}, // right-to-left override
		{"a\u2067b", false},         // right-to-left isolate
		{"a\u200fb", false},         // right-to-left mark
		{"a\ufffdb", true},          // what a lone surrogate in JSON decodes to
		{"\xed\xa0\x80", false},     // a surrogate encoded in UTF-8
	} {
		got, err := text.Identifier("email", tt.in)
		if tt.ok != (err == nil) {
			t.Errorf("Identifier(%q) error %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if err != nil {
			var ve *varco.Error
			if !errors.As(err, &ve) || ve.Code != varco.EInvalidInput || ve.Field != "email" || !strings.Contains(ve.Message, `"email"`) {
				t.Errorf("Identifier(%q) error %#v, want invalid_input naming email", tt.in, err)
			}
		} else if got != tt.in {
			t.Errorf("Identifier(%q) = %q", tt.in, got)
		}
	}
}

func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"plain", true},
		{"tab\tand\nnewline", true}, // only the store's own limits apply
		{"\u202e", true},
		{"nul\x00", false},
		{"bad\xc3", false},
	} {
		err := text.Check("q", tt.in)
		if tt.ok != (err == nil) {
			t.Errorf("Check(%q) = %v, want ok=%v", tt.in, err, tt.ok)
		}
		if err != nil && (varco.ErrorCode(err) != varco.EInvalidInput || !strings.Contains(varco.ErrorMessage(err), `"q"`)) {
			t.Errorf("Check(%q) = %v, want invalid_input naming q", tt.in, err)
		}
	}
}

func TestRecord(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"Mozilla/5.0 (X11; Linux x86_64)", 512, "Mozilla/5.0 (X11; Linux x86_64)"},
		{"curl\xff/8", 512, "curl\ufffd/8"},
		{"a\x00b", 512, "a\ufffdb"},
		{"a\r\nb", 512, "a\ufffd\ufffdb"},
		{"a\tb", 512, "a b"},
		{"x\u202eyz", 512, "x\ufffdyz"},
		{"\xed\xa0\x80", 512, "\ufffd\ufffd\ufffd"},
		{"abcdef", 4, "abcd"},
		{"aé", 2, "a"},    // never half a character
		{"a\xff", 3, "a"}, // nor half a replacement
		{"Thunderbird", 0, ""},
		{strings.Repeat("x", 10<<10), 512, strings.Repeat("x", 512)},
	} {
		if got := text.Record(tt.in, tt.max); got != tt.want {
			t.Errorf("Record(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

// FuzzRecord: whatever comes in, what is recorded is storable, has no
// control or direction character, fits, is stable, and keeps clean input.
func FuzzRecord(f *testing.F) {
	for _, s := range []string{"", "Mozilla/5.0", "a\x00b", "\xff\xfe", "\u202e", "a\tb", "é", "\xed\xa0\x80"} {
		f.Add(s, 512)
		f.Add(s, 1)
	}
	f.Fuzz(func(t *testing.T, s string, limit int) {
		limit %= 1024
		got := text.Record(s, limit)
		if !text.Storable(got) || len(got) > max(0, limit) {
			t.Fatalf("Record(%q, %d) = %q", s, limit, got)
		}
		if _, err := text.Identifier("f", strings.ReplaceAll(got, "\ufffd", "")); err != nil {
			t.Fatalf("Record(%q, %d) = %q keeps a control character", s, limit, got)
		}
		if again := text.Record(got, limit); again != got {
			t.Fatalf("Record is not stable: %q then %q", got, again)
		}
		if _, err := text.Identifier("f", s); err == nil && len(s) <= limit && got != s {
			t.Fatalf("Record changed clean %q to %q", s, got)
		}
	})
}

// FuzzIdentifier: an accepted identifier is storable and comes back
// unchanged; a refused one is invalid_input naming the field.
func FuzzIdentifier(f *testing.F) {
	for _, s := range []string{"", "mario@acme.example", "a\x00b", "\xff", "a\u202eb", "a\nb", "東京"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := text.Identifier("name", s)
		if err != nil {
			var ve *varco.Error
			if !errors.As(err, &ve) || ve.Code != varco.EInvalidInput || ve.Field != "name" {
				t.Fatalf("Identifier(%q) error %#v", s, err)
			}
			return
		}
		if got != s || !text.Storable(got) || !utf8.ValidString(got) || text.Check("name", got) != nil {
			t.Fatalf("Identifier(%q) = %q accepted", s, got)
		}
		if text.Record(got, len(got)) != got {
			t.Fatalf("Record would change accepted identifier %q", got)
		}
	})
}
