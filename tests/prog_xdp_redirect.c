// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_PROG_TEST_RUN tests of xdp_redirect_kern.c. Verdicts, rewritten frames and exact counters
 * come from plain runs. Where frames really go (which device, which ports of a devmap, what the
 * egress programs did to them) comes from frames sent into veth pairs rda0..3 <-> rdb0..3 of
 * prog_run's private namespace: each listening peer runs the object's dummy XDP_PASS program
 * (veth takes redirected frames only then) and an AF_PACKET socket receives what arrived. The
 * frames enter rda0 as live frames of BPF_PROG_TEST_RUN, or for --multi for real (rd_inject()).
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common_user.h"
#include "prog_run.h"
#include "xdp_redirect.h"
#include "xdp_redirect.skel.h"

#define NPORTS 4
/* rdaN's address: every 16-bit word differs from pkt_udp()'s MACs (02:00:00:00:00:0x) */
#define MAC_A(i) { 0x06, 0xaa, 0xbb, 0xcc, 0xdd, (i) }

static const __u8 mac_a[NPORTS][ETH_ALEN] = { MAC_A(0), MAC_A(1), MAC_A(2), MAC_A(3) };

static int lab_ok = -1;

/* rdaN (06:aa:bb:cc:dd:0N) <-> rdbN, N = 0..3, all up, without IPv6 (so no neighbour discovery
 * adds frames to rd_inject()'s exact counts); built once per prog_run. */
static bool lab(void)
{
	for (int i = 0; lab_ok < 0 && i < NPORTS; i++)
		if (sh("ip link add rda%d address 06:aa:bb:cc:dd:0%d type veth peer name rdb%d && "
		       "sysctl -qw net.ipv6.conf.rda%d.disable_ipv6=1 "
		       "net.ipv6.conf.rdb%d.disable_ipv6=1 && "
		       "ip link set rda%d up && ip link set rdb%d up", i, i, i, i, i, i, i))
			lab_ok = 0;
	if (lab_ok < 0)
		lab_ok = 1;
	return lab_ok;
}

struct rd {
	struct xdp_redirect_kern *s;
	struct bpf_program *in_prog;	/* the ingress program of cfg (redir_prog_of()) */
	int prog;
	struct bpf_link *in;		/* the program on rda0, for rd_inject() */
	__u32 ifx[NPORTS];		/* rdaN */
	struct bpf_link *dummy[NPORTS];	/* on rdbN while listening */
	int sock[NPORTS];		/* AF_PACKET on rdbN, or -1 */
};

static void rd_close(struct rd *r)
{
	for (int i = 0; i < NPORTS; i++) {
		if (r->sock[i] >= 0)
			close(r->sock[i]);
		bpf_link__destroy(r->dummy[i]);
	}
	bpf_link__destroy(r->in);
	xdp_redirect_kern__destroy(r->s);
	memset(r, 0, sizeof(*r));
}

/* Load with cfg, its ifindex_out rdaN for out = N >= 0; false when the test must end (failed,
 * or skipped for lack of privilege). */
static bool rd_open(struct rd *r, const struct redir_cfg *cfg, int out)
{
	struct bpf_program *in;

	memset(r, 0, sizeof(*r));
	for (int i = 0; i < NPORTS; i++)
		r->sock[i] = -1;
	if (!ASSERT_TRUE(lab(), "veth pairs rda0..3 <-> rdb0..3"))
		return false;
	for (int i = 0; i < NPORTS; i++) {
		char name[IF_NAMESIZE];

		snprintf(name, sizeof(name), "rda%d", i);
		r->ifx[i] = if_nametoindex(name);
	}
	r->s = xdp_redirect_kern__open();
	if (!ASSERT_OK_PTR(r->s, "open xdp_redirect_kern"))
		return false;
	r->s->rodata->cfg = *cfg;
	if (out >= 0)
		r->s->rodata->cfg.ifindex_out = r->ifx[out];
	in = redir_prog_pick(r->s);	/* what the tool runs for cfg: specialised or general */
	if (!LOADED(xdp_redirect_kern__load(r->s), "xdp_redirect_kern")) {
		rd_close(r);
		return false;
	}
	r->in_prog = in;
	r->prog = bpf_program__fd(in);
	return true;
}

/* Port i into the devmap of the mode (map: slot 0; multi: key ifindex), with an egress program
 * (or none), and into redir_ports with slot i unless !known. */
