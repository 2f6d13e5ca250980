// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_PROG_TEST_RUN tests of xdp_fwd_kern.c, against the real FIB of prog_run's private network
 * namespace: an ingress veth (fi0, 10.1.0.1/24, fd01::1/64) and an egress veth (fo0,
 * 10.2.0.1/24, fd02::1/64, MAC 02:00:00:00:02:01) with a permanent neighbour 10.2.0.2 /
 * fd02::2 at 02:00:00:00:02:02, forwarding on. A second pair with ifindexes above
 * FWD_STATS_DIRECT (hi0 3001, 10.3.0.1/24; ho0 3002, 10.4.0.1/24, neighbour 10.4.0.2) has its
 * counters in the hash map instead of the array.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_insn.h"
#include "common_user.h"
#include "prog_run.h"
#include "xdp_fwd.h"
#include "xdp_fwd.skel.h"

static const __u8 mac_out[ETH_ALEN] = { 0x02, 0, 0, 0, 0x02, 0x01 };
static const __u8 mac_nh[ETH_ALEN] = { 0x02, 0, 0, 0, 0x02, 0x02 };

/* The router of these tests, built once per prog_run (the namespace goes away with it). */
static int lab_ok = -1;

static bool lab(void)
{
	if (lab_ok >= 0)
		return lab_ok;
	/* sh() takes commands of up to 512 bytes: one step per call */
	lab_ok = !sh("ip link add fi0 type veth peer name fi1 && "
		     "ip link add fo0 address 02:00:00:00:02:01 type veth peer name fo1 && "
		     "sysctl -qw net.ipv4.conf.all.forwarding=1 net.ipv6.conf.all.forwarding=1") &&
		 !sh("ip addr add 10.1.0.1/24 dev fi0 && ip addr add 10.2.0.1/24 dev fo0 && "
		     "ip addr add fd01::1/64 dev fi0 nodad && ip addr add fd02::1/64 dev fo0 nodad && "
		     "for d in fi0 fi1 fo0 fo1; do ip link set $d up || exit 1; done") &&
		 !sh("ip neigh replace 10.2.0.2 lladdr 02:00:00:00:02:02 dev fo0 nud permanent && "
		     "ip neigh replace fd02::2 lladdr 02:00:00:00:02:02 dev fo0 nud permanent") &&
		 !sh("ip route add blackhole 10.98.0.0/24 && ip route add unreachable 10.97.0.0/24 && "
		     "ip route add prohibit 10.96.0.0/24 && ip -6 route add blackhole fd98::/64") &&
		 !sh("ip link add hi0 index 3001 type veth peer name hi1 && "
		     "ip link add ho0 index 3002 address 02:00:00:00:03:01 type veth peer name ho1 && "
		     "ip addr add 10.3.0.1/24 dev hi0 && ip addr add 10.4.0.1/24 dev ho0 && "
		     "for d in hi0 hi1 ho0 ho1; do ip link set $d up || exit 1; done && "
		     "ip neigh replace 10.4.0.2 lladdr 02:00:00:00:03:02 dev ho0 nud permanent");
	return lab_ok;
}

/* Ethernet + IPv4 + UDP of len bytes from 10.1.0.2 to dst, checksums valid. */
static __u32 frame4(__u8 *buf, __u32 len, const char *dst, __u8 ttl, __u16 id)
{
	struct frame_spec s;

	pkt_spec(&s, false);
	frame_addrs(&s, "10.1.0.2", dst);
	s.ttl = ttl;
	s.ip_id = id;
	return pkt_frame(buf, len, &s);
}

static __u32 frame6(__u8 *buf, __u32 len, const char *dst, __u8 hops)
{
	struct frame_spec s;

	pkt_spec(&s, true);
	frame_addrs(&s, "fd01::2", dst);
	s.ttl = hops;
	return pkt_frame(buf, len, &s);
}

struct fwd {
	struct xdp_fwd_kern *skel;
	int prog, stats, stats_hi, ports;
	__u32 in, out, hin, hout;	/* fi0, fo0, hi0, ho0 */
};

static int stats_of(const struct fwd *f, __u32 ifindex)
{
	return ifindex < FWD_STATS_DIRECT ? f->stats : f->stats_hi;
}

static void fwd_close(struct fwd *f)
{
	xdp_fwd_kern__destroy(f->skel);
}

/* Load (with fib_flags), register fi0, fo0, hi0 and ho0 in the counters and, if ports, in the
 * devmap. */
static bool fwd_open_cfg(struct fwd *f, const struct fwd_cfg *cfg, bool ports, bool frags);

