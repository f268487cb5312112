package password

import (
	"bytes"
	"encoding/hex"
	"math/bits"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"golang.org/x/crypto/argon2"
)

// TestIDKeyReferenceVectors checks the argon2id vectors of the reference
// implementation's test suite (src/test.c, version 0x13; m is 2^m KiB
// there). RFC 9106's own vector sets a secret and associated data, which
// varco never uses and idKey does not take.
func TestIDKeyReferenceVectors(t *testing.T) {
	forEachCompression(t, testIDKeyReferenceVectors)
}

// forEachCompression runs test with the generic compression and, where
// the CPU has AVX2, with compressAVX2.
func forEachCompression(t *testing.T, test func(*testing.T)) {
	t.Run("generic", func(t *testing.T) {
		was := useAVX2
		useAVX2 = false
		t.Cleanup(func() { useAVX2 = was })
		test(t)
	})
	if useAVX2 {
		t.Run("avx2", test)
	}
}

func testIDKeyReferenceVectors(t *testing.T) {
	tests := []struct {
		t, m   uint32
		p      uint8
		pw, sa string
		want   string
	}{
		{2, 1 << 16, 1, "password", "somesalt", "09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7"},
		{2, 1 << 8, 1, "password", "somesalt", "9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe"},
		{2, 1 << 8, 2, "password", "somesalt", "6d093c501fd5999645e0ea3bf620d7b8be7fd2db59c20d9fff9539da2bf57037"},
		{1, 1 << 16, 1, "password", "somesalt", "f6a5adc1ba723dddef9b5ac1d464e180fcd9dffc9d1cbf76cca2fed795d9ca98"},
		{4, 1 << 16, 1, "password", "somesalt", "9025d48e68ef7395cca9079da4c4ec3affb3c8911fe4f86d1a2520856f63172c"},
		{2, 1 << 16, 1, "differentpassword", "somesalt", "0b84d652cf6b0c4beaef0dfe278ba6a80df6696281d7e0d2891b817d8c458fde"},
		{2, 1 << 16, 1, "password", "diffsalt", "bdf32b05ccc42eb15d58fd19b1f856b113da1e9a5874fdcc544308565aa8141c"},
	}
	for _, tc := range tests {
		got := hex.EncodeToString(idKey(nil, []byte(tc.pw), []byte(tc.sa), tc.t, tc.m, tc.p, 32))
		if got != tc.want {
			t.Errorf("t=%d m=%d p=%d %q %q: %s, want %s", tc.t, tc.m, tc.p, tc.pw, tc.sa, got, tc.want)
		}
		// The vectors themselves, against the implementation varco used
		// before its own.
		if x := hex.EncodeToString(argon2.IDKey([]byte(tc.pw), []byte(tc.sa), tc.t, tc.m, tc.p, 32)); x != tc.want {
			t.Errorf("x/crypto disagrees with the vector t=%d m=%d p=%d: %s", tc.t, tc.m, tc.p, x)
		}
	}
}

// TestIDKeyMatchesXCrypto compares idKey with golang.org/x/crypto/argon2
// over parameters that reach every branch: one and several lanes, memory
// that is and is not a multiple of the lanes' segments, the minimum, tags
// shorter and longer than one BLAKE2b output, and a workspace reused
// across hashes of different sizes.
func TestIDKeyMatchesXCrypto(t *testing.T) {
	forEachCompression(t, testIDKeyMatchesXCrypto)
}

func testIDKeyMatchesXCrypto(t *testing.T) {
	ws := &workspace{limit: 1024}
	for _, tc := range []struct {
		t, m   uint32
		p      uint8
		keyLen uint32
	}{
		{1, 8, 1, 32}, {1, 9, 1, 16}, {2, 64, 1, 32}, {3, 100, 1, 64}, {2, 256, 2, 65},
		{1, 37, 3, 96}, {2, 1000, 4, 128}, {1, 1024, 1, 4}, {2, 2000, 1, 32}, {5, 24, 3, 1024},
	} {
		pw, salt := []byte("pässwörd"), []byte("sixteen byte sal")
		want := argon2.IDKey(pw, salt, tc.t, tc.m, tc.p, tc.keyLen)
		for _, w := range []*workspace{nil, ws, ws} {
			if got := idKey(w, pw, salt, tc.t, tc.m, tc.p, tc.keyLen); !bytes.Equal(got, want) {
				t.Fatalf("t=%d m=%d p=%d len=%d (workspace %v): %x, want %x", tc.t, tc.m, tc.p, tc.keyLen, w != nil, got, want)
			}
		}
	}
	if len(ws.blocks) > 1024 {
		t.Errorf("the workspace grew to %d blocks, beyond its limit of 1024", len(ws.blocks))
	}
}

// TestCompressMatchesReference holds both compressions, the generic one
// and compress (AVX2 where the CPU has it), to referenceCompress on random
// blocks, in both modes, with out apart from and equal to each input.
func TestCompressMatchesReference(t *testing.T) {
	impls := []struct {
		name string
		fn   func(out, x, y *block, xor bool)
	}{{"generic", compressGeneric}, {"compress (avx2: " + strconv.FormatBool(useAVX2) + ")", compress}}
	rng := rand.New(rand.NewPCG(1, 2))
	random := func() *block {
		var b block
		for i := range b {
			b[i] = rng.Uint64()
		}
		return &b
	}
	for i := range 1000 {
		x, y, out := random(), random(), random()
		xor := i%2 == 1
		for alias := range 3 {
			for _, impl := range impls {
				a, b, o := *x, *y, *out
				ra, rb, r := *x, *y, *out
				dst, rdst := &o, &r
				switch alias {
				case 1:
					dst, rdst = &a, &ra
				case 2:
					dst, rdst = &b, &rb
				}
				impl.fn(dst, &a, &b, xor)
				referenceCompress(rdst, &ra, &rb, xor)
				if a != ra || b != rb || o != r {
					t.Fatalf("%s: block %d, xor %v, alias %d: differs from the reference", impl.name, i, xor, alias)
				}
			}
		}
	}
}

