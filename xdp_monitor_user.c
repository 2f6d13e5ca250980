// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_monitor: watch XDP redirects, redirect errors, exceptions, devmap/bulk transmits and cpumap
 * activity through the xdp:* tracepoints, on whatever kernel it runs on: it probes which
 * tracepoints exist (and with which arguments), loads only those, and says what is missing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common_user.h"
#include "xdp_monitor.h"
#include "xdp_monitor.skel.h"

#define TOOL "xdp_monitor"

struct mon_opts {
	struct iface_list devs;
	bool stats;
	bool all_netns;
	double interval;
	double duration;
	bool no_sep;
	bool json;
	int verbose;
	const char *test_tp;	/* hidden: "PROG_TP=NAME" probes NAME instead (tests) */
	bool test_raw_tp;	/* hidden: raw_tp variants where there are some (tests) */
	bool test_no_raw_tp;	/* hidden: no raw_tp variants (tests) */
};

static const struct mon_opts mon_defaults = {
	.interval = 2.0,
};

#define O(...) OPTION(struct mon_opts, __VA_ARGS__)
static const struct opt_def mon_opt_defs[] = {
	O("stats", 's', OPT_BOOL, stats, NULL,
	  "also count redirect successes (costs a tracepoint hit per packet)"),
	O("dev", 'd', OPT_IFACES, devs, "IFACE",
	  "only events from or to IFACE (repeatable; this network namespace)"),
	O("all-netns", 'A', OPT_BOOL, all_netns, NULL,
	  "count devices of every network namespace (default: only this one)"),
	O("interval", 'i', OPT_SECONDS, interval, "SEC", "seconds between reports",
	  .min = 0.01, .max = 3600),
	O("sec", 0, OPT_SECONDS, interval, "SEC", "same as --interval", .min = 0.01, .max = 3600,
	  .hidden = true),
	O("duration", 0, OPT_SECONDS, duration, "SEC", "stop after SEC seconds (0: until Ctrl-C)",
	  .min = 0, .max = 31536000),
	O("no-separators", 'z', OPT_BOOL, no_sep, NULL, "print numbers without thousands separators"),
	O("json", 'j', OPT_BOOL, json, NULL, "print one JSON object per interval and a summary"),
	O("verbose", 'v', OPT_COUNT, verbose, NULL, "libbpf messages (-vv: verifier detail)"),
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
	.usage = "[--stats] [--dev IFACE]... [--all-netns] [options]",
	.defs = mon_opt_defs,
	.defaults = &mon_defaults,
	.doc =
"Default: errors only (redirect errors, exceptions, transmit drops and errors); -s/--stats\n"
"adds redirect successes, at the cost of one tracepoint hit per redirected packet.\n"
"Network namespaces: an ifindex is only unique within its namespace, so a device is matched\n"
"by (ifindex, namespace). By default only devices of xdp_monitor's own namespace count (run it\n"
"with `ip netns exec NS` to watch NS); --all-netns counts every namespace (devices of other\n"
"namespaces show as if<index>@ns<inode>). --dev conflicts with --all-netns.\n"
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

/* ------------------------------------------------------------------ tracepoints */

enum tp_state { TP_ON, TP_OFF, TP_MISSING, TP_LAYOUT, TP_REFUSED };

struct tp_def {
	const char *tp;		/* xdp:<tp> */
	const char *prog;	/* tp_btf program in xdp_monitor_kern.c */
	const char *raw;	/* its raw_tp variant (probe reads), NULL: none */
	unsigned int nargs;	/* arguments the program reads (incl. the hidden ctx) */
	bool success;		/* only with --stats */
};

static const struct tp_def mon_tps[] = {
	{ "xdp_redirect", "tp_xdp_redirect", "raw_xdp_redirect", 8, true },
	{ "xdp_redirect_err", "tp_xdp_redirect_err", "raw_xdp_redirect_err", 8, false },
	{ "xdp_redirect_map", "tp_xdp_redirect_map", "raw_xdp_redirect_map", 8, true },
	{ "xdp_redirect_map_err", "tp_xdp_redirect_map_err", "raw_xdp_redirect_map_err", 8, false },
	{ "xdp_exception", "tp_xdp_exception", NULL, 4, false },
	{ "xdp_devmap_xmit", "tp_xdp_devmap_xmit", NULL, 6, false },
	{ "xdp_bulk_tx", "tp_xdp_bulk_tx", NULL, 5, false },
	{ "xdp_cpumap_enqueue", "tp_xdp_cpumap_enqueue", NULL, 5, false },
	{ "xdp_cpumap_kthread", "tp_xdp_cpumap_kthread", NULL, 6, false },
};
#define MON_TPS ARRAY_SIZE(mon_tps)

struct tp_probe {
	char name[64];		/* probed name (differs from tp with --test-tp) */
	enum tp_state state;
	bool has_raw;		/* it has a raw_tp variant (not with --test-no-raw-tp) */
	bool raw;		/* the raw_tp variant is used */
	struct bpf_program *prog;	/* in the loaded object */
	struct bpf_link *link;
};

/*
 * State of tracepoint name in the kernel's BTF: its btf_trace_<name> typedef points to the
 * prototype; the argument count must be what the program reads (else fields would be misread).
 */
static enum tp_state tp_probe_btf(const struct btf *btf, const char *name, unsigned int nargs)
{
	const struct btf_type *t;
	char tname[128];
	int id;

	if (strlen(name) > 100)
		return TP_MISSING;
	snprintf(tname, sizeof(tname), "btf_trace_%.100s", name);
	id = btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF);
	if (id < 0)
		return TP_MISSING;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);	/* pointer */
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;	/* prototype */
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) != nargs)
		return TP_LAYOUT;
	return TP_ON;
}

