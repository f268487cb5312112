package varco

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
