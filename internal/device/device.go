// Package device names the client behind a User-Agent the way people say
// it: "Chrome 148 on Linux", "Thunderbird 128 su Windows" (SPEC §3:
// devices as "browser on system"). It is the one place that turns a
// recorded user agent into words; pages, e-mails and the API call
// Describe, and the raw string stays in the history and the exports.
//
// Browsers are recognised by github.com/medama-io/go-useragent. It knows
// no mail clients, so a small table of our own comes first: Thunderbird,
// Outlook, Apple Mail and a few command-line tools by their HTTP
// User-Agent or X-Mailer, and mail clients by the IMAP ID (RFC 2971) they
// send, as the list itself (`("name" "Thunderbird" "version" "128.3.0")`)
// or as Dovecot logs it (`name=Thunderbird, version=128.3.0`).
//
// Only names from these tables are ever shown: a client that calls itself
// something else is an unknown device, so a crafted User-Agent cannot put
// its own words into a login alert.
package device

import (
	"strconv"
	"strings"
	"sync"

	useragent "github.com/medama-io/go-useragent"
	"github.com/medama-io/go-useragent/agents"

	"varco.dev/varco/internal/i18n"
)

// Operating systems as shown.
const (
	osWindows  = "Windows"
	osMacOS    = "macOS"
	osLinux    = "Linux"
	osAndroid  = "Android"
	osIOS      = "iOS"
	osChromeOS = "ChromeOS"
)

// Client names from our own table.
const (
	clientThunderbird = "Thunderbird"
	clientOutlook     = "Outlook"
	clientAppleMail   = "Apple Mail"
	clientK9          = "K-9 Mail"
)

// Info is what a user agent says, in no language: the client, its major
// version and the operating system, each "" when not known.
type Info struct {
	Client  string
	Version string
	OS      string
}

// maxParse bounds the bytes of a user agent looked at; the history keeps
// at most 512 (text.MaxUserAgent).
const maxParse = 1024

// Describe returns the client behind ua in lang ("it" or "en"; any other
// is English): "Chrome 148 on Linux", "Chrome 148 su Linux", "Outlook on
// Windows", "curl 8". Parts not recognised are left out; when nothing is,
// it answers "Unknown device" ("Dispositivo sconosciuto"), and "" for an
// empty ua. It never returns a part of ua that is not a version number.
func Describe(ua, lang string) string {
	if strings.TrimSpace(ua) == "" {
		return ""
	}
	return describe(lookup(ua), lang)
}

func describe(in Info, lang string) string {
	w := wordsIn(lang)
	name := in.Client
	if name != "" && in.Version != "" {
		name += " " + in.Version
	}
	switch {
	case name != "" && in.OS != "":
		return w.on.fill(name, in.OS)
	case name != "":
		return name
	case in.OS != "":
		return w.unknownApp.fill(in.OS)
	default:
		return w.unknown
	}
}

// words are the catalogue's texts of Describe in one language, read once:
// the history describes a user agent on every row.
type words struct {
	on, unknownApp pattern
	unknown        string
}

var catalogueWords = sync.OnceValue(func() map[string]words {
	m := map[string]words{}
	for _, lang := range i18n.Langs {
		m[lang] = words{on: parsePattern(i18n.T(lang, "device.on")),
			unknownApp: parsePattern(i18n.T(lang, "device.unknown_app")), unknown: i18n.T(lang, "device.unknown")}
	}
	return m
})

// pattern is a catalogue text cut at its verbs (%s, %[1]s, %[2]s), so that
// filling it costs one allocation rather than fmt's.
type pattern struct {
	lits []string // len(args)+1 pieces around the verbs
	args []int    // which argument each verb takes
}

func parsePattern(s string) pattern {
	var p pattern
	var lit strings.Builder
	next := 0
	for i := 0; i < len(s); i++ {
		arg := -1
		switch {
		case strings.HasPrefix(s[i:], "%s"):
			arg = next
			i++
		case len(s) >= i+5 && s[i] == '%' && s[i+1] == '[' && s[i+2] >= '1' && s[i+2] <= '9' && s[i+3:i+5] == "]s":
			arg = int(s[i+2] - '1')
			i += 4
		default:
			lit.WriteByte(s[i])
			continue
		}
		p.lits = append(p.lits, lit.String())
		p.args = append(p.args, arg)
		lit.Reset()
		next = arg + 1
	}
	p.lits = append(p.lits, lit.String())
	return p
}

