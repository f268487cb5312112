package api_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/smssink"
	"varco.dev/varco/internal/testenv/smtpsink"
)

const wait = 10 * time.Second

// smsHarness is newHarness with a real SMS gateway (the webhook shape,
// with a bearer token).
func smsHarness(t *testing.T, engine string) (*harness, *smssink.Sink) {
	t.Helper()
	sms := smssink.Start(t, smssink.WithToken("gateway-token"))
	h := newHarness(t, engine, func(c *config.Config) { c.SMSURL, c.SMSToken = sms.URL(), "gateway-token" })
	standard(h)
	return h, sms
}

// sendPhoneCode asks for a code to phone and returns it from the n-th SMS
// the gateway receives.
func sendPhoneCode(t *testing.T, h *harness, sms *smssink.Sink, token, phone string, n int) string {
	t.Helper()
	if r := h.do("PUT", "/api/v1/me/phone", token, map[string]string{"phone": phone}); r.status != 202 {
		t.Fatalf("PUT phone: %d %s", r.status, r.raw)
	}
	m := sms.Wait(t, n, wait)[n-1]
	if m.To != phone || m.Event != varco.EventPhoneVerificationSent {
		t.Fatalf("SMS %+v", m)
	}
	return smssink.Code(t, m.Text)
}

func TestPhoneVerification(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			h, sms := smsHarness(t, engine)
			tok := h.login("mario@acme.test", marioPW)
			code := sendPhoneCode(t, h, sms, tok, "+393471234567", 1)
			if m := sms.Messages()[0]; !strings.Contains(m.Text, "10 minuti") { // mario reads Italian
				t.Errorf("SMS text %q", m.Text)
			}

			// A second code within a minute is refused.
			r := h.do("PUT", "/api/v1/me/phone", tok, map[string]string{"phone": "+393471234567"})
			wantError(t, r, 429, varco.ETooManyAttempts)
			if ra, _ := r.body["retry_after"].(float64); ra != 60 {
				t.Errorf("retry_after = %v, want 60", r.body["retry_after"])
			}

			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			wantError(t, h.do("POST", "/api/v1/me/phone/verify", tok, map[string]string{"code": wrong}), 401, varco.EInvalidCode)
			if me := h.do("GET", "/api/v1/me", tok, nil); me.str("phone") != "" || me.body["phone_verified"] != false {
				t.Fatalf("phone set before verification: %s", me.raw)
			}
			r = h.do("POST", "/api/v1/me/phone/verify", tok, map[string]string{"code": code})
			if r.status != 200 || r.str("phone") != "+39••••••••67" || r.body["phone_verified"] != true {
				t.Fatalf("verify: %d %s", r.status, r.raw)
			}
			wantError(t, h.do("POST", "/api/v1/me/phone/verify", tok, map[string]string{"code": code}), 400,
				varco.EInvalidOrExpiredToken) // used
			a, err := h.app.DB.AccountByEmail(t.Context(), "mario@acme.test")
			if err != nil || a.Phone != "+393471234567" || !a.PhoneVerified {
				t.Fatalf("account %+v, %v", a, err)
			}

			act := h.do("GET", "/api/v1/me/activity", tok, nil)
			for _, ev := range []string{"phone_verification_sent", "phone_verification_failed", "phone_verified"} {
				if !strings.Contains(string(act.raw), `"`+ev+`"`) {
					t.Errorf("activity lacks %s: %s", ev, act.raw)
				}
			}
			if strings.Contains(string(act.raw), "3471234567") || strings.Contains(string(act.raw), code) {
				t.Errorf("activity shows the number or the code: %s", act.raw)
			}

			if r := h.do("DELETE", "/api/v1/me/phone", tok, nil); r.status != 204 {
				t.Fatalf("DELETE phone: %d %s", r.status, r.raw)
			}
			if me := h.do("GET", "/api/v1/me", tok, nil); me.str("phone") != "" || me.body["phone_verified"] != false {
				t.Fatalf("phone after removal: %s", me.raw)
			}
			if act := h.do("GET", "/api/v1/me/activity?type=phone_removed", tok, nil); !strings.Contains(string(act.raw), "phone_removed") {
				t.Errorf("no phone_removed event: %s", act.raw)
			}
		})
	}
}

