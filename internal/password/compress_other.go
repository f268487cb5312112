//go:build !amd64 || purego

package password

// useAVX2 is false where there is no AVX2 code (compress_amd64.go).
var useAVX2 = false

func compress(out, x, y *block, xor bool) { compressGeneric(out, x, y, xor) }
