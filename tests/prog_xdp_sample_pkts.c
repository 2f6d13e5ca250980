// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_PROG_TEST_RUN tests of xdp_sample_pkts_kern.c. A test run executes on the calling CPU
 * and bpf_perf_event_output(BPF_F_CURRENT_CPU) writes into that CPU's perf buffer, so the
 * records can be read back with perf_buffer__consume right after the run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common_user.h"
#include "prog_run.h"
#include "xdp_sample_pkts.h"
#include "xdp_sample_pkts.skel.h"

#define REC_MAX 256

struct rec {
	struct sample_hdr h;
	__u32 size;		/* perf record size as delivered */
	int cpu;
	__u8 data[3500];
};

struct sink {
	int n;
	__u64 lost;
	struct rec *r;		/* REC_MAX entries */
};

static void on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	struct sink *s = ctx;
	struct rec *r;

	if (s->n >= REC_MAX)
		return;
	r = &s->r[s->n++];
	r->size = size;
	r->cpu = cpu;
	memset(&r->h, 0, sizeof(r->h));
	if (size >= sizeof(r->h))
		memcpy(&r->h, data, sizeof(r->h));
	if (size > sizeof(r->h))
		memcpy(r->data, (__u8 *)data + sizeof(r->h),
		       size - sizeof(r->h) < sizeof(r->data) ? size - sizeof(r->h) : sizeof(r->data));
}

static void on_lost(void *ctx, int cpu, __u64 cnt)
{
	(void)cpu;
	((struct sink *)ctx)->lost += cnt;
}

struct fixture {
	struct xdp_sample_pkts_kern *skel;
	struct perf_buffer *pb;
	struct sink sink;
};

#define PROG(f) bpf_program__fd((f)->skel->progs.xdp_sample_prog)
#define STATS(f) bpf_map__fd((f)->skel->maps.sample_stats)

static void fx_destroy(struct fixture *f)
{
	perf_buffer__free(f->pb);
	xdp_sample_pkts_kern__destroy(f->skel);
	free(f->sink.r);
}

/* Load with snaplen/rate (and a perf buffer reader when reader); false when the test must end. */
static bool fx_load(struct fixture *f, __u32 snaplen, __u32 rate, bool reader)
{
	memset(f, 0, sizeof(*f));
	f->sink.r = calloc(REC_MAX, sizeof(struct rec));
	if (!ASSERT_OK_PTR(f->sink.r, "calloc"))
		return false;
	f->skel = xdp_sample_pkts_kern__open();
	if (!ASSERT_OK_PTR(f->skel, "open"))
		return false;
	f->skel->rodata->cfg.snaplen = snaplen;
	f->skel->rodata->cfg.rate = rate;
	if (!LOADED(xdp_sample_pkts_kern__load(f->skel), "xdp_sample_pkts_kern"))
		return false;
	if (!reader)
		return true;
	f->pb = perf_buffer__new(bpf_map__fd(f->skel->maps.samples), 64, on_sample, on_lost,
				 &f->sink, NULL);
	return ASSERT_OK_PTR(f->pb, "perf_buffer__new");
}

static struct sample_stats stats(struct fixture *f)
{
	struct sample_stats r;

	MAP_SUM(STATS(f), 0, &r);
	return r;
}

