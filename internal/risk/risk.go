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
	// DistanceKm is the distance to the nearest usual place (far_away, and
	// for information when no rule fired), or from the previous login
	// (impossible_travel); 0 when unknown.
	DistanceKm float64
	// SpeedKmh is the implied speed from the previous login, 0 when unknown.
	SpeedKmh float64
}

// Evaluate decides whether the login cur, at now, needs a step-up given the
// account's past successful logins.
//
// history holds the account's successful logins in any order: at least all
// of those in the window (now − th.Window, now], and also the single most
// recent one even when it is older. An empty history means the account has
// never logged in: the login sets the baseline (RuleFirstLogin). The caller
// must not leave the latest login out because it is old, or an account
// dormant for longer than the window would start over without a step-up.
// Logins outside the window (or with a zero time) count only as "the
// previous login" of the speed rule.
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
	inWindow := func(p Point) bool { return !p.At.IsZero() && !p.At.Before(since) }
	curLat, curLon, curHasCoords := cur.coords()

	// 1. Speed from the previous login with coordinates.
	if curHasCoords {
		var prev Point
		found := false
		for _, p := range history {
			if _, _, ok := p.coords(); ok && !p.At.IsZero() && (!found || p.At.After(prev.At)) {
				prev, found = p, true
			}
		}
		if found {
			dist := DistanceKm(prev.Lat, prev.Lon, curLat, curLon)
			if dist > th.NearbyKm {
				dt := max(now.Sub(prev.At), th.MinInterval)
				d.SpeedKmh = dist / dt.Hours()
				if d.SpeedKmh > th.MaxSpeedKmh {
					d.StepUp, d.Rule, d.DistanceKm = true, RuleImpossibleTravel, dist
					return d
				}
			}
		}
	}

	// What the window knows. An empty window (an account dormant for longer
	// than it) knows no usual place: every country is new.
	windowLogins, windowCountries := 0, 0
	seenCountry := false
	for _, p := range history {
		if !inWindow(p) {
			continue
		}
		windowLogins++
		if p.Country != "" {
			windowCountries++
			if p.Country == cur.Country {
				seenCountry = true
			}
		}
	}
	compared := false

	// 2. Country.
	if cur.Country != "" && (windowLogins == 0 || windowCountries > 0) {
		compared = true
		if !seenCountry {
			d.StepUp, d.Rule = true, RuleNewCountry
			d.DistanceKm = max(nearestKm(th, since, curLat, curLon, curHasCoords, history), 0)
			return d
		}
	}

	// 3. Distance from every usual place.
	if curHasCoords {
		if nearest := nearestKm(th, since, curLat, curLon, true, history); nearest >= 0 {
			compared = true
			d.DistanceKm = nearest
			if nearest > th.MaxDistanceKm {
				d.StepUp, d.Rule = true, RuleFarAway
				return d
			}
		}
	}
	if compared {
		return d
	}

	// 4. No location to compare: the network.
	net, ok := network(cur.IP)
	if ok {
		for _, p := range history {
			if !inWindow(p) {
				continue
			}
			if pn, ok := network(p.IP); ok && pn == net {
				return d
			}
		}
	}
	d.StepUp, d.Rule = true, RuleNewNetwork
	return d
}

// nearestKm returns the distance from (lat, lon) to the nearest login of the
// window with coordinates, stopping early once one is within
// th.MaxDistanceKm; -1 when there is none (or !has).
func nearestKm(th Thresholds, since time.Time, lat, lon float64, has bool, history []Point) float64 {
	if !has {
		return -1
	}
	nearest := -1.0
	// A degree of latitude is at least 110.5 km on the ground, so a login
	// whose latitude alone is farther than the best distance so far cannot
	// be nearer: skip the trigonometry for it.
	const kmPerDegLat = 110.5
	for _, p := range history {
		if p.At.IsZero() || p.At.Before(since) {
			continue
		}
		plat, plon, ok := p.coords()
		if !ok {
			continue
		}
		if nearest >= 0 && math.Abs(plat-lat)*kmPerDegLat > nearest {
			continue
		}
		dist := DistanceKm(lat, lon, plat, plon)
		if nearest < 0 || dist < nearest {
			nearest = dist
			if nearest <= th.MaxDistanceKm {
				return nearest
			}
		}
	}
	return nearest
}

// network returns the /24 (IPv4, including IPv4-mapped IPv6) or /48 (IPv6)
// holding ip.
func network(ip netip.Addr) (netip.Prefix, bool) {
	if !ip.IsValid() {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap().WithZone("")
	bits := 48
	if ip.Is4() {
		bits = 24
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return netip.Prefix{}, false
	}
	return p, true
}

// EarthRadiusKm is the mean radius of the Earth (IUGG).
const EarthRadiusKm = 6371.0088

// DistanceKm returns the great-circle distance in kilometres between two
// points given in degrees (haversine formula, spherical Earth: within 0.5 %
// of the ellipsoidal distance). NaN input gives NaN.
func DistanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	φ1, φ2 := lat1*rad, lat2*rad
	dφ := (lat2 - lat1) * rad
	dλ := (lon2 - lon1) * rad
	sφ, sλ := math.Sin(dφ/2), math.Sin(dλ/2)
	h := sφ*sφ + math.Cos(φ1)*math.Cos(φ2)*sλ*sλ
	// Rounding can push h a hair outside [0, 1].
	h = math.Min(1, math.Max(0, h))
	return 2 * EarthRadiusKm * math.Asin(math.Sqrt(h))
}
