/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf_insn.h: macros that write raw eBPF instructions as struct bpf_insn initialisers, for
 * programs assembled by hand and loaded with bpf_prog_load() (tests/pktgen.c, tests/
 * prog_bpf_insn.c).
 *
 * Every macro is one instruction, except the 64-bit immediate loads (BPF_LD_IMM64*,
 * BPF_LD_MAP_FD, BPF_LD_MAP_VALUE), which are two and so only fit in array initialisers.
 * Operands: DST/SRC are BPF_REG_0..BPF_REG_10; SIZE is BPF_B, BPF_H, BPF_W or BPF_DW; OP is an
 * ALU operation (BPF_ADD, ...) or a jump condition (BPF_JEQ, ...); OFF is a signed 16-bit
 * offset (memory: bytes; jumps: instructions after the next one); IMM a signed 32-bit value.
 *
 * The "cpu v4" forms (kernel >= 6.6, clang >= 18 for C that uses them) are at the end: signed
 * division and modulo, sign-extending moves and loads, unconditional byte swap, and the jump
 * with a 32-bit offset.
 */
#ifndef BPF_INSN_H
#define BPF_INSN_H

#include <linux/bpf.h>

/* Constants newer than some uapi headers (values from the ISA). */
#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80		/* sign-extending load mode */
#endif
#ifndef BPF_LOAD_ACQ
#define BPF_LOAD_ACQ 0x100	/* atomic "operation" load-acquire (kernel >= 6.15) */
#endif
#ifndef BPF_STORE_REL
#define BPF_STORE_REL 0x110	/* atomic "operation" store-release (kernel >= 6.15) */
#endif

/* Any instruction, field by field. */
#define BPF_RAW_INSN(CODE, DST, SRC, OFF, IMM)                                                   \
	((struct bpf_insn){ .code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF),     \
			    .imm = (IMM) })

/* ---- ALU: DST = DST OP SRC / IMM, on 64 bits (ALU64) or 32 bits zero-extended (ALU32) ---- */

#define BPF_ALU64_REG(OP, DST, SRC) BPF_RAW_INSN(BPF_ALU64 | BPF_OP(OP) | BPF_X, DST, SRC, 0, 0)
#define BPF_ALU32_REG(OP, DST, SRC) BPF_RAW_INSN(BPF_ALU | BPF_OP(OP) | BPF_X, DST, SRC, 0, 0)
#define BPF_ALU64_IMM(OP, DST, IMM) BPF_RAW_INSN(BPF_ALU64 | BPF_OP(OP) | BPF_K, DST, 0, 0, IMM)
#define BPF_ALU32_IMM(OP, DST, IMM) BPF_RAW_INSN(BPF_ALU | BPF_OP(OP) | BPF_K, DST, 0, 0, IMM)

/* The same with the offset field set (cpu v4: off 1 makes BPF_DIV/BPF_MOD signed). */
#define BPF_ALU64_REG_OFF(OP, DST, SRC, OFF)                                                     \
	BPF_RAW_INSN(BPF_ALU64 | BPF_OP(OP) | BPF_X, DST, SRC, OFF, 0)
#define BPF_ALU32_REG_OFF(OP, DST, SRC, OFF)                                                     \
	BPF_RAW_INSN(BPF_ALU | BPF_OP(OP) | BPF_X, DST, SRC, OFF, 0)
#define BPF_ALU64_IMM_OFF(OP, DST, IMM, OFF)                                                     \
	BPF_RAW_INSN(BPF_ALU64 | BPF_OP(OP) | BPF_K, DST, 0, OFF, IMM)
#define BPF_ALU32_IMM_OFF(OP, DST, IMM, OFF)                                                     \
	BPF_RAW_INSN(BPF_ALU | BPF_OP(OP) | BPF_K, DST, 0, OFF, IMM)

/* Byte order: TYPE BPF_TO_LE or BPF_TO_BE, LEN 16, 32 or 64 (bits kept, zero-extended). */
#define BPF_ENDIAN(TYPE, DST, LEN) BPF_RAW_INSN(BPF_ALU | BPF_END | (TYPE), DST, 0, 0, LEN)

/* ---- moves ---- */

#define BPF_MOV64_REG(DST, SRC) BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_X, DST, SRC, 0, 0)
#define BPF_MOV32_REG(DST, SRC) BPF_RAW_INSN(BPF_ALU | BPF_MOV | BPF_X, DST, SRC, 0, 0)
#define BPF_MOV64_IMM(DST, IMM) BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_K, DST, 0, 0, IMM)
#define BPF_MOV32_IMM(DST, IMM) BPF_RAW_INSN(BPF_ALU | BPF_MOV | BPF_K, DST, 0, 0, IMM)
/* Move with every field given (the kernel's internal form). */
#define BPF_MOV64_RAW(TYPE, DST, SRC, IMM)                                                       \
	BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_SRC(TYPE), DST, SRC, 0, IMM)
