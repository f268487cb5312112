package varco

import (
	"errors"
	"fmt"
	"math"
	"time"

	"varco.dev/varco/internal/i18n"
)

// Error codes. They are part of the public contract (SPEC §9, §9a): external
// tests and API clients match on them, so never rename one.
const (
	EInternal     = "internal"
	EInvalid      = "invalid_request"
	ENotFound     = "not_found"
	EConflict     = "conflict"
	EForbidden    = "forbidden"
	EUnauthorized = "unauthorized"
	EOverloaded   = "overloaded"

	EInvalidCredentials    = "invalid_credentials"
	EAccountLocked         = "account_locked"
	EAccountSuspended      = "account_suspended"
	EAccountDisabled       = "account_disabled"
	ETooManyAttempts       = "too_many_attempts"
	EPasswordChangeRequire = "password_change_required"
	EInvalidOrExpiredToken = "invalid_or_expired_token"
	EInvalidCode           = "invalid_code"
	EOTPRateLimited        = "otp_rate_limited"
	ENoCodeSent            = "no_code_sent"
	EFlowNotFound          = "flow_not_found"
	EMethodUnavailable     = "method_unavailable"
	// EInvalidInput is a string the service refuses to store: not UTF-8, a
	// NUL, or in a name or address a control or bidirectional formatting
	// character. Error.Field names the field (internal/text).
	EInvalidInput = "invalid_input"

	EPasswordTooShort         = "password_too_short"
	EPasswordTooLong          = "password_too_long"
	EPasswordNeedsLetterDigit = "password_needs_letter_and_digit"
	EPasswordTooCommon        = "password_too_common"
	EPasswordContainsEmail    = "password_contains_email"
	EPasswordReused           = "password_reused"
)

// Error codes of contact verification (phone and contact e-mail).
const (
	EInvalidPhone = "invalid_phone" // not "+" and 8–15 ASCII digits
)

// Error is an error with a stable code and a message that is safe to show
// to the caller. Anything that is not an *Error is reported as "internal".
type Error struct {
	Code    string
	Message string
	// RetryAfter, when positive, is the number of seconds the caller should
	// wait (answered as retry_after on 429s).
	RetryAfter int
	// AttemptsLeft, when positive, is how many more wrong codes the account
	// can take before it locks (answered as attempts_left on invalid_code).
	AttemptsLeft int
	// Field, when set, names the request field the error is about
	// (answered as field on invalid_input).
	Field string
	// Key and Args, when Key is set, are the message in the catalogue
	// (internal/i18n): the API writes it in the reader's language, and
	// Message is its English text.
	Key  string
	Args []any
}

func (e *Error) Error() string {
	return fmt.Sprintf("varco: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// TooManyAttempts is the too_many_attempts error of a limit that lets the
// caller try again after wait, rounded up to whole seconds (SPEC §9a).
func TooManyAttempts(wait time.Duration) *Error {
	e := E(ETooManyAttempts, "error.too_many_attempts")
	e.RetryAfter = int(math.Ceil(wait.Seconds()))
	return e
}

// E returns an *Error with the given code whose message is the catalogue
// text key formatted with args; Message holds it in English (the CLI's and
// the logs' language).
func E(code, key string, args ...any) *Error {
	return &Error{Code: code, Key: key, Args: args, Message: i18n.T(i18n.EN, key, args...)}
}

// Recode returns a copy of err's *Error with code instead of its own, the
// same message and field; an error that is no *Error stays internal.
func Recode(err error, code string) *Error {
	var e *Error
	if !errors.As(err, &e) {
		return &Error{Code: EInternal, Message: ErrorMessage(err)}
	}
	c := *e
	c.Code = code
	return &c
}

// ErrorCode returns the code of the first *Error in err's chain, "" for a
// nil error and EInternal for anything else.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the safe message of the first *Error in err's chain,
// or a generic text for internal errors (their details must not leak).
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }
