package geo

import (
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

var (
	englishRegions = display.Regions(language.English)
	italianRegions = display.Regions(language.Italian)
)

// CountryName returns the name of the country with ISO 3166-1 alpha-2 code iso
// in the language lang ("it" or "en"; any other tag is tried and English is
// the fallback): CountryName("FR", "it") is "Francia". A code no table knows
// is returned unchanged in upper case, and "" stays "".
func CountryName(iso, lang string) string {
	return countryName(iso, lang, "")
}

// countryName is CountryName with dbName, the database's own name for the
// country, as the fallback before the bare code.
func countryName(iso, lang, dbName string) string {
	code, ok := alpha2(iso)
	if !ok {
		if dbName != "" {
			return dbName
		}
		return strings.ToUpper(strings.TrimSpace(iso))
	}
	region, err := language.ParseRegion(code)
	if err == nil && region.String() == code && code != "ZZ" {
		if name := regionNamer(lang).Name(region); name != "" {
			return name
		}
		if name := englishRegions.Name(region); name != "" {
			return name
		}
	}
	if dbName != "" {
		return dbName
	}
	return code
}

// alpha2 upper-cases a two-letter ASCII code; anything else is not one.
func alpha2(s string) (string, bool) {
	if len(s) != 2 {
		return "", false
	}
	b := []byte{s[0], s[1]}
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		default:
			return "", false
		}
	}
	return string(b), true
}

func regionNamer(lang string) display.Namer {
	switch strings.ToLower(lang) {
	case "it":
		return italianRegions
	case "en", "":
		return englishRegions
	}
	tag, err := language.Parse(lang)
	if err != nil {
		return englishRegions
	}
	if n := display.Regions(tag); n != nil {
		return n
	}
	return englishRegions
}
