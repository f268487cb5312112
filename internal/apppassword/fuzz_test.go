package apppassword_test

import (
	"encoding/json"
	"net/netip"
	"testing"

	"varco.dev/varco/internal/apppassword"
	"varco.dev/varco/internal/text"
)

// FuzzMailLogin: whatever a mail server sends, decoding and validating
// never panics, and what validates is storable text, a known protocol and
// resource, and an IP address.
func FuzzMailLogin(f *testing.F) {
	f.Add([]byte(`{"username":"a@b.test","password":"abcd efgh ijkl mnop","protocol":"imap","client_ip":"192.0.2.1"}`))
	f.Add([]byte(`{"username":"a@b.test","password":"x","protocol":"smtp","client_ip":"::ffff:10.0.0.1","resource":"archive"}`))
	f.Add([]byte("{\"username\":\"a\\u0000\",\"password\":\"\\r\\n\",\"protocol\":\"pop3\",\"client_ip\":\"fe80::1%eth0\"}"))
	f.Add([]byte(`{"username":"%+ ","password":"\xff","protocol":"IMAP","client_ip":"1.2.3"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var l apppassword.MailLogin
		if json.Unmarshal(body, &l) != nil {
			return
		}
		if l.Validate() != nil {
			return
		}
		if !text.Storable(l.Username) || !text.Storable(l.Password) || l.Username == "" || l.Password == "" {
			t.Fatalf("validated bad text: %q %q", l.Username, l.Password)
		}
		if l.Protocol != "imap" && l.Protocol != "pop3" && l.Protocol != "smtp" {
			t.Fatalf("validated protocol %q", l.Protocol)
		}
		if l.Resource != "mailbox" && l.Resource != "archive" {
			t.Fatalf("validated resource %q", l.Resource)
		}
		if _, err := netip.ParseAddr(l.ClientIP); err != nil {
			t.Fatalf("validated client_ip %q", l.ClientIP)
		}
	})
}
