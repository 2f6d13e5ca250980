// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_PROG_TEST_RUN tests of cpustat_kern.c: synthetic power:cpu_idle / power:cpu_frequency
 * event sequences with chosen timestamps (the test clock in .bss), run on chosen CPUs, and the
 * exact time credited to each state.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common_user.h"
#include "prog_run.h"
#include "cpustat.h"
#include "cpustat.skel.h"

#define EXIT CS_IDLE_EXIT

/* Loaded for ncpus CPUs (test_clock: the clock is bss test_now_ns); NULL when the test must
 * end (skipped or failed). */
static struct cpustat_kern *load_or_end(__u32 ncpus, bool test_clock)
{
	struct cpustat_kern *s = cpustat_kern__open();
	int err;

	if (!ASSERT_OK_PTR(s, "open cpustat_kern"))
		return NULL;
	s->rodata->cfg.ncpus = ncpus;
	s->rodata->cfg.test_clock = test_clock;
	err = bpf_map__set_max_entries(s->maps.cpu_recs, ncpus);
	if (!LOADED(err ? err : cpustat_kern__load(s), "cpustat_kern")) {
		cpustat_kern__destroy(s);
		return NULL;
	}
	return s;
}

/* One event at time t, run on CPU run_cpu, about CPU cpu_id (args: state or kHz, cpu_id). */
static int event(struct cpustat_kern *s, struct bpf_program *p, __u64 t, __u32 arg,
		 __u32 cpu_id, __u32 run_cpu)
{
	__u64 args[2] = { arg, cpu_id };
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = args, .ctx_size_in = sizeof(args),
		    .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = run_cpu);

	s->bss->test_now_ns = t;
	if (bpf_prog_test_run_opts(bpf_program__fd(p), &o))
		return -errno;
	return (int)o.retval;
}

#define IDLE(s, t, st, cpu, on) event((s), (s)->progs.cs_cpu_idle, (t), (st), (cpu), (on))
#define FREQ(s, t, khz, cpu, on) event((s), (s)->progs.cs_cpu_frequency, (t), (khz), (cpu), (on))

static struct cs_rec rec(struct cpustat_kern *s, __u32 cpu)
{
	struct cs_rec r;

	memset(&r, 0xff, sizeof(r));
	bpf_map_lookup_elem(bpf_map__fd(s->maps.cpu_recs), &cpu, &r);
	return r;
}

static __u32 ncpus(void)
{
	int n = ncpus_possible();

	return n > 0 ? (__u32)n : 1;
}

TEST(cs_map_sized_by_possible_cpus)
{
	struct cpustat_kern *s = load_or_end(ncpus(), true);
	struct cs_rec r;
	__u32 k = ncpus();

	if (!s)
		return;
	ASSERT_EQ(bpf_map__max_entries(s->maps.cpu_recs), ncpus(), "max_entries");
	ASSERT_TRUE(bpf_map_lookup_elem(bpf_map__fd(s->maps.cpu_recs), &k, &r) < 0 &&
			    errno == ENOENT,
		    "no record beyond the possible CPUs");
	cpustat_kern__destroy(s);
}

/*
 * One CPU through idle entries and exits and frequency changes:
 *   t=1000 enter 1 (first event: nothing before it is known)
 *   5000 exit         cstate-1 += 4000
 *   7000 enter 0      running (no frequency yet) += 2000
 *   7500 exit         cstate-0 += 500
 *  10000 freq 1.2GHz  running += 2500, new slot 0
 *  12000 enter 2      pstate-0 += 2000
 *  20000 freq 0.8GHz  idle: cstate-2 += 8000, new slot 1
 *  21000 exit         cstate-2 += 1000
 *  24000 enter 1      pstate-1 += 3000
 */
TEST(cs_one_cpu_exact_durations)
{
	struct cpustat_kern *s = load_or_end(ncpus(), true);
	struct cs_rec r;
	int rc = 0;

	if (!s)
		return;
	rc |= IDLE(s, 1000, 1, 0, 0);
	rc |= IDLE(s, 5000, EXIT, 0, 0);
	rc |= IDLE(s, 7000, 0, 0, 0);
	rc |= IDLE(s, 7500, EXIT, 0, 0);
	rc |= FREQ(s, 10000, 1200000, 0, 0);
	rc |= IDLE(s, 12000, 2, 0, 0);
	rc |= FREQ(s, 20000, 800000, 0, 0);
	rc |= IDLE(s, 21000, EXIT, 0, 0);
	rc |= IDLE(s, 24000, 1, 0, 0);
	ASSERT_OK(rc, "test runs");
	r = rec(s, 0);
	ASSERT_EQ(r.cstate_ns[0], 500, "cstate-0");
	ASSERT_EQ(r.cstate_ns[1], 4000, "cstate-1");
	ASSERT_EQ(r.cstate_ns[2], 9000, "cstate-2");
	ASSERT_EQ(r.run_nofreq_ns, 4500, "running at an unknown frequency");
	ASSERT_EQ(r.pstate_ns[0], 2000, "pstate-0 (1.2 GHz)");
	ASSERT_EQ(r.pstate_ns[1], 3000, "pstate-1 (0.8 GHz)");
	ASSERT_EQ(r.untracked_ns, 0, "untracked");
	ASSERT_EQ(r.idle_enter, 4, "idle entries");
	ASSERT_EQ(r.idle_exit, 3, "idle exits");
	ASSERT_EQ(r.freq_events, 2, "frequency events");
	ASSERT_EQ(r.ts, 24000, "open period starts at the last event");
	ASSERT_EQ(r.state, 1, "now idle in state 1");
	ASSERT_EQ(r.pslot, 1, "at slot 1");
	ASSERT_EQ(s->bss->nr_pslots, 2, "two slots handed out");
	ASSERT_EQ(s->bss->freq_khz[0], 1200000, "slot 0 kHz");
	ASSERT_EQ(s->bss->freq_khz[1], 800000, "slot 1 kHz");
	ASSERT_EQ(rec(s, 0).bad_cpu, 0, "no bad CPU");
	cpustat_kern__destroy(s);
}

