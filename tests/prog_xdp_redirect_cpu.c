// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_PROG_TEST_RUN tests of xdp_redirect_cpu_kern.c. The first stage's choice of target is
 * read from its per-target counters after plain runs (a cpumap redirect returns XDP_REDIRECT
 * there and goes nowhere); the hash is checked against a reference written from its definition
 * in xdp_redirect_cpu.h. The second stage cannot be run by BPF_PROG_TEST_RUN (cpumap programs
 * are refused), so live frames go through real cpumap entries and its verdicts are counted on
 * the CPUs that ran it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common_user.h"
#include "prog_run.h"
#include "xdp_redirect_cpu.h"
#include "xdp_redirect_cpu.skel.h"

struct rc {
	struct xdp_redirect_cpu_kern *s;
	int prog;
};

static void rc_close(struct rc *r)
{
	xdp_redirect_cpu_kern__destroy(r->s);
	memset(r, 0, sizeof(*r));
}

/*
 * Load with cfg and give each target CPU a cpumap entry (qsize 256), holding the second stage
 * if stage2. False when the test must end.
 */
static bool rc_open(struct rc *r, const struct rcpu_cfg *cfg, bool stage2)
{
	struct bpf_cpumap_val v = { .qsize = 256 };
	struct bpf_program *in;

	memset(r, 0, sizeof(*r));
	r->s = xdp_redirect_cpu_kern__open();
	if (!ASSERT_OK_PTR(r->s, "open xdp_redirect_cpu_kern"))
		return false;
	r->s->rodata->cfg = *cfg;
	in = rcpu_prog_pick(r->s);	/* what the tool runs for cfg: specialised or general */
	if (!LOADED(xdp_redirect_cpu_kern__load(r->s), "xdp_redirect_cpu_kern")) {
		rc_close(r);
		return false;
	}
	r->prog = bpf_program__fd(in);
	if (stage2)
		v.bpf_prog.fd = bpf_program__fd(r->s->progs.xdp_redirect_cpu_remote);
	for (__u32 i = 0; i < cfg->ncpus; i++) {
		int map = bpf_map__fd(r->s->maps.rcpu_cpu_map);

		if (bpf_map_update_elem(map, &cfg->cpus[i], &v, 0)) {
			ASSERT_OK(-errno, "cpumap entry");
			rc_close(r);
			return false;
		}
	}
	return true;
}

/* Strategy lb over n targets spread over the online CPUs (a target list may repeat a CPU: the
 * first stage's choice is per index). */
static struct rcpu_cfg rc_cfg(__u32 lb, __u32 n)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	struct rcpu_cfg cfg = { .lb = lb, .ncpus = n };

	for (__u32 i = 0; i < n; i++)
		cfg.cpus[i] = i % (__u32)(online > 0 ? online : 1);
	return cfg;
}

/* rc_open() of rc_cfg(lb, n), without a second stage. */
static bool rc_open_lb(struct rc *r, __u32 lb, __u32 n)
{
	struct rcpu_cfg cfg = rc_cfg(lb, n);

	return rc_open(r, &cfg, false);
}

/* The first stage's record summed over CPUs (a static buffer: the record is 4 KiB). */
static const struct rcpu_rec *rc_rec(const struct rc *r)
{
	static struct rcpu_rec t;

	MAP_SUM(bpf_map__fd(r->s->maps.rcpu_stats), 0, &t);
	rcpu_rec_fill(&t, r->s->rodata->cfg.ncpus);
	return &t;
}

static struct rcpu_target_rec rc_target(const struct rc *r, __u32 i)
{
	return rc_rec(r)->target[i];
}

/* The index that took frames since the last call (prev[] holds the last counts); -1 if none
 * did, -2 if more than one did. */
static int rc_chosen(const struct rc *r, __u32 n, __u64 *prev)
{
	int which = -1;

	for (__u32 i = 0; i < n; i++) {
		__u64 c = rc_target(r, i).redirected;

		if (c != prev[i])
			which = which == -1 ? (int)i : -2;
		prev[i] = c;
	}
	return which;
}

/*
 * Runs frame (len) `times` times, expecting XDP_REDIRECT; returns the index chosen. (One run per
 * call: BPF_PROG_TEST_RUN with a repeat above 1 swaps the program into the kernel's XDP
 * dispatcher and back, which takes tens of milliseconds.)
 */
