package api_test

import (
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/i18n"
	"varco.dev/varco/internal/testenv/smssink"
)

const (
	giuliaPW    = "Bianchi-Rosa-2026"
	giuliaPhone = "+393471234567"
)

// newOTPHarness adds giulia, whose phone was set by an admin and so counts
// as verified (SPEC §9a), and signs her in once from home.
func newOTPHarness(t *testing.T, engine string) *harness {
	h := newStepUpHarness(t, engine)
	h.User(admin.NewUser{Email: "giulia@acme.test", Password: giuliaPW, Org: "acme", Phone: giuliaPhone, Language: "it"})
	if r := h.loginFrom("giulia@acme.test", giuliaPW, homeIP); r.str("state") != "authenticated" {
		t.Fatalf("baseline login: %d %s", r.status, r.raw)
	}
	return h
}

func (h *harness) giuliaAway() string {
	h.t.Helper()
	r := h.loginFrom("giulia@acme.test", giuliaPW, awayIP)
	methods, _ := r.body["methods"].([]any)
	if r.str("state") != "step_up_required" || !slices.Contains(methods, any("sms_otp")) || !slices.Contains(methods, any("email_pin")) {
		h.t.Fatalf("login from a new network: %d %s", r.status, r.raw)
	}
	return r.str("flow")
}

func (h *harness) askOTP(flow string) reply {
	h.t.Helper()
	return h.do("POST", "/api/v1/login/"+flow+"/step-up/send", "", map[string]string{"method": "sms_otp"}, "X-Forwarded-For", awayIP)
}

// sendOTP asks for an OTP and returns it, read from the SMS webhook.
func (h *harness) sendOTP(flow string) string {
	h.t.Helper()
	before := len(h.sms.Messages())
	if r := h.askOTP(flow); r.status != http.StatusAccepted {
		h.t.Fatalf("send OTP: %d %s", r.status, r.raw)
	}
	m := h.sms.Wait(h.t, before+1, 10*time.Second)[before]
	if m.To != giuliaPhone || m.Event != varco.EventOTPSent {
		h.t.Fatalf("SMS = %+v", m)
	}
	return smssink.Code(h.t, m.Text)
}

// TestStepUpWithSMSOTP: the OTP goes by SMS to the verified phone and
// opens the session (SPEC §5.4); the history shows the number masked.
func TestStepUpWithSMSOTP(t *testing.T) {
	forEachEngineWith(t, newOTPHarness, func(t *testing.T, h *harness) {
		flow := h.giuliaAway()
		otp := h.sendOTP(flow)
		r := h.verify(flow, otp)
		if r.str("state") != "authenticated" || r.str("session_token") == "" {
			t.Fatalf("verify OTP: %d %s", r.status, r.raw)
		}
		got := h.events("giulia@acme.test", varco.EventOTPSent)
		if len(got) != 1 || got[0] != "to +39********67" {
			t.Fatalf("otp_sent events = %q", got)
		}
	})
}

// TestSeed_5_6_OneOTPPerMinute: [seed] SPEC §5.6 — at most one OTP a
// minute; a faster request gets 429 otp_rate_limited with retry_after.
func TestSeed_5_6_OneOTPPerMinute(t *testing.T) {
	h := newOTPHarness(t, "sqlite")
	flow := h.giuliaAway()
	h.sendOTP(flow)
	h.clock.Advance(20 * time.Second)
	r := h.askOTP(flow)
	wantError(t, r, http.StatusTooManyRequests, varco.EOTPRateLimited)
	if ra, _ := r.body["retry_after"].(float64); ra != 40 || r.header.Get("Retry-After") != "40" {
		t.Fatalf("retry_after = %v, header %q; want 40", r.body["retry_after"], r.header.Get("Retry-After"))
	}
	// A PIN by e-mail is another method: not limited by the OTP's minute.
	h.sendPIN(flow)
	h.clock.Advance(40 * time.Second)
	h.sendOTP(flow)
}

// TestSeed_5_6_OnlyTheLastThreeOTPsAreValid: [seed] SPEC §5.6 — of the OTPs
// sent, only the last three work.
func TestSeed_5_6_OnlyTheLastThreeOTPsAreValid(t *testing.T) {
	h := newOTPHarness(t, "sqlite")
	flow := h.giuliaAway()
	var otps []string
	for i := range 4 {
		if i > 0 {
			h.clock.Advance(time.Minute)
		}
		otps = append(otps, h.sendOTP(flow))
	}
	if !slices.Contains(otps[1:], otps[0]) {
		wantError(t, h.verify(flow, otps[0]), http.StatusUnauthorized, varco.EInvalidCode)
	}
	if r := h.verify(flow, otps[1]); r.str("state") != "authenticated" {
		t.Fatalf("the 2nd of the last three OTPs: %d %s", r.status, r.raw)
	}
}

