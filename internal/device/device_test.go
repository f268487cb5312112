package device

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Real User-Agent strings of current clients, with what a person should
// read (SPEC §3: devices as "browser on system").
var cases = []struct {
	name, ua, en, it string
}{
	// Chrome
	{"chrome windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36",
		"Chrome 148 on Windows", "Chrome 148 su Windows"},
	{"chrome macos", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36",
		"Chrome 148 on macOS", "Chrome 148 su macOS"},
	{"chrome linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36",
		"Chrome 148 on Linux", "Chrome 148 su Linux"},
	{"chrome android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Mobile Safari/537.36",
		"Chrome 148 on Android", "Chrome 148 su Android"},
	{"chrome ios", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/148.0.7778.73 Mobile/15E148 Safari/604.1",
		"Chrome 148 on iOS", "Chrome 148 su iOS"},
	{"chrome chromeos", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36",
		"Chrome 148 on ChromeOS", "Chrome 148 su ChromeOS"},
	{"headless chromium", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.7610.0 Safari/537.36",
		"Chrome 156 on Linux", "Chrome 156 su Linux"},
	// Firefox
	{"firefox windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:147.0) Gecko/20100101 Firefox/147.0",
		"Firefox 147 on Windows", "Firefox 147 su Windows"},
	{"firefox macos", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:147.0) Gecko/20100101 Firefox/147.0",
		"Firefox 147 on macOS", "Firefox 147 su macOS"},
	{"firefox linux", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:147.0) Gecko/20100101 Firefox/147.0",
		"Firefox 147 on Linux", "Firefox 147 su Linux"},
	{"firefox android", "Mozilla/5.0 (Android 15; Mobile; rv:147.0) Gecko/147.0 Firefox/147.0",
		"Firefox 147 on Android", "Firefox 147 su Android"},
	{"firefox ios", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/147.0 Mobile/15E148 Safari/605.1.15",
		"Firefox 147 on iOS", "Firefox 147 su iOS"},
	// Safari
	{"safari macos", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.1 Safari/605.1.15",
		"Safari 26 on macOS", "Safari 26 su macOS"},
	{"safari iphone", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1",
		"Safari 26 on iOS", "Safari 26 su iOS"},
	{"safari ipad", "Mozilla/5.0 (iPad; CPU OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1",
		"Safari 26 on iOS", "Safari 26 su iOS"},
	// Edge
	{"edge windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36 Edg/148.0.3967.54",
		"Edge 148 on Windows", "Edge 148 su Windows"},
	{"edge macos", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36 Edg/148.0.3967.54",
		"Edge 148 on macOS", "Edge 148 su macOS"},
	{"edge android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Mobile Safari/537.36 EdgA/148.0.3967.54",
		"Edge 148 on Android", "Edge 148 su Android"},
	{"edge ios", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 EdgiOS/148.3967.54 Mobile/15E148 Safari/605.1.15",
		"Edge 148 on iOS", "Edge 148 su iOS"},
	// Others the library knows
	{"samsung internet", "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36",
		"Samsung Browser 27 on Android", "Samsung Browser 27 su Android"},
	{"opera windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36 OPR/130.0.0.0",
		"Opera 130 on Windows", "Opera 130 su Windows"},

	// Thunderbird: HTTP User-Agent, IMAP ID as sent and as Dovecot logs it.
	{"thunderbird windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0",
		"Thunderbird 128 on Windows", "Thunderbird 128 su Windows"},
	{"thunderbird linux", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Thunderbird/140.3.0",
		"Thunderbird 140 on Linux", "Thunderbird 140 su Linux"},
	{"thunderbird macos", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:140.0) Gecko/20100101 Thunderbird/140.3.0",
		"Thunderbird 140 on macOS", "Thunderbird 140 su macOS"},
	{"thunderbird imap id", `("name" "Thunderbird" "version" "128.3.0")`,
		"Thunderbird 128", "Thunderbird 128"},
	{"thunderbird imap id logged", "name=Thunderbird, version=140.3.0",
		"Thunderbird 140", "Thunderbird 140"},
	// Outlook
	{"outlook windows", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.18025; Pro)",
		"Outlook on Windows", "Outlook su Windows"},
	{"outlook x-mailer", "Microsoft Outlook 16.0", "Outlook", "Outlook"},
	{"outlook macos", "MacOutlook/16.89.24091630 (Intelx64 Mac OS X 14.6.1 (Build 23G93))",
		"Outlook on macOS", "Outlook su macOS"},
	{"outlook ios", "Outlook-iOS/709.2226530.prod.iphone (4.2435.0)", "Outlook on iOS", "Outlook su iOS"},
	{"outlook android", "Outlook-Android/2.0", "Outlook on Android", "Outlook su Android"},
	{"outlook imap id", `("name" "Microsoft Outlook" "version" "16.0" "os" "Windows")`,
		"Outlook on Windows", "Outlook su Windows"},
	// Apple Mail
	{"apple mail cfnetwork", "Mail/3826.300.87.2.22 CFNetwork/1568.100.1.2.1 Darwin/24.0.0",
		"Apple Mail", "Apple Mail"},
	{"apple mail ews", "Mac OS X/14.6.1 (23G93); ExchangeWebServices/10.0 (306); Mail/16.0 (3776.700.51)",
		"Apple Mail on macOS", "Apple Mail su macOS"},
	{"apple mail activesync", "Apple-iPhone15C2/2107.54", "Apple Mail on iOS", "Apple Mail su iOS"},
	{"apple mail x-mailer", "Apple Mail (2.3826.200.121)", "Apple Mail on macOS", "Apple Mail su macOS"},
	{"iphone mail x-mailer", "iPhone Mail (22A3354)", "Apple Mail on iOS", "Apple Mail su iOS"},
	{"apple mail imap id", `("name" "Mac OS X Mail" "version" "16.0 (3774.600.62)" "os" "Mac OS X" "os-version" "13.4 (22F66)" "vendor" "Apple Inc.")`,
		"Apple Mail 16 on macOS", "Apple Mail 16 su macOS"},
	{"iphone mail imap id", `("name" "iPhone Mail" "version" "20F66" "os" "iOS" "os-version" "16.5 (20F66)")`,
		"Apple Mail on iOS", "Apple Mail su iOS"},
	{"iphone mail imap id logged", "name=iPhone Mail, version=22A3354, os=iOS, os-version=18.0 (22A3354)",
		"Apple Mail on iOS", "Apple Mail su iOS"},
	{"k-9 imap id", `("name" "K-9 Mail" "version" "6.800")`, "K-9 Mail 6 on Android", "K-9 Mail 6 su Android"},
	{"unknown imap client", `("name" "Evil Corp call +1 555 0100" "os" "Windows")`,
		"Unknown app on Windows", "App sconosciuta su Windows"},

	// Tools
	{"curl", "curl/8.14.1", "curl 8", "curl 8"},
	{"wget", "Wget/1.21.3", "Wget 1", "Wget 1"},
	{"python requests", "python-requests/2.32.3", "Python requests 2", "Python requests 2"},
	{"go", "Go-http-client/1.1", "Go HTTP client", "Go HTTP client"},

	// Junk and partial
	{"empty", "", "", ""},
	{"spaces", "   ", "", ""},
	{"mozilla only", "Mozilla/5.0", "Unknown device", "Dispositivo sconosciuto"},
	{"one letter", "x", "Unknown device", "Dispositivo sconosciuto"},
	{"googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Unknown device", "Dispositivo sconosciuto"},
	{"words", "please call +1 555 0100 to unlock your account", "Unknown device", "Dispositivo sconosciuto"},
	{"windows only", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "Unknown app on Windows", "App sconosciuta su Windows"},
	{"bad utf8", "\xff\xfe\x00\xc0", "Unknown device", "Dispositivo sconosciuto"},
	{"bad utf8 around a token", "\xff\xfe\x00Chrome/\xff", "Chrome", "Chrome"},
	{"huge version", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99999999999999.0.0.0 Safari/537.36", "Chrome on Linux", "Chrome su Linux"},
	{"unclosed imap id", `("name" "Thunderbird`, "Unknown device", "Dispositivo sconosciuto"},
	{"imap id nil", `("name" NIL "os" "Android")`, "Unknown app on Android", "App sconosciuta su Android"},
}

