// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_trace.c: the xdp:* tracepoints as a shared module (see xdp_trace.h): probing, loading
 * with the tp_btf/raw_tp fallback, attaching, reading, device labels across namespaces, and
 * xdp_monitor's tables and JSON.
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

#include "xdp_trace.h"
#include "xdp_monitor.skel.h"

/* ------------------------------------------------------------------ tracepoints */

struct tp_def {
	const char *tp;		/* xdp:<tp> */
	const char *prog;	/* tp_btf program in xdp_monitor_kern.c */
	const char *raw;	/* its raw_tp variant (probe reads), NULL: none */
	unsigned int nargs;	/* arguments the program reads (incl. the hidden ctx) */
	bool success;		/* only with .stats */
	bool map;		/* the map variants: gone since 2025, their events come through
				 * xdp_redirect[_err] where the kernel lacks them */
	unsigned int group;	/* enum trace_group */
};

static const struct tp_def trace_tps[TRACE_TPS] = {
	{ "xdp_redirect", "tp_xdp_redirect", "raw_xdp_redirect", 8, true, false, TRACE_REDIRECT },
	{ "xdp_redirect_err", "tp_xdp_redirect_err", "raw_xdp_redirect_err", 8, false, false,
	  TRACE_REDIRECT },
	{ "xdp_redirect_map", "tp_xdp_redirect_map", "raw_xdp_redirect_map", 8, true, true,
	  TRACE_REDIRECT },
	{ "xdp_redirect_map_err", "tp_xdp_redirect_map_err", "raw_xdp_redirect_map_err", 8, false,
	  true, TRACE_REDIRECT },
	{ "xdp_exception", "tp_xdp_exception", NULL, 4, false, false, TRACE_EXCEPTION },
	{ "xdp_devmap_xmit", "tp_xdp_devmap_xmit", NULL, 6, false, false, TRACE_XMIT },
	{ "xdp_bulk_tx", "tp_xdp_bulk_tx", NULL, 5, false, false, TRACE_BULK_TX },
	{ "xdp_cpumap_enqueue", "tp_xdp_cpumap_enqueue", NULL, 5, false, false, TRACE_CPUMAP },
	{ "xdp_cpumap_kthread", "tp_xdp_cpumap_kthread", NULL, 6, false, false, TRACE_CPUMAP },
};

bool trace_tp_known(const char *name, size_t len)
{
	for (size_t i = 0; i < TRACE_TPS; i++)
		if (strlen(trace_tps[i].tp) == len && !strncmp(trace_tps[i].tp, name, len))
			return true;
	return false;
}

bool trace_on(const struct trace *t, const char *tp)
{
	for (size_t i = 0; i < TRACE_TPS; i++)
		if (!strcmp(trace_tps[i].tp, tp))
			return t->tp[i].state == TRACE_TP_ON;
	return false;
}

/*
 * State of tracepoint name in the kernel's BTF: its btf_trace_<name> typedef points to the
 * prototype; the argument count must be what the program reads (else fields would be misread).
 */
static enum trace_tp_state tp_probe_btf(const struct btf *btf, const char *name,
					unsigned int nargs)
{
	const struct btf_type *t;
	char tname[128];
	int id;

	if (strlen(name) > 100)
		return TRACE_TP_MISSING;
	snprintf(tname, sizeof(tname), "btf_trace_%.100s", name);
	id = btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF);
	if (id < 0)
		return TRACE_TP_MISSING;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);	/* pointer */
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;	/* prototype */
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) != nargs)
		return TRACE_TP_LAYOUT;
	return TRACE_TP_ON;
}

/* test_tp "TP=NAME": the name to probe for tracepoint tp. */
static void tp_name(const char *test_tp, const char *tp, char *buf, size_t len)
{
	size_t n = strlen(tp);

	if (test_tp && !strncmp(test_tp, tp, n) && test_tp[n] == '=' && test_tp[n + 1])
		snprintf(buf, len, "%s", test_tp + n + 1);
	else
		snprintf(buf, len, "%s", tp);
}

/* Which tracepoints exist with the expected arguments and are wanted: 0, or -ENOENT when none
 * is left; -errno when the kernel's BTF cannot be read. */
static int tp_setup(struct trace *t)
{
	const struct trace_opts *opt = &t->opt;
	struct btf *btf = btf__load_vmlinux_btf();
	int on = 0;

	if (!btf)
		return -errno;
	for (size_t i = 0; i < TRACE_TPS; i++) {
		const struct tp_def *d = &trace_tps[i];
		struct trace_tp *p = &t->tp[i];

		tp_name(opt->test_tp, d->tp, p->name, sizeof(p->name));
		if (!(opt->groups & d->group))
			p->state = TRACE_TP_UNWANTED;
		else
			p->state = tp_probe_btf(btf, p->name, d->nargs);
		if (p->state == TRACE_TP_ON && d->success && !opt->stats)
			p->state = TRACE_TP_OFF;
		p->has_raw = d->raw && !opt->test_no_raw_tp;
		p->raw = opt->test_raw_tp && p->has_raw;
		on += p->state == TRACE_TP_ON;
	}
	btf__free(btf);
	return on ? 0 : -ENOENT;
}

/* Open the object with cfg and the programs of the tracepoints in state ON (only: that one
 * alone, -1: all of them), and load it. 0 with *out set, or -errno. */
