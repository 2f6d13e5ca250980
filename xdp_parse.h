/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdp_parse.h: bounds-checked packet access for the suite's XDP programs (*_kern.c only).
 *
 * Parsing walks a cursor (struct parse_cur) over the first buffer of the frame. Each parse_*
 * helper checks every byte it reads against the end of that buffer and returns a value >= 0 on
 * success, or one of two negative codes:
 *   PARSE_SHORT  the frame (its first buffer) ends inside the header: truncated;
 *   PARSE_BAD    the header is all there but invalid (IP version, IHL, an IPv6 extension header
 *                chain longer than PARSE_IPV6_EXT_MAX).
 * No helper returns an XDP action: the caller counts the code and picks its own verdict, so a
 * bad frame never becomes XDP_ABORTED by accident.
 *
 * Frame access helpers (MAC swap, cache-line touch) follow the same rule: 0 or PARSE_SHORT.
 */
#ifndef XDP_PARSE_H
#define XDP_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum parse_err {
	PARSE_SHORT = -1,	/* truncated: the header does not fit in the first buffer */
	PARSE_BAD = -2,		/* malformed: the header is there but invalid */
};

#define PARSE_VLAN_MAX 2	/* 802.1Q / 802.1ad tags skipped by parse_eth() */
#define PARSE_IPV6_EXT_MAX 8	/* extension headers parse_ipv6() walks (RFC 8200 order: <= 7) */
#define FRAME_LINE 64		/* bytes per cache line for frame_touch() */

#define PARSE_IP_MF 0x2000	/* IPv4 more-fragments flag */
#define PARSE_IP_OFFSET 0x1fff	/* IPv4 fragment offset */

struct parse_cur {
	void *pos;		/* next header */
	void *end;		/* end of the first buffer (ctx->data_end) */
};

struct parse_vlan {
	__be16 tci;
	__be16 proto;		/* encapsulated EtherType */
};

/* The first 8 bytes of every IPv6 extension header that parse_ipv6() walks. */
struct parse_ipv6_ext {
	__u8 nexthdr;
	__u8 len;		/* units of 8 octets (AH: of 4), not counting the first 8 (AH: 2) */
	__u8 rest[6];
};

static __always_inline void parse_init(struct parse_cur *c, struct xdp_md *ctx)
{
	c->pos = (void *)(long)ctx->data;
	c->end = (void *)(long)ctx->data_end;
}

/*
 * Ethernet header and up to PARSE_VLAN_MAX VLAN tags. Returns the EtherType after the tags in
 * host order (a third tag comes back as ETH_P_8021Q/8021AD: not IP for any caller), and *eth.
 */
static __always_inline int parse_eth(struct parse_cur *c, struct ethhdr **eth)
{
	struct ethhdr *e = c->pos;
	struct parse_vlan *v;
	__be16 proto;

	if ((void *)(e + 1) > c->end)
		return PARSE_SHORT;
	proto = e->h_proto;
	c->pos = e + 1;
#pragma unroll
	for (int i = 0; i < PARSE_VLAN_MAX; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		v = c->pos;
		if ((void *)(v + 1) > c->end)
			return PARSE_SHORT;
		proto = v->proto;
		c->pos = v + 1;
	}
	*eth = e;
	return bpf_ntohs(proto);
}

/*
 * IPv4 header with its options. Returns the protocol and *ip; *frag is 1 for any fragment (more
 * fragments set or an offset): its L4 header is absent or, in the first fragment, not to be
 * trusted for a flow, so callers treat all fragments of a datagram alike.
 */
static __always_inline int parse_ipv4(struct parse_cur *c, struct iphdr **ip, int *frag)
{
	struct iphdr *h = c->pos;
	__u32 hlen;

	if ((void *)(h + 1) > c->end)
		return PARSE_SHORT;
	if (h->version != 4 || h->ihl < 5)
		return PARSE_BAD;
	hlen = h->ihl * 4;
	if (c->pos + hlen > c->end)
		return PARSE_SHORT;
	c->pos += hlen;
	*frag = (h->frag_off & bpf_htons(PARSE_IP_MF | PARSE_IP_OFFSET)) != 0;
	*ip = h;
	return h->protocol;
}

/*
 * IPv6 header and its extension headers (hop-by-hop, routing, fragment, destination options,
 * AH), at most PARSE_IPV6_EXT_MAX of them. Returns the upper-layer protocol (ESP and "no next
 * header" included: nothing follows that we can read) with the cursor on it, and *ip6; *frag is
 * 1 if a fragment header was seen.
 */