// fill writes the pattern with args.
func (p pattern) fill(args ...string) string {
	n := 0
	for _, l := range p.lits {
		n += len(l)
	}
	for _, a := range args {
		n += len(a)
	}
	var b strings.Builder
	b.Grow(n)
	for i, a := range p.args {
		b.WriteString(p.lits[i])
		if a >= 0 && a < len(args) {
			b.WriteString(args[a])
		}
	}
	b.WriteString(p.lits[len(p.lits)-1])
	return b.String()
}

// wordsIn returns the words of lang ("it", "it-IT"…), English for any
// language the catalogue does not have.
func wordsIn(lang string) words {
	return catalogueWords()[i18n.Lang(lang)]
}

// Cache: the history shows the same few user agents on every row, and a
// parse costs about a microsecond. Entries are bounded so that a flood of
// distinct user agents cannot grow memory: when full, the cache starts
// over.
const (
	cacheEntries  = 2048
	cacheMaxBytes = 512
)

var cache struct {
	sync.RWMutex
	m map[string]Info
}

func lookup(ua string) Info {
	if len(ua) > cacheMaxBytes {
		return Parse(ua)
	}
	cache.RLock()
	in, ok := cache.m[ua]
	cache.RUnlock()
	if ok {
		return in
	}
	in = Parse(ua)
	cache.Lock()
	if cache.m == nil || len(cache.m) >= cacheEntries {
		cache.m = make(map[string]Info, 64)
	}
	cache.m[strings.Clone(ua)] = in
	cache.Unlock()
	return in
}

var parser = sync.OnceValue(useragent.NewParser)

// Parse reads ua without a cache; Describe is what callers want.
func Parse(ua string) Info {
	ua = strings.TrimSpace(ua)
	if len(ua) > maxParse {
		ua = ua[:maxParse]
	}
	if ua == "" {
		return Info{}
	}
	if id, ok := parseIMAPID(ua); ok {
		return fromIMAPID(id)
	}
	in, r := fromTable(ua)
	switch {
	case r == nil:
		in = fromLibrary(ua)
	case r.tool:
		return in
	case in.OS == "":
		in.OS = osName(parser().Parse(ua).OS())
	}
	if in.OS == "" {
		in.OS = osFromText(ua)
	}
	return in
}

// fromLibrary asks go-useragent, which knows the browsers.
func fromLibrary(ua string) Info {
	a := parser().Parse(ua)
	in := Info{OS: osName(a.OS())}
	switch b := a.Browser(); b {
	case "":
	case agents.BrowserIE:
		in.Client = "Internet Explorer"
	default:
		in.Client = string(b)
	}
	if in.Client != "" {
		in.Version = major(a.BrowserVersion())
	}
	return in
}

func osName(o agents.OS) string {
	switch o {
	case agents.OSMacOS:
		return osMacOS
	case agents.OSWindows, agents.OSLinux, agents.OSAndroid, agents.OSIOS, agents.OSChromeOS,
		agents.OSFreeBSD, agents.OSOpenBSD:
		return string(o)
	}
	return ""
}

// rule recognises a client the library does not know.
type rule struct {
	token   string // appears in the user agent
	prefix  bool   // … at its start
	also    string // and so must this, when set
	client  string
	version bool   // the number after token is the version
	os      string // the system the client implies; "" to read it from the rest
	tool    bool   // a command-line tool or library: no system is shown
}