/* --test-tp TP=NAME: the name to probe for tracepoint tp. */
static const char *tp_name(const char *test_tp, const char *tp, char *buf, size_t len)
{
	size_t n = strlen(tp);

	if (test_tp && !strncmp(test_tp, tp, n) && test_tp[n] == '=') {
		snprintf(buf, len, "%s", test_tp + n + 1);
		return buf;
	}
	return tp;
}

/* Which tracepoints exist with the expected arguments and are wanted: 0, or -ENOENT when none
 * is left; -errno when the kernel's BTF cannot be read. */
static int tp_setup(const struct mon_opts *opt, struct tp_probe *p)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int on = 0;

	if (!btf)
		return -errno;
	for (size_t i = 0; i < MON_TPS; i++) {
		const struct tp_def *d = &mon_tps[i];

		tp_name(opt->test_tp, d->tp, p[i].name, sizeof(p[i].name));
		if (p[i].name[0] == '\0')
			snprintf(p[i].name, sizeof(p[i].name), "%s", d->tp);
		p[i].state = tp_probe_btf(btf, p[i].name, d->nargs);
		if (p[i].state == TP_ON && d->success && !opt->stats)
			p[i].state = TP_OFF;
		p[i].has_raw = d->raw && !opt->test_no_raw_tp;
		p[i].raw = opt->test_raw_tp && p[i].has_raw;
		on += p[i].state == TP_ON;
	}
	btf__free(btf);
	return on ? 0 : -ENOENT;
}

/* Open the object with cfg and the programs of the tracepoints in state TP_ON (only: that one
 * alone, -1: all of them), and load it. 0 with *out set, or -errno. */
static int mon_open_load(const struct mon_cfg *cfg, const struct tp_probe *p, int only,
			 struct xdp_monitor_kern **out)
{
	struct xdp_monitor_kern *skel = xdp_monitor_kern__open();
	struct bpf_program *prog;
	int err;

	if (!skel)
		return -errno;
	skel->rodata->cfg = *cfg;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, false);
	for (size_t i = 0; i < MON_TPS; i++) {
		const struct tp_def *d = &mon_tps[i];

		if (p[i].state != TP_ON || (only >= 0 && (size_t)only != i))
			continue;
		prog = bpf_object__find_program_by_name(skel->obj, p[i].raw ? d->raw : d->prog);
		if (!prog) {
			xdp_monitor_kern__destroy(skel);
			return -ENOENT;
		}
		if (!p[i].raw && strcmp(p[i].name, d->tp))
			bpf_program__set_attach_target(prog, 0, p[i].name);
		bpf_program__set_autoload(prog, true);
	}
	err = xdp_monitor_kern__load(skel);
	if (err) {
		xdp_monitor_kern__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

/* The verifier's refusals: EACCES (and EINVAL for some). */
static bool refused(int err)
{
	return err == -EACCES || err == -EINVAL;
}

/* Set every tracepoint in state TP_ON that has a raw_tp variant to it (raw) or to its tp_btf
 * program; true when something changed. */
static bool tp_use_raw(struct tp_probe *p, bool raw)
{
	bool changed = false;

	for (size_t i = 0; i < MON_TPS; i++) {
		if (p[i].state != TP_ON || !p[i].has_raw || p[i].raw == raw)
			continue;
		p[i].raw = raw;
		changed = true;
	}
	return changed;
}

/* Each tracepoint's program alone: tp_btf (unless raw), then its raw_tp variant; what verifies
 * in neither form is TP_REFUSED. Returns how many are left. */
static int tp_trials(const struct mon_cfg *cfg, struct tp_probe *p, bool raw)
{
	struct xdp_monitor_kern *trial;
	int on = 0;

	tp_use_raw(p, raw);
	for (size_t i = 0; i < MON_TPS; i++) {
		int err;

		if (p[i].state != TP_ON)
			continue;
		err = mon_open_load(cfg, p, (int)i, &trial);
		if (err && p[i].has_raw && !p[i].raw) {
			p[i].raw = true;
			err = mon_open_load(cfg, p, (int)i, &trial);
		}
		if (err) {
			p[i].state = TP_REFUSED;
			continue;
		}
		xdp_monitor_kern__destroy(trial);
		on++;
	}
	return on;
}

/*
 * Load every program at once, tp_btf first (raw_tp with --test-raw-tp). When the verifier
 * refuses that, the usual cause is tp_btf reads of the redirect tracepoints' `const void *`
 * argument (before 6.16): all at once again with their raw_tp variants. If even that is
 * refused, each tracepoint alone decides (tp_trials). Each load parses the kernel's BTF, which
 * is slow under valgrind or emulation: a kernel such as 6.1 needs two loads, not one a program.
 * Failed attempts are silent unless -vv. On success the loaded object is in *out and p[].prog
 * point into it; -ENOENT when nothing verified.
 */
static int mon_load(const struct mon_cfg *cfg, struct tp_probe *p, const struct mon_opts *opt,
		    struct xdp_monitor_kern **out)
{
	libbpf_print_fn_t print = opt->verbose >= 2 ? NULL : libbpf_set_print(NULL);
	int err;

	err = mon_open_load(cfg, p, -1, out);
	if (refused(err) && tp_use_raw(p, true))
		err = mon_open_load(cfg, p, -1, out);
	if (refused(err)) {
		int on = tp_trials(cfg, p, opt->test_raw_tp);

		if (print)
			libbpf_set_print(print);
		print = NULL;
		err = on ? mon_open_load(cfg, p, -1, out) : -ENOENT;
	}
	if (print)
		libbpf_set_print(print);
	if (err)
		return err;
	for (size_t i = 0; i < MON_TPS; i++)
		if (p[i].state == TP_ON)
			p[i].prog = bpf_object__find_program_by_name((*out)->obj,
								      p[i].raw ? mon_tps[i].raw
									       : mon_tps[i].prog);
	return 0;
}

static int tp_attach(struct tp_probe *p)
{
	for (size_t i = 0; i < MON_TPS; i++) {
		if (p[i].state != TP_ON)
			continue;
		/* a raw_tp program attaches by name, so the --test-tp name applies to it too */
		p[i].link = p[i].raw ? bpf_program__attach_raw_tracepoint(p[i].prog, p[i].name)
				     : bpf_program__attach(p[i].prog);
		if (!p[i].link)
			return -errno;
	}
	return 0;
}

static void tp_detach(struct tp_probe *p)
{
	for (size_t i = 0; i < MON_TPS; i++) {
		bpf_link__destroy(p[i].link);
		p[i].link = NULL;
	}
}

/* "a, b" of the names in state st; returns the count. */
static int tp_list(const struct tp_probe *p, enum tp_state st, char *buf, size_t len)
{
	int n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < MON_TPS; i++) {
		if (p[i].state != st)
			continue;
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", n ? ", " : "", p[i].name);
		n++;
	}
	return n;
}

