// SPDX-License-Identifier: GPL-2.0
/*
 * cpustat: time each CPU spends in each idle state (C-state) and at each frequency (P-state),
 * from the power:cpu_idle and power:cpu_frequency tracepoints. Read-only by default: the open
 * period of every CPU is credited here, up to the read time, instead of waking CPUs, and cpufreq
 * is written only with --kick-cpufreq (which puts the original value back).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common_user.h"
#include "cpustat.h"
#include "cpustat.skel.h"

#define NC (CS_CSTATES + 1)
#define NP (CS_PSTATES + 1)
#define SYS_CPU "/sys/devices/system/cpu"

struct cs_opts {
	bool kick_cpufreq;
	struct run_opts run;
};

static const struct cs_opts cs_defaults = {
	.run.interval = 5.0,
};

#define O(...) OPTION(struct cs_opts, __VA_ARGS__)
static const struct opt_def cs_opt_defs[] = {
	OPT_ROW_INTERVAL(struct cs_opts, "interval", 'i', "seconds between reports"),
	OPT_ROW_DURATION(struct cs_opts, 'd'),
	O("kick-cpufreq", 0, OPT_BOOL, kick_cpufreq, NULL,
	  "at start, lower then restore each cpufreq policy's scaling_max_freq to force a "
	  "cpu_frequency event (writes sysfs)"),
	OPT_ROWS_OUTPUT(struct cs_opts, 'z', OPT_JSON_HELP),
	OPT_END,
};
#undef O

static const struct opt_tool cs_tool = {
	.name = "cpustat",
	.summary = "Per-CPU time in each idle state (C-state) and at each frequency (P-state).",
	.usage = "[options]",
	.defs = cs_opt_defs,
	.defaults = &cs_defaults,
	.doc = "Columns: cstate-K = idle in cpuidle state K (names from cpuidle sysfs); pstate-K =\n"
	       "running at frequency slot K (MHz listed at start; frequencies seen only in events\n"
	       "get new slots, then share the last one); running = not idle, frequency unknown;\n"
	       "cstate-? = idle in an unnamed state (before the first event); untracked = not yet\n"
	       "known whether idle (the first 50 ms). Times in ms per interval, then in per cent\n"
	       "of it; the final table covers the whole run. Nothing in sysfs is written unless\n"
	       "--kick-cpufreq is given. Exit codes: see README.\n",
};

/* What sysfs says about the CPUs (all optional). */
struct cs_sys {
	int ncstates;			/* cpuidle states of cpu0, 0: no cpuidle sysfs */
	char cname[NC][24];
	int nfreqs;			/* frequencies from cpufreq sysfs, 0: no cpufreq */
	__u32 khz[CS_PSTATES];
};

/* The events about one CPU (a record of counters: REC_ADD, REC_DELTA). */
struct cs_events {
	__u64 enter, exit;	/* power:cpu_idle */
	__u64 freq;		/* power:cpu_frequency */
	__u64 bad_cpu;		/* about a CPU beyond the map (counted on CPU 0) */
};

/* One CPU's times with its open period credited up to the read time. A snapshot is one per
 * possible CPU. */
struct view {
	__u64 c[NC], p[NP], run, idle_unk, untracked;
	struct cs_events ev;
};

enum col_kind { COL_C, COL_P, COL_RUN, COL_IDLE_UNK, COL_UNTRACKED };

struct col {
	enum col_kind kind;
	int idx;
	char name[16];
};

struct run {
	const struct cs_opts *opt;
	FILE *out;			/* stdout, through struct out */
	struct cpustat_kern *skel;
	struct cs_sys sys;
	int fd;
	int ncpus;
	bool started;			/* the first reading (the seed) was taken */
	struct col cols[NC + NP + 3];
	int ncols;
	__u64 seed_t;			/* when the timelines started */
	__u64 *seed_idle;		/* per CPU: /proc/stat idle time then (ns), ~0: unknown */
	__u64 *idle_now;		/* scratch for the same at each read */
};

/* ------------------------------------------------------------------ sysfs */

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		err = -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return err;
}

static int write_line(const char *path, const char *val)
{
	FILE *f = fopen(path, "we");
	int err = 0;

	if (!f)
		return -errno;
	if (fputs(val, f) < 0)
		err = -EIO;
	if (fclose(f))
		err = -errno;
	return err;
}

