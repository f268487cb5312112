package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
)

// lock locks an account the way the step-up does (status, reason, the
// account_locked event by the system), without the PINs.
func (s *site) lock(email, reason string) *varco.Account {
	s.t.Helper()
	a := s.Account(email)
	err := s.app.DB.InTx(context.Background(), func(q *store.Q) error {
		if _, err := q.LockAccount(context.Background(), a.ID, reason); err != nil {
			return err
		}
		return q.AppendEvent(context.Background(), &varco.Event{Time: time.Now(), AccountID: a.ID, OrgID: a.OrgID,
			Event: varco.EventAccountLocked, Actor: varco.ActorSystem, Outcome: varco.OutcomeSuccess, Detail: reason,
			IP: "203.0.113.9", Application: "webmail"})
	})
	if err != nil {
		s.t.Fatalf("lock %s: %v", email, err)
	}
	return a
}

// TestLockedUserPageOrdersActionsAndBadges: on a locked account the
// recovering action (unlock) comes before the destructive one (disable),
// and the history shows the lock as "access blocked", not "succeeded".
func TestLockedUserPageOrdersActionsAndBadges(t *testing.T) {
	s := newSite(t)
	s.standard()
	mario := s.lock("mario@acme.test", "5 wrong PINs in a row")
	support := s.browser()
	support.login("help@provider.test", helpPW)
	path := fmt.Sprintf("/admin/users/%d", mario.ID)
	p := support.get(path + "?lang=en")
	want(t, p, 200, `action="`+path+`/unlock"`, `action="`+path+`/disable"`)
	unlock, disable := strings.Index(p.body, `action="`+path+`/unlock"`), strings.Index(p.body, `action="`+path+`/disable"`)
	if disable < unlock {
		t.Fatal("the disable form comes before the unlock form")
	}
	for _, recovering := range []string{"/reset-link", "/require-password-change"} {
		if i := strings.Index(p.body, `action="`+path+recovering+`"`); i < 0 || i > disable {
			t.Errorf("%s is not above the disable form", recovering)
		}
	}
	row := p.body[strings.Index(p.body, `data-event="account_locked"`):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, `<span class="badge danger">Access blocked</span>`) || strings.Contains(row, "Succeeded") {
		t.Fatalf("the lock's badge:\n%s", row)
	}
	// A sign-in that worked still reads "succeeded".
	s.browser().login("anna@acme.test", annaPW)
	anna := s.Account("anna@acme.test")
	p = support.get(fmt.Sprintf("/admin/users/%d?lang=en", anna.ID))
	row = p.body[strings.Index(p.body, `data-event="login_succeeded"`):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, `<span class="badge success">Succeeded</span>`) {
		t.Fatalf("the sign-in's badge:\n%s", row)
	}
}

// TestDevMailboxKeepsNavigation: the dev mailbox shows the signed-in
// user's navigation, and still opens without a session or with a stale
// cookie.
func TestDevMailboxKeepsNavigation(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser()
	b.login("mario@acme.test", marioPW)
	want(t, b.get("/dev/mailbox"), 200, `<nav class="main"`, `href="/profile/activity"`, `href="/dev/mailbox" aria-current="page"`)
	p := s.browser().get("/dev/mailbox")
	want(t, p, 200, "Posta di sviluppo")
	if strings.Contains(p.body, `<nav class="main"`) {
		t.Fatal("navigation shown without a session")
	}
	want(t, s.browser("Cookie", "varco_session=stale").get("/dev/mailbox"), 200)
}

// TestContactCardParts: the contact card has one part per channel, each
// with its own form, and the phone field is a styled tel input that takes
// a number with spaces.
func TestContactCardParts(t *testing.T) {
	s := newSite(t)
	s.standard()
	b := s.browser()
	b.login("mario@acme.test", marioPW)
	p := b.get("/profile")
	want(t, p, 200, `aria-labelledby="contact-email-title"`, `aria-labelledby="contact-phone-title"`, `type="tel"`, `maxlength="40"`)
	email, phone := strings.Index(p.body, `id="contact-email-title"`), strings.Index(p.body, `id="contact-phone-title"`)
	if ef := strings.Index(p.body, `action="/profile/contact-email"`); ef < email || ef > phone {
		t.Fatal("the e-mail form is not in the e-mail part")
	}
	if pf := strings.Index(p.body, `action="/profile/phone"`); pf < phone {
		t.Fatal("the phone form is not in the phone part")
	}
	css := b.get("/static/varco.css")
	if !strings.Contains(css.body, "input[type=tel]") {
		t.Fatal("the stylesheet does not style tel inputs")
	}
}
