//go:build !unix

package app_test

import "time"

// processCPU is not measured outside Unix: the CPU benchmark reports 0.
func processCPU() time.Duration { return 0 }
