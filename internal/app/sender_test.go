package app_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

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
