// Package audit keeps the activity history tamper-evident for someone who
// can write the database but does not hold the server's keys (SPEC §3): it
// loads the keys the chains are sealed with, writes signed checkpoints of
// the chains' heads outside the database, and verifies the history against
// the newest one. The store appends; this package proves.
package audit

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"varco.dev/varco"
)

// Files in the audit directory.
const (
	chainKeysFile  = "chain.keys"     // "<id> <base64 secret>" lines; the last is current
	signingKeyFile = "checkpoint.key" // "<id> <base64 Ed25519 seed>"
	publicKeyFile  = "checkpoint.pub" // "<id> <base64 Ed25519 public key>", for verifiers elsewhere
	checkpointDir  = "checkpoints"
)

// Keys are the audit secrets of one deployment.
type Keys struct {
	Chain     *varco.AuditKeys
	Signer    ed25519.PrivateKey
	SignerID  string
	PublicKey ed25519.PublicKey
}

// DefaultDir is where keys and checkpoints live when no directory is
// configured: beside a SQLite database file ("varco.db" → "varco.db.audit"),
// or "varco-audit" in the working directory for PostgreSQL.
func DefaultDir(databaseURL string) string {
	if strings.HasPrefix(databaseURL, "postgres://") || strings.HasPrefix(databaseURL, "postgresql://") {
		return "varco-audit"
	}
	path := strings.TrimPrefix(strings.TrimPrefix(databaseURL, "sqlite://"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	return path + ".audit"
}

// ErrNoKeys is returned by LoadKeys when the directory has no keys and may
// not create them.
var ErrNoKeys = errors.New("the audit keys are missing")

// LoadKeys reads the keys in dir. When they do not exist yet and create is
// true, it generates them (files readable by the owner only); otherwise a
// missing key is ErrNoKeys: a history already sealed must not go on under a
// new key nobody can check the old entries with.
func LoadKeys(dir string, create bool) (*Keys, error) {
	k := &Keys{}
	chain, err := readOrCreate(dir, chainKeysFile, create, newChainKeyLine)
	if err != nil {
		return nil, err
	}
	if k.Chain, err = parseChainKeys(chain); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, chainKeysFile), err)
	}
	signing, err := readOrCreate(dir, signingKeyFile, create, func() ([]byte, error) {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate checkpoint key: %w", err)
		}
		return []byte(signerID(priv.Public().(ed25519.PublicKey)) + " " + base64.StdEncoding.EncodeToString(priv.Seed()) + "\n"), nil
	})
	if err != nil {
		return nil, err
	}
	_, seed, err := parseKeyLine(strings.TrimSpace(string(signing)), ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, signingKeyFile), err)
	}
	k.Signer = ed25519.NewKeyFromSeed(seed)
	k.PublicKey = k.Signer.Public().(ed25519.PublicKey)
	k.SignerID = signerID(k.PublicKey)
	pub := []byte(k.SignerID + " " + base64.StdEncoding.EncodeToString(k.PublicKey) + "\n")
	if old, err := os.ReadFile(filepath.Join(dir, publicKeyFile)); err != nil || !bytes.Equal(old, pub) {
		if err := os.WriteFile(filepath.Join(dir, publicKeyFile), pub, 0o644); err != nil {
			return nil, fmt.Errorf("write checkpoint public key: %w", err)
		}
	}
	return k, nil
}

// RotateChainKey adds a new chain key to dir and makes it current; the old
// ones stay, so that the entries they sealed still verify. It returns the
// new key's id.
func RotateChainKey(dir string) (string, error) {
	path := filepath.Join(dir, chainKeysFile)
	old, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read audit keys: %w", err)
	}
	if _, err := parseChainKeys(old); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	line, err := newChainKeyLine()
	if err != nil {
		return "", err
	}
	if len(old) > 0 && old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(old, line...), 0o600); err != nil {
		return "", fmt.Errorf("write audit keys: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("write audit keys: %w", err)
	}
	id, _, _ := strings.Cut(string(line), " ")
	return id, nil
}

func newChainKeyLine() ([]byte, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("generate audit key: %w", err)
	}
	id := make([]byte, 4)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("generate audit key: %w", err)
	}
	return []byte(hex.EncodeToString(id) + " " + base64.StdEncoding.EncodeToString(secret) + "\n"), nil
}

func parseChainKeys(b []byte) (*varco.AuditKeys, error) {
	k := &varco.AuditKeys{Secrets: map[string][]byte{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		id, secret, err := parseKeyLine(text, 32)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if _, dup := k.Secrets[id]; dup {
			return nil, fmt.Errorf("line %d: key id %s appears twice", line, id)
		}
		k.Secrets[id], k.Current = secret, id
	}
	if k.Current == "" {
		return nil, errors.New("no key in the file")
	}
	return k, nil
}

// parseKeyLine reads "<id> <base64 value>" where the value has size bytes.
func parseKeyLine(line string, size int) (string, []byte, error) {
	id, val, ok := strings.Cut(line, " ")
	if !ok || id == "" || len(id) > 32 {
		return "", nil, errors.New(`want "<id> <base64 key>"`)
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_') {
			return "", nil, errors.New("key id: letters, digits, - and _ only")
		}
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(val))
	if err != nil || len(b) != size {
		return "", nil, fmt.Errorf("key %s: want %d bytes in base64", id, size)
	}
	return id, b, nil
}

func signerID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// readOrCreate reads dir/name; when it does not exist and create is true,
// it writes gen's bytes there first. Two processes starting at once both
// end up with the one that was written first.
func readOrCreate(dir, name string, create bool, gen func() ([]byte, error)) ([]byte, error) {
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if err == nil {
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if !create {
		return nil, fmt.Errorf("%w: %s", ErrNoKeys, path)
	}
	if b, err = gen(); err != nil {
		return nil, err
	}
	if err := writeNew(dir, name, b); errors.Is(err, fs.ErrExist) {
		return readOrCreate(dir, name, false, gen)
	} else if err != nil {
		return nil, err
	}
	return b, nil
}

// writeNew creates dir/name with b, readable by the owner only, failing if
// it exists (two processes starting at once keep the first one's key).
func writeNew(dir, name string, b []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create audit directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", name, err) // fs.ErrExist when another process was first
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", name, err)
	}
	return f.Close()
}
