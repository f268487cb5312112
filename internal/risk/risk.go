// Package risk decides whether a login from a place needs a step-up (SPEC
// §5.3): a country not seen in the account's successful logins of the last
// 180 days, more than 500 km from every such login, or an implied speed
// above 1000 km/h from the previous login. Without location data it falls
// back to the client's IP network. Everything here is a pure function of its
// arguments: no I/O, no clock.
package risk

import (
	"math"
	"net/netip"
	"time"

	"varco.dev/varco/internal/geo"
)

// Rules, as Decision.Rule. They are stable identifiers (logs, audit details).
const (
	// RuleNone: the login looks usual; no step-up.
	RuleNone = ""
	// RuleFirstLogin: the account has no successful login yet; this one
	// sets its baseline and needs no step-up.
	RuleFirstLogin = "first_login"
	// RuleImpossibleTravel: the implied speed from the previous login is
	// above Thresholds.MaxSpeedKmh.
	RuleImpossibleTravel = "impossible_travel"
	// RuleNewCountry: no login of the window came from this country.
	RuleNewCountry = "new_country"
	// RuleFarAway: every login of the window with coordinates is more than
	// Thresholds.MaxDistanceKm away.
	RuleFarAway = "far_away"
	// RuleNewNetwork: no location to compare, and no login of the window
	// came from this /24 (IPv4) or /48 (IPv6) network.
	RuleNewNetwork = "new_network"
)

// Thresholds are the numbers of SPEC §5.3. A zero, negative or NaN field
// takes its default, so a zero Thresholds is the default one.
type Thresholds struct {
	// Window is how far back logins count as usual places (180 days).
	Window time.Duration
	// MaxDistanceKm is the farthest a login may be from the nearest usual
	// place without a step-up (500 km).
	MaxDistanceKm float64
	// MaxSpeedKmh is the fastest implied travel from the previous login
	// that is still possible (1000 km/h, a little above an airliner).
	MaxSpeedKmh float64
	// NearbyKm is the distance under which two logins are the same place
	// and never travel (100 km): IP locations are city-level guesses with
	// accuracy radii of tens of kilometres, so two logins from one city a
	// minute apart must not imply a speed.
	NearbyKm float64
	// MinInterval is the least time the speed rule divides by (1 minute),
	// so that logins at the same instant, or a past login stamped slightly
	// in the future by another server's clock, give a finite speed.
	MinInterval time.Duration
}

// DefaultThresholds returns SPEC §5.3's defaults.
func DefaultThresholds() Thresholds {
	return Thresholds{
		Window:        180 * 24 * time.Hour,
		MaxDistanceKm: 500,
		MaxSpeedKmh:   1000,
		NearbyKm:      100,
		MinInterval:   time.Minute,
	}
}

func (th Thresholds) withDefaults() Thresholds {
	def := DefaultThresholds()
	if th.Window <= 0 {
		th.Window = def.Window
	}
	if !(th.MaxDistanceKm > 0) || math.IsInf(th.MaxDistanceKm, 0) {
		th.MaxDistanceKm = def.MaxDistanceKm
	}
	if !(th.MaxSpeedKmh > 0) || math.IsInf(th.MaxSpeedKmh, 0) {
		th.MaxSpeedKmh = def.MaxSpeedKmh
	}
	if !(th.NearbyKm > 0) || math.IsInf(th.NearbyKm, 0) {
		th.NearbyKm = def.NearbyKm
	}
	if th.MinInterval <= 0 {
		th.MinInterval = def.MinInterval
	}
	return th
}

// Point is a login: a past successful one, or the attempt being evaluated.
// Country is an ISO code, "" when unknown; Lat and Lon count only when
// HasCoords is true and they are finite and in range.
type Point struct {
	At        time.Time
	IP        netip.Addr
	Country   string
	Lat, Lon  float64
	HasCoords bool
}

// NewPoint returns the login at time at from ip, located at loc (the zero
// Location when the address is unknown or there is no database).
func NewPoint(at time.Time, ip netip.Addr, loc geo.Location) Point {
	return Point{At: at, IP: ip, Country: loc.Country, Lat: loc.Lat, Lon: loc.Lon, HasCoords: loc.HasCoords}
}