static int tp_open_load(const struct mon_cfg *cfg, const struct trace_tp *p, int only,
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
	for (size_t i = 0; i < TRACE_TPS; i++) {
		const struct tp_def *d = &trace_tps[i];

		if (p[i].state != TRACE_TP_ON || (only >= 0 && (size_t)only != i))
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

/* Set every tracepoint in state ON that has a raw_tp variant to it (raw) or to its tp_btf
 * program; true when something changed. */
static bool tp_use_raw(struct trace_tp *p, bool raw)
{
	bool changed = false;

	for (size_t i = 0; i < TRACE_TPS; i++) {
		if (p[i].state != TRACE_TP_ON || !p[i].has_raw || p[i].raw == raw)
			continue;
		p[i].raw = raw;
		changed = true;
	}
	return changed;
}

/* Each tracepoint's program alone: tp_btf (unless raw), then its raw_tp variant; what verifies
 * in neither form is REFUSED. Returns how many are left. */
static int tp_trials(const struct mon_cfg *cfg, struct trace_tp *p, bool raw)
{
	struct xdp_monitor_kern *trial;
	int on = 0;

	tp_use_raw(p, raw);
	for (size_t i = 0; i < TRACE_TPS; i++) {
		int err;

		if (p[i].state != TRACE_TP_ON)
			continue;
		err = tp_open_load(cfg, p, (int)i, &trial);
		if (err && p[i].has_raw && !p[i].raw) {
			p[i].raw = true;
			err = tp_open_load(cfg, p, (int)i, &trial);
		}
		if (err) {
			p[i].state = TRACE_TP_REFUSED;
			continue;
		}
		xdp_monitor_kern__destroy(trial);
		on++;
	}
	return on;
}

/*
 * Load every program at once, tp_btf first (raw_tp with test_raw_tp). When the verifier
 * refuses that, the usual cause is tp_btf reads of the redirect tracepoints' `const void *`
 * argument (before 6.16): all at once again with their raw_tp variants. If even that is
 * refused, each tracepoint alone decides (tp_trials). Each load parses the kernel's BTF, which
 * is slow under valgrind or emulation: a kernel such as 6.1 needs two loads, not one a program.
 * Failed attempts are silent unless -vv. On success the loaded object is in t->skel and
 * t->tp[].prog point into it; -ENOENT when nothing verified.
 */
static int tp_load(struct trace *t, const struct mon_cfg *cfg)
{
	libbpf_print_fn_t print = t->opt.verbose >= 2 ? NULL : libbpf_set_print(NULL);
	struct trace_tp *p = t->tp;
	int err;

	err = tp_open_load(cfg, p, -1, &t->skel);
	if (refused(err) && tp_use_raw(p, true))
		err = tp_open_load(cfg, p, -1, &t->skel);
	if (refused(err)) {
		int on = tp_trials(cfg, p, t->opt.test_raw_tp);

		if (print)
			libbpf_set_print(print);
		print = NULL;
		err = on ? tp_open_load(cfg, p, -1, &t->skel) : -ENOENT;
	}
	if (print)
		libbpf_set_print(print);
	if (err)
		return err;
	for (size_t i = 0; i < TRACE_TPS; i++)
		if (p[i].state == TRACE_TP_ON)
			p[i].prog = bpf_object__find_program_by_name(t->skel->obj,
								     p[i].raw ? trace_tps[i].raw
									      : trace_tps[i].prog);
	return 0;
}

static int tp_attach(struct trace_tp *p)
{
	for (size_t i = 0; i < TRACE_TPS; i++) {
		if (p[i].state != TRACE_TP_ON)
			continue;
		p[i].link = bpf_program__attach(p[i].prog);
		if (!p[i].link)
			return -errno;
	}
	return 0;
}

void trace_detach(struct trace *t)
{
	for (size_t i = 0; i < TRACE_TPS; i++) {
		bpf_link__destroy(t->tp[i].link);
		t->tp[i].link = NULL;
	}
}

/* "a, b" of the names in state st (map variants only with map); returns the count. */
static int tp_list(const struct trace *t, enum trace_tp_state st, bool map, char *buf, size_t len)
{
	int n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < TRACE_TPS; i++) {
		if (t->tp[i].state != st || (trace_tps[i].map && !map))
			continue;
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", n ? ", " : "", t->tp[i].name);
		n++;
	}
	return n;
}

void trace_notices(const struct trace *t, bool missing_all)
{
	const char *tool = program_invocation_short_name;
	char list[256];

	if (tp_list(t, TRACE_TP_MISSING, missing_all, list, sizeof(list)))
		fprintf(stderr, "%s: tracepoints not on this kernel: %s (their events are not "
			"counted)\n", tool, list);
	if (tp_list(t, TRACE_TP_LAYOUT, true, list, sizeof(list)))
		fprintf(stderr, "%s: tracepoints with unexpected arguments, not used: %s\n", tool,
			list);
	if (tp_list(t, TRACE_TP_REFUSED, true, list, sizeof(list)))
		fprintf(stderr, "%s: tracepoints whose programs this kernel's verifier refuses, not "
			"used: %s\n", tool, list);
	if (t->opt.verbose)
		for (size_t i = 0; i < TRACE_TPS; i++)
			if (t->tp[i].state == TRACE_TP_ON && t->tp[i].raw)
				fprintf(stderr, "%s: %s: counted by its raw_tp program (probe "
					"reads)\n", tool, t->tp[i].name);
}

/* ------------------------------------------------------------------ open, close */

#define NS_NAMES_MAX 256
#define DEV_NAMES_MAX 256

/* Names of other namespaces (ip netns, /run/netns) and of their devices, found once. */
struct trace_names {
	int own_fd;			/* /proc/self/ns/net: to come back after a look elsewhere */
	int n_ns;
	struct { __u32 inode; char name[64]; } ns[NS_NAMES_MAX];
	__u64 ns_scanned;		/* when /run/netns was read last (now_ns) */
	int n_dev;
	struct { struct mon_dev d; char name[IF_NAMESIZE]; } dev[DEV_NAMES_MAX];
};

/* every device a tool filters on has its slot in the program's filter */
_Static_assert(MON_DEV_MAX >= IFACE_MAX, "struct mon_cfg cannot hold every device of a list");

static int own_netns(__u32 *ino)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return -errno;
	*ino = (__u32)st.st_ino;
	return 0;
}

