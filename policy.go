package varco

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Policy is an organization's password lifecycle (SPEC §2.3–2.7). The
// defaults are the seed's values.
type Policy struct {
	MaxAgeDays          int   // a password expires this many days after it is set (seed: 3 months)
	WarningDays         []int // warn this many days before expiry, most distant first (seed: from 20 days)
	InactivityDays      int   // ask to sign in after this many days without one (seed: 1 month)
	SuspensionGraceDays int   // suspend this many days after expiry without a change (seed: 1 month)
	HistoryDepth        int   // a new password may not equal one of the last N
}

// DefaultPolicy returns the seed's policy.
func DefaultPolicy() Policy {
	return Policy{MaxAgeDays: 90, WarningDays: []int{20, 10, 5, 3, 2, 1}, InactivityDays: 30,
		SuspensionGraceDays: 30, HistoryDepth: 5}
}

// Validate checks a policy and sorts its warning days, most distant first.
// Errors are EInvalid with a message naming the field.
func (p *Policy) Validate() error {
	bad := func(format string, args ...any) error { return Errorf(EInvalid, format, args...) }
	switch {
	case p.MaxAgeDays < 1 || p.MaxAgeDays > 3650:
		return bad("max_age_days must be between 1 and 3650.")
	case p.InactivityDays < 1 || p.InactivityDays > 3650:
		return bad("inactivity_days must be between 1 and 3650.")
	case p.SuspensionGraceDays < 1 || p.SuspensionGraceDays > 3650:
		return bad("suspension_grace_days must be between 1 and 3650.")
	case p.HistoryDepth < 0 || p.HistoryDepth > 24:
		return bad("history_depth must be between 0 and 24.")
	case len(p.WarningDays) > 10:
		return bad("warning_days holds at most 10 days.")
	}
	seen := map[int]bool{}
	for _, d := range p.WarningDays {
		if d < 1 || d >= p.MaxAgeDays {
			return bad("warning_days must be between 1 and max_age_days - 1 (got %d).", d)
		}
		if seen[d] {
			return bad("warning_days lists %d twice.", d)
		}
		seen[d] = true
	}
	sort.Sort(sort.Reverse(sort.IntSlice(p.WarningDays)))
	return nil
}

// FormatDays writes warning days as stored: "20,10,5".
func FormatDays(days []int) string {
	s := ""
	for i, d := range days {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(d)
	}
	return s
}

// Day is the unit of every policy period.
const Day = 24 * time.Hour

// ExpiresAt is when a password set at changed expires.
func (p Policy) ExpiresAt(changed time.Time) time.Time {
	return changed.Add(time.Duration(p.MaxAgeDays) * Day)
}

// FirstWarning is the most distant warning day, 0 when there is none.
func (p Policy) FirstWarning() int {
	first := 0
	for _, d := range p.WarningDays {
		first = max(first, d)
	}
	return first
}

// DaysLeft is ceil((expires − now) / 24 h), as SPEC §9a defines it.
func DaysLeft(expires, now time.Time) int {
	return int(math.Ceil(float64(expires.Sub(now)) / float64(Day)))
}
