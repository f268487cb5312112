package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv"
	"varco.dev/varco/internal/testenv/smtpsink"
)

// Client addresses. Without a location database risk falls back to "new
// IP network" (SPEC §5.3), so a sign-in from another /24 needs a step-up.
const (
	homeIP = "198.51.100.7"
	awayIP = "203.0.113.9"
)

const flowCookieName = "varco_login_flow"

// newStepUpSite starts varco with a real SMTP sink and trusted proxies, and
// signs mario in once from home, which makes home his usual place.
func newStepUpSite(t *testing.T, engine string) *site {
	t.Helper()
	s := newSite(t, siteOptions{dev: true, engine: engine, smtp: true, proxies: true})
	s.standard()
	s.browser("X-Forwarded-For", homeIP).login("mario@acme.test", marioPW)
	return s
}

// away is a browser on a network mario has never signed in from.
func (s *site) away() *browser { return s.browser("X-Forwarded-For", awayIP) }

// startStepUp signs in with the right password from b's network and checks
// the answer is the step-up page, the flow id kept only in its cookie.
func (b *browser) startStepUp(email, pw string) page {
	b.t.Helper()
	p := b.post("/login", url.Values{"email": {email}, "password": {pw}})
	wantRedirect(b.t, p, "/login/step-up")
	return p
}

// pins returns the PIN e-mails the sink has received for addr.
func (s *site) pins(addr string) []smtpsink.Mail {
	var out []smtpsink.Mail
	for _, m := range s.sink.Messages() {
		if m.Header.Get("X-Varco-Event") == varco.EventPINSent && len(m.To) > 0 && strings.EqualFold(m.To[0], addr) {
			out = append(out, m)
		}
	}
	return out
}

// sendPIN presses "e-mail me a PIN" and returns the PIN, read from the mail
// the SMTP sink received.
func (b *browser) sendPIN(addr string) string {
	b.t.Helper()
	before := len(b.site.pins(addr))
	wantRedirect(b.t, b.post("/login/step-up/send", url.Values{"method": {"email_pin"}}), "/login/step-up?done=pin_sent")
	return b.site.sink.Code(b.t, smtpsink.All(smtpsink.EventIs(varco.EventPINSent), smtpsink.SentTo(addr)), before+1, 10*time.Second)
}

// wrongCode returns a 6-digit code that is not pin.
func wrongCode(pin string) string {
	if pin == "000000" {
		return "000001"
	}
	return "000000"
}

// cookie returns the Set-Cookie line of name, "" if there is none.
func cookie(p page, name string) string {
	for _, c := range p.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, name+"=") {
			return c
		}
	}
	return ""
}

func (s *site) eventDetails(email, name string) []string {
	s.t.Helper()
	a := s.Account(email)
	evs, err := s.app.DB.ListEvents(context.Background(), store.EventFilter{AccountID: a.ID, Types: []string{name}, Limit: 100})
	if err != nil {
		s.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Detail)
	}
	return out
}

// TestStepUpJourney: a sign-in from a new network asks for a code; the PIN
// from the e-mail opens the session and makes the place usual (SPEC
// §5.3–5.4).
func TestStepUpJourney(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := newStepUpSite(t, engine)
			b := s.away()
			p := b.startStepUp("mario@acme.test", marioPW)
			c := cookie(p, flowCookieName)
			for _, attr := range []string{"HttpOnly", "SameSite=Lax", "Path=/login", "Max-Age=900"} {
				if !strings.Contains(c, attr) {
					t.Fatalf("flow cookie %q lacks %q", c, attr)
				}
			}
			flow := strings.TrimPrefix(strings.SplitN(c, ";", 2)[0], flowCookieName+"=")
			if len(flow) < 22 || strings.Contains(c, "Secure") {
				t.Fatalf("flow cookie %q: want an id, not Secure in dev over http", c)
			}
			if cookie(p, "varco_session") != "" || strings.Contains(p.location(), flow) {
				t.Fatalf("step-up answer set a session or put the flow in the URL: %v", p.header)
			}
			if got := s.eventDetails("mario@acme.test", varco.EventStepUpRequired); len(got) != 1 || got[0] == "" {
				t.Fatalf("step_up_required events %q", got)
			}

			page := b.get("/login/step-up")
			want(t, page, 200, "Conferma che sei tu", "Non riconosciamo il luogo", `value="email_pin"`, "Mandami un PIN via e-mail",
				`inputmode="numeric"`, `autocomplete="one-time-code"`, `action="/login/step-up/verify"`)
			if strings.Contains(page.body, `value="sms_otp"`) || strings.Contains(page.body, flow) {
				t.Fatal("the page offers SMS without a phone, or shows the flow id")
			}
			// Nothing sent yet, SMS not offered, a code of the wrong shape:
			// errors in the page's language, nothing counted.
			want(t, b.post("/login/step-up/verify", url.Values{"code": {"123456"}}), http.StatusConflict, "Chiedi prima un codice")
			want(t, b.post("/login/step-up/send", url.Values{"method": {"sms_otp"}}, "Accept-Language", "en"),
				http.StatusBadRequest, "This account has no verified phone number")

			pin := b.sendPIN("mario@acme.test")
			want(t, b.get("/login/step-up?done=pin_sent"), 200, "Ti abbiamo mandato un PIN via e-mail")
			want(t, b.post("/login/step-up/verify", url.Values{"code": {pin[:5]}}), http.StatusBadRequest, "6 cifre")
			want(t, b.post("/login/step-up/verify", url.Values{"code": {strings.Repeat("1", 100)}}), http.StatusBadRequest, "6 cifre")

			// Surrounding whitespace is forgiven.
			p = b.post("/login/step-up/verify", url.Values{"code": {" " + pin + "\n"}})
			wantRedirect(t, p, "/profile")
			if c := cookie(p, "varco_session"); !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "Max-Age=43200") {
				t.Fatalf("session cookie %q", c)
			}
			if c := cookie(p, flowCookieName); !strings.Contains(c, "Max-Age=0") || !strings.Contains(c, "Path=/login") {
				t.Fatalf("flow cookie not cleared: %q", c)
			}
			want(t, b.get("/profile"), 200, "Mario Rossi")
			// The history tells why a code was asked (SPEC §5.3).
			want(t, b.get("/profile/activity?type=step_up_required"), 200, `<small class="detail">nuova rete</small>`)
			if got := s.eventDetails("mario@acme.test", varco.EventStepUpSucceeded); len(got) != 1 {
				t.Fatalf("step_up_succeeded events %q", got)
			}
			// The flow is spent: its page sends back to the sign-in.
			wantRedirect(t, b.get("/login/step-up"), "/login?done=signin_again")

			// The place is usual now: no more step-up from there.
			s.away().login("mario@acme.test", marioPW)
		})
	}
}

