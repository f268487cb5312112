package geo_test

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"varco.dev/varco/internal/geo"
	"varco.dev/varco/internal/geo/geotest"
)

// largeNetworks is the number of IPv4 networks in the benchmark database
// (plus a quarter as many IPv6 ones).
const largeNetworks = 100_000

// BenchmarkLookup looks up addresses spread over a database of 125,000
// networks with full GeoLite2-City records, and reports the 99th percentile
// of one lookup as p99-ns.
func BenchmarkLookup(b *testing.B) {
	path, ips := geotest.BuildLarge(b, largeNetworks, 1)
	db := geo.New(geo.Options{Path: path, CheckInterval: -1})
	defer db.Close()
	if !db.Available() {
		b.Fatal("benchmark database did not load")
	}
	// Visit the addresses in a scattered order, as real clients would.
	order := make([]netip.Addr, len(ips))
	for i := range ips {
		order[i] = ips[(i*7919)%len(ips)]
	}
	durs := make([]time.Duration, 0, 1<<20)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		ip := order[i%len(order)]
		i++
		start := time.Now()
		_, ok := db.Lookup(ip)
		durs = append(durs, time.Since(start))
		if !ok {
			b.Fatalf("Lookup(%s) not found", ip)
		}
	}
	reportP99(b, durs)
}

func reportP99(b *testing.B, durs []time.Duration) {
	if len(durs) == 0 {
		return
	}
	slices.Sort(durs)
	b.ReportMetric(float64(durs[0].Nanoseconds()), "min-ns")
	b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(durs[len(durs)*99/100].Nanoseconds()), "p99-ns")
}
