// SPDX-License-Identifier: GPL-2.0
/*
 * pktgen: the test suite's frame source. Sends exactly --count UDP frames (IPv4 or IPv6, valid
 * checksums, a magic and a sequence number in the payload) out of a device through an AF_PACKET
 * socket, or, with --live, injects them with BPF_PROG_RUN in live-frames mode (an XDP program
 * that redirects every frame into the device: the fastest source this machine has), from one
 * thread or, with --cpus N, from N threads pinned to N CPUs. A live run for a --duration makes
 * one long BPF_PROG_RUN call per thread, so the fixed cost of a call does not slow it down.
 * With --expect-back SEC it then counts the frames that come back (XDP_TX, l2fwd) and how many
 * of them have their MAC addresses swapped. With --window N --window-rx FILE:DEV at most N frames
 * are on their way at any time: each N-th frame waits until DEV (a line of FILE, in the format
 * of /proc/net/dev; /proc/PID/net/dev for a device of PID's network namespace) has received
 * the frames before it. Prints one JSON object.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/udp.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_insn.h"
#include "common_user.h"
#include "frame.h"

#define PKTGEN_MAGIC 0x58445053u /* "XDPS" */
#define FRAME_MAX 9018

struct gen_opts {
	struct iface dev;
	__u32 count;
	__u32 size;
	__u32 flows;
	__u32 ttl;
	__u32 vlan;
	__u32 batch;
	__u32 rate;
	__u32 window;
	const char *window_rx;
	__u32 cpus;
	const char *src_mac, *dst_mac, *src_ip, *dst_ip;
	double duration;
	double expect_back;
	bool live;
	int verbose;
};

static const struct gen_opts gen_defaults = {
	.count = 1,
	.size = 64,
	.flows = 1,
	.ttl = 64,
	.batch = 64,
	.dst_mac = "ff:ff:ff:ff:ff:ff",
	.src_ip = "10.200.0.1",
	.dst_ip = "10.200.0.2",
};

#define O(...) OPTION(struct gen_opts, __VA_ARGS__)
static const struct opt_def gen_defs[] = {
	O("dev", 'd', OPT_IFACE, dev, "IFACE", "device to send on", .required = true),
	O("count", 'n', OPT_U32, count, "N", "frames to send (0 with --duration: unlimited)"),
	O("size", 's', OPT_U32, size, "BYTES",
	  "frame length without FCS; below the header length the frame is truncated", .min = 1,
	  .max = FRAME_MAX),
	O("flows", 'f', OPT_U32, flows, "K", "vary the UDP source port over K values", .min = 1,
	  .max = 65535),
	O("ttl", 't', OPT_U32, ttl, "N", "IPv4 TTL / IPv6 hop limit", .max = 255),
	O("vlan", 0, OPT_U32, vlan, "ID", "add an 802.1Q tag (1..4094)", .min = 1, .max = 4094),
	O("src-mac", 0, OPT_STR, src_mac, "MAC", "source MAC (default: the device's)"),
	O("dst-mac", 0, OPT_STR, dst_mac, "MAC", "destination MAC"),
	O("src-ip", 0, OPT_STR, src_ip, "ADDR", "source address (IPv4 or IPv6)"),
	O("dst-ip", 0, OPT_STR, dst_ip, "ADDR", "destination address (IPv4 or IPv6)"),
	O("rate", 'r', OPT_U32, rate, "PPS", "pace the socket sender to PPS frames per second"),
	O("window", 'w', OPT_U32, window, "N",
	  "at most N frames on their way (with --window-rx)", .min = 1, .max = 1u << 20),
	O("window-rx", 0, OPT_STR, window_rx, "FILE:DEV",
	  "where they arrive: DEV's line of FILE (/proc/PID/net/dev)"),
	O("live", 'l', OPT_BOOL, live, NULL, "inject with BPF_PROG_RUN live frames (XDP redirect)"),
	O("batch", 'b', OPT_U32, batch, "N", "live-frames batch size", .min = 1, .max = 256),
	O("cpus", 'c', OPT_U32, cpus, "N",
	  "live frames from N threads, one pinned to each of the first N CPUs we may use (default: "
	  "one thread, not pinned)", .min = 1, .max = 64),
	O("duration", 'D', OPT_SECONDS, duration, "SEC", "send for SEC seconds", .max = 3600),
	O("expect-back", 'e', OPT_SECONDS, expect_back, "SEC",
	  "then count frames coming back for up to SEC seconds", .max = 600),
	O("verbose", 'v', OPT_COUNT, verbose, NULL, "libbpf messages"),
	OPT_END,
};
#undef O

