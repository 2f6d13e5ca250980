// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_rxq_info: run one XDP action on a device and report packets per second per CPU and per
 * RX queue, optionally touching the payload (--read, --read-bytes) or swapping MACs.
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
#include "xdp_rxq_info.h"
#include "xdp_rxq_info.skel.h"

struct rxq_opts {
	struct iface dev;
	int action;
	bool swapmac;
	bool read;
	bool check_ifindex;
	__u32 read_bytes;
	struct xdp_opts xdp;
	struct run_opts run;
};

static const struct rxq_opts rxq_defaults = {
	.action = XDP_PASS,
	.xdp.mode = XDP_MODE_AUTO,
	.run.interval = 2.0,
};

static const struct opt_enum rxq_actions[] = {
	{ "XDP_PASS", XDP_PASS },
	{ "XDP_DROP", XDP_DROP },
	{ "XDP_TX", XDP_TX },
	{ "XDP_ABORTED", XDP_ABORTED },
	{ NULL, 0 },
};

#define O(...) OPTION(struct rxq_opts, __VA_ARGS__)
static const struct opt_def rxq_opt_defs[] = {
	O("dev", 'd', OPT_IFACE, dev, "IFACE", "device to attach to (name or index)",
	  .required = true),
	O("action", 'a', OPT_ENUM, action, "ACTION", "XDP verdict for every packet",
	  .values = rxq_actions),
	O("swapmac", 'm', OPT_BOOL, swapmac, NULL,
	  "swap Ethernet source and destination (on with XDP_TX)"),
	O("read", 'r', OPT_BOOL, read, NULL, "read the first cache line of every packet"),
	O("read-bytes", 0, OPT_U32, read_bytes, "N",
	  "read one byte of every 64-byte line up to N bytes (implies --read)", .min = 1,
	  .max = RXQ_READ_MAX),
	O("check-ifindex", 0, OPT_BOOL, check_ifindex, NULL,
	  "count packets with a wrong ingress ifindex as issues"),
	OPT_ROW_INTERVAL(struct rxq_opts, "interval", 'i', "seconds between reports"),
	OPT_ROW_INTERVAL(struct rxq_opts, "sec", 's', "same as --interval"),
	OPT_ROW_DURATION(struct rxq_opts, 0),
	OPT_ROWS_XDP(struct rxq_opts),
	OPT_ROWS_OUTPUT(struct rxq_opts, 'z', OPT_JSON_HELP),
	OPT_END,
};
#undef O

static const struct opt_tool rxq_tool = {
	.name = "xdp_rxq_info",
	.summary = "Run an XDP action on a device; report pps per CPU and per RX queue.",
	.usage = "--dev IFACE [--action XDP_PASS|XDP_DROP|XDP_TX|XDP_ABORTED] [options]",
	.defs = rxq_opt_defs,
	.defaults = &rxq_defaults,
	.doc = "Columns: pps = packets per second over the measured period; issue = packets seen\n"
	       "with an RX queue index >= 64 (the overflow row) or, with --check-ifindex, a wrong\n"
	       "ingress ifindex.\n"
	       "Ctrl-\\ (SIGQUIT) toggles the RXQ table. Exit codes: see README.\n",
};

struct run {
	const struct rxq_opts *opt;
	FILE *out;			/* stdout, through struct out */
	int map_fd;
	int ncpus;
	bool show_rxq;
};

#define SLOTS RXQ_SLOTS
#define KEYS (RXQ_KINDS * RXQ_SLOTS)

/* A snapshot is one reading of every record: KEYS x ncpus records, key-major. */
static size_t snap_size(const struct run *r)
{
	return (size_t)KEYS * r->ncpus * sizeof(struct rxq_rec);
}

static const struct rxq_rec *at(const struct run *r, const struct rxq_rec *s, __u32 key, int cpu)
{
	return &s[(size_t)key * r->ncpus + cpu];
}

static int collect(void *ctx, void *snap, __u64 *t)
{
	const struct run *r = ctx;
	struct rxq_rec *s = snap, total;
	int err;

	(void)t;
	for (__u32 key = 0; key < KEYS; key++) {
		err = PERCPU_READ(r->map_fd, &key, r->ncpus, &s[(size_t)key * r->ncpus], &total);
		if (err)
			return err;
	}
	return 0;
}

/* Counters of one CPU (cpu >= 0) or all CPUs (cpu < 0), of one slot (slot >= 0) or all. */
struct figures {
	__u64 processed, issue, bad_ifindex, overflow, short_frame;
};