static void add_freq(struct cs_sys *s, __u32 khz)
{
	int i, j;

	if (!khz || s->nfreqs >= CS_PSTATES)
		return;
	for (i = 0; i < s->nfreqs && s->khz[i] < khz; i++)
		;
	if (i < s->nfreqs && s->khz[i] == khz)
		return;
	for (j = s->nfreqs; j > i; j--)
		s->khz[j] = s->khz[j - 1];
	s->khz[i] = khz;
	s->nfreqs++;
}

static void sys_discover(struct cs_sys *s, int ncpus)
{
	char path[128], buf[1024];

	for (int k = 0; k < CS_CSTATES; k++) {
		snprintf(path, sizeof(path), SYS_CPU "/cpu0/cpuidle/state%d/name", k);
		if (read_line(path, s->cname[k], sizeof(s->cname[k])))
			break;
		s->ncstates = k + 1;
	}
	for (int c = 0; c < ncpus; c++) {
		snprintf(path, sizeof(path), SYS_CPU "/cpu%d/cpufreq/scaling_available_frequencies", c);
		if (!read_line(path, buf, sizeof(buf))) {
			for (char *t = strtok(buf, " "); t; t = strtok(NULL, " "))
				add_freq(s, (__u32)strtoul(t, NULL, 10));
			continue;
		}
		/* drivers without a table (intel_pstate, cppc): the limits; others get new slots */
		snprintf(path, sizeof(path), SYS_CPU "/cpu%d/cpufreq/cpuinfo_min_freq", c);
		if (!read_line(path, buf, sizeof(buf)))
			add_freq(s, (__u32)strtoul(buf, NULL, 10));
		snprintf(path, sizeof(path), SYS_CPU "/cpu%d/cpufreq/cpuinfo_max_freq", c);
		if (!read_line(path, buf, sizeof(buf)))
			add_freq(s, (__u32)strtoul(buf, NULL, 10));
	}
}

static int slot_of(const struct cs_sys *s, __u32 khz)
{
	for (int i = 0; i < s->nfreqs; i++)
		if (s->khz[i] == khz)
			return i;
	return -1;
}

/* Idle time of every CPU from /proc/stat (USER_HZ ticks, in ns); ~0 for CPUs not listed. */
static void proc_stat_idle(__u64 *idle, int ncpus)
{
	unsigned long long v[4];
	char line[512];
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "re");
	int c;

	for (c = 0; c < ncpus; c++)
		idle[c] = ~0ULL;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "cpu%d %llu %llu %llu %llu", &c, &v[0], &v[1], &v[2], &v[3]) == 5 &&
		    c >= 0 && c < ncpus && hz > 0)
			idle[c] = v[3] * (1000000000ULL / (unsigned long long)hz);
	}
	if (f)
		fclose(f);
}

/*
 * Before attach: the known frequencies get the first slots; every CPU's timeline starts now in
 * an unknown state, at its current frequency when cpufreq tells it (a read, no CPU is woken).
 */
