// SPDX-License-Identifier: GPL-2.0
/*
 * progcost: per-packet cost of XDP programs from BPF_PROG_TEST_RUN with a large repeat count,
 * next to the floor (a program that only returns XDP_DROP) and, for the redirect tools, next to
 * a bare program doing the same redirect and frame work without counters or options (in the
 * floor object). Each case runs --reps times, alternating between cases so drift hits all
 * alike; prints one JSON line per case with the median ns/packet, its ratio to the floor's
 * median and, where there is one, the bare program and the ratio to its median.
 *   --suite rxq           xdp_rxq_info (the default), next to bare programs doing the same frame
 *                         work, without and with a per-CPU counter per RX queue
 *   --prog-id ID          one more case: a program already loaded (a peer's, by its id)
 *   --suite redirect      xdp_redirect's modes (targets: lo, slot 0 / key 1 of the devmaps)
 *   --suite redirect_cpu  xdp_redirect_cpu's strategies over CPUs 0 and 1 (0 twice on one CPU)
 * A redirect under BPF_PROG_TEST_RUN is the helper's work only: the frame goes nowhere.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common_user.h"
#include "prog_run.h"
#include "xdp_floor.h"
#include "xdp_redirect.h"
#include "xdp_redirect.skel.h"
#include "xdp_redirect_cpu.h"
#include "xdp_redirect_cpu.skel.h"
#include "xdp_rxq_info.h"
#include "xdp_rxq_info.skel.h"

enum cost_suite { SUITE_RXQ, SUITE_REDIRECT, SUITE_REDIRECT_CPU };

static const struct opt_enum cost_suites[] = {
	{ "rxq", SUITE_RXQ },
	{ "redirect", SUITE_REDIRECT },
	{ "redirect_cpu", SUITE_REDIRECT_CPU },
	{ NULL, 0 },
};

struct cost_opts {
	__u32 repeat, reps, size, prog_id;
	const char *floor_obj, *prog_name;
	int suite;
};

#define O(...) OPTION(struct cost_opts, __VA_ARGS__)
static const struct opt_def cost_defs[] = {
	O("repeat", 'n', OPT_U32, repeat, "N", "runs per measurement", .min = 1, .max = 1e9),
	O("reps", 'r', OPT_U32, reps, "N", "measurements per case (median)", .min = 1, .max = 101),
	O("size", 's', OPT_U32, size, "BYTES", "frame size", .min = 42, .max = 3500),
	O("floor", 'f', OPT_STR, floor_obj, "OBJ", "object with xdp_floor_drop", .required = true),
	O("suite", 'S', OPT_ENUM, suite, "NAME", "programs to cost: rxq, redirect, redirect_cpu",
	  .values = cost_suites),
	O("prog-id", 'p', OPT_U32, prog_id, "ID",
	  "also cost this loaded XDP program (a peer's), in the same rounds", .min = 1,
	  .max = 4294967295.0),
	O("prog-name", 'N', OPT_STR, prog_name, "NAME", "its name in the output"),
	OPT_END,
};
#undef O

static const struct cost_opts cost_defaults = { .repeat = 5000000, .reps = 5, .size = 64 };
static const struct opt_tool cost_tool = {
	.name = "progcost",
	.summary = "Per-packet cost of the suite's XDP programs via BPF_PROG_TEST_RUN.",
	.usage = "--floor build/tests/xdp_floor_kern.o [options]",
	.defs = cost_defs,
	.defaults = &cost_defaults,
};

#define CASES_MAX 24
#define SKELS_MAX 12

struct cost_case {
	const char *name;
	int prog_fd;
	int bare;		/* index of the bare program's case, -1: none */
	__u32 len;		/* 0: --size */
	double ns[101];
};

