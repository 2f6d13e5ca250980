// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_sample_pkts: pass every frame on a device and print (or write to a pcap file) 1 in N of
 * them: length, Ethernet header and a short IPv4/IPv6/ARP summary. The samples travel from XDP
 * through a perf event buffer; samples the buffer could not hold are counted as lost.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
/* pcap/bpf.h redefines struct bpf_insn of linux/bpf.h: the classic BPF filter API is unused */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>

#include "common_user.h"
#include "xdp_sample_pkts.h"
#include "xdp_sample_pkts.skel.h"

#define PAGES_MAX 4096

struct sp_opts {
	struct iface dev;
	__u32 snaplen;
	__u32 rate;
	__u32 count;
	__u32 pages;
	const char *write;
	bool quiet;
	bool hex;
	struct xdp_opts xdp;
	struct run_opts run;
};

static const struct sp_opts sp_defaults = {
	.snaplen = SAMPLE_SNAPLEN_DEF,
	.rate = 1,
	.pages = 64,
	.xdp.mode = XDP_MODE_AUTO,
};

#define O(...) OPTION(struct sp_opts, __VA_ARGS__)
static const struct opt_def sp_opt_defs[] = {
	O("dev", 'd', OPT_IFACE, dev, "IFACE", "device to sample (name or index)"),
	O("snaplen", 's', OPT_U32, snaplen, "BYTES", "bytes of each sampled frame to capture",
	  .min = 1, .max = SAMPLE_SNAPLEN_MAX),
	O("sample-rate", 'r', OPT_U32, rate, "N", "sample 1 in N frames (per CPU, exact)",
	  .min = 1, .max = 4294967295.0),
	O("count", 'c', OPT_U32, count, "N", "stop after N samples (0: no limit)"),
	O("write", 'w', OPT_STR, write, "FILE",
	  "write the samples to a pcap file ('-': stdout, then no text output)"),
	O("quiet", 'q', OPT_BOOL, quiet, NULL, "no line per sample (counters and the summary only)"),
	O("hex", 'x', OPT_BOOL, hex, NULL, "hex dump of the captured bytes after each line"),
	/* 0 is allowed here: no interval reports, only the summary */
	O("interval", 'i', OPT_SECONDS, run.interval, "SEC",
	  "also report counters every SEC seconds (0: only at exit)", .min = 0, .max = 3600),
	OPT_ROW_DURATION(struct sp_opts, 0),
	O("pages", 0, OPT_U32, pages, "N", "perf buffer pages per CPU (a power of two)", .min = 1,
	  .max = PAGES_MAX),
	OPT_ROWS_XDP(struct sp_opts),
	OPT_ROWS_OUTPUT(struct sp_opts, 'z', "one JSON object per sample, interval and summary"),
	O("iface", 0, OPT_IFACE, dev, "IFACE", "device", .positional = true),
	OPT_END,
};
#undef O

static const struct opt_tool sp_tool = {
	.name = "xdp_sample_pkts",
	.summary = "Pass every frame on a device; print or write to pcap 1 in N of them.",
	.usage = "[options] IFACE",
	.defs = sp_opt_defs,
	.defaults = &sp_defaults,
	.doc = "Each line: time, CPU, frame length, captured bytes, Ethernet destination and source,\n"
	       "EtherType (after any VLAN tags) and an IPv4/IPv6/ARP summary. Sampling counts\n"
	       "frames per CPU: on each CPU frames 0, N, 2N, ... are taken. --snaplen is at most\n"
	       "9216. Samples the perf buffer cannot hold are counted as lost (raise --pages or\n"
	       "--sample-rate). Ctrl-\\ (SIGQUIT) turns the lines per sample off and on.\n"
	       "Exit codes: see README.\n",
};

struct run {
	const struct sp_opts *opt;
	FILE *txt;			/* text and JSON output: stdout, or stderr with -w - */
	struct perf_buffer *pb;
	struct out *pout;		/* the pcap output (NULL: none) */
	int stats_fd;
	int ncpus;
	__s64 mono_to_real;		/* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	pcap_t *pcap;
	pcap_dumper_t *dumper;
	__u64 received;			/* samples that reached user space (up to --count) */
	__u64 discarded;		/* samples read after --count was reached: not shown */
	__u64 lost;			/* drops the perf buffer reported (lost callback) */
	__u64 bad;			/* records that failed the size/magic checks */
	bool done;			/* --count reached */
	bool quiet;			/* no line per sample (-q; Ctrl-\ toggles) */
};

