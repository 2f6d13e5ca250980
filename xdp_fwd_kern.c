// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_fwd_kern.c: forward IPv4/IPv6 in XDP with the kernel's own FIB (bpf_fib_lookup):
 * decrement TTL (incremental checksum) or hop limit, rewrite the MACs, redirect through a
 * hash-keyed devmap. Everything that cannot be forwarded here goes to the stack, counted by
 * reason, so the stack does what it always does (ICMP errors, neighbour resolution, ...).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xdp_fwd.h"

#define AF_INET 2
#define AF_INET6 10
#define IPV6_FLOWINFO_MASK bpf_htonl(0x0FFFFFFF)

const volatile struct fwd_cfg cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, FWD_PORTS_MAX);
	__type(key, __u32);
	__type(value, __u32);
} xdp_fwd_ports SEC(".maps");

/* Counters: indexed by ifindex below FWD_STATS_DIRECT (an inlined array lookup, no helper
 * call), in a hash above it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FWD_STATS_DIRECT);
	__type(key, __u32);
	__type(value, struct fwd_rec);
} xdp_fwd_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, FWD_PORTS_MAX);
	__type(key, __u32);
	__type(value, struct fwd_rec);
} xdp_fwd_stats_hi SEC(".maps");

/* The verifier inlines the array lookup only when the call site sees one map: the empty asm
 * keeps clang from merging the two calls into one with a map pointer chosen by a branch. */
static __always_inline struct fwd_rec *rec_of(__u32 ifindex)
{
	struct fwd_rec *r;

	if (ifindex < FWD_STATS_DIRECT) {
		r = bpf_map_lookup_elem(&xdp_fwd_stats, &ifindex);
		asm volatile("" : "+r"(r));
		return r;
	}
	return bpf_map_lookup_elem(&xdp_fwd_stats_hi, &ifindex);
}

/* A packet for the stack, counted on its ingress device (rx, and why). */
static __always_inline int to_stack(__u32 in, __u32 reason)
{
	struct fwd_rec *r = rec_of(in);

	if (r) {
		r->rx++;
		if (reason < FWD_R_N)
			r->pass[reason]++;
	}
	return XDP_PASS;
}

/* ip_decrease_ttl(): the checksum changes by +0x0100 (RFC 1624, end-around carry). */
static __always_inline void ipv4_ttl_dec(struct iphdr *ip)
{
	__u32 check = ip->check;

	check += bpf_htons(0x0100);
	ip->check = (__u16)(check + (check >= 0xFFFF));
	ip->ttl--;
}

/* Both MACs in six 16-bit stores (struct ethhdr is packed, so a memcpy into it is twelve byte
 * stores); a frame starts at least 2-byte aligned, like bpf_fib_lookup's dmac and smac. */
static __always_inline void mac_rewrite(__u16 *eth, const __u16 *dmac, const __u16 *smac)
{
	eth[0] = dmac[0];
	eth[1] = dmac[1];
	eth[2] = dmac[2];
	eth[3] = smac[0];
	eth[4] = smac[1];
	eth[5] = smac[2];
}

SEC("xdp")
int xdp_fwd_prog(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct bpf_fib_lookup p = {};
	struct ethhdr *eth = data;
	struct iphdr *ip = NULL;
	struct ipv6hdr *ip6 = NULL;
	struct fwd_rec *r, *out;
	__u32 in = ctx->ingress_ifindex;
	__be16 proto;
	long rc;

	if ((void *)(eth + 1) > data_end)
		return to_stack(in, FWD_R_MALFORMED);

	/* struct ethhdr is packed: h_proto would be read byte by byte */
	proto = *(__be16 *)((void *)eth + offsetof(struct ethhdr, h_proto));
	if (proto == bpf_htons(ETH_P_IP)) {
		ip = (void *)(eth + 1);
		if ((void *)(ip + 1) > data_end)
			return to_stack(in, FWD_R_MALFORMED);
		if (ip->version != 4 || ip->ihl < 5 ||
		    (void *)ip + ip->ihl * 4 > data_end)
			return to_stack(in, FWD_R_MALFORMED);
		if (ip->ttl <= 1)
			return to_stack(in, FWD_R_TTL);
		p.family = AF_INET;
		p.tos = ip->tos;
		p.l4_protocol = ip->protocol;
		p.tot_len = bpf_ntohs(ip->tot_len);
		p.ipv4_src = ip->saddr;
		p.ipv4_dst = ip->daddr;
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end)
			return to_stack(in, FWD_R_MALFORMED);
		if (ip6->version != 6)
			return to_stack(in, FWD_R_MALFORMED);
		if (ip6->hop_limit <= 1)
			return to_stack(in, FWD_R_TTL);
		p.family = AF_INET6;
		p.flowinfo = *(__be32 *)ip6 & IPV6_FLOWINFO_MASK;
		p.l4_protocol = ip6->nexthdr;
		p.tot_len = bpf_ntohs(ip6->payload_len);
		__builtin_memcpy(p.ipv6_src, &ip6->saddr, sizeof(p.ipv6_src));
		__builtin_memcpy(p.ipv6_dst, &ip6->daddr, sizeof(p.ipv6_dst));
	} else {
		return to_stack(in, FWD_R_NOT_IP);
	}
	p.ifindex = in;

	rc = bpf_fib_lookup(ctx, &p, sizeof(p), cfg.fib_flags);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return to_stack(in, rc > 0 && rc <= FWD_R_FIB_LAST ? (__u32)rc : FWD_R_FIB_OTHER);
	/* Only devices we run on can take the frame. bpf_redirect_map() only records the target
	 * (the redirect happens after we return) and gives XDP_PASS when the egress device is not
	 * in the devmap, so the packet is still untouched when it goes to the stack. */
	if (bpf_redirect_map(&xdp_fwd_ports, p.ifindex, XDP_PASS) != XDP_REDIRECT)
		return to_stack(in, FWD_R_NO_PORT);
	/* Before 6.3 xdp_do_redirect() refuses multi-buffer frames into a devmap (-EOPNOTSUPP:
	 * the driver drops them): the stack forwards those instead. */
	if (cfg.mb_pass && bpf_xdp_get_buff_len(ctx) > (__u64)(data_end - data))
		return to_stack(in, FWD_R_MULTI_BUF);

	if (ip)
		ipv4_ttl_dec(ip);
	else if (ip6)
		ip6->hop_limit--;
	mac_rewrite((__u16 *)eth, (const __u16 *)p.dmac, (const __u16 *)p.smac);

	/* counted here, not on the way in: nothing is kept across the helper calls */
	r = rec_of(in);
	if (r) {
		r->rx++;
		r->fwd++;
	}
	out = rec_of(p.ifindex);
	if (out)
		out->tx++;
	return XDP_REDIRECT;
}

char LICENSE[] SEC("license") = "GPL";