static int seed_state(struct run *r)
{
	struct cs_rec rec;
	char path[128], buf[64];
	__u64 t = now_ns();
	int err;

	r->seed_t = t;
	proc_stat_idle(r->seed_idle, r->ncpus);

	for (int i = 0; i < r->sys.nfreqs; i++) {
		__u32 slot = (__u32)i;

		r->skel->bss->freq_khz[i] = r->sys.khz[i];
		err = bpf_map_update_elem(bpf_map__fd(r->skel->maps.freq_slot), &r->sys.khz[i],
					  &slot, BPF_ANY);
		if (err)
			return -errno;
	}
	r->skel->bss->nr_pslots = (__u32)r->sys.nfreqs;
	for (int c = 0; c < r->ncpus; c++) {
		int slot = -1;

		memset(&rec, 0, sizeof(rec));
		snprintf(path, sizeof(path), SYS_CPU "/cpu%d/cpufreq/scaling_cur_freq", c);
		if (!read_line(path, buf, sizeof(buf)))
			slot = slot_of(&r->sys, (__u32)strtoul(buf, NULL, 10));
		rec.ts = t;
		rec.state = CS_ST_UNKNOWN;
		rec.pslot = slot >= 0 ? (__u32)slot : CS_PS_UNKNOWN;
		if (bpf_map_update_elem(r->fd, &c, &rec, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* --kick-cpufreq: lower each policy's scaling_max_freq to its minimum, then put it back. */
static void kick_cpufreq(FILE *out, bool json)
{
	char path[320], orig[32], min[32];
	struct dirent *de;
	int n = 0, err;
	DIR *d = opendir(SYS_CPU "/cpufreq");

	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, "policy", 6))
			continue;
		snprintf(path, sizeof(path), SYS_CPU "/cpufreq/%s/cpuinfo_min_freq", de->d_name);
		if (read_line(path, min, sizeof(min)))
			continue;
		snprintf(path, sizeof(path), SYS_CPU "/cpufreq/%s/scaling_max_freq", de->d_name);
		if (read_line(path, orig, sizeof(orig)))
			continue;
		err = write_line(path, min);
		if (!err)
			err = write_line(path, orig);
		if (err)
			fprintf(stderr, "cpustat: --kick-cpufreq: %s: %s (value was %s kHz)\n", path,
				strerror(-err), orig);
		else if (!json)
			fprintf(out, "kicked %s: scaling_max_freq %s -> %s -> %s kHz (restored)\n",
			       de->d_name, orig, min, orig);
		n++;
	}
	if (d)
		closedir(d);
	if (!n)
		fprintf(stderr, "cpustat: --kick-cpufreq: no cpufreq policy in " SYS_CPU
			"/cpufreq (no cpufreq driver on this system); nothing written\n");
}

/* ------------------------------------------------------------------ collecting */

/*
 * Credit the open period [rec.ts, now] as the BPF side will when the next event comes. A CPU
 * still in CS_ST_UNKNOWN had no cpu_idle event since the start, so it has been idle or running
 * all along: /proc/stat's idle time since the start tells which (as the first event will), once
 * the period is long enough for its tick resolution.
 */
static void view_of(const struct run *r, struct view *v, const struct cs_rec *rec, int cpu,
		    __u64 now)
{
	__u64 d = rec->ts && now > rec->ts ? now - rec->ts : 0;
	__u32 st = rec->state;

	memcpy(v->c, rec->cstate_ns, sizeof(v->c));
	memcpy(v->p, rec->pstate_ns, sizeof(v->p));
	v->run = rec->run_nofreq_ns;
	v->idle_unk = rec->idle_unknown_ns;
	v->untracked = rec->untracked_ns;
	v->ev.enter = rec->idle_enter;
	v->ev.exit = rec->idle_exit;
	v->ev.freq = rec->freq_events;
	v->ev.bad_cpu = rec->bad_cpu;
	if (st == CS_ST_UNKNOWN && now - r->seed_t >= 50000000 && r->seed_idle[cpu] != ~0ULL &&
	    r->idle_now[cpu] != ~0ULL) {
		__u64 idle = r->idle_now[cpu] - r->seed_idle[cpu];

		st = idle * 2 > now - r->seed_t ? CS_ST_IDLE_UNKNOWN : CS_ST_RUN;
	}
	if (st == CS_ST_RUN && rec->pslot <= CS_PSTATES)
		v->p[rec->pslot] += d;
	else if (st == CS_ST_RUN)
		v->run += d;
	else if (st <= CS_CSTATES)
		v->c[st] += d;
	else if (st == CS_ST_IDLE_UNKNOWN)
		v->idle_unk += d;
	else
		v->untracked += d;
}

static int read_recs(const struct run *r, struct cs_rec *recs)
{
	for (int c = 0; c < r->ncpus; c++)
		if (bpf_map_lookup_elem(r->fd, &c, &recs[c]))
			return -errno;
	return 0;
}

/*
 * One consistent reading: the records before and after taking the time must agree (no event in
 * between), or an open period would be credited to a state the CPU had already left. A few
 * tries; a CPU that changes state every microsecond is off by that much at worst.
 */
static int collect(void *ctx, void *snap, __u64 *t)
{
	struct run *r = ctx;
	struct view *v = snap;
	struct cs_rec *a, *b;
	int err = -ENOMEM;

	if (!r->started) {	/* every timeline starts at the seed, from zero */
		r->started = true;
		*t = r->seed_t;
		return 0;
	}
	a = calloc((size_t)r->ncpus * 2, sizeof(*a));
	b = a + r->ncpus;
	for (int tries = 0; a && tries < 4; tries++) {
		bool same = true;

		err = read_recs(r, a);
		*t = now_ns();
		if (!err)
			err = read_recs(r, b);
		if (err)
			break;
		for (int c = 0; c < r->ncpus; c++)
			same &= a[c].ts == b[c].ts;
		if (same)
			break;
	}
	if (!err) {
		proc_stat_idle(r->idle_now, r->ncpus);
		for (int c = 0; c < r->ncpus; c++)
			view_of(r, &v[c], &a[c], c, *t);
	}
	free(a);
	return err;
}

static __u64 col_val(const struct view *v, const struct col *c)
{
	switch (c->kind) {
	case COL_C:
		return v->c[c->idx];
	case COL_P:
		return v->p[c->idx];
	case COL_RUN:
		return v->run;
	case COL_IDLE_UNK:
		return v->idle_unk;
	default:
		return v->untracked;
	}
}

/* The change of one column between two reads; an open period credited to one state that the
 * next event credits to another may move a few microseconds back: never negative. */
static __u64 col_delta(const struct view *a, const struct view *b, int cpu, const struct col *c)
{
	__u64 x = col_val(&a[cpu], c), y = col_val(&b[cpu], c);

	return y > x ? y - x : 0;
}

static __u32 npslots(const struct run *r)
{
	__u32 n = r->skel->bss->nr_pslots;

	return n < CS_PSTATES ? n : CS_PSTATES;
}

/* Columns: the cpuidle states and frequency slots known, plus any with time by reading s. */
static void pick_cols(struct run *r, const struct view *s)
{
	bool any;
	int n = 0;

#define HAS(kind_, idx_)                                                                         \
	({                                                                                       \
		struct col t_ = { .kind = (kind_), .idx = (idx_) };                              \
		bool h_ = false;                                                                 \
		for (int c_ = 0; c_ < r->ncpus; c_++)                                            \
			h_ |= col_val(&s[c_], &t_) != 0;                                         \
		h_;                                                                              \
	})
	for (int k = 0; k < NC; k++) {
		if (k >= r->sys.ncstates && !HAS(COL_C, k))
			continue;
		r->cols[n] = (struct col){ .kind = COL_C, .idx = k };
		snprintf(r->cols[n++].name, 16, k < CS_CSTATES ? "cstate-%d" : "cstate-%d+", k);
	}
	any = false;
	for (int k = 0; k < NP; k++) {
		if (!(k < (int)npslots(r) && r->skel->bss->freq_khz[k]) && !HAS(COL_P, k))
			continue;
		r->cols[n] = (struct col){ .kind = COL_P, .idx = k };
		snprintf(r->cols[n++].name, 16, k < CS_PSTATES ? "pstate-%d" : "pstate-%d+", k);
		any = true;
	}
	if (!any || HAS(COL_RUN, 0)) {
		r->cols[n] = (struct col){ .kind = COL_RUN };
		snprintf(r->cols[n++].name, 16, "running");
	}
	if (HAS(COL_IDLE_UNK, 0)) {
		r->cols[n] = (struct col){ .kind = COL_IDLE_UNK };
		snprintf(r->cols[n++].name, 16, "cstate-?");
	}
	if (HAS(COL_UNTRACKED, 0)) {
		r->cols[n] = (struct col){ .kind = COL_UNTRACKED };
		snprintf(r->cols[n++].name, 16, "untracked");
	}
#undef HAS
	r->ncols = n;
}

/* ------------------------------------------------------------------ output */

/* The table of a (earlier) to b, dt apart: ms, or per cent of the period. */
static void print_rows(const struct run *r, const struct view *a, const struct view *b, __u64 dt,
		       bool pct)
{
	__u64 tot[NC + NP + 3] = {};
	char buf[32];

	fprintf(r->out, "%-10s", pct ? "state(%)" : "state(ms)");
	for (int i = 0; i < r->ncols; i++)
		fprintf(r->out, " %10s", r->cols[i].name);
	fputc('\n', r->out);
	for (int c = 0; c <= r->ncpus; c++) {
		bool total = c == r->ncpus;

		snprintf(buf, sizeof(buf), total ? "total" : "CPU-%d", c);
		fprintf(r->out, "%-10s", buf);
		for (int i = 0; i < r->ncols; i++) {
			__u64 v = total ? tot[i] : col_delta(a, b, c, &r->cols[i]);
			double div = (double)dt * (total ? r->ncpus : 1);

			if (!total)
				tot[i] += v;
			if (pct)
				fprintf(r->out, " %10.1f", dt ? 100.0 * (double)v / div : 0.0);
			else
				fprintf(r->out, " %10s",
					fmt_u64(buf, (v + 500000) / 1000000, !r->opt->run.no_sep));
		}
		fputc('\n', r->out);
	}
}

static void print_table(const struct run *r, const struct view *a, const struct view *b,
			__u64 dt, const char *what)
{
	fprintf(r->out, "\nCPU states statistics: %s %.3f s\n", what, (double)dt / 1e9);
	print_rows(r, a, b, dt, false);
	print_rows(r, a, b, dt, true);
	fflush(r->out);
}

/* The events about CPU c from a to b (c < 0: every CPU). */
static struct cs_events ev_delta(const struct run *r, const struct view *a, const struct view *b,
				 int c)
{
	struct cs_events d, sum = {};

	for (int i = 0; i < r->ncpus; i++) {
		if (c >= 0 && i != c)
			continue;
		REC_DELTA(&d, &b[i].ev, &a[i].ev);
		REC_ADD(&sum, &d);
	}
	return sum;
}

static void json_cpu(struct jw *w, const struct run *r, const struct view *a,
		     const struct view *b, int c)
{
	struct cs_events ev = ev_delta(r, a, b, c);
	__u64 sum = 0;

	jw_i64(w, "cpu", c);
	jw_arr(w, "cstate_ns");
	for (int i = 0; i < r->ncols; i++)
		if (r->cols[i].kind == COL_C)
			jw_u64(w, NULL, col_delta(a, b, c, &r->cols[i]));
	jw_arr_end(w);
	jw_arr(w, "pstate_ns");
	for (int i = 0; i < r->ncols; i++)
		if (r->cols[i].kind == COL_P)
			jw_u64(w, NULL, col_delta(a, b, c, &r->cols[i]));
	jw_arr_end(w);
	for (int k = 0; k < NC; k++) {
		struct col t = { .kind = COL_C, .idx = k };

		sum += col_delta(a, b, c, &t);
	}
	jw_u64(w, "idle_ns", sum + col_delta(a, b, c, &(struct col){ .kind = COL_IDLE_UNK }));
	for (int k = 0; k < NP; k++) {
		struct col t = { .kind = COL_P, .idx = k };

		sum += col_delta(a, b, c, &t);
	}
	for (int k = COL_RUN; k <= COL_UNTRACKED; k++) {
		static const char *const names[] = { "running_nofreq_ns", "idle_unknown_ns",
						     "untracked_ns" };
		struct col t = { .kind = (enum col_kind)k };
		__u64 v = col_delta(a, b, c, &t);

		jw_u64(w, names[k - COL_RUN], v);
		sum += v;
	}
	jw_u64(w, "total_ns", sum);
	jw_u64(w, "idle_enter", ev.enter);
	jw_u64(w, "idle_exit", ev.exit);
	jw_u64(w, "freq_events", ev.freq);
}

static void print_json(const struct run *r, const struct view *a, const struct view *b,
		       __u64 dt, const char *type, int signal)
{
	struct cs_events ev = ev_delta(r, a, b, -1);
	struct jw w;

	jw_begin(&w, r->out);
	jw_str(&w, "type", type);
	jw_u64(&w, !strcmp(type, "summary") ? "duration_ns" : "period_ns", dt);
	jw_arr(&w, "cstates");
	for (int i = 0; i < r->ncols; i++)
		if (r->cols[i].kind == COL_C)
			jw_i64(&w, NULL, r->cols[i].idx);
	jw_arr_end(&w);
	jw_arr(&w, "pstates_khz");
	for (int i = 0; i < r->ncols; i++)
		if (r->cols[i].kind == COL_P)
			jw_u64(&w, NULL, r->cols[i].idx < CS_PSTATES ?
					 r->skel->bss->freq_khz[r->cols[i].idx] : 0);
	jw_arr_end(&w);
	jw_arr(&w, "cpus");
	for (int c = 0; c < r->ncpus; c++) {
		jw_obj(&w, NULL);
		json_cpu(&w, r, a, b, c);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_u64(&w, "idle_enter", ev.enter);
	jw_u64(&w, "idle_exit", ev.exit);
	jw_u64(&w, "freq_events", ev.freq);
	jw_u64(&w, "bad_cpu", ev.bad_cpu);
	if (signal >= 0)
		jw_i64(&w, "signal", signal);
	jw_end(&w);
}

static void print_banner(const struct run *r)
{
	const struct cs_sys *s = &r->sys;
	struct jw w;

	if (r->opt->run.json) {
		jw_begin(&w, r->out);
		jw_str(&w, "type", "start");
		jw_i64(&w, "ncpus", r->ncpus);
		jw_u64(&w, "interval_ns", (__u64)(r->opt->run.interval * 1e9));
		jw_bool(&w, "cpuidle", s->ncstates > 0);
		jw_bool(&w, "cpufreq", s->nfreqs > 0);
		jw_arr(&w, "cstate_names");
		for (int k = 0; k < s->ncstates; k++)
			jw_str(&w, NULL, s->cname[k]);
		jw_arr_end(&w);
		jw_arr(&w, "pstates_khz");
		for (int k = 0; k < s->nfreqs; k++)
			jw_u64(&w, NULL, s->khz[k]);
		jw_arr_end(&w);
		jw_end(&w);
		return;
	}
	fprintf(r->out, "cpustat: %d CPUs, tracepoints power:cpu_idle and power:cpu_frequency, interval %.3f s\n",
	       r->ncpus, r->opt->run.interval);
	if (s->ncstates) {
		fprintf(r->out, "C-states (cpuidle sysfs):");
		for (int k = 0; k < s->ncstates; k++)
			fprintf(r->out, " cstate-%d=%s", k, s->cname[k]);
		fputc('\n', r->out);
	}
	if (s->nfreqs) {
		fprintf(r->out, "P-states (cpufreq sysfs):");
		for (int k = 0; k < s->nfreqs; k++)
			fprintf(r->out, " pstate-%d=%uMHz", k, s->khz[k] / 1000);
		fputc('\n', r->out);
	}
	if (!s->ncstates || !s->nfreqs)
		fprintf(r->out, "no %s%s%s in sysfs: %s\n", s->ncstates ? "" : "cpuidle",
		       !s->ncstates && !s->nfreqs ? " or " : "", s->nfreqs ? "" : "cpufreq",
		       s->nfreqs ? "C-states are the indices power:cpu_idle reports"
				 : "P-states come only from power:cpu_frequency events (running = "
				   "time not idle at an unknown frequency)");
	fflush(r->out);
}

/* The interval: a table, or a JSON line. */
static void cs_print(void *ctx, const void *now, const void *then, __u64 dt)
{
	struct run *r = ctx;

	pick_cols(r, now);
	if (r->opt->run.json)
		print_json(r, then, now, dt, "interval", -1);
	else
		print_table(r, then, now, dt, "interval");
}

/* The whole run, what the tracepoints delivered over it, and the frequency slots seen. */
static void cs_summary(void *ctx, const void *last, const void *first, __u64 dt, int signal)
{
	struct run *r = ctx;
	struct cs_events ev = ev_delta(r, first, last, -1);
	char a[32], b[32], c[32], d[32];
	bool sep = !r->opt->run.no_sep;

	pick_cols(r, last);
	if (r->opt->run.json) {
		print_json(r, first, last, dt, "summary", signal);
		return;
	}
	print_table(r, first, last, dt, "whole run");
	fprintf(r->out, "events: power:cpu_idle %s (%s enter, %s exit), power:cpu_frequency %s\n",
	       fmt_u64(a, ev.enter + ev.exit, sep), fmt_u64(b, ev.enter, sep),
	       fmt_u64(c, ev.exit, sep), fmt_u64(d, ev.freq, sep));
	if (npslots(r) > (__u32)r->sys.nfreqs) {
		fprintf(r->out, "frequencies seen only in events:");
		for (__u32 k = (__u32)r->sys.nfreqs; k < npslots(r); k++)
			if (r->skel->bss->freq_khz[k])
				fprintf(r->out, " pstate-%u=%uMHz", k, r->skel->bss->freq_khz[k] / 1000);
		fputc('\n', r->out);
	}
	if (r->skel->bss->nr_pslots > CS_PSTATES)
		fprintf(r->out, "more than %d frequencies: the rest share pstate-%d+\n", CS_PSTATES,
		       CS_PSTATES);
	if (ev.bad_cpu)
		fprintf(r->out, "%s events named a CPU beyond the %d possible ones (ignored)\n",
		       fmt_u64(a, ev.bad_cpu, sep), r->ncpus);
}

static const struct sampler_ops cs_ops = {
	.collect = collect,
	.print = cs_print,
	.summary = cs_summary,
};

/* ------------------------------------------------------------------ run */

/* Open, size and load the programs, and seed every CPU's timeline (before attach). */
static int setup(struct run *r)
{
	struct cpustat_kern *skel;
	int err;

	skel = cpustat_kern__open();
	if (!skel)
		return report(-errno, EXIT_FAIL_BPF, "open BPF object");
	r->skel = skel;
	skel->rodata->cfg.ncpus = (__u32)r->ncpus;
	err = bpf_map__set_max_entries(skel->maps.cpu_recs, (__u32)r->ncpus);
	if (err)
		return report(err, EXIT_FAIL_BPF, "size the per-CPU map");
	err = cpustat_kern__load(skel);
	if (err)
		return report(err, EXIT_FAIL_BPF, "load BPF programs (details with -vv)");
	r->fd = bpf_map__fd(skel->maps.cpu_recs);
	err = seed_state(r);
	if (err)
		return report(err, EXIT_FAIL_BPF, "initialise the maps");
	return 0;
}

int main(int argc, char **argv)
{
	struct cs_opts opt = cs_defaults;
	struct run run = { .opt = &opt };
	struct sampler smp = SAMPLER_INIT;
	int err, ret;

	ret = tool_begin(argc, argv, &cs_tool, &opt);
	if (ret >= 0)
		return ret;
	ret = priv_require(NEED_BPF | NEED_PERFMON);
	if (ret)
		return ret;
	log_setup(opt.run.verbose);

	run.ncpus = ncpus_possible();
	if (run.ncpus <= 0)
		return report(run.ncpus, EXIT_FAIL, "count possible CPUs");
	run.seed_idle = calloc((size_t)run.ncpus, sizeof(__u64));
	run.idle_now = calloc((size_t)run.ncpus, sizeof(__u64));
	if (!run.seed_idle || !run.idle_now ||
	    sampler_init(&smp, &cs_ops, &run, (size_t)run.ncpus * sizeof(struct view), &opt.run,
			 0)) {
		ret = report(-ENOMEM, EXIT_FAIL_MEM, "allocate statistics");
		goto out;
	}
	run.out = smp.out.f;
	sys_discover(&run.sys, run.ncpus);

	ret = setup(&run);
	if (ret)
		goto out;
	/* the run starts at the seed: the loop's clock with it, then the programs are attached */
	err = sampler_start(&smp);
	if (err) {
		ret = sampler_report(&smp, err, "read statistics");
		goto out;
	}
	err = cpustat_kern__attach(run.skel);
	if (err) {
		ret = report(err, EXIT_FAIL_BPF,
			     "attach to power:cpu_idle and power:cpu_frequency");
		goto out;
	}
	print_banner(&run);
	if (opt.kick_cpufreq)
		kick_cpufreq(run.out, opt.run.json);

	err = sampler_run(&smp);
	/* detach first: whatever the output does next, the tracepoints are free */
	cpustat_kern__detach(run.skel);
	if (err)
		ret = sampler_report(&smp, err, "read statistics");
	ret = sampler_end(&smp, ret, true);
out:
	sampler_close(&smp);
	cpustat_kern__destroy(run.skel);
	free(run.seed_idle);
	free(run.idle_now);
	return ret;
}