// TestStepUpWrongPINsLockAndSupportUnlocks: the 4th wrong PIN warns, the
// 5th locks the account (SPEC §5.5, §5.9); an org admin sees why but cannot
// unlock; support unlocks from the admin page and the user signs in again
// (§5.8).
func TestStepUpWrongPINsLockAndSupportUnlocks(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := newStepUpSite(t, engine)
			mario := s.Account("mario@acme.test")
			path := fmt.Sprintf("/admin/users/%d", mario.ID)
			anna := s.browser()
			anna.login("anna@acme.test", annaPW)
			support := s.browser()
			support.login("help@provider.test", helpPW)

			b := s.away()
			b.startStepUp("mario@acme.test", marioPW)
			bad := wrongCode(b.sendPIN("mario@acme.test"))
			for i := 1; i <= 3; i++ {
				p := b.post("/login/step-up/verify", url.Values{"code": {bad}})
				want(t, p, http.StatusUnauthorized, "Il codice è sbagliato o è scaduto.", `action="/login/step-up/verify"`)
				if strings.Contains(p.body, "tentativ") {
					t.Fatalf("wrong PIN %d already warns:\n%s", i, p.body)
				}
			}
			want(t, b.post("/login/step-up/verify", url.Values{"code": {bad}}, "Accept-Language", "en"),
				http.StatusUnauthorized, "The code is wrong or has expired. 1 attempt left before the account is locked.")

			p := b.post("/login/step-up/verify", url.Values{"code": {bad}})
			want(t, p, http.StatusForbidden, "bloccato", "Contatta l&#39;assistenza")
			if strings.Contains(p.body, `action="/login/step-up`) {
				t.Fatal("the locked page still offers a form")
			}
			if c := cookie(p, flowCookieName); !strings.Contains(c, "Max-Age=0") {
				t.Fatalf("flow cookie not cleared on lock: %q", c)
			}
			if st := s.Account("mario@acme.test").Status; st != varco.StatusLocked {
				t.Fatalf("status %q after 5 wrong PINs", st)
			}
			want(t, s.away().post("/login", url.Values{"email": {"mario@acme.test"}, "password": {marioPW}}), 403, "bloccato")

			// The org admin sees the lock and its reason, but no button,
			// and a forged form is refused.
			ap := anna.get(path)
			want(t, ap, 200, "Locked", "Account locked: 5 wrong PINs in a row.", "Only support can unlock an account.")
			if strings.Contains(ap.body, path+"/unlock") {
				t.Fatal("an org admin is offered the unlock button")
			}
			want(t, anna.post(path+"/unlock", url.Values{"confirm": {"yes"}}), 403, "Only support can unlock")
			want(t, anna.post(path+"/unlock", nil), 403)
			if st := s.Account("mario@acme.test").Status; st != varco.StatusLocked {
				t.Fatalf("status %q after an org admin's unlock", st)
			}

			// Support unlocks, after ticking the box.
			sp := support.get(path + "?lang=en")
			want(t, sp, 200, "Account locked: 5 wrong PINs in a row.", `action="`+path+`/unlock"`, "Unlock the account")
			if strings.Contains(sp.body, "Only support can unlock") {
				t.Fatal("support is told only support can unlock")
			}
			wantRedirect(t, support.post(path+"/unlock", nil), path+"?done=confirm_unlock")
			want(t, support.get(path+"?done=confirm_unlock"), 200, "To unlock the account, tick the confirmation box.")
			wantRedirect(t, support.post(path+"/unlock", url.Values{"confirm": {"yes"}}), path+"?done=unlocked")
			up := support.get(path + "?done=unlocked")
			want(t, up, 200, "Account unlocked", `data-event="account_unlocked"`, "Active")
			if strings.Contains(up.body, path+"/unlock") {
				t.Fatal("an active account still offers the unlock button")
			}
			wantRedirect(t, support.post(path+"/unlock", url.Values{"confirm": {"yes"}}), path+"?done=not_locked")
			s.sink.Wait(t, smtpsink.EventIs(varco.EventAccountUnlocked), 10*time.Second)

			// Mario signs in again: the place is still new, so a fresh PIN.
			b = s.away()
			b.startStepUp("mario@acme.test", marioPW)
			wantRedirect(t, b.post("/login/step-up/verify", url.Values{"code": {b.sendPIN("mario@acme.test")}}), "/profile")
			want(t, b.get("/profile"), 200, "Mario Rossi")
		})
	}
}

