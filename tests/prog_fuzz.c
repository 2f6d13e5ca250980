// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz of the XDP programs whose own test files do not fuzz them (xdp_rxq_info, xdp_fwd and
 * xdp_sample_pkts fuzz in theirs): fuzz_runs() random and mutated frames each, verdicts only from
 * the documented set, counters adding up to the number of runs.
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common_user.h"
#include "prog_run.h"
#include "xdp_redirect.h"
#include "xdp_redirect.skel.h"
#include "xdp_redirect_cpu.h"
#include "xdp_redirect_cpu.skel.h"
#include "xdpsock.h"
#include "xdpsock.skel.h"

/* xdpsock_kern with three (empty) socket slots: frames of queue 0 find no socket and get the
 * bpf_redirect_map() fallback, XDP_PASS; the record accounts for every frame. */
TEST(xsk_fuzz_random_frames)
{
	struct xdpsock_kern *s = xdpsock_kern__open();
	__u64 rng = 0x5eed0004, sum = 0;
	struct xsk_prog_rec total;
	__u32 runs = fuzz_runs();

	if (!ASSERT_OK_PTR(s, "open xdpsock_kern"))
		return;
	s->rodata->cfg.queue = 0;
	s->rodata->cfg.nsocks = 3;
	if (!LOADED(xdpsock_kern__load(s), "xdpsock_kern"))
		goto out;
	ASSERT_EQ(FUZZ_VERDICTS(bpf_program__fd(s->progs.xdpsock_prog), runs, &rng, XDP_PASS), 0,
		  "runs with another verdict than XDP_PASS (no socket bound)");
	if (!ASSERT_OK(PERCPU_SUM(bpf_map__fd(s->maps.xsk_stats), &(__u32){ 0 }, ncpus_possible(),
				  &total), "read xsk_stats"))
		goto out;
	sum = total.other_queue + total.no_socket;	/* every counter (the cursor is none) */
	for (unsigned int k = 0; k < XSK_MAX_SOCKS; k++)
		sum += total.redirect[k];
	ASSERT_EQ(total.no_socket, runs, "no_socket == runs");
	ASSERT_EQ(sum, runs, "every frame counted exactly once");
out:
	xdpsock_kern__destroy(s);
}

/* xdp_redirect_kern in each mode with its frame work on (--read-bytes 9216 with the swap,
 * --load-bytes with the swap, nothing, the swap alone), each in the program the tool picks for
 * it: XDP_REDIRECT for every frame, and every frame counted
 * redirected (and short, when 9,216 bytes were asked of it). */
TEST(redir_fuzz_random_frames)
{
	static const struct redir_cfg cfgs[] = {
		{ .mode = REDIR_M_IFINDEX, .ifindex_out = 1, .read_bytes = REDIR_READ_MAX,
		  .flags = REDIR_F_SWAPMAC | REDIR_F_READ },
		{ .mode = REDIR_M_MAP, .flags = REDIR_F_SWAPMAC | REDIR_F_LOAD_BYTES },
		{ .mode = REDIR_M_MULTI },
		/* the specialised programs: the default, --map */
		{ .mode = REDIR_M_IFINDEX, .ifindex_out = 1, .flags = REDIR_F_SWAPMAC },
		{ .mode = REDIR_M_MAP, .flags = REDIR_F_SWAPMAC },
	};
	__u64 rng = 0x5eed0012;

	for (size_t c = 0; c < ARRAY_SIZE(cfgs); c++) {
		struct xdp_redirect_kern *s = xdp_redirect_kern__open();
		struct bpf_devmap_val lo = { .ifindex = 1 };
		__u32 runs = fuzz_runs(), key = 0;
		struct bpf_program *p;
		struct redir_rec t;

		if (!ASSERT_OK_PTR(s, "open xdp_redirect_kern"))
			return;
		s->rodata->cfg = cfgs[c];
		p = redir_prog_pick(s);		/* the program the tool runs: specialised or not */
		if (!LOADED(xdp_redirect_kern__load(s), "xdp_redirect_kern")) {
			xdp_redirect_kern__destroy(s);
			return;
		}
		if (!ASSERT_OK(bpf_map_update_elem(bpf_map__fd(s->maps.redir_tx_port), &key, &lo,
					       0), "devmap slot 0"))
			goto next;
		ASSERT_EQ(FUZZ_VERDICTS(bpf_program__fd(p), runs, &rng,
					XDP_REDIRECT), 0, "runs with another verdict");
		if (!ASSERT_OK(PERCPU_SUM(bpf_map__fd(s->maps.redir_stats), &(__u32){ 0 },
					  ncpus_possible(), &t), "read redir_stats"))
			goto next;
		ASSERT_EQ(t.rx, runs, "rx == runs");
		ASSERT_EQ(t.redirected, runs, "redirected == runs");
		ASSERT_EQ(t.no_target + t.aborted, 0, "no other outcome");
		ASSERT_EQ(t.short_frame, cfgs[c].flags & REDIR_F_READ ? runs : 0, "short frames");
next:
		xdp_redirect_kern__destroy(s);
	}
}