/* ------------------------------------------------------------------ reading the maps */

struct exc_ent {
	struct mon_exc_key k;
	__u64 count;
};

struct xmit_ent {
	struct mon_xmit_key k;
	struct mon_xmit_rec r;
};

struct snap {
	__u64 t;
	__u64 *redir;		/* [MON_R_MAX][ncpus] */
	__u64 *enq;		/* [slots][ncpus][MON_ENQ_N]: target CPU, source CPU */
	__u64 *kthr;		/* [ncpus][MON_KTHR_N] */
	int n_exc, n_dmx, n_bulk;
	struct exc_ent exc[MON_PAIRS_MAX];
	struct xmit_ent dmx[MON_PAIRS_MAX];
	struct xmit_ent bulk[MON_PAIRS_MAX];
};

struct run {
	const struct mon_opts *opt;
	struct xdp_monitor_kern *skel;
	const struct tp_probe *tps;
	__u32 netns;		/* own namespace inode */
	int ncpus, enq_slots;
	__u64 start;
	struct snap *cur, *prev;
	__u64 *buf;		/* one per-CPU value */
};

static int read_exc(struct run *r, struct snap *s)
{
	int fd = bpf_map__fd(r->skel->maps.exception_cnt);
	struct mon_exc_key k, *prev = NULL;

	s->n_exc = 0;
	while (s->n_exc < MON_PAIRS_MAX && !bpf_map_get_next_key(fd, prev, &k)) {
		struct exc_ent *e = &s->exc[s->n_exc];

		e->k = k;
		prev = &e->k;
		if (bpf_map_lookup_elem(fd, &k, r->buf))
			continue;	/* raced with a delete: there are none, but be safe */
		e->count = 0;
		for (int c = 0; c < r->ncpus; c++)
			e->count += r->buf[c];
		s->n_exc++;
	}
	return 0;
}

static int read_xmit(struct run *r, int fd, struct xmit_ent *ents, int *n)
{
	struct mon_xmit_key k, *prev = NULL;

	*n = 0;
	while (*n < MON_PAIRS_MAX && !bpf_map_get_next_key(fd, prev, &k)) {
		struct xmit_ent *e = &ents[*n];
		__u64 *t = (__u64 *)&e->r;

		e->k = k;
		prev = &e->k;
		if (bpf_map_lookup_elem(fd, &k, r->buf))
			continue;
		memset(&e->r, 0, sizeof(e->r));
		for (int c = 0; c < r->ncpus; c++) {
			const __u64 *v = &r->buf[(size_t)c * MON_XMIT_N];

			for (unsigned int i = 0; i < MON_XMIT_N; i++) {
				if (&t[i] == &e->r.last_err) {
					if (v[i])
						t[i] = v[i];
				} else {
					t[i] += v[i];
				}
			}
		}
		(*n)++;
	}
	return 0;
}

static int collect(struct run *r, struct snap *s)
{
	struct xdp_monitor_kern *k = r->skel;
	__u64 tot[MON_KTHR_N];
	int err = 0;

	for (__u32 i = 0; i < MON_R_MAX && !err; i++)
		err = percpu_sum(bpf_map__fd(k->maps.redirect_cnt), i, 1, r->ncpus,
				 &s->redir[(size_t)i * r->ncpus], tot);
	for (int i = 0; i < r->enq_slots && !err; i++)
		err = percpu_sum(bpf_map__fd(k->maps.cpumap_enqueue_cnt), (__u32)i, MON_ENQ_N,
				 r->ncpus, &s->enq[(size_t)i * r->ncpus * MON_ENQ_N], tot);
	if (!err)
		err = percpu_sum(bpf_map__fd(k->maps.cpumap_kthread_cnt), 0, MON_KTHR_N, r->ncpus,
				 s->kthr, tot);
	if (!err)
		err = read_exc(r, s);
	if (!err)
		err = read_xmit(r, bpf_map__fd(k->maps.devmap_xmit_cnt), s->dmx, &s->n_dmx);
	if (!err)
		err = read_xmit(r, bpf_map__fd(k->maps.bulk_tx_cnt), s->bulk, &s->n_bulk);
	s->t = now_ns();
	return err;
}

