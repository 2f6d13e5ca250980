// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_monitor: watch XDP redirects, redirect errors, exceptions, devmap/bulk transmits and cpumap
 * activity through the xdp:* tracepoints, on whatever kernel it runs on: it probes which
 * tracepoints exist (and with which arguments), loads only those, and says what is missing.
 * The tracepoints, their counters and their tables are the shared module xdp_trace's; this is
 * its options and its start line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "common_user.h"
#include "xdp_trace.h"

#define TOOL "xdp_monitor"

enum mon_netns { NETNS_ALL, NETNS_OWN };

static const struct opt_enum mon_netns_names[] = {
	{ "all", NETNS_ALL },
	{ "own", NETNS_OWN },
	{ NULL, 0 },
};

struct mon_opts {
	struct iface_list devs;
	bool stats;
	int netns;
	bool all_netns;
	struct run_opts run;
	const char *test_tp;	/* hidden: "PROG_TP=NAME" probes NAME instead (tests) */
	bool test_raw_tp;	/* hidden: raw_tp variants where there are some (tests) */
	bool test_no_raw_tp;	/* hidden: no raw_tp variants (tests) */
};

static const struct mon_opts mon_defaults = {
	.run.interval = 2.0,
};

#define O(...) OPTION(struct mon_opts, __VA_ARGS__)
static const struct opt_def mon_opt_defs[] = {
	O("stats", 's', OPT_BOOL, stats, NULL,
	  "also count redirect successes (costs a tracepoint hit per packet)"),
	O("dev", 'd', OPT_IFACES, devs, "IFACE",
	  "only events from or to IFACE (repeatable; this network namespace)"),
	O("netns", 0, OPT_ENUM, netns, "WHICH",
	  "count devices of every network namespace, or only of this one (--dev implies own)",
	  .values = mon_netns_names),
	O("all-netns", 'A', OPT_BOOL, all_netns, NULL, "same as --netns all", .hidden = true),
	OPT_ROW_INTERVAL(struct mon_opts, "interval", 'i', "seconds between reports"),
	OPT_ROW_INTERVAL(struct mon_opts, "sec", 0, "same as --interval", .hidden = true),
	OPT_ROW_DURATION(struct mon_opts, 0),
	OPT_ROWS_OUTPUT(struct mon_opts, 'z', OPT_JSON_HELP),
	O("test-tp", 0, OPT_STR, test_tp, "TP=NAME",
	  "tests: probe tracepoint NAME in place of TP", .hidden = true),
	O("test-raw-tp", 0, OPT_BOOL, test_raw_tp, NULL,
	  "tests: the raw_tp variants, as where the verifier refuses tp_btf", .hidden = true),
	O("test-no-raw-tp", 0, OPT_BOOL, test_no_raw_tp, NULL,
	  "tests: no raw_tp variants (what tp_btf refuses stays out)", .hidden = true),
	OPT_END,
};
#undef O

