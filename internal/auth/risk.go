package auth

import (
	"context"
	"net/netip"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
)

// Assessment is the risk decision on one sign-in (SPEC §5.3).
type Assessment struct {
	StepUp   bool
	Rule     string      // the rule that fired, e.g. "new_country"
	Reason   string      // for the user's history, e.g. "new country: France"
	Location string      // where the sign-in comes from, e.g. "Paris, France"; "" when unknown
	Place    store.Place // the place of this sign-in, made usual when it succeeds
	Methods  []string    // step-up methods offered
}

// RiskEngine places a sign-in from ip and decides, against the account's
// known places (most recently used first), whether it needs a step-up. lang
// is the account's language, for Reason and Location.
type RiskEngine interface {
	Assess(ip, lang string, places []store.Place, th store.RiskThresholds, now time.Time) Assessment
}

// maxPlaces bounds the places read per sign-in: an account rarely has more
// than a handful, and the oldest matter least.
const maxPlaces = 500

// assess runs the risk engine for a sign-in of a from m.
func (s *Service) assess(ctx context.Context, a *varco.Account, m Meta, now time.Time) (Assessment, error) {
	th := store.DefaultRiskThresholds()
	r := s.db.Reader()
	if a.OrgID != 0 {
		var err error
		if th, err = r.OrgRiskThresholds(ctx, a.OrgID); err != nil {
			return Assessment{}, err
		}
	}
	places, err := r.LoginPlaces(ctx, a.ID, maxPlaces)
	if err != nil {
		return Assessment{}, err
	}
	return s.risk.Assess(m.IP, a.Lang, places, th, now), nil
}

// NetworkRisk is the risk engine without a location database: a sign-in
// from an IP network (/24 for IPv4, /48 for IPv6) not used in the window
// needs a step-up; the first sign-in sets the baseline.
type NetworkRisk struct{}

// Assess implements RiskEngine.
func (NetworkRisk) Assess(ip, lang string, places []store.Place, th store.RiskThresholds, now time.Time) Assessment {
	key := NetworkKey(ip)
	out := Assessment{Place: store.Place{Key: key, IP: ip}}
	if key == "" || len(places) == 0 {
		return out
	}
	since := now.Add(-time.Duration(th.WindowDays) * varco.Day)
	for _, p := range places {
		if p.Key == key && !p.LastSeenAt.Before(since) {
			return out
		}
	}
	out.StepUp, out.Rule = true, "new_network"
	out.Reason = "new network: " + key[len("net:"):]
	if lang == varco.LangIT {
		out.Reason = "nuova rete: " + key[len("net:"):]
	}
	return out
}

// NetworkKey is the place key of an IP's network: "net:203.0.113.0/24" or
// "net:2001:db8:1::/48"; "" for an address that does not parse.
func NetworkKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	addr = addr.Unmap()
	bits := 48
	if addr.Is4() {
		bits = 24
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return ""
	}
	return "net:" + p.String()
}