/* A snapshot: the program's counters and what reached user space by then. */
struct sp_snap {
	struct sample_stats tot;	/* summed over CPUs */
	__u64 received, lost;		/* run's received and lost (reported) */
	struct sample_stats cpu[];	/* per possible CPU */
};

/* ---- the frame summary ---- */

struct pkt_info {
	char dst[18], src[18];
	__u16 ethertype;		/* after the VLAN tags; 0 if the capture ends before it */
	int nvlan;
	__u16 vlan[2];
	const char *l3;			/* "ipv4", "ipv6", "arp" or NULL */
	char saddr[INET6_ADDRSTRLEN], daddr[INET6_ADDRSTRLEN];
	int proto;			/* IP protocol / last IPv6 next header, -1: none */
	int sport, dport;		/* UDP/TCP ports, -1: none */
	int icmp_type, icmp_code;	/* -1: none */
	int ttl;			/* IPv4 TTL / IPv6 hop limit, -1: none */
	char summary[192];
};

static void mac_str(char *buf, const __u8 *m)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static __u16 get16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static const char *proto_name(int proto)
{
	switch (proto) {
	case IPPROTO_UDP: return "udp";
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	case IPPROTO_SCTP: return "sctp";
	case IPPROTO_GRE: return "gre";
	default: return NULL;
	}
}

