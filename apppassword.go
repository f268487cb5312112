package varco

// App passwords for mail clients (SPEC §7, §9a "App passwords", "Mail auth").

// App password and mail login events (SPEC §7; registry in events.go).
const (
	EventAppPasswordCreated = "app_password_created"
	EventAppPasswordRotated = "app_password_rotated"
	EventAppPasswordDeleted = "app_password_deleted"
	// EventAppPasswordExpiryWarningSent and EventAppPasswordExpired are the
	// lifecycle jobs' notices of an app password's expiry (SPEC §7.3).
	EventAppPasswordExpiryWarningSent = "app_password_expiry_warning_sent"
	EventAppPasswordExpired           = "app_password_expired"
	EventMailLoginSucceeded           = "mail_login_succeeded"
	EventMailLoginFailed              = "mail_login_failed"
)

// AppPasswordWarningDays are the days before an app password's expiry on
// which its owner is warned (SPEC §7.3 [days default]); it is told once
// more at expiry.
var AppPasswordWarningDays = []int{14, 7, 1}

// Error codes of app passwords.
const (
	// ETwoFactorRequired: an app password needs 2-step verification on.
	ETwoFactorRequired = "two_factor_required"
	// ENoMailProtocol: an app password needs IMAP, POP3 or SMTP enabled.
	ENoMailProtocol = "no_mail_protocol_enabled"
	// EAppPasswordLimit: the account already has the most app passwords.
	EAppPasswordLimit = "app_password_limit_reached"
)

// Mail protocols and resources (SPEC §1 "Mail access").
const (
	ProtocolIMAP    = "imap"
	ProtocolPOP3    = "pop3"
	ProtocolSMTP    = "smtp"
	ResourceMailbox = "mailbox"
	ResourceArchive = "archive"
)

// ArchivePlan reports whether plan has the mail archive (SPEC §7.5).
func ArchivePlan(plan string) bool { return plan == PlanPro || plan == PlanPremium }
