/* SPDX-License-Identifier: GPL-2.0 */
/* bpf_insn.h: macros to write raw eBPF instructions as struct bpf_insn initialisers. */
#ifndef BPF_INSN_H
#define BPF_INSN_H

#include <linux/bpf.h>

/* ALU on 64-bit and 32-bit registers, register and immediate sources */
#define BPF_ALU64_REG(OP, DST, SRC)                                                              \
	((struct bpf_insn){ .code = BPF_ALU64 | BPF_OP(OP) | BPF_X, .dst_reg = DST,                \
			    .src_reg = SRC, .off = 0, .imm = 0 })
#define BPF_ALU32_REG(OP, DST, SRC)                                                              \
	((struct bpf_insn){ .code = BPF_ALU | BPF_OP(OP) | BPF_X, .dst_reg = DST, .src_reg = SRC,  \
			    .off = 0, .imm = 0 })
#define BPF_ALU64_IMM(OP, DST, IMM)                                                              \
	((struct bpf_insn){ .code = BPF_ALU64 | BPF_OP(OP) | BPF_K, .dst_reg = DST, .src_reg = 0,  \
			    .off = 0, .imm = IMM })
#define BPF_ALU32_IMM(OP, DST, IMM)                                                              \
	((struct bpf_insn){ .code = BPF_ALU | BPF_OP(OP) | BPF_K, .dst_reg = DST, .src_reg = 0,    \
			    .off = 0, .imm = IMM })

/* register moves */
#define BPF_MOV64_REG(DST, SRC)                                                                  \
	((struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = DST, .src_reg = SRC,  \
			    .off = 0, .imm = 0 })
#define BPF_MOV32_REG(DST, SRC)                                                                  \
	((struct bpf_insn){ .code = BPF_ALU | BPF_MOV | BPF_X, .dst_reg = DST, .src_reg = SRC,    \
			    .off = 0, .imm = 0 })
#define BPF_MOV64_IMM(DST, IMM)                                                                  \
	((struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = DST, .src_reg = 0,    \
			    .off = 0, .imm = IMM })
#define BPF_MOV32_IMM(DST, IMM)                                                                  \
	((struct bpf_insn){ .code = BPF_ALU | BPF_MOV | BPF_K, .dst_reg = DST, .src_reg = 0,      \
			    .off = 0, .imm = IMM })

/* helper call and program exit */
#define BPF_EMIT_CALL(FUNC)                                                                      \
	((struct bpf_insn){ .code = BPF_JMP | BPF_CALL, .dst_reg = 0, .src_reg = 0, .off = 0,     \
			    .imm = (FUNC) })
#define BPF_EXIT_INSN()                                                                          \
	((struct bpf_insn){ .code = BPF_JMP | BPF_EXIT, .dst_reg = 0, .src_reg = 0, .off = 0,     \
			    .imm = 0 })

#endif /* BPF_INSN_H */