/* Append to pi->summary. */
static void sum_add(struct pkt_info *pi, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sum_add(struct pkt_info *pi, const char *fmt, ...)
{
	size_t n = strlen(pi->summary);
	va_list ap;

	if (n >= sizeof(pi->summary) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(pi->summary + n, sizeof(pi->summary) - n, fmt, ap);
	va_end(ap);
}

static void parse_l4(struct pkt_info *pi, const __u8 *p, __u32 left)
{
	const char *name = proto_name(pi->proto);
	bool ports = pi->proto == IPPROTO_UDP || pi->proto == IPPROTO_TCP ||
		     pi->proto == IPPROTO_SCTP;
	bool icmp = pi->proto == IPPROTO_ICMP || pi->proto == IPPROTO_ICMPV6;

	if (ports && left >= 4) {
		pi->sport = get16(p);
		pi->dport = get16(p + 2);
		sum_add(pi, " %s %s.%d > %s.%d", name, pi->saddr, pi->sport, pi->daddr, pi->dport);
	} else {
		sum_add(pi, " %s > %s", pi->saddr, pi->daddr);
		if (name)
			sum_add(pi, " %s", name);
		else
			sum_add(pi, " proto %d", pi->proto);
	}
	if (icmp && left >= 2) {
		pi->icmp_type = p[0];
		pi->icmp_code = p[1];
		sum_add(pi, " type %d code %d", p[0], p[1]);
	}
	if (pi->proto == IPPROTO_TCP && left >= 14) {
		static const char fl[] = "FSRPAUEC";
		char f[9];
		int n = 0;

		for (int i = 0; i < 8; i++)
			if (p[13] & (1 << i))
				f[n++] = fl[i];
		f[n] = '\0';
		sum_add(pi, " [%s]", n ? f : ".");
	}
	if ((ports && left < 4) || (icmp && left < 2))
		sum_add(pi, " [truncated]");
}

static void parse_ipv4(struct pkt_info *pi, const __u8 *p, __u32 left)
{
	__u32 ihl;
	__u16 frag;

	pi->l3 = "ipv4";
	if (left < 20 || (p[0] >> 4) != 4 || (ihl = (__u32)(p[0] & 0xf) * 4) < 20) {
		sum_add(pi, " IPv4 [%s]", left < 20 ? "truncated" : "bad header");
		return;
	}
	inet_ntop(AF_INET, p + 12, pi->saddr, sizeof(pi->saddr));
	inet_ntop(AF_INET, p + 16, pi->daddr, sizeof(pi->daddr));
	pi->proto = p[9];
	pi->ttl = p[8];
	frag = get16(p + 6);
	sum_add(pi, " IPv4");
	if (frag & 0x1fff) {
		sum_add(pi, " %s > %s proto %d frag offset %u", pi->saddr, pi->daddr, pi->proto,
			(frag & 0x1fff) * 8);
	} else if (left < ihl) {
		sum_add(pi, " %s > %s proto %d [truncated]", pi->saddr, pi->daddr, pi->proto);
	} else {
		parse_l4(pi, p + ihl, left - ihl);
		if (frag & 0x2000)
			sum_add(pi, " frag");
	}
	sum_add(pi, " ttl %d len %u", pi->ttl, get16(p + 2));
}

static void parse_ipv6(struct pkt_info *pi, const __u8 *p, __u32 left)
{
	__u32 off = 40;
	int nh;

	pi->l3 = "ipv6";
	if (left < 40 || (p[0] >> 4) != 6) {
		sum_add(pi, " IPv6 [%s]", left < 40 ? "truncated" : "bad header");
		return;
	}
	inet_ntop(AF_INET6, p + 8, pi->saddr, sizeof(pi->saddr));
	inet_ntop(AF_INET6, p + 24, pi->daddr, sizeof(pi->daddr));
	pi->ttl = p[7];
	nh = p[6];
	sum_add(pi, " IPv6");
	/* skip up to four extension headers: hop-by-hop, routing, destination, fragment */
	for (int i = 0; i < 4; i++) {
		if (nh != 0 && nh != 43 && nh != 60 && nh != 44)
			break;
		if (left < off + 8) {
			pi->proto = nh;
			sum_add(pi, " %s > %s ext %d [truncated] hlim %d", pi->saddr, pi->daddr, nh,
				pi->ttl);
			return;
		}
		if (nh == 44 && (get16(p + off + 2) & 0xfff8)) {
			pi->proto = p[off];
			sum_add(pi, " %s > %s proto %d frag offset %u hlim %d", pi->saddr, pi->daddr,
				pi->proto, get16(p + off + 2) & 0xfff8, pi->ttl);
			return;
		}
		nh = p[off];
		off += nh == 44 ? 8 : ((__u32)p[off + 1] + 1) * 8;
	}
	pi->proto = nh;
	if (left < off)
		sum_add(pi, " %s > %s [truncated]", pi->saddr, pi->daddr);
	else
		parse_l4(pi, p + off, left - off);
	sum_add(pi, " hlim %d len %u", pi->ttl, get16(p + 4));
}

static void parse_arp(struct pkt_info *pi, const __u8 *p, __u32 left)
{
	char sha[18], tha[18];
	__u16 op;

	pi->l3 = "arp";
	if (left < 28 || get16(p) != ARPHRD_ETHER || get16(p + 2) != ETH_P_IP || p[4] != 6 ||
	    p[5] != 4) {
		sum_add(pi, " ARP [%s]", left < 28 ? "truncated" : "not Ethernet/IPv4");
		return;
	}
	op = get16(p + 6);
	mac_str(sha, p + 8);
	mac_str(tha, p + 18);
	inet_ntop(AF_INET, p + 14, pi->saddr, sizeof(pi->saddr));
	inet_ntop(AF_INET, p + 24, pi->daddr, sizeof(pi->daddr));
	if (op == ARPOP_REQUEST)
		sum_add(pi, " ARP request who-has %s tell %s (%s)", pi->daddr, pi->saddr, sha);
	else if (op == ARPOP_REPLY)
		sum_add(pi, " ARP reply %s is-at %s to %s (%s)", pi->saddr, sha, pi->daddr, tha);
	else
		sum_add(pi, " ARP op %u %s > %s", op, pi->saddr, pi->daddr);
}

/* Everything read is within cap: every step checks what is left. */
static void pkt_parse(struct pkt_info *pi, const __u8 *p, __u32 cap)
{
	__u32 off = 2 * ETH_ALEN;
	__u16 type;

	memset(pi, 0, sizeof(*pi));
	pi->proto = pi->sport = pi->dport = pi->icmp_type = pi->icmp_code = pi->ttl = -1;
	if (cap < ETH_HLEN) {
		snprintf(pi->summary, sizeof(pi->summary), "[truncated Ethernet header]");
		return;
	}
	mac_str(pi->dst, p);
	mac_str(pi->src, p + ETH_ALEN);
	type = get16(p + off);
	while ((type == ETH_P_8021Q || type == ETH_P_8021AD) && pi->nvlan < 2) {
		if (cap < off + 6) {
			sum_add(pi, "vlan [truncated]");
			return;
		}
		pi->vlan[pi->nvlan++] = get16(p + off + 2) & 0x0fff;
		sum_add(pi, "vlan %u ", get16(p + off + 2) & 0x0fff);
		off += 4;
		type = get16(p + off);
	}
	off += 2;
	pi->ethertype = type;
	sum_add(pi, "type 0x%04x", type);
	switch (type) {
	case ETH_P_IP:
		parse_ipv4(pi, p + off, cap - off);
		break;
	case ETH_P_IPV6:
		parse_ipv6(pi, p + off, cap - off);
		break;
	case ETH_P_ARP:
		parse_arp(pi, p + off, cap - off);
		break;
	default:
		break;
	}
}

/* ---- samples ---- */

static void clock_offset(struct run *r)
{
	struct timespec a, m, b;
	__s64 ra, rb, mono;

	clock_gettime(CLOCK_REALTIME, &a);
	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &b);
	ra = (__s64)a.tv_sec * 1000000000 + a.tv_nsec;
	rb = (__s64)b.tv_sec * 1000000000 + b.tv_nsec;
	mono = (__s64)m.tv_sec * 1000000000 + m.tv_nsec;
	r->mono_to_real = ra + (rb - ra) / 2 - mono;
}

static void print_hex(FILE *f, const __u8 *p, __u32 n)
{
	for (__u32 i = 0; i < n; i += 16) {
		fprintf(f, "  %04x:", i);
		for (__u32 j = i; j < i + 16 && j < n; j++)
			fprintf(f, "%s%02x", (j - i) % 2 ? "" : " ", p[j]);
		fputc('\n', f);
	}
}

static void print_sample(struct run *r, int cpu, const struct sample_hdr *h, const __u8 *pkt,
			 __u64 real_ns)
{
	struct pkt_info pi;
	char hex[2 * SAMPLE_SNAPLEN_MAX + 1];
	struct jw w;

	pkt_parse(&pi, pkt, h->cap_len);
	if (r->opt->run.json) {
		for (__u32 i = 0; i < h->cap_len; i++)
			snprintf(hex + 2 * i, 3, "%02x", pkt[i]);
		hex[2 * h->cap_len] = '\0';
		jw_begin(&w, r->txt);
		jw_str(&w, "type", "sample");
		jw_u64(&w, "n", r->received);
		jw_i64(&w, "cpu", cpu);
		jw_u64(&w, "ifindex", h->ifindex);
		jw_u64(&w, "rxq", h->rx_queue);
		jw_u64(&w, "seq", h->seq);
		jw_u64(&w, "ktime_ns", h->ktime_ns);
		jw_u64(&w, "time_ns", real_ns);
		jw_u64(&w, "len", h->pkt_len);
		jw_u64(&w, "cap", h->cap_len);
		jw_str(&w, "dst", pi.dst);
		jw_str(&w, "src", pi.src);
		jw_u64(&w, "ethertype", pi.ethertype);
		jw_arr(&w, "vlans");
		for (int i = 0; i < pi.nvlan; i++)
			jw_u64(&w, NULL, pi.vlan[i]);
		jw_arr_end(&w);
		if (pi.l3)
			jw_str(&w, "l3", pi.l3);
		if (pi.saddr[0]) {
			jw_str(&w, "saddr", pi.saddr);
			jw_str(&w, "daddr", pi.daddr);
		}
		if (pi.proto >= 0)
			jw_i64(&w, "proto", pi.proto);
		if (pi.sport >= 0) {
			jw_i64(&w, "sport", pi.sport);
			jw_i64(&w, "dport", pi.dport);
		}
		if (pi.icmp_type >= 0) {
			jw_i64(&w, "icmp_type", pi.icmp_type);
			jw_i64(&w, "icmp_code", pi.icmp_code);
		}
		if (pi.ttl >= 0)
			jw_i64(&w, "ttl", pi.ttl);
		jw_str(&w, "summary", pi.summary);
		jw_str(&w, "data", hex);
		jw_end(&w);
		return;
	}
	{
		time_t s = (time_t)(real_ns / 1000000000ULL);
		struct tm tm;

		localtime_r(&s, &tm);
		fprintf(r->txt, "%02d:%02d:%02d.%06llu cpu %d len %u cap %u dst %s src %s %s\n",
			tm.tm_hour, tm.tm_min, tm.tm_sec,
			(unsigned long long)(real_ns % 1000000000ULL) / 1000, cpu, h->pkt_len,
			h->cap_len, pi.dst[0] ? pi.dst : "-", pi.src[0] ? pi.src : "-", pi.summary);
	}
	if (r->opt->hex)
		print_hex(r->txt, pkt, h->cap_len);
}

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	struct run *r = ctx;
	struct sample_hdr h;
	const __u8 *pkt;
	__u64 real_ns;

	if (r->done) {
		r->discarded++;
		return;
	}
	/* the record may sit unaligned in the ring: copy the header out */
	if (size < sizeof(h)) {
		r->bad++;
		return;
	}
	memcpy(&h, data, sizeof(h));
	if (h.magic != SAMPLE_MAGIC || h.cap_len > SAMPLE_SNAPLEN_MAX ||
	    size < sizeof(h) + h.cap_len || h.cap_len > h.pkt_len) {
		r->bad++;
		return;
	}
	pkt = (const __u8 *)data + sizeof(h);
	real_ns = (__u64)((__s64)h.ktime_ns + r->mono_to_real);
	r->received++;
	if (r->dumper) {
		struct pcap_pkthdr ph = {
			.ts.tv_sec = (time_t)(real_ns / 1000000000ULL),
			/* nanosecond pcap: tv_usec holds nanoseconds */
			.ts.tv_usec = (suseconds_t)(real_ns % 1000000000ULL),
			.caplen = h.cap_len,
			.len = h.pkt_len,
		};

		pcap_dump((u_char *)r->dumper, &ph, pkt);
		out_record(r->pout);	/* written whole, or dropped whole and counted */
	}
	if (!r->quiet)
		print_sample(r, cpu, &h, pkt, real_ns);
	if (r->opt->count && r->received >= r->opt->count)
		r->done = true;
}

