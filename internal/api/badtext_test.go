package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"varco.dev/varco"
	"varco.dev/varco/internal/admin"
	"varco.dev/varco/internal/api"
	"varco.dev/varco/internal/httpx"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv/audittest"
	"varco.dev/varco/internal/testenv/fixture"
	"varco.dev/varco/internal/text"
	"varco.dev/varco/internal/web"
)

// badString is one entry of the bad-input corpus: value is the raw bytes
// sent in a header, a query, a path or a form; jsonText is how it is
// written inside a JSON string (raw bytes too, except the escapes).
type badString struct {
	name, value, jsonText string
}

var badStrings = []badString{
	{"invalid UTF-8", "ab\xffcd\xc3", "ab\xffcd\xc3"},
	{"NUL", "ab\x00cd", `ab\u0000cd`},
	{"CR LF", "ab\r\nX-Injected: 1", `ab\r\nX-Injected: 1`},
	{"10 kB", strings.Repeat("A", 10<<10), strings.Repeat("A", 10<<10)},
	{"RTL override", "abc\u202egpj.exe", "abc\u202egpj.exe"},
	{"lone surrogate", "ab\xed\xa0\x80cd", `ab\ud800cd`},
	{"controls", "a\x01b\x1b[31mc\u0085", `a\u0001b\u001b[31mc` + "\u0085"},
}

// rawReply is an answer read off the wire.
type rawReply struct {
	status int
	header http.Header
	body   []byte
}