static const struct opt_tool mon_tool = {
	.name = TOOL,
	.summary = "Count XDP redirects, redirect errors, exceptions, devmap/cpumap activity.",
	.usage = "[--stats] [--dev IFACE]... [--netns all|own] [options]",
	.defs = mon_opt_defs,
	.defaults = &mon_defaults,
	.doc =
"Default: errors only (redirect errors, exceptions, transmit drops and errors); -s/--stats\n"
"adds redirect successes, at the cost of one tracepoint hit per redirected packet.\n"
"Network namespaces: an ifindex is only unique within its namespace, so a device is matched\n"
"by (ifindex, namespace). By default every namespace counts: devices of other namespaces show\n"
"as NAME@NETNS, NETNS being the `ip netns` name (ns<inode> when it has none) and NAME the\n"
"device's name (if<index> when it cannot be read). --netns own counts only xdp_monitor's own\n"
"namespace (run it with `ip netns exec NS` to watch NS alone). --dev names devices of this\n"
"namespace, so it implies --netns own; xdp_monitor ends (exit 1) when one of them is deleted.\n"
"\n"
"Tables (rates per second over the measured period, totals since start):\n"
"  redirect        CPU: ok pkt/s = redirect successes (with --stats), err pkt/s = failures\n"
"  redirect-err    errno: ENETDOWN (target down), EINVAL (no such target), EMSGSIZE (frame\n"
"                  over the target's MTU), EOPNOTSUPP (target cannot transmit XDP frames: on\n"
"                  veth the peer needs an XDP program), ENOSPC (target queue full), other\n"
"  exception       device, action: XDP_ABORTED, invalid actions (XDP_UNKNOWN), XDP_TX or\n"
"                  XDP_REDIRECT that failed in a driver\n"
"  devmap-xmit     from->to device: xmit pkt/s sent, drop pkt/s, drv-err/s bulks the driver\n"
"                  failed (last-err: its errno), bulk-avg frames per bulk (native mode only)\n"
"  bulk-tx         device: XDP_TX bulks of veth/virtio, same columns\n"
"  cpumap enqueue  from->to CPU: pkt/s enqueued, drop/s (queue full), bulk-avg\n"
"  cpumap kthread  CPU: pkt/s, drop/s, sched/s (kthread sleeps), and pass/drop/redirect of\n"
"                  a program on the cpumap entry. cpumap events carry no device: unfiltered.\n"
"Tracepoints the kernel lacks (or whose arguments differ from what the programs read) are\n"
"skipped and named once on stderr; the rest keep working. No bpffs or tracefs needed (tp_btf).\n"
"Where the verifier refuses a tp_btf program (before Linux 6.16 those of the redirect\n"
"tracepoints), its raw_tp form is loaded; what verifies in neither form is named and skipped.\n"
"--sec is an alias of --interval. Exit codes: see README. Ctrl-C/SIGTERM print the summary.\n",
};

/* ------------------------------------------------------------------ sampling */

struct run {
	const struct mon_opts *opt;
	FILE *out;			/* stdout, through struct out */
	struct trace tr;
};

static int collect(void *ctx, void *snap, __u64 *t)
{
	struct run *r = ctx;

	(void)t;
	return trace_collect(&r->tr, snap);
}

static void print_json(const struct run *r, const char *type, const struct trace_snap *s,
		       const struct trace_snap *p, __u64 dt, int sig)
{
	struct jw w;

	jw_begin(&w, r->out);
	jw_str(&w, "type", type);
	jw_u64(&w, p ? "period_ns" : "duration_ns", dt);
	trace_json_body(&r->tr, &w, s, p, dt);
	if (!p)
		jw_i64(&w, "signal", sig);
	jw_end(&w);
}

/* The interval: tables, or a JSON line. */
static void mon_print(void *ctx, const void *now, const void *then, __u64 dt)
{
	const struct run *r = ctx;

	if (r->opt->run.json)
		print_json(r, "interval", now, then, dt, 0);
	else
		trace_print_tables(&r->tr, r->out, now, then, dt);
}

/* The counters since start (the maps start at zero when the programs are loaded). */
static void mon_summary(void *ctx, const void *last, const void *first, __u64 dt, int signal)
{
	const struct run *r = ctx;

	(void)first;
	if (r->opt->run.json)
		print_json(r, "summary", last, NULL, dt, signal);
	else
		trace_print_summary(&r->tr, r->out, last, dt);
}

/* ------------------------------------------------------------------ start */

