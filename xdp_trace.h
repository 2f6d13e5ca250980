/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xdp_trace.h: the kernel's own view of XDP, from the xdp:* tracepoints, as one module that
 * every tool shares. xdp_monitor shows all of it; xdp_redirect, xdp_redirect_cpu and xdp_fwd -s
 * add the part that concerns their devices to their own counters: redirect errors by errno,
 * devmap transmits (sent, dropped, driver errors, bulk size), cpumap enqueue and kthread.
 *
 * The programs are xdp_monitor_kern.c's (skeleton xdp_monitor_kern, contract xdp_monitor.h).
 * The module probes which tracepoints the running kernel has (BTF btf_trace_<tp>, argument
 * count checked), loads only those the tool asks for (tp_btf; the raw_tp variants where the
 * kernel's verifier refuses tp_btf, as before 6.16; what verifies in neither form is left
 * out), attaches them through bpf_links (gone with the process, even on SIGKILL), reads their
 * counters into snapshots and prints them: xdp_monitor's tables and JSON, and the pieces the
 * other tools print in theirs. No bpffs, no tracefs.
 *
 *   trace_open()      probe, load, attach (0 or -errno; trace_report()/trace_failure() say why)
 *   trace_notices()   on stderr: the tracepoints it skipped, once
 *   trace_collect()   one reading into a snapshot of trace_snap_size() bytes
 *   trace_detach()    the tracepoints free (before the output is written out), trace_close()
 *
 * Like common_user, it keeps no global state. The functions that print say so: trace_report()
 * (the one line of a failure), trace_notices() (stderr), and the trace_print_*()/trace_json_*()
 * functions (into the FILE or JSON writer given).
 */
#ifndef XDP_TRACE_H
#define XDP_TRACE_H

#include <stdio.h>
#include <linux/types.h>

#include "common_user.h"
#include "xdp_monitor.h"

struct xdp_monitor_kern;
struct bpf_program;
struct bpf_link;

/* The groups of tracepoints a tool asks for. */
enum trace_group {
	TRACE_REDIRECT = 1,	/* xdp_redirect_err (xdp_redirect with .stats), *_map variants */
	TRACE_EXCEPTION = 2,	/* xdp_exception */
	TRACE_XMIT = 4,		/* xdp_devmap_xmit */
	TRACE_BULK_TX = 8,	/* xdp_bulk_tx (XDP_TX of veth, virtio) */
	TRACE_CPUMAP = 16,	/* xdp_cpumap_enqueue, xdp_cpumap_kthread */
	TRACE_ALL = 31,
};

struct trace_opts {
	unsigned int groups;	/* enum trace_group */
	bool stats;		/* also the success tracepoints (a hit per redirected packet) */
	bool all_netns;		/* devices of every network namespace; else only of ours */
	bool err_by_dev;	/* redirect errors also per (from, to) device: trace_err() */
	bool no_sep;		/* printing: no thousands separators */
	int n_dev;		/* only events from or to these devices of our namespace; 0: any */
	int dev[MON_DEV_MAX];	/* their ifindexes */
	int verbose;		/* -vv: the failed load attempts' libbpf messages too */
	/* tests (xdp_monitor's hidden options) */
	const char *test_tp;	/* "TP=NAME": probe NAME in place of tracepoint TP */
	bool test_raw_tp;	/* the raw_tp variants where there are some */
	bool test_no_raw_tp;	/* no raw_tp variants */
};

enum trace_tp_state {
	TRACE_TP_ON,		/* loaded and attached */
	TRACE_TP_OFF,		/* a success tracepoint without .stats */
	TRACE_TP_MISSING,	/* not on this kernel */
	TRACE_TP_LAYOUT,	/* other arguments than the program reads */
	TRACE_TP_REFUSED,	/* the verifier refuses its program in every form */
	TRACE_TP_UNWANTED,	/* not in the groups asked for */
};

#define TRACE_TPS 9		/* the tracepoints of xdp_monitor_kern.c */

struct trace_tp {
	char name[64];		/* probed name (differs from the tracepoint's with test_tp) */
	enum trace_tp_state state;
	bool has_raw;		/* it has a raw_tp variant (not with test_no_raw_tp) */
	bool raw;		/* the raw_tp variant is used */
	struct bpf_program *prog;	/* in the loaded object */
	struct bpf_link *link;
};

struct trace_names;		/* names of other namespaces and of their devices */

enum trace_step {
	TRACE_S_SETUP, TRACE_S_BTF, TRACE_S_NONE, TRACE_S_LOAD, TRACE_S_REFUSED, TRACE_S_ATTACH,
};

struct trace {
	struct trace_opts opt;
	struct xdp_monitor_kern *skel;
	struct trace_tp tp[TRACE_TPS];
	enum trace_step step;		/* where trace_open() failed */
	__u32 netns;			/* our network namespace (inode) */
	int ncpus, enq_slots;
	struct mon_xmit_rec *xmit_cpu;	/* one per-CPU value of the transmit maps */
	struct trace_names *names;
};

#define TRACE_INIT { .skel = NULL }

/* Probe, load and attach what opt asks for; 0 or -errno (-ENOENT: no such tracepoint, or the
 * verifier refused every program; -ENOMEM). t is ready for trace_close() either way. */
