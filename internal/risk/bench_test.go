package risk_test

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"syscall"
	"testing"
	"time"

	"varco.dev/varco/internal/geo"
	"varco.dev/varco/internal/geo/geotest"
	"varco.dev/varco/internal/risk"
)

// history10k returns 10,000 successful logins spread over the 180 days
// before now, newest first, from the places pick chooses.
func history10k(rng *rand.Rand, pick func(i int) place) []risk.Point {
	const n = 10_000
	h := make([]risk.Point, n)
	for i := range h {
		p := pick(i)
		ago := time.Duration(i) * (180 * day / n)
		h[i] = risk.Point{
			At: now.Add(-ago), Country: p.country, Lat: p.lat, Lon: p.lon, HasCoords: true,
			IP: netip.AddrFrom4([4]byte{2, 32, byte(rng.IntN(256)), byte(rng.IntN(256))}),
		}
	}
	return h
}

// BenchmarkEvaluate10kHistory evaluates logins against 10,000 past logins
// (180 days of a very active account) and reports the 99th percentile of one
// evaluation as p99-ns.
//
//   - usual: Milan, after logins from Milan and Rome (the common case).
//   - far_20_places: a traveller: 10,000 logins from 20 places, none
//     within 500 km of the current one.
//   - far_worst: the worst case for the distance rule: every past login is
//     in Italy at a different place, the current one is in Italy but more
//     than 500 km from all of them, at latitudes the quick latitude test
//     cannot rule out, so each of the 10,000 distances is computed.
//   - new_network: no location; the network rule compares 10,000 networks.
func BenchmarkEvaluate10kHistory(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	farCur := place{"IT", 45.5, 27, "2.40.1.1"} // east of every past login by more than 500 km
	cases := []struct {
		name    string
		cur     risk.Point
		history []risk.Point
		rule    string
	}{
		{"usual", milan.at(0), history10k(rng, func(i int) place {
			if i%3 == 0 {
				return rome
			}
			return milan
		}), risk.RuleNone},
		{"far_20_places", farCur.at(0), history10k(rng, func(i int) place {
			return place{"IT", 43 + float64(i%20)/4, 7 + float64(i%20)/2, ""}
		}), risk.RuleFarAway},
		{"far_worst", farCur.at(0), history10k(rng, func(int) place {
			return place{"IT", 43 + rng.Float64()*5, 7 + rng.Float64()*12, ""}
		}), risk.RuleFarAway},
		{"new_network", noGeo("9.9.9.9", 0), history10k(rng, func(int) place { return place{} }), risk.RuleNewNetwork},
	}
	// The most recent past login is a day old, so the speed rule passes.
	for _, c := range cases {
		for i := range c.history {
			c.history[i].At = c.history[i].At.Add(-day)
		}
		if c.rule == risk.RuleNewNetwork {
			for i := range c.history {
				c.history[i].HasCoords, c.history[i].Country = false, ""
			}
		}
	}
	th := risk.DefaultThresholds()
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			if d := risk.Evaluate(th, now, c.cur, c.history); d.Rule != c.rule {
				b.Fatalf("Rule = %q, want %q (%+v)", d.Rule, c.rule, d)
			}
			durs := make([]time.Duration, 0, 1<<16)
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				start := time.Now()
				risk.Evaluate(th, now, c.cur, c.history)
				durs = append(durs, time.Since(start))
			}
			reportCPU(b, cpu0, len(durs))
			reportP99(b, durs)
		})
	}
}

// BenchmarkRiskPerLogin is what risk adds to one login: the GeoIP lookup of
// the client address in a database of 125,000 networks, then Evaluate over
// 10,000 past logins. It reports the 99th percentile as p99-ns; the target
// is below 1 ms.
//
//   - usual: the account's logins come from 20 addresses (looked up in the
//     same database) and the current one is one of them.
//   - worst: the far_worst history of BenchmarkEvaluate10kHistory (10,000
//     distinct places) and addresses from anywhere, so every distance is
//     computed.
func BenchmarkRiskPerLogin(b *testing.B) {
	path, ips := geotest.BuildLarge(b, 100_000, 1)
	db := geo.New(geo.Options{Path: path, CheckInterval: -1})
	defer db.Close()
	if !db.Available() {
		b.Fatal("benchmark database did not load")
	}
	point := func(ip netip.Addr, at time.Time) risk.Point {
		loc, _ := db.Lookup(ip)
		return risk.NewPoint(at, ip, loc)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	own := ips[:20]
	usual := make([]risk.Point, 10_000)
	for i := range usual {
		usual[i] = point(own[rng.IntN(len(own))], now.Add(-day-time.Duration(i)*(179*day/10_000)))
	}
	worst := history10k(rng, func(int) place {
		return place{"IT", 43 + rng.Float64()*5, 7 + rng.Float64()*12, ""}
	})
	for i := range worst {
		worst[i].At = worst[i].At.Add(-day)
	}
	th := risk.DefaultThresholds()
	for _, c := range []struct {
		name    string
		clients []netip.Addr
		history []risk.Point
	}{
		{"usual", own, usual},
		{"worst", ips, worst},
	} {
		b.Run(c.name, func(b *testing.B) {
			durs := make([]time.Duration, 0, 1<<16)
			i := 0
			cpu0 := cpuTime()
			for b.Loop() {
				ip := c.clients[(i*7919)%len(c.clients)]
				i++
				start := time.Now()
				d := risk.Evaluate(th, now, point(ip, now), c.history)
				durs = append(durs, time.Since(start))
				if c.name == "usual" && d.StepUp {
					b.Fatalf("usual login from %s: %+v", ip, d)
				}
			}
			reportCPU(b, cpu0, len(durs))
			reportP99(b, durs)
		})
	}
}

func reportCPU(b *testing.B, cpu0 time.Duration, n int) {
	if n > 0 {
		b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(n), "cpu-ns/op")
	}
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

// cpuTime is the process's user and system CPU time so far. On a shared
// machine it tells the work done apart from the time spent waiting for a
// core, which wall-clock ns/op and p99-ns include.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
