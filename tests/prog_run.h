/* SPDX-License-Identifier: GPL-2.0 */
/*
 * prog_run.h: helpers for the BPF_PROG_TEST_RUN tests (tests/prog_<tool>.c). The prog_run binary
 * moves into a private network namespace first, so devices a test creates vanish with it.
 */
#ifndef TESTS_PROG_RUN_H
#define TESTS_PROG_RUN_H

#include <linux/bpf.h>
#include <linux/types.h>
#include <stdbool.h>

#include "harness.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* A valid Ethernet/IPv4/UDP frame of len bytes (>= 42), or IPv6 with v6; returns len. */
__u32 pkt_udp(__u8 *buf, __u32 len, bool v6);

struct xdp_run {
	const void *data;	/* frame in */
	__u32 len;
	void *out;		/* frame out (may be NULL) */
	__u32 out_len;		/* in: size of out; after: bytes written */
	__u32 repeat;
	__u32 ifindex;		/* ctx ingress_ifindex (0: none given) */
	__u32 rxq;		/* ctx rx_queue_index (needs ifindex) */
	__u32 retval;		/* after: the verdict */
	__u32 duration_ns;	/* after: average ns per run */
};

int xdp_run(int prog_fd, struct xdp_run *r);	/* 0 or -errno */

/*
 * Fuzzing: one random or mutated frame into buf (at most max bytes, max >= 1514), from the
 * xorshift state *rng; returns its length (14..max: the kernel refuses shorter test input).
 * Kinds: random bytes; valid IPv4/IPv6 UDP truncated anywhere; one or two VLAN tags; IPv4
 * options and bogus IHL/total length; IPv6 extension header chains with bogus lengths; valid
 * frames with random bytes flipped. *kind receives which (for failure messages), may be NULL.
 */
__u32 fuzz_frame(__u8 *buf, __u32 max, __u64 *rng, int *kind);
__u64 fuzz_rand(__u64 *rng);
/* Sum field idx (of n_u64 counters) of key over all CPUs. */
__u64 map_sum(int map_fd, __u32 key, unsigned int n_u64, unsigned int idx);
/* Runs a shell command (for ip link ...); returns its exit status. */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* True when the kernel refused with EPERM: the test then skips with the reason. */
bool skip_if_eperm(int err, const char *what);

#endif /* TESTS_PROG_RUN_H */