static int rc_send(const struct rc *r, const __u8 *frame, __u32 len, __u32 times, __u32 n,
		   __u64 *prev)
{
	for (__u32 i = 0; i < times; i++) {
		struct xdp_run x = { .data = frame, .len = len, .repeat = 1 };

		if (!ASSERT_OK(xdp_run(r->prog, &x), "run") ||
		    !ASSERT_EQ(x.retval, XDP_REDIRECT, "verdict"))
			return -3;
	}
	return rc_chosen(r, n, prev);
}

/* The first stage's record is exactly {rx, redirected, no_entry, malformed}. */
static void expect_rec(const struct rc *r, __u64 rx, __u64 redirected, __u64 no_entry,
		       __u64 malformed, const char *what)
{
	const struct rcpu_rec *t = rc_rec(r);
	__u64 tr = 0, tn = 0;
	char m[160];

	for (__u32 i = 0; i < RCPU_TARGETS_MAX; i++) {
		tr += t->target[i].redirected;
		tn += t->target[i].no_entry;
	}
	snprintf(m, sizeof(m), "%s: rx", what);
	ASSERT_EQ(t->rx, rx, m);
	snprintf(m, sizeof(m), "%s: redirected", what);
	ASSERT_EQ(t->redirected, redirected, m);
	snprintf(m, sizeof(m), "%s: no_entry", what);
	ASSERT_EQ(t->no_entry, no_entry, m);
	snprintf(m, sizeof(m), "%s: malformed", what);
	ASSERT_EQ(t->malformed, malformed, m);
	snprintf(m, sizeof(m), "%s: per-target redirected add up", what);
	ASSERT_EQ(tr, redirected, m);
	snprintf(m, sizeof(m), "%s: per-target no_entry add up", what);
	ASSERT_EQ(tn, r->s->rodata->cfg.ncpus ? no_entry : 0, m);	/* ncpus 0: no target */
}

/* ---------------------------------------------------------------- frames */

#define L3 ETH_HLEN
#define EXT_MAX 8	/* xdp_parse.h PARSE_IPV6_EXT_MAX: extension headers walked */

/* pkt_udp's frame with protocol, addresses (last byte) and ports changed; IPv4 or IPv6. */
static __u32 flow_frame(__u8 *buf, __u32 len, bool v6, __u8 proto, __u8 src, __u8 dst,
			__u16 sport, __u16 dport)
{
	__u32 l4 = L3 + (v6 ? 40 : 20);

	pkt_udp(buf, len, v6);
	if (v6) {
		buf[L3 + 6] = proto;
		buf[L3 + 8 + 15] = src;
		buf[L3 + 24 + 15] = dst;
	} else {
		buf[L3 + 9] = proto;
		buf[L3 + 15] = src;
		buf[L3 + 19] = dst;
	}
	put_be16(buf + l4, sport);
	put_be16(buf + l4 + 2, dport);
	return len;
}

/* Insert `tags` 802.1Q tags after the MAC addresses: the frame grows by 4 per tag. */
static __u32 vlan_wrap(__u8 *buf, __u32 len, int tags)
{
	for (int t = 0; t < tags; t++) {
		memmove(buf + 16, buf + 12, len - 12);
		put_be16(buf + 12, t == tags - 1 ? 0x88a8 : 0x8100);
		put_be16(buf + 14, (__u16)(100 + t));
		len += 4;
	}
	return len;
}

/* The size an IPv6 extension header of this type gets from ext_wrap(): 16 bytes with a length
 * field of 1 (units of 8, the first 8 not counted) or, for AH, of 2 (units of 4, the first 8
 * not counted), so a parser using the wrong unit lands elsewhere; a fragment header is 8. */
static __u32 ext_size(__u8 type)
{
	return type == IPPROTO_FRAGMENT ? 8 : 16;
}

/*
 * Insert IPv6 extension headers of the types in chain[] between the IPv6 header and the upper
 * layer of an IPv6 frame: the same flow, found behind them.
 */
static __u32 ext_wrap(__u8 *buf, __u32 len, const __u8 *chain, int n)
{
	__u8 upper = buf[L3 + 6], *x = buf + L3 + 40;
	__u32 add = 0;

	for (int i = 0; i < n; i++)
		add += ext_size(chain[i]);
	memmove(x + add, x, len - L3 - 40);
	buf[L3 + 6] = chain[0];
	for (int i = 0; i < n; i++) {
		memset(x, 0, ext_size(chain[i]));
		x[0] = i + 1 < n ? chain[i + 1] : upper;
		if (chain[i] == IPPROTO_FRAGMENT)
			x[3] = 1;	/* the M flag: a first fragment */
		else
			x[1] = chain[i] == IPPROTO_AH ? 2 : 1;
		x += ext_size(chain[i]);
	}
	return len + add;
}