static void print_start(const struct run *r)
{
	const struct mon_opts *opt = r->opt;
	struct jw w;

	trace_notices(&r->tr, true);
	if (!opt->stats)
		fprintf(stderr, TOOL ": NOTICE: only redirect errors are counted; -s/--stats adds "
			"successes (per-packet overhead)\n");
	if (!opt->run.json) {
		fprintf(r->out, "Monitoring XDP tracepoints%s%s, netns %s\n",
			opt->stats ? " with redirect successes" : " (errors only)",
			opt->devs.n ? " of the given devices" : "",
			opt->netns == NETNS_ALL ? "all" : "own");
		fflush(r->out);
		return;
	}
	jw_begin(&w, r->out);
	jw_str(&w, "type", "start");
	jw_bool(&w, "stats", opt->stats);
	jw_bool(&w, "all_netns", opt->netns == NETNS_ALL);
	jw_u64(&w, "netns", r->tr.netns);
	jw_arr(&w, "devs");
	for (int i = 0; i < opt->devs.n; i++) {
		jw_obj(&w, NULL);
		jw_str(&w, "name", opt->devs.v[i].name);
		jw_i64(&w, "ifindex", opt->devs.v[i].ifindex);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	trace_json_tracepoints(&r->tr, &w);
	trace_json_prog_ids(&r->tr, &w);
	jw_end(&w);
}

/* ------------------------------------------------------------------ main */

static const struct sampler_ops mon_ops = {
	.collect = collect,
	.print = mon_print,
	.summary = mon_summary,
};

static int opts_finish(struct mon_opts *opt)
{
	if (opt->all_netns && (opt->devs.n || opt->netns == NETNS_OWN))
		return report(0, EXIT_FAIL_OPTION, "--all-netns conflicts with %s", opt->devs.n ?
			      "--dev (a device name means a device of this network namespace)" :
			      "--netns own");
	if (opt->devs.n)
		opt->netns = NETNS_OWN;
	if (opt->test_tp) {
		const char *eq = strchr(opt->test_tp, '=');

		if (!eq || !trace_tp_known(opt->test_tp, (size_t)(eq - opt->test_tp)) || !eq[1] ||
		    strlen(eq + 1) >= 64)
			return report(0, EXIT_FAIL_OPTION, "bad --test-tp '%s' (want TRACEPOINT=NAME)",
				      opt->test_tp);
	}
	return 0;
}

/* What the module counts: everything, of the namespaces and devices asked for. */
static void trace_opts_fill(struct trace_opts *to, const struct mon_opts *opt)
{
	to->groups = TRACE_ALL;
	to->stats = opt->stats;
	to->all_netns = opt->netns == NETNS_ALL;
	to->no_sep = opt->run.no_sep;
	to->n_dev = opt->devs.n;
	for (int i = 0; i < opt->devs.n; i++)
		to->dev[i] = opt->devs.v[i].ifindex;
	to->verbose = opt->run.verbose;
	to->test_tp = opt->test_tp;
	to->test_raw_tp = opt->test_raw_tp;
	to->test_no_raw_tp = opt->test_no_raw_tp;
}

int main(int argc, char **argv)
{
	struct mon_opts opt = mon_defaults;
	struct sampler smp = SAMPLER_INIT;
	struct run run = { .opt = &opt };
	struct trace_opts to = {};
	int err, ret;

	ret = tool_begin(argc, argv, &mon_tool, &opt);
	if (ret >= 0)
		return ret;
	ret = opts_finish(&opt);
	if (ret)
		return ret;
	ret = priv_require(NEED_BPF | NEED_PERFMON);
	if (ret)
		return ret;
	log_setup(opt.run.verbose);

	trace_opts_fill(&to, &opt);
	err = trace_open(&run.tr, &to);
	if (err) {
		ret = trace_report(&run.tr, err);
		goto out;
	}
	if (sampler_init(&smp, &mon_ops, &run, trace_snap_size(&run.tr), &opt.run, 0)) {
		ret = report(-ENOMEM, EXIT_FAIL_MEM, "allocate statistics");
		goto out;
	}
	run.out = smp.out.f;
	print_start(&run);
	for (int i = 0; i < opt.devs.n; i++)
		sampler_track(&smp, &opt.devs.v[i], -1);
	err = sampler_start(&smp);
	if (!err)
		err = sampler_run(&smp);
	/* detach first: whatever the output does next, the tracepoints are free */
	trace_detach(&run.tr);
	if (err)
		ret = sampler_report(&smp, err, "read statistics");
	ret = sampler_end(&smp, ret, true);
out:
	sampler_close(&smp);
	trace_close(&run.tr);
	return ret;
}
