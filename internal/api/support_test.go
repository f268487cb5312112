package api_test

import (
	"fmt"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/geo/geotest"
	"varco.dev/varco/internal/testenv/fixture"
	"varco.dev/varco/internal/testenv/smtpsink"
)

// geoHarness is newHarness trusting X-Forwarded-For from the loopback, with
// the Standard GeoIP database, so a test signs in from a known place.
func geoHarness(t *testing.T, engine string) *harness {
	t.Helper()
	return newHarness(t, engine, fixture.TrustLoopback, func(c *config.Config) { c.GeoIPDB = geotest.Standard(t) })
}

// TestSeed_2_8_AdminSendsResetLink: SPEC §2.8 — support (any account) and
// an org admin (its organization's) e-mail a user a reset link, recorded as
// that admin's password_reset_requested with the admin's IP, user agent and
// place; the link works. Another organization's admin gets 404, a user 403.
func TestSeed_2_8_AdminSendsResetLink(t *testing.T) {
	forEachEngineWith(t, geoHarness, func(t *testing.T, h *harness) {
		standard(h)
		mario, _ := h.app.DB.AccountByEmail(t.Context(), "mario@acme.test")
		luigi, _ := h.app.DB.AccountByEmail(t.Context(), "luigi@other.test")
		anna := h.loginFrom("anna@acme.test", "Admin-Acme-2026", geotest.MilanIP).str("session_token")
		support := h.loginFrom("help@provider.test", "Assist-Desk-2026", geotest.RomeIP).str("session_token")
		luigiTok := h.login("luigi@other.test", luigiPW)
		path := func(id int64) string { return fmt.Sprintf("/api/v1/admin/users/%d/reset-link", id) }

		wantError(t, h.do("POST", path(luigi.ID), anna, nil, "X-Forwarded-For", geotest.MilanIP), 404, varco.ENotFound)
		wantError(t, h.do("POST", path(mario.ID), luigiTok, nil), 403, varco.EForbidden)
		r := h.do("POST", path(mario.ID), anna, nil, "X-Forwarded-For", geotest.MilanIP, "User-Agent", "Firefox/140")
		if r.status != 202 {
			t.Fatalf("org admin sends a reset link: %d %s", r.status, r.raw)
		}
		mail := h.sink.Wait(t, func(m smtpsink.Mail) bool {
			return m.Header.Get("X-Varco-Event") == "password_reset_requested" && m.To[0] == "mario@acme.test"
		}, 10*time.Second)
		link, ok := smtpsink.FindLink(mail.Text, "/password-reset/complete")
		if !ok || link.Query().Get("token") == "" {
			t.Fatalf("no reset link in:\n%s", mail.Text)
		}
		ev := h.lastEvent("mario@acme.test", varco.EventPasswordResetRequested)
		annaAcct, _ := h.app.DB.AccountByEmail(t.Context(), "anna@acme.test")
		if ev.Actor != varco.ActorAdmin || ev.ActorID != annaAcct.ID || ev.IP != geotest.MilanIP ||
			ev.UserAgent != "Firefox/140" || ev.Location != "Milan, Italia" {
			t.Fatalf("reset link recorded as %+v", ev)
		}
		if r := h.complete(link.Query().Get("token"), "Nuova-Parola-2026"); r.status != 200 {
			t.Fatalf("complete with the admin's link: %d %s", r.status, r.raw)
		}
		// The completion from the user's own IP has its place too.
		if ev := h.lastEvent("mario@acme.test", varco.EventPasswordChanged); ev.IP == "" || ev.Actor != varco.ActorReset {
			t.Fatalf("password_changed by reset: %+v", ev)
		}

		// Support reaches every organization.
		if r := h.do("POST", path(luigi.ID), support, nil, "X-Forwarded-For", geotest.RomeIP); r.status != 202 {
			t.Fatalf("support sends a reset link: %d %s", r.status, r.raw)
		}
		if ev := h.lastEvent("luigi@other.test", varco.EventPasswordResetRequested); ev.Actor != varco.ActorSupport ||
			ev.IP != geotest.RomeIP || ev.Location != "Rome, Italy" {
			t.Fatalf("support's reset link recorded as %+v", ev)
		}
		// A suspended account gets no link: a reset never reactivates.
		if err := h.app.DB.SetAccountStatus(t.Context(), luigi.ID, varco.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		wantError(t, h.do("POST", path(luigi.ID), support, nil), 409, varco.EConflict)
	})
}

// TestSeed_2_8_AdminRequiresPasswordChange: SPEC §2.8 — support and an org
// admin make a user change the password at the next sign-in, which answers
// password_change_required; the user's sessions end; it is recorded as the
// admin's, with the admin's IP and place.
func TestSeed_2_8_AdminRequiresPasswordChange(t *testing.T) {
	forEachEngineWith(t, geoHarness, func(t *testing.T, h *harness) {
		standard(h)
		mario, _ := h.app.DB.AccountByEmail(t.Context(), "mario@acme.test")
		luigi, _ := h.app.DB.AccountByEmail(t.Context(), "luigi@other.test")
		path := func(id int64) string { return fmt.Sprintf("/api/v1/admin/users/%d/require-password-change", id) }
		anna := h.login("anna@acme.test", "Admin-Acme-2026")
		support := h.login("help@provider.test", "Assist-Desk-2026")
		marioTok := h.login("mario@acme.test", marioPW)

		wantError(t, h.do("POST", path(luigi.ID), anna, nil), 404, varco.ENotFound)
		wantError(t, h.do("POST", path(luigi.ID), marioTok, nil), 403, varco.EForbidden)
		if r := h.do("POST", path(mario.ID), anna, nil, "X-Forwarded-For", geotest.ParisIP); r.status != 204 {
			t.Fatalf("org admin requires a change: %d %s", r.status, r.raw)
		}
		wantError(t, h.do("GET", "/api/v1/me", marioTok, nil), 401, "unauthorized")
		ev := h.lastEvent("mario@acme.test", varco.EventPasswordChangeRequired)
		if ev.Actor != varco.ActorAdmin || ev.IP != geotest.ParisIP || ev.Location != "Paris, Francia" {
			t.Fatalf("recorded as %+v", ev)
		}
		res := h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": marioPW})
		if res.status != 200 || res.str("state") != "password_change_required" {
			t.Fatalf("next sign-in: %d %s", res.status, res.raw)
		}
		tok := res.str("session_token")
		if r := h.do("POST", "/api/v1/me/password", tok, map[string]string{"current_password": marioPW, "new_password": "Brand-new-2026"}); r.status != 200 {
			t.Fatalf("the change: %d %s", r.status, r.raw)
		}
		h.login("mario@acme.test", "Brand-new-2026")

		if r := h.do("POST", path(luigi.ID), support, nil); r.status != 204 {
			t.Fatalf("support requires a change: %d %s", r.status, r.raw)
		}
		if ev := h.lastEvent("luigi@other.test", varco.EventPasswordChangeRequired); ev.Actor != varco.ActorSupport || ev.IP != "127.0.0.1" {
			t.Fatalf("support's request recorded as %+v", ev)
		}
		if r := h.do("POST", "/api/v1/login", "", map[string]string{"email": "luigi@other.test", "password": luigiPW}); r.str("state") != "password_change_required" {
			t.Fatalf("luigi's next sign-in: %s", r.raw)
		}
	})
}

// TestSeed_2_8_EveryEventWithAnIPHasItsPlace: SPEC §2.8 and §3 — a password
// change, a reset request and an admin action each carry the place of
// their IP, from the lookup the sign-in uses.
func TestSeed_2_8_EveryEventWithAnIPHasItsPlace(t *testing.T) {
	forEachEngineWith(t, geoHarness, func(t *testing.T, h *harness) {
		standard(h)
		tok := h.loginFrom("mario@acme.test", marioPW, geotest.MilanIP).str("session_token")
		r := h.do("POST", "/api/v1/me/password", tok, map[string]string{"current_password": marioPW, "new_password": "Brand-new-2026"},
			"X-Forwarded-For", geotest.RomeIP)
		if r.status != 200 {
			t.Fatalf("change: %d %s", r.status, r.raw)
		}
		if ev := h.lastEvent("mario@acme.test", varco.EventPasswordChanged); ev.IP != geotest.RomeIP || ev.Location != "Rome, Italia" {
			t.Fatalf("password_changed: %+v", ev)
		}
		r = h.do("POST", "/api/v1/password-reset", "", map[string]string{"email": "luigi@other.test"}, "X-Forwarded-For", geotest.ParisIP)
		if r.status != 202 {
			t.Fatalf("reset request: %d %s", r.status, r.raw)
		}
		if ev := h.lastEvent("luigi@other.test", varco.EventPasswordResetRequested); ev.IP != geotest.ParisIP || ev.Location != "Paris, France" {
			t.Fatalf("password_reset_requested: %+v", ev)
		}
		support := h.loginFrom("help@provider.test", "Assist-Desk-2026", geotest.MilanIP).str("session_token")
		luigi, _ := h.app.DB.AccountByEmail(t.Context(), "luigi@other.test")
		r = h.do("POST", fmt.Sprintf("/api/v1/admin/users/%d/disable", luigi.ID), support, nil,
			"X-Forwarded-For", geotest.NewYorkIP, "User-Agent", "curl/8")
		if r.status != 200 {
			t.Fatalf("disable: %d %s", r.status, r.raw)
		}
		if ev := h.lastEvent("luigi@other.test", varco.EventAccountDisabled); ev.IP != geotest.NewYorkIP || ev.UserAgent != "curl/8" ||
			ev.Location == "" || ev.Actor != varco.ActorSupport {
			t.Fatalf("account_disabled: %+v", ev)
		}
	})
}
