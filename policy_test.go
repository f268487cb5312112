package varco

import (
	"slices"
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