static void on_lost(void *ctx, int cpu, __u64 cnt)
{
	struct run *r = ctx;

	(void)cpu;
	r->lost += cnt;
}

/* ---- counters ---- */

/* Read whatever the perf buffer holds (the samples are printed and written as they come);
 * -errno on failure. */
static int drain(struct run *r)
{
	int err = perf_buffer__consume(r->pb);

	fflush(r->txt);
	return err < 0 ? err : 0;
}

/* The samples waiting, then the counters. */
static int collect(void *ctx, void *snap, __u64 *t)
{
	struct run *r = ctx;
	struct sp_snap *sn = snap;
	__u32 zero = 0;
	int err = drain(r);

	(void)t;
	if (err)
		return err;
	clock_offset(r);	/* follow wall-clock steps */
	sn->received = r->received;
	sn->lost = r->lost;
	return PERCPU_READ(r->stats_fd, &zero, r->ncpus, sn->cpu, &sn->tot);
}

/* The perf buffer has samples: read them; the run is complete once --count is reached. */
static int sp_event(void *ctx)
{
	struct run *r = ctx;
	int err = drain(r);

	return err ? err : r->done;
}

/* Complete once --count is reached, whichever reading got there. */
static int sp_check(void *ctx)
{
	const struct run *r = ctx;

	return r->done;
}