func TestDescribe(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, tc := range []struct{ lang, want string }{{"en", c.en}, {"it", c.it}, {"it-IT", c.it}, {"", c.en}, {"de", c.en}} {
				if got := Describe(c.ua, tc.lang); got != tc.want {
					t.Errorf("Describe(%q, %q) = %q, want %q", c.ua, tc.lang, got, tc.want)
				}
			}
		})
	}
}

// The cache answers what Parse answers, and a full cache starts over
// instead of growing.
func TestCache(t *testing.T) {
	for _, c := range cases {
		if got, want := lookup(c.ua), Parse(c.ua); got != want {
			t.Errorf("lookup(%q) = %+v, Parse = %+v", c.ua, got, want)
		}
	}
	for i := range 3 * cacheEntries {
		lookup("curl/" + strings.Repeat("1", i%7) + string(rune('a'+i%26)) + strings.Repeat("x", i/26))
	}
	cache.RLock()
	n := len(cache.m)
	cache.RUnlock()
	if n > cacheEntries {
		t.Errorf("cache holds %d entries, at most %d", n, cacheEntries)
	}
	long := cases[2].ua + " " + strings.Repeat("a", cacheMaxBytes)
	if got := Describe(long, "en"); got != "Chrome 148 on Linux" {
		t.Errorf("long user agent: %q", got)
	}
	cache.RLock()
	_, cached := cache.m[long]
	cache.RUnlock()
	if cached {
		t.Error("a user agent over the cache's limit was cached")
	}
}