func (p Point) coords() (lat, lon float64, ok bool) {
	if !p.HasCoords || math.IsNaN(p.Lat) || math.IsNaN(p.Lon) ||
		p.Lat < -90 || p.Lat > 90 || p.Lon < -180 || p.Lon > 180 {
		return 0, 0, false
	}
	return p.Lat, p.Lon, true
}

// Decision is the outcome of Evaluate.
type Decision struct {
	// StepUp is true when the login needs a PIN, an OTP or a push.
	StepUp bool
	// Rule is the rule that decided (Rule* constants): the one that
	// demands the step-up, or RuleNone / RuleFirstLogin.
	Rule string
	// Country is the current login's country code, "" if unknown.
	Country string
	// DistanceKm is, for impossible_travel, the distance from the previous
	// login. Otherwise it is the distance to a usual place (a window login
	// with coordinates): when all are farther than MaxDistanceKm
	// (far_away), the nearest, or one at most about 5 % farther than it
	// (exact comparisons would cost 10,000 trigonometric evaluations for a
	// number that is only shown); else the first found within it. 0 when
	// unknown.
	DistanceKm float64
	// SpeedKmh is the implied speed from the previous login, 0 when unknown.
	SpeedKmh float64
}

// Evaluate decides whether the login cur, at now, needs a step-up given the
// account's past successful logins.
//
// history holds the account's successful logins newest first (Evaluate
// relies on the order to stop reading early): at least all of those in the
// window [now − th.Window, now], and also the single most recent one even
// when it is older. An empty history means the account has never logged
// in: the login sets the baseline (RuleFirstLogin). The caller must not
// leave the latest login out because it is old, or an account dormant for
// longer than the window would start over without a step-up. Logins outside
// the window count only as "the previous login" of the speed rule; a login
// with a zero time is taken as outside it and ends the scan.
//
// The rules, in order of precedence (the first that fires decides):
//
//  1. impossible_travel: the speed implied by the distance from the
//     previous login (the most recent one with coordinates) to cur, over
//     the time between them (at least th.MinInterval), is above
//     th.MaxSpeedKmh. Closer than th.NearbyKm is the same place, not travel.
//  2. new_country: cur's country is known and no login of the window is
//     from it. (If the window has logins but none with a known country, as
//     when they predate the GeoIP database, this rule does not apply.)
//  3. far_away: cur has coordinates, the window has logins with
//     coordinates, and all of them are more than th.MaxDistanceKm away.
//  4. new_network: when none of the rules above could compare anything
//     (cur has no location, or the window's logins have none of the kind
//     cur has, e.g. they predate the GeoIP database): cur's /24 (IPv4) or
//     /48 (IPv6) is not the network of any login in the window. An invalid
//     IP counts as a new network.
//
// Impossible travel comes first because it is the strongest signal (a
// stolen password used while the owner is logged in elsewhere) and because
// it fires even inside a usual country; a new country comes before
// distance because it is what the user understands best ("new country:
// France" rather than "far from usual places: 640 km").
func Evaluate(th Thresholds, now time.Time, cur Point, history []Point) Decision {
	th = th.withDefaults()
	d := Decision{Country: cur.Country}
	if len(history) == 0 {
		d.Rule = RuleFirstLogin
		return d
	}
	since := now.Add(-th.Window)
	c := judged(cur)
	s := scan(th, since, &c, history)

	// 1. Speed from the previous login with coordinates.
	if c.hasCoords && s.prev != nil {
		dist := DistanceKm(s.prev.Lat, s.prev.Lon, c.lat, c.lon)
		if dist > th.NearbyKm {
			dt := max(now.Sub(s.prev.At), th.MinInterval)
			d.SpeedKmh = dist / dt.Hours()
			if d.SpeedKmh > th.MaxSpeedKmh {
				d.StepUp, d.Rule, d.DistanceKm = true, RuleImpossibleTravel, dist
				return d
			}
		}
	}
	if s.nearest >= 0 {
		d.DistanceKm = s.nearest
	}

	// 2. Country. An empty window (an account dormant for longer than it)
	// knows no usual place: every country is new.
	compared := false
	if cur.Country != "" && (s.windowLogins == 0 || s.windowCountries > 0) {
		compared = true
		if !s.seenCountry {
			d.StepUp, d.Rule = true, RuleNewCountry
			return d
		}
	}

	// 3. Distance from every usual place.
	if s.nearest >= 0 {
		compared = true
		if s.nearest > th.MaxDistanceKm {
			d.StepUp, d.Rule = true, RuleFarAway
			return d
		}
	}
	if compared {
		return d
	}

	// 4. No location to compare: the network.
	if !s.seenNetwork {
		d.StepUp, d.Rule = true, RuleNewNetwork
	}
	return d
}

