package api_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/fixture"
	"varco.dev/varco/internal/testenv/smtpsink"
)

// Client addresses for the step-up tests. Without a location database risk
// falls back to "new IP network" (SPEC §5.3), so a new /24 needs a step-up.
const (
	homeIP = "198.51.100.7"
	awayIP = "203.0.113.9"
)

func newStepUpHarness(t *testing.T, engine string) *harness {
	h := newHarness(t, engine, fixture.TrustLoopback)
	standard(h)
	// The first sign-in sets the baseline: home is usual from now on.
	if r := h.loginFrom("mario@acme.test", marioPW, homeIP); r.str("state") != "authenticated" {
		t.Fatalf("baseline login: %d %s", r.status, r.raw)
	}
	return h
}

func (h *harness) loginFrom(email, pw, ip string) reply {
	h.t.Helper()
	return h.do("POST", "/api/v1/login", "", map[string]string{"email": email, "password": pw}, "X-Forwarded-For", ip)
}

// awayFlow signs mario in from a new network and returns the flow id.
func (h *harness) awayFlow() string {
	h.t.Helper()
	r := h.loginFrom("mario@acme.test", marioPW, awayIP)
	if r.status != 200 || r.str("state") != "step_up_required" || r.str("flow") == "" || r.str("session_token") != "" {
		h.t.Fatalf("login from a new network: %d %s", r.status, r.raw)
	}
	return r.str("flow")
}

// sendPIN asks for a PIN and returns it, read from the real SMTP exchange.
func (h *harness) sendPIN(flow string) string {
	h.t.Helper()
	before := len(h.pins())
	r := h.do("POST", "/api/v1/login/"+flow+"/step-up/send", "", map[string]string{"method": "email_pin"}, "X-Forwarded-For", awayIP)
	if r.status != http.StatusAccepted {
		h.t.Fatalf("send PIN: %d %s", r.status, r.raw)
	}
	return h.sink.Code(h.t, smtpsink.EventIs(varco.EventPINSent), before+1, 10*time.Second)
}

func (h *harness) pins() []smtpsink.Mail {
	var out []smtpsink.Mail
	for _, m := range h.sink.Messages() {
		if m.Header.Get("X-Varco-Event") == varco.EventPINSent {
			out = append(out, m)
		}
	}
	return out
}

func (h *harness) verify(flow, code string) reply {
	h.t.Helper()
	return h.do("POST", "/api/v1/login/"+flow+"/step-up/verify", "", map[string]string{"code": code}, "X-Forwarded-For", awayIP)
}

// wrong returns a 6-digit code that is not pin.
func wrong(pin string) string {
	if pin == "000000" {
		return "000001"
	}
	return "000000"
}

func attemptsLeft(r reply) int {
	n, _ := r.body["attempts_left"].(float64)
	return int(n)
}

