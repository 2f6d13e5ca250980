/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdp_redirect.h: contract between xdp_redirect_kern.c and xdp_redirect_user.c
 *
 * Programs (skeleton xdp_redirect_kern, all frags-capable):
 *   xdp_redirect_prog     SEC("xdp.frags"), on the ingress device IN (bpf_link). Every frame:
 *                         redirect by cfg.mode, then (only if redirected) the frame work of
 *                         cfg.flags; counted in redir_stats.
 *   xdp_redirect_forward  SEC("xdp.frags/devmap"), devmap egress program (--egress-prog forward):
 *                         set the source MAC to the egress device's own address from redir_ports.
 *   xdp_redirect_drop     SEC("xdp.frags/devmap"), devmap egress program (--egress-prog drop).
 *   xdp_redirect_dummy    SEC("xdp.frags"), XDP_PASS and nothing else: for egress devices that need
 *                         an XDP program to take redirected frames (veth peers, some drivers).
 *   The egress programs go into the devmap values (struct bpf_devmap_val .bpf_prog.fd); they run
 *   for devmap modes only, not for bpf_redirect(ifindex).
 *
 * .rodata (written before load): struct redir_cfg cfg. The object's defaults (mode IFINDEX,
 * ifindex_out 0) pass every frame, counted as no_target: safe to load by hand with iproute2.
 *
 * Maps:
 *   redir_stats     PERCPU_ARRAY[1]                   struct redir_rec        (ingress counters)
 *   redir_tx_port   DEVMAP[1], key 0                  struct bpf_devmap_val   (REDIR_M_MAP)
 *   redir_tx_ports  DEVMAP_HASH[REDIR_PORTS_MAX],     struct bpf_devmap_val   (REDIR_M_MULTI; IN
 *                   key ifindex                                                may be in it)
 *   redir_ports     HASH[REDIR_PORTS_MAX], key ifindex struct redir_port      (egress MAC + slot)
 *   redir_egress    PERCPU_ARRAY[REDIR_PORTS_MAX + 1], struct redir_egress_rec (egress programs;
 *                   key redir_port.slot; slot REDIR_PORTS_MAX: devices missing from redir_ports)
 */
#ifndef XDP_REDIRECT_H
#define XDP_REDIRECT_H

#define REDIR_PORTS_MAX 32	/* devices of --multi; egress counter slots 0..REDIR_PORTS_MAX-1 */
#define REDIR_LINE 64		/* bytes per cache line touched by --read-bytes */
#define REDIR_READ_MAX 9216	/* largest --read-bytes (a jumbo frame, across its buffers) */

enum redir_mode {
	REDIR_M_IFINDEX = 0,	/* bpf_redirect(cfg.ifindex_out, 0) (default) */
	REDIR_M_MAP,		/* --map: bpf_redirect_map(redir_tx_port, 0, XDP_PASS) */
	REDIR_M_MULTI,		/* --multi: bpf_redirect_map(redir_tx_ports, 0, BPF_F_BROADCAST |
				 * BPF_F_EXCLUDE_INGRESS): a copy to every port but IN */
};

enum redir_flags {
	REDIR_F_SWAPMAC = 1U << 0,	/* swap Ethernet destination and source (tool default) */
	REDIR_F_READ = 1U << 1,		/* --read/--read-bytes: touch cfg.read_bytes of the frame */
	REDIR_F_LOAD_BYTES = 1U << 2,	/* --load-bytes: all frame access via bpf_xdp_load_bytes()/
					 * bpf_xdp_store_bytes(); without SWAPMAC it reads the
					 * 14-byte Ethernet header */
};

struct redir_cfg {		/* .rodata, written before load */
	__u32 mode;		/* enum redir_mode */
	__u32 ifindex_out;	/* REDIR_M_IFINDEX target; 0: none, frames pass (no_target) */
	__u32 flags;		/* enum redir_flags */
	__u32 read_bytes;	/* with REDIR_F_READ: one byte per REDIR_LINE below this offset */
};

/*
 * Ingress counters, one record per CPU (redir_stats[0]). Every frame is counted in rx and in
 * exactly one of redirected, no_target, aborted; short_frame is an info counter among redirected.
 */
struct redir_rec {
	__u64 rx;		/* frames seen on IN */
	__u64 redirected;	/* the helper returned XDP_REDIRECT (the kernel transmits later:
				 * its failures are the xdp:xdp_redirect_err tracepoint's) */
	__u64 no_target;	/* no target: devmap slot empty, or ifindex_out 0; XDP_PASS, frame
				 * untouched */
	__u64 aborted;		/* the helper refused its flags (returned XDP_ABORTED, a kernel
				 * without BPF_F_BROADCAST): XDP_DROP, counted, not an exception */
	__u64 short_frame;	/* redirected, but shorter than the MAC swap or --read-bytes wanted:
				 * touched as far as it goes (MACs unswapped below 12 bytes) */
};

