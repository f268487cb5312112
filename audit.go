package varco

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"hash/fnv"
	"strconv"
)

// The activity history is made of chains (SPEC §3): each account's events
// form one, an organization's events that concern no account form another,
// and the rest (failed logins for unknown e-mails, system events) are spread
// over a few system chains. Appends to different chains never wait for each
// other.

// LegacyChain names the single chain of a database written before chains
// were per account. Its entries keep their unkeyed SHA-256 links; the first
// signed checkpoint after the upgrade anchors its head.
const LegacyChain = "legacy"

// systemChains is how many chains share the events that concern no account
// and no organization, so that a flood of them does not queue on one row.
const systemChains = 16

// ChainOf returns the chain e belongs to: "a/<account>", "o/<org>" or
// "s/<n>".
func ChainOf(e *Event) string {
	switch {
	case e.AccountID != 0:
		return "a/" + strconv.FormatInt(e.AccountID, 10)
	case e.OrgID != 0:
		return "o/" + strconv.FormatInt(e.OrgID, 10)
	}
	h := fnv.New32a()
	h.Write([]byte(e.IP))
	h.Write([]byte(e.UserAgent))
	return "s/" + strconv.Itoa(int(h.Sum32()%systemChains))
}

// AccountChain names the chain of an account's events.
func AccountChain(accountID int64) string { return "a/" + strconv.FormatInt(accountID, 10) }

// AuditKeys are the secrets the activity history is keyed with. They are
// kept outside the database, so that someone who can write the database but
// does not hold them cannot forge or re-link an entry.
type AuditKeys struct {
	Current string            // id of the key new entries are sealed with
	Secrets map[string][]byte // every key by id, old ones for verification
}

// Seal sets e.KeyID and e.Hash: the HMAC-SHA256, under the current key, of
// every stored field of e with its chain position and the previous link.
func (k *AuditKeys) Seal(e *Event) {
	e.KeyID = k.Current
	e.Hash = e.MAC(k.Secrets[k.Current])
}

// Check reports whether e.Hash is right under the key it names. An unknown
// key id is a failure.
func (k *AuditKeys) Check(e *Event) bool {
	if e.Chain == LegacyChain && e.KeyID == "" {
		return hmac.Equal(e.ChainHash(e.ChainSeq, e.PrevHash), e.Hash)
	}
	secret, ok := k.Secrets[e.KeyID]
	if !ok {
		return false
	}
	return hmac.Equal(e.MAC(secret), e.Hash)
}

// MAC returns the keyed link of e: HMAC-SHA256 under secret over its chain,
// position, key id, previous link and every recorded field.
func (e *Event) MAC(secret []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("varco-audit-v2"))
	w := fieldWriter{h: h}
	w.str(e.Chain)
	w.int(e.ChainSeq)
	w.str(e.KeyID)
	w.bytes(e.PrevHash)
	e.writeFields(w)
	return h.Sum(nil)
}

// ChainHash returns the unkeyed link of an entry of the legacy chain at
// sequence number seq, chained to prev: how entries were hashed before the
// history was keyed. Only verification uses it.
func (e *Event) ChainHash(seq int64, prev []byte) []byte {
	h := sha256.New()
	h.Write([]byte("varco-audit-v1"))
	w := fieldWriter{h: h}
	w.bytes(prev)
	w.int(seq)
	e.writeFields(w)
	return h.Sum(nil)
}

// writeFields writes every recorded field, each length-prefixed, so that no
// edit, deletion or reordering goes unnoticed.
func (e *Event) writeFields(w fieldWriter) {
	w.int(e.Time.UnixMicro())
	w.int(e.AccountID)
	w.int(e.OrgID)
	w.str(e.Event)
	w.str(e.Actor)
	w.int(e.ActorID)
	w.str(e.IP)
	w.str(e.Location)
	w.str(e.UserAgent)
	w.str(e.Application)
	w.str(e.Outcome)
	w.str(e.Detail)
	if e.Count > 1 {
		// Only then, so entries sealed before counts existed still verify;
		// the length prefixes keep "count 1" and "count n" apart.
		w.int(e.Count)
	}
}

type fieldWriter struct{ h hash.Hash }

func (w fieldWriter) int(v int64) {
	var num [8]byte
	binary.BigEndian.PutUint64(num[:], uint64(v))
	w.h.Write(num[:])
}

func (w fieldWriter) bytes(b []byte) {
	w.int(int64(len(b)))
	w.h.Write(b)
}

func (w fieldWriter) str(s string) { w.bytes([]byte(s)) }
