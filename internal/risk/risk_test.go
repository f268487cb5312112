package risk_test

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"varco.dev/varco/internal/geo"
	"varco.dev/varco/internal/geo/geotest"
	"varco.dev/varco/internal/risk"
)

type place struct {
	country  string
	lat, lon float64
	ip       string
}

var (
	milan   = place{"IT", 45.4643, 9.1895, "2.32.10.1"}
	milan2  = place{"IT", 45.4643, 9.1895, "2.33.20.2"} // same city, other network
	bergamo = place{"IT", 45.6983, 9.6773, "2.36.1.1"}  // 45 km from Milan
	turin   = place{"IT", 45.0703, 7.6869, "2.37.1.1"}  // 126 km from Milan
	rome    = place{"IT", 41.8919, 12.5113, "2.34.10.1"}
	palermo = place{"IT", 38.1157, 13.3615, "2.38.1.1"} // 890 km from Milan
	paris   = place{"FR", 48.8534, 2.3488, "2.2.10.1"}
	munich  = place{"DE", 48.1374, 11.5755, "2.39.1.1"} // 350 km from Milan
	newYork = place{"US", 40.7128, -74.0060, "12.0.10.1"}
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// at is a login from p, ago before now.
func (p place) at(ago time.Duration) risk.Point {
	return risk.Point{At: now.Add(-ago), IP: netip.MustParseAddr(p.ip), Country: p.country, Lat: p.lat, Lon: p.lon, HasCoords: true}
}

// countryOnly is a login from p whose IP the database locates only to the
// country.
func (p place) countryOnly(ago time.Duration) risk.Point {
	pt := p.at(ago)
	pt.Lat, pt.Lon, pt.HasCoords = 0, 0, false
	return pt
}

// noGeo is a login from ip with no location (no database, or ip unknown).
func noGeo(ip string, ago time.Duration) risk.Point {
	return risk.Point{At: now.Add(-ago), IP: netip.MustParseAddr(ip)}
}

type riskCase struct {
	name    string
	cur     risk.Point
	history []risk.Point
	stepUp  bool
	rule    string
}

func runRisk(t *testing.T, cases []riskCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			// Evaluate wants the history newest first, as the store
			// returns it; the cases list it in whatever order reads best.
			history := newestFirst(tt.history)
			d := risk.Evaluate(risk.DefaultThresholds(), now, tt.cur, history)
			if d.StepUp != tt.stepUp || d.Rule != tt.rule {
				t.Errorf("Evaluate = %+v; want StepUp %v, Rule %q", d, tt.stepUp, tt.rule)
			}
		})
	}
}

func newestFirst(h []risk.Point) []risk.Point {
	if h == nil {
		return nil
	}
	out := slices.Clone(h)
	slices.SortStableFunc(out, func(a, b risk.Point) int { return b.At.Compare(a.At) })
	return out
}

func TestRisk_5_3_FirstLoginSetsBaseline(t *testing.T) {
	runRisk(t, []riskCase{
		{"from New York", newYork.at(0), nil, false, risk.RuleFirstLogin},
		{"without location", noGeo("5.5.5.5", 0), nil, false, risk.RuleFirstLogin},
		{"empty history slice", milan.at(0), []risk.Point{}, false, risk.RuleFirstLogin},
	})
}

func TestRisk_5_3_NewCountry(t *testing.T) {
	runRisk(t, []riskCase{
		{"Milan to Rome: same country, 477 km", rome.at(0), []risk.Point{milan.at(3 * day)}, false, risk.RuleNone},
		{"Milan to Milan", milan.at(0), []risk.Point{milan.at(3 * day)}, false, risk.RuleNone},
		{"Milan to Paris", paris.at(0), []risk.Point{milan.at(3 * day)}, true, risk.RuleNewCountry},
		{"Milan to Munich: near, but another country", munich.at(0), []risk.Point{milan.at(3 * day)}, true, risk.RuleNewCountry},
		{"Milan to New York ten hours later", newYork.at(0), []risk.Point{milan.at(10 * time.Hour)}, true, risk.RuleNewCountry},
		{"Paris seen in the window", paris.at(0), []risk.Point{milan.at(1 * day), paris.at(100 * day)}, false, risk.RuleNone},
		{"country known only by country", paris.countryOnly(0), []risk.Point{milan.at(1 * day)}, true, risk.RuleNewCountry},
		{"usual country known only by country", milan.countryOnly(0), []risk.Point{rome.at(1 * day)}, false, risk.RuleNone},
		{"past logins known only by country", paris.at(0), []risk.Point{milan.countryOnly(1 * day)}, true, risk.RuleNewCountry},
	})
}

