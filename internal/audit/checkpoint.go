package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
)

// Body is what a checkpoint signs: its number, the digest of the previous
// checkpoint's body (so the checkpoints form a chain of their own), and the
// head of every chain that changed since the previous one. Together, the
// newest checkpoint and the ones it links back to name the last anchored
// entry of every chain.
type Body struct {
	Version  int       `json:"v"`
	N        int64     `json:"n"`
	Time     time.Time `json:"time"`
	Prev     string    `json:"prev"` // hex SHA-256 of the previous body; "" for the first
	SignerID string    `json:"signer"`
	Heads    []Head    `json:"heads"`
}

// Head is one chain's last entry as a checkpoint anchors it.
type Head struct {
	Chain string `json:"chain"`
	Seq   int64  `json:"seq"`
	Hash  string `json:"hash"` // hex
}

// File is a checkpoint as written outside the database: the exact signed
// bytes of its body and the Ed25519 signature over them.
type File struct {
	Body      json.RawMessage `json:"body"`
	Signature []byte          `json:"signature"`
}

// Digest returns the SHA-256 of the body, as the next checkpoint names it.
func digest(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// open checks f's signature with pub and decodes its body.
func (f *File) open(pub ed25519.PublicKey) (*Body, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("no checkpoint key to check its signature with")
	}
	if !ed25519.Verify(pub, f.Body, f.Signature) {
		return nil, errors.New("its signature does not verify with this deployment's checkpoint key")
	}
	return decodeBody(f.Body)
}

func decodeBody(raw []byte) (*Body, error) {
	var b Body
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("decode checkpoint: %w", err)
	}
	if b.Version != 1 || b.N < 1 {
		return nil, fmt.Errorf("checkpoint: unknown version %d or number %d", b.Version, b.N)
	}
	return &b, nil
}

// headsPerCheckpoint bounds one checkpoint's size: when more chains changed
// since the last one, Write writes several in a row.
const headsPerCheckpoint = 50_000

// Write writes checkpoints until every chain that changed since the last
// one is anchored: each is signed, recorded in the database (which numbers
// them: a checkpoint another process wrote at the same time is an
// EConflict) and then written to dir/checkpoints. With force it writes one
// even when nothing changed, to refresh the time it vouches for. It
// returns the newest checkpoint written, or nil when there was nothing to do.
func Write(ctx context.Context, db *store.DB, k *Keys, dir string, now time.Time, force bool) (*Body, error) {
	var newest *Body
	for {
		var file *File
		var body *Body
		err := db.InTx(ctx, func(q *store.Q) error {
			prevN, prevDigest := int64(0), ""
			switch last, err := q.LatestCheckpoint(ctx); {
			case err == nil:
				prevN, prevDigest = last.N, digest(last.Body)
			case varco.ErrorCode(err) != varco.ENotFound:
				return err
			}
			heads, err := q.UnanchoredHeads(ctx, headsPerCheckpoint)
			if err != nil {
				return err
			}
			if len(heads) == 0 && !(force && newest == nil) {
				return nil
			}
			body = &Body{Version: 1, N: prevN + 1, Time: now.UTC().Truncate(time.Second), Prev: prevDigest,
				SignerID: k.SignerID, Heads: make([]Head, len(heads))}
			for i, h := range heads {
				body.Heads[i] = Head{Chain: h.Chain, Seq: h.Seq, Hash: hex.EncodeToString(h.Hash)}
			}
			raw, err := json.Marshal(body)
			if err != nil {
				return fmt.Errorf("encode checkpoint: %w", err)
			}
			file = &File{Body: raw, Signature: ed25519.Sign(k.Signer, raw)}
			return q.InsertCheckpoint(ctx, &store.Checkpoint{N: body.N, Time: body.Time, Body: raw, Signature: file.Signature}, heads)
		})
		if err != nil {
			return newest, fmt.Errorf("write checkpoint: %w", err)
		}
		if file == nil {
			return newest, nil
		}
		if err := writeFile(dir, body.N, file); err != nil {
			return newest, err
		}
		newest = body
		if len(body.Heads) < headsPerCheckpoint {
			return newest, nil
		}
	}
}

func checkpointName(n int64) string { return fmt.Sprintf("%012d.json", n) }

func writeFile(dir string, n int64, f *File) error {
	cdir := filepath.Join(dir, checkpointDir)
	if err := os.MkdirAll(cdir, 0o755); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	path := filepath.Join(cdir, checkpointName(n))
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}

// ReadFile reads a checkpoint file, such as one shipped back from where
// checkpoints are kept off the machine.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil || len(f.Body) == 0 {
		return nil, fmt.Errorf("read checkpoint %s: not a varco checkpoint", path)
	}
	return &f, nil
}

// Newest returns the path of the newest checkpoint in dir/checkpoints, or
// "" when there is none.
func Newest(dir string) (string, error) {
	entries, err := os.ReadDir(filepath.Join(dir, checkpointDir))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("list checkpoints: %w", err)
	}
	var names []string
	for _, e := range entries {
		num, ok := strings.CutSuffix(e.Name(), ".json")
		if _, err := strconv.ParseInt(num, 10, 64); ok && err == nil && !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return "", nil
	}
	sort.Strings(names) // zero-padded: the order of the numbers
	return filepath.Join(dir, checkpointDir, names[len(names)-1]), nil
}