static bool rd_port(struct rd *r, int i, bool multi, struct bpf_program *egress, bool known)
{
	struct bpf_devmap_val v = { .ifindex = r->ifx[i] };
	struct redir_port p = { .slot = (__u16)i };
	__u32 key = multi ? r->ifx[i] : 0;
	int map = bpf_map__fd(multi ? r->s->maps.redir_tx_ports : r->s->maps.redir_tx_port);

	if (egress)
		v.bpf_prog.fd = bpf_program__fd(egress);
	memcpy(p.mac, mac_a[i], ETH_ALEN);
	return ASSERT_OK(bpf_map_update_elem(map, &key, &v, BPF_ANY) ? -errno : 0,
			 "devmap entry") &&
	       (!known || ASSERT_OK(bpf_map_update_elem(bpf_map__fd(r->s->maps.redir_ports),
							&r->ifx[i], &p, BPF_ANY) ? -errno : 0,
				    "redir_ports entry"));
}

/* Receive on rdbN: the dummy program on it, an AF_PACKET socket bound to it. */
static bool rd_listen(struct rd *r, int i)
{
	char name[IF_NAMESIZE];

	snprintf(name, sizeof(name), "rdb%d", i);
	r->dummy[i] = bpf_program__attach_xdp(r->s->progs.xdp_redirect_dummy,
					      (int)if_nametoindex(name));
	if (!ASSERT_OK_PTR(r->dummy[i], "dummy XDP_PASS program on the peer"))
		return false;
	r->sock[i] = psock_open(name);
	return ASSERT_TRUE(r->sock[i] >= 0, "AF_PACKET socket on the peer");
}

static __u32 rd_received(struct rd *r, int i, __u32 want, const __u8 *expect, __u32 len,
			 __u32 *same)
{
	return psock_received(r->sock[i], want, expect, len, same);
}

static struct redir_rec rd_rec(const struct rd *r)
{
	struct redir_rec t;

	MAP_SUM(bpf_map__fd(r->s->maps.redir_stats), 0, &t);
	return t;
}

/*
 * n copies of frame into rda0 for real: the program attached to rda0, the frames sent by its
 * peer rdb0 through an AF_PACKET socket, in bursts the veth ring holds (256), each burst only
 * once the program saw the one before. This, and not live frames, for --multi: on 6.1 the
 * kernel's copies of a live frame for all ports but the last come out shifted by 40 bytes
 * (BPF_PROG_TEST_RUN put its xdp_frame before data_hard_start, which xdpf_clone() copies from;
 * fixed after 6.1, "bpf, test_run: fix &xdp_frame misplacement for LIVE_FRAMES"), while real
 * veth frames are cloned right by every kernel.
 */
static bool rd_inject(struct rd *r, const __u8 *frame, __u32 len, __u32 n)
{
	__u32 sent = 0;
	int fd;

	if (!r->in) {
		r->in = bpf_program__attach_xdp(r->in_prog, (int)r->ifx[0]);
		if (!ASSERT_OK_PTR(r->in, "the ingress program on rda0"))
			return false;
	}
	fd = psock_open("rdb0");
	if (!ASSERT_TRUE(fd >= 0, "AF_PACKET socket to send on rdb0"))
		return false;
	while (sent < n) {
		__u32 burst = n - sent < 64 ? n - sent : 64;
		__u64 deadline = now_ns() + 2000000000ULL;
		struct timespec ms = { .tv_nsec = 1000000 };

		for (__u32 i = 0; i < burst; i++)
			if (!ASSERT_TRUE(send(fd, frame, len, 0) == (ssize_t)len, "send on rdb0"))
				goto out;
		sent += burst;
		while (rd_rec(r).rx < sent && now_ns() < deadline)
			nanosleep(&ms, NULL);
		if (!ASSERT_EQ(rd_rec(r).rx, sent, "frames the program saw on rda0"))
			break;
	}
out:
	close(fd);
	return sent == n && rd_rec(r).rx == n;
}

static struct redir_egress_rec rd_egress(const struct rd *r, __u32 slot)
{
	struct redir_egress_rec t;

	MAP_SUM(bpf_map__fd(r->s->maps.redir_egress), slot, &t);
	return t;
}

/* The ingress record is exactly {rx, redirected, no_target, 0 aborted, short_frame}. */
static void expect_rec(const struct rd *r, __u64 rx, __u64 redirected, __u64 no_target,
		       __u64 short_frame, const char *what)
{
	struct redir_rec t = rd_rec(r);
	char m[160];

	snprintf(m, sizeof(m), "%s: rx", what);
	ASSERT_EQ(t.rx, rx, m);
	snprintf(m, sizeof(m), "%s: redirected", what);
	ASSERT_EQ(t.redirected, redirected, m);
	snprintf(m, sizeof(m), "%s: no_target", what);
	ASSERT_EQ(t.no_target, no_target, m);
	snprintf(m, sizeof(m), "%s: aborted", what);
	ASSERT_EQ(t.aborted, 0, m);
	snprintf(m, sizeof(m), "%s: short_frame", what);
	ASSERT_EQ(t.short_frame, short_frame, m);
}

