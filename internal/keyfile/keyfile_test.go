package keyfile

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var fastKDF = KDF{Time: 1, Memory: 8 * 1024, Threads: 1}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "device.key")
	k, err := New("https://varco.test", "mario@acme.test", "482913", fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.SetDevice("dev-7", "tok-7", "482913"); err != nil {
		t.Fatal(err)
	}
	if err := k.Save(path); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode: %v, %v", fi.Mode(), err)
	}
	opened, err := Open(path, "482913")
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("approve r1 n 123")
	if !ed25519.Verify(ed25519.PublicKey(opened.Public), msg, opened.Sign(msg)) || opened.DeviceID != "dev-7" || opened.Token() != "tok-7" {
		t.Fatal("the opened key does not sign for its public key")
	}
	if _, err := Open(path, "482914"); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("wrong PIN: %v", err)
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), base64.StdEncoding.EncodeToString(k.private.Seed())) {
		t.Fatal("the seed is stored in the clear")
	}
}

// TestSplicedFieldsDoNotOpen: every field is authenticated with the seed.
func TestSplicedFieldsDoNotOpen(t *testing.T) {
	k, err := New("https://varco.test", "mario@acme.test", "482913", fastKDF)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := New("https://varco.test", "anna@acme.test", "482913", fastKDF)
	for name, mod := range map[string]func(*File){
		"server":  func(f *File) { f.Server = "https://evil.test" },
		"email":   func(f *File) { f.Email = "anna@acme.test" },
		"device":  func(f *File) { f.DeviceID = "dev-9" },
		"public":  func(f *File) { f.Public = other.Public },
		"kdf":     func(f *File) { f.KDF.Time = 2 },
		"sealed":  func(f *File) { f.Sealed = other.Sealed },
		"nonce":   func(f *File) { f.Nonce = other.Nonce },
		"version": func(f *File) { f.Version = 2 },
	} {
		f := k.File
		f.KDF.Salt = append([]byte(nil), k.KDF.Salt...)
		mod(&f)
		b, _ := json.Marshal(f)
		if _, err := Parse(b, "482913"); err == nil {
			t.Errorf("%s changed: the key still opened", name)
		}
	}
}

func TestShortPINRefused(t *testing.T) {
	if _, err := New("https://varco.test", "m@acme.test", "12345", fastKDF); err == nil {
		t.Fatal("a 5-character PIN was accepted")
	}
}

func FuzzParse(f *testing.F) {
	k, err := New("https://varco.test", "mario@acme.test", "482913", fastKDF)
	if err != nil {
		f.Fatal(err)
	}
	b, _ := json.Marshal(k.File)
	f.Add(b, "482913")
	f.Add([]byte(`{"v":1}`), "")
	f.Fuzz(func(t *testing.T, b []byte, pin string) {
		if k, err := Parse(b, pin); err == nil && len(k.Public) != ed25519.PublicKeySize {
			t.Fatal("opened a key without a public key")
		}
	})
}
