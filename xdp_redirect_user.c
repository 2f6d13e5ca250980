// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_redirect: redirect every frame of device IN to device OUT (bpf_redirect), through a devmap
 * (--map), or to each of several devices at once (--multi), and report what became of the
 * frames: received on IN, redirected, refused by the kernel (by errno), transmitted per egress
 * port. The program's own counters, next to the kernel's view of IN's redirects from the
 * shared tracepoint module (xdp_trace). Egress devices without an XDP program get a dummy
 * XDP_PASS one while the run lasts; an egress veth whose peer cannot take redirected frames is
 * named at the start.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common_user.h"
#include "xdp_redirect.h"
#include "xdp_redirect.skel.h"
#include "xdp_trace.h"

#define TOOL "xdp_redirect"

enum egress_prog { EGRESS_NONE, EGRESS_FORWARD, EGRESS_DROP };

static const struct opt_enum egress_names[] = {
	{ "none", EGRESS_NONE },
	{ "forward", EGRESS_FORWARD },
	{ "drop", EGRESS_DROP },
	{ NULL, 0 },
};

struct redir_opts {
	struct iface in;
	struct iface_list outs;
	bool map;
	bool multi;
	bool no_swapmac;
	bool read;
	__u32 read_bytes;
	bool load_bytes;
	int egress;		/* enum egress_prog */
	bool stats;
	bool xmit;
	struct xdp_opts xdp;
	struct run_opts run;
};

static const struct redir_opts redir_defaults = {
	.xdp.mode = XDP_MODE_AUTO,
	.run.interval = 2.0,
};

#define O(...) OPTION(struct redir_opts, __VA_ARGS__)
static const struct opt_def redir_opt_defs[] = {
	O("in", 0, OPT_IFACE, in, "IN", "the device whose frames are redirected",
	  .positional = true, .required = true),
	O("out", 0, OPT_IFACES, outs, "OUT", "where they go", .positional = true, .required = true),
	O("map", 0, OPT_BOOL, map, NULL, "redirect through a devmap entry instead of bpf_redirect()"),
	O("multi", 0, OPT_BOOL, multi, NULL,
	  "every frame to each OUT (2 to 32): a broadcast, through a hash devmap"),
	O("no-swapmac", 0, OPT_BOOL, no_swapmac, NULL,
	  "send frames untouched (default: swap Ethernet source and destination)"),
	O("read", 'r', OPT_BOOL, read, NULL, "read the first cache line of every frame"),
	O("read-bytes", 0, OPT_U32, read_bytes, "N",
	  "read one byte of every 64-byte line up to N bytes (implies --read)", .min = 1,
	  .max = REDIR_READ_MAX),
	O("load-bytes", 0, OPT_BOOL, load_bytes, NULL,
	  "touch frames through bpf_xdp_load_bytes/store_bytes, not directly"),
	O("egress-prog", 0, OPT_ENUM, egress, "ACTION",
	  "a devmap program on every OUT (--map, --multi)", .values = egress_names),
	O("xmit", 'x', OPT_BOOL, xmit, NULL,
	  "also count the kernel's transmits per OUT (a tracepoint hit per bulk of frames)"),
	O("stats", 's', OPT_BOOL, stats, NULL,
	  "also count redirect successes (a tracepoint hit per frame)"),
	OPT_ROW_INTERVAL(struct redir_opts, "interval", 'i', "seconds between reports"),
	OPT_ROW_DURATION(struct redir_opts, 0),
	OPT_ROWS_XDP(struct redir_opts),
	OPT_ROWS_OUTPUT(struct redir_opts, 'z', OPT_JSON_HELP),
	OPT_END,
};
#undef O

static const struct opt_tool redir_tool = {
	.name = TOOL,
	.summary = "Redirect every frame of IN to OUT (or to each OUT); count what becomes of them.",
	.usage = "[options] IN OUT...",
	.defs = redir_opt_defs,
	.defaults = &redir_defaults,
	.doc =
"Modes: bpf_redirect(OUT) (default, one OUT); --map: bpf_redirect_map() into a devmap entry\n"
"(one OUT); --multi: bpf_redirect_map() with BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS into a\n"
"hash devmap of 2 to 32 OUTs, a copy of every frame to each. --egress-prog forward sets the\n"
"source MAC to the egress device's own, drop drops the frame after the redirect (the cost of\n"
"the redirect without the transmit); devmap modes only.\n"
"An OUT without an XDP program gets a dummy XDP_PASS one while the run lasts (some drivers\n"
"transmit redirected frames only then). A veth takes redirected frames only while its peer\n"
"runs an XDP program (or has GRO on): an OUT that cannot is named at the start, and its\n"
"frames are dropped (EOPNOTSUPP; driver drops before Linux 6.3; a broadcast skips it).\n"
"\n"
"Tables (rates per second over the measured period):\n"
"  rx IN           CPU: rx = frames seen on IN, redir = redirected by the program, err = the\n"
"                  kernel's redirect failures, ok = its successes (with --stats)\n"
"  redirect-err    errno: ENETDOWN (OUT down), EINVAL (no such device), EMSGSIZE (frame over\n"
"                  OUT's MTU), EOPNOTSUPP (OUT cannot transmit XDP frames), ENOSPC, other\n"
"  egress          OUT: redir-err = failures into OUT, prog = frames the egress program\n"
"                  rewrote or dropped; with --xmit: xmit = frames the kernel handed to OUT's\n"
"                  driver, drop = those it dropped (queue full, driver refused, egress\n"
"                  program), drv-err = bulks the driver failed, bulk-avg = frames per bulk\n"
"The kernel's figures come from the xdp:* tracepoints (as xdp_monitor counts them), limited to\n"
"redirects from IN. The error tracepoint fires only on failures; the transmit one (--xmit)\n"
"fires for every bulk and costs a few % of the redirect rate, so a run without --xmit\n"
"measures the redirect alone and says that it did not count transmits. In generic (skb)\n"
"mode the kernel reports no transmits. Exit codes: see README.\n",
};