static const struct opt_tool gen_tool = {
	.name = "pktgen",
	.summary = "Send exactly N UDP test frames on a device; print a JSON result.",
	.usage = "--dev IFACE [--count N] [options]",
	.defs = gen_defs,
	.defaults = &gen_defaults,
};

struct frame {
	__u8 buf[FRAME_MAX];
	__u32 len;		/* bytes sent */
	__u32 l4_off;		/* UDP header offset */
	__u32 seq_off;		/* sequence number offset in the payload */
	struct frame_spec spec;
};

static int frame_build(struct frame *f, const struct gen_opts *o)
{
	struct frame_spec *s = &f->spec;
	__u32 full;
	int err, off;

	memset(f, 0, sizeof(*f));
	s->ttl = (__u8)o->ttl;
	s->ip_id = 1;
	s->df = true;
	s->sport = 9000;
	s->dport = 9;
	s->vlan[0] = (__u16)o->vlan;
	s->nvlan = o->vlan ? 1 : 0;
	err = o->src_mac ? mac_parse(o->src_mac, s->src) : iface_mac(o->dev.name, s->src);
	if (err || mac_parse(o->dst_mac, s->dst))
		return -EINVAL;
	err = frame_addrs(s, o->src_ip, o->dst_ip);
	if (err)
		return err;
	/* the checksums cover the untruncated frame: headers, magic and sequence number at least */
	full = frame_udp_hlen(s) + 8;
	if (o->size > full)
		full = o->size;
	off = frame_udp(f->buf, full, s);
	if (off < 0)
		return off;
	f->l4_off = (__u32)off - sizeof(struct udphdr);
	put_be32(f->buf + off, PKTGEN_MAGIC);
	f->seq_off = (__u32)off + 4;
	for (__u32 i = f->seq_off + 4; i < full; i++)
		f->buf[i] = (__u8)i;	/* a known pattern for byte-exact checks */
	frame_udp_csum(f->buf, full, s);
	f->len = o->size;		/* may truncate the headers on purpose */
	return 0;
}

/* Give frame number seq its own sequence number and flow (source port). */
static void frame_seq(struct frame *f, const struct gen_opts *o, __u32 seq)
{
	__u32 full = f->l4_off + get_be16(f->buf + f->l4_off + offsetof(struct udphdr, len));

	if (f->len < full)
		return;	/* truncated frames are sent as they are */
	put_be16(f->buf + f->l4_off, (__u16)(9000 + seq % o->flows));
	put_be32(f->buf + f->seq_off, seq);
	frame_udp_csum(f->buf, full, &f->spec);
}

static int packet_socket(const struct iface *dev)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = dev->ifindex,
	};
	int one = 1, fd;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd < 0)
		return -errno;
	int rcvbuf = 256 << 20;

	setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
	/* frames coming back while we still send must not overflow the socket */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

struct result {
	__u64 sent, errors, received, swapped, whole, elapsed_ns;
	__u64 window_stalled;	/* frames sent unpaced after a window that never arrived whole */
};

/* Stop conditions: count reached (count > 0), or the duration elapsed (duration > 0). */
static bool done(const struct gen_opts *o, __u64 sent, __u64 start)
{
	if (o->count && sent >= o->count)
		return true;
	return o->duration > 0 && now_ns() - start >= (__u64)(o->duration * 1e9);
}

/* Sleep until frame number sent is due at rate frames per second. */
static void pace(__u64 start, __u64 sent, __u32 rate)
{
	__u64 due = start + sent * 1000000000ULL / rate, now = now_ns();
	struct timespec ts;

	if (due <= now)
		return;
	ts.tv_sec = (time_t)((due - now) / 1000000000ULL);
	ts.tv_nsec = (long)((due - now) % 1000000000ULL);
	nanosleep(&ts, NULL);
}

static void drain_back(int fd, const struct frame *f, struct result *res);

