package password

import (
	"encoding/binary"
	"hash"
	"runtime"

	"golang.org/x/crypto/blake2b"
)

// argon2id (RFC 9106, version 0x13) written for a caller that owns the
// memory. golang.org/x/crypto/argon2 allocates its 19 MiB for every hash
// and has no way to take a caller's buffer: in the server that meant
// zeroing 19 MiB, page faults on memory the runtime had returned to the
// system, and a collection every few sign-ins (docs/performance.md). A
// Hasher keeps one workspace per slot instead, so a sign-in's hash runs
// on memory that is already mapped and warm. The output is the same as
// x/crypto's for every parameter set: TestIDKeyMatchesXCrypto and
// FuzzIDKeyMatchesXCrypto compare the two, and TestIDKeyReferenceVectors
// checks the reference implementation's vectors.

//go:generate go run ./genblamka

const (
	argon2Version = 0x13
	argon2idType  = 2
	syncPoints    = 4   // slices per pass
	blockWords    = 128 // 1 KiB blocks of 64-bit words
	addressesPer  = blockWords

	// yieldEvery is how many blocks a hash computes between two calls to
	// runtime.Gosched: 0.05–0.13 ms, with and without AVX2. A hash
	// otherwise holds its P for its whole 7–20 ms, and the goroutines the
	// network and the database wake wait for the runtime to preempt it
	// with a signal every 10 ms. In the server, sign-ins went from
	// 91–92/s to 95–99/s on 2 cores (SQLite, generic code,
	// docs/performance.md); 512 measured the same with AVX2. Alone, a
	// hash does not notice.
	yieldEvery = 128
)

type block [blockWords]uint64

// workspace is the memory of one hash at a time. Its blocks are never
// cleared between hashes: every block is written in the first pass before
// it is read (see fillSegment), so old contents cannot leak into a result.
type workspace struct {
	blocks []block
	// limit is the most blocks it keeps. A stored hash with more memory
	// (an imported one) gets memory of its own for that hash, so one such
	// hash does not grow what the server holds for good.
	limit uint32
}

// memory returns m blocks: the workspace's own when m is within its limit
// (allocated on first use), fresh ones otherwise; ws may be nil.
func (ws *workspace) memory(m uint32) []block {
	if ws == nil || m > ws.limit {
		return make([]block, m)
	}
	if uint32(len(ws.blocks)) < m {
		ws.blocks = make([]block, m)
	}
	return ws.blocks[:m]
}

// newWorkspace returns a workspace that keeps the memory of hashes under p.
func newWorkspace(p Params) *workspace {
	return &workspace{limit: laneBlocks(p.Memory, uint32(p.Threads))}
}

// laneBlocks is m' of RFC 9106 §3.2: memory KiB rounded down to a
// multiple of 4 blocks per lane, at least 8 blocks per lane.
func laneBlocks(memory, lanes uint32) uint32 {
	m := memory / (syncPoints * lanes) * (syncPoints * lanes)
	return max(m, 2*syncPoints*lanes)
}

// idKey derives the argon2id tag of pw and salt with t passes over
// memory KiB in threads lanes, keyLen bytes long, on ws's memory (see
// workspace.memory; ws may be nil). The caller has validated the
// parameters (Params.Validate).
func idKey(ws *workspace, pw, salt []byte, t, memory uint32, threads uint8, keyLen uint32) []byte {
	lanes := uint32(threads)
	h0 := initialHash(pw, salt, t, memory, lanes, keyLen)

	m := laneBlocks(memory, lanes)
	b := ws.memory(m)
	laneLen := m / lanes

	var in [72]byte
	copy(in[:64], h0[:])
	var buf [1024]byte
	for l := range lanes {
		binary.LittleEndian.PutUint32(in[68:], l)
		for i := range uint32(2) {
			binary.LittleEndian.PutUint32(in[64:], i)
			hashLong(buf[:], in[:])
			blk := &b[l*laneLen+i]
			for w := range blk {
				blk[w] = binary.LittleEndian.Uint64(buf[8*w:])
			}
		}
	}

	f := filler{b: b, lanes: lanes, laneLen: laneLen, segLen: laneLen / syncPoints, passes: t, memory: m}
	for pass := range t {
		for slice := range uint32(syncPoints) {
			// Lanes one after the other: a segment reads only the
			// segments of other lanes that earlier slices finished, so
			// the order within a slice does not change the result, and a
			// Hasher slot is one core.
			for l := range lanes {
				f.fillSegment(pass, slice, l)
			}
		}
	}

	final := b[laneLen-1]
	for l := uint32(1); l < lanes; l++ {
		last := &b[l*laneLen+laneLen-1]
		for w := range final {
			final[w] ^= last[w]
		}
	}
	for w, v := range final {
		binary.LittleEndian.PutUint64(buf[8*w:], v)
	}
	out := make([]byte, keyLen)
	hashLong(out, buf[:])
	return out
}

// initialHash is H0 of RFC 9106 §3.2 with no secret and no associated
// data.
func initialHash(pw, salt []byte, t, memory, lanes, keyLen uint32) [64]byte {
	h, _ := blake2b.New512(nil)
	var w [4]byte
	put := func(v uint32) {
		binary.LittleEndian.PutUint32(w[:], v)
		h.Write(w[:])
	}
	put(lanes)
	put(keyLen)
	put(memory)
	put(t)
	put(argon2Version)
	put(argon2idType)
	put(uint32(len(pw)))
	h.Write(pw)
	put(uint32(len(salt)))
	h.Write(salt)
	put(0) // secret
	put(0) // associated data
	var h0 [64]byte
	h.Sum(h0[:0])
	return h0
}