/* ------------------------------------------------------------------ the run */

struct port {
	struct iface ifc;
	__u8 mac[6];
	struct xdp_attach dummy;	/* our XDP_PASS program on it (link_fd -1: none) */
	int xmit;			/* xdp_xmit_check(): 1 yes, 0 no, < 0 unknown */
	char why[256];
};

struct run {
	const struct redir_opts *opt;
	FILE *out;			/* stdout, through struct out */
	struct xdp_redirect_kern *skel;
	struct bpf_program *prog;	/* the ingress program of this configuration */
	int ncpus, n;			/* possible CPUs, egress ports */
	int stats_fd, egress_fd;
	struct port port[IFACE_MAX];
	struct trace tr;
	bool traced;			/* the tracepoints count */
	bool xmit;			/* and xdp_devmap_xmit among them (--xmit) */
	char label[(IFACE_MAX + 1) * (IF_NAMESIZE + 1) + 4];	/* IN->OUT[,OUT...] */
};

static bool devmap_mode(const struct redir_opts *opt)
{
	return opt->map || opt->multi;
}

/* A snapshot: this struct, then [ncpus] ingress records and [n] egress program records. */
struct snap {
	struct redir_rec total;
	bool read;			/* collected at least once */
};

static size_t snap_trace_off(const struct run *r)
{
	return sizeof(struct snap) + (size_t)r->ncpus * sizeof(struct redir_rec) +
	       (size_t)r->n * sizeof(struct redir_egress_rec);
}

static size_t snap_size(const struct run *r)
{
	return snap_trace_off(r) + (r->traced ? trace_snap_size(&r->tr) : 0);
}

_Static_assert(sizeof(struct snap) % 8 == 0, "the records after a snapshot are aligned");

static struct redir_rec *snap_cpus(const struct run *r, const void *s)
{
	(void)r;
	return (struct redir_rec *)((const struct snap *)s + 1);
}

static struct redir_egress_rec *snap_egress(const struct run *r, const void *s)
{
	return (struct redir_egress_rec *)(snap_cpus(r, s) + r->ncpus);
}

static struct trace_snap *snap_trace(const struct run *r, const void *s)
{
	return r->traced ? (struct trace_snap *)((char *)s + snap_trace_off(r)) : NULL;
}

static int collect(void *ctx, void *mem, __u64 *t)
{
	struct run *r = ctx;
	struct snap *s = mem;
	__u32 zero = 0;
	int err;

	(void)t;
	err = PERCPU_READ(r->stats_fd, &zero, r->ncpus, snap_cpus(r, s), &s->total);
	for (__u32 i = 0; !err && r->opt->egress != EGRESS_NONE && i < (__u32)r->n; i++)
		err = PERCPU_SUM(r->egress_fd, &i, r->ncpus, &snap_egress(r, s)[i]);
	if (!err && r->traced)
		err = trace_collect(&r->tr, snap_trace(r, s));
	s->read = !err;
	return err;
}

/* ------------------------------------------------------------------ figures */

/* The devmap transmits from IN to port i (zero without the tracepoints). */
static struct mon_xmit_rec port_xmit(const struct run *r, const void *s, int i)
{
	struct mon_xmit_rec zero = {};

	if (!r->xmit)
		return zero;
	return trace_xmit(&r->tr, snap_trace(r, s), r->opt->in.ifindex, r->port[i].ifc.ifindex);
}

/* Redirect failures from IN into port i, of errno slot (-1: all). */
static __u64 port_errors(const struct run *r, const void *s, int i, int slot)
{
	if (!r->traced)
		return 0;
	return trace_err(&r->tr, snap_trace(r, s), r->opt->in.ifindex, r->port[i].ifc.ifindex,
			 slot);
}

/* What the egress program did to a port's frames: forward rewrites, drop drops. */
static __u64 port_prog(const struct run *r, const void *s, int i)
{
	const struct redir_egress_rec *e = &snap_egress(r, s)[i];

	return r->opt->egress == EGRESS_DROP ? e->dropped : e->rewritten;
}

