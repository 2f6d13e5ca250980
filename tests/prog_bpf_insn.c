// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of bpf_insn.h: every macro against known encodings (the bytes of the ISA, as
 * llvm-objdump prints them), against clang's own output where clang 14 can produce the same
 * instruction (build/tests/bpf_insn_ref.o), and hand-assembled programs that must pass the
 * verifier and compute the right thing in BPF_PROG_TEST_RUN.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_insn.h"
#include "prog_run.h"

/* ---------------------------------------------------------------- encodings */

struct enc_case {
	const char *name;
	struct bpf_insn insn[2];
	int n;
	const char *hex;	/* the bytes, as llvm-objdump prints them */
};

#define ONE(m, h) { #m, { m }, 1, h }
#define TWO(m, h) { #m, { m }, 2, h }

static const struct enc_case enc_cases[] = {
	ONE(BPF_ALU64_REG(BPF_ADD, BPF_REG_1, BPF_REG_2), "0f 21 00 00 00 00 00 00"),
	ONE(BPF_ALU64_REG(BPF_MOD, BPF_REG_1, BPF_REG_2), "9f 21 00 00 00 00 00 00"),
	ONE(BPF_ALU64_REG(BPF_RSH, BPF_REG_9, BPF_REG_10), "7f a9 00 00 00 00 00 00"),
	ONE(BPF_ALU32_REG(BPF_SUB, BPF_REG_3, BPF_REG_4), "1c 43 00 00 00 00 00 00"),
	ONE(BPF_ALU32_REG(BPF_MUL, BPF_REG_0, BPF_REG_5), "2c 50 00 00 00 00 00 00"),
	ONE(BPF_ALU64_IMM(BPF_ADD, BPF_REG_10, -8), "07 0a 00 00 f8 ff ff ff"),
	ONE(BPF_ALU64_IMM(BPF_AND, BPF_REG_5, 0xff), "57 05 00 00 ff 00 00 00"),
	ONE(BPF_ALU64_IMM(BPF_NEG, BPF_REG_1, 0), "87 01 00 00 00 00 00 00"),
	ONE(BPF_ALU32_IMM(BPF_LSH, BPF_REG_0, 3), "64 00 00 00 03 00 00 00"),
	ONE(BPF_ALU32_IMM(BPF_MOD, BPF_REG_1, 10), "94 01 00 00 0a 00 00 00"),
	ONE(BPF_ALU32_IMM(BPF_ARSH, BPF_REG_2, 31), "c4 02 00 00 1f 00 00 00"),
	ONE(BPF_ALU64_REG_OFF(BPF_DIV, BPF_REG_1, BPF_REG_2, 1), "3f 21 01 00 00 00 00 00"),
	ONE(BPF_ALU32_IMM_OFF(BPF_MOD, BPF_REG_1, 3, 1), "94 01 01 00 03 00 00 00"),
	ONE(BPF_ENDIAN(BPF_TO_BE, BPF_REG_1, 16), "dc 01 00 00 10 00 00 00"),
	ONE(BPF_ENDIAN(BPF_TO_LE, BPF_REG_1, 64), "d4 01 00 00 40 00 00 00"),
	ONE(BPF_MOV64_REG(BPF_REG_6, BPF_REG_1), "bf 16 00 00 00 00 00 00"),
	ONE(BPF_MOV32_REG(BPF_REG_3, BPF_REG_4), "bc 43 00 00 00 00 00 00"),
	ONE(BPF_MOV64_IMM(BPF_REG_0, -1), "b7 00 00 00 ff ff ff ff"),
	ONE(BPF_MOV32_IMM(BPF_REG_1, 42), "b4 01 00 00 2a 00 00 00"),
	ONE(BPF_MOV64_RAW(BPF_X, BPF_REG_2, BPF_REG_3, 0), "bf 32 00 00 00 00 00 00"),
	ONE(BPF_MOV32_RAW(BPF_K, BPF_REG_2, 0, 7), "b4 02 00 00 07 00 00 00"),
	ONE(BPF_ZEXT_REG(BPF_REG_2), "bc 22 00 00 01 00 00 00"),
	TWO(BPF_LD_IMM64(BPF_REG_3, 0x1122334455667788ULL),
	    "18 03 00 00 88 77 66 55 00 00 00 00 44 33 22 11"),
	TWO(BPF_LD_IMM64(BPF_REG_1, -2), "18 01 00 00 fe ff ff ff 00 00 00 00 ff ff ff ff"),
	TWO(BPF_LD_IMM64_RAW(BPF_REG_1, BPF_PSEUDO_MAP_FD, 5),
	    "18 11 00 00 05 00 00 00 00 00 00 00 00 00 00 00"),
	TWO(BPF_LD_IMM64_RAW_FULL(BPF_REG_1, 4, 1, 2, 3, 5),
	    "18 41 01 00 03 00 00 00 00 00 02 00 05 00 00 00"),
	TWO(BPF_LD_MAP_FD(BPF_REG_1, 7), "18 11 00 00 07 00 00 00 00 00 00 00 00 00 00 00"),
	TWO(BPF_LD_MAP_VALUE(BPF_REG_2, 7, 16), "18 22 00 00 07 00 00 00 00 00 00 00 10 00 00 00"),
	ONE(BPF_LD_ABS(BPF_B, 23), "30 00 00 00 17 00 00 00"),
	ONE(BPF_LD_ABS(BPF_H, 12), "28 00 00 00 0c 00 00 00"),
	ONE(BPF_LD_ABS(BPF_W, 26), "20 00 00 00 1a 00 00 00"),
	ONE(BPF_LD_IND(BPF_B, BPF_REG_3, 4), "50 30 00 00 04 00 00 00"),
	ONE(BPF_LDX_MEM(BPF_B, BPF_REG_4, BPF_REG_6, 1), "71 64 01 00 00 00 00 00"),
	ONE(BPF_LDX_MEM(BPF_H, BPF_REG_4, BPF_REG_6, 2), "69 64 02 00 00 00 00 00"),
	ONE(BPF_LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_1, 8), "61 12 08 00 00 00 00 00"),
	ONE(BPF_LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_10, -16), "79 a0 f0 ff 00 00 00 00"),
	ONE(BPF_STX_MEM(BPF_B, BPF_REG_1, BPF_REG_3, 5), "73 31 05 00 00 00 00 00"),
	ONE(BPF_STX_MEM(BPF_H, BPF_REG_1, BPF_REG_3, 6), "6b 31 06 00 00 00 00 00"),
	ONE(BPF_STX_MEM(BPF_W, BPF_REG_10, BPF_REG_0, -4), "63 0a fc ff 00 00 00 00"),
	ONE(BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_2, -8), "7b 2a f8 ff 00 00 00 00"),
	ONE(BPF_ST_MEM(BPF_B, BPF_REG_1, 3, 0xfe), "72 01 03 00 fe 00 00 00"),
	ONE(BPF_ST_MEM(BPF_H, BPF_REG_1, 2, 0x1234), "6a 01 02 00 34 12 00 00"),
	ONE(BPF_ST_MEM(BPF_W, BPF_REG_10, -4, 7), "62 0a fc ff 07 00 00 00"),
	ONE(BPF_ST_MEM(BPF_DW, BPF_REG_1, 0, -1), "7a 01 00 00 ff ff ff ff"),
	ONE(BPF_STX_XADD(BPF_DW, BPF_REG_1, BPF_REG_2, 0), "db 21 00 00 00 00 00 00"),
	ONE(BPF_STX_XADD(BPF_W, BPF_REG_1, BPF_REG_2, 4), "c3 21 04 00 00 00 00 00"),
	ONE(BPF_ATOMIC_OP(BPF_W, BPF_OR, BPF_REG_1, BPF_REG_2, 4), "c3 21 04 00 40 00 00 00"),
	ONE(BPF_ATOMIC_OP(BPF_DW, BPF_AND, BPF_REG_1, BPF_REG_3, 8), "db 31 08 00 50 00 00 00"),
	ONE(BPF_ATOMIC_OP(BPF_DW, BPF_XOR, BPF_REG_1, BPF_REG_4, -8), "db 41 f8 ff a0 00 00 00"),
	ONE(BPF_ATOMIC_OP(BPF_DW, BPF_ADD | BPF_FETCH, BPF_REG_4, BPF_REG_4, 0),
	    "db 44 00 00 01 00 00 00"),
	ONE(BPF_ATOMIC_OP(BPF_DW, BPF_OR | BPF_FETCH, BPF_REG_1, BPF_REG_3, 8),
	    "db 31 08 00 41 00 00 00"),
	ONE(BPF_ATOMIC_OP(BPF_DW, BPF_AND | BPF_FETCH, BPF_REG_1, BPF_REG_5, 16),
	    "db 51 10 00 51 00 00 00"),
	ONE(BPF_ATOMIC_OP(BPF_W, BPF_XOR | BPF_FETCH, BPF_REG_1, BPF_REG_6, 0),
	    "c3 61 00 00 a1 00 00 00"),
	ONE(BPF_ATOMIC_OP(BPF_DW, BPF_XCHG, BPF_REG_1, BPF_REG_7, 8), "db 71 08 00 e1 00 00 00"),
	ONE(BPF_ATOMIC_OP(BPF_W, BPF_XCHG, BPF_REG_1, BPF_REG_2, 12), "c3 21 0c 00 e1 00 00 00"),
	ONE(BPF_ATOMIC_OP(BPF_DW, BPF_CMPXCHG, BPF_REG_1, BPF_REG_2, 16),
	    "db 21 10 00 f1 00 00 00"),
	ONE(BPF_ATOMIC_OP(BPF_W, BPF_CMPXCHG, BPF_REG_1, BPF_REG_8, 8), "c3 81 08 00 f1 00 00 00"),
	ONE(BPF_LOAD_ACQUIRE(BPF_DW, BPF_REG_0, BPF_REG_1, 8), "db 10 08 00 00 01 00 00"),
	ONE(BPF_STORE_RELEASE(BPF_W, BPF_REG_1, BPF_REG_2, 0), "c3 21 00 00 10 01 00 00"),
	ONE(BPF_JMP_REG(BPF_JGT, BPF_REG_1, BPF_REG_2, 1), "2d 21 01 00 00 00 00 00"),
	ONE(BPF_JMP_REG(BPF_JSLE, BPF_REG_3, BPF_REG_4, -7), "dd 43 f9 ff 00 00 00 00"),
	ONE(BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 3), "15 00 03 00 00 00 00 00"),
	ONE(BPF_JMP_IMM(BPF_JNE, BPF_REG_1, 17, -5), "55 01 fb ff 11 00 00 00"),
	ONE(BPF_JMP_IMM(BPF_JSET, BPF_REG_1, 4, 2), "45 01 02 00 04 00 00 00"),
	ONE(BPF_JMP32_REG(BPF_JSLT, BPF_REG_1, BPF_REG_2, 2), "ce 21 02 00 00 00 00 00"),
	ONE(BPF_JMP32_IMM(BPF_JSLT, BPF_REG_1, 5, -2), "c6 01 fe ff 05 00 00 00"),
	ONE(BPF_JMP32_IMM(BPF_JSET, BPF_REG_3, 0x80, 1), "46 03 01 00 80 00 00 00"),
	ONE(BPF_JMP_A(0), "05 00 00 00 00 00 00 00"),
	ONE(BPF_JMP_A(-1), "05 00 ff ff 00 00 00 00"),
	ONE(BPF_EMIT_CALL(BPF_FUNC_map_lookup_elem), "85 00 00 00 01 00 00 00"),
	ONE(BPF_CALL_REL(3), "85 10 00 00 03 00 00 00"),
	ONE(BPF_EXIT_INSN(), "95 00 00 00 00 00 00 00"),
	ONE(BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 42),
	    "b7 01 00 00 2a 00 00 00"),
	/* cpu v4 */
	ONE(BPF_SDIV64_REG(BPF_REG_1, BPF_REG_2), "3f 21 01 00 00 00 00 00"),
	ONE(BPF_SMOD64_REG(BPF_REG_1, BPF_REG_2), "9f 21 01 00 00 00 00 00"),
	ONE(BPF_SDIV32_REG(BPF_REG_3, BPF_REG_4), "3c 43 01 00 00 00 00 00"),
	ONE(BPF_SMOD32_REG(BPF_REG_3, BPF_REG_4), "9c 43 01 00 00 00 00 00"),
	ONE(BPF_SDIV64_IMM(BPF_REG_0, 7), "37 00 01 00 07 00 00 00"),
	ONE(BPF_SMOD64_IMM(BPF_REG_0, -7), "97 00 01 00 f9 ff ff ff"),
	ONE(BPF_SDIV32_IMM(BPF_REG_1, -3), "34 01 01 00 fd ff ff ff"),
	ONE(BPF_SMOD32_IMM(BPF_REG_1, 3), "94 01 01 00 03 00 00 00"),
	ONE(BPF_MOVSX64_REG(BPF_REG_1, BPF_REG_2, 8), "bf 21 08 00 00 00 00 00"),
	ONE(BPF_MOVSX64_REG(BPF_REG_1, BPF_REG_2, 16), "bf 21 10 00 00 00 00 00"),
	ONE(BPF_MOVSX64_REG(BPF_REG_1, BPF_REG_2, 32), "bf 21 20 00 00 00 00 00"),
	ONE(BPF_MOVSX32_REG(BPF_REG_1, BPF_REG_2, 8), "bc 21 08 00 00 00 00 00"),
	ONE(BPF_MOVSX32_REG(BPF_REG_1, BPF_REG_2, 16), "bc 21 10 00 00 00 00 00"),
	ONE(BPF_LDX_MEMSX(BPF_B, BPF_REG_1, BPF_REG_2, 4), "91 21 04 00 00 00 00 00"),
	ONE(BPF_LDX_MEMSX(BPF_H, BPF_REG_1, BPF_REG_2, -2), "89 21 fe ff 00 00 00 00"),
	ONE(BPF_LDX_MEMSX(BPF_W, BPF_REG_0, BPF_REG_10, -8), "81 a0 f8 ff 00 00 00 00"),
	ONE(BPF_BSWAP(BPF_REG_1, 16), "d7 01 00 00 10 00 00 00"),
	ONE(BPF_BSWAP(BPF_REG_2, 32), "d7 02 00 00 20 00 00 00"),
	ONE(BPF_BSWAP(BPF_REG_3, 64), "d7 03 00 00 40 00 00 00"),
	ONE(BPF_JMP32_A(-1), "06 00 00 00 ff ff ff ff"),
	ONE(BPF_JMP32_A(70000), "06 00 00 00 70 11 01 00"),
};

