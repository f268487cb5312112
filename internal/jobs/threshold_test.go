package jobs

import (
	"testing"
	"time"

	"varco.dev/varco"
)

func TestDaysLeft(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   time.Duration
		want int
	}{
		{20 * day, 20}, {20*day - time.Second, 20}, {19*day + time.Second, 20}, {19 * day, 19},
		{time.Second, 1}, {0, 0}, {-time.Hour, 0},
	} {
		if got := varco.DaysLeft(now.Add(tt.in), now); got != tt.want {
			t.Errorf("DaysLeft(+%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestThreshold: the warning for N days goes out the first time days left
// ≤ N, and a jump across several thresholds sends only the most urgent one
// (SPEC §9a).
func TestThreshold(t *testing.T) {
	w := []int{20, 10, 5, 3, 2, 1}
	for _, tt := range []struct{ left, want int }{
		{21, 0}, {20, 20}, {15, 20}, {11, 20}, {10, 10}, {6, 10}, {5, 5}, {4, 5}, {3, 3}, {2, 2}, {1, 1}, {0, 1},
	} {
		if got := threshold(w, tt.left); got != tt.want {
			t.Errorf("threshold(%d) = %d, want %d", tt.left, got, tt.want)
		}
	}
	if threshold(nil, 3) != 0 {
		t.Error("no warning days still warned")
	}
}
