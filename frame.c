// SPDX-License-Identifier: GPL-2.0
/* frame.c: Ethernet/VLAN/IPv4/IPv6/UDP frames, their checksums, MAC addresses (frame.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "frame.h"

#define IPV4_DF 0x4000	/* don't fragment, in frag_off */

/* VLAN tags in the frame: nvlan within 0..FRAME_VLAN_MAX */
static int ntags(const struct frame_spec *s)
{
	return s->nvlan < 0 ? 0 : s->nvlan > FRAME_VLAN_MAX ? FRAME_VLAN_MAX : s->nvlan;
}

__u32 frame_eth(__u8 *buf, const struct frame_spec *s, __u16 proto)
{
	__u32 off = 2 * ETH_ALEN;
	int n = ntags(s);

	memcpy(buf, s->dst, ETH_ALEN);
	memcpy(buf + ETH_ALEN, s->src, ETH_ALEN);
	for (int i = 0; i < n; i++) {
		put_be16(buf + off, i == 0 && n == 2 ? ETH_P_8021AD : ETH_P_8021Q);
		put_be16(buf + off + 2, s->vlan[i]);
		off += 4;
	}
	put_be16(buf + off, proto);
	return off + 2;
}

static __u32 l3_off(const struct frame_spec *s)
{
	return ETH_HLEN + 4 * (__u32)ntags(s);
}

static __u32 l4_off(const struct frame_spec *s)
{
	return l3_off(s) + (s->v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr));
}

__u32 frame_udp_hlen(const struct frame_spec *s)
{
	return l4_off(s) + sizeof(struct udphdr);
}

int frame_udp(__u8 *buf, __u32 len, const struct frame_spec *s)
{
	__u32 l3 = l3_off(s), l4 = l4_off(s);
	udphdr_any *udp = (udphdr_any *)(buf + l4);

	if (len < frame_udp_hlen(s) || len - l3 > 0xffff)
		return -EINVAL;
	frame_eth(buf, s, s->v6 ? ETH_P_IPV6 : ETH_P_IP);
	if (s->v6) {
		ipv6hdr_any *ip6 = (ipv6hdr_any *)(buf + l3);

		memset(ip6, 0, sizeof(*ip6));
		ip6->version = 6;
		ip6->payload_len = htons((__u16)(len - l4));
		ip6->nexthdr = IPPROTO_UDP;
		ip6->hop_limit = s->ttl;
		ip6->saddr = s->saddr.v6;
		ip6->daddr = s->daddr.v6;
	} else {
		iphdr_any *ip = (iphdr_any *)(buf + l3);

		memset(ip, 0, sizeof(*ip));
		ip->version = 4;
		ip->ihl = sizeof(*ip) / 4;
		ip->tot_len = htons((__u16)(len - l3));
		ip->id = htons(s->ip_id);
		ip->frag_off = htons(s->df ? IPV4_DF : 0);
		ip->ttl = s->ttl;
		ip->protocol = IPPROTO_UDP;
		ip->saddr = s->saddr.v4;
		ip->daddr = s->daddr.v4;
	}
	udp->source = htons(s->sport);
	udp->dest = htons(s->dport);
	udp->len = htons((__u16)(len - l4));
	udp->check = 0;
	return (int)(l4 + sizeof(*udp));
}

void frame_udp_csum(__u8 *buf, __u32 len, const struct frame_spec *s)
{
	__u32 l3 = l3_off(s), l4 = l4_off(s), ulen = len - l4, sum;
	udphdr_any *udp = (udphdr_any *)(buf + l4);
	__u16 c;

	/* the pseudo header: addresses, protocol, UDP length (RFC 768, RFC 8200 8.1) */
	if (s->v6) {
		sum = csum_add(0, buf + l3 + offsetof(struct ipv6hdr, saddr), 32);
	} else {
		iphdr_any *ip = (iphdr_any *)(buf + l3);

		ip->check = 0;
		ip->check = htons(csum_fold(csum_add(0, ip, sizeof(*ip))));
		sum = csum_add(0, buf + l3 + offsetof(struct iphdr, saddr), 8);
	}
	udp->check = 0;
	sum = csum_add(sum + IPPROTO_UDP + ulen, udp, ulen);
	c = csum_fold(sum);
	udp->check = htons(c ? c : 0xffff);	/* 0 would mean "no checksum" */
}

int mac_parse(const char *str, __u8 mac[ETH_ALEN])
{
	unsigned int b[ETH_ALEN];
	char extra;

	if (!str || sscanf(str, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
			   &extra) != ETH_ALEN)
		return -EINVAL;
	for (int i = 0; i < ETH_ALEN; i++) {
		if (b[i] > 255)
			return -EINVAL;
		mac[i] = (__u8)b[i];
	}
	return 0;
}

int frame_addrs(struct frame_spec *s, const char *src, const char *dst)
{
	union frame_addr sa = {}, da = {};

	if (!src || !dst)
		return -EAFNOSUPPORT;
	if (inet_pton(AF_INET, src, &sa.v4) == 1 && inet_pton(AF_INET, dst, &da.v4) == 1)
		s->v6 = false;
	else if (inet_pton(AF_INET6, src, &sa.v6) == 1 && inet_pton(AF_INET6, dst, &da.v6) == 1)
		s->v6 = true;
	else
		return -EAFNOSUPPORT;
	s->saddr = sa;
	s->daddr = da;
	return 0;
}

__u32 csum_add(__u32 sum, const void *data, size_t len)
{
	const __u8 *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (__u32)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (__u32)(p[len - 1] << 8);
	return sum;
}

__u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}
