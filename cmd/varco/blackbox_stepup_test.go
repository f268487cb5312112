//go:build testclock

package main

import (
	"slices"
	"testing"
	"time"

	"varco.dev/varco/internal/geo/geotest"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/smssink"
	"varco.dev/varco/internal/testenv/smtpsink"
)

// callFrom is call from a client address, sent as X-Forwarded-For by the
// trusted proxy the test stands for.
func (b *blackbox) callFrom(ip, method, path string, body any) (int, map[string]any) {
	b.t.Helper()
	return b.send(method, path, "", body, "X-Forwarded-For", ip)
}

// TestBlackBoxStepUp drives the testclock binary with a MaxMind database
// built by the test, the PIN read from the SMTP sink and the OTP from the
// SMS webhook (SPEC §5.3–5.9, §9a): Milan sets the baseline, Rome is fine,
// Paris asks for a code (e-mail PIN), New York ten minutes later asks again
// (SMS OTP, one a minute), five wrong PINs lock, and only support unlocks.
func TestBlackBoxStepUp(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			sms := smssink.Start(t, smssink.WithToken("sms-secret"))
			b := setupBlackbox(t, engine)
			b.varco("Bianchi-Rosa-2026\n", "user", "create", "--email", "giulia@acme.test", "--password-stdin", "--org", "acme",
				"--phone", "+393471234567", "--lang", "en")
			b.serve("VARCO_GEOIP_DB="+geotest.Standard(t), "VARCO_TRUSTED_PROXIES=127.0.0.1/32,::1/128",
				"VARCO_SMS_URL="+sms.URL(), "VARCO_SMS_TOKEN=sms-secret")
			advance := func(d string) {
				if st, res := b.call("POST", "/_test/clock", "", map[string]string{"advance": d}); st != 200 {
					t.Fatalf("advance %s: %d %v", d, st, res)
				}
			}
			login := func(ip string) map[string]any {
				st, res := b.callFrom(ip, "POST", "/api/v1/login", map[string]string{"email": "giulia@acme.test", "password": "Bianchi-Rosa-2026"})
				if st != 200 {
					t.Fatalf("login from %s: %d %v", ip, st, res)
				}
				return res
			}
			pins := 0
			pin := func() string {
				pins++
				return b.sink.Code(t, smtpsink.EventIs("pin_sent"), pins, 10*time.Second)
			}

			if res := login(geotest.MilanIP); res["state"] != "authenticated" {
				t.Fatalf("first login from Milan: %v", res)
			}
			advance("1h")
			if res := login(geotest.RomeIP); res["state"] != "authenticated" {
				t.Fatalf("Milan → Rome: %v", res)
			}
			advance("24h")
			res := login(geotest.ParisIP)
			methods, _ := res["methods"].([]any)
			if res["state"] != "step_up_required" || !slices.Contains(methods, any("email_pin")) || !slices.Contains(methods, any("sms_otp")) {
				t.Fatalf("Milan → Paris: %v", res)
			}
			flow := res["flow"].(string)
			if st, res := b.call("GET", "/api/v1/login/"+flow, "", nil); st != 200 || res["state"] != "step_up_required" {
				t.Fatalf("GET flow: %d %v", st, res)
			}
			if st, res := b.callFrom(geotest.ParisIP, "POST", "/api/v1/login/"+flow+"/step-up/send", map[string]string{"method": "email_pin"}); st != 202 {
				t.Fatalf("send PIN: %d %v", st, res)
			}
			advance("1s")
			st, res := b.callFrom(geotest.ParisIP, "POST", "/api/v1/login/"+flow+"/step-up/verify", map[string]string{"code": pin()})
			if st != 200 || res["state"] != "authenticated" || res["session_token"] == nil {
				t.Fatalf("verify PIN: %d %v", st, res)
			}

			// New York ten minutes after Paris: impossible travel.
			advance("10m")
			res = login(geotest.NewYorkIP)
			if res["state"] != "step_up_required" {
				t.Fatalf("Paris → New York in 10 minutes: %v", res)
			}
			flow = res["flow"].(string)
			send := func() (int, map[string]any) {
				return b.callFrom(geotest.NewYorkIP, "POST", "/api/v1/login/"+flow+"/step-up/send", map[string]string{"method": "sms_otp"})
			}
			if st, res := send(); st != 202 {
				t.Fatalf("send OTP: %d %v", st, res)
			}
			if st, res := send(); st != 429 || res["error"] != "otp_rate_limited" || res["retry_after"] == nil {
				t.Fatalf("second OTP within a minute: %d %v", st, res)
			}
			advance("1s")
			m := sms.Wait(t, 1, 10*time.Second)[0]
			if m.To != "+393471234567" || m.Event != "otp_sent" {
				t.Fatalf("SMS = %+v", m)
			}
			st, res = b.callFrom(geotest.NewYorkIP, "POST", "/api/v1/login/"+flow+"/step-up/verify", map[string]string{"code": smssink.Code(t, m.Text)})
			if st != 200 || res["state"] != "authenticated" {
				t.Fatalf("verify OTP: %d %v", st, res)
			}

			// Five wrong PINs from a new place lock the account.
			advance("48h")
			res = login(geotest.UnknownIP)
			if res["state"] != "step_up_required" {
				t.Fatalf("login from an unknown network: %v", res)
			}
			flow = res["flow"].(string)
			b.callFrom(geotest.UnknownIP, "POST", "/api/v1/login/"+flow+"/step-up/send", map[string]string{"method": "email_pin"})
			advance("1s")
			wrong := "000000"
			if pin() == wrong {
				wrong = "000001"
			}
			for i := 1; i <= 5; i++ {
				st, res := b.callFrom(geotest.UnknownIP, "POST", "/api/v1/login/"+flow+"/step-up/verify", map[string]string{"code": wrong})
				switch {
				case i < 5 && (st != 401 || res["error"] != "invalid_code"):
					t.Fatalf("wrong PIN %d: %d %v", i, st, res)
				case i == 4 && res["attempts_left"] != float64(1):
					t.Fatalf("4th wrong PIN does not warn: %v", res)
				case i == 5 && (st != 403 || res["error"] != "account_locked"):
					t.Fatalf("5th wrong PIN: %d %v", st, res)
				}
			}
			advance("1s")
			b.sink.Wait(t, smtpsink.EventIs("account_locked"), 10*time.Second)
			if st, res := b.callFrom(geotest.MilanIP, "POST", "/api/v1/login", map[string]string{"email": "giulia@acme.test", "password": "Bianchi-Rosa-2026"}); st != 403 || res["error"] != "account_locked" {
				t.Fatalf("login when locked: %d %v", st, res)
			}
			b.varco("", "user", "unlock", "--email", "giulia@acme.test")
			advance("1s")
			b.sink.Wait(t, smtpsink.EventIs("account_unlocked"), 10*time.Second)
			if res := login(geotest.MilanIP); res["state"] != "authenticated" {
				t.Fatalf("login after unlock: %v", res)
			}
		})
	}
}