int trace_open(struct trace *t, const struct trace_opts *opt)
{
	struct mon_cfg cfg = {};
	int err;

	memset(t, 0, sizeof(*t));
	t->opt = *opt;
	t->step = TRACE_S_SETUP;
	err = own_netns(&t->netns);
	if (err)
		return err;
	t->ncpus = ncpus_possible();
	if (t->ncpus <= 0)
		return t->ncpus ? t->ncpus : -EINVAL;
	t->enq_slots = t->ncpus < MON_CPU_MAX ? t->ncpus : MON_CPU_MAX;
	t->xmit_cpu = calloc((size_t)t->ncpus, sizeof(*t->xmit_cpu));
	t->names = calloc(1, sizeof(*t->names));
	if (!t->xmit_cpu || !t->names)
		return -ENOMEM;
	t->names->own_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	cfg.netns = opt->all_netns ? 0 : t->netns;
	cfg.err_by_dev = opt->err_by_dev;
	cfg.n_dev = (__u32)(opt->n_dev < MON_DEV_MAX ? opt->n_dev : MON_DEV_MAX);
	for (__u32 i = 0; i < cfg.n_dev; i++)
		cfg.dev[i] = (__u32)opt->dev[i];
	err = tp_setup(t);
	if (err) {
		t->step = err == -ENOENT ? TRACE_S_NONE : TRACE_S_BTF;
		return err;
	}
	t->step = TRACE_S_LOAD;
	err = tp_load(t, &cfg);
	if (err) {
		t->step = err == -ENOENT ? TRACE_S_REFUSED : TRACE_S_LOAD;
		return err;
	}
	t->step = TRACE_S_ATTACH;
	return tp_attach(t->tp);
}

const char *trace_failure(const struct trace *t, int err, char *buf, size_t len)
{
	switch (t->step) {
	case TRACE_S_SETUP:
		snprintf(buf, len, "read /proc/self/ns/net and the possible CPUs");
		break;
	case TRACE_S_NONE:
		snprintf(buf, len, "none of the xdp:* tracepoints %sexists on this kernel",
			 t->opt.groups == TRACE_ALL ? "" : "needed ");
		return buf;
	case TRACE_S_REFUSED:
		snprintf(buf, len, "this kernel's verifier refuses every xdp:* tracepoint program "
			 "(details with -vv)");
		return buf;
	case TRACE_S_BTF:
		snprintf(buf, len, "read the kernel's BTF (/sys/kernel/btf/vmlinux)");
		break;
	case TRACE_S_LOAD:
		snprintf(buf, len, "load the tracepoint programs (details with -vv)");
		break;
	case TRACE_S_ATTACH:
		snprintf(buf, len, "attach to the tracepoints");
		break;
	}
	if (err)
		snprintf(buf + strlen(buf), len - strlen(buf), ": %s", strerror(-err));
	return buf;
}

int trace_report(const struct trace *t, int err)
{
	char why[160];

	if (err == -ENOMEM)
		return report(err, EXIT_FAIL_MEM, "allocate statistics");
	return report(0, EXIT_FAIL_BPF, "%s", trace_failure(t, err, why, sizeof(why)));
}

void trace_close(struct trace *t)
{
	trace_detach(t);
	xdp_monitor_kern__destroy(t->skel);
	t->skel = NULL;
	free(t->xmit_cpu);
	t->xmit_cpu = NULL;
	if (t->names && t->names->own_fd >= 0)
		close(t->names->own_fd);
	free(t->names);
	t->names = NULL;
}

/* ------------------------------------------------------------------ reading the maps */

static int read_exc(const struct trace *t, struct trace_snap *s)
{
	int fd = bpf_map__fd(t->skel->maps.exception_cnt);
	struct mon_exc_key k, *prev = NULL;

	s->n_exc = 0;
	while (s->n_exc < MON_PAIRS_MAX && !bpf_map_get_next_key(fd, prev, &k)) {
		struct trace_exc_ent *e = &s->exc[s->n_exc];

		e->k = k;
		prev = &e->k;
		if (PERCPU_SUM(fd, &k, t->ncpus, &e->r))
			continue;	/* raced with a delete: there are none, but be safe */
		s->n_exc++;
	}
	return 0;
}

