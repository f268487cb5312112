package api_test

import (
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
)

// TestSpec_3_DeviceField: SPEC §3 — events and sessions carry `device`, the
// recorded user agent as "browser on system" in the account's language,
// next to the unchanged `user_agent`; the exports keep the raw string.
func TestSpec_3_DeviceField(t *testing.T) {
	const chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/148.0.0.0 Safari/537.36"
	const outlook = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.18025; Pro)"
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		login := func(email, pw, ua string) string {
			t.Helper()
			r := h.do("POST", "/api/v1/login", "", map[string]string{"email": email, "password": pw}, "User-Agent", ua)
			if r.status != 200 || r.str("session_token") == "" {
				t.Fatalf("login %s: %d %s", email, r.status, r.raw)
			}
			return r.str("session_token")
		}
		devices := func(r reply, list string) map[string]string {
			t.Helper()
			out := map[string]string{}
			items, _ := r.body[list].([]any)
			for _, x := range items {
				m := x.(map[string]any)
				ua, ok1 := m["user_agent"].(string)
				dev, ok2 := m["device"].(string)
				if !ok1 || !ok2 {
					t.Fatalf("%s item without user_agent or device: %v", list, m)
				}
				out[ua] = dev
			}
			return out
		}

		// Mario reads Italian.
		mario := login("mario@acme.test", marioPW, chrome)
		login("mario@acme.test", marioPW, outlook)
		want := map[string]string{chrome: "Chrome 148 su Linux", outlook: "Outlook su Windows"}
		for _, list := range []struct{ path, key string }{{"/api/v1/me/sessions", "sessions"}, {"/api/v1/me/activity", "events"},
			{"/api/v1/me/activity?format=json", "events"}} {
			got := devices(h.do("GET", list.path, mario, nil), list.key)
			for ua, dev := range want {
				if got[ua] != dev {
					t.Errorf("%s: device of %q = %q, want %q", list.path, ua, got[ua], dev)
				}
			}
		}
		// Luigi reads English, and so does the support account for him.
		luigi := login("luigi@other.test", luigiPW, chrome)
		if got := devices(h.do("GET", "/api/v1/me/sessions", luigi, nil), "sessions"); got[chrome] != "Chrome 148 on Linux" {
			t.Errorf("luigi's session device = %q", got[chrome])
		}
		if got := devices(h.do("GET", "/api/v1/me/activity", luigi, nil), "events"); got[chrome] != "Chrome 148 on Linux" {
			t.Errorf("luigi's event device = %q", got[chrome])
		}

		// Anna, an English-speaking org admin, reads Mario's history in English.
		anna := h.login("anna@acme.test", "Admin-Acme-2026")
		id := h.lastEvent("mario@acme.test", "login_succeeded").AccountID
		if got := devices(h.do("GET", fmt.Sprintf("/api/v1/admin/users/%d/activity", id), anna, nil), "events"); got[outlook] != "Outlook on Windows" {
			t.Errorf("admin reads mario's device as %q", got[outlook])
		}

		// The CSV export keeps its columns and the raw string.
		r := h.do("GET", "/api/v1/me/activity?format=csv", mario, nil)
		rows, err := csv.NewReader(strings.NewReader(string(r.raw))).ReadAll()
		if err != nil || len(rows) < 2 {
			t.Fatalf("csv: %v %s", err, r.raw)
		}
		if got := strings.Join(rows[0], ","); got != "id,time,event,actor,ip,location,user_agent,application,outcome,detail,count" {
			t.Errorf("csv header %s", got)
		}
		if !strings.Contains(string(r.raw), chrome) || strings.Contains(string(r.raw), "Chrome 148 su Linux") {
			t.Errorf("csv export does not keep the raw user agent:\n%s", r.raw)
		}
	})
}
