package app_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"varco.dev/varco/internal/app"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/fixture"
)

// TestMissingSenderWarnsOnlyWhenRunning: building the app (what every CLI
// command does) says nothing about a missing SMTP server; running the
// background work (what serve does) warns once.
func TestMissingSenderWarnsOnlyWhenRunning(t *testing.T) {
	var logs testenv.Buffer // Run logs from its goroutines
	a := fixture.Start(t, fixture.Config(t, "sqlite"), fixture.Options{
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if strings.Contains(logs.String(), "SMTP") {
		t.Fatalf("app.New warned: %s", logs.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a.Run(ctx)
	if n := strings.Count(logs.String(), "no SMTP server"); n != 1 {
		t.Fatalf("Run warned %d times: %s", n, logs.String())
	}
}

// TestRequestLogRedactsSecrets: the request log shows neither a login flow
// id in the path nor a token in the query (SPEC §9a).
func TestRequestLogRedactsSecrets(t *testing.T) {
	var logs testenv.Buffer // Run logs from its goroutines
	a := fixture.Start(t, fixture.Config(t, "sqlite"), fixture.Options{
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	flow := "Zk9xQ2Vw3mTr7bYq1LdHs0aNcFgUiKoPjE5t6R8yW4u"
	token := "Tq8wLm2Xc4Vb6Nz0Pa1Sd3Fg5Hj7Kl9Qw2Er4Ty6Ui8"
	for _, target := range []string{
		"/api/v1/login/" + flow,
		"/api/v1/login/" + flow + "/step-up/send",
		"/password-reset/complete?token=" + token,
		"/login/not-me?token=" + token,
		"/contact-email/verify?token=" + token,
	} {
		method := "GET"
		if strings.HasSuffix(target, "/send") {
			method = "POST"
		}
		a.Handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, target, nil))
	}
	out := logs.String()
	if strings.Count(out, "http_request") != 5 || !strings.Contains(out, `"path":"/api/v1/login/REDACTED/step-up/send"`) {
		t.Fatalf("request log:\n%s", out)
	}
	if strings.Contains(out, flow) || strings.Contains(out, token) {
		t.Fatalf("a secret reached the log:\n%s", out)
	}
}

// TestStartRefusesBadSMSGateway: an SMS gateway URL of the right shape that
// breaks the gateway's rules passes config but fails app.New, before the
// database is opened, with an error that names the setting and never
// quotes the credentials.
func TestStartRefusesBadSMSGateway(t *testing.T) {
	for name, tt := range map[string]struct{ url, token string }{
		"http not loopback": {url: "http://sms.example.it/hook"},
		"webhook creds":     {url: "https://u:p@sms.example.it/hook"},
		"twilio no from":    {url: "twilio://AC1:tok@api.twilio.com"},
		"twilio and token":  {url: "twilio://AC1:tok@api.twilio.com?from=Varco", token: "x"},
		"twilio bad from":   {url: "twilio://AC1:hush-hush@api.twilio.com?from=1"},
	} {
		t.Run(name, func(t *testing.T) {
			// A database path in a directory that does not exist: had New
			// opened it, the error would be about the database.
			cfg, err := config.Load(func(flag string) string {
				return map[string]string{"database-url": t.TempDir() + "/missing/varco.db", "listen": "127.0.0.1:0",
					"sms-url": tt.url, "sms-token": tt.token, "session-idle": "30m", "session-absolute": "12h",
					"log-level": "info"}[flag]
			})
			if err != nil {
				t.Fatalf("config refused the URL's shape: %v", err)
			}
			cfg.AuditDir = t.TempDir()
			a, err := app.New(context.Background(), cfg, app.Options{HashParams: &fixture.Hash})
			if err == nil {
				a.Close()
				t.Fatal("started")
			}
			if !strings.HasPrefix(err.Error(), "sms-url: ") || strings.Contains(err.Error(), "hush-hush") ||
				strings.Contains(err.Error(), "tok@") {
				t.Fatalf("error = %v", err)
			}
		})
	}
}