static __always_inline int parse_ipv6(struct parse_cur *c, struct ipv6hdr **ip6, int *frag)
{
	struct ipv6hdr *h = c->pos;
	struct parse_ipv6_ext *x;
	__u32 len;
	int next;

	if ((void *)(h + 1) > c->end)
		return PARSE_SHORT;
	if (h->version != 6)
		return PARSE_BAD;
	c->pos = h + 1;
	*ip6 = h;
	*frag = 0;
	next = h->nexthdr;
#pragma unroll
	for (int i = 0; i <= PARSE_IPV6_EXT_MAX; i++) {
		switch (next) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_FRAGMENT:
		case IPPROTO_AH:
			break;
		default:
			return next;
		}
		if (i == PARSE_IPV6_EXT_MAX)
			break;
		x = c->pos;
		if ((void *)(x + 1) > c->end)
			return PARSE_SHORT;
		if (next == IPPROTO_FRAGMENT) {
			len = 8;	/* its length byte is reserved */
			*frag = 1;
		} else if (next == IPPROTO_AH) {
			len = (x->len + 2) * 4;
		} else {
			len = (x->len + 1) * 8;
		}
		next = x->nexthdr;
		c->pos += len;
	}
	return PARSE_BAD;
}

/*
 * Source and destination port (network order) of TCP, UDP, UDP-Lite, SCTP and DCCP, all of
 * which start with them. Returns 1 with the ports set, 0 for a protocol without ports (ports
 * set to 0), or PARSE_SHORT.
 */
static __always_inline int parse_ports(struct parse_cur *c, int proto, __be16 *sport,
				       __be16 *dport)
{
	__be16 *p = c->pos;

	*sport = 0;
	*dport = 0;
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		break;
	default:
		return 0;
	}
	if ((void *)(p + 2) > c->end)
		return PARSE_SHORT;
	*sport = p[0];
	*dport = p[1];
	return 1;
}

/* What parse_flow() found. Addresses are read through ip4/ip6, already bounds-checked. */
struct parse_flow {
	struct iphdr *ip4;	/* IPv4 header, or NULL */
	struct ipv6hdr *ip6;	/* IPv6 header, or NULL */
	int proto;		/* upper-layer protocol; -1 when not IP */
	int has_ports;		/* sport/dport valid (not a fragment, a protocol with ports) */
	__be16 sport, dport;
};

/*
 * Ethernet (VLAN tags skipped), then IPv4 or IPv6, then ports. Returns the EtherType (host
 * order) with *f filled as far as the frame is IP, or PARSE_SHORT / PARSE_BAD when a header the
 * frame announces is truncated or invalid. A frame that is not IP is not an error.
 */
static __always_inline int parse_flow(struct xdp_md *ctx, struct parse_flow *f)
{
	struct parse_cur c;
	struct ethhdr *eth;
	int l3, proto, frag = 0, rc;

	f->ip4 = NULL;
	f->ip6 = NULL;
	f->proto = -1;
	f->has_ports = 0;
	f->sport = 0;
	f->dport = 0;
	parse_init(&c, ctx);
	l3 = parse_eth(&c, &eth);
	if (l3 < 0)
		return l3;
	if (l3 == ETH_P_IP)
		proto = parse_ipv4(&c, &f->ip4, &frag);
	else if (l3 == ETH_P_IPV6)
		proto = parse_ipv6(&c, &f->ip6, &frag);
	else
		return l3;
	if (proto < 0)
		return proto;
	f->proto = proto;
	if (frag)
		return l3;
	rc = parse_ports(&c, proto, &f->sport, &f->dport);
	if (rc < 0)
		return rc;
	f->has_ports = rc;
	return l3;
}

#define PARSE_HASH_SEED 0x5eed1e55

static __always_inline __u32 parse_rol32(__u32 w, int s)
{
	return (w << s) | (w >> (32 - s));
}

/* One block of MurmurHash3 (x86_32): word w mixed into h. */
static __always_inline __u32 parse_hash_mix(__u32 h, __u32 w)
{
	w *= 0xcc9e2d51;
	w = parse_rol32(w, 15);
	w *= 0x1b873593;
	h ^= w;
	h = parse_rol32(h, 13);
	return h * 5 + 0xe6546b64;
}

