/* SPDX-License-Identifier: GPL-2.0 */
/* xdp_rxq_info.h: contract between xdp_rxq_info_kern.c and xdp_rxq_info_user.c */
#ifndef XDP_RXQ_INFO_H
#define XDP_RXQ_INFO_H

#define RXQ_MAX 64		/* rxq_stats slot RXQ_MAX counts every queue index >= RXQ_MAX */
#define RXQ_LINE 64		/* bytes per cache line touched by --read-bytes */
#define RXQ_READ_MAX 9216	/* largest --read-bytes (a jumbo frame, across its buffers) */

enum rxq_flags {
	RXQ_F_READ = 1U << 0,		/* touch the payload (the DDIO/cache-miss experiment) */
	RXQ_F_SWAPMAC = 1U << 1,	/* swap Ethernet destination and source */
};

struct rxq_cfg {		/* .rodata, written before load; the object's defaults pass all */
	__u32 action;		/* XDP_PASS (default), XDP_DROP, XDP_TX, XDP_ABORTED */
	__u32 ifindex;		/* expected ingress device, 0: not checked */
	__u32 flags;		/* enum rxq_flags */
	__u32 read_bytes;	/* with RXQ_F_READ: touch one byte per line below this offset */
};

/*
 * One record per RX queue and CPU (PERCPU_ARRAY rxq_stats, RXQ_MAX + 1 slots). Slot RXQ_MAX
 * collects every queue index >= RXQ_MAX (an issue: the table is too small or the driver reports
 * a bogus index). Per-CPU totals are sums over the slots, so each packet costs one lookup.
 */
struct rxq_rec {
	__u64 processed;	/* every packet seen */
	__u64 bad_ifindex;	/* issue: ctx->ingress_ifindex differs from cfg.ifindex */
	__u64 short_frame;	/* info: frame shorter than what --read/--swapmac wanted */
};

#endif /* XDP_RXQ_INFO_H */
