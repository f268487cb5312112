package risk

import (
	"math"
	"strconv"

	"varco.dev/varco/internal/geo"
	"varco.dev/varco/internal/i18n"
)

// Reason returns a short text saying why the login needs a step-up, in
// lang (English for a language the catalogue does not have), for the
// step-up page, the push request and the activity history: "new country:
// France", "nuovo paese: Francia", "far from usual places: 850 km",
// "impossible travel: 6400 km/h", "new network". It is "" when no step-up
// is needed.
func (d Decision) Reason(lang string) string {
	lang = i18n.Lang(lang)
	switch d.Rule {
	case RuleNewCountry:
		name := geo.CountryName(d.Country, lang)
		if name == "" {
			return i18n.T(lang, "risk.reason.new_country_unknown")
		}
		return i18n.T(lang, "risk.reason.new_country", name)
	case RuleFarAway:
		return i18n.T(lang, "risk.reason.far_away", whole(d.DistanceKm))
	case RuleImpossibleTravel:
		return i18n.T(lang, "risk.reason.impossible_travel", whole(d.SpeedKmh))
	case RuleNewNetwork:
		return i18n.T(lang, "risk.reason.new_network")
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
