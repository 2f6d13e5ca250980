// SPDX-License-Identifier: GPL-2.0
/*
 * xdpsock: the AF_XDP benchmark. rxdrop (-r) receives and recycles frames, txonly (-t) sends
 * pre-built UDP/IPv4 frames, l2fwd (-l) swaps MACs and sends frames back. Sockets come from
 * libxdp's <xdp/xsk.h> with its own program load inhibited: xdpsock_kern.c, attached through a
 * bpf_link, steers the queue round-robin over -M sockets that share one UMEM.
 *
 * Threads: main() runs the loop (signals, ticks, statistics); one data thread serves every
 * socket (they share the fill and completion rings, so one thread keeps them race-free). The
 * data thread writes its counters with relaxed atomic stores, main() reads them atomically.
 *
 * Placement: by default the data thread is pinned to a CPU chosen away from the one that takes
 * the queue's interrupt (where its NAPI poll, the XDP program and the copy into the UMEM run),
 * when sysfs tells which that is; and it watches, ten times a second, on which CPUs the
 * program steers the queue's packets: when most of them run on its own CPU, it moves to the
 * allowed CPU that runs fewest (veth runs the receiver's NAPI on the sender's CPU, which no
 * file tells). --cpu N pins it there and keeps it; --cpu none leaves it to the scheduler.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_ether.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/capability.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "common_user.h"
#include "frame.h"
#include "xdpsock.h"
#include "xdpsock.skel.h"

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9	/* Linux 6.17: frames one copy-mode sendto() may send */
#endif
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)		/* Linux 6.6: multi-buffer (--frags) */
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)		/* descriptor options: more buffers of this packet follow */
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

#define RING_SIZE 2048		/* default rx, tx and completion ring entries */
#define MAX_BATCH 2048		/* most descriptors handled in one ring operation */
#define LINE 64			/* bytes per cache line touched by --read-bytes */
#define TX_SIZE_MAX 9216	/* txonly: largest frame (several buffers with --frags) */
#define POLL_MS 100		/* -p: poll() timeout, also bounds the reaction to a stop */
#define IRQ_MAX 64		/* -I: interrupts matched */
#define IRQ_CPUS 1024		/* -I: CPU columns of /proc/interrupts */
#define WATCH_NS 100000000ULL	/* placement: how often the data thread looks where XDP runs */
#define WATCH_MIN 2000		/* ... packets in a look below which placement does not matter */
#define MOVE_GAP_NS 1000000000ULL	/* ... at most one move per second */

enum bench { BENCH_RXDROP, BENCH_TXONLY, BENCH_L2FWD };
static const char *const bench_names[] = { "rxdrop", "txonly", "l2fwd" };

struct xsk_opts {
	struct iface dev;
	__u32 queue;
	bool rxdrop, txonly, l2fwd;
	struct xdp_opts xdp;
	bool copy, zero_copy;
	bool poll, no_wakeup, unaligned, busy_poll, frags;
	__u32 batch, frame_size, frames, nsocks, ring_size;
	__u32 tx_count, tx_size, tx_pattern, tx_cycle;
	const char *tx_smac, *tx_dmac, *tx_saddr, *tx_daddr;
	bool read;
	__u32 read_bytes;
	struct run_opts run;
	bool extra, app, quiet;
	const char *irq;
	const char *cpu;	/* --cpu: auto, none or a CPU number */
	int bench;		/* derived from -r/-t/-l */
	int policy;		/* enum place_policy, derived from --cpu */
	int pin;		/* --cpu N: N */
};

enum place_policy { PLACE_AUTO, PLACE_CPU, PLACE_NONE };
static const char *const policy_names[] = { "auto", "cpu", "none" };

static const struct xsk_opts xsk_defaults = {
	.xdp.mode = XDP_MODE_AUTO,
	.batch = 64,
	.frame_size = 4096,
	.frames = 4096,
	.ring_size = RING_SIZE,
	.nsocks = 1,
	.tx_size = 64,
	.tx_pattern = 0x12345678,
	.tx_dmac = "ff:ff:ff:ff:ff:ff",
	.tx_saddr = "10.0.0.1",
	.tx_daddr = "10.0.0.2",
	.run.interval = 1.0,
	.cpu = "auto",
};

#define O(...) OPTION(struct xsk_opts, __VA_ARGS__)
static const struct opt_def xsk_opt_defs[] = {
	O("interface", 'i', OPT_IFACE, dev, "IFACE", "device (name or index)", .required = true),
	O("dev", 0, OPT_IFACE, dev, "IFACE", "same as --interface", .hidden = true),
	O("queue", 'q', OPT_U32, queue, "N", "RX/TX queue to bind to (default 0)", .max = 65535),
	O("rxdrop", 'r', OPT_BOOL, rxdrop, NULL, "benchmark: receive and drop (the default)"),
	O("txonly", 't', OPT_BOOL, txonly, NULL, "benchmark: send pre-built UDP/IPv4 frames"),
	O("l2fwd", 'l', OPT_BOOL, l2fwd, NULL, "benchmark: swap MACs and send frames back"),
	OPT_ROW_MODE(struct xsk_opts),
	OPT_ROW_SKB_MODE(struct xsk_opts, "xdp-skb", "same as --mode skb (implies copy mode)"),
	O("xdp-native", 'N', OPT_BOOL, xdp.native, NULL, "same as --mode native"),
	O("copy", 'c', OPT_BOOL, copy, NULL, "force copy mode (XDP_COPY)"),
	O("zero-copy", 'z', OPT_BOOL, zero_copy, NULL,
	  "force zero-copy (XDP_ZEROCOPY); default: try it, fall back to copy"),
	O("poll", 'p', OPT_BOOL, poll, NULL, "use poll() instead of busy spinning"),
	O("no-need-wakeup", 'm', OPT_BOOL, no_wakeup, NULL, "do not use XDP_USE_NEED_WAKEUP"),
	O("batch-size", 'b', OPT_U32, batch, "N", "frames per ring operation", .min = 1,
	  .max = MAX_BATCH),
	O("frame-size", 'f', OPT_U32, frame_size, "BYTES",
	  "UMEM frame size: 2048 or 4096 (any 2048..4096 with --unaligned)", .min = 2048,
	  .max = 4096),
	O("unaligned", 'u', OPT_BOOL, unaligned, NULL, "unaligned chunk mode"),
	O("frames", 0, OPT_U32, frames, "N", "UMEM frames", .min = 64, .max = 65536),
	O("ring-size", 0, OPT_U32, ring_size, "N",
	  "RX, TX and completion ring entries (a power of 2)", .min = 64, .max = 65536),
	O("frags", 0, OPT_BOOL, frags, NULL,
	  "multi-buffer packets larger than a frame (XDP_USE_SG; txonly: -s above the frame size)"),
	O("busy-poll", 'B', OPT_BOOL, busy_poll, NULL,
	  "busy poll (SO_PREFER_BUSY_POLL, SO_BUSY_POLL 20 us, budget = batch)"),
	O("multi-sock", 'M', OPT_U32, nsocks, "N",
	  "N sockets sharing one UMEM on the queue, served round-robin", .min = 1,
	  .max = XSK_MAX_SOCKS),
	O("tx-pkt-count", 'C', OPT_U32, tx_count, "N", "txonly: send N frames, then stop"),
	O("tx-pkt-size", 's', OPT_U32, tx_size, "BYTES",
	  "txonly: frame length without FCS, 64 up to the frame size (more with --frags)",
	  .min = 64, .max = TX_SIZE_MAX),
	O("tx-pkt-pattern", 'P', OPT_U32, tx_pattern, "U32", "txonly: payload fill pattern (0x... accepted)"),
	O("tx-cycle", 'T', OPT_U32, tx_cycle, "USEC",
	  "txonly: one batch per socket every USEC microseconds (cyclic TX; jitter in the summary)",
	  .min = 1, .max = 1000000),
	O("tx-dmac", 'G', OPT_STR, tx_dmac, "MAC", "txonly: destination MAC"),
	O("tx-smac", 'H', OPT_STR, tx_smac, "MAC", "txonly: source MAC (default: the device's)"),
	O("tx-saddr", 0, OPT_STR, tx_saddr, "IPV4", "txonly: source address"),
	O("tx-daddr", 0, OPT_STR, tx_daddr, "IPV4", "txonly: destination address"),
	O("read", 0, OPT_BOOL, read, NULL, "rxdrop/l2fwd: read the first cache line of every frame"),
	O("read-bytes", 0, OPT_U32, read_bytes, "N",
	  "rxdrop/l2fwd: read one byte of every 64-byte line up to N bytes (implies --read)",
	  .min = 1, .max = 4096),
	OPT_ROW_INTERVAL(struct xsk_opts, "interval", 'n', "seconds between reports"),
	OPT_ROW_DURATION(struct xsk_opts, 'd'),
	O("extra-stats", 'x', OPT_BOOL, extra, NULL, "kernel XDP_STATISTICS per socket"),
	O("app-stats", 'a', OPT_BOOL, app, NULL, "application statistics (polls, sendtos)"),
	O("irq-string", 'I', OPT_STR, irq, "STR",
	  "count the interrupts whose /proc/interrupts name contains STR (e.g. mlx5_comp2)"),
	O("quiet", 'Q', OPT_BOOL, quiet, NULL, "no periodic output, only the summary"),
	O("cpu", 0, OPT_STR, cpu, "CPU",
	  "the data thread's CPU: a number (pinned there), none (the scheduler's choice), or auto "
	  "(default: away from the queue's interrupt and from the CPU its XDP runs on)"),
	OPT_ROW_FORCE(struct xsk_opts),
	OPT_ROWS_OUTPUT(struct xsk_opts, 0, "JSON lines: start, one per interval, summary"),
	OPT_END,
};
#undef O

static const struct opt_tool xsk_tool = {
	.name = "xdpsock",
	.summary = "AF_XDP benchmark: rxdrop, txonly or l2fwd on one queue of a device.",
	.usage = "-i IFACE [-r|-t|-l] [options]",
	.defs = xsk_opt_defs,
	.defaults = &xsk_defaults,
	.doc = "Default bind: zero-copy, falling back to copy mode with a notice. txonly attaches\n"
	       "no XDP program (nothing to receive). Counters: rx = frames taken from the RX ring,\n"
	       "tx = frames put on the TX ring. The summary checks that every UMEM frame is\n"
	       "accounted for (fill ring + free list + TX in flight + held == total).\n",
};

/* ---------------------------------------------------------------- runtime state */

enum app_idx { APP_RX_EMPTY, APP_FILL_FAIL, APP_COPY_SENDTO, APP_WAKEUP_SENDTO, APP_POLLS, APP_N };
static const char *const app_names[APP_N] = { "rx_empty_polls", "fill_fail_polls",
					      "copy_tx_sendtos", "tx_wakeup_sendtos", "opt_polls" };
enum xstat_idx { XS_RX_DROPPED, XS_RX_INVALID, XS_TX_INVALID, XS_RX_FULL, XS_FILL_EMPTY,
		 XS_TX_EMPTY, XS_N };
static const char *const xstat_names[XS_N] = { "rx_dropped", "rx_invalid", "tx_invalid",
					       "rx_queue_full", "fill_ring_empty", "tx_ring_empty" };

