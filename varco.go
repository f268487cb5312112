// Package varco holds the domain types shared by every part of the service:
// organizations, accounts, sessions and activity events. It knows nothing of
// SQL or HTTP.
package varco

import (
	"strings"
	"sync"
	"time"
	// Time zones are validated and shown without the system's tzdata.
	_ "time/tzdata"
)

// Plans an organization can be on (SPEC §1).
const (
	PlanBasic   = "basic"
	PlanPro     = "pro"
	PlanPremium = "premium"
)

// ValidPlan reports whether p is a known plan.
func ValidPlan(p string) bool { return p == PlanBasic || p == PlanPro || p == PlanPremium }

// Org is a tenant: it holds users, a password policy and a plan.
type Org struct {
	ID       int64
	Name     string
	Plan     string
	Policy   Policy
	TimeZone string // IANA name; the default zone of its accounts
	// Country (ISO 3166 alpha-2) is where a phone number written without
	// its country code is dialled: NormalizePhone's default.
	Country   string
	CreatedAt time.Time
}

// Roles (SPEC §1).
const (
	RoleUser     = "user"
	RoleOrgAdmin = "org_admin"
	RoleSupport  = "support"
)

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool { return r == RoleUser || r == RoleOrgAdmin || r == RoleSupport }

// Account statuses (SPEC §1).
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusLocked    = "locked"
	StatusDisabled  = "disabled"
)

// Languages the UI and the messages speak.
const (
	LangIT = "it"
	LangEN = "en"
)

// ValidLang reports whether l is a supported language.
func ValidLang(l string) bool { return l == LangIT || l == LangEN }

// Account is a person who signs in. Email is the login; ContactEmail, when
// verified, is where notifications go.
type Account struct {
	ID                   int64
	OrgID                int64 // 0 for support accounts, which belong to no organization
	OrgName              string
	Email                string
	ContactEmail         string
	ContactEmailVerified bool
	Phone                string // E.164
	PhoneVerified        bool
	DisplayName          string
	Lang                 string
	Role                 string
	Status               string
	PasswordHash         string
	PasswordChangedAt    time.Time
	MustChangePassword   bool
	LastLoginAt          time.Time // zero when never
	CreatedAt            time.Time
	TimeZone             string // IANA name the user chose; "" follows the organization
	OrgTimeZone          string // the organization's zone; "" for none
}

// Location is where the account's times are shown (SPEC §3): its own zone,
// else its organization's, else DefaultTimeZone. A stored name that no
// longer loads falls through to the next.
func (a *Account) Location() *time.Location {
	for _, name := range []string{a.TimeZone, a.OrgTimeZone} {
		if loc, err := LoadTimeZone(name); err == nil {
			return loc
		}
	}
	loc, _ := LoadTimeZone(DefaultTimeZone)
	return loc
}

// DefaultTimeZone is the zone of an organization created without one, and of
// accounts in no organization: varco's customers are Italian.
const DefaultTimeZone = "Europe/Rome"

// maxTimeZoneLen bounds a zone name; the longest IANA name has 32 bytes.
const maxTimeZoneLen = 64

// LoadTimeZone returns the location of an IANA zone name ("Europe/Rome",
// "UTC"). It refuses "", "Local" and anything time.LoadLocation does not
// know, with an EInvalid error: the name comes from users.
func LoadTimeZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" || len(name) > maxTimeZoneLen {
		return nil, E(EInvalid, "error.time_zone")
	}
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, E(EInvalid, "error.time_zone")
	}
	// Only zones that exist are kept, a few hundred at most: time.LoadLocation
	// reads and parses the zone's file on every call, which showed in the
	// profile of every GET /api/v1/me.
	zones.Store(name, loc)
	return loc, nil
}

// zones caches the locations LoadTimeZone found, by name.
var zones sync.Map

// Language is the language the account is written to in (SPEC §8): its
// own, LangIT when it has none or one varco does not speak.
func (a *Account) Language() string {
	if !ValidLang(a.Lang) {
		return LangIT
	}
	return a.Lang
}

