package webpush

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeyFile is the file in varco's key directory (beside the audit and app
// password keys) that holds the VAPID private key: a PEM "PRIVATE KEY"
// (PKCS #8) or "EC PRIVATE KEY" (SEC 1) on P-256, as
// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` writes.
const KeyFile = "vapid.key"

// ErrNoKey is returned by LoadKey when the file is missing and may not be
// created: subscriptions exist that only the lost key can send to.
var ErrNoKey = errors.New("the VAPID key is missing")

// LoadKey reads the VAPID key in dir; when the file does not exist and
// create is true it generates one (readable by the owner only). Any other
// problem (unreadable, not PEM, not a P-256 key) is an error: varco does
// not start with a key it cannot use.
func LoadKey(dir string, create bool) (*ecdsa.PrivateKey, error) {
	path := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, fmt.Errorf("%w: %s", ErrNoKey, path)
		}
		return newKeyFile(dir, path)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	k, err := ParseKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

func newKeyFile(dir, path string) (*ecdsa.PrivateKey, error) {
	k, err := GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("generate VAPID key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encode VAPID key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	// O_EXCL: two processes starting at once on one directory must not
	// each write a key of their own; the loser reads the winner's.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadKey(dir, false)
	}
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	werr := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := f.Close(); werr == nil {
		werr = err
	}
	if werr != nil {
		os.Remove(path)
		return nil, fmt.Errorf("write %s: %w", path, werr)
	}
	return k, nil
}

// ParseKey reads a PEM P-256 private key, PKCS #8 or SEC 1.
func ParseKey(b []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("not a PEM private key")
	}
	var k *ecdsa.PrivateKey
	switch block.Type {
	case "PRIVATE KEY":
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PKCS #8 key: %w", err)
		}
		ec, ok := key.(*ecdsa.PrivateKey)
		if !ok {
			return nil, errors.New("not an EC key")
		}
		k = ec
	case "EC PRIVATE KEY":
		ec, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("EC key: %w", err)
		}
		k = ec
	default:
		return nil, fmt.Errorf("PEM block %q, want PRIVATE KEY or EC PRIVATE KEY", block.Type)
	}
	if k.Curve != elliptic.P256() {
		return nil, errors.New("not a P-256 key")
	}
	return k, nil
}