/* Bytes of the instructions as the ISA lays them out (little-endian host). */
static int hex_bytes(const char *hex, __u8 *out, int max)
{
	int n = 0;

	while (*hex && n < max) {
		char *end;

		out[n++] = (__u8)strtoul(hex, &end, 16);
		hex = end;
	}
	return n;
}

TEST(insn_known_encodings)
{
	int bad = 0;

	if (htons(1) == 1) {
		SKIP("the expected bytes are written for a little-endian host");
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(enc_cases); i++) {
		const struct enc_case *c = &enc_cases[i];
		__u8 want[16];
		int n = hex_bytes(c->hex, want, sizeof(want));

		if (!ASSERT_EQ(n, 8 * c->n, c->name) ||
		    !ASSERT_TRUE(!memcmp(c->insn, want, (size_t)n), c->name))
			bad++;
	}
	ASSERT_EQ(bad, 0, "macros with a wrong encoding");
	ASSERT_EQ(sizeof(struct bpf_insn), 8, "instruction size");
}

/* ---------------------------------------------------------------- against clang */

/* ref_asm in tests/bpf_insn_ref.c, line by line. */
static const struct bpf_insn ref_asm_insns[] = {
	BPF_ALU64_REG(BPF_ADD, BPF_REG_1, BPF_REG_2),
	BPF_ALU64_REG(BPF_SUB, BPF_REG_3, BPF_REG_4),
	BPF_ALU64_REG(BPF_MUL, BPF_REG_2, BPF_REG_3),
	BPF_ALU64_REG(BPF_DIV, BPF_REG_5, BPF_REG_6),
	BPF_ALU64_REG(BPF_OR, BPF_REG_7, BPF_REG_8),
	BPF_ALU64_REG(BPF_AND, BPF_REG_9, BPF_REG_1),
	BPF_ALU64_REG(BPF_LSH, BPF_REG_1, BPF_REG_2),
	BPF_ALU64_REG(BPF_RSH, BPF_REG_1, BPF_REG_2),
	BPF_ALU64_REG(BPF_XOR, BPF_REG_1, BPF_REG_2),
	BPF_ALU64_REG(BPF_ARSH, BPF_REG_1, BPF_REG_2),
	BPF_ALU32_REG(BPF_ADD, BPF_REG_1, BPF_REG_2),
	BPF_ALU32_REG(BPF_SUB, BPF_REG_3, BPF_REG_4),
	BPF_ALU32_REG(BPF_XOR, BPF_REG_9, BPF_REG_8),
	BPF_ALU32_REG(BPF_ARSH, BPF_REG_1, BPF_REG_2),
	BPF_ALU64_IMM(BPF_ADD, BPF_REG_1, 5),
	BPF_ALU64_IMM(BPF_ADD, BPF_REG_10, -8),
	BPF_ALU64_IMM(BPF_AND, BPF_REG_5, 255),
	BPF_ALU64_IMM(BPF_ARSH, BPF_REG_1, 3),
	BPF_ALU64_IMM(BPF_NEG, BPF_REG_1, 0),
	BPF_ALU32_IMM(BPF_LSH, BPF_REG_0, 3),
	BPF_ALU32_IMM(BPF_SUB, BPF_REG_1, 7),
	BPF_ALU32_IMM(BPF_DIV, BPF_REG_1, 10),
	BPF_MOV64_REG(BPF_REG_6, BPF_REG_1),
	BPF_MOV32_REG(BPF_REG_3, BPF_REG_4),
	BPF_MOV64_IMM(BPF_REG_0, -1),
	BPF_MOV32_IMM(BPF_REG_1, 42),
	BPF_ENDIAN(BPF_TO_BE, BPF_REG_1, 16),
	BPF_ENDIAN(BPF_TO_BE, BPF_REG_1, 32),
	BPF_ENDIAN(BPF_TO_LE, BPF_REG_1, 64),
	BPF_LD_IMM64(BPF_REG_3, 0x1122334455667788ULL),
	BPF_LD_IMM64(BPF_REG_1, -2),
	BPF_LD_ABS(BPF_B, 23),
	BPF_LD_ABS(BPF_H, 12),
	BPF_LD_ABS(BPF_W, 26),
	BPF_LD_IND(BPF_B, BPF_REG_3, 0),
	BPF_LDX_MEM(BPF_B, BPF_REG_4, BPF_REG_6, 1),
	BPF_LDX_MEM(BPF_H, BPF_REG_4, BPF_REG_6, 2),
	BPF_LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_1, 8),
	BPF_LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_10, -16),
	BPF_STX_MEM(BPF_B, BPF_REG_1, BPF_REG_3, 5),
	BPF_STX_MEM(BPF_H, BPF_REG_1, BPF_REG_3, 6),
	BPF_STX_MEM(BPF_W, BPF_REG_10, BPF_REG_0, -4),
	BPF_STX_MEM(BPF_DW, BPF_REG_10, BPF_REG_2, -8),
	BPF_STX_XADD(BPF_DW, BPF_REG_1, BPF_REG_2, 0),
	BPF_STX_XADD(BPF_W, BPF_REG_1, BPF_REG_2, 4),
	BPF_ATOMIC_OP(BPF_W, BPF_OR, BPF_REG_1, BPF_REG_2, 4),
	BPF_ATOMIC_OP(BPF_DW, BPF_AND, BPF_REG_1, BPF_REG_3, 8),
	BPF_ATOMIC_OP(BPF_DW, BPF_XOR, BPF_REG_1, BPF_REG_4, -8),
	BPF_JMP_REG(BPF_JGT, BPF_REG_1, BPF_REG_2, 1),
	BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 3),
	BPF_JMP_IMM(BPF_JNE, BPF_REG_1, 17, -5),
	BPF_JMP_REG(BPF_JSGE, BPF_REG_1, BPF_REG_2, 0),
	BPF_JMP_REG(BPF_JLE, BPF_REG_3, BPF_REG_4, 7),
	BPF_JMP32_REG(BPF_JSLT, BPF_REG_1, BPF_REG_2, 2),
	BPF_JMP32_IMM(BPF_JSLT, BPF_REG_1, 5, -2),
	BPF_JMP32_IMM(BPF_JEQ, BPF_REG_5, 8, 4),
	BPF_JMP_A(0),
	BPF_JMP_A(-1),
	BPF_EMIT_CALL(BPF_FUNC_map_lookup_elem),
	BPF_EMIT_CALL(BPF_FUNC_tail_call),
	BPF_EXIT_INSN(),
};

