// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_monitor: watch XDP redirects, redirect errors, exceptions, devmap/bulk transmits and cpumap
 * activity through the xdp:* tracepoints, on whatever kernel it runs on: it probes which
 * tracepoints exist (and with which arguments), loads only those, and says what is missing.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
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
	libbpf_print_fn_t print = opt->run.verbose >= 2 ? NULL : libbpf_set_print(NULL);
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
	struct mon_exc_rec r;
};

struct xmit_ent {
	struct mon_xmit_key k;
	struct mon_xmit_rec r;
};

/* A snapshot: this struct, then the per-CPU arrays it points to (sized at run time). */
struct snap {
	struct mon_redir_rec *redir;	/* [MON_R_MAX][ncpus] */
	struct mon_enq_rec *enq;	/* [slots][ncpus]: target CPU, source CPU */
	struct mon_kthr_rec *kthr;	/* [ncpus] */
	int n_exc, n_dmx, n_bulk;
	struct exc_ent exc[MON_PAIRS_MAX];
	struct xmit_ent dmx[MON_PAIRS_MAX];
	struct xmit_ent bulk[MON_PAIRS_MAX];
};

/* Names of other namespaces (ip netns, /run/netns) and of their devices, found once. */
#define NS_NAMES_MAX 256
#define DEV_NAMES_MAX 256
struct names {
	int own_fd;			/* /proc/self/ns/net: to come back after a look elsewhere */
	int n_ns;
	struct { __u32 inode; char name[64]; } ns[NS_NAMES_MAX];
	__u64 ns_scanned;		/* when /run/netns was read last (now_ns) */
	int n_dev;
	struct { struct mon_dev d; char name[IF_NAMESIZE]; } dev[DEV_NAMES_MAX];
};

struct run {
	const struct mon_opts *opt;
	FILE *out;			/* stdout, through struct out */
	struct names *names;
	struct xdp_monitor_kern *skel;
	const struct tp_probe *tps;
	__u32 netns;		/* own namespace inode */
	int ncpus, enq_slots;
	struct mon_xmit_rec *xmit_cpu;	/* one per-CPU value of the transmit maps */
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
		if (PERCPU_SUM(fd, &k, r->ncpus, &e->r))
			continue;	/* raced with a delete: there are none, but be safe */
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

		e->k = k;
		prev = &e->k;
		if (PERCPU_READ(fd, &k, r->ncpus, r->xmit_cpu, &e->r))
			continue;
		/* last_err is no counter: the sum is meaningless, the last CPU's error stands */
		e->r.last_err = 0;
		for (int c = 0; c < r->ncpus; c++)
			if (r->xmit_cpu[c].last_err)
				e->r.last_err = r->xmit_cpu[c].last_err;
		(*n)++;
	}
	return 0;
}

static size_t snap_size(const struct run *r)
{
	return sizeof(struct snap) + (size_t)MON_R_MAX * r->ncpus * sizeof(struct mon_redir_rec) +
	       (size_t)r->enq_slots * r->ncpus * sizeof(struct mon_enq_rec) +
	       (size_t)r->ncpus * sizeof(struct mon_kthr_rec);
}

