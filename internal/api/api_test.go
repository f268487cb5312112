package api_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/config"
	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/password"
	"varco.dev/varco/internal/testenv/audittest"
	"varco.dev/varco/internal/testenv/fixture"
	"varco.dev/varco/internal/testenv/smtpsink"
)

const (
	marioPW = fixture.Password
	luigiPW = "Verdi-Blu-2026"
)

// standard sets up org "acme" with mario (user) and anna (org_admin), org
// "other" with luigi, and a support account.
func standard(h *harness) {
	h.Org("acme", varco.PlanPro)
	h.Org("other", varco.PlanBasic)
	h.User(admin.NewUser{Email: "mario@acme.test", Password: marioPW, Org: "acme", DisplayName: "Mario Rossi", Language: "it"})
	h.User(admin.NewUser{Email: "anna@acme.test", Password: "Admin-Acme-2026", Org: "acme", Role: varco.RoleOrgAdmin, Language: "en"})
	h.User(admin.NewUser{Email: "luigi@other.test", Password: luigiPW, Org: "other", Language: "en"})
	h.User(admin.NewUser{Email: "help@provider.test", Password: "Assist-Desk-2026", Role: varco.RoleSupport})
}

func TestLoginMeLogout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		r := h.do("POST", "/api/v1/login", "", map[string]string{"email": " Mario@ACME.test ", "password": marioPW, "app": "webmail"})
		if r.status != 200 || r.str("state") != "authenticated" {
			t.Fatalf("login: %d %s", r.status, r.raw)
		}
		tok := r.str("session_token")
		cookie := r.header.Get("Set-Cookie")
		for _, attr := range []string{"varco_session=" + tok, "HttpOnly", "Secure", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(cookie, attr) {
				t.Errorf("session cookie %q lacks %q", cookie, attr)
			}
		}
		me := h.do("GET", "/api/v1/me", tok, nil)
		if me.status != 200 || me.str("email") != "mario@acme.test" || me.str("org") != "acme" || me.str("status") != "active" {
			t.Fatalf("me: %d %s", me.status, me.raw)
		}
		// The cookie works as well as the Bearer token.
		byCookie := h.do("GET", "/api/v1/me", "", nil, "Cookie", "varco_session="+tok)
		if byCookie.status != 200 {
			t.Fatalf("me by cookie: %d", byCookie.status)
		}
		if r := h.do("POST", "/api/v1/logout", tok, nil); r.status != 204 {
			t.Fatalf("logout: %d %s", r.status, r.raw)
		}
		wantError(t, h.do("GET", "/api/v1/me", tok, nil), 401, "unauthorized")
		wantError(t, h.do("GET", "/api/v1/me", "", nil), 401, "unauthorized")
		wantError(t, h.do("GET", "/api/v1/me", "forged-token", nil), 401, "unauthorized")

		evs := h.do("GET", "/api/v1/me/activity", h.login("mario@acme.test", marioPW), nil)
		list, _ := evs.body["events"].([]any)
		var names []string
		for _, e := range list {
			names = append(names, e.(map[string]any)["event"].(string))
		}
		if got := strings.Join(names, ","); got != "login_succeeded,logout,login_succeeded,account_created" {
			t.Fatalf("activity = %s", got)
		}
		first := list[2].(map[string]any)
		if first["application"] != "webmail" || first["ip"] != "127.0.0.1" || first["actor"] != "self" || first["outcome"] != "success" {
			t.Fatalf("login event fields: %v", first)
		}
	})
}

func TestInvalidCredentialsLookTheSame(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	unknown := h.do("POST", "/api/v1/login", "", map[string]string{"email": "nobody@acme.test", "password": marioPW})
	wrong := h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": "Wrong-password-1"})
	wantError(t, unknown, 401, varco.EInvalidCredentials)
	wantError(t, wrong, 401, varco.EInvalidCredentials)
	if string(unknown.raw) != string(wrong.raw) {
		t.Fatalf("answers differ:\n%s\n%s", unknown.raw, wrong.raw)
	}
}

func TestStatusRevealedOnlyAfterRightPassword(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	for _, tt := range []struct{ status, code string }{
		{varco.StatusDisabled, varco.EAccountDisabled},
		{varco.StatusLocked, varco.EAccountLocked},
		{varco.StatusSuspended, varco.EAccountSuspended},
	} {
		t.Run(tt.status, func(t *testing.T) {
			a, _ := h.app.DB.AccountByEmail(t.Context(), "mario@acme.test")
			if err := h.app.DB.SetAccountStatus(t.Context(), a.ID, tt.status); err != nil {
				t.Fatal(err)
			}
			wantError(t, h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": "Wrong-password-1"}), 401, varco.EInvalidCredentials)
			wantError(t, h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": marioPW}), 403, tt.code)
		})
	}
}

// TestThrottling proves SPEC §9a: from the 5th consecutive failure of an
// account logins wait 1 s, doubling, answering 429 too_many_attempts with
// retry_after, and the account is never locked out.
func TestThrottling(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		bad := map[string]string{"email": "mario@acme.test", "password": "Wrong-password-1"}
		for i := 1; i <= 5; i++ {
			wantError(t, h.do("POST", "/api/v1/login", "", bad), 401, varco.EInvalidCredentials)
		}
		r := h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": marioPW})
		wantError(t, r, 429, varco.ETooManyAttempts)
		if r.body["retry_after"] != float64(1) || r.header.Get("Retry-After") != "1" {
			t.Fatalf("retry_after = %v / %q, want 1", r.body["retry_after"], r.header.Get("Retry-After"))
		}
		h.clock.Advance(time.Second)
		wantError(t, h.do("POST", "/api/v1/login", "", bad), 401, varco.EInvalidCredentials) // 6th failure: wait 2 s
		r = h.do("POST", "/api/v1/login", "", bad)
		wantError(t, r, 429, varco.ETooManyAttempts)
		if r.body["retry_after"] != float64(2) {
			t.Fatalf("after the 6th failure retry_after = %v, want 2", r.body["retry_after"])
		}
		// Other accounts from another IP are not affected; the account is not locked.
		h.clock.Advance(2 * time.Second)
		h.login("mario@acme.test", marioPW)
		wantError(t, h.do("POST", "/api/v1/login", "", bad), 401, varco.EInvalidCredentials) // counter was reset by the success
	})
}