static bool fwd_open(struct fwd *f, __u32 fib_flags, bool ports)
{
	struct fwd_cfg cfg = { .fib_flags = fib_flags };

	return fwd_open_cfg(f, &cfg, ports, false);
}

/* The same with a whole cfg; frags: loaded frags-capable, as xdp_fwd does. */
static bool fwd_open_cfg(struct fwd *f, const struct fwd_cfg *cfg, bool ports, bool frags)
{
	int ncpus = ncpus_possible(), err;
	__u64 *zero;

	memset(f, 0, sizeof(*f));
	if (!lab()) {
		ASSERT_TRUE(false, "set up the router (ip link/addr/route/neigh)");
		return false;
	}
	f->in = if_nametoindex("fi0");
	f->out = if_nametoindex("fo0");
	f->hin = if_nametoindex("hi0");
	f->hout = if_nametoindex("ho0");
	f->skel = xdp_fwd_kern__open();
	if (!ASSERT_OK_PTR(f->skel, "open xdp_fwd_kern"))
		return false;
	f->skel->rodata->cfg = *cfg;
	if (frags)
		xdp_prog_frags_capable(f->skel->progs.xdp_fwd_prog);
	if (!LOADED(xdp_fwd_kern__load(f->skel), "xdp_fwd_kern")) {
		fwd_close(f);
		return false;
	}
	f->prog = bpf_program__fd(f->skel->progs.xdp_fwd_prog);
	f->stats = bpf_map__fd(f->skel->maps.xdp_fwd_stats);
	f->stats_hi = bpf_map__fd(f->skel->maps.xdp_fwd_stats_hi);
	f->ports = bpf_map__fd(f->skel->maps.xdp_fwd_ports);
	zero = calloc((size_t)ncpus, sizeof(struct fwd_rec));
	err = !zero || f->hin < FWD_STATS_DIRECT || f->hout < FWD_STATS_DIRECT;
	for (int i = 0; i < 4 && !err; i++) {
		__u32 dev = i == 0 ? f->in : i == 1 ? f->out : i == 2 ? f->hin : f->hout;

		err = bpf_map_update_elem(stats_of(f, dev), &dev, zero, BPF_ANY) ||
		      (ports && bpf_map_update_elem(f->ports, &dev, &dev, BPF_ANY));
	}
	free(zero);
	if (!ASSERT_OK(err, "fill stats map and devmap")) {
		fwd_close(f);
		return false;
	}
	return true;
}

/* A device's record summed over CPUs (every field ~0 when unreadable). */
static struct fwd_rec cnt(const struct fwd *f, __u32 ifindex)
{
	struct fwd_rec t;

	if (PERCPU_SUM(stats_of(f, ifindex), &ifindex, ncpus_possible(), &t))
		memset(&t, 0xff, sizeof(t));
	return t;
}

/* Every counter of fi0 is zero except rx == n and pass[reason] == n; fo0 sends nothing. */
static void expect_passed(const struct fwd *f, unsigned int reason, __u64 n, const char *what)
{
	char m[128];

	snprintf(m, sizeof(m), "%s: rx", what);
	ASSERT_EQ(cnt(f, f->in).rx, n, m);
	snprintf(m, sizeof(m), "%s: fwd", what);
	ASSERT_EQ(cnt(f, f->in).fwd, 0, m);
	snprintf(m, sizeof(m), "%s: tx on fo0", what);
	ASSERT_EQ(cnt(f, f->out).tx, 0, m);
	for (unsigned int r = 0; r < FWD_R_N; r++) {
		snprintf(m, sizeof(m), "%s: pass reason %u", what, r);
		ASSERT_EQ(cnt(f, f->in).pass[r], r == reason ? n : 0, m);
	}
}

/* Runs one frame and expects XDP_PASS with the frame unchanged. */
static bool run_pass(const struct fwd *f, const __u8 *pkt, __u32 len, const char *what)
{
	__u8 out[256];
	struct xdp_run r = { .data = pkt, .len = len, .out = out, .out_len = sizeof(out),
			     .repeat = 1, .ifindex = f->in };
	char m[128];

	snprintf(m, sizeof(m), "%s: run", what);
	if (!ASSERT_OK(xdp_run(f->prog, &r), m))
		return false;
	snprintf(m, sizeof(m), "%s: verdict", what);
	ASSERT_EQ(r.retval, XDP_PASS, m);
	snprintf(m, sizeof(m), "%s: frame unchanged", what);
	return ASSERT_TRUE(r.out_len == len && !memcmp(out, pkt, len), m);
}

