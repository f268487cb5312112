package varco

import "testing"

func TestValidEmail(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"mario.rossi@example.it", true},
		{"a@b.co", true},
		{"user+tag@sub.example.com", true},
		{"", false},
		{"noat.example.com", false},
		{"two@@example.com", false},
		{"a@b@example.com", false},
		{"@example.com", false},
		{"user@", false},
		{"user@localhost", false},
		{"user@-bad.com", false},
		{"us er@example.com", false},
		{".user@example.com", false},
		{"us..er@example.com", false},
		{"user@exa..mple.com", false},
		{"\"quoted\"@example.com", false},
		{"user@example.com\n", false},
		{string(make([]byte, 300)) + "@example.com", false},
	}
	for _, tt := range tests {
		if got := ValidEmail(tt.in); got != tt.want {
			t.Errorf("ValidEmail(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"Mario.Rossi@Example.IT ", "a@b.co", "\xff@x.y", "@", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeEmail(s)
		if NormalizeEmail(n) != n {
			t.Fatalf("NormalizeEmail is not idempotent for %q", s)
		}
		if ValidEmail(n) {
			if len(n) > MaxEmailLen {
				t.Fatalf("accepted over-long address %q", n)
			}
			if LocalPart(n) == "" {
				t.Fatalf("accepted empty local part %q", n)
			}
		}
	})
}
