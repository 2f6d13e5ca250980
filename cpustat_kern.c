// SPDX-License-Identifier: GPL-2.0
/*
 * cpustat_kern.c: per-CPU residency in idle states (C-states) and at each frequency (P-states)
 * from the power:cpu_idle and power:cpu_frequency tracepoints.
 *
 * Every CPU has one timeline: each event closes the open period [ts, now] of the CPU it is
 * about and credits it to what the CPU was doing (idle in state K, running at frequency slot F,
 * running at an unknown frequency, or untracked before the first event), then records the new
 * state. User space credits the still-open period itself when it reads, so no CPU has to be
 * woken up. Raw tracepoints (not tp_btf) so that the tests can run the programs with
 * BPF_PROG_TEST_RUN on a chosen CPU.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "cpustat.h"

const volatile struct cs_cfg cfg = { .ncpus = 1 };

__u64 test_now_ns;			/* the clock when cfg.test_clock is set (tests only) */
__u32 nr_pslots;			/* frequency slots handed out (may exceed CS_PSTATES) */
__u32 freq_khz[CS_PSTATES];		/* frequency of each slot, 0: unused */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);		/* set to the number of possible CPUs before load */
	__type(key, __u32);
	__type(value, struct cs_rec);
} cpu_recs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CS_PSTATES);
	__type(key, __u32);		/* kHz */
	__type(value, __u32);		/* slot */
} freq_slot SEC(".maps");

#define ADD(p, v) __sync_fetch_and_add((p), (v))

static __always_inline __u64 clock_now(void)
{
	return cfg.test_clock ? test_now_ns : bpf_ktime_get_ns();
}

/* The record of the CPU an event is about; events about unknown CPUs are counted on CPU 0. */
static __always_inline struct cs_rec *rec_of(__u32 cpu)
{
	__u32 zero = 0;
	struct cs_rec *r;

	if (cpu < cfg.ncpus) {
		r = bpf_map_lookup_elem(&cpu_recs, &cpu);
		if (r)
			return r;
	}
	r = bpf_map_lookup_elem(&cpu_recs, &zero);
	if (r)
		ADD(&r->bad_cpu, 1);
	return NULL;
}

/* What an event says about the state before it: an idle entry was running, an idle exit idle. */
enum cs_event { CS_EV_FREQ, CS_EV_IDLE_ENTER, CS_EV_IDLE_EXIT };

/* Credit [ts, now] to what the CPU was doing; the atomic exchange makes each instant count once
 * even when an event about this CPU runs on another CPU at the same time. An idle event also
 * tells what an unknown state was. */
static __always_inline void close_period(struct cs_rec *r, __u64 now, enum cs_event ev)
{
	__u64 prev = __sync_lock_test_and_set(&r->ts, now);
	__u32 st = r->state, ps = r->pslot;
	__u64 d;

	if (!prev) {		/* first event about this CPU, no seed: nothing known before */
		r->pslot = CS_PS_UNKNOWN;
		return;
	}
	if (now <= prev)
		return;
	d = now - prev;
	if (st == CS_ST_UNKNOWN && ev != CS_EV_FREQ)
		st = ev == CS_EV_IDLE_ENTER ? CS_ST_RUN : CS_ST_IDLE_UNKNOWN;
	if (st == CS_ST_RUN) {
		if (ps <= CS_PSTATES)
			ADD(&r->pstate_ns[ps], d);
		else
			ADD(&r->run_nofreq_ns, d);
	} else if (st <= CS_CSTATES) {
		ADD(&r->cstate_ns[st], d);
	} else if (st == CS_ST_IDLE_UNKNOWN) {
		ADD(&r->idle_unknown_ns, d);
	} else {
		ADD(&r->untracked_ns, d);
	}
}

/* The slot of a frequency: known ones from the table user space filled from cpufreq sysfs, new
 * ones get the next free slot, and once the slots are used up they share slot CS_PSTATES. */
static __always_inline __u32 pslot_of(__u32 khz)
{
	__u32 *s = bpf_map_lookup_elem(&freq_slot, &khz);
	__u32 idx, val;

	if (s)
		return *s < CS_PSTATES ? *s : CS_PSTATES;
	idx = __sync_fetch_and_add(&nr_pslots, 1);
	if (idx >= CS_PSTATES)
		return CS_PSTATES;
	freq_khz[idx] = khz;
	/* The map gets a copy: the helper takes its address, so it lives on the stack and is read
	 * back after the call, and the verifiers of 6.1 and 6.12 do not carry idx's bound to such
	 * a copy ("unbounded memory access" at freq_khz[idx] below). idx itself, never
	 * address-taken, stays in a register with its bound. */
	val = idx;
	if (bpf_map_update_elem(&freq_slot, &khz, &val, BPF_NOEXIST)) {
		/* another CPU registered it meanwhile: leave this slot unused */
		freq_khz[idx] = 0;
		s = bpf_map_lookup_elem(&freq_slot, &khz);
		return s && *s < CS_PSTATES ? *s : CS_PSTATES;
	}
	return idx;
}

SEC("raw_tp/cpu_idle")
int BPF_PROG(cs_cpu_idle, unsigned int state, unsigned int cpu_id)
{
	struct cs_rec *r = rec_of(cpu_id);

	if (!r)
		return 0;
	close_period(r, clock_now(), state == CS_IDLE_EXIT ? CS_EV_IDLE_EXIT : CS_EV_IDLE_ENTER);
	if (state == CS_IDLE_EXIT) {
		r->state = CS_ST_RUN;
		ADD(&r->idle_exit, 1);
	} else {
		r->state = state < CS_CSTATES ? state : CS_CSTATES;
		ADD(&r->idle_enter, 1);
	}
	return 0;
}

SEC("raw_tp/cpu_frequency")
int BPF_PROG(cs_cpu_frequency, unsigned int khz, unsigned int cpu_id)
{
	struct cs_rec *r = rec_of(cpu_id);
	__u32 slot;

	if (!r)
		return 0;
	slot = pslot_of(khz);
	close_period(r, clock_now(), CS_EV_FREQ);
	r->pslot = slot;
	ADD(&r->freq_events, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