static void swapped(__u8 *dst, const __u8 *src, __u32 len)
{
	memcpy(dst, src, len);
	memcpy(dst, src + ETH_ALEN, ETH_ALEN);
	memcpy(dst + ETH_ALEN, src, ETH_ALEN);
}

static const char *mode_name(__u32 mode)
{
	return mode == REDIR_M_MAP ? "map" : mode == REDIR_M_MULTI ? "multi" : "ifindex";
}

TEST(redir_hand_loaded_defaults_pass)
{
	struct xdp_redirect_kern *s = xdp_redirect_kern__open_and_load();
	__u8 pkt[64], out[64];
	struct xdp_run x = { .data = pkt, .len = sizeof(pkt), .out = out, .out_len = sizeof(out),
			     .repeat = 10 };
	struct rd r = { .s = s };

	if (!LOADED_PTR(s, "xdp_redirect_kern"))
		return;
	pkt_udp(pkt, sizeof(pkt), false);
	if (ASSERT_OK(xdp_run(bpf_program__fd(s->progs.xdp_redirect_prog), &x), "run")) {
		ASSERT_EQ(x.retval, XDP_PASS, "object defaults pass traffic");
		ASSERT_TRUE(!memcmp(out, pkt, sizeof(pkt)), "frame untouched");
		expect_rec(&r, 10, 0, 10, 0, "defaults");
	}
	xdp_redirect_kern__destroy(s);
}

/* Every mode, with and without the MAC swap: XDP_REDIRECT, the frame swapped or not and
 * otherwise intact, every frame counted once. */
TEST(redir_modes_verdicts_macs_counts)
{
	static const __u32 modes[] = { REDIR_M_IFINDEX, REDIR_M_MAP, REDIR_M_MULTI };
	__u8 pkt[98], out[98], want[98];

	pkt_udp(pkt, sizeof(pkt), false);
	for (size_t m = 0; m < ARRAY_SIZE(modes); m++) {
		for (__u32 flags = 0; flags <= REDIR_F_SWAPMAC; flags++) {
			struct redir_cfg cfg = { .mode = modes[m], .flags = flags };
			struct xdp_run x = { .data = pkt, .len = sizeof(pkt), .out = out,
					     .out_len = sizeof(out), .repeat = 1 };
			char what[64];
			struct rd r;

			if (!rd_open(&r, &cfg, 1))
				return;
			snprintf(what, sizeof(what), "%s%s", mode_name(modes[m]),
				 flags ? " swapmac" : "");
			if (modes[m] == REDIR_M_MULTI)
				for (int i = 0; i < 3; i++)
					rd_port(&r, i, true, NULL, false);
			else if (modes[m] == REDIR_M_MAP)
				rd_port(&r, 1, false, NULL, false);
			if (flags)
				swapped(want, pkt, sizeof(pkt));
			else
				memcpy(want, pkt, sizeof(pkt));
			x.ifindex = r.ifx[0];
			if (ASSERT_OK(xdp_run(r.prog, &x), what)) {
				ASSERT_EQ(x.retval, XDP_REDIRECT, what);
				ASSERT_TRUE(x.out_len == sizeof(pkt) &&
					    !memcmp(out, want, sizeof(want)), what);
			}
			x.repeat = 999;
			if (ASSERT_OK(xdp_run(r.prog, &x), what))
				ASSERT_EQ(x.retval, XDP_REDIRECT, what);
			expect_rec(&r, 1000, 1000, 0, 0, what);
			rd_close(&r);
		}
	}
}

/*
 * The specialised programs (redir_prog_of()) do what the general program does for their
 * configuration: the same verdict, the same frame out and the same counts for every length
 * BPF_PROG_TEST_RUN takes up to 128 and for 3,500- and 5,000-byte (two-buffer) frames; every
 * other configuration runs the general program.
 */