// hashLong is H' of RFC 9106 §3.3: BLAKE2b stretched to len(out) bytes.
func hashLong(out, in []byte) {
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(out)))
	if len(out) <= blake2b.Size {
		h := newBlake2b(len(out))
		h.Write(n[:])
		h.Write(in)
		h.Sum(out[:0])
		return
	}
	var v [blake2b.Size]byte
	h := newBlake2b(blake2b.Size)
	h.Write(n[:])
	h.Write(in)
	h.Sum(v[:0])
	// The first 32 bytes of each V_i, then the whole last one, whose size
	// is what remains (33..64 bytes).
	pos := 0
	for len(out)-pos > blake2b.Size {
		copy(out[pos:], v[:32])
		pos += 32
		size := min(len(out)-pos, blake2b.Size)
		h = newBlake2b(size)
		h.Write(v[:])
		h.Sum(v[:0])
		if size < blake2b.Size {
			copy(out[pos:], v[:size])
			return
		}
	}
	copy(out[pos:], v[:])
}

func newBlake2b(size int) hash.Hash {
	// Sizes are 1..64 and there is no key: New cannot fail.
	h, _ := blake2b.New(size, nil)
	return h
}

type filler struct {
	b                []block
	lanes, laneLen   uint32
	segLen, passes   uint32
	memory           uint32
	addresses, input block
}

// fillSegment computes the blocks of one lane's segment in one slice of a
// pass (RFC 9106 §3.4). argon2id takes its reference indexes from a
// generated address stream in the first half of the first pass and from
// the previous block everywhere else.
func (f *filler) fillSegment(pass, slice, lane uint32) {
	independent := pass == 0 && slice < syncPoints/2
	index := uint32(0)
	if independent {
		f.input = block{}
		f.input[0] = uint64(pass)
		f.input[1] = uint64(lane)
		f.input[2] = uint64(slice)
		f.input[3] = uint64(f.memory)
		f.input[4] = uint64(f.passes)
		f.input[5] = argon2idType
	}
	if pass == 0 && slice == 0 {
		index = 2 // the two blocks idKey computed from H0
		if independent {
			f.nextAddresses()
		}
	}
	laneStart := lane * f.laneLen
	offset := laneStart + slice*f.segLen + index
	for ; index < f.segLen; index, offset = index+1, offset+1 {
		if index%yieldEvery == 0 {
			// Let whatever the network or the database readied run now
			// rather than at the next forced preemption (10 ms, by a
			// signal): see yieldEvery.
			runtime.Gosched()
		}
		prev := offset - 1
		if offset == laneStart {
			prev = laneStart + f.laneLen - 1
		}
		var rand uint64
		if independent {
			if index%addressesPer == 0 {
				f.nextAddresses()
			}
			rand = f.addresses[index%addressesPer]
		} else {
			rand = f.b[prev][0]
		}
		ref := f.referenceIndex(rand, pass, slice, lane, index)
		// The first pass writes each block, later ones fold into it.
		compress(&f.b[offset], &f.b[prev], &f.b[ref], pass > 0)
	}
}

// nextAddresses is the next block of the address stream:
// G(0, G(0, input)) with input's counter advanced.
func (f *filler) nextAddresses() {
	var zero block
	f.input[6]++
	compress(&f.addresses, &zero, &f.input, false)
	compress(&f.addresses, &zero, &f.addresses, false)
}

// referenceIndex maps a pseudo-random value to the block the new one
// mixes in (RFC 9106 §3.4.1.2).
func (f *filler) referenceIndex(rand uint64, pass, slice, lane, index uint32) uint32 {
	refLane := uint32(rand>>32) % f.lanes
	if pass == 0 && slice == 0 {
		refLane = lane
	}
	// The blocks it may choose from: every finished segment of the lane
	// (of the last pass's other three slices from the second pass on),
	// plus this segment's blocks so far when it is this lane; never the
	// block just before the new one.
	var area uint32
	if pass == 0 {
		area = slice * f.segLen
	} else {
		area = f.laneLen - f.segLen
	}
	if refLane == lane {
		area += index - 1
	} else if index == 0 {
		area--
	}
	x := (rand & 0xffffffff) * (rand & 0xffffffff) >> 32
	rel := uint64(area) - 1 - (uint64(area) * x >> 32)
	start := uint32(0)
	if pass != 0 && slice != syncPoints-1 {
		start = (slice + 1) * f.segLen
	}
	return refLane*f.laneLen + (start+uint32(rel))%f.laneLen
}

// compressGeneric sets out to G(x, y), or to out ⊕ G(x, y) with xor (the
// update of the passes after the first, version 0x13); out may be x or y.
// compress is this function, or the same on AVX2 where the CPU has it
// (compress_amd64.go).
func compressGeneric(out, x, y *block, xor bool) {
	var t block
	for i := range t {
		t[i] = x[i] ^ y[i]
	}
	permuteBlock(&t) // blamka.go
	// G(x, y) = P(x ⊕ y) ⊕ x ⊕ y; x ⊕ y is recomputed rather than kept,
	// which costs less than a second 1 KiB copy.
	if xor {
		for i := range t {
			out[i] ^= t[i] ^ x[i] ^ y[i]
		}
	} else {
		for i := range t {
			out[i] = t[i] ^ x[i] ^ y[i]
		}
	}
}

// mul is BlaMka's addition: x + y + 2·lo32(x)·lo32(y).
func mul(x, y uint64) uint64 {
	return x + y + 2*uint64(uint32(x))*uint64(uint32(y))
}