static const char *rate_or_dash(char buf[32], bool on, __u64 now, __u64 then, __u64 dt, bool sep)
{
	return on ? fmt_rate(buf, rate_per_sec(now, then, dt), sep) : "-";
}

static double bulk_avg(const struct mon_xmit_rec *x, const struct mon_xmit_rec *o)
{
	__u64 ev = x->events - o->events;

	return ev ? (double)(x->sent + x->drops - o->sent - o->drops) / (double)ev : 0.0;
}

/* ------------------------------------------------------------------ tables */

static void print_cpu_row(const struct run *r, const char *col, const struct redir_rec *n,
			  const struct redir_rec *o, const void *now, const void *then, int cpu,
			  __u64 dt)
{
	const struct trace_snap *tn = snap_trace(r, now), *tt = snap_trace(r, then);
	bool sep = !r->opt->run.no_sep;
	char a[32], b[32], c[32], d[32];

	fprintf(r->out, "%-16s %-8s %14s %14s %14s %14s\n", "", col,
		fmt_rate(a, rate_per_sec(n->rx, o->rx, dt), sep),
		fmt_rate(b, rate_per_sec(n->redirected, o->redirected, dt), sep),
		rate_or_dash(c, r->traced, tn ? trace_redir(&r->tr, tn, -1, cpu) : 0,
			     tt ? trace_redir(&r->tr, tt, -1, cpu) : 0, dt, sep),
		rate_or_dash(d, r->traced && r->opt->stats,
			     tn ? trace_redir(&r->tr, tn, MON_R_SUCCESS, cpu) : 0,
			     tt ? trace_redir(&r->tr, tt, MON_R_SUCCESS, cpu) : 0, dt, sep));
}

static void print_errno_rows(const struct run *r, const void *now, const void *then, __u64 dt)
{
	const struct trace_snap *tn = snap_trace(r, now), *tt = snap_trace(r, then);
	bool sep = !r->opt->run.no_sep;
	char a[32], b[32];

	for (int i = 1; tn && i < MON_R_MAX; i++) {
		__u64 v = trace_redir(&r->tr, tn, i, -1);

		if (!v)
			continue;
		fprintf(r->out, "%-16s %-8s %14s %14s %14s total\n", "  redirect-err",
			trace_redir_names[i], "",
			fmt_rate(a, rate_per_sec(v, trace_redir(&r->tr, tt, i, -1), dt), sep),
			fmt_u64(b, v, sep));
	}
}

static int name_width(const struct run *r)
{
	int w = 8;

	for (int i = 0; i < r->n; i++)
		if ((int)strlen(r->port[i].ifc.name) > w)
			w = (int)strlen(r->port[i].ifc.name);
	return w;
}

/* The transmit columns of the egress table (--xmit): header, or port i's figures. */
static void print_xmit_cols(const struct run *r, int i, const void *now, const void *then,
			    __u64 dt)
{
	bool sep = !r->opt->run.no_sep;
	struct mon_xmit_rec x, o;
	char a[32], b[32], c[32];

	if (i < 0) {
		fprintf(r->out, " %12s %12s %10s %8s %-10s", "xmit pkt/s", "drop pkt/s", "drv-err/s",
			"bulk-avg", "last-err");
		return;
	}
	x = port_xmit(r, now, i);
	o = port_xmit(r, then, i);
	fprintf(r->out, " %12s %12s %10s %8.2f %-10s",
		fmt_rate(a, rate_per_sec(x.sent, o.sent, dt), sep),
		fmt_rate(b, rate_per_sec(x.drops, o.drops, dt), sep),
		fmt_rate(c, rate_per_sec(x.err_events, o.err_events, dt), sep), bulk_avg(&x, &o),
		trace_errno_name((long long)x.last_err));
}

static void print_egress(const struct run *r, const void *now, const void *then, __u64 dt)
{
	bool sep = !r->opt->run.no_sep, tr = r->traced, prog = r->opt->egress != EGRESS_NONE;
	char d[32], e[32];
	int w = name_width(r);

	fprintf(r->out, "%-16s %-*s", "egress", w, "device");
	if (r->xmit)
		print_xmit_cols(r, -1, now, then, dt);
	fprintf(r->out, " %12s", "redir-err/s");
	if (prog)
		fprintf(r->out, "  %11s", r->opt->egress == EGRESS_DROP ? "prog-drop/s" : "rewrite/s");
	fputc('\n', r->out);
	for (int i = 0; i < r->n; i++) {
		fprintf(r->out, "%-16s %-*s", "", w, r->port[i].ifc.name);
		if (r->xmit)
			print_xmit_cols(r, i, now, then, dt);
		fprintf(r->out, " %12s", rate_or_dash(d, tr, port_errors(r, now, i, -1),
						      port_errors(r, then, i, -1), dt, sep));
		if (prog)
			fprintf(r->out, "  %11s", fmt_rate(e, rate_per_sec(port_prog(r, now, i),
									port_prog(r, then, i), dt),
							   sep));
		fputc('\n', r->out);
	}
	if (!r->xmit)
		fprintf(r->out, "%-16s transmits not counted (--xmit counts them)\n", "");
}