// facts is what one pass over the history finds out.
type facts struct {
	prev            *Point  // the most recent login with coordinates
	nearest         float64 // km to the nearest window login with coordinates; -1 if none
	windowLogins    int
	windowCountries int  // window logins with a known country
	seenCountry     bool // a window login is from cur's country
	seenNetwork     bool // a window login is from cur's network
}

// current is the sign-in being judged, with what every rule reads of it
// worked out once.
type current struct {
	Point
	lat, lon  float64
	hasCoords bool
	net       netip.Prefix // its network (Network); valid when netOK
	netOK     bool
}

func judged(p Point) current {
	c := current{Point: p}
	c.lat, c.lon, c.hasCoords = p.coords()
	c.net, c.netOK = Network(p.IP)
	return c
}

// scan reads the history, newest first, once, and stops as soon as every
// rule has what it needs: for a usual login that is after the first few
// entries, whatever the length of the history. Only a login that is
// unusual (far from every usual place, or on a new network with no
// location) reads the whole window.
func scan(th Thresholds, since time.Time, cur *current, history []Point) facts {
	f := facts{nearest: -1}
	// Once a login within MaxDistanceKm is found, the exact nearest
	// distance no longer matters.
	closeEnough := false
	// Accounts log in from a handful of places over and over: remember the
	// places already measured and measure each once.
	var measured placeSet
	var hv haversine
	nearestHav := 0.0
	maxHav := kmHav(th.MaxDistanceKm)
	if cur.hasCoords {
		hv = newHaversine(cur.lat, cur.lon)
	}
	for i := range history {
		p := &history[i]
		plat, plon, pHasCoords := p.coords()
		if f.prev == nil && pHasCoords && !p.At.IsZero() {
			f.prev = p
		}
		if p.At.IsZero() || p.At.Before(since) {
			// Newest first: the rest is older still, so the window ends
			// here. This login may still have been taken above as the
			// previous one, when no login of the window had coordinates.
			break
		}
		f.windowLogins++
		if p.Country != "" {
			f.windowCountries++
			if p.Country == cur.Country {
				f.seenCountry = true
			}
		}
		if cur.netOK && !f.seenNetwork && !f.located(cur) {
			if pn, ok := Network(p.IP); ok && pn == cur.net {
				f.seenNetwork = true
			}
		}
		if cur.hasCoords && pHasCoords && !closeEnough {
			if measured.add(plat, plon) {
				// Skip the trigonometry for a place whose cheap lower bound
				// shows it is neither within MaxDistanceKm (which decides)
				// nor clearly nearer than the nearest so far (which is only
				// reported: "within 10 %" of the haversine term keeps the
				// reported distance within about 5 % of the true nearest).
				// Compare the haversine term itself (monotonic in the
				// distance) and take the arc sine only for a new nearest.
				if lb := hv.lowerBound(plat, plon); f.nearest < 0 || lb <= maxHav || lb < 0.9*nearestHav {
					if a := hv.hav(plat, plon); f.nearest < 0 || a < nearestHav {
						nearestHav, f.nearest = a, havKm(a)
						closeEnough = f.nearest <= th.MaxDistanceKm
					}
				}
			}
		}
		if f.resolved(cur, closeEnough) {
			break
		}
	}
	return f
}

// placeSet is a small set of coordinates with no allocation: open
// addressing over 64 slots, at most 4 probes. A place that finds no room is
// simply not remembered (and measured again next time), so the set is
// exact for the few dozen places an account uses and degrades gracefully
// beyond. (0, 0) marks an empty slot and is never remembered.
type placeSet [64]struct{ lat, lon float64 }

