package varco

// Push 2-step verification (SPEC §6, §9a "Push").

// Sign-in flow states of a push approval.
const (
	StatePushRequired = "push_required"
	StatePushDenied   = "push_denied"
	// StatePushApproved is the stored state of a flow whose push was
	// approved and whose session has not been handed out yet; GET
	// /login/{flow} opens it once and answers authenticated.
	StatePushApproved = "push_approved"
)

// Push events (SPEC §6; registry in events.go).
const (
	EventTwoFactorEnabled  = "two_factor_enabled"
	EventTwoFactorDisabled = "two_factor_disabled"
	EventDeviceEnrolled    = "device_enrolled"
	EventDeviceRemoved     = "device_removed"
	EventPushSent          = "push_sent"
	EventPushApproved      = "push_approved"
	EventPushDenied        = "push_denied"
	EventPushReported      = "push_reported"
	EventPushExpired       = "push_expired"
	// EventPushCancelled: the requester withdrew a request before its
	// outcome was taken (a device replacement the new device gave up).
	EventPushCancelled = "push_cancelled"
	// EventRecoveryCodesRegenerated: new recovery codes replaced the old
	// ones after an approval on the device (SPEC §6.1 "regenerable").
	EventRecoveryCodesRegenerated = "recovery_codes_regenerated"
)

// Error codes of push verification.
const (
	// EPushMuted: a reported request muted push for the account (429, with
	// retry_after).
	EPushMuted = "push_muted"
	// EPushRateLimited: a request is pending, or the account had too many
	// requests lately (429, with retry_after).
	EPushRateLimited = "push_rate_limited"
	// EPushNotFound: no such request for this device.
	EPushNotFound = "push_request_not_found"
	// EPushAnswered: the request already has its decision (or expired).
	EPushAnswered = "push_already_answered"
	// EInvalidSignature: the decision is not signed by the device's key.
	EInvalidSignature = "invalid_signature"
	// ERecoveryCodeRequired: the account has a device; replacing it needs
	// a recovery code or an approval on the old device (SPEC §6.1). The
	// web app's enrollment answers it when it asked for neither (the
	// command-line authenticator asks the old device by default).
	ERecoveryCodeRequired = "recovery_code_required"
	// EInvalidRecoveryCode: not one of the account's unused recovery codes.
	EInvalidRecoveryCode = "invalid_recovery_code"
	// EStepUpRequired: the authenticator's sign-in is risky and needs a
	// step-up the command-line authenticator cannot do.
	EStepUpRequired = "step_up_required"
	// ETwoFactorOff: 2-step verification is off.
	ETwoFactorOff = "two_factor_off"
	// EDeviceUVRequired: the device's approval (or its WebAuthn
	// registration) did not prove user verification: no PIN, fingerprint
	// or face (SPEC §6.3).
	EDeviceUVRequired = "device_user_verification_required"
	// EInvalidPushEndpoint: a Web Push subscription's endpoint is not an
	// https URL of a push service (http only on loopback).
	EInvalidPushEndpoint = "invalid_push_endpoint"
	// EInvalidPushKeys: a Web Push subscription's keys are not a P-256
	// point (p256dh) and 16 bytes (auth), base64url.
	EInvalidPushKeys = "invalid_push_keys"
)