/* An IPv4 frame to dst4 and an IPv6 frame to dst6 go to the stack unchanged, both counted
 * under reason and nowhere else. */
static void both_passed(const struct fwd *f, const char *dst4, const char *dst6,
			unsigned int reason, const char *what)
{
	__u8 pkt[64], p6[84];
	char m[128];

	frame4(pkt, sizeof(pkt), dst4, 64, 1);
	snprintf(m, sizeof(m), "IPv4 %s", what);
	run_pass(f, pkt, sizeof(pkt), m);
	frame6(p6, sizeof(p6), dst6, 64);
	snprintf(m, sizeof(m), "IPv6 %s", what);
	run_pass(f, p6, sizeof(p6), m);
	expect_passed(f, reason, 2, what);
}

/* One IPv4 frame through the program: redirected, MACs, TTL - 1, valid checksum, rest intact. */
static bool forwarded4(const struct fwd *f, const __u8 *pkt, __u32 len, int ttl)
{
	__u8 out[128];
	struct xdp_run r = { .data = pkt, .len = len, .out = out, .out_len = sizeof(out),
			     .repeat = 1, .ifindex = f->in };
	const iphdr_any *ip = (const iphdr_any *)(out + ETH_HLEN);
	const struct ethhdr *eth = (const struct ethhdr *)out;

	return ASSERT_OK(xdp_run(f->prog, &r), "run") &&
	       ASSERT_EQ(r.retval, XDP_REDIRECT, "verdict") &&
	       ASSERT_EQ(r.out_len, len, "length") &&
	       ASSERT_TRUE(!memcmp(eth->h_dest, mac_nh, ETH_ALEN), "dst MAC = neighbour") &&
	       ASSERT_TRUE(!memcmp(eth->h_source, mac_out, ETH_ALEN), "src MAC = fo0") &&
	       ASSERT_EQ(ip->ttl, ttl - 1, "TTL minus one") &&
	       ASSERT_EQ(csum_fold(csum_add(0, ip, sizeof(*ip))), 0,
			 "IPv4 checksum valid (from scratch)") &&
	       ASSERT_TRUE(!memcmp(out + 12, pkt + 12, ETH_HLEN - 12 + 8) &&
			   out[ETH_HLEN + 9] == pkt[ETH_HLEN + 9] &&
			   !memcmp(out + ETH_HLEN + 12, pkt + ETH_HLEN + 12, len - ETH_HLEN - 12),
			   "everything else unchanged");
}

TEST(fwd_ipv4_forwarded_ttl_checksum_macs)
{
	iphdr_any *ip;
	__u8 pkt[98];
	struct fwd f;
	int n = 0, edge = 0;

	if (!fwd_open(&f, 0, true))
		return;
	ip = (iphdr_any *)(pkt + ETH_HLEN);
	/*
	 * many ids and TTLs, plus every id whose stored checksum (the u16 in memory) is near
	 * 0xffff, where the incremental update needs its end-around carry; a checksum of 0 is
	 * also sent as its other ones'-complement form 0xffff, where a lost carry gives 0x0000
	 */
	for (int ttl = 2; ttl <= 255; ttl += 29) {
		for (__u32 id = 0; id < 65536; id++) {
			frame4(pkt, sizeof(pkt), "10.2.0.2", (__u8)ttl, (__u16)id);
			if (!ip->check)
				ip->check = 0xffff;
			if (id % 257 && ip->check < 0xfff0)
				continue;
			edge += ip->check == 0xffff;
			n++;
			if (!forwarded4(&f, pkt, sizeof(pkt), ttl))
				goto out;
		}
	}
	ASSERT_TRUE(edge > 0, "the carry case (stored 0xffff) was exercised");
	ASSERT_EQ(cnt(&f, f.in).rx, n, "rx on fi0");
	ASSERT_EQ(cnt(&f, f.in).fwd, n, "fwd on fi0");
	ASSERT_EQ(cnt(&f, f.out).tx, n, "tx on fo0");
	ASSERT_EQ(cnt(&f, f.out).rx, 0, "rx on fo0");
	for (unsigned int r = 0; r < FWD_R_N; r++)
		ASSERT_EQ(cnt(&f, f.in).pass[r], 0, "no pass reason");
out:
	fwd_close(&f);
}

/* Devices with ifindexes above FWD_STATS_DIRECT count in the hash map: hi0 -> ho0 (both in the
 * hash), fi0 -> ho0 (array -> hash), hi0 -> fo0 (hash -> array), and an unknown egress from
 * hi0. Every counter lands on its own device and nowhere else. */