func TestThrottleCapsAtFifteenMinutes(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	bad := map[string]string{"email": "mario@acme.test", "password": "Wrong-password-1"}
	var last reply
	for i := 0; i < 20; i++ {
		last = h.do("POST", "/api/v1/login", "", bad)
		if last.status == 429 {
			h.clock.Advance(time.Duration(last.body["retry_after"].(float64)) * time.Second)
			last = h.do("POST", "/api/v1/login", "", bad)
		}
	}
	r := h.do("POST", "/api/v1/login", "", bad)
	if r.status != 429 || r.body["retry_after"] != float64(900) {
		t.Fatalf("after many failures: %d retry_after=%v, want 429 and 900", r.status, r.body["retry_after"])
	}
}

func TestThrottlePerIP(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	// 20 failures from one IP within a minute, each on a different (unknown) account.
	for i := 0; i < 20; i++ {
		wantError(t, h.do("POST", "/api/v1/login", "", map[string]string{"email": fmt.Sprintf("u%d@acme.test", i), "password": "Wrong-password-1"}), 401, varco.EInvalidCredentials)
	}
	wantError(t, h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": marioPW}), 429, varco.ETooManyAttempts)
}

func TestSessionTimeouts(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	idle := h.login("mario@acme.test", marioPW)
	h.clock.Advance(29 * time.Minute)
	if r := h.do("GET", "/api/v1/me", idle, nil); r.status != 200 {
		t.Fatalf("after 29 idle minutes: %d", r.status)
	}
	h.clock.Advance(31 * time.Minute)
	wantError(t, h.do("GET", "/api/v1/me", idle, nil), 401, "unauthorized")

	busy := h.login("mario@acme.test", marioPW)
	for elapsed := time.Duration(0); elapsed < 12*time.Hour-20*time.Minute; elapsed += 20 * time.Minute {
		h.clock.Advance(20 * time.Minute)
		if r := h.do("GET", "/api/v1/me", busy, nil); r.status != 200 {
			t.Fatalf("active session refused after %v: %d", elapsed, r.status)
		}
	}
	h.clock.Advance(20 * time.Minute) // past 12 h since sign-in
	wantError(t, h.do("GET", "/api/v1/me", busy, nil), 401, "unauthorized")
}

func TestSessionsListAndRevoke(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		a := h.login("mario@acme.test", marioPW)
		b := h.login("mario@acme.test", marioPW)
		c := h.login("mario@acme.test", marioPW)
		luigi := h.login("luigi@other.test", luigiPW)
		r := h.do("GET", "/api/v1/me/sessions", a, nil)
		list, _ := r.body["sessions"].([]any)
		if r.status != 200 || len(list) != 3 {
			t.Fatalf("sessions: %d %s", r.status, r.raw)
		}
		var current, other float64
		for _, x := range list {
			s := x.(map[string]any)
			for _, k := range []string{"id", "created_at", "last_seen_at", "ip", "user_agent", "current"} {
				if _, ok := s[k]; !ok {
					t.Fatalf("session lacks %q: %v", k, s)
				}
			}
			if s["current"] == true {
				current = s["id"].(float64)
			} else {
				other = s["id"].(float64)
			}
		}
		if current == 0 || other == 0 {
			t.Fatalf("current session not marked: %s", r.raw)
		}
		// Luigi cannot revoke Mario's session: it does not exist for him.
		wantError(t, h.do("DELETE", fmt.Sprintf("/api/v1/me/sessions/%d", int64(other)), luigi, nil), 404, varco.ENotFound)
		wantError(t, h.do("DELETE", "/api/v1/me/sessions/abc", a, nil), 404, varco.ENotFound)
		if r := h.do("DELETE", fmt.Sprintf("/api/v1/me/sessions/%d", int64(other)), a, nil); r.status != 204 {
			t.Fatalf("revoke: %d %s", r.status, r.raw)
		}
		alive := 0
		for _, tok := range []string{b, c} {
			if h.do("GET", "/api/v1/me", tok, nil).status == 200 {
				alive++
			}
		}
		if alive != 1 {
			t.Fatalf("%d of the other two sessions alive after revoking one, want 1", alive)
		}
		r = h.do("DELETE", "/api/v1/me/sessions", a, nil)
		if r.status != 200 || r.body["revoked"] != float64(1) {
			t.Fatalf("revoke others: %d %s", r.status, r.raw)
		}
		for _, tok := range []string{b, c} {
			wantError(t, h.do("GET", "/api/v1/me", tok, nil), 401, "unauthorized")
		}
		if h.do("GET", "/api/v1/me", a, nil).status != 200 {
			t.Fatal("current session was revoked")
		}
	})
}