func TestRisk_5_3_FarFromUsualPlaces(t *testing.T) {
	runRisk(t, []riskCase{
		{"Milan to Palermo: 890 km", palermo.at(0), []risk.Point{milan.at(2 * day)}, true, risk.RuleFarAway},
		{"Palermo near Rome, seen before", palermo.at(0), []risk.Point{milan.at(2 * day), rome.at(30 * day)}, false, risk.RuleNone},
		{"Milan to Rome: 477 km", rome.at(0), []risk.Point{milan.at(2 * day)}, false, risk.RuleNone},
		{"past logins without coordinates cannot be far", palermo.at(0), []risk.Point{milan.countryOnly(2 * day)}, false, risk.RuleNone},
		{"current login without coordinates cannot be far", palermo.countryOnly(0), []risk.Point{milan.at(2 * day)}, false, risk.RuleNone},
	})
}

func TestRisk_5_3_ImpossibleTravel(t *testing.T) {
	runRisk(t, []riskCase{
		{"Milan to New York 10 minutes later", newYork.at(0), []risk.Point{milan.at(10 * time.Minute)}, true, risk.RuleImpossibleTravel},
		{"Milan to Rome 10 minutes later", rome.at(0), []risk.Point{milan.at(10 * time.Minute)}, true, risk.RuleImpossibleTravel},
		{"Milan to Rome 1 hour later: 477 km/h", rome.at(0), []risk.Point{milan.at(time.Hour)}, false, risk.RuleNone},
		{"Milan to Turin 1 minute later: 126 km", turin.at(0), []risk.Point{milan.at(time.Minute)}, true, risk.RuleImpossibleTravel},
		{"Milan to Bergamo 1 minute later: same place", bergamo.at(0), []risk.Point{milan.at(time.Minute)}, false, risk.RuleNone},
		{"same city a minute later", milan2.at(0), []risk.Point{milan.at(time.Minute)}, false, risk.RuleNone},
		{"same city, same instant", milan.at(0), []risk.Point{milan.at(0)}, false, risk.RuleNone},
		{"same city, previous login stamped in the future", milan.at(0), []risk.Point{milan.at(-time.Minute)}, false, risk.RuleNone},
		{"Paris at the same instant as Milan", paris.at(0), []risk.Point{milan.at(0)}, true, risk.RuleImpossibleTravel},
		// The previous login is the most recent one, not the nearest.
		{"back to Milan 30 minutes after Paris", milan.at(0), []risk.Point{milan.at(2 * day), paris.at(30 * time.Minute)}, true, risk.RuleImpossibleTravel},
		{"back to Milan 2 days after Paris", milan.at(0), []risk.Point{milan.at(5 * day), paris.at(2 * day)}, false, risk.RuleNone},
		// A later login without coordinates does not hide the last place.
		{"previous login has no coordinates", newYork.at(0), []risk.Point{milan.at(20 * time.Minute), noGeo("5.5.5.5", 5*time.Minute)}, true, risk.RuleImpossibleTravel},
		// The previous login counts for speed even outside the window.
		{"previous login older than the window", newYork.at(0), []risk.Point{milan.at(200 * day)}, true, risk.RuleNewCountry},
	})
}

func TestRisk_5_3_Window180Days(t *testing.T) {
	runRisk(t, []riskCase{
		{"only login 181 days ago, same place", milan.at(0), []risk.Point{milan.at(181 * day)}, true, risk.RuleNewCountry},
		{"login exactly 180 days ago counts", milan.at(0), []risk.Point{milan.at(180 * day)}, false, risk.RuleNone},
		{"France seen only 200 days ago", paris.at(0), []risk.Point{milan.at(1 * day), paris.at(200 * day)}, true, risk.RuleNewCountry},
		{"Rome seen only 200 days ago, far from Milan", palermo.at(0), []risk.Point{milan.at(1 * day), rome.at(200 * day)}, true, risk.RuleFarAway},
		{"dormant account without location", noGeo("2.32.10.1", 0), []risk.Point{noGeo("2.32.10.1", 181*day)}, true, risk.RuleNewNetwork},
		{"zero time counts as outside", milan.at(0), []risk.Point{{IP: netip.MustParseAddr(milan.ip), Country: "IT"}}, true, risk.RuleNewCountry},
	})
}

