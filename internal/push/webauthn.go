package push

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
)

// KindWebAuthn is the authenticator web app's device kind: its device key
// is a WebAuthn platform credential, and its decisions are assertions
// (SPEC §6.1, §6.3, §6.7).
const KindWebAuthn = "webauthn"

// MaxCredentialBytes bounds a registration or assertion response as the
// app sends it (JSON, base64url fields).
const MaxCredentialBytes = 16 << 10

// relyingParty is the WebAuthn relying party of the public URL: its origin
// and, as RP ID, its host name. A public URL whose host is an IP address
// has no RP ID: the web app cannot enroll there.
type relyingParty struct {
	wa  *webauthn.WebAuthn
	err error
}

func newRelyingParty(publicURL string) relyingParty {
	if publicURL == "" {
		return relyingParty{err: errors.New("no public URL")}
	}
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" {
		return relyingParty{err: fmt.Errorf("public URL %q: not an absolute URL", publicURL)}
	}
	origin := u.Scheme + "://" + u.Host
	wa, err := webauthn.New(&webauthn.Config{RPID: u.Hostname(), RPDisplayName: "varco", RPOrigins: []string{origin},
		AttestationPreference: protocol.PreferNoAttestation})
	if err == nil {
		err = protocol.ValidateRPID(u.Hostname())
	}
	if err != nil {
		return relyingParty{err: fmt.Errorf("webauthn relying party of %q: %w", publicURL, err)}
	}
	return relyingParty{wa: wa}
}

// webAuthnUser is the account as WebAuthn sees it: a random user handle
// (the device id, nothing about the person) and, once enrolled, the one
// credential.
type webAuthnUser struct {
	handle []byte
	name   string
	creds  []webauthn.Credential
}