func TestPasswordChange(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		tok := h.login("mario@acme.test", marioPW)
		other := h.login("mario@acme.test", marioPW)
		change := func(cur, next string) reply {
			return h.do("POST", "/api/v1/me/password", tok, map[string]string{"current_password": cur, "new_password": next})
		}
		wantError(t, change("Wrong-password-1", "Brand-new-2026"), 401, varco.EInvalidCredentials)
		for _, tt := range []struct{ pw, code string }{
			{"short1", varco.EPasswordTooShort},
			{strings.Repeat("a1", 129), varco.EPasswordTooLong},
			{"onlyletters", varco.EPasswordNeedsLetterDigit},
			{"1234567890", varco.EPasswordNeedsLetterDigit},
			{"password1", varco.EPasswordTooCommon},
			{"xx-mario-2026", varco.EPasswordContainsEmail},
			{marioPW, varco.EPasswordReused},
		} {
			wantError(t, change(marioPW, tt.pw), 400, tt.code)
		}
		if r := change(marioPW, "Brand-new-2026"); r.status != 200 {
			t.Fatalf("change: %d %s", r.status, r.raw)
		}
		msg := h.sink.Wait(t, func(m smtpsink.Mail) bool { return m.Header.Get("X-Varco-Event") == "password_changed" }, 10*time.Second)
		if len(msg.To) != 1 || msg.To[0] != "mario@acme.test" || msg.Header.Get("Message-Id") == "" {
			t.Fatalf("e-mail to %v, Message-ID %q", msg.To, msg.Header.Get("Message-Id"))
		}
		if !strings.Contains(msg.Text, "127.0.0.1") || msg.HTML == "" {
			t.Fatalf("e-mail lacks the IP or an HTML part:\n%s", msg.Text)
		}
		if h.do("GET", "/api/v1/me", tok, nil).status != 200 {
			t.Fatal("the session that changed the password was revoked")
		}
		wantError(t, h.do("GET", "/api/v1/me", other, nil), 401, "unauthorized")
		wantError(t, h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": marioPW}), 401, varco.EInvalidCredentials)
		h.login("mario@acme.test", "Brand-new-2026")
		wantError(t, change("Brand-new-2026", marioPW), 400, varco.EPasswordReused)

		evs := h.do("GET", "/api/v1/me/activity?type=password_changed", tok, nil)
		list, _ := evs.body["events"].([]any)
		if len(list) != 1 {
			t.Fatalf("password_changed events: %s", evs.raw)
		}
		for _, secret := range []string{"Brand-new-2026", marioPW, "argon2id"} {
			if strings.Contains(string(evs.raw), secret) {
				t.Fatalf("activity leaks %q", secret)
			}
		}
	})
}

func TestBadInputAnswers4xx(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	tok := h.login("mario@acme.test", marioPW)
	long := strings.Repeat("a", 300) + "@acme.test"
	tests := []struct {
		name, method, path, ctype string
		body                      string
		status                    int
		code                      string
	}{
		{"malformed json", "POST", "/api/v1/login", "application/json", `{"email":`, 400, "invalid_request"},
		{"not an object", "POST", "/api/v1/login", "application/json", `[1,2]`, 400, "invalid_request"},
		{"wrong type", "POST", "/api/v1/login", "application/json", `{"email":1,"password":"x"}`, 400, "invalid_request"},
		{"unknown field", "POST", "/api/v1/login", "application/json", `{"email":"a@b.c","password":"x","admin":true}`, 400, "invalid_request"},
		{"trailing data", "POST", "/api/v1/login", "application/json", `{"email":"a@b.c","password":"x"} {}`, 400, "invalid_request"},
		{"empty body", "POST", "/api/v1/login", "application/json", ``, 400, "invalid_request"},
		{"wrong content type", "POST", "/api/v1/login", "text/plain", `{"email":"a@b.c","password":"x"}`, 400, "invalid_request"},
		{"huge body", "POST", "/api/v1/login", "application/json", `{"email":"` + strings.Repeat("a", 2<<20) + `"}`, 400, "invalid_request"},
		{"over-long email", "POST", "/api/v1/login", "application/json", `{"email":"` + long + `","password":"x"}`, 400, "invalid_request"},
		{"over-long password", "POST", "/api/v1/login", "application/json", `{"email":"a@b.co","password":"` + strings.Repeat("p", 5000) + `"}`, 400, "invalid_request"},
		{"missing fields", "POST", "/api/v1/login", "application/json", `{}`, 400, "invalid_request"},
		{"bad app", "POST", "/api/v1/login", "application/json", `{"email":"a@b.co","password":"x","app":"<x>"}`, 400, "invalid_request"},
		{"unknown app", "POST", "/api/v1/login", "application/json", `{"email":"a@b.co","password":"x","app":"nosuch"}`, 400, "unknown_application"},
		{"no app", "POST", "/api/v1/login", "application/json", `{"email":"nobody@b.co","password":"x"}`, 401, "invalid_credentials"},
		{"invalid utf-8", "POST", "/api/v1/login", "application/json", "{\"email\":\"\xff@b.co\",\"password\":\"x\"}", 401, "invalid_credentials"},
		{"password wrong type", "POST", "/api/v1/me/password", "application/json", `{"current_password":1}`, 400, "invalid_request"},
		{"bad cursor", "GET", "/api/v1/me/activity?cursor=-1", "", ``, 400, "invalid_request"},
		{"bad limit", "GET", "/api/v1/me/activity?limit=100000", "", ``, 400, "invalid_request"},
		{"bad time", "GET", "/api/v1/me/activity?since=yesterday", "", ``, 400, "invalid_request"},
		{"bad format", "GET", "/api/v1/me/activity?format=xml", "", ``, 400, "invalid_request"},
		{"unknown route", "GET", "/api/v1/nothing", "", ``, 404, "not_found"},
		{"wrong method", "PUT", "/api/v1/login", "", ``, 405, "method_not_allowed"},
		{"wrong method on a pattern path", "PATCH", "/api/v1/me/sessions/7", "", ``, 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := []string{}
			if tt.ctype != "" {
				hdr = append(hdr, "Content-Type", tt.ctype)
			}
			var body any
			if tt.body != "" || tt.method == "POST" {
				body = tt.body
			}
			r := h.do(tt.method, tt.path, tok, body, hdr...)
			wantError(t, r, tt.status, tt.code)
		})
	}
	if n, _ := h.app.DB.CountAccounts(t.Context()); n != 4 {
		t.Fatalf("bad input changed the accounts: %d", n)
	}
}