TEST(redir_specialised_programs_match_general)
{
	static const struct {
		struct redir_cfg cfg;
		enum redir_prog want;
	} cases[] = {
		{ { .mode = REDIR_M_IFINDEX, .flags = REDIR_F_SWAPMAC }, REDIR_PROG_SWAP },
		{ { .mode = REDIR_M_MAP, .flags = REDIR_F_SWAPMAC }, REDIR_PROG_MAP_SWAP },
		{ { .mode = REDIR_M_MULTI, .flags = REDIR_F_SWAPMAC }, REDIR_PROG_MULTI_SWAP },
		{ { .flags = REDIR_F_SWAPMAC | REDIR_F_READ, .read_bytes = REDIR_LINE },
		  REDIR_PROG_READ_SWAP },
		{ { .flags = REDIR_F_SWAPMAC | REDIR_F_READ, .read_bytes = 1 }, REDIR_PROG_READ_SWAP },
		{ { .flags = REDIR_F_SWAPMAC | REDIR_F_READ, .read_bytes = REDIR_LINE + 1 },
		  REDIR_PROG_GENERAL },
		{ { .mode = REDIR_M_MAP, .flags = REDIR_F_SWAPMAC | REDIR_F_READ, .read_bytes = 64 },
		  REDIR_PROG_GENERAL },
		{ { .mode = REDIR_M_IFINDEX }, REDIR_PROG_PLAIN },
		{ { .mode = REDIR_M_MAP }, REDIR_PROG_MAP_PLAIN },
		{ { .mode = REDIR_M_MULTI }, REDIR_PROG_MULTI_PLAIN },
		{ { .flags = REDIR_F_READ, .read_bytes = 64 }, REDIR_PROG_GENERAL },
		{ { .flags = REDIR_F_SWAPMAC | REDIR_F_LOAD_BYTES }, REDIR_PROG_LOAD_SWAP },
		{ { .mode = REDIR_M_MAP, .flags = REDIR_F_SWAPMAC | REDIR_F_LOAD_BYTES },
		  REDIR_PROG_GENERAL },
	};
	static __u8 pkt[5000], out_s[5000], out_g[5000];

	pkt_udp(pkt, sizeof(pkt), false);
	for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
		struct redir_cfg cfg = cases[c].cfg;
		struct redir_rec a, b;
		char what[96];
		struct rd r;
		int spec;

		snprintf(what, sizeof(what), "case %zu (%s, flags %u, read %u)", c,
			 mode_name(cfg.mode), cfg.flags, cfg.read_bytes);
		if (!ASSERT_EQ(redir_prog_of(&cfg), cases[c].want, what))
			continue;
		if (cases[c].want == REDIR_PROG_GENERAL)
			continue;
		if (!rd_open(&r, &cfg, 1))
			return;
		/* rd_open() loaded the specialised program only: a second object runs the general */
		if (cfg.mode == REDIR_M_MULTI)
			rd_port(&r, 1, true, NULL, false);
		else if (cfg.mode == REDIR_M_MAP)
			rd_port(&r, 1, false, NULL, false);
		spec = r.prog;
		{
			struct rd g;
			struct redir_cfg gc = cfg;

			gc.ifindex_out = r.ifx[1];
			memset(&g, 0, sizeof(g));
			g.s = xdp_redirect_kern__open();
			if (!ASSERT_OK_PTR(g.s, "open the general program"))
				break;
			g.s->rodata->cfg = gc;
			bpf_program__set_autoload(g.s->progs.xdp_redirect_swap, false);
			bpf_program__set_autoload(g.s->progs.xdp_redirect_map_swap, false);
			bpf_program__set_autoload(g.s->progs.xdp_redirect_multi_swap, false);
			bpf_program__set_autoload(g.s->progs.xdp_redirect_read_swap, false);
			bpf_program__set_autoload(g.s->progs.xdp_redirect_plain, false);
			bpf_program__set_autoload(g.s->progs.xdp_redirect_map_plain, false);
			bpf_program__set_autoload(g.s->progs.xdp_redirect_multi_plain, false);
			bpf_program__set_autoload(g.s->progs.xdp_redirect_load_swap, false);
			if (!LOADED(xdp_redirect_kern__load(g.s), "general program")) {
				xdp_redirect_kern__destroy(g.s);
				rd_close(&r);
				return;
			}
			for (int i = 0; i < NPORTS; i++)
				g.ifx[i] = r.ifx[i];
			if (cfg.mode == REDIR_M_MULTI)
				rd_port(&g, 1, true, NULL, false);
			else if (cfg.mode == REDIR_M_MAP)
				rd_port(&g, 1, false, NULL, false);
			for (__u32 len = 14; len <= 130; len++) {
				struct xdp_run xs = { .data = pkt, .out = out_s, .out_len = sizeof(out_s),
						      .repeat = 1, .ifindex = r.ifx[0] };
				struct xdp_run xg = { .data = pkt, .out = out_g, .out_len = sizeof(out_g),
						      .repeat = 1, .ifindex = r.ifx[0] };

				xs.len = xg.len = len == 129 ? 3500 : len == 130 ? 5000 : len;
				if (!ASSERT_OK(xdp_run(spec, &xs), what) ||
				    !ASSERT_OK(xdp_run(bpf_program__fd(g.s->progs.xdp_redirect_prog), &xg),
					       what))
					break;
				if (!ASSERT_EQ(xs.retval, xg.retval, what) ||
				    !ASSERT_EQ(xs.out_len, xg.out_len, what) ||
				    !ASSERT_MEMEQ(out_s, out_g, xs.out_len, what))
					break;
			}
			a = rd_rec(&r);
			b = rd_rec(&g);
			ASSERT_MEMEQ(&a, &b, sizeof(a), what);
			ASSERT_EQ(a.rx, 117, what);	/* 14..128, 3500, 5000 */
			xdp_redirect_kern__destroy(g.s);
		}
		rd_close(&r);
	}
}

