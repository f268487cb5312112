package varco_test

import (
	"net/url"
	"strings"
	"testing"

	"varco.dev/varco"
)

func testApps(t testing.TB) *varco.Applications {
	t.Helper()
	apps, err := varco.NewApplications([]varco.Application{
		{ID: "webmail", ReturnTo: []string{"https://webmail.example.it/", "https://mail.example.it/webmail"}},
		{ID: "crm", Names: map[string]string{"it": "Gestionale", "en": "CRM"}, ReturnTo: []string{"https://crm.example.it:8443/app/"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return apps
}

// TestReturnTo is the allow-list rule of ?return_to= (no open redirects):
// only an URL under one of the application's prefixes, with exactly its
// scheme and host, and nothing a browser or router reads differently.
func TestReturnTo(t *testing.T) {
	apps := testApps(t)
	for _, tc := range []struct {
		app, url string
		ok       bool
	}{
		{"webmail", "https://webmail.example.it/", true},
		{"webmail", "https://webmail.example.it/inbox?folder=INBOX#top", true},
		{"webmail", "https://webmail.example.it", true},
		{"webmail", "https://mail.example.it/webmail", true},
		{"webmail", "https://mail.example.it/webmail/", true},
		{"webmail", "https://mail.example.it/webmail/read?id=4", true},
		{"crm", "https://crm.example.it:8443/app/home", true},

		{"webmail", "https://mail.example.it/webmailer", false},        // not under the path
		{"webmail", "https://mail.example.it/", false},                 // above the path
		{"webmail", "http://webmail.example.it/", false},               // other scheme
		{"webmail", "https://evil.example/", false},                    // other host
		{"webmail", "https://webmail.example.it.evil.example/", false}, // suffix host
		{"webmail", "https://webmail.example.it:444/", false},          // other port
		{"crm", "https://crm.example.it/app/home", false},              // port missing
		{"webmail", "https://WEBMAIL.example.it/", false},              // host not as configured
		{"webmail", "https://user@webmail.example.it/", false},         // userinfo
		{"webmail", "https://webmail.example.it@evil.example/", false},
		{"webmail", "https://webmail.example.it:@evil.example/", false},
		{"webmail", "//webmail.example.it/", false}, // scheme-relative
		{"webmail", "/profile", false},              // relative
		{"webmail", "webmail.example.it/", false},   // no scheme
		{"webmail", "https:webmail.example.it/", false},
		{"webmail", "https:/webmail.example.it/", false},
		{"webmail", "https:\\\\evil.example/", false},
		{"webmail", "https://webmail.example.it\\@evil.example/", false},
		{"webmail", "https://webmail.example.it/\\evil.example", false},
		{"webmail", "javascript:alert(1)", false},
		{"webmail", "data:text/html,x", false},
		{"webmail", "https://webmail.example.it//evil.example/", false}, // path that reads as a host
		{"webmail", "https://mail.example.it/webmail/../admin", false},
		{"webmail", "https://mail.example.it/webmail/%2e%2e/admin", false},
		{"webmail", "https://mail.example.it/webmail/%2E%2e/admin", false},
		{"webmail", "https://mail.example.it/webmail%2f..%2fadmin", false},
		{"webmail", "https://mail.example.it/webmail/%5c..", false},
		{"webmail", "https://mail.example.it/webmail/%252e%252e/", false},
		{"webmail", "https://webmail.example.it/%00", false},
		{"webmail", "https://webmail.example.it/\tx", false},
		{"webmail", "https://webmail.example.it/ x", false},
		{"webmail", "https://webmail.example.it/\nx", false},
		{"webmail", " https://webmail.example.it/", false},
		{"webmail", "https://webmail.example.it/è", false},
		{"webmail", "https://webmail.exаmple.it/", false}, // Cyrillic а
		{"webmail", "https://webmail%2eexample.it/", false},
		{"webmail", "https://[::1]/", false},
		{"webmail", "", false},
		{"webmail", "https://webmail.example.it/" + strings.Repeat("a", varco.MaxReturnToLen), false},
		{"customer_area", "https://webmail.example.it/", false}, // another application's prefix
		{"unknown", "https://webmail.example.it/", false},
		{"mail_panel", "https://anything.example/", false}, // no prefixes configured
	} {
		got, ok := apps.ReturnTo(tc.app, tc.url)
		if ok != tc.ok || (ok && got != tc.url) {
			t.Errorf("ReturnTo(%q, %q) = %q, %v; want %v", tc.app, tc.url, got, ok, tc.ok)
		}
	}
}

func TestNewApplications(t *testing.T) {
	apps := testApps(t)
	for _, id := range []string{"webmail", "customer_area", "support_portal", "account_management", "mail_panel", "authenticator", "crm"} {
		if _, ok := apps.Lookup(id); !ok {
			t.Errorf("application %s missing", id)
		}
	}
	if _, ok := apps.Lookup("api"); ok {
		t.Error("api is no application a client names")
	}
	for _, tc := range []struct{ id, lang, want string }{
		{"webmail", "it", "Webmail"}, {"customer_area", "it", "Area clienti"}, {"customer_area", "en", "Customer area"},
		{"crm", "it", "Gestionale"}, {"crm", "en", "CRM"}, {"gone", "it", "gone"},
	} {
		if got := apps.Name(tc.id, tc.lang); got != tc.want {
			t.Errorf("Name(%s, %s) = %q, want %q", tc.id, tc.lang, got, tc.want)
		}
	}
	if got := (*varco.Applications)(nil).Name("mail_panel", "it"); got != "Pannello posta" {
		t.Errorf("nil registry name: %q", got)
	}
	for _, bad := range [][]varco.Application{
		{{ID: "Bad"}},
		{{ID: "api"}},
		{{ID: "crm", Names: map[string]string{"en": "CRM"}}}, // no Italian name
		{{ID: "webmail", Names: map[string]string{"fr": "Courriel"}}},
		{{ID: "webmail", ReturnTo: []string{"ftp://x.example/"}}},
		{{ID: "webmail", ReturnTo: []string{"https://u@x.example/"}}},
		{{ID: "webmail", ReturnTo: []string{"https://X.example/"}}},
		{{ID: "webmail", ReturnTo: []string{"https://x.example/?a=1"}}},
		{{ID: "webmail", ReturnTo: []string{"https://x.example/a/../b"}}},
		{{ID: "webmail", ReturnTo: []string{"/relative"}}},
	} {
		if _, err := varco.NewApplications(bad); err == nil {
			t.Errorf("NewApplications(%+v) accepted", bad)
		}
	}
}

// FuzzReturnTo: whatever is accepted is an absolute https URL on the
// configured host, under the configured path, without userinfo.
func FuzzReturnTo(f *testing.F) {
	for _, s := range []string{"https://webmail.example.it/", "https://mail.example.it/webmail/x", "//evil", "https://a@b/",
		"https://mail.example.it/webmail/%2e%2e/x", "https://webmail.example.it\\@evil/", "https://crm.example.it:8443/app/"} {
		f.Add("webmail", s)
		f.Add("crm", s)
	}
	apps := testApps(f)
	f.Fuzz(func(t *testing.T, app, raw string) {
		got, ok := apps.ReturnTo(app, raw)
		if !ok {
			return
		}
		u, err := url.Parse(got)
		if err != nil || u.User != nil || u.Scheme != "https" {
			t.Fatalf("accepted %q", got)
		}
		switch u.Host {
		case "webmail.example.it":
		case "mail.example.it":
			if u.Path != "/webmail" && !strings.HasPrefix(u.Path, "/webmail/") {
				t.Fatalf("accepted %q outside /webmail", got)
			}
		case "crm.example.it:8443":
			if !strings.HasPrefix(u.Path, "/app/") {
				t.Fatalf("accepted %q outside /app/", got)
			}
		default:
			t.Fatalf("accepted %q on host %q", got, u.Host)
		}
		if strings.ContainsAny(got, "\\ \t\r\n") || strings.Contains(u.Path, "..") || strings.HasPrefix(u.Path, "//") {
			t.Fatalf("accepted %q", got)
		}
		// The browser's reading: resolving against the prefix keeps the host.
		base, _ := url.Parse("https://webmail.example.it/")
		if r := base.ResolveReference(u); r.Host != u.Host {
			t.Fatalf("%q resolves to host %q", got, r.Host)
		}
	})
}