/* IPv4 options (words 32-bit words of NOP) after the fixed header: the same flow. */
static __u32 opt_wrap(__u8 *buf, __u32 len, __u32 words)
{
	__u8 *o = buf + L3 + 20;

	memmove(o + 4 * words, o, len - L3 - 20);
	memset(o, 1, 4 * words);
	buf[L3] = (__u8)(0x40 | (5 + words));
	put_be16(buf + L3 + 2, (__u16)(len + 4 * words - L3));
	return len + 4 * words;
}

/* The reference flow hash, from its definition (xdp_parse.h parse_flow_hash()): MurmurHash3
 * blocks over the protocol-seeded state, the source and destination address words and the two
 * ports, as the frame holds them, then the finalizer; scaled to ncpus by multiplication. */
static __u32 rol(__u32 w, int s)
{
	return (w << s) | (w >> (32 - s));
}

static __u32 mix(__u32 h, __u32 w)
{
	w *= 0xcc9e2d51;
	w = rol(w, 15);
	w *= 0x1b873593;
	h ^= w;
	h = rol(h, 13);
	return h * 5 + 0xe6546b64;
}

static __u32 ref_index(const __u8 *l3, bool v6, const __u8 *ports, __u32 ncpus)
{
	__u32 h = 0x5eed1e55 ^ (v6 ? l3[6] : l3[9]), w;
	int words = v6 ? 8 : 2;
	__u16 sp = 0, dp = 0;

	for (int i = 0; i < words; i++) {
		memcpy(&w, l3 + (v6 ? 8 : 12) + 4 * i, 4);
		h = mix(h, w);
	}
	if (ports) {
		memcpy(&sp, ports, 2);
		memcpy(&dp, ports + 2, 2);
	}
	h = mix(h, (__u32)sp << 16 | dp);
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return (__u32)(((__u64)h * ncpus) >> 32);
}

/* ---------------------------------------------------------------- first stage */

TEST(rcpu_hand_loaded_defaults_pass)
{
	struct rc r = { .s = xdp_redirect_cpu_kern__open_and_load() };
	__u8 pkt[64];
	struct xdp_run x = { .data = pkt, .len = sizeof(pkt), .repeat = 9 };

	if (!LOADED_PTR(r.s, "xdp_redirect_cpu_kern"))
		return;
	pkt_udp(pkt, sizeof(pkt), false);
	if (ASSERT_OK(xdp_run(bpf_program__fd(r.s->progs.xdp_redirect_cpu_prog), &x), "run")) {
		ASSERT_EQ(x.retval, XDP_PASS, "object defaults pass traffic");
		expect_rec(&r, 9, 0, 9, 0, "defaults");
	}
	rc_close(&r);
}

/* A target CPU without a cpumap entry: XDP_PASS on the receive CPU, counted for that target. */
TEST(rcpu_no_cpumap_entry_passes)
{
	__u32 key = 1;
	__u8 pkt[64];
	struct xdp_run x = { .data = pkt, .len = sizeof(pkt), .repeat = 4 };
	struct cpu_mask saved;
	struct rc r;
	int err;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		SKIP("one online CPU: no second target CPU to leave without an entry");
		return;
	}
	if (!rc_open_lb(&r, RCPU_LB_ROUND_ROBIN, 2))
		return;
	if (!ASSERT_OK(bpf_map_delete_elem(bpf_map__fd(r.s->maps.rcpu_cpu_map), &key),
		       "remove CPU 1's entry"))
		goto out;
	pkt_udp(pkt, sizeof(pkt), false);
	cpu_pin(&saved);
	err = xdp_run(r.prog, &x);
	cpu_unpin(&saved);
	if (ASSERT_OK(err, "run")) {
		ASSERT_EQ(x.retval, XDP_PASS, "last verdict: CPU 1, without entry");
		expect_rec(&r, 4, 2, 2, 0, "half without entry");
		ASSERT_EQ(rc_target(&r, 0).redirected, 2, "target 0 redirected");
		ASSERT_EQ(rc_target(&r, 0).no_entry, 0, "target 0 without entry");
		ASSERT_EQ(rc_target(&r, 1).redirected, 0, "target 1 redirected");
		ASSERT_EQ(rc_target(&r, 1).no_entry, 2, "target 1 without entry");
	}
out:
	rc_close(&r);
}