/* Everything a run loaded; cost_close() releases it. */
struct cost_run {
	struct bpf_object *floor;
	struct xdp_rxq_info_kern *rxq[SKELS_MAX];
	struct xdp_redirect_kern *redir[SKELS_MAX];
	struct xdp_redirect_cpu_kern *rcpu[SKELS_MAX];
	int n_rxq, n_redir, n_rcpu;
	struct cost_case cases[CASES_MAX];
	int n;
	int extra_fd;		/* --prog-id's program, 0: none */
};

static int add_case(struct cost_run *c, const char *name, int prog_fd, int bare, __u32 len)
{
	if (c->n >= CASES_MAX || prog_fd < 0)
		return -EINVAL;
	c->cases[c->n] = (struct cost_case){ .name = name, .prog_fd = prog_fd, .bare = bare,
					     .len = len };
	return c->n++;
}

/* A program of the floor object as a case (once, however many cases compare with it); its
 * index or -errno. */
static int floor_case(struct cost_run *c, const char *prog, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(c->floor, prog);

	if (!p)
		return -ENOENT;
	for (int i = 0; i < c->n; i++)
		if (c->cases[i].prog_fd == bpf_program__fd(p))
			return i;
	return add_case(c, name, bpf_program__fd(p), -1, 0);
}

static int map_put(struct bpf_map *map, __u32 key, const void *val)
{
	return bpf_map_update_elem(bpf_map__fd(map), &key, val, BPF_ANY) ? -errno : 0;
}

/* Open the floor object with cpus as its cpumap targets, load it, fill its maps. */
static int floor_open(struct cost_run *c, const char *path, const __u32 *cpus, __u32 n)
{
	struct floor_cfg fc = { .ifindex = 1, .ncpus = n };
	struct bpf_cpumap_val cv = { .qsize = 64 };
	struct bpf_devmap_val dv = { .ifindex = 1 };
	struct bpf_map *ro;
	size_t size = 0;
	const void *init;
	int err;

	c->floor = bpf_object__open_file(path, NULL);
	if (!c->floor)
		return -errno;
	memcpy(fc.cpus, cpus, n * sizeof(*cpus));
	ro = bpf_object__find_map_by_name(c->floor, ".rodata");
	init = ro ? bpf_map__initial_value(ro, &size) : NULL;
	if (!init || size != sizeof(fc))
		return -ENOENT;
	memcpy((void *)init, &fc, sizeof(fc));	/* libbpf's copy, written before load */
	err = bpf_object__load(c->floor);
	if (err)
		return err;
	err = map_put(bpf_object__find_map_by_name(c->floor, "floor_tx_port"), 0, &dv);
	if (!err)
		err = map_put(bpf_object__find_map_by_name(c->floor, "floor_tx_ports"), 1, &dv);
	for (__u32 i = 0; i < n && !err; i++)
		err = map_put(bpf_object__find_map_by_name(c->floor, "floor_cpu_map"), cpus[i],
			      &cv);
	return err;
}

/* ---------------------------------------------------------------- suites */

static int rxq_case(struct cost_run *c, const char *name, __u32 flags, __u32 read_bytes,
		    __u32 len, int bare)
{
	struct xdp_rxq_info_kern *s = xdp_rxq_info_kern__open();
	struct bpf_program *prog;

	if (!s)
		return -errno;
	c->rxq[c->n_rxq++] = s;
	s->rodata->cfg.action = XDP_DROP;
	s->rodata->cfg.flags = flags;
	s->rodata->cfg.read_bytes = read_bytes;
	prog = rxq_prog_pick(s);	/* the program the tool runs for this configuration */
	if (xdp_rxq_info_kern__load(s))
		return -errno;
	return add_case(c, name, bpf_program__fd(prog), bare, len);
}

