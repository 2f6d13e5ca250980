// SPDX-License-Identifier: GPL-2.0
/* prog_lib: helpers of the BPF_PROG_TEST_RUN tests (prog_run.h), also used by progcost. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common_user.h"
#include "frame.h"
#include "prog_run.h"

void pkt_spec(struct frame_spec *s, bool v6)
{
	static const struct frame_spec base = {
		.dst = { 0x02, 0, 0, 0, 0, 0x02 },
		.src = { 0x02, 0, 0, 0, 0, 0x01 },
		.ttl = 64,
		.sport = 9000,
		.dport = 9,
	};

	*s = base;
	frame_addrs(s, v6 ? "fd00::1" : "10.200.0.1", v6 ? "fd00::2" : "10.200.0.2");
}

__u32 pkt_frame(__u8 *buf, __u32 len, const struct frame_spec *s)
{
	int off = frame_udp(buf, len, s);

	if (off < 0)
		return 0;
	for (__u32 i = (__u32)off; i < len; i++)
		buf[i] = (__u8)i;
	frame_udp_csum(buf, len, s);
	return len;
}

__u32 pkt_udp(__u8 *buf, __u32 len, bool v6)
{
	struct frame_spec s;

	pkt_spec(&s, v6);
	return pkt_frame(buf, len, &s);
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

int xdp_live(int prog_fd, __u32 ifindex, const void *data, __u32 len, __u32 repeat)
{
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = data, .data_size_in = len, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = repeat,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	return bpf_prog_test_run_opts(prog_fd, &o) ? -errno : 0;
}

int psock_open(const char *ifname)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex(ifname) };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
	int buf = 4 << 20, err = 0;

	if (fd < 0)
		return -errno;
	if (!sll.sll_ifindex)
		err = -ENODEV;
	else if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) ||
		 bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* pkt_udp()'s IPv4 flow: IPv4, UDP, destination port 9 */
static bool udp_flow(const __u8 *f, ssize_t n)
{
	return n >= 42 && f[12] == 0x08 && f[13] == 0x00 && f[23] == IPPROTO_UDP && f[36] == 0 &&
	       f[37] == 9;
}

__u32 psock_received(int fd, __u32 want, const __u8 *expect, __u32 len, __u32 *same)
{
	__u64 deadline = now_ns() + 2000000000ULL;
	__u32 got = 0;
	__u8 buf[2048];

	*same = 0;
	for (;;) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		__u64 now;

		if (n >= 0) {
			if (from.sll_pkttype != PACKET_OUTGOING && udp_flow(buf, n)) {
				got++;
				*same += (__u32)n == len && !memcmp(buf, expect, len);
			}
			continue;
		}
		now = now_ns();
		if (errno != EAGAIN || got >= want || now >= deadline)
			return got;
		poll(&p, 1, (int)((deadline - now) / 1000000) + 1);
	}
}

_Static_assert(sizeof(struct cpu_mask) == sizeof(cpu_set_t), "cpu_mask is a cpu_set_t");

int cpu_pin(struct cpu_mask *saved)
{
	int cpu = sched_getcpu();
	cpu_set_t one;

	sched_getaffinity(0, sizeof(cpu_set_t), (cpu_set_t *)saved);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	sched_setaffinity(0, sizeof(one), &one);
	return cpu;
}

void cpu_unpin(const struct cpu_mask *saved)
{
	sched_setaffinity(0, sizeof(cpu_set_t), (const cpu_set_t *)saved);
}

void map_sum(int map_fd, __u32 key, void *rec, size_t rec_size)
{
	if (percpu_read(map_fd, &key, rec_size, ncpus_possible(), NULL, rec))
		memset(rec, 0xff, rec_size);
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
	if (err != -EPERM)	/* EACCES is a verifier rejection: a failure, not a skip */
		return false;
	SKIP("%s: the kernel refused (%s); needs CAP_BPF/CAP_SYS_ADMIN", what, strerror(-err));
	return true;
}