/* Round-robin: over N = 1..5 targets, 1,000 frames on one CPU split exactly (the first
 * 1000 % N targets get one more), whatever the frame. */
TEST(rcpu_round_robin_exact_for_1_to_5)
{
	__u8 pkt[64];

	pkt_udp(pkt, sizeof(pkt), false);
	for (__u32 n = 1; n <= 5; n++) {
		struct xdp_run x = { .data = pkt, .len = sizeof(pkt), .repeat = 1000 };
		struct cpu_mask saved;
		struct rc r;
		int err;

		if (!rc_open_lb(&r, RCPU_LB_ROUND_ROBIN, n))
			return;
		cpu_pin(&saved);
		err = xdp_run(r.prog, &x);
		cpu_unpin(&saved);
		if (ASSERT_OK(err, "run") && ASSERT_EQ(x.retval, XDP_REDIRECT, "verdict")) {
			for (__u32 i = 0; i < n; i++) {
				char what[64];

				snprintf(what, sizeof(what), "N=%u target %u", n, i);
				ASSERT_EQ(rc_target(&r, i).redirected, 1000 / n + (i < 1000 % n),
					  what);
			}
			expect_rec(&r, 1000, 1000, 0, 0, "round-robin");
		}
		rc_close(&r);
	}
}

/*
 * Hash: 200 IPv4 and 200 IPv6 flows (addresses, ports, protocol varied), each sent 5 times:
 * all 5 to one target, the one the reference hash names; the same flow behind one or two VLAN
 * tags, with IPv4 options or behind IPv6 extension headers goes to the same target; fragments
 * of a flow, to the target of its addresses without ports. Every target gets some flows.
 */
/*
 * The specialised first stages (rcpu_prog_of()) choose as the general program does: the same
 * verdict for every frame of 300 flows (IPv4 and IPv6, UDP and TCP), and the same count per
 * target; every other strategy runs the general program.
 */
TEST(rcpu_specialised_programs_match_general)
{
	static const struct {
		__u32 lb;
		enum rcpu_prog want;
	} cases[] = {
		{ RCPU_LB_ROUND_ROBIN, RCPU_PROG_RR }, { RCPU_LB_HASH, RCPU_PROG_HASH },
		{ RCPU_LB_NO_TOUCH, RCPU_PROG_NO_TOUCH }, { RCPU_LB_TOUCH, RCPU_PROG_GENERAL },
		{ RCPU_LB_L4_PROTO, RCPU_PROG_GENERAL }, { RCPU_LB_L4_DPORT, RCPU_PROG_GENERAL },
	};
	static struct rcpu_rec a, b;	/* 4 KiB each */
	struct cpu_mask saved;
	__u8 f[256];

	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		struct rcpu_cfg cfg = rc_cfg(cases[c].lb, 3);
		struct rc spec, gen = {};
		char what[64];

		snprintf(what, sizeof(what), "strategy %u", cases[c].lb);
		if (!ASSERT_EQ(rcpu_prog_of(&cfg), cases[c].want, what) ||
		    cases[c].want == RCPU_PROG_GENERAL)
			continue;
		if (!rc_open(&spec, &cfg, false))
			return;
		/* the general program of the same configuration, in an object of its own */
		gen.s = xdp_redirect_cpu_kern__open();
		if (!ASSERT_OK_PTR(gen.s, "open the general program")) {
			rc_close(&spec);
			return;
		}
		gen.s->rodata->cfg = cfg;
		bpf_program__set_autoload(gen.s->progs.xdp_redirect_cpu_rr, false);
		bpf_program__set_autoload(gen.s->progs.xdp_redirect_cpu_hash, false);
		bpf_program__set_autoload(gen.s->progs.xdp_redirect_cpu_no_touch, false);
		if (!LOADED(xdp_redirect_cpu_kern__load(gen.s), "general program")) {
			rc_close(&gen);
			rc_close(&spec);
			return;
		}
		gen.prog = bpf_program__fd(gen.s->progs.xdp_redirect_cpu_prog);
		for (__u32 i = 0; i < cfg.ncpus; i++) {
			struct bpf_cpumap_val v = { .qsize = 256 };

			bpf_map_update_elem(bpf_map__fd(gen.s->maps.rcpu_cpu_map), &cfg.cpus[i], &v,
					    0);
		}
		cpu_pin(&saved);	/* round-robin: both cursors on one CPU */
		for (int k = 0; k < 300; k++) {
			int v6 = k & 1;
			__u32 len = flow_frame(f, 128, v6, k % 3 ? IPPROTO_UDP : IPPROTO_TCP,
					       (__u8)k, (__u8)(k * 7), (__u16)(1000 + k * 13),
					       (__u16)(80 + k));
			struct xdp_run xs = { .data = f, .len = len, .repeat = 1 };
			struct xdp_run xg = { .data = f, .len = len, .repeat = 1 };

			if (!ASSERT_OK(xdp_run(spec.prog, &xs), what) ||
			    !ASSERT_OK(xdp_run(gen.prog, &xg), what) ||
			    !ASSERT_EQ(xs.retval, xg.retval, what))
				break;
		}
		cpu_unpin(&saved);
		a = *rc_rec(&spec);
		b = *rc_rec(&gen);
		a.cursor = b.cursor = 0;	/* where each CPU's cursor stands: not a count */
		ASSERT_MEMEQ(&a, &b, sizeof(a), what);
		ASSERT_EQ(a.rx, 300, what);
		rc_close(&gen);
		rc_close(&spec);
	}
}

