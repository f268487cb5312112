package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"

	"varco.dev/varco"
	"varco.dev/varco/internal/store"
)

// Options choose what Verify checks.
type Options struct {
	// Chain limits the check to one chain (varco.AccountChain for one
	// account); "" checks the whole history.
	Chain string
	// Trusted is the newest checkpoint from outside the database; nil when
	// none was ever written, in which case a cut tail cannot be detected.
	Trusted *File
	// ChainsOnly checks the entries and heads but not the checkpoints:
	// for tests of code that records events, which hold no signing key.
	ChainsOnly bool
}

// Report is what Verify found.
type Report struct {
	Events     int64 // entries checked
	Chains     int   // chains checked
	Checkpoint *Body // the trusted checkpoint checked against, nil without one
	Problems   []Problem
	Omitted    int // problems beyond the first maxProblems, counted only
}

// OK reports whether the history verified.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Problem is one place where the history does not hold.
type Problem struct {
	Chain  string // "" for the checkpoints themselves
	Seq    int64  // the entry, 0 for the chain as a whole
	Reason string
}

func (p Problem) String() string {
	switch {
	case p.Chain == "":
		return "checkpoints: " + p.Reason
	case p.Seq == 0:
		return fmt.Sprintf("chain %s: %s", p.Chain, p.Reason)
	}
	return fmt.Sprintf("chain %s entry %d: %s", p.Chain, p.Seq, p.Reason)
}

const maxProblems = 100

func (r *Report) add(chain string, seq int64, format string, args ...any) {
	if len(r.Problems) >= maxProblems {
		r.Omitted++
		return
	}
	r.Problems = append(r.Problems, Problem{Chain: chain, Seq: seq, Reason: fmt.Sprintf(format, args...)})
}

// anchor is the last entry of a chain a checkpoint vouches for.
type anchor struct {
	seq  int64
	hash string
	n    int64 // the checkpoint
}

// Verify checks the history in q against the keys and the newest trusted
// checkpoint: every entry's keyed link, every chain's continuity and head,
// the database's copy of the checkpoints (complete, linked, signed), and
// that every chain still reaches the entry the checkpoints last anchored.
// It returns an error only when it could not read; what it found is in the
// report.
func Verify(ctx context.Context, q *store.Q, k *Keys, opt Options) (*Report, error) {
	r := &Report{}
	anchors := map[string]anchor{}
	if !opt.ChainsOnly {
		var err error
		if anchors, err = loadAnchors(ctx, q, k, opt, r); err != nil {
			return r, err
		}
	}
	heads := map[string]store.ChainHead{}
	hs, err := q.ChainHeads(ctx, opt.Chain)
	if err != nil {
		return r, err
	}
	for _, h := range hs {
		heads[h.Chain] = h
	}

	var cur string
	var n int64
	prev := []byte{}
	finish := func() {
		if cur == "" {
			return
		}
		r.Chains++
		if h, ok := heads[cur]; !ok {
			r.add(cur, 0, "has no head row")
		} else if h.Seq != n || !bytes.Equal(h.Hash, prev) {
			r.add(cur, 0, "its head names entry %d but the chain ends at entry %d (rewound or cut)", h.Seq, n)
		}
		delete(heads, cur)
		if a, ok := anchors[cur]; ok && a.seq > n {
			r.add(cur, 0, "checkpoint %d anchored entry %d but the chain ends at entry %d (cut)", a.n, a.seq, n)
		}
		delete(anchors, cur)
	}
	err = q.ChainEvents(ctx, opt.Chain, func(e *varco.Event) error {
		if e.Chain != cur {
			finish()
			cur, n, prev = e.Chain, 0, []byte{}
		}
		r.Events++
		if e.ChainSeq != n+1 {
			r.add(cur, n+1, "missing (the next entry is %d)", e.ChainSeq)
		} else if !bytes.Equal(e.PrevHash, prev) {
			r.add(cur, e.ChainSeq, "does not link to the entry before it")
		}
		if !k.Chain.Check(e) {
			r.add(cur, e.ChainSeq, "its content does not match its keyed hash (edited, or sealed without the key)")
		}
		if a, ok := anchors[cur]; ok && a.seq == e.ChainSeq && a.hash != hex.EncodeToString(e.Hash) {
			r.add(cur, e.ChainSeq, "differs from what checkpoint %d anchored (rewritten)", a.n)
		}
		n, prev = e.ChainSeq, e.Hash
		return nil
	})
	if err != nil {
		return r, err
	}
	finish()
	for chain, a := range anchors {
		if opt.Chain == "" || chain == opt.Chain {
			r.add(chain, 0, "checkpoint %d anchored entry %d but the chain has no entries (deleted)", a.n, a.seq)
		}
	}
	for chain, h := range heads {
		r.add(chain, 0, "its head names entry %d but the chain has no entries (deleted)", h.Seq)
	}
	return r, nil
}