/* The atomic read-modify-write forms clang 14 emits for the __sync builtins of ref_atomics. */
static const struct {
	__u8 code;
	__s32 op;
	const char *what;
} ref_atomic_ops[] = {
	{ BPF_STX | BPF_DW | BPF_ATOMIC, BPF_ADD | BPF_FETCH, "__sync_fetch_and_add (64)" },
	{ BPF_STX | BPF_DW | BPF_ATOMIC, BPF_OR | BPF_FETCH, "__sync_fetch_and_or (64)" },
	{ BPF_STX | BPF_DW | BPF_ATOMIC, BPF_AND | BPF_FETCH, "__sync_fetch_and_and (64)" },
	{ BPF_STX | BPF_W | BPF_ATOMIC, BPF_XOR | BPF_FETCH, "__sync_fetch_and_xor (32)" },
	{ BPF_STX | BPF_DW | BPF_ATOMIC, BPF_XCHG, "__sync_lock_test_and_set (64)" },
	{ BPF_STX | BPF_DW | BPF_ATOMIC, BPF_CMPXCHG, "__sync_val_compare_and_swap (64)" },
	{ BPF_STX | BPF_W | BPF_ATOMIC, BPF_CMPXCHG, "__sync_val_compare_and_swap (32)" },
	{ BPF_STX | BPF_W | BPF_ATOMIC, BPF_XCHG, "__sync_lock_test_and_set (32)" },
};