TEST(rcpu_hash_one_target_per_flow_v4_v6)
{
	static const __u8 protos[] = { IPPROTO_UDP, IPPROTO_TCP, IPPROTO_SCTP, IPPROTO_ICMP };
	static const __u8 chain[EXT_MAX] = { IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING,
					     IPPROTO_AH, IPPROTO_DSTOPTS, IPPROTO_HOPOPTS,
					     IPPROTO_ROUTING, IPPROTO_DSTOPTS };
	__u32 n = 4, used[4] = {}, flows = 0;
	__u64 prev[4] = {}, sent = 0;
	__u8 f[512], g[512];
	struct rc r;

	if (!rc_open_lb(&r, RCPU_LB_HASH, n))
		return;
	for (int v6 = 0; v6 <= 1; v6++) {
		for (int k = 0; k < 200; k++) {
			__u8 proto = protos[k % 4];
			__u32 len = flow_frame(f, 128, v6, proto, (__u8)k, (__u8)(k * 7),
					       (__u16)(1000 + k * 13), (__u16)(80 + k));
			const __u8 *ports = proto == IPPROTO_ICMP ? NULL : f + L3 + (v6 ? 40 : 20);
			int want = (int)ref_index(f + L3, v6, ports, n), got;

			got = rc_send(&r, f, len, 5, n, prev);
			sent += 5;
			if (!ASSERT_EQ(got, want, v6 ? "IPv6 flow: the reference target" :
						       "IPv4 flow: the reference target"))
				goto out;
			used[got]++;
			flows++;
			for (int tags = 1; tags <= 2; tags++) {
				memcpy(g, f, len);
				ASSERT_EQ(rc_send(&r, g, vlan_wrap(g, len, tags), 1, n, prev), want,
					  "the flow behind VLAN tags");
				sent++;
			}
			memcpy(g, f, len);
			if (v6)
				ASSERT_EQ(rc_send(&r, g, ext_wrap(g, len, chain, 1 + k % EXT_MAX), 1,
						  n, prev), want, "the flow behind extension headers");
			else
				ASSERT_EQ(rc_send(&r, g, opt_wrap(g, len, 1 + k % 10), 1, n, prev),
					  want, "the flow with IPv4 options");
			sent++;
		}
	}
	/* fragments (the IPv4 MF flag or an offset, an IPv6 fragment header) of 16 flows: no
	 * ports in the hash */
	for (int v6 = 0; v6 <= 1; v6++) {
		for (int k = 0; k < 16; k++) {
			__u32 len = flow_frame(f, 128, v6, IPPROTO_UDP, (__u8)k, 4,
					       (__u16)(5555 + k), 53);
			int want = (int)ref_index(f + L3, v6, NULL, n);

			if (v6) {
				static const __u8 frag[] = { IPPROTO_FRAGMENT };

				len = ext_wrap(f, len, frag, 1);
			} else {
				put_be16(f + L3 + 6, k % 2 ? 0x2000 : (__u16)k);	/* MF, or offset */
			}
			ASSERT_EQ(rc_send(&r, f, len, 1, n, prev), want,
				  "a fragment: addresses only");
			sent++;
		}
	}
	for (__u32 i = 0; i < n; i++)
		ASSERT_TRUE(used[i] >= flows / 8, "every target gets a fair share of flows");
	expect_rec(&r, sent, sent, 0, 0, "hash");
out:
	rc_close(&r);
}