TEST(fwd_counters_of_high_ifindexes)
{
	static const struct {
		int from_hi;
		const char *dst;
		__u32 n;
	} runs[] = { { 1, "10.4.0.2", 3 }, { 0, "10.4.0.2", 5 }, { 1, "10.2.0.2", 7 },
		     { 1, "10.99.0.2", 11 } };
	__u8 pkt[64];
	struct fwd f;

	if (!fwd_open(&f, 0, true))
		return;
	for (unsigned int i = 0; i < ARRAY_SIZE(runs); i++) {
		struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .repeat = runs[i].n,
				     .ifindex = runs[i].from_hi ? f.hin : f.in };

		frame4(pkt, sizeof(pkt), runs[i].dst, 64, (__u16)i);
		if (!ASSERT_OK(xdp_run(f.prog, &r), "run"))
			goto out;
		ASSERT_EQ(r.retval, i == 3 ? XDP_PASS : XDP_REDIRECT, "verdict");
	}
	ASSERT_EQ(cnt(&f, f.hin).rx, 3 + 7 + 11, "rx on hi0");
	ASSERT_EQ(cnt(&f, f.hin).fwd, 3 + 7, "fwd on hi0");
	ASSERT_EQ(cnt(&f, f.hin).pass[FWD_R_NOT_FWDED], 11, "no route from hi0");
	ASSERT_EQ(cnt(&f, f.in).rx, 5, "rx on fi0");
	ASSERT_EQ(cnt(&f, f.in).fwd, 5, "fwd on fi0");
	ASSERT_EQ(cnt(&f, f.hout).tx, 3 + 5, "tx on ho0");
	ASSERT_EQ(cnt(&f, f.out).tx, 7, "tx on fo0");
	ASSERT_EQ(cnt(&f, f.hout).rx + cnt(&f, f.out).rx + cnt(&f, f.hin).tx + cnt(&f, f.in).tx,
		  0, "nothing else counted");
out:
	fwd_close(&f);
}

TEST(fwd_ipv6_forwarded_hop_limit_macs)
{
	__u8 pkt[118], out[128];
	struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .out = out, .out_len = sizeof(out),
			     .repeat = 1 };
	ipv6hdr_any *ip6 = (ipv6hdr_any *)(out + ETH_HLEN);
	struct ethhdr *eth = (struct ethhdr *)out;
	struct fwd f;

	if (!fwd_open(&f, 0, true))
		return;
	r.ifindex = f.in;
	frame6(pkt, sizeof(pkt), "fd02::2", 64);
	if (ASSERT_OK(xdp_run(f.prog, &r), "run")) {
		ASSERT_EQ(r.retval, XDP_REDIRECT, "verdict");
		ASSERT_TRUE(!memcmp(eth->h_dest, mac_nh, ETH_ALEN), "dst MAC = neighbour");
		ASSERT_TRUE(!memcmp(eth->h_source, mac_out, ETH_ALEN), "src MAC = fo0");
		ASSERT_EQ(ip6->hop_limit, 63, "hop limit minus one");
		ASSERT_TRUE(!memcmp(out + 12, pkt + 12, ETH_HLEN - 12 + 7) &&
			    !memcmp(out + ETH_HLEN + 8, pkt + ETH_HLEN + 8,
				    sizeof(pkt) - ETH_HLEN - 8), "everything else unchanged");
	}
	/*
	 * repeat runs the program again on the frame it just rewrote: hop limit 64 is forwarded
	 * 63 times (64..2), then the last 37 runs see hop limit 1 and pass it to the stack.
	 */
	r.repeat = 100;
	if (ASSERT_OK(xdp_run(f.prog, &r), "run x100")) {
		ASSERT_EQ(r.retval, XDP_PASS, "last verdict of 100");
		ASSERT_EQ(ip6->hop_limit, 1, "hop limit after 63 forwards");
	}
	ASSERT_EQ(cnt(&f, f.in).rx, 101, "rx on fi0");
	ASSERT_EQ(cnt(&f, f.in).fwd, 1 + 63, "fwd on fi0");
	ASSERT_EQ(cnt(&f, f.out).tx, 1 + 63, "tx on fo0");
	ASSERT_EQ(cnt(&f, f.in).pass[FWD_R_TTL], 37, "ttl on fi0");
	fwd_close(&f);
}

