// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_redirect_cpu: spread the frames of a device over a list of CPUs through a cpumap, so
 * that their skbs are built, and the stack runs, on those CPUs instead of the receiving one
 * (Suricata-style load spreading). The CPU is chosen per frame (--lb); an optional second
 * stage (--remote-action) runs on the target CPU and passes, drops or redirects each frame.
 * Reports what the receive CPUs did and, per target CPU, what its second stage did.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common_user.h"
#include "xdp_trace.h"
#include "xdp_redirect_cpu.h"
#include "xdp_redirect_cpu.skel.h"

#define QSIZE_MAX 16384		/* the kernel's limit on a cpumap entry's queue */
#define REMOTE_NONE (-1)	/* --remote-action none: no program in the cpumap entries */

struct rcpu_opts {
	struct iface dev;
	const char *cpu_list;
	__u32 qsize;
	int lb;			/* enum rcpu_lb */
	int remote;		/* enum rcpu_remote_action, REMOTE_NONE */
	struct iface redirect_dev;
	bool no_swapmac;
	bool stress;
	bool queue_stats;	/* the cpumap and transmit tracepoints */
	struct xdp_opts xdp;
	struct run_opts run;
	/* from --cpu */
	__u32 ncpus;
	__u32 cpus[RCPU_TARGETS_MAX];
};

static const struct rcpu_opts rcpu_defaults = {
	.qsize = 2048,
	.lb = RCPU_LB_HASH,
	.remote = REMOTE_NONE,
	.xdp.mode = XDP_MODE_AUTO,
	.run.interval = 2.0,
};

static const struct opt_enum rcpu_lbs[] = {
	{ "round-robin", RCPU_LB_ROUND_ROBIN },
	{ "hash", RCPU_LB_HASH },
	{ "l4-proto", RCPU_LB_L4_PROTO },
	{ "l4-sport", RCPU_LB_L4_SPORT },
	{ "l4-dport", RCPU_LB_L4_DPORT },
	{ "no-touch", RCPU_LB_NO_TOUCH },
	{ "touch", RCPU_LB_TOUCH },
	{ NULL, 0 },
};

static const struct opt_enum rcpu_remotes[] = {
	{ "none", REMOTE_NONE },
	{ "pass", RCPU_REMOTE_PASS },
	{ "drop", RCPU_REMOTE_DROP },
	{ "redirect", RCPU_REMOTE_REDIRECT },
	{ NULL, 0 },
};

#define O(...) OPTION(struct rcpu_opts, __VA_ARGS__)
static const struct opt_def rcpu_opt_defs[] = {
	O("dev", 'd', OPT_IFACE, dev, "IFACE", "device to attach to (name or index)"),
	O("cpu", 'c', OPT_STR, cpu_list, "LIST",
	  "target CPUs: numbers and ranges (0-3,6), or all (online); required"),
	O("lb", 'l', OPT_ENUM, lb, "HOW", "how the target CPU is chosen per frame",
	  .values = rcpu_lbs),
	O("qsize", 'q', OPT_U32, qsize, "N", "frames each target CPU's queue holds", .min = 1,
	  .max = QSIZE_MAX),
	O("remote-action", 'r', OPT_ENUM, remote, "ACTION",
	  "the second stage: a program run on the target CPU",
	  .values = rcpu_remotes),
	O("redirect-dev", 'D', OPT_IFACE, redirect_dev, "IFACE",
	  "where --remote-action redirect sends the frames"),
	O("no-swapmac", 0, OPT_BOOL, no_swapmac, NULL,
	  "redirect frames with their MACs as received (default: swapped)"),
	O("stress", 'x', OPT_BOOL, stress, NULL,
	  "re-create the cpumap entries every interval (while traffic flows)"),
	O("queue-stats", 'Q', OPT_BOOL, queue_stats, NULL,
	  "also count the cpumap queues and transmits (tracepoints: a few % slower)"),
	OPT_ROW_INTERVAL(struct rcpu_opts, "interval", 'i', "seconds between reports"),
	OPT_ROW_DURATION(struct rcpu_opts, 0),
	OPT_ROWS_XDP(struct rcpu_opts),
	OPT_ROWS_OUTPUT(struct rcpu_opts, 'z', OPT_JSON_HELP),
	O("iface", 0, OPT_IFACE, dev, "IFACE", "device", .positional = true),
	OPT_END,
};
#undef O

static const struct opt_tool rcpu_tool = {
	.name = "xdp_redirect_cpu",
	.summary = "Spread a device's frames over CPUs through a cpumap; report per CPU.",
	.usage = "[options] IFACE --cpu LIST",
	.defs = rcpu_opt_defs,
	.defaults = &rcpu_defaults,
	.doc =
"--lb: round-robin (each receive CPU cycles through the list: exact shares), hash (flow\n"
"hash of IPv4/IPv6 addresses, protocol and ports: one CPU per flow), l4-proto (TCP the\n"
"first CPU, UDP the second, ICMP the third, modulo the list), l4-sport/l4-dport (the port\n"
"modulo the list), no-touch (the first CPU, the frame unread), touch (read, then the first).\n"
"--remote-action: none (no program: the skb is built on the target CPU), pass (a program\n"
"passes: the same, counted), drop, redirect (out of --redirect-dev, MACs swapped).\n"
"Tables, rates per second over the measured period:\n"
"  receive CPU   rx = redirect (into the cpumap) + no-entry (the target CPU had no cpumap\n"
"                entry: the frame passed on the receive CPU)\n"
"  target CPU    chosen: redirected to it by the first stage\n"
"  second stage  its verdicts on the target CPU: pass, drop, redirect, no-target\n"
"                (redirect, but no device: passed). chosen - verdicts: frames dropped at\n"
"                enqueue or still queued (exact once traffic has stopped)\n"
"--queue-stats adds the kernel's side, from the xdp:xdp_cpumap_* tracepoints (they count\n"
"the events of every cpumap) and xdp:xdp_devmap_xmit, hit once per bulk of frames: they\n"
"cost a few % of the redirect rate. Without it those columns are left out.\n"
"  target CPU    chosen = enq (entered its queue) + enq-drop (the queue was full); kthr:\n"
"                taken by its kthread, kthr-drop (no skb), bulk-avg: frames per flush into\n"
"                the queue, sched: kthread sleeps\n"
"  transmit      with redirect: frames sent out of --redirect-dev, dropped, driver errors\n"
"Redirect errors (by errno) are always counted: their tracepoint fires only on errors.\n"
"Ctrl-\\ (SIGQUIT) toggles the receive-CPU rows. Exit codes: see README.\n",
};

