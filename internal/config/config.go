// Package config reads varco's settings from flags and VARCO_* environment
// variables (a flag wins over its variable). There are no globals besides
// the table of Settings: Load returns a Config and main passes it on.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/httpx"
)

// Config is every setting of `varco serve` and the other commands.
type Config struct {
	DatabaseURL     string                    // VARCO_DATABASE_URL: SQLite path (default varco.db) or postgres://…
	Listen          string                    // VARCO_LISTEN: address to serve on
	BaseURL         string                    // VARCO_BASE_URL: public URL, for links in e-mails
	SMTPURL         string                    // VARCO_SMTP_URL: smtp://[user:pass@]host:port or smtps://…
	MailFrom        string                    // VARCO_MAIL_FROM: sender address
	SMSURL          string                    // VARCO_SMS_URL: https://… webhook (http:// on loopback) or twilio://SID:TOKEN@host?from=+…
	SMSToken        string                    // VARCO_SMS_TOKEN: bearer token for the webhook
	MailAuthSecret  string                    // VARCO_MAIL_AUTH_SECRET: the mail servers' bearer token for POST /api/v1/mail/auth; "" refuses every call
	MailBackends    map[string]netip.AddrPort // VARCO_MAIL_BACKEND_IMAP, _POP3, _SMTP: where nginx's mail proxy sends a login that GET /mail/auth-http accepted
	TrustedProxies  httpx.Proxies             // VARCO_TRUSTED_PROXIES
	GeoIPDB         string                    // VARCO_GEOIP_DB: MaxMind DB (GeoLite2-City layout); "" falls back to IP networks
	Dev             bool                      // VARCO_DEV: demo data, /dev/mailbox, cookies without Secure over http
	LogLevel        string                    // VARCO_LOG_LEVEL: debug, info, warn, error
	SessionIdle     time.Duration             // VARCO_SESSION_IDLE
	SessionAbsolute time.Duration             // VARCO_SESSION_ABSOLUTE
	AuditDir        string                    // VARCO_AUDIT_DIR: audit keys and checkpoints; default beside the SQLite file, ./varco-audit for PostgreSQL
	// VARCO_AUDIT_CHECKPOINT_INTERVAL: how often serve writes a signed
	// checkpoint when the history changed; 0 means the default, 1m.
	CheckpointInterval time.Duration
	// VAPIDSubject (VARCO_VAPID_SUBJECT) is the contact Web Push services
	// see on varco's messages (RFC 8292 "sub"): a mailto: or https: URI;
	// default the base URL when it is https, else mailto: the sender.
	VAPIDSubject string
	// WebPushLoopback (VARCO_WEBPUSH_LOOPBACK) lets Web Push reach a push
	// service on loopback: development and tests only (dev mode implies
	// it). Otherwise varco sends only to public addresses.
	WebPushLoopback bool
	ShutdownTimeout time.Duration
	// VARCO_APPLICATIONS: a JSON file of applications (SPEC §1): display
	// names and return_to prefixes, merged into the defaults.
	ApplicationsFile string
	Applications     *varco.Applications
}

// Setting is one setting: its flag, its VARCO_* variable, its default and
// its help text. Every command that opens the database takes them all; a
// flag wins over its variable, and the variable over the default.
type Setting struct {
	Flag    string
	Env     string
	Default string
	Usage   string
	Bool    bool
}