/* Check one record against the frame that produced it. */
static bool rec_ok(const struct rec *r, const __u8 *pkt, __u32 len, __u32 snaplen, __u64 seq,
		   __u64 t0, __u64 t1, int cpu)
{
	__u32 cap = len < snaplen ? len : snaplen;
	bool ok = true;

	ok &= ASSERT_EQ(r->h.magic, SAMPLE_MAGIC, "magic");
	ok &= ASSERT_EQ(r->h.cap_len, cap, "cap_len = min(snaplen, len)");
	ok &= ASSERT_EQ(r->h.pkt_len, len, "pkt_len");
	ok &= ASSERT_EQ(r->h.ifindex, 1, "ifindex (lo)");
	ok &= ASSERT_EQ(r->h.rx_queue, 0, "rx_queue");
	ok &= ASSERT_EQ(r->h.seq, seq, "seq");
	ok &= ASSERT_TRUE(r->h.ktime_ns >= t0 && r->h.ktime_ns <= t1,
			  "ktime_ns is CLOCK_MONOTONIC, within the run");
	ok &= ASSERT_EQ(r->cpu, cpu, "record on the CPU that ran the program");
	/* the perf record is padded to 8 bytes: header + cap + 4-byte size field */
	ok &= ASSERT_EQ(r->size, ((sizeof(r->h) + cap + 4 + 7) & ~7u) - 4, "record size");
	ok &= ASSERT_TRUE(!memcmp(r->data, pkt, cap), "captured bytes equal the frame");
	return ok;
}

/* Every length from 14 (the smallest BPF_PROG_TEST_RUN takes) to 129 bytes and two big frames,
 * with snaplen 1, 64 (below and above the frame length) and the maximum. */
TEST(sample_every_length_passes_record_layout)
{
	static const __u32 snaps[] = { 1, SAMPLE_SNAPLEN_DEF, SAMPLE_SNAPLEN_MAX };
	static __u8 pkt[3500];

	for (__u32 i = 0; i < sizeof(pkt); i++)
		pkt[i] = (__u8)(i * 7 + 3);
	pkt_udp(pkt, 128, false);	/* real headers in front of the pattern */
	for (size_t s = 0; s < ARRAY_SIZE(snaps); s++) {
		struct fixture f;
		struct cpu_mask old;	/* pinned: consecutive runs share the per-CPU counter */
		__u32 lens[REC_MAX];
		int n = 0, cpu;
		__u64 t0, t1;

		if (!fx_load(&f, snaps[s], 1, true)) {
			fx_destroy(&f);
			return;
		}
		cpu = cpu_pin(&old);
		t0 = now_ns();
		for (__u32 len = 14; len <= 131; len++) {
			__u32 l = len == 130 ? 1500 : len == 131 ? 3500 : len;
			struct xdp_run r = { .data = pkt, .len = l, .repeat = 1, .ifindex = 1 };

			if (!ASSERT_OK(xdp_run(PROG(&f), &r), "run") ||
			    !ASSERT_EQ(r.retval, XDP_PASS, "verdict always XDP_PASS"))
				break;
			lens[n++] = l;
		}
		t1 = now_ns();
		ASSERT_TRUE(perf_buffer__consume(f.pb) >= 0, "consume");
		cpu_unpin(&old);
		ASSERT_EQ(f.sink.lost, 0, "nothing lost");
		ASSERT_EQ(f.sink.n, n, "one record per frame");
		for (int i = 0; i < f.sink.n && i < n; i++)
			if (!rec_ok(&f.sink.r[i], pkt, lens[i], snaps[s], (__u64)i, t0, t1, cpu))
				break;
		ASSERT_EQ(stats(&f).seen, n, "seen");
		ASSERT_EQ(stats(&f).sampled, n, "sampled");
		ASSERT_EQ(stats(&f).out_err, 0, "no output errors");
		fx_destroy(&f);
	}
}