/* Received packets of dev in a file in the format of /proc/net/dev; -errno. */
static long long rx_packets(const char *file, const char *dev)
{
	size_t dl = strlen(dev);
	char line[512];
	long long n = -ENODEV;
	FILE *fp = fopen(file, "re");

	if (!fp)
		return -errno;
	while (fgets(line, sizeof(line), fp)) {
		const char *p = line + strspn(line, " ");
		unsigned long long bytes, packets;

		if (!strncmp(p, dev, dl) && p[dl] == ':' &&
		    sscanf(p + dl + 1, "%llu %llu", &bytes, &packets) == 2) {
			n = (long long)packets;
			break;
		}
	}
	fclose(fp);
	return n;
}

struct window {
	char file[256], dev[IF_NAMESIZE];
	long long base;		/* dev's rx_packets when sending began */
	bool off;		/* a window never arrived whole: the rest goes unpaced */
};

static int window_init(struct window *win, const struct gen_opts *o)
{
	const char *colon = o->window_rx ? strrchr(o->window_rx, ':') : NULL;

	memset(win, 0, sizeof(*win));
	if (!o->window) {
		win->off = true;
		return 0;
	}
	if (!colon || colon == o->window_rx || !colon[1] ||
	    (size_t)(colon - o->window_rx) >= sizeof(win->file) ||
	    strlen(colon + 1) >= sizeof(win->dev))
		return -EINVAL;
	memcpy(win->file, o->window_rx, (size_t)(colon - o->window_rx));
	strcpy(win->dev, colon + 1);
	win->base = rx_packets(win->file, win->dev);
	return win->base < 0 ? (int)win->base : 0;
}

/* Before frame number sent, a multiple of the window: wait (1 ms steps, 30 s at most) until
 * the frames before it arrived. */
static void window_wait(struct window *win, const struct gen_opts *o, struct result *res)
{
	__u64 deadline = now_ns() + 30000000000ULL;
	struct timespec ms = { .tv_nsec = 1000000 };

	if (win->off || !res->sent || res->sent % o->window)
		return;
	while (rx_packets(win->file, win->dev) < win->base + (long long)res->sent) {
		if (now_ns() >= deadline) {
			fprintf(stderr, "pktgen: frames before %llu did not all arrive on %s within "
				"30 s; sending the rest unpaced\n", (unsigned long long)res->sent,
				win->dev);
			win->off = true;
			res->window_stalled = o->count - res->sent;
			return;
		}
		nanosleep(&ms, NULL);
	}
}

static int send_socket(int fd, struct frame *f, const struct gen_opts *o, struct result *res,
		       struct window *win)
{
	__u64 start = now_ns();
	int tries = 0;

	while (!done(o, res->sent, start)) {
		window_wait(win, o, res);
		if (o->rate && (res->sent % 16) == 0)
			pace(start, res->sent, o->rate);
		frame_seq(f, o, (__u32)res->sent);
		if (o->expect_back > 0 && (res->sent % 32) == 0)
			drain_back(fd, f, res);
		if (send(fd, f->buf, f->len, 0) == (ssize_t)f->len) {
			res->sent++;
			tries = 0;
			continue;
		}
		if ((errno == ENOBUFS || errno == EAGAIN) && ++tries < 100000) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			poll(&p, 1, 1);
			continue;
		}
		res->errors++;
		if (res->errors > 1000)
			return -errno;
	}
	res->elapsed_ns = now_ns() - start;
	return 0;
}

#define LIVE_RESTORE 64	/* header bytes the live program rewrites on every run */
#define LIVE_REPEAT_MAX (1u << 30)	/* frames per BPF_PROG_RUN call when sending for a time */
#define LIVE_CPUS_MAX 64	/* --cpus at most */

/* A sender's counter: one cache line each, in one array map value */
struct live_slot {
	__u64 sent;
} __attribute__((aligned(64)));

/*
 * XDP program for live frames: count the run in this sender's slot of the counter map (a
 * direct map-value access, no helper), rewrite the frame's first bytes from immediates, then
 * return bpf_redirect(ifindex, 0). The kernel recycles live-frame pages without copying
 * data_in again, and whatever runs downstream (a router decrementing the TTL in place, the
 * stack on an skb that shares the page) would otherwise change the frames this source sends
 * next. The counter makes a run stopped by a signal exact: the kernel reports nothing then.
 */