func TestActivityPagesAndExports(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	var tok string
	for i := 0; i < 7; i++ {
		tok = h.login("mario@acme.test", marioPW)
	}
	h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": "=HYPERLINK(1)x"}, "User-Agent", "=cmd|' /C calc'!A0")
	// 1 account_created + 7 logins + 1 failure = 9 events.
	seen := map[float64]bool{}
	cursor := ""
	pages := 0
	for {
		r := h.do("GET", "/api/v1/me/activity?limit=4"+cursor, tok, nil)
		pages++
		for _, e := range r.body["events"].([]any) {
			seen[e.(map[string]any)["id"].(float64)] = true
		}
		next, ok := r.body["next_cursor"].(string)
		if !ok {
			break
		}
		cursor = "&cursor=" + next
	}
	if len(seen) != 9 || pages != 3 {
		t.Fatalf("paged through %d events in %d pages, want 9 in 3", len(seen), pages)
	}
	r := h.do("GET", "/api/v1/me/activity?type=login_failed", tok, nil)
	if n := len(r.body["events"].([]any)); n != 1 {
		t.Fatalf("type filter: %d events", n)
	}
	csvR := h.do("GET", "/api/v1/me/activity?format=csv", tok, nil)
	if !strings.HasPrefix(csvR.header.Get("Content-Type"), "text/csv") || !strings.Contains(csvR.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv headers: %v", csvR.header)
	}
	rows, err := csv.NewReader(strings.NewReader(string(csvR.raw))).ReadAll()
	if err != nil || len(rows) != 10 || rows[0][2] != "event" {
		t.Fatalf("csv: %d rows, %v", len(rows), err)
	}
	for _, row := range rows[1:] {
		if strings.HasPrefix(row[6], "=") {
			t.Fatalf("formula not defused in CSV: %q", row[6])
		}
	}
	jsonR := h.do("GET", "/api/v1/me/activity?format=json", tok, nil)
	if n := len(jsonR.body["events"].([]any)); n != 9 {
		t.Fatalf("json export has %d events", n)
	}
}