/* Events about CPU 1 run on CPU 0 and the reverse: each CPU keeps its own timeline. */
TEST(cs_cpus_independent_and_cross_cpu_events)
{
	struct cpustat_kern *s;
	int rc = 0;

	if (ncpus() < 2) {
		SKIP("needs two possible CPUs");
		return;
	}
	s = load_or_end(ncpus(), true);
	if (!s)
		return;
	rc |= IDLE(s, 100, 1, 0, 1);
	rc |= IDLE(s, 150, 0, 1, 0);
	rc |= FREQ(s, 200, 2000000, 1, 0);	/* cpufreq notifies from another CPU */
	rc |= IDLE(s, 400, EXIT, 0, 1);
	rc |= IDLE(s, 1150, EXIT, 1, 1);
	rc |= IDLE(s, 1400, 1, 0, 0);
	rc |= IDLE(s, 2150, 1, 1, 0);
	ASSERT_OK(rc, "test runs");
	ASSERT_EQ(rec(s, 0).cstate_ns[1], 300, "cpu0 cstate-1");
	ASSERT_EQ(rec(s, 0).run_nofreq_ns, 1000, "cpu0 running");
	ASSERT_EQ(rec(s, 0).freq_events, 0, "cpu0 no frequency event");
	ASSERT_EQ(rec(s, 1).cstate_ns[0], 1000, "cpu1 cstate-0 (across the frequency change)");
	ASSERT_EQ(rec(s, 1).pstate_ns[0], 1000, "cpu1 pstate-0");
	ASSERT_EQ(rec(s, 1).run_nofreq_ns, 0, "cpu1 frequency known while running");
	ASSERT_EQ(rec(s, 1).freq_events, 1, "cpu1 one frequency event");
	cpustat_kern__destroy(s);
}

/* Deep states share the last slot, unknown CPUs are counted and touch nothing. */
TEST(cs_bounds_checked)
{
	__u32 n = ncpus();
	struct cpustat_kern *s = load_or_end(n, true);
	struct cs_rec r;
	int rc = 0;

	if (!s)
		return;
	rc |= IDLE(s, 10, 7, 0, 0);
	rc |= IDLE(s, 20, EXIT, 0, 0);
	rc |= IDLE(s, 30, CS_CSTATES, 0, 0);
	rc |= IDLE(s, 100, EXIT, 0, 0);
	rc |= IDLE(s, 110, 0x7fffffff, 0, 0);
	rc |= IDLE(s, 200, EXIT, 0, 0);
	rc |= IDLE(s, 300, 1, n, 0);
	rc |= IDLE(s, 300, 1, 0xffffffff, 0);
	rc |= FREQ(s, 300, 1000000, n + 100, 0);
	ASSERT_OK(rc, "test runs");
	r = rec(s, 0);
	ASSERT_EQ(r.cstate_ns[7], 10, "state 7");
	ASSERT_EQ(r.cstate_ns[CS_CSTATES], 70 + 90, "states >= CS_CSTATES share the last slot");
	ASSERT_EQ(r.bad_cpu, 3, "events about CPUs that do not exist");
	ASSERT_EQ(r.ts, 200, "cpu0 untouched by them");
	ASSERT_EQ(r.idle_enter + r.idle_exit, 6, "cpu0 events");
	ASSERT_EQ(s->bss->nr_pslots, 0, "no slot for a bad CPU's frequency");
	cpustat_kern__destroy(s);
}

/* Known frequencies use their slots; unknown ones get new slots, then share the overflow slot:
 * their time is never dropped. */
