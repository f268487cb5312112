package varco

import (
	"strings"
	"testing"
)

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

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, country, want string // want "" means an invalid_phone error
	}{
		{"333 123 4567", "IT", "+393331234567"},
		{"3331234567", "IT", "+393331234567"},
		{"+39 333 1234567", "IT", "+393331234567"},
		{"  +39 333 1234567  ", "IT", "+393331234567"},
		{"0039 333 1234567", "IT", "+393331234567"},
		{"00393331234567", "IT", "+393331234567"},
		{"(02) 1234 5678", "IT", "+390212345678"},
		{"06-1234-5678", "IT", "+390612345678"},
		{"333.123.4567", "IT", "+393331234567"},
		{"+393471234567", "IT", "+393471234567"},
		{"+393471234567", "", "+393471234567"},
		{"333 123 4567", "", "+393331234567"}, // DefaultCountry
		{"+44 20 7946 0958", "IT", "+442079460958"},
		{"020 7946 0958", "GB", "+442079460958"},
		{"(202) 555-0123", "US", "+12025550123"},
		{"(02) 1234 5678", "US", ""}, // not an American number
		{"", "IT", ""},
		{"   ", "IT", ""},
		{"347", "IT", ""},
		{"+39 1", "IT", ""},
		{"garbage", "IT", ""},
		{"+39333123456a", "IT", ""},
		{"+393471234567 ext. 5", "IT", ""},
		{"tel:+393471234567", "IT", ""},
		{"+3934712345678901", "IT", ""},
		{"+0393471234567", "IT", ""},
		{"333 123 4567 333 123 4567 333 123 4567 333", "IT", ""}, // over 40 bytes
		{"\xff333 123 4567", "IT", ""},
		{"+٣٩٣٤٧١٢٣٤٥٦٧", "IT", ""}, // Arabic-Indic digits
		{"３３３ 123 4567", "IT", ""},  // full-width digits
	}
	for _, tc := range tests {
		got, err := NormalizePhone(tc.in, tc.country)
		if tc.want == "" {
			if !IsCode(err, EInvalidPhone) || got != "" {
				t.Errorf("NormalizePhone(%q, %q) = %q, %v; want an invalid_phone error", tc.in, tc.country, got, err)
				continue
			}
			if msg := ErrorMessage(err); !strings.HasPrefix(msg, "phone: ") {
				t.Errorf("NormalizePhone(%q): message %q does not name the field", tc.in, msg)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q", tc.in, tc.country, got, err, tc.want)
		}
	}
}

// TestNormalizePhoneKeepsTheNumberOutOfTheMessage: error texts end up in
// logs and answers; a phone number must not.
func TestNormalizePhoneKeepsTheNumberOutOfTheMessage(t *testing.T) {
	_, err := NormalizePhone("+39 333 12345678901", "IT")
	if err == nil || strings.Contains(ErrorMessage(err), "12345678901") {
		t.Fatalf("error %v", err)
	}
}

func TestValidCountry(t *testing.T) {
	for c, want := range map[string]bool{"IT": true, "GB": true, "US": true, "it": false, "ITA": false, "": false, "ZZ": false, "XX": false} {
		if got := ValidCountry(c); got != want {
			t.Errorf("ValidCountry(%q) = %v, want %v", c, got, want)
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"333 123 4567", "+39 333 1234567", "0039 333 1234567", "(02) 1234 5678", "garbage", ""} {
		f.Add(s, "IT")
	}
	f.Add("020 7946 0958", "GB")
	f.Fuzz(func(t *testing.T, in, country string) {
		got, err := NormalizePhone(in, country)
		if err != nil {
			if got != "" || !IsCode(err, EInvalidPhone) {
				t.Fatalf("NormalizePhone(%q, %q) = %q, %v", in, country, got, err)
			}
			return
		}
		if !ValidPhone(got) {
			t.Fatalf("NormalizePhone(%q, %q) = %q: not E.164", in, country, got)
		}
		// The stored form normalises to itself.
		if again, err := NormalizePhone(got, country); err != nil || again != got {
			t.Fatalf("NormalizePhone(%q) = %q, %v; not stable", got, again, err)
		}
	})
}
