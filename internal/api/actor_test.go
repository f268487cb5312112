package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/api"
	"varco.dev/varco/internal/testenv/audittest"
)

// TestStaffRouteWithoutAccountIsRefused registers every admin route with no
// access check, so its handler runs with no account in the request, and
// expects every admin action to refuse (403 forbidden) and change nothing:
// a route registered with the wrong access level fails closed.
func TestStaffRouteWithoutAccountIsRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		u := h.Mario(varco.PlanPro, admin.NewUser{})
		ctx := context.Background()
		o, err := h.app.DB.OrgByName(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		before := audittest.Verify(t, h.app.DB)

		srv := &api.Server{Auth: h.app.Auth, Recovery: h.app.Recovery, Admin: h.app.Admin}
		mux := http.NewServeMux()
		patterns := srv.RegisterStaffUnguarded(mux)
		ts := httptest.NewServer(mux)
		defer ts.Close()

		seven := 7
		bodies := map[string]any{
			"POST /api/v1/admin/orgs":  map[string]string{"name": "evil", "plan": "premium"},
			"POST /api/v1/admin/users": map[string]string{"email": "evil@acme.test", "password": "Evil-Person-2026", "org": "acme", "role": "support"},
			"PUT /api/v1/admin/orgs/{id}/policy": map[string]any{"max_age_days": 90, "warning_days": []int{7}, "inactivity_days": 30,
				"suspension_grace_days": seven, "history_depth": 5},
			"PUT /api/v1/admin/orgs/{id}/risk": map[string]int{"window_days": 30, "distance_km": 500, "speed_kmh": 900},
		}
		if len(patterns) < 15 {
			t.Fatalf("only %d staff routes: %v", len(patterns), patterns)
		}
		for _, p := range patterns {
			method, path, _ := strings.Cut(p, " ")
			id := u.ID
			if strings.Contains(path, "/orgs/") {
				id = o.ID
			}
			path = strings.ReplaceAll(path, "{id}", strconv.FormatInt(id, 10))
			var body io.Reader
			if b, ok := bodies[p]; ok {
				buf, _ := json.Marshal(b)
				body = bytes.NewReader(buf)
			}
			req, _ := http.NewRequest(method, ts.URL+path, body)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var e struct{ Error string }
			_ = json.Unmarshal(raw, &e)
			if resp.StatusCode != http.StatusForbidden || e.Error != varco.EForbidden {
				t.Errorf("%s without an account: %d %s, want 403 forbidden", p, resp.StatusCode, raw)
			}
		}

		if _, err := h.app.DB.OrgByName(ctx, "evil"); !varco.IsCode(err, varco.ENotFound) {
			t.Errorf("an organization was created: %v", err)
		}
		if _, err := h.app.DB.AccountByEmail(ctx, "evil@acme.test"); !varco.IsCode(err, varco.ENotFound) {
			t.Errorf("an account was created: %v", err)
		}
		if a, err := h.app.DB.AccountByID(ctx, u.ID); err != nil || a.Status != varco.StatusActive {
			t.Errorf("account after the refused actions: %+v %v", a, err)
		}
		if after := audittest.Verify(t, h.app.DB); after != before {
			t.Errorf("history changed: %d entries before, %d after", before, after)
		}
	})
}
