/* SPDX-License-Identifier: GPL-2.0 */
/* xdpsock.h: contract between xdpsock_kern.c and xdpsock_user.c */
#ifndef XDPSOCK_H
#define XDPSOCK_H

#define XSK_MAX_SOCKS 64	/* xskmap slots: -M/--multi-sock takes 1..XSK_MAX_SOCKS */

struct xsk_cfg {		/* .rodata, written before load; defaults: queue 0, one socket */
	__u32 queue;		/* RX queue whose packets go to the sockets; others pass */
	__u32 nsocks;		/* sockets in xsks_map slots 0..nsocks-1, served round-robin */
};

/*
 * One record per CPU (PERCPU_ARRAY xsk_stats, one slot). The round-robin cursor is per CPU
 * too, so no CPU ever writes another CPU's state: no shared racy counter, any nsocks works.
 * Every packet lands in exactly one of other_queue, no_socket or redirect[slot].
 */
struct xsk_prog_rec {
	__u64 cursor;			/* next slot this CPU redirects to (not a counter) */
	__u64 other_queue;		/* packet on another RX queue: XDP_PASS */
	__u64 no_socket;		/* the slot holds no socket: XDP_PASS (bpf_redirect_map fallback) */
	__u64 redirect[XSK_MAX_SOCKS];	/* bpf_redirect_map() gave XDP_REDIRECT for this slot */
};

#endif /* XDPSOCK_H */
