// SPDX-License-Identifier: GPL-2.0
/* BPF_PROG_TEST_RUN tests of xdp_rxq_info_kern.c. */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "prog_run.h"
#include "xdp_rxq_info.h"
#include "xdp_rxq_info.skel.h"

/* Loaded with this configuration; NULL when the test must end (skipped or failed). */
static struct xdp_rxq_info_kern *load_or_end(__u32 action, __u32 flags, __u32 read_bytes,
					     __u32 ifindex)
{
	struct xdp_rxq_info_kern *s = xdp_rxq_info_kern__open();

	if (!ASSERT_OK_PTR(s, "open xdp_rxq_info_kern"))
		return NULL;
	s->rodata->cfg.action = action;
	s->rodata->cfg.flags = flags;
	s->rodata->cfg.read_bytes = read_bytes;
	s->rodata->cfg.ifindex = ifindex;
	if (!LOADED(xdp_rxq_info_kern__load(s), "xdp_rxq_info_kern")) {
		xdp_rxq_info_kern__destroy(s);
		return NULL;
	}
	return s;
}

/* The program the tool runs for the skeleton's configuration (rxq_prog_of: a specialised one
 * when there is one; every program of the object is loaded), and the general one. */
static int prog_for(struct xdp_rxq_info_kern *s, enum rxq_prog which)
{
	struct bpf_program *progs[RXQ_PROGS] = {
		s->progs.xdp_rxq_info_prog, s->progs.xdp_rxq_info_no_touch,
		s->progs.xdp_rxq_info_read, s->progs.xdp_rxq_info_swapmac,
	};
	struct rxq_cfg cfg = s->rodata->cfg;

	return bpf_program__fd(progs[which < RXQ_PROGS ? which : rxq_prog_of(&cfg)]);
}

#define PROG(s) prog_for((s), RXQ_PROGS)
#define GENERAL(s) prog_for((s), RXQ_PROG_GENERAL)
#define STATS(s) bpf_map__fd((s)->maps.rxq_stats)

/* The counters of queue slot q, summed over CPUs and over the kinds (xdp_rxq_info.h). */
struct rxq_counts {
	__u64 processed, bad_ifindex, short_frame;
};

static struct rxq_counts slot(struct xdp_rxq_info_kern *s, __u32 q)
{
	struct rxq_counts c = {};

	for (__u32 k = 0; k < RXQ_KINDS; k++) {
		struct rxq_rec r;

		MAP_SUM(STATS(s), rxq_key(k, q), &r);
		c.processed += r.packets;
		if (k & RXQ_K_BAD_IFINDEX)
			c.bad_ifindex += r.packets;
		if (k & RXQ_K_SHORT)
			c.short_frame += r.packets;
	}
	return c;
}

TEST(rxq_each_action_verdict_and_exact_count)
{
	static const __u32 actions[] = { XDP_PASS, XDP_DROP, XDP_TX, XDP_ABORTED };
	__u8 pkt[64];

	pkt_udp(pkt, sizeof(pkt), false);
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
		struct xdp_rxq_info_kern *s = load_or_end(actions[i], 0, 0, 0);
		struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .repeat = 1000 };

		if (!s)
			return;
		if (ASSERT_OK(xdp_run(PROG(s), &r), "run")) {
			ASSERT_EQ(r.retval, actions[i], "verdict");
			ASSERT_EQ(slot(s, 0).processed, 1000,
				  "processed counted exactly (queue 0)");
			ASSERT_EQ(slot(s, 0).bad_ifindex, 0, "no ifindex issue when not checked");
			ASSERT_EQ(slot(s, RXQ_MAX).processed, 0, "nothing in the overflow slot");
		}
		xdp_rxq_info_kern__destroy(s);
	}
}

TEST(rxq_hand_loaded_defaults_pass)
{
	struct xdp_rxq_info_kern *s = xdp_rxq_info_kern__open_and_load();
	struct xdp_run r = { .len = 64, .repeat = 1 };
	__u8 pkt[64];

	if (!LOADED_PTR(s, "xdp_rxq_info_kern"))
		return;
	r.data = pkt;
	pkt_udp(pkt, sizeof(pkt), false);
	/* `ip link ... obj xdp_rxq_info_kern.o sec xdp` loads the first program of the section */
	ASSERT_TRUE(bpf_program__fd(bpf_object__next_program(s->obj, NULL)) == GENERAL(s),
		    "the general program comes first");
	if (ASSERT_OK(xdp_run(GENERAL(s), &r), "run"))
		ASSERT_EQ(r.retval, XDP_PASS, "object defaults pass traffic");
	xdp_rxq_info_kern__destroy(s);
}