/* ------------------------------------------------------------------ options */

/* --cpu LIST into opt->cpus, in the order given: CPUs that exist and are online, each once. */
static int cpus_finish(struct rcpu_opts *opt, int ncpus)
{
	bool *set = calloc((size_t)ncpus, sizeof(*set)), *online = calloc((size_t)ncpus, 1);
	int *order = calloc((size_t)ncpus, sizeof(*order));
	int n = 0, bad, ret = 0;

	if (!set || !online || !order) {
		ret = report(-ENOMEM, EXIT_FAIL_MEM, "allocate CPU sets");
		goto out;
	}
	if (cpus_online(online, ncpus))
		memset(online, 1, (size_t)ncpus);	/* unknown: the kernel will say */
	if (!strcmp(opt->cpu_list, "all")) {
		for (int c = 0; c < ncpus; c++)
			if (online[c])
				order[n++] = c;
	} else {
		n = cpulist_parse(opt->cpu_list, set, ncpus, order, &bad);
	}
	if (n == -EINVAL)
		ret = report(0, EXIT_FAIL_OPTION, "bad --cpu '%s' (want CPU numbers and ranges "
			     "such as 0-3,6, or all)", opt->cpu_list);
	else if (n == -ERANGE)
		ret = report(0, EXIT_FAIL_OPTION, "bad --cpu '%s': CPU %d does not exist (CPUs "
			     "0-%d)", opt->cpu_list, bad, ncpus - 1);
	else if (n == -EEXIST)
		ret = report(0, EXIT_FAIL_OPTION, "bad --cpu '%s': CPU %d listed twice",
			     opt->cpu_list, bad);
	else if (n > RCPU_TARGETS_MAX)
		ret = report(0, EXIT_FAIL_OPTION, "bad --cpu '%s': %d CPUs (at most %d)",
			     opt->cpu_list, n, RCPU_TARGETS_MAX);
	for (int i = 0; !ret && i < n; i++) {
		if (!online[order[i]])
			ret = report(0, EXIT_FAIL_OPTION, "bad --cpu '%s': CPU %d is offline",
				     opt->cpu_list, order[i]);
		opt->cpus[i] = (__u32)order[i];
	}
	opt->ncpus = ret ? 0 : (__u32)n;
out:
	free(set);
	free(online);
	free(order);
	return ret;
}

static int opts_finish(struct rcpu_opts *opt, int ncpus)
{
	if (!opt->dev.ifindex)
		return report(0, EXIT_FAIL_OPTION, "missing IFACE; see --help");
	if (!opt->cpu_list)
		return report(0, EXIT_FAIL_OPTION, "required option --cpu missing; see --help");
	if (xdp_opts_finish(&opt->xdp))
		return EXIT_FAIL_OPTION;
	if (opt->remote == RCPU_REMOTE_REDIRECT && !opt->redirect_dev.ifindex)
		return report(0, EXIT_FAIL_OPTION, "--remote-action redirect needs --redirect-dev");
	if (opt->remote != RCPU_REMOTE_REDIRECT && opt->redirect_dev.ifindex)
		return report(0, EXIT_FAIL_OPTION, "--redirect-dev is for --remote-action redirect");
	if (opt->remote != RCPU_REMOTE_REDIRECT && opt->no_swapmac)
		return report(0, EXIT_FAIL_OPTION, "--no-swapmac is for --remote-action redirect");
	return cpus_finish(opt, ncpus);
}

/* ------------------------------------------------------------------ the run */

struct run {
	const struct rcpu_opts *opt;
	FILE *out;			/* stdout, through struct out */
	struct xdp_redirect_cpu_kern *skel;
	struct bpf_program *prog;	/* the first stage of this strategy */
	struct trace tr;		/* the xdp:* tracepoints: redirect errors; with
					 * --queue-stats cpumap and xmit too */
	bool tr_on;			/* tr is counting (else redirect errors are not known) */
	bool queue_on;			/* it counts the cpumap tracepoints (--queue-stats) */
	bool xmit_on;			/* it counts the transmits (--queue-stats, redirect) */
	int ncpus;			/* possible CPUs */
	int stats_fd, remote_fd, cpumap_fd;
	struct bpf_cpumap_val entry;	/* what each target CPU's cpumap entry holds */
	__u32 cpumap_id;
	__u64 stress_rounds;		/* --stress: times the entries were re-created */
	bool show_rx;			/* the receive CPUs' rows (Ctrl-\) */
};

/*
 * A snapshot: the header, the first stage's record of each receive CPU, the second stage's of
 * each CPU, then the tracepoints' reading (trace_snap_size() bytes, when they count). Offsets,
 * not pointers: the driver's snapshots start zeroed.
 */
struct snap_hdr {
	__u64 stress_rounds;
};

struct view {
	struct snap_hdr *h;
	struct rcpu_rec *rx;		/* [ncpus] */
	struct rcpu_remote_rec *remote;	/* [ncpus] */
	struct trace_snap *tr;		/* NULL: the tracepoints do not count */
};

static struct view view_of(const struct run *r, const void *snap)
{
	struct view v;

	v.h = (struct snap_hdr *)snap;
	v.rx = (struct rcpu_rec *)(v.h + 1);
	v.remote = (struct rcpu_remote_rec *)(v.rx + r->ncpus);
	v.tr = r->tr_on ? (struct trace_snap *)(v.remote + r->ncpus) : NULL;
	return v;
}