TEST(fwd_ttl_expired_to_stack)
{
	__u8 pkt[64], p6[84];
	struct fwd f;

	if (!fwd_open(&f, 0, true))
		return;
	frame4(pkt, sizeof(pkt), "10.2.0.2", 1, 7);
	run_pass(&f, pkt, sizeof(pkt), "IPv4 TTL 1");
	frame4(pkt, sizeof(pkt), "10.2.0.2", 0, 7);
	run_pass(&f, pkt, sizeof(pkt), "IPv4 TTL 0");
	frame6(p6, sizeof(p6), "fd02::2", 1);
	run_pass(&f, p6, sizeof(p6), "IPv6 hop limit 1");
	expect_passed(&f, FWD_R_TTL, 3, "ttl");
	fwd_close(&f);
}

TEST(fwd_unknown_neighbour_to_stack)
{
	struct fwd f;

	if (!fwd_open(&f, 0, true))
		return;
	both_passed(&f, "10.2.0.3", "fd02::3", FWD_R_NO_NEIGH, "no_neigh");
	fwd_close(&f);
}

TEST(fwd_no_route_to_stack)
{
	struct fwd f;

	if (!fwd_open(&f, 0, true))
		return;
	both_passed(&f, "10.99.0.1", "fd99::1", FWD_R_NOT_FWDED, "not_fwded (no route)");
	fwd_close(&f);
}

TEST(fwd_blackhole_unreachable_prohibit_routes)
{
	static const struct { const char *dst; unsigned int reason; } c[] = {
		{ "10.98.0.1", FWD_R_BLACKHOLE },
		{ "10.97.0.1", FWD_R_UNREACHABLE },
		{ "10.96.0.1", FWD_R_PROHIBIT },
	};
	__u8 pkt[64], p6[84];
	struct fwd f;

	if (!fwd_open(&f, 0, true))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		frame4(pkt, sizeof(pkt), c[i].dst, 64, 1);
		run_pass(&f, pkt, sizeof(pkt), c[i].dst);
		ASSERT_EQ(cnt(&f, f.in).pass[c[i].reason], 1, c[i].dst);
	}
	frame6(p6, sizeof(p6), "fd98::1", 64);
	run_pass(&f, p6, sizeof(p6), "IPv6 blackhole");
	ASSERT_EQ(cnt(&f, f.in).pass[FWD_R_BLACKHOLE], 2, "IPv6 blackhole counted");
	ASSERT_EQ(cnt(&f, f.in).rx, 4, "rx");
	ASSERT_EQ(cnt(&f, f.in).fwd, 0, "fwd");
	fwd_close(&f);
}

TEST(fwd_forwarding_disabled_to_stack)
{
	struct fwd f;

	if (!fwd_open(&f, 0, true))
		return;
	if (!ASSERT_OK(sh("sysctl -qw net.ipv4.conf.fi0.forwarding=0 "
			  "net.ipv6.conf.fi0.forwarding=0"), "disable forwarding on fi0"))
		goto out;
	both_passed(&f, "10.2.0.2", "fd02::2", FWD_R_FWD_DISABLED, "fwd_disabled (forwarding off)");
out:
	sh("sysctl -qw net.ipv4.conf.fi0.forwarding=1 net.ipv6.conf.fi0.forwarding=1");
	fwd_close(&f);
}

TEST(fwd_egress_not_in_devmap_to_stack)
{
	struct fwd f;

	if (!fwd_open(&f, 0, false))
		return;
	both_passed(&f, "10.2.0.2", "fd02::2", FWD_R_NO_PORT, "no_port (egress not ours)");
	fwd_close(&f);
}

TEST(fwd_not_ip_and_malformed_to_stack)
{
	__u8 buf[64];
	struct fwd f;

	if (!fwd_open(&f, 0, true))
		return;
	/* ARP, and a VLAN-tagged frame: not IP */
	pkt_udp(buf, 60, false);
	((struct ethhdr *)buf)->h_proto = htons(ETH_P_ARP);
	run_pass(&f, buf, 60, "ARP");
	((struct ethhdr *)buf)->h_proto = htons(ETH_P_8021Q);
	run_pass(&f, buf, 60, "VLAN");
	expect_passed(&f, FWD_R_NOT_IP, 2, "not_ip");
	fwd_close(&f);

	if (!fwd_open(&f, 0, true))
		return;
	/* truncated: Ethernet only, half an IPv4 header, half an IPv6 header */
	frame4(buf, 60, "10.2.0.2", 64, 1);
	run_pass(&f, buf, ETH_HLEN, "IPv4, Ethernet header only");
	run_pass(&f, buf, ETH_HLEN + 19, "IPv4, 19-byte IP header");
	frame6(buf, 64, "fd02::2", 64);
	run_pass(&f, buf, ETH_HLEN + 39, "IPv6, 39-byte IP header");
	/* bad version, IHL below 5, IHL beyond the frame */
	frame4(buf, 60, "10.2.0.2", 64, 1);
	buf[ETH_HLEN] = 0x65;
	run_pass(&f, buf, 60, "IPv4 header with version 6");
	buf[ETH_HLEN] = 0x44;
	run_pass(&f, buf, 60, "IHL 4");
	buf[ETH_HLEN] = 0x4f;
	run_pass(&f, buf, ETH_HLEN + 40, "IHL 15 in a 40-byte packet");
	frame6(buf, 64, "fd02::2", 64);
	buf[ETH_HLEN] = 0x40;
	run_pass(&f, buf, 64, "IPv6 header with version 4");
	expect_passed(&f, FWD_R_MALFORMED, 7, "malformed");
	fwd_close(&f);
}

