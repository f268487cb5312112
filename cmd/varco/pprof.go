//go:build pprof

package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
)

// A binary built with -tags pprof serves the Go profiler on the loopback
// address in VARCO_PPROF_LISTEN (for scripts/bench-http.sh PROFILE=1); a
// normal build has no profiler at all.
func init() {
	addr := os.Getenv("VARCO_PPROF_LISTEN")
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(os.Stderr, "VARCO_PPROF_LISTEN %q: not a loopback address, profiler off\n", addr)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	go func() { _ = http.ListenAndServe(addr, mux) }()
}