/* No target: an empty devmap slot (--map) or no ifindex_out pass the frame to the stack,
 * untouched even with the swap on. --multi broadcasts to an empty devmap: still a redirect
 * (the kernel sends it nowhere). */
TEST(redir_no_target_passes_untouched)
{
	static const __u32 modes[] = { REDIR_M_IFINDEX, REDIR_M_MAP, REDIR_M_MULTI };
	__u8 pkt[64], out[64];

	pkt_udp(pkt, sizeof(pkt), false);
	for (size_t m = 0; m < ARRAY_SIZE(modes); m++) {
		struct redir_cfg cfg = { .mode = modes[m], .flags = REDIR_F_SWAPMAC };
		struct xdp_run x = { .data = pkt, .len = sizeof(pkt), .out = out,
				     .out_len = sizeof(out), .repeat = 7 };
		bool multi = modes[m] == REDIR_M_MULTI;
		struct rd r;

		if (!rd_open(&r, &cfg, -1))
			return;
		if (ASSERT_OK(xdp_run(r.prog, &x), mode_name(modes[m]))) {
			ASSERT_EQ(x.retval, multi ? XDP_REDIRECT : XDP_PASS, mode_name(modes[m]));
			if (!multi)
				ASSERT_TRUE(!memcmp(out, pkt, sizeof(pkt)), "frame untouched");
			expect_rec(&r, 7, multi ? 7 : 0, multi ? 0 : 7, 0, mode_name(modes[m]));
		}
		rd_close(&r);
	}
}

/* --read/--read-bytes, direct and through bpf_xdp_load_bytes, on single- and multi-buffer
 * frames (above ~3.5 KB BPF_PROG_TEST_RUN puts the rest in fragments): short frames counted
 * exactly, every frame redirected. */
TEST(redir_read_paths)
{
	static const struct {
		__u32 read_bytes, len;
		__u64 short_frames;
	} cases[] = {
		{ 64, 64, 0 }, { 1500, 1500, 0 }, { 4096, 1500, 5 }, { 256, 60, 5 },
		{ 4992, 5000, 0 },			/* lines in the second buffer */
		{ REDIR_READ_MAX, 5000, 5 },
		{ REDIR_READ_MAX, REDIR_READ_MAX, 0 },	/* a full jumbo frame, three buffers */
	};
	static __u8 pkt[REDIR_READ_MAX];

	pkt_udp(pkt, sizeof(pkt), false);
	for (__u32 helper = 0; helper <= REDIR_F_LOAD_BYTES; helper += REDIR_F_LOAD_BYTES) {
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
			struct redir_cfg cfg = { .flags = REDIR_F_READ | helper,
						 .read_bytes = cases[i].read_bytes };
			char what[80];
			struct rd r;

			snprintf(what, sizeof(what), "read %u of %u%s", cases[i].read_bytes,
				 cases[i].len, helper ? " (load_bytes)" : "");
			if (!rd_open(&r, &cfg, 1))
				return;
			for (int k = 0; k < 5; k++) {	/* repeat > 1 costs a dispatcher update */
				struct xdp_run x = { .data = pkt, .len = cases[i].len,
						     .repeat = 1 };

				if (ASSERT_OK(xdp_run(r.prog, &x), what))
					ASSERT_EQ(x.retval, XDP_REDIRECT, what);
			}
			expect_rec(&r, 5, 5, 0, cases[i].short_frames, what);
			rd_close(&r);
		}
	}
}

/*
 * The verifier walks the frame work in linear time: --read-bytes 9216 (144 lines), direct and
 * through the helper, costs a few thousand instructions, far below the verifier's limit of
 * 1,000,000 on every kernel. A loop in which every line can be reached with every earlier packet
 * range took 955,000 on 6.18 and did not load on 6.1 (E2BIG).
 */
