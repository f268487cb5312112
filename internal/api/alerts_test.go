package api_test

import (
	"net/http"
	"strings"
	"testing"

	"varco.dev/varco"
	"varco.dev/varco/internal/testenv/smtpsink"
)

type alertView struct{ id, kind, message string }

// myAlerts lists the signed-in account's alerts by kind.
func (h *harness) myAlerts(tok string) map[string]alertView {
	h.t.Helper()
	r := h.do("GET", "/api/v1/me/alerts", tok, nil)
	if r.status != 200 {
		h.t.Fatalf("alerts: %d %s", r.status, r.raw)
	}
	out := map[string]alertView{}
	list, _ := r.body["alerts"].([]any)
	for _, x := range list {
		m := x.(map[string]any)
		id := itoa(int64(m["id"].(float64)))
		out[m["kind"].(string)] = alertView{id: id, kind: m["kind"].(string), message: m["message"].(string)}
	}
	return out
}

// TestAlertsComeWithSecurityEmails: SPEC §8 — every e-mail that asks the
// user to act has an in-app alert of its kind, written with it: a new
// sign-in (with "this wasn't me" from the alert), a lock and an unlock, a
// contact change. Texts are in the account's language, times in its zone
// with the zone named.
func TestAlertsComeWithSecurityEmails(t *testing.T) {
	forEachEngineWith(t, newStepUpHarness, func(t *testing.T, h *harness) {
		home := h.loginFrom("mario@acme.test", marioPW, homeIP).str("session_token")
		if got := h.myAlerts(home); len(got) != 0 {
			t.Fatalf("alerts before anything happened: %v", got)
		}

		// A new device: the e-mail and a new_login alert, in Italian,
		// at 10:00 in Rome (08:00 UTC in May), naming the device.
		r := h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": marioPW},
			"X-Forwarded-For", homeIP, "User-Agent", thunderbirdUA)
		victim := r.str("session_token")
		h.sink.Wait(t, smtpsink.EventIs(varco.EventLoginAlertSent), wait)
		al, ok := h.myAlerts(home)["new_login"]
		if !ok || !strings.Contains(al.message, "Nuovo accesso") || !strings.Contains(al.message, "ore 10:00 (CEST)") ||
			!strings.Contains(al.message, " con Thunderbird 128 su Windows") {
			t.Fatalf("new_login alert = %+v", al)
		}
		// "This wasn't me" from the alert: that session ends, a reset
		// link is sent, the alert goes. Only new_login alerts take it.
		before := len(h.sink.Messages())
		if r := h.do("POST", "/api/v1/me/alerts/"+al.id+"/not-me", home, nil); r.status != http.StatusAccepted {
			t.Fatalf("not-me: %d %s", r.status, r.raw)
		}
		wantError(t, h.do("GET", "/api/v1/me", victim, nil), http.StatusUnauthorized, varco.EUnauthorized)
		h.sink.Wait(t, func(m smtpsink.Mail) bool {
			return m.Header.Get("X-Varco-Event") == varco.EventPasswordResetRequested && len(h.sink.Messages()) > before
		}, wait)
		if _, ok := h.myAlerts(home)["new_login"]; ok {
			t.Fatal("new_login alert still shown after \"this wasn't me\"")
		}
		wantError(t, h.do("POST", "/api/v1/me/alerts/"+al.id+"/not-me", home, nil), http.StatusNotFound, varco.ENotFound)

		// A contact change.
		if r := h.do("PUT", "/api/v1/me/contact-email", home, map[string]string{"contact_email": "mario@home.example"}); r.status != 202 {
			t.Fatalf("PUT contact-email: %d %s", r.status, r.raw)
		}
		m := h.sink.Wait(t, smtpsink.EventIs(varco.EventContactEmailVerificationSent), wait)
		link, _ := smtpsink.FindLink(m.Text, "/contact-email/verify")
		if r := h.do("POST", "/api/v1/me/contact-email/verify", home, map[string]string{"token": link.Query().Get("token")}); r.status != 200 {
			t.Fatalf("verify contact e-mail: %d %s", r.status, r.raw)
		}
		if al := h.myAlerts(home)["contact_changed"]; !strings.Contains(al.message, "e-mail di contatto") {
			t.Fatalf("contact_changed alert = %+v", al)
		}
		wantError(t, h.do("POST", "/api/v1/me/alerts/"+h.myAlerts(home)["contact_changed"].id+"/not-me", home, nil),
			http.StatusNotFound, varco.ENotFound)

		// Locked by wrong PINs: the e-mail and an account_locked alert.
		flow := h.awayFlow()
		pin := h.sendPIN(flow)
		for range 5 {
			h.verify(flow, wrong(pin))
		}
		h.sink.Wait(t, smtpsink.EventIs(varco.EventAccountLocked), wait)
		a, _ := h.app.DB.AccountByEmail(t.Context(), "mario@acme.test")
		stored, err := h.app.DB.ListAlerts(t.Context(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(stored) == 0 || stored[0].Kind != "account_locked" {
			t.Fatalf("alerts after the lock: %+v", stored)
		}
		// Unlocked by support: account_unlocked replaces account_locked.
		support := h.loginFrom("help@provider.test", "Assist-Desk-2026", homeIP).str("session_token")
		if r := h.do("POST", "/api/v1/admin/users/"+itoa(a.ID)+"/unlock", support, nil); r.status != 200 {
			t.Fatalf("unlock: %d %s", r.status, r.raw)
		}
		h.sink.Wait(t, smtpsink.EventIs(varco.EventAccountUnlocked), wait)
		tok := h.loginFrom("mario@acme.test", marioPW, homeIP).str("session_token")
		got := h.myAlerts(tok)
		if _, ok := got["account_locked"]; ok {
			t.Fatalf("account_locked still shown after the unlock: %v", got)
		}
		if !strings.Contains(got["account_unlocked"].message, "sbloccato") {
			t.Fatalf("account_unlocked alert = %+v", got["account_unlocked"])
		}
	})
}

// TestLanguageAndTimeZoneSettings: SPEC §1, §3, §8 — the language and
// the time zone are settings of the account: API error messages follow
// the language (Accept-Language without an account), codes never change;
// e-mails and alerts show times in the zone, with the zone.
func TestLanguageAndTimeZoneSettings(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		// No account: Accept-Language decides, English by default.
		bad := map[string]string{"email": "mario@acme.test", "password": "Wrong-Pass-2026"}
		r := h.do("POST", "/api/v1/login", "", bad, "Accept-Language", "it-IT,it;q=0.9,en;q=0.5")
		wantError(t, r, http.StatusUnauthorized, varco.EInvalidCredentials)
		if r.str("message") != "E-mail o password errati." {
			t.Fatalf("Italian Accept-Language: %q", r.str("message"))
		}
		if r := h.do("POST", "/api/v1/login", "", bad); r.str("message") != "Wrong e-mail or password." {
			t.Fatalf("no Accept-Language: %q", r.str("message"))
		}

		tok := h.login("mario@acme.test", marioPW) // mario reads Italian
		me := h.do("GET", "/api/v1/me", tok, nil)
		if me.str("language") != "it" || me.str("time_zone") != "Europe/Rome" {
			t.Fatalf("me: %s", me.raw)
		}
		r = h.do("PUT", "/api/v1/me/time-zone", tok, map[string]string{"time_zone": "Mars/Olympus"}, "Accept-Language", "en")
		wantError(t, r, http.StatusBadRequest, varco.EInvalid)
		if !strings.Contains(r.str("message"), "fuso orario") {
			t.Fatalf("the account's language wins over Accept-Language: %q", r.str("message"))
		}
		for _, zone := range []string{"Local", "../../etc/passwd", "/etc/localtime", strings.Repeat("A", 100)} {
			wantError(t, h.do("PUT", "/api/v1/me/time-zone", tok, map[string]string{"time_zone": zone}), http.StatusBadRequest, varco.EInvalid)
		}
		wantError(t, h.do("PUT", "/api/v1/me/language", tok, map[string]string{"language": "fr"}), http.StatusBadRequest, varco.EInvalid)

		// English and New York: the API speaks English to mario, and
		// his e-mails show New York time (04:00 EDT = 08:00 UTC).
		if r := h.do("PUT", "/api/v1/me/language", tok, map[string]string{"language": "en"}); r.status != 200 || r.str("language") != "en" {
			t.Fatalf("PUT language: %d %s", r.status, r.raw)
		}
		if r := h.do("PUT", "/api/v1/me/time-zone", tok, map[string]string{"time_zone": "America/New_York"}); r.status != 200 ||
			r.str("time_zone") != "America/New_York" {
			t.Fatalf("PUT time-zone: %d %s", r.status, r.raw)
		}
		r = h.do("PUT", "/api/v1/me/time-zone", tok, map[string]string{"time_zone": "Nowhere/Else"}, "Accept-Language", "it")
		if r.str("error") != varco.EInvalid || !strings.Contains(r.str("message"), "time zone") {
			t.Fatalf("after switching to English: %s", r.raw)
		}
		if r := h.do("POST", "/api/v1/me/password", tok, map[string]string{"current_password": marioPW,
			"new_password": "Second-Pass-2026"}); r.status != 200 {
			t.Fatalf("password change: %d %s", r.status, r.raw)
		}
		m := h.sink.Wait(t, smtpsink.EventIs(varco.EventPasswordChanged), wait)
		if !strings.Contains(m.Text, "at 04:00 EDT") || m.Header.Get("Content-Language") == "it" {
			t.Fatalf("password_changed e-mail not in English and New York time:\n%s", m.Text)
		}
		// Back to the organization's zone.
		if r := h.do("PUT", "/api/v1/me/time-zone", h.login("mario@acme.test", "Second-Pass-2026"),
			map[string]string{"time_zone": ""}); r.str("time_zone") != "Europe/Rome" {
			t.Fatalf("reset time zone: %s", r.raw)
		}
	})
}