static struct bpf_object *ref_open(void)
{
	char exe[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/bpf_insn_ref.o", dirname(exe));
	return bpf_object__open_file(path, NULL);
}

TEST(insn_match_clang_assembler)
{
	struct bpf_object *obj = ref_open();
	const struct bpf_program *p;
	const struct bpf_insn *got;
	size_t n;
	int bad = 0;

	if (!ASSERT_OK_PTR(obj, "open build/tests/bpf_insn_ref.o"))
		return;
	p = bpf_object__find_program_by_name(obj, "ref_asm");
	if (!ASSERT_OK_PTR(p, "ref_asm"))
		goto out;
	got = bpf_program__insns(p);
	n = bpf_program__insn_cnt(p);
	ASSERT_EQ(n, ARRAY_SIZE(ref_asm_insns), "instruction count");
	for (size_t i = 0; i < n && i < ARRAY_SIZE(ref_asm_insns); i++) {
		if (memcmp(&got[i], &ref_asm_insns[i], sizeof(got[i]))) {
			test_check(false, __FILE__, __LINE__,
				   "insn %zu: clang %02x %x/%x %d %d, macro %02x %x/%x %d %d", i,
				   got[i].code, got[i].dst_reg, got[i].src_reg, got[i].off,
				   got[i].imm, ref_asm_insns[i].code, ref_asm_insns[i].dst_reg,
				   ref_asm_insns[i].src_reg, ref_asm_insns[i].off,
				   ref_asm_insns[i].imm);
			bad++;
		}
	}
	ASSERT_EQ(bad, 0, "instructions that differ from clang's");
out:
	bpf_object__close(obj);
}

TEST(insn_match_clang_atomics)
{
	struct bpf_object *obj = ref_open();
	const struct bpf_program *p;
	const struct bpf_insn *got;
	size_t n;

	if (!ASSERT_OK_PTR(obj, "open build/tests/bpf_insn_ref.o"))
		return;
	p = bpf_object__find_program_by_name(obj, "ref_atomics");
	if (!ASSERT_OK_PTR(p, "ref_atomics"))
		goto out;
	got = bpf_program__insns(p);
	n = bpf_program__insn_cnt(p);
	for (size_t k = 0; k < ARRAY_SIZE(ref_atomic_ops); k++) {
		const struct bpf_insn *g = NULL;

		for (size_t i = 0; i < n && !g; i++)
			if (got[i].code == ref_atomic_ops[k].code && got[i].imm == ref_atomic_ops[k].op)
				g = &got[i];
		if (!ASSERT_OK_PTR(g, ref_atomic_ops[k].what))
			continue;
		/* the macro with clang's registers and offset must give clang's instruction */
		struct bpf_insn m = BPF_ATOMIC_OP(BPF_SIZE(g->code), ref_atomic_ops[k].op, g->dst_reg,
						  g->src_reg, g->off);

		ASSERT_TRUE(!memcmp(&m, g, sizeof(m)), ref_atomic_ops[k].what);
	}
out:
	bpf_object__close(obj);
}

/* ---------------------------------------------------------------- programs */

static char vlog[1 << 16];

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int a = 0, b = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return false;
	return a > major || (a == major && b >= minor);
}

