/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdp_redirect_cpu.h: contract between xdp_redirect_cpu_kern.c and xdp_redirect_cpu_user.c
 *
 * Programs (skeleton xdp_redirect_cpu_kern, both frags-capable):
 *   xdp_redirect_cpu_prog    SEC("xdp.frags"), on the device (bpf_link). Every frame: pick an
 *                            index into cfg.cpus[] by cfg.lb, redirect into rcpu_cpu_map with key
 *                            cfg.cpus[index]; counted per receive CPU and target index
 *                            (rcpu_stats).
 *   xdp_redirect_cpu_remote  SEC("xdp.frags/cpumap"), the second stage: runs on the target CPU
 *                            for every frame of a cpumap entry that holds it (struct
 *                            bpf_cpumap_val .bpf_prog.fd); verdict cfg.remote_action, counted
 *                            per CPU in rcpu_remote.
 *
 * .rodata (written before load): struct rcpu_cfg cfg. The object's defaults (ncpus 0) pass
 * every frame, counted as no_entry: safe to load by hand with iproute2.
 *
 * Maps:
 *   rcpu_stats    PERCPU_ARRAY[1]                   struct rcpu_rec (per receive CPU)
 *   rcpu_remote   PERCPU_ARRAY[1]                   struct rcpu_remote_rec (per CPU running the
 *                                                   second stage)
 *   rcpu_cpu_map  CPUMAP[RCPU_CPUS_MAX],            struct bpf_cpumap_val (.qsize: --qsize;
 *                 key: CPU number                   .bpf_prog.fd: the second stage or none);
 *                                                   user space may resize it to the possible CPUs
 *   rcpu_tx_port  DEVMAP[1], key 0                  struct bpf_devmap_val (--remote-action
 *                                                   redirect DEV)
 */
#ifndef XDP_REDIRECT_CPU_H
#define XDP_REDIRECT_CPU_H

#define RCPU_TARGETS_MAX 256	/* CPUs in one --cpu list */
#define RCPU_CPUS_MAX 256	/* rcpu_cpu_map's entries in the object (keys: CPU numbers) */

/* How the first stage picks a target, an index i into cfg.cpus[0..ncpus-1]. */
enum rcpu_lb {
	RCPU_LB_NO_TOUCH = 0,	/* i = 0, the frame is not read */
	RCPU_LB_TOUCH,		/* read the Ethernet header (EtherType), then i = 0 */
	RCPU_LB_ROUND_ROBIN,	/* i = a per-CPU cursor: each receive CPU cycles 0..ncpus-1 */
	RCPU_LB_HASH,		/* i = flow hash of IPv4/IPv6 source and destination addresses,
				 * L4 protocol and ports (no ports for fragments), scaled to
				 * ncpus; not IP: 0 */
	RCPU_LB_L4_PROTO,	/* i = TCP 0, UDP 1, ICMP/ICMPv6 2, others and not IP 0; mod
				 * ncpus */
	RCPU_LB_L4_SPORT,	/* i = source port (host order) mod ncpus; no ports: 0 */
	RCPU_LB_L4_DPORT,	/* i = destination port (host order) mod ncpus; no ports: 0 */
	RCPU_LB_N,
};

/* What the second stage does with every frame on the target CPU. */
enum rcpu_remote_action {
	RCPU_REMOTE_PASS = 0,	/* XDP_PASS: the skb is built on the target CPU */
	RCPU_REMOTE_DROP,	/* XDP_DROP */
	RCPU_REMOTE_REDIRECT,	/* bpf_redirect_map(rcpu_tx_port, 0): out of --remote-action
				 * redirect DEV, MACs swapped with RCPU_F_SWAPMAC */
};

enum rcpu_flags {
	RCPU_F_SWAPMAC = 1U << 0,	/* remote redirect: swap Ethernet destination and source */
};

struct rcpu_cfg {		/* .rodata, written before load */
	__u32 lb;		/* enum rcpu_lb */
	__u32 ncpus;		/* targets in cpus[], 1..RCPU_TARGETS_MAX; 0: frames pass */
	__u32 remote_action;	/* enum rcpu_remote_action */
	__u32 flags;		/* enum rcpu_flags */
	__u32 cpus[RCPU_TARGETS_MAX];	/* target CPUs (rcpu_cpu_map keys), in --cpu order */
};

