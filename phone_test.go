package varco

import "testing"

func TestValidPhone(t *testing.T) {
	tests := map[string]bool{
		"+393471234567":     true,
		"+12025550123":      true,
		"+39347123":         true,  // 8 digits
		"+393471234567890":  true,  // 15 digits
		"+3934712":          false, // 7 digits
		"+3934712345678901": false, // 16 digits
		"393471234567":      false,
		"+39 347 1234567":   false,
		"+39-347-1234567":   false,
		"+39347123456a":     false,
		"+39３４７1234567":     false, // full-width digits
		"+39347123456٧":     false, // Arabic-Indic digit
		"+0393471234567":    false,
		"":                  false,
		"+":                 false,
		" +393471234567":    false,
		"+393471234567\n":   false,
	}
	for in, want := range tests {
		if got := ValidPhone(in); got != want {
			t.Errorf("ValidPhone(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzValidPhone(f *testing.F) {
	for _, s := range []string{"+393471234567", "+39 347", "+٣٩٣٤٧١٢٣٤٥٦٧", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidPhone(s) {
			return
		}
		if s[0] != '+' || len(s) < 9 || len(s) > 16 {
			t.Fatalf("accepted %q", s)
		}
		for _, r := range s[1:] {
			if r < '0' || r > '9' {
				t.Fatalf("accepted %q", s)
			}
		}
	})
}