func TestRisk_5_3_NoGeoFallsBackToNetwork(t *testing.T) {
	runRisk(t, []riskCase{
		{"same /24", noGeo("2.32.10.77", 0), []risk.Point{noGeo("2.32.10.1", day)}, false, risk.RuleNone},
		{"other /24", noGeo("2.32.11.1", 0), []risk.Point{noGeo("2.32.10.1", day)}, true, risk.RuleNewNetwork},
		{"IPv4-mapped, same /24", noGeo("::ffff:2.32.10.5", 0), []risk.Point{noGeo("2.32.10.1", day)}, false, risk.RuleNone},
		{"same /48", noGeo("2001:b07:1:ffff::1", 0), []risk.Point{noGeo("2001:b07:1::1", day)}, false, risk.RuleNone},
		{"other /48", noGeo("2001:b07:2::1", 0), []risk.Point{noGeo("2001:b07:1::1", day)}, true, risk.RuleNewNetwork},
		{"the network was seen only before the window", noGeo("2.32.10.77", 0), []risk.Point{noGeo("2.32.10.1", 181*day), noGeo("9.9.9.9", day)}, true, risk.RuleNewNetwork},
		// The network of a located past login counts too.
		{"unknown IP in a usual network", noGeo("2.32.10.200", 0), []risk.Point{milan.at(day)}, false, risk.RuleNone},
		// Past logins predate the database: nothing to compare the place
		// with, so the network decides.
		{"located now, past logins not located, same network", milan.at(0), []risk.Point{noGeo("2.32.10.9", day)}, false, risk.RuleNone},
		{"located now, past logins not located, other network", paris.at(0), []risk.Point{noGeo("2.32.10.9", day)}, true, risk.RuleNewNetwork},
		{"no IP at all", risk.Point{At: now}, []risk.Point{noGeo("2.32.10.1", day)}, true, risk.RuleNewNetwork},
	})
}

func TestRisk_5_3_Precedence(t *testing.T) {
	// New York ten minutes after Milan is a new country, far away and
	// impossible travel at once: the speed rule names it.
	d := risk.Evaluate(risk.DefaultThresholds(), now, newYork.at(0), []risk.Point{milan.at(10 * time.Minute)})
	if d.Rule != risk.RuleImpossibleTravel || d.Country != "US" {
		t.Errorf("Rule = %q, Country %q; want impossible_travel, US", d.Rule, d.Country)
	}
	if d.SpeedKmh < 38000 || d.SpeedKmh > 40000 || math.Abs(d.DistanceKm-6470) > 65 {
		t.Errorf("SpeedKmh = %.0f, DistanceKm = %.0f; want about 38,800 km/h over 6,470 km", d.SpeedKmh, d.DistanceKm)
	}
	// Paris a day after Milan is a new country and 640 km away: the
	// country names it.
	d = risk.Evaluate(risk.DefaultThresholds(), now, paris.at(0), []risk.Point{milan.at(day)})
	if d.Rule != risk.RuleNewCountry || math.Abs(d.DistanceKm-640) > 10 {
		t.Errorf("Rule = %q, DistanceKm = %.0f; want new_country, about 640", d.Rule, d.DistanceKm)
	}
	// far_away reports the distance to the nearest usual place.
	d = risk.Evaluate(risk.DefaultThresholds(), now, palermo.at(0), []risk.Point{rome.countryOnly(day), paris.at(2 * day), milan.at(3 * day)})
	if d.Rule != risk.RuleFarAway || math.Abs(d.DistanceKm-887) > 5 {
		t.Errorf("Evaluate = %+v; want far_away, about 887 km (Milan)", d)
	}
	// A usual login reports the distance to a usual place within the limit.
	d = risk.Evaluate(risk.DefaultThresholds(), now, rome.at(0), []risk.Point{milan.at(day), paris.at(2 * day)})
	if d.StepUp || math.Abs(d.DistanceKm-477) > 5 {
		t.Errorf("Evaluate = %+v; want no step-up, about 477 km", d)
	}
	// When the nearest place is within the limit, DistanceKm is the first
	// one found within it.
	d = risk.Evaluate(risk.DefaultThresholds(), now, rome.at(0), []risk.Point{palermo.at(day), milan.at(2 * day)})
	if d.StepUp || math.Abs(d.DistanceKm-426) > 5 {
		t.Errorf("Evaluate = %+v; want no step-up, about 426 km", d)
	}
}

