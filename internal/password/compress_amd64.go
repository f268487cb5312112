//go:build !purego

package password

import "golang.org/x/sys/cpu"

// useAVX2 says whether compress runs compressAVX2. On the 2-core AMD
// machine of docs/performance.md the generic compression made varco's
// argon2id half as fast as x/crypto's SSE4 code; with AVX2 it is the
// fastest argon2id there. Tests switch it off to check the generic code.
var useAVX2 = cpu.X86.HasAVX2

// compressAVX2 is compressGeneric on AVX2 (compress_amd64.s).
//
//go:noescape
func compressAVX2(out, x, y *block, xor bool)

func compress(out, x, y *block, xor bool) {
	if useAVX2 {
		compressAVX2(out, x, y, xor)
		return
	}
	compressGeneric(out, x, y, xor)
}