/* l4-proto: TCP 0, UDP 1, ICMP and ICMPv6 2 (mod the number of targets), others 0;
 * l4-sport/l4-dport: the port mod the number of targets, 0 without ports. */
TEST(rcpu_l4_strategies)
{
	static const struct {
		__u32 lb, n;
		int v6;
		__u8 proto;
		int arp;
		int want;
	} c[] = {
		{ RCPU_LB_L4_PROTO, 3, 0, IPPROTO_TCP, 0, 0 },
		{ RCPU_LB_L4_PROTO, 3, 0, IPPROTO_UDP, 0, 1 },
		{ RCPU_LB_L4_PROTO, 3, 0, IPPROTO_ICMP, 0, 2 },
		{ RCPU_LB_L4_PROTO, 3, 1, IPPROTO_ICMPV6, 0, 2 },
		{ RCPU_LB_L4_PROTO, 3, 1, IPPROTO_UDP, 0, 1 },
		{ RCPU_LB_L4_PROTO, 3, 0, IPPROTO_GRE, 0, 0 },
		{ RCPU_LB_L4_PROTO, 3, 0, 0, 1, 0 },
		{ RCPU_LB_L4_PROTO, 2, 0, IPPROTO_ICMP, 0, 0 },
		{ RCPU_LB_L4_SPORT, 5, 0, IPPROTO_UDP, 0, 4321 % 5 },
		{ RCPU_LB_L4_SPORT, 5, 1, IPPROTO_TCP, 0, 4321 % 5 },
		{ RCPU_LB_L4_SPORT, 5, 0, IPPROTO_ICMP, 0, 0 },
		{ RCPU_LB_L4_DPORT, 5, 0, IPPROTO_UDP, 0, 443 % 5 },
		{ RCPU_LB_L4_DPORT, 5, 1, IPPROTO_SCTP, 0, 443 % 5 },
		{ RCPU_LB_L4_DPORT, 5, 0, 0, 1, 0 },
	};
	__u8 f[128];

	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		__u64 prev[5] = {};
		char what[64];
		struct rc r;

		if (!rc_open_lb(&r, c[i].lb, c[i].n))
			return;
		flow_frame(f, sizeof(f), c[i].v6, c[i].proto, 1, 2, 4321, 443);
		if (c[i].arp)
			put_be16(f + 12, ETH_P_ARP);
		snprintf(what, sizeof(what), "case %zu: target", i);
		ASSERT_EQ(rc_send(&r, f, sizeof(f), 10, c[i].n, prev), c[i].want, what);
		expect_rec(&r, 10, 10, 0, 0, what);
		rc_close(&r);
	}
}

/* no-touch and touch: always the first target; touch counts a frame whose Ethernet header is
 * cut inside a VLAN tag as malformed, no-touch never looks. */
TEST(rcpu_touch_and_no_touch_first_target)
{
	__u8 f[64];

	for (__u32 lb = RCPU_LB_NO_TOUCH; lb <= RCPU_LB_TOUCH; lb++) {
		__u64 prev[3] = {};
		struct rc r;

		if (!rc_open_lb(&r, lb, 3))
			return;
		pkt_udp(f, sizeof(f), false);
		ASSERT_EQ(rc_send(&r, f, sizeof(f), 7, 3, prev), 0, "a frame: first target");
		put_be16(f + 12, 0x8100);
		ASSERT_EQ(rc_send(&r, f, 16, 3, 3, prev), 0, "cut in a VLAN tag: first target");
		expect_rec(&r, 10, 10, 0, lb == RCPU_LB_TOUCH ? 3 : 0,
			   lb == RCPU_LB_TOUCH ? "touch" : "no-touch");
		rc_close(&r);
	}
}

/* One malformed frame: XDP_REDIRECT to the first target. */
static void bad_frame(const struct rc *r, const __u8 *f, __u32 len, __u64 *prev, __u64 *bad,
		      const char *what)
{
	ASSERT_EQ(rc_send(r, f, len, 1, 4, prev), 0, what);
	(*bad)++;
}

/* Truncated and invalid headers under the header-reading strategies: the first target,
 * XDP_REDIRECT (never XDP_ABORTED), each counted as malformed once. */