#define BPF_MOV32_RAW(TYPE, DST, SRC, IMM)                                                       \
	BPF_RAW_INSN(BPF_ALU | BPF_MOV | BPF_SRC(TYPE), DST, SRC, 0, IMM)
/* DST = (u32)DST: a 32-bit self-move flagged with imm 1, the zero extension the verifier
 * inserts for JITs that need it. Kernel-internal: bpf() refuses it in loaded programs ("BPF_MOV
 * uses reserved fields"); there a plain BPF_MOV32_REG(DST, DST) zero-extends. */
#define BPF_ZEXT_REG(DST) BPF_RAW_INSN(BPF_ALU | BPF_MOV | BPF_X, DST, DST, 0, 1)

/* ---- 64-bit immediates: two instructions, the high half in the second one's imm ---- */

#define BPF_LD_IMM64_RAW_FULL(DST, SRC, OFF1, OFF2, IMM1, IMM2)                                 \
	BPF_RAW_INSN(BPF_LD | BPF_DW | BPF_IMM, DST, SRC, OFF1, IMM1),                           \
	BPF_RAW_INSN(0, 0, 0, OFF2, IMM2)
#define BPF_LD_IMM64_RAW(DST, SRC, IMM)                                                          \
	BPF_LD_IMM64_RAW_FULL(DST, SRC, 0, 0, (__u32)(IMM), (__u32)((__u64)(IMM) >> 32))
#define BPF_LD_IMM64(DST, IMM) BPF_LD_IMM64_RAW(DST, 0, IMM)
/* DST = the map behind MAP_FD (for helpers taking a map). */
#define BPF_LD_MAP_FD(DST, MAP_FD) BPF_LD_IMM64_RAW(DST, BPF_PSEUDO_MAP_FD, MAP_FD)
/* DST = address of byte VALUE_OFF of element 0 of the array map MAP_FD (direct value access). */
#define BPF_LD_MAP_VALUE(DST, MAP_FD, VALUE_OFF)                                                 \
	BPF_LD_IMM64_RAW_FULL(DST, BPF_PSEUDO_MAP_VALUE, 0, 0, MAP_FD, VALUE_OFF)

/* ---- legacy packet access (socket filters): R0 = packet[IMM] or packet[SRC + IMM] ---- */

#define BPF_LD_ABS(SIZE, IMM) BPF_RAW_INSN(BPF_LD | BPF_SIZE(SIZE) | BPF_ABS, 0, 0, 0, IMM)
#define BPF_LD_IND(SIZE, SRC, IMM) BPF_RAW_INSN(BPF_LD | BPF_SIZE(SIZE) | BPF_IND, 0, SRC, 0, IMM)

/* ---- memory ---- */

/* DST = *(SIZE *)(SRC + OFF) */
#define BPF_LDX_MEM(SIZE, DST, SRC, OFF)                                                         \
	BPF_RAW_INSN(BPF_LDX | BPF_SIZE(SIZE) | BPF_MEM, DST, SRC, OFF, 0)
/* *(SIZE *)(DST + OFF) = SRC */
#define BPF_STX_MEM(SIZE, DST, SRC, OFF)                                                         \
	BPF_RAW_INSN(BPF_STX | BPF_SIZE(SIZE) | BPF_MEM, DST, SRC, OFF, 0)
/* *(SIZE *)(DST + OFF) = IMM */
#define BPF_ST_MEM(SIZE, DST, OFF, IMM)                                                          \
	BPF_RAW_INSN(BPF_ST | BPF_SIZE(SIZE) | BPF_MEM, DST, 0, OFF, IMM)

/*
 * Atomic read-modify-write on *(SIZE *)(DST + OFF), SIZE BPF_W or BPF_DW:
 *   BPF_ADD, BPF_AND, BPF_OR, BPF_XOR              *(DST + OFF) op= SRC
 *   the same | BPF_FETCH                           and SRC = the old value
 *   BPF_XCHG                                       SRC = xchg(DST + OFF, SRC)
 *   BPF_CMPXCHG                                    R0 = cmpxchg(DST + OFF, R0, SRC)
 *   BPF_LOAD_ACQ (SRC is the address), BPF_STORE_REL: see the macros below
 */
#define BPF_ATOMIC_OP(SIZE, OP, DST, SRC, OFF)                                                   \
	BPF_RAW_INSN(BPF_STX | BPF_SIZE(SIZE) | BPF_ATOMIC, DST, SRC, OFF, OP)