/* Ctrl-\ turns the lines per sample off and on. */
static void sp_toggle(void *ctx)
{
	struct run *r = ctx;

	r->quiet = !r->quiet;
}

static void sp_print(void *ctx, const void *now_snap, const void *then_snap, __u64 dt)
{
	const struct run *r = ctx;
	const struct sp_snap *now = now_snap, *then = then_snap;
	const struct sample_stats *tot = &now->tot, *prev = &then->tot;
	char a[32], b[32], c[32];
	bool sep = !r->opt->run.no_sep;
	struct jw w;

	if (r->opt->run.json) {
		jw_begin(&w, r->txt);
		jw_str(&w, "type", "interval");
		jw_u64(&w, "period_ns", dt);
		jw_u64(&w, "seen", tot->seen);
		jw_u64(&w, "sampled", tot->sampled);
		jw_u64(&w, "lost", tot->out_err);
		jw_u64(&w, "received", now->received);
		jw_u64(&w, "lost_reported", now->lost);
		jw_u64(&w, "delta", tot->seen - prev->seen);
		jw_double(&w, "pps", rate_per_sec(tot->seen, prev->seen, dt));
		jw_double(&w, "sample_pps", rate_per_sec(tot->sampled, prev->sampled, dt));
		jw_end(&w);
	} else {
		fprintf(r->txt, "# %.3f s: %s pkt/s, %s samples/s, %s lost\n", (double)dt / 1e9,
			fmt_rate(a, rate_per_sec(tot->seen, prev->seen, dt), sep),
			fmt_rate(b, rate_per_sec(tot->sampled, prev->sampled, dt), sep),
			fmt_u64(c, tot->out_err, sep));
	}
}

/* pcap records in the file (its header is the first record of the output). */
static __u64 pcap_written(const struct run *r)
{
	return r->pout && r->pout->records_written ? r->pout->records_written - 1 : 0;
}

