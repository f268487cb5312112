package webpush

import (
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadKey: the key is generated once (owner-only), read back the same
// afterwards, refused when missing and not to be created, and any file
// that is not a P-256 private key stops the start.
func TestLoadKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	if _, err := LoadKey(dir, false); !errors.Is(err, ErrNoKey) {
		t.Fatalf("missing, not to be created: %v", err)
	}
	k, err := LoadKey(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st.Mode(), err)
	}
	again, err := LoadKey(dir, true)
	if err != nil || !again.Equal(k) {
		t.Fatalf("read back: %v", err)
	}

	// A SEC 1 key, as older tools write it, is read too.
	sec1 := filepath.Join(t.TempDir(), KeyFile)
	der, _ := x509.MarshalECPrivateKey(k)
	os.WriteFile(sec1, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
	if got, err := LoadKey(filepath.Dir(sec1), false); err != nil || !got.Equal(k) {
		t.Fatalf("SEC 1 key: %v", err)
	}

	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der384, _ := x509.MarshalPKCS8PrivateKey(p384)
	for name, content := range map[string][]byte{
		"empty":    nil,
		"not PEM":  []byte("hello"),
		"P-384":    pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der384}),
		"bad DER":  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}),
		"a public": pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}}),
	} {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, KeyFile), content, 0o600)
		if _, err := LoadKey(d, true); err == nil {
			t.Errorf("%s: loaded", name)
		}
		if b, _ := os.ReadFile(filepath.Join(d, KeyFile)); string(b) != string(content) {
			t.Errorf("%s: the bad file was replaced", name)
		}
	}
	if os.Getuid() != 0 { // root reads anything
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, KeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY"}), 0o000)
		if _, err := LoadKey(d, true); err == nil || errors.Is(err, ErrNoKey) {
			t.Errorf("unreadable: %v", err)
		}
	}
}

// TestIsLoopback: only localhost and loopback addresses, not names that
// start like one.
func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{"localhost": true, "127.0.0.1": true, "127.1.2.3": true, "::1": true,
		"127.example.com": false, "example.com": false, "10.0.0.1": false, "": false, "::ffff:127.0.0.1": true} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

// TestSendErrorsHideTheEndpoint: the endpoint's path is a capability;
// an error names the push service by its origin only. A redirect is not
// followed.
func TestSendErrorsHideTheEndpoint(t *testing.T) {
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ua, _ := ecdh.P256().GenerateKey(rand.Reader)
	sub := Subscription{P256dh: enc(ua.PublicKey().Bytes()), Auth: enc(make([]byte, 16))}
	snd := &Sender{VAPID: &VAPID{Key: key, Subject: "mailto:a@b.test"}, AllowLoopback: true}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	sub.Endpoint = closed.URL + "/push/secret-capability"
	err = snd.Send(context.Background(), sub, []byte("x"), Options{})
	if err == nil || strings.Contains(err.Error(), "secret-capability") || !strings.Contains(err.Error(), closed.URL) {
		t.Errorf("network error: %v", err)
	}

	var followed bool
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed = true }))
	defer target.Close()
	redirect := httptest.NewServer(http.RedirectHandler(target.URL+"/elsewhere", http.StatusTemporaryRedirect))
	defer redirect.Close()
	sub.Endpoint = redirect.URL + "/push/secret-capability"
	err = snd.Send(context.Background(), sub, []byte("x"), Options{})
	if !errors.Is(err, ErrRejected) || followed || strings.Contains(err.Error(), "secret-capability") {
		t.Errorf("redirect: %v, followed %v", err, followed)
	}
}