/*
 * Flow hash of an IP frame parse_flow() read (f->ip4 or f->ip6 set): MurmurHash3 blocks over
 * PARSE_HASH_SEED ^ protocol, the source then destination address words and the port pair
 * (sport << 16 | dport, 0 for fragments and protocols without ports), words as the frame
 * holds them, then MurmurHash3's finalizer. The same flow always gives the same hash; VLAN tags
 * and IPv6 extension headers do not enter it.
 */
static __always_inline __u32 parse_flow_hash(const struct parse_flow *f)
{
	__u32 h = PARSE_HASH_SEED ^ (__u32)f->proto;

	if (f->ip4) {
		h = parse_hash_mix(h, f->ip4->saddr);
		h = parse_hash_mix(h, f->ip4->daddr);
	} else if (f->ip6) {
#pragma unroll
		for (int i = 0; i < 4; i++)
			h = parse_hash_mix(h, f->ip6->saddr.in6_u.u6_addr32[i]);
#pragma unroll
		for (int i = 0; i < 4; i++)
			h = parse_hash_mix(h, f->ip6->daddr.in6_u.u6_addr32[i]);
	}
	h = parse_hash_mix(h, (__u32)f->sport << 16 | f->dport);
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/* ---------------------------------------------------------------- frame access */

/* Swap Ethernet destination and source in place: six 16-bit loads and stores (a frame starts
 * at least 2-byte aligned). 0, or PARSE_SHORT if the first buffer holds less than 12 bytes. */
static __always_inline int eth_swap_macs(void *data, void *data_end)
{
	__u16 *p = data;
	__u16 t0, t1, t2;

	if ((void *)(p + 6) > data_end)
		return PARSE_SHORT;
	t0 = p[0], t1 = p[1], t2 = p[2];
	p[0] = p[3], p[1] = p[4], p[2] = p[5];
	p[3] = t0, p[4] = t1, p[5] = t2;
	return 0;
}

/* The same through bpf_xdp_load_bytes()/bpf_xdp_store_bytes(): works wherever the 12 bytes
 * lie, even in a frame whose first buffer is empty. 0, or PARSE_SHORT (frame < 12 bytes). */
static __always_inline int eth_swap_macs_helper(struct xdp_md *ctx)
{
	__u16 a[6], b[6];

	if (bpf_xdp_load_bytes(ctx, 0, a, sizeof(a)))
		return PARSE_SHORT;
	b[0] = a[3], b[1] = a[4], b[2] = a[5];
	b[3] = a[0], b[4] = a[1], b[5] = a[2];
	if (bpf_xdp_store_bytes(ctx, 0, b, sizeof(b)))
		return PARSE_SHORT;
	return 0;
}

/* Keep a loaded value alive without spending an instruction on it. */
#define PARSE_KEEP(v) asm volatile("" : : "r"(v))

/*
 * Read one byte of every FRAME_LINE-byte line below `bytes` (max: a compile-time bound on it).
 * Lines in the first buffer are plain loads unless helper_only; the others (a multi-buffer
 * frame's later buffers, for a frags-capable program) go through bpf_xdp_load_bytes(). 0, or
 * PARSE_SHORT when the frame ends first (the lines before its end are read all the same).
 *
 * Two loops, so that the verifier walks each once (a few thousand instructions for a 9216-byte
 * max, on 6.1 as on newer kernels): the first ends at the first line past the first buffer,
 * the second reads from there with the helper only. Had both kinds of read shared one loop,
 * every line could be reached with every earlier packet range proven, states the verifier
 * cannot merge: O(lines^2) paths, over its 1M-instruction limit on 6.1 for 9216 bytes.
 */
static __always_inline int frame_touch(struct xdp_md *ctx, __u32 bytes, __u32 max,
				       int helper_only)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u32 off = 0;
	__u8 acc = 0, b;

	/* the first line only (--read): one load, no loop */
	if (__builtin_expect(bytes && bytes <= FRAME_LINE && !helper_only && data + 1 <= data_end,
			     1)) {
		PARSE_KEEP(*(__u8 *)data);
		return 0;
	}
	if (!helper_only) {
		for (; off < max; off += FRAME_LINE) {
			__u8 *p = (__u8 *)data + off;

			if (off >= bytes || (void *)(p + 1) > data_end)
				break;
			acc ^= *p;
		}
	}
	/* nothing below reads data: the first loop's packet range does not split the states */
	for (; off < max && off < bytes; off += FRAME_LINE) {
		if (bpf_xdp_load_bytes(ctx, off, &b, 1))
			return PARSE_SHORT;
		acc ^= b;
	}
	PARSE_KEEP(acc);
	return 0;
}

#endif /* XDP_PARSE_H */