func TestAdminScoping(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		support := h.login("help@provider.test", "Assist-Desk-2026")
		anna := h.login("anna@acme.test", "Admin-Acme-2026")
		mario := h.login("mario@acme.test", marioPW)

		r := h.do("POST", "/api/v1/admin/orgs", support, map[string]string{"name": "newco", "plan": "premium"})
		if r.status != 201 || r.body["id"] == nil {
			t.Fatalf("create org: %d %s", r.status, r.raw)
		}
		wantError(t, h.do("POST", "/api/v1/admin/orgs", support, map[string]string{"name": "newco", "plan": "basic"}), 409, varco.EConflict)
		wantError(t, h.do("POST", "/api/v1/admin/orgs", support, map[string]string{"name": "x", "plan": "gold"}), 400, varco.EInvalid)
		wantError(t, h.do("POST", "/api/v1/admin/orgs", anna, map[string]string{"name": "annaco", "plan": "basic"}), 403, varco.EForbidden)

		r = h.do("POST", "/api/v1/admin/users", support, map[string]any{"email": "neo@newco.test", "password": "Trinity-Zion-2026",
			"org": "newco", "role": "org_admin", "phone": "+393471234567", "contact_email": "neo@home.test", "language": "en"})
		if r.status != 201 || r.body["id"] == nil || r.body["phone_verified"] != true || r.body["contact_email_verified"] != true {
			t.Fatalf("create user: %d %s", r.status, r.raw)
		}
		if strings.Contains(string(r.raw), "+393471234567") {
			t.Fatalf("full phone number in the answer: %s", r.raw)
		}
		wantError(t, h.do("POST", "/api/v1/admin/users", support, map[string]any{"email": "x@newco.test", "password": "Trinity-Zion-2026", "org": "newco", "phone": "347"}), 400, varco.EInvalid)
		wantError(t, h.do("POST", "/api/v1/admin/users", support, map[string]any{"email": "x@newco.test", "password": "password1", "org": "newco"}), 400, varco.EPasswordTooCommon)
		wantError(t, h.do("POST", "/api/v1/admin/users", support, map[string]any{"email": "x@newco.test", "password": "Trinity-Zion-2026"}), 400, varco.EInvalid)
		// An org admin creates users only in its own organization.
		wantError(t, h.do("POST", "/api/v1/admin/users", anna, map[string]any{"email": "x@other.test", "password": "Trinity-Zion-2026", "org": "other"}), 404, varco.ENotFound)
		wantError(t, h.do("POST", "/api/v1/admin/users", anna, map[string]any{"email": "x@acme.test", "password": "Trinity-Zion-2026", "role": "support"}), 403, varco.EForbidden)
		if r := h.do("POST", "/api/v1/admin/users", anna, map[string]any{"email": "new@acme.test", "password": "Trinity-Zion-2026", "org": "acme"}); r.status != 201 {
			t.Fatalf("org admin creates in own org: %d %s", r.status, r.raw)
		}

		all := h.do("GET", "/api/v1/admin/users", support, nil)
		own := h.do("GET", "/api/v1/admin/users?q=", anna, nil)
		if n := len(all.body["users"].([]any)); n != 6 {
			t.Fatalf("support sees %d users, want 6", n)
		}
		for _, u := range own.body["users"].([]any) {
			if u.(map[string]any)["org"] != "acme" {
				t.Fatalf("org admin sees %v", u)
			}
		}
		found := h.do("GET", "/api/v1/admin/users?q=LUIGI", support, nil)
		users := found.body["users"].([]any)
		if len(users) != 1 {
			t.Fatalf("search luigi: %s", found.raw)
		}
		luigiID := int64(users[0].(map[string]any)["id"].(float64))
		wantError(t, h.do("GET", fmt.Sprintf("/api/v1/admin/users/%d", luigiID), anna, nil), 404, varco.ENotFound)
		wantError(t, h.do("GET", fmt.Sprintf("/api/v1/admin/users/%d/activity", luigiID), anna, nil), 404, varco.ENotFound)
		wantError(t, h.do("POST", fmt.Sprintf("/api/v1/admin/users/%d/disable", luigiID), anna, nil), 404, varco.ENotFound)
		wantError(t, h.do("GET", "/api/v1/admin/users", mario, nil), 403, varco.EForbidden)
		if r := h.do("GET", fmt.Sprintf("/api/v1/admin/users/%d/activity", luigiID), support, nil); r.status != 200 || len(r.body["events"].([]any)) == 0 {
			t.Fatalf("support reads luigi's history: %d %s", r.status, r.raw)
		}
		// Org-wide history: an org admin sees only its organization's events.
		r = h.do("GET", "/api/v1/admin/activity", anna, nil)
		for _, e := range r.body["events"].([]any) {
			if id := int64(e.(map[string]any)["account_id"].(float64)); id == luigiID {
				t.Fatalf("org admin sees another organization's event: %v", e)
			}
		}
		luigi := h.login("luigi@other.test", luigiPW)
		if r := h.do("POST", fmt.Sprintf("/api/v1/admin/users/%d/disable", luigiID), support, nil); r.status != 200 {
			t.Fatalf("disable: %d %s", r.status, r.raw)
		}
		wantError(t, h.do("GET", "/api/v1/me", luigi, nil), 401, "unauthorized")
		wantError(t, h.do("POST", "/api/v1/login", "", map[string]string{"email": "luigi@other.test", "password": luigiPW}), 403, varco.EAccountDisabled)
	})
}

func TestHealthReadyMetrics(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	h.login("mario@acme.test", marioPW)
	if r := h.do("GET", "/healthz", "", nil); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
	if r := h.do("GET", "/readyz", "", nil); r.status != 200 || r.str("database") != "sqlite" {
		t.Fatalf("readyz %d %s", r.status, r.raw)
	}
	r := h.do("GET", "/metrics", "", nil)
	for _, m := range []string{`varco_logins_total{outcome="authenticated"} 1`, "varco_password_hash_in_flight", "varco_outbox_backlog"} {
		if !strings.Contains(string(r.raw), m) {
			t.Errorf("metrics lack %q", m)
		}
	}
	for _, hd := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
		if r.header.Get(hd) == "" {
			t.Errorf("missing security header %s", hd)
		}
	}
}

func TestNoTestClockInNormalBuild(t *testing.T) {
	h := newHarness(t, "sqlite")
	if r := h.do("POST", "/_test/clock", "", map[string]string{"advance": "1h"}); r.status != http.StatusNotFound {
		t.Fatalf("POST /_test/clock answered %d in a normal build", r.status)
	}
	if r := h.do("GET", "/_test/clock", "", nil); r.status != http.StatusNotFound {
		t.Fatalf("GET /_test/clock answered %d in a normal build", r.status)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	tok := h.login("mario@acme.test", marioPW)
	r := h.do("POST", "/api/v1/logout", "", "", "Cookie", "varco_session="+tok, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	wantError(t, r, http.StatusForbidden, varco.EForbidden)
	if h.do("GET", "/api/v1/me", tok, nil).status != 200 {
		t.Fatal("cross-site logout went through")
	}
}

func TestConcurrentLoginsKeepTheChain(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			pw := marioPW
			if i%2 == 0 {
				pw = "Wrong-password-1"
			}
			h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": pw})
		}(i)
	}
	wg.Wait()
	if audittest.Verify(t, h.app.DB) == 0 {
		t.Fatal("no events recorded")
	}
}

