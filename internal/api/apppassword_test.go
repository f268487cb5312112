package api_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"varco.dev/varco/internal/config"
)

const mailSecret = "mail-servers-secret-0123456789"

func withMailSecret(c *config.Config) { c.MailAuthSecret = mailSecret }

// enroll registers a new authenticator device for email: 2-step
// verification turns on. It returns the device token.
func (h *harness) enroll(email, pw string) string {
	h.t.Helper()
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	r := h.do("POST", "/api/v1/authenticator/enroll", "", map[string]string{"email": email, "password": pw,
		"public_key": base64.RawURLEncoding.EncodeToString(pub)})
	if r.status != 201 || r.str("device_token") == "" {
		h.t.Fatalf("enroll %s: %d %s", email, r.status, r.raw)
	}
	return r.str("device_token")
}

func (h *harness) mailAuth(user, pw, proto string, extra ...string) reply {
	h.t.Helper()
	body := map[string]string{"username": user, "password": pw, "protocol": proto, "client_ip": "203.0.113.9"}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i]] = extra[i+1]
	}
	return h.do("POST", "/api/v1/mail/auth", mailSecret, body)
}

// TestSeed_7_AppPasswordsAPI: SPEC §7 and §9a through the API — 2FA and a
// protocol required, the password shown once in groups of four, mail auth
// with it and not with the account password, never for web sign-in,
// rotation, deletion, and 2FA off revoking every app password.
func TestSeed_7_AppPasswordsAPI(t *testing.T) {
	forEachEngineWith(t, tweaked(withMailSecret), func(t *testing.T, h *harness) {
		standard(h)
		const email = "mario@acme.test"
		tok := h.login(email, marioPW)
		wantError(t, h.do("POST", "/api/v1/me/app-passwords", tok, map[string]string{"label": "Thunderbird"}), 409, "two_factor_required")
		if r := h.mailAuth(email, marioPW, "imap"); r.status != 200 || r.str("result") != "ok" {
			t.Fatalf("account password with 2FA off: %d %s", r.status, r.raw)
		}
		device := h.enroll(email, marioPW)

		if r := h.do("PUT", "/api/v1/me/mail-access", tok, map[string]bool{"imap": false, "pop3": false, "smtp": false}); r.status != 200 {
			t.Fatalf("mail access: %d %s", r.status, r.raw)
		}
		wantError(t, h.do("POST", "/api/v1/me/app-passwords", tok, map[string]string{"label": "Thunderbird"}), 409, "no_mail_protocol_enabled")
		wantError(t, h.do("PUT", "/api/v1/me/mail-access", tok, map[string]bool{"imap": true}), 400, "invalid_request")
		r := h.do("PUT", "/api/v1/me/mail-access", tok, map[string]bool{"imap": true, "pop3": false, "smtp": true})
		if r.status != 200 || r.body["imap"] != true || r.body["pop3"] != false || len(r.body["resources"].([]any)) != 2 {
			t.Fatalf("mail access: %d %s", r.status, r.raw)
		}

		r = h.do("POST", "/api/v1/me/app-passwords", tok, map[string]string{"label": "Thunderbird"})
		pw := r.str("password")
		if r.status != 201 || len(pw) != 19 || strings.Count(pw, " ") != 3 || r.str("expires_at") == "" {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
		id := int64(r.body["id"].(float64))
		path := "/api/v1/me/app-passwords/" + strconv.FormatInt(id, 10)
		if r := h.mailAuth(email, pw, "imap"); r.status != 200 {
			t.Fatalf("app password over imap: %d %s", r.status, r.raw)
		}
		wantError(t, h.mailAuth(email, pw, "pop3"), 401, "invalid_credentials")
		wantError(t, h.mailAuth(email, marioPW, "imap"), 401, "invalid_credentials")
		wantError(t, h.do("POST", "/api/v1/login", "", map[string]string{"email": email, "password": pw}), 401, "invalid_credentials")
		if r := h.mailAuth(email, pw, "smtp", "resource", "archive"); r.status != 200 {
			t.Fatalf("archive on pro: %d %s", r.status, r.raw)
		}

		r = h.do("GET", "/api/v1/me/app-passwords", tok, nil)
		list, _ := r.body["app_passwords"].([]any)
		if r.status != 200 || len(list) != 1 || strings.Contains(string(r.raw), strings.ReplaceAll(pw, " ", "")) {
			t.Fatalf("list: %d %s", r.status, r.raw)
		}
		if lu, _ := list[0].(map[string]any)["last_use"].(map[string]any); lu["protocol"] != "smtp" || lu["ip"] != "203.0.113.9" {
			t.Fatalf("last use: %s", r.raw)
		}

		// Deletion revokes at once.
		r = h.do("POST", "/api/v1/me/app-passwords", tok, map[string]string{"label": "Phone"})
		pw3, path3 := r.str("password"), "/api/v1/me/app-passwords/"+strconv.FormatInt(int64(r.body["id"].(float64)), 10)
		if r := h.mailAuth(email, pw3, "imap"); r.status != 200 {
			t.Fatalf("second app password: %d %s", r.status, r.raw)
		}
		if r := h.do("DELETE", path3, tok, nil); r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.raw)
		}
		wantError(t, h.mailAuth(email, pw3, "imap"), 401, "invalid_credentials")
		wantError(t, h.do("DELETE", path3, tok, nil), 404, "not_found")

		r = h.do("POST", path+"/rotate", tok, nil)
		pw2 := r.str("password")
		if r.status != 201 || pw2 == "" || pw2 == pw {
			t.Fatalf("rotate: %d %s", r.status, r.raw)
		}
		h.clock.Advance(72*time.Hour - time.Minute)
		for _, p := range []string{pw, pw2} {
			if r := h.mailAuth(email, p, "imap"); r.status != 200 {
				t.Fatalf("within the grace: %d %s", r.status, r.raw)
			}
		}
		h.clock.Advance(time.Minute)
		wantError(t, h.mailAuth(email, pw, "imap"), 401, "invalid_credentials")

		// 2FA off (signing out of the authenticator) revokes every app password.
		if r := h.do("POST", "/api/v1/authenticator/logout", device, nil); r.status != 204 {
			t.Fatalf("authenticator logout: %d %s", r.status, r.raw)
		}
		wantError(t, h.mailAuth(email, pw2, "imap"), 401, "invalid_credentials")
		tok = h.login(email, marioPW)
		if r := h.do("GET", "/api/v1/me/app-passwords", tok, nil); len(r.body["app_passwords"].([]any)) != 0 {
			t.Fatalf("after 2FA off: %s", r.raw)
		}
	})
}