static size_t snap_size(const struct run *r)
{
	return sizeof(struct snap_hdr) +
	       (size_t)r->ncpus * (sizeof(struct rcpu_rec) + sizeof(struct rcpu_remote_rec)) +
	       (r->tr_on ? trace_snap_size(&r->tr) : 0);
}

static int collect(void *ctx, void *snap, __u64 *t)
{
	struct run *r = ctx;
	struct view v = view_of(r, snap);
	struct rcpu_remote_rec remote;
	struct rcpu_rec *rx = malloc(sizeof(*rx));	/* 4 KiB: not on the stack */
	__u32 zero = 0;
	int err;

	(void)t;
	if (!rx)
		return -ENOMEM;
	v.h->stress_rounds = r->stress_rounds;
	err = PERCPU_READ(r->stats_fd, &zero, r->ncpus, v.rx, rx);
	for (int c = 0; !err && c < r->ncpus; c++)
		rcpu_rec_fill(&v.rx[c], r->opt->ncpus);
	if (!err)
		err = PERCPU_READ(r->remote_fd, &zero, r->ncpus, v.remote, &remote);
	if (!err && v.tr)
		err = trace_collect(&r->tr, v.tr);
	free(rx);
	return err;
}

/* ------------------------------------------------------------------ figures */

/* The first stage: one receive CPU (cpu >= 0) or all. v NULL: zeros (before the start). */
struct rx_fig {
	__u64 rx, redirected, no_entry, malformed;
};

static struct rx_fig rx_fig(const struct run *r, const struct view *v, int cpu)
{
	struct rx_fig f = {};

	for (int c = 0; v && c < r->ncpus; c++) {
		if (cpu >= 0 && c != cpu)
			continue;
		f.rx += v->rx[c].rx;
		f.redirected += v->rx[c].redirected;
		f.no_entry += v->rx[c].no_entry;
		f.malformed += v->rx[c].malformed;
	}
	return f;
}

/*
 * A target CPU, the i-th of --cpu (i < 0: all of them): what the first stage sent it, what the
 * kernel's cpumap did with it (with --queue-stats, the tracepoints: frames flushed towards its
 * queue from any CPU, enq.processed, of which enq.drops found it full; its kthread's work),
 * what its second stage did.
 */
struct tgt_fig {
	__u64 chosen, chosen_no_entry;
	struct mon_enq_rec enq;
	struct mon_kthr_rec kthr;
	struct rcpu_remote_rec remote;
};

static void tgt_add(const struct run *r, const struct view *v, __u32 cpu, struct tgt_fig *f)
{
	const struct trace *t = &r->tr;

	REC_ADD(&f->remote, &v->remote[cpu]);
	if (!r->queue_on)
		return;
	/* CPUs beyond the tracepoints' slots share the last one */
	for (int from = 0; from < t->ncpus; from++)
		REC_ADD(&f->enq, &v->tr->enq[(size_t)(cpu < (__u32)t->enq_slots ? cpu :
						       (__u32)t->enq_slots - 1) * t->ncpus + from]);
	REC_ADD(&f->kthr, &v->tr->kthr[cpu]);
}

static struct tgt_fig tgt_fig(const struct run *r, const struct view *v, int i)
{
	const struct rcpu_opts *opt = r->opt;
	struct tgt_fig f = {};

	for (int k = 0; v && k < (int)opt->ncpus; k++) {
		if (i >= 0 && k != i)
			continue;
		for (int c = 0; c < r->ncpus; c++) {
			f.chosen += v->rx[c].target[k].redirected;
			f.chosen_no_entry += v->rx[c].target[k].no_entry;
		}
		tgt_add(r, v, opt->cpus[k], &f);
	}
	return f;
}

/*
 * Frames the first stage sent to the target CPU(s) of f that its second stage has not given a
 * verdict on: dropped at enqueue (a full queue, an entry replaced) or still queued. Exact once
 * traffic has stopped; while it flows, a frame may be read as judged before it is read as
 * sent (the second stage's counters are read last), hence the floor at 0.
 */
static __u64 not_judged(const struct tgt_fig *f)
{
	const struct rcpu_remote_rec *x = &f->remote;
	__u64 judged = x->pass + x->drop + x->redirect + x->no_target;

	return f->chosen > judged ? f->chosen - judged : 0;
}

/* Frames per bulk: of an enqueue (a flush into the queue), of a kthread round. */
static double per_event(__u64 frames, __u64 events)
{
	return events ? (double)frames / (double)events : 0.0;
}

/* What the tracepoints saw of our devices besides: redirect errors by errno (the first stage
 * into the cpumap, the second stage into the devmap), transmits out of --redirect-dev. */
struct dev_fig {
	__u64 err[MON_R_MAX];		/* by enum mon_redir; [MON_R_SUCCESS] unused */
	struct mon_xmit_rec xmit;
};

static struct dev_fig dev_fig(const struct run *r, const struct view *v)
{
	struct dev_fig f = {};

	if (!v || !v->tr)
		return f;
	for (int slot = MON_R_SUCCESS + 1; slot < MON_R_MAX; slot++)
		f.err[slot] = trace_redir(&r->tr, v->tr, slot, -1);
	if (r->xmit_on)
		f.xmit = trace_xmit(&r->tr, v->tr, 0, r->opt->redirect_dev.ifindex);
	return f;
}

static __u64 err_total(const struct dev_fig *f)
{
	__u64 n = 0;

	for (int slot = MON_R_SUCCESS + 1; slot < MON_R_MAX; slot++)
		n += f->err[slot];
	return n;
}

/* ------------------------------------------------------------------ output */

static const char *rate(char buf[32], const struct run *r, __u64 now, __u64 then, __u64 dt)
{
	return fmt_rate(buf, rate_per_sec(now, then, dt), !r->opt->run.no_sep);
}

