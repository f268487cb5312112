package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(args []string, env map[string]string) (*Config, error) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	finish := Flags(fs, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return finish()
}

func TestDefaults(t *testing.T) {
	c, err := load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "varco.db" || c.Listen != "127.0.0.1:8080" || c.BaseURL != "http://127.0.0.1:8080" ||
		c.SessionIdle != 30*time.Minute || c.SessionAbsolute != 12*time.Hour || c.Dev || !c.SecureCookies() {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestEnvAndFlags(t *testing.T) {
	env := map[string]string{"VARCO_DATABASE_URL": "postgres://x/y", "VARCO_TRUSTED_PROXIES": "127.0.0.1/32,::1/128",
		"VARCO_DEV": "1", "VARCO_SMTP_URL": "smtp://127.0.0.1:2525", "VARCO_SESSION_IDLE": "5m"}
	c, err := load([]string{"--listen", "127.0.0.1:9999"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://x/y" || len(c.TrustedProxies) != 2 || !c.Dev || c.Listen != "127.0.0.1:9999" ||
		c.SessionIdle != 5*time.Minute || c.SecureCookies() {
		t.Fatalf("config: %+v", c)
	}
	// A flag wins over its variable.
	c, _ = load([]string{"--database-url", "other.db"}, env)
	if c.DatabaseURL != "other.db" {
		t.Fatalf("flag did not win: %s", c.DatabaseURL)
	}
}

func TestInvalid(t *testing.T) {
	for name, tt := range map[string]struct {
		args []string
		env  map[string]string
	}{
		"proxy":     {nil, map[string]string{"VARCO_TRUSTED_PROXIES": "nonsense"}},
		"idle":      {[]string{"--session-idle", "soon"}, nil},
		"absolute":  {[]string{"--session-absolute", "-1h"}, nil},
		"smtp":      {[]string{"--smtp-url", "http://mail"}, nil},
		"base url":  {[]string{"--base-url", "ftp://x"}, nil},
		"log level": {[]string{"--log-level", "loud"}, nil},
		"empty db":  {[]string{"--database-url", ""}, nil},
		// The gateway's own rules are checked when the app builds the
		// sender (app.TestStartRefusesBadSMSGateway); config checks shape.
		"sms scheme":  {nil, map[string]string{"VARCO_SMS_URL": "ftp://sms.example.it/hook"}},
		"sms no host": {nil, map[string]string{"VARCO_SMS_URL": "https:///hook"}},
		"sms spaces":  {nil, map[string]string{"VARCO_SMS_URL": " https://sms.example.it/hook"}},
		"sms token":   {nil, map[string]string{"VARCO_SMS_TOKEN": "orphan"}},
	} {
		if _, err := load(tt.args, tt.env); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSMS(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		url, tok string
	}{
		{name: "none"},
		{name: "webhook from env", env: map[string]string{"VARCO_SMS_URL": "https://sms.example.it/hook", "VARCO_SMS_TOKEN": "s3cret"},
			url: "https://sms.example.it/hook", tok: "s3cret"},
		{name: "loopback http", env: map[string]string{"VARCO_SMS_URL": "http://127.0.0.1:9000/sms"}, url: "http://127.0.0.1:9000/sms"},
		{name: "twilio flag wins", args: []string{"--sms-url", "twilio://AC1:tok@api.twilio.com?from=%2B390612345678"},
			env: map[string]string{"VARCO_SMS_URL": "https://sms.example.it/hook"},
			url: "twilio://AC1:tok@api.twilio.com?from=%2B390612345678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(tt.args, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if c.SMSURL != tt.url || c.SMSToken != tt.tok {
				t.Errorf("SMSURL %q, SMSToken %q", c.SMSURL, c.SMSToken)
			}
		})
	}
}

func TestSMSErrorHidesCredentials(t *testing.T) {
	_, err := load(nil, map[string]string{"VARCO_SMS_URL": "twilio://AC1:hush-hush@api.twilio.com:port?from=1"})
	if err == nil || strings.Contains(err.Error(), "hush-hush") {
		t.Fatalf("error = %v", err)
	}
}

// TestLoadApplications: VARCO_APPLICATIONS adds applications and return_to
// prefixes to the defaults; a malformed file or entry stops the start.
func TestLoadApplications(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	apps, err := LoadApplications("")
	if err != nil || apps.Name("webmail", "en") != "Webmail" {
		t.Fatalf("defaults: %v", err)
	}
	good := write("good.json", `{"applications": [
		{"id": "webmail", "return_to": ["https://webmail.example.it/"]},
		{"id": "crm", "name": {"it": "Gestionale", "en": "CRM"}, "return_to": ["https://crm.example.it/app/"]}]}`)
	apps, err = LoadApplications(good)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := apps.ReturnTo("webmail", "https://webmail.example.it/inbox"); !ok || apps.Name("crm", "it") != "Gestionale" {
		t.Fatal("the file's applications are missing")
	}
	for name, body := range map[string]string{
		"unknown-field.json": `{"applications": [{"id": "webmail", "url": "x"}]}`,
		"bad-id.json":        `{"applications": [{"id": "Web Mail"}]}`,
		"no-names.json":      `{"applications": [{"id": "crm"}]}`,
		"bad-prefix.json":    `{"applications": [{"id": "webmail", "return_to": ["javascript:alert(1)"]}]}`,
		"not-json.json":      `applications: webmail`,
	} {
		if _, err := LoadApplications(write(name, body)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := LoadApplications(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("a missing file accepted")
	}
}