bool test_loaded(int err, const char *what, const char *file, int line)
{
	char load[128];

	if (!err)
		return true;
	snprintf(load, sizeof(load), "load %s", what);
	if (!skip_if_eperm(err, load))
		test_check(false, file, line, "%s: error %d (%s)", load, err, strerror(-err));
	return false;
}


void verifier_stats_on(struct bpf_program *prog, char *buf, size_t len)
{
	buf[0] = '\0';
	bpf_program__set_log_buf(prog, buf, len);
	bpf_program__set_log_level(prog, 4);	/* statistics only */
}

long verifier_insns(const char *buf)
{
	const char *p = strstr(buf, "processed ");

	return p ? strtol(p + strlen("processed "), NULL, 10) : -1;
}

/* ---------------------------------------------------------------- fuzzing */

__u64 fuzz_rand(__u64 *rng)
{
	__u64 x = *rng ? *rng : 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*rng = x;
	return x;
}

static __u32 rnd(__u64 *rng, __u32 lo, __u32 hi)	/* lo..hi inclusive */
{
	return lo + (__u32)(fuzz_rand(rng) % (hi - lo + 1));
}

/* Ethernet header with 0-2 VLAN tags; returns the offset after the EtherType. */
static __u32 fuzz_eth(__u8 *buf, __u64 *rng, __u16 proto, int tags)
{
	struct frame_spec s = { .nvlan = tags };

	for (int i = 0; i < ETH_ALEN; i++)
		s.dst[i] = (__u8)fuzz_rand(rng);
	for (int i = 0; i < ETH_ALEN; i++)
		s.src[i] = (__u8)fuzz_rand(rng);
	for (int t = 0; t < tags; t++)
		s.vlan[t] = (__u16)rnd(rng, 0, 4095);
	return frame_eth(buf, &s, proto);
}

static __u32 fuzz_ipv4(__u8 *buf, __u32 off, __u32 max, __u64 *rng, bool bogus)
{
	struct iphdr ip = {};
	__u32 ihl = bogus ? rnd(rng, 0, 15) : rnd(rng, 5, 15);	/* > 5: options */
	__u32 len = rnd(rng, off + 20, max);

	ip.version = bogus && (fuzz_rand(rng) & 1) ? (__u8)rnd(rng, 0, 15) : 4;
	ip.ihl = (__u8)ihl;
	ip.tot_len = htons(bogus ? (__u16)fuzz_rand(rng) : (__u16)(len - off));
	ip.ttl = (__u8)rnd(rng, 0, 3);	/* 0 and 1 matter to routers */
	ip.protocol = (__u8)(fuzz_rand(rng) & 1 ? IPPROTO_UDP : fuzz_rand(rng));
	ip.frag_off = fuzz_rand(rng) & 3 ? 0 : (__u16)fuzz_rand(rng);
	ip.saddr = (__u32)fuzz_rand(rng);
	ip.daddr = (__u32)fuzz_rand(rng);
	memcpy(buf + off, &ip, sizeof(ip));
	for (__u32 i = off + 20; i < off + ihl * 4 && i < max; i++)
		buf[i] = (__u8)(i == off + 20 ? rnd(rng, 0, 2) : fuzz_rand(rng));	/* EOL/NOP/... */
	return len;
}

