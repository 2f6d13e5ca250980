/* SPDX-License-Identifier: GPL-2.0 */
/* cpustat.h: contract between cpustat_kern.c and cpustat_user.c */
#ifndef CPUSTAT_H
#define CPUSTAT_H

#define CS_CSTATES 16		/* idle states 0..15; slot CS_CSTATES collects higher indices */
#define CS_PSTATES 32		/* frequency slots; slot CS_PSTATES collects the rest */
#define CS_IDLE_EXIT 0xffffffffU	/* power:cpu_idle state of an idle exit (PWR_EVENT_EXIT) */

/*
 * What a CPU is doing since cs_rec.ts. CS_ST_UNKNOWN until the first cpu_idle event about it,
 * which tells what came before: an idle entry means it was running, an idle exit that it was
 * idle in a state nobody named (CS_ST_IDLE_UNKNOWN, credited to idle_unknown_ns); before that
 * the time is "untracked". CS_ST_RUN: not idle (its time goes to the frequency slot, or to
 * run_nofreq when no frequency is known). 0..CS_CSTATES: idle in that slot.
 */
enum cs_state {
	CS_ST_IDLE_UNKNOWN = CS_CSTATES + 1,	/* never stored: CS_ST_UNKNOWN, found idle */
	CS_ST_UNKNOWN = 0xfffe,
	CS_ST_RUN = 0xffff,
};
#define CS_PS_UNKNOWN 0xffffU	/* no frequency known yet */

/* One record per possible CPU (ARRAY cpu_recs, max_entries set to the CPU count before load). */
struct cs_rec {
	__u64 ts;			/* start of the open period (ns, CLOCK_MONOTONIC), 0: none */
	__u32 state;			/* enum cs_state or an idle slot */
	__u32 pslot;			/* current frequency slot or CS_PS_UNKNOWN */
	__u64 cstate_ns[CS_CSTATES + 1];	/* closed time idle in each state */
	__u64 pstate_ns[CS_PSTATES + 1];	/* closed time running at each frequency slot */
	__u64 run_nofreq_ns;		/* closed time running before any known frequency */
	__u64 idle_unknown_ns;		/* closed time idle before the first event (state unknown) */
	__u64 untracked_ns;		/* closed time before the first event that tells the state */
	__u64 idle_enter, idle_exit;	/* power:cpu_idle events about this CPU */
	__u64 freq_events;		/* power:cpu_frequency events about this CPU */
	__u64 bad_cpu;			/* events about a CPU >= the map size (counted on CPU 0) */
};

struct cs_cfg {			/* .rodata, written before load */
	__u32 ncpus;		/* entries of cpu_recs (the possible CPUs) */
	__u32 test_clock;	/* tests only: take the time from the global test_now_ns */
};

#endif /* CPUSTAT_H */
