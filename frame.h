/* SPDX-License-Identifier: GPL-2.0 */
/*
 * frame.h: Ethernet frames built in user space, for xdpsock's txonly frame, the test suite's
 * sender (tests/pktgen) and the frames of the BPF_PROG_TEST_RUN tests: Ethernet with up to two
 * VLAN tags, IPv4 or IPv6, UDP, their checksums, MAC addresses in text.
 *
 * Stateless; never prints. Functions return a value, or -errno.
 *
 * Alignment, one way everywhere: a frame's IP header starts 14 (18, 22) bytes into it, 2 bytes
 * off a 4-byte boundary. Header pointers into a frame therefore have the *_any types below,
 * whose alignment is 1, so the compiler makes no alignment assumption through them (and the
 * sanitizers agree); 16-bit fields at a byte offset go through get_be16()/put_be16().
 */
#ifndef FRAME_H
#define FRAME_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/types.h>
#include <linux/udp.h>

typedef struct ethhdr ethhdr_any __attribute__((aligned(1)));
typedef struct iphdr iphdr_any __attribute__((aligned(1)));
typedef struct ipv6hdr ipv6hdr_any __attribute__((aligned(1)));
typedef struct udphdr udphdr_any __attribute__((aligned(1)));

/* Big-endian 16- and 32-bit fields at any offset. */
static inline __u16 get_be16(const void *p)
{
	const __u8 *b = p;

	return (__u16)(b[0] << 8 | b[1]);
}

static inline void put_be16(void *p, __u16 v)
{
	__u8 *b = p;

	b[0] = (__u8)(v >> 8);
	b[1] = (__u8)v;
}

static inline __u32 get_be32(const void *p)
{
	const __u8 *b = p;

	return (__u32)b[0] << 24 | (__u32)b[1] << 16 | (__u32)b[2] << 8 | b[3];
}

static inline void put_be32(void *p, __u32 v)
{
	put_be16(p, (__u16)(v >> 16));
	put_be16((__u8 *)p + 2, (__u16)v);
}

#define FRAME_VLAN_MAX 2

union frame_addr {
	__be32 v4;
	struct in6_addr v6;
};

/* What a frame carries. Zero-initialised fields mean: no tag, IPv4, TTL 0, ports 0. */
struct frame_spec {
	__u8 dst[ETH_ALEN], src[ETH_ALEN];
	__u16 vlan[FRAME_VLAN_MAX];	/* tag control fields (the VLAN id), outermost first */
	int nvlan;			/* 0..2; the outer of two is 802.1ad (QinQ), else 802.1Q */
	bool v6;			/* IPv6 (saddr.v6, daddr.v6), else IPv4 (.v4) */
	union frame_addr saddr, daddr;	/* network byte order */
	__u8 ttl;			/* IPv4 TTL, IPv6 hop limit */
	__u16 ip_id;			/* IPv4 identification */
	bool df;			/* IPv4 don't fragment */
	__u16 sport, dport;		/* UDP ports */
};

/* The Ethernet header of s (addresses, VLAN tags) with EtherType proto at buf; returns the
 * length written, the offset of the layer 3 header (14, 18 or 22). */
__u32 frame_eth(__u8 *buf, const struct frame_spec *s, __u16 proto);
/* Bytes of headers in a UDP frame of s: Ethernet and tags, IPv4 or IPv6, UDP. */
__u32 frame_udp_hlen(const struct frame_spec *s);
/*
 * The headers of a UDP frame of len bytes (the IP and UDP length fields say len) at buf, with
 * zero checksums: returns the payload's offset, whose bytes up to len are the caller's, or
 * -EINVAL when len is shorter than the headers or longer than IP lengths can say.
 */
int frame_udp(__u8 *buf, __u32 len, const struct frame_spec *s);
/* The IPv4 header checksum and the UDP checksum of frame_udp()'s frame of len bytes over its
 * payload as it is now: after writing the payload, and again after changing it. */
void frame_udp_csum(__u8 *buf, __u32 len, const struct frame_spec *s);

/* "xx:xx:xx:xx:xx:xx" into mac; -EINVAL. */
int mac_parse(const char *str, __u8 mac[ETH_ALEN]);
/* Source and destination addresses from text into s, both IPv4 or both IPv6 (sets s->v6);
 * -EAFNOSUPPORT otherwise. */
int frame_addrs(struct frame_spec *s, const char *src, const char *dst);

/* Internet checksum (RFC 1071): add data to a running sum as big-endian 16-bit words (an odd
 * last byte padded with zero); fold the carries and invert. A header whose checksum field is
 * right sums (and folds) to 0. */
__u32 csum_add(__u32 sum, const void *data, size_t len);
__u16 csum_fold(__u32 sum);

#endif /* FRAME_H */
