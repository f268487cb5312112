// Code written for varco: argon2id's compression G (RFC 9106 §3.5) on
// AVX2, four 64-bit lanes per instruction. See compress_amd64.go.

//go:build !purego

#include "textflag.h"

// Byte shuffles that rotate each 64-bit word right by 24 and by 16 bits.
DATA ·rotr24<>+0x00(SB)/8, $0x0201000706050403
DATA ·rotr24<>+0x08(SB)/8, $0x0a09080f0e0d0c0b
DATA ·rotr24<>+0x10(SB)/8, $0x0201000706050403
DATA ·rotr24<>+0x18(SB)/8, $0x0a09080f0e0d0c0b
GLOBL ·rotr24<>(SB), (NOPTR+RODATA), $32

DATA ·rotr16<>+0x00(SB)/8, $0x0100070605040302
DATA ·rotr16<>+0x08(SB)/8, $0x09080f0e0d0c0b0a
DATA ·rotr16<>+0x10(SB)/8, $0x0100070605040302
DATA ·rotr16<>+0x18(SB)/8, $0x09080f0e0d0c0b0a
GLOBL ·rotr16<>(SB), (NOPTR+RODATA), $32

// a = a + b + 2·lo32(a)·lo32(b) in each lane, with t as scratch.
#define BLAMKA(a, b, t) \
	VPMULUDQ b, a, t; \
	VPADDQ   b, a, a; \
	VPADDQ   t, t, t; \
	VPADDQ   t, a, a

// One G on the four lanes of (a, b, c, d), on two such groups at once
// (their instructions interleaved so that one group's latency hides
// behind the other's work). Y8 and Y9 are scratch, Y10 and Y11 hold the
// rotr24 and rotr16 shuffles.
#define G2(a0, b0, c0, d0, a1, b1, c1, d1) \
	BLAMKA(a0, b0, Y8); BLAMKA(a1, b1, Y9); \
	VPXOR    a0, d0, d0; VPXOR a1, d1, d1; \
	VPSHUFD  $0xb1, d0, d0; VPSHUFD $0xb1, d1, d1; \
	BLAMKA(c0, d0, Y8); BLAMKA(c1, d1, Y9); \
	VPXOR    c0, b0, b0; VPXOR c1, b1, b1; \
	VPSHUFB  Y10, b0, b0; VPSHUFB Y10, b1, b1; \
	BLAMKA(a0, b0, Y8); BLAMKA(a1, b1, Y9); \
	VPXOR    a0, d0, d0; VPXOR a1, d1, d1; \
	VPSHUFB  Y11, d0, d0; VPSHUFB Y11, d1, d1; \
	BLAMKA(c0, d0, Y8); BLAMKA(c1, d1, Y9); \
	VPXOR    c0, b0, b0; VPXOR c1, b1, b1; \
	VPADDQ   b0, b0, Y8; VPADDQ b1, b1, Y9; \
	VPSRLQ   $63, b0, b0; VPSRLQ $63, b1, b1; \
	VPXOR    Y8, b0, b0; VPXOR Y9, b1, b1

// The permutation P on two groups of sixteen words, each held as
// (Y0..Y3) and (Y4..Y7): G down the columns, then along the diagonals,
// which VPERMQ lines up as columns and back.
#define ROUND2 \
	G2(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7); \
	VPERMQ $0x39, Y1, Y1; VPERMQ $0x4e, Y2, Y2; VPERMQ $0x93, Y3, Y3; \
	VPERMQ $0x39, Y5, Y5; VPERMQ $0x4e, Y6, Y6; VPERMQ $0x93, Y7, Y7; \
	G2(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7); \
	VPERMQ $0x93, Y1, Y1; VPERMQ $0x4e, Y2, Y2; VPERMQ $0x39, Y3, Y3; \
	VPERMQ $0x93, Y5, Y5; VPERMQ $0x4e, Y6, Y6; VPERMQ $0x39, Y7, Y7

// A column of P is the word pairs at offsets off, off+128, ... off+896
// bytes; Y holds two pairs, 128 bytes apart.
#define LOADPAIRS(off, X, Y) \
	VMOVDQU     off(R8), X; \
	VINSERTI128 $1, off+128(R8), Y, Y

