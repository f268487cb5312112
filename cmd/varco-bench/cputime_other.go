//go:build !unix

package main

import "time"

// processCPU is not measured outside Unix: the client reports 0.
func processCPU() time.Duration { return 0 }