// TestSeed_7_MailAuthRefusesBadInput: a wrong or missing secret is 403;
// bad input is a clear 4xx refusal, never a 5xx, never a success.
func TestSeed_7_MailAuthRefusesBadInput(t *testing.T) {
	forEachEngineWith(t, tweaked(withMailSecret), func(t *testing.T, h *harness) {
		standard(h)
		ok := map[string]string{"username": "mario@acme.test", "password": marioPW, "protocol": "imap", "client_ip": "203.0.113.9"}
		for _, secret := range []string{"", "wrong", mailSecret + "x"} {
			wantError(t, h.do("POST", "/api/v1/mail/auth", secret, ok), 403, "forbidden")
		}
		with := func(k, v string) map[string]string {
			m := map[string]string{}
			for a, b := range ok {
				m[a] = b
			}
			m[k] = v
			return m
		}
		bad := []map[string]string{
			with("protocol", "http"), with("protocol", ""), with("protocol", "IMAP"), with("resource", "calendar"),
			with("client_ip", "not-an-ip"), with("client_ip", ""), with("client_ip", "fe80::1%eth0"),
			with("username", "mario@acme.test\u0000"), with("username", "mario@acme.test\r\nX: y"), with("username", ""),
			with("username", "%"), with("username", "+"), with("username", " "), with("username", strings.Repeat("a", 10240)),
			with("password", strings.Repeat("p", 10240)), with("password", ""), with("password", "a\u0000b"),
			with("password", "%"), with("password", "+"), with("password", "   "), with("password", marioPW+"\r\n"),
		}
		for _, b := range bad {
			r := h.do("POST", "/api/v1/mail/auth", mailSecret, b)
			if r.status < 400 || r.status >= 500 || r.str("error") == "" {
				t.Fatalf("%v: %d %s", b, r.status, r.raw)
			}
		}
		for _, raw := range []string{`{"username":"mario@acme.test","password":"\xff\xfe","protocol":"imap","client_ip":"203.0.113.9"}`,
			"{\"username\":\"mario\xff@acme.test\",\"password\":\"x\",\"protocol\":\"imap\",\"client_ip\":\"203.0.113.9\"}",
			`{"username":1}`, `[]`, `{`} {
			r := h.do("POST", "/api/v1/mail/auth", mailSecret, raw)
			if r.status < 400 || r.status >= 500 {
				t.Fatalf("%q: %d %s", raw, r.status, r.raw)
			}
		}
		if r := h.mailAuth("mario@acme.test", marioPW, "imap"); r.status != 200 {
			t.Fatalf("a good one after: %d %s", r.status, r.raw)
		}
	})
}

// TestSeed_7_MailAuthWithoutSecretRefusesEverything: no
// VARCO_MAIL_AUTH_SECRET configured, the endpoint answers 403 to all.
func TestSeed_7_MailAuthWithoutSecretRefusesEverything(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	body := map[string]string{"username": "mario@acme.test", "password": marioPW, "protocol": "imap", "client_ip": "203.0.113.9"}
	for _, secret := range []string{"", "anything", mailSecret} {
		wantError(t, h.do("POST", "/api/v1/mail/auth", secret, body), 403, "forbidden")
	}
}