TEST(redir_verifier_walks_read_bytes_linearly)
{
	static const __u32 sets[] = {
		REDIR_F_SWAPMAC | REDIR_F_READ,
		REDIR_F_SWAPMAC | REDIR_F_READ | REDIR_F_LOAD_BYTES,
		REDIR_F_READ,
	};
	static char log[4096];
	char info[160] = "";

	for (size_t c = 0; c < ARRAY_SIZE(sets); c++) {
		struct xdp_redirect_kern *s = xdp_redirect_kern__open();
		char what[64];
		long insns;
		int err;

		if (!ASSERT_OK_PTR(s, "open xdp_redirect_kern"))
			return;
		s->rodata->cfg.flags = sets[c];
		s->rodata->cfg.read_bytes = REDIR_READ_MAX;
		s->rodata->cfg.ifindex_out = 1;
		verifier_stats_on(s->progs.xdp_redirect_prog, log, sizeof(log));
		err = xdp_redirect_kern__load(s);
		snprintf(what, sizeof(what), "flags %#x, --read-bytes %u", sets[c], REDIR_READ_MAX);
		if (err) {
			if (!skip_if_eperm(err, "load xdp_redirect"))
				ASSERT_OK(err, what);
			xdp_redirect_kern__destroy(s);
			return;
		}
		insns = ASSERT_VERIFIED_BELOW(log, 100000, what);
		snprintf(info + strlen(info), sizeof(info) - strlen(info), " %#x=%ld", sets[c],
			 insns);
		xdp_redirect_kern__destroy(s);
	}
	printf("  info verifier insns by flags:%s\n", info);
}

/* --load-bytes: the swap through the helpers gives the same frame as the direct one, on one
 * buffer and across buffers; without the swap it only reads the header. */
TEST(redir_load_bytes_same_frame_as_direct)
{
	static __u8 pkt[5000], out[5000], want[5000];
	static const __u32 lens[] = { 14, 64, 5000 };

	pkt_udp(pkt, sizeof(pkt), false);
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		for (int swap = 0; swap <= 1; swap++) {
			struct redir_cfg cfg = { .flags = REDIR_F_LOAD_BYTES |
							  (swap ? REDIR_F_SWAPMAC : 0) };
			struct xdp_run x = { .data = pkt, .len = lens[i], .out = out,
					     .out_len = sizeof(out), .repeat = 1 };
			char what[64];
			struct rd r;

			snprintf(what, sizeof(what), "%u bytes%s", lens[i], swap ? " swapped" : "");
			if (swap)
				swapped(want, pkt, lens[i]);
			else
				memcpy(want, pkt, lens[i]);
			if (!rd_open(&r, &cfg, 1))
				return;
			if (ASSERT_OK(xdp_run(r.prog, &x), what)) {
				ASSERT_EQ(x.retval, XDP_REDIRECT, what);
				ASSERT_TRUE(x.out_len == lens[i] && !memcmp(out, want, lens[i]),
					    what);
				expect_rec(&r, 1, 1, 0, 0, what);
			}
			rd_close(&r);
		}
	}
}

/*
 * A frame whose first buffer is empty (everything in a fragment; xdp_md.data_end gives
 * BPF_PROG_TEST_RUN the linear size): --load-bytes swaps it, direct access cannot and counts
 * it short, and both redirect it.
 */
TEST(redir_load_bytes_with_empty_first_buffer)
{
	__u8 pkt[200], out[200], want[200];

	pkt_udp(pkt, sizeof(pkt), false);
	for (int helper = 0; helper <= 1; helper++) {
		struct redir_cfg cfg = { .flags = REDIR_F_SWAPMAC |
						  (helper ? REDIR_F_LOAD_BYTES : 0) };
		struct xdp_md ctx = { .data_end = 0 };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt),
			    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = 1);
		const char *what = helper ? "load_bytes" : "direct";
		struct rd r;
		int err;

		if (!rd_open(&r, &cfg, 1))
			return;
		err = bpf_prog_test_run_opts(r.prog, &o) ? -errno : 0;
		if (err == -EINVAL) {
			SKIP("BPF_PROG_TEST_RUN takes a linear size below the frame's from kernel "
			     "6.18 on (this kernel refused xdp_md.data_end 0)");
			rd_close(&r);
			return;
		}
		if (ASSERT_OK(err, what)) {
			ASSERT_EQ(o.retval, XDP_REDIRECT, what);
			if (helper)
				swapped(want, pkt, sizeof(pkt));
			else
				memcpy(want, pkt, sizeof(pkt));
			ASSERT_TRUE(o.data_size_out == sizeof(pkt) &&
				    !memcmp(out, want, sizeof(pkt)), what);
			expect_rec(&r, 1, 1, 0, helper ? 0 : 1, what);
		}
		rd_close(&r);
	}
}