// add reports whether (lat, lon) was not in the set, and adds it if there
// is room.
func (s *placeSet) add(lat, lon float64) bool {
	if lat == 0 && lon == 0 {
		return true
	}
	const k1, k2 = 0x9e3779b97f4a7c15, 0xbf58476d1ce4e5b9
	h := ((math.Float64bits(lat)*k1 ^ math.Float64bits(lon)) * k2) >> 58
	for i := range uint64(4) {
		slot := &s[(h+i)%uint64(len(s))]
		switch {
		case slot.lat == lat && slot.lon == lon:
			return false
		case slot.lat == 0 && slot.lon == 0:
			slot.lat, slot.lon = lat, lon
			return true
		}
	}
	return true
}

// resolved reports whether reading more of the history could change the
// decision.
// closeEnough: a login within MaxDistanceKm was found.
func (f *facts) resolved(cur *current, closeEnough bool) bool {
	if cur.hasCoords && f.prev == nil {
		return false
	}
	countryDone := cur.Country == "" || f.seenCountry
	distanceDone := !cur.hasCoords || closeEnough
	networkDone := !cur.netOK || f.seenNetwork || f.located(cur)
	return countryDone && distanceDone && networkDone
}

// located reports whether a location rule can compare cur with the window,
// so that the network no longer matters.
func (f *facts) located(cur *current) bool {
	return (cur.Country != "" && f.windowCountries > 0) || (cur.hasCoords && f.nearest >= 0)
}

// Network returns the /24 (IPv4, including IPv4-mapped IPv6) or /48 (IPv6)
// holding ip.
func Network(ip netip.Addr) (netip.Prefix, bool) {
	if !ip.IsValid() {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap().WithZone("")
	bits := 48
	if ip.Is4() {
		bits = 24
	}
	p, err := ip.Prefix(bits)
	return p, err == nil
}

// EarthRadiusKm is the mean radius of the Earth (IUGG).
const EarthRadiusKm = 6371.0088

// DistanceKm returns the great-circle distance in kilometres between two
// points given in degrees (haversine formula, spherical Earth: within 0.5 %
// of the ellipsoidal distance). NaN input gives NaN.
func DistanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	return havKm(newHaversine(lat1, lon1).hav(lat2, lon2))
}

const radPerDeg = math.Pi / 180

// haversine measures distances from one point, whose cosine of latitude it
// computes once.
type haversine struct {
	lat, lon, cosLat float64
}

func newHaversine(lat, lon float64) haversine {
	return haversine{lat: lat, lon: lon, cosLat: math.Cos(lat * radPerDeg)}
}

// hav returns the haversine of the central angle to (lat, lon), which grows
// with the distance; havKm turns it into kilometres.
func (h haversine) hav(lat, lon float64) float64 {
	sφ := math.Sin((lat - h.lat) * radPerDeg / 2)
	sλ := math.Sin((lon - h.lon) * radPerDeg / 2)
	a := sφ*sφ + h.cosLat*math.Cos(lat*radPerDeg)*sλ*sλ
	// Rounding can push a hair outside [0, 1].
	return math.Min(1, math.Max(0, a))
}

// lowerBound returns a value no greater than hav(lat, lon), and within
// about 0.1 % of it, without calling trigonometric functions: in
// hav = sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2) it replaces sin and cos φ2 by
// their Taylor polynomials cut after a negative term, which are lower
// bounds on [0, π/2]. Ruling a place out takes a few multiplications
// instead of three trigonometric calls.
func (h haversine) lowerBound(lat, lon float64) float64 {
	sinLB := func(y float64) float64 { // y − y³/3! + y⁵/5! − y⁷/7!
		y2 := y * y
		return y * (1 - y2/6*(1-y2/20*(1-y2/42)))
	}
	cosLB := func(x float64) float64 { // 1 − x²/2! + x⁴/4! − x⁶/6!
		x2 := x * x
		return max(0, 1-x2/2*(1-x2/12*(1-x2/30)))
	}
	dλ := math.Abs(lon - h.lon)
	if dλ > 180 {
		dλ = 360 - dλ
	}
	a := sinLB(math.Abs(lat-h.lat) * radPerDeg / 2)
	b := sinLB(dλ * radPerDeg / 2)
	return a*a + h.cosLat*cosLB(math.Abs(lat)*radPerDeg)*b*b
}

func havKm(a float64) float64 {
	return 2 * EarthRadiusKm * math.Asin(math.Sqrt(a))
}

// kmHav is the inverse of havKm.
func kmHav(km float64) float64 {
	s := math.Sin(min(km/EarthRadiusKm, math.Pi) / 2)
	return s * s
}
