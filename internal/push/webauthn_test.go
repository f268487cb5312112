package push

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
	"varco.dev/varco/internal/testenv/softkey"
)

const testOrigin = "https://auth.example.test"

// enrolledKey registers a software authenticator's credential with r.
func enrolledKey(t testing.TB, r *Rules) (*softkey.Key, *store.PushDevice) {
	t.Helper()
	reg, err := r.BeginRegistration("mario@example.test")
	if err != nil {
		t.Fatal(err)
	}
	key, cred, err := softkey.Register(reg.Options, testOrigin, softkey.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := r.FinishRegistration(reg.UserHandle, reg.Challenge, cred)
	if err != nil {
		t.Fatalf("finish registration: %v", err)
	}
	return key, dev
}

func TestRelyingParty(t *testing.T) {
	for url, ok := range map[string]bool{
		"https://auth.example.test":      true,
		"http://localhost:8080":          true,
		"http://127.0.0.1:8080":          false, // an IP address is no RP ID
		"":                               false,
		"not a url":                      false,
		"https://auth.example.test/path": true,
	} {
		r := New(Config{PublicURL: url})
		if _, err := r.BeginRegistration("x@example.test"); (err == nil) != ok {
			t.Errorf("%q: %v", url, err)
		} else if !ok && !varco.IsCode(err, varco.EMethodUnavailable) {
			t.Errorf("%q: %v, want method_unavailable", url, err)
		}
	}
}

// TestVerifyAssertion: what the web app's decisions must hold.
func TestVerifyAssertion(t *testing.T) {
	r := New(Config{PublicURL: testOrigin})
	key, dev := enrolledKey(t, r)
	if dev.Kind != KindWebAuthn || len(dev.CredentialID) != 32 || len(dev.PublicKey) == 0 {
		t.Fatalf("device %+v", dev)
	}
	c := Challenge("AAAAAAAAAAAAAAAAAAAAAA", []byte("nonce"), DecisionApprove, "123", []byte("ctx"))
	other := Challenge("AAAAAAAAAAAAAAAAAAAAAA", []byte("nonce"), DecisionApprove, "124", []byte("ctx"))
	for name, tc := range map[string]struct {
		o      softkey.Options
		needUV bool
		code   string
	}{
		"good":                 {o: softkey.Options{}, needUV: true},
		"no UV, approving":     {o: softkey.Options{NoUV: true}, needUV: true, code: varco.EDeviceUVRequired},
		"no UV, denying":       {o: softkey.Options{NoUV: true}},
		"other challenge":      {o: softkey.Options{Challenge: other}, code: varco.EInvalidSignature},
		"other origin":         {o: softkey.Options{Origin: "https://evil.example.test"}, code: varco.EInvalidSignature},
		"registration type":    {o: softkey.Options{Type: "webauthn.create"}, code: varco.EInvalidSignature},
		"client data not JSON": {o: softkey.Options{ClientData: []byte("{")}, code: varco.EInvalid},
	} {
		a, err := key.Assert(c, tc.o)
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.verifyAssertion(dev, a, c, tc.needUV)
		if varco.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %q", name, err, tc.code)
		}
	}
	// Another RP's credential with the same id.
	r2 := New(Config{PublicURL: "https://other.example.test"})
	a, _ := key.Assert(c, softkey.Options{})
	if _, err := r2.verifyAssertion(dev, a, c, true); !varco.IsCode(err, varco.EInvalidSignature) {
		t.Errorf("other RP: %v", err)
	}
	for _, tc := range []struct {
		stored, got uint32
		ok          bool
	}{{0, 0, true}, {0, 1, true}, {5, 6, true}, {5, 5, false}, {5, 4, false}, {5, 0, false}} {
		if counterAdvances(tc.stored, tc.got) != tc.ok {
			t.Errorf("counter %d after %d: want %v", tc.got, tc.stored, tc.ok)
		}
	}
}

// FuzzParseAssertion: whatever a device sends as an assertion,
// ParseAssertion and the check never panic, and nothing but an assertion
// over the right challenge, origin and type passes.
func FuzzParseAssertion(f *testing.F) {
	r := New(Config{PublicURL: testOrigin})
	key, dev := enrolledKey(f, r)
	c := Challenge("AAAAAAAAAAAAAAAAAAAAAA", []byte("nonce"), DecisionApprove, "123", []byte("ctx"))
	good, _ := key.Assert(c, softkey.Options{})
	f.Add(good)
	f.Add([]byte(`{"id":"","rawId":"","type":"public-key","response":{}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := ParseAssertion(raw)
		if err != nil {
			return
		}
		d := *dev
		if _, err := r.verifyAssertion(&d, raw, c, true); err != nil {
			return
		}
		cd := p.Response.CollectedClientData
		if cd.Challenge != base64.RawURLEncoding.EncodeToString(c) || cd.Origin != testOrigin || cd.Type != "webauthn.get" ||
			!p.Response.AuthenticatorData.Flags.HasUserVerified() {
			t.Fatalf("accepted %s", raw)
		}
	})
}

// FuzzClientData: a correctly signed assertion whose client data JSON is
// anything passes only when that JSON says webauthn.get, the challenge and
// the origin.
func FuzzClientData(f *testing.F) {
	r := New(Config{PublicURL: testOrigin})
	key, dev := enrolledKey(f, r)
	c := Challenge("AAAAAAAAAAAAAAAAAAAAAA", []byte("nonce"), DecisionDeny, "", []byte("ctx"))
	ch := base64.RawURLEncoding.EncodeToString(c)
	f.Add([]byte(`{"type":"webauthn.get","challenge":"` + ch + `","origin":"` + testOrigin + `"}`))
	f.Add([]byte(`{"type":"webauthn.get","challenge":"` + ch + `","origin":"` + testOrigin + `","crossOrigin":true}`))
	f.Add([]byte(`{"type":"webauthn.get","challenge":"` + ch + `","origin":"` + testOrigin + `","topOrigin":"https://x"}`))
	f.Add([]byte(`{"type":"webauthn.create","challenge":"` + ch + `","origin":"` + testOrigin + `"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, cdj []byte) {
		a, err := key.Assert(c, softkey.Options{ClientData: cdj})
		if err != nil {
			t.Fatal(err)
		}
		d := *dev
		if _, err := r.verifyAssertion(&d, a, c, false); err != nil {
			return
		}
		var cd struct {
			Type, Challenge, Origin string
		}
		if err := json.Unmarshal(cdj, &cd); err != nil || cd.Type != "webauthn.get" || cd.Challenge != ch || cd.Origin != testOrigin {
			t.Fatalf("accepted client data %s", cdj)
		}
	})
}