static int collect(void *ctx, void *snap, __u64 *t)
{
	struct run *r = ctx;
	struct snap *s = snap;
	struct xdp_monitor_kern *k = r->skel;
	struct mon_redir_rec redir;
	struct mon_enq_rec enq;
	struct mon_kthr_rec kthr;
	__u32 zero = 0;
	int err = 0;

	(void)t;
	s->redir = (struct mon_redir_rec *)(s + 1);	/* the arrays that follow */
	s->enq = (struct mon_enq_rec *)(s->redir + (size_t)MON_R_MAX * r->ncpus);
	s->kthr = (struct mon_kthr_rec *)(s->enq + (size_t)r->enq_slots * r->ncpus);
	for (__u32 i = 0; i < MON_R_MAX && !err; i++)
		err = PERCPU_READ(bpf_map__fd(k->maps.redirect_cnt), &i, r->ncpus,
				  &s->redir[(size_t)i * r->ncpus], &redir);
	for (__u32 i = 0; i < (__u32)r->enq_slots && !err; i++)
		err = PERCPU_READ(bpf_map__fd(k->maps.cpumap_enqueue_cnt), &i, r->ncpus,
				  &s->enq[(size_t)i * r->ncpus], &enq);
	if (!err)
		err = PERCPU_READ(bpf_map__fd(k->maps.cpumap_kthread_cnt), &zero, r->ncpus, s->kthr,
				  &kthr);
	if (!err)
		err = read_exc(r, s);
	if (!err)
		err = read_xmit(r, bpf_map__fd(k->maps.devmap_xmit_cnt), s->dmx, &s->n_dmx);
	if (!err)
		err = read_xmit(r, bpf_map__fd(k->maps.bulk_tx_cnt), s->bulk, &s->n_bulk);
	r->names->n_dev = 0;	/* device names of other namespaces: looked up again */
	return err;
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

/* The `ip netns` name of namespace inode, or NULL: /run/netns is read again (at most once a
 * second) when an inode is not known. */
static const char *ns_name(const struct run *r, __u32 inode)
{
	struct names *nm = r->names;
	struct dirent *de;
	struct stat st;
	char path[300];
	DIR *d;

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < nm->n_ns; i++)
			if (nm->ns[i].inode == inode)
				return nm->ns[i].name;
		if (pass || (nm->ns_scanned && now_ns() - nm->ns_scanned < 1000000000ULL))
			break;
		nm->ns_scanned = now_ns();
		nm->n_ns = 0;
		d = opendir("/run/netns");
		while (d && (de = readdir(d)) && nm->n_ns < NS_NAMES_MAX) {
			if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(nm->ns[0].name))
				continue;
			snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
			if (stat(path, &st))
				continue;
			nm->ns[nm->n_ns].inode = (__u32)st.st_ino;
			snprintf(nm->ns[nm->n_ns].name, sizeof(nm->ns[0].name), "%s", de->d_name);
			nm->n_ns++;
		}
		if (d)
			closedir(d);
	}
	return NULL;
}

/* The name of device d of another namespace, looked up inside it (setns, which needs
 * CAP_SYS_ADMIN: without it, NULL) and remembered. */
static const char *ns_dev_name(const struct run *r, const struct mon_dev *d, const char *ns)
{
	struct names *nm = r->names;
	char path[300], name[IF_NAMESIZE];
	bool ok;
	int fd;

	for (int i = 0; i < nm->n_dev; i++)
		if (!memcmp(&nm->dev[i].d, d, sizeof(*d)))
			return nm->dev[i].name[0] ? nm->dev[i].name : NULL;
	if (nm->own_fd < 0 || nm->n_dev == DEV_NAMES_MAX)
		return NULL;
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ok = !setns(fd, CLONE_NEWNET);
	close(fd);
	if (ok) {
		ok = if_indextoname(d->ifindex, name) != NULL;
		if (setns(nm->own_fd, CLONE_NEWNET)) {	/* never seen; no sane way on */
			fprintf(stderr, TOOL ": cannot return to its network namespace\n");
			abort();
		}
	}
	nm->dev[nm->n_dev].d = *d;
	snprintf(nm->dev[nm->n_dev].name, IF_NAMESIZE, "%s", ok ? name : "");
	return nm->dev[nm->n_dev++].name[0] ? nm->dev[nm->n_dev - 1].name : NULL;
}

/* Label of a device: its name in our namespace; NAME@NETNS in another one (if<index> when the
 * name cannot be read, ns<inode> when the namespace has no `ip netns` name). */
static const char *dev_str(const struct run *r, const struct mon_dev *d, char *buf, size_t len)
{
	char name[IF_NAMESIZE];
	const char *ns, *dn;

	if (!d->ifindex) {
		snprintf(buf, len, "?");
	} else if (d->netns == r->netns || !d->netns) {
		if (if_indextoname(d->ifindex, name))
			snprintf(buf, len, "%s", name);
		else
			snprintf(buf, len, "if%u", d->ifindex);
	} else {
		ns = ns_name(r, d->netns);
		dn = ns ? ns_dev_name(r, d, ns) : NULL;
		if (dn)
			snprintf(buf, len, "%s@", dn);
		else
			snprintf(buf, len, "if%u@", d->ifindex);
		if (ns)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s", ns);
		else
			snprintf(buf + strlen(buf), len - strlen(buf), "ns%u", d->netns);
	}
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
				v += s->redir[(size_t)i * r->ncpus + c].count;
	}
	return v;
}

