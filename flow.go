package varco

import (
	"slices"
	"strings"
	"time"
)

// Sign-in flow states (SPEC §9): what a login answers, what GET
// /login/{flow} shows, and what a stored login flow is in.
const (
	StateAuthenticated          = "authenticated"
	StatePasswordChangeRequired = "password_change_required"
	StateStepUpRequired         = "step_up_required"
	StateExpired                = "expired"
	// StateLocked is the stored state of a flow whose account locked; it
	// is answered as account_locked, never shown.
	StateLocked = "locked"
)

// Step-up methods (SPEC §5.4, §9).
const (
	MethodEmailPIN = "email_pin"
	MethodSMSOTP   = "sms_otp"
)

// Methods is a set of step-up methods, in the order they are offered.
type Methods []string

// ParseMethods reads a set as String writes it; "" is the empty set.
func ParseMethods(s string) Methods {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// String is the set comma-separated, as it is stored.
func (ms Methods) String() string { return strings.Join(ms, ",") }

// Has reports whether m is in the set.
func (ms Methods) Has(m string) bool { return slices.Contains(ms, m) }

// StepUpCounters are an account's lockout counters (SPEC §5.5–5.6).
type StepUpCounters struct {
	PINConsecutive  int
	PINTotal        int
	PINLastFailedAt time.Time
	OTPTotal        int
	LockedReason    string // why the account locked (LockPINConsecutive, …); "" when it did not
}

// Why an account locked, kept with its counters for support (SPEC §5.8).
const (
	LockPINConsecutive = "pin_consecutive"
	LockPINTotal       = "pin_total"
	LockOTPTotal       = "otp_total"
)

// Kinds of contact verification (SPEC §1).
const (
	VerifyPhone        = "phone"
	VerifyContactEmail = "contact_email"
)
