package httpx

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"varco.dev/varco"
	"varco.dev/varco/internal/text"
)

// MaxBody is the largest request body any endpoint reads.
const MaxBody = 1 << 20

// DecodeJSON reads exactly one JSON object from r's body into v. It refuses
// a wrong content type, a body over MaxBody, unknown fields, wrong types and
// trailing data, always with an EInvalid error that says what is wrong. A
// string holding NUL (JSON "\u0000") is refused with invalid_input naming
// the field (internal/text); invalid UTF-8 and lone surrogates were already
// replaced by U+FFFD while decoding.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" { // else the one most clients send
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return varco.E(varco.EInvalid, "error.body_not_json")
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return varco.E(varco.EInvalid, "error.body_single")
	}
	return checkStrings(reflect.ValueOf(v), "")
}

// checkStrings applies text.Check to every string reachable from v, naming
// it by its JSON field path.
func checkStrings(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return checkStrings(v.Elem(), path)
	case reflect.String:
		return text.Check(path, v.String())
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if err := checkStrings(v.Field(i), join(path, name)); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if err := checkStrings(v.Index(i), path); err != nil {
				return err
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if err := checkStrings(it.Key(), path); err != nil {
				return err
			}
			if err := checkStrings(it.Value(), join(path, it.Key().String())); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return varco.E(varco.EInvalid, "error.body_large", MaxBody)
	case errors.As(err, &syntax):
		return varco.E(varco.EInvalid, "error.body_syntax", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return varco.E(varco.EInvalid, "error.field_type", typ.Field, typ.Type)
		}
		return varco.E(varco.EInvalid, "error.body_object")
	case errors.Is(err, io.EOF):
		return varco.E(varco.EInvalid, "error.body_empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return varco.E(varco.EInvalid, "error.body_truncated")
	}
	if msg := err.Error(); len(msg) > 20 && msg[:20] == "json: unknown field " {
		return varco.E(varco.EInvalid, "error.field_unknown", msg[20:])
	}
	return varco.E(varco.EInvalid, "error.body_unreadable")
}

// WriteJSON answers v with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	jsonHeaders(w)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteJSONBody answers body, JSON encoded beforehand (ending in a
// newline, as WriteJSON's), with the given status: for answers that never
// change.
func WriteJSONBody(w http.ResponseWriter, status int, body []byte) {
	jsonHeaders(w)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// The values of jsonHeaders, shared by every answer as SecurityHeaders'
// are: each slice has length and capacity 1, so a later Set replaces it
// and an Add copies it.
var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	noStore         = []string{"no-store"}
)

func jsonHeaders(w http.ResponseWriter) {
	h := w.Header()
	h["Content-Type"] = jsonContentType[:1:1]
	h["Cache-Control"] = noStore[:1:1]
}

// Status returns the HTTP status for an error code.
func Status(code string) int {
	switch code {
	case varco.EInvalid, varco.EInvalidInput, varco.EInvalidOrExpiredToken, varco.EPasswordTooShort, varco.EPasswordTooLong, varco.EPasswordNeedsLetterDigit,
		varco.EPasswordTooCommon, varco.EPasswordContainsEmail, varco.EPasswordReused, varco.EMethodUnavailable,
		varco.EUnknownApplication:
		return http.StatusBadRequest
	case varco.EUnauthorized, varco.EInvalidCredentials, varco.EInvalidCode, varco.EInvalidSignature, varco.EInvalidRecoveryCode:
		return http.StatusUnauthorized
	case varco.EForbidden, varco.EAccountLocked, varco.EAccountSuspended, varco.EAccountDisabled, varco.EPasswordChangeRequire,
		varco.ERecoveryCodeRequired, varco.EStepUpRequired, varco.EDeviceUVRequired:
		return http.StatusForbidden
	case varco.EInvalidPhone: // contact verification
		return http.StatusBadRequest
	case varco.EInvalidPushEndpoint, varco.EInvalidPushKeys: // Web Push subscription
		return http.StatusBadRequest
	case varco.ENotFound, varco.EFlowNotFound, varco.EPushNotFound:
		return http.StatusNotFound
	case varco.EConflict, varco.ENoCodeSent, varco.EPushAnswered, varco.ETwoFactorOff,
		varco.ETwoFactorRequired, varco.ENoMailProtocol, varco.EAppPasswordLimit:
		return http.StatusConflict
	case varco.ETooManyAttempts, varco.EOTPRateLimited, varco.EPushMuted, varco.EPushRateLimited:
		return http.StatusTooManyRequests
	case varco.EOverloaded:
		return http.StatusServiceUnavailable
	case "method_not_allowed":
		return http.StatusMethodNotAllowed
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON shape of every error (SPEC §9).
type ErrorBody struct {
	Error      string `json:"error"`
	Message    string `json:"message"`
	RetryAfter int    `json:"retry_after,omitempty"`
	// AttemptsLeft warns before the wrong code that would lock the account (SPEC §9a).
	AttemptsLeft int `json:"attempts_left,omitempty"`
	// Field names the request field an invalid_input is about.
	Field string `json:"field,omitempty"`
}

// WriteError answers err as {"error", "message"}. Internal errors are logged
// with their detail and answered with a generic message.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := varco.ErrorCode(err)
	body := ErrorBody{Error: code, Message: LocalizedMessage(err, RequestLang(r))}
	var ve *varco.Error
	if errors.As(err, &ve) && ve.RetryAfter > 0 {
		body.RetryAfter = ve.RetryAfter
		w.Header().Set("Retry-After", strconv.Itoa(ve.RetryAfter))
	}
	if ve != nil && ve.AttemptsLeft > 0 {
		body.AttemptsLeft = ve.AttemptsLeft
	}
	if ve != nil {
		body.Field = ve.Field
	}
	status := Status(code)
	if status >= 500 && log != nil {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", LogPath(r.URL.Path), "error", err)
	}
	WriteJSON(w, status, body)
}

// PathID parses a positive integer path value.
func PathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, varco.Errorf(varco.ENotFound, "%s not found", name)
	}
	return id, nil
}

// Invalid is a shorthand for an EInvalid error whose message is the
// catalogue text key formatted with args.
func Invalid(key string, args ...any) error {
	return varco.E(varco.EInvalid, key, args...)
}