TEST(rxq_swapmac_rewrites_exactly_the_macs)
{
	struct xdp_rxq_info_kern *s = load_or_end(XDP_TX, RXQ_F_SWAPMAC, 0, 0);
	__u8 pkt[128], out[128], want[128];
	struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .out = out, .out_len = sizeof(out),
			     .repeat = 1 };

	if (!s)
		return;
	pkt_udp(pkt, sizeof(pkt), false);
	memcpy(want, pkt, sizeof(pkt));
	memcpy(want, pkt + 6, 6);
	memcpy(want + 6, pkt, 6);
	if (ASSERT_OK(xdp_run(PROG(s), &r), "run")) {
		ASSERT_EQ(r.retval, XDP_TX, "verdict");
		ASSERT_EQ(r.out_len, sizeof(pkt), "length unchanged");
		ASSERT_TRUE(!memcmp(out, want, sizeof(want)), "only the two MACs swapped");
	}
	xdp_rxq_info_kern__destroy(s);
}

TEST(rxq_read_paths)
{
	__u8 pkt[1500];
	struct {
		__u32 read_bytes, len;
		__u64 short_frames;
	} cases[] = {
		{ 64, 64, 0 },		/* --read: first line */
		{ 1500, 1500, 0 },	/* every line of a full frame */
		{ 4096, 1500, 5 },	/* deeper than the frame: counted as short, still counted */
		{ 256, 60, 5 },
	};

	pkt_udp(pkt, sizeof(pkt), false);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct xdp_rxq_info_kern *s = load_or_end(XDP_DROP, RXQ_F_READ, cases[i].read_bytes, 0);
		struct xdp_run r = { .data = pkt, .len = cases[i].len, .repeat = 5 };

		if (!s)
			return;
		if (ASSERT_OK(xdp_run(PROG(s), &r), "run")) {
			ASSERT_EQ(r.retval, XDP_DROP, "verdict");
			ASSERT_EQ(slot(s, 0).processed, 5, "processed");
			ASSERT_EQ(slot(s, 0).short_frame, cases[i].short_frames, "short frames");
		}
		xdp_rxq_info_kern__destroy(s);
	}
}

/* Every length the kernel lets BPF_PROG_TEST_RUN take (it refuses frames below ETH_HLEN) up to
 * 128, and a 3,500-byte frame, with every option on: never an unintended verdict. */
TEST(rxq_every_length_no_aborted)
{
	static const __u32 actions[] = { XDP_PASS, XDP_DROP, XDP_TX };
	__u8 pkt[3500] = {}, out[3500 + 64];

	for (size_t a = 0; a < ARRAY_SIZE(actions); a++) {
		struct xdp_rxq_info_kern *s =
			load_or_end(actions[a], RXQ_F_READ | RXQ_F_SWAPMAC, RXQ_READ_MAX, 0);
		__u64 runs = 0;

		if (!s)
			return;
		for (__u32 len = 14; len <= 129; len++) {
			struct xdp_run r = { .data = pkt, .len = len == 129 ? 3500 : len,
					     .out = out, .out_len = sizeof(out), .repeat = 1 };

			if (!ASSERT_OK(xdp_run(PROG(s), &r), "run") ||
			    !ASSERT_EQ(r.retval, actions[a], "verdict for every length"))
				break;
			runs++;
		}
		ASSERT_EQ(slot(s, 0).processed, runs, "every run counted");
		ASSERT_EQ(slot(s, 0).short_frame, runs, "all shorter than 4096 bytes");
		xdp_rxq_info_kern__destroy(s);
	}
}