func TestPhoneRejectsBadNumbers(t *testing.T) {
	h, sms := smsHarness(t, "sqlite")
	tok := h.login("mario@acme.test", marioPW)
	for name, body := range map[string]any{
		"empty":         map[string]string{"phone": ""},
		"missing":       map[string]string{},
		"garbage":       map[string]string{"phone": "call me"},
		"letters":       map[string]string{"phone": "+39347abc4567"},
		"trailing a":    map[string]string{"phone": "+39333123456a"},
		"extension":     map[string]string{"phone": "+393471234567 ext. 5"},
		"too long":      map[string]string{"phone": "+3934712345678901"},
		"too short":     map[string]string{"phone": "+3934712"},
		"leading zero":  map[string]string{"phone": "+0393471234567"},
		"short number":  map[string]string{"phone": "347"},
		"arabic digits": map[string]string{"phone": "+٣٩٣٤٧١٢٣٤٥٦٧"},
	} {
		t.Run(name, func(t *testing.T) {
			r := h.do("PUT", "/api/v1/me/phone", tok, body)
			wantError(t, r, 400, varco.EInvalidPhone)
			if f, _ := r.body["field"].(string); f != "phone" {
				t.Errorf("error %s does not name the field", r.raw)
			}
		})
	}
	wantError(t, h.do("PUT", "/api/v1/me/phone", tok, `{"phone": 393471234567}`), 400, varco.EInvalid)
	wantError(t, h.do("PUT", "/api/v1/me/phone", "", map[string]string{"phone": "+393471234567"}), 401, "unauthorized")
	for _, code := range []string{"", "12345", "1234567", "12a456", "١٢٣٤٥٦"} {
		wantError(t, h.do("POST", "/api/v1/me/phone/verify", tok, map[string]string{"code": code}), 400, varco.EInvalid)
	}
	// No code pending.
	wantError(t, h.do("POST", "/api/v1/me/phone/verify", tok, map[string]string{"code": "123456"}), 400, varco.EInvalidOrExpiredToken)
	if n := len(sms.Messages()); n != 0 {
		t.Errorf("%d SMS sent", n)
	}
}

// TestPhoneCodeLimits: 5 wrong codes void the code, a code lives 10
// minutes, only the newest works, and at most 10 are sent a day.
func TestPhoneCodeLimits(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			h, sms := smsHarness(t, engine)
			tok := h.login("mario@acme.test", marioPW)
			verify := func(code string) reply {
				return h.do("POST", "/api/v1/me/phone/verify", tok, map[string]string{"code": code})
			}
			code := sendPhoneCode(t, h, sms, tok, "+393471234567", 1)
			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			for i := 1; i <= 5; i++ {
				wantError(t, verify(wrong), 401, varco.EInvalidCode)
			}
			wantError(t, verify(code), 400, varco.EInvalidOrExpiredToken) // voided

			// Expiry.
			h.clock.Advance(time.Minute)
			code = sendPhoneCode(t, h, sms, tok, "+393471234567", 2)
			h.clock.Advance(10 * time.Minute)
			wantError(t, verify(code), 400, varco.EInvalidOrExpiredToken)

			// Only the newest works.
			old := sendPhoneCode(t, h, sms, tok, "+393471234567", 3)
			h.clock.Advance(time.Minute)
			newest := sendPhoneCode(t, h, sms, tok, "+393470000000", 4)
			if old != newest {
				wantError(t, verify(old), 401, varco.EInvalidCode)
			}
			if r := verify(newest); r.status != 200 {
				t.Fatalf("newest code: %d %s", r.status, r.raw)
			}

			// 10 a day: 4 sent so far.
			for n := 5; n <= 10; n++ {
				h.clock.Advance(time.Minute)
				sendPhoneCode(t, h, sms, tok, "+393471234567", n)
			}
			h.clock.Advance(time.Minute)
			r := h.do("PUT", "/api/v1/me/phone", tok, map[string]string{"phone": "+393471234567"})
			wantError(t, r, 429, varco.ETooManyAttempts)
			if ra, _ := r.body["retry_after"].(float64); ra <= 60 || ra > 24*3600 {
				t.Errorf("retry_after = %v", r.body["retry_after"])
			}
			h.clock.Advance(24 * time.Hour)
			tok = h.login("mario@acme.test", marioPW) // the session timed out meanwhile
			sendPhoneCode(t, h, sms, tok, "+393471234567", 11)
		})
	}
}