static int live_prog(int ifindex, const __u8 *frame, __u32 len, int map_fd, __u32 slot)
{
	__u32 restore = (len < LIVE_RESTORE ? len : LIVE_RESTORE) & ~3u, n = 0;
	struct bpf_insn insns[14 + LIVE_RESTORE / 4];	/* 10 + stores + 4 */
	const struct bpf_insn counter[] = {
		BPF_LD_MAP_VALUE(BPF_REG_5, map_fd,
				 slot * sizeof(struct live_slot) + offsetof(struct live_slot, sent)),
	};
	LIBBPF_OPTS(bpf_prog_load_opts, lo);
	int fd;

	insns[n++] = BPF_LDX_MEM(BPF_W, BPF_REG_2, BPF_REG_1, offsetof(struct xdp_md, data));
	insns[n++] = BPF_LDX_MEM(BPF_W, BPF_REG_3, BPF_REG_1, offsetof(struct xdp_md, data_end));
	memcpy(insns + n, counter, sizeof(counter));
	n += ARRAY_SIZE(counter);
	insns[n++] = BPF_LDX_MEM(BPF_DW, BPF_REG_0, BPF_REG_5, 0);
	insns[n++] = BPF_ALU64_IMM(BPF_ADD, BPF_REG_0, 1);
	insns[n++] = BPF_STX_MEM(BPF_DW, BPF_REG_5, BPF_REG_0, 0);
	insns[n++] = BPF_MOV64_REG(BPF_REG_4, BPF_REG_2);
	insns[n++] = BPF_ALU64_IMM(BPF_ADD, BPF_REG_4, (__s32)restore);
	insns[n++] = BPF_JMP_REG(BPF_JGT, BPF_REG_4, BPF_REG_3, (__s16)(restore / 4));
	for (__u32 off = 0; off < restore; off += 4) {
		__s32 word;

		memcpy(&word, frame + off, sizeof(word));
		insns[n++] = BPF_ST_MEM(BPF_W, BPF_REG_2, (__s16)off, word);
	}
	insns[n++] = BPF_MOV64_IMM(BPF_REG_1, ifindex);
	insns[n++] = BPF_MOV64_IMM(BPF_REG_2, 0);
	insns[n++] = BPF_EMIT_CALL(BPF_FUNC_redirect);
	insns[n++] = BPF_EXIT_INSN();
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "pktgen_live", "GPL", insns, n, &lo);
	return fd < 0 ? -errno : fd;
}

/*
 * One live-frames sender: a thread (pinned to cpu unless it is -1) that runs its program with
 * BPF_PROG_RUN. With a quota it sends exactly that many frames, in calls as large as the kernel
 * takes; without, it makes calls of LIVE_REPEAT_MAX frames until the main thread stops it with
 * SIGUSR1, which the kernel notices between two batches (-EINTR). Either way one call lasts
 * long, so the fixed cost of a call (the page pool set up and torn down, some 20 ms here) does
 * not count, and the frames it sent are read from its counter, not from the call.
 */
struct sender {
	pthread_t tid;
	const struct frame *f;
	const struct gen_opts *o;
	int prog_fd;
	int cpu;			/* -1: not pinned */
	__u64 quota;			/* frames to send, when limited */
	bool limited;			/* else until stopped */
	const atomic_bool *stop;
	atomic_bool done;
	__u64 start_ns, end_ns;
	int err;
};

static void *sender_run(void *arg)
{
	struct sender *s = arg;
	struct xdp_md ctx = { .data_end = s->f->len, .ingress_ifindex = (__u32)s->o->dev.ifindex };
	__u64 sent = 0;

	if (s->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(s->cpu, &set);
		s->err = -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	s->start_ns = now_ns();
	while (!s->err && !atomic_load(s->stop) && (!s->limited || sent < s->quota)) {
		__u64 rep = s->limited ? s->quota - sent : LIVE_REPEAT_MAX;
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = s->f->buf, .data_size_in = s->f->len,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = s->o->batch);

		t.repeat = (int)(rep < LIVE_REPEAT_MAX ? rep : LIVE_REPEAT_MAX);
		if (bpf_prog_test_run_opts(s->prog_fd, &t)) {
			if (errno != EINTR)
				s->err = -errno;
			break;
		}
		sent += (__u64)t.repeat;
	}
	s->end_ns = now_ns();
	atomic_store(&s->done, true);
	return NULL;
}