/* 1 in 7, per CPU: frames 0, 7, 14, ... of the CPU are sampled, across separate runs too. */
TEST(sample_rate_exact)
{
	struct fixture f;
	struct cpu_mask old;	/* pinned: consecutive runs share the per-CPU counter */
	__u8 pkt[64];
	int cpu;
	__u64 t0, t1;

	if (!fx_load(&f, 32, 7, true))
		goto out;
	pkt_udp(pkt, sizeof(pkt), false);
	cpu = cpu_pin(&old);
	t0 = now_ns();
	{
		struct xdp_run a = { .data = pkt, .len = sizeof(pkt), .repeat = 1000, .ifindex = 1 };
		struct xdp_run b = { .data = pkt, .len = sizeof(pkt), .repeat = 5, .ifindex = 1 };

		ASSERT_OK(xdp_run(PROG(&f), &a), "run 1000");
		ASSERT_EQ(a.retval, XDP_PASS, "verdict");
		ASSERT_EQ(stats(&f).seen, 1000, "seen after 1000");
		ASSERT_EQ(stats(&f).sampled, 143, "ceil(1000 / 7) sampled");
		/* frames 1000..1004: only 1001 = 143 * 7 is sampled */
		ASSERT_OK(xdp_run(PROG(&f), &b), "run 5");
	}
	t1 = now_ns();
	ASSERT_TRUE(perf_buffer__consume(f.pb) >= 0, "consume");
	cpu_unpin(&old);
	ASSERT_EQ(stats(&f).seen, 1005, "seen");
	ASSERT_EQ(stats(&f).sampled, 144, "sampled");
	ASSERT_EQ(f.sink.n, 144, "records");
	for (int i = 0; i < f.sink.n; i++)
		if (!rec_ok(&f.sink.r[i], pkt, sizeof(pkt), 32, (__u64)i * 7, t0, t1, cpu))
			break;
out:
	fx_destroy(&f);
}

TEST(sample_rate_one_in_a_million_takes_the_first)
{
	struct fixture f;
	__u8 pkt[60];
	struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .repeat = 10000, .ifindex = 1 };

	if (!fx_load(&f, 64, 1000000, true))
		goto out;
	pkt_udp(pkt, sizeof(pkt), false);
	if (ASSERT_OK(xdp_run(PROG(&f), &r), "run"))
		ASSERT_EQ(r.retval, XDP_PASS, "verdict");
	ASSERT_TRUE(perf_buffer__consume(f.pb) >= 0, "consume");
	ASSERT_EQ(stats(&f).seen, 10000, "seen");
	ASSERT_EQ(stats(&f).sampled, 1, "sampled: frame 0 only");
	ASSERT_EQ(f.sink.n, 1, "one record");
	ASSERT_EQ(f.sink.r[0].h.cap_len, 60, "snaplen 64 > 60-byte frame: whole frame");
out:
	fx_destroy(&f);
}

/* Nobody reads the perf buffer: the helper fails, the frame still passes, the error counts. */
TEST(sample_without_reader_counts_errors_and_passes)
{
	struct fixture f;
	__u8 pkt[64];
	struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .repeat = 50 };

	if (!fx_load(&f, 64, 1, false))
		goto out;
	pkt_udp(pkt, sizeof(pkt), false);
	if (ASSERT_OK(xdp_run(PROG(&f), &r), "run"))
		ASSERT_EQ(r.retval, XDP_PASS, "verdict");
	ASSERT_EQ(stats(&f).seen, 50, "seen");
	ASSERT_EQ(stats(&f).sampled, 0, "sampled");
	ASSERT_EQ(stats(&f).out_err, 50, "output errors");
out:
	fx_destroy(&f);
}

/* Loaded as is (ip link ... xdp obj): snaplen 64, every frame; out-of-range rodata is clamped. */
TEST(sample_hand_loaded_defaults_and_bad_config)
{
	static const __u32 snaps[] = { 0 /* unused: object defaults */, 0, 100000 };
	__u8 pkt[128];

	pkt_udp(pkt, sizeof(pkt), true);
	for (size_t i = 0; i < ARRAY_SIZE(snaps); i++) {
		struct fixture f;
		struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .repeat = 1, .ifindex = 1 };
		bool ok;

		if (i == 0) {
			/* the object's own defaults: no rodata written */
			memset(&f, 0, sizeof(f));
			f.sink.r = calloc(REC_MAX, sizeof(struct rec));
			f.skel = xdp_sample_pkts_kern__open_and_load();
			ok = ASSERT_OK_PTR(f.skel, "open_and_load") && ASSERT_OK_PTR(f.sink.r, "calloc");
			if (ok) {
				f.pb = perf_buffer__new(bpf_map__fd(f.skel->maps.samples), 8,
							on_sample, on_lost, &f.sink, NULL);
				ok = ASSERT_OK_PTR(f.pb, "perf_buffer__new");
			}
		} else {
			ok = fx_load(&f, snaps[i], 0, true);
		}
		if (ok && ASSERT_OK(xdp_run(PROG(&f), &r), "run")) {
			ASSERT_EQ(r.retval, XDP_PASS, "verdict");
			ASSERT_TRUE(perf_buffer__consume(f.pb) >= 0, "consume");
			ASSERT_EQ(f.sink.n, 1, "every frame sampled (rate 1 or 0)");
			ASSERT_EQ(f.sink.r[0].h.cap_len, SAMPLE_SNAPLEN_DEF, "default snaplen");
		}
		fx_destroy(&f);
		if (!ok)
			return;
	}
}

