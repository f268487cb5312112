package push

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"varco.dev/varco"
)

// Decisions a device signs (SPEC §6.3–6.4).
const (
	DecisionApprove = "approve"
	DecisionDeny    = "deny"
	DecisionReport  = "report"
)

// Decision is a device's signed answer to a request.
type Decision struct {
	RequestID string
	Decision  string
	Number    string // the number the user typed; may be empty for deny and report
	Signature []byte // Ed25519 over Message (a command-line device)
	// Assertion is a web app device's WebAuthn assertion (the
	// PublicKeyCredential as JSON) over Challenge.
	Assertion []byte
}

// decisionJSON is the body of POST /api/v1/authenticator/requests/{id}/decision.
type decisionJSON struct {
	Decision  string `json:"decision"`
	Number    string `json:"number"`
	Signature string `json:"signature,omitempty"` // base64url, no padding
	// Assertion is a WebAuthn assertion instead of a signature.
	Assertion json.RawMessage `json:"assertion,omitempty"`
}

// MaxDecisionBytes bounds a decision's body.
const MaxDecisionBytes = 1024 + MaxCredentialBytes

// ParseDecision reads a decision body for request id. It refuses
// anything malformed: an unknown decision, a number that is not 1–6 ASCII
// digits (empty allowed for deny and report), a signature that is not 64
// bytes, an id of the wrong shape, unknown fields.
func ParseDecision(id string, body []byte) (Decision, error) {
	if len(body) > MaxDecisionBytes || !validID(id) {
		return Decision{}, badDecision()
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var in decisionJSON
	if err := dec.Decode(&in); err != nil {
		return Decision{}, badDecision()
	}
	if dec.More() {
		return Decision{}, badDecision()
	}
	switch in.Decision {
	case DecisionApprove:
		if in.Number == "" {
			return Decision{}, badDecision()
		}
	case DecisionDeny, DecisionReport:
	default:
		return Decision{}, badDecision()
	}
	if !digits(in.Number, 6) {
		return Decision{}, badDecision()
	}
	if len(in.Assertion) > 0 {
		if in.Signature != "" {
			return Decision{}, badDecision()
		}
		if _, err := ParseAssertion(in.Assertion); err != nil {
			return Decision{}, err
		}
		return Decision{RequestID: id, Decision: in.Decision, Number: in.Number, Assertion: []byte(in.Assertion)}, nil
	}
	sig, err := base64.RawURLEncoding.DecodeString(in.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return Decision{}, badDecision()
	}
	return Decision{RequestID: id, Decision: in.Decision, Number: in.Number, Signature: sig}, nil
}

// EncodeDecision is the body the authenticator sends for d.
func EncodeDecision(d Decision) []byte {
	in := decisionJSON{Decision: d.Decision, Number: d.Number, Assertion: d.Assertion}
	if d.Assertion == nil {
		in.Signature = base64.RawURLEncoding.EncodeToString(d.Signature)
	}
	b, _ := json.Marshal(in)
	return b
}

// Message is what a device signs: the request id, its nonce, the
// decision, the typed number and the hash of the context shown, each
// length-prefixed so no two decisions share a message.
func Message(requestID string, nonce []byte, decision, number string, contextHash []byte) []byte {
	var b bytes.Buffer
	b.WriteString("varco-push-decision-v1\n")
	for _, f := range [][]byte{[]byte(requestID), nonce, []byte(decision), []byte(number), contextHash} {
		fmt.Fprintf(&b, "%d:", len(f))
		b.Write(f)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Sign returns d signed by sign over the request's nonce and context hash.
func Sign(sign func([]byte) []byte, d Decision, nonce, contextHash []byte) Decision {
	d.Signature = sign(Message(d.RequestID, nonce, d.Decision, d.Number, contextHash))
	return d
}

func badDecision() error { return varco.E(varco.EInvalid, "error.push_decision") }

// validID reports whether s has the shape of a request id (16 bytes,
// base64url).
func validID(s string) bool {
	if len(s) != 22 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// ValidID reports whether s has the shape of a request id.
func ValidID(s string) bool { return validID(s) }

func digits(s string, max int) bool {
	if len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