/* Every length BPF_PROG_TEST_RUN takes up to 128, a 3,500-byte and a 5,000-byte (two buffers)
 * frame, each option set: always XDP_REDIRECT, counters exact. */
TEST(redir_every_length_no_aborted)
{
	static const __u32 sets[] = {
		REDIR_F_SWAPMAC,
		REDIR_F_SWAPMAC | REDIR_F_READ,
		REDIR_F_SWAPMAC | REDIR_F_READ | REDIR_F_LOAD_BYTES,
		REDIR_F_LOAD_BYTES,
	};
	static __u8 pkt[5000], out[5000];

	for (size_t c = 0; c < ARRAY_SIZE(sets); c++) {
		struct redir_cfg cfg = { .flags = sets[c], .read_bytes = REDIR_READ_MAX };
		bool all_short = sets[c] & REDIR_F_READ;
		__u64 runs = 0;
		struct rd r;

		if (!rd_open(&r, &cfg, 1))
			return;
		for (__u32 len = 14; len <= 130; len++) {
			struct xdp_run x = { .data = pkt, .out = out, .out_len = sizeof(out),
					     .repeat = 1 };

			x.len = len == 129 ? 3500 : len == 130 ? 5000 : len;
			if (!ASSERT_OK(xdp_run(r.prog, &x), "run") ||
			    !ASSERT_EQ(x.retval, XDP_REDIRECT, "verdict for every length"))
				break;
			runs++;
		}
		expect_rec(&r, runs, runs, 0, all_short ? runs : 0, "every length");
		rd_close(&r);
	}
}

/* bpf_redirect(ifindex): live frames reach that device's peer, swapped, and nowhere else. One
 * frame per call with the swap (live frames are not reset between the runs of one call), then
 * 200 in one call without it. */
TEST(redir_live_ifindex_frames_reach_the_device)
{
	__u8 pkt[64], want[64];
	__u32 same = 0;
	struct rd r;
	struct redir_cfg cfg = { .flags = REDIR_F_SWAPMAC };

	if (!rd_open(&r, &cfg, 1) || !rd_listen(&r, 0) || !rd_listen(&r, 1))
		goto out;
	pkt_udp(pkt, sizeof(pkt), false);
	swapped(want, pkt, sizeof(pkt));
	for (int i = 0; i < 20; i++)
		if (!ASSERT_OK(xdp_live(r.prog, r.ifx[0], pkt, sizeof(pkt), 1), "live frame"))
			goto out;
	ASSERT_EQ(rd_received(&r, 1, 20, want, sizeof(want), &same), 20, "frames on rda1's peer");
	ASSERT_EQ(same, 20, "all with swapped MACs, otherwise intact");
	ASSERT_EQ(rd_received(&r, 0, 0, want, sizeof(want), &same), 0, "none on rda0's peer");
	expect_rec(&r, 20, 20, 0, 0, "live swap");
	rd_close(&r);

	cfg.flags = 0;
	if (!rd_open(&r, &cfg, 1) || !rd_listen(&r, 1))
		goto out;
	if (ASSERT_OK(xdp_live(r.prog, r.ifx[0], pkt, sizeof(pkt), 200), "live frames")) {
		ASSERT_EQ(rd_received(&r, 1, 200, pkt, sizeof(pkt), &same), 200, "frames");
		ASSERT_EQ(same, 200, "all unchanged");
		expect_rec(&r, 200, 200, 0, 0, "live no swap");
	}
out:
	rd_close(&r);
}

/* --map: live frames go to the device in slot 0; with the forward egress program their source
 * MAC becomes that device's address, counted in its slot. */