/* Load through the verifier; on refusal the log goes to the test output. */
static int load(enum bpf_prog_type type, const struct bpf_insn *insns, size_t n)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .log_buf = vlog, .log_size = sizeof(vlog),
		    .log_level = 1);
	int fd;

	vlog[0] = '\0';
	fd = bpf_prog_load(type, "insn_test", "GPL", insns, n, &o);
	if (fd < 0) {
		int err = -errno;

		if (err == -ENOSPC || !vlog[0]) {	/* retry without a log for the errno */
			fd = bpf_prog_load(type, "insn_test", "GPL", insns, n, NULL);
			if (fd >= 0)
				return fd;
			err = -errno;
		}
		fprintf(stderr, "  verifier: %s\n", vlog);
		return err;
	}
	return fd;
}

static int array_map(__u32 value_size, __u32 entries)
{
	return bpf_map_create(BPF_MAP_TYPE_ARRAY, "insn_test", 4, value_size, entries, NULL);
}

static int run_skb(int fd, const void *pkt, __u32 len, __u32 repeat, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = len, .repeat = repeat);

	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	*retval = o.retval;
	return 0;
}

/*
 * A socket filter that counts packets by IP protocol in an array map (the classic
 * sock_example). In BPF_PROG_TEST_RUN a socket filter sees the packet from the network header
 * on (the kernel pulls the Ethernet header), so the protocol is at offset 9.
 */
TEST(insn_socket_filter_counts_by_protocol)
{
	int map = array_map(sizeof(__u64), 256), fd = -1;
	__u8 pkt[64], tcp[64], tiny[20];
	__u32 ret = 1, key;
	__u64 v;

	if (!ASSERT_TRUE(map >= 0, "create map"))
		return;
	struct bpf_insn prog[] = {
		BPF_MOV64_REG(BPF_REG_6, BPF_REG_1),		/* LD_ABS takes the skb in R6 */
		BPF_LD_ABS(BPF_B, 9),				/* R0 = ip->protocol */
		BPF_STX_MEM(BPF_W, BPF_REG_10, BPF_REG_0, -4),	/* key on the stack */
		BPF_MOV64_REG(BPF_REG_2, BPF_REG_10),
		BPF_ALU64_IMM(BPF_ADD, BPF_REG_2, -4),
		BPF_LD_MAP_FD(BPF_REG_1, map),
		BPF_EMIT_CALL(BPF_FUNC_map_lookup_elem),
		BPF_JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 2),
		BPF_MOV64_IMM(BPF_REG_1, 1),
		BPF_STX_XADD(BPF_DW, BPF_REG_0, BPF_REG_1, 0),
		BPF_MOV64_IMM(BPF_REG_0, 0),
		BPF_EXIT_INSN(),
	};

	fd = load(BPF_PROG_TYPE_SOCKET_FILTER, prog, ARRAY_SIZE(prog));
	if (!LOADED(fd < 0 ? fd : 0, "socket filter"))
		goto out;
	pkt_udp(pkt, sizeof(pkt), false);
	memcpy(tcp, pkt, sizeof(tcp));
	tcp[ETH_HLEN + 9] = IPPROTO_TCP;
	memcpy(tiny, pkt, sizeof(tiny));	/* not IP (the kernel checks IPv4 headers), 6 bytes */
	tiny[12] = 0x08;
	tiny[13] = 0x06;
	ASSERT_OK(run_skb(fd, pkt, sizeof(pkt), 1000, &ret), "run udp");
	ASSERT_EQ(ret, 0, "return value");
	ASSERT_OK(run_skb(fd, tcp, sizeof(tcp), 300, &ret), "run tcp");
	ASSERT_OK(run_skb(fd, tiny, sizeof(tiny), 7, &ret), "run truncated");
	ASSERT_EQ(ret, 0, "truncated packet: LD_ABS ends the program with 0");
	for (key = 0; key < 256; key++) {
		v = 0;
		bpf_map_lookup_elem(map, &key, &v);
		ASSERT_EQ(v, key == IPPROTO_UDP ? 1000 : key == IPPROTO_TCP ? 300 : 0,
			  key == IPPROTO_UDP ? "udp count" : key == IPPROTO_TCP ? "tcp count"
									   : "other protocols");
	}
out:
	if (fd >= 0)
		close(fd);
	close(map);
}

/* An XDP program: IPv4/UDP to port 9 goes back (XDP_TX) with the MACs swapped and the TTL
 * decremented, other IPv4 is dropped, the rest passes; short frames pass untouched. */
#define J(from, to) ((to) - (from) - 1)
enum { XP_DROP = 25, XP_PASS = 27 };

