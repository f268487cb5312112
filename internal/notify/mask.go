package notify

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaskEmail hides the local part of an address for logs, keeping its first
// character and the domain: "mario.rossi@example.it" → "m***@example.it".
// A one-character local part is hidden entirely ("***@example.it"), and a
// string without "@" becomes "***". It never fails.
func MaskEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "***"
	}
	local, domain := addr[:at], addr[at+1:]
	r, size := utf8.DecodeRuneInString(local)
	if size == 0 || size == len(local) || r == utf8.RuneError || r < ' ' {
		return "***@" + domain
	}
	return string(r) + "***@" + domain
}

// MaskPhone hides the middle of a phone number for logs and audit details,
// keeping "+", the first two digits and the last two:
// "+393471234567" → "+39********67". Anything shorter than 7 characters
// becomes "***". It never fails.
func MaskPhone(p string) string {
	if len(p) < 7 || !utf8.ValidString(p) {
		return "***"
	}
	return p[:3] + strings.Repeat("*", len(p)-5) + p[len(p)-2:]
}

// redactAddress replaces every occurrence of addr in text (ignoring case,
// as servers echo addresses back in their replies) with its mask.
func redactAddress(text, addr string) string {
	return redact(text, addr, MaskEmail)
}

// redactRecipient replaces m's recipient in text with its mask.
func redactRecipient(text string, m Message) string {
	if m.ChannelName() == ChannelWebPush {
		return text // the device id is no secret; errors never carry the endpoint
	}
	if m.IsSMS() {
		return redact(text, m.To, MaskPhone)
	}
	return redactAddress(text, m.To)
}

func redact(text, addr string, mask func(string) string) string {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return text
	}
	re, err := regexp.Compile("(?i)" + regexp.QuoteMeta(addr))
	if err != nil { // addr is not valid UTF-8: exact matches only
		return strings.ReplaceAll(text, addr, mask(addr))
	}
	return re.ReplaceAllLiteralString(text, mask(addr))
}