static __u32 fuzz_ipv6(__u8 *buf, __u32 off, __u32 max, __u64 *rng)
{
	static const __u8 ext[] = { 0, 43, 44, 60, 51, 135, IPPROTO_UDP, IPPROTO_TCP, 58, 59 };
	struct ipv6hdr ip6 = { .version = 6 };
	__u32 len = rnd(rng, off + 40, max), p = off + 40;
	__u32 next = off + offsetof(struct ipv6hdr, nexthdr);

	ip6.payload_len = htons(fuzz_rand(rng) & 1 ? (__u16)(len - p) : (__u16)fuzz_rand(rng));
	ip6.hop_limit = (__u8)rnd(rng, 0, 3);
	for (int i = 0; i < 16; i++) {
		ip6.saddr.s6_addr[i] = (__u8)fuzz_rand(rng);
		ip6.daddr.s6_addr[i] = (__u8)fuzz_rand(rng);
	}
	memcpy(buf + off, &ip6, sizeof(ip6));
	/* a chain of extension headers, each with a random (possibly bogus) length */
	for (int i = (int)rnd(rng, 0, 5); i > 0 && p + 8 <= max; i--) {
		buf[next] = ext[rnd(rng, 0, sizeof(ext) - 1)];
		next = p;
		buf[p + 1] = (__u8)(fuzz_rand(rng) & 3 ? rnd(rng, 0, 3) : fuzz_rand(rng));
		p += 8 + buf[p + 1] * 8u;
	}
	buf[next] = fuzz_rand(rng) & 1 ? IPPROTO_UDP : (__u8)fuzz_rand(rng);
	return len;
}

__u32 fuzz_runs(void)
{
	const char *smoke = getenv("SMOKE_LAYER");

	return smoke && *smoke ? FUZZ_RUNS / 10 : FUZZ_RUNS;
}

__u32 fuzz_verdicts(int prog_fd, __u32 runs, __u64 *rng, __u32 want, const char *file, int line)
{
	static __u8 buf[1514], out[1514 + 256];	/* room for programs that grow the frame */
	__u32 bad = 0;
	int kind = 0;

	for (__u32 i = 0; i < runs; i++) {
		struct xdp_run r = { .data = buf, .out = out, .out_len = sizeof(out), .repeat = 1 };
		int err;

		r.len = fuzz_frame(buf, sizeof(buf), rng, &kind);
		err = xdp_run(prog_fd, &r);
		if ((err || r.retval != want) && !bad++)
			test_check(false, file, line, "fuzzed frame %u (kind %d): error %d, verdict %u, "
				   "want %u", i, kind, err, r.retval, want);
	}
	return bad;
}

__u32 fuzz_frame(__u8 *buf, __u32 max, __u64 *rng, int *kind)
{
	int k = (int)rnd(rng, 0, 6);
	__u32 len, off;

	if (max > 1514)
		max = 1514;
	for (__u32 i = 0; i < max; i++)
		buf[i] = (__u8)fuzz_rand(rng);
	if (kind)
		*kind = k;
	switch (k) {
	case 0:		/* random bytes */
		return rnd(rng, 14, max);
	case 1:		/* valid frames, truncated anywhere */
	case 2:
		len = pkt_udp(buf, rnd(rng, 64, max), k == 2);
		return rnd(rng, 14, len);
	case 3:		/* VLAN tags, IPv4 with options */
		off = fuzz_eth(buf, rng, ETH_P_IP, (int)rnd(rng, 0, 2));
		len = fuzz_ipv4(buf, off, max, rng, false);
		return fuzz_rand(rng) & 3 ? len : rnd(rng, 14, len);
	case 4:		/* IPv4 with bogus version, IHL, total length */
		off = fuzz_eth(buf, rng, ETH_P_IP, (int)rnd(rng, 0, 1));
		return fuzz_ipv4(buf, off, max, rng, true);
	case 5:		/* IPv6 extension header chains */
		off = fuzz_eth(buf, rng, ETH_P_IPV6, (int)rnd(rng, 0, 2));
		len = fuzz_ipv6(buf, off, max, rng);
		return fuzz_rand(rng) & 3 ? len : rnd(rng, 14, len);
	default:	/* valid frame with a few bytes flipped */
		len = pkt_udp(buf, rnd(rng, 64, max), fuzz_rand(rng) & 1);
		for (int i = (int)rnd(rng, 1, 4); i > 0; i--)
			buf[rnd(rng, 0, len - 1)] ^= (__u8)rnd(rng, 1, 255);
		return len;
	}
}