TEST(insn_xdp_program_verdicts_and_bytes)
{
	struct bpf_insn prog[] = {
		/* 0 */ BPF_LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_1, offsetof(struct xdp_md, data)),
		/* 1 */ BPF_LDX_MEM(BPF_W, BPF_REG_3, BPF_REG_1, offsetof(struct xdp_md, data_end)),
		/* 2 */ BPF_MOV64_REG(BPF_REG_4, BPF_REG_2),
		/* 3 */ BPF_ALU64_IMM(BPF_ADD, BPF_REG_4, 42),
		/* 4 */ BPF_JMP_REG(BPF_JGT, BPF_REG_4, BPF_REG_3, J(4, XP_PASS)),
		/* 5 */ BPF_LDX_MEM(BPF_H, BPF_REG_5, BPF_REG_2, 12),
		/* 6 */ BPF_JMP32_IMM(BPF_JNE, BPF_REG_5, htons(ETH_P_IP), J(6, XP_PASS)),
		/* 7 */ BPF_LDX_MEM(BPF_B, BPF_REG_5, BPF_REG_2, 23),
		/* 8 */ BPF_JMP_IMM(BPF_JNE, BPF_REG_5, IPPROTO_UDP, J(8, XP_DROP)),
		/* 9 */ BPF_LDX_MEM(BPF_H, BPF_REG_5, BPF_REG_2, 36),
		/* 10 */ BPF_ENDIAN(BPF_TO_BE, BPF_REG_5, 16),
		/* 11 */ BPF_JMP_IMM(BPF_JNE, BPF_REG_5, 9, J(11, XP_DROP)),
		/* 12 */ BPF_LDX_MEM(BPF_W, BPF_REG_6, BPF_REG_2, 0),
		/* 13 */ BPF_LDX_MEM(BPF_H, BPF_REG_7, BPF_REG_2, 4),
		/* 14 */ BPF_LDX_MEM(BPF_W, BPF_REG_8, BPF_REG_2, 6),
		/* 15 */ BPF_LDX_MEM(BPF_H, BPF_REG_9, BPF_REG_2, 10),
		/* 16 */ BPF_STX_MEM(BPF_W, BPF_REG_2, BPF_REG_8, 0),
		/* 17 */ BPF_STX_MEM(BPF_H, BPF_REG_2, BPF_REG_9, 4),
		/* 18 */ BPF_STX_MEM(BPF_W, BPF_REG_2, BPF_REG_6, 6),
		/* 19 */ BPF_STX_MEM(BPF_H, BPF_REG_2, BPF_REG_7, 10),
		/* 20 */ BPF_LDX_MEM(BPF_B, BPF_REG_6, BPF_REG_2, 22),
		/* 21 */ BPF_ALU32_IMM(BPF_ADD, BPF_REG_6, -1),
		/* 22 */ BPF_STX_MEM(BPF_B, BPF_REG_2, BPF_REG_6, 22),
		/* 23 */ BPF_MOV64_IMM(BPF_REG_0, XDP_TX),
		/* 24 */ BPF_EXIT_INSN(),
		/* 25 XP_DROP */ BPF_MOV64_IMM(BPF_REG_0, XDP_DROP),
		/* 26 */ BPF_EXIT_INSN(),
		/* 27 XP_PASS */ BPF_MOV64_IMM(BPF_REG_0, XDP_PASS),
		/* 28 */ BPF_EXIT_INSN(),
	};
	__u8 udp[80], out[80], want[80], other[80], v6[80];
	struct xdp_run r = { .data = udp, .len = sizeof(udp), .out = out, .out_len = sizeof(out),
			     .repeat = 1 };
	int fd = load(BPF_PROG_TYPE_XDP, prog, ARRAY_SIZE(prog));

	if (!LOADED(fd < 0 ? fd : 0, "XDP program"))
		return;
	pkt_udp(udp, sizeof(udp), false);
	memcpy(want, udp + 6, 6);
	memcpy(want + 6, udp, 6);
	memcpy(want + 12, udp + 12, sizeof(udp) - 12);
	want[ETH_HLEN + 8]--;
	if (ASSERT_OK(xdp_run(fd, &r), "run udp:9")) {
		ASSERT_EQ(r.retval, XDP_TX, "udp to port 9: XDP_TX");
		ASSERT_EQ(r.out_len, sizeof(udp), "length");
		ASSERT_TRUE(!memcmp(out, want, sizeof(want)), "MACs swapped, TTL 64 -> 63");
	}
	memcpy(other, udp, sizeof(udp));
	other[ETH_HLEN + 20 + 3] = 53;				/* UDP port 53 */
	r = (struct xdp_run){ .data = other, .len = sizeof(other), .repeat = 1 };
	if (ASSERT_OK(xdp_run(fd, &r), "run udp:53"))
		ASSERT_EQ(r.retval, XDP_DROP, "udp to another port: XDP_DROP");
	other[ETH_HLEN + 9] = IPPROTO_TCP;
	if (ASSERT_OK(xdp_run(fd, &r), "run tcp"))
		ASSERT_EQ(r.retval, XDP_DROP, "tcp: XDP_DROP");
	pkt_udp(v6, sizeof(v6), true);
	r = (struct xdp_run){ .data = v6, .len = sizeof(v6), .repeat = 1 };
	if (ASSERT_OK(xdp_run(fd, &r), "run ipv6"))
		ASSERT_EQ(r.retval, XDP_PASS, "ipv6: XDP_PASS");
	r = (struct xdp_run){ .data = udp, .len = 41, .out = out, .out_len = sizeof(out),
			      .repeat = 1 };
	if (ASSERT_OK(xdp_run(fd, &r), "run 41 bytes")) {
		ASSERT_EQ(r.retval, XDP_PASS, "too short for UDP: XDP_PASS");
		ASSERT_TRUE(!memcmp(out, udp, 41), "short frame untouched");
	}
	close(fd);
}

