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
#include <stddef.h>

#include "frame.h"
#include "harness.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/*
 * The tests' frames (frame.h): pkt_spec() gives their headers, 02:00:00:00:00:01 ->
 * 02:00:00:00:00:02, 10.200.0.1 -> 10.200.0.2 (fd00::1 -> fd00::2 with v6), TTL 64, UDP
 * 9000 -> 9; pkt_frame() builds a frame of len bytes from a spec, payload byte i = (__u8)i,
 * checksums valid, and returns len (0 when len cannot hold the headers); pkt_udp() is
 * pkt_frame() of pkt_spec().
 */
void pkt_spec(struct frame_spec *s, bool v6);
__u32 pkt_frame(__u8 *buf, __u32 len, const struct frame_spec *s);
__u32 pkt_udp(__u8 *buf, __u32 len, bool v6);	/* len >= 42 (IPv4), 62 (IPv6) */

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
 * Live frames (BPF_F_TEST_XDP_LIVE_FRAMES): repeat copies of the frame enter prog on device
 * ifindex's queue 0 and really go where the verdicts send them (redirects are flushed, XDP_PASS
 * frames reach the stack). The frame data is not reset between runs of one call. 0 or -errno.
 */
int xdp_live(int prog_fd, __u32 ifindex, const void *data, __u32 len, __u32 repeat);

/*
 * Receiving what really arrived on a device: an AF_PACKET socket (non-blocking, 4 MiB receive
 * buffer: a frame from XDP takes a page of it) bound to ifname; fd or -errno.
 */
int psock_open(const char *ifname);
/*
 * Frames of pkt_udp()'s IPv4 flow (UDP to port 9) received on fd, not counting other traffic
 * (IPv6 neighbour discovery of fresh devices): waits until want of them arrived or 2 s passed,
 * then takes what is already queued, so extras count too. *same counts those equal to expect.
 */
__u32 psock_received(int fd, __u32 want, const __u8 *expect, __u32 len, __u32 *same);

/* CPU affinity saved by cpu_pin() (a cpu_set_t of 1024 CPUs). */
struct cpu_mask {
	unsigned long bits[1024 / (8 * sizeof(unsigned long))];
};
/* Pin this thread to the CPU it runs on (BPF_PROG_TEST_RUN's repeat loop may migrate between
 * runs, and per-CPU state such as a round-robin cursor must stay on one); returns that CPU. */
int cpu_pin(struct cpu_mask *saved);
void cpu_unpin(const struct cpu_mask *saved);

/*
 * Fuzzing: one random or mutated frame into buf (at most max bytes, max >= 1514), from the
 * xorshift state *rng; returns its length (14..max: the kernel refuses shorter test input).
 * Kinds: random bytes; valid IPv4/IPv6 UDP truncated anywhere; one or two VLAN tags; IPv4
 * options and bogus IHL/total length; IPv6 extension header chains with bogus lengths; valid
 * frames with random bytes flipped. *kind receives which (for failure messages), may be NULL.
 */
__u32 fuzz_frame(__u8 *buf, __u32 max, __u64 *rng, int *kind);
__u64 fuzz_rand(__u64 *rng);
/*
 * runs fuzzed frames (fuzz_frame() from *rng), one BPF_PROG_TEST_RUN each, through prog_fd,
 * whose verdict must be want every time: returns how many runs failed or gave another verdict;
 * the first of them fails the test at the caller's file:line, with the frame's kind.
 */
#define FUZZ_VERDICTS(prog_fd, runs, rng, want) \
	fuzz_verdicts((prog_fd), (runs), (rng), (want), __FILE__, __LINE__)
__u32 fuzz_verdicts(int prog_fd, __u32 runs, __u64 *rng, __u32 want, const char *file, int line);
/*
 * Frames per fuzz: 100,000; 10,000 in the smoke layer (SMOKE_LAYER set: tests/smoke.sh, which
 * `make check` runs inside the 6.1 and 6.12 kernels under qemu's TCG, 20-50x slower at BPF: there
 * it shows the programs hold on that kernel's verifier and JIT; the host's run fuzzes in full).
 */
#define FUZZ_RUNS 100000U
__u32 fuzz_runs(void);
/*
 * Key of a per-CPU map of counter records, summed over CPUs into *rec, a record of its own type
 * (common_user.h); when it cannot be read every field is ~0, so the assertions on it fail.
 */
void map_sum(int map_fd, __u32 key, void *rec, size_t rec_size);
#define MAP_SUM(map_fd, key, rec)                                                                \
	({                                                                                       \
		_Static_assert(sizeof(*(rec)) % sizeof(__u64) == 0, "a record of __u64s");       \
		map_sum(map_fd, key, rec, sizeof(*(rec)));                                       \
	})
/* Runs a shell command (for ip link ...); returns its exit status. */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* True when the kernel refused with EPERM: the test then skips with the reason. */
bool skip_if_eperm(int err, const char *what);
/*
 * The end of a load: err 0 (or a skeleton p that __open_and_load() gave) is true. Otherwise the
 * test is marked skipped when the kernel refused for want of privilege (EPERM), failed for any
 * other error (the caller's file:line, what, the error), and it is false: the test must end.
 */
#define LOADED(err, what) test_loaded((err), (what), __FILE__, __LINE__)
#define LOADED_PTR(p, what) test_loaded((p) ? 0 : errno ? -errno : -EINVAL, (what), __FILE__, __LINE__)
bool test_loaded(int err, const char *what, const char *file, int line);
/*
 * The verifier's statistics of prog into buf when it is loaded (call before the load), and the
 * number of instructions it processed, read from buf after the load (-1 if not there): what
 * stands between a program and the verifier's limit of 1,000,000 on every kernel.
 */
struct bpf_program;
void verifier_stats_on(struct bpf_program *prog, char *buf, size_t len);
long verifier_insns(const char *buf);
/* The verifier processed 1 .. max-1 instructions (statistics in buf); evaluates to their count. */
#define ASSERT_VERIFIED_BELOW(buf, max, what)                                                    \
	({                                                                                       \
		long _n = verifier_insns(buf);                                                   \
		test_check(_n > 0 && _n < (max), __FILE__, __LINE__,                             \
			   "%s: the verifier processed %ld instructions, want fewer than %ld", what, \
			   _n, (long)(max));                                                     \
		_n;                                                                              \
	})

#endif /* TESTS_PROG_RUN_H */