func (h *harness) events(accountEmail, name string) []string {
	h.t.Helper()
	a, err := h.app.DB.AccountByEmail(h.t.Context(), accountEmail)
	if err != nil {
		h.t.Fatal(err)
	}
	evs, err := h.app.DB.ListEvents(h.t.Context(), store.EventFilter{AccountID: a.ID, Types: []string{name}, Limit: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Detail)
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestStepUpWithEmailPIN: a sign-in from a new place asks for a code; the
// PIN arrives by e-mail, opens the session and makes the place usual
// (SPEC §5.3–5.4).
func TestStepUpWithEmailPIN(t *testing.T) {
	forEachEngineWith(t, newStepUpHarness, func(t *testing.T, h *harness) {
		flow := h.awayFlow()
		if r := h.do("GET", "/api/v1/login/"+flow, "", nil); r.status != 200 || r.str("state") != "step_up_required" {
			t.Fatalf("GET flow: %d %s", r.status, r.raw)
		}
		wantError(t, h.verify(flow, "123456"), http.StatusConflict, varco.ENoCodeSent)
		wantError(t, h.do("POST", "/api/v1/login/"+flow+"/step-up/send", "", map[string]string{"method": "sms_otp"}),
			http.StatusBadRequest, varco.EMethodUnavailable)
		pin := h.sendPIN(flow)
		if m := h.pins()[0]; !strings.EqualFold(m.To[0], "mario@acme.test") {
			t.Fatalf("PIN sent to %v", m.To)
		}
		r := h.verify(flow, pin)
		if r.status != 200 || r.str("state") != "authenticated" || r.str("session_token") == "" {
			t.Fatalf("verify: %d %s", r.status, r.raw)
		}
		if me := h.do("GET", "/api/v1/me", r.str("session_token"), nil); me.status != 200 {
			t.Fatalf("me after step-up: %d", me.status)
		}
		// The flow is done: neither its code nor the flow works again.
		wantError(t, h.verify(flow, pin), http.StatusNotFound, varco.EFlowNotFound)
		if got := h.events("mario@acme.test", varco.EventStepUpRequired); len(got) != 1 || got[0] != "nuova rete" {
			t.Fatalf("step_up_required events = %q", got)
		}
		if got := h.events("mario@acme.test", varco.EventStepUpSucceeded); len(got) != 1 {
			t.Fatalf("step_up_succeeded events = %q", got)
		}
		// The new place is usual now.
		if r := h.loginFrom("mario@acme.test", marioPW, awayIP); r.str("state") != "authenticated" {
			t.Fatalf("second login from the same network: %d %s", r.status, r.raw)
		}
	})
}

// TestStepUpBadInput: malformed codes, unknown and forged flows are refused
// with clear errors, and no counter moves (SPEC §9a).
func TestStepUpBadInput(t *testing.T) {
	h := newStepUpHarness(t, "sqlite")
	flow := h.awayFlow()
	pin := h.sendPIN(flow)
	for _, code := range []string{"", "12345", "1234567", "12 456", " 123456", "12345a", "١٢٣٤٥٦", "１２３４５６", strings.Repeat("9", 5000)} {
		wantError(t, h.verify(flow, code), http.StatusBadRequest, varco.EInvalid)
	}
	for _, f := range []string{"nope", strings.Repeat("A", 43), flow[:42] + "x", flow + "A"} {
		wantError(t, h.verify(f, "123456"), http.StatusNotFound, varco.EFlowNotFound)
		wantError(t, h.do("GET", "/api/v1/login/"+f, "", nil), http.StatusNotFound, varco.EFlowNotFound)
	}
	wantError(t, h.do("POST", "/api/v1/login/"+flow+"/step-up/send", "", map[string]string{"method": "carrier_pigeon"}),
		http.StatusBadRequest, varco.EInvalid)
	a, _ := h.app.DB.AccountByEmail(t.Context(), "mario@acme.test")
	c, err := h.app.DB.StepUpCountersOf(t.Context(), a.ID)
	if err != nil || c.PINConsecutive != 0 || c.PINTotal != 0 {
		t.Fatalf("counters moved on bad input: %+v %v", c, err)
	}
	if r := h.verify(flow, pin); r.str("state") != "authenticated" {
		t.Fatalf("the PIN no longer works after bad input: %d %s", r.status, r.raw)
	}
}

// TestSeed_5_5_FiveConsecutiveWrongPINsLock: [seed] SPEC §5.5 — 5 wrong PINs
// in a row lock the account; the user is warned before the last one (§5.9,
// §9a attempts_left), the 5th answers account_locked, and the right password
// then answers account_locked too.
func TestSeed_5_5_FiveConsecutiveWrongPINsLock(t *testing.T) {
	forEachEngineWith(t, newStepUpHarness, func(t *testing.T, h *harness) {
		flow := h.awayFlow()
		pin := h.sendPIN(flow)
		for i := 1; i <= 3; i++ {
			r := h.verify(flow, wrong(pin))
			wantError(t, r, http.StatusUnauthorized, varco.EInvalidCode)
			if attemptsLeft(r) != 0 {
				t.Fatalf("wrong PIN %d warns already: %s", i, r.raw)
			}
		}
		r := h.verify(flow, wrong(pin))
		wantError(t, r, http.StatusUnauthorized, varco.EInvalidCode)
		if attemptsLeft(r) != 1 {
			t.Fatalf("4th wrong PIN: attempts_left = %d, want 1 (%s)", attemptsLeft(r), r.raw)
		}
		wantError(t, h.verify(flow, wrong(pin)), http.StatusForbidden, varco.EAccountLocked)
		// Locked: even the right PIN and the right password answer account_locked.
		wantError(t, h.verify(flow, pin), http.StatusForbidden, varco.EAccountLocked)
		wantError(t, h.loginFrom("mario@acme.test", marioPW, homeIP), http.StatusForbidden, varco.EAccountLocked)
		wantError(t, h.loginFrom("mario@acme.test", "Wrong-Password-99", homeIP), http.StatusUnauthorized, varco.EInvalidCredentials)
		h.sink.Wait(t, smtpsink.EventIs(varco.EventAccountLocked), 10*time.Second)
		if got := h.events("mario@acme.test", varco.EventAccountLocked); len(got) != 1 || got[0] != "pin_consecutive" {
			t.Fatalf("account_locked events = %q", got)
		}
	})
}

// TestSeed_5_5_WorkedExample: [seed] SPEC §5.5 — 4 wrong, wait 30 min, 4
// wrong, wait 30 min, 4 wrong, wait 30 min, 3 wrong → locked at the 15th.
func TestSeed_5_5_WorkedExample(t *testing.T) {
	forEachEngineWith(t, newStepUpHarness, func(t *testing.T, h *harness) {
		total := 0
		for round, n := range []int{4, 4, 4, 3} {
			if round > 0 {
				h.clock.Advance(30 * time.Minute)
			}
			flow := h.awayFlow() // the flow of the last round has expired
			pin := h.sendPIN(flow)
			for i := 1; i <= n; i++ {
				total++
				r := h.verify(flow, wrong(pin))
				if total == 15 {
					wantError(t, r, http.StatusForbidden, varco.EAccountLocked)
					continue
				}
				wantError(t, r, http.StatusUnauthorized, varco.EInvalidCode)
				// Warned before the attempt that would lock: the 4th in a
				// row, or the 14th in all.
				if want := map[bool]int{true: 1}[i == 4 || total == 14]; attemptsLeft(r) != want {
					t.Fatalf("wrong PIN %d (round %d): attempts_left = %d, want %d", total, round+1, attemptsLeft(r), want)
				}
			}
		}
		if got := h.events("mario@acme.test", varco.EventAccountLocked); len(got) != 1 || got[0] != "pin_total" {
			t.Fatalf("account_locked events = %q, want one by pin_total", got)
		}
		if got := h.events("mario@acme.test", varco.EventPINFailed); len(got) != 15 {
			t.Fatalf("%d pin_failed events, want 15", len(got))
		}
	})
}

// TestSeed_5_5_QuietTimeMustBeThirtyMinutes: [seed] SPEC §5.5 — the run
// of wrong PINs ends only when 30 minutes pass after the last one: at 29:59
// the 5th wrong PIN still locks.
func TestSeed_5_5_QuietTimeMustBeThirtyMinutes(t *testing.T) {
	h := newStepUpHarness(t, "sqlite")
	flow := h.awayFlow()
	pin := h.sendPIN(flow)
	for range 4 {
		wantError(t, h.verify(flow, wrong(pin)), http.StatusUnauthorized, varco.EInvalidCode)
	}
	h.clock.Advance(30*time.Minute - time.Second)
	flow = h.awayFlow() // the first flow has expired (15 min)
	pin = h.sendPIN(flow)
	wantError(t, h.verify(flow, wrong(pin)), http.StatusForbidden, varco.EAccountLocked)
}

// TestSeed_5_5_CorrectPINResetsBothCounters: [decision] SPEC §5.5 — a
// correct PIN resets the consecutive and the total counter.
func TestSeed_5_5_CorrectPINResetsBothCounters(t *testing.T) {
	h := newStepUpHarness(t, "sqlite")
	flow := h.awayFlow()
	pin := h.sendPIN(flow)
	for range 4 {
		wantError(t, h.verify(flow, wrong(pin)), http.StatusUnauthorized, varco.EInvalidCode)
	}
	if r := h.verify(flow, pin); r.str("state") != "authenticated" {
		t.Fatalf("right PIN: %d %s", r.status, r.raw)
	}
	a, _ := h.app.DB.AccountByEmail(t.Context(), "mario@acme.test")
	if c, _ := h.app.DB.StepUpCountersOf(t.Context(), a.ID); c.PINConsecutive != 0 || c.PINTotal != 0 {
		t.Fatalf("counters after a right PIN: %+v", c)
	}
}

// TestOnlyNewestPINIsValid: SPEC §5.5 [default] — a new PIN voids the
// older one, and sending it does not reset a counter (§5.9).
func TestOnlyNewestPINIsValid(t *testing.T) {
	h := newStepUpHarness(t, "sqlite")
	flow := h.awayFlow()
	first := h.sendPIN(flow)
	wantError(t, h.verify(flow, wrong(first)), http.StatusUnauthorized, varco.EInvalidCode)
	second := h.sendPIN(flow)
	if first != second {
		wantError(t, h.verify(flow, first), http.StatusUnauthorized, varco.EInvalidCode)
	}
	a, _ := h.app.DB.AccountByEmail(t.Context(), "mario@acme.test")
	if c, _ := h.app.DB.StepUpCountersOf(t.Context(), a.ID); c.PINConsecutive < 1 {
		t.Fatalf("sending a PIN reset the counter: %+v", c)
	}
	if r := h.verify(flow, second); r.str("state") != "authenticated" {
		t.Fatalf("newest PIN: %d %s", r.status, r.raw)
	}
}

// TestSeed_5_8_OnlySupportUnlocks: [seed] SPEC §5.8 — a locked account is
// unlocked only by support, which resets every counter; the user is told.
// An org admin of the same organization is refused.
func TestSeed_5_8_OnlySupportUnlocks(t *testing.T) {
	forEachEngineWith(t, newStepUpHarness, func(t *testing.T, h *harness) {
		flow := h.awayFlow()
		pin := h.sendPIN(flow)
		for range 5 {
			h.verify(flow, wrong(pin))
		}
		a, _ := h.app.DB.AccountByEmail(t.Context(), "mario@acme.test")
		if a.Status != varco.StatusLocked {
			t.Fatalf("status %s, want locked", a.Status)
		}
		path := "/api/v1/admin/users/" + itoa(a.ID) + "/unlock"
		orgAdmin := h.loginFrom("anna@acme.test", "Admin-Acme-2026", homeIP).str("session_token")
		wantError(t, h.do("POST", path, orgAdmin, nil), http.StatusForbidden, varco.EForbidden)
		user := h.loginFrom("luigi@other.test", luigiPW, homeIP).str("session_token")
		wantError(t, h.do("POST", path, user, nil), http.StatusForbidden, varco.EForbidden)
		support := h.loginFrom("help@provider.test", "Assist-Desk-2026", homeIP).str("session_token")
		r := h.do("POST", path, support, nil)
		if r.status != 200 || r.str("status") != "active" {
			t.Fatalf("support unlock: %d %s", r.status, r.raw)
		}
		wantError(t, h.do("POST", path, support, nil), http.StatusConflict, varco.EConflict)
		h.sink.Wait(t, smtpsink.EventIs(varco.EventAccountUnlocked), 10*time.Second)
		if got := h.events("mario@acme.test", varco.EventAccountUnlocked); len(got) != 1 || !strings.Contains(got[0], "pin_consecutive") {
			t.Fatalf("account_unlocked events = %q", got)
		}
		// Every counter starts again: four wrong PINs do not lock.
		flow = h.awayFlow()
		pin = h.sendPIN(flow)
		for range 4 {
			wantError(t, h.verify(flow, wrong(pin)), http.StatusUnauthorized, varco.EInvalidCode)
		}
		if r := h.verify(flow, pin); r.str("state") != "authenticated" {
			t.Fatalf("after unlock: %d %s", r.status, r.raw)
		}
	})
}

// TestSeed_5_7_ParallelWrongPINs: [seed] SPEC §5.7 — 100 parallel wrong
// PINs for one account lock it having evaluated no more attempts than the
// rule allows: at most 4 invalid_code answers before the 5th locks, on one
// process and on two processes sharing the database.
func TestSeed_5_7_ParallelWrongPINs(t *testing.T) {
	eachProcessSetup(t, newStepUpHarness, func(t *testing.T, hs []*harness) {
		h := hs[0]
		flow := h.awayFlow()
		pin := h.sendPIN(flow)
		var mu sync.Mutex
		count := map[string]int{}
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() {
				r := hs[i%len(hs)].verify(flow, wrong(pin))
				mu.Lock()
				count[r.str("error")]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if count[varco.EInvalidCode] > 4 || count[varco.EAccountLocked] < 1 ||
			count[varco.EInvalidCode]+count[varco.EAccountLocked]+count[varco.ETooManyAttempts] != 100 {
			t.Fatalf("answers: %v", count)
		}
		if got := h.events("mario@acme.test", varco.EventPINFailed); len(got) != 5 {
			t.Fatalf("%d wrong PINs evaluated, want exactly 5 (answers %v)", len(got), count)
		}
		if got := h.events("mario@acme.test", varco.EventAccountLocked); len(got) != 1 {
			t.Fatalf("account_locked recorded %d times", len(got))
		}
	})
}

// TestFlowPassword: an expired password is changed through the login flow
// (SPEC §2.6, §9 POST /login/{flow}/password), also after a step-up, which
// always comes first.
func TestFlowPassword(t *testing.T) {
	forEachEngineWith(t, newStepUpHarness, func(t *testing.T, h *harness) {
		h.clock.Advance(91 * 24 * time.Hour)
		// From home: no step-up, straight to the password change.
		r := h.loginFrom("mario@acme.test", marioPW, homeIP)
		if r.str("state") != "password_change_required" || r.str("flow") == "" || r.str("session_token") == "" {
			t.Fatalf("expired login: %d %s", r.status, r.raw)
		}
		flow, restricted := r.str("flow"), r.str("session_token")
		wantError(t, h.do("GET", "/api/v1/me/sessions", restricted, nil), http.StatusForbidden, varco.EPasswordChangeRequire)
		if g := h.do("GET", "/api/v1/login/"+flow, "", nil); g.str("state") != "password_change_required" {
			t.Fatalf("GET flow: %s", g.raw)
		}
		wantError(t, h.do("POST", "/api/v1/login/"+flow+"/password", "", map[string]string{"new_password": "short1"}),
			http.StatusBadRequest, varco.EPasswordTooShort)
		wantError(t, h.do("POST", "/api/v1/login/"+flow+"/password", "", map[string]string{"new_password": marioPW}),
			http.StatusBadRequest, varco.EPasswordReused)
		r = h.do("POST", "/api/v1/login/"+flow+"/password", "", map[string]string{"new_password": "Nuova-Strada-2027"})
		if r.status != 200 || r.str("state") != "authenticated" || r.str("session_token") == "" {
			t.Fatalf("flow password: %d %s", r.status, r.raw)
		}
		if s := h.do("GET", "/api/v1/me/sessions", r.str("session_token"), nil); s.status != 200 {
			t.Fatalf("full session refused: %d", s.status)
		}
		wantError(t, h.do("GET", "/api/v1/me", restricted, nil), http.StatusUnauthorized, varco.EUnauthorized)
		wantError(t, h.do("POST", "/api/v1/login/"+flow+"/password", "", map[string]string{"new_password": "Altra-Strada-2028"}),
			http.StatusNotFound, varco.EFlowNotFound)

		// Expired again, from a new network: the step-up comes first,
		// then the same flow asks for the new password.
		h.clock.Advance(91 * 24 * time.Hour)
		r = h.loginFrom("mario@acme.test", "Nuova-Strada-2027", awayIP)
		if r.str("state") != "step_up_required" {
			t.Fatalf("expired login from a new network: %s", r.raw)
		}
		flow = r.str("flow")
		r = h.verify(flow, h.sendPIN(flow))
		if r.str("state") != "password_change_required" || r.str("flow") != flow {
			t.Fatalf("after the step-up: %s", r.raw)
		}
		r = h.do("POST", "/api/v1/login/"+flow+"/password", "", map[string]string{"new_password": "Terza-Strada-2029"})
		if r.str("state") != "authenticated" {
			t.Fatalf("flow password after step-up: %d %s", r.status, r.raw)
		}
	})
}

func (h *harness) lastEvent(email, name string) *varco.Event {
	h.t.Helper()
	a, err := h.app.DB.AccountByEmail(h.t.Context(), email)
	if err != nil {
		h.t.Fatal(err)
	}
	evs, err := h.app.DB.ListEvents(h.t.Context(), store.EventFilter{AccountID: a.ID, Types: []string{name}, Limit: 1})
	if err != nil || len(evs) == 0 {
		h.t.Fatalf("no %s event: %v", name, err)
	}
	return evs[0]
}

func bytesContain(b []byte, s string) bool { return strings.Contains(string(b), s) }

// TestStepUpIPThrottle: one client guessing flows or codes across accounts
// is slowed after 100 failures in 10 minutes, with the same answer whether
// or not a flow exists (issue: per-IP limits on send/verify).
func TestStepUpIPThrottle(t *testing.T) {
	h := newStepUpHarness(t, "sqlite")
	flow := h.awayFlow()
	pin := h.sendPIN(flow)
	// The forged ids differ from the real one in their first character,
	// so none of them can be the real flow by chance.
	first := "A"
	if flow[0] == 'A' {
		first = "B"
	}
	for i := range 100 {
		forged := first + flow[1:40] + fmt.Sprintf("%03d", i)
		wantError(t, h.verify(forged, "123456"), http.StatusNotFound, varco.EFlowNotFound)
	}
	r := h.verify(flow[:40]+"zzz", "123456")
	wantError(t, r, http.StatusTooManyRequests, varco.ETooManyAttempts)
	// The real flow from the same IP waits too, without telling it apart.
	wantError(t, h.verify(flow, pin), http.StatusTooManyRequests, varco.ETooManyAttempts)
	// Another client is not slowed.
	other := h.do("POST", "/api/v1/login/"+flow+"/step-up/verify", "", map[string]string{"code": pin}, "X-Forwarded-For", "192.0.2.44")
	if other.str("state") != "authenticated" {
		t.Fatalf("another IP: %d %s", other.status, other.raw)
	}
}

// eachProcessSetup runs fn, as a subtest, with one varco process on each
// engine and with two processes sharing the database on PostgreSQL; hs[0]
// is the first process, made by newH.
func eachProcessSetup(t *testing.T, newH func(*testing.T, string) *harness, fn func(t *testing.T, hs []*harness)) {
	for _, engine := range testenv.Engines() {
		for _, procs := range []int{1, 2} {
			if procs == 2 && engine != "postgres" {
				continue
			}
			t.Run(engine+"/"+itoa(int64(procs))+"proc", func(t *testing.T) {
				hs := []*harness{newH(t, engine)}
				if procs == 2 {
					hs = append(hs, hs[0].twin())
				}
				fn(t, hs)
			})
		}
	}
}