/* LD_IMM64, direct map value access (LD_MAP_VALUE), ST_MEM and every atomic form. */
TEST(insn_map_value_and_atomics)
{
	__u64 v[12] = { 0, 100, 0, 0x0f, 1000, 0, 0, 0, 0x7777, 0, 0, 0 }, got[12];
	__u32 key = 0, ret = 0;
	int map = array_map(sizeof(v), 1), fd = -1;
	__u8 pkt[64];

	if (!ASSERT_TRUE(map >= 0, "create map"))
		return;
	struct bpf_insn prog[] = {
		BPF_LD_MAP_VALUE(BPF_REG_1, map, 0),
		BPF_LD_IMM64(BPF_REG_2, 0x1122334455667788ULL),
		BPF_STX_MEM(BPF_DW, BPF_REG_1, BPF_REG_2, 0),		/* v0 = constant */
		BPF_MOV64_IMM(BPF_REG_3, 5),
		BPF_STX_XADD(BPF_DW, BPF_REG_1, BPF_REG_3, 8),		/* v1 += 5 */
		BPF_MOV64_IMM(BPF_REG_3, 3),
		BPF_ATOMIC_OP(BPF_DW, BPF_ADD | BPF_FETCH, BPF_REG_1, BPF_REG_3, 8),
		BPF_STX_MEM(BPF_DW, BPF_REG_1, BPF_REG_3, 16),		/* v2 = v1 before += 3 */
		BPF_MOV64_IMM(BPF_REG_4, 0xf0),
		BPF_ATOMIC_OP(BPF_DW, BPF_OR | BPF_FETCH, BPF_REG_1, BPF_REG_4, 24),
		BPF_STX_MEM(BPF_DW, BPF_REG_1, BPF_REG_4, 80),		/* v10 = v3 before |= */
		BPF_MOV64_IMM(BPF_REG_5, 77),
		BPF_ATOMIC_OP(BPF_DW, BPF_XCHG, BPF_REG_1, BPF_REG_5, 32),
		BPF_STX_MEM(BPF_DW, BPF_REG_1, BPF_REG_5, 40),		/* v5 = v4 before xchg */
		BPF_MOV64_IMM(BPF_REG_0, 77),
		BPF_MOV64_IMM(BPF_REG_6, 99),
		BPF_ATOMIC_OP(BPF_DW, BPF_CMPXCHG, BPF_REG_1, BPF_REG_6, 32),	/* 77 -> 99 */
		BPF_STX_MEM(BPF_DW, BPF_REG_1, BPF_REG_0, 48),		/* v6 = 77 */
		BPF_MOV64_IMM(BPF_REG_0, 1),
		BPF_ATOMIC_OP(BPF_DW, BPF_CMPXCHG, BPF_REG_1, BPF_REG_6, 32),	/* 99 != 1 */
		BPF_STX_MEM(BPF_DW, BPF_REG_1, BPF_REG_0, 56),		/* v7 = 99 */
		BPF_MOV32_IMM(BPF_REG_7, 0xff),
		BPF_ATOMIC_OP(BPF_W, BPF_XOR | BPF_FETCH, BPF_REG_1, BPF_REG_7, 64),
		BPF_STX_MEM(BPF_W, BPF_REG_1, BPF_REG_7, 72),		/* v9 = v8 lo before ^= */
		BPF_ATOMIC_OP(BPF_W, BPF_AND, BPF_REG_1, BPF_REG_7, 68),	/* v8 hi &= 0x7777 */
		BPF_ST_MEM(BPF_W, BPF_REG_1, 88, -1),			/* v11 lo = ~0 */
		BPF_ST_MEM(BPF_H, BPF_REG_1, 92, 0x1234),		/* v11 bytes 4..5 */
		BPF_LD_MAP_VALUE(BPF_REG_8, map, 88),
		BPF_LDX_MEM(BPF_W, BPF_REG_0, BPF_REG_8, 4),		/* return 0x1234 */
		BPF_EXIT_INSN(),
	};

	v[8] = 0x0000003300007777ULL;
	ASSERT_OK(bpf_map_update_elem(map, &key, v, BPF_ANY), "fill map");
	fd = load(BPF_PROG_TYPE_SOCKET_FILTER, prog, ARRAY_SIZE(prog));
	if (!LOADED(fd < 0 ? fd : 0, "map-value program"))
		goto out;
	pkt_udp(pkt, sizeof(pkt), false);
	if (!ASSERT_OK(run_skb(fd, pkt, sizeof(pkt), 1, &ret), "run"))
		goto out;
	ASSERT_EQ(ret, 0x1234, "value read back through a second LD_MAP_VALUE");
	ASSERT_OK(bpf_map_lookup_elem(map, &key, got), "read map");
	ASSERT_EQ(got[0], 0x1122334455667788ULL, "LD_IMM64 stored");
	ASSERT_EQ(got[1], 108, "add and fetch-add");
	ASSERT_EQ(got[2], 105, "fetch-add returned the old value");
	ASSERT_EQ(got[3], 0xff, "fetch-or");
	ASSERT_EQ(got[10], 0x0f, "fetch-or returned the old value");
	ASSERT_EQ(got[4], 99, "xchg then a successful cmpxchg");
	ASSERT_EQ(got[5], 1000, "xchg returned the old value");
	ASSERT_EQ(got[6], 77, "successful cmpxchg returned the old value");
	ASSERT_EQ(got[7], 99, "failed cmpxchg returned the current value");
	ASSERT_EQ(got[8], 0x0000003300007788ULL, "32-bit fetch-xor and and");
	ASSERT_EQ(got[9], 0x7777, "32-bit fetch-xor returned the old value");
	ASSERT_EQ(got[11], 0x00001234ffffffffULL, "ST_MEM word and half-word");
out:
	if (fd >= 0)
		close(fd);
	close(map);
}