// raw sends one request byte for byte, so headers can carry what Go's
// client refuses to send (NUL, CR LF); it answers 0 when the server closed
// the connection without answering.
func (h *harness) raw(method, target string, hdr [][2]string, body []byte) rawReply {
	h.t.Helper()
	host := strings.TrimPrefix(h.url, "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		h.t.Fatal(err)
	}
	defer conn.Close()
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, host)
	if body != nil {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	for _, kv := range hdr {
		fmt.Fprintf(&b, "%s: %s\r\n", kv[0], kv[1])
	}
	b.WriteString("\r\n")
	b.Write(body)
	if _, err := conn.Write(b.Bytes()); err != nil {
		h.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return rawReply{}
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	return rawReply{status: resp.StatusCode, header: resp.Header, body: rb}
}

// jsonWith is body as JSON with field's value replaced by the raw JSON
// string text (between quotes, not re-escaped).
func jsonWith(body map[string]any, field, jsonText string) []byte {
	const marker = "\x01marker\x01"
	m := map[string]any{}
	for k, v := range body {
		m[k] = v
	}
	m[field] = marker
	b, _ := json.Marshal(m)
	return bytes.Replace(b, []byte(`"\u0001marker\u0001"`), []byte(`"`+jsonText+`"`), 1)
}

// probePW is the password of the account the corpus signs in to, so that
// wrong guesses never throttle the accounts whose sessions it uses.
const probePW = "Corpus-Sign-In-2026"

// corpusEnv is a varco with the accounts, ids and sign-in flow the corpus
// needs, and the session tokens it uses (see token).
type corpusEnv struct {
	h             *harness
	tokens        map[string]string
	userID, orgID int64
	flow          string
	ip            int
	seenInvalidIn int
}

func newCorpusEnv(t *testing.T, engine string) *corpusEnv {
	h := newHarness(t, engine, fixture.TrustLoopback)
	standard(h)
	h.User(admin.NewUser{Email: "probe@acme.test", Password: probePW, Org: "acme", Language: "en"})
	target := h.User(admin.NewUser{Email: "target@acme.test", Password: "Victim-Acct-2026", Org: "acme", Language: "it"})
	e := &corpusEnv{h: h, tokens: map[string]string{}, userID: target.ID, orgID: target.OrgID}
	// A real flow: the probe's first sign-in sets its baseline, one from
	// another network needs a step-up.
	h.do("POST", "/api/v1/login", "", map[string]string{"email": "probe@acme.test", "password": probePW})
	r := h.do("POST", "/api/v1/login", "", map[string]string{"email": "probe@acme.test", "password": probePW},
		"X-Forwarded-For", "198.51.100.7")
	if r.str("flow") == "" {
		t.Fatalf("no step-up flow: %d %s", r.status, r.raw)
	}
	e.flow = r.str("flow")
	return e
}

// token is a live session token of mario ("user") or of support ("staff"),
// signing in again when a request of the corpus ended the last one.
func (e *corpusEnv) token(who string) string {
	if tok := e.tokens[who]; tok != "" {
		if r := e.h.do("GET", "/api/v1/me", tok, nil); r.status == 200 || r.str("error") == varco.EPasswordChangeRequire {
			return tok
		}
	}
	email, pw := "mario@acme.test", marioPW
	if who == "staff" {
		email, pw = "help@provider.test", "Assist-Desk-2026"
	}
	// A wrong current password in the corpus counts against the account:
	// wait out its throttle instead of failing.
	r := e.h.do("POST", "/api/v1/login", "", map[string]string{"email": email, "password": pw})
	if r.status == http.StatusOK && r.str("session_token") != "" {
		e.tokens[who] = r.str("session_token")
		return e.tokens[who]
	}
	if r.status == http.StatusTooManyRequests {
		e.h.clock.Advance(16 * time.Minute)
	}
	e.tokens[who] = e.h.login(email, pw)
	return e.tokens[who]
}

// nextIP is a fresh client address, so that the per-IP throttle of one
// request does not answer for the next.
func (e *corpusEnv) nextIP() string {
	e.ip++
	return fmt.Sprintf("203.0.%d.%d", e.ip/250, e.ip%250+1)
}

// check sends one request and fails the test on a 5xx or a lost answer,
// or on an invalid_input that names no field.
func (e *corpusEnv) check(t *testing.T, what, method, target string, hdr [][2]string, body []byte) {
	t.Helper()
	r := e.h.raw(method, target, hdr, body)
	if r.status == 0 || r.status >= 500 {
		t.Errorf("%s: %s %.80s answered %d %.300s", what, method, target, r.status, r.body)
		return
	}
	var eb httpx.ErrorBody
	if json.Unmarshal(r.body, &eb) == nil && eb.Error == varco.EInvalidInput {
		e.seenInvalidIn++
		if eb.Field == "" || !strings.Contains(eb.Message, eb.Field) {
			t.Errorf("%s: %s %.80s: invalid_input without its field: %s", what, method, target, r.body)
		}
	}
}

// TestBadTextCorpus sends every entry of the bad-input corpus in every
// documented body field, query parameter and path parameter of every API
// operation, in every form field of every page, and in the headers the
// service reads, on both engines: no answer is a 5xx, and the activity
// history still verifies afterwards.
func TestBadTextCorpus(t *testing.T) {
	forEachEngineWith(t, newCorpusEnv, func(t *testing.T, e *corpusEnv) {
		e.apiSweep(t)
		e.webSweep(t)
		if e.seenInvalidIn == 0 {
			t.Error("no request was refused with invalid_input")
		}
		audittest.Verify(t, e.h.app.DB) // the history still verifies after the corpus
	})
}

// apiBase is a plausible value for a documented field, so that the bad one
// beside it gets as deep as it can.
func apiBase(field string, e *corpusEnv) any {
	switch field {
	case "email":
		return "probe@acme.test"
	case "password":
		return probePW
	case "current_password":
		return "Not-The-Password-1"
	case "new_password":
		return "Another-Fresh-2026x"
	case "org":
		return "acme"
	case "plan":
		return "pro"
	case "name":
		return "Corpus Org " + strconv.Itoa(e.ip)
	case "role":
		return "user"
	case "language":
		return "en"
	case "method":
		return "email_pin"
	case "code":
		return "123456"
	case "phone":
		return "+393471234567"
	case "warning_days":
		return []int{20, 10}
	case "max_age_days", "inactivity_days", "suspension_grace_days", "history_depth", "window_days", "distance_km", "speed_kmh":
		return 30
	}
	return "x"
}

// apiPath fills the path parameters of an operation: real ids where one
// exists, so the bad value in another place is reached.
func (e *corpusEnv) apiPath(path, param, value string) string {
	id := strconv.FormatInt(e.userID, 10)
	if strings.Contains(path, "/orgs/") {
		id = strconv.FormatInt(e.orgID, 10)
	}
	vals := map[string]string{"id": id, "flow": e.flow}
	if param != "" {
		vals[param] = value
	}
	for k, v := range vals {
		path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
	}
	return path
}

func (e *corpusEnv) apiSweep(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(e.h.do("GET", "/api/v1/openapi.json", "", nil).raw)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]*openapi3.Operation{}
	params := map[string]openapi3.Parameters{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := strings.ToUpper(method) + " " + path
			ops[key] = op
			params[key] = append(append(openapi3.Parameters{}, item.Parameters...), op.Parameters...)
		}
	}
	headers := []string{"User-Agent", "X-Forwarded-For", "Accept-Language", "Cookie", "Authorization", "Content-Type"}
	for _, pattern := range api.Patterns() {
		op := ops[pattern]
		if op == nil {
			t.Fatalf("%s is not documented", pattern)
		}
		method, path, _ := strings.Cut(pattern, " ")
		who := ""
		switch {
		case strings.HasPrefix(path, "/api/v1/admin/"):
			who = "staff"
		case strings.HasPrefix(path, "/api/v1/me"), path == "/api/v1/logout":
			who = "user"
		}
		var fields []string
		base := map[string]any{}
		if op.RequestBody != nil && op.RequestBody.Value != nil {
			if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil && mt.Schema.Value != nil {
				for name := range mt.Schema.Value.Properties {
					fields = append(fields, name)
					base[name] = apiBase(name, e)
				}
			}
		}
		slices.Sort(fields)
		send := func(what, target string, hdr [][2]string, body []byte) {
			t.Helper()
			all := [][2]string{}
			have := func(k string) bool {
				return slices.ContainsFunc(hdr, func(kv [2]string) bool { return kv[0] == k })
			}
			if !have("X-Forwarded-For") {
				all = append(all, [2]string{"X-Forwarded-For", e.nextIP()})
			}
			if who != "" && !have("Authorization") && !have("Cookie") {
				all = append(all, [2]string{"Authorization", "Bearer " + e.token(who)})
			}
			if body != nil && !have("Content-Type") {
				all = append(all, [2]string{"Content-Type", "application/json"})
			}
			e.check(t, pattern+" "+what, method, target, append(all, hdr...), body)
		}
		var baseBody []byte
		if fields != nil {
			baseBody, _ = json.Marshal(base)
		}
		for _, bad := range badStrings {
			for _, f := range fields {
				send("field "+f+" "+bad.name, e.apiPath(path, "", ""), nil, jsonWith(base, f, bad.jsonText))
			}
			for _, p := range params[pattern] {
				switch p.Value.In {
				case "path":
					send("path "+p.Value.Name+" "+bad.name, e.apiPath(path, p.Value.Name, bad.value), nil, baseBody)
				case "query":
					q := url.Values{p.Value.Name: {bad.value}}
					send("query "+p.Value.Name+" "+bad.name, e.apiPath(path, "", "")+"?"+q.Encode(), nil, baseBody)
				}
			}
			for _, hd := range headers {
				v := bad.value
				switch hd {
				case "Cookie":
					v = httpx.SessionCookie + "=" + v
				case "Authorization":
					v = "Bearer " + v
				case "Content-Type":
					if baseBody == nil {
						continue
					}
					v = "application/json; charset=" + v
				}
				send("header "+hd+" "+bad.name, e.apiPath(path, "", ""), [][2]string{{hd, v}}, baseBody)
			}
		}
	}
}