// loadAnchors walks the database's checkpoints from the newest down,
// checking that they are complete, linked and signed and that the trusted
// one is among them, and returns each chain's newest anchor. With
// opt.Chain it stops once that chain's anchor is found below the trusted
// checkpoint.
func loadAnchors(ctx context.Context, q *store.Q, k *Keys, opt Options, r *Report) (map[string]anchor, error) {
	anchors := map[string]anchor{}
	use := func(b *Body) {
		for _, h := range b.Heads {
			if _, seen := anchors[h.Chain]; !seen {
				anchors[h.Chain] = anchor{seq: h.Seq, hash: h.Hash, n: b.N}
			}
		}
	}
	var trusted *Body
	trustedDigest := ""
	if opt.Trusted != nil {
		b, err := opt.Trusted.open(k.PublicKey)
		if err != nil {
			r.add("", 0, "the trusted checkpoint: %v", err)
			return anchors, nil
		}
		trusted, trustedDigest, r.Checkpoint = b, digest(opt.Trusted.Body), b
	}

	var wantN int64 = -1 // the number the next (older) checkpoint must have; -1 before the first
	wantDigest := ""
	seenTrusted := false
	err := q.Checkpoints(ctx, func(c *store.Checkpoint) error {
		d := digest(c.Body)
		if wantN == -1 && trusted != nil && c.N < trusted.N {
			// The database ends before the trusted checkpoint: start from it.
			r.add("", 0, "the database lacks checkpoints %d to %d (restored from an older copy, or cut)", c.N+1, trusted.N)
			use(trusted)
			wantN, wantDigest, seenTrusted = trusted.N-1, trusted.Prev, true
		}
		linked := wantN != -1 && c.N == wantN && d == wantDigest
		switch {
		case wantN != -1 && c.N != wantN:
			r.add("", 0, "checkpoints %d to %d are missing from the database", c.N+1, wantN)
		case wantN != -1 && !linked:
			r.add("", 0, "checkpoint %d is not the one checkpoint %d names (rewritten)", c.N, c.N+1)
		}
		var body *Body
		var err error
		if linked {
			body, err = decodeBody(c.Body)
		} else {
			body, err = (&File{Body: c.Body, Signature: c.Signature}).open(k.PublicKey)
		}
		if err == nil && body.N != c.N {
			err = fmt.Errorf("its body is checkpoint %d's", body.N)
		}
		if err != nil {
			r.add("", 0, "checkpoint %d: %v", c.N, err)
			return store.ErrStop
		}
		if trusted != nil && c.N == trusted.N {
			seenTrusted = true
			if d != trustedDigest {
				r.add("", 0, "the database's checkpoint %d differs from the trusted copy", c.N)
			}
		}
		use(body)
		wantN, wantDigest = c.N-1, body.Prev
		if opt.Chain != "" && (trusted == nil || c.N <= trusted.N) {
			if _, found := anchors[opt.Chain]; found {
				wantN = 0
				return store.ErrStop
			}
		}
		return nil
	})
	if err != nil {
		return anchors, err
	}
	switch {
	case wantN == -1 && trusted != nil:
		r.add("", 0, "the database has no checkpoint, but checkpoint %d was written (emptied, or restored from an older copy)", trusted.N)
		use(trusted)
	case wantN > 0:
		r.add("", 0, "checkpoints 1 to %d are missing from the database", wantN)
	}
	if trusted != nil && !seenTrusted && wantN != -1 {
		r.add("", 0, "the database lacks the trusted checkpoint %d", trusted.N)
	}
	return anchors, nil
}
