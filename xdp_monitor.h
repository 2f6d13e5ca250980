/* SPDX-License-Identifier: GPL-2.0 */
/* xdp_monitor.h: contract between xdp_monitor_kern.c and xdp_monitor_user.c */
#ifndef XDP_MONITOR_H
#define XDP_MONITOR_H

#define MON_DEV_MAX 32		/* --dev entries, at least IFACE_MAX (a static assert) */
#define MON_CPU_MAX 256		/* cpumap_enqueue slots (target CPU); larger CPUs share the last */
#define MON_PAIRS_MAX 1024	/* distinct (device, action) and (from, to) keys */

/* Redirect outcome slots (redirect_cnt key): success, then the errno names of --help. */
enum mon_redir {
	MON_R_SUCCESS,
	MON_R_ENETDOWN,
	MON_R_EINVAL,
	MON_R_EMSGSIZE,
	MON_R_EOPNOTSUPP,
	MON_R_ENOSPC,
	MON_R_OTHER,
	MON_R_MAX,
};

#define MON_ACT_UNKNOWN 5	/* exception actions above XDP_REDIRECT */

struct mon_cfg {		/* .rodata, written before load; defaults count everything */
	__u32 netns;		/* count only devices of this netns (inode), 0: every netns */
	__u32 n_dev;		/* 0: every device */
	__u32 dev[MON_DEV_MAX];	/* ifindexes (of netns) to match, from or to */
	__u32 err_by_dev;	/* also count redirect errors per (from, to, errno): redirect_err_dev */
};

/* A device seen by a tracepoint: ifindex within its network namespace (inode). */
struct mon_dev {
	__u32 ifindex;
	__u32 netns;
};

/* redirect_cnt (PERCPU_ARRAY, MON_R_MAX): one counter per outcome and CPU */
struct mon_redir_rec {
	__u64 count;
};

/*
 * redirect_err_dev (PERCPU_HASH, with cfg.err_by_dev): redirect errors per source, target and
 * errno slot; value struct mon_redir_rec. The target is the devmap entry's device or
 * bpf_redirect()'s ifindex; zero where the event names none (broadcast, cpumap, xskmap).
 */
struct mon_err_key {
	struct mon_dev from;
	struct mon_dev to;
	__u32 slot;		/* enum mon_redir, an error (never MON_R_SUCCESS) */
};

/* exception_cnt (PERCPU_HASH): key device + action */
struct mon_exc_key {
	struct mon_dev dev;
	__u32 action;		/* XDP_ABORTED .. XDP_REDIRECT, MON_ACT_UNKNOWN */
};

struct mon_exc_rec {
	__u64 count;
};

/* devmap_xmit_cnt (PERCPU_HASH, from -> to) and bulk_tx_cnt (PERCPU_HASH, to only). */
struct mon_xmit_key {
	struct mon_dev from;	/* zero for bulk_tx */
	struct mon_dev to;
};

struct mon_xmit_rec {
	__u64 events;		/* tracepoint hits: one per bulk */
	__u64 sent;
	__u64 drops;
	__u64 err_events;	/* hits with err != 0 (driver error) */
	__u64 last_err;		/* -errno of the last error (0: none) */
};

/* cpumap_enqueue_cnt (PERCPU_ARRAY, MON_CPU_MAX): key target CPU, per-CPU value = source CPU */
struct mon_enq_rec {
	__u64 events;
	__u64 processed;
	__u64 drops;
};

/* cpumap_kthread_cnt (PERCPU_ARRAY, 1): per-CPU value = the kthread's CPU */
struct mon_kthr_rec {
	__u64 events;
	__u64 processed;
	__u64 drops;
	__u64 sched;
	__u64 xdp_pass;		/* verdicts of a program attached to the cpumap entry */
	__u64 xdp_drop;
	__u64 xdp_redirect;
};

#endif /* XDP_MONITOR_H */