// webForms are the fields each page's form reads; every POST page must be
// listed, so a new one joins the corpus.
var webForms = map[string][]string{
	"POST /login":                                    {"email", "password"},
	"POST /login/not-me":                             {"token"},
	"POST /login/push":                               nil,
	"POST /login/step-up/send":                       {"method"},
	"POST /login/step-up/verify":                     {"code"},
	"POST /logout":                                   nil,
	"POST /password-reset":                           {"email"},
	"POST /password-reset/complete":                  {"token", "new_password", "confirm_password"},
	"POST /profile/alerts/{id}/dismiss":              nil,
	"POST /profile/alerts/{id}/not-me":               nil,
	"POST /profile/preferences":                      {"language", "time_zone"},
	"POST /profile/phone":                            {"phone"},
	"POST /profile/phone/verify":                     {"code"},
	"POST /profile/phone/remove":                     nil,
	"POST /profile/contact-email":                    {"contact_email"},
	"POST /contact-email/verify":                     {"token"},
	"POST /profile/password":                         {"current_password", "new_password", "confirm_password"},
	"POST /profile/sessions/{id}/revoke":             nil,
	"POST /profile/sessions/revoke-others":           nil,
	"POST /profile/app-passwords":                    {"label"},
	"POST /profile/app-passwords/{id}/rotate":        nil,
	"POST /profile/app-passwords/{id}/delete":        nil,
	"POST /profile/two-factor/disable":               nil,
	"POST /profile/two-factor/recovery-codes":        nil,
	"POST /profile/two-factor/recovery-codes/{id}":   nil,
	"POST /profile/mail-access":                      {"imap", "pop3", "smtp"},
	"POST /admin/users/{id}/disable":                 {"confirm"},
	"POST /admin/users/{id}/reactivate":              {"confirm"},
	"POST /admin/users/{id}/unlock":                  {"confirm"},
	"POST /admin/users":                              {"email", "password", "org", "role", "phone", "contact_email", "language", "display_name"},
	"POST /admin/users/{id}/enable":                  {"confirm"},
	"POST /admin/users/{id}/reset-link":              {"confirm"},
	"POST /admin/users/{id}/require-password-change": {"confirm"},
	"POST /admin/orgs/{id}/policy": {varco.FieldMaxAgeDays, varco.FieldWarningDays, varco.FieldInactivityDays,
		varco.FieldSuspensionGraceDays, varco.FieldHistoryDepth},
	"POST /admin/outbox/{id}/retry": nil,
}

