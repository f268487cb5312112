package web

import (
	"slices"
	"testing"

	"varco.dev/varco"
)

func TestParsePolicyInput(t *testing.T) {
	ok := policyInput{MaxAge: " 60 ", Warning: "14, 7 ,1", Inactivity: "15", Grace: "10", History: "0"}
	p, errs := parsePolicyInput(ok)
	if len(errs) != 0 || p.MaxAgeDays != 60 || !slices.Equal(p.WarningDays, []int{14, 7, 1}) || p.InactivityDays != 15 ||
		p.SuspensionGraceDays != 10 || p.HistoryDepth != 0 {
		t.Fatalf("parse %+v: %+v %v", ok, p, errs)
	}
	tests := []struct {
		name string
		in   policyInput
		errs map[string]string
	}{
		{"empty warnings are none", policyInput{"1", "  ", "1", "1", "0"}, map[string]string{}},
		{"all empty", policyInput{}, map[string]string{varco.FieldMaxAgeDays: "policy.err.required",
			varco.FieldInactivityDays: "policy.err.required", varco.FieldSuspensionGraceDays: "policy.err.required",
			varco.FieldHistoryDepth: "policy.err.required"}},
		{"words", policyInput{"ten", "a,b", "1.5", "1e3", "0x10"}, map[string]string{varco.FieldMaxAgeDays: "policy.err.number",
			varco.FieldWarningDays: "policy.err.days_list", varco.FieldInactivityDays: "policy.err.number",
			varco.FieldSuspensionGraceDays: "policy.err.number", varco.FieldHistoryDepth: "policy.err.number"}},
		{"huge number", policyInput{"99999999999999999999", "1", "1", "1", "1"}, map[string]string{varco.FieldMaxAgeDays: "policy.err.number"}},
		{"empty list item", policyInput{"30", "20,,5", "1", "1", "1"}, map[string]string{varco.FieldWarningDays: "policy.err.days_list"}},
		{"trailing comma", policyInput{"30", "20,", "1", "1", "1"}, map[string]string{varco.FieldWarningDays: "policy.err.days_list"}},
		{"negative is a number: Validate refuses it", policyInput{"-5", "-1", "1", "1", "1"}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, errs := parsePolicyInput(tt.in); !mapsEqual(errs, tt.errs) {
				t.Fatalf("errs %v, want %v", errs, tt.errs)
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// FuzzParsePolicyInput: the policy form is untrusted input. Parsing never
// panics, names only real fields, and what it accepts and Validate passes
// reads back the same once written out as the form shows it.
func FuzzParsePolicyInput(f *testing.F) {
	f.Add("90", "20,10,5,3,2,1", "30", "30", "5")
	f.Add(" 60", "14, 7 ,1", "15", "10", "0")
	f.Add("", "", "", "", "")
	f.Add("1", "1,,2", "x", "-3", "99999999999999999999")
	f.Fuzz(func(t *testing.T, maxAge, warning, inactivity, grace, history string) {
		p, errs := parsePolicyInput(policyInput{maxAge, warning, inactivity, grace, history})
		for field, key := range errs {
			switch field {
			case varco.FieldMaxAgeDays, varco.FieldWarningDays, varco.FieldInactivityDays,
				varco.FieldSuspensionGraceDays, varco.FieldHistoryDepth:
			default:
				t.Fatalf("error for unknown field %q", field)
			}
			if translate(varco.LangEN, key) == "[["+key+"]]" {
				t.Fatalf("error key %q not in the catalog", key)
			}
		}
		if len(errs) != 0 || p.Validate() != nil {
			return
		}
		back, errs := parsePolicyInput(inputOf(p))
		if len(errs) != 0 || back.MaxAgeDays != p.MaxAgeDays || !slices.Equal(back.WarningDays, p.WarningDays) ||
			back.InactivityDays != p.InactivityDays || back.SuspensionGraceDays != p.SuspensionGraceDays ||
			back.HistoryDepth != p.HistoryDepth {
			t.Fatalf("round trip: %+v → %+v (%v)", p, back, errs)
		}
	})
}