/* The whole run, read after the program was detached and the perf buffer read to its end. */
static void sp_summary(void *ctx, const void *last, const void *first, __u64 dt, int signal)
{
	const struct run *r = ctx;
	const struct sp_snap *sn = last;
	const struct sample_stats *pc = sn->cpu, tot = sn->tot;
	__u64 unreported;
	char a[32], b[32], c[32], d[32];
	bool sep = !r->opt->run.no_sep;
	struct jw w;

	(void)first;	/* the counters start at zero when the program is loaded */
	/* the kernel reports a CPU's lost samples with the next sample it stores there */
	unreported = tot.out_err > r->lost ? tot.out_err - r->lost : 0;
	if (r->opt->run.json) {
		jw_begin(&w, r->txt);
		jw_str(&w, "type", "summary");
		jw_u64(&w, "duration_ns", dt);
		jw_u64(&w, "seen", tot.seen);
		jw_u64(&w, "sampled", tot.sampled);
		jw_u64(&w, "received", r->received);
		jw_u64(&w, "discarded", r->discarded);
		jw_u64(&w, "bad", r->bad);
		jw_u64(&w, "lost", tot.out_err);
		jw_u64(&w, "lost_reported", r->lost);
		jw_u64(&w, "lost_unreported", unreported);
		jw_u64(&w, "written", pcap_written(r));
		jw_u64(&w, "not_written", r->pout ? r->received - pcap_written(r) : 0);
		jw_double(&w, "pps", rate_per_sec(tot.seen, 0, dt));
		jw_arr(&w, "cpus");
		for (int i = 0; i < r->ncpus; i++) {
			const struct sample_stats *v = &pc[i];

			if (!v->seen)
				continue;
			jw_obj(&w, NULL);
			jw_i64(&w, "cpu", i);
			jw_u64(&w, "seen", v->seen);
			jw_u64(&w, "sampled", v->sampled);
			jw_u64(&w, "lost", v->out_err);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_i64(&w, "signal", signal);
		jw_end(&w);
		return;
	}
	fprintf(r->txt, "\nSummary: %.3f s, %s pkt/s average\n", (double)dt / 1e9,
		fmt_rate(a, rate_per_sec(tot.seen, 0, dt), sep));
	fprintf(r->txt, "%-8s %16s %16s %16s\n", "CPU", "seen (pkt)", "sampled", "lost");
	for (int i = 0; i < r->ncpus; i++) {
		const struct sample_stats *v = &pc[i];

		if (!v->seen)
			continue;
		fprintf(r->txt, "%-8d %16s %16s %16s\n", i, fmt_u64(a, v->seen, sep),
			fmt_u64(b, v->sampled, sep), fmt_u64(c, v->out_err, sep));
	}
	fprintf(r->txt, "%-8s %16s %16s %16s\n", "total", fmt_u64(a, tot.seen, sep),
		fmt_u64(b, tot.sampled, sep), fmt_u64(c, tot.out_err, sep));
	fprintf(r->txt, "Samples: %s sampled = %s received + %s discarded after --count",
		fmt_u64(a, tot.sampled, sep), fmt_u64(b, r->received, sep),
		fmt_u64(c, r->discarded, sep));
	if (r->bad)
		fprintf(r->txt, " + %s malformed", fmt_u64(c, r->bad, sep));
	fprintf(r->txt, "; %s lost (perf buffer full: %s reported by it, %s not yet when it "
		"stopped)\n", fmt_u64(a, tot.out_err, sep), fmt_u64(b, r->lost, sep),
		fmt_u64(c, unreported, sep));
	if (r->pout)
		fprintf(r->txt, "pcap: %s of %s received written to %s%s%s\n",
			fmt_u64(a, pcap_written(r), sep), fmt_u64(b, r->received, sep),
			strcmp(r->opt->write, "-") ? r->opt->write : "stdout",
			pcap_written(r) < r->received ? ", not written: " : "",
			pcap_written(r) < r->received ?
				fmt_u64(d, r->received - pcap_written(r), sep) : "");
}

static const struct sampler_ops sp_ops = {
	.collect = collect,
	.print = sp_print,
	.summary = sp_summary,
	.toggle = sp_toggle,
	.check = sp_check,
	.event = sp_event,
};

/* ---- setup and the loop ---- */

static int opts_finish(struct sp_opts *opt)
{
	if (!opt->dev.ifindex)
		return report(0, EXIT_FAIL_OPTION, "missing IFACE; see --help");
	if (xdp_opts_finish(&opt->xdp))
		return EXIT_FAIL_OPTION;
	if (opt->pages & (opt->pages - 1))
		return report(0, EXIT_FAIL_OPTION, "bad --pages '%u' (want a power of two)",
			      opt->pages);
	/* room for at least 4 records of the largest size in each CPU's buffer */
	if ((size_t)opt->pages * (size_t)sysconf(_SC_PAGESIZE) <
	    4 * (opt->snaplen + sizeof(struct sample_hdr) + 16))
		return report(0, EXIT_FAIL_OPTION, "--pages %u too small for --snaplen %u",
			      opt->pages, opt->snaplen);
	if (opt->write && !strcmp(opt->write, "-")) {
		if (opt->run.json)
			return report(0, EXIT_FAIL_OPTION, "--json conflicts with --write - (stdout)");
		opt->quiet = true;
	}
	return 0;
}

static int pcap_setup(struct run *r, struct out *po)
{
	const char *path = r->opt->write;
	int err;

	r->pcap = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, (int)r->opt->snaplen,
						       PCAP_TSTAMP_PRECISION_NANO);
	if (!r->pcap)
		return report(-ENOMEM, EXIT_FAIL_MEM, "pcap_open_dead");
	err = strcmp(path, "-") ? out_open_path(po, path, OUT_RECORDS)
				: out_open(po, STDOUT_FILENO, "stdout", OUT_RECORDS);
	if (err == -EINTR)
		return report(0, EXIT_OK, "stopped before a reader opened FIFO %s", path);
	if (err)
		return report(err, EXIT_FAIL_OPTION, "cannot write '%s'", path);
	r->dumper = pcap_dump_fopen(r->pcap, po->f);
	if (!r->dumper)
		return report(0, EXIT_FAIL, "pcap: %s", pcap_geterr(r->pcap));
	r->pout = po;
	out_record(po);		/* the file header */
	return 0;
}