static void print_rx_row(const struct run *r, const char *label, const struct rx_fig *n,
			 const struct rx_fig *t, __u64 dt)
{
	char a[32], b[32], c[32];

	fprintf(r->out, "  %-14s %14s %16s %16s\n", label, rate(a, r, n->rx, t->rx, dt),
		rate(b, r, n->redirected, t->redirected, dt),
		rate(c, r, n->no_entry, t->no_entry, dt));
}

static void print_tgt_row(const struct run *r, const char *label, const struct tgt_fig *n,
			  const struct tgt_fig *t, __u64 dt)
{
	const struct mon_enq_rec *e = &n->enq, *eo = &t->enq;
	const struct mon_kthr_rec *k = &n->kthr, *ko = &t->kthr;
	char a[32], b[32], c[32], d[32], x[32], y[32];

	fprintf(r->out, "  %-14s %12s", label, rate(a, r, n->chosen, t->chosen, dt));
	if (r->queue_on)
		fprintf(r->out, " %12s %10s %8.2f %12s %11s %8s",
			rate(b, r, e->processed - e->drops, eo->processed - eo->drops, dt),
			rate(c, r, e->drops, eo->drops, dt),
			per_event(e->processed - eo->processed, e->events - eo->events),
			rate(d, r, k->processed, ko->processed, dt), rate(x, r, k->drops, ko->drops, dt),
			rate(y, r, k->sched, ko->sched, dt));
	fputc('\n', r->out);
}

static void print_remote_row(const struct run *r, const char *label, const struct tgt_fig *n,
			     const struct tgt_fig *t, __u64 dt)
{
	const struct rcpu_remote_rec *x = &n->remote, *y = &t->remote;
	char a[32], b[32], c[32], d[32];

	fprintf(r->out, "  %-14s %14s %14s %16s %16s\n", label, rate(a, r, x->pass, y->pass, dt),
		rate(b, r, x->drop, y->drop, dt), rate(c, r, x->redirect, y->redirect, dt),
		rate(d, r, x->no_target, y->no_target, dt));
}

typedef void tgt_row_fn(const struct run *r, const char *label, const struct tgt_fig *n,
			const struct tgt_fig *t, __u64 dt);

/* One row of a target-CPU table a --cpu entry, then the total. */
static void print_tgt_rows(const struct run *r, const struct view *s, const struct view *p,
			   __u64 dt, tgt_row_fn *row)
{
	struct tgt_fig n, t;
	char col[16];

	for (int i = 0; i < (int)r->opt->ncpus; i++) {
		n = tgt_fig(r, s, i);
		t = tgt_fig(r, p, i);
		snprintf(col, sizeof(col), "%u", r->opt->cpus[i]);
		row(r, col, &n, &t, dt);
	}
	n = tgt_fig(r, s, -1);
	t = tgt_fig(r, p, -1);
	row(r, "total", &n, &t, dt);
}

/* The redirect errors of the period by errno, and the transmits out of --redirect-dev. */
static void print_dev_rows(const struct run *r, const struct view *s, const struct view *p,
			   __u64 dt)
{
	struct dev_fig n = dev_fig(r, s), t = dev_fig(r, p);
	const struct mon_xmit_rec *x = &n.xmit, *xo = &t.xmit;
	char a[32], b[32], c[32];

	if (!r->tr_on)
		return;
	if (err_total(&n) != err_total(&t)) {
		fprintf(r->out, "%-16s", "redirect errors");
		for (int slot = MON_R_SUCCESS + 1; slot < MON_R_MAX; slot++)
			if (n.err[slot] != t.err[slot])
				fprintf(r->out, " %s %s pkt/s", trace_redir_names[slot],
					rate(a, r, n.err[slot], t.err[slot], dt));
		fputc('\n', r->out);
	}
	if (!r->xmit_on)
		return;
	fprintf(r->out, "%-16s %14s %14s %12s %8s %s\n", "transmit", "xmit pkt/s", "drop pkt/s",
		"drv-err/s", "bulk-avg", "last-err");
	fprintf(r->out, "  %-14s %14s %14s %12s %8.2f %s\n", r->opt->redirect_dev.name,
		rate(a, r, x->sent, xo->sent, dt), rate(b, r, x->drops, xo->drops, dt),
		rate(c, r, x->err_events, xo->err_events, dt),
		per_event(x->sent + x->drops - xo->sent - xo->drops, x->events - xo->events),
		trace_errno_name((long long)x->last_err));
}

static void print_tables(const struct run *r, const struct view *s, const struct view *p,
			 __u64 dt)
{
	const struct rcpu_opts *opt = r->opt;
	struct rx_fig rn, rt;
	char col[16];

	fprintf(r->out, "\nPeriod %.3f s\n", (double)dt / 1e9);
	fprintf(r->out, "%-16s %14s %16s %16s\n", "receive CPU", "rx pkt/s", "redirect pkt/s",
		"no-entry pkt/s");
	for (int c = 0; c < r->ncpus && r->show_rx; c++) {
		rn = rx_fig(r, s, c);
		rt = rx_fig(r, p, c);
		if (rn.rx == rt.rx)
			continue;
		snprintf(col, sizeof(col), "%d", c);
		print_rx_row(r, col, &rn, &rt, dt);
	}
	rn = rx_fig(r, s, -1);
	rt = rx_fig(r, p, -1);
	print_rx_row(r, "total", &rn, &rt, dt);

	fprintf(r->out, "%-16s %12s", "target CPU", "chosen pkt/s");
	if (r->queue_on)
		fprintf(r->out, " %12s %10s %8s %12s %11s %8s", "enq pkt/s", "enq-drop/s", "bulk-avg",
			"kthr pkt/s", "kthr-drop/s", "sched/s");
	fputc('\n', r->out);
	print_tgt_rows(r, s, p, dt, print_tgt_row);
	if (opt->remote != REMOTE_NONE) {
		fprintf(r->out, "%-16s %14s %14s %16s %16s\n", "second stage", "pass pkt/s",
			"drop pkt/s", "redirect pkt/s", "no-target pkt/s");
		print_tgt_rows(r, s, p, dt, print_remote_row);
	}
	print_dev_rows(r, s, p, dt);
}