TEST(fwd_direct_lookup_forwards)
{
	__u8 pkt[64], out[64];
	struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .out = out, .out_len = sizeof(out),
			     .repeat = 10 };
	struct fwd f;

	if (!fwd_open(&f, BPF_FIB_LOOKUP_DIRECT, true))
		return;
	r.ifindex = f.in;
	frame4(pkt, sizeof(pkt), "10.2.0.2", 64, 1);
	if (ASSERT_OK(xdp_run(f.prog, &r), "run")) {
		ASSERT_EQ(r.retval, XDP_REDIRECT, "verdict");
		ASSERT_EQ(out[ETH_HLEN + 8], 54, "TTL minus ten (repeat rewrites the same frame)");
	}
	ASSERT_EQ(cnt(&f, f.in).fwd, 10, "fwd");
	fwd_close(&f);
}

TEST(fwd_unregistered_ingress_still_works)
{
	/* a device missing from the stats map (e.g. attached by hand with ip link) forwards */
	__u8 pkt[64];
	struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .repeat = 1 };
	struct fwd f;
	__u32 key;

	if (!fwd_open(&f, 0, true))
		return;
	key = f.in;
	bpf_map_delete_elem(f.stats, &key);
	r.ifindex = f.in;
	frame4(pkt, sizeof(pkt), "10.2.0.2", 64, 1);
	if (ASSERT_OK(xdp_run(f.prog, &r), "run"))
		ASSERT_EQ(r.retval, XDP_REDIRECT, "verdict");
	ASSERT_EQ(cnt(&f, f.out).tx, 1, "tx still counted on fo0");
	fwd_close(&f);
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/*
 * A second load on the first one's maps, as xdp_fwd does when it attaches to more devices of a
 * namespace (bpf_map__reuse_fd before load, with other rodata): the program uses the same map
 * objects, which the kernel gave BPF_F_RDONLY_PROG, forwards to a port the first load added,
 * and counts into the shared counters, also once the first load is gone.
 */
TEST(fwd_second_load_shares_the_router_maps)
{
	__u8 pkt[64];
	struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .repeat = 1 };
	struct bpf_map *a[3], *b[3];
	struct fwd f, g;

	if (!fwd_open(&f, 0, true))
		return;
	g = f;
	g.skel = xdp_fwd_kern__open();
	if (!ASSERT_OK_PTR(g.skel, "open the second load"))
		goto out;
	g.skel->rodata->cfg.fib_flags = BPF_FIB_LOOKUP_DIRECT;
	a[0] = f.skel->maps.xdp_fwd_ports;
	a[1] = f.skel->maps.xdp_fwd_stats;
	a[2] = f.skel->maps.xdp_fwd_stats_hi;
	b[0] = g.skel->maps.xdp_fwd_ports;
	b[1] = g.skel->maps.xdp_fwd_stats;
	b[2] = g.skel->maps.xdp_fwd_stats_hi;
	for (int i = 0; i < 3; i++)
		if (!ASSERT_OK(bpf_map__reuse_fd(b[i], bpf_map__fd(a[i])), "reuse a map"))
			goto out;
	if (!ASSERT_OK(xdp_fwd_kern__load(g.skel), "load on the first load's maps"))
		goto out;
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(map_id(bpf_map__fd(b[i])), map_id(bpf_map__fd(a[i])), "the same map");
	g.prog = bpf_program__fd(g.skel->progs.xdp_fwd_prog);
	g.ports = bpf_map__fd(b[0]);
	g.stats = bpf_map__fd(b[1]);
	g.stats_hi = bpf_map__fd(b[2]);
	fwd_close(&f);
	f.skel = NULL;
	r.ifindex = g.in;
	frame4(pkt, sizeof(pkt), "10.2.0.2", 64, 1);
	if (ASSERT_OK(xdp_run(g.prog, &r), "run"))
		ASSERT_EQ(r.retval, XDP_REDIRECT, "forwarded to the first load's port");
	ASSERT_EQ(cnt(&g, g.in).fwd, 1, "fwd on fi0 in the shared counters");
	ASSERT_EQ(cnt(&g, g.out).tx, 1, "tx on fo0 in the shared counters");