// rules are tried in order; the first that matches names the client.
var rules = []rule{
	// Thunderbird's HTTP User-Agent and its User-Agent mail header:
	// "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0".
	{token: "Thunderbird/", client: clientThunderbird, version: true},
	// Outlook for Windows over HTTP ("Microsoft Office/16.0 (Windows NT
	// 10.0; Microsoft Outlook 16.0.18025; Pro)") and its X-Mailer
	// ("Microsoft Outlook 16.0"): 16.0 has been every Outlook since 2016,
	// so no version is shown.
	{token: "Microsoft Outlook", client: clientOutlook},
	{token: "MacOutlook/", prefix: true, client: clientOutlook, os: osMacOS},
	{token: "Outlook-iOS/", prefix: true, client: clientOutlook, os: osIOS},
	{token: "Outlook-Android/", prefix: true, client: clientOutlook, os: osAndroid},
	// Apple Mail: Exchange ActiveSync ("Apple-iPhone15C2/2107.54"), its
	// X-Mailer ("Apple Mail (2.3826.200.121)", "iPhone Mail (22A3354)"),
	// Exchange Web Services ("Mac OS X/14.6.1 (23G93); ExchangeWebServices/10.0
	// (306); Mail/16.0 (3776.700.51)") and CFNetwork ("Mail/3826.300.87
	// CFNetwork/1568.100.1 Darwin/24.0.0").
	{token: "Apple-iPhone", prefix: true, client: clientAppleMail, os: osIOS},
	{token: "Apple-iPad", prefix: true, client: clientAppleMail, os: osIOS},
	{token: "iPhone Mail (", prefix: true, client: clientAppleMail, os: osIOS},
	{token: "iPad Mail (", prefix: true, client: clientAppleMail, os: osIOS},
	{token: "Apple Mail (", prefix: true, client: clientAppleMail, os: osMacOS},
	{token: "ExchangeWebServices/", also: "Mail/", client: clientAppleMail},
	{token: "Mail/", prefix: true, also: "Darwin/", client: clientAppleMail},
	{token: "K-9 Mail", client: clientK9, os: osAndroid},
	// Command-line tools and libraries: no system to show.
	{token: "curl/", prefix: true, client: "curl", version: true, tool: true},
	{token: "Wget/", prefix: true, client: "Wget", version: true, tool: true},
	{token: "python-requests/", prefix: true, client: "Python requests", version: true, tool: true},
	{token: "Go-http-client/", prefix: true, client: "Go HTTP client", tool: true},
}

func fromTable(ua string) (Info, *rule) {
	for k := range rules {
		r := &rules[k]
		i := 0
		if r.prefix {
			if !strings.HasPrefix(ua, r.token) {
				continue
			}
		} else if i = strings.Index(ua, r.token); i < 0 {
			continue
		}
		if r.also != "" && !strings.Contains(ua, r.also) {
			continue
		}
		in := Info{Client: r.client, OS: r.os}
		if r.version {
			in.Version = major(ua[i+len(r.token):])
		}
		return in, r
	}
	return Info{}, nil
}

// osFromText finds the system where neither the library nor the rule did:
// mail clients write it their own way ("Mac OS X/14.6.1", "Intelx64 Mac OS
// X 14.6"). iOS first: its user agents say "like Mac OS X".
func osFromText(ua string) string {
	switch {
	case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"), strings.Contains(ua, "iOS"):
		return osIOS
	case strings.Contains(ua, "Mac OS X"), strings.Contains(ua, "Mac_OS_X"), strings.Contains(ua, "macOS"):
		return osMacOS
	case strings.Contains(ua, "Android"):
		return osAndroid
	case strings.Contains(ua, "Windows"):
		return osWindows
	case strings.Contains(ua, "Linux"):
		return osLinux
	}
	return ""
}

// major returns the leading whole number of a version ("148" of
// "148.0.7778.73"), or "" unless v starts with a version: digits, then
// the end, a dot or a space. "20F66" (an iOS build) is no version.
func major(v string) string {
	n := 0
	for n < len(v) && v[n] >= '0' && v[n] <= '9' {
		n++
	}
	if n == 0 || n > 5 {
		return ""
	}
	if n < len(v) && v[n] != '.' && v[n] != ' ' && v[n] != ';' && v[n] != ')' {
		return ""
	}
	m, _ := strconv.Atoi(v[:n])
	return strconv.Itoa(m)
}