static struct figures sum(const struct run *r, const struct rxq_rec *s, int slot, int cpu)
{
	struct figures f = {};

	for (int q = 0; q < SLOTS; q++) {
		if (slot >= 0 && q != slot)
			continue;
		for (int c = 0; c < r->ncpus; c++) {
			if (cpu >= 0 && c != cpu)
				continue;
			for (__u32 k = 0; k < RXQ_KINDS; k++) {
				__u64 n = at(r, s, rxq_key(k, (__u32)q), c)->packets;

				f.processed += n;
				if (k & RXQ_K_BAD_IFINDEX)
					f.bad_ifindex += n;
				if (k & RXQ_K_SHORT)
					f.short_frame += n;
				if (q == RXQ_MAX)
					f.overflow += n;
			}
		}
	}
	f.issue = f.bad_ifindex + f.overflow;
	return f;
}

static const char *issue_tags(char *buf, size_t len, const struct figures *now,
			      const struct figures *then)
{
	snprintf(buf, len, "%s%s", now->bad_ifindex > then->bad_ifindex ? " invalid-ifindex" : "",
		 now->overflow > then->overflow ? " rxq-overflow" : "");
	return buf;
}

static void print_row(const struct run *r, const char *label, const char *col,
		      const struct figures *now, const struct figures *then, __u64 dt, bool issue)
{
	char a[32], b[32], tags[64];

	fprintf(r->out, "%-16s %-8s %14s", label, col,
	       fmt_rate(a, rate_per_sec(now->processed, then->processed, dt), !r->opt->run.no_sep));
	if (issue)
		fprintf(r->out, " %14s%s",
		       fmt_rate(b, rate_per_sec(now->issue, then->issue, dt), !r->opt->run.no_sep),
		       issue_tags(tags, sizeof(tags), now, then));
	fputc('\n', r->out);
}

static void print_tables(const struct run *r, const struct rxq_rec *cur,
			 const struct rxq_rec *prev, __u64 dt)
{
	struct figures now, then;
	char col[16];

	fprintf(r->out, "\nPeriod %.3f s\n", (double)dt / 1e9);
	fprintf(r->out, "%-16s %-8s %14s %14s\n", "XDP stats", "CPU", "pps (pkt/s)", "issue (pkt/s)");
	for (int c = 0; c < r->ncpus; c++) {
		now = sum(r, cur, -1, c);
		then = sum(r, prev, -1, c);
		if (now.processed == then.processed)
			continue;
		snprintf(col, sizeof(col), "%d", c);
		print_row(r, "XDP-RX CPU", col, &now, &then, dt, true);
	}
	now = sum(r, cur, -1, -1);
	then = sum(r, prev, -1, -1);
	print_row(r, "XDP-RX CPU", "total", &now, &then, dt, true);
	if (!r->show_rxq)
		return;

	fprintf(r->out, "\n%-16s %-8s %14s %14s\n", "RXQ stats", "RXQ:CPU", "pps (pkt/s)", "issue (pkt/s)");
	for (int q = 0; q < SLOTS; q++) {
		now = sum(r, cur, q, -1);
		then = sum(r, prev, q, -1);
		if (now.processed == then.processed)
			continue;
		for (int c = 0; c < r->ncpus; c++) {
			struct figures n = sum(r, cur, q, c), t = sum(r, prev, q, c);

			if (n.processed == t.processed)
				continue;
			if (q == RXQ_MAX)
				snprintf(col, sizeof(col), ">=%d:%d", RXQ_MAX, c);
			else
				snprintf(col, sizeof(col), "%3d:%d", q, c);
			print_row(r, "rx_queue_index", col, &n, &t, dt, true);
		}
		if (q == RXQ_MAX)
			snprintf(col, sizeof(col), ">=%d:sum", RXQ_MAX);
		else
			snprintf(col, sizeof(col), "%3d:sum", q);
		print_row(r, "rx_queue_index", col, &now, &then, dt, false);
	}
	fflush(r->out);
}

static void json_figures(struct jw *w, const struct figures *now, const struct figures *then,
			 __u64 dt)
{
	jw_u64(w, "processed", now->processed);
	jw_u64(w, "issue", now->issue);
	jw_u64(w, "bad_ifindex", now->bad_ifindex);
	jw_u64(w, "rxq_overflow", now->overflow);
	jw_u64(w, "short_frame", now->short_frame);
	jw_u64(w, "delta", now->processed - then->processed);
	jw_double(w, "pps", rate_per_sec(now->processed, then->processed, dt));
	jw_double(w, "issue_pps", rate_per_sec(now->issue, then->issue, dt));
}