static __u64 exc_prev(const struct snap *p, const struct mon_exc_key *k)
{
	for (int i = 0; p && i < p->n_exc; i++)
		if (!memcmp(&p->exc[i].k, k, sizeof(*k)))
			return p->exc[i].r.count;
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

#define LABEL_MAX (2 * (IF_NAMESIZE + 1 + 64) + 4)	/* NAME@NETNS->NAME@NETNS */

static void json_dev(struct jw *w, const struct run *r, const char *key, const struct mon_dev *d)
{
	const char *ns = d->netns && d->netns != r->netns ? ns_name(r, d->netns) : NULL;
	char name[LABEL_MAX];

	jw_obj(w, key);
	jw_str(w, "name", dev_str(r, d, name, sizeof(name)));
	jw_u64(w, "ifindex", d->ifindex);
	jw_u64(w, "netns", d->netns);
	if (ns)
		jw_str(w, "netns_name", ns);
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
	static const struct mon_enq_rec enq_zero;
	static const struct mon_kthr_rec kthr_zero;

	jw_arr(w, "cpumap_enqueue");
	for (int to = 0; to < r->enq_slots; to++) {
		for (int from = 0; from < r->ncpus; from++) {
			size_t o = (size_t)to * r->ncpus + from;
			const struct mon_enq_rec *c = &s->enq[o], *q = p ? &p->enq[o] : &enq_zero;

			if (!c->events)
				continue;
			jw_obj(w, NULL);
			jw_i64(w, "from_cpu", from);
			jw_i64(w, "to_cpu", to);
			jw_u64(w, "events", c->events);
			jw_u64(w, "processed", c->processed);
			jw_u64(w, "drops", c->drops);
			jw_double(w, "pps", rate_per_sec(c->processed, q->processed, dt));
			jw_double(w, "drop_pps", rate_per_sec(c->drops, q->drops, dt));
			jw_obj_end(w);
		}
	}
	jw_arr_end(w);
	jw_arr(w, "cpumap_kthread");
	for (int cpu = 0; cpu < r->ncpus; cpu++) {
		const struct mon_kthr_rec *c = &s->kthr[cpu], *q = p ? &p->kthr[cpu] : &kthr_zero;

		if (!c->events)
			continue;
		jw_obj(w, NULL);
		jw_i64(w, "cpu", cpu);
		jw_u64(w, "events", c->events);
		jw_u64(w, "processed", c->processed);
		jw_u64(w, "drops", c->drops);
		jw_u64(w, "sched", c->sched);
		jw_u64(w, "xdp_pass", c->xdp_pass);
		jw_u64(w, "xdp_drop", c->xdp_drop);
		jw_u64(w, "xdp_redirect", c->xdp_redirect);
		jw_double(w, "pps", rate_per_sec(c->processed, q->processed, dt));
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* One JSON line: the counters of s (since start), rates against p (NULL: since start). */
static void print_json(const struct run *r, const char *type, const struct snap *s,
		       const struct snap *p, __u64 dt, int sig)
{
	struct jw w;

	jw_begin(&w, r->out);
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
		jw_u64(&w, "count", e->r.count);
		jw_double(&w, "pps", rate_per_sec(e->r.count, p ? exc_prev(p, &e->k) : 0, dt));
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

/*
 * Two layouts, each with a label column as wide as its longest label this period (device
 * labels of other namespaces can be long), so the numbers stay in their columns:
 * the redirect section (CPU, errno and exception rows) and the transmit/cpumap section.
 */
#define W_REDIR 11
#define W_XMIT 23

static void print_redirect(const struct run *r, const struct snap *s, const struct snap *p,
			   __u64 dt, int w)
{
	bool sep = !r->opt->run.no_sep;
	char a[32], b[32], c[32];

	fprintf(r->out, "%-16s %-*s %14s %14s\n", "redirect", w, "CPU", "ok pkt/s", "err pkt/s");
	for (int cpu = 0; cpu < r->ncpus; cpu++) {
		__u64 ok = redir_sum(r, s, MON_R_SUCCESS, cpu), ok0 = redir_sum(r, p, MON_R_SUCCESS, cpu);
		__u64 e = redir_sum(r, s, -1, cpu), e0 = redir_sum(r, p, -1, cpu);

		if (ok == ok0 && e == e0)
			continue;
		snprintf(c, sizeof(c), "%d", cpu);
		fprintf(r->out, "%-16s %-*s %14s %14s\n", "", w, c,
			r->opt->stats ? fmt_rate(a, rate_per_sec(ok, ok0, dt), sep) : "-",
			fmt_rate(b, rate_per_sec(e, e0, dt), sep));
	}
	fprintf(r->out, "%-16s %-*s %14s %14s\n", "", w, "total",
		r->opt->stats ? fmt_rate(a, rate_per_sec(redir_sum(r, s, MON_R_SUCCESS, -1),
							 redir_sum(r, p, MON_R_SUCCESS, -1), dt), sep)
			      : "-",
		fmt_rate(b, rate_per_sec(redir_sum(r, s, -1, -1), redir_sum(r, p, -1, -1), dt),
			 sep));
	for (int i = 1; i < MON_R_MAX; i++) {
		__u64 v = redir_sum(r, s, i, -1), v0 = redir_sum(r, p, i, -1);

		if (!v)
			continue;
		fprintf(r->out, "%-16s %-*s %14s %14s total\n", "  redirect-err", w, redir_names[i],
			fmt_rate(a, rate_per_sec(v, v0, dt), sep), fmt_u64(c, v, sep));
	}
}

static const char *xmit_label(const struct run *r, const struct xmit_ent *e, bool pair,
			      char *buf, size_t len)
{
	char f[LABEL_MAX], t[LABEL_MAX];

	if (pair)
		snprintf(buf, len, "%s->%s", dev_str(r, &e->k.from, f, sizeof(f)),
			 dev_str(r, &e->k.to, t, sizeof(t)));
	else
		dev_str(r, &e->k.to, buf, len);
	return buf;
}

static void print_xmit_rows(const struct run *r, const char *label, const struct xmit_ent *e,
			    int n, const struct xmit_ent *pe, int pn, bool pair, __u64 dt, int w)
{
	bool sep = !r->opt->run.no_sep;
	char a[32], b[32], c[32], col[2 * LABEL_MAX];

	for (int i = 0; i < n; i++) {
		const struct mon_xmit_rec *x = &e[i].r, *o = xmit_prev(pe, pn, &e[i].k);

		if (x->events == o->events)
			continue;
		fprintf(r->out, "%-16s %-*s %12s %12s %10s %8.2f %s\n", label, w,
			xmit_label(r, &e[i], pair, col, sizeof(col)),
			fmt_rate(a, rate_per_sec(x->sent, o->sent, dt), sep),
			fmt_rate(b, rate_per_sec(x->drops, o->drops, dt), sep),
			fmt_rate(c, rate_per_sec(x->err_events, o->err_events, dt), sep),
			bulk_avg(x->sent + x->drops - o->sent - o->drops, x->events - o->events),
			errno_name((long long)x->last_err));
	}
}

static void print_cpumap(const struct run *r, const struct snap *s, const struct snap *p,
			 __u64 dt, int w)
{
	bool sep = !r->opt->run.no_sep;
	char a[32], b[32], c[32], col[32];

	for (int to = 0; to < r->enq_slots; to++) {
		for (int from = 0; from < r->ncpus; from++) {
			size_t o = (size_t)to * r->ncpus + from;
			const struct mon_enq_rec *x = &s->enq[o], *q = &p->enq[o];

			if (x->events == q->events)
				continue;
			snprintf(col, sizeof(col), "%d->%d", from, to);
			fprintf(r->out, "%-16s %-*s %12s %12s %10s %8.2f\n", "  enqueue", w, col,
				fmt_rate(a, rate_per_sec(x->processed, q->processed, dt), sep),
				fmt_rate(b, rate_per_sec(x->drops, q->drops, dt), sep), "",
				bulk_avg(x->processed + x->drops - q->processed - q->drops,
					 x->events - q->events));
		}
	}
	for (int cpu = 0; cpu < r->ncpus; cpu++) {
		const struct mon_kthr_rec *x = &s->kthr[cpu], *q = &p->kthr[cpu];

		if (x->events == q->events)
			continue;
		snprintf(col, sizeof(col), "%d", cpu);
		fprintf(r->out, "%-16s %-*s %12s %12s %10s %8s", "  kthread", w, col,
			fmt_rate(a, rate_per_sec(x->processed, q->processed, dt), sep),
			fmt_rate(b, rate_per_sec(x->drops, q->drops, dt), sep),
			fmt_rate(c, rate_per_sec(x->sched, q->sched, dt), sep), "");
		fprintf(r->out, " xdp pass %s",
			fmt_rate(a, rate_per_sec(x->xdp_pass, q->xdp_pass, dt), sep));
		fprintf(r->out, " drop %s",
			fmt_rate(a, rate_per_sec(x->xdp_drop, q->xdp_drop, dt), sep));
		fprintf(r->out, " redirect %s /s\n",
			fmt_rate(a, rate_per_sec(x->xdp_redirect, q->xdp_redirect, dt), sep));
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
	return memcmp(s->enq, p->enq, (size_t)r->enq_slots * r->ncpus * sizeof(*s->enq)) ||
	       memcmp(s->kthr, p->kthr, (size_t)r->ncpus * sizeof(*s->kthr));
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

/* Width of the transmit section's label column: the longest label printed this period. */
static int xmit_width(const struct run *r, const struct xmit_ent *e, int n,
		      const struct xmit_ent *pe, int pn, bool pair, int w)
{
	char col[2 * LABEL_MAX];

	for (int i = 0; i < n; i++)
		if (e[i].r.events != xmit_prev(pe, pn, &e[i].k)->events)
			w = max_int(w, (int)strlen(xmit_label(r, &e[i], pair, col, sizeof(col))));
	return w;
}

static void print_tables(const struct run *r, const struct snap *s, const struct snap *p,
			 __u64 dt)
{
	bool sep = !r->opt->run.no_sep;
	char a[32], b[32], d[LABEL_MAX];
	int w1 = W_REDIR, w2;

	for (int i = 0; i < s->n_exc; i++)
		if (s->exc[i].r.count != exc_prev(p, &s->exc[i].k))
			w1 = max_int(w1, (int)strlen(dev_str(r, &s->exc[i].k.dev, d, sizeof(d))));
	w2 = xmit_width(r, s->dmx, s->n_dmx, p->dmx, p->n_dmx, true, W_XMIT);
	w2 = xmit_width(r, s->bulk, s->n_bulk, p->bulk, p->n_bulk, false, w2);

	fprintf(r->out, "\nPeriod %.3f s\n", (double)dt / 1e9);
	print_redirect(r, s, p, dt, w1);
	for (int i = 0; i < s->n_exc; i++) {
		const struct exc_ent *e = &s->exc[i];
		__u64 e0 = exc_prev(p, &e->k);

		if (e->r.count == e0)
			continue;
		fprintf(r->out, "%-16s %-*s %14s %14s total  %s\n", "exception", w1,
			dev_str(r, &e->k.dev, d, sizeof(d)),
			fmt_rate(a, rate_per_sec(e->r.count, e0, dt), sep),
			fmt_u64(b, e->r.count, sep),
			act_name(e->k.action));
	}
	if (xmit_changed(s->dmx, s->n_dmx, p->dmx, p->n_dmx) ||
	    xmit_changed(s->bulk, s->n_bulk, p->bulk, p->n_bulk))
		fprintf(r->out, "%-16s %-*s %12s %12s %10s %8s %s\n", "transmit", w2,
			"from->to / device", "xmit pkt/s", "drop pkt/s", "drv-err/s", "bulk-avg",
			"last-err");
	print_xmit_rows(r, "devmap-xmit", s->dmx, s->n_dmx, p->dmx, p->n_dmx, true, dt, w2);
	print_xmit_rows(r, "bulk-tx", s->bulk, s->n_bulk, p->bulk, p->n_bulk, false, dt, w2);
	if (cpumap_changed(r, s, p)) {
		fprintf(r->out, "%-16s %-*s %12s %12s %10s %8s\n", "cpumap", w2, "from->to CPU / CPU",
			"pkt/s", "drop pkt/s", "sched/s", "bulk-avg");
		print_cpumap(r, s, p, dt, w2);
	}
	fflush(r->out);
}

/* The interval: tables, or a JSON line. */
static void mon_print(void *ctx, const void *now, const void *then, __u64 dt)
{
	const struct run *r = ctx;

	if (r->opt->run.json)
		print_json(r, "interval", now, then, dt, 0);
	else
		print_tables(r, now, then, dt);
}

/* The counters since start (the maps start at zero when the programs are loaded). */
static void mon_summary(void *ctx, const void *last, const void *first, __u64 dt, int signal)
{
	const struct run *r = ctx;
	const struct snap *s = last;
	__u64 exc = 0, sent = 0, drops = 0;
	bool sep = !r->opt->run.no_sep;
	char a[32], b[32], c[LABEL_MAX], d[32], e[32];
	int w = 13;

	(void)first;
	if (r->opt->run.json) {
		print_json(r, "summary", s, NULL, dt, signal);
		return;
	}
	for (int i = 0; i < s->n_exc; i++) {
		exc += s->exc[i].r.count;
		w = max_int(w, (int)strlen(dev_str(r, &s->exc[i].k.dev, c, sizeof(c))));
	}
	for (int i = 0; i < s->n_dmx; i++) {
		sent += s->dmx[i].r.sent;
		drops += s->dmx[i].r.drops;
	}
	fprintf(r->out, "\nSummary: %.3f s, redirect %s ok%s, %s errors, %s exceptions, devmap "
		"xmit %s sent %s dropped\n", (double)dt / 1e9,
		r->opt->stats ? fmt_u64(a, redir_sum(r, s, MON_R_SUCCESS, -1), sep) : "-",
		r->opt->stats ? "" : " (no --stats)", fmt_u64(b, redir_sum(r, s, -1, -1), sep),
		fmt_u64(c, exc, sep), fmt_u64(d, sent, sep), fmt_u64(e, drops, sep));
	for (int i = 1; i < MON_R_MAX; i++)
		if (redir_sum(r, s, i, -1))
			fprintf(r->out, "  redirect-err %-*s %s\n", w - 3, redir_names[i],
				fmt_u64(a, redir_sum(r, s, i, -1), sep));
	for (int i = 0; i < s->n_exc; i++)
		fprintf(r->out, "  exception %-*s %-12s %s\n", w,
			dev_str(r, &s->exc[i].k.dev, c, sizeof(c)), act_name(s->exc[i].k.action),
			fmt_u64(a, s->exc[i].r.count, sep));
}

/* ------------------------------------------------------------------ start */

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
	if (opt->run.verbose)
		for (size_t i = 0; i < MON_TPS; i++)
			if (r->tps[i].state == TP_ON && r->tps[i].raw)
				fprintf(stderr, TOOL ": %s: counted by its raw_tp program (probe "
					"reads)\n", r->tps[i].name);
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
			jw_u64(&w, NULL, prog_id_of_fd(bpf_program__fd(r->tps[i].prog)));
	jw_arr_end(&w);
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

/* every --dev (at most IFACE_MAX, the option's list) has its slot in the program's filter */
_Static_assert(MON_DEV_MAX >= IFACE_MAX, "struct mon_cfg cannot hold every --dev");

static void cfg_fill(struct mon_cfg *cfg, const struct mon_opts *opt, __u32 netns)
{
	cfg->netns = opt->netns == NETNS_ALL ? 0 : netns;
	cfg->n_dev = (__u32)opt->devs.n;
	for (int i = 0; i < opt->devs.n; i++)
		cfg->dev[i] = (__u32)opt->devs.v[i].ifindex;
}

int main(int argc, char **argv)
{
	struct mon_opts opt = mon_defaults;
	struct tp_probe tps[MON_TPS] = {};
	struct sampler smp = SAMPLER_INIT;
	struct run run = { .opt = &opt, .tps = tps };
	struct mon_cfg cfg = {};
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

	err = own_netns(&run.netns);
	if (err)
		return report(err, EXIT_FAIL, "read /proc/self/ns/net");
	run.ncpus = ncpus_possible();
	if (run.ncpus <= 0)
		return report(run.ncpus, EXIT_FAIL, "count possible CPUs");
	run.enq_slots = run.ncpus < MON_CPU_MAX ? run.ncpus : MON_CPU_MAX;
	run.xmit_cpu = calloc((size_t)run.ncpus, sizeof(*run.xmit_cpu));
	run.names = calloc(1, sizeof(*run.names));
	if (run.names)
		run.names->own_fd = -1;
	if (!run.xmit_cpu || !run.names ||
	    sampler_init(&smp, &mon_ops, &run, snap_size(&run), &opt.run, 0)) {
		ret = report(-ENOMEM, EXIT_FAIL_MEM, "allocate statistics");
		goto out;
	}
	run.out = smp.out.f;
	run.names->own_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

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
	err = tp_attach(tps);
	if (err) {
		ret = report(err, EXIT_FAIL_BPF, "attach to the tracepoints");
		goto out;
	}
	print_start(&run);
	for (int i = 0; i < opt.devs.n; i++)
		sampler_track(&smp, &opt.devs.v[i], -1);
	err = sampler_start(&smp);
	if (!err)
		err = sampler_run(&smp);
	/* detach first: whatever the output does next, the tracepoints are free */
	tp_detach(tps);
	if (err)
		ret = sampler_report(&smp, err, "read statistics");
	ret = sampler_end(&smp, ret, true);
out:
	tp_detach(tps);
	sampler_close(&smp);
	xdp_monitor_kern__destroy(run.skel);
	free(run.xmit_cpu);
	if (run.names && run.names->own_fd >= 0)
		close(run.names->own_fd);
	free(run.names);
	return ret;
}
