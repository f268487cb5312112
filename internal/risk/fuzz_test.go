package risk_test

import (
	"encoding/binary"
	"math"
	"net/netip"
	"testing"
	"time"

	"varco.dev/varco/internal/risk"
)

// FuzzEvaluate feeds Evaluate arbitrary points, times and thresholds (NaN and
// infinite coordinates, zero and extreme times, invalid addresses): it never
// panics and always answers a known rule with finite numbers.
func FuzzEvaluate(f *testing.F) {
	f.Add(45.4643, 9.1895, true, "IT", int64(0), []byte{2, 32, 10, 1},
		41.8919, 12.5113, true, "IT", int64(3600), []byte{2, 34, 10, 1}, uint8(3), int64(0), 0.0, 0.0)
	f.Add(math.NaN(), math.Inf(1), true, "FR", int64(-1), []byte{},
		math.Inf(-1), 1e308, true, "", int64(math.MinInt64), []byte{1}, uint8(255), int64(-5), math.NaN(), math.Inf(1))
	f.Add(0.0, 0.0, false, "", int64(math.MaxInt64), make([]byte, 16),
		90.0, 180.0, true, "US", int64(math.MaxInt64), []byte{0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, uint8(0), int64(math.MaxInt64), -1.0, 1e-300)
	f.Add(-90.0, -180.0, true, "\xff\x00", int64(1), []byte{127, 0, 0, 1},
		-90.0, 180.0, true, "\xff\x00", int64(0), []byte{127, 0, 0, 2}, uint8(10), int64(1), 1e9, 1e-9)
	f.Fuzz(func(t *testing.T,
		curLat, curLon float64, curHas bool, curCountry string, curAgo int64, curIP []byte,
		pLat, pLon float64, pHas bool, pCountry string, pAgo int64, pIP []byte, n uint8,
		window int64, maxKm, maxKmh float64,
	) {
		now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
		ip := func(b []byte) netip.Addr {
			a, _ := netip.AddrFromSlice(b)
			return a
		}
		cur := risk.Point{At: now.Add(-time.Duration(curAgo)), IP: ip(curIP), Country: curCountry, Lat: curLat, Lon: curLon, HasCoords: curHas}
		if curAgo == math.MinInt64 {
			cur.At = time.Time{}
		}
		// n past logins derived from the fuzzed one: spread in time and
		// space, some with a zero time.
		history := make([]risk.Point, n)
		for i := range history {
			p := risk.Point{
				At:      now.Add(-time.Duration(pAgo) * time.Duration(i+1)),
				Country: pCountry, Lat: pLat + float64(i), Lon: pLon - float64(i), HasCoords: pHas && i%3 != 2,
			}
			if i%5 == 4 {
				p.At = time.Time{}
			}
			b := append([]byte(nil), pIP...)
			if len(b) >= 4 {
				binary.BigEndian.PutUint16(b[len(b)-2:], uint16(i))
			}
			p.IP = ip(b)
			history[i] = p
		}
		th := risk.Thresholds{Window: time.Duration(window), MaxDistanceKm: maxKm, MaxSpeedKmh: maxKmh}
		d := risk.Evaluate(th, now, cur, history)
		switch d.Rule {
		case risk.RuleNone, risk.RuleFirstLogin:
			if d.StepUp {
				t.Fatalf("StepUp with rule %q: %+v", d.Rule, d)
			}
		case risk.RuleImpossibleTravel, risk.RuleNewCountry, risk.RuleFarAway, risk.RuleNewNetwork:
			if !d.StepUp {
				t.Fatalf("no StepUp with rule %q: %+v", d.Rule, d)
			}
		default:
			t.Fatalf("unknown rule %q", d.Rule)
		}
		if (n == 0) != (d.Rule == risk.RuleFirstLogin) {
			t.Fatalf("%d past logins gave rule %q", n, d.Rule)
		}
		for _, x := range []float64{d.DistanceKm, d.SpeedKmh} {
			if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
				t.Fatalf("non-finite or negative number in %+v", d)
			}
		}
		if d.DistanceKm > math.Pi*risk.EarthRadiusKm+1e-6 {
			t.Fatalf("DistanceKm %v beyond half the Earth", d.DistanceKm)
		}
		_ = d.Reason("it")
		_ = d.Reason("en")
	})
}