// TestContactEmailVerification: the link goes to the new address; mail
// keeps going to the old one until it is verified.
func TestContactEmailVerification(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		tok := h.login("mario@acme.test", marioPW)
		for _, bad := range []string{"", "not-an-address", "a b@example.it", "mario@"} {
			wantError(t, h.do("PUT", "/api/v1/me/contact-email", tok, map[string]string{"contact_email": bad}), 400, varco.EInvalid)
		}
		if r := h.do("PUT", "/api/v1/me/contact-email", tok, map[string]string{"contact_email": "Mario.Rossi@Home.Example"}); r.status != 202 {
			t.Fatalf("PUT contact-email: %d %s", r.status, r.raw)
		}
		m := h.sink.Wait(t, smtpsink.EventIs(varco.EventContactEmailVerificationSent), wait)
		if len(m.To) != 1 || m.To[0] != "mario.rossi@home.example" {
			t.Fatalf("link sent to %v", m.To)
		}
		link, ok := smtpsink.FindLink(m.Text, "/contact-email/verify")
		if !ok || link.Query().Get("token") == "" {
			t.Fatalf("no link in:\n%s", m.Text)
		}
		token := link.Query().Get("token")

		// Not verified yet: a password change is mailed to the login address.
		if r := h.do("POST", "/api/v1/me/password", tok, map[string]string{"current_password": marioPW,
			"new_password": "Second-Pass-2026"}); r.status != 200 {
			t.Fatalf("password change: %d %s", r.status, r.raw)
		}
		pc := h.sink.Wait(t, smtpsink.EventIs(varco.EventPasswordChanged), wait)
		if pc.To[0] != "mario@acme.test" {
			t.Fatalf("password_changed went to %v before verification", pc.To)
		}
		tok = h.login("mario@acme.test", "Second-Pass-2026")

		// Another account cannot use mario's token.
		luigi := h.login("luigi@other.test", luigiPW)
		wantError(t, h.do("POST", "/api/v1/me/contact-email/verify", luigi, map[string]string{"token": token}), 400,
			varco.EInvalidOrExpiredToken)

		r := h.do("POST", "/api/v1/me/contact-email/verify", tok, map[string]string{"token": token})
		if r.status != 200 || r.str("contact_email") != "mario.rossi@home.example" || r.body["contact_email_verified"] != true {
			t.Fatalf("verify: %d %s", r.status, r.raw)
		}
		wantError(t, h.do("POST", "/api/v1/me/contact-email/verify", tok, map[string]string{"token": token}), 400,
			varco.EInvalidOrExpiredToken) // single use

		h.clock.Advance(time.Minute)
		if r := h.do("POST", "/api/v1/me/password", tok, map[string]string{"current_password": "Second-Pass-2026",
			"new_password": "Third-Pass-2026"}); r.status != 200 {
			t.Fatalf("password change: %d %s", r.status, r.raw)
		}
		h.sink.Wait(t, func(m smtpsink.Mail) bool {
			return m.Header.Get("X-Varco-Event") == varco.EventPasswordChanged && m.To[0] == "mario.rossi@home.example"
		}, wait)

		act := h.do("GET", "/api/v1/me/activity", h.login("mario@acme.test", "Third-Pass-2026"), nil)
		for _, ev := range []string{"contact_email_verification_sent", "contact_email_verified"} {
			if !strings.Contains(string(act.raw), `"`+ev+`"`) {
				t.Errorf("activity lacks %s", ev)
			}
		}
	})
}

func TestContactEmailLinkExpires(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	tok := h.login("mario@acme.test", marioPW)
	send := func(addr string) string {
		if r := h.do("PUT", "/api/v1/me/contact-email", tok, map[string]string{"contact_email": addr}); r.status != 202 {
			t.Fatalf("PUT contact-email: %d %s", r.status, r.raw)
		}
		m := h.sink.Wait(t, smtpsink.SentTo(addr), wait)
		link, _ := smtpsink.FindLink(m.Text, "/contact-email/verify")
		return link.Query().Get("token")
	}
	first := send("one@home.example")
	h.clock.Advance(time.Minute)
	second := send("two@home.example")
	wantError(t, h.do("POST", "/api/v1/me/contact-email/verify", tok, map[string]string{"token": first}), 400,
		varco.EInvalidOrExpiredToken) // superseded
	h.clock.Advance(24*time.Hour + time.Second)
	tok = h.login("mario@acme.test", marioPW)
	wantError(t, h.do("POST", "/api/v1/me/contact-email/verify", tok, map[string]string{"token": second}), 400,
		varco.EInvalidOrExpiredToken) // expired
}

// TestPhoneCodeAttemptsHoldUnderConcurrency: 30 parallel wrong codes get
// exactly 5 evaluations; the rest find the code voided.
func TestPhoneCodeAttemptsHoldUnderConcurrency(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			h, sms := smsHarness(t, engine)
			tok := h.login("mario@acme.test", marioPW)
			code := sendPhoneCode(t, h, sms, tok, "+393471234567", 1)
			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			const n = 30
			codes := make(chan string, n)
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					r := h.do("POST", "/api/v1/me/phone/verify", tok, map[string]string{"code": wrong})
					codes <- r.str("error")
				})
			}
			wg.Wait()
			close(codes)
			count := map[string]int{}
			for c := range codes {
				count[c]++
			}
			if count[varco.EInvalidCode] != 5 || count[varco.EInvalidOrExpiredToken] != n-5 {
				t.Fatalf("answers %v, want 5 invalid_code and %d invalid_or_expired_token", count, n-5)
			}
		})
	}
}

