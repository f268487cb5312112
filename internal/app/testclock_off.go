//go:build !testclock

package app

import (
	"net/http"

	"varco.dev/varco/internal/clock"
)

// TestClockEnabled reports whether this build serves /_test/clock.
const TestClockEnabled = false

func defaultClock() clock.Clock { return clock.Real{} }

// registerTestClock adds nothing: a normal build has no test clock route.
func registerTestClock(*http.ServeMux, *App) {}
