// Package softkey is a software WebAuthn authenticator for tests: it
// answers registrations (attestation "none") and assertions with real
// bytes — CBOR attestation object, authenticator data, client data JSON
// and an ECDSA P-256 signature — as a platform authenticator would, and
// can be told to misbehave (no user verification, another origin, a
// counter that goes back).
package softkey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/url"
)

// Key is one credential of the authenticator.
type Key struct {
	priv    *ecdsa.PrivateKey
	ID      []byte
	Handle  []byte // the user handle it was registered with
	RPID    string
	Origin  string
	Counter uint32
}

// Options change one ceremony's answer.
type Options struct {
	NoUV      bool   // user verification not done (UV flag clear)
	Origin    string // the client data's origin instead of the key's
	Type      string // the client data's type instead of webauthn.create / webauthn.get
	Counter   *uint32
	Challenge []byte // signed instead of the given challenge
	// ClientData is the client data JSON signed as it is, instead of the
	// one made from the fields above.
	ClientData []byte
}

// creationOptions is what is read of the server's options.
type creationOptions struct {
	PublicKey struct {
		Challenge string `json:"challenge"`
		RP        struct {
			ID string `json:"id"`
		} `json:"rp"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		AuthenticatorSelection struct {
			UserVerification string `json:"userVerification"`
		} `json:"authenticatorSelection"`
	} `json:"publicKey"`
}

// Register answers a registration: options is the server's
// {"publicKey": {...}} and origin the page's. It returns the new key and
// the PublicKeyCredential as the browser's JSON.
func Register(options []byte, origin string, o Options) (*Key, []byte, error) {
	var co creationOptions
	if err := json.Unmarshal(options, &co); err != nil {
		return nil, nil, fmt.Errorf("creation options: %w", err)
	}
	challenge, err := base64.RawURLEncoding.DecodeString(co.PublicKey.Challenge)
	if err != nil {
		return nil, nil, fmt.Errorf("challenge: %w", err)
	}
	handle, err := base64.RawURLEncoding.DecodeString(co.PublicKey.User.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("user id: %w", err)
	}
	rpID := co.PublicKey.RP.ID
	if rpID == "" {
		u, err := url.Parse(origin)
		if err != nil {
			return nil, nil, err
		}
		rpID = u.Hostname()
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	id := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return nil, nil, err
	}
	k := &Key{priv: priv, ID: id, Handle: handle, RPID: rpID, Origin: origin}
	if o.Challenge != nil {
		challenge = o.Challenge
	}
	cd := k.clientData("webauthn.create", challenge, o)
	flags := byte(0x01 | 0x40) // UP, AT
	if !o.NoUV {
		flags |= 0x04
	}
	auth := k.authData(flags, k.counter(o))
	auth = append(auth, make([]byte, 16)...) // AAGUID
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(id)))
	auth = append(auth, id...)
	auth = append(auth, k.coseKey()...)
	// {"fmt": "none", "attStmt": {}, "authData": auth}
	att := []byte{0xa3}
	att = cborText(att, "fmt")
	att = cborText(att, "none")
	att = cborText(att, "attStmt")
	att = append(att, 0xa0)
	att = cborText(att, "authData")
	att = cborBytes(att, auth)
	b64 := base64.RawURLEncoding.EncodeToString
	out, err := json.Marshal(map[string]any{"id": b64(id), "rawId": b64(id), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64(cd), "attestationObject": b64(att), "transports": []string{"internal"}}})
	return k, out, err
}

// Assert answers an assertion over challenge: the PublicKeyCredential as
// the browser's JSON. The counter grows by one first, unless o sets it.
func (k *Key) Assert(challenge []byte, o Options) ([]byte, error) {
	if o.Challenge != nil {
		challenge = o.Challenge
	}
	k.Counter++
	cd := k.clientData("webauthn.get", challenge, o)
	flags := byte(0x01)
	if !o.NoUV {
		flags |= 0x04
	}
	auth := k.authData(flags, k.counter(o))
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, auth...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, digest[:])
	if err != nil {
		return nil, err
	}
	b64 := base64.RawURLEncoding.EncodeToString
	return json.Marshal(map[string]any{"id": b64(k.ID), "rawId": b64(k.ID), "type": "public-key",
		"authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
		"response": map[string]any{"clientDataJSON": b64(cd), "authenticatorData": b64(auth), "signature": b64(sig),
			"userHandle": b64(k.Handle)}})
}

func (k *Key) counter(o Options) uint32 {
	if o.Counter != nil {
		return *o.Counter
	}
	return k.Counter
}

func (k *Key) clientData(typ string, challenge []byte, o Options) []byte {
	if o.ClientData != nil {
		return o.ClientData
	}
	if o.Type != "" {
		typ = o.Type
	}
	origin := k.Origin
	if o.Origin != "" {
		origin = o.Origin
	}
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": base64.RawURLEncoding.EncodeToString(challenge),
		"origin": origin, "crossOrigin": false})
	return b
}

func (k *Key) authData(flags byte, counter uint32) []byte {
	h := sha256.Sum256([]byte(k.RPID))
	b := append(h[:], flags)
	return binary.BigEndian.AppendUint32(b, counter)
}

// coseKey is the EC2 P-256 public key in COSE: {1: 2, 3: -7, -1: 1, -2: x, -3: y}.
func (k *Key) coseKey() []byte {
	pt, _ := k.priv.PublicKey.Bytes() // 0x04 | x | y
	x, y := pt[1:33], pt[33:65]
	b := []byte{0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21}
	b = cborBytes(b, x)
	b = append(b, 0x22)
	return cborBytes(b, y)
}

func cborHead(b []byte, major byte, n int) []byte {
	switch {
	case n < 24:
		return append(b, major<<5|byte(n))
	case n < 256:
		return append(b, major<<5|24, byte(n))
	default:
		return binary.BigEndian.AppendUint16(append(b, major<<5|25), uint16(n))
	}
}

func cborText(b []byte, s string) []byte  { return append(cborHead(b, 3, len(s)), s...) }
func cborBytes(b []byte, v []byte) []byte { return append(cborHead(b, 2, len(v)), v...) }