// Settings is every setting, in the order help shows them.
var Settings = []Setting{
	{Flag: "database-url", Env: "VARCO_DATABASE_URL", Default: "varco.db", Usage: "SQLite file or postgres:// URL"},
	{Flag: "listen", Env: "VARCO_LISTEN", Default: "127.0.0.1:8080", Usage: "address to listen on"},
	{Flag: "base-url", Env: "VARCO_BASE_URL", Usage: "public URL for links in e-mails (default http://LISTEN)"},
	{Flag: "smtp-url", Env: "VARCO_SMTP_URL", Usage: "SMTP server: smtp://[user:pass@]host:port or smtps://…"},
	{Flag: "mail-from", Env: "VARCO_MAIL_FROM", Default: "varco@localhost.localdomain", Usage: "sender of e-mails"},
	{Flag: "sms-url", Env: "VARCO_SMS_URL", Usage: "SMS gateway: https://… JSON webhook (http:// on loopback) or twilio://SID:TOKEN@host?from=+…"},
	{Flag: "sms-token", Env: "VARCO_SMS_TOKEN", Usage: "bearer token sent to the SMS webhook (prefer the variable to the flag)"},
	{Flag: "mail-auth-secret", Env: "VARCO_MAIL_AUTH_SECRET", Usage: "bearer token mail servers send to POST /api/v1/mail/auth; unset refuses every call (prefer the variable to the flag)"},
	{Flag: "mail-backend-imap", Env: "VARCO_MAIL_BACKEND_IMAP", Usage: "IP:port of the IMAP server nginx's mail proxy hands accepted logins to (GET /mail/auth-http)"},
	{Flag: "mail-backend-pop3", Env: "VARCO_MAIL_BACKEND_POP3", Usage: "IP:port of the POP3 server nginx's mail proxy hands accepted logins to"},
	{Flag: "mail-backend-smtp", Env: "VARCO_MAIL_BACKEND_SMTP", Usage: "IP:port of the SMTP server nginx's mail proxy hands accepted logins to"},
	{Flag: "geoip-db", Env: "VARCO_GEOIP_DB", Usage: "MaxMind DB file, GeoLite2-City layout, for the risk rules; reloaded when it changes"},
	{Flag: "trusted-proxies", Env: "VARCO_TRUSTED_PROXIES", Usage: "comma-separated CIDRs whose X-Forwarded-For is believed"},
	{Flag: "dev", Env: "VARCO_DEV", Bool: true, Usage: "dev mode: demo users, /dev/mailbox, no SMTP needed"},
	{Flag: "log-level", Env: "VARCO_LOG_LEVEL", Default: "info", Usage: "debug, info, warn or error"},
	{Flag: "session-idle", Env: "VARCO_SESSION_IDLE", Default: "30m", Usage: "sign out after this long without activity"},
	{Flag: "session-absolute", Env: "VARCO_SESSION_ABSOLUTE", Default: "12h", Usage: "sign out this long after sign-in"},
	{Flag: "audit-dir", Env: "VARCO_AUDIT_DIR", Usage: "directory of the audit keys and signed checkpoints; keep a copy of the checkpoints off this machine (default: beside the SQLite file, ./varco-audit for PostgreSQL)"},
	{Flag: "webpush-loopback", Env: "VARCO_WEBPUSH_LOOPBACK", Bool: true, Usage: "let Web Push reach push services on loopback (development and tests only)"},
	{Flag: "vapid-subject", Env: "VARCO_VAPID_SUBJECT", Usage: "contact shown to Web Push services, mailto: or https: (default: the base URL when https, else mailto: the mail sender)"},
	{Flag: "applications", Env: "VARCO_APPLICATIONS", Usage: "JSON file of the applications behind varco: ids, it/en display names, return_to URL prefixes (docs/integration.md)"},
	{Flag: "audit-checkpoint-interval", Env: "VARCO_AUDIT_CHECKPOINT_INTERVAL", Default: "1m", Usage: "how often serve writes a signed checkpoint of the activity history when it changed"},
}

// Flags registers the settings on fs with defaults from the environment,
// and returns a function that finishes parsing after fs.Parse.
func Flags(fs *flag.FlagSet, getenv func(string) string) func() (*Config, error) {
	strs := map[string]*string{}
	bools := map[string]*bool{}
	for _, st := range Settings {
		usage := st.Usage + " (" + st.Env + ")"
		if st.Bool {
			bools[st.Flag] = fs.Bool(st.Flag, ParseBool(getenv(st.Env)), usage)
			continue
		}
		def := st.Default
		if v := getenv(st.Env); v != "" {
			def = v
		}
		strs[st.Flag] = fs.String(st.Flag, def, usage)
	}
	return func() (*Config, error) {
		return Load(func(name string) string {
			if b, ok := bools[name]; ok {
				return strconv.FormatBool(*b)
			}
			return *strs[name]
		})
	}
}

// ParseBool reads a boolean setting: "1" and "true" (any case) are true,
// anything else false.
func ParseBool(v string) bool { return v == "1" || strings.EqualFold(v, "true") }

// Load builds and validates a Config; value answers each setting's flag
// name with its value, already resolved from flag, variable and default.
func Load(value func(flag string) string) (*Config, error) {
	c := &Config{DatabaseURL: value("database-url"), Listen: value("listen"), BaseURL: value("base-url"),
		SMTPURL: value("smtp-url"), MailFrom: value("mail-from"), SMSURL: value("sms-url"), SMSToken: value("sms-token"),
		MailAuthSecret: value("mail-auth-secret"),
		GeoIPDB:        value("geoip-db"), Dev: ParseBool(value("dev")), LogLevel: value("log-level"), AuditDir: value("audit-dir"),
		ApplicationsFile: value("applications")}
	proxies, idle, absolute := value("trusted-proxies"), value("session-idle"), value("session-absolute")
	var err error
	if c.TrustedProxies, err = httpx.ParseProxies(proxies); err != nil {
		return nil, err
	}
	if c.SessionIdle, err = time.ParseDuration(idle); err != nil || c.SessionIdle <= 0 {
		return nil, fmt.Errorf("session-idle %q: want a positive duration such as 30m", idle)
	}
	if c.SessionAbsolute, err = time.ParseDuration(absolute); err != nil || c.SessionAbsolute <= 0 {
		return nil, fmt.Errorf("session-absolute %q: want a positive duration such as 12h", absolute)
	}
	if interval := value("audit-checkpoint-interval"); interval != "" {
		if c.CheckpointInterval, err = time.ParseDuration(interval); err != nil || c.CheckpointInterval <= 0 {
			return nil, fmt.Errorf("audit-checkpoint-interval %q: want a positive duration such as 1m", interval)
		}
	}
	c.MailBackends = map[string]netip.AddrPort{}
	for _, proto := range []string{"imap", "pop3", "smtp"} {
		v := value("mail-backend-" + proto)
		if v == "" {
			continue
		}
		// nginx wants an IP address in Auth-Server, never a host name.
		ap, err := netip.ParseAddrPort(v)
		if err != nil || ap.Port() == 0 || ap.Addr().Zone() != "" {
			return nil, fmt.Errorf("mail-backend-%s %q: want IP:port such as 127.0.0.1:1143", proto, v)
		}
		c.MailBackends[proto] = ap
	}
	if c.Applications, err = LoadApplications(c.ApplicationsFile); err != nil {
		return nil, err
	}
	c.ShutdownTimeout = 10 * time.Second
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Listen
	}
	c.VAPIDSubject = value("vapid-subject")
	c.WebPushLoopback = ParseBool(value("webpush-loopback"))
	if c.VAPIDSubject == "" {
		c.VAPIDSubject = DefaultVAPIDSubject(c.BaseURL, c.MailFrom)
	}
	return c, c.Validate()
}