static void print_banner(const struct run *r, const struct xdp_attach *xa)
{
	const struct sp_opts *opt = r->opt;
	char drv[64] = "?";

	iface_driver(opt->dev.name, drv, sizeof(drv));
	if (opt->run.json) {
		struct jw w;

		jw_begin(&w, r->txt);
		jw_str(&w, "type", "start");
		jw_str(&w, "dev", opt->dev.name);
		jw_i64(&w, "ifindex", opt->dev.ifindex);
		jw_str(&w, "driver", drv);
		jw_str(&w, "mode", xa->mode == XDP_MODE_SKB ? "skb" : "native");
		jw_u64(&w, "snaplen", opt->snaplen);
		jw_u64(&w, "sample_rate", opt->rate);
		jw_u64(&w, "count", opt->count);
		jw_u64(&w, "pages", opt->pages);
		if (opt->write)
			jw_str(&w, "write", opt->write);
		jw_u64(&w, "prog_id", xa->prog_id);
		jw_end(&w);
		return;
	}
	fprintf(r->txt, "Sampling 1 in %u frames on dev %s (ifindex %d, driver %s) mode %s, "
		"snaplen %u%s%s\n", opt->rate, opt->dev.name, opt->dev.ifindex, drv,
		xdp_mode_str(xa->mode), opt->snaplen, opt->write ? ", writing " : "",
		opt->write ? (strcmp(opt->write, "-") ? opt->write : "stdout") : "");
	fflush(r->txt);
}


/* kernel.perf_event_paranoid, or 2 (the kernel's default) when it cannot be read. Debian's
 * kernels add level 3, their default: perf events only for CAP_SYS_ADMIN. */
