package httpx

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"varco.dev/varco"
)

// TestDecodeJSONRefusesNUL: a NUL anywhere in a decoded string, however
// deep, is invalid_input naming the field; invalid UTF-8 and a lone
// surrogate are already U+FFFD, which is stored as it is.
func TestDecodeJSONRefusesNUL(t *testing.T) {
	type inner struct {
		Label string `json:"label"`
	}
	type body struct {
		Name   string            `json:"name"`
		Tags   []string          `json:"tags"`
		Inner  *inner            `json:"inner"`
		Extra  map[string]string `json:"extra"`
		Number int               `json:"number"`
	}
	for _, tt := range []struct {
		body, field string
	}{
		{`{"name":"a\u0000b"}`, "name"},
		{`{"tags":["ok","\u0000"]}`, "tags"},
		{`{"inner":{"label":"x\u0000"}}`, "inner.label"},
		{`{"extra":{"k":"\u0000"}}`, "extra.k"},
		{`{"extra":{"\u0000":"v"}}`, "extra"},
		{`{"name":"ok","number":3}`, ""},
		{"{\"name\":\"bad \xff byte\"}", ""},
		{`{"name":"lone \ud800 surrogate"}`, ""},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
		r.Header.Set("Content-Type", "application/json")
		var v body
		err := DecodeJSON(httptest.NewRecorder(), r, &v)
		if tt.field == "" {
			if err != nil || strings.ContainsRune(v.Name, 0) || !strings.Contains(v.Name, "\ufffd") && v.Name != "ok" {
				t.Errorf("%s: %+v, %v", tt.body, v, err)
			}
			continue
		}
		var ve *varco.Error
		if !errors.As(err, &ve) || ve.Code != varco.EInvalidInput || ve.Field != tt.field {
			t.Errorf("%s: error %#v, want invalid_input naming %s", tt.body, err, tt.field)
		}
	}
}

func TestWriteErrorNamesTheField(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, httptest.NewRequest("GET", "/", nil), nil, &varco.Error{Code: varco.EInvalidInput, Field: "email", Message: "m"})
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"field":"email"`) || !strings.Contains(rec.Body.String(), `"error":"invalid_input"`) {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
}

func TestCheckURL(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	h := CheckURL(ok)
	for _, tt := range []struct {
		target string
		status int
		field  string
	}{
		{"/api/v1/admin/users?q=mario", 204, ""},
		{"/api/v1/admin/users?q=%C3%A8", 204, ""},
		{"/api/v1/admin/users?q=a%00b", 400, "q"},
		{"/api/v1/me/activity?type=%FF", 400, "type"},
		{"/api/v1/login/%FF", 400, "path"},
		{"/api/v1/login/a%00", 400, "path"},
		{"/api/v1/x?%00=1", 400, "parameter name"},
		{"/profile/activity?type=a%00", 400, ""},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tt.target, nil))
		if rec.Code != tt.status {
			t.Errorf("%s: %d %s, want %d", tt.target, rec.Code, rec.Body, tt.status)
		}
		if tt.field != "" && !strings.Contains(rec.Body.String(), `"field":"`+tt.field+`"`) {
			t.Errorf("%s: %s does not name %s", tt.target, rec.Body, tt.field)
		}
	}
}

func TestCheckValuesNamesTheFirstBadField(t *testing.T) {
	err := CheckValues(url.Values{"z": {"\x00"}, "a": {"ok", "b\xffd"}})
	var ve *varco.Error
	if !errors.As(err, &ve) || ve.Field != "a" {
		t.Fatalf("got %#v, want the error about a", err)
	}
}

func TestUserAgentIsRepaired(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("User-Agent", "curl\xff/8"+strings.Repeat("x", 10<<10))
	ua := UserAgent(r)
	if !strings.HasPrefix(ua, "curl\ufffd/8") || len(ua) > 512 {
		t.Fatalf("UserAgent = %q (%d bytes)", ua[:20], len(ua))
	}
}

// FuzzCheckURL: whatever the address, the check never panics, and what it
// lets through has a storable path and query.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"/api/v1/login", "/a?q=b", "/a%00?x=1", "/a?q=%ff", "/%e2%80%ae?%00=", "/a?q=%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(target, "/") {
			return
		}
		passed := false
		h := CheckURL(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { passed = true }))
		r := &http.Request{Method: "GET", URL: u, Header: http.Header{}}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if passed != (rec.Code == 200) {
			t.Fatalf("%q: passed %v, status %d", target, passed, rec.Code)
		}
		if passed && (CheckValues(u.Query()) != nil || !utf8.ValidString(u.Path) || strings.ContainsRune(u.Path, 0)) {
			t.Fatalf("%q let through", target)
		}
	})
}
