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
	int mode;
	bool skb_mode;
	bool swapmac;
	bool read;
	bool check_ifindex;
	__u32 read_bytes;
	double interval;
	double duration;
	bool force;
	bool no_sep;
	bool json;
	int verbose;
};

static const struct rxq_opts rxq_defaults = {
	.action = XDP_PASS,
	.mode = XDP_MODE_AUTO,
	.interval = 2.0,
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
	O("interval", 'i', OPT_SECONDS, interval, "SEC", "seconds between reports",
	  .min = 0.01, .max = 3600),
	O("sec", 's', OPT_SECONDS, interval, "SEC", "same as --interval", .min = 0.01,
	  .max = 3600),
	O("duration", 0, OPT_SECONDS, duration, "SEC", "stop after SEC seconds (0: until Ctrl-C)",
	  .min = 0, .max = 31536000),
	O("mode", 0, OPT_ENUM, mode, "MODE",
	  "XDP mode; auto tries native, then generic", .values = xdp_mode_names),
	O("skb-mode", 'S', OPT_BOOL, skb_mode, NULL, "same as --mode skb"),
	O("force", 'F', OPT_BOOL, force, NULL, "replace an XDP program already on the device"),
	O("no-separators", 'z', OPT_BOOL, no_sep, NULL, "print numbers without thousands separators"),
	O("json", 'j', OPT_BOOL, json, NULL, "print one JSON object per interval and a summary"),
	O("verbose", 'v', OPT_COUNT, verbose, NULL, "libbpf messages (-vv: verifier detail)"),
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

/* One reading of every record: RXQ_KINDS x RXQ_SLOTS keys x ncpus x RXQ_REC_N counters. */
struct snap {
	__u64 t;
	__u64 *v;
};

struct run {
	const struct rxq_opts *opt;
	struct iface *dev;		/* followed by ifindex (renames) */
	FILE *out;			/* stdout, through struct out */
	int link_fd;
	int map_fd;
	int ncpus;
	struct snap cur, prev, first;
	bool show_rxq;
};

#define SLOTS RXQ_SLOTS
#define KEYS (RXQ_KINDS * RXQ_SLOTS)

static __u64 *at(const struct run *r, const struct snap *s, __u32 key, int cpu)
{
	return &s->v[((size_t)key * r->ncpus + cpu) * RXQ_REC_N];
}

static const struct rxq_rec *rec_at(const struct run *r, const struct snap *s, __u32 key, int cpu)
{
	return (const struct rxq_rec *)at(r, s, key, cpu);
}

static int collect(struct run *r, struct snap *s)
{
	__u64 total[RXQ_REC_N];
	int err;

	for (__u32 key = 0; key < KEYS; key++) {
		err = percpu_sum(r->map_fd, key, RXQ_REC_N, r->ncpus, at(r, s, key, 0), total);
		if (err)
			return err;
	}
	s->t = now_ns();
	return 0;
}

/* Counters of one CPU (cpu >= 0) or all CPUs (cpu < 0), of one slot (slot >= 0) or all. */
struct figures {
	__u64 processed, issue, bad_ifindex, overflow, short_frame;
};

static struct figures sum(const struct run *r, const struct snap *s, int slot, int cpu)
{
	struct figures f = {};

	for (int q = 0; q < SLOTS; q++) {
		if (slot >= 0 && q != slot)
			continue;
		for (int c = 0; c < r->ncpus; c++) {
			if (cpu >= 0 && c != cpu)
				continue;
			for (__u32 k = 0; k < RXQ_KINDS; k++) {
				__u64 n = rec_at(r, s, rxq_key(k, (__u32)q), c)->packets;

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
	       fmt_rate(a, rate_per_sec(now->processed, then->processed, dt), !r->opt->no_sep));
	if (issue)
		fprintf(r->out, " %14s%s",
		       fmt_rate(b, rate_per_sec(now->issue, then->issue, dt), !r->opt->no_sep),
		       issue_tags(tags, sizeof(tags), now, then));
	fputc('\n', r->out);
}

static void print_tables(const struct run *r)
{
	__u64 dt = r->cur.t - r->prev.t;
	struct figures now, then;
	char col[16];

	fprintf(r->out, "\nPeriod %.3f s\n", (double)dt / 1e9);
	fprintf(r->out, "%-16s %-8s %14s %14s\n", "XDP stats", "CPU", "pps (pkt/s)", "issue (pkt/s)");
	for (int c = 0; c < r->ncpus; c++) {
		now = sum(r, &r->cur, -1, c);
		then = sum(r, &r->prev, -1, c);
		if (now.processed == then.processed)
			continue;
		snprintf(col, sizeof(col), "%d", c);
		print_row(r, "XDP-RX CPU", col, &now, &then, dt, true);
	}
	now = sum(r, &r->cur, -1, -1);
	then = sum(r, &r->prev, -1, -1);
	print_row(r, "XDP-RX CPU", "total", &now, &then, dt, true);
	if (!r->show_rxq)
		return;

	fprintf(r->out, "\n%-16s %-8s %14s %14s\n", "RXQ stats", "RXQ:CPU", "pps (pkt/s)", "issue (pkt/s)");
	for (int q = 0; q < SLOTS; q++) {
		now = sum(r, &r->cur, q, -1);
		then = sum(r, &r->prev, q, -1);
		if (now.processed == then.processed)
			continue;
		for (int c = 0; c < r->ncpus; c++) {
			struct figures n = sum(r, &r->cur, q, c), t = sum(r, &r->prev, q, c);

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

static void print_json(const struct run *r)
{
	__u64 dt = r->cur.t - r->prev.t;
	struct figures now, then;
	struct jw w;

	jw_begin(&w, r->out);
	jw_str(&w, "type", "interval");
	jw_u64(&w, "period_ns", dt);
	now = sum(r, &r->cur, -1, -1);
	then = sum(r, &r->prev, -1, -1);
	jw_obj(&w, "total");
	json_figures(&w, &now, &then, dt);
	jw_obj_end(&w);
	jw_arr(&w, "cpus");
	for (int c = 0; c < r->ncpus; c++) {
		now = sum(r, &r->cur, -1, c);
		then = sum(r, &r->prev, -1, c);
		if (!now.processed)
			continue;
		jw_obj(&w, NULL);
		jw_i64(&w, "cpu", c);
		json_figures(&w, &now, &then, dt);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_arr(&w, "rxqs");
	for (int q = 0; q < SLOTS; q++) {
		now = sum(r, &r->cur, q, -1);
		then = sum(r, &r->prev, q, -1);
		if (!now.processed)
			continue;
		jw_obj(&w, NULL);
		if (q == RXQ_MAX)
			jw_str(&w, "rxq", "overflow");
		else
			jw_i64(&w, "rxq", q);
		json_figures(&w, &now, &then, dt);
		jw_arr(&w, "cpus");
		for (int c = 0; c < r->ncpus; c++) {
			struct figures n = sum(r, &r->cur, q, c), t = sum(r, &r->prev, q, c);

			if (!n.processed)
				continue;
			jw_obj(&w, NULL);
			jw_i64(&w, "cpu", c);
			json_figures(&w, &n, &t, dt);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_end(&w);
}

static void print_summary(const struct run *r, const struct loop *lp)
{
	struct figures tot = sum(r, &r->cur, -1, -1), zero = {};
	__u64 dt = r->cur.t - r->first.t;
	char a[32], b[32], c[32];
	bool sep = !r->opt->no_sep;
	struct jw w;

	if (r->opt->json) {
		jw_begin(&w, r->out);
		jw_str(&w, "type", "summary");
		jw_u64(&w, "duration_ns", dt);
		json_figures(&w, &tot, &zero, dt);
		jw_i64(&w, "signal", lp->last_signal);
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

static int snaps_alloc(struct run *r)
{
	size_t n = (size_t)KEYS * r->ncpus * RXQ_REC_N;

	r->cur.v = calloc(n, sizeof(__u64));
	r->prev.v = calloc(n, sizeof(__u64));
	r->first.v = calloc(n, sizeof(__u64));
	return r->cur.v && r->prev.v && r->first.v ? 0 : -ENOMEM;
}

static void snaps_free(struct run *r)
{
	free(r->cur.v);
	free(r->prev.v);
	free(r->first.v);
}

static void snap_copy(const struct run *r, struct snap *dst, const struct snap *src)
{
	dst->t = src->t;
	memcpy(dst->v, src->v, (size_t)KEYS * r->ncpus * RXQ_REC_N * sizeof(__u64));
}

/* The poll loop: collect, print, until a signal, the duration, or the device going away. */
static int rxq_poll(struct run *r, struct loop *lp)
{
	int ev, err;

	err = collect(r, &r->first);
	if (err)
		return err;
	snap_copy(r, &r->prev, &r->first);
	snap_copy(r, &r->cur, &r->first);
	while ((ev = loop_wait(lp)) > 0) {
		if (ev == LOOP_TOGGLE) {
			r->show_rxq = !r->show_rxq;
			continue;
		}
		err = collect(r, &r->cur);
		if (err)
			return err;
		if (ev == LOOP_TICK || r->cur.t - r->prev.t > lp->interval_ns / 10) {
			if (r->opt->json)
				print_json(r);
			else
				print_tables(r);
		}
		snap_copy(r, &r->prev, &r->cur);
		if (ev == LOOP_STOP)
			return 0;
		err = iface_track(r->dev, r->link_fd);
		if (err)
			return err;
	}
	return ev;
}

static void print_banner(const struct run *r, const struct xdp_attach *xa)
{
	const struct rxq_opts *opt = r->opt;
	char drv[64] = "?", what[96];

	iface_driver(opt->dev.name, drv, sizeof(drv));
	snprintf(what, sizeof(what), "%s%s%s", opt->read ? "read" : "",
		 opt->read && opt->swapmac ? "," : "",
		 opt->swapmac ? "swapmac" : !opt->read ? "no_touch" : "");
	if (opt->json) {
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
	if (opt->skb_mode) {
		if (opt->mode == XDP_MODE_NATIVE)
			return report(0, EXIT_FAIL_OPTION, "--skb-mode conflicts with --mode native");
		opt->mode = XDP_MODE_SKB;
	}
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
	struct loop lp = LOOP_INIT;
	struct out so = OUT_INIT;
	struct run run = { .opt = &opt, .dev = &opt.dev, .show_rxq = true };
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
	log_setup(opt.verbose);

	run.ncpus = ncpus_possible();
	if (run.ncpus <= 0)
		return report(run.ncpus, EXIT_FAIL, "count possible CPUs");
	if (snaps_alloc(&run) || out_open(&so, STDOUT_FILENO, "stdout", OUT_LINES)) {
		ret = report(-ENOMEM, EXIT_FAIL_MEM, "allocate statistics");
		goto out;
	}
	run.out = so.f;

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

	/* signals are blocked before attach, so a Ctrl-C during attach still ends cleanly */
	err = loop_init(&lp, opt.interval, opt.duration);
	if (err) {
		ret = report(err, EXIT_FAIL, "set up timer and signals");
		goto out;
	}
	loop_add_out(&lp, &so);
	ret = xdp_attach_or_report(&xa, prog, &opt.dev, opt.mode, opt.force);
	if (ret)
		goto out;
	run.link_fd = xa.link_fd;
	print_banner(&run, &xa);

	err = rxq_poll(&run, &lp);
	/* detach first: whatever the output does next, the device is free */
	xdp_attach_release(&xa);
	if (err == -ENODEV)
		ret = report(0, EXIT_FAIL, "device %s disappeared", opt.dev.name);
	else if (err)
		ret = report(err, EXIT_FAIL, "read statistics");
	print_summary(&run, &lp);
	fflush(run.out);
	loop_flush(&lp);
	ret = out_end(&so, ret);
out:
	xdp_attach_release(&xa);
	out_close(&so);
	loop_close(&lp);
	xdp_rxq_info_kern__destroy(skel);
	snaps_free(&run);
	return ret;
}
