package httpx

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"varco.dev/varco"
	"varco.dev/varco/internal/text"
)

type loginBody struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	App      string `json:"app,omitempty"`
}

func decode(ctype, body string) (loginBody, error) {
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	var v loginBody
	err := DecodeJSON(httptest.NewRecorder(), r, &v)
	return v, err
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		ok                bool
		msg               string
	}{
		{"valid", "application/json", `{"email":"a@b.co","password":"x"}`, true, ""},
		{"charset", "application/json; charset=utf-8", `{"email":"a@b.co"}`, true, ""},
		{"no content type", "", `{}`, false, "Content-Type"},
		{"form", "application/x-www-form-urlencoded", `email=a`, false, "Content-Type"},
		{"syntax", "application/json", `{"email":`, false, "truncated"},
		{"garbage", "application/json", `nope`, false, "not valid JSON"},
		{"type", "application/json", `{"email":5}`, false, `"email"`},
		{"array", "application/json", `[]`, false, "JSON object"},
		{"unknown", "application/json", `{"role":"support"}`, false, "Unknown field"},
		{"trailing", "application/json", `{} {}`, false, "single JSON object"},
		{"empty", "application/json", ``, false, "empty"},
		{"too big", "application/json", `{"email":"` + strings.Repeat("x", MaxBody) + `"}`, false, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(tt.ctype, tt.body)
			if tt.ok {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if varco.ErrorCode(err) != varco.EInvalid || !strings.Contains(varco.ErrorMessage(err), tt.msg) {
				t.Fatalf("got %v, want invalid_request mentioning %q", err, tt.msg)
			}
		})
	}
}

func TestStatusOfEveryCode(t *testing.T) {
	for code, want := range map[string]int{
		varco.EInvalidCredentials: 401, varco.EAccountLocked: 403, varco.EAccountSuspended: 403,
		varco.EAccountDisabled: 403, varco.ETooManyAttempts: 429, varco.EPasswordTooShort: 400,
		varco.EOverloaded: 503, varco.ENotFound: 404, varco.EInternal: 500, varco.EPasswordChangeRequire: 403,
	} {
		if got := Status(code); got != want {
			t.Errorf("Status(%s) = %d, want %d", code, got, want)
		}
	}
}

func TestWriteErrorHidesInternals(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, httptest.NewRequest("GET", "/", nil), nil, errSecret{})
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "s3cret") {
		t.Fatalf("internal error leaked: %d %s", rec.Code, rec.Body)
	}
}

type errSecret struct{}

func (errSecret) Error() string { return "db password s3cret" }

// FuzzDecodeJSON feeds arbitrary bodies to the JSON decoder every endpoint
// uses: it must never panic, everything it refuses is invalid_request or
// invalid_input, and every string it accepts is storable.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"email":"a@b.co","password":"x"}`, `{"email":`, `[]`, `{} {}`, `{"x":1}`, "\xff", `{"email":"\u0000"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		v, err := decode("application/json", body)
		if err != nil && varco.ErrorCode(err) != varco.EInvalid && varco.ErrorCode(err) != varco.EInvalidInput {
			t.Fatalf("body %q: error %v is not invalid_request or invalid_input", body, err)
		}
		if err == nil && (!text.Storable(v.Email) || !text.Storable(v.Password) || !text.Storable(v.App)) {
			t.Fatalf("body %q: accepted %+v, which the store cannot take", body, v)
		}
	})
}