TEST(redir_live_map_slot0_and_forward)
{
	struct redir_cfg cfg = { .mode = REDIR_M_MAP };
	__u8 pkt[64], want[64];
	__u32 same = 0;
	struct rd r;

	pkt_udp(pkt, sizeof(pkt), false);
	for (int fwd = 0; fwd <= 1; fwd++) {
		const char *what = fwd ? "map + forward" : "map";

		if (!rd_open(&r, &cfg, -1) || !rd_listen(&r, 2) ||
		    !rd_port(&r, 2, false, fwd ? r.s->progs.xdp_redirect_forward : NULL, true))
			goto out;
		memcpy(want, pkt, sizeof(pkt));
		if (fwd)
			memcpy(want + ETH_ALEN, mac_a[2], ETH_ALEN);
		if (!ASSERT_OK(xdp_live(r.prog, r.ifx[0], pkt, sizeof(pkt), 100), what))
			goto out;
		ASSERT_EQ(rd_received(&r, 2, 100, want, sizeof(want), &same), 100, what);
		ASSERT_EQ(same, 100, "frames as expected");
		expect_rec(&r, 100, 100, 0, 0, what);
		ASSERT_EQ(rd_egress(&r, 2).rewritten, fwd ? 100 : 0, "egress rewritten, slot 2");
		ASSERT_EQ(rd_egress(&r, 2).untouched + rd_egress(&r, 2).dropped, 0, "slot 2 rest");
		rd_close(&r);
	}
out:
	rd_close(&r);
}

/* --multi with the forward program on four ports, ingress rda0: every other port's peer gets
 * each frame once, with that port's source address; the ingress port gets none. */
TEST(redir_live_multi_every_port_but_ingress)
{
	struct redir_cfg cfg = { .mode = REDIR_M_MULTI };
	__u8 pkt[64], want[64];
	__u32 same = 0, n = 50;
	struct rd r;

	if (!rd_open(&r, &cfg, -1))
		goto out;
	for (int i = 0; i < NPORTS; i++)
		if (!rd_listen(&r, i) ||
		    !rd_port(&r, i, true, r.s->progs.xdp_redirect_forward, true))
			goto out;
	pkt_udp(pkt, sizeof(pkt), false);
	if (!rd_inject(&r, pkt, sizeof(pkt), n))
		goto out;
	for (int i = 1; i < NPORTS; i++) {
		struct redir_egress_rec e = rd_egress(&r, (__u32)i);

		memcpy(want, pkt, sizeof(pkt));
		memcpy(want + ETH_ALEN, mac_a[i], ETH_ALEN);
		ASSERT_EQ(rd_received(&r, i, n, want, sizeof(want), &same), n, "frames per port");
		ASSERT_EQ(same, n, "source MAC of the egress port, rest intact");
		ASSERT_EQ(e.rewritten, n, "egress rewritten per port");
		ASSERT_EQ(e.untouched + e.dropped, 0, "egress other verdicts");
	}
	ASSERT_EQ(rd_received(&r, 0, 0, pkt, sizeof(pkt), &same), 0, "nothing back to the ingress");
	ASSERT_EQ(rd_egress(&r, 0).rewritten, 0, "ingress slot");
	ASSERT_EQ(rd_egress(&r, REDIR_PORTS_MAX).untouched, 0, "unknown-port slot");
	expect_rec(&r, n, n, 0, 0, "multi");
out:
	rd_close(&r);
}

/* The drop egress program drops per port (nothing arrives); a port missing from redir_ports
 * gets the frame unchanged from the forward program, counted in the unknown-port slot. */
TEST(redir_live_egress_drop_and_unknown_port)
{
	struct redir_cfg cfg = { .mode = REDIR_M_MULTI };
	__u8 pkt[64];
	__u32 same = 0, n = 40;
	struct rd r;

	if (!rd_open(&r, &cfg, -1))
		goto out;
	for (int i = 1; i < NPORTS; i++)
		if (!rd_listen(&r, i))
			goto out;
	if (!rd_port(&r, 1, true, r.s->progs.xdp_redirect_drop, true) ||
	    !rd_port(&r, 2, true, r.s->progs.xdp_redirect_drop, true) ||
	    !rd_port(&r, 3, true, r.s->progs.xdp_redirect_forward, false))
		goto out;
	pkt_udp(pkt, sizeof(pkt), false);
	if (!rd_inject(&r, pkt, sizeof(pkt), n))
		goto out;
	ASSERT_EQ(rd_received(&r, 3, n, pkt, sizeof(pkt), &same), n, "unknown port: frames");
	ASSERT_EQ(same, n, "unknown port: unchanged");
	ASSERT_EQ(rd_egress(&r, REDIR_PORTS_MAX).untouched, n, "unknown-port slot: untouched");
	for (int i = 1; i <= 2; i++) {
		ASSERT_EQ(rd_received(&r, i, 0, pkt, sizeof(pkt), &same), 0, "dropped port: none");
		ASSERT_EQ(rd_egress(&r, (__u32)i).dropped, n, "dropped per port");
		ASSERT_EQ(rd_egress(&r, (__u32)i).rewritten, 0, "dropped port: no rewrite");
	}
	expect_rec(&r, n, n, 0, 0, "multi drop");
out:
	rd_close(&r);
}
