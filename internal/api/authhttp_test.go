package api_test

import (
	"net/netip"
	"net/url"
	"testing"

	"varco.dev/varco/internal/api"
	"varco.dev/varco/internal/config"
)

func withAuthHTTP(c *config.Config) {
	c.MailAuthSecret = mailSecret
	c.MailBackends = map[string]netip.AddrPort{"imap": netip.MustParseAddrPort("127.0.0.1:1143"),
		"smtp": netip.MustParseAddrPort("127.0.0.1:1587")}
}

// TestMailAuthHTTP: nginx's mail auth_http protocol on GET /mail/auth-http
// — the shared secret in X-Varco-Secret, %-decoded credentials, the backend
// of the protocol on success, a refusal text (and an SMTP code) otherwise,
// never a 5xx on bad encoding, Auth-Wait when throttled.
func TestMailAuthHTTP(t *testing.T) {
	forEachEngineWith(t, tweaked(withAuthHTTP), func(t *testing.T, h *harness) {
		standard(h)
		const email = "mario@acme.test"
		ask := func(secret, user, pw, proto string) reply {
			t.Helper()
			hdr := []string{"Auth-Method", "plain", "Auth-User", user, "Auth-Pass", pw, "Auth-Protocol", proto,
				"Auth-Login-Attempt", "1", "Client-IP", "203.0.113.20"}
			if secret != "" {
				hdr = append(hdr, "X-Varco-Secret", secret)
			}
			return h.do("GET", api.AuthHTTPPath, "", nil, hdr...)
		}
		esc := url.PathEscape

		for _, secret := range []string{"", "wrong", mailSecret + "x"} {
			if r := ask(secret, esc(email), esc(marioPW), "imap"); r.status != 403 || r.header.Get("Auth-Status") == "OK" {
				t.Fatalf("secret %q: %d %v", secret, r.status, r.header)
			}
		}
		r := ask(mailSecret, esc(email), esc(marioPW), "imap")
		if r.status != 200 || r.header.Get("Auth-Status") != "OK" || r.header.Get("Auth-Server") != "127.0.0.1" ||
			r.header.Get("Auth-Port") != "1143" {
			t.Fatalf("good login over imap: %d %v", r.status, r.header)
		}
		r = ask(mailSecret, esc(email), esc(marioPW), "smtp")
		if r.header.Get("Auth-Status") != "OK" || r.header.Get("Auth-Port") != "1587" {
			t.Fatalf("good login over smtp: %d %v", r.status, r.header)
		}
		refused := func(what string, r reply, smtp bool) {
			t.Helper()
			st := r.header.Get("Auth-Status")
			if r.status != 200 || st == "" || st == "OK" || r.header.Get("Auth-Server") != "" {
				t.Fatalf("%s: %d %v", what, r.status, r.header)
			}
			if (r.header.Get("Auth-Error-Code") != "") != smtp {
				t.Fatalf("%s: Auth-Error-Code %q", what, r.header.Get("Auth-Error-Code"))
			}
		}
		refused("no backend for pop3", ask(mailSecret, esc(email), esc(marioPW), "pop3"), false)
		refused("unknown protocol", ask(mailSecret, esc(email), esc(marioPW), "nntp"), false)
		refused("bad escape in Auth-User", ask(mailSecret, "mario%zz", esc(marioPW), "imap"), false)
		refused("bad escape in Auth-Pass", ask(mailSecret, esc(email), "%", "smtp"), true)
		refused("escaped NUL", ask(mailSecret, esc(email), "ab%00cd", "imap"), false)
		refused("escaped invalid UTF-8", ask(mailSecret, "mario%ff", esc(marioPW), "imap"), false)
		for i := range 5 { // the 5th consecutive failure of an account throttles it
			refused("wrong password "+string(rune('1'+i)), ask(mailSecret, esc(email), "nope", "smtp"), true)
		}
		r = ask(mailSecret, esc(email), esc(marioPW), "imap")
		if r.header.Get("Auth-Status") == "OK" || r.header.Get("Auth-Wait") == "" {
			t.Fatalf("login while throttled: %d %v", r.status, r.header)
		}
	})
}

// FuzzDecodeAuthHeader: decoding never panics, reverses %-escaping, and
// keeps "+" a plus.
func FuzzDecodeAuthHeader(f *testing.F) {
	for _, s := range []string{"mario@acme.test", "abcd efgh", "a+b", "%zz", "%", "%00", "%e2%80%ae"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = api.DecodeAuthHeader(s)
		got, err := api.DecodeAuthHeader(url.PathEscape(s))
		if err != nil || got != s {
			t.Fatalf("decode(escape(%q)) = %q, %v", s, got, err)
		}
		if got, _ := api.DecodeAuthHeader("a+b"); got != "a+b" {
			t.Fatalf("a+b decoded to %q", got)
		}
	})
}

// TestMailAuthHTTPBadText sends the bad-input corpus raw in every header of
// nginx's auth_http request (raw, so NUL and CR LF really reach the server):
// never a 5xx and never "OK", whether the credentials around it are right.
func TestMailAuthHTTPBadText(t *testing.T) {
	forEachEngineWith(t, tweaked(withAuthHTTP), func(t *testing.T, h *harness) {
		standard(h)
		good := map[string]string{"X-Varco-Secret": mailSecret, "Auth-Method": "plain", "Auth-User": "mario@acme.test",
			"Auth-Pass": marioPW, "Auth-Protocol": "imap", "Auth-Login-Attempt": "1", "Client-IP": "203.0.113.21"}
		var all [][2]string
		for k, v := range good {
			all = append(all, [2]string{k, v})
		}
		if r := h.raw("GET", api.AuthHTTPPath, all, nil); r.header.Get("Auth-Status") != "OK" {
			t.Fatalf("the request without bad text: %d %q %s", r.status, r.header.Get("Auth-Status"), r.body)
		}
		for _, name := range []string{"X-Varco-Secret", "Auth-User", "Auth-Pass", "Auth-Protocol", "Client-IP"} {
			for _, bad := range badStrings {
				var hdr [][2]string
				for k, v := range good {
					if k == name {
						v = bad.value
					}
					hdr = append(hdr, [2]string{k, v})
				}
				r := h.raw("GET", api.AuthHTTPPath, hdr, nil)
				if r.status >= 500 {
					t.Errorf("%s = %s: %d %s", name, bad.name, r.status, r.body)
				}
				if st := r.header.Get("Auth-Status"); r.status == 200 && (st == "" || st == "OK") {
					t.Errorf("%s = %s: Auth-Status %q", name, bad.name, st)
				}
			}
		}
	})
}
