package web_test

import (
	"context"
	"net/url"
	"regexp"
	"testing"

	"varco.dev/varco"
	"varco.dev/varco/internal/notify"
	"varco.dev/varco/internal/testenv/smssink"
)

// lastDevMessage delivers what is due and returns the newest dev-mailbox
// message of event.
func (s *site) lastDevMessage(event string) notify.Message {
	s.t.Helper()
	msgs := s.mailbox()
	for _, m := range msgs {
		if m.Event == event {
			return m
		}
	}
	s.t.Fatalf("no %s message in the dev mailbox", event)
	return notify.Message{}
}

var contactLinkRE = regexp.MustCompile(`https?://[^\s"<>]+/contact-email/verify\?token=[^\s"<>]+`)

func TestProfilePhoneVerification(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser()
	b.login("mario@acme.test", marioPW)
	want(t, b.get("/profile"), 200, `id="contact"`, "Contatti", "nessuno", "mario@acme.test (l&#39;e-mail di accesso)")

	for _, bad := range []string{"", "347", "+39347abc4567", "+٣٩٣٤٧١٢٣٤٥٦٧", "+3934712345678901"} {
		want(t, b.post("/profile/phone", url.Values{"phone": {bad}}), 400, "Il numero di telefono non è valido")
	}
	// As people write it: the number is normalised to E.164.
	wantRedirect(t, b.post("/profile/phone", url.Values{"phone": {"347 123 4567"}}), "/profile?done=code_sent#contact")
	sms := s.lastDevMessage(varco.EventPhoneVerificationSent)
	if sms.Channel != notify.ChannelSMS || sms.To != "+393471234567" {
		t.Fatalf("SMS %+v", sms)
	}
	code, err := smssink.FindCode(sms.Text)
	if err != nil {
		t.Fatal(err)
	}
	want(t, b.get("/profile"), 200, `id="phone-pending"`, "&#43;39********67", `name="code"`)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	want(t, b.post("/profile/phone/verify", url.Values{"code": {wrong}}), 401, "Il codice è sbagliato o è scaduto.")
	want(t, b.post("/profile/phone/verify", url.Values{"code": {"12a"}}), 401, "Il codice è sbagliato o è scaduto.")
	wantRedirect(t, b.post("/profile/phone/verify", url.Values{"code": {code}}), "/profile?done=phone_verified#contact")
	p := b.get("/profile?done=phone_verified&lang=en")
	want(t, p, 200, "Phone number verified.", "&#43;39********67", "verified", `id="remove-phone"`)
	a, err := s.app.DB.AccountByEmail(context.Background(), "mario@acme.test")
	if err != nil || a.Phone != "+393471234567" || !a.PhoneVerified {
		t.Fatalf("account %+v, %v", a, err)
	}

	// One code a minute.
	want(t, b.post("/profile/phone", url.Values{"phone": {"+393470000000"}}), 429, "Too many attempts")

	wantRedirect(t, b.post("/profile/phone/remove", nil), "/profile?done=phone_removed#contact")
	want(t, b.get("/profile?done=phone_removed"), 200, "Phone number removed.", "none")
}

func TestProfileContactEmailVerification(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser()
	b.login("mario@acme.test", marioPW)
	want(t, b.post("/profile/contact-email", url.Values{"contact_email": {"not an address"}}), 400, "Scrivi un indirizzo e-mail valido.")
	wantRedirect(t, b.post("/profile/contact-email", url.Values{"contact_email": {"mario@home.example"}}),
		"/profile?done=link_sent#contact")
	m := s.lastDevMessage(varco.EventContactEmailVerificationSent)
	if m.To != "mario@home.example" {
		t.Fatalf("link sent to %q", m.To)
	}
	want(t, b.get("/profile"), 200, `id="email-pending"`, "mario@home.example", "(l&#39;e-mail di accesso)")
	link := contactLinkRE.FindString(m.Text)
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("no link in:\n%s", m.Text)
	}

	// Opening the link in a browser without a session shows a button;
	// only the POST confirms.
	other := s.browser()
	p := other.get(u.RequestURI())
	want(t, p, 200, `id="confirm-contact"`)
	token := hiddenTokenRE.FindStringSubmatch(p.body)
	if token == nil || token[1] != u.Query().Get("token") {
		t.Fatalf("no hidden token:\n%s", p.body)
	}
	if a, _ := s.app.DB.AccountByEmail(context.Background(), "mario@acme.test"); a.ContactEmailVerified {
		t.Fatal("GET confirmed the address")
	}
	want(t, other.post("/contact-email/verify", url.Values{"token": {token[1]}}), 200, "mario@home.example")
	want(t, other.post("/contact-email/verify", url.Values{"token": {token[1]}}), 400, "non è valido")
	want(t, other.get("/contact-email/verify"), 400, "non è valido")
	want(t, b.get("/profile"), 200, "mario@home.example", "verificato")
	a, err := s.app.DB.AccountByEmail(context.Background(), "mario@acme.test")
	if err != nil || a.ContactEmail != "mario@home.example" || !a.ContactEmailVerified || a.NotifyAddress() != "mario@home.example" {
		t.Fatalf("account %+v, %v", a, err)
	}
}
