// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_insn_ref.c: reference instructions from clang, for tests/prog_bpf_insn.c. Built with the
 * suite's BPF flags into build/tests/bpf_insn_ref.o and never loaded: the test reads the
 * programs' instructions (libbpf, before relocation) and compares them with bpf_insn.h.
 * ref_asm: clang's assembler, one line per macro in the same order as the test's table.
 * ref_atomics: clang's code generator for the fetch/xchg/cmpxchg builtins.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket") __attribute__((naked)) int ref_asm(void)
{
	asm volatile(
		"r1 += r2\n"
		"r3 -= r4\n"
		"r2 *= r3\n"
		"r5 /= r6\n"
		"r7 |= r8\n"
		"r9 &= r1\n"
		"r1 <<= r2\n"
		"r1 >>= r2\n"
		"r1 ^= r2\n"
		"r1 s>>= r2\n"
		"w1 += w2\n"
		"w3 -= w4\n"
		"w9 ^= w8\n"
		"w1 s>>= w2\n"
		"r1 += 5\n"
		"r10 += -8\n"
		"r5 &= 255\n"
		"r1 s>>= 3\n"
		"r1 = -r1\n"
		"w0 <<= 3\n"
		"w1 -= 7\n"
		"w1 /= 10\n"
		"r6 = r1\n"
		"w3 = w4\n"
		"r0 = -1\n"
		"w1 = 42\n"
		"r1 = be16 r1\n"
		"r1 = be32 r1\n"
		"r1 = le64 r1\n"
		"r3 = 0x1122334455667788 ll\n"
		"r1 = -2 ll\n"
		"r0 = *(u8 *)skb[23]\n"
		"r0 = *(u16 *)skb[12]\n"
		"r0 = *(u32 *)skb[26]\n"
		"r0 = *(u8 *)skb[r3]\n"
		"r4 = *(u8 *)(r6 + 1)\n"
		"r4 = *(u16 *)(r6 + 2)\n"
		"r2 = *(u32 *)(r1 + 8)\n"
		"r0 = *(u64 *)(r10 - 16)\n"
		"*(u8 *)(r1 + 5) = r3\n"
		"*(u16 *)(r1 + 6) = r3\n"
		"*(u32 *)(r10 - 4) = r0\n"
		"*(u64 *)(r10 - 8) = r2\n"
		"lock *(u64 *)(r1 + 0) += r2\n"
		"lock *(u32 *)(r1 + 4) += r2\n"
		"lock *(u32 *)(r1 + 4) |= w2\n"
		"lock *(u64 *)(r1 + 8) &= r3\n"
		"lock *(u64 *)(r1 - 8) ^= r4\n"
		"if r1 > r2 goto +1\n"
		"if r0 == 0 goto +3\n"
		"if r1 != 17 goto -5\n"
		"if r1 s>= r2 goto +0\n"
		"if r3 <= r4 goto +7\n"
		"if w1 s< w2 goto +2\n"
		"if w1 s< 5 goto -2\n"
		"if w5 == 8 goto +4\n"
		"goto +0\n"
		"goto -1\n"
		"call 1\n"
		"call 12\n"
		"exit\n");
}

SEC("socket") int ref_atomics(long *p)
{
	long v = (long)p;

	return __sync_fetch_and_add(p, v) + __sync_fetch_and_or(p + 1, 3) +
	       __sync_fetch_and_and(p + 2, 6) + __sync_fetch_and_xor((int *)p, 3) +
	       __sync_lock_test_and_set(p + 1, 7) + __sync_val_compare_and_swap(p + 2, 1, 9) +
	       __sync_val_compare_and_swap((int *)p + 2, 1, 9) +
	       __sync_lock_test_and_set((int *)p + 3, 7);
}

char LICENSE[] SEC("license") = "GPL";