static void sender_wake(int sig)
{
	(void)sig;	/* only there to interrupt BPF_PROG_RUN */
}

/* The first n CPUs this process may run on (the senders' CPUs); returns how many there are. */
static int sender_cpus(int *cpus, __u32 n)
{
	cpu_set_t set;
	__u32 k = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -errno;
	for (int c = 0; c < CPU_SETSIZE && k < n; c++)
		if (CPU_ISSET(c, &set))
			cpus[k++] = c;
	return (int)k;
}

/* Wait until every sender is done, or until the deadline (0: none) and then stop them. */
static void senders_wait(struct sender *s, __u32 n, atomic_bool *stop, __u64 deadline)
{
	for (;;) {
		bool all = true;
		__u64 now = now_ns();

		for (__u32 i = 0; i < n; i++)
			all = all && atomic_load(&s[i].done);
		if (all)
			return;
		if (deadline && now >= deadline) {
			atomic_store(stop, true);
			/* again and again: a signal just before a call would be lost */
			for (__u32 i = 0; i < n; i++)
				if (!atomic_load(&s[i].done))
					pthread_kill(s[i].tid, SIGUSR1);
		}
		__u64 nap = 10000000;	/* 10 ms; 1 ms once stopping */
		if (deadline && now < deadline && deadline - now < nap)
			nap = deadline - now;
		if (deadline && now >= deadline)
			nap = 1000000;
		struct timespec ts = { .tv_nsec = (long)nap };

		nanosleep(&ts, NULL);
	}
}

/* Read the frames every sender counted. */
static int senders_sent(int map_fd, __u32 n, __u64 *sent)
{
	struct live_slot *val = calloc(n, sizeof(*val));
	__u32 key = 0;
	int err = 0;

	if (!val)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, val))
		err = -errno;
	for (__u32 i = 0; !err && i < n; i++)
		*sent += val[i].sent;
	free(val);
	return err;
}

static int send_live(struct frame *f, const struct gen_opts *o, struct result *res)
{
	struct sigaction sa = { .sa_handler = sender_wake };	/* no SA_RESTART */
	__u32 n = o->cpus ? o->cpus : 1, started = 0;
	int cpus[LIVE_CPUS_MAX], map_fd, err = 0;
	atomic_bool stop = false;
	struct sender *s;
	__u64 start;

	frame_seq(f, o, 0);
	if (o->cpus && sender_cpus(cpus, n) != (int)n)
		return -ERANGE;
	s = calloc(n, sizeof(*s));
	if (!s)
		return -ENOMEM;
	map_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pktgen_sent", 4,
				(__u32)(sizeof(struct live_slot) * n), 1, NULL);
	if (map_fd < 0) {
		free(s);
		return -errno;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	for (__u32 i = 0; i < n; i++) {
		s[i] = (struct sender){ .f = f, .o = o, .cpu = o->cpus ? cpus[i] : -1, .stop = &stop };
		s[i].prog_fd = live_prog(o->dev.ifindex, f->buf, f->len, map_fd, i);
		if (s[i].prog_fd < 0) {
			err = s[i].prog_fd;
			goto out;
		}
		/* the count shared out exactly: the first count % n senders send one more */
		s[i].limited = o->count > 0;
		s[i].quota = o->count / n + (i < o->count % n);
	}
	start = now_ns();
	for (; started < n && !err; started++)
		err = -pthread_create(&s[started].tid, NULL, sender_run, &s[started]);
	if (err)
		started--;
	senders_wait(s, started, &stop,
		     err ? 1 : o->duration > 0 ? start + (__u64)(o->duration * 1e9) : 0);
	for (__u32 i = 0; i < started; i++) {
		pthread_join(s[i].tid, NULL);
		err = err ?: s[i].err;
		if (s[i].end_ns - start > res->elapsed_ns)
			res->elapsed_ns = s[i].end_ns - start;
	}
	err = err ?: senders_sent(map_fd, n, &res->sent);
out:
	for (__u32 i = 0; i < n; i++)
		if (s[i].prog_fd > 0)
			close(s[i].prog_fd);
	close(map_fd);
	free(s);
	return err;
}