out:
	xdp_fwd_kern__destroy(g.skel);
	fwd_close(&f);
}

/*
 * Per-packet cost (ns) of xdp_fwd forwarding IPv4 next to an empty XDP_PASS program. repeat
 * rewrites the same frame, so each call starts at TTL 255 and stops before TTL 1 (250 runs);
 * the kernel times the repeat loop only, averaged over FWD_COST_CALLS calls (default 20: under
 * CPU contention each call yields often, so the bench asks for more).
 */
/*
 * Multi-buffer frames (5000 bytes, more than a page): where the kernel cannot redirect them
 * (mb_pass, before 6.3) they go to the stack untouched under reason multi_buf, while frames in
 * one buffer are still forwarded; elsewhere they are forwarded like any other.
 */
TEST(fwd_multi_buffer_to_stack_where_redirect_refuses_it)
{
	static __u8 big[5000], out[5000 + 256];
	struct fwd_cfg cfg = { .mb_pass = 1 };
	__u8 small[100];
	struct fwd f;

	frame4(big, sizeof(big), "10.2.0.2", 64, 1);
	frame4(small, sizeof(small), "10.2.0.2", 64, 2);
	if (!lab() || !ASSERT_OK(sh("ip link set fo0 mtu 9000"), "egress MTU 9000"))
		return;
	for (int mb_pass = 1; mb_pass >= 0; mb_pass--) {
		struct xdp_run r = { .data = big, .len = sizeof(big), .out = out,
				     .out_len = sizeof(out), .repeat = 3, .ifindex = 0 };

		cfg.mb_pass = (__u32)mb_pass;
		if (!fwd_open_cfg(&f, &cfg, true, true))
			return;
		r.ifindex = f.in;
		if (!ASSERT_OK(xdp_run(f.prog, &r), "run the multi-buffer frame"))
			goto out;
		if (mb_pass) {
			ASSERT_EQ(r.retval, XDP_PASS, "mb_pass: multi-buffer frame to the stack");
			ASSERT_TRUE(r.out_len == sizeof(big) && !memcmp(out, big, sizeof(big)),
				    "mb_pass: frame unchanged");
			expect_passed(&f, FWD_R_MULTI_BUF, 3, "mb_pass");
			r = (struct xdp_run){ .data = small, .len = sizeof(small), .repeat = 2,
					      .ifindex = f.in };
			ASSERT_OK(xdp_run(f.prog, &r), "run a single-buffer frame");
			ASSERT_EQ(r.retval, XDP_REDIRECT, "mb_pass: single-buffer frame forwarded");
			ASSERT_EQ(cnt(&f, f.in).fwd, 2, "mb_pass: fwd");
		} else {
			ASSERT_EQ(r.retval, XDP_REDIRECT, "multi-buffer frame forwarded");
			ASSERT_EQ(cnt(&f, f.in).fwd, 3, "fwd");
			ASSERT_EQ(cnt(&f, f.in).pass[FWD_R_MULTI_BUF], 0, "no multi_buf pass");
		}
		fwd_close(&f);
	}
	sh("ip link set fo0 mtu 1500");
	return;
out:
	fwd_close(&f);
	sh("ip link set fo0 mtu 1500");
}