static struct snap *snap_new(const struct run *r)
{
	struct snap *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->redir = calloc((size_t)MON_R_MAX * r->ncpus, sizeof(__u64));
	s->enq = calloc((size_t)r->enq_slots * r->ncpus * MON_ENQ_N, sizeof(__u64));
	s->kthr = calloc((size_t)r->ncpus * MON_KTHR_N, sizeof(__u64));
	if (!s->redir || !s->enq || !s->kthr) {
		free(s->redir);
		free(s->enq);
		free(s->kthr);
		free(s);
		return NULL;
	}
	return s;
}

static void snap_free(struct snap *s)
{
	if (!s)
		return;
	free(s->redir);
	free(s->enq);
	free(s->kthr);
	free(s);
}

/* ------------------------------------------------------------------ figures */

static const char *const redir_names[MON_R_MAX] = {
	"success", "ENETDOWN", "EINVAL", "EMSGSIZE", "EOPNOTSUPP", "ENOSPC", "other",
};

static const char *const act_names[] = {
	"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT", "XDP_UNKNOWN",
};

static const char *act_name(__u32 a)
{
	return a < ARRAY_SIZE(act_names) ? act_names[a] : "XDP_UNKNOWN";
}

static const char *errno_name(long long err)
{
	switch (-err) {
	case 0: return "-";
	case ENETDOWN: return "ENETDOWN";
	case EINVAL: return "EINVAL";
	case EMSGSIZE: return "EMSGSIZE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOSPC: return "ENOSPC";
	case ENXIO: return "ENXIO";
	case ENOMEM: return "ENOMEM";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case EFAULT: return "EFAULT";
	default: return "other";
	}
}

/* Name of a device: its name when it lives in our namespace, else if<index>[@ns<inode>]. */
static const char *dev_str(const struct run *r, const struct mon_dev *d, char *buf, size_t len)
{
	char name[IF_NAMESIZE];

	if (!d->ifindex)
		snprintf(buf, len, "?");
	else if ((d->netns == r->netns || !d->netns) && if_indextoname(d->ifindex, name))
		snprintf(buf, len, "%s", name);
	else if (d->netns && d->netns != r->netns)
		snprintf(buf, len, "if%u@ns%u", d->ifindex, d->netns);
	else
		snprintf(buf, len, "if%u", d->ifindex);
	return buf;
}

static __u64 redir_sum(const struct run *r, const struct snap *s, int slot, int cpu)
{
	__u64 v = 0;

	for (int i = 0; i < MON_R_MAX; i++) {
		if (slot >= 0 && i != slot)
			continue;
		if (slot < 0 && i == MON_R_SUCCESS)
			continue;	/* slot -1: all errors */
		for (int c = 0; c < r->ncpus; c++)
			if (cpu < 0 || c == cpu)
				v += s->redir[(size_t)i * r->ncpus + c];
	}
	return v;
}

static __u64 exc_prev(const struct snap *p, const struct mon_exc_key *k)
{
	for (int i = 0; p && i < p->n_exc; i++)
		if (!memcmp(&p->exc[i].k, k, sizeof(*k)))
			return p->exc[i].count;
	return 0;
}

static const struct mon_xmit_rec *xmit_prev(const struct xmit_ent *e, int n,
					    const struct mon_xmit_key *k)
{
	static const struct mon_xmit_rec zero;

	for (int i = 0; e && i < n; i++)
		if (!memcmp(&e[i].k, k, sizeof(*k)))
			return &e[i].r;
	return &zero;
}

static double bulk_avg(__u64 frames, __u64 events)
{
	return events ? (double)frames / (double)events : 0.0;
}

/* ------------------------------------------------------------------ JSON */

static void json_dev(struct jw *w, const struct run *r, const char *key, const struct mon_dev *d)
{
	char name[64];

	jw_obj(w, key);
	jw_str(w, "name", dev_str(r, d, name, sizeof(name)));
	jw_u64(w, "ifindex", d->ifindex);
	jw_u64(w, "netns", d->netns);
	jw_obj_end(w);
}

