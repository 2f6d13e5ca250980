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
 * One counter per CPU, RX queue slot and kind (PERCPU_ARRAY rxq_stats of RXQ_KINDS * RXQ_SLOTS
 * records, key rxq_key(kind, slot)). Slot RXQ_MAX collects every queue index >= RXQ_MAX (an
 * issue: the table is too small or the driver reports a bogus index). The kind says what else
 * is true of the packets counted there: a bit for a wrong ingress ifindex, a bit for a frame
 * shorter than --read/--swapmac wanted. So a packet costs one lookup and one increment whatever
 * happens to it, and the program keeps nothing across the lookup. User space sums the kinds:
 * processed = all four, bad_ifindex = kinds with RXQ_K_BAD_IFINDEX, short_frame = RXQ_K_SHORT.
 */
#define RXQ_SLOTS (RXQ_MAX + 1)

enum rxq_kind {
	RXQ_K_BAD_IFINDEX = 1U << 0,	/* issue: ctx->ingress_ifindex differs from cfg.ifindex */
	RXQ_K_SHORT = 1U << 1,		/* info: frame shorter than what --read/--swapmac wanted */
	RXQ_KINDS = 4,
};

static inline __u32 rxq_key(__u32 kind, __u32 slot)
{
	return kind * RXQ_SLOTS + slot;
}

struct rxq_rec {
	__u64 packets;
};

/* The programs of the object: the general one runs any configuration; the others run the
 * common ones with the options compiled in. */
enum rxq_prog {
	RXQ_PROG_GENERAL,	/* xdp_rxq_info_prog */
	RXQ_PROG_NO_TOUCH,	/* xdp_rxq_info_no_touch */
	RXQ_PROG_READ,		/* xdp_rxq_info_read: the first line */
	RXQ_PROG_SWAPMAC,	/* xdp_rxq_info_swapmac */
	RXQ_PROGS,
};

/* The program that runs cfg: the specialised one when there is one. */
static inline enum rxq_prog rxq_prog_of(const struct rxq_cfg *cfg)
{
	if (cfg->ifindex)
		return RXQ_PROG_GENERAL;
	if (cfg->flags == 0)
		return RXQ_PROG_NO_TOUCH;
	if (cfg->flags == RXQ_F_READ && cfg->read_bytes <= RXQ_LINE)
		return RXQ_PROG_READ;
	if (cfg->flags == RXQ_F_SWAPMAC)
		return RXQ_PROG_SWAPMAC;
	return RXQ_PROG_GENERAL;
}

/* For an opened skeleton whose .rodata cfg is written (user space, after the skeleton's header
 * and common_user.h): loads only the program for that cfg; evaluates to it. */
#define rxq_prog_pick(skel)                                                                 \
	progs_load_one((struct bpf_program *const[RXQ_PROGS]){                              \
			       (skel)->progs.xdp_rxq_info_prog,                             \
			       (skel)->progs.xdp_rxq_info_no_touch,                         \
			       (skel)->progs.xdp_rxq_info_read,                             \
			       (skel)->progs.xdp_rxq_info_swapmac },                        \
		       RXQ_PROGS, rxq_prog_of(&(skel)->rodata->cfg))

#endif /* XDP_RXQ_INFO_H */