/* The fuzz reader keeps only the last record, to compare it with the frame just run. */
struct fuzz_sink {
	__u64 n, lost, bad;
	struct rec last;
};

static void fuzz_on_sample(void *ctx, int cpu, void *data, __u32 size)
{
	struct fuzz_sink *s = ctx;

	s->n++;
	s->last.cpu = cpu;
	s->last.size = size;
	if (size < sizeof(s->last.h)) {
		s->bad++;
		return;
	}
	memcpy(&s->last.h, data, sizeof(s->last.h));
	memcpy(s->last.data, (__u8 *)data + sizeof(s->last.h),
	       size - sizeof(s->last.h) < sizeof(s->last.data) ? size - sizeof(s->last.h)
							       : sizeof(s->last.data));
}

static void fuzz_on_lost(void *ctx, int cpu, __u64 cnt)
{
	(void)cpu;
	((struct fuzz_sink *)ctx)->lost += cnt;
}

/* fuzz_runs() random and mutated frames, every one sampled with the largest snaplen: always
 * XDP_PASS, every record's lengths and bytes match its frame, counters add up. */
TEST(sample_fuzz_random_frames)
{
	struct fixture f;
	struct fuzz_sink s = {};
	struct perf_buffer *pb = NULL;
	__u8 buf[1514];
	__u64 rng = 0x5eed0005, bad = 0;
	__u32 runs = fuzz_runs();
	int kind = 0;

	if (!fx_load(&f, SAMPLE_SNAPLEN_MAX, 1, false))
		goto out;
	pb = perf_buffer__new(bpf_map__fd(f.skel->maps.samples), 64, fuzz_on_sample, fuzz_on_lost,
			      &s, NULL);
	if (!ASSERT_OK_PTR(pb, "perf_buffer__new"))
		goto out;
	for (__u32 i = 0; i < runs; i++) {
		struct xdp_run r = { .data = buf, .repeat = 1 };
		__u64 before = s.n;

		r.len = fuzz_frame(buf, sizeof(buf), &rng, &kind);
		if (xdp_run(PROG(&f), &r) || r.retval != XDP_PASS) {
			if (!bad++)
				ASSERT_EQ(r.retval, XDP_PASS, "verdict for a fuzzed frame");
			continue;
		}
		perf_buffer__consume(pb);
		if (s.n != before + 1 || s.last.h.pkt_len != r.len || s.last.h.cap_len != r.len ||
		    memcmp(s.last.data, buf, r.len)) {
			if (!bad++)
				ASSERT_TRUE(false, "one record per frame, with its length and bytes");
		}
	}
	ASSERT_EQ(bad, 0, "runs with a wrong verdict or record");
	ASSERT_EQ(s.bad, 0, "records shorter than their header");
	ASSERT_EQ(s.lost, 0, "lost records");
	ASSERT_EQ(stats(&f).seen, runs, "seen == runs");
	ASSERT_EQ(stats(&f).sampled, runs, "sampled == runs");
	ASSERT_EQ(stats(&f).out_err, 0, "no output errors");
out:
	perf_buffer__free(pb);
	fx_destroy(&f);
}