TEST(cs_unknown_frequencies_bucketed)
{
	struct cpustat_kern *s = load_or_end(ncpus(), true);
	int fd, rc = 0;
	__u64 t = 1000, want_over = 0;
	__u32 known[2] = { 800000, 1600000 };

	if (!s)
		return;
	fd = bpf_map__fd(s->maps.freq_slot);
	for (__u32 i = 0; i < 2; i++) {
		ASSERT_OK(bpf_map_update_elem(fd, &known[i], &i, BPF_ANY), "preload slot");
		s->bss->freq_khz[i] = known[i];
	}
	s->bss->nr_pslots = 2;
	rc |= IDLE(s, t, EXIT, 0, 0);			/* running from t */
	rc |= FREQ(s, t += 100, 1600000, 0, 0);	/* running_nofreq 100, slot 1 */
	for (__u32 k = 0; k < CS_PSTATES + 8; k++) {	/* 40 new frequencies, 10 us each */
		rc |= FREQ(s, t += 10, 100000 + k * 1000, 0, 0);
		if (k >= CS_PSTATES - 2 + 1)		/* time at the previous one */
			want_over += 10;
	}
	rc |= IDLE(s, t += 10, 1, 0, 0);
	want_over += 10;
	ASSERT_OK(rc, "test runs");
	ASSERT_EQ(s->bss->nr_pslots, CS_PSTATES + 8 + 2 - 2 + 2, "slots asked for");
	ASSERT_EQ(rec(s, 0).pstate_ns[1], 10, "known 1.6 GHz slot");
	ASSERT_EQ(rec(s, 0).pstate_ns[0], 0, "known 0.8 GHz slot unused");
	ASSERT_EQ(s->bss->freq_khz[2], 100000, "first new frequency in slot 2");
	ASSERT_EQ(s->bss->freq_khz[CS_PSTATES - 1], 100000 + (CS_PSTATES - 3) * 1000,
		  "last slot");
	for (int k = 2; k < CS_PSTATES; k++)
		ASSERT_EQ(rec(s, 0).pstate_ns[k], 10, "new frequency slot");
	ASSERT_EQ(rec(s, 0).pstate_ns[CS_PSTATES], want_over, "overflow slot keeps the rest");
	ASSERT_EQ(rec(s, 0).run_nofreq_ns, 100, "running before the first frequency");
	cpustat_kern__destroy(s);
}

/* A timeline seeded by user space (start time, unknown state): the first cpu_idle event says
 * what came before (an exit: idle in an unknown state; an entry: running); a frequency event
 * does not, so that time stays untracked. Time never runs backwards. */
TEST(cs_seeded_start_resolved_by_first_idle_event)
{
	struct cpustat_kern *s = load_or_end(ncpus(), true);
	struct cs_rec r = { .ts = 100, .state = CS_ST_UNKNOWN, .pslot = CS_PS_UNKNOWN };
	int fd, rc = 0;
	__u32 cpu = 0;

	if (!s)
		return;
	fd = bpf_map__fd(s->maps.cpu_recs);
	ASSERT_OK(bpf_map_update_elem(fd, &cpu, &r, BPF_ANY), "seed cpu0");
	rc |= IDLE(s, 600, EXIT, 0, 0);	/* cpu0 was idle 100..600 */
	rc |= IDLE(s, 500, 1, 0, 0);	/* earlier than the last event: credits nothing */
	rc |= IDLE(s, 900, EXIT, 0, 0);
	if (ncpus() > 1) {
		cpu = 1;
		ASSERT_OK(bpf_map_update_elem(fd, &cpu, &r, BPF_ANY), "seed cpu1");
		rc |= FREQ(s, 300, 900000, 1, 0);	/* 100..300 untracked */
		rc |= IDLE(s, 1000, 2, 1, 1);		/* entry: it ran 300..1000 at 900 MHz */
	}
	ASSERT_OK(rc, "test runs");
	r = rec(s, 0);
	ASSERT_EQ(r.idle_unknown_ns, 500, "cpu0 idle in an unknown state until its first exit");
	ASSERT_EQ(r.untracked_ns, 0, "cpu0 nothing untracked");
	ASSERT_EQ(r.run_nofreq_ns, 0, "cpu0 clock going back credits nothing");
	ASSERT_EQ(r.cstate_ns[1], 400, "cpu0 then from 500 to 900 in state 1");
	if (ncpus() > 1) {
		r = rec(s, 1);
		ASSERT_EQ(r.untracked_ns, 200, "cpu1 a frequency event does not tell idle or not");
		ASSERT_EQ(r.pstate_ns[0], 700, "cpu1 running at 900 MHz before its first entry");
		ASSERT_EQ(r.idle_unknown_ns, 0, "cpu1 not idle");
	}
	cpustat_kern__destroy(s);
}

/* Loaded as the tool does (real clock), both programs attach and cpu_idle delivers events. */
TEST(cs_both_tracepoints_attach_and_idle_events_arrive)
{
	struct cpustat_kern *s = load_or_end(ncpus(), false);
	__u64 enter = 0;

	if (!s)
		return;
	if (!ASSERT_OK(cpustat_kern__attach(s), "attach"))
		goto out;
	ASSERT_OK_PTR(s->links.cs_cpu_idle, "cpu_idle link");
	ASSERT_OK_PTR(s->links.cs_cpu_frequency, "cpu_frequency link");
	for (int i = 0; i < 100 && !enter; i++) {
		usleep(20000);
		for (__u32 c = 0; c < ncpus(); c++)
			enter += rec(s, c).idle_enter;
	}
	ASSERT_TRUE(enter > 0, "power:cpu_idle events counted within 2 s");
out:
	cpustat_kern__destroy(s);
}