static int suite_rxq(struct cost_run *c)
{
	static const struct {
		const char *name;
		__u32 flags, read_bytes, len;
		const char *bare, *bare_name;
	} t[] = {
		{ "xdp_rxq_info XDP_DROP no-touch", 0, 0, 0,
		  "xdp_floor_drop", "floor: return XDP_DROP" },
		{ "xdp_rxq_info XDP_DROP --read", RXQ_F_READ, RXQ_LINE, 0,
		  "xdp_floor_read", "bare: read the first line, XDP_DROP" },
		{ "xdp_rxq_info XDP_DROP --swapmac", RXQ_F_SWAPMAC, 0, 0,
		  "xdp_floor_swap", "bare: swap the MACs, XDP_DROP" },
		{ "xdp_rxq_info XDP_DROP --read-bytes 1500", RXQ_F_READ, 1500, 1500, NULL, NULL },
	};

	/* the same frame work with one per-CPU counter: what the tool should cost (printed
	 * before the tool's case, which compares with the bare program without a counter) */
	static const char *const counted[][2] = {
		{ "xdp_floor_drop_count", "bare: per-queue counter, XDP_DROP" },
		{ "xdp_floor_read_count", "bare: read the first line, counter, XDP_DROP" },
		{ "xdp_floor_swap_count", "bare: swap the MACs, counter, XDP_DROP" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		int b = t[i].bare ? floor_case(c, t[i].bare, t[i].bare_name) : -1;
		int err = b < -1 ? b : 0;

		if (!err && i < ARRAY_SIZE(counted))
			err = floor_case(c, counted[i][0], counted[i][1]);
		if (err >= 0)
			err = rxq_case(c, t[i].name, t[i].flags, t[i].read_bytes, t[i].len, b);

		if (err < 0)
			return report(err, EXIT_FAIL_BPF, "load %s", t[i].name);
	}
	return 0;
}

/* xdp_redirect with cfg, its devmaps pointing at lo; compared with the floor program bare. */
static int redir_case(struct cost_run *c, const char *name, const struct redir_cfg *cfg,
		      const char *bare, const char *bare_name)
{
	struct xdp_redirect_kern *s = xdp_redirect_kern__open();
	struct bpf_devmap_val lo = { .ifindex = 1 };
	struct bpf_program *p;
	int b;

	if (!s)
		return -errno;
	c->redir[c->n_redir++] = s;
	s->rodata->cfg = *cfg;
	p = redir_prog_pick(s);		/* the program the tool runs for cfg */
	if (xdp_redirect_kern__load(s))
		return -errno;
	if (map_put(s->maps.redir_tx_port, 0, &lo) || map_put(s->maps.redir_tx_ports, 1, &lo))
		return -errno;
	b = floor_case(c, bare, bare_name);
	if (b < 0)
		return b;
	return add_case(c, name, bpf_program__fd(p), b, 0);
}

static int suite_redirect(struct cost_run *c)
{
	static const struct {
		const char *name;
		struct redir_cfg cfg;
		const char *bare, *bare_name;
	} t[] = {
		{ "xdp_redirect", { .ifindex_out = 1, .flags = REDIR_F_SWAPMAC },
		  "xdp_floor_redirect_swap", "bare: swap, bpf_redirect" },
		{ "xdp_redirect --no-swapmac", { .ifindex_out = 1 },
		  "xdp_floor_redirect", "bare: bpf_redirect" },
		{ "xdp_redirect --load-bytes",
		  { .ifindex_out = 1, .flags = REDIR_F_SWAPMAC | REDIR_F_LOAD_BYTES },
		  "xdp_floor_redirect_swap_load_bytes", "bare: load/store_bytes swap, bpf_redirect" },
		{ "xdp_redirect --map", { .mode = REDIR_M_MAP, .flags = REDIR_F_SWAPMAC },
		  "xdp_floor_redirect_map_swap", "bare: swap, devmap" },
		{ "xdp_redirect --map --no-swapmac", { .mode = REDIR_M_MAP },
		  "xdp_floor_redirect_map", "bare: devmap" },
		{ "xdp_redirect --multi", { .mode = REDIR_M_MULTI, .flags = REDIR_F_SWAPMAC },
		  "xdp_floor_redirect_multi_swap", "bare: swap, devmap broadcast" },
		{ "xdp_redirect --multi --no-swapmac", { .mode = REDIR_M_MULTI },
		  "xdp_floor_redirect_multi", "bare: devmap broadcast" },
		{ "xdp_redirect --read",
		  { .ifindex_out = 1, .flags = REDIR_F_SWAPMAC | REDIR_F_READ,
		    .read_bytes = REDIR_LINE },
		  "xdp_floor_redirect_read_swap", "bare: read a line, swap, bpf_redirect" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		int err = redir_case(c, t[i].name, &t[i].cfg, t[i].bare, t[i].bare_name);

		if (err < 0)
			return report(err, EXIT_FAIL_BPF, "load %s", t[i].name);
	}
	return 0;
}

/* xdp_redirect_cpu with strategy lb over cpus, a cpumap entry for each. */
static int rcpu_case(struct cost_run *c, const char *name, __u32 lb, const __u32 *cpus, __u32 n,
		     const char *bare, const char *bare_name)
{
	struct xdp_redirect_cpu_kern *s = xdp_redirect_cpu_kern__open();
	struct bpf_cpumap_val cv = { .qsize = 64 };
	struct bpf_program *p;
	int b;

	if (!s)
		return -errno;
	c->rcpu[c->n_rcpu++] = s;
	s->rodata->cfg.lb = lb;
	s->rodata->cfg.ncpus = n;
	memcpy(s->rodata->cfg.cpus, cpus, n * sizeof(*cpus));
	p = rcpu_prog_pick(s);		/* the program the tool runs for lb */
	if (xdp_redirect_cpu_kern__load(s))
		return -errno;
	for (__u32 i = 0; i < n; i++)
		if (map_put(s->maps.rcpu_cpu_map, cpus[i], &cv))
			return -errno;
	b = floor_case(c, bare, bare_name);
	if (b < 0)
		return b;
	return add_case(c, name, bpf_program__fd(p), b, 0);
}

static int suite_redirect_cpu(struct cost_run *c, const __u32 *cpus)
{
	static const struct {
		const char *name;
		__u32 lb;
		const char *bare, *bare_name;
	} t[] = {
		{ "xdp_redirect_cpu no-touch", RCPU_LB_NO_TOUCH,
		  "xdp_floor_redirect_cpu", "bare: cpumap" },
		{ "xdp_redirect_cpu touch", RCPU_LB_TOUCH,
		  "xdp_floor_redirect_cpu_touch", "bare: read EtherType, cpumap" },
		{ "xdp_redirect_cpu round-robin", RCPU_LB_ROUND_ROBIN,
		  "xdp_floor_redirect_cpu_rr", "bare: per-CPU cursor, cpumap" },
		{ "xdp_redirect_cpu hash", RCPU_LB_HASH,
		  "xdp_floor_redirect_cpu_hash", "bare: parse, flow hash, cpumap" },
		{ "xdp_redirect_cpu l4-proto", RCPU_LB_L4_PROTO,
		  "xdp_floor_redirect_cpu_hash", "bare: parse, flow hash, cpumap" },
		{ "xdp_redirect_cpu l4-sport", RCPU_LB_L4_SPORT,
		  "xdp_floor_redirect_cpu_hash", "bare: parse, flow hash, cpumap" },
		{ "xdp_redirect_cpu l4-dport", RCPU_LB_L4_DPORT,
		  "xdp_floor_redirect_cpu_hash", "bare: parse, flow hash, cpumap" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		int err = rcpu_case(c, t[i].name, t[i].lb, cpus, 2, t[i].bare, t[i].bare_name);

		if (err < 0)
			return report(err, EXIT_FAIL_BPF, "load %s", t[i].name);
	}
	return 0;
}

/* ---------------------------------------------------------------- measure and print */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static __u64 thread_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static int measure(struct cost_run *c, const struct cost_opts *o, const __u8 *pkt)
{
	for (unsigned int r = 0; r < o->reps; r++) {
		for (int i = 0; i < c->n; i++) {
			struct xdp_run run = { .data = pkt, .repeat = o->repeat };
			__u64 t0 = thread_ns();
			int err;

			run.len = c->cases[i].len ? c->cases[i].len : o->size;
			err = xdp_run(c->cases[i].prog_fd, &run);
			if (err)
				return report(err, EXIT_FAIL_BPF, "BPF_PROG_TEST_RUN %s",
					      c->cases[i].name);
			/* the kernel's own figure is rounded to whole ns: time the call, in
			 * this thread's CPU time (a busy machine's other tasks do not count) */
			c->cases[i].ns[r] = (double)(thread_ns() - t0) / o->repeat;
		}
	}
	return 0;
}

static void print(struct cost_run *c, const struct cost_opts *o)
{
	double med[CASES_MAX];

	for (int i = 0; i < c->n; i++)
		med[i] = median(c->cases[i].ns, o->reps);
	for (int i = 0; i < c->n; i++) {
		const struct cost_case *k = &c->cases[i];
		struct jw w;

		jw_begin(&w, stdout);
		jw_str(&w, "case", k->name);
		jw_double(&w, "ns_per_pkt", med[i]);
		jw_double(&w, "ratio_to_floor", med[0] > 0 ? med[i] / med[0] : 0);
		if (k->bare >= 0) {
			jw_str(&w, "bare", c->cases[k->bare].name);
			jw_double(&w, "bare_ns_per_pkt", med[k->bare]);
			jw_double(&w, "ratio_to_bare",
				  med[k->bare] > 0 ? med[i] / med[k->bare] : 0);
		}
		jw_u64(&w, "repeat", o->repeat);
		jw_u64(&w, "reps", o->reps);
		jw_end(&w);
	}
}

static void cost_close(struct cost_run *c)
{
	for (int i = 0; i < c->n_rxq; i++)
		xdp_rxq_info_kern__destroy(c->rxq[i]);
	for (int i = 0; i < c->n_redir; i++)
		xdp_redirect_kern__destroy(c->redir[i]);
	for (int i = 0; i < c->n_rcpu; i++)
		xdp_redirect_cpu_kern__destroy(c->rcpu[i]);
	bpf_object__close(c->floor);
	if (c->extra_fd > 0)
		close(c->extra_fd);
}

int main(int argc, char **argv)
{
	static struct cost_run c;
	struct cost_opts o = cost_defaults;
	__u32 cpus[2] = { 0, sysconf(_SC_NPROCESSORS_ONLN) > 1 };
	__u8 pkt[3500];
	int err, ret;

	err = opts_parse(argc, argv, &cost_tool, &o);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_FAIL_OPTION;
	log_setup(0);
	err = floor_open(&c, o.floor_obj, cpus, 2);
	if (err) {
		ret = report(err, EXIT_FAIL_BPF, "load %s", o.floor_obj);
		goto out;
	}
	ret = floor_case(&c, "xdp_floor_drop", "floor: return XDP_DROP");
	if (ret < 0) {
		ret = report(ret, EXIT_FAIL_BPF, "%s: no xdp_floor_drop", o.floor_obj);
		goto out;
	}
	ret = o.suite == SUITE_REDIRECT ? suite_redirect(&c) :
	      o.suite == SUITE_REDIRECT_CPU ? suite_redirect_cpu(&c, cpus) : suite_rxq(&c);
	if (ret)
		goto out;
	if (o.prog_id) {
		int fd = bpf_prog_get_fd_by_id(o.prog_id);

		if (fd < 0 || add_case(&c, o.prog_name ? o.prog_name : "program by id", fd, -1, 0) < 0) {
			ret = report(fd < 0 ? -errno : -EINVAL, EXIT_FAIL_BPF, "program id %u", o.prog_id);
			if (fd >= 0)
				close(fd);
			goto out;
		}
		c.extra_fd = fd;
	}
	pkt_udp(pkt, o.size < 1500 ? 1500 : o.size, false);
	ret = measure(&c, &o, pkt);
	if (!ret)
		print(&c, &o);
out:
	cost_close(&c);
	return ret;
}
