package httpx

import (
	"strings"
	"testing"
)

func TestLogPath(t *testing.T) {
	flow := "q3Zr0xk8Ybq3Zr0xk8Ybq3Zr0xk8Ybq3Zr0xk8Ybq3Z"
	for _, tt := range []struct{ in, want string }{
		{"/api/v1/login/" + flow, "/api/v1/login/REDACTED"},
		{"/api/v1/login/" + flow + "/step-up/verify", "/api/v1/login/REDACTED/step-up/verify"},
		{"/api/v1/login/" + flow + "/password", "/api/v1/login/REDACTED/password"},
		{"/api/v1/login/short", "/api/v1/login/REDACTED"},
		{"/api/v1/login", "/api/v1/login"},
		{"/api/v1/login-alerts/not-me", "/api/v1/login-alerts/not-me"},
		{"/api/v1/admin/users/42/disable", "/api/v1/admin/users/42/disable"},
		{"/profile/sessions/revoke-others", "/profile/sessions/revoke-others"},
		{"/password-reset/" + flow, "/password-reset/REDACTED"},
		{"/dev/mailbox/17", "/dev/mailbox/17"},
		{"/static/varco.css", "/static/varco.css"},
		{"/a b", "/a%20b"},
		{"", ""},
	} {
		if got := LogPath(tt.in); got != tt.want {
			t.Errorf("LogPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzLogPath: any path is logged without panic, and a flow id in the
// login route's place never survives.
func FuzzLogPath(f *testing.F) {
	for _, s := range []string{"/api/v1/login/abc/step-up/send", "/", "//api/v1/login/x", "/api/v1/login/%2F", "/profile"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		secret := "Zk9xQ2Vw3mTr7bYq1LdHs0aNcFgUiKoPjE5t6R8yW4u"
		out := LogPath("/api/v1/login/" + secret + p)
		if strings.Contains(out, secret) {
			t.Fatalf("secret logged: %q", out)
		}
		_ = LogPath(p)
	})
}