// webQuery are the query parameters pages read.
var webQuery = []string{"q", "type", "from", "to", "token", "cursor", "done", "lang", "others", "status", "check"}

func (e *corpusEnv) webSweep(t *testing.T) {
	for _, pattern := range web.Patterns() {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			continue // the catch-all
		}
		path = strings.TrimSuffix(path, "{$}")
		fields, listed := webForms[pattern]
		if method == "POST" && !listed {
			t.Fatalf("page %s is not in webForms", pattern)
		}
		who := ""
		switch {
		case strings.HasPrefix(path, "/admin"):
			who = "staff"
		case strings.HasPrefix(path, "/profile"), path == "/logout":
			who = "user"
		}
		base := url.Values{}
		for _, f := range fields {
			switch f {
			case "email":
				base.Set(f, "probe@acme.test")
			case "password":
				base.Set(f, probePW)
			case "confirm":
				base.Set(f, "yes")
			default:
				base.Set(f, "30")
			}
		}
		send := func(what, target string, hdr [][2]string, form url.Values) {
			t.Helper()
			all := [][2]string{}
			if !slices.ContainsFunc(hdr, func(kv [2]string) bool { return kv[0] == "X-Forwarded-For" }) {
				all = append(all, [2]string{"X-Forwarded-For", e.nextIP()})
			}
			if who != "" && !slices.ContainsFunc(hdr, func(kv [2]string) bool { return kv[0] == "Cookie" }) {
				all = append(all, [2]string{"Cookie", httpx.SessionCookie + "=" + e.token(who)})
			}
			var body []byte
			if method == "POST" {
				body = []byte(form.Encode())
				all = append(all, [2]string{"Content-Type", "application/x-www-form-urlencoded"})
			}
			e.check(t, pattern+" "+what, method, target, append(all, hdr...), body)
		}
		fill := func(p, value string) string {
			id := strconv.FormatInt(e.userID, 10)
			if strings.Contains(p, "/orgs/") {
				id = strconv.FormatInt(e.orgID, 10)
			}
			if value != "" {
				id = value
			}
			return strings.ReplaceAll(p, "{id}", url.PathEscape(id))
		}
		for _, bad := range badStrings {
			for _, f := range fields {
				form := url.Values{}
				for k, v := range base {
					form[k] = v
				}
				form.Set(f, bad.value)
				send("field "+f+" "+bad.name, fill(path, ""), nil, form)
			}
			if strings.Contains(path, "{id}") {
				send("path id "+bad.name, fill(path, bad.value), nil, base)
			}
			if method == "GET" {
				for _, q := range webQuery {
					send("query "+q+" "+bad.name, fill(path, "")+"?"+url.Values{q: {bad.value}}.Encode(), nil, nil)
				}
			}
			for _, hd := range []string{"User-Agent", "X-Forwarded-For", "Accept-Language", "Cookie"} {
				v := bad.value
				if hd == "Cookie" {
					v = httpx.SessionCookie + "=" + v
				}
				send("header "+hd+" "+bad.name, fill(path, ""), [][2]string{{hd, v}}, base)
			}
		}
	}
}