func (u *webAuthnUser) WebAuthnID() []byte                         { return u.handle }
func (u *webAuthnUser) WebAuthnName() string                       { return u.name }
func (u *webAuthnUser) WebAuthnDisplayName() string                { return u.name }
func (u *webAuthnUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// Registration is the start of a WebAuthn enrollment: the options the app
// passes to navigator.credentials.create, and what the server keeps to
// check the answer.
type Registration struct {
	Options    json.RawMessage // {"publicKey": {...}}
	UserHandle []byte
	Challenge  []byte
}

// unavailable is the error of a server whose public URL cannot be a
// WebAuthn relying party.
func unavailable() error { return varco.E(varco.EMethodUnavailable, "error.webauthn_unavailable") }

// BeginRegistration starts the registration of a platform credential with
// user verification required, for an account shown to the authenticator as
// name (its e-mail).
func (r *Rules) BeginRegistration(name string) (*Registration, error) {
	if r.rp.err != nil {
		return nil, unavailable()
	}
	handle := make([]byte, 16)
	if _, err := rand.Read(handle); err != nil {
		return nil, fmt.Errorf("random user handle: %w", err)
	}
	creation, session, err := r.rp.wa.BeginRegistration(&webAuthnUser{handle: handle, name: name},
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{AuthenticatorAttachment: protocol.Platform,
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationRequired}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	if err != nil {
		return nil, fmt.Errorf("begin webauthn registration: %w", err)
	}
	challenge, err := base64.RawURLEncoding.DecodeString(session.Challenge)
	if err != nil {
		return nil, fmt.Errorf("begin webauthn registration: %w", err)
	}
	opts, err := json.Marshal(creation)
	if err != nil {
		return nil, fmt.Errorf("begin webauthn registration: %w", err)
	}
	return &Registration{Options: opts, UserHandle: handle, Challenge: challenge}, nil
}

// FinishRegistration checks the app's answer to a registration (the
// PublicKeyCredential as JSON) against the challenge and user handle kept
// at its start: the origin, the RP ID, the challenge and user verification
// must hold. It returns the device to enroll (no token yet).
// invalid_request when the answer does not hold,
// device_user_verification_required when the key was made without user
// verification.
func (r *Rules) FinishRegistration(handle, challenge, response []byte) (*store.PushDevice, error) {
	if r.rp.err != nil {
		return nil, unavailable()
	}
	if len(response) > MaxCredentialBytes {
		return nil, badRegistration()
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return nil, badRegistration()
	}
	// User verification is checked below rather than by the library, so
	// that its absence has its own answer.
	session := webauthn.SessionData{Challenge: base64.RawURLEncoding.EncodeToString(challenge), UserID: handle,
		UserVerification: protocol.VerificationPreferred, CredParams: webauthn.CredentialParametersDefault()}
	cred, err := r.rp.wa.CreateCredential(&webAuthnUser{handle: handle}, session, parsed)
	if err != nil {
		return nil, badRegistration()
	}
	if !cred.Flags.UserVerified {
		return nil, varco.E(varco.EDeviceUVRequired, "error.device_uv_required")
	}
	return &store.PushDevice{PublicID: base64.RawURLEncoding.EncodeToString(handle), Kind: KindWebAuthn,
		PublicKey: cred.PublicKey, CredentialID: cred.ID, SignCount: cred.Authenticator.SignCount,
		BackupEligible: cred.Flags.BackupEligible}, nil
}

func badRegistration() error { return varco.E(varco.EInvalid, "error.webauthn_registration") }

// Challenge is the WebAuthn challenge of a decision: the SHA-256 of the
// message a command-line device signs, so the server recomputes it from
// the request and the decision and nothing is kept between the two.
func Challenge(requestID string, nonce []byte, decision, number string, contextHash []byte) []byte {
	h := sha256.Sum256(Message(requestID, nonce, decision, number, contextHash))
	return h[:]
}

// ParseAssertion reads an assertion (a PublicKeyCredential from
// navigator.credentials.get, as JSON) without checking it.
// invalid_request when it is malformed.
func ParseAssertion(raw []byte) (*protocol.ParsedCredentialAssertionData, error) {
	if len(raw) == 0 || len(raw) > MaxCredentialBytes {
		return nil, badDecision()
	}
	p, err := protocol.ParseCredentialRequestResponseBytes(raw)
	if err != nil {
		return nil, badDecision()
	}
	return p, nil
}

// verifyAssertion checks a webauthn device's assertion over challenge:
// the credential id, the client data's type, challenge and origin, the RP
// ID hash, user presence and the signature (invalid_signature), then user
// verification (device_user_verification_required when approving). It
// returns the assertion's signature counter, which the caller checks once
// it knows the request may still be answered.
func (r *Rules) verifyAssertion(dev *store.PushDevice, raw []byte, challenge []byte, needUV bool) (uint32, error) {
	if r.rp.err != nil {
		return 0, unavailable()
	}
	parsed, err := ParseAssertion(raw)
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(parsed.RawID, dev.CredentialID) {
		return 0, varco.E(varco.EInvalidSignature, "error.push_signature")
	}
	handle, err := base64.RawURLEncoding.DecodeString(dev.PublicID)
	if err != nil {
		return 0, varco.E(varco.EInvalidSignature, "error.push_signature")
	}
	user := &webAuthnUser{handle: handle, creds: []webauthn.Credential{{ID: dev.CredentialID, PublicKey: dev.PublicKey,
		Flags: webauthn.CredentialFlags{BackupEligible: dev.BackupEligible}, Authenticator: webauthn.Authenticator{SignCount: dev.SignCount}}}}
	// User verification is checked here, after the signature, so that its
	// absence has its own answer (SPEC §6.3).
	session := webauthn.SessionData{Challenge: base64.RawURLEncoding.EncodeToString(challenge), UserID: handle,
		AllowedCredentialIDs: [][]byte{dev.CredentialID}, UserVerification: protocol.VerificationPreferred}
	if _, err := r.rp.wa.ValidateLogin(user, session, parsed); err != nil {
		return 0, varco.E(varco.EInvalidSignature, "error.push_signature")
	}
	if needUV && !parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
		return 0, varco.E(varco.EDeviceUVRequired, "error.device_uv_required")
	}
	return parsed.Response.AuthenticatorData.Counter, nil
}

// counterAdvances reports whether an assertion's signature counter may
// follow the stored one: it must grow, unless the authenticator keeps no
// counter (both zero). A counter that does not grow is a cloned key.
func counterAdvances(stored, got uint32) bool {
	return got > stored || (got == 0 && stored == 0)
}