// TestStepUpFlowCookieMissingOrForged: without a live flow in the cookie
// every step-up route sends the browser back to the sign-in form.
func TestStepUpFlowCookieMissingOrForged(t *testing.T) {
	s := newStepUpSite(t, "sqlite")
	forged := flowCookieName + "=" + strings.Repeat("A", 43)
	for _, tt := range []struct {
		name, method, path string
		form               url.Values
		cookie             string
	}{
		{"page without cookie", "GET", "/login/step-up", nil, ""},
		{"send without cookie", "POST", "/login/step-up/send", url.Values{"method": {"email_pin"}}, ""},
		{"verify without cookie", "POST", "/login/step-up/verify", url.Values{"code": {"123456"}}, ""},
		{"page with forged cookie", "GET", "/login/step-up", nil, forged},
		{"send with forged cookie", "POST", "/login/step-up/send", url.Values{"method": {"email_pin"}}, forged},
		{"verify with forged cookie", "POST", "/login/step-up/verify", url.Values{"code": {"123456"}}, forged},
		{"garbage cookie", "POST", "/login/step-up/verify", url.Values{"code": {"123456"}}, flowCookieName + "=not-a-flow"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := s.away()
			var hdr []string
			if tt.cookie != "" {
				hdr = []string{"Cookie", tt.cookie}
			}
			p := b.do(tt.method, tt.path, tt.form, hdr...)
			wantRedirect(t, p, "/login?done=signin_again")
			if c := cookie(p, flowCookieName); !strings.Contains(c, "Max-Age=0") {
				t.Fatalf("flow cookie not cleared: %q", c)
			}
		})
	}
	want(t, s.browser().get("/login?done=signin_again"), 200, "accedi di nuovo")
	if len(s.pins("mario@acme.test")) != 0 {
		t.Fatal("a forged flow sent a PIN")
	}
}

// TestStepUpThenPasswordChange: a sign-in that needs both a step-up and a
// new password passes the step-up first and lands on the password page
// with a restricted session (SPEC §2.6, §5.3).
func TestStepUpThenPasswordChange(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := newStepUpSite(t, engine)
			ctx := context.Background()
			mario := s.Account("mario@acme.test")
			if err := s.app.DB.SetAccountStatus(ctx, mario.ID, varco.StatusSuspended); err != nil {
				t.Fatal(err)
			}
			if _, err := s.app.Admin.ReactivateUser(ctx, admin.Operator(), mario.ID); err != nil {
				t.Fatal(err)
			}
			b := s.away()
			b.startStepUp("mario@acme.test", marioPW)
			wantRedirect(t, b.post("/login/step-up/verify", url.Values{"code": {b.sendPIN("mario@acme.test")}}), "/profile/password")
			wantRedirect(t, b.get("/profile"), "/profile/password")
			want(t, b.get("/profile/password"), 200, `name="new_password"`)
		})
	}
}

// TestStepUpOffersSMS: with a verified phone the page offers both methods.
func TestStepUpOffersSMS(t *testing.T) {
	s := newStepUpSite(t, "sqlite")
	s.User(admin.NewUser{Email: "carla@acme.test", Password: "Pink-Secret-2026", Org: "acme", Phone: "+393331234567"})
	s.browser("X-Forwarded-For", homeIP).login("carla@acme.test", "Pink-Secret-2026")
	b := s.away()
	b.startStepUp("carla@acme.test", "Pink-Secret-2026")
	p := b.get("/login/step-up?lang=en")
	want(t, p, 200, `value="email_pin"`, "E-mail me a PIN", `value="sms_otp"`, "Text me a code")
	if strings.Contains(p.body, "3331234567") {
		t.Fatal("the page shows the phone number")
	}
}
