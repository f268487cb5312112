package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"varco.dev/varco"

	"github.com/getkin/kin-openapi/openapi3"
)

// loadOpenAPI parses and validates the embedded document.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openapiDoc)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	return doc
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := loadOpenAPI(t)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if doc.Info.Title != "varco API" {
		t.Errorf("info.title = %q", doc.Info.Title)
	}
	for _, name := range []string{"bearerAuth", "cookieAuth"} {
		if doc.Components.SecuritySchemes[name] == nil {
			t.Errorf("security scheme %s missing", name)
		}
	}
}

// documentedOperations returns every operation of doc as "METHOD /path",
// the form of the routes table.
func documentedOperations(doc *openapi3.T) []string {
	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

// TestOpenAPICoversRoutes fails when a route is served but not documented,
// or documented but not served.
func TestOpenAPICoversRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	documented := documentedOperations(doc)
	served := Patterns()
	sort.Strings(served)
	for _, tc := range []struct {
		name       string
		have, want []string
	}{
		{"served route missing from openapi.json", served, documented},
		{"documented operation not in the routes table", documented, served},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range tc.have {
				if !slices.Contains(tc.want, p) {
					t.Errorf("%s: %s", tc.name, p)
				}
			}
		})
	}
}

// TestOpenAPIOperations checks what every documented operation must have:
// a tag, an operation id, a 2xx answer, the right security and an Error
// body on every 4xx/5xx answer.
func TestOpenAPIOperations(t *testing.T) {
	doc := loadOpenAPI(t)
	publicOps := map[string]bool{}
	for _, rt := range routes {
		if rt.auth == public {
			publicOps[rt.pattern] = true
		}
	}
	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := strings.ToUpper(method) + " " + path
			t.Run(name, func(t *testing.T) {
				if len(op.Tags) != 1 || !slices.Contains([]string{"auth", "me", "admin", "meta"}, op.Tags[0]) {
					t.Errorf("tags = %v, want one of auth, me, admin, meta", op.Tags)
				}
				if op.OperationID == "" {
					t.Error("no operationId")
				} else if other, dup := ids[op.OperationID]; dup {
					t.Errorf("operationId %s also used by %s", op.OperationID, other)
				}
				ids[op.OperationID] = name
				isPublic := publicOps[name]
				switch {
				case isPublic && (op.Security == nil || len(*op.Security) != 0):
					t.Error("public route must have security: []")
				case !isPublic && op.Security != nil:
					t.Error("authenticated route must inherit the document's security")
				}
				ok := false
				for code, resp := range op.Responses.Map() {
					switch {
					case strings.HasPrefix(code, "2"):
						ok = true
					case code[0] == '4' || code[0] == '5':
						mt := resp.Value.Content.Get("application/json")
						if mt == nil || mt.Schema == nil || mt.Schema.Ref != "#/components/schemas/Error" {
							t.Errorf("response %s does not use the Error schema", code)
						}
					}
				}
				if !ok {
					t.Error("no 2xx response")
				}
				if !isPublic && op.Responses.Value("401") == nil {
					t.Error("authenticated route documents no 401")
				}
			})
		}
	}
}