// Validate checks the settings that can be checked without I/O.
func (c *Config) Validate() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("database-url is empty"))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("base-url %q: want http(s)://host[:port]", c.BaseURL))
	}
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			errs = append(errs, errors.New("smtp-url: want smtp://[user:pass@]host:port or smtps://…"))
		}
	}
	if c.SMSURL != "" {
		if err := checkSMSURL(c.SMSURL); err != nil {
			errs = append(errs, err)
		}
	} else if c.SMSToken != "" {
		errs = append(errs, errors.New("sms-token is set but sms-url is not"))
	}
	if c.VAPIDSubject != "" && !validVAPIDSubject(c.VAPIDSubject) {
		errs = append(errs, fmt.Errorf("vapid-subject %q: want mailto:address or https://host", c.VAPIDSubject))
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	return errors.Join(errs...)
}

// checkSMSURL checks the shape of an SMS gateway URL: a URL with a host
// and one of the schemes a gateway has. The gateway's own rules (loopback
// for http, credentials, the Twilio sender) are internal/sms's, applied
// when the app builds the sender at start. The error never quotes the URL,
// which may carry credentials.
func checkSMSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || strings.TrimSpace(raw) != raw || u.Host == "" {
		return errors.New("sms-url: want https://host/path or twilio://SID:TOKEN@host?from=+…")
	}
	switch strings.ToLower(u.Scheme) {
	case "https", "http", "twilio":
		return nil
	}
	return errors.New("sms-url: the scheme must be https, http (loopback) or twilio")
}

// DefaultVAPIDSubject is the Web Push contact when none is set: the base
// URL's origin when it is https, else mailto: the bare address of
// mailFrom ("Varco <varco@example.it>" gives mailto:varco@example.it).
func DefaultVAPIDSubject(baseURL, mailFrom string) string {
	if u, err := url.Parse(baseURL); err == nil && u.Scheme == "https" && u.Host != "" {
		return "https://" + u.Host
	}
	addr := mailFrom
	if i := strings.LastIndexByte(addr, '<'); i >= 0 {
		addr = strings.TrimSuffix(addr[i+1:], ">")
	}
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return ""
	}
	return "mailto:" + addr
}

func validVAPIDSubject(s string) bool {
	if strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	if addr, ok := strings.CutPrefix(s, "mailto:"); ok {
		at := strings.LastIndexByte(addr, '@')
		return at > 0 && at < len(addr)-1
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != ""
}

// SecureCookies reports whether cookies must carry Secure: always, except in
// dev mode served over plain http.
func (c *Config) SecureCookies() bool {
	return !(c.Dev && strings.HasPrefix(c.BaseURL, "http://"))
}

// applicationsFile is the shape of VARCO_APPLICATIONS:
//
//	{"applications": [{"id": "webmail", "name": {"it": "Posta", "en": "Webmail"},
//	  "return_to": ["https://webmail.example.it/"]}]}
type applicationsFile struct {
	Applications []struct {
		ID       string            `json:"id"`
		Name     map[string]string `json:"name"`
		ReturnTo []string          `json:"return_to"`
	} `json:"applications"`
}

// LoadApplications reads the applications file at path into the default
// applications; "" is the defaults alone. Unknown fields, a bad id, name
// or prefix fail the start.
func LoadApplications(path string) (*varco.Applications, error) {
	if path == "" {
		return varco.DefaultApplications(), nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("applications: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var f applicationsFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("applications %s: %w", path, err)
	}
	list := make([]varco.Application, 0, len(f.Applications))
	for _, a := range f.Applications {
		list = append(list, varco.Application{ID: a.ID, Names: a.Name, ReturnTo: a.ReturnTo})
	}
	apps, err := varco.NewApplications(list)
	if err != nil {
		return nil, fmt.Errorf("applications %s: %w", path, err)
	}
	return apps, nil
}