static int perf_paranoid(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
	int v = 2;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 2;
		fclose(f);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct sp_opts opt = sp_defaults;
	struct xdp_sample_pkts_kern *skel = NULL;
	struct xdp_attach xa = XDP_ATTACH_INIT;
	struct sampler smp = SAMPLER_INIT;
	struct out po = OUT_INIT;
	struct run run = { .opt = &opt, .txt = stdout };
	bool pcap_stdout;
	int err, ret;

	ret = tool_begin(argc, argv, &sp_tool, &opt);
	if (ret >= 0)
		return ret;
	ret = opts_finish(&opt);
	if (ret)
		return ret;
	ret = priv_require(NEED_BPF | NEED_NET_ADMIN | NEED_PERFMON);
	if (ret)
		return ret;
	log_setup(opt.run.verbose);

	run.quiet = opt.quiet;
	run.ncpus = ncpus_possible();
	if (run.ncpus <= 0)
		return report(run.ncpus, EXIT_FAIL, "count possible CPUs");
	pcap_stdout = opt.write && !strcmp(opt.write, "-");
	if (sampler_init(&smp, &sp_ops, &run,
			 sizeof(struct sp_snap) + (size_t)run.ncpus * sizeof(struct sample_stats),
			 &opt.run, pcap_stdout ? SAMPLER_NO_STDOUT : 0)) {
		ret = report(-ENOMEM, EXIT_FAIL_MEM, "allocate the output buffer");
		goto out;
	}
	run.txt = pcap_stdout ? stderr : smp.out.f;	/* with -w -, stdout carries the pcap */
	if (opt.write) {
		ret = pcap_setup(&run, &po);
		if (ret || !run.pout)
			goto out;
		loop_add_out(&smp.loop, &po);
	}

	skel = xdp_sample_pkts_kern__open();
	if (!skel) {
		ret = report(-errno, EXIT_FAIL_BPF, "open BPF object");
		goto out;
	}
	skel->rodata->cfg.snaplen = opt.snaplen;
	skel->rodata->cfg.rate = opt.rate;
	/* it never reads the frame itself (bpf_perf_event_output copies, across fragments), so it
	 * can run on multi-buffer frames: jumbo MTUs, native mode included */
	xdp_prog_frags_capable(skel->progs.xdp_sample_prog);
	err = xdp_sample_pkts_kern__load(skel);
	if (err) {
		ret = report(err, EXIT_FAIL_BPF, "load BPF program (details with -vv)");
		goto out;
	}
	run.stats_fd = bpf_map__fd(skel->maps.sample_stats);

	run.pb = perf_buffer__new(bpf_map__fd(skel->maps.samples), opt.pages, on_sample, on_lost,
				  &run, NULL);
	if (!run.pb && errno == EPERM) {
		ret = report(0, EXIT_FAIL_PRIV, "missing privileges: a perf buffer of %u pages per "
			     "CPU needs CAP_IPC_LOCK, or a higher kernel.perf_event_mlock_kb or "
			     "memlock limit (ulimit -l); or lower --pages", opt.pages);
		goto out;
	}
	if (!run.pb && errno == EACCES && perf_paranoid() >= 3) {
		ret = report(0, EXIT_FAIL_PRIV, "missing privileges: kernel.perf_event_paranoid is %d "
			     "here (Debian's default), which opens the perf buffer to CAP_SYS_ADMIN "
			     "only; or lower it (sysctl kernel.perf_event_paranoid=2)", perf_paranoid());
		goto out;
	}
	if (!run.pb) {
		ret = report(-errno, EXIT_FAIL_BPF, "create the perf buffer (%u pages per CPU)",
			     opt.pages);
		goto out;
	}

	clock_offset(&run);
	ret = xdp_attach_or_report(&xa, skel->progs.xdp_sample_prog, &opt.dev, &opt.xdp,
				   XDP_VIA_LINK);
	if (ret)
		goto out;
	err = sampler_start(&smp);
	if (err) {
		ret = report(err, EXIT_FAIL, "read counters");
		goto out;
	}
	print_banner(&run, &xa);
	sampler_track(&smp, &opt.dev, xa.link_fd);
	smp.event_fd = perf_buffer__epoll_fd(run.pb);
	err = sampler_run(&smp);
	/* detach first, then read what is still buffered (past --count too, to account for
	 * every sample): the summary is then final */
	xdp_attach_release(&xa);
	ret = drain(&run);
	if (!err)
		err = ret;
	ret = err ? sampler_report(&smp, err, "read samples") : EXIT_OK;
	/* the pcap first, so the summary can say how many records reached it */
	loop_flush(&smp.loop);
	err = sampler_collect(&smp);
	if (err && !ret)
		ret = report(err, EXIT_FAIL, "read counters");
	ret = sampler_end(&smp, ret, !err);
out:
	xdp_attach_release(&xa);
	perf_buffer__free(run.pb);
	if (run.dumper) {
		pcap_dump_close(run.dumper);	/* closes po.f */
		po.f = NULL;
	}
	out_close(&po);
	sampler_close(&smp);
	if (run.pcap)
		pcap_close(run.pcap);
	xdp_sample_pkts_kern__destroy(skel);
	return ret;
}