// TestSeed_5_6_FiftyWrongOTPsLock: [seed] SPEC §5.6 — 50 wrong OTPs in all
// lock the account; from the 45th the answer says how many are left (§5.9).
func TestSeed_5_6_FiftyWrongOTPsLock(t *testing.T) {
	forEachEngineWith(t, newOTPHarness, func(t *testing.T, h *harness) {
		flow := h.giuliaAway()
		otp := h.sendOTP(flow)
		for i := 1; i < 50; i++ {
			r := h.verify(flow, wrong(otp))
			wantError(t, r, http.StatusUnauthorized, varco.EInvalidCode)
			want := 0
			if i >= 45 {
				want = 50 - i
			}
			if attemptsLeft(r) != want {
				t.Fatalf("wrong OTP %d: attempts_left = %d, want %d", i, attemptsLeft(r), want)
			}
		}
		wantError(t, h.verify(flow, wrong(otp)), http.StatusForbidden, varco.EAccountLocked)
		if got := h.events("giulia@acme.test", varco.EventAccountLocked); len(got) != 1 || got[0] != "otp_total" {
			t.Fatalf("account_locked events = %q", got)
		}
		wantError(t, h.loginFrom("giulia@acme.test", giuliaPW, homeIP), http.StatusForbidden, varco.EAccountLocked)
	})
}

// TestSeed_5_6_RightOTPResetsTheCount: [seed] SPEC §5.6 — a correct OTP
// resets the count and voids the other OTPs.
func TestSeed_5_6_RightOTPResetsTheCount(t *testing.T) {
	h := newOTPHarness(t, "sqlite")
	flow := h.giuliaAway()
	otp := h.sendOTP(flow)
	for range 3 {
		h.verify(flow, wrong(otp))
	}
	if r := h.verify(flow, otp); r.str("state") != "authenticated" {
		t.Fatalf("right OTP: %s", r.raw)
	}
	a, _ := h.app.DB.AccountByEmail(t.Context(), "giulia@acme.test")
	if c, _ := h.app.DB.StepUpCountersOf(t.Context(), a.ID); c.OTPTotal != 0 {
		t.Fatalf("OTP count after a right OTP = %d", c.OTPTotal)
	}
	codes, _ := h.app.DB.NewestStepUpCodes(t.Context(), a.ID, "sms_otp", 10)
	for _, c := range codes {
		if c.UsedAt.IsZero() {
			t.Fatalf("OTP %d still valid after a right one", c.ID)
		}
	}
}

// TestTenSMSPerDay: SPEC §5.9 [default] — at most 10 SMS per account a day.
func TestTenSMSPerDay(t *testing.T) {
	h := newOTPHarness(t, "sqlite")
	flow := h.giuliaAway()
	for i := range 10 {
		if i > 0 {
			h.clock.Advance(time.Minute)
		}
		h.sendOTP(flow)
	}
	h.clock.Advance(time.Minute)
	r := h.askOTP(flow)
	wantError(t, r, http.StatusTooManyRequests, varco.EOTPRateLimited)
	// The first of the ten was sent 10 minutes ago: the day ends in 23 h 50 min.
	if ra, _ := r.body["retry_after"].(float64); ra != (24*time.Hour - 10*time.Minute).Seconds() {
		t.Fatalf("retry_after = %v", r.body["retry_after"])
	}
}

// TestSeed_5_7_ParallelOTPSends: [seed] SPEC §5.7 — 100 parallel sends
// within one minute send exactly one SMS, on one process and on two
// processes sharing PostgreSQL.
func TestSeed_5_7_ParallelOTPSends(t *testing.T) {
	eachProcessSetup(t, newOTPHarness, func(t *testing.T, hs []*harness) {
		h := hs[0]
		flow := h.giuliaAway()
		var mu sync.Mutex
		count := map[int]int{}
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() {
				r := hs[i%len(hs)].askOTP(flow)
				mu.Lock()
				count[r.status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if count[http.StatusAccepted] != 1 || count[http.StatusTooManyRequests] != 99 {
			t.Fatalf("answers by status: %v", count)
		}
		if got := h.events("giulia@acme.test", varco.EventOTPSent); len(got) != 1 {
			t.Fatalf("%d otp_sent events, want 1", len(got))
		}
		h.sms.Wait(t, 1, 10*time.Second)
	})
}

// TestTenSMSPerDayIncludePhoneCodes: the day's ten SMS are one budget for
// the account: a phone verification code counts against the OTPs too.
func TestTenSMSPerDayIncludePhoneCodes(t *testing.T) {
	h := newOTPHarness(t, "sqlite")
	tok := h.loginFrom("giulia@acme.test", giuliaPW, homeIP).str("session_token")
	if r := h.do("PUT", "/api/v1/me/phone", tok, map[string]string{"phone": "+393339998877"}); r.status != http.StatusAccepted {
		t.Fatalf("phone verification: %d %s", r.status, r.raw)
	}
	h.sms.Wait(t, 1, 10*time.Second)
	flow := h.giuliaAway()
	for i := range 9 {
		h.clock.Advance(time.Minute)
		if r := h.askOTP(flow); r.status != http.StatusAccepted {
			t.Fatalf("OTP %d: %d %s", i+1, r.status, r.raw)
		}
	}
	h.clock.Advance(time.Minute)
	r := h.askOTP(flow)
	wantError(t, r, http.StatusTooManyRequests, varco.EOTPRateLimited)
	// The message names the day's limit, not the minute between codes.
	if m := r.str("message"); m != i18n.T(i18n.IT, "error.sms_day_limit") && m != i18n.T(i18n.EN, "error.sms_day_limit") {
		t.Errorf("message = %q, want the day's SMS limit", m)
	}
}
