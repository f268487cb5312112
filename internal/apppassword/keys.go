package apppassword

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeysFile is the file in the audit directory (VARCO_AUDIT_DIR) that holds
// the server keys app passwords are hashed under: "<id> <base64 secret>"
// lines, the last one current. It lives outside the database, so that a
// copy of the database alone cannot check guesses.
const KeysFile = "app-password.keys"

// ErrNoKeys is returned by LoadKeys when the file is missing and may not
// be created: app passwords exist that only the lost key can check.
var ErrNoKeys = errors.New("the app password key is missing")

// LoadKeys reads the keys in dir; when the file does not exist and create
// is true it generates one key (a file readable by the owner only).
func LoadKeys(dir string, create bool) (*Keys, error) {
	path := filepath.Join(dir, KeysFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, fmt.Errorf("%w: %s", ErrNoKeys, path)
		}
		if b, err = newKeyLine(); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create %s: %w", dir, err)
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	k, err := ParseKeys(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ParseKeys reads "<id> <base64 secret>" lines (blank lines and # comments
// skipped); the last key is current. Secrets have at least 32 bytes.
func ParseKeys(b []byte) (*Keys, error) {
	k := &Keys{Secrets: map[string][]byte{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		id, enc, ok := strings.Cut(t, " ")
		secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
		if !ok || id == "" || err != nil || len(secret) < 32 {
			return nil, fmt.Errorf("line %d: want \"<id> <base64 secret of 32 bytes or more>\"", line)
		}
		if _, dup := k.Secrets[id]; dup {
			return nil, fmt.Errorf("line %d: key id %q repeated", line, id)
		}
		k.Secrets[id], k.Current = secret, id
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if k.Current == "" {
		return nil, errors.New("no key")
	}
	return k, nil
}

func newKeyLine() ([]byte, error) {
	var secret [32]byte
	var id [4]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return nil, fmt.Errorf("generate app password key: %w", err)
	}
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("generate app password key: %w", err)
	}
	return []byte(hex.EncodeToString(id[:]) + " " + base64.StdEncoding.EncodeToString(secret[:]) + "\n"), nil
}