TEST(rcpu_malformed_to_first_target)
{
	static const __u8 hbh[EXT_MAX + 1] = { 0 };	/* hop-by-hop headers */
	static const __u32 lbs[] = { RCPU_LB_HASH, RCPU_LB_L4_PROTO, RCPU_LB_L4_SPORT,
				     RCPU_LB_L4_DPORT };
	__u8 f[256];

	for (size_t l = 0; l < ARRAY_SIZE(lbs); l++) {
		__u64 prev[4] = {}, bad = 0;
		struct rc r;

		if (!rc_open_lb(&r, lbs[l], 4))
			return;
		pkt_udp(f, 64, false);
		bad_frame(&r, f, L3 + 19, prev, &bad, "IPv4 header cut");
		bad_frame(&r, f, L3 + 20 + 3, prev, &bad, "ports cut");
		f[L3] = 0x65;
		bad_frame(&r, f, 64, prev, &bad, "IPv4 version 6");
		f[L3] = 0x44;
		bad_frame(&r, f, 64, prev, &bad, "IHL 4");
		f[L3] = 0x4f;
		bad_frame(&r, f, L3 + 40, prev, &bad, "IHL 15 in 40 bytes");
		pkt_udp(f, 100, true);
		bad_frame(&r, f, L3 + 39, prev, &bad, "IPv6 header cut");
		f[L3] = 0x40;
		bad_frame(&r, f, 100, prev, &bad, "IPv6 version 4");
		pkt_udp(f, 100, true);
		bad_frame(&r, f, ext_wrap(f, 100, hbh, EXT_MAX + 1), prev, &bad,
			  "one extension header more than walked");
		pkt_udp(f, 100, true);
		ext_wrap(f, 100, hbh, 2);
		bad_frame(&r, f, L3 + 40 + 7, prev, &bad, "extension header cut");
		pkt_udp(f, 64, false);
		put_be16(f + 12, 0x8100);
		bad_frame(&r, f, 17, prev, &bad, "VLAN tag cut");
		expect_rec(&r, bad, bad, 0, bad, "malformed");
		rc_close(&r);
	}
}

/* ---------------------------------------------------------------- second stage (live) */

/* Waits (5 s at most) until the second stage gave `want` verdicts in all; per_cpu (ncpus
 * records) and total receive its counters. */
static bool remote_wait(const struct rc *r, __u64 want, struct rcpu_remote_rec *per_cpu,
			struct rcpu_remote_rec *total)
{
	int fd = bpf_map__fd(r->s->maps.rcpu_remote);

	for (int i = 0; i < 500; i++) {
		if (PERCPU_READ(fd, &(__u32){ 0 }, ncpus_possible(), per_cpu, total))
			return false;
		if (total->pass + total->drop + total->redirect + total->no_target >= want)
			return true;
		usleep(10000);
	}
	return false;
}

/* n live frames into the first stage on lo, from one CPU (round-robin exact). */
static bool live_from_one_cpu(const struct rc *r, __u32 n, const __u8 *pkt, __u32 len)
{
	struct cpu_mask saved;
	int err;

	cpu_pin(&saved);
	err = xdp_live(r->prog, 1, pkt, len, n);
	cpu_unpin(&saved);
	return ASSERT_OK(err, "live frames");
}

static __u32 online_targets(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1;
}

/* pass and drop: round-robin over CPUs 0 and 1, the second stage runs on each target CPU for
 * exactly its half of the frames, with that verdict. */
TEST(rcpu_live_second_stage_pass_drop_per_cpu)
{
	__u32 n = online_targets(), frames = 200;
	int ncpus = ncpus_possible();
	struct rcpu_remote_rec per_cpu[ncpus], t;
	__u8 pkt[64];

	pkt_udp(pkt, sizeof(pkt), false);
	for (__u32 action = RCPU_REMOTE_PASS; action <= RCPU_REMOTE_DROP; action++) {
		struct rcpu_cfg cfg = rc_cfg(RCPU_LB_ROUND_ROBIN, n);
		const char *what = action == RCPU_REMOTE_DROP ? "drop" : "pass";
		struct rc r;

		cfg.remote_action = action;
		if (!rc_open(&r, &cfg, true))
			return;
		if (live_from_one_cpu(&r, frames, pkt, sizeof(pkt)) &&
		    ASSERT_TRUE(remote_wait(&r, frames, per_cpu, &t), "second stage ran (5 s)")) {
			for (__u32 c = 0; c < n; c++)
				ASSERT_EQ(action == RCPU_REMOTE_DROP ? per_cpu[c].drop
								     : per_cpu[c].pass,
					  frames / n, what);
			ASSERT_EQ(t.pass + t.drop, frames, "verdicts in all");
			ASSERT_EQ(t.redirect + t.no_target + t.short_frame, 0, "no other verdict");
			expect_rec(&r, frames, frames, 0, 0, what);
		}
		rc_close(&r);
	}
}