TEST(rxq_short_frame_kernel_refuses)
{
	struct xdp_rxq_info_kern *s = load_or_end(XDP_DROP, RXQ_F_SWAPMAC, 0, 0);
	__u8 pkt[13] = {};
	struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .repeat = 1 };

	if (!s)
		return;
	/* documents why the length sweep starts at 14: the kernel refuses shorter test input */
	ASSERT_EQ(xdp_run(PROG(s), &r), -EINVAL, "13-byte frame refused by BPF_PROG_TEST_RUN");
	xdp_rxq_info_kern__destroy(s);
}

TEST(rxq_per_queue_and_overflow)
{
	struct xdp_rxq_info_kern *s = NULL;
	__u8 pkt[64];
	int ifindex;

	if (sh("ip link add rxq0 numrxqueues 70 numtxqueues 1 type veth peer name rxq1") ||
	    sh("ip link set rxq0 up && ip link set rxq1 up")) {
		ASSERT_TRUE(0, "create a 70-queue veth");
		goto out;
	}
	ifindex = (int)if_nametoindex("rxq0");
	s = load_or_end(XDP_DROP, 0, 0, (__u32)ifindex);
	if (!s)
		goto out;
	pkt_udp(pkt, sizeof(pkt), false);
	{
		struct { __u32 rxq, repeat; } runs[] = { { 0, 10 }, { 3, 20 }, { 63, 30 },
							 { 64, 40 }, { 69, 50 } };

		for (size_t i = 0; i < ARRAY_SIZE(runs); i++) {
			struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .repeat = runs[i].repeat,
					     .ifindex = (__u32)ifindex, .rxq = runs[i].rxq };

			if (!ASSERT_OK(xdp_run(PROG(s), &r), "run with rx_queue_index"))
				goto out;
		}
	}
	ASSERT_EQ(slot(s, 0).processed, 10, "queue 0");
	ASSERT_EQ(slot(s, 3).processed, 20, "queue 3");
	ASSERT_EQ(slot(s, 63).processed, 30, "queue 63");
	ASSERT_EQ(slot(s, RXQ_MAX).processed, 90, "queues 64 and 69 in the overflow slot");
	ASSERT_EQ(slot(s, 1).processed, 0, "queue 1 untouched");
	for (__u32 q = 0; q <= RXQ_MAX; q++)
		ASSERT_EQ(slot(s, q).bad_ifindex, 0, "right ifindex: no issue");
out:
	xdp_rxq_info_kern__destroy(s);
	sh("ip link del rxq0 2>/dev/null");
}

TEST(rxq_wrong_ifindex_is_an_issue)
{
	struct xdp_rxq_info_kern *s = load_or_end(XDP_DROP, 0, 0, 4242);
	__u8 pkt[64];
	struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .repeat = 7, .ifindex = 1 };

	if (!s)
		return;
	pkt_udp(pkt, sizeof(pkt), false);
	if (ASSERT_OK(xdp_run(PROG(s), &r), "run on lo")) {
		ASSERT_EQ(r.retval, XDP_DROP, "configured verdict still applies");
		ASSERT_EQ(slot(s, 0).processed, 7, "processed");
		ASSERT_EQ(slot(s, 0).bad_ifindex, 7, "bad ingress ifindex counted");
	}
	xdp_rxq_info_kern__destroy(s);
}

/* The verifier walks --read-bytes 9216 (144 lines) in linear time: a few thousand instructions
 * (a loop of its own took 246,000 of the verifier's 1,000,000, a fifth of the limit; the same
 * loop with more around it did not load on 6.1), see xdp_parse.h's frame_touch(). */
TEST(rxq_verifier_walks_read_bytes_linearly)
{
	struct xdp_rxq_info_kern *s = xdp_rxq_info_kern__open();
	static char log[4096];
	int err;

	if (!ASSERT_OK_PTR(s, "open xdp_rxq_info_kern"))
		return;
	s->rodata->cfg.action = XDP_DROP;
	s->rodata->cfg.flags = RXQ_F_READ | RXQ_F_SWAPMAC;
	s->rodata->cfg.read_bytes = RXQ_READ_MAX;
	verifier_stats_on(s->progs.xdp_rxq_info_prog, log, sizeof(log));
	err = xdp_rxq_info_kern__load(s);
	if (!err)
		printf("  info verifier insns: %ld\n",
		       ASSERT_VERIFIED_BELOW(log, 100000, "--read-bytes 9216 --swapmac"));
	else if (!skip_if_eperm(err, "load xdp_rxq_info"))
		ASSERT_OK(err, "load xdp_rxq_info_kern");
	xdp_rxq_info_kern__destroy(s);
}