TEST(fwd_cost)
{
	const struct bpf_insn empty[] = { BPF_MOV64_IMM(BPF_REG_0, XDP_PASS), BPF_EXIT_INSN() };
	const char *env = getenv("FWD_COST_CALLS");
	const int calls = env && atoi(env) > 0 ? atoi(env) : 20;
	double fwd_ns = 0, floor_ns = 0;
	__u8 pkt[64];
	struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .repeat = 250 };
	struct fwd f;
	int efd = -1;

	if (!fwd_open(&f, 0, true))
		return;
	r.ifindex = f.in;
	frame4(pkt, sizeof(pkt), "10.2.0.2", 255, 1);
	efd = bpf_prog_load(BPF_PROG_TYPE_XDP, "empty", "GPL", empty, ARRAY_SIZE(empty), NULL);
	if (!ASSERT_TRUE(efd >= 0, "load the empty program"))
		goto out;
	for (int i = 0; i < calls; i++) {
		if (!ASSERT_OK(xdp_run(f.prog, &r), "run xdp_fwd") ||
		    !ASSERT_EQ(r.retval, XDP_REDIRECT, "verdict"))
			goto out;
		fwd_ns += r.duration_ns;
		if (!ASSERT_OK(xdp_run(efd, &r), "run empty"))
			goto out;
		floor_ns += r.duration_ns;
	}
	ASSERT_EQ(cnt(&f, f.in).fwd, (__u64)calls * 250, "every run forwarded");
	printf("  info fwd_cost prog_ns=%.1f floor_ns=%.1f calls=%d\n", fwd_ns / calls,
	       floor_ns / calls, calls);
out:
	if (efd >= 0)
		close(efd);
	fwd_close(&f);
}

/* Is this frame one that may be forwarded: IPv4 or IPv6 with a complete, sane header and a
 * TTL / hop limit above 1? (Written apart from the program, from the RFCs.) */
static bool fwd_may_forward(const __u8 *p, __u32 len)
{
	__u16 proto = (__u16)(p[12] << 8 | p[13]);

	if (proto == ETH_P_IP) {
		__u32 ihl = p[14] & 15;

		return len >= 34 && (p[14] >> 4) == 4 && ihl >= 5 && 14 + ihl * 4 <= len &&
		       p[22] > 1;
	}
	if (proto == ETH_P_IPV6)
		return len >= 54 && (p[14] >> 4) == 6 && p[21] > 1;
	return false;
}

/* fuzz_runs() random and mutated frames, half of the IP ones aimed at a routable destination:
 * verdicts only XDP_PASS or XDP_REDIRECT, never a redirect of a frame that may not be
 * forwarded, and the counters add up: rx == runs == fwd + passes, tx(fo0) == fwd. */
TEST(fwd_fuzz_random_frames)
{
	static const __u8 dst4[4] = { 10, 2, 0, 2 };
	__u8 buf[1514], out[1514 + 256];
	__u64 rng = 0x5eed00f3, redirects = 0, passes = 0, bad = 0;
	struct in6_addr dst6;
	struct fwd f;
	__u32 runs = fuzz_runs();
	int kind = 0;

	if (!fwd_open(&f, 0, true))
		return;
	inet_pton(AF_INET6, "fd02::2", &dst6);
	for (__u32 i = 0; i < runs; i++) {
		struct xdp_run r = { .data = buf, .out = out, .out_len = sizeof(out), .repeat = 1,
				     .ifindex = f.in };

		r.len = fuzz_frame(buf, sizeof(buf), &rng, &kind);
		if (fuzz_rand(&rng) & 1) {
			if (r.len >= 34 && buf[12] == 0x08 && buf[13] == 0x00)
				memcpy(buf + 30, dst4, 4);
			else if (r.len >= 54 && buf[12] == 0x86 && buf[13] == 0xdd)
				memcpy(buf + 38, &dst6, 16);
		}
		if (xdp_run(f.prog, &r)) {
			bad++;
			continue;
		}
		if (r.retval == XDP_REDIRECT) {
			redirects++;
			if (!fwd_may_forward(buf, r.len) && !bad++)
				ASSERT_TRUE(false, "a frame that may not be forwarded was redirected");
		} else if (r.retval == XDP_PASS) {
			passes++;
		} else if (!bad++) {
			ASSERT_EQ(r.retval, XDP_PASS, "verdict outside {XDP_PASS, XDP_REDIRECT}");
		}
	}
	ASSERT_EQ(bad, 0, "failed runs, bad verdicts or wrongly forwarded frames");
	ASSERT_TRUE(redirects > 1000, "the fuzz reached the forwarding path");
	ASSERT_EQ(cnt(&f, f.in).rx, runs, "rx == runs");
	ASSERT_EQ(cnt(&f, f.in).fwd, redirects, "fwd == redirect verdicts");
	ASSERT_EQ(cnt(&f, f.out).tx, redirects, "tx on fo0 == fwd");
	{
		__u64 p = 0;

		for (unsigned int k = 0; k < FWD_R_N; k++)
			p += cnt(&f, f.in).pass[k];
		ASSERT_EQ(p, passes, "passes by reason == XDP_PASS verdicts");
	}
	fwd_close(&f);
}
