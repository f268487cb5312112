package varco

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDefaultPolicyIsTheSeed(t *testing.T) {
	// [seed] SPEC §2.3–2.5: 3 months, warnings from 20 days before, 1 month
	// of inactivity, 1 month of grace before suspension.
	p := DefaultPolicy()
	if p.MaxAgeDays != 90 || p.WarningDays[0] != 20 || p.InactivityDays != 30 || p.SuspensionGraceDays != 30 || p.HistoryDepth != 5 {
		t.Fatalf("default policy %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestPolicyValidate(t *testing.T) {
	ok := Policy{MaxAgeDays: 60, WarningDays: []int{1, 14, 7}, InactivityDays: 10, SuspensionGraceDays: 5, HistoryDepth: 0}
	if err := ok.Validate(); err != nil || !slices.Equal(ok.WarningDays, []int{14, 7, 1}) {
		t.Fatalf("Validate = %v, days %v", err, ok.WarningDays)
	}
	for name, p := range map[string]Policy{
		"max age 0":        {MaxAgeDays: 0, InactivityDays: 1, SuspensionGraceDays: 1},
		"warning too late": {MaxAgeDays: 30, WarningDays: []int{30}, InactivityDays: 1, SuspensionGraceDays: 1},
		"warning zero":     {MaxAgeDays: 30, WarningDays: []int{0}, InactivityDays: 1, SuspensionGraceDays: 1},
		"duplicate":        {MaxAgeDays: 30, WarningDays: []int{3, 3}, InactivityDays: 1, SuspensionGraceDays: 1},
		"history":          {MaxAgeDays: 30, InactivityDays: 1, SuspensionGraceDays: 1, HistoryDepth: 99},
		"grace":            {MaxAgeDays: 30, InactivityDays: 1, SuspensionGraceDays: 0},
		"inactivity":       {MaxAgeDays: 30, InactivityDays: 5000, SuspensionGraceDays: 1},
	} {
		if err := p.Validate(); ErrorCode(err) != EInvalid {
			t.Errorf("%s: Validate = %v", name, err)
		}
	}
}

func TestPolicyExpiryHelpers(t *testing.T) {
	p := DefaultPolicy()
	changed := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	if got := p.ExpiresAt(changed); !got.Equal(changed.Add(90 * Day)) {
		t.Fatalf("ExpiresAt = %v", got)
	}
	if p.FirstWarning() != 20 || (Policy{}).FirstWarning() != 0 {
		t.Fatalf("FirstWarning = %d", p.FirstWarning())
	}
	if (Policy{WarningDays: []int{3, 14, 7}}).FirstWarning() != 14 {
		t.Fatal("FirstWarning must not depend on order")
	}
}

// TestPolicyValidateNamesTheField: a form shows Validate's error next to
// the field it names, with the bounds that field takes.
func TestPolicyValidateNamesTheField(t *testing.T) {
	base := func() Policy {
		return Policy{MaxAgeDays: 30, WarningDays: []int{7}, InactivityDays: 10, SuspensionGraceDays: 5, HistoryDepth: 3}
	}
	tests := []struct {
		name  string
		edit  func(p *Policy)
		want  PolicyError
		inMsg string
	}{
		{"max age", func(p *Policy) { p.MaxAgeDays = 0 }, PolicyError{Field: FieldMaxAgeDays, Min: 1, Max: 3650}, "max_age_days"},
		{"inactivity", func(p *Policy) { p.InactivityDays = 3651 }, PolicyError{Field: FieldInactivityDays, Min: 1, Max: 3650}, "inactivity_days"},
		{"grace", func(p *Policy) { p.SuspensionGraceDays = -1 }, PolicyError{Field: FieldSuspensionGraceDays, Min: 1, Max: 3650}, "suspension_grace_days"},
		{"history", func(p *Policy) { p.HistoryDepth = 25 }, PolicyError{Field: FieldHistoryDepth, Min: 0, Max: 24}, "history_depth"},
		{"warning too late", func(p *Policy) { p.WarningDays = []int{30} }, PolicyError{Field: FieldWarningDays, Min: 1, Max: 29}, "got 30"},
		{"warning twice", func(p *Policy) { p.WarningDays = []int{3, 3} }, PolicyError{Field: FieldWarningDays, Duplicate: 3}, "twice"},
		{"too many warnings", func(p *Policy) { p.WarningDays = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11} },
			PolicyError{Field: FieldWarningDays, Max: 10, TooMany: true}, "at most 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base()
			tt.edit(&p)
			err := p.Validate()
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("Validate = %v, want a *PolicyError", err)
			}
			got := *pe
			got.err = nil
			if got != tt.want {
				t.Fatalf("PolicyError = %+v, want %+v", got, tt.want)
			}
			if ErrorCode(err) != EInvalid || !strings.Contains(ErrorMessage(err), tt.inMsg) {
				t.Fatalf("code %q message %q", ErrorCode(err), ErrorMessage(err))
			}
		})
	}
}