/*
 * redirect DEV: from the target CPUs out of a veth (rcv0), whose peer (rcv1, running the
 * object with its defaults: XDP_PASS) receives every frame: unchanged, or one frame per call
 * with the MACs swapped (live frames are not reset between runs of one call). An empty
 * rcpu_tx_port passes the frames, counted as no_target.
 */
TEST(rcpu_live_second_stage_redirect)
{
	struct xdp_redirect_cpu_kern *peer = NULL;
	__u32 n = online_targets(), frames = 200, same = 0, key = 0;
	int ncpus = ncpus_possible(), sock = -1;
	struct rcpu_remote_rec per_cpu[ncpus], t;
	struct bpf_link *link = NULL;
	struct bpf_devmap_val v = {};
	__u8 pkt[64], want[64];
	struct rc r = {};

	if (!ASSERT_OK(sh("ip link add rcv0 type veth peer name rcv1 && ip link set rcv0 up && "
			  "ip link set rcv1 up"), "veth pair rcv0 <-> rcv1"))
		return;
	v.ifindex = if_nametoindex("rcv0");
	peer = xdp_redirect_cpu_kern__open_and_load();
	if (!ASSERT_OK_PTR(peer, "load the peer's program"))
		goto out;
	link = bpf_program__attach_xdp(peer->progs.xdp_redirect_cpu_prog,
				       (int)if_nametoindex("rcv1"));
	sock = psock_open("rcv1");
	if (!ASSERT_OK_PTR(link, "XDP_PASS on rcv1") || !ASSERT_TRUE(sock >= 0, "socket on rcv1"))
		goto out;
	pkt_udp(pkt, sizeof(pkt), false);
	for (__u32 swap = 0; swap <= RCPU_F_SWAPMAC; swap++) {
		struct rcpu_cfg cfg = rc_cfg(RCPU_LB_ROUND_ROBIN, n);
		__u32 calls = swap ? 20 : 1, each = swap ? 1 : frames;
		const char *what = swap ? "redirect, swapped" : "redirect";

		cfg.remote_action = RCPU_REMOTE_REDIRECT;
		cfg.flags = swap;
		if (!rc_open(&r, &cfg, true) ||
		    !ASSERT_OK(bpf_map_update_elem(bpf_map__fd(r.s->maps.rcpu_tx_port), &key, &v,
						   0), "rcpu_tx_port slot 0 = rcv0"))
			goto out;
		for (__u32 i = 0; i < calls; i++)
			if (!live_from_one_cpu(&r, each, pkt, sizeof(pkt)))
				goto out;
		memcpy(want, pkt, sizeof(pkt));
		if (swap) {
			memcpy(want, pkt + ETH_ALEN, ETH_ALEN);
			memcpy(want + ETH_ALEN, pkt, ETH_ALEN);
		}
		if (ASSERT_TRUE(remote_wait(&r, calls * each, per_cpu, &t), "second stage ran")) {
			ASSERT_EQ(psock_received(sock, calls * each, want, sizeof(want), &same),
				  calls * each, what);
			ASSERT_EQ(same, calls * each, "frames as sent (MACs swapped if asked)");
			ASSERT_EQ(t.redirect, calls * each, what);
			ASSERT_EQ(t.pass + t.drop + t.no_target + t.short_frame, 0,
				  "other verdicts");
			for (__u32 c = 0; c < n; c++)
				ASSERT_EQ(per_cpu[c].redirect, calls * each / n, "per target CPU");
		}
		rc_close(&r);
	}

	/* nothing in rcpu_tx_port: the frames pass on the target CPU */
	{
		struct rcpu_cfg cfg = rc_cfg(RCPU_LB_ROUND_ROBIN, n);

		cfg.remote_action = RCPU_REMOTE_REDIRECT;
		if (!rc_open(&r, &cfg, true) || !live_from_one_cpu(&r, 50, pkt, sizeof(pkt)))
			goto out;
		if (ASSERT_TRUE(remote_wait(&r, 50, per_cpu, &t), "second stage ran")) {
			ASSERT_EQ(t.no_target, 50, "no_target");
			ASSERT_EQ(t.redirect + t.pass + t.drop, 0, "other verdicts");
		}
	}
out:
	rc_close(&r);
	if (sock >= 0)
		close(sock);
	bpf_link__destroy(link);
	xdp_redirect_cpu_kern__destroy(peer);
	sh("ip link del rcv0 2>/dev/null");
}
