package auth

import (
	"context"
	"fmt"
	"math"
	"net/netip"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/geo"
	"varco.dev/varco/internal/risk"
	"varco.dev/varco/internal/store"
)

// Assessment is the risk decision on one sign-in (SPEC §5.3).
type Assessment struct {
	StepUp   bool
	Rule     string      // the rule that fired, e.g. "new_country"
	Reason   string      // for the user's history, e.g. "new country: France"
	Location string      // where the sign-in comes from, e.g. "Paris, France"; "" when unknown
	Place    store.Place // the place of this sign-in, made usual when it succeeds
}

// RiskEngine places a sign-in from ip and decides, against the account's
// known places (most recently used first), whether it needs a step-up. lang
// is the account's language, for Reason and Location.
type RiskEngine interface {
	Assess(ip, lang string, places []store.Place, th store.RiskThresholds, now time.Time) Assessment
	// Locate is the approximate location of ip in lang, as Assess names
	// it in Location: "" when unknown.
	Locate(ip, lang string) string
}

// maxPlaces bounds the places read per sign-in: an account rarely has more
// than a handful, and the oldest matter least.
const maxPlaces = 500

// assess runs the risk engine for a sign-in of a from m.
func (s *Service) assess(ctx context.Context, a *varco.Account, m Meta, now time.Time) (Assessment, error) {
	th := store.DefaultRiskThresholds()
	r := s.read()
	if a.OrgID != 0 {
		var err error
		if th, err = r.OrgRiskThresholds(ctx, a.OrgID); err != nil {
			return Assessment{}, err
		}
	}
	return s.assessWith(ctx, a, m, now, th)
}

// assessWith is assess with the organization's thresholds already read.
func (s *Service) assessWith(ctx context.Context, a *varco.Account, m Meta, now time.Time, th store.RiskThresholds) (Assessment, error) {
	places, err := s.read().LoginPlaces(ctx, a.ID, maxPlaces)
	if err != nil {
		return Assessment{}, err
	}
	return s.risk.Assess(m.IP, a.Lang, places, th, now), nil
}

// GeoRisk is the risk engine: it locates the client IP in the MaxMind
// database and applies the rules of internal/risk to the account's places.
// Without a database (DB nil or not loaded) the rules fall back to the IP
// network (/24, /48).
type GeoRisk struct {
	DB *geo.DB
}

// Assess implements RiskEngine. The places stand for the account's logins:
// each is the latest sign-in from that place, so the newest place is the
// previous login and the window's places are the usual ones.
func (g GeoRisk) Assess(ip, lang string, places []store.Place, th store.RiskThresholds, now time.Time) Assessment {
	addr, err := netip.ParseAddr(ip)
	if err == nil {
		addr = addr.Unmap()
	}
	var loc geo.Location
	if err == nil && g.DB != nil {
		loc, _ = g.DB.Lookup(addr)
	}
	cur := risk.NewPoint(now, addr, loc)
	history := make([]risk.Point, 0, len(places))
	for _, p := range places {
		pip, _ := netip.ParseAddr(p.IP)
		history = append(history, risk.Point{At: p.LastSeenAt, IP: pip.Unmap(), Country: p.Country, Lat: p.Lat, Lon: p.Lon,
			HasCoords: p.HasCoords})
	}
	d := risk.Evaluate(risk.Thresholds{Window: time.Duration(th.WindowDays) * varco.Day,
		MaxDistanceKm: float64(th.DistanceKm), MaxSpeedKmh: float64(th.SpeedKmh)}, now, cur, history)
	return Assessment{StepUp: d.StepUp, Rule: d.Rule, Reason: d.Reason(lang), Location: locationText(loc, lang),
		Place: placeOf(ip, loc)}
}

// Locate implements RiskEngine with the same lookup as Assess.
func (g GeoRisk) Locate(ip, lang string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil || g.DB == nil {
		return ""
	}
	loc, _ := g.DB.Lookup(addr.Unmap())
	return locationText(loc, lang)
}

// Locate is the approximate location of ip in lang ("" when unknown), from
// the lookup the sign-in's risk rules use: every event with an IP has its
// place (SPEC §3), also those that do not pass through a sign-in.
func (s *Service) Locate(ip, lang string) string {
	if ip == "" {
		return ""
	}
	return s.risk.Locate(ip, lang)
}

// located returns m with its Location filled in for an account of language
// lang when the caller did not know it.
func (s *Service) located(m Meta, lang string) Meta {
	if m.Location == "" {
		m.Location = s.Locate(m.IP, lang)
	}
	return m
}

// placeOf is the place a sign-in from ip at loc makes usual: its city
// (coordinates rounded to about 10 km), else its country, else its IP
// network.
func placeOf(ip string, loc geo.Location) store.Place {
	p := store.Place{IP: ip, Country: loc.Country}
	switch {
	case loc.HasCoords:
		p.Key = fmt.Sprintf("geo:%s:%.1f:%.1f", loc.Country, round1(loc.Lat), round1(loc.Lon))
		p.Lat, p.Lon, p.HasCoords = loc.Lat, loc.Lon, true
	case loc.Country != "":
		p.Key = "geo:" + loc.Country
	default:
		p.Key = NetworkKey(ip)
	}
	return p
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// locationText is the approximate location shown in the history and in
// e-mails: "Parigi, Francia", "Milan, Italy", "Italy"; "" when unknown.
func locationText(loc geo.Location, lang string) string {
	country := loc.CountryName(lang)
	switch {
	case loc.City != "" && country != "":
		return loc.City + ", " + country
	case loc.City != "":
		return loc.City
	}
	return country
}

// NetworkKey is the place key of an IP's network (risk.Network):
// "net:203.0.113.0/24" or "net:2001:db8:1::/48"; "" for an address that
// does not parse.
func NetworkKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	p, ok := risk.Network(addr)
	if !ok {
		return ""
	}
	return "net:" + p.String()
}