static void print_tables(const struct run *r, const void *now, const void *then, __u64 dt)
{
	const struct redir_rec *nc = snap_cpus(r, now), *oc = snap_cpus(r, then);
	const struct snap *n = now, *o = then;
	char hdr[IF_NAMESIZE + 8], col[16];

	snprintf(hdr, sizeof(hdr), "rx %s", r->opt->in.name);
	fprintf(r->out, "\nPeriod %.3f s\n", (double)dt / 1e9);
	fprintf(r->out, "%-16s %-8s %14s %14s %14s %14s\n", hdr, "CPU", "rx pkt/s", "redir pkt/s",
		"err pkt/s", "ok pkt/s");
	for (int cpu = 0; cpu < r->ncpus; cpu++) {
		if (nc[cpu].rx == oc[cpu].rx && nc[cpu].redirected == oc[cpu].redirected)
			continue;
		snprintf(col, sizeof(col), "%d", cpu);
		print_cpu_row(r, col, &nc[cpu], &oc[cpu], now, then, cpu, dt);
	}
	print_cpu_row(r, "total", &n->total, &o->total, now, then, -1, dt);
	print_errno_rows(r, now, then, dt);
	print_egress(r, now, then, dt);
	fflush(r->out);
}

/* ------------------------------------------------------------------ JSON */

static void json_rec(struct jw *w, const struct redir_rec *n, const struct redir_rec *o, __u64 dt)
{
	jw_u64(w, "rx", n->rx);
	jw_u64(w, "redirected", n->redirected);
	jw_u64(w, "no_target", n->no_target);
	jw_u64(w, "aborted", n->aborted);
	jw_u64(w, "short_frame", n->short_frame);
	jw_double(w, "rx_pps", rate_per_sec(n->rx, o->rx, dt));
	jw_double(w, "redirected_pps", rate_per_sec(n->redirected, o->redirected, dt));
}