/* The historical name of the atomic add (same encoding, BPF_XADD == BPF_ATOMIC). */
#define BPF_STX_XADD(SIZE, DST, SRC, OFF) BPF_ATOMIC_OP(SIZE, BPF_ADD, DST, SRC, OFF)
/* DST = load_acquire((SIZE *)(SRC + OFF)); store_release((SIZE *)(DST + OFF), SRC) */
#define BPF_LOAD_ACQUIRE(SIZE, DST, SRC, OFF)                                                    \
	BPF_RAW_INSN(BPF_STX | BPF_SIZE(SIZE) | BPF_ATOMIC, DST, SRC, OFF, BPF_LOAD_ACQ)
#define BPF_STORE_RELEASE(SIZE, DST, SRC, OFF)                                                   \
	BPF_RAW_INSN(BPF_STX | BPF_SIZE(SIZE) | BPF_ATOMIC, DST, SRC, OFF, BPF_STORE_REL)

/* ---- jumps: if (DST OP SRC/IMM) goto pc + 1 + OFF; JMP32 compares the low 32 bits ---- */

#define BPF_JMP_REG(OP, DST, SRC, OFF) BPF_RAW_INSN(BPF_JMP | BPF_OP(OP) | BPF_X, DST, SRC, OFF, 0)
#define BPF_JMP_IMM(OP, DST, IMM, OFF) BPF_RAW_INSN(BPF_JMP | BPF_OP(OP) | BPF_K, DST, 0, OFF, IMM)
#define BPF_JMP32_REG(OP, DST, SRC, OFF)                                                         \
	BPF_RAW_INSN(BPF_JMP32 | BPF_OP(OP) | BPF_X, DST, SRC, OFF, 0)
#define BPF_JMP32_IMM(OP, DST, IMM, OFF)                                                         \
	BPF_RAW_INSN(BPF_JMP32 | BPF_OP(OP) | BPF_K, DST, 0, OFF, IMM)
/* goto pc + 1 + OFF */
#define BPF_JMP_A(OFF) BPF_RAW_INSN(BPF_JMP | BPF_JA, 0, 0, OFF, 0)

/* ---- calls and exit ---- */

/* Call helper FUNC (BPF_FUNC_map_lookup_elem, ...). */
#define BPF_EMIT_CALL(FUNC) BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, FUNC)
/* Call the subprogram that starts at pc + 1 + IMM. */
#define BPF_CALL_REL(IMM) BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, IMM)
/* return R0 */
#define BPF_EXIT_INSN() BPF_RAW_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* ---- cpu v4 (kernel >= 6.6) ---- */

/* DST = (s64)DST / SRC and DST = (s64)DST s% SRC (off 1 selects the signed form) */
#define BPF_SDIV64_REG(DST, SRC) BPF_ALU64_REG_OFF(BPF_DIV, DST, SRC, 1)
#define BPF_SMOD64_REG(DST, SRC) BPF_ALU64_REG_OFF(BPF_MOD, DST, SRC, 1)
#define BPF_SDIV32_REG(DST, SRC) BPF_ALU32_REG_OFF(BPF_DIV, DST, SRC, 1)
#define BPF_SMOD32_REG(DST, SRC) BPF_ALU32_REG_OFF(BPF_MOD, DST, SRC, 1)
#define BPF_SDIV64_IMM(DST, IMM) BPF_ALU64_IMM_OFF(BPF_DIV, DST, IMM, 1)
#define BPF_SMOD64_IMM(DST, IMM) BPF_ALU64_IMM_OFF(BPF_MOD, DST, IMM, 1)
#define BPF_SDIV32_IMM(DST, IMM) BPF_ALU32_IMM_OFF(BPF_DIV, DST, IMM, 1)
#define BPF_SMOD32_IMM(DST, IMM) BPF_ALU32_IMM_OFF(BPF_MOD, DST, IMM, 1)

/* DST = (s64)(sOFF)SRC, OFF 8, 16 or 32; the 32-bit form takes OFF 8 or 16 and zero-extends */
#define BPF_MOVSX64_REG(DST, SRC, OFF) BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_X, DST, SRC, OFF, 0)
#define BPF_MOVSX32_REG(DST, SRC, OFF) BPF_RAW_INSN(BPF_ALU | BPF_MOV | BPF_X, DST, SRC, OFF, 0)

/* DST = (s64)*(sSIZE *)(SRC + OFF), SIZE BPF_B, BPF_H or BPF_W */
#define BPF_LDX_MEMSX(SIZE, DST, SRC, OFF)                                                       \
	BPF_RAW_INSN(BPF_LDX | BPF_SIZE(SIZE) | BPF_MEMSX, DST, SRC, OFF, 0)

/* DST = bswapLEN(DST), LEN 16, 32 or 64, whatever the host byte order */
#define BPF_BSWAP(DST, LEN) BPF_RAW_INSN(BPF_ALU64 | BPF_END | BPF_TO_LE, DST, 0, 0, LEN)

/* goto pc + 1 + IMM, a 32-bit offset ("gotol") */
#define BPF_JMP32_A(IMM) BPF_RAW_INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, IMM)

#endif /* BPF_INSN_H */