static int read_err(const struct trace *t, struct trace_snap *s)
{
	int fd = bpf_map__fd(t->skel->maps.redirect_err_dev);
	struct mon_err_key k, *prev = NULL;

	s->n_err = 0;
	while (s->n_err < MON_PAIRS_MAX && !bpf_map_get_next_key(fd, prev, &k)) {
		struct trace_err_ent *e = &s->err[s->n_err];

		e->k = k;
		prev = &e->k;
		if (PERCPU_SUM(fd, &k, t->ncpus, &e->r))
			continue;
		s->n_err++;
	}
	return 0;
}

static int read_xmit(const struct trace *t, int fd, struct trace_xmit_ent *ents, int *n)
{
	struct mon_xmit_key k, *prev = NULL;

	*n = 0;
	while (*n < MON_PAIRS_MAX && !bpf_map_get_next_key(fd, prev, &k)) {
		struct trace_xmit_ent *e = &ents[*n];

		e->k = k;
		prev = &e->k;
		if (PERCPU_READ(fd, &k, t->ncpus, t->xmit_cpu, &e->r))
			continue;
		/* last_err is no counter: the sum is meaningless, the last CPU's error stands */
		e->r.last_err = 0;
		for (int c = 0; c < t->ncpus; c++)
			if (t->xmit_cpu[c].last_err)
				e->r.last_err = t->xmit_cpu[c].last_err;
		(*n)++;
	}
	return 0;
}

size_t trace_snap_size(const struct trace *t)
{
	return sizeof(struct trace_snap) + (size_t)MON_R_MAX * t->ncpus * sizeof(struct mon_redir_rec) +
	       (size_t)t->enq_slots * t->ncpus * sizeof(struct mon_enq_rec) +
	       (size_t)t->ncpus * sizeof(struct mon_kthr_rec);
}

_Static_assert(sizeof(struct trace_snap) % 8 == 0, "the arrays after a snapshot are aligned");

int trace_collect(struct trace *t, struct trace_snap *s)
{
	struct xdp_monitor_kern *k = t->skel;
	struct mon_redir_rec redir;
	struct mon_enq_rec enq;
	struct mon_kthr_rec kthr;
	__u32 zero = 0;
	int err = 0;

	s->redir = (struct mon_redir_rec *)(s + 1);	/* the arrays that follow */
	s->enq = (struct mon_enq_rec *)(s->redir + (size_t)MON_R_MAX * t->ncpus);
	s->kthr = (struct mon_kthr_rec *)(s->enq + (size_t)t->enq_slots * t->ncpus);
	for (__u32 i = 0; i < MON_R_MAX && !err; i++)
		err = PERCPU_READ(bpf_map__fd(k->maps.redirect_cnt), &i, t->ncpus,
				  &s->redir[(size_t)i * t->ncpus], &redir);
	for (__u32 i = 0; i < (__u32)t->enq_slots && !err; i++)
		err = PERCPU_READ(bpf_map__fd(k->maps.cpumap_enqueue_cnt), &i, t->ncpus,
				  &s->enq[(size_t)i * t->ncpus], &enq);
	if (!err)
		err = PERCPU_READ(bpf_map__fd(k->maps.cpumap_kthread_cnt), &zero, t->ncpus, s->kthr,
				  &kthr);
	if (!err)
		err = read_exc(t, s);
	if (!err)
		err = read_xmit(t, bpf_map__fd(k->maps.devmap_xmit_cnt), s->dmx, &s->n_dmx);
	if (!err)
		err = read_xmit(t, bpf_map__fd(k->maps.bulk_tx_cnt), s->bulk, &s->n_bulk);
	if (!err)
		err = read_err(t, s);
	t->names->n_dev = 0;	/* device names of other namespaces: looked up again */
	return err;
}

/* ------------------------------------------------------------------ figures */

const char *const trace_redir_names[MON_R_MAX] = {
	"success", "ENETDOWN", "EINVAL", "EMSGSIZE", "EOPNOTSUPP", "ENOSPC", "other",
};

static const char *const act_names[] = {
	"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT", "XDP_UNKNOWN",
};

static const char *act_name(__u32 a)
{
	return a < ARRAY_SIZE(act_names) ? act_names[a] : "XDP_UNKNOWN";
}

const char *trace_errno_name(long long err)
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
static const char *ns_name(const struct trace *t, __u32 inode)
{
	struct trace_names *nm = t->names;
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
static const char *ns_dev_name(const struct trace *t, const struct mon_dev *d, const char *ns)
{
	struct trace_names *nm = t->names;
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
			fprintf(stderr, "%s: cannot return to its network namespace\n",
				program_invocation_short_name);
			abort();
		}
	}
	nm->dev[nm->n_dev].d = *d;
	snprintf(nm->dev[nm->n_dev].name, IF_NAMESIZE, "%s", ok ? name : "");
	return nm->dev[nm->n_dev++].name[0] ? nm->dev[nm->n_dev - 1].name : NULL;
}

/* Label of a device: its name in our namespace; NAME@NETNS in another one (if<index> when the
 * name cannot be read, ns<inode> when the namespace has no `ip netns` name). */