int trace_open(struct trace *t, const struct trace_opts *opt);
/* Prints the one line of trace_open()'s failure ("tool: ..."), returns the exit code. */
int trace_report(const struct trace *t, int err);
/* The same reason as text, for a tool that goes on without the tracepoints. */
const char *trace_failure(const struct trace *t, int err, char *buf, size_t len);
/* On stderr, each once, "tool: ...": the tracepoints skipped (not on this kernel, other
 * arguments, refused by the verifier; with -v those counted by raw_tp programs). missing_all:
 * name missing map-redirect tracepoints too (their events come through xdp_redirect[_err]
 * where the kernel lacks them, so only the monitor names them). */
void trace_notices(const struct trace *t, bool missing_all);
void trace_detach(struct trace *t);		/* idempotent */
void trace_close(struct trace *t);		/* detach, unload, free; idempotent */
bool trace_tp_known(const char *name, size_t len);	/* xdp:<name> is one of ours */
bool trace_on(const struct trace *t, const char *tp);	/* tracepoint tp is counted */

/* ---- snapshots ---- */

struct trace_exc_ent {
	struct mon_exc_key k;
	struct mon_exc_rec r;
};

struct trace_xmit_ent {
	struct mon_xmit_key k;
	struct mon_xmit_rec r;
};

struct trace_err_ent {
	struct mon_err_key k;
	struct mon_redir_rec r;
};

/* One reading: this struct, then the per-CPU arrays it points to (sized at run time). */
struct trace_snap {
	struct mon_redir_rec *redir;	/* [MON_R_MAX][ncpus] */
	struct mon_enq_rec *enq;	/* [enq_slots][ncpus]: target CPU, source CPU */
	struct mon_kthr_rec *kthr;	/* [ncpus] */
	int n_exc, n_dmx, n_bulk, n_err;
	struct trace_exc_ent exc[MON_PAIRS_MAX];
	struct trace_xmit_ent dmx[MON_PAIRS_MAX];
	struct trace_xmit_ent bulk[MON_PAIRS_MAX];
	struct trace_err_ent err[MON_PAIRS_MAX];	/* with err_by_dev */
};

size_t trace_snap_size(const struct trace *t);	/* a multiple of 8 */
/* Reads every counter into s (trace_snap_size() bytes, 8-byte aligned); 0 or -errno. */
int trace_collect(struct trace *t, struct trace_snap *s);

/* ---- figures ---- */

extern const char *const trace_redir_names[MON_R_MAX];	/* "success", "ENETDOWN", ... */
const char *trace_errno_name(long long err);		/* -ENXIO -> "ENXIO"; 0 -> "-" */
/* Redirects of outcome slot (-1: every error) on cpu (-1: every CPU). */
__u64 trace_redir(const struct trace *t, const struct trace_snap *s, int slot, int cpu);
/* Sum of the devmap transmits from from_ifindex (0: any) to to_ifindex (0: any) of our
 * namespace; last_err is the last one's. */
struct mon_xmit_rec trace_xmit(const struct trace *t, const struct trace_snap *s,
			       int from_ifindex, int to_ifindex);
/* With err_by_dev: redirect errors of slot (-1: all) from from_ifindex (0: any) to to_ifindex
 * (0: any) of our namespace. */
__u64 trace_err(const struct trace *t, const struct trace_snap *s, int from_ifindex,
		int to_ifindex, int slot);
/* A device's label: its name in our namespace; NAME@NETNS in another one. */
const char *trace_dev_label(const struct trace *t, const struct mon_dev *d, char *buf,
			    size_t len);
#define TRACE_LABEL_MAX (2 * (IF_NAMESIZE + 1 + 64) + 4)	/* NAME@NETNS->NAME@NETNS */

/* ---- printing ---- */

/* xdp_monitor's interval tables: redirect (per CPU, per errno), exceptions, transmits, cpumap. */
void trace_print_tables(const struct trace *t, FILE *f, const struct trace_snap *now,
			const struct trace_snap *then, __u64 dt);
/* xdp_monitor's text summary line and its errno and exception rows, since the start. */
void trace_print_summary(const struct trace *t, FILE *f, const struct trace_snap *s, __u64 dt);
/* The cpumap rows (enqueue from->to CPU, kthread per CPU) of xdp_monitor's table, label column
 * w wide; none when nothing changed. */
bool trace_cpumap_changed(const struct trace *t, const struct trace_snap *s,
			  const struct trace_snap *p);
void trace_print_cpumap(const struct trace *t, FILE *f, const struct trace_snap *s,
			const struct trace_snap *p, __u64 dt, int w);

/* xdp_monitor's JSON object body: redirect, exceptions, devmap_xmit, bulk_tx, cpumap_*; rates
 * against p (NULL: since the start). */
void trace_json_body(const struct trace *t, struct jw *w, const struct trace_snap *s,
		     const struct trace_snap *p, __u64 dt);
/* Pieces of it: "redirect" {success, error, success_pps, error_pps, errors{}, cpus[]}; the
 * cpumap arrays; a device {name, ifindex, netns[, netns_name]} under key. */
void trace_json_redirect(const struct trace *t, struct jw *w, const struct trace_snap *s,
			 const struct trace_snap *p, __u64 dt);
void trace_json_cpumap(const struct trace *t, struct jw *w, const struct trace_snap *s,
		       const struct trace_snap *p, __u64 dt);
void trace_json_dev(const struct trace *t, struct jw *w, const char *key, const struct mon_dev *d);
/* "tracepoints" {loaded, off, unavailable, bad_layout, refused} and "raw_tp" (names), and
 * "prog_ids" (those loaded). */
void trace_json_tracepoints(const struct trace *t, struct jw *w);
void trace_json_prog_ids(const struct trace *t, struct jw *w);

#endif /* XDP_TRACE_H */