// TestOpenAPISchemasMatchJSON marshals the handlers' answer types and
// checks them against the documented schemas, so a renamed or added json
// tag shows up here.
func TestOpenAPISchemasMatchJSON(t *testing.T) {
	doc := loadOpenAPI(t)
	now := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	full := &accountJSON{ID: 7, Email: "mario@acme.test", DisplayName: "Mario", Org: "acme", Role: "org_admin",
		Status: "active", Language: "it", ContactEmail: "m@home.test", ContactEmailVerified: true,
		Phone: MaskPhone("+393471234567"), PhoneVerified: true, PasswordChangedAt: now, LastLoginAt: &now, CreatedAt: now,
		TimeZone: "Europe/Rome"}
	bare := &accountJSON{ID: 1, Email: "help@provider.test", Role: "support", Status: "active", Language: "en",
		PasswordChangedAt: now, CreatedAt: now, TimeZone: "UTC"}
	ev := eventJSON{ID: 3, Time: now, Event: "login_failed", Actor: "self", IP: "192.0.2.1", Outcome: "failure",
		UserAgent: "curl/8.14.1", Device: "curl 8", Detail: "wrong password", AccountID: 7, Count: 3}
	cursor := "3"
	for _, tc := range []struct {
		schema string
		value  any
	}{
		{"Error", map[string]any{"error": "invalid_request", "message": "x"}},
		{"Error", map[string]any{"error": "too_many_attempts", "message": "x", "retry_after": 2}},
		{"LoginResponse", loginResponse{State: "authenticated", SessionToken: "tok", ExpiresAt: &now, Account: full}},
		{"Account", full},
		{"Account", bare},
		{"Me", meResponse{accountJSON: full, PasswordChangeRequired: true}},
		{"Me", meResponse{accountJSON: bare}},
		{"PasswordChanged", map[string]string{"status": "password_changed"}},
		{"SessionList", map[string]any{"sessions": []sessionJSON{{ID: 1, CreatedAt: now, LastSeenAt: now, ExpiresAt: now, IP: "::1",
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/148.0", Device: "Chrome 148 on Linux", Current: true}}}},
		{"RevokedCount", map[string]int64{"revoked": 2}},
		{"EventPage", map[string]any{"events": []eventJSON{ev, {ID: 2, Time: now, Event: "logout", Actor: "self", Outcome: "success", Count: 1}}, "next_cursor": &cursor}},
		{"EventPage", map[string]any{"events": []eventJSON{}, "next_cursor": (*string)(nil)}},
		{"EventExport", map[string]any{"events": []eventJSON{ev}}},
		{"OrgList", map[string]any{"orgs": []orgJSON{{ID: 1, Name: "acme", Plan: "pro"}}}},
		{"Org", orgJSON{ID: 1, Name: "acme", Plan: "basic"}},
		{"UserPage", map[string]any{"users": []*accountJSON{full, bare}, "next_cursor": (*string)(nil)}},
		{"Disabled", map[string]string{"status": "disabled"}},
		{"VerificationSent", map[string]string{"status": "verification_sent"}},
		{"SessionRevoked", map[string]string{"status": "session_revoked"}},
		{"LanguageRequest", languageRequest{Language: "en"}},
		{"TimeZoneRequest", timeZoneRequest{TimeZone: "Europe/Rome"}},
		{"PhoneRequest", phoneRequest{Phone: "+393471234567"}},
		{"CodeRequest", codeRequest{Code: "123456"}},
		{"ContactEmailRequest", contactEmailRequest{ContactEmail: "m@home.test"}},
		{"TokenRequest", tokenRequest{Token: "abc"}},
		{"OutboxPage", map[string]any{"messages": []outboxJSON{{ID: 1, Channel: "email", Event: "password_changed", To: "m***@acme.test", Status: "dead",
			Attempts: 10, LastError: "550 no such user", CreatedAt: now},
			{ID: 2, Channel: "webpush", Event: "push_sent", To: "webpush:3q2-7wE0ZmQ9X1cT5b6v8A", Status: "dead",
				Attempts: 1, LastError: "expired before it could be delivered", CreatedAt: now}}, "next_cursor": (*string)(nil)}},
		{"PushRequestList", PushRequestList{Requests: []PushRequest{{PushRequestInfo: PushRequestInfo{ID: "r1", Purpose: "login",
			Application: "webmail", ApplicationName: "Webmail", IP: "192.0.2.1", Location: "Milano, IT", Browser: "Firefox 140",
			Time: now, Risky: true, Digits: 6}, Nonce: "bm9uY2U", ExpiresAt: now}}}},
		{"PushRequestList", PushRequestList{Requests: []PushRequest{}}},
		{"PushKey", pushKeyJSON{PublicKey: "BG8hAqJUsy6OTXbfdRkPLdg-jGotsmpx-DN36BuSe7L0ZyGU4zHm8XisWMS8qvyKTDZuk44QWSDKhcTaztkmxjc"}},
		{"AlertList", map[string]any{"alerts": []alertJSON{{ID: 1, Kind: "password_expiry", Message: "x", CreatedAt: now}}}},
		{"OrgPolicy", toPolicyJSON(&varco.Org{ID: 1, Policy: varco.DefaultPolicy()})},
		{"OrgPolicy", toPolicyJSON(&varco.Org{ID: 1, Policy: varco.Policy{MaxAgeDays: 30, InactivityDays: 1, SuspensionGraceDays: 1}})},
		{"LoginRequest", loginRequest{Email: "mario@acme.test", Password: "pw", App: "webmail"}},
		{"PasswordChangeRequest", passwordRequest{CurrentPassword: "a", NewPassword: "b"}},
		{"CreateUserRequest", createUserRequest{Email: "a@b.test", Password: "x", Org: "acme", Role: "user",
			Phone: "+393471234567", ContactEmail: "c@d.test", Language: "en", DisplayName: "A"}},
	} {
		t.Run(tc.schema, func(t *testing.T) {
			ref := doc.Components.Schemas[tc.schema]
			if ref == nil {
				t.Fatalf("schema %s missing", tc.schema)
			}
			b, err := json.Marshal(tc.value)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			if err := doc.ValidateSchemaJSON(ref.Value, v); err != nil {
				t.Errorf("%s does not match schema %s: %v", b, tc.schema, err)
			}
		})
	}
	// And the schemas must refuse what the code refuses.
	for _, tc := range []struct {
		schema string
		value  string
	}{
		{"LoginRequest", `{"email":"a@b.test","password":"x","extra":1}`},
		{"LoginRequest", `{"email":"a@b.test"}`},
		{"LoginRequest", `{"email":"a@b.test","password":"x","app":"Web Mail"}`},
		{"EventPage", `{"events":[]}`},
		{"EventPage", `{"events":[],"next_cursor":3}`},
		{"CreateOrgRequest", `{"name":"acme","plan":"gold"}`},
	} {
		t.Run("refuses "+tc.value, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tc.value), &v); err != nil {
				t.Fatal(err)
			}
			if doc.ValidateSchemaJSON(doc.Components.Schemas[tc.schema].Value, v) == nil {
				t.Errorf("schema %s accepts %s", tc.schema, tc.value)
			}
		})
	}
}

func TestOpenAPIServed(t *testing.T) {
	rec := httptest.NewRecorder()
	(&Server{}).openapi(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if !json.Valid(rec.Body.Bytes()) || !strings.Contains(rec.Body.String(), `"openapi": "3.1.0"`) {
		t.Error("body is not the OpenAPI document")
	}
}

// TestOpenAPIEventNamesAreTheRegistry: the document lists exactly the
// events of the root registry, in its order.
func TestOpenAPIEventNamesAreTheRegistry(t *testing.T) {
	doc := loadOpenAPI(t)
	var got []string
	for _, v := range doc.Components.Schemas["Event"].Value.Properties["event"].Value.Enum {
		got = append(got, v.(string))
	}
	var want []string
	for _, e := range varco.Events() {
		want = append(want, e.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("OpenAPI event enum %v\nregistry %v", got, want)
	}
}
