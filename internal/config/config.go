// Package config reads varco's settings from flags and VARCO_* environment
// variables (a flag wins over its variable). There are no globals: Load
// returns a Config and main passes it on.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"time"

	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/sms"
)

// Config is every setting of `varco serve` and the other commands.
type Config struct {
	DatabaseURL     string        // VARCO_DATABASE_URL: SQLite path (default varco.db) or postgres://…
	Listen          string        // VARCO_LISTEN: address to serve on
	BaseURL         string        // VARCO_BASE_URL: public URL, for links in e-mails
	SMTPURL         string        // VARCO_SMTP_URL: smtp://[user:pass@]host:port or smtps://…
	MailFrom        string        // VARCO_MAIL_FROM: sender address
	SMSURL          string        // VARCO_SMS_URL: https://… webhook (http:// on loopback) or twilio://SID:TOKEN@host?from=+…
	SMSToken        string        // VARCO_SMS_TOKEN: bearer token for the webhook
	TrustedProxies  httpx.Proxies // VARCO_TRUSTED_PROXIES
	GeoIPDB         string        // VARCO_GEOIP_DB: MaxMind DB (GeoLite2-City layout); "" falls back to IP networks
	Dev             bool          // VARCO_DEV: demo data, /dev/mailbox, cookies without Secure over http
	LogLevel        string        // VARCO_LOG_LEVEL: debug, info, warn, error
	SessionIdle     time.Duration // VARCO_SESSION_IDLE
	SessionAbsolute time.Duration // VARCO_SESSION_ABSOLUTE
	AuditDir        string        // VARCO_AUDIT_DIR: audit keys and checkpoints; default beside the SQLite file, ./varco-audit for PostgreSQL
	// VARCO_AUDIT_CHECKPOINT_INTERVAL: how often serve writes a signed
	// checkpoint when the history changed; 0 means the default, 1m.
	CheckpointInterval time.Duration
	ShutdownTimeout    time.Duration
}

// envOr returns the variable's value or def.
func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// Flags registers the settings on fs with defaults from the environment,
// and returns a function that finishes parsing after fs.Parse.
func Flags(fs *flag.FlagSet, getenv func(string) string) func() (*Config, error) {
	c := &Config{}
	var proxies, idle, absolute, checkpoint string
	fs.StringVar(&c.DatabaseURL, "database-url", envOr(getenv, "VARCO_DATABASE_URL", "varco.db"), "SQLite file or postgres:// URL (VARCO_DATABASE_URL)")
	fs.StringVar(&c.Listen, "listen", envOr(getenv, "VARCO_LISTEN", "127.0.0.1:8080"), "address to listen on (VARCO_LISTEN)")
	fs.StringVar(&c.BaseURL, "base-url", getenv("VARCO_BASE_URL"), "public URL for links in e-mails (VARCO_BASE_URL; default http://LISTEN)")
	fs.StringVar(&c.SMTPURL, "smtp-url", getenv("VARCO_SMTP_URL"), "SMTP server: smtp://[user:pass@]host:port or smtps://… (VARCO_SMTP_URL)")
	fs.StringVar(&c.MailFrom, "mail-from", envOr(getenv, "VARCO_MAIL_FROM", "varco@localhost.localdomain"), "sender of e-mails (VARCO_MAIL_FROM)")
	fs.StringVar(&c.SMSURL, "sms-url", getenv("VARCO_SMS_URL"), "SMS gateway: https://… JSON webhook (http:// on loopback) or twilio://SID:TOKEN@host?from=+… (VARCO_SMS_URL)")
	fs.StringVar(&c.SMSToken, "sms-token", getenv("VARCO_SMS_TOKEN"), "bearer token sent to the SMS webhook (VARCO_SMS_TOKEN; prefer the variable to the flag)")
	fs.StringVar(&c.GeoIPDB, "geoip-db", getenv("VARCO_GEOIP_DB"), "MaxMind DB file, GeoLite2-City layout, for the risk rules; reloaded when it changes (VARCO_GEOIP_DB)")
	fs.StringVar(&proxies, "trusted-proxies", getenv("VARCO_TRUSTED_PROXIES"), "comma-separated CIDRs whose X-Forwarded-For is believed (VARCO_TRUSTED_PROXIES)")
	fs.BoolVar(&c.Dev, "dev", getenv("VARCO_DEV") == "1" || getenv("VARCO_DEV") == "true", "dev mode: demo users, /dev/mailbox, no SMTP needed (VARCO_DEV)")
	fs.StringVar(&c.LogLevel, "log-level", envOr(getenv, "VARCO_LOG_LEVEL", "info"), "debug, info, warn or error (VARCO_LOG_LEVEL)")
	fs.StringVar(&idle, "session-idle", envOr(getenv, "VARCO_SESSION_IDLE", "30m"), "sign out after this long without activity (VARCO_SESSION_IDLE)")
	fs.StringVar(&absolute, "session-absolute", envOr(getenv, "VARCO_SESSION_ABSOLUTE", "12h"), "sign out this long after sign-in (VARCO_SESSION_ABSOLUTE)")
	fs.StringVar(&c.AuditDir, "audit-dir", getenv("VARCO_AUDIT_DIR"), "directory of the audit keys and signed checkpoints; keep a copy of the checkpoints off this machine (VARCO_AUDIT_DIR; default: beside the SQLite file, ./varco-audit for PostgreSQL)")
	fs.StringVar(&checkpoint, "audit-checkpoint-interval", envOr(getenv, "VARCO_AUDIT_CHECKPOINT_INTERVAL", "1m"), "how often serve writes a signed checkpoint of the activity history when it changed (VARCO_AUDIT_CHECKPOINT_INTERVAL)")
	return func() (*Config, error) {
		var err error
		if c.CheckpointInterval, err = time.ParseDuration(checkpoint); err != nil || c.CheckpointInterval <= 0 {
			return nil, fmt.Errorf("audit-checkpoint-interval %q: want a positive duration such as 1m", checkpoint)
		}
		if c.TrustedProxies, err = httpx.ParseProxies(proxies); err != nil {
			return nil, err
		}
		if c.SessionIdle, err = time.ParseDuration(idle); err != nil || c.SessionIdle <= 0 {
			return nil, fmt.Errorf("session-idle %q: want a positive duration such as 30m", idle)
		}
		if c.SessionAbsolute, err = time.ParseDuration(absolute); err != nil || c.SessionAbsolute <= 0 {
			return nil, fmt.Errorf("session-absolute %q: want a positive duration such as 12h", absolute)
		}
		c.ShutdownTimeout = 10 * time.Second
		if c.BaseURL == "" {
			c.BaseURL = "http://" + c.Listen
		}
		return c, c.Validate()
	}
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
		if _, err := sms.New(c.SMSURL, c.SMSToken, sms.Options{}); err != nil {
			errs = append(errs, fmt.Errorf("sms-url: %w", err))
		}
	} else if c.SMSToken != "" {
		errs = append(errs, errors.New("sms-token is set but sms-url is not"))
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log-level %q: want debug, info, warn or error", c.LogLevel))
	}
	return errors.Join(errs...)
}

// SecureCookies reports whether cookies must carry Secure: always, except in
// dev mode served over plain http.
func (c *Config) SecureCookies() bool {
	return !(c.Dev && strings.HasPrefix(c.BaseURL, "http://"))
}
