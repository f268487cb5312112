package varco

import (
	"crypto/sha256"
	"encoding/binary"
)

// ChainHash returns the hash of the event at sequence number seq, chained to
// prev, the hash of the entry before it. Every stored field is covered, each
// length-prefixed, so no edit, deletion or reordering goes unnoticed.
func (e *Event) ChainHash(seq int64, prev []byte) []byte {
	h := sha256.New()
	var num [8]byte
	putInt := func(v int64) {
		binary.BigEndian.PutUint64(num[:], uint64(v))
		h.Write(num[:])
	}
	putBytes := func(b []byte) {
		putInt(int64(len(b)))
		h.Write(b)
	}
	putStr := func(s string) { putBytes([]byte(s)) }
	h.Write([]byte("varco-audit-v1"))
	putBytes(prev)
	putInt(seq)
	putInt(e.Time.UnixMicro())
	putInt(e.AccountID)
	putInt(e.OrgID)
	putStr(e.Event)
	putStr(e.Actor)
	putInt(e.ActorID)
	putStr(e.IP)
	putStr(e.Location)
	putStr(e.UserAgent)
	putStr(e.Application)
	putStr(e.Outcome)
	putStr(e.Detail)
	return h.Sum(nil)
}