// TestBadUserAgentStillCountsFailures: a wrong password sent with a
// User-Agent that is not storable text (invalid UTF-8, 10 kB, direction
// characters, a UTF-8 surrogate, a C1 control) is counted and recorded like
// any other, on both engines: the fifth answers 401 and sets the wait, the
// sixth is 429, and each left a login_failed with a repaired user agent. A
// reset request and the sign-in page with such a header are counted too.
func TestBadUserAgentStillCountsFailures(t *testing.T) {
	agents := []string{"curl\xff/8", strings.Repeat("Mozilla ", 1300), "Agent \u202eevil", "ab\xed\xa0\x80", "x\u0085y"}
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		body := []byte(`{"email":"mario@acme.test","password":"Wrong-Guess-2026"}`)
		for i := range 6 {
			r := h.raw("POST", "/api/v1/login", [][2]string{{"Content-Type", "application/json"},
				{"User-Agent", agents[i%len(agents)]}}, body)
			want := http.StatusUnauthorized
			if i == 5 {
				want = http.StatusTooManyRequests
			}
			if r.status != want {
				t.Fatalf("attempt %d with user agent %.12q: %d %s, want %d", i+1, agents[i%len(agents)], r.status, r.body, want)
			}
		}
		evs, err := h.app.DB.ListEvents(t.Context(), store.EventFilter{Types: []string{varco.EventLoginFailed}})
		if err != nil || len(evs) != 5 {
			t.Fatalf("login_failed events: %d, %v; want 5", len(evs), err)
		}
		for _, ev := range evs {
			if !text.Storable(ev.UserAgent) || len(ev.UserAgent) > text.MaxUserAgent || !strings.ContainsAny(ev.UserAgent, "\ufffdM") {
				t.Errorf("recorded user agent %q", ev.UserAgent)
			}
		}

		// A reset request is counted and recorded with such a header.
		r := h.raw("POST", "/api/v1/password-reset", [][2]string{{"Content-Type", "application/json"}, {"User-Agent", agents[0]}},
			[]byte(`{"email":"luigi@other.test"}`))
		if r.status != http.StatusAccepted {
			t.Fatalf("password reset: %d %s", r.status, r.body)
		}
		evs, err = h.app.DB.ListEvents(t.Context(), store.EventFilter{Types: []string{varco.EventPasswordResetRequested}})
		if err != nil || len(evs) != 1 || evs[0].UserAgent != "curl\ufffd/8" {
			t.Fatalf("password_reset_requested events: %+v, %v", evs, err)
		}

		// The sign-in page counts a wrong password sent with it too.
		for i := range 6 {
			r := h.raw("POST", "/login", [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}, {"User-Agent", agents[i%len(agents)]}},
				[]byte("email=luigi%40other.test&password=Wrong-Guess-2026"))
			want := http.StatusUnauthorized
			if i == 5 {
				want = http.StatusTooManyRequests
			}
			if r.status != want {
				t.Fatalf("web attempt %d: %d, want %d", i+1, r.status, want)
			}
		}
		audittest.Verify(t, h.app.DB)
	})
}

// TestIdentifierWithControlCharacterNamesTheField: a NUL or another control
// character in an e-mail, an organization name, a search or an activity
// filter is 400 invalid_input naming the field on both engines (PostgreSQL
// answered 500 to the NUL).
func TestIdentifierWithControlCharacterNamesTheField(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		standard(h)
		staff := h.login("help@provider.test", "Assist-Desk-2026")
		user := h.login("mario@acme.test", marioPW)
		for _, tt := range []struct {
			method, path, token string
			body                any
			field               string
		}{
			{"POST", "/api/v1/login", "", `{"email":"mario@acme.test\u0000","password":"x"}`, "email"},
			{"POST", "/api/v1/login", "", `{"email":"mario@acme.test\u0007","password":"x"}`, "email"},
			{"POST", "/api/v1/password-reset", "", `{"email":"mario\u0000@acme.test"}`, "email"},
			{"POST", "/api/v1/admin/orgs", staff, `{"name":"ac\u0000me"}`, "name"},
			{"POST", "/api/v1/admin/orgs", staff, `{"name":"ac\u202eme"}`, "name"},
			{"POST", "/api/v1/admin/users", staff, `{"email":"new@acme.test","password":"Fresh-Pass-2026","org":"ac\u0001me"}`, "org"},
			{"POST", "/api/v1/admin/users", staff, `{"email":"new@acme.test","password":"Fresh-Pass-2026","org":"acme","display_name":"A\nB"}`, "display_name"},
			{"PUT", "/api/v1/me/contact-email", user, `{"contact_email":"x\u0000@acme.test"}`, "contact_email"},
			{"GET", "/api/v1/admin/users?q=ma%00rio", staff, nil, "q"},
			{"GET", "/api/v1/me/activity?type=login%00failed", user, nil, "type"},
			{"GET", "/api/v1/me/activity?type=login_f%0Aailed", user, nil, "type"},
		} {
			r := h.do(tt.method, tt.path, tt.token, tt.body)
			wantError(t, r, http.StatusBadRequest, varco.EInvalidInput)
			if r.str("field") != tt.field {
				t.Errorf("%s %s: field %q, want %q", tt.method, tt.path, r.str("field"), tt.field)
			}
		}
	})
}