// TestRehashOnLogin: a hash made with other argon2id parameters (an older
// setting) still verifies, and the login replaces it with one made with the
// current parameters, keeping the password's age (SPEC §2.1). Every
// other hashing slot is held meanwhile: the sign-in rehashes in the slot
// it verified in, not in a second one it would wait for.
func TestRehashOnLogin(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	ctx := t.Context()
	old, err := password.Hash(marioPW, password.Params{Memory: 128, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := h.app.DB.AccountByEmail(ctx, "mario@acme.test")
	if err := h.app.DB.RehashPassword(ctx, a.ID, a.PasswordHash, old); err != nil {
		t.Fatal(err)
	}
	for range runtime.GOMAXPROCS(0) - 1 {
		slot, err := h.app.Hasher.Slot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer slot.Release()
	}
	h.login("mario@acme.test", marioPW)
	after, _ := h.app.DB.AccountByEmail(ctx, "mario@acme.test")
	if after.PasswordHash == old || h.app.Hasher.NeedsRehash(after.PasswordHash) {
		t.Fatalf("not rehashed to the current parameters: %s", after.PasswordHash)
	}
	if !after.PasswordChangedAt.Equal(a.PasswordChangedAt) {
		t.Fatal("rehashing changed the password's age")
	}
	h.login("mario@acme.test", marioPW)
}

func TestAdminCSVHasAccountColumn(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	support := h.login("help@provider.test", "Assist-Desk-2026")
	r := h.do("GET", "/api/v1/admin/activity?format=csv", support, nil)
	rows, err := csv.NewReader(strings.NewReader(string(r.raw))).ReadAll()
	if err != nil || len(rows) < 2 || rows[0][len(rows[0])-1] != "account_id" {
		t.Fatalf("admin CSV: %v %v", rows, err)
	}
}

// TestClientIPFromTrustedProxyOnly: X-Forwarded-For is believed only from a
// configured trusted proxy (SPEC §5.3, §9a), and the rightmost untrusted
// address is the client.
func TestClientIPFromTrustedProxyOnly(t *testing.T) {
	for _, tt := range []struct {
		name    string
		trusted string
		want    string
	}{
		{"no trusted proxy", "", "127.0.0.1"},
		{"loopback trusted", "127.0.0.1/32,::1/128", "203.0.113.9"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, "sqlite", func(c *config.Config) {
				ps, err := httpx.ParseProxies(tt.trusted)
				if err != nil {
					t.Fatal(err)
				}
				c.TrustedProxies = ps
			})
			standard(h)
			r := h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": marioPW},
				"X-Forwarded-For", "198.51.100.1, 203.0.113.9")
			tok := r.str("session_token")
			evs := h.do("GET", "/api/v1/me/activity?type=login_succeeded", tok, nil)
			ip := evs.body["events"].([]any)[0].(map[string]any)["ip"]
			if ip != tt.want {
				t.Fatalf("login recorded from %v, want %s", ip, tt.want)
			}
			sess := h.do("GET", "/api/v1/me/sessions", tok, nil)
			if got := sess.body["sessions"].([]any)[0].(map[string]any)["ip"]; got != tt.want {
				t.Fatalf("session IP %v, want %s", got, tt.want)
			}
		})
	}
}

// TestOrgPolicy: support reads and replaces an organization's password
// policy (seed values by default); an org admin reads only its own; the
// history depth it sets is what password changes check.
func TestOrgPolicy(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		support := h.login("help@provider.test", "Assist-Desk-2026")
		anna := h.login("anna@acme.test", "Admin-Acme-2026")
		mario := h.login("mario@acme.test", marioPW)
		acme, _ := h.app.DB.OrgByName(t.Context(), "acme")
		other, _ := h.app.DB.OrgByName(t.Context(), "other")
		path := fmt.Sprintf("/api/v1/admin/orgs/%d/policy", acme.ID)

		r := h.do("GET", path, anna, nil)
		if r.status != 200 || r.body["max_age_days"] != float64(90) || fmt.Sprint(r.body["warning_days"]) != "[20 10 5 3 2 1]" ||
			r.body["inactivity_days"] != float64(30) || r.body["suspension_grace_days"] != float64(30) || r.body["history_depth"] != float64(5) {
			t.Fatalf("default policy: %d %s", r.status, r.raw)
		}
		wantError(t, h.do("GET", fmt.Sprintf("/api/v1/admin/orgs/%d/policy", other.ID), anna, nil), 404, varco.ENotFound)
		wantError(t, h.do("GET", path, mario, nil), 403, varco.EForbidden)
		body := map[string]any{"max_age_days": 60, "warning_days": []int{1, 14, 7}, "inactivity_days": 15,
			"suspension_grace_days": 10, "history_depth": 0}
		wantError(t, h.do("PUT", path, anna, body), 403, varco.EForbidden)
		wantError(t, h.do("PUT", path, support, map[string]any{"max_age_days": 60}), 400, varco.EInvalid)
		wantError(t, h.do("PUT", path, support, map[string]any{"max_age_days": 60, "warning_days": []int{60},
			"inactivity_days": 15, "suspension_grace_days": 10, "history_depth": 0}), 400, varco.EInvalid)
		wantError(t, h.do("PUT", "/api/v1/admin/orgs/4242/policy", support, body), 404, varco.ENotFound)
		r = h.do("PUT", path, support, body)
		if r.status != 200 || fmt.Sprint(r.body["warning_days"]) != "[14 7 1]" || r.body["history_depth"] != float64(0) {
			t.Fatalf("set policy: %d %s", r.status, r.raw)
		}
		// History depth 0: the current password may be set again.
		if r := h.do("POST", "/api/v1/me/password", mario, map[string]string{"current_password": marioPW, "new_password": marioPW}); r.status != 200 {
			t.Fatalf("with history depth 0 the same password was refused: %s", r.raw)
		}
		evs := h.do("GET", "/api/v1/admin/activity?type=org_policy_changed", support, nil)
		if n := len(evs.body["events"].([]any)); n != 1 {
			t.Fatalf("org_policy_changed events: %s", evs.raw)
		}
	})
}