static void json_xmit(struct jw *w, const struct run *r, const char *key,
		      const struct xmit_ent *e, int n, const struct snap *p, bool pair, __u64 dt)
{
	jw_arr(w, key);
	for (int i = 0; i < n; i++) {
		const struct mon_xmit_rec *c = &e[i].r;
		const struct mon_xmit_rec *o = p ? xmit_prev(pair ? p->dmx : p->bulk,
							     pair ? p->n_dmx : p->n_bulk, &e[i].k)
						 : xmit_prev(NULL, 0, &e[i].k);

		jw_obj(w, NULL);
		if (pair)
			json_dev(w, r, "from", &e[i].k.from);
		json_dev(w, r, pair ? "to" : "dev", &e[i].k.to);
		jw_u64(w, "events", c->events);
		jw_u64(w, "sent", c->sent);
		jw_u64(w, "drops", c->drops);
		jw_u64(w, "drv_err", c->err_events);
		jw_str(w, "last_err", errno_name((long long)c->last_err));
		jw_double(w, "sent_pps", rate_per_sec(c->sent, o->sent, dt));
		jw_double(w, "drop_pps", rate_per_sec(c->drops, o->drops, dt));
		jw_double(w, "bulk_avg", bulk_avg(c->sent + c->drops - o->sent - o->drops,
						  c->events - o->events));
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void json_cpumap(struct jw *w, const struct run *r, const struct snap *s,
			const struct snap *p, __u64 dt)
{
	jw_arr(w, "cpumap_enqueue");
	for (int to = 0; to < r->enq_slots; to++) {
		for (int from = 0; from < r->ncpus; from++) {
			size_t o = ((size_t)to * r->ncpus + from) * MON_ENQ_N;
			const __u64 *c = &s->enq[o], *q = p ? &p->enq[o] : NULL;

			if (!c[0])
				continue;
			jw_obj(w, NULL);
			jw_i64(w, "from_cpu", from);
			jw_i64(w, "to_cpu", to);
			jw_u64(w, "events", c[0]);
			jw_u64(w, "processed", c[1]);
			jw_u64(w, "drops", c[2]);
			jw_double(w, "pps", rate_per_sec(c[1], q ? q[1] : 0, dt));
			jw_double(w, "drop_pps", rate_per_sec(c[2], q ? q[2] : 0, dt));
			jw_obj_end(w);
		}
	}
	jw_arr_end(w);
	jw_arr(w, "cpumap_kthread");
	for (int cpu = 0; cpu < r->ncpus; cpu++) {
		const __u64 *c = &s->kthr[(size_t)cpu * MON_KTHR_N];
		const __u64 *q = p ? &p->kthr[(size_t)cpu * MON_KTHR_N] : NULL;

		if (!c[0])
			continue;
		jw_obj(w, NULL);
		jw_i64(w, "cpu", cpu);
		jw_u64(w, "events", c[0]);
		jw_u64(w, "processed", c[1]);
		jw_u64(w, "drops", c[2]);
		jw_u64(w, "sched", c[3]);
		jw_u64(w, "xdp_pass", c[4]);
		jw_u64(w, "xdp_drop", c[5]);
		jw_u64(w, "xdp_redirect", c[6]);
		jw_double(w, "pps", rate_per_sec(c[1], q ? q[1] : 0, dt));
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* One JSON line: counters since start, rates against p (NULL: since start). */
static void print_json(const struct run *r, const char *type, const struct snap *p, __u64 dt,
		       int sig)
{
	const struct snap *s = r->cur;
	struct jw w;

	jw_begin(&w, stdout);
	jw_str(&w, "type", type);
	jw_u64(&w, p ? "period_ns" : "duration_ns", dt);
	jw_obj(&w, "redirect");
	jw_u64(&w, "success", redir_sum(r, s, MON_R_SUCCESS, -1));
	jw_u64(&w, "error", redir_sum(r, s, -1, -1));
	jw_double(&w, "success_pps", rate_per_sec(redir_sum(r, s, MON_R_SUCCESS, -1),
						  p ? redir_sum(r, p, MON_R_SUCCESS, -1) : 0, dt));
	jw_double(&w, "error_pps",
		  rate_per_sec(redir_sum(r, s, -1, -1), p ? redir_sum(r, p, -1, -1) : 0, dt));
	jw_obj(&w, "errors");
	for (int i = 1; i < MON_R_MAX; i++)
		jw_u64(&w, redir_names[i], redir_sum(r, s, i, -1));
	jw_obj_end(&w);
	jw_arr(&w, "cpus");
	for (int c = 0; c < r->ncpus; c++) {
		__u64 ok = redir_sum(r, s, MON_R_SUCCESS, c), bad = redir_sum(r, s, -1, c);

		if (!ok && !bad)
			continue;
		jw_obj(&w, NULL);
		jw_i64(&w, "cpu", c);
		jw_u64(&w, "success", ok);
		jw_u64(&w, "error", bad);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_arr(&w, "exceptions");
	for (int i = 0; i < s->n_exc; i++) {
		const struct exc_ent *e = &s->exc[i];

		jw_obj(&w, NULL);
		json_dev(&w, r, "dev", &e->k.dev);
		jw_str(&w, "action", act_name(e->k.action));
		jw_u64(&w, "count", e->count);
		jw_double(&w, "pps", rate_per_sec(e->count, p ? exc_prev(p, &e->k) : 0, dt));
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	json_xmit(&w, r, "devmap_xmit", s->dmx, s->n_dmx, p, true, dt);
	json_xmit(&w, r, "bulk_tx", s->bulk, s->n_bulk, p, false, dt);
	json_cpumap(&w, r, s, p, dt);
	if (!p)
		jw_i64(&w, "signal", sig);
	jw_end(&w);
}

/* ------------------------------------------------------------------ tables */

static void print_redirect(const struct run *r, const struct snap *s, const struct snap *p,
			   __u64 dt)
{
	bool sep = !r->opt->no_sep;
	char a[32], b[32], c[32];

	printf("%-16s %-11s %14s %14s\n", "redirect", "CPU", "ok pkt/s", "err pkt/s");
	for (int cpu = 0; cpu < r->ncpus; cpu++) {
		__u64 ok = redir_sum(r, s, MON_R_SUCCESS, cpu), ok0 = redir_sum(r, p, MON_R_SUCCESS, cpu);
		__u64 e = redir_sum(r, s, -1, cpu), e0 = redir_sum(r, p, -1, cpu);

		if (ok == ok0 && e == e0)
			continue;
		snprintf(c, sizeof(c), "%d", cpu);
		printf("%-16s %-11s %14s %14s\n", "", c,
		       r->opt->stats ? fmt_rate(a, rate_per_sec(ok, ok0, dt), sep) : "-",
		       fmt_rate(b, rate_per_sec(e, e0, dt), sep));
	}
	printf("%-16s %-11s %14s %14s\n", "", "total",
	       r->opt->stats ? fmt_rate(a, rate_per_sec(redir_sum(r, s, MON_R_SUCCESS, -1),
							redir_sum(r, p, MON_R_SUCCESS, -1), dt), sep)
			     : "-",
	       fmt_rate(b, rate_per_sec(redir_sum(r, s, -1, -1), redir_sum(r, p, -1, -1), dt),
			sep));
	for (int i = 1; i < MON_R_MAX; i++) {
		__u64 v = redir_sum(r, s, i, -1), v0 = redir_sum(r, p, i, -1);

		if (!v)
			continue;
		printf("%-16s %-11s %14s %14s total\n", "  redirect-err", redir_names[i],
		       fmt_rate(a, rate_per_sec(v, v0, dt), sep), fmt_u64(c, v, sep));
	}
}

static void print_xmit_rows(const struct run *r, const char *label, const struct xmit_ent *e,
			    int n, const struct xmit_ent *pe, int pn, bool pair, __u64 dt)
{
	bool sep = !r->opt->no_sep;
	char a[32], b[32], c[32], f[64], t[64], col[140];

	for (int i = 0; i < n; i++) {
		const struct mon_xmit_rec *x = &e[i].r, *o = xmit_prev(pe, pn, &e[i].k);

		if (x->events == o->events)
			continue;
		if (pair)
			snprintf(col, sizeof(col), "%s->%s", dev_str(r, &e[i].k.from, f, sizeof(f)),
				 dev_str(r, &e[i].k.to, t, sizeof(t)));
		else
			dev_str(r, &e[i].k.to, col, sizeof(col));
		printf("%-16s %-23s %12s %12s %10s %8.2f %s\n", label, col,
		       fmt_rate(a, rate_per_sec(x->sent, o->sent, dt), sep),
		       fmt_rate(b, rate_per_sec(x->drops, o->drops, dt), sep),
		       fmt_rate(c, rate_per_sec(x->err_events, o->err_events, dt), sep),
		       bulk_avg(x->sent + x->drops - o->sent - o->drops, x->events - o->events),
		       errno_name((long long)x->last_err));
	}
}

static void print_cpumap(const struct run *r, const struct snap *s, const struct snap *p,
			 __u64 dt)
{
	bool sep = !r->opt->no_sep;
	char a[32], b[32], c[32], col[32];

	for (int to = 0; to < r->enq_slots; to++) {
		for (int from = 0; from < r->ncpus; from++) {
			size_t o = ((size_t)to * r->ncpus + from) * MON_ENQ_N;
			const __u64 *x = &s->enq[o], *q = &p->enq[o];

			if (x[0] == q[0])
				continue;
			snprintf(col, sizeof(col), "%d->%d", from, to);
			printf("%-16s %-23s %12s %12s %10s %8.2f\n", "  enqueue", col,
			       fmt_rate(a, rate_per_sec(x[1], q[1], dt), sep),
			       fmt_rate(b, rate_per_sec(x[2], q[2], dt), sep), "",
			       bulk_avg(x[1] + x[2] - q[1] - q[2], x[0] - q[0]));
		}
	}
	for (int cpu = 0; cpu < r->ncpus; cpu++) {
		const __u64 *x = &s->kthr[(size_t)cpu * MON_KTHR_N];
		const __u64 *q = &p->kthr[(size_t)cpu * MON_KTHR_N];

		if (x[0] == q[0])
			continue;
		snprintf(col, sizeof(col), "%d", cpu);
		printf("%-16s %-23s %12s %12s %10s %8s", "  kthread", col,
		       fmt_rate(a, rate_per_sec(x[1], q[1], dt), sep),
		       fmt_rate(b, rate_per_sec(x[2], q[2], dt), sep),
		       fmt_rate(c, rate_per_sec(x[3], q[3], dt), sep), "");
		printf(" xdp pass %s", fmt_rate(a, rate_per_sec(x[4], q[4], dt), sep));
		printf(" drop %s", fmt_rate(a, rate_per_sec(x[5], q[5], dt), sep));
		printf(" redirect %s /s\n", fmt_rate(a, rate_per_sec(x[6], q[6], dt), sep));
	}
}

static bool xmit_changed(const struct xmit_ent *e, int n, const struct xmit_ent *pe, int pn)
{
	for (int i = 0; i < n; i++)
		if (e[i].r.events != xmit_prev(pe, pn, &e[i].k)->events)
			return true;
	return false;
}

static bool cpumap_changed(const struct run *r, const struct snap *s, const struct snap *p)
{
	for (size_t i = 0; i < (size_t)r->enq_slots * r->ncpus * MON_ENQ_N; i++)
		if (s->enq[i] != p->enq[i])
			return true;
	for (size_t i = 0; i < (size_t)r->ncpus * MON_KTHR_N; i++)
		if (s->kthr[i] != p->kthr[i])
			return true;
	return false;
}

static void print_tables(const struct run *r, const struct snap *p, __u64 dt)
{
	const struct snap *s = r->cur;
	bool sep = !r->opt->no_sep;
	char a[32], b[32], d[64];

	printf("\nPeriod %.3f s\n", (double)dt / 1e9);
	print_redirect(r, s, p, dt);
	for (int i = 0; i < s->n_exc; i++) {
		const struct exc_ent *e = &s->exc[i];
		__u64 e0 = exc_prev(p, &e->k);

		if (e->count == e0)
			continue;
		printf("%-16s %-11s %14s %14s total  %s\n", "exception",
		       dev_str(r, &e->k.dev, d, sizeof(d)),
		       fmt_rate(a, rate_per_sec(e->count, e0, dt), sep), fmt_u64(b, e->count, sep),
		       act_name(e->k.action));
	}
	if (xmit_changed(s->dmx, s->n_dmx, p->dmx, p->n_dmx) ||
	    xmit_changed(s->bulk, s->n_bulk, p->bulk, p->n_bulk))
		printf("%-16s %-23s %12s %12s %10s %8s %s\n", "transmit", "from->to / device",
		       "xmit pkt/s", "drop pkt/s", "drv-err/s", "bulk-avg", "last-err");
	print_xmit_rows(r, "devmap-xmit", s->dmx, s->n_dmx, p->dmx, p->n_dmx, true, dt);
	print_xmit_rows(r, "bulk-tx", s->bulk, s->n_bulk, p->bulk, p->n_bulk, false, dt);
	if (cpumap_changed(r, s, p)) {
		printf("%-16s %-23s %12s %12s %10s %8s\n", "cpumap", "from->to CPU / CPU", "pkt/s",
		       "drop pkt/s", "sched/s", "bulk-avg");
		print_cpumap(r, s, p, dt);
	}
	fflush(stdout);
}

static void print_summary(const struct run *r, const struct loop *lp)
{
	const struct snap *s = r->cur;
	__u64 dt = s->t > r->start ? s->t - r->start : 0, exc = 0, sent = 0, drops = 0;
	bool sep = !r->opt->no_sep;
	char a[32], b[32], c[32], d[32], e[32];

	if (r->opt->json) {
		print_json(r, "summary", NULL, dt, lp->last_signal);
		return;
	}
	for (int i = 0; i < s->n_exc; i++)
		exc += s->exc[i].count;
	for (int i = 0; i < s->n_dmx; i++) {
		sent += s->dmx[i].r.sent;
		drops += s->dmx[i].r.drops;
	}
	printf("\nSummary: %.3f s, redirect %s ok%s, %s errors, %s exceptions, devmap xmit %s sent "
	       "%s dropped\n", (double)dt / 1e9,
	       r->opt->stats ? fmt_u64(a, redir_sum(r, s, MON_R_SUCCESS, -1), sep) : "-",
	       r->opt->stats ? "" : " (no --stats)", fmt_u64(b, redir_sum(r, s, -1, -1), sep),
	       fmt_u64(c, exc, sep), fmt_u64(d, sent, sep), fmt_u64(e, drops, sep));
	for (int i = 1; i < MON_R_MAX; i++)
		if (redir_sum(r, s, i, -1))
			printf("  redirect-err %-10s %s\n", redir_names[i],
			       fmt_u64(a, redir_sum(r, s, i, -1), sep));
	for (int i = 0; i < s->n_exc; i++)
		printf("  exception %-13s %-12s %s\n", dev_str(r, &s->exc[i].k.dev, c, sizeof(c)),
		       act_name(s->exc[i].k.action), fmt_u64(a, s->exc[i].count, sep));
}

/* ------------------------------------------------------------------ start */

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static void print_start(const struct run *r)
{
	const struct mon_opts *opt = r->opt;
	char off[256], miss[256], layout[256], refused[256];
	int n_miss = tp_list(r->tps, TP_MISSING, miss, sizeof(miss));
	int n_layout = tp_list(r->tps, TP_LAYOUT, layout, sizeof(layout));
	int n_refused = tp_list(r->tps, TP_REFUSED, refused, sizeof(refused));
	struct jw w;

	tp_list(r->tps, TP_OFF, off, sizeof(off));
	if (n_miss)
		fprintf(stderr, TOOL ": tracepoints not on this kernel: %s (their events are not "
			"counted)\n", miss);
	if (n_layout)
		fprintf(stderr, TOOL ": tracepoints with unexpected arguments, not used: %s\n",
			layout);
	if (n_refused)
		fprintf(stderr, TOOL ": tracepoints whose programs this kernel's verifier refuses, not "
			"used: %s\n", refused);
	if (opt->verbose)
		for (size_t i = 0; i < MON_TPS; i++)
			if (r->tps[i].state == TP_ON && r->tps[i].raw)
				fprintf(stderr, TOOL ": %s: counted by its raw_tp program (probe "
					"reads)\n", r->tps[i].name);
	if (!opt->stats)
		fprintf(stderr, TOOL ": NOTICE: only redirect errors are counted; -s/--stats adds "
			"successes (per-packet overhead)\n");
	if (!opt->json) {
		printf("Monitoring XDP tracepoints%s%s, netns %s\n",
		       opt->stats ? " with redirect successes" : " (errors only)",
		       opt->devs.n ? " of the given devices" : "",
		       opt->all_netns ? "all" : "own");
		fflush(stdout);
		return;
	}
	jw_begin(&w, stdout);
	jw_str(&w, "type", "start");
	jw_bool(&w, "stats", opt->stats);
	jw_bool(&w, "all_netns", opt->all_netns);
	jw_u64(&w, "netns", r->netns);
	jw_arr(&w, "devs");
	for (int i = 0; i < opt->devs.n; i++) {
		jw_obj(&w, NULL);
		jw_str(&w, "name", opt->devs.v[i].name);
		jw_i64(&w, "ifindex", opt->devs.v[i].ifindex);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj(&w, "tracepoints");
	for (int st = TP_ON; st <= TP_REFUSED; st++) {
		static const char *const keys[] = { "loaded", "off", "unavailable", "bad_layout",
						    "refused" };

		jw_arr(&w, keys[st]);
		for (size_t i = 0; i < MON_TPS; i++)
			if (r->tps[i].state == (enum tp_state)st)
				jw_str(&w, NULL, r->tps[i].name);
		jw_arr_end(&w);
	}
	jw_arr(&w, "raw_tp");	/* loaded as raw_tp programs */
	for (size_t i = 0; i < MON_TPS; i++)
		if (r->tps[i].state == TP_ON && r->tps[i].raw)
			jw_str(&w, NULL, r->tps[i].name);
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_arr(&w, "prog_ids");
	for (size_t i = 0; i < MON_TPS; i++)
		if (r->tps[i].state == TP_ON)
			jw_u64(&w, NULL, prog_id(bpf_program__fd(r->tps[i].prog)));
	jw_arr_end(&w);
	jw_end(&w);
}

/* ------------------------------------------------------------------ main */

static void snap_swap(struct run *r)
{
	struct snap *t = r->prev;

	r->prev = r->cur;
	r->cur = t;
}

/* The poll loop: collect, print, until a signal or the duration. */
static int mon_poll(struct run *r, struct loop *lp)
{
	int ev, err;

	err = collect(r, r->prev);
	if (err)
		return err;
	r->start = r->prev->t;
	while ((ev = loop_wait(lp)) > 0) {
		__u64 dt;

		if (ev == LOOP_TOGGLE)
			continue;
		err = collect(r, r->cur);
		if (err)
			return err;
		dt = r->cur->t - r->prev->t;
		if (ev == LOOP_TICK || dt > lp->interval_ns / 10) {
			if (r->opt->json)
				print_json(r, "interval", r->prev, dt, 0);
			else
				print_tables(r, r->prev, dt);
		}
		if (ev == LOOP_STOP)
			return 0;
		snap_swap(r);
	}
	if (ev == 0)
		return 0;
	/* a failed wait: keep the last reading in cur for the summary */
	snap_swap(r);
	return ev;
}

static int opts_finish(const struct mon_opts *opt)
{
	if (opt->all_netns && opt->devs.n)
		return report(0, EXIT_FAIL_OPTION, "--all-netns conflicts with --dev (a device name "
			      "means a device of this network namespace)");
	if (opt->test_tp) {
		const char *eq = strchr(opt->test_tp, '=');
		bool known = false;

		for (size_t i = 0; eq && i < MON_TPS; i++)
			known |= strlen(mon_tps[i].tp) == (size_t)(eq - opt->test_tp) &&
				 !strncmp(mon_tps[i].tp, opt->test_tp, (size_t)(eq - opt->test_tp));
		if (!known || !eq[1] || strlen(eq + 1) >= 64)
			return report(0, EXIT_FAIL_OPTION, "bad --test-tp '%s' (want TRACEPOINT=NAME)",
				      opt->test_tp);
	}
	return 0;
}

static int own_netns(__u32 *ino)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return -errno;
	*ino = (__u32)st.st_ino;
	return 0;
}

static void cfg_fill(struct mon_cfg *cfg, const struct mon_opts *opt, __u32 netns)
{
	cfg->netns = opt->all_netns ? 0 : netns;
	cfg->n_dev = (__u32)opt->devs.n;
	for (int i = 0; i < opt->devs.n; i++)
		cfg->dev[i] = (__u32)opt->devs.v[i].ifindex;
}

int main(int argc, char **argv)
{
	struct mon_opts opt = mon_defaults;
	struct tp_probe tps[MON_TPS] = {};
	struct loop lp = LOOP_INIT;
	struct run run = { .opt = &opt, .tps = tps };
	struct mon_cfg cfg = {};
	int err, ret;

	err = opts_parse(argc, argv, &mon_tool, &opt);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_FAIL_OPTION;
	ret = opts_finish(&opt);
	if (ret)
		return ret;
	ret = priv_require();
	if (ret)
		return ret;
	log_setup(opt.verbose);

	err = own_netns(&run.netns);
	if (err)
		return report(err, EXIT_FAIL, "read /proc/self/ns/net");
	run.ncpus = ncpus_possible();
	if (run.ncpus <= 0)
		return report(run.ncpus, EXIT_FAIL, "count possible CPUs");
	run.enq_slots = run.ncpus < MON_CPU_MAX ? run.ncpus : MON_CPU_MAX;
	run.cur = snap_new(&run);
	run.prev = snap_new(&run);
	run.buf = calloc((size_t)run.ncpus * MON_KTHR_N, sizeof(__u64));
	if (!run.cur || !run.prev || !run.buf) {
		ret = report(-ENOMEM, EXIT_FAIL_MEM, "allocate statistics");
		goto out;
	}

	cfg_fill(&cfg, &opt, run.netns);
	err = tp_setup(&opt, tps);
	if (err == -ENOENT) {
		ret = report(0, EXIT_FAIL_BPF, "none of the xdp:* tracepoints exists on this kernel");
		goto out;
	} else if (err) {
		ret = report(err, EXIT_FAIL_BPF, "read the kernel's BTF (/sys/kernel/btf/vmlinux)");
		goto out;
	}
	err = mon_load(&cfg, tps, &opt, &run.skel);
	if (err == -ENOENT) {
		ret = report(0, EXIT_FAIL_BPF, "this kernel's verifier refuses every xdp:* tracepoint "
			     "program (details with -vv)");
		goto out;
	} else if (err) {
		ret = report(err, EXIT_FAIL_BPF, "load BPF programs (details with -vv)");
		goto out;
	}
	/* signals are blocked before attach, so a Ctrl-C during attach still ends cleanly */
	err = loop_init(&lp, opt.interval, opt.duration);
	if (err) {
		ret = report(err, EXIT_FAIL, "set up timer and signals");
		goto out;
	}
	err = tp_attach(tps);
	if (err) {
		ret = report(err, EXIT_FAIL_BPF, "attach to the tracepoints");
		goto out;
	}
	print_start(&run);

	err = mon_poll(&run, &lp);
	if (err)
		ret = report(err, EXIT_FAIL, "read statistics");
	print_summary(&run, &lp);
out:
	tp_detach(tps);
	loop_close(&lp);
	xdp_monitor_kern__destroy(run.skel);
	snap_free(run.cur);
	snap_free(run.prev);
	free(run.buf);
	return ret;
}