/* xdp_redirect_cpu_kern with each strategy over three targets that all have a cpumap entry:
 * XDP_REDIRECT for every frame, the per-target counts add up to the runs, and only strategies
 * that read headers count malformed frames. */
TEST(rcpu_fuzz_random_frames)
{
	__u64 rng = 0x5eed0013;

	for (__u32 lb = 0; lb < RCPU_LB_N; lb++) {
		struct xdp_redirect_cpu_kern *s = xdp_redirect_cpu_kern__open();
		struct bpf_cpumap_val v = { .qsize = 64 };
		static struct rcpu_rec t;	/* 4 KiB */
		struct bpf_program *p;
		__u32 runs = fuzz_runs(), cpu0 = 0;
		__u64 targets = 0;

		if (!ASSERT_OK_PTR(s, "open xdp_redirect_cpu_kern"))
			return;
		s->rodata->cfg.lb = lb;
		s->rodata->cfg.ncpus = 3;	/* CPU 0 three times: every target has an entry */
		p = rcpu_prog_pick(s);		/* the program the tool runs: specialised or not */
		if (!LOADED(xdp_redirect_cpu_kern__load(s), "xdp_redirect_cpu_kern")) {
			xdp_redirect_cpu_kern__destroy(s);
			return;
		}
		if (!ASSERT_OK(bpf_map_update_elem(bpf_map__fd(s->maps.rcpu_cpu_map), &cpu0, &v, 0),
			       "cpumap entry"))
			goto next;
		ASSERT_EQ(FUZZ_VERDICTS(bpf_program__fd(p), runs, &rng,
					XDP_REDIRECT), 0, "runs with another verdict");
		if (!ASSERT_OK(PERCPU_SUM(bpf_map__fd(s->maps.rcpu_stats), &(__u32){ 0 },
					  ncpus_possible(), &t), "read rcpu_stats"))
			goto next;
		for (__u32 i = 0; i < RCPU_TARGETS_MAX; i++)
			targets += t.target[i].redirected;
		ASSERT_EQ(t.rx, runs, "rx == runs");
		ASSERT_EQ(t.redirected, runs, "redirected == runs");
		ASSERT_EQ(t.no_entry, 0, "no_entry");
		ASSERT_EQ(targets, runs, "per-target counts add up");
		if (lb == RCPU_LB_NO_TOUCH || lb == RCPU_LB_ROUND_ROBIN)
			ASSERT_EQ(t.malformed, 0, "strategies that do not read: nothing malformed");
		else
			ASSERT_TRUE(t.malformed > 0 && t.malformed < runs, "some frames malformed");
next:
		xdp_redirect_cpu_kern__destroy(s);
	}
}