struct sock {
	struct xsk_socket *xsk;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	int fd;
	__u64 rx_pkts, tx_pkts, app[APP_N];	/* written by the data thread only */
	__u64 rx_bufs, rx_bytes;	/* buffers (descriptors) and bytes received */
	bool in_pkt;		/* --frags: the last buffer seen had XDP_PKT_CONTD */
};

/* Where every UMEM frame is (data thread only; read by main() after the join). */
struct frames {
	__u64 *free;		/* free list (stack of frame addresses) */
	__u32 nfree;
	__u64 in_fill;		/* given to the fill ring, not yet back through an RX ring */
	__u64 in_tx;		/* put on a TX ring, not yet back through the completion ring */
};

/*
 * Where the data thread runs. main() chooses (place_choose) before the thread starts; the data
 * thread then watches (place_watch) and, with --cpu auto, moves. Fields marked atomic are
 * written by the data thread and read by main().
 */
struct place {
	int ncpus;		/* possible CPUs: the length of the arrays */
	bool *allowed;		/* the CPUs this process may run on */
	bool *irq_cpus;		/* the CPUs of the queue's interrupt, when known */
	int nirq_cpus;		/* how many; 0: unknown */
	struct queue_irq qi;
	bool moves_ok;		/* auto, a program to watch, no busy polling (which runs the
				 * queue's NAPI in the data thread by design) */
	int cpu;		/* atomic: the data thread's CPU, -1: not pinned */
	__u64 moves;		/* atomic: times it moved */
	__u64 shared;		/* atomic: packets the program steered on the thread's CPU */
	/* data thread only */
	int map_fd;		/* xsk_stats; -1: nothing to watch (txonly) */
	struct xsk_prog_rec *recs;	/* one reading, ncpus records */
	__u64 *last;		/* per CPU: packets steered up to the last look */
	__u64 *delta;		/* per CPU: ... since the look before */
	__u64 next_ns, moved_ns;
	int streak;		/* consecutive looks that found it on the busiest CPU */
	bool primed;		/* last[] holds a reading */
};

struct ctx {
	const struct xsk_opts *opt;
	struct xsk_umem *umem;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	void *area;
	size_t area_len;
	__u32 fill_size;
	struct sock s[XSK_MAX_SOCKS];
	int n;
	bool zerocopy, need_wakeup, has_prog;
	__u32 bind_flags;
	__u32 tx_budget;	/* copy mode: frames per sendto(), 0: the kernel's default (32) */
	struct frames fr;
	__u64 tx_sent;		/* txonly: frames submitted so far */
	struct {		/* txonly -T: cycle starts (data thread; read after the join) */
		__u64 next, prev, n, min, max, sum, late_max;
	} cyc;
	__u32 frame_len;	/* txonly frame length */
	__u32 tx_bufs;		/* txonly: buffers per frame (several with --frags), UMEM frames
				 * grouped in slots of that many; the free list holds slot heads */
	volatile __u8 sink;	/* --read: keeps the loads */
	int stop;		/* main() -> data thread (atomic) */
	int done_fd;		/* data thread -> main(): txonly -C finished (eventfd) */
	pthread_t thr;
	bool thr_started;
	struct place pl;
};