func TestThresholds(t *testing.T) {
	h := []risk.Point{milan.at(day)}
	if a, b := risk.Evaluate(risk.Thresholds{}, now, palermo.at(0), h), risk.Evaluate(risk.DefaultThresholds(), now, palermo.at(0), h); a != b {
		t.Errorf("zero Thresholds = %+v, defaults = %+v", a, b)
	}
	bad := risk.Thresholds{Window: -1, MaxDistanceKm: math.NaN(), MaxSpeedKmh: math.Inf(1), NearbyKm: -5, MinInterval: -time.Second}
	if a, b := risk.Evaluate(bad, now, palermo.at(0), h), risk.Evaluate(risk.DefaultThresholds(), now, palermo.at(0), h); a != b {
		t.Errorf("invalid Thresholds = %+v, defaults = %+v", a, b)
	}
	// A larger radius makes Palermo usual.
	th := risk.DefaultThresholds()
	th.MaxDistanceKm = 1000
	if d := risk.Evaluate(th, now, palermo.at(0), h); d.StepUp {
		t.Errorf("with 1000 km: %+v, want no step-up", d)
	}
	// A shorter window forgets a login of 10 days ago.
	th = risk.DefaultThresholds()
	th.Window = 7 * day
	if d := risk.Evaluate(th, now, paris.at(0), []risk.Point{milan.at(day), paris.at(10 * day)}); d.Rule != risk.RuleNewCountry {
		t.Errorf("with a 7-day window: %+v, want new_country", d)
	}
}

func TestDistanceKm(t *testing.T) {
	tests := []struct {
		name   string
		a, b   place
		wantKm float64
	}{
		{"Milan-Rome", milan, rome, 477},
		{"Milan-Paris", milan, paris, 640},
		{"Milan-New York", milan, newYork, 6470},
		{"Milan-Milan", milan, milan, 0},
	}
	for _, tt := range tests {
		got := risk.DistanceKm(tt.a.lat, tt.a.lon, tt.b.lat, tt.b.lon)
		if math.Abs(got-tt.wantKm) > tt.wantKm*0.01+0.001 {
			t.Errorf("%s = %.1f km, want %.0f ± 1%%", tt.name, got, tt.wantKm)
		}
		if back := risk.DistanceKm(tt.b.lat, tt.b.lon, tt.a.lat, tt.a.lon); math.Abs(back-got) > 1e-9 {
			t.Errorf("%s is not symmetric: %v and %v", tt.name, got, back)
		}
	}
	// Antipodes: half the circumference; across the antimeridian: short.
	if got := risk.DistanceKm(0, 0, 0, 180); math.Abs(got-math.Pi*risk.EarthRadiusKm) > 1e-6 {
		t.Errorf("antipodes = %v", got)
	}
	if got := risk.DistanceKm(0, 179.5, 0, -179.5); math.Abs(got-111.2) > 0.5 {
		t.Errorf("across the antimeridian = %v, want about 111 km", got)
	}
	if got := risk.DistanceKm(math.NaN(), 0, 0, 0); !math.IsNaN(got) {
		t.Errorf("NaN input = %v, want NaN", got)
	}
}