/* The cpu v4 forms through the verifier (kernel >= 6.6), results in a map value. */
TEST(insn_cpu_v4_forms_compute)
{
	__u64 got[10] = {}, zero[10] = {};
	__u32 key = 0, ret = 0;
	int map = array_map(sizeof(got), 1), fd = -1;
	__u8 pkt[64];

	if (!ASSERT_TRUE(map >= 0, "create map"))
		return;
	struct bpf_insn prog[] = {
		BPF_LD_MAP_VALUE(BPF_REG_1, map, 0),
		BPF_MOV64_IMM(BPF_REG_2, -7),
		BPF_SDIV64_IMM(BPF_REG_2, 2),
		BPF_STX_MEM(BPF_DW, BPF_REG_1, BPF_REG_2, 0),		/* -7 / 2 = -3 */
		BPF_MOV64_IMM(BPF_REG_2, -7),
		BPF_MOV64_IMM(BPF_REG_3, 2),
		BPF_SMOD64_REG(BPF_REG_2, BPF_REG_3),
		BPF_STX_MEM(BPF_DW, BPF_REG_1, BPF_REG_2, 8),		/* -7 % 2 = -1 */
		BPF_MOV32_IMM(BPF_REG_2, -7),
		BPF_SDIV32_IMM(BPF_REG_2, -2),
		BPF_STX_MEM(BPF_DW, BPF_REG_1, BPF_REG_2, 16),		/* (u32)(-7 / -2) = 3 */
		BPF_MOV64_IMM(BPF_REG_2, 0x180),
		BPF_MOVSX64_REG(BPF_REG_3, BPF_REG_2, 8),
		BPF_STX_MEM(BPF_DW, BPF_REG_1, BPF_REG_3, 24),		/* (s8)0x80 = -128 */
		BPF_MOV64_IMM(BPF_REG_2, 0x8000),
		BPF_MOVSX32_REG(BPF_REG_3, BPF_REG_2, 16),
		BPF_STX_MEM(BPF_DW, BPF_REG_1, BPF_REG_3, 32),		/* 0xffff8000, zero-ext */
		BPF_ST_MEM(BPF_B, BPF_REG_1, 40, 0xfe),
		BPF_LDX_MEMSX(BPF_B, BPF_REG_3, BPF_REG_1, 40),
		BPF_STX_MEM(BPF_DW, BPF_REG_1, BPF_REG_3, 48),		/* (s8)0xfe = -2 */
		BPF_LD_IMM64(BPF_REG_2, 0x0102030405060708ULL),
		BPF_BSWAP(BPF_REG_2, 64),
		BPF_STX_MEM(BPF_DW, BPF_REG_1, BPF_REG_2, 56),
		BPF_MOV64_IMM(BPF_REG_2, 0x11223344),
		BPF_BSWAP(BPF_REG_2, 16),
		BPF_STX_MEM(BPF_DW, BPF_REG_1, BPF_REG_2, 64),		/* 0x4433 */
		BPF_MOV64_IMM(BPF_REG_0, 1),
		BPF_JMP_IMM(BPF_JNE, BPF_REG_0, 1, 1),	/* never taken; keeps the next-but-one reachable */
		BPF_JMP32_A(1),
		BPF_MOV64_IMM(BPF_REG_0, 3),				/* jumped over */
		BPF_MOV32_REG(BPF_REG_2, BPF_REG_0),
		BPF_STX_MEM(BPF_DW, BPF_REG_1, BPF_REG_2, 72),		/* 1 */
		BPF_MOV64_IMM(BPF_REG_0, 2),
		BPF_EXIT_INSN(),
	};

	ASSERT_OK(bpf_map_update_elem(map, &key, zero, BPF_ANY), "clear map");
	if (!kernel_at_least(6, 6)) {
		SKIP("cpu v4 instructions need kernel >= 6.6");
		goto out;
	}
	fd = load(BPF_PROG_TYPE_SOCKET_FILTER, prog, ARRAY_SIZE(prog));
	if (!LOADED(fd < 0 ? fd : 0, "cpu v4 program"))
		goto out;
	pkt_udp(pkt, sizeof(pkt), false);
	if (!ASSERT_OK(run_skb(fd, pkt, sizeof(pkt), 1, &ret), "run"))
		goto out;
	ASSERT_EQ(ret, 2, "return value");
	ASSERT_OK(bpf_map_lookup_elem(map, &key, got), "read map");
	ASSERT_EQ((__s64)got[0], -3, "sdiv64 imm");
	ASSERT_EQ((__s64)got[1], -1, "smod64 reg");
	ASSERT_EQ(got[2], 3, "sdiv32 imm");
	ASSERT_EQ((__s64)got[3], -128, "movsx64 8");
	ASSERT_EQ(got[4], 0xffff8000ULL, "movsx32 16 (zero-extended to 64)");
	ASSERT_EQ((__s64)got[6], -2, "ldx memsx byte");
	ASSERT_EQ(got[7], 0x0807060504030201ULL, "bswap64");
	ASSERT_EQ(got[8], 0x4433, "bswap16");
	ASSERT_EQ(got[9], 1, "gotol skipped one instruction");
out:
	if (fd >= 0)
		close(fd);
	close(map);
}

/* A bpf-to-bpf call (BPF_CALL_REL) and load-acquire/store-release (kernel >= 6.15). */
TEST(insn_call_rel_and_acquire_release)
{
	__u64 val[2] = { 0, 0 };
	__u32 key = 0, ret = 0;
	int map = array_map(sizeof(val), 1), fd = -1;
	__u8 pkt[64];

	if (!ASSERT_TRUE(map >= 0, "create map"))
		return;
	struct bpf_insn prog[] = {
		BPF_MOV64_IMM(BPF_REG_1, 20),
		BPF_CALL_REL(6),		/* to the subprogram (LD_MAP_VALUE is two slots) */
		BPF_LD_MAP_VALUE(BPF_REG_2, map, 0),
		BPF_STORE_RELEASE(BPF_DW, BPF_REG_2, BPF_REG_0, 0),	/* v0 = 42 */
		BPF_LOAD_ACQUIRE(BPF_DW, BPF_REG_3, BPF_REG_2, 0),
		BPF_STX_MEM(BPF_DW, BPF_REG_2, BPF_REG_3, 8),		/* v1 = v0 */
		BPF_EXIT_INSN(),
		/* subprogram: r0 = r1 * 2 + 2 */
		BPF_MOV64_REG(BPF_REG_0, BPF_REG_1),
		BPF_ALU64_IMM(BPF_MUL, BPF_REG_0, 2),
		BPF_ALU64_IMM(BPF_ADD, BPF_REG_0, 2),
		BPF_EXIT_INSN(),
	};

	if (!kernel_at_least(6, 15)) {
		SKIP("load-acquire/store-release need kernel >= 6.15");
		goto out;
	}
	fd = load(BPF_PROG_TYPE_SOCKET_FILTER, prog, ARRAY_SIZE(prog));
	if (!LOADED(fd < 0 ? fd : 0, "call/acquire/release program"))
		goto out;
	pkt_udp(pkt, sizeof(pkt), false);
	if (!ASSERT_OK(run_skb(fd, pkt, sizeof(pkt), 1, &ret), "run"))
		goto out;
	ASSERT_EQ(ret, 42, "subprogram result");
	ASSERT_OK(bpf_map_lookup_elem(map, &key, val), "read map");
	ASSERT_EQ(val[0], 42, "store-release");
	ASSERT_EQ(val[1], 42, "load-acquire");
out:
	if (fd >= 0)
		close(fd);
	close(map);
}

/* BPF_ZEXT_REG is the verifier's own zero-extension marker (imm 1): loaded programs may not use
 * it, a plain BPF_MOV32_REG zero-extends already. */
TEST(insn_zext_reg_refused_in_loaded_programs)
{
	struct bpf_insn prog[] = {
		BPF_MOV64_IMM(BPF_REG_0, 1),
		BPF_ZEXT_REG(BPF_REG_0),
		BPF_EXIT_INSN(),
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "insn_zext", "GPL", prog,
			       ARRAY_SIZE(prog), NULL);

	if (fd >= 0)
		close(fd);
	if (fd < 0 && skip_if_eperm(-errno, "load"))
		return;
	ASSERT_TRUE(fd < 0 && errno == EINVAL, "refused with EINVAL (BPF_MOV uses reserved fields)");
}