const char *trace_dev_label(const struct trace *t, const struct mon_dev *d, char *buf, size_t len)
{
	char name[IF_NAMESIZE];
	const char *ns, *dn;

	if (!d->ifindex) {
		snprintf(buf, len, "?");
	} else if (d->netns == t->netns || !d->netns) {
		if (if_indextoname(d->ifindex, name))
			snprintf(buf, len, "%s", name);
		else
			snprintf(buf, len, "if%u", d->ifindex);
	} else {
		ns = ns_name(t, d->netns);
		dn = ns ? ns_dev_name(t, d, ns) : NULL;
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

__u64 trace_redir(const struct trace *t, const struct trace_snap *s, int slot, int cpu)
{
	__u64 v = 0;

	for (int i = 0; i < MON_R_MAX; i++) {
		if (slot >= 0 && i != slot)
			continue;
		if (slot < 0 && i == MON_R_SUCCESS)
			continue;	/* slot -1: all errors */
		for (int c = 0; c < t->ncpus; c++)
			if (cpu < 0 || c == cpu)
				v += s->redir[(size_t)i * t->ncpus + c].count;
	}
	return v;
}

/* d is a device of our namespace with ifindex (0: any) */
static bool ours(const struct trace *t, const struct mon_dev *d, int ifindex)
{
	return (d->netns == t->netns || !d->netns) && (!ifindex || d->ifindex == (__u32)ifindex);
}

struct mon_xmit_rec trace_xmit(const struct trace *t, const struct trace_snap *s, int from_ifindex,
			       int to_ifindex)
{
	struct mon_xmit_rec sum = {};

	for (int i = 0; i < s->n_dmx; i++) {
		const struct trace_xmit_ent *e = &s->dmx[i];

		if (!ours(t, &e->k.from, from_ifindex) || !ours(t, &e->k.to, to_ifindex))
			continue;
		sum.events += e->r.events;
		sum.sent += e->r.sent;
		sum.drops += e->r.drops;
		sum.err_events += e->r.err_events;
		if (e->r.last_err)
			sum.last_err = e->r.last_err;
	}
	return sum;
}

__u64 trace_err(const struct trace *t, const struct trace_snap *s, int from_ifindex,
		int to_ifindex, int slot)
{
	__u64 v = 0;

	for (int i = 0; i < s->n_err; i++) {
		const struct trace_err_ent *e = &s->err[i];

		if (ours(t, &e->k.from, from_ifindex) && ours(t, &e->k.to, to_ifindex) &&
		    (slot < 0 || e->k.slot == (__u32)slot))
			v += e->r.count;
	}
	return v;
}

static __u64 exc_prev(const struct trace_snap *p, const struct mon_exc_key *k)
{
	for (int i = 0; p && i < p->n_exc; i++)
		if (!memcmp(&p->exc[i].k, k, sizeof(*k)))
			return p->exc[i].r.count;
	return 0;
}

static const struct mon_xmit_rec *xmit_prev(const struct trace_xmit_ent *e, int n,
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

void trace_json_dev(const struct trace *t, struct jw *w, const char *key, const struct mon_dev *d)
{
	const char *ns = d->netns && d->netns != t->netns ? ns_name(t, d->netns) : NULL;
	char name[TRACE_LABEL_MAX];

	jw_obj(w, key);
	jw_str(w, "name", trace_dev_label(t, d, name, sizeof(name)));
	jw_u64(w, "ifindex", d->ifindex);
	jw_u64(w, "netns", d->netns);
	if (ns)
		jw_str(w, "netns_name", ns);
	jw_obj_end(w);
}

static void json_xmit(const struct trace *t, struct jw *w, const char *key,
		      const struct trace_xmit_ent *e, int n, const struct trace_snap *p, bool pair,
		      __u64 dt)
{
	jw_arr(w, key);
	for (int i = 0; i < n; i++) {
		const struct mon_xmit_rec *c = &e[i].r;
		const struct mon_xmit_rec *o = p ? xmit_prev(pair ? p->dmx : p->bulk,
							     pair ? p->n_dmx : p->n_bulk, &e[i].k)
						 : xmit_prev(NULL, 0, &e[i].k);

		jw_obj(w, NULL);
		if (pair)
			trace_json_dev(t, w, "from", &e[i].k.from);
		trace_json_dev(t, w, pair ? "to" : "dev", &e[i].k.to);
		jw_u64(w, "events", c->events);
		jw_u64(w, "sent", c->sent);
		jw_u64(w, "drops", c->drops);
		jw_u64(w, "drv_err", c->err_events);
		jw_str(w, "last_err", trace_errno_name((long long)c->last_err));
		jw_double(w, "sent_pps", rate_per_sec(c->sent, o->sent, dt));
		jw_double(w, "drop_pps", rate_per_sec(c->drops, o->drops, dt));
		jw_double(w, "bulk_avg", bulk_avg(c->sent + c->drops - o->sent - o->drops,
						  c->events - o->events));
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

void trace_json_cpumap(const struct trace *t, struct jw *w, const struct trace_snap *s,
		       const struct trace_snap *p, __u64 dt)
{
	static const struct mon_enq_rec enq_zero;
	static const struct mon_kthr_rec kthr_zero;

	jw_arr(w, "cpumap_enqueue");
	for (int to = 0; to < t->enq_slots; to++) {
		for (int from = 0; from < t->ncpus; from++) {
			size_t o = (size_t)to * t->ncpus + from;
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
	for (int cpu = 0; cpu < t->ncpus; cpu++) {
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

void trace_json_redirect(const struct trace *t, struct jw *w, const struct trace_snap *s,
			 const struct trace_snap *p, __u64 dt)
{
	jw_obj(w, "redirect");
	jw_u64(w, "success", trace_redir(t, s, MON_R_SUCCESS, -1));
	jw_u64(w, "error", trace_redir(t, s, -1, -1));
	jw_double(w, "success_pps", rate_per_sec(trace_redir(t, s, MON_R_SUCCESS, -1),
						 p ? trace_redir(t, p, MON_R_SUCCESS, -1) : 0, dt));
	jw_double(w, "error_pps",
		  rate_per_sec(trace_redir(t, s, -1, -1), p ? trace_redir(t, p, -1, -1) : 0, dt));
	jw_obj(w, "errors");
	for (int i = 1; i < MON_R_MAX; i++)
		jw_u64(w, trace_redir_names[i], trace_redir(t, s, i, -1));
	jw_obj_end(w);
	jw_arr(w, "cpus");
	for (int c = 0; c < t->ncpus; c++) {
		__u64 ok = trace_redir(t, s, MON_R_SUCCESS, c), bad = trace_redir(t, s, -1, c);

		if (!ok && !bad)
			continue;
		jw_obj(w, NULL);
		jw_i64(w, "cpu", c);
		jw_u64(w, "success", ok);
		jw_u64(w, "error", bad);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

void trace_json_body(const struct trace *t, struct jw *w, const struct trace_snap *s,
		     const struct trace_snap *p, __u64 dt)
{
	trace_json_redirect(t, w, s, p, dt);
	jw_arr(w, "exceptions");
	for (int i = 0; i < s->n_exc; i++) {
		const struct trace_exc_ent *e = &s->exc[i];

		jw_obj(w, NULL);
		trace_json_dev(t, w, "dev", &e->k.dev);
		jw_str(w, "action", act_name(e->k.action));
		jw_u64(w, "count", e->r.count);
		jw_double(w, "pps", rate_per_sec(e->r.count, p ? exc_prev(p, &e->k) : 0, dt));
		jw_obj_end(w);
	}
	jw_arr_end(w);
	json_xmit(t, w, "devmap_xmit", s->dmx, s->n_dmx, p, true, dt);
	json_xmit(t, w, "bulk_tx", s->bulk, s->n_bulk, p, false, dt);
	trace_json_cpumap(t, w, s, p, dt);
}

void trace_json_tracepoints(const struct trace *t, struct jw *w)
{
	static const char *const keys[] = { "loaded", "off", "unavailable", "bad_layout",
					    "refused" };

	jw_obj(w, "tracepoints");
	for (int st = TRACE_TP_ON; st <= TRACE_TP_REFUSED; st++) {
		jw_arr(w, keys[st]);
		for (size_t i = 0; i < TRACE_TPS; i++)
			if (t->tp[i].state == (enum trace_tp_state)st)
				jw_str(w, NULL, t->tp[i].name);
		jw_arr_end(w);
	}
	jw_arr(w, "raw_tp");	/* loaded as raw_tp programs */
	for (size_t i = 0; i < TRACE_TPS; i++)
		if (t->tp[i].state == TRACE_TP_ON && t->tp[i].raw)
			jw_str(w, NULL, t->tp[i].name);
	jw_arr_end(w);
	jw_obj_end(w);
}

void trace_json_prog_ids(const struct trace *t, struct jw *w)
{
	jw_arr(w, "prog_ids");
	for (size_t i = 0; i < TRACE_TPS; i++)
		if (t->tp[i].state == TRACE_TP_ON && t->tp[i].prog)
			jw_u64(w, NULL, prog_id_of_fd(bpf_program__fd(t->tp[i].prog)));
	jw_arr_end(w);
}

/* ------------------------------------------------------------------ tables */

/*
 * Two layouts, each with a label column as wide as its longest label this period (device
 * labels of other namespaces can be long), so the numbers stay in their columns:
 * the redirect section (CPU, errno and exception rows) and the transmit/cpumap section.
 */
#define W_REDIR 11
#define W_XMIT 23

static void print_redirect(const struct trace *t, FILE *f, const struct trace_snap *s,
			   const struct trace_snap *p, __u64 dt, int w)
{
	bool sep = !t->opt.no_sep, stats = t->opt.stats;
	char a[32], b[32], c[32];

	fprintf(f, "%-16s %-*s %14s %14s\n", "redirect", w, "CPU", "ok pkt/s", "err pkt/s");
	for (int cpu = 0; cpu < t->ncpus; cpu++) {
		__u64 ok = trace_redir(t, s, MON_R_SUCCESS, cpu);
		__u64 ok0 = trace_redir(t, p, MON_R_SUCCESS, cpu);
		__u64 e = trace_redir(t, s, -1, cpu), e0 = trace_redir(t, p, -1, cpu);

		if (ok == ok0 && e == e0)
			continue;
		snprintf(c, sizeof(c), "%d", cpu);
		fprintf(f, "%-16s %-*s %14s %14s\n", "", w, c,
			stats ? fmt_rate(a, rate_per_sec(ok, ok0, dt), sep) : "-",
			fmt_rate(b, rate_per_sec(e, e0, dt), sep));
	}
	fprintf(f, "%-16s %-*s %14s %14s\n", "", w, "total",
		stats ? fmt_rate(a, rate_per_sec(trace_redir(t, s, MON_R_SUCCESS, -1),
						 trace_redir(t, p, MON_R_SUCCESS, -1), dt), sep)
		      : "-",
		fmt_rate(b, rate_per_sec(trace_redir(t, s, -1, -1), trace_redir(t, p, -1, -1), dt),
			 sep));
	for (int i = 1; i < MON_R_MAX; i++) {
		__u64 v = trace_redir(t, s, i, -1), v0 = trace_redir(t, p, i, -1);

		if (!v)
			continue;
		fprintf(f, "%-16s %-*s %14s %14s total\n", "  redirect-err", w,
			trace_redir_names[i], fmt_rate(a, rate_per_sec(v, v0, dt), sep),
			fmt_u64(c, v, sep));
	}
}

static const char *xmit_label(const struct trace *t, const struct trace_xmit_ent *e, bool pair,
			      char *buf, size_t len)
{
	char f[TRACE_LABEL_MAX], to[TRACE_LABEL_MAX];

	if (pair)
		snprintf(buf, len, "%s->%s", trace_dev_label(t, &e->k.from, f, sizeof(f)),
			 trace_dev_label(t, &e->k.to, to, sizeof(to)));
	else
		trace_dev_label(t, &e->k.to, buf, len);
	return buf;
}

static void print_xmit_rows(const struct trace *t, FILE *f, const char *label,
			    const struct trace_xmit_ent *e, int n, const struct trace_xmit_ent *pe,
			    int pn, bool pair, __u64 dt, int w)
{
	bool sep = !t->opt.no_sep;
	char a[32], b[32], c[32], col[2 * TRACE_LABEL_MAX];

	for (int i = 0; i < n; i++) {
		const struct mon_xmit_rec *x = &e[i].r, *o = xmit_prev(pe, pn, &e[i].k);

		if (x->events == o->events)
			continue;
		fprintf(f, "%-16s %-*s %12s %12s %10s %8.2f %s\n", label, w,
			xmit_label(t, &e[i], pair, col, sizeof(col)),
			fmt_rate(a, rate_per_sec(x->sent, o->sent, dt), sep),
			fmt_rate(b, rate_per_sec(x->drops, o->drops, dt), sep),
			fmt_rate(c, rate_per_sec(x->err_events, o->err_events, dt), sep),
			bulk_avg(x->sent + x->drops - o->sent - o->drops, x->events - o->events),
			trace_errno_name((long long)x->last_err));
	}
}

void trace_print_cpumap(const struct trace *t, FILE *f, const struct trace_snap *s,
			const struct trace_snap *p, __u64 dt, int w)
{
	bool sep = !t->opt.no_sep;
	char a[32], b[32], c[32], col[32];

	if (!trace_cpumap_changed(t, s, p))
		return;
	fprintf(f, "%-16s %-*s %12s %12s %10s %8s\n", "cpumap", w, "from->to CPU / CPU", "pkt/s",
		"drop pkt/s", "sched/s", "bulk-avg");
	for (int to = 0; to < t->enq_slots; to++) {
		for (int from = 0; from < t->ncpus; from++) {
			size_t o = (size_t)to * t->ncpus + from;
			const struct mon_enq_rec *x = &s->enq[o], *q = &p->enq[o];

			if (x->events == q->events)
				continue;
			snprintf(col, sizeof(col), "%d->%d", from, to);
			fprintf(f, "%-16s %-*s %12s %12s %10s %8.2f\n", "  enqueue", w, col,
				fmt_rate(a, rate_per_sec(x->processed, q->processed, dt), sep),
				fmt_rate(b, rate_per_sec(x->drops, q->drops, dt), sep), "",
				bulk_avg(x->processed + x->drops - q->processed - q->drops,
					 x->events - q->events));
		}
	}
	for (int cpu = 0; cpu < t->ncpus; cpu++) {
		const struct mon_kthr_rec *x = &s->kthr[cpu], *q = &p->kthr[cpu];

		if (x->events == q->events)
			continue;
		snprintf(col, sizeof(col), "%d", cpu);
		fprintf(f, "%-16s %-*s %12s %12s %10s %8s", "  kthread", w, col,
			fmt_rate(a, rate_per_sec(x->processed, q->processed, dt), sep),
			fmt_rate(b, rate_per_sec(x->drops, q->drops, dt), sep),
			fmt_rate(c, rate_per_sec(x->sched, q->sched, dt), sep), "");
		fprintf(f, " xdp pass %s", fmt_rate(a, rate_per_sec(x->xdp_pass, q->xdp_pass, dt), sep));
		fprintf(f, " drop %s", fmt_rate(a, rate_per_sec(x->xdp_drop, q->xdp_drop, dt), sep));
		fprintf(f, " redirect %s /s\n",
			fmt_rate(a, rate_per_sec(x->xdp_redirect, q->xdp_redirect, dt), sep));
	}
}

static bool xmit_changed(const struct trace_xmit_ent *e, int n, const struct trace_xmit_ent *pe,
			 int pn)
{
	for (int i = 0; i < n; i++)
		if (e[i].r.events != xmit_prev(pe, pn, &e[i].k)->events)
			return true;
	return false;
}

bool trace_cpumap_changed(const struct trace *t, const struct trace_snap *s,
			  const struct trace_snap *p)
{
	return memcmp(s->enq, p->enq, (size_t)t->enq_slots * t->ncpus * sizeof(*s->enq)) ||
	       memcmp(s->kthr, p->kthr, (size_t)t->ncpus * sizeof(*s->kthr));
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

/* Width of the transmit section's label column: the longest label printed this period. */
static int xmit_width(const struct trace *t, const struct trace_xmit_ent *e, int n,
		      const struct trace_xmit_ent *pe, int pn, bool pair, int w)
{
	char col[2 * TRACE_LABEL_MAX];

	for (int i = 0; i < n; i++)
		if (e[i].r.events != xmit_prev(pe, pn, &e[i].k)->events)
			w = max_int(w, (int)strlen(xmit_label(t, &e[i], pair, col, sizeof(col))));
	return w;
}

void trace_print_tables(const struct trace *t, FILE *f, const struct trace_snap *s,
			const struct trace_snap *p, __u64 dt)
{
	bool sep = !t->opt.no_sep;
	char a[32], b[32], d[TRACE_LABEL_MAX];
	int w1 = W_REDIR, w2;

	for (int i = 0; i < s->n_exc; i++)
		if (s->exc[i].r.count != exc_prev(p, &s->exc[i].k))
			w1 = max_int(w1, (int)strlen(trace_dev_label(t, &s->exc[i].k.dev, d,
								     sizeof(d))));
	w2 = xmit_width(t, s->dmx, s->n_dmx, p->dmx, p->n_dmx, true, W_XMIT);
	w2 = xmit_width(t, s->bulk, s->n_bulk, p->bulk, p->n_bulk, false, w2);

	fprintf(f, "\nPeriod %.3f s\n", (double)dt / 1e9);
	print_redirect(t, f, s, p, dt, w1);
	for (int i = 0; i < s->n_exc; i++) {
		const struct trace_exc_ent *e = &s->exc[i];
		__u64 e0 = exc_prev(p, &e->k);

		if (e->r.count == e0)
			continue;
		fprintf(f, "%-16s %-*s %14s %14s total  %s\n", "exception", w1,
			trace_dev_label(t, &e->k.dev, d, sizeof(d)),
			fmt_rate(a, rate_per_sec(e->r.count, e0, dt), sep),
			fmt_u64(b, e->r.count, sep), act_name(e->k.action));
	}
	if (xmit_changed(s->dmx, s->n_dmx, p->dmx, p->n_dmx) ||
	    xmit_changed(s->bulk, s->n_bulk, p->bulk, p->n_bulk))
		fprintf(f, "%-16s %-*s %12s %12s %10s %8s %s\n", "transmit", w2,
			"from->to / device", "xmit pkt/s", "drop pkt/s", "drv-err/s", "bulk-avg",
			"last-err");
	print_xmit_rows(t, f, "devmap-xmit", s->dmx, s->n_dmx, p->dmx, p->n_dmx, true, dt, w2);
	print_xmit_rows(t, f, "bulk-tx", s->bulk, s->n_bulk, p->bulk, p->n_bulk, false, dt, w2);
	trace_print_cpumap(t, f, s, p, dt, w2);
	fflush(f);
}

void trace_print_summary(const struct trace *t, FILE *f, const struct trace_snap *s, __u64 dt)
{
	__u64 exc = 0, sent = 0, drops = 0;
	bool sep = !t->opt.no_sep, stats = t->opt.stats;
	char a[32], b[32], c[TRACE_LABEL_MAX], d[32], e[32];
	int w = 13;

	for (int i = 0; i < s->n_exc; i++) {
		exc += s->exc[i].r.count;
		w = max_int(w, (int)strlen(trace_dev_label(t, &s->exc[i].k.dev, c, sizeof(c))));
	}
	for (int i = 0; i < s->n_dmx; i++) {
		sent += s->dmx[i].r.sent;
		drops += s->dmx[i].r.drops;
	}
	fprintf(f, "\nSummary: %.3f s, redirect %s ok%s, %s errors, %s exceptions, devmap "
		"xmit %s sent %s dropped\n", (double)dt / 1e9,
		stats ? fmt_u64(a, trace_redir(t, s, MON_R_SUCCESS, -1), sep) : "-",
		stats ? "" : " (no --stats)", fmt_u64(b, trace_redir(t, s, -1, -1), sep),
		fmt_u64(c, exc, sep), fmt_u64(d, sent, sep), fmt_u64(e, drops, sep));
	for (int i = 1; i < MON_R_MAX; i++)
		if (trace_redir(t, s, i, -1))
			fprintf(f, "  redirect-err %-*s %s\n", w - 3, trace_redir_names[i],
				fmt_u64(a, trace_redir(t, s, i, -1), sep));
	for (int i = 0; i < s->n_exc; i++)
		fprintf(f, "  exception %-*s %-12s %s\n", w,
			trace_dev_label(t, &s->exc[i].k.dev, c, sizeof(c)),
			act_name(s->exc[i].k.action), fmt_u64(a, s->exc[i].r.count, sep));
}