func TestDecisionReason(t *testing.T) {
	tests := []struct {
		d      risk.Decision
		en, it string
	}{
		{risk.Decision{StepUp: true, Rule: risk.RuleNewCountry, Country: "FR"}, "new country: France", "nuovo paese: Francia"},
		{risk.Decision{StepUp: true, Rule: risk.RuleNewCountry, Country: "US"}, "new country: United States", "nuovo paese: Stati Uniti"},
		{risk.Decision{StepUp: true, Rule: risk.RuleNewCountry}, "new country", "nuovo paese"},
		{risk.Decision{StepUp: true, Rule: risk.RuleFarAway, Country: "IT", DistanceKm: 849.6}, "far from usual places: 850 km", "lontano dai luoghi abituali: 850 km"},
		{risk.Decision{StepUp: true, Rule: risk.RuleImpossibleTravel, SpeedKmh: 6400.2}, "impossible travel: 6400 km/h", "viaggio impossibile: 6400 km/h"},
		{risk.Decision{StepUp: true, Rule: risk.RuleNewNetwork}, "new network", "nuova rete"},
		{risk.Decision{Rule: risk.RuleNone}, "", ""},
		{risk.Decision{Rule: risk.RuleFirstLogin}, "", ""},
		{risk.Decision{StepUp: true, Rule: risk.RuleFarAway, DistanceKm: math.NaN()}, "far from usual places: ? km", "lontano dai luoghi abituali: ? km"},
	}
	for _, tt := range tests {
		if got := tt.d.Reason("en"); got != tt.en {
			t.Errorf("%+v Reason(en) = %q, want %q", tt.d, got, tt.en)
		}
		if got := tt.d.Reason("it"); got != tt.it {
			t.Errorf("%+v Reason(it) = %q, want %q", tt.d, got, tt.it)
		}
	}
	// Any other language gets English.
	d := risk.Decision{StepUp: true, Rule: risk.RuleNewCountry, Country: "FR"}
	if got := d.Reason("de"); got != "new country: France" {
		t.Errorf("Reason(de) = %q", got)
	}
}

// TestRisk_5_3_WithGeoDatabase runs the rules on locations from a real
// (test) database, as the login flow will.
func TestRisk_5_3_WithGeoDatabase(t *testing.T) {
	db := geo.Open(geotest.Standard(t), nil)
	defer db.Close()
	login := func(ip string, ago time.Duration) risk.Point {
		addr := netip.MustParseAddr(ip)
		loc, _ := db.Lookup(addr)
		return risk.NewPoint(now.Add(-ago), addr, loc)
	}
	history := []risk.Point{login(geotest.MilanIP, day), login(geotest.MilanIPv6, 2*day)}
	tests := []struct {
		ip     string
		rule   string
		reason string
	}{
		{geotest.MilanIP2, risk.RuleNone, ""},
		{geotest.RomeIP, risk.RuleNone, ""},
		{geotest.ItalyOnlyIP, risk.RuleNone, ""},
		{geotest.ParisIP, risk.RuleNewCountry, "nuovo paese: Francia"},
		{geotest.NewYorkIP, risk.RuleNewCountry, "nuovo paese: Stati Uniti"},
		{geotest.UnknownIP, risk.RuleNewNetwork, "nuova rete"},
		{"2.32.10.200", risk.RuleNone, ""},
	}
	for _, tt := range tests {
		d := risk.Evaluate(risk.DefaultThresholds(), now, login(tt.ip, 0), history)
		if d.Rule != tt.rule || d.Reason("it") != tt.reason {
			t.Errorf("login from %s: %+v, %q; want %q, %q", tt.ip, d, d.Reason("it"), tt.rule, tt.reason)
		}
	}
}

// The distance far_away reports is the nearest usual place's, or at most
// about 5 % more, however many places there are.
func TestRisk_5_3_FarAwayDistanceNearlyExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for round := range 50 {
		cur := place{"IT", rng.Float64()*160 - 80, rng.Float64()*360 - 180, "2.40.1.1"}
		var history []risk.Point
		nearest := math.Inf(1)
		for i := range 2000 {
			p := place{"IT", rng.Float64()*160 - 80, rng.Float64()*360 - 180, "2.41.1.1"}
			d := risk.DistanceKm(cur.lat, cur.lon, p.lat, p.lon)
			if d <= 500 {
				continue
			}
			nearest = min(nearest, d)
			history = append(history, p.at(day+time.Duration(i)*time.Minute))
		}
		d := risk.Evaluate(risk.DefaultThresholds(), now, cur.at(0), history)
		if d.Rule != risk.RuleFarAway {
			t.Fatalf("round %d: %+v, want far_away", round, d)
		}
		if d.DistanceKm < nearest-1e-6 || d.DistanceKm > nearest*1.06 {
			t.Errorf("round %d: DistanceKm %.1f, nearest %.1f", round, d.DistanceKm, nearest)
		}
	}
}