/* A flow's counter: its value since start and, as KEY_pps, its rate over the period. */
static void jw_flow(struct jw *w, const char *key, __u64 now, __u64 then, __u64 dt)
{
	char k[64];

	jw_u64(w, key, now);
	snprintf(k, sizeof(k), "%s_pps", key);
	jw_double(w, k, rate_per_sec(now, then, dt));
}

static void json_rx(struct jw *w, const struct rx_fig *n, const struct rx_fig *t, __u64 dt)
{
	jw_flow(w, "rx", n->rx, t->rx, dt);
	jw_flow(w, "redirected", n->redirected, t->redirected, dt);
	jw_u64(w, "no_entry", n->no_entry);
	jw_u64(w, "malformed", n->malformed);
}

static void json_tgt(const struct run *r, struct jw *w, const struct tgt_fig *n,
		     const struct tgt_fig *t, __u64 dt)
{
	jw_flow(w, "chosen", n->chosen, t->chosen, dt);
	jw_u64(w, "chosen_no_entry", n->chosen_no_entry);
	if (r->queue_on) {
		jw_flow(w, "enqueued", n->enq.processed - n->enq.drops,
			t->enq.processed - t->enq.drops, dt);
		jw_u64(w, "enqueue_drops", n->enq.drops);
		jw_u64(w, "enqueue_bulks", n->enq.events);
		jw_flow(w, "kthread_processed", n->kthr.processed, t->kthr.processed, dt);
		jw_u64(w, "kthread_drops", n->kthr.drops);
		jw_u64(w, "kthread_sched", n->kthr.sched);
		jw_u64(w, "kthread_rounds", n->kthr.events);
		jw_u64(w, "kthread_xdp_pass", n->kthr.xdp_pass);
		jw_u64(w, "kthread_xdp_drop", n->kthr.xdp_drop);
		jw_u64(w, "kthread_xdp_redirect", n->kthr.xdp_redirect);
	}
	jw_u64(w, "pass", n->remote.pass);
	jw_u64(w, "drop", n->remote.drop);
	jw_u64(w, "redirect", n->remote.redirect);
	jw_u64(w, "no_target", n->remote.no_target);
	jw_u64(w, "short_frame", n->remote.short_frame);
	if (r->opt->remote != REMOTE_NONE)
		jw_u64(w, "dropped_or_queued", not_judged(n));
}

static void json_dev(const struct run *r, struct jw *w, const struct view *s)
{
	struct dev_fig f = dev_fig(r, s);

	if (!r->tr_on)
		return;
	jw_obj(w, "redirect_errors");
	for (int slot = MON_R_SUCCESS + 1; slot < MON_R_MAX; slot++)
		jw_u64(w, trace_redir_names[slot], f.err[slot]);
	jw_obj_end(w);
	if (!r->xmit_on)
		return;
	jw_obj(w, "xmit");
	jw_u64(w, "sent", f.xmit.sent);
	jw_u64(w, "drops", f.xmit.drops);
	jw_u64(w, "drv_err_events", f.xmit.err_events);
	jw_u64(w, "bulks", f.xmit.events);
	jw_str(w, "last_err", trace_errno_name((long long)f.xmit.last_err));
	jw_obj_end(w);
}

/* The body of an interval or summary line: counters of s since start, rates against p (NULL:
 * zero counters, so rates over the whole run). */
