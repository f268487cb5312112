// Package keyfile keeps the command-line authenticator's device key
// (SPEC §6.7): an Ed25519 key whose private half is stored encrypted under
// a PIN, so that a signature made with it proves the signer knew the PIN,
// as a phone's fingerprint or face unlock proves user verification. The PIN
// is stretched with argon2id and the key sealed with AES-256-GCM; the
// file's other fields are authenticated with it, so none can be swapped.
package keyfile

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// File is what the key file holds.
type File struct {
	Version  int    `json:"v"`
	Server   string `json:"server"`    // varco's base URL
	Email    string `json:"email"`     // the account
	DeviceID string `json:"device_id"` // as varco registered the key; "" before enrollment
	Public   []byte `json:"public"`    // Ed25519 public key
	KDF      KDF    `json:"kdf"`
	Nonce    []byte `json:"nonce"`
	Sealed   []byte `json:"sealed"` // the Ed25519 seed, AES-256-GCM under the stretched PIN
}

// KDF are the argon2id parameters the PIN was stretched with.
type KDF struct {
	Salt    []byte `json:"salt"`
	Time    uint32 `json:"t"`
	Memory  uint32 `json:"m"` // KiB
	Threads uint8  `json:"p"`
}

// DefaultKDF costs about a quarter of a second: a PIN is short, so each
// guess must be expensive for whoever copies the file.
var DefaultKDF = KDF{Time: 3, Memory: 64 * 1024, Threads: 1}

// MinPINLength is the shortest PIN accepted.
const MinPINLength = 6

// ErrWrongPIN is returned by Open when the PIN does not open the key.
var ErrWrongPIN = errors.New("keyfile: wrong PIN")

// Key is an opened key file.
type Key struct {
	File
	private ed25519.PrivateKey
	token   string // the device token varco issued at enrollment, sealed with the seed
}

// Sign signs msg with the device key.
func (k *Key) Sign(msg []byte) []byte { return ed25519.Sign(k.private, msg) }

// New makes a fresh key sealed under pin (kdf zero: DefaultKDF).
func New(server, email, pin string, kdf KDF) (*Key, error) {
	if utf8.RuneCountInString(pin) < MinPINLength {
		return nil, fmt.Errorf("keyfile: the PIN needs at least %d characters", MinPINLength)
	}
	if kdf.Time == 0 {
		kdf = DefaultKDF
	}
	kdf.Salt = make([]byte, 16)
	if _, err := rand.Read(kdf.Salt); err != nil {
		return nil, fmt.Errorf("keyfile: %w", err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("keyfile: %w", err)
	}
	k := &Key{File: File{Version: 1, Server: server, Email: email, Public: pub, KDF: kdf}, private: priv}
	if err := k.seal(pin); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *Key) seal(pin string) error {
	gcm, err := k.KDF.cipher(pin)
	if err != nil {
		return err
	}
	k.Nonce = make([]byte, gcm.NonceSize())
	if _, err := rand.Read(k.Nonce); err != nil {
		return fmt.Errorf("keyfile: %w", err)
	}
	plain := append(append([]byte(nil), k.private.Seed()...), k.token...)
	k.Sealed = gcm.Seal(nil, k.Nonce, plain, k.File.associated())
	return nil
}

func (kdf KDF) cipher(pin string) (cipher.AEAD, error) {
	if len(kdf.Salt) < 16 || kdf.Time < 1 || kdf.Time > 8 || kdf.Memory < 8*1024 || kdf.Memory > 256*1024 || kdf.Threads < 1 {
		return nil, errors.New("keyfile: unusable key-stretching parameters")
	}
	block, err := aes.NewCipher(argon2.IDKey([]byte(pin), kdf.Salt, kdf.Time, kdf.Memory, kdf.Threads, 32))
	if err != nil {
		return nil, fmt.Errorf("keyfile: %w", err)
	}
	return cipher.NewGCM(block)
}

// associated is what the seal authenticates besides the seed: every other
// field, so that a file with another server, account, device or public key
// spliced in does not open.
func (f File) associated() []byte {
	b, _ := json.Marshal(struct {
		V                       int
		Server, Email, DeviceID string
		Public                  []byte
		KDF                     KDF
	}{f.Version, f.Server, f.Email, f.DeviceID, f.Public, f.KDF})
	return b
}

// Token is the device token varco issued at enrollment ("" before).
func (k *Key) Token() string { return k.token }

// SetDevice records the device id and token varco gave the key, re-sealing
// it under pin (the id is authenticated with the seed, the token sealed
// with it).
func (k *Key) SetDevice(id, token, pin string) error {
	k.DeviceID, k.token = id, token
	return k.seal(pin)
}

// Save writes the key file at path, readable by its owner only, replacing
// it atomically.
func (k *Key) Save(path string) error {
	b, err := json.MarshalIndent(k.File, "", "  ")
	if err != nil {
		return fmt.Errorf("keyfile: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".keyfile-*")
	if err != nil {
		return fmt.Errorf("keyfile: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("keyfile: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("keyfile: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("keyfile: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("keyfile: %w", err)
	}
	return nil
}

// Open reads the key file at path and opens it with pin: ErrWrongPIN when
// the PIN (or anything in the file) is not what sealed it.
func Open(path, pin string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keyfile: %w", err)
	}
	return Parse(b, pin)
}

// Parse opens the bytes of a key file with pin.
func Parse(b []byte, pin string) (*Key, error) {
	var f File
	if err := json.Unmarshal(b, &f); err != nil || f.Version != 1 || len(f.Public) != ed25519.PublicKeySize {
		return nil, errors.New("keyfile: not a varco authenticator key file")
	}
	gcm, err := f.KDF.cipher(pin)
	if err != nil {
		return nil, err
	}
	if len(f.Nonce) != gcm.NonceSize() {
		return nil, errors.New("keyfile: not a varco authenticator key file")
	}
	plain, err := gcm.Open(nil, f.Nonce, f.Sealed, f.associated())
	if err != nil || len(plain) < ed25519.SeedSize || len(plain) > ed25519.SeedSize+256 {
		return nil, ErrWrongPIN
	}
	priv := ed25519.NewKeyFromSeed(plain[:ed25519.SeedSize])
	if !priv.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(f.Public)) {
		return nil, ErrWrongPIN
	}
	return &Key{File: f, private: priv, token: string(plain[ed25519.SeedSize:])}, nil
}
