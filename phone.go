package varco

import (
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// MinPhoneDigits and MaxPhoneDigits bound the digits of an E.164 number
// accepted from users (ITU-T E.164 allows at most 15).
const (
	MinPhoneDigits = 8
	MaxPhoneDigits = 15
)

// ValidPhone reports whether s is an E.164 number as varco takes it from
// users: "+", then 8 to 15 ASCII digits, the first not 0; nothing else (no
// spaces, dashes or other scripts' digits).
func ValidPhone(s string) bool {
	if len(s) < 1+MinPhoneDigits || len(s) > 1+MaxPhoneDigits || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// DefaultCountry is the country a phone number written without its country
// code belongs to when nothing else says: the organization's country when
// there is one (Org.Country), this otherwise (support accounts).
const DefaultCountry = "IT"

// maxPhoneInput bounds what NormalizePhone reads; a number as people write
// it, with spaces and brackets, is far shorter.
const maxPhoneInput = 40

// NormalizePhone returns the E.164 form of a phone number as a person
// typed it: "333 123 4567", "(02) 1234 5678", "0039 333 1234567" or
// "+39 333 1234567". A number without its international prefix is read as
// dialled in country (ISO 3166 alpha-2, e.g. "IT"; DefaultCountry when
// empty). Only ASCII digits, spaces and + - . ( ) / are allowed; the number must
// be a valid one of its country. Anything else is an invalid_phone error
// naming the field, and never echoes the input. This is the one place a
// phone number enters varco.
func NormalizePhone(input, country string) (string, error) {
	s := strings.TrimSpace(input)
	if country == "" {
		country = DefaultCountry
	}
	if s == "" || len(s) > maxPhoneInput || !utf8.ValidString(s) {
		return "", invalidPhone(country)
	}
	for _, r := range s {
		if (r < '0' || r > '9') && !strings.ContainsRune("+-.()/ \u00a0", r) {
			return "", invalidPhone(country)
		}
	}
	n, err := phonenumbers.Parse(s, country)
	if err != nil || n.GetExtension() != "" || !phonenumbers.IsValidNumber(n) {
		return "", invalidPhone(country)
	}
	e164 := phonenumbers.Format(n, phonenumbers.E164)
	if !ValidPhone(e164) {
		return "", invalidPhone(country)
	}
	return e164, nil
}

func invalidPhone(country string) error {
	err := E(EInvalidPhone, "error.phone", country)
	err.Field = "phone"
	return err
}

// ValidCountry reports whether c is a country code NormalizePhone knows:
// two upper-case letters of a region with phone numbering metadata.
func ValidCountry(c string) bool {
	return len(c) == 2 && c == strings.ToUpper(c) && phonenumbers.GetSupportedRegions()[c]
}
