package device

import "strings"

// IMAP ID fields we read (RFC 2971 §3.3); the rest are ignored.
var imapIDFields = map[string]bool{"name": true, "version": true, "os": true, "os-version": true, "vendor": true}

// parseIMAPID reads a mail client's IMAP ID parameters, either as the
// parenthesized list the client sent (`("name" "Thunderbird" "version"
// "128.3.0")`, NIL values allowed) or as Dovecot logs it (`name=Thunderbird,
// version=128.3.0`). It answers false unless s is one of those forms with
// a "name".
func parseIMAPID(s string) (map[string]string, bool) {
	var fields map[string]string
	switch {
	case s[0] == '(' || s[0] == '"':
		fields = parseIDList(s)
	case len(s) > 5 && strings.EqualFold(s[:5], "name="):
		fields = parseIDLog(s)
	}
	if fields["name"] == "" {
		return nil, false
	}
	return fields, true
}

// parseIDList reads `("k" "v" "k" NIL …)`; it stops at the first thing
// that is not a quoted string or NIL.
func parseIDList(s string) map[string]string {
	s = strings.TrimPrefix(s, "(")
	var items []string
	for len(items) < 2*len(imapIDFields)+32 {
		s = strings.TrimLeft(s, " ")
		if strings.HasPrefix(s, "NIL") || strings.HasPrefix(s, "nil") {
			items, s = append(items, ""), s[3:]
			continue
		}
		if s == "" || s[0] != '"' {
			break
		}
		var b strings.Builder
		i, closed := 1, false
		for ; i < len(s); i++ {
			c := s[i]
			if c == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
				continue
			}
			if c == '"' {
				closed = true
				break
			}
			b.WriteByte(c)
		}
		if !closed {
			break
		}
		items, s = append(items, b.String()), s[i+1:]
	}
	fields := map[string]string{}
	for i := 0; i+1 < len(items); i += 2 {
		if k := strings.ToLower(items[i]); imapIDFields[k] {
			fields[k] = items[i+1]
		}
	}
	return fields
}

// parseIDLog reads `name=Mac OS X Mail, version=16.0 (3774.600.62), os=Mac OS X`.
func parseIDLog(s string) map[string]string {
	fields := map[string]string{}
	for _, part := range strings.Split(s, ", ") {
		k, v, ok := strings.Cut(part, "=")
		if k = strings.ToLower(strings.TrimSpace(k)); ok && imapIDFields[k] {
			fields[k] = strings.TrimSpace(v)
		}
	}
	return fields
}

// imapClients maps IMAP ID names (lower case) to the client shown.
var imapClients = map[string]struct {
	client  string
	os      string
	version bool
}{
	"thunderbird":       {client: clientThunderbird, version: true},
	"mac os x mail":     {client: clientAppleMail, os: osMacOS, version: true},
	"macos mail":        {client: clientAppleMail, os: osMacOS, version: true},
	"apple mail":        {client: clientAppleMail, os: osMacOS, version: true},
	"iphone mail":       {client: clientAppleMail, os: osIOS},
	"ipad mail":         {client: clientAppleMail, os: osIOS},
	"ios mail":          {client: clientAppleMail, os: osIOS},
	"microsoft outlook": {client: clientOutlook},
	"outlook":           {client: clientOutlook},
	"k-9 mail":          {client: clientK9, os: osAndroid, version: true},
}

func fromIMAPID(f map[string]string) Info {
	var in Info
	if c, ok := imapClients[strings.ToLower(strings.TrimSpace(f["name"]))]; ok {
		in.Client, in.OS = c.client, c.os
		if c.version {
			in.Version = major(f["version"])
		}
	}
	if in.OS == "" {
		in.OS = osFromText(f["os"])
	}
	return in
}