static void json_body(struct jw *w, const struct run *r, const struct view *s,
		      const struct view *p, __u64 dt)
{
	const struct rcpu_opts *opt = r->opt;
	struct rx_fig rn, rt;
	struct tgt_fig tn, tt;

	rn = rx_fig(r, s, -1);
	rt = rx_fig(r, p, -1);
	jw_obj(w, "rx");
	json_rx(w, &rn, &rt, dt);
	jw_obj_end(w);
	jw_arr(w, "rx_cpus");
	for (int c = 0; c < r->ncpus; c++) {
		rn = rx_fig(r, s, c);
		rt = rx_fig(r, p, c);
		if (!rn.rx)
			continue;
		jw_obj(w, NULL);
		jw_i64(w, "cpu", c);
		json_rx(w, &rn, &rt, dt);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_arr(w, "targets");
	for (int i = 0; i < (int)opt->ncpus; i++) {
		tn = tgt_fig(r, s, i);
		tt = tgt_fig(r, p, i);
		jw_obj(w, NULL);
		jw_i64(w, "cpu", opt->cpus[i]);
		json_tgt(r, w, &tn, &tt, dt);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	tn = tgt_fig(r, s, -1);
	tt = tgt_fig(r, p, -1);
	jw_obj(w, "target_total");
	json_tgt(r, w, &tn, &tt, dt);
	jw_obj_end(w);
	json_dev(r, w, s);
	jw_u64(w, "stress_rounds", s->h->stress_rounds);
}

static void rcpu_print(void *ctx, const void *now, const void *then, __u64 dt)
{
	const struct run *r = ctx;
	struct view s = view_of(r, now), p = view_of(r, then);
	struct jw w;

	if (!r->opt->run.json) {
		print_tables(r, &s, &p, dt);
		return;
	}
	jw_begin(&w, r->out);
	jw_str(&w, "type", "interval");
	jw_u64(&w, "period_ns", dt);
	json_body(&w, r, &s, &p, dt);
	jw_end(&w);
}

static void rcpu_toggle(void *ctx)
{
	struct run *r = ctx;

	r->show_rx = !r->show_rx;
}

/* "0,1,4" (at most len bytes, "..." when cut) */
static const char *cpus_str(const struct rcpu_opts *opt, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (__u32 i = 0; i < opt->ncpus && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%u", i ? "," : "", opt->cpus[i]);
	if (n >= len && len > 4)
		strcpy(buf + len - 4, "...");
	return buf;
}

/* One target CPU's line of the text summary. */
static void summary_tgt(const struct run *r, const char *label, const struct tgt_fig *t)
{
	bool sep = !r->opt->run.no_sep;
	char a[32], b[32], c[32], d[32];

	fprintf(r->out, "  %s: %s chosen", label, fmt_u64(a, t->chosen, sep));
	if (r->queue_on)
		fprintf(r->out, ", %s enqueued (%s dropped: queue full), kthread %s (%s dropped)",
			fmt_u64(a, t->enq.processed - t->enq.drops, sep), fmt_u64(b, t->enq.drops, sep),
			fmt_u64(c, t->kthr.processed, sep), fmt_u64(d, t->kthr.drops, sep));
	else if (r->opt->remote != REMOTE_NONE)
		fprintf(r->out, ", %s dropped at enqueue or still queued",
			fmt_u64(a, not_judged(t), sep));
	if (r->opt->remote != REMOTE_NONE)
		fprintf(r->out, "\n  %*s  second stage: pass %s, drop %s, redirect %s, no-target %s",
			(int)strlen(label), "",
			fmt_u64(a, t->remote.pass, sep), fmt_u64(b, t->remote.drop, sep),
			fmt_u64(c, t->remote.redirect, sep), fmt_u64(d, t->remote.no_target, sep));
	fputc('\n', r->out);
}

/* The counters since the program was loaded (they start at zero), over the run's time. */
static void rcpu_summary(void *ctx, const void *last, const void *first, __u64 dt, int signal)
{
	const struct run *r = ctx;
	const struct rcpu_opts *opt = r->opt;
	struct view s = view_of(r, last);
	bool sep = !opt->run.no_sep;
	char a[32], b[32], c[32], d[32], cpus[128];
	struct rx_fig rx = rx_fig(r, &s, -1);
	struct dev_fig df = dev_fig(r, &s);
	struct tgt_fig t;
	struct jw w;

	(void)first;
	if (opt->run.json) {
		jw_begin(&w, r->out);
		jw_str(&w, "type", "summary");
		jw_u64(&w, "duration_ns", dt);
		json_body(&w, r, &s, NULL, dt);
		jw_i64(&w, "signal", signal);
		jw_end(&w);
		return;
	}
	fprintf(r->out, "\nSummary: %s->CPU %s, %.3f s: %s rx (%s pkt/s average), %s redirected, "
		"%s no-entry\n", opt->dev.name, cpus_str(opt, cpus, sizeof(cpus)), (double)dt / 1e9,
		fmt_u64(a, rx.rx, sep), fmt_rate(b, rate_per_sec(rx.rx, 0, dt), sep),
		fmt_u64(c, rx.redirected, sep), fmt_u64(d, rx.no_entry, sep));
	for (int i = 0; i < (int)opt->ncpus; i++) {
		t = tgt_fig(r, &s, i);
		snprintf(cpus, sizeof(cpus), "CPU %u", opt->cpus[i]);
		summary_tgt(r, cpus, &t);
	}
	if (err_total(&df))
		fprintf(r->out, "  %s redirect errors\n", fmt_u64(a, err_total(&df), sep));
	if (!r->queue_on && opt->remote != REMOTE_NONE)
		fprintf(r->out, "  (chosen - verdicts, exact once traffic has stopped; "
			"--queue-stats tells drops from queued)\n");
	if (r->xmit_on)
		fprintf(r->out, "  %s: %s sent, %s dropped\n", opt->redirect_dev.name,
			fmt_u64(a, df.xmit.sent, sep), fmt_u64(b, df.xmit.drops, sep));
	if (opt->stress)
		fprintf(r->out, "  --stress: the cpumap entries re-created %s times\n",
			fmt_u64(a, s.h->stress_rounds, sep));
}

/* ------------------------------------------------------------------ setup */

/* Every target CPU's cpumap entry: r->entry (queue size, second stage). An update replaces the
 * entry: a new queue and kthread, the old one drained first. 0, or -errno with *cpu the CPU. */
static int entries_set(const struct run *r, __u32 *cpu)
{
	for (__u32 i = 0; i < r->opt->ncpus; i++) {
		*cpu = r->opt->cpus[i];
		if (bpf_map_update_elem(r->cpumap_fd, cpu, &r->entry, 0))
			return -errno;
	}
	return 0;
}

/* --stress: the entries re-created after each reading, while traffic flows. */
static int rcpu_check(void *ctx)
{
	struct run *r = ctx;
	__u32 cpu;
	int err;

	if (!r->opt->stress)
		return 0;
	err = entries_set(r, &cpu);
	if (err)
		return err;
	r->stress_rounds++;
	return 0;
}

static const struct sampler_ops rcpu_ops = {
	.collect = collect,
	.print = rcpu_print,
	.summary = rcpu_summary,
	.toggle = rcpu_toggle,
	.check = rcpu_check,
};

/* The object with this run's configuration, loaded; the exit code on failure. */
static int load(struct run *r)
{
	const struct rcpu_opts *opt = r->opt;
	struct xdp_redirect_cpu_kern *skel;
	struct rcpu_cfg *cfg;
	int err;

	skel = r->skel = xdp_redirect_cpu_kern__open();
	if (!skel)
		return report(-errno, EXIT_FAIL_BPF, "open BPF object");
	cfg = (struct rcpu_cfg *)&skel->rodata->cfg;
	cfg->lb = (__u32)opt->lb;
	cfg->ncpus = opt->ncpus;
	cfg->remote_action = opt->remote == REMOTE_NONE ? RCPU_REMOTE_PASS : (__u32)opt->remote;
	cfg->flags = opt->remote == RCPU_REMOTE_REDIRECT && !opt->no_swapmac ? RCPU_F_SWAPMAC : 0;
	memcpy(cfg->cpus, opt->cpus, sizeof(cfg->cpus));
	r->prog = rcpu_prog_pick(skel);	/* a specialised program where there is one */
	/* keys are CPU numbers: one entry per possible CPU */
	err = bpf_map__set_max_entries(skel->maps.rcpu_cpu_map, (__u32)r->ncpus);
	if (!err && opt->remote == REMOTE_NONE)
		err = bpf_program__set_autoload(skel->progs.xdp_redirect_cpu_remote, false);
	if (!err)
		err = xdp_redirect_cpu_kern__load(skel);
	if (err)
		return report(err, EXIT_FAIL_BPF, "load BPF program (details with -vv)");
	r->stats_fd = bpf_map__fd(skel->maps.rcpu_stats);
	r->remote_fd = bpf_map__fd(skel->maps.rcpu_remote);
	r->cpumap_fd = bpf_map__fd(skel->maps.rcpu_cpu_map);
	r->entry.qsize = opt->qsize;
	if (opt->remote != REMOTE_NONE)
		r->entry.bpf_prog.fd = bpf_program__fd(skel->progs.xdp_redirect_cpu_remote);
	return 0;
}

/* The cpumap entries of the target CPUs, for the first time; the exit code on failure. */
static int entries_create(struct run *r)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), cpu = 0;
	int err = entries_set(r, &cpu);

	if (err == -EINVAL && r->opt->remote != REMOTE_NONE)
		return report(err, EXIT_FAIL_BPF, "create the cpumap entry of CPU %u with a second "
			      "stage (programs in cpumap entries need Linux 5.9)", cpu);
	if (err)
		return report(err, EXIT_FAIL, "create the cpumap entry of CPU %u", cpu);
	if (!bpf_obj_get_info_by_fd(r->cpumap_fd, &info, &len))
		r->cpumap_id = info.id;
	return 0;
}

/*
 * --remote-action redirect: slot 0 of rcpu_tx_port is the device. A device that runs no XDP
 * program gets one that passes everything, for the run (through a bpf_link: gone with us):
 * some drivers transmit redirected frames only then. The exit code on failure.
 */
struct egress {
	struct xdp_redirect_cpu_kern *pass;	/* the object's defaults: XDP_PASS */
	struct xdp_attach xa;
};

/* A device that cannot transmit the frames (a veth whose peer runs no XDP program, ...) is
 * named at the start: the frames would be dropped. The run goes on (a program may come). */
static int egress_check(const struct rcpu_opts *opt)
{
	char why[256];

	if (!xdp_xmit_check(&opt->redirect_dev, why, sizeof(why)))
		fprintf(stderr, "%s: warning: %s\n", rcpu_tool.name, why);
	return 0;
}

static int egress_setup(struct run *r, struct egress *e)
{
	const struct rcpu_opts *opt = r->opt;
	struct bpf_devmap_val v = { .ifindex = (__u32)opt->redirect_dev.ifindex };
	struct xdp_opts x = { .mode = XDP_MODE_AUTO };
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	__u32 key = 0;
	int err;

	if (opt->remote != RCPU_REMOTE_REDIRECT)
		return 0;
	if (bpf_map_update_elem(bpf_map__fd(r->skel->maps.rcpu_tx_port), &key, &v, 0))
		return report(-errno, EXIT_FAIL, "put %s into the devmap", opt->redirect_dev.name);
	if (opt->redirect_dev.ifindex == opt->dev.ifindex ||
	    bpf_xdp_query(opt->redirect_dev.ifindex, 0, &q) || q.prog_id)
		return egress_check(opt);
	e->pass = xdp_redirect_cpu_kern__open();
	if (!e->pass)
		return report(-errno, EXIT_FAIL_BPF, "open BPF object");
	err = bpf_map__set_max_entries(e->pass->maps.rcpu_cpu_map, 1);
	if (!err)
		err = bpf_program__set_autoload(e->pass->progs.xdp_redirect_cpu_remote, false);
	if (!err)
		err = xdp_redirect_cpu_kern__load(e->pass);
	if (err)
		return report(err, EXIT_FAIL_BPF, "load the XDP_PASS program for %s",
			      opt->redirect_dev.name);
	err = xdp_attach_or_report(&e->xa, e->pass->progs.xdp_redirect_cpu_prog,
				   &opt->redirect_dev, &x, XDP_VIA_LINK);
	if (err)
		return err;
	fprintf(stderr, "%s: %s ran no XDP program: an XDP_PASS one is attached for this run "
		"(some drivers transmit redirected frames only with one)\n", rcpu_tool.name,
		opt->redirect_dev.name);
	return egress_check(opt);
}

static void egress_release(struct egress *e)
{
	xdp_attach_release(&e->xa);
	xdp_redirect_cpu_kern__destroy(e->pass);
	e->pass = NULL;
}

static void print_banner(const struct run *r, const struct xdp_attach *xa)
{
	const struct rcpu_opts *opt = r->opt;
	const char *remote = opt_enum_name(rcpu_remotes, opt->remote);
	char drv[64] = "?", cpus[128];
	struct jw w;

	iface_driver(opt->dev.name, drv, sizeof(drv));
	if (!opt->run.json) {
		fprintf(r->out, "Redirecting dev %s (ifindex %d, driver %s) mode %s to CPUs %s by %s, "
			"qsize %u, second stage %s", opt->dev.name, opt->dev.ifindex, drv,
			xdp_mode_str(xa->mode), cpus_str(opt, cpus, sizeof(cpus)),
			opt_enum_name(rcpu_lbs, opt->lb), opt->qsize, remote);
		if (opt->remote == RCPU_REMOTE_REDIRECT)
			fprintf(r->out, " to %s%s", opt->redirect_dev.name,
				opt->no_swapmac ? "" : " (MACs swapped)");
		fprintf(r->out, "%s\n", opt->stress ? ", --stress" : "");
		if (!opt->queue_stats)
			fprintf(r->out, "Not counted: the cpumap queues (enqueued, enqueue drops, "
				"kthread, sched, bulk size)%s; --queue-stats adds them (tracepoints: a "
				"few %% of the redirect rate)\n", opt->remote == RCPU_REMOTE_REDIRECT ?
				" and the transmits" : "");
		fflush(r->out);
		return;
	}
	jw_begin(&w, r->out);
	jw_str(&w, "type", "start");
	jw_str(&w, "dev", opt->dev.name);
	jw_i64(&w, "ifindex", opt->dev.ifindex);
	jw_str(&w, "driver", drv);
	jw_str(&w, "mode", xa->mode == XDP_MODE_SKB ? "skb" : "native");
	jw_arr(&w, "cpus");
	for (__u32 i = 0; i < opt->ncpus; i++)
		jw_u64(&w, NULL, opt->cpus[i]);
	jw_arr_end(&w);
	jw_str(&w, "lb", opt_enum_name(rcpu_lbs, opt->lb));
	jw_u64(&w, "qsize", opt->qsize);
	jw_str(&w, "remote_action", remote);
	if (opt->remote == RCPU_REMOTE_REDIRECT) {
		jw_str(&w, "redirect_dev", opt->redirect_dev.name);
		jw_i64(&w, "redirect_ifindex", opt->redirect_dev.ifindex);
		jw_bool(&w, "swapmac", !opt->no_swapmac);
	}
	jw_bool(&w, "stress", opt->stress);
	jw_bool(&w, "queue_stats", r->queue_on);
	jw_u64(&w, "prog_id", xa->prog_id);
	jw_u64(&w, "cpumap_id", r->cpumap_id);
	if (r->tr_on)
		trace_json_tracepoints(&r->tr, &w);
	jw_end(&w);
}

/*
 * The tracepoints: redirect errors of our devices (free: they fire only on errors); with
 * --queue-stats the cpumap columns and the transmits out of --redirect-dev too (hit once per
 * bulk of frames: a few % of the redirect rate, even for a program that does nothing). Without
 * them (a kernel that lacks them, a verifier that refuses their programs) the run goes on with
 * our own counters, saying so once.
 */
static void trace_start(struct run *r)
{
	const struct rcpu_opts *opt = r->opt;
	struct trace_opts to = {
		.groups = TRACE_REDIRECT | (opt->queue_stats ? TRACE_CPUMAP : 0) |
			  (opt->queue_stats && opt->remote == RCPU_REMOTE_REDIRECT ? TRACE_XMIT : 0),
		.no_sep = opt->run.no_sep,
		.n_dev = 1,
		.dev = { opt->dev.ifindex, opt->redirect_dev.ifindex },
		.verbose = opt->run.verbose,
	};
	char why[160];
	int err;

	if (opt->remote == RCPU_REMOTE_REDIRECT && opt->redirect_dev.ifindex != opt->dev.ifindex)
		to.n_dev = 2;
	err = trace_open(&r->tr, &to);
	r->tr_on = !err;
	r->queue_on = r->tr_on && trace_on(&r->tr, "xdp_cpumap_enqueue") &&
		      trace_on(&r->tr, "xdp_cpumap_kthread");
	r->xmit_on = r->tr_on && opt->remote == RCPU_REMOTE_REDIRECT &&
		     trace_on(&r->tr, "xdp_devmap_xmit");
	if (err)
		fprintf(stderr, "%s: %s: %s\n", rcpu_tool.name, opt->queue_stats ?
			"redirect errors and the cpumap columns are off" :
			"redirect errors are not counted",
			trace_failure(&r->tr, err, why, sizeof(why)));
	else if (opt->queue_stats && !r->queue_on)
		fprintf(stderr, "%s: the cpumap columns are off: this kernel lacks the "
			"xdp:xdp_cpumap_enqueue and xdp_cpumap_kthread tracepoints\n",
			rcpu_tool.name);
	else
		trace_notices(&r->tr, false);
	if (!r->tr_on)
		trace_close(&r->tr);
}

int main(int argc, char **argv)
{
	struct rcpu_opts opt = rcpu_defaults;
	struct xdp_attach xa = XDP_ATTACH_INIT;
	struct egress eg = { .xa = XDP_ATTACH_INIT };
	struct sampler smp = SAMPLER_INIT;
	struct run run = { .opt = &opt, .tr = TRACE_INIT, .show_rx = true };
	int err, ret;

	ret = tool_begin(argc, argv, &rcpu_tool, &opt);
	if (ret >= 0)
		return ret;
	run.ncpus = ncpus_possible();
	if (run.ncpus <= 0)
		return report(run.ncpus, EXIT_FAIL, "count possible CPUs");
	ret = opts_finish(&opt, run.ncpus);
	if (ret)
		return ret;
	ret = priv_require(NEED_BPF | NEED_NET_ADMIN | NEED_PERFMON);
	if (ret)
		return ret;
	log_setup(opt.run.verbose);

	ret = load(&run);
	if (!ret)
		ret = entries_create(&run);
	if (!ret)
		ret = egress_setup(&run, &eg);
	if (ret)
		goto out;
	trace_start(&run);
	if (sampler_init(&smp, &rcpu_ops, &run, snap_size(&run), &opt.run, 0)) {
		ret = report(-ENOMEM, EXIT_FAIL_MEM, "allocate statistics");
		goto out;
	}
	run.out = smp.out.f;
	ret = xdp_attach_or_report(&xa, run.prog, &opt.dev, &opt.xdp,
				   XDP_VIA_LINK);
	if (ret)
		goto out;
	print_banner(&run, &xa);
	sampler_track(&smp, &opt.dev, xa.link_fd);
	if (opt.remote == RCPU_REMOTE_REDIRECT && opt.redirect_dev.ifindex != opt.dev.ifindex)
		sampler_track(&smp, &opt.redirect_dev, eg.xa.link_fd);
	err = sampler_start(&smp);
	if (!err)
		err = sampler_run(&smp);
	/* detach first: whatever the output does next, the devices and tracepoints are free */
	xdp_attach_release(&xa);
	egress_release(&eg);
	trace_detach(&run.tr);
	if (err)
		ret = sampler_report(&smp, err, opt.stress ? "read statistics or re-create the "
				     "cpumap entries" : "read statistics");
	ret = sampler_end(&smp, ret, true);
out:
	xdp_attach_release(&xa);
	egress_release(&eg);
	sampler_close(&smp);
	trace_close(&run.tr);
	xdp_redirect_cpu_kern__destroy(run.skel);
	return ret;
}
