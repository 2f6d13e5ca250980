// SPDX-License-Identifier: GPL-2.0
/* prog_lib: helpers of the BPF_PROG_TEST_RUN tests (prog_run.h), also used by progcost. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common_user.h"
#include "prog_run.h"

__u32 pkt_udp(__u8 *buf, __u32 len, bool v6)
{
	static const __u8 dst[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const __u8 src[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct ethhdr *eth = (struct ethhdr *)buf;
	__u32 off = sizeof(*eth);
	struct udphdr *udp;

	memset(buf, 0, len);
	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(v6 ? ETH_P_IPV6 : ETH_P_IP);
	if (v6) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(buf + off);

		ip6->version = 6;
		ip6->payload_len = htons((__u16)(len - off - sizeof(*ip6)));
		ip6->nexthdr = IPPROTO_UDP;
		ip6->hop_limit = 64;
		inet_pton(AF_INET6, "fd00::1", &ip6->saddr);
		inet_pton(AF_INET6, "fd00::2", &ip6->daddr);
		off += sizeof(*ip6);
	} else {
		struct iphdr *ip = (struct iphdr *)(buf + off);

		ip->version = 4;
		ip->ihl = 5;
		ip->tot_len = htons((__u16)(len - off));
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->saddr = htonl(0x0ac80001);
		ip->daddr = htonl(0x0ac80002);
		off += sizeof(*ip);
	}
	udp = (struct udphdr *)(buf + off);
	udp->source = htons(9000);
	udp->dest = htons(9);
	udp->len = htons((__u16)(len - off));
	for (__u32 i = off + sizeof(*udp); i < len; i++)
		buf[i] = (__u8)i;
	return len;
}

int xdp_run(int prog_fd, struct xdp_run *r)
{
	struct xdp_md ctx = { .data_end = r->len, .ingress_ifindex = r->ifindex,
			      .rx_queue_index = r->rxq };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = r->data, .data_size_in = r->len,
		    .data_out = r->out, .data_size_out = r->out ? r->out_len : 0,
		    .repeat = r->repeat);

	if (r->ifindex) {
		o.ctx_in = &ctx;
		o.ctx_size_in = sizeof(ctx);
	}
	if (bpf_prog_test_run_opts(prog_fd, &o))
		return -errno;
	r->retval = o.retval;
	r->out_len = o.data_size_out;
	r->duration_ns = o.duration;
	return 0;
}

__u64 map_sum(int map_fd, __u32 key, unsigned int n_u64, unsigned int idx)
{
	int ncpus = ncpus_possible();
	__u64 total[16] = {};

	if (n_u64 > 16 || percpu_sum(map_fd, key, n_u64, ncpus, NULL, total))
		return ~0ULL;
	return total[idx];
}

int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

bool skip_if_eperm(int err, const char *what)
{
	if (err != -EPERM && err != -EACCES)
		return false;
	SKIP("%s: the kernel refused (%s); needs CAP_BPF/CAP_SYS_ADMIN", what, strerror(-err));
	return true;
}