/* redir_ports value, key: the egress device's ifindex (written by user space before traffic). */
struct redir_port {
	__u8 mac[6];		/* the device's own address: the forward program's new source MAC */
	__u16 slot;		/* its counters: redir_egress[slot], slot < REDIR_PORTS_MAX */
};

/*
 * Egress program verdicts, one record per CPU and slot (redir_egress). Every frame an egress
 * program sees is counted in exactly one field.
 */
struct redir_egress_rec {
	__u64 rewritten;	/* forward: source MAC set to the device's address, XDP_PASS */
	__u64 untouched;	/* forward: device not in redir_ports (slot REDIR_PORTS_MAX), or
				 * first buffer < 12 bytes: XDP_PASS, frame unchanged */
	__u64 dropped;		/* drop: XDP_DROP */
};

/*
 * The ingress programs: xdp_redirect_prog runs any configuration; the specialised ones run one
 * each, with its mode and frame work compiled in. redir_prog_of() says which one a
 * configuration runs (the tool, its tests and progcost use the same choice).
 */
enum redir_prog {
	REDIR_PROG_GENERAL,	/* xdp_redirect_prog */
	REDIR_PROG_SWAP,	/* xdp_redirect_swap: bpf_redirect, MACs swapped (the default) */
	REDIR_PROG_MAP_SWAP,	/* xdp_redirect_map_swap: --map */
	REDIR_PROG_MULTI_SWAP,	/* xdp_redirect_multi_swap: --multi */
	REDIR_PROG_READ_SWAP,	/* xdp_redirect_read_swap: --read (one line), bpf_redirect */
	REDIR_PROG_PLAIN,	/* xdp_redirect_plain: --no-swapmac */
	REDIR_PROG_MAP_PLAIN,	/* xdp_redirect_map_plain: --map --no-swapmac */
	REDIR_PROG_MULTI_PLAIN,	/* xdp_redirect_multi_plain: --multi --no-swapmac */
	REDIR_PROG_LOAD_SWAP,	/* xdp_redirect_load_swap: --load-bytes, bpf_redirect */
	REDIR_PROGS,
};

static inline enum redir_prog redir_prog_of(const struct redir_cfg *cfg)
{
	if (cfg->flags == REDIR_F_SWAPMAC)
		return cfg->mode == REDIR_M_MAP ? REDIR_PROG_MAP_SWAP :
		       cfg->mode == REDIR_M_MULTI ? REDIR_PROG_MULTI_SWAP :
		       cfg->mode == REDIR_M_IFINDEX ? REDIR_PROG_SWAP : REDIR_PROG_GENERAL;
	if (cfg->flags == 0)
		return cfg->mode == REDIR_M_MAP ? REDIR_PROG_MAP_PLAIN :
		       cfg->mode == REDIR_M_MULTI ? REDIR_PROG_MULTI_PLAIN :
		       cfg->mode == REDIR_M_IFINDEX ? REDIR_PROG_PLAIN : REDIR_PROG_GENERAL;
	if (cfg->flags == (REDIR_F_SWAPMAC | REDIR_F_LOAD_BYTES) && cfg->mode == REDIR_M_IFINDEX)
		return REDIR_PROG_LOAD_SWAP;
	if (cfg->flags == (REDIR_F_SWAPMAC | REDIR_F_READ) && cfg->mode == REDIR_M_IFINDEX &&
	    cfg->read_bytes <= REDIR_LINE)
		return REDIR_PROG_READ_SWAP;
	return REDIR_PROG_GENERAL;
}

/* For an opened skeleton whose .rodata cfg is written (user space, after the skeleton's header
 * and common_user.h): loads only the ingress program for that cfg (the egress and dummy
 * programs as they are); evaluates to it. */
#define redir_prog_pick(skel)                                                               \
	progs_load_one((struct bpf_program *const[REDIR_PROGS]){                            \
			       (skel)->progs.xdp_redirect_prog,                             \
			       (skel)->progs.xdp_redirect_swap,                             \
			       (skel)->progs.xdp_redirect_map_swap,                         \
			       (skel)->progs.xdp_redirect_multi_swap,                       \
			       (skel)->progs.xdp_redirect_read_swap,                        \
			       (skel)->progs.xdp_redirect_plain,                            \
			       (skel)->progs.xdp_redirect_map_plain,                        \
			       (skel)->progs.xdp_redirect_multi_plain,                      \
			       (skel)->progs.xdp_redirect_load_swap },                      \
		       REDIR_PROGS, redir_prog_of(&(skel)->rodata->cfg))

#endif /* XDP_REDIRECT_H */