static void json_port(const struct run *r, struct jw *w, int i, const void *now,
		      const void *then, __u64 dt)
{
	const struct redir_egress_rec *e = &snap_egress(r, now)[i];
	struct mon_xmit_rec x = port_xmit(r, now, i), o = port_xmit(r, then, i);

	jw_obj(w, NULL);
	jw_str(w, "dev", r->port[i].ifc.name);
	jw_i64(w, "ifindex", r->port[i].ifc.ifindex);
	if (r->xmit) {
		jw_u64(w, "sent", x.sent);
		jw_u64(w, "drops", x.drops);
		jw_u64(w, "drv_err", x.err_events);
		jw_str(w, "last_err", trace_errno_name((long long)x.last_err));
		jw_double(w, "bulk_avg", bulk_avg(&x, &o));
		jw_double(w, "sent_pps", rate_per_sec(x.sent, o.sent, dt));
		jw_double(w, "drop_pps", rate_per_sec(x.drops, o.drops, dt));
	}
	if (r->traced) {
		jw_u64(w, "redirect_errors", port_errors(r, now, i, -1));
		jw_obj(w, "errors");
		for (int k = 1; k < MON_R_MAX; k++)
			jw_u64(w, trace_redir_names[k], port_errors(r, now, i, k));
		jw_obj_end(w);
	}
	if (r->opt->egress != EGRESS_NONE) {
		jw_obj(w, "prog");
		jw_u64(w, "rewritten", e->rewritten);
		jw_u64(w, "untouched", e->untouched);
		jw_u64(w, "dropped", e->dropped);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

/* One JSON line: counters of now (since the start), rates against then over dt. */
static void print_json(const struct run *r, const char *type, const void *now, const void *then,
		       __u64 dt, int sig)
{
	const struct redir_rec *nc = snap_cpus(r, now), *oc = snap_cpus(r, then);
	bool summary = !strcmp(type, "summary");
	struct jw w;

	jw_begin(&w, r->out);
	jw_str(&w, "type", type);
	jw_u64(&w, summary ? "duration_ns" : "period_ns", dt);
	jw_obj(&w, "total");
	json_rec(&w, &((const struct snap *)now)->total, &((const struct snap *)then)->total, dt);
	jw_obj_end(&w);
	jw_arr(&w, "cpus");
	for (int cpu = 0; cpu < r->ncpus; cpu++) {
		if (!nc[cpu].rx)
			continue;
		jw_obj(&w, NULL);
		jw_i64(&w, "cpu", cpu);
		json_rec(&w, &nc[cpu], &oc[cpu], dt);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	if (r->traced)
		trace_json_redirect(&r->tr, &w, snap_trace(r, now), snap_trace(r, then), dt);
	jw_arr(&w, "egress");
	for (int i = 0; i < r->n; i++)
		json_port(r, &w, i, now, then, dt);
	jw_arr_end(&w);
	if (summary)
		jw_i64(&w, "signal", sig);
	jw_end(&w);
}

/* The interval: tables, or a JSON line. */
static void redir_print(void *ctx, const void *now, const void *then, __u64 dt)
{
	const struct run *r = ctx;

	if (r->opt->run.json)
		print_json(r, "interval", now, then, dt, 0);
	else
		print_tables(r, now, then, dt);
}

/* ------------------------------------------------------------------ summary */

static void summary_ports(const struct run *r, const void *last, const void *first)
{
	bool sep = !r->opt->run.no_sep;
	char a[32], b[32], c[32], d[32], e[32];

	for (int i = 0; i < r->n; i++) {
		struct mon_xmit_rec x = port_xmit(r, last, i), o = port_xmit(r, first, i);

		fprintf(r->out, "  %-15s ", r->port[i].ifc.name);
		if (r->xmit)
			fprintf(r->out, "sent %s, dropped %s, driver errors %s, ",
				fmt_u64(a, x.sent - o.sent, sep), fmt_u64(b, x.drops - o.drops, sep),
				fmt_u64(c, x.err_events - o.err_events, sep));
		fprintf(r->out, "redirect errors %s",
			fmt_u64(d, port_errors(r, last, i, -1) - port_errors(r, first, i, -1), sep));
		if (r->opt->egress != EGRESS_NONE)
			fprintf(r->out, ", egress program %s %s",
				r->opt->egress == EGRESS_DROP ? "dropped" : "rewrote",
				fmt_u64(e, port_prog(r, last, i) - port_prog(r, first, i), sep));
		fputc('\n', r->out);
	}
	for (int k = 1; k < MON_R_MAX; k++) {
		__u64 v = trace_redir(&r->tr, snap_trace(r, last), k, -1) -
			  trace_redir(&r->tr, snap_trace(r, first), k, -1);

		if (v)
			fprintf(r->out, "  redirect-err    %-10s %s\n", trace_redir_names[k],
				fmt_u64(a, v, sep));
	}
}

static void summary_text(const struct run *r, const void *last, const void *first, __u64 dt)
{
	const struct redir_rec *n = &((const struct snap *)last)->total;
	const struct redir_rec *o = &((const struct snap *)first)->total;
	struct mon_xmit_rec x = {}, xo = {};
	bool sep = !r->opt->run.no_sep, tr = r->traced;
	char a[32], b[32], c[32], d[32], e[32], f[32], g[32];

	for (int i = 0; i < r->n; i++) {
		struct mon_xmit_rec p = port_xmit(r, last, i), q = port_xmit(r, first, i);

		x.sent += p.sent;
		x.drops += p.drops;
		xo.sent += q.sent;
		xo.drops += q.drops;
	}
	fprintf(r->out, "\nSummary %s: %.3f s, rx %s (%s pkt/s), redirected %s, redirect errors %s, ",
		r->label, (double)dt / 1e9, fmt_u64(a, n->rx - o->rx, sep),
		fmt_rate(b, rate_per_sec(n->rx, o->rx, dt), sep),
		fmt_u64(c, n->redirected - o->redirected, sep),
		tr ? fmt_u64(d, trace_redir(&r->tr, snap_trace(r, last), -1, -1) -
				trace_redir(&r->tr, snap_trace(r, first), -1, -1), sep) : "-");
	if (r->xmit)
		fprintf(r->out, "sent %s, dropped %s", fmt_u64(e, x.sent - xo.sent, sep),
			fmt_u64(f, x.drops - xo.drops, sep));
	else
		fprintf(r->out, "transmits not counted (--xmit)");
	if (tr && r->opt->stats)
		fprintf(r->out, ", redirect ok %s",
			fmt_u64(g, trace_redir(&r->tr, snap_trace(r, last), MON_R_SUCCESS, -1) -
				   trace_redir(&r->tr, snap_trace(r, first), MON_R_SUCCESS, -1), sep));
	fputc('\n', r->out);
	if (tr)
		summary_ports(r, last, first);
	if (n->no_target || n->aborted || n->short_frame)
		fprintf(r->out, "  not redirected: %s passed (no target), %s dropped (the helper "
			"refused its flags); %s redirected frames too short to touch fully\n",
			fmt_u64(a, n->no_target - o->no_target, sep),
			fmt_u64(b, n->aborted - o->aborted, sep),
			fmt_u64(c, n->short_frame - o->short_frame, sep));
}

/* The run: from the first reading (the counters start at zero when loaded) to the last. */
static void redir_summary(void *ctx, const void *last, const void *first, __u64 dt, int signal)
{
	const struct run *r = ctx;

	if (!((const struct snap *)last)->read || !((const struct snap *)first)->read)
		return;		/* the run never started */
	if (r->opt->run.json)
		print_json(r, "summary", last, first, dt, signal);
	else
		summary_text(r, last, first, dt);
	fflush(r->out);
}

static const struct sampler_ops redir_ops = {
	.collect = collect,
	.print = redir_print,
	.summary = redir_summary,
};

/* ------------------------------------------------------------------ setup */

static int opts_finish(struct redir_opts *opt)
{
	int ret = xdp_opts_finish(&opt->xdp);

	if (ret)
		return ret;
	if (opt->map && opt->multi)
		return report(0, EXIT_FAIL_OPTION, "--map and --multi exclude each other");
	if (!opt->multi && opt->outs.n > 1)
		return report(0, EXIT_FAIL_OPTION, "%d OUT devices need --multi (one without it)",
			      opt->outs.n);
	if (opt->multi && opt->outs.n < 2)
		return report(0, EXIT_FAIL_OPTION, "--multi needs 2 to %d OUT devices (one: use "
			      "--map)", REDIR_PORTS_MAX);
	for (int i = 0; i < opt->outs.n; i++)
		if (opt->outs.v[i].ifindex == opt->in.ifindex)
			return report(0, EXIT_FAIL_OPTION, "OUT %s is IN (frames sent back out of "
				      "IN: xdp_rxq_info --action XDP_TX)", opt->in.name);
	if (opt->egress != EGRESS_NONE && !devmap_mode(opt))
		return report(0, EXIT_FAIL_OPTION, "--egress-prog needs --map or --multi "
			      "(bpf_redirect() runs no devmap program)");
	if (opt->read_bytes)
		opt->read = true;
	else if (opt->read)
		opt->read_bytes = REDIR_LINE;
	return 0;
}

_Static_assert(REDIR_PORTS_MAX >= IFACE_MAX, "the devmaps hold every OUT of --multi");

static int run_init(struct run *r, const struct redir_opts *opt)
{
	int len;

	r->opt = opt;
	r->stats_fd = r->egress_fd = -1;
	r->ncpus = ncpus_possible();
	if (r->ncpus <= 0)
		return report(r->ncpus, EXIT_FAIL, "count possible CPUs");
	r->n = opt->outs.n;
	len = snprintf(r->label, sizeof(r->label), "%s->", opt->in.name);
	for (int i = 0; i < r->n; i++) {
		struct port *p = &r->port[i];

		p->ifc = opt->outs.v[i];
		p->dummy = (struct xdp_attach)XDP_ATTACH_INIT;
		p->xmit = -1;
		if (iface_mac(p->ifc.name, p->mac))
			memset(p->mac, 0, sizeof(p->mac));
		len += snprintf(r->label + len, sizeof(r->label) - (size_t)len, "%s%s",
				i ? "," : "", p->ifc.name);
	}
	return 0;
}

/* The kernel's view of IN's redirects; without it (a kernel lacking the tracepoints) the run
 * goes on with the program's own counters, saying so. */
static int trace_start(struct run *r)
{
	struct trace_opts to = {
		.groups = TRACE_REDIRECT | (r->opt->xmit ? TRACE_XMIT : 0),
		.stats = r->opt->stats,
		.err_by_dev = true,
		.no_sep = r->opt->run.no_sep,
		.n_dev = 1,
		.dev = { r->opt->in.ifindex },
		.verbose = r->opt->run.verbose,
	};
	char why[192];
	int err = trace_open(&r->tr, &to);

	if (err == -ENOMEM)
		return report(err, EXIT_FAIL_MEM, "allocate statistics");
	if (err) {
		fprintf(stderr, TOOL ": no redirect errors%s (%s); the program's "
			"own counters only\n", r->opt->xmit ? " or transmit counts" : "",
			trace_failure(&r->tr, err, why, sizeof(why)));
		trace_close(&r->tr);
		return 0;
	}
	r->traced = true;
	r->xmit = r->opt->xmit && trace_on(&r->tr, "xdp_devmap_xmit");
	trace_notices(&r->tr, false);
	return 0;
}

static struct bpf_program *egress_prog(const struct run *r)
{
	if (r->opt->egress == EGRESS_FORWARD)
		return r->skel->progs.xdp_redirect_forward;
	if (r->opt->egress == EGRESS_DROP)
		return r->skel->progs.xdp_redirect_drop;
	return NULL;
}

static int prog_load(struct run *r)
{
	const struct redir_opts *opt = r->opt;
	struct redir_cfg *cfg;
	int err;

	r->skel = xdp_redirect_kern__open();
	if (!r->skel)
		return report(-errno, EXIT_FAIL_BPF, "open BPF object");
	cfg = &r->skel->rodata->cfg;
	cfg->mode = opt->multi ? REDIR_M_MULTI : opt->map ? REDIR_M_MAP : REDIR_M_IFINDEX;
	cfg->ifindex_out = opt->map || opt->multi ? 0 : (__u32)r->port[0].ifc.ifindex;
	cfg->flags = (opt->no_swapmac ? 0 : REDIR_F_SWAPMAC) | (opt->read ? REDIR_F_READ : 0) |
		     (opt->load_bytes ? REDIR_F_LOAD_BYTES : 0);
	cfg->read_bytes = opt->read ? opt->read_bytes : 0;
	r->prog = redir_prog_pick(r->skel);	/* a specialised program where there is one */
	/* only the devmap program asked for: the other one need not pass this verifier */
	bpf_program__set_autoload(r->skel->progs.xdp_redirect_forward,
				  opt->egress == EGRESS_FORWARD);
	bpf_program__set_autoload(r->skel->progs.xdp_redirect_drop, opt->egress == EGRESS_DROP);
	err = xdp_redirect_kern__load(r->skel);
	if (err)
		return report(err, EXIT_FAIL_BPF, "load BPF program (details with -vv)");
	r->stats_fd = bpf_map__fd(r->skel->maps.redir_stats);
	r->egress_fd = bpf_map__fd(r->skel->maps.redir_egress);
	return 0;
}

/* The devmap entries of the mode and each port's MAC and counter slot. */
static int ports_fill(struct run *r)
{
	const struct bpf_program *eg = egress_prog(r);
	int tx = bpf_map__fd(r->opt->multi ? r->skel->maps.redir_tx_ports
					   : r->skel->maps.redir_tx_port);

	for (int i = 0; i < r->n; i++) {
		struct bpf_devmap_val v = { .ifindex = (__u32)r->port[i].ifc.ifindex };
		struct redir_port p = { .slot = (__u16)i };
		__u32 key = r->opt->multi ? v.ifindex : 0;

		memcpy(p.mac, r->port[i].mac, sizeof(p.mac));
		if (bpf_map_update_elem(bpf_map__fd(r->skel->maps.redir_ports), &v.ifindex, &p, 0))
			return report(-errno, EXIT_FAIL_BPF, "add %s to the ports", r->port[i].ifc.name);
		if (!devmap_mode(r->opt))
			continue;
		if (eg)
			v.bpf_prog.fd = bpf_program__fd(eg);
		if (bpf_map_update_elem(tx, &key, &v, 0))
			return report(-errno, EXIT_FAIL_XDP, "put %s into the devmap%s",
				      r->port[i].ifc.name, eg ? " with its egress program" : "");
	}
	return 0;
}

/* A dummy XDP_PASS program, in native mode, on every OUT that runs no XDP program. */
static int dummies_attach(struct run *r)
{
	struct xdp_opts x = { .mode = XDP_MODE_NATIVE };

	for (int i = 0; i < r->n; i++) {
		struct port *p = &r->port[i];
		LIBBPF_OPTS(bpf_xdp_query_opts, q);
		int err;

		if (bpf_xdp_query(p->ifc.ifindex, 0, &q))
			return report(-errno, EXIT_FAIL_XDP, "query the XDP program of %s",
				      p->ifc.name);
		if (q.prog_id)
			continue;
		err = xdp_attach_prog(&p->dummy, r->skel->progs.xdp_redirect_dummy, &p->ifc, &x,
				      XDP_VIA_LINK, NULL);
		if (err == -EOPNOTSUPP || err == -EEXIST)
			continue;	/* no native XDP there; or someone else's came first */
		if (err)
			return report(err, EXIT_FAIL_XDP, "attach the dummy XDP program to %s",
				      p->ifc.name);
	}
	return 0;
}

static void dummies_release(struct run *r)
{
	for (int i = 0; i < r->n; i++)
		xdp_attach_release(&r->port[i].dummy);
}

/* With IN in native mode: the dummies said, and every OUT that cannot take redirected frames
 * named. In generic mode frames leave as skbs: neither matters. */
static void ports_check(struct run *r, const struct xdp_attach *xa)
{
	if (xa->mode == XDP_MODE_SKB) {
		dummies_release(r);
		fprintf(stderr, TOOL ": generic (skb) mode: redirected frames leave as skbs, and "
			"the kernel reports no transmits for them%s\n", r->xmit ? " (--xmit: they stay 0)" : "");
		return;
	}
	for (int i = 0; i < r->n; i++) {
		struct port *p = &r->port[i];

		if (p->dummy.link_fd >= 0)
			fprintf(stderr, TOOL ": %s runs no XDP program: a dummy XDP_PASS program "
				"(id %u) is on it until xdp_redirect ends (some drivers transmit "
				"redirected frames only then)\n", p->ifc.name, p->dummy.prog_id);
		p->xmit = xdp_xmit_check(&p->ifc, p->why, sizeof(p->why));
		if (!p->xmit)
			fprintf(stderr, TOOL ": warning: %s\n", p->why);
	}
}

static void print_start(const struct run *r, const struct xdp_attach *xa)
{
	const struct redir_opts *opt = r->opt;
	const char *how = opt->multi ? "broadcast through a hash devmap" :
			  opt->map ? "devmap" : "bpf_redirect";
	char drv[64] = "?";
	struct jw w;

	iface_driver(opt->in.name, drv, sizeof(drv));
	if (!opt->run.json) {
		fprintf(r->out, "Redirecting %s (ifindex %d, driver %s) -> ", opt->in.name,
			opt->in.ifindex, drv);
		for (int i = 0; i < r->n; i++)
			fprintf(r->out, "%s%s (ifindex %d)", i ? ", " : "", r->port[i].ifc.name,
				r->port[i].ifc.ifindex);
		fprintf(r->out, ": %s, mode %s, %s%s%s%s", how, xdp_mode_str(xa->mode),
			opt->no_swapmac ? "no-swapmac" : "swapmac", opt->load_bytes ?
			", load-bytes" : "", opt->egress != EGRESS_NONE ? ", egress program " : "",
			opt->egress != EGRESS_NONE ? opt_enum_name(egress_names, opt->egress) : "");
		if (opt->read)
			fprintf(r->out, ", read %u bytes", opt->read_bytes);
		fprintf(r->out, "\n");
		fflush(r->out);
		return;
	}
	jw_begin(&w, r->out);
	jw_str(&w, "type", "start");
	jw_obj(&w, "in");
	jw_str(&w, "dev", opt->in.name);
	jw_i64(&w, "ifindex", opt->in.ifindex);
	jw_str(&w, "driver", drv);
	jw_obj_end(&w);
	jw_arr(&w, "outs");
	for (int i = 0; i < r->n; i++) {
		const struct port *p = &r->port[i];

		jw_obj(&w, NULL);
		jw_str(&w, "dev", p->ifc.name);
		jw_i64(&w, "ifindex", p->ifc.ifindex);
		jw_bool(&w, "dummy", p->dummy.link_fd >= 0);
		if (p->xmit >= 0)
			jw_bool(&w, "takes_redirects", p->xmit);
		if (!p->xmit)
			jw_str(&w, "why", p->why);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_str(&w, "redirect", opt->multi ? "multi" : opt->map ? "map" : "ifindex");
	jw_str(&w, "mode", xa->mode == XDP_MODE_SKB ? "skb" : "native");
	jw_bool(&w, "swapmac", !opt->no_swapmac);
	jw_u64(&w, "read_bytes", opt->read ? opt->read_bytes : 0);
	jw_bool(&w, "load_bytes", opt->load_bytes);
	jw_str(&w, "egress_prog", opt_enum_name(egress_names, opt->egress));
	jw_bool(&w, "stats", opt->stats);
	jw_bool(&w, "xmit", r->xmit);
	jw_u64(&w, "prog_id", xa->prog_id);
	if (r->traced)
		trace_json_tracepoints(&r->tr, &w);
	jw_end(&w);
}

/* ------------------------------------------------------------------ main */

/* Load, fill the maps, put the dummies on the OUTs, attach to IN, check the OUTs: 0 or the
 * exit code after its message. */
static int redir_setup(struct run *r, struct xdp_attach *xa)
{
	const struct redir_opts *opt = r->opt;
	int ret = prog_load(r);

	if (!ret)
		ret = ports_fill(r);
	/* before IN: the egress side is ready when the first frame comes */
	if (!ret && opt->xdp.mode != XDP_MODE_SKB)
		ret = dummies_attach(r);
	if (!ret)
		ret = xdp_attach_or_report(xa, r->prog, &opt->in,
					   &opt->xdp, XDP_VIA_LINK);
	if (!ret)
		ports_check(r, xa);
	return ret;
}

int main(int argc, char **argv)
{
	struct redir_opts opt = redir_defaults;
	struct xdp_attach xa = XDP_ATTACH_INIT;
	struct sampler smp = SAMPLER_INIT;
	struct run *r = NULL;
	bool started = false;
	int err, ret;

	ret = tool_begin(argc, argv, &redir_tool, &opt);
	if (ret >= 0)
		return ret;
	ret = opts_finish(&opt);
	if (ret)
		return ret;
	ret = priv_require(NEED_BPF | NEED_NET_ADMIN | NEED_PERFMON);
	if (ret)
		return ret;
	log_setup(opt.run.verbose);

	r = calloc(1, sizeof(*r));
	if (!r)
		return report(-ENOMEM, EXIT_FAIL_MEM, "allocate statistics");
	ret = run_init(r, &opt);
	if (!ret)
		ret = trace_start(r);
	if (ret)
		goto out;
	if (sampler_init(&smp, &redir_ops, r, snap_size(r), &opt.run, 0)) {
		ret = report(-ENOMEM, EXIT_FAIL_MEM, "allocate statistics");
		goto out;
	}
	r->out = smp.out.f;
	ret = redir_setup(r, &xa);
	if (ret)
		goto out;
	print_start(r, &xa);
	sampler_track(&smp, &opt.in, xa.link_fd);
	for (int i = 0; i < r->n; i++)
		sampler_track(&smp, &r->port[i].ifc, r->port[i].dummy.link_fd);
	err = sampler_start(&smp);
	started = !err;
	if (!err)
		err = sampler_run(&smp);
	/* detach first: whatever the output does next, the devices are free */
	xdp_attach_release(&xa);
	dummies_release(r);
	trace_detach(&r->tr);
	if (err)
		ret = sampler_report(&smp, err, "read statistics");
	ret = sampler_end(&smp, ret, started);
out:
	xdp_attach_release(&xa);
	if (r) {
		dummies_release(r);
		trace_close(&r->tr);
		xdp_redirect_kern__destroy(r->skel);
	}
	sampler_close(&smp);
	free(r);
	return ret;
}