/* Count one frame if it is ours coming back; and whether its MACs are swapped. */
static void back_frame(const __u8 *buf, ssize_t n, const struct frame *f, struct result *res)
{
	if (n < (ssize_t)f->seq_off)
		return;
	if (get_be32(buf + f->seq_off - 4) != PKTGEN_MAGIC)
		return;
	res->received++;
	if (!memcmp(buf, f->spec.src, ETH_ALEN) && !memcmp(buf + ETH_ALEN, f->spec.dst, ETH_ALEN))
		res->swapped++;
	/* as long as sent, and the payload after the sequence number unchanged */
	if (n == (ssize_t)f->len && f->len >= f->seq_off + 4 &&
	    !memcmp(buf + f->seq_off + 4, f->buf + f->seq_off + 4, f->len - f->seq_off - 4))
		res->whole++;
}

/* Read what has come back so far, without waiting. */
static void drain_back(int fd, const struct frame *f, struct result *res)
{
	__u8 buf[FRAME_MAX];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0)
		back_frame(buf, n, f, res);
}

/* Wait up to --expect-back seconds for the rest of the frames to come back. */
static void count_back(int fd, const struct frame *f, const struct gen_opts *o,
		       struct result *res)
{
	__u64 deadline = now_ns() + (__u64)(o->expect_back * 1e9);

	while (res->received < res->sent) {
		__u64 now = now_ns();
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (now >= deadline)
			break;
		if (poll(&p, 1, (int)((deadline - now) / 1000000 + 1)) > 0)
			drain_back(fd, f, res);
	}
}

int main(int argc, char **argv)
{
	struct gen_opts o = gen_defaults;
	struct result res = {};
	struct window win;
	struct frame *f;
	struct jw w;
	int fd = -1, err;

	err = opts_parse(argc, argv, &gen_tool, &o);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_FAIL_OPTION;
	log_setup(o.verbose);
	if (!o.count && !(o.duration > 0))
		return report(0, EXIT_FAIL_OPTION, "--count 0 needs --duration");
	if (o.cpus && !o.live)
		return report(0, EXIT_FAIL_OPTION, "--cpus needs --live");
	if (o.cpus) {
		int cpus[LIVE_CPUS_MAX], k = sender_cpus(cpus, o.cpus);

		if (k < 0)
			return report(k, EXIT_FAIL, "read the CPU affinity");
		if (k < (int)o.cpus)
			return report(0, EXIT_FAIL_OPTION, "--cpus %u: this process may run on %d CPUs",
				      o.cpus, k);
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return report(-ENOMEM, EXIT_FAIL_MEM, "allocate frame");
	err = frame_build(f, &o);
	if (err) {
		free(f);
		return report(err, EXIT_FAIL_OPTION, "bad MAC or IP address");
	}
	if (!o.window != !o.window_rx || (o.window && (o.live || !o.count))) {
		free(f);
		return report(0, EXIT_FAIL_OPTION,
			      "--window and --window-rx go together, with --count, without --live");
	}
	err = window_init(&win, &o);
	if (err) {
		free(f);
		return report(err, EXIT_FAIL_OPTION, "--window-rx %s: no such FILE:DEV", o.window_rx);
	}
	if (!o.live || o.expect_back > 0) {
		fd = packet_socket(&o.dev);
		if (fd < 0) {
			free(f);
			return report(fd, EXIT_FAIL, "packet socket on %s", o.dev.name);
		}
	}
	err = o.live ? send_live(f, &o, &res) : send_socket(fd, f, &o, &res, &win);
	if (!err && o.expect_back > 0)
		count_back(fd, f, &o, &res);

	jw_begin(&w, stdout);
	jw_str(&w, "source", o.live ? "live_frames" : "af_packet");
	jw_u64(&w, "threads", o.live ? (o.cpus ? o.cpus : 1) : 1);
	jw_u64(&w, "sent", res.sent);
	jw_u64(&w, "errors", res.errors);
	jw_u64(&w, "received", res.received);
	jw_u64(&w, "swapped", res.swapped);
	jw_u64(&w, "whole", res.whole);
	jw_u64(&w, "window_stalled", res.window_stalled);
	jw_u64(&w, "elapsed_ns", res.elapsed_ns);
	jw_double(&w, "pps", rate_per_sec(res.sent, 0, res.elapsed_ns));
	jw_end(&w);
	if (fd >= 0)
		close(fd);
	free(f);
	if (err)
		return report(err, EXIT_FAIL, "send on %s", o.dev.name);
	return EXIT_OK;
}