// TestLegacyHashRehashedOnFirstLogin: SPEC §2.1 — a hash
// imported from a mail server ({SHA512-CRYPT}) verifies, and the first
// login replaces it with argon2id.
func TestLegacyHashRehashedOnFirstLogin(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	ctx := t.Context()
	// openssl passwd -6 -salt Ab12Cd34 'Rossi-Verde-2026'
	const legacy = "{SHA512-CRYPT}$6$Ab12Cd34$uufiZhLYgxmbngrwwzswWttptPUmQOTSW5.lCvsVbeQLhonXMPA6tHp8bnQ014aaGbTzNADZ3EHeukla0olo0."
	a, _ := h.app.DB.AccountByEmail(ctx, "mario@acme.test")
	if err := h.app.DB.RehashPassword(ctx, a.ID, a.PasswordHash, legacy); err != nil {
		t.Fatal(err)
	}
	wantError(t, h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": "Wrong-password-1"}), 401, varco.EInvalidCredentials)
	h.login("mario@acme.test", marioPW)
	after, _ := h.app.DB.AccountByEmail(ctx, "mario@acme.test")
	if !strings.HasPrefix(after.PasswordHash, "$argon2id$") {
		t.Fatalf("legacy hash not replaced: %s", after.PasswordHash)
	}
	h.login("mario@acme.test", marioPW)
}

// TestSeed_2_7_Reactivation: [seed] SPEC §2.7 — a suspended account is
// reactivated only by support or an org admin of the same organization;
// the user must then change the password at the next sign-in.
func TestSeed_2_7_Reactivation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		h.Org("third", varco.PlanBasic)
		h.User(admin.NewUser{Email: "carla@third.test", Password: "Terzo-Admin-2026", Org: "third", Role: varco.RoleOrgAdmin})
		ctx := t.Context()
		mario, _ := h.app.DB.AccountByEmail(ctx, "mario@acme.test")
		path := fmt.Sprintf("/api/v1/admin/users/%d/reactivate", mario.ID)
		anna := h.login("anna@acme.test", "Admin-Acme-2026")
		carla := h.login("carla@third.test", "Terzo-Admin-2026")
		luigi := h.login("luigi@other.test", luigiPW)

		wantError(t, h.do("POST", path, anna, nil), 409, varco.EConflict) // not suspended
		if err := h.app.DB.SetAccountStatus(ctx, mario.ID, varco.StatusSuspended); err != nil {
			t.Fatal(err)
		}
		wantError(t, h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": marioPW}), 403, varco.EAccountSuspended)
		wantError(t, h.do("POST", path, carla, nil), 404, varco.ENotFound) // another organization's admin
		wantError(t, h.do("POST", path, luigi, nil), 403, varco.EForbidden)
		r := h.do("POST", path, anna, nil)
		if r.status != 200 || r.str("status") != "active" {
			t.Fatalf("reactivate: %d %s", r.status, r.raw)
		}
		msg := h.sink.Wait(t, func(m smtpsink.Mail) bool { return m.Header.Get("X-Varco-Event") == "account_reactivated" }, 10*time.Second)
		if msg.To[0] != "mario@acme.test" {
			t.Fatalf("reactivation e-mail to %v", msg.To)
		}
		res := h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": marioPW})
		if res.status != 200 || res.str("state") != "password_change_required" {
			t.Fatalf("login after reactivation: %d %s", res.status, res.raw)
		}
		tok := res.str("session_token")
		wantError(t, h.do("GET", "/api/v1/me/activity", tok, nil), 403, varco.EPasswordChangeRequire)
		if r := h.do("POST", "/api/v1/me/password", tok, map[string]string{"current_password": marioPW, "new_password": "Brand-new-2026"}); r.status != 200 {
			t.Fatalf("forced change: %s", r.raw)
		}
		if r := h.do("GET", "/api/v1/me/activity?type=account_reactivated", tok, nil); r.status != 200 || len(r.body["events"].([]any)) != 1 {
			t.Fatalf("after the change: %d %s", r.status, r.raw)
		}
		h.login("mario@acme.test", "Brand-new-2026")
	})
}