// referenceCompress is G of RFC 9106 §3.5 and §3.6 written as plainly as
// the RFC states it, for the tests: R = X ⊕ Y as 8x8 registers of 16
// bytes, P on each row, then on each column, and the result ⊕ R (⊕ the
// old out with xor).
func referenceCompress(out, x, y *block, xor bool) {
	var r, q block
	for i := range r {
		r[i] = x[i] ^ y[i]
	}
	q = r
	// Register j of row i starts at word 16i+2j; register j of column i
	// is row j's register i. The rows first, then the columns.
	for _, first := range []func(i, j int) int{
		func(i, j int) int { return 16*i + 2*j },
		func(i, j int) int { return 16*j + 2*i },
	} {
		for i := range 8 {
			var v [16]*uint64
			for j := range 8 {
				w := first(i, j)
				v[2*j], v[2*j+1] = &q[w], &q[w+1]
			}
			referenceP(v)
		}
	}
	for i := range q {
		if xor {
			out[i] ^= q[i] ^ r[i]
		} else {
			out[i] = q[i] ^ r[i]
		}
	}
}

// referenceP is the permutation P of RFC 9106 §3.6 on 16 words, written
// apart from mul and genblamka on purpose: it is what they are held to.
func referenceP(v [16]*uint64) {
	gb := func(a, b, c, d *uint64) {
		f := func(x, y uint64) uint64 { return x + y + 2*(x&0xffffffff)*(y&0xffffffff) }
		*a = f(*a, *b)
		*d = bits.RotateLeft64(*d^*a, -32)
		*c = f(*c, *d)
		*b = bits.RotateLeft64(*b^*c, -24)
		*a = f(*a, *b)
		*d = bits.RotateLeft64(*d^*a, -16)
		*c = f(*c, *d)
		*b = bits.RotateLeft64(*b^*c, -63)
	}
	gb(v[0], v[4], v[8], v[12])
	gb(v[1], v[5], v[9], v[13])
	gb(v[2], v[6], v[10], v[14])
	gb(v[3], v[7], v[11], v[15])
	gb(v[0], v[5], v[10], v[15])
	gb(v[1], v[6], v[11], v[12])
	gb(v[2], v[7], v[8], v[13])
	gb(v[3], v[4], v[9], v[14])
}

func FuzzIDKeyMatchesXCrypto(f *testing.F) {
	f.Add([]byte("password"), []byte("somesalt"), uint8(2), uint16(64), uint8(1), uint16(32))
	f.Add([]byte(""), []byte("saltsalt"), uint8(1), uint16(8), uint8(3), uint16(200))
	ws := &workspace{limit: 512}
	f.Fuzz(func(t *testing.T, pw, salt []byte, tm uint8, m uint16, p uint8, keyLen uint16) {
		passes, lanes := uint32(tm%4)+1, p%4+1
		memory := uint32(m)%600 + 8*uint32(lanes)
		n := uint32(keyLen)%300 + 4
		want := argon2.IDKey(pw, salt, passes, memory, lanes, n)
		if got := idKey(ws, pw, salt, passes, memory, lanes, n); !bytes.Equal(got, want) {
			t.Fatalf("t=%d m=%d p=%d len=%d: %x, want %x", passes, memory, lanes, n, got, want)
		}
	})
}

func BenchmarkIDKey(b *testing.B) {
	p := DefaultParams
	salt := make([]byte, p.SaltLen)
	b.Run("x/crypto", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				argon2.IDKey([]byte("password"), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
			}
		})
	})
	b.Run("fresh", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				idKey(nil, []byte("password"), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
			}
		})
	})
	b.Run("workspace", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			ws := newWorkspace(p)
			for pb.Next() {
				idKey(ws, []byte("password"), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
			}
		})
	})
}

// TestBlamkaGenerated fails when blamka.go is not what genblamka writes.
func TestBlamkaGenerated(t *testing.T) {
	out, err := exec.Command("go", "run", "./genblamka", "-o", "-").Output()
	if err != nil {
		t.Fatalf("go run ./genblamka: %v", err)
	}
	have, err := os.ReadFile("blamka.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, have) {
		t.Fatal("blamka.go is stale: run go generate in internal/password")
	}
}

// BenchmarkCompress is one block's compression, generic and (where the CPU
// has it) AVX2: a hash at the default parameters runs 38,912 of them.
func BenchmarkCompress(b *testing.B) {
	var x, y, out block
	for i := range x {
		x[i], y[i] = uint64(i)*0x9e3779b97f4a7c15, ^uint64(i)
	}
	b.Run("generic", func(b *testing.B) {
		b.SetBytes(1024)
		for b.Loop() {
			compressGeneric(&out, &x, &y, true)
		}
	})
	if useAVX2 {
		b.Run("avx2", func(b *testing.B) {
			b.SetBytes(1024)
			for b.Loop() {
				compress(&out, &x, &y, true) // compressAVX2 here
			}
		})
	}
}
