package stepup

import (
	"testing"
	"time"
	"unicode/utf8"

	"varco.dev/varco"
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

// TestCountWrong: the seed's limits (SPEC §5.5–5.6) lock at the fifth PIN
// in a row, the fifteenth in all and the fiftieth OTP, and a quiet half hour
// ends a run of wrong PINs.
func TestCountWrong(t *testing.T) {
	r := New(Config{})
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var c varco.StepUpCounters
	for i := 1; i <= 4; i++ {
		if reason, _ := r.countWrong(&c, varco.MethodEmailPIN, t0); reason != "" {
			t.Fatalf("PIN %d locked: %s", i, reason)
		}
	}
	if reason, _ := r.countWrong(&c, varco.MethodEmailPIN, t0); reason != varco.LockPINConsecutive {
		t.Fatalf("fifth PIN in a row: %q", reason)
	}
	c = varco.StepUpCounters{PINConsecutive: 4, PINTotal: 4, PINLastFailedAt: t0}
	if reason, _ := r.countWrong(&c, varco.MethodEmailPIN, t0.Add(30*time.Minute)); reason != "" || c.PINConsecutive != 1 {
		t.Fatalf("after a quiet half hour: %q %+v", reason, c)
	}
	c = varco.StepUpCounters{PINTotal: 14}
	if reason, _ := r.countWrong(&c, varco.MethodEmailPIN, t0); reason != varco.LockPINTotal {
		t.Fatalf("fifteenth PIN: %q", reason)
	}
	c = varco.StepUpCounters{OTPTotal: 44}
	if reason, left := r.countWrong(&c, varco.MethodSMSOTP, t0); reason != "" || left != 5 {
		t.Fatalf("45th OTP: %q, %d left", reason, left)
	}
	c = varco.StepUpCounters{OTPTotal: 49}
	if reason, _ := r.countWrong(&c, varco.MethodSMSOTP, t0); reason != varco.LockOTPTotal {
		t.Fatalf("50th OTP: %q", reason)
	}
}