// Meta describes where a request comes from; it goes into the activity
// history, the session and the e-mails it causes.
type Meta struct {
	IP          string
	UserAgent   string
	Application string
	Location    string
}

// NotifyAddress is where e-mail for the account goes: the verified contact
// address when there is one, else the login address (SPEC §9a).
func (a *Account) NotifyAddress() string {
	if a.ContactEmail != "" && a.ContactEmailVerified {
		return a.ContactEmail
	}
	return a.Email
}

// Session is a signed-in browser or API client. The token itself is never
// stored; TokenHash is its SHA-256.
type Session struct {
	ID         int64
	AccountID  int64
	TokenHash  []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute limit
	IP         string
	UserAgent  string
	// Restricted sessions may only change the password (SPEC §2.6).
	Restricted bool
}

// Actors of an activity event.
const (
	ActorSelf    = "self"
	ActorAdmin   = "admin"
	ActorSupport = "support"
	ActorSystem  = "system"
	ActorReset   = "reset"
)

// Outcomes of an activity event.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
)

// Activity event names (SPEC §3). They are part of the contract.
const (
	EventLoginSucceeded         = "login_succeeded"
	EventLoginFailed            = "login_failed"
	EventPasswordChanged        = "password_changed"
	EventSessionRevoked         = "session_revoked"
	EventAccountDisabled        = "account_disabled"
	EventAccountEnabled         = "account_enabled"
	EventOutboxRetried          = "outbox_message_retried"
	EventAccountCreated         = "account_created"
	EventLogout                 = "logout"
	EventPasswordResetRequested = "password_reset_requested"
	EventPasswordResetCompleted = "password_reset_completed"
	EventOrgPolicyChanged       = "org_policy_changed"
	// An admin made the account change its password at the next sign-in.
	EventPasswordChangeRequired = "password_change_required"

	EventPasswordExpiryWarningSent = "password_expiry_warning_sent"
	EventInactivityWarningSent     = "inactivity_warning_sent"
	EventAccountSuspended          = "account_suspended"
	EventAccountReactivated        = "account_reactivated"

	// Risk-based step-up and lockout (SPEC §5.3–5.9).
	EventStepUpRequired  = "step_up_required"
	EventPINSent         = "pin_sent"
	EventPINFailed       = "pin_failed"
	EventOTPSent         = "otp_sent"
	EventOTPFailed       = "otp_failed"
	EventStepUpSucceeded = "step_up_succeeded"
	EventAccountLocked   = "account_locked"
	EventAccountUnlocked = "account_unlocked"
	EventLoginAlertSent  = "login_alert_sent"

	// Phone and contact e-mail verification from the profile (SPEC §1).
	EventPhoneVerificationSent        = "phone_verification_sent"
	EventPhoneVerificationFailed      = "phone_verification_failed"
	EventPhoneVerified                = "phone_verified"
	EventPhoneRemoved                 = "phone_removed"
	EventContactEmailVerificationSent = "contact_email_verification_sent"
	EventContactEmailVerified         = "contact_email_verified"
)

// Event is one entry of the append-only activity history.
type Event struct {
	ID          int64
	Time        time.Time
	AccountID   int64 // 0 when the event concerns no known account
	OrgID       int64
	Event       string
	Actor       string
	ActorID     int64
	IP          string
	Location    string
	UserAgent   string
	Application string
	Outcome     string
	Detail      string // short, safe, human text: never a secret
	// Count is how many identical occurrences the event stands for: 0 or
	// 1 for one, more for repeated mail login failures recorded once.
	Count int64

	// Where the event stands in the history (see ChainOf), set on append.
	Chain    string
	ChainSeq int64  // 1 for a chain's first event
	KeyID    string // the AuditKeys key Hash is sealed with; "" in the legacy chain
	PrevHash []byte // Hash of the chain's previous event; empty for the first
	Hash     []byte
}

// NormalizeEmail lower-cases and trims an e-mail address. It does not decide
// validity; see ValidEmail.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