/* What the first stage chose for target cfg.cpus[i]: rcpu_rec.target[i]. */
struct rcpu_target_rec {
	__u64 redirected;	/* sent to cfg.cpus[i] */
	__u64 no_entry;		/* chosen, but cfg.cpus[i] had no cpumap entry */
};

/*
 * First stage, one record per receive CPU (rcpu_stats[0]): 4 KiB, one lookup per frame. Every
 * frame is counted in rx and in exactly one of redirected and no_entry, the same in target[i]
 * of the index chosen (except when ncpus is 0); malformed is an info counter among them. With
 * one target, target[0].redirected is not counted (it is redirected): user space fills it in
 * with rcpu_rec_fill().
 */
struct rcpu_rec {
	__u64 cursor;		/* round-robin: the next index this CPU uses (not a counter) */
	__u64 rx;		/* frames seen */
	__u64 redirected;	/* bpf_redirect_map() returned XDP_REDIRECT */
	__u64 no_entry;		/* the target CPU has no rcpu_cpu_map entry (or ncpus 0): XDP_PASS
				 * on the receive CPU */
	__u64 malformed;	/* a strategy that reads headers found them truncated or invalid
				 * (xdp_parse.h PARSE_SHORT/PARSE_BAD): sent to cfg.cpus[0] */
	struct rcpu_target_rec target[RCPU_TARGETS_MAX];	/* by index into cfg.cpus */
};

/* Second stage, one record per CPU it ran on (rcpu_remote[0]): exactly one verdict per frame. */
struct rcpu_remote_rec {
	__u64 pass;		/* XDP_PASS */
	__u64 drop;		/* XDP_DROP */
	__u64 redirect;		/* XDP_REDIRECT into rcpu_tx_port */
	__u64 no_target;	/* redirect, but rcpu_tx_port slot 0 is empty: XDP_PASS */
	__u64 short_frame;	/* info, among redirect: too short to swap the MACs, sent as is */
};

/* A first-stage record as read (one CPU's or a sum), completed: with one target, that target's
 * redirected count is the record's (the first stage does not count it twice). */
static inline void rcpu_rec_fill(struct rcpu_rec *r, __u32 ncpus)
{
	if (ncpus == 1)
		r->target[0].redirected = r->redirected;
}

/*
 * The first-stage programs: xdp_redirect_cpu_prog runs any strategy; the specialised ones run
 * one each, compiled in. rcpu_prog_of() says which one a configuration runs (the tool, its
 * tests and progcost use the same choice).
 */
enum rcpu_prog {
	RCPU_PROG_GENERAL,	/* xdp_redirect_cpu_prog */
	RCPU_PROG_RR,		/* xdp_redirect_cpu_rr: --lb round-robin */
	RCPU_PROG_HASH,		/* xdp_redirect_cpu_hash: --lb hash */
	RCPU_PROG_NO_TOUCH,	/* xdp_redirect_cpu_no_touch: --lb no-touch */
	RCPU_PROGS,
};

static inline enum rcpu_prog rcpu_prog_of(const struct rcpu_cfg *cfg)
{
	return cfg->lb == RCPU_LB_ROUND_ROBIN ? RCPU_PROG_RR :
	       cfg->lb == RCPU_LB_HASH ? RCPU_PROG_HASH :
	       cfg->lb == RCPU_LB_NO_TOUCH ? RCPU_PROG_NO_TOUCH : RCPU_PROG_GENERAL;
}

/* For an opened skeleton whose .rodata cfg is written (user space, after the skeleton's header
 * and common_user.h): loads only the first stage for that cfg (the second stage as it is);
 * evaluates to it. */
#define rcpu_prog_pick(skel)                                                                \
	progs_load_one((struct bpf_program *const[RCPU_PROGS]){                             \
			       (skel)->progs.xdp_redirect_cpu_prog,                         \
			       (skel)->progs.xdp_redirect_cpu_rr,                           \
			       (skel)->progs.xdp_redirect_cpu_hash,                         \
			       (skel)->progs.xdp_redirect_cpu_no_touch },                   \
		       RCPU_PROGS, rcpu_prog_of(&(skel)->rodata->cfg))

#endif /* XDP_REDIRECT_CPU_H */