// TestPhoneIsNormalised: a number as people type it is verified and stored
// in E.164; one without its country code is read as dialled in the
// organization's country (Italy by default).
func TestPhoneIsNormalised(t *testing.T) {
	for _, tc := range []struct{ name, org, country, input, want string }{
		{"national", "acme", "", "333 123 4567", "+393331234567"},
		{"international with spaces", "acme", "", "+39 333 1234567", "+393331234567"},
		{"00 prefix", "acme", "", "0039 333 1234567", "+393331234567"},
		{"landline in brackets", "acme", "", "(02) 1234 5678", "+390212345678"},
		{"british organization", "london", "GB", "020 7946 0958", "+442079460958"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, sms := smsHarness(t, "sqlite")
			support := h.login("help@provider.test", "Assist-Desk-2026")
			email := "mario@acme.test"
			if tc.org != "acme" {
				r := h.do("POST", "/api/v1/admin/orgs", support, map[string]string{"name": tc.org, "plan": "pro", "country": tc.country})
				if r.status != 201 || r.body["country"] != tc.country {
					t.Fatalf("create org: %d %s", r.status, r.raw)
				}
				email = "jane@" + tc.org + ".test"
				h.User(admin.NewUser{Email: email, Password: marioPW, Org: tc.org})
			}
			tok := h.login(email, marioPW)
			if r := h.do("PUT", "/api/v1/me/phone", tok, map[string]string{"phone": tc.input}); r.status != 202 {
				t.Fatalf("PUT phone: %d %s", r.status, r.raw)
			}
			m := sms.Wait(t, 1, wait)[0]
			if m.To != tc.want {
				t.Fatalf("code sent to %q, want %q", m.To, tc.want)
			}
			if r := h.do("POST", "/api/v1/me/phone/verify", tok, map[string]string{"code": smssink.Code(t, m.Text)}); r.status != 200 {
				t.Fatalf("verify: %d %s", r.status, r.raw)
			}
			a, err := h.app.DB.Reader().AccountByEmail(context.Background(), email)
			if err != nil || a.Phone != tc.want || !a.PhoneVerified {
				t.Fatalf("stored phone %q verified %v, %v", a.Phone, a.PhoneVerified, err)
			}
		})
	}
}

// TestAdminCreateUserNormalisesPhone: the phone an admin gives is stored in
// E.164 with the organization's country as default; a bad one is a 400
// naming the field.
func TestAdminCreateUserNormalisesPhone(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		support := h.login("help@provider.test", "Assist-Desk-2026")
		if r := h.do("POST", "/api/v1/admin/orgs", support, map[string]string{"name": "london", "country": "gb"}); r.status != 201 || r.body["country"] != "GB" {
			t.Fatalf("create org: %d %s", r.status, r.raw)
		}
		wantError(t, h.do("POST", "/api/v1/admin/orgs", support, map[string]string{"name": "nowhere", "country": "XX"}), 400, varco.EInvalid)
		for email, tc := range map[string]struct{ org, phone, want string }{
			"a@acme.test":   {"acme", "333 123 4567", "+393331234567"},
			"b@acme.test":   {"acme", "0039 333 1234567", "+393331234567"},
			"c@acme.test":   {"acme", "(02) 1234 5678", "+390212345678"},
			"d@london.test": {"london", "020 7946 0958", "+442079460958"},
			"e@london.test": {"london", "+39 333 1234567", "+393331234567"},
		} {
			r := h.do("POST", "/api/v1/admin/users", support, map[string]any{"email": email, "password": "Trinity-Zion-2026", "org": tc.org, "phone": tc.phone})
			if r.status != 201 {
				t.Fatalf("create %s: %d %s", email, r.status, r.raw)
			}
			if a, err := h.app.DB.Reader().AccountByEmail(context.Background(), email); err != nil || a.Phone != tc.want || !a.PhoneVerified {
				t.Errorf("%s: stored phone %q, %v; want %q", email, a.Phone, err, tc.want)
			}
		}
		for _, bad := range []string{"garbage", "347", "333 123 4567 ext 9", "+0393471234567"} {
			r := h.do("POST", "/api/v1/admin/users", support, map[string]any{"email": "x@acme.test", "password": "Trinity-Zion-2026", "org": "acme", "phone": bad})
			wantError(t, r, 400, varco.EInvalid)
			if f, _ := r.body["field"].(string); f != "phone" {
				t.Errorf("%q: error %s does not name the field", bad, r.raw)
			}
		}
	})
}
