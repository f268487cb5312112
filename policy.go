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

// Policy fields, as the API and the forms name them.
const (
	FieldMaxAgeDays          = "max_age_days"
	FieldWarningDays         = "warning_days"
	FieldInactivityDays      = "inactivity_days"
	FieldSuspensionGraceDays = "suspension_grace_days"
	FieldHistoryDepth        = "history_depth"
)

// Policy limits: what Validate accepts.
const (
	MaxPolicyDays   = 3650 // every period is 1 to 3650 days
	MaxHistoryDepth = 24   // 0 to 24 previous passwords
	MaxWarningDays  = 10   // at most 10 warning days
)

// PolicyError says which field of a policy Validate refused and why, so a
// form can show the reason next to the field in its own language. It wraps
// the EInvalid *Error the API answers with.
type PolicyError struct {
	Field string // one of the Field… constants
	// Min and Max bound the value (for warning_days: each day); Max alone
	// bounds the number of warning days when TooMany is set.
	Min, Max int
	// Duplicate is a warning day listed twice (0 when none).
	Duplicate int
	TooMany   bool
	err       *Error
}

func (e *PolicyError) Error() string { return e.err.Error() }
func (e *PolicyError) Unwrap() error { return e.err }

// Validate checks a policy and sorts its warning days, most distant first.
// Errors are a *PolicyError wrapping an EInvalid *Error whose message names
// the field.
func (p *Policy) Validate() error {
	outOfRange := func(field string, v, lo, hi int) error {
		if v >= lo && v <= hi {
			return nil
		}
		return &PolicyError{Field: field, Min: lo, Max: hi,
			err: E(EInvalid, "error.policy_range", field, lo, hi)}
	}
	for _, err := range []error{
		outOfRange(FieldMaxAgeDays, p.MaxAgeDays, 1, MaxPolicyDays),
		outOfRange(FieldInactivityDays, p.InactivityDays, 1, MaxPolicyDays),
		outOfRange(FieldSuspensionGraceDays, p.SuspensionGraceDays, 1, MaxPolicyDays),
		outOfRange(FieldHistoryDepth, p.HistoryDepth, 0, MaxHistoryDepth),
	} {
		if err != nil {
			return err
		}
	}
	if len(p.WarningDays) > MaxWarningDays {
		return &PolicyError{Field: FieldWarningDays, Max: MaxWarningDays, TooMany: true,
			err: E(EInvalid, "error.warning_count", MaxWarningDays)}
	}
	seen := map[int]bool{}
	for _, d := range p.WarningDays {
		if d < 1 || d >= p.MaxAgeDays {
			return &PolicyError{Field: FieldWarningDays, Min: 1, Max: p.MaxAgeDays - 1,
				err: E(EInvalid, "error.warning_range", d)}
		}
		if seen[d] {
			return &PolicyError{Field: FieldWarningDays, Duplicate: d,
				err: E(EInvalid, "error.warning_duplicate", d)}
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