// FuzzDescribe: any string, in any language, gives an answer without
// panicking; the answer is valid UTF-8, short, and made only of our
// own words and version numbers, never of the input's text.
func FuzzDescribe(f *testing.F) {
	for _, c := range cases {
		f.Add(c.ua)
	}
	f.Add(`("name" "Thunderbird" "version" "\"1\\`)
	f.Add("name=")
	f.Add(`(NIL NIL "name"`)
	f.Fuzz(func(t *testing.T, ua string) {
		for _, lang := range []string{"en", "it"} {
			got := Describe(ua, lang)
			if !utf8.ValidString(got) || len(got) > 80 {
				t.Fatalf("Describe(%q, %q) = %q", ua, lang, got)
			}
			if strings.TrimSpace(ua) != "" && got == "" {
				t.Fatalf("Describe(%q, %q) is empty", ua, lang)
			}
			in := Parse(ua)
			for _, part := range []string{in.Client, in.OS} {
				if part != "" && !known[part] {
					t.Fatalf("Parse(%q) names %q, not from our tables or the library's", ua, part)
				}
			}
			if strings.Trim(in.Version, "0123456789") != "" || len(in.Version) > 5 {
				t.Fatalf("Parse(%q) version %q", ua, in.Version)
			}
		}
	})
}

// known is every client and system name Describe may show.
var known = func() map[string]bool {
	m := map[string]bool{"Internet Explorer": true}
	for _, r := range rules {
		m[r.client], m[r.os] = true, true
	}
	for _, c := range imapClients {
		m[c.client], m[c.os] = true, true
	}
	for _, s := range []string{osWindows, osMacOS, osLinux, osAndroid, osIOS, osChromeOS, "FreeBSD", "OpenBSD",
		"Android Browser", "Chrome", "Edge", "Firefox", "Opera", "Opera Mini", "Safari", "Vivaldi", "Amazon Silk",
		"Samsung Browser", "Falkon", "Nintendo Browser", "Yandex Browser", "Huawei Browser"} {
		m[s] = true
	}
	return m
}()

func BenchmarkDescribe(b *testing.B) {
	uas := make([]string, 0, len(cases))
	for _, c := range cases {
		uas = append(uas, c.ua)
	}
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			Describe(uas[i%len(uas)], "it")
		}
	})
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			describe(Parse(uas[i%len(uas)]), "it")
		}
	})
}

// Pages, e-mails and the API describe devices from many goroutines at once.
func TestDescribeConcurrent(t *testing.T) {
	done := make(chan struct{})
	for g := range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 2 * cacheEntries {
				c := cases[(i+g)%len(cases)]
				if got := Describe(c.ua, "en"); got != c.en {
					t.Errorf("Describe(%q) = %q, want %q", c.ua, got, c.en)
					return
				}
				Describe(c.ua+strings.Repeat(" x", i%50), "it")
			}
		}()
	}
	for range 4 {
		<-done
	}
}

func TestPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		args    []string
		want    string
	}{
		{"%[1]s su %[2]s", []string{"Chrome 148", "Linux"}, "Chrome 148 su Linux"},
		{"%[2]s: %[1]s", []string{"a", "b"}, "b: a"},
		{"App sconosciuta su %s", []string{"Windows"}, "App sconosciuta su Windows"},
		{"100% %s", []string{"x"}, "100% x"},
		{"%s", nil, ""},
		{"no verbs", []string{"x"}, "no verbs"},
	} {
		if got := parsePattern(tc.pattern).fill(tc.args...); got != tc.want {
			t.Errorf("%q with %q = %q, want %q", tc.pattern, tc.args, got, tc.want)
		}
	}
}
