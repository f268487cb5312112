//go:build !unix

package testenv

import "time"

// ProcessCPU is not measured outside Unix: CPU benchmarks report 0.
func ProcessCPU() time.Duration { return 0 }