// TestSeed_2_4_InAppExpiryAlert: [seed] SPEC §2.4 — from 20 days before
// expiry the user is warned at every sign-in with an in-app alert.
func TestSeed_2_4_InAppExpiryAlert(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	alerts := func(tok string) []any {
		r := h.do("GET", "/api/v1/me/alerts", tok, nil)
		if r.status != 200 {
			t.Fatalf("alerts: %d %s", r.status, r.raw)
		}
		return r.body["alerts"].([]any)
	}
	h.clock.Advance(69 * 24 * time.Hour)
	if n := len(alerts(h.login("mario@acme.test", marioPW))); n != 0 {
		t.Fatalf("%d alerts 21 days before expiry", n)
	}
	h.clock.Advance(24 * time.Hour) // day 70: 20 days left
	tok := h.login("mario@acme.test", marioPW)
	list := alerts(tok)
	if len(list) != 1 {
		t.Fatalf("day 70: %v", list)
	}
	a := list[0].(map[string]any)
	if a["kind"] != "password_expiry" || !strings.Contains(a["message"].(string), "20 giorni") {
		t.Fatalf("alert: %v", a)
	}
	id := int64(a["id"].(float64))
	luigi := h.login("luigi@other.test", luigiPW)
	wantError(t, h.do("DELETE", fmt.Sprintf("/api/v1/me/alerts/%d", id), luigi, nil), 404, varco.ENotFound)
	if r := h.do("DELETE", fmt.Sprintf("/api/v1/me/alerts/%d", id), tok, nil); r.status != 204 {
		t.Fatalf("dismiss: %d %s", r.status, r.raw)
	}
	if n := len(alerts(tok)); n != 0 {
		t.Fatalf("dismissed alert still listed")
	}
	wantError(t, h.do("DELETE", fmt.Sprintf("/api/v1/me/alerts/%d", id), tok, nil), 404, varco.ENotFound)
	// The next sign-in shows it again, with the days left now.
	h.clock.Advance(5 * 24 * time.Hour)
	tok = h.login("mario@acme.test", marioPW)
	list = alerts(tok)
	if len(list) != 1 || !strings.Contains(list[0].(map[string]any)["message"].(string), "15 giorni") {
		t.Fatalf("day 75: %v", list)
	}
	// Changing the password clears it.
	if r := h.do("POST", "/api/v1/me/password", tok, map[string]string{"current_password": marioPW, "new_password": "Brand-new-2026"}); r.status != 200 {
		t.Fatalf("change: %s", r.raw)
	}
	if n := len(alerts(tok)); n != 0 {
		t.Fatalf("alert survives the password change")
	}
}

// TestDeadLettersVisibleToSupport: a message the SMTP server refuses for
// good is dead-lettered; support sees it (recipient masked, no body) and
// queues it again, and it is delivered with the same Message-ID.
func TestDeadLettersVisibleToSupport(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	support := h.login("help@provider.test", "Assist-Desk-2026")
	mario := h.login("mario@acme.test", marioPW)
	h.sink.FailNext(1, 550)
	if r := h.do("POST", "/api/v1/me/password", mario, map[string]string{"current_password": marioPW, "new_password": "Brand-new-2026"}); r.status != 200 {
		t.Fatalf("change: %s", r.raw)
	}
	if err := h.app.RunDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := h.do("GET", "/api/v1/admin/outbox?status=dead", support, nil)
	msgs, _ := r.body["messages"].([]any)
	if r.status != 200 || len(msgs) != 1 {
		t.Fatalf("dead letters: %d %s", r.status, r.raw)
	}
	m := msgs[0].(map[string]any)
	if m["event"] != "password_changed" || strings.Contains(string(r.raw), "mario@acme.test") || m["last_error"] == "" {
		t.Fatalf("dead letter: %s", r.raw)
	}
	anna := h.login("anna@acme.test", "Admin-Acme-2026")
	wantError(t, h.do("GET", "/api/v1/admin/outbox", anna, nil), 403, varco.EForbidden)
	wantError(t, h.do("GET", "/api/v1/admin/outbox?status=lost", support, nil), 400, varco.EInvalid)
	id := int64(m["id"].(float64))
	if r := h.do("POST", fmt.Sprintf("/api/v1/admin/outbox/%d/retry", id), support, nil); r.status != 200 {
		t.Fatalf("retry: %s", r.raw)
	}
	wantError(t, h.do("POST", fmt.Sprintf("/api/v1/admin/outbox/%d/retry", id), support, nil), 404, varco.ENotFound)
	if err := h.app.RunDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := h.sink.Wait(t, func(m smtpsink.Mail) bool { return m.Header.Get("X-Varco-Event") == "password_changed" }, 10*time.Second)
	if got.To[0] != "mario@acme.test" {
		t.Fatalf("delivered to %v", got.To)
	}
}

func TestEnableDisabledUser(t *testing.T) {
	h := newHarness(t, "sqlite")
	standard(h)
	anna := h.login("anna@acme.test", "Admin-Acme-2026")
	a, _ := h.app.DB.AccountByEmail(t.Context(), "mario@acme.test")
	wantError(t, h.do("POST", fmt.Sprintf("/api/v1/admin/users/%d/enable", a.ID), anna, nil), 409, varco.EConflict)
	if r := h.do("POST", fmt.Sprintf("/api/v1/admin/users/%d/disable", a.ID), anna, nil); r.status != 200 {
		t.Fatal(r.status)
	}
	wantError(t, h.do("POST", "/api/v1/login", "", map[string]string{"email": "mario@acme.test", "password": marioPW}), 403, varco.EAccountDisabled)
	if r := h.do("POST", fmt.Sprintf("/api/v1/admin/users/%d/enable", a.ID), anna, nil); r.status != 200 || r.str("status") != "active" {
		t.Fatalf("enable: %d %s", r.status, r.raw)
	}
	h.login("mario@acme.test", marioPW)
}