#define STOREPAIRS(off, X, Y) \
	VMOVDQU      X, off(R8); \
	VEXTRACTI128 $1, Y, off+128(R8)

// func compressAVX2(out, x, y *block, xor bool)
TEXT ·compressAVX2(SB), 0, $1024-25
	MOVQ    out+0(FP), DI
	MOVQ    x+8(FP), SI
	MOVQ    y+16(FP), DX
	MOVBLZX xor+24(FP), CX
	MOVQ    SP, BX
	VMOVDQU ·rotr24<>(SB), Y10
	VMOVDQU ·rotr16<>(SB), Y11

	// The frame's 1 KiB is R = x ⊕ y, permuted in place.
	XORQ AX, AX

xorxy:
	VMOVDQU (SI)(AX*1), Y0
	VMOVDQU 32(SI)(AX*1), Y1
	VPXOR   (DX)(AX*1), Y0, Y0
	VPXOR   32(DX)(AX*1), Y1, Y1
	VMOVDQU Y0, (BX)(AX*1)
	VMOVDQU Y1, 32(BX)(AX*1)
	ADDQ    $64, AX
	CMPQ    AX, $1024
	JB      xorxy

	// The rows: sixteen consecutive words each, two rows at a time.
	MOVQ BX, R8
	MOVQ $4, R9

rows:
	VMOVDQU 0(R8), Y0
	VMOVDQU 32(R8), Y1
	VMOVDQU 64(R8), Y2
	VMOVDQU 96(R8), Y3
	VMOVDQU 128(R8), Y4
	VMOVDQU 160(R8), Y5
	VMOVDQU 192(R8), Y6
	VMOVDQU 224(R8), Y7
	ROUND2
	VMOVDQU Y0, 0(R8)
	VMOVDQU Y1, 32(R8)
	VMOVDQU Y2, 64(R8)
	VMOVDQU Y3, 96(R8)
	VMOVDQU Y4, 128(R8)
	VMOVDQU Y5, 160(R8)
	VMOVDQU Y6, 192(R8)
	VMOVDQU Y7, 224(R8)
	ADDQ    $256, R8
	DECQ    R9
	JNZ     rows

	// The columns: column i is the pairs at words 2i+16j, j = 0..7; two
	// columns at a time.
	MOVQ BX, R8
	MOVQ $4, R9

columns:
	LOADPAIRS(0, X0, Y0)
	LOADPAIRS(256, X1, Y1)
	LOADPAIRS(512, X2, Y2)
	LOADPAIRS(768, X3, Y3)
	LOADPAIRS(16, X4, Y4)
	LOADPAIRS(272, X5, Y5)
	LOADPAIRS(528, X6, Y6)
	LOADPAIRS(784, X7, Y7)
	ROUND2
	STOREPAIRS(0, X0, Y0)
	STOREPAIRS(256, X1, Y1)
	STOREPAIRS(512, X2, Y2)
	STOREPAIRS(768, X3, Y3)
	STOREPAIRS(16, X4, Y4)
	STOREPAIRS(272, X5, Y5)
	STOREPAIRS(528, X6, Y6)
	STOREPAIRS(784, X7, Y7)
	ADDQ $32, R8
	DECQ R9
	JNZ  columns

	// out = P(R) ⊕ x ⊕ y, or out ⊕ P(R) ⊕ x ⊕ y. out may be x or y:
	// each 32 bytes are read before they are written.
	XORQ  AX, AX
	TESTQ CX, CX
	JNZ   fold

set:
	VMOVDQU (BX)(AX*1), Y0
	VPXOR   (SI)(AX*1), Y0, Y0
	VPXOR   (DX)(AX*1), Y0, Y0
	VMOVDQU Y0, (DI)(AX*1)
	ADDQ    $32, AX
	CMPQ    AX, $1024
	JB      set
	VZEROUPPER
	RET

fold:
	VMOVDQU (BX)(AX*1), Y0
	VPXOR   (SI)(AX*1), Y0, Y0
	VPXOR   (DX)(AX*1), Y0, Y0
	VPXOR   (DI)(AX*1), Y0, Y0
	VMOVDQU Y0, (DI)(AX*1)
	ADDQ    $32, AX
	CMPQ    AX, $1024
	JB      fold
	VZEROUPPER
	RET
