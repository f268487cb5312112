package risk

import (
	"math"
	"strconv"

	"varco.dev/varco/internal/geo"
)

// Reason returns a short text saying why the login needs a step-up, in
// Italian for lang "it" and in English otherwise, for the step-up page, the
// push request and the activity history: "new country: France", "nuovo
// paese: Francia", "far from usual places: 850 km", "impossible travel:
// 6400 km/h", "new network". It is "" when no step-up is needed.
func (d Decision) Reason(lang string) string {
	it := lang == "it"
	pick := func(en, itText string) string {
		if it {
			return itText
		}
		return en
	}
	switch d.Rule {
	case RuleNewCountry:
		name := geo.CountryName(d.Country, pick("en", "it"))
		if name == "" {
			return pick("new country", "nuovo paese")
		}
		return pick("new country: ", "nuovo paese: ") + name
	case RuleFarAway:
		return pick("far from usual places: ", "lontano dai luoghi abituali: ") + whole(d.DistanceKm) + " km"
	case RuleImpossibleTravel:
		return pick("impossible travel: ", "viaggio impossibile: ") + whole(d.SpeedKmh) + " km/h"
	case RuleNewNetwork:
		return pick("new network", "nuova rete")
	}
	return ""
}

// whole formats a non-negative quantity as a whole number, without
// thousands separators (they differ between Italian and English).
func whole(x float64) string {
	if math.IsNaN(x) || x < 0 {
		return "?"
	}
	if x > 1e12 {
		x = 1e12
	}
	return strconv.FormatInt(int64(math.Round(x)), 10)
}
