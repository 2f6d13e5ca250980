// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz of the XDP programs whose own test files do not fuzz them (xdp_rxq_info, xdp_fwd and
 * xdp_sample_pkts fuzz in theirs): 100,000 random and mutated frames each, verdicts only from
 * the documented set, counters adding up to the number of runs.
 */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common_user.h"
#include "prog_run.h"
#include "xdpsock.h"
#include "xdpsock.skel.h"

/* xdpsock_kern with three (empty) socket slots: frames of queue 0 find no socket and get the
 * bpf_redirect_map() fallback, XDP_PASS; the record accounts for every frame. */
TEST(xsk_fuzz_100k_frames)
{
	struct xdpsock_kern *s = xdpsock_kern__open();
	__u8 buf[1514];
	__u64 rng = 0x5eed0004, bad = 0, total[XSK_REC_N], sum = 0;
	__u32 runs = 100000;
	int err, kind = 0;

	if (!ASSERT_OK_PTR(s, "open xdpsock_kern"))
		return;
	s->rodata->cfg.queue = 0;
	s->rodata->cfg.nsocks = 3;
	err = xdpsock_kern__load(s);
	if (err) {
		if (!skip_if_eperm(err, "load xdpsock"))
			ASSERT_OK(err, "load xdpsock_kern");
		goto out;
	}
	for (__u32 i = 0; i < runs; i++) {
		struct xdp_run r = { .data = buf, .repeat = 1 };

		r.len = fuzz_frame(buf, sizeof(buf), &rng, &kind);
		if ((xdp_run(bpf_program__fd(s->progs.xdpsock_prog), &r) || r.retval != XDP_PASS) &&
		    !bad++)
			ASSERT_EQ(r.retval, XDP_PASS, "verdict for a fuzzed frame (no socket bound)");
	}
	ASSERT_EQ(bad, 0, "runs with another verdict");
	if (!ASSERT_OK(percpu_sum(bpf_map__fd(s->maps.xsk_stats), 0, XSK_REC_N, ncpus_possible(),
				  NULL, total), "read xsk_stats"))
		goto out;
	for (unsigned int k = 1; k < XSK_REC_N; k++)	/* [0] is the cursor */
		sum += total[k];
	ASSERT_EQ(total[2], runs, "no_socket == runs");
	ASSERT_EQ(sum, runs, "every frame counted exactly once");
out:
	xdpsock_kern__destroy(s);
}
