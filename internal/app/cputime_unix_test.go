//go:build unix

package app_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) this process has used:
// what a sign-in costs the server, which other load on a shared machine
// does not inflate the way it inflates wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