/* "cpus": the CPUs that saw packets of slot (-1: every slot). */
static void json_cpus(struct jw *w, const struct run *r, const struct rxq_rec *cur,
		      const struct rxq_rec *prev, int slot, __u64 dt)
{
	jw_arr(w, "cpus");
	for (int c = 0; c < r->ncpus; c++) {
		struct figures now = sum(r, cur, slot, c), then = sum(r, prev, slot, c);

		if (!now.processed)
			continue;
		jw_obj(w, NULL);
		jw_i64(w, "cpu", c);
		json_figures(w, &now, &then, dt);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void print_json(const struct run *r, const struct rxq_rec *cur, const struct rxq_rec *prev,
		       __u64 dt)
{
	struct figures now, then;
	struct jw w;

	jw_begin(&w, r->out);
	jw_str(&w, "type", "interval");
	jw_u64(&w, "period_ns", dt);
	now = sum(r, cur, -1, -1);
	then = sum(r, prev, -1, -1);
	jw_obj(&w, "total");
	json_figures(&w, &now, &then, dt);
	jw_obj_end(&w);
	json_cpus(&w, r, cur, prev, -1, dt);
	jw_arr(&w, "rxqs");
	for (int q = 0; q < SLOTS; q++) {
		now = sum(r, cur, q, -1);
		then = sum(r, prev, q, -1);
		if (!now.processed)
			continue;
		jw_obj(&w, NULL);
		if (q == RXQ_MAX)
			jw_str(&w, "rxq", "overflow");
		else
			jw_i64(&w, "rxq", q);
		json_figures(&w, &now, &then, dt);
		json_cpus(&w, r, cur, prev, q, dt);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_end(&w);
}

/* The interval: a table, or a JSON line. */
static void rxq_print(void *ctx, const void *now, const void *then, __u64 dt)
{
	const struct run *r = ctx;

	if (r->opt->run.json)
		print_json(r, now, then, dt);
	else
		print_tables(r, now, then, dt);
}

/* Ctrl-\ shows or hides the RXQ table. */
static void rxq_toggle(void *ctx)
{
	struct run *r = ctx;

	r->show_rxq = !r->show_rxq;
}

/* The counters since the program was loaded, over the run's time. */
static void rxq_summary(void *ctx, const void *last, const void *first, __u64 dt, int signal)
{
	const struct run *r = ctx;
	struct figures tot = sum(r, last, -1, -1), zero = {};
	char a[32], b[32], c[32];
	bool sep = !r->opt->run.no_sep;
	struct jw w;

	(void)first;	/* the counters start at zero when the program is loaded */
	if (r->opt->run.json) {
		jw_begin(&w, r->out);
		jw_str(&w, "type", "summary");
		jw_u64(&w, "duration_ns", dt);
		json_figures(&w, &tot, &zero, dt);
		jw_i64(&w, "signal", signal);
		jw_end(&w);
		return;
	}
	fprintf(r->out, "\nSummary: %.3f s, %s packets, %s pkt/s average, %s issues\n", (double)dt / 1e9,
	       fmt_u64(a, tot.processed, sep), fmt_rate(b, rate_per_sec(tot.processed, 0, dt), sep),
	       fmt_u64(c, tot.issue, sep));
	if (tot.short_frame)
		fprintf(r->out, "  %s frames were too short to read or swap fully\n",
		       fmt_u64(a, tot.short_frame, sep));
}

static const struct sampler_ops rxq_ops = {
	.collect = collect,
	.print = rxq_print,
	.summary = rxq_summary,
	.toggle = rxq_toggle,
};

static void print_banner(const struct run *r, const struct xdp_attach *xa)
{
	const struct rxq_opts *opt = r->opt;
	char drv[64] = "?", what[96];

	iface_driver(opt->dev.name, drv, sizeof(drv));
	snprintf(what, sizeof(what), "%s%s%s", opt->read ? "read" : "",
		 opt->read && opt->swapmac ? "," : "",
		 opt->swapmac ? "swapmac" : !opt->read ? "no_touch" : "");
	if (opt->run.json) {
		struct jw w;

		jw_begin(&w, r->out);
		jw_str(&w, "type", "start");
		jw_str(&w, "dev", opt->dev.name);
		jw_i64(&w, "ifindex", opt->dev.ifindex);
		jw_str(&w, "driver", drv);
		jw_str(&w, "mode", xa->mode == XDP_MODE_SKB ? "skb" : "native");
		jw_str(&w, "action", opt_enum_name(rxq_actions, opt->action));
		jw_bool(&w, "swapmac", opt->swapmac);
		jw_u64(&w, "read_bytes", opt->read ? opt->read_bytes : 0);
		jw_bool(&w, "check_ifindex", opt->check_ifindex);
		jw_u64(&w, "prog_id", xa->prog_id);
		jw_end(&w);
		return;
	}
	fprintf(r->out, "Running XDP on dev %s (ifindex %d, driver %s) mode %s action %s options %s",
	       opt->dev.name, opt->dev.ifindex, drv, xdp_mode_str(xa->mode),
	       opt_enum_name(rxq_actions, opt->action), what);
	if (opt->read)
		fprintf(r->out, " (%u bytes)", opt->read_bytes);
	if (opt->check_ifindex)
		fprintf(r->out, " check-ifindex");
	fprintf(r->out, "\n");
	fflush(r->out);
}

static int opts_finish(struct rxq_opts *opt)
{
	int ret = xdp_opts_finish(&opt->xdp);

	if (ret)
		return ret;
	if (opt->action == XDP_TX)
		opt->swapmac = true;
	if (opt->read_bytes)
		opt->read = true;
	else if (opt->read)
		opt->read_bytes = RXQ_LINE;
	return 0;
}


int main(int argc, char **argv)
{
	struct rxq_opts opt = rxq_defaults;
	struct xdp_rxq_info_kern *skel = NULL;
	struct bpf_program *prog;
	struct xdp_attach xa = XDP_ATTACH_INIT;
	struct sampler smp = SAMPLER_INIT;
	struct run run = { .opt = &opt, .show_rxq = true };
	int err, ret;

	ret = tool_begin(argc, argv, &rxq_tool, &opt);
	if (ret >= 0)
		return ret;
	ret = opts_finish(&opt);
	if (ret)
		return ret;
	ret = priv_require(NEED_BPF | NEED_NET_ADMIN | NEED_PERFMON);
	if (ret)
		return ret;
	log_setup(opt.run.verbose);

	run.ncpus = ncpus_possible();
	if (run.ncpus <= 0)
		return report(run.ncpus, EXIT_FAIL, "count possible CPUs");
	if (sampler_init(&smp, &rxq_ops, &run, snap_size(&run), &opt.run, 0)) {
		ret = report(-ENOMEM, EXIT_FAIL_MEM, "allocate statistics");
		goto out;
	}
	run.out = smp.out.f;

	skel = xdp_rxq_info_kern__open();
	if (!skel) {
		ret = report(-errno, EXIT_FAIL_BPF, "open BPF object");
		goto out;
	}
	skel->rodata->cfg = (struct rxq_cfg){
		.action = (__u32)opt.action,
		.ifindex = opt.check_ifindex ? (__u32)opt.dev.ifindex : 0,
		.flags = (opt.read ? RXQ_F_READ : 0) | (opt.swapmac ? RXQ_F_SWAPMAC : 0),
		.read_bytes = opt.read_bytes,
	};
	prog = rxq_prog_pick(skel);
	/* it reads past the first buffer only through bpf_xdp_load_bytes: frags-capable, so it
	 * attaches at jumbo MTUs in native mode too */
	xdp_prog_frags_capable(prog);
	err = xdp_rxq_info_kern__load(skel);
	if (err) {
		ret = report(err, EXIT_FAIL_BPF, "load BPF program (details with -vv)");
		goto out;
	}
	run.map_fd = bpf_map__fd(skel->maps.rxq_stats);

	ret = xdp_attach_or_report(&xa, prog, &opt.dev, &opt.xdp, XDP_VIA_LINK);
	if (ret)
		goto out;
	print_banner(&run, &xa);
	sampler_track(&smp, &opt.dev, xa.link_fd);
	err = sampler_start(&smp);
	if (!err)
		err = sampler_run(&smp);
	/* detach first: whatever the output does next, the device is free */
	xdp_attach_release(&xa);
	if (err)
		ret = sampler_report(&smp, err, "read statistics");
	ret = sampler_end(&smp, ret, true);
out:
	xdp_attach_release(&xa);
	sampler_close(&smp);
	xdp_rxq_info_kern__destroy(skel);
	return ret;
}