/* The specialised programs (options compiled in) against the general one on the same random and
 * mutated frames: the same verdict, the same bytes out, the same counters. */
TEST(rxq_specialised_programs_match_general)
{
	static const struct { __u32 action, flags, read_bytes; enum rxq_prog want; } cfgs[] = {
		{ XDP_DROP, 0, 0, RXQ_PROG_NO_TOUCH },
		{ XDP_PASS, RXQ_F_READ, RXQ_LINE, RXQ_PROG_READ },
		{ XDP_TX, RXQ_F_SWAPMAC, 0, RXQ_PROG_SWAPMAC },
	};
	__u8 buf[1514], out_g[1514 + 256], out_s[1514 + 256];
	__u64 rng = 0x5eed0002;

	for (size_t c = 0; c < ARRAY_SIZE(cfgs); c++) {
		struct xdp_rxq_info_kern *g = load_or_end(cfgs[c].action, cfgs[c].flags,
							  cfgs[c].read_bytes, 0);
		struct xdp_rxq_info_kern *sp = g ? load_or_end(cfgs[c].action, cfgs[c].flags,
							       cfgs[c].read_bytes, 0) : NULL;
		__u32 runs = 3000, bad = 0;
		int kind = 0;

		if (!sp) {
			xdp_rxq_info_kern__destroy(g);
			return;
		}
		ASSERT_TRUE(PROG(sp) == prog_for(sp, cfgs[c].want) && PROG(sp) != GENERAL(sp),
			    "a specialised program runs this configuration");
		for (__u32 i = 0; i < runs; i++) {
			struct xdp_run rg = { .data = buf, .out = out_g, .out_len = sizeof(out_g),
					      .repeat = 1 };
			struct xdp_run rs = { .data = buf, .out = out_s, .out_len = sizeof(out_s),
					      .repeat = 1 };

			rg.len = rs.len = fuzz_frame(buf, sizeof(buf), &rng, &kind);
			if (xdp_run(GENERAL(g), &rg) || xdp_run(PROG(sp), &rs) ||
			    rg.retval != rs.retval || rg.out_len != rs.out_len ||
			    memcmp(out_g, out_s, rg.out_len))
				bad++;
		}
		ASSERT_EQ(bad, 0, "frames where the specialised program differs");
		ASSERT_EQ(slot(sp, 0).processed, slot(g, 0).processed, "the same count");
		ASSERT_EQ(slot(sp, 0).short_frame, slot(g, 0).short_frame, "the same short frames");
		ASSERT_EQ(slot(sp, 0).bad_ifindex, 0, "no ifindex check");
		ASSERT_EQ(slot(sp, 0).processed, runs, "every frame counted");
		xdp_rxq_info_kern__destroy(g);
		xdp_rxq_info_kern__destroy(sp);
	}
}

/* fuzz_runs() random and mutated frames per configuration: the configured verdict every time, no
 * unintended ABORTED, and the counters add up to the number of runs. */
TEST(rxq_fuzz_random_frames)
{
	static const struct { __u32 action, flags, read_bytes; } cfgs[] = {
		{ XDP_DROP, RXQ_F_READ | RXQ_F_SWAPMAC, RXQ_READ_MAX },
		{ XDP_TX, RXQ_F_SWAPMAC, 0 },
		{ XDP_PASS, RXQ_F_READ, RXQ_LINE },
	};
	__u64 rng = 0x5eed0001;

	for (size_t c = 0; c < ARRAY_SIZE(cfgs); c++) {
		struct xdp_rxq_info_kern *s =
			load_or_end(cfgs[c].action, cfgs[c].flags, cfgs[c].read_bytes, 0);
		__u32 runs = fuzz_runs();

		if (!s)
			return;
		ASSERT_EQ(FUZZ_VERDICTS(PROG(s), runs, &rng, cfgs[c].action), 0,
			  "frames with another verdict or a failed run");
		ASSERT_EQ(slot(s, 0).processed, runs, "processed == runs");
		xdp_rxq_info_kern__destroy(s);
	}
}
