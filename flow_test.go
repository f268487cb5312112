package varco_test

import (
	"slices"
	"testing"

	"varco.dev/varco"
)

// TestMethodsRoundTrip: a method set reads back as it was written, in
// order, and the empty set is stored as "".
func TestMethodsRoundTrip(t *testing.T) {
	for _, ms := range []varco.Methods{nil, {varco.MethodEmailPIN}, {varco.MethodEmailPIN, varco.MethodSMSOTP}} {
		back := varco.ParseMethods(ms.String())
		if !slices.Equal(back, ms) {
			t.Errorf("%q read back as %q", ms.String(), back)
		}
	}
	ms := varco.ParseMethods("email_pin,sms_otp")
	if !ms.Has(varco.MethodSMSOTP) || ms.Has("sms") || varco.ParseMethods("").Has("") {
		t.Errorf("Has: %q", ms)
	}
}
