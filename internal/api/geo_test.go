package api_test

import (
	"net/http"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/geo/geotest"
	"varco.dev/varco/internal/testenv/fixture"
)

// TestRisk_5_3_Locations: SPEC §5.3 with a MaxMind database built by the
// test: Milan → Rome needs no step-up (same country, 477 km); Milan → Paris
// does (new country), and the history says so; Milan → New York ten
// minutes after Milan does (impossible travel). The first login sets the
// baseline.
func TestRisk_5_3_Locations(t *testing.T) {
	forEachEngineWith(t, func(t *testing.T, engine string) *harness {
		mmdb := geotest.Standard(t)
		return newHarness(t, engine, fixture.TrustLoopback, func(c *config.Config) { c.GeoIPDB = mmdb })
	}, func(t *testing.T, h *harness) {
		standard(h)
		login := func(ip string) reply {
			return h.loginFrom("mario@acme.test", marioPW, ip)
		}
		if r := login(geotest.MilanIP); r.str("state") != "authenticated" {
			t.Fatalf("first login from Milan: %s", r.raw)
		}
		h.clock.Advance(time.Hour)
		if r := login(geotest.RomeIP); r.str("state") != "authenticated" {
			t.Fatalf("Milan → Rome: %s", r.raw)
		}
		h.clock.Advance(24 * time.Hour)
		r := login(geotest.ParisIP)
		if r.str("state") != "step_up_required" {
			t.Fatalf("Milan → Paris: %s", r.raw)
		}
		ev := h.lastEvent("mario@acme.test", varco.EventStepUpRequired)
		if ev.Detail != "nuovo paese: Francia" || ev.Location != "Paris, Francia" || ev.IP != geotest.ParisIP {
			t.Fatalf("step_up_required recorded as %+v", ev)
		}
		// The user reads it in the history.
		tok := login(geotest.MilanIP).str("session_token")
		hist := h.do("GET", "/api/v1/me/activity?type=step_up_required", tok, nil)
		if hist.status != 200 || !bytesContain(hist.raw, "nuovo paese: Francia") {
			t.Fatalf("history: %d %s", hist.status, hist.raw)
		}
		// New York ten minutes after Milan: 6,400 km in 10 minutes.
		h.clock.Advance(10 * time.Minute)
		r = login(geotest.NewYorkIP)
		if r.str("state") != "step_up_required" {
			t.Fatalf("Milan → New York in 10 minutes: %s", r.raw)
		}
		if ev := h.lastEvent("mario@acme.test", varco.EventStepUpRequired); ev.Detail[:len("viaggio impossibile")] != "viaggio impossibile" {
			t.Fatalf("New York recorded as %q", ev.Detail)
		}
		// Passing the step-up from Paris makes Paris usual.
		flow := login(geotest.ParisIP).str("flow")
		if v := h.verify(flow, h.sendPIN(flow)); v.str("state") != "authenticated" {
			t.Fatalf("verify: %s", v.raw)
		}
		h.clock.Advance(24 * time.Hour)
		if r := login(geotest.ParisIP); r.str("state") != "authenticated" {
			t.Fatalf("Paris after a step-up there: %s", r.raw)
		}
	})
}

// TestRiskWithoutUsableDatabase: a corrupt database file does not stop
// varco; risk falls back to IP networks (SPEC §5.3, issue: bad input).
func TestRiskWithoutUsableDatabase(t *testing.T) {
	path := t.TempDir() + "/GeoLite2-City.mmdb"
	geotest.WriteCorrupt(t, path)
	h := newHarness(t, "sqlite", fixture.TrustLoopback, func(c *config.Config) { c.GeoIPDB = path })
	standard(h)
	if r := h.loginFrom("mario@acme.test", marioPW, geotest.MilanIP); r.str("state") != "authenticated" {
		t.Fatalf("first login: %s", r.raw)
	}
	if r := h.loginFrom("mario@acme.test", marioPW, geotest.MilanIP2); r.str("state") != "step_up_required" {
		t.Fatalf("another network without a usable database: %s", r.raw)
	}
	if ev := h.lastEvent("mario@acme.test", varco.EventStepUpRequired); ev.Detail != "nuova rete" {
		t.Fatalf("fallback recorded as %q", ev.Detail)
	}
}

// TestOrgRiskThresholds: the step-up thresholds are per organization
// (SPEC §5.3): support changes them, the org admin reads its own, and a
// shorter distance makes Milan → Rome need a step-up.
func TestOrgRiskThresholds(t *testing.T) {
	mmdb := geotest.Standard(t)
	h := newHarness(t, "sqlite", fixture.TrustLoopback, func(c *config.Config) { c.GeoIPDB = mmdb })
	standard(h)
	org, _ := h.app.DB.OrgByName(t.Context(), "acme")
	path := "/api/v1/admin/orgs/" + itoa(org.ID) + "/risk"
	support := h.loginFrom("help@provider.test", "Assist-Desk-2026", geotest.MilanIP).str("session_token")
	orgAdmin := h.loginFrom("anna@acme.test", "Admin-Acme-2026", geotest.MilanIP).str("session_token")
	if r := h.do("GET", path, orgAdmin, nil); r.status != 200 || r.body["distance_km"] != float64(500) ||
		r.body["window_days"] != float64(180) || r.body["speed_kmh"] != float64(1000) {
		t.Fatalf("defaults: %d %s", r.status, r.raw)
	}
	body := map[string]int{"window_days": 180, "distance_km": 300, "speed_kmh": 1000}
	wantError(t, h.do("PUT", path, orgAdmin, body), http.StatusForbidden, varco.EForbidden)
	wantError(t, h.do("PUT", path, support, map[string]int{"window_days": 0, "distance_km": 300, "speed_kmh": 1000}),
		http.StatusBadRequest, varco.EInvalid)
	wantError(t, h.do("PUT", path, support, map[string]int{"distance_km": 300}), http.StatusBadRequest, varco.EInvalid)
	if r := h.do("PUT", path, support, body); r.status != 200 || r.body["distance_km"] != float64(300) {
		t.Fatalf("support PUT: %d %s", r.status, r.raw)
	}
	if r := h.loginFrom("mario@acme.test", marioPW, geotest.MilanIP); r.str("state") != "authenticated" {
		t.Fatalf("first login: %s", r.raw)
	}
	h.clock.Advance(24 * time.Hour)
	if r := h.loginFrom("mario@acme.test", marioPW, geotest.RomeIP); r.str("state") != "step_up_required" {
		t.Fatalf("Milan → Rome with a 300 km threshold: %s", r.raw)
	}
	if ev := h.lastEvent("mario@acme.test", varco.EventStepUpRequired); ev.Detail[:len("lontano")] != "lontano" {
		t.Fatalf("recorded as %q", ev.Detail)
	}
}