static inline void bump(__u64 *p, __u64 n)
{
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline __u64 rd(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline bool stopping(struct ctx *c)
{
	return __atomic_load_n(&c->stop, __ATOMIC_RELAXED);
}

/* txonly: bytes of the frame in its buffer j (the last one holds the rest). */
static inline __u32 tx_part_len(const struct ctx *c, __u32 j)
{
	__u32 fs = c->opt->frame_size;

	return j + 1 < c->tx_bufs ? fs : c->frame_len - j * fs;
}

static inline __u64 frame_base(const struct ctx *c, __u64 addr)
{
	addr = xsk_umem__extract_addr(addr);
	return addr - addr % c->opt->frame_size;
}

/* ---------------------------------------------------------------- data path */

static void touch(struct ctx *c, __u64 addr, __u32 len)
{
	const __u8 *p = xsk_umem__get_data(c->area, xsk_umem__add_offset_to_addr(addr));
	__u32 end = len < c->opt->read_bytes ? len : c->opt->read_bytes;
	__u8 acc = 0;

	for (__u32 off = 0; off < end; off += LINE)
		acc ^= p[off];
	c->sink ^= acc;
}

static void swap_mac(struct ctx *c, __u64 addr)
{
	__u8 *p = xsk_umem__get_data(c->area, xsk_umem__add_offset_to_addr(addr));
	__u8 tmp[ETH_ALEN];

	memcpy(tmp, p, ETH_ALEN);
	memcpy(p, p + ETH_ALEN, ETH_ALEN);
	memcpy(p + ETH_ALEN, tmp, ETH_ALEN);
}

static void kick_tx(struct ctx *c, struct sock *s)
{
	if (c->need_wakeup && !c->opt->busy_poll && !xsk_ring_prod__needs_wakeup(&s->tx))
		return;
	bump(&s->app[c->zerocopy ? APP_WAKEUP_SENDTO : APP_COPY_SENDTO], 1);
	/* ENOBUFS, EAGAIN, EBUSY, ENETDOWN: the kernel keeps the descriptors; retried later */
	sendto(s->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
}

/*
 * Busy spinning on an empty RX ring: wait before the next look. Each look reads the line the
 * kernel writes its producer index to; looked at tens of millions of times a second from
 * another CPU, that line moves between the CPUs on every frame, and the kernel's side (the
 * copy into the ring) pays for it. In the bench lab (veth, rxdrop, data thread on the other
 * CPU) spinning flat out gave 3.0-3.3 Mpps in copy mode, or 7 in some runs: the rate fed back
 * on itself; with this wait 5.0-5.3 Mpps in every round. The wait reads the clock (the vDSO: no
 * shared line), looks at the ring once a microsecond and ends when a batch is waiting, or
 * after 5 ns per ring slot (10 us for the default ring, which holds what arrives meanwhile).
 * Not the pause instruction: hypervisors take a loop of them for a spinning lock and switch
 * CPUs (under qemu's TCG every pause does), which starved the rings. Not with --poll (poll()
 * waits) or --busy-poll (each look drives NAPI).
 */
#define IDLE_LOOK_NS 1000
#define IDLE_NS_PER_SLOT 5

static void idle_wait(const struct ctx *c, const struct sock *s)
{
	__u64 t0, now, look;

	if (c->opt->poll || c->opt->busy_poll)
		return;
	t0 = now = now_ns();
	look = t0 + IDLE_LOOK_NS;
	while (now - t0 < (__u64)c->opt->ring_size * IDLE_NS_PER_SLOT) {
		now = now_ns();
		if (now < look)
			continue;
		if (__atomic_load_n(s->rx.producer, __ATOMIC_ACQUIRE) - s->rx.cached_cons >=
		    c->opt->batch)
			return;
		look = now + IDLE_LOOK_NS;
	}
}

/* An RX wakeup (the driver asked for one, or busy polling drives NAPI from here). */
static void wake_rx(struct ctx *c, struct sock *s)
{
	if (c->opt->busy_poll || (c->need_wakeup && xsk_ring_prod__needs_wakeup(&c->fq))) {
		bump(&s->app[APP_FILL_FAIL], 1);
		recvfrom(s->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	}
}

/* Put n frame addresses on the fill ring; it holds every frame, so this only waits when the
 * kernel has not yet published its consumer index. False if the run stops first. */
static bool fill_put(struct ctx *c, struct sock *s, const __u64 *addrs, __u32 n)
{
	__u32 idx;

	while (xsk_ring_prod__reserve(&c->fq, n, &idx) != n) {
		bump(&s->app[APP_FILL_FAIL], 1);
		wake_rx(c, s);
		if (stopping(c))
			return false;
	}
	for (__u32 i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&c->fq, idx + i) = addrs[i];
	xsk_ring_prod__submit(&c->fq, n);
	c->fr.in_fill += n;
	return true;
}

static void free_put(struct ctx *c, const __u64 *addrs, __u32 n)
{
	for (__u32 i = 0; i < n; i++)
		c->fr.free[c->fr.nfree++] = addrs[i];
}

/* Completed TX frames go back to the fill ring (l2fwd) or the free list (txonly). */
static void reap_tx(struct ctx *c, struct sock *s, bool to_fill)
{
	__u64 addrs[MAX_BATCH];
	__u32 idx, n, heads = 0;

	if (!c->fr.in_tx)
		return;
	n = xsk_ring_cons__peek(&c->cq, MAX_BATCH, &idx);
	if (!n)
		return;
	for (__u32 i = 0; i < n; i++) {
		__u64 a = frame_base(c, *xsk_ring_cons__comp_addr(&c->cq, idx + i));

		/* txonly keeps slot heads only: the slot's other buffers come back with it */
		if (to_fill || c->tx_bufs <= 1 || (a / c->opt->frame_size) % c->tx_bufs == 0)
			addrs[heads++] = a;
	}
	xsk_ring_cons__release(&c->cq, n);
	c->fr.in_tx -= n;
	if (!to_fill || !fill_put(c, s, addrs, heads))
		free_put(c, addrs, heads);
}

/* Received buffers: pkts packets (buffers without XDP_PKT_CONTD) in n buffers of bytes. */
static void count_rx(struct sock *s, __u64 pkts, __u32 n, __u64 bytes)
{
	bump(&s->rx_pkts, pkts);
	bump(&s->rx_bufs, n);
	bump(&s->rx_bytes, bytes);
}

static void rxdrop(struct ctx *c, struct sock *s)
{
	__u32 batch = c->opt->batch, idx, n;
	__u64 addrs[MAX_BATCH], pkts = 0, bytes = 0;

	n = xsk_ring_cons__peek(&s->rx, batch, &idx);
	if (!n) {
		bump(&s->app[APP_RX_EMPTY], 1);
		wake_rx(c, s);
		idle_wait(c, s);
		return;
	}
	for (__u32 i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&s->rx, idx + i);

		if (c->opt->read)
			touch(c, d->addr, d->len);
		addrs[i] = frame_base(c, d->addr);
		bytes += d->len;
		pkts += !(d->options & XDP_PKT_CONTD);
	}
	xsk_ring_cons__release(&s->rx, n);
	c->fr.in_fill -= n;
	count_rx(s, pkts, n, bytes);
	if (!fill_put(c, s, addrs, n))
		free_put(c, addrs, n);
}

static void l2fwd(struct ctx *c, struct sock *s)
{
	__u32 batch = c->opt->batch, idx_rx, idx_tx, n;
	__u64 pkts = 0, bytes = 0;

	reap_tx(c, s, true);
	n = xsk_ring_cons__peek(&s->rx, batch, &idx_rx);
	if (!n) {
		bump(&s->app[APP_RX_EMPTY], 1);
		wake_rx(c, s);
		if (c->fr.in_tx)
			kick_tx(c, s);
		idle_wait(c, s);
		return;
	}
	while (xsk_ring_prod__reserve(&s->tx, n, &idx_tx) != n) {
		kick_tx(c, s);
		reap_tx(c, s, true);
		if (stopping(c)) {
			xsk_ring_cons__cancel(&s->rx, n);	/* drained at exit */
			return;
		}
	}
	for (__u32 i = 0; i < n; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&s->rx, idx_rx + i);
		struct xdp_desc *t = xsk_ring_prod__tx_desc(&s->tx, idx_tx + i);

		if (c->opt->read)
			touch(c, d->addr, d->len);
		if (!s->in_pkt)		/* the first buffer of a packet has the headers */
			swap_mac(c, d->addr);
		s->in_pkt = d->options & XDP_PKT_CONTD;
		t->addr = d->addr;
		t->len = d->len;
		t->options = d->options & XDP_PKT_CONTD;
		bytes += d->len;
		pkts += !s->in_pkt;
	}
	xsk_ring_prod__submit(&s->tx, n);
	xsk_ring_cons__release(&s->rx, n);
	c->fr.in_fill -= n;
	c->fr.in_tx += n;
	count_rx(s, pkts, n, bytes);
	bump(&s->tx_pkts, pkts);
	kick_tx(c, s);
}

static void txonly(struct ctx *c, struct sock *s)
{
	__u64 left = c->opt->tx_count ? c->opt->tx_count - c->tx_sent : ~0ULL;
	__u32 n = c->opt->batch, k = c->tx_bufs, idx;

	reap_tx(c, s, false);
	if (n * k > c->opt->ring_size)
		n = c->opt->ring_size / k;
	if (n > c->fr.nfree)
		n = c->fr.nfree;
	if (n > left)
		n = (__u32)left;
	if (n && xsk_ring_prod__reserve(&s->tx, n * k, &idx) == n * k) {
		for (__u32 i = 0; i < n; i++) {
			__u64 head = c->fr.free[--c->fr.nfree];

			for (__u32 j = 0; j < k; j++) {
				struct xdp_desc *t = xsk_ring_prod__tx_desc(&s->tx, idx + i * k + j);

				t->addr = head + (__u64)j * c->opt->frame_size;
				t->len = tx_part_len(c, j);
				t->options = j + 1 < k ? XDP_PKT_CONTD : 0;
			}
		}
		xsk_ring_prod__submit(&s->tx, n * k);
		c->fr.in_tx += n * k;
		c->tx_sent += n;
		bump(&s->tx_pkts, n);
	}
	if (c->fr.in_tx)
		kick_tx(c, s);
}

/* -T: sleep until the next cycle starts (absolute deadlines, so lateness never accumulates)
 * and record the period since the last start and how late this one is. */
static void cycle_wait(struct ctx *c)
{
	__u64 cycle = (__u64)c->opt->tx_cycle * 1000, now, d;

	if (c->cyc.next) {
		struct timespec ts = { .tv_sec = (time_t)(c->cyc.next / 1000000000ULL),
				       .tv_nsec = (long)(c->cyc.next % 1000000000ULL) };

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	now = now_ns();
	if (!c->cyc.next)
		c->cyc.next = now;
	if (now - c->cyc.next > c->cyc.late_max)
		c->cyc.late_max = now - c->cyc.next;
	if (c->cyc.prev) {
		d = now - c->cyc.prev;
		if (!c->cyc.min || d < c->cyc.min)
			c->cyc.min = d;
		if (d > c->cyc.max)
			c->cyc.max = d;
		c->cyc.sum += d;
	}
	c->cyc.n++;
	c->cyc.prev = now;
	c->cyc.next += cycle;
}

static bool tx_all_sent(const struct ctx *c)
{
	return c->opt->tx_count && c->tx_sent >= c->opt->tx_count;
}

static bool tx_finished(const struct ctx *c)
{
	return c->opt->bench == BENCH_TXONLY && tx_all_sent(c) && !c->fr.in_tx;
}

/* ---------------------------------------------------------------- placement */

/* Packets the program steered into our sockets on each CPU, from one reading. */
static __u64 steered(const struct ctx *c, const struct xsk_prog_rec *rec)
{
	__u64 n = 0;

	for (int i = 0; i < c->n; i++)
		n += rec->redirect[i];
	return n;
}

/* Pin the calling thread to cpu; 0 or -errno. */
static int pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/*
 * The data thread, every WATCH_NS: where did the queue's packets go through XDP since the last
 * look? Those on the thread's own CPU count as shared. With moves allowed, a thread on the CPU
 * that ran most of them (two looks running, WATCH_MIN packets at least) moves to the allowed
 * CPU that ran fewest, if that ran at most half as many: the thread and the queue's receive
 * work then no longer take turns on one CPU.
 */
static void place_watch(struct ctx *c)
{
	struct place *p = &c->pl;
	__u64 now = now_ns(), total = 0, mine, best_n = ~0ULL;
	struct xsk_prog_rec sum;
	int cpu, best = -1;
	__u32 zero = 0;

	if (p->map_fd < 0 || now < p->next_ns)
		return;
	p->next_ns = now + WATCH_NS;
	if (PERCPU_READ(p->map_fd, &zero, p->ncpus, p->recs, &sum)) {
		p->map_fd = -1;		/* cannot read: stop looking */
		return;
	}
	cpu = __atomic_load_n(&p->cpu, __ATOMIC_RELAXED);
	if (cpu < 0)
		cpu = sched_getcpu();
	for (int k = 0; k < p->ncpus; k++) {
		__u64 n = steered(c, &p->recs[k]), d = n - p->last[k];

		p->last[k] = n;
		p->delta[k] = d;
		total += d;
	}
	if (!p->primed) {
		p->primed = true;
		return;
	}
	mine = cpu >= 0 && cpu < p->ncpus ? p->delta[cpu] : 0;
	bump(&p->shared, mine);
	if (!p->moves_ok || total < WATCH_MIN || mine * 2 <= total) {
		p->streak = 0;
		return;
	}
	for (int k = 0; k < p->ncpus; k++) {
		if (k != cpu && p->allowed[k] && p->delta[k] < best_n) {
			best = k;
			best_n = p->delta[k];
		}
	}
	if (best < 0 || best_n * 2 > mine || ++p->streak < 2 || now - p->moved_ns < MOVE_GAP_NS)
		return;
	if (pin_self(best)) {
		p->moves_ok = false;	/* the affinity changed under us: stay */
		return;
	}
	__atomic_store_n(&p->cpu, best, __ATOMIC_RELAXED);
	bump(&p->moves, 1);
	p->moved_ns = now;
	p->streak = 0;
}

static void *data_thread(void *arg)
{
	struct ctx *c = arg;
	struct pollfd pfd[XSK_MAX_SOCKS];
	short ev = c->opt->bench == BENCH_TXONLY ? POLLOUT : POLLIN;
	__u64 one = 1;
	__u32 loops = 0;

	for (int i = 0; i < c->n; i++)
		pfd[i] = (struct pollfd){ .fd = c->s[i].fd, .events = ev };
	while (!stopping(c)) {
		if ((++loops & 63) == 0 || c->opt->poll)
			place_watch(c);
		if (c->opt->tx_cycle && !tx_all_sent(c))
			cycle_wait(c);
		if (c->opt->poll) {
			bump(&c->s[0].app[APP_POLLS], 1);
			if (poll(pfd, (nfds_t)c->n, POLL_MS) <= 0)
				continue;
		}
		for (int i = 0; i < c->n; i++) {
			if (c->opt->bench == BENCH_RXDROP)
				rxdrop(c, &c->s[i]);
			else if (c->opt->bench == BENCH_L2FWD)
				l2fwd(c, &c->s[i]);
			else
				txonly(c, &c->s[i]);
		}
		if (tx_finished(c)) {
			if (write(c->done_fd, &one, sizeof(one)) < 0)
				break;
			break;
		}
	}
	return NULL;
}

/*
 * --cpu auto: a CPU this process may run on, away from the queue's interrupt when it is known.
 * Each allowed CPU scores: not one of the interrupt's CPUs 4, not a hyperthread sibling of one
 * 2, on the device's NUMA node 1; the best wins, the highest-numbered among equals (the low
 * CPUs take what nothing places elsewhere: unbound interrupts, timers, an unpinned sender).
 */
static int place_choose(struct ctx *c, bool *scratch)
{
	const struct place *p = &c->pl;
	bool *sib = scratch, *node = scratch + p->ncpus, *tmp = scratch + 2 * p->ncpus;
	int best = -1, best_score = -1, nd = -1;
	char path[96];
	FILE *f;

	for (int k = 0; k < p->ncpus; k++) {
		if (!p->irq_cpus[k])
			continue;
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list",
			 k);
		if (cpulist_read("", path, tmp, p->ncpus))
			continue;
		for (int j = 0; j < p->ncpus; j++)
			sib[j] = sib[j] || tmp[j];
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/device/numa_node", c->opt->dev.name);
	f = fopen(path, "re");
	if (f) {
		if (fscanf(f, "%d", &nd) != 1)
			nd = -1;
		fclose(f);
	}
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", nd);
	if (nd >= 0 && cpulist_read("", path, node, p->ncpus))
		memset(node, 0, (size_t)p->ncpus);
	for (int k = 0; k < p->ncpus; k++) {
		int score = (p->irq_cpus[k] ? 0 : 4) + (sib[k] ? 0 : 2) + (node[k] ? 1 : 0);

		if (p->allowed[k] && score >= best_score) {
			best = k;
			best_score = score;
		}
	}
	return best;
}

/* The placement before the data thread starts: the CPUs allowed, the queue's interrupt, the
 * thread's CPU. */
static int place_init(struct ctx *c)
{
	const struct xsk_opts *o = c->opt;
	struct place *p = &c->pl;
	int n = ncpus_possible();
	bool *scratch;
	int err;

	p->cpu = -1;
	p->map_fd = -1;
	if (n <= 0)
		return report(n, EXIT_FAIL, "count possible CPUs");
	p->ncpus = n;
	p->allowed = calloc((size_t)n, sizeof(bool));
	p->irq_cpus = calloc((size_t)n, sizeof(bool));
	p->recs = calloc((size_t)n, sizeof(*p->recs));
	p->last = calloc((size_t)n, sizeof(__u64));
	p->delta = calloc((size_t)n, sizeof(__u64));
	scratch = calloc(3 * (size_t)n, sizeof(bool));
	if (!p->allowed || !p->irq_cpus || !p->recs || !p->last || !p->delta || !scratch) {
		free(scratch);
		return report(-ENOMEM, EXIT_FAIL_MEM, "allocate the placement state");
	}
	err = cpus_allowed(p->allowed, n);
	if (err < 0) {
		free(scratch);
		return report(err, EXIT_FAIL, "read the CPUs this process may run on");
	}
	err = queue_irq_cpus("", o->dev.name, o->queue, p->irq_cpus, n, &p->qi);
	if (err < 0) {
		memset(p->irq_cpus, 0, (size_t)n);
		p->qi.irq = -1;
		p->qi.why = "sysfs or procfs could not be read";
	}
	p->nirq_cpus = err > 0 ? err : 0;
	if (o->policy == PLACE_CPU)
		p->cpu = o->pin;
	else if (o->policy == PLACE_AUTO)
		p->cpu = place_choose(c, scratch);
	free(scratch);
	return 0;
}

static void place_free(struct place *p)
{
	free(p->allowed);
	free(p->irq_cpus);
	free(p->recs);
	free(p->last);
	free(p->delta);
}

/* ---------------------------------------------------------------- sockets and UMEM */

static void sockets_destroy(struct ctx *c)
{
	for (int i = 0; i < c->n; i++) {
		xsk_socket__delete(c->s[i].xsk);
		memset(&c->s[i], 0, sizeof(c->s[i]));
	}
	c->n = 0;
	if (c->umem)
		xsk_umem__delete(c->umem);
	c->umem = NULL;
}

static int busy_poll_set(int fd, __u32 batch)
{
	int one = 1, usecs = 20, budget = (int)batch;

	if (setsockopt(fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &usecs, sizeof(usecs)) ||
	    setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget)))
		return -errno;
	return 0;
}

static int sockets_create(struct ctx *c, __u32 bind_flags)
{
	const struct xsk_opts *o = c->opt;
	struct xsk_umem_config ucfg = {
		.fill_size = c->fill_size,
		.comp_size = o->ring_size,
		.frame_size = o->frame_size,
		.flags = o->unaligned ? XDP_UMEM_UNALIGNED_CHUNK_FLAG : 0,
	};
	bool rx = o->bench != BENCH_TXONLY, tx = o->bench != BENCH_RXDROP;
	int err;

	err = xsk_umem__create(&c->umem, c->area, c->area_len, &c->fq, &c->cq, &ucfg);
	if (err) {
		c->umem = NULL;
		return err;
	}
	for (__u32 i = 0; i < o->nsocks; i++) {
		struct xsk_socket_config scfg = {
			.rx_size = rx ? o->ring_size : 0,
			.tx_size = tx ? o->ring_size : 0,
			.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
			.bind_flags = (__u16)bind_flags,
		};
		struct sock *s = &c->s[i];

		err = xsk_socket__create_shared(&s->xsk, o->dev.name, o->queue, c->umem,
						rx ? &s->rx : NULL, tx ? &s->tx : NULL, &c->fq,
						&c->cq, &scfg);
		if (err)
			return err;
		c->n++;
		s->fd = xsk_socket__fd(s->xsk);
	}
	return 0;
}

static bool sock_zerocopy(int fd)
{
	struct xdp_options xo = {};
	socklen_t len = sizeof(xo);

	return !getsockopt(fd, SOL_XDP, XDP_OPTIONS, &xo, &len) && (xo.flags & XDP_OPTIONS_ZEROCOPY);
}

/* The kernel releases a closed socket's buffer pool from a workqueue: right after another
 * run, the queue can be busy for a moment. Retry EBUSY for up to a second. */
static int sockets_create_retry(struct ctx *c, __u32 bind_flags)
{
	int err = -EBUSY;

	for (int i = 0; i < 100 && err == -EBUSY; i++) {
		if (i)
			usleep(10000);
		err = sockets_create(c, bind_flags);
		if (err)
			sockets_destroy(c);
	}
	return err;
}

/* Copy mode sends at most 32 frames per sendto() unless the kernel (6.17+) lets us raise it
 * to the batch size: one syscall per batch. Older kernels keep 32 (no error). */
static void tx_budget_set(struct ctx *c)
{
	int budget = (int)(c->opt->batch > 32 ? c->opt->batch : 32);

	if (c->zerocopy || c->opt->bench == BENCH_RXDROP || budget > (int)c->opt->ring_size)
		return;
	for (int i = 0; i < c->n; i++)
		if (setsockopt(c->s[i].fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof(budget)))
			return;
	c->tx_budget = (__u32)budget;
}

/* The UMEM's pages are locked: charged to RLIMIT_MEMLOCK unless the process has
 * CAP_IPC_LOCK (the kernel answers ENOBUFS when the limit is too low). */
static int memlock_report(size_t bytes)
{
	struct rlimit rl = {};
	char need[32], have[32];

	getrlimit(RLIMIT_MEMLOCK, &rl);
	fmt_u64(need, (bytes + 1023) / 1024, true);
	if (rl.rlim_cur == RLIM_INFINITY)
		snprintf(have, sizeof(have), "unlimited");
	else
		snprintf(have + strlen(fmt_u64(have, rl.rlim_cur / 1024, true)), 8, " KiB");
	return report(0, EXIT_FAIL_PRIV, "missing privileges: the UMEM (%s KiB) needs CAP_IPC_LOCK "
		      "or a memlock limit of at least %s KiB (ulimit -l; it is %s, and the user's "
		      "other locked memory counts too)", need, need, have);
}

static int memlock_check(size_t bytes)
{
	struct rlimit rl;

	if (cap_effective(CAP_IPC_LOCK) || getrlimit(RLIMIT_MEMLOCK, &rl) ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= bytes)
		return 0;
	return memlock_report(bytes);
}

/* Sockets with zero-copy, copy, or zero-copy falling back to copy (with a notice). */
static int xsk_open(struct ctx *c)
{
	const struct xsk_opts *o = c->opt;
	__u32 wake = (o->no_wakeup ? 0 : XDP_USE_NEED_WAKEUP) | (o->frags ? XDP_USE_SG : 0);
	bool try_zc = !o->copy && o->xdp.mode != XDP_MODE_SKB;
	int err;

	err = sockets_create_retry(c, (try_zc ? XDP_ZEROCOPY : XDP_COPY) | wake);
	/* only a refusal of zero-copy itself falls back; a missing privilege or memlock limit
	 * would fail the same in copy mode */
	if ((err == -EOPNOTSUPP || err == -EINVAL) && try_zc && !o->zero_copy) {
		fprintf(stderr, "xdpsock: zero-copy refused on %s queue %u (%s); using copy mode\n",
			o->dev.name, o->queue, strerror(-err));
		err = sockets_create_retry(c, XDP_COPY | wake);
	}
	if (err == -EPERM || err == -EACCES)
		return report(0, EXIT_FAIL_PRIV, "missing privileges: need CAP_NET_RAW for an "
			      "AF_XDP socket (run as root)");
	if (err == -ENOBUFS)
		return memlock_report(c->area_len);
	if (err == -EBUSY)
		return report(0, EXIT_FAIL_XDP, "%s queue %u is busy: another AF_XDP socket is "
			      "bound to it", o->dev.name, o->queue);
	if (err == -EOPNOTSUPP && o->zero_copy)
		return report(0, EXIT_FAIL_OPTION, "%s does not support zero-copy (--zero-copy)",
			      o->dev.name);
	if (err)
		return report(err, EXIT_FAIL_XDP, "create AF_XDP socket on %s queue %u", o->dev.name,
			      o->queue);
	c->zerocopy = sock_zerocopy(c->s[0].fd);
	tx_budget_set(c);
	c->need_wakeup = !o->no_wakeup;
	c->bind_flags = (c->zerocopy ? XDP_ZEROCOPY : XDP_COPY) | wake;
	for (int i = 0; o->busy_poll && i < c->n; i++) {
		err = busy_poll_set(c->s[i].fd, o->batch);
		if (err)
			return report(err, EXIT_FAIL, "busy poll (--busy-poll) refused by the kernel");
	}
	return 0;
}

static int umem_alloc(struct ctx *c)
{
	const struct xsk_opts *o = c->opt;

	/* twice the frames: the kernel publishes its fill consumer index lazily, so a ring just
	 * big enough for every frame could refuse a refill for a while */
	c->fill_size = 2;
	while (c->fill_size < 2 * o->frames)
		c->fill_size <<= 1;
	c->area_len = (size_t)o->frames * o->frame_size;
	c->area = mmap(NULL, c->area_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	if (c->area == MAP_FAILED) {
		c->area = NULL;
		return -ENOMEM;
	}
	c->fr.free = calloc(o->frames, sizeof(__u64));
	return c->fr.free ? 0 : -ENOMEM;
}

/* Put the slots of the xskmap in place before the program is attached: no packet is steered
 * to an empty slot. */
static int steer(struct ctx *c, struct xdpsock_kern *skel)
{
	int map_fd = bpf_map__fd(skel->maps.xsks_map);

	for (int i = 0; i < c->n; i++) {
		__u32 key = (__u32)i;

		if (bpf_map_update_elem(map_fd, &key, &c->s[i].fd, BPF_ANY))
			return report(-errno, EXIT_FAIL_BPF, "insert socket %d into xsks_map", i);
	}
	return 0;
}

/* ---------------------------------------------------------------- the txonly frame */

/* Ethernet + IPv4 + UDP (9000 -> 9) of len bytes, payload filled with the 32-bit pattern,
 * IPv4 and UDP checksums computed. */
static int frame_build(__u8 *buf, const struct xsk_opts *o)
{
	struct frame_spec s = { .ttl = 64, .ip_id = 1, .sport = 9000, .dport = 9 };
	__u32 len = o->tx_size, pat = htonl(o->tx_pattern);
	int err, off;

	err = o->tx_smac ? mac_parse(o->tx_smac, s.src) : iface_mac(o->dev.name, s.src);
	if (err || mac_parse(o->tx_dmac, s.dst))
		return -EINVAL;
	if (frame_addrs(&s, o->tx_saddr, o->tx_daddr) || s.v6)
		return -EAFNOSUPPORT;
	off = frame_udp(buf, len, &s);
	if (off < 0)
		return off;
	for (__u32 i = (__u32)off; i < len; i++)
		buf[i] = ((const __u8 *)&pat)[(i - (__u32)off) % 4];
	frame_udp_csum(buf, len, &s);
	return 0;
}

/* Every frame starts on the fill ring (rxdrop, l2fwd) or in the free list with the txonly
 * frame written into it (txonly: nothing is written per packet afterwards). */
static int frames_init(struct ctx *c)
{
	const struct xsk_opts *o = c->opt;
	__u8 tmpl[TX_SIZE_MAX];
	__u32 idx = 0;	/* xsk_ring_prod__reserve() sets it; gcc cannot tell */
	int err;

	if (o->bench == BENCH_TXONLY) {
		err = frame_build(tmpl, o);	/* validated by opts_finish() */
		if (err)
			return report(err, EXIT_FAIL, "build the txonly frame");
		c->frame_len = o->tx_size;
		c->tx_bufs = (o->tx_size + o->frame_size - 1) / o->frame_size;
		/* frame i holds part i % tx_bufs of the frame; whole slots only */
		for (__u32 i = 0; i + c->tx_bufs <= o->frames; i += c->tx_bufs) {
			for (__u32 j = 0; j < c->tx_bufs; j++)
				memcpy((__u8 *)c->area + (__u64)(i + j) * o->frame_size,
				       tmpl + j * o->frame_size, tx_part_len(c, j));
			c->fr.free[c->fr.nfree++] = (__u64)i * o->frame_size;
		}
		return 0;
	}
	if (xsk_ring_prod__reserve(&c->fq, o->frames, &idx) != o->frames)
		return report(-ENOSPC, EXIT_FAIL, "fill ring");
	for (__u32 i = 0; i < o->frames; i++)
		*xsk_ring_prod__fill_addr(&c->fq, idx + i) = (__u64)i * o->frame_size;
	xsk_ring_prod__submit(&c->fq, o->frames);
	c->fr.in_fill = o->frames;
	return 0;
}

/* ---------------------------------------------------------------- statistics */

/* ---------------------------------------------------------------- -I: interrupts */

/* The interrupts -I matches and what /proc/interrupts counts for them, per CPU column. */
struct irq_sel {
	unsigned int num[IRQ_MAX];
	int n;
	int cpu[IRQ_CPUS];	/* column -> CPU number (offline CPUs have no column) */
	int ncols;
};

/*
 * Read /proc/interrupts: the numbered lines whose name part (after the counts) contains match.
 * With sel->n == 0 the matching interrupts are recorded in sel (and the columns learnt);
 * per_cpu (ncols entries) gets the sums. 0, or -errno (-ENOENT: nothing matched).
 */
static int irq_read(const char *match, struct irq_sel *sel, __u64 *per_cpu)
{
	FILE *f = fopen("/proc/interrupts", "re");
	bool learn = sel->n == 0;
	char *line = NULL, *p, *end;
	size_t cap = 0;
	int found = 0;

	if (!f)
		return -errno;
	if (getline(&line, &cap, f) > 0 && learn) {
		sel->ncols = 0;
		for (p = line; (p = strstr(p, "CPU")) && sel->ncols < IRQ_CPUS; p += 3)
			sel->cpu[sel->ncols++] = atoi(p + 3);
	}
	if (per_cpu)
		memset(per_cpu, 0, sizeof(__u64) * (size_t)sel->ncols);
	while (getline(&line, &cap, f) > 0) {
		unsigned long num = strtoul(line, &end, 10);
		__u64 cnt[IRQ_CPUS];
		int col;

		if (end == line || *end != ':')
			continue;	/* NMI, LOC, ...: not numbered interrupts */
		p = end + 1;
		for (col = 0; col < sel->ncols; col++) {
			cnt[col] = strtoull(p, &end, 10);
			if (end == p)
				break;
			p = end;
		}
		if (col < sel->ncols || !strstr(p, match))
			continue;
		if (learn) {
			if (sel->n == IRQ_MAX)
				continue;
			sel->num[sel->n++] = (unsigned int)num;
		} else {
			bool ours = false;

			for (int i = 0; i < sel->n; i++)
				ours |= sel->num[i] == num;
			if (!ours)
				continue;	/* appeared after the start */
		}
		found++;
		for (col = 0; per_cpu && col < sel->ncols; col++)
			per_cpu[col] += cnt[col];
	}
	free(line);
	fclose(f);
	return found ? 0 : -ENOENT;
}

struct sock_snap {
	__u64 rx, tx, rx_bufs, rx_bytes, app[APP_N], xs[XS_N];
};

/* A snapshot (the sampling driver's; it keeps the time). */
struct snap {
	struct sock_snap s[XSK_MAX_SOCKS];
	struct sock_snap total;
	__u64 irq[IRQ_CPUS];	/* -I: per CPU column */
	__u64 irq_total;
	int cpu;		/* the data thread's CPU, -1: not pinned */
	__u64 moves, shared;	/* struct place's */
	__u64 xdp_cpu[];	/* per possible CPU: packets the program steered to us there */
};

/* Where every UMEM frame is at exit. */
struct acct {
	__u64 frames, fill_ring, free, tx_pending, held, kernel;
	long long lost;		/* frames - the rest: < 0 means a frame is counted twice */
};

struct run {
	struct ctx *c;
	FILE *out;			/* stdout, through struct out */
	struct sampler *smp;
	const struct snap *first;	/* the first reading (counts since the start) */
	struct xdpsock_kern *skel;
	struct irq_sel irq;
	struct acct acct;		/* the UMEM's books at exit */
	size_t snap_size;		/* struct snap and its xdp_cpu[] */
	struct xsk_prog_rec *recs;	/* collect(): one reading of the program's records */
};

static void xdp_stats(int fd, __u64 *xs)
{
	struct xdp_statistics st = {};
	socklen_t len = sizeof(st);

	if (getsockopt(fd, SOL_XDP, XDP_STATISTICS, &st, &len))
		return;
	xs[XS_RX_DROPPED] = st.rx_dropped;
	xs[XS_RX_INVALID] = st.rx_invalid_descs;
	xs[XS_TX_INVALID] = st.tx_invalid_descs;
	xs[XS_RX_FULL] = st.rx_ring_full;
	xs[XS_FILL_EMPTY] = st.rx_fill_ring_empty_descs;
	xs[XS_TX_EMPTY] = st.tx_ring_empty_descs;
}

static int collect(void *ctx, void *snap, __u64 *t)
{
	struct run *r = ctx;
	const struct ctx *c = r->c;
	struct snap *sn = snap;

	(void)t;
	memset(sn, 0, r->snap_size);
	sn->cpu = __atomic_load_n(&c->pl.cpu, __ATOMIC_RELAXED);
	sn->moves = rd(&c->pl.moves);
	sn->shared = rd(&c->pl.shared);
	if (c->has_prog) {
		struct xsk_prog_rec sum;
		__u32 zero = 0;

		if (!PERCPU_READ(bpf_map__fd(r->skel->maps.xsk_stats), &zero, c->pl.ncpus, r->recs,
				 &sum))
			for (int k = 0; k < c->pl.ncpus; k++)
				sn->xdp_cpu[k] = steered(c, &r->recs[k]);
	}
	if (c->opt->irq && !irq_read(c->opt->irq, &r->irq, sn->irq))
		for (int k = 0; k < r->irq.ncols; k++)
			sn->irq_total += sn->irq[k];
	for (int i = 0; i < c->n; i++) {
		struct sock_snap *p = &sn->s[i];

		p->rx = rd(&c->s[i].rx_pkts);
		p->tx = rd(&c->s[i].tx_pkts);
		p->rx_bufs = rd(&c->s[i].rx_bufs);
		p->rx_bytes = rd(&c->s[i].rx_bytes);
		for (int k = 0; k < APP_N; k++)
			p->app[k] = rd(&c->s[i].app[k]);
		xdp_stats(c->s[i].fd, p->xs);
		sn->total.rx += p->rx;
		sn->total.tx += p->tx;
		sn->total.rx_bufs += p->rx_bufs;
		sn->total.rx_bytes += p->rx_bytes;
		for (int k = 0; k < APP_N; k++)
			sn->total.app[k] += p->app[k];
		for (int k = 0; k < XS_N; k++)
			sn->total.xs[k] += p->xs[k];
		/* the sockets share the UMEM's one fill ring (one buffer pool): each reports
		 * the same count of it found empty */
		sn->total.xs[XS_FILL_EMPTY] = p->xs[XS_FILL_EMPTY];
	}
	return 0;
}

static void print_counter_rows(FILE *out, const char *const *names, int n, const __u64 *now,
			       const __u64 *then, __u64 dt, bool sep)
{
	char a[32], b[32];

	for (int k = 0; k < n; k++)
		fprintf(out, "  %-20s %14s %16s\n", names[k], fmt_rate(a, rate_per_sec(now[k], then[k], dt), sep),
		       fmt_u64(b, now[k], sep));
}

static void print_sock_row(FILE *out, const char *label, const struct sock_snap *now,
			   const struct sock_snap *then, __u64 dt, bool sep)
{
	char a[32], b[32], d[32], e[32];

	fprintf(out, "%-8s %14s %16s %14s %16s\n", label,
	       fmt_rate(a, rate_per_sec(now->rx, then->rx, dt), sep), fmt_u64(b, now->rx, sep),
	       fmt_rate(d, rate_per_sec(now->tx, then->tx, dt), sep), fmt_u64(e, now->tx, sep));
}

/* -I: interrupts per second and since the start, in total and on each CPU that took any. */
static void print_irq_rows(const struct run *r, const struct snap *now, const struct snap *then,
			   __u64 dt, bool sep)
{
	char a[32], b[32], label[16];

	fprintf(r->out, "%-8s %14s %16s   interrupts matching '%s' (%d)\n", "irqs", "(1/s)", "(count)",
	       r->c->opt->irq, r->irq.n);
	fprintf(r->out, "%-8s %14s %16s\n", "total",
	       fmt_rate(a, rate_per_sec(now->irq_total, then->irq_total, dt), sep),
	       fmt_u64(b, now->irq_total - r->first->irq_total, sep));
	for (int k = 0; k < r->irq.ncols; k++) {
		if (now->irq[k] == r->first->irq[k])
			continue;
		snprintf(label, sizeof(label), "cpu%d", r->irq.cpu[k]);
		fprintf(r->out, "%-8s %14s %16s\n", label,
		       fmt_rate(a, rate_per_sec(now->irq[k], then->irq[k], dt), sep),
		       fmt_u64(b, now->irq[k] - r->first->irq[k], sep));
	}
}

/* "thread   CPU 1 (moved 1 time); the queue's XDP on CPU 0 1,234,567 pkt/s": where the data
 * thread runs, and where the program steered the queue's packets during the period. */
static void print_placement(const struct run *r, const struct snap *now, const struct snap *then,
			    __u64 dt, bool sep)
{
	const struct ctx *c = r->c;
	bool any = false;
	char a[32];

	if (now->cpu >= 0)
		fprintf(r->out, "%-8s CPU %d", "thread", now->cpu);
	else
		fprintf(r->out, "%-8s not pinned", "thread");
	if (now->moves)
		fprintf(r->out, " (moved %llu time%s)", (unsigned long long)now->moves,
			now->moves == 1 ? "" : "s");
	if (c->has_prog) {
		fprintf(r->out, "; the queue's XDP on");
		for (int k = 0; k < c->pl.ncpus; k++) {
			if (now->xdp_cpu[k] <= then->xdp_cpu[k])
				continue;
			fprintf(r->out, "%s CPU %d %s pkt/s", any ? "," : "", k,
				fmt_rate(a, rate_per_sec(now->xdp_cpu[k], then->xdp_cpu[k], dt), sep));
			any = true;
		}
		if (!any)
			fprintf(r->out, " no CPU");
	}
	fputc('\n', r->out);
}

static void print_table(const struct run *r, const struct snap *now, const struct snap *then,
			__u64 dt)
{
	const struct xsk_opts *o = r->c->opt;
	bool sep = !o->run.no_sep;
	char label[16];

	fprintf(r->out, "\nPeriod %.3f s  %s %s:%u\n", (double)dt / 1e9, bench_names[o->bench], o->dev.name,
	       o->queue);
	fprintf(r->out, "%-8s %14s %16s %14s %16s\n", "sock", "rx (pkt/s)", "rx (pkts)", "tx (pkt/s)",
	       "tx (pkts)");
	for (int i = 0; i < r->c->n; i++) {
		snprintf(label, sizeof(label), "%d", i);
		print_sock_row(r->out, label, &now->s[i], &then->s[i], dt, sep);
	}
	if (r->c->n > 1)
		print_sock_row(r->out, "total", &now->total, &then->total, dt, sep);
	print_placement(r, now, then, dt, sep);
	if (o->irq)
		print_irq_rows(r, now, then, dt, sep);
	for (int i = 0; i < r->c->n && (o->extra || o->app); i++) {
		fprintf(r->out, "sock %d %-15s %14s %16s\n", i, o->extra ? "XDP_STATISTICS" : "app",
		       "(1/s)", "(count)");
		if (o->extra)
			print_counter_rows(r->out, xstat_names, XS_N, now->s[i].xs, then->s[i].xs,
					   dt, sep);
		if (o->app)
			print_counter_rows(r->out, app_names, APP_N, now->s[i].app, then->s[i].app,
					   dt, sep);
	}
	fflush(r->out);
}

static void json_sock(struct jw *w, const struct sock_snap *now, const struct sock_snap *then,
		      __u64 dt)
{
	jw_u64(w, "rx", now->rx);
	jw_u64(w, "tx", now->tx);
	jw_u64(w, "rx_bufs", now->rx_bufs);
	jw_u64(w, "rx_bytes", now->rx_bytes);
	jw_double(w, "rx_pps", rate_per_sec(now->rx, then->rx, dt));
	jw_double(w, "tx_pps", rate_per_sec(now->tx, then->tx, dt));
	jw_obj(w, "xdp_stats");
	for (int k = 0; k < XS_N; k++)
		jw_u64(w, xstat_names[k], now->xs[k]);
	jw_obj_end(w);
	jw_obj(w, "app_stats");
	for (int k = 0; k < APP_N; k++)
		jw_u64(w, app_names[k], now->app[k]);
	jw_obj_end(w);
}

static void json_socks(struct jw *w, const struct run *r, const struct snap *now,
		       const struct snap *then, __u64 dt)
{
	jw_obj(w, "total");
	json_sock(w, &now->total, &then->total, dt);
	jw_obj_end(w);
	jw_arr(w, "sockets");
	for (int i = 0; i < r->c->n; i++) {
		jw_obj(w, NULL);
		jw_i64(w, "sock", i);
		json_sock(w, &now->s[i], &then->s[i], dt);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* The XDP program's counters, summed over CPUs (zero when unreadable: txonly loads no program). */
static struct xsk_prog_rec prog_read(const struct run *r)
{
	struct xsk_prog_rec prog = {};
	__u32 zero = 0;

	if (PERCPU_SUM(bpf_map__fd(r->skel->maps.xsk_stats), &zero, ncpus_possible(), &prog))
		memset(&prog, 0, sizeof(prog));
	return prog;
}

/* The XDP program's counters: other_queue, no_socket, redirect per slot. */
static void json_prog(struct jw *w, const struct run *r)
{
	struct xsk_prog_rec prog = prog_read(r);

	jw_obj(w, "prog");
	jw_u64(w, "other_queue", prog.other_queue);
	jw_u64(w, "no_socket", prog.no_socket);
	jw_arr(w, "redirect");
	for (int i = 0; i < r->c->n; i++)
		jw_u64(w, NULL, prog.redirect[i]);
	jw_arr_end(w);
	jw_obj_end(w);
}

/* -I: interrupts per packet (received + sent) since the start; 0 before the first packet. */
static double irq_per_pkt(const struct run *r, const struct snap *now)
{
	__u64 irqs = now->irq_total - r->first->irq_total;
	__u64 pkts = now->total.rx + now->total.tx - r->first->total.rx - r->first->total.tx;

	return pkts ? (double)irqs / (double)pkts : 0;
}

/* -I: counts since the start (then: the snapshot the rate is taken from). */
static void json_irq(struct jw *w, const struct run *r, const struct snap *now,
		     const struct snap *then, __u64 dt)
{
	if (!r->c->opt->irq)
		return;
	jw_obj(w, "irq");
	jw_str(w, "match", r->c->opt->irq);
	jw_arr(w, "irqs");
	for (int i = 0; i < r->irq.n; i++)
		jw_u64(w, NULL, r->irq.num[i]);
	jw_arr_end(w);
	jw_u64(w, "count", now->irq_total - r->first->irq_total);
	jw_double(w, "per_sec", rate_per_sec(now->irq_total, then->irq_total, dt));
	jw_double(w, "per_pkt", irq_per_pkt(r, now));
	jw_arr(w, "per_cpu");
	for (int k = 0; k < r->irq.ncols; k++) {
		jw_obj(w, NULL);
		jw_i64(w, "cpu", r->irq.cpu[k]);
		jw_u64(w, "count", now->irq[k] - r->first->irq[k]);
		jw_double(w, "per_sec", rate_per_sec(now->irq[k], then->irq[k], dt));
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

/* -T: the mean period (start to start) in microseconds; n starts make n - 1 periods. */
static double cycle_avg_us(const struct ctx *c)
{
	return c->cyc.n > 1 ? (double)c->cyc.sum / 1e3 / (double)(c->cyc.n - 1) : 0;
}

/* -T: the cycles, their periods (start to start) and the worst lateness, in microseconds. */
static void json_cycle(struct jw *w, const struct ctx *c)
{
	if (!c->opt->tx_cycle)
		return;
	jw_obj(w, "tx_cycle");
	jw_u64(w, "cycle_us", c->opt->tx_cycle);
	jw_u64(w, "cycles", c->cyc.n);
	jw_double(w, "span_us", (double)c->cyc.sum / 1e3);
	jw_double(w, "min_us", (double)c->cyc.min / 1e3);
	jw_double(w, "avg_us", cycle_avg_us(c));
	jw_double(w, "max_us", (double)c->cyc.max / 1e3);
	jw_double(w, "late_max_us", (double)c->cyc.late_max / 1e3);
	jw_obj_end(w);
}

/* Where the data thread is, how often it moved, and on which CPUs the program steered the
 * queue's packets (counts since the start; shared: those on the thread's own CPU). */
static void json_placement(struct jw *w, const struct run *r, const struct snap *now)
{
	jw_obj(w, "placement");
	jw_i64(w, "cpu", now->cpu);
	jw_u64(w, "moves", now->moves);
	jw_u64(w, "shared", now->shared);
	jw_arr(w, "xdp_cpus");
	for (int k = 0; k < r->c->pl.ncpus; k++) {
		if (!now->xdp_cpu[k])
			continue;
		jw_obj(w, NULL);
		jw_i64(w, "cpu", k);
		jw_u64(w, "redirected", now->xdp_cpu[k]);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

/* What an interval and the summary both hold: the sockets, the program, the interrupts of
 * now, their rates against then (dt before); the line stays open for the rest. */
static void json_head(struct jw *w, const struct run *r, const char *type, const struct snap *now,
		      const struct snap *then, __u64 dt)
{
	jw_begin(w, r->out);
	jw_str(w, "type", type);
	jw_u64(w, !strcmp(type, "summary") ? "duration_ns" : "period_ns", dt);
	json_socks(w, r, now, then, dt);
	json_prog(w, r);
	json_placement(w, r, now);
	json_irq(w, r, now, then, dt);
}

static void print_json(const struct run *r, const struct snap *now, const struct snap *then,
		       __u64 dt)
{
	struct jw w;

	json_head(&w, r, "interval", now, then, dt);
	jw_end(&w);
}

/* The interval: a table, or a JSON line (none with -Q). */
static void xsk_print(void *ctx, const void *now, const void *then, __u64 dt)
{
	const struct run *r = ctx;

	if (r->c->opt->quiet)
		return;
	if (r->c->opt->run.json)
		print_json(r, now, then, dt);
	else
		print_table(r, now, then, dt);
}

/* The data thread's eventfd: txonly -C sent its frames. */
static int xsk_done(void *ctx)
{
	(void)ctx;
	return 1;
}

/* ---------------------------------------------------------------- exit: drain and account */

static __u32 ring_used_prod(const struct xsk_ring_prod *r)
{
	return __atomic_load_n(r->producer, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE);
}

/* After the data thread stopped and the program is detached: take what is left in the RX
 * rings (counted as received), wait (bounded) for TX completions, then count where every
 * frame is. fill_ring comes from the ring indices the kernel maintains, not from our books. */
static void drain(struct ctx *c, struct acct *a)
{
	__u64 deadline = now_ns() + 1000000000ULL;
	__u64 addrs[MAX_BATCH];
	__u32 idx, n;

	for (int i = 0; i < c->n && c->opt->bench != BENCH_TXONLY; i++) {
		while ((n = xsk_ring_cons__peek(&c->s[i].rx, MAX_BATCH, &idx)) > 0) {
			__u64 pkts = 0, bytes = 0;

			for (__u32 k = 0; k < n; k++) {
				const struct xdp_desc *d = xsk_ring_cons__rx_desc(&c->s[i].rx,
										  idx + k);

				addrs[k] = frame_base(c, d->addr);
				pkts += !(d->options & XDP_PKT_CONTD);
				bytes += d->len;
			}
			xsk_ring_cons__release(&c->s[i].rx, n);
			free_put(c, addrs, n);
			c->fr.in_fill -= n;
			count_rx(&c->s[i], pkts, n, bytes);
		}
	}
	while (c->fr.in_tx && now_ns() < deadline) {
		for (int i = 0; i < c->n; i++)
			sendto(c->s[i].fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
		reap_tx(c, &c->s[0], false);
		if (c->fr.in_tx)
			usleep(1000);
	}
	a->frames = c->opt->frames;
	a->fill_ring = ring_used_prod(&c->fq);
	/* txonly: each slot head on the free list stands for a whole slot; frames beyond the
	 * last whole slot are never used */
	a->free = c->tx_bufs > 1 ? (__u64)c->fr.nfree * c->tx_bufs + c->opt->frames % c->tx_bufs
				 : c->fr.nfree;
	a->tx_pending = c->fr.in_tx;
	a->held = 0;	/* the data thread holds frames only inside one call */
	a->kernel = c->fr.in_fill > a->fill_ring ? c->fr.in_fill - a->fill_ring : 0;
	a->lost = (long long)a->frames -
		  (long long)(a->fill_ring + a->free + a->tx_pending + a->held);
}

/* Packets the kernel dropped before our RX rings (XDP_STATISTICS, every socket). */
static __u64 kernel_drops(const struct sock_snap *t)
{
	return t->xs[XS_RX_DROPPED] + t->xs[XS_RX_FULL] + t->xs[XS_RX_INVALID];
}

/* More than a tenth of the packets went through XDP on the data thread's own CPU. */
static bool shared_much(const struct ctx *c, const struct snap *last)
{
	__u64 all = 0;

	for (int k = 0; k < c->pl.ncpus; k++)
		all += last->xdp_cpu[k];
	return all && last->shared * 10 > all;
}

static void xsk_summary(void *ctx, const void *last_snap, const void *first_snap, __u64 dt,
			int signal)
{
	const struct run *r = ctx;
	const struct snap *last = last_snap, *first = first_snap;
	const struct acct *a = &r->acct;
	const struct xsk_opts *o = r->c->opt;
	struct xsk_prog_rec prog = prog_read(r);
	bool sep = !o->run.no_sep;
	char b1[32], b2[32], b3[32], b4[32], b5[32];
	struct jw w;

	if (o->run.json) {
		json_head(&w, r, "summary", last, first, dt);
		json_cycle(&w, r->c);
		jw_obj(&w, "umem");
		jw_u64(&w, "frames", a->frames);
		jw_u64(&w, "fill_ring", a->fill_ring);
		jw_u64(&w, "free", a->free);
		jw_u64(&w, "tx_pending", a->tx_pending);
		jw_u64(&w, "held", a->held);
		jw_u64(&w, "kernel", a->kernel);
		jw_i64(&w, "lost", a->lost);
		jw_bool(&w, "ok", a->lost == 0);
		jw_obj_end(&w);
		jw_obj(&w, "kernel_drops");
		jw_u64(&w, "total", kernel_drops(&last->total));
		jw_u64(&w, "rx_queue_full", last->total.xs[XS_RX_FULL]);
		jw_u64(&w, "rx_dropped", last->total.xs[XS_RX_DROPPED]);
		jw_u64(&w, "rx_invalid", last->total.xs[XS_RX_INVALID]);
		jw_u64(&w, "fill_ring_empty", last->total.xs[XS_FILL_EMPTY]);
		jw_obj_end(&w);
		jw_i64(&w, "signal", signal);
		jw_end(&w);
		return;
	}
	fprintf(r->out, "\nSummary: %.3f s, rx %s packets (%s pkt/s), tx %s packets (%s pkt/s)\n",
	       (double)dt / 1e9, fmt_u64(b1, last->total.rx, sep),
	       fmt_rate(b2, rate_per_sec(last->total.rx, first->total.rx, dt), sep),
	       fmt_u64(b3, last->total.tx, sep),
	       fmt_rate(b4, rate_per_sec(last->total.tx, first->total.tx, dt), sep));
	if (o->bench != BENCH_TXONLY)
		fprintf(r->out, "Dropped in the kernel: %s packets (rx_queue_full %s: RX ring full, "
			"the application fell behind; rx_dropped %s: no buffer on the fill ring, every "
			"frame waiting in an RX ring or too few --frames, or larger than a frame "
			"without --frags); fill ring found empty %s times\n",
			fmt_u64(b1, kernel_drops(&last->total), sep),
			fmt_u64(b2, last->total.xs[XS_RX_FULL], sep),
			fmt_u64(b3, last->total.xs[XS_RX_DROPPED], sep),
			fmt_u64(b4, last->total.xs[XS_FILL_EMPTY], sep));
	if (last->total.xs[XS_RX_INVALID] || last->total.xs[XS_TX_INVALID])
		fprintf(r->out, "Invalid descriptors: rx_invalid %s, tx_invalid %s\n",
			fmt_u64(b1, last->total.xs[XS_RX_INVALID], sep),
			fmt_u64(b2, last->total.xs[XS_TX_INVALID], sep));
	fprintf(r->out, "UMEM: %s frames = %s in fill ring + %s free + %s TX pending + %s held%s (%s)\n",
	       fmt_u64(b1, a->frames, sep), fmt_u64(b2, a->fill_ring, sep), fmt_u64(b3, a->free, sep),
	       fmt_u64(b4, a->tx_pending, sep), fmt_u64(b5, a->held, sep),
	       a->kernel ? " + held by the kernel" : "", a->lost ? "FRAMES MISSING" : "ok");
	if (o->frags && o->bench == BENCH_TXONLY)
		fprintf(r->out, "Multi-buffer: %s packets sent, %u buffer(s) each\n",
		       fmt_u64(b1, last->total.tx - first->total.tx, sep), r->c->tx_bufs);
	else if (o->frags)
		fprintf(r->out, "Multi-buffer: %s packets in %s buffers, %s bytes\n",
		       fmt_u64(b1, last->total.rx - first->total.rx, sep),
		       fmt_u64(b2, last->total.rx_bufs - first->total.rx_bufs, sep),
		       fmt_u64(b3, last->total.rx_bytes - first->total.rx_bytes, sep));
	if (o->tx_cycle)
		fprintf(r->out, "Cyclic TX: %s cycles of %u us; period min %.1f avg %.1f max %.1f us; "
		       "started late by at most %.1f us\n", fmt_u64(b1, r->c->cyc.n, sep),
		       o->tx_cycle, (double)r->c->cyc.min / 1e3, cycle_avg_us(r->c),
		       (double)r->c->cyc.max / 1e3, (double)r->c->cyc.late_max / 1e3);
	if (o->irq) {
		__u64 irqs = last->irq_total - first->irq_total;

		fprintf(r->out, "IRQs matching '%s': %s interrupts (%s/s), %.4f per packet\n", o->irq,
		       fmt_u64(b1, irqs, sep), fmt_rate(b2, rate_per_sec(irqs, 0, dt), sep),
		       irq_per_pkt(r, last));
	}
	fprintf(r->out, "Data thread: ");
	if (last->cpu >= 0)
		fprintf(r->out, "CPU %d (--cpu %s), moved %s time(s)", last->cpu, o->cpu,
			fmt_u64(b1, last->moves, sep));
	else
		fprintf(r->out, "not pinned (--cpu none)");
	if (r->c->has_prog) {
		bool any = false;

		for (int k = 0; k < r->c->pl.ncpus; k++) {
			if (!last->xdp_cpu[k])
				continue;
			fprintf(r->out, "%s CPU %d (%s packets)",
				any ? "," : "; the queue's XDP ran on", k,
				fmt_u64(b1, last->xdp_cpu[k], sep));
			any = true;
		}
		if (any)
			fprintf(r->out, "; %s of them on the data thread's CPU",
				fmt_u64(b1, last->shared, sep));
		else
			fprintf(r->out, "; no packet went through the queue's XDP");
	}
	fputc('\n', r->out);
	if (shared_much(r->c, last))
		fprintf(r->out, "The data thread shared its CPU with the queue's XDP for more than a "
			"tenth of the packets: they took turns%s\n", o->policy == PLACE_AUTO ? "" :
			" (--cpu auto moves it off that CPU)");
	if (r->c->has_prog && prog.other_queue + prog.no_socket)
		fprintf(r->out, "XDP: %s packets on other queues, %s with no socket (passed)\n",
		       fmt_u64(b1, prog.other_queue, sep), fmt_u64(b2, prog.no_socket, sep));
}

static void json_cpus(struct jw *w, const char *name, const bool *set, int n)
{
	jw_arr(w, name);
	for (int k = 0; k < n; k++)
		if (set[k])
			jw_i64(w, NULL, k);
	jw_arr_end(w);
}

/* The placement chosen at the start: policy, CPU, the CPUs allowed, the queue's interrupt. */
static void banner_placement(const struct run *r, struct jw *w)
{
	const struct ctx *c = r->c;
	const struct place *p = &c->pl;
	const struct xsk_opts *o = c->opt;
	char cpus[256];

	if (w) {
		jw_obj(w, "placement");
		jw_str(w, "policy", policy_names[o->policy]);
		jw_i64(w, "cpu", p->cpu);
		json_cpus(w, "allowed", p->allowed, p->ncpus);
		jw_i64(w, "queue_irq", p->qi.irq);
		jw_str(w, "queue_irq_name", p->qi.name);
		json_cpus(w, "queue_irq_cpus", p->irq_cpus, p->ncpus);
		jw_str(w, "queue_irq_unknown", p->qi.why ? p->qi.why : "");
		jw_bool(w, "moves", p->moves_ok);
		jw_obj_end(w);
		return;
	}
	if (o->policy == PLACE_NONE) {
		fprintf(r->out, "data thread not pinned (--cpu none)\n");
		return;
	}
	if (o->policy == PLACE_CPU) {
		fprintf(r->out, "data thread on CPU %d (--cpu)\n", p->cpu);
		return;
	}
	fprintf(r->out, "data thread on CPU %d: ", p->cpu);
	if (p->nirq_cpus)
		fprintf(r->out, "away from the queue's interrupt %d (%s, CPU %s)", p->qi.irq,
			p->qi.name, cpulist_format(cpus, sizeof(cpus), p->irq_cpus, p->ncpus));
	else
		fprintf(r->out, "the queue's interrupt is unknown (%s)", p->qi.why);
	if (p->moves_ok)
		fprintf(r->out, "; it moves when the queue's XDP runs on its CPU");
	else if (o->busy_poll)
		fprintf(r->out, "; busy polling runs the queue's NAPI in it: it stays");
	fputc('\n', r->out);
}

static void print_banner(const struct run *r, const struct xdp_attach *xa)
{
	const struct ctx *c = r->c;
	const struct xsk_opts *o = c->opt;
	const char *mode = !c->has_prog ? "none" : xa->mode == XDP_MODE_SKB ? "skb" : "native";
	const char *bind = c->zerocopy ? "zero-copy" : "copy";
	char drv[64] = "?";
	struct jw w;

	iface_driver(o->dev.name, drv, sizeof(drv));
	if (o->run.json) {
		jw_begin(&w, r->out);
		jw_str(&w, "type", "start");
		jw_str(&w, "dev", o->dev.name);
		jw_i64(&w, "ifindex", o->dev.ifindex);
		jw_str(&w, "driver", drv);
		jw_u64(&w, "queue", o->queue);
		jw_str(&w, "bench", bench_names[o->bench]);
		jw_str(&w, "mode", mode);
		jw_str(&w, "bind", bind);
		jw_bool(&w, "need_wakeup", c->need_wakeup);
		jw_bool(&w, "poll", o->poll);
		jw_bool(&w, "busy_poll", o->busy_poll);
		jw_u64(&w, "sockets", (__u64)c->n);
		jw_u64(&w, "frames", o->frames);
		jw_u64(&w, "frame_size", o->frame_size);
		jw_bool(&w, "frags", o->frags);
		jw_bool(&w, "unaligned", o->unaligned);
		jw_u64(&w, "batch", o->batch);
		jw_u64(&w, "tx_budget", c->tx_budget);
		jw_u64(&w, "read_bytes", o->read ? o->read_bytes : 0);
		jw_u64(&w, "tx_size", o->bench == BENCH_TXONLY ? o->tx_size : 0);
		jw_u64(&w, "tx_bufs", o->bench == BENCH_TXONLY ? c->tx_bufs : 0);
		jw_u64(&w, "prog_id", xa->prog_id);
		banner_placement(r, &w);
		jw_end(&w);
		return;
	}
	fprintf(r->out, "xdpsock %s on %s:%u (driver %s): XDP %s, bind %s%s%s, %d socket(s), %u x %u-byte "
	       "frames%s%s\n", bench_names[o->bench], o->dev.name, o->queue, drv,
	       !c->has_prog ? "none (txonly)" : xdp_mode_str(xa->mode), bind,
	       c->need_wakeup ? " need_wakeup" : "", o->poll ? " poll()" : "", c->n, o->frames,
	       o->frame_size, o->unaligned ? " unaligned" : "", o->read ? " read" : "");
	if (o->frags)
		fprintf(r->out, "multi-buffer (--frags): a packet larger than a frame spans several\n");
	banner_placement(r, NULL);
	fflush(r->out);
}

/* ---------------------------------------------------------------- options, attach, main */

/* Queues of the device (max of RX and TX, as bind checks), 0 when sysfs does not say. */
static __u32 dev_queues(const char *ifname)
{
	char path[64];
	struct dirent *de;
	__u32 rx = 0, tx = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (!strncmp(de->d_name, "rx-", 3))
			rx++;
		else if (!strncmp(de->d_name, "tx-", 3))
			tx++;
	}
	closedir(d);
	return rx > tx ? rx : tx;
}

/* txonly's addresses, each named when wrong. */
static int tx_opts_check(const struct xsk_opts *o)
{
	const struct { const char *opt, *val; bool mac; } v[] = {
		{ "tx-smac", o->tx_smac, true }, { "tx-dmac", o->tx_dmac, true },
		{ "tx-saddr", o->tx_saddr, false }, { "tx-daddr", o->tx_daddr, false },
	};
	struct in_addr a;
	__u8 mac[6];

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		if (!v[i].val)
			continue;
		if (v[i].mac ? mac_parse(v[i].val, mac) : inet_pton(AF_INET, v[i].val, &a) != 1)
			return report(0, EXIT_FAIL_OPTION, "bad --%s '%s' (want %s)", v[i].opt,
				      v[i].val, v[i].mac ? "a MAC address xx:xx:xx:xx:xx:xx" :
				      "an IPv4 address; IPv6 is not supported");
	}
	return 0;
}

/* --cpu: auto, none, or a CPU this process may run on. */
static int cpu_opt(struct xsk_opts *o)
{
	int n = ncpus_possible(), ret = 0;
	char *end, list[256];
	bool *set;
	long v;

	if (!strcmp(o->cpu, "auto") || !strcmp(o->cpu, "none")) {
		o->policy = o->cpu[0] == 'a' ? PLACE_AUTO : PLACE_NONE;
		return 0;
	}
	errno = 0;
	v = strtol(o->cpu, &end, 10);
	if (o->cpu[0] < '0' || o->cpu[0] > '9' || *end || errno || v > INT_MAX)
		return report(0, EXIT_FAIL_OPTION, "bad --cpu '%s' (want a CPU number, auto or none)",
			      o->cpu);
	if (n <= 0)
		return report(n, EXIT_FAIL, "count possible CPUs");
	set = calloc((size_t)n, sizeof(bool));
	if (!set)
		return report(-ENOMEM, EXIT_FAIL_MEM, "allocate a CPU set");
	ret = cpus_allowed(set, n);
	if (ret < 0)
		ret = report(ret, EXIT_FAIL, "read the CPUs this process may run on");
	else if (v >= n || !set[v])
		ret = report(0, EXIT_FAIL_OPTION, "--cpu %ld: this process may not run on CPU %ld "
			     "(it may run on %s)", v, v, cpulist_format(list, sizeof(list), set, n));
	else
		ret = 0;
	free(set);
	o->policy = PLACE_CPU;
	o->pin = (int)v;
	return ret;
}

static int opts_finish(struct xsk_opts *o)
{
	__u8 frame[TX_SIZE_MAX];
	__u32 nq;
	int ret;

	if (o->rxdrop + o->txonly + o->l2fwd > 1)
		return report(0, EXIT_FAIL_OPTION, "choose one of --rxdrop, --txonly, --l2fwd");
	o->bench = o->txonly ? BENCH_TXONLY : o->l2fwd ? BENCH_L2FWD : BENCH_RXDROP;
	ret = xdp_opts_finish(&o->xdp);
	if (ret)
		return ret;
	if (o->copy && o->zero_copy)
		return report(0, EXIT_FAIL_OPTION, "--copy conflicts with --zero-copy");
	if (o->zero_copy && o->xdp.mode == XDP_MODE_SKB)
		return report(0, EXIT_FAIL_OPTION, "--zero-copy needs native XDP, not skb mode");
	if (!o->unaligned && o->frame_size != 2048 && o->frame_size != 4096)
		return report(0, EXIT_FAIL_OPTION,
			      "bad --frame-size %u (want 2048 or 4096; 2048..4096 with --unaligned)",
			      o->frame_size);
	if (o->ring_size & (o->ring_size - 1))
		return report(0, EXIT_FAIL_OPTION, "bad --ring-size %u (want a power of 2)",
			      o->ring_size);
	if (o->tx_size > o->frame_size && !o->frags)
		return report(0, EXIT_FAIL_OPTION, "--tx-pkt-size %u exceeds the frame size %u "
			      "(--frags sends it in several buffers)", o->tx_size, o->frame_size);
	if (o->read_bytes)
		o->read = true;
	else if (o->read)
		o->read_bytes = LINE;
	if (o->read && o->bench == BENCH_TXONLY)
		return report(0, EXIT_FAIL_OPTION, "--read applies to rxdrop and l2fwd, not txonly");
	if (o->tx_cycle && o->bench != BENCH_TXONLY)
		return report(0, EXIT_FAIL_OPTION, "--tx-cycle applies to txonly");
	if (o->tx_count && o->bench != BENCH_TXONLY)
		return report(0, EXIT_FAIL_OPTION, "--tx-pkt-count applies to txonly");
	if (o->bench == BENCH_TXONLY) {
		ret = tx_opts_check(o);
		if (ret)
			return ret;
		if (frame_build(frame, o))
			return report(0, EXIT_FAIL_OPTION, "cannot read %s's MAC address (give "
				      "--tx-smac)", o->dev.name);
	}
	nq = dev_queues(o->dev.name);
	if (nq && o->queue >= nq)
		return report(0, EXIT_FAIL_OPTION, "queue %u beyond %s's %u queue(s)", o->queue,
			      o->dev.name, nq);
	return cpu_opt(o);
}

/* AF_XDP multi-buffer (XDP_USE_SG, Linux 6.6): older kernels refuse the bind flag (EINVAL)
 * before they look at the device; newer ones get as far as the device (ifindex 0: ENODEV). */
static bool xsk_sg_supported(void)
{
	struct sockaddr_xdp sxdp = { .sxdp_family = AF_XDP, .sxdp_flags = XDP_USE_SG };
	int fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return true;	/* the real bind reports */
	ok = !bind(fd, (struct sockaddr *)&sxdp, sizeof(sxdp)) || errno != EINVAL;
	close(fd);
	return ok;
}

static int load(struct xdpsock_kern **skelp, const struct xsk_opts *o)
{
	struct xdpsock_kern *skel;
	int err;

	*skelp = NULL;
	if (o->frags && !xsk_sg_supported())
		return report(0, EXIT_FAIL_BPF, "--frags needs AF_XDP multi-buffer (XDP_USE_SG, "
			      "Linux 6.6+), which this kernel lacks");
	skel = xdpsock_kern__open();
	*skelp = skel;
	if (!skel)
		return report(-errno, EXIT_FAIL_BPF, "open BPF object");
	skel->rodata->cfg.queue = o->queue;
	skel->rodata->cfg.nsocks = o->nsocks;
	if (o->frags)
		xdp_prog_frags_capable(skel->progs.xdpsock_prog);
	err = xdpsock_kern__load(skel);
	if (err)
		return report(err, EXIT_FAIL_BPF, "load BPF program (details with -vv)");
	return 0;
}

/* The data thread, named xdpsock-data, started on its CPU when it has one. */
static int thread_start(struct ctx *c)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int err;

	c->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->done_fd < 0)
		return report(-errno, EXIT_FAIL, "eventfd");
	err = pthread_attr_init(&attr);
	if (err)
		return report(-err, EXIT_FAIL, "start the data thread");
	if (c->pl.cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(c->pl.cpu, &set);
		err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	if (!err)
		err = pthread_create(&c->thr, &attr, data_thread, c);
	pthread_attr_destroy(&attr);
	if (err)
		return report(-err, EXIT_FAIL, "start the data thread on CPU %d", c->pl.cpu);
	c->thr_started = true;
	pthread_setname_np(c->thr, "xdpsock-data");
	return 0;
}

static void thread_stop(struct ctx *c)
{
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELAXED);
	if (c->thr_started)
		pthread_join(c->thr, NULL);
	c->thr_started = false;
}

static void ctx_free(struct ctx *c)
{
	if (!c)
		return;
	thread_stop(c);
	sockets_destroy(c);
	if (c->area)
		munmap(c->area, c->area_len);
	if (c->done_fd >= 0)
		close(c->done_fd);
	free(c->fr.free);
	place_free(&c->pl);
	free(c);
}

static const struct sampler_ops xsk_ops = {
	.collect = collect,
	.print = xsk_print,
	.summary = xsk_summary,
	.event = xsk_done,
};

/* Sockets, frames, xskmap, program, the first reading, data thread: in that order, so no
 * packet is steered to a socket that is not ready, and the first reading is taken before any
 * frame moves. txonly attaches no program (its sockets have no RX ring). */
static int start(struct run *run, struct xdp_attach *xa)
{
	struct ctx *c = run->c;
	int ret, err;

	c->has_prog = c->opt->bench != BENCH_TXONLY;
	/* a busy device is refused before any socket is made (and any notice about bind modes) */
	ret = c->has_prog ? xdp_busy_check(&c->opt->dev, c->opt->xdp.force) : 0;
	if (!ret)
		ret = xsk_open(c);
	if (!ret)
		ret = frames_init(c);
	if (!ret && c->has_prog)
		ret = steer(c, run->skel);
	if (!ret && c->has_prog)
		ret = xdp_attach_or_report(xa, run->skel->progs.xdpsock_prog, &c->opt->dev,
					   &c->opt->xdp, XDP_VIA_LINK);
	if (ret)
		return ret;
	if (c->has_prog)
		c->pl.map_fd = bpf_map__fd(run->skel->maps.xsk_stats);
	c->pl.moves_ok = c->opt->policy == PLACE_AUTO && c->has_prog && !c->opt->busy_poll;
	err = sampler_start(run->smp);
	if (err)
		return report(err, EXIT_FAIL, "set up timer and signals");
	return thread_start(c);
}

/* After the thread stopped and the program is detached: drain, account, read a last time. */
static int finish(struct run *run)
{
	struct acct *a = &run->acct;

	drain(run->c, a);
	sampler_collect(run->smp);
	if (a->lost)
		return report(0, EXIT_FAIL, "UMEM books off by %lld frame(s)", a->lost);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct xsk_opts opt = xsk_defaults;
	struct xdpsock_kern *skel = NULL;
	struct xdp_attach xa = XDP_ATTACH_INIT;
	struct sampler smp = SAMPLER_INIT;
	struct run *run = NULL;
	struct ctx *c = NULL;
	int err, ret;

	ret = tool_begin(argc, argv, &xsk_tool, &opt);
	if (ret >= 0)
		return ret;
	ret = opts_finish(&opt);
	if (ret)
		return ret;
	ret = priv_require(NEED_BPF | NEED_NET_ADMIN | NEED_PERFMON | NEED_NET_RAW);
	if (!ret)
		ret = memlock_check((size_t)opt.frames * opt.frame_size);
	if (ret)
		return ret;
	log_setup(opt.run.verbose);

	c = calloc(1, sizeof(*c));
	run = calloc(1, sizeof(*run));
	if (run && ncpus_possible() > 0) {
		run->snap_size = sizeof(struct snap) + (size_t)ncpus_possible() * sizeof(__u64);
		run->recs = calloc((size_t)ncpus_possible(), sizeof(*run->recs));
	}
	if (!c || !run || !run->recs ||
	    sampler_init(&smp, &xsk_ops, run, run->snap_size, &opt.run, 0)) {
		ret = report(-ENOMEM, EXIT_FAIL_MEM, "allocate state");
		goto out;
	}
	c->opt = &opt;
	c->done_fd = -1;
	ret = place_init(c);
	if (ret)
		goto out;
	run->c = c;
	run->out = smp.out.f;
	run->smp = &smp;
	run->first = smp.snap[0];
	if (opt.irq && irq_read(opt.irq, &run->irq, NULL)) {
		ret = report(0, EXIT_FAIL_OPTION,
			     "no numbered interrupt in /proc/interrupts has '%s' in its name", opt.irq);
		goto out;
	}
	if (umem_alloc(c)) {
		ret = report(-ENOMEM, EXIT_FAIL_MEM, "allocate %u UMEM frames", opt.frames);
		goto out;
	}
	ret = load(&skel, &opt);
	if (ret)
		goto out;
	run->skel = skel;
	ret = start(run, &xa);
	if (ret)
		goto out;
	print_banner(run, &xa);
	sampler_track(&smp, &opt.dev, xa.link_fd);
	smp.event_fd = c->done_fd;
	err = sampler_run(&smp);
	if (err)
		ret = sampler_report(&smp, err, "run");
	thread_stop(c);
	xdp_attach_release(&xa);
	if (!err)
		ret = finish(run);
	/* after a failed run the frames are not accounted for: no summary */
	ret = sampler_end(&smp, ret, !err);
out:
	xdp_attach_release(&xa);
	ctx_free(c);
	sampler_close(&smp);
	xdpsock_kern__destroy(skel);
	if (run)
		free(run->recs);
	free(run);
	return ret;
}
