// SPDX-License-Identifier: GPL-2.0
/*
 * progcost: per-packet cost of XDP programs from BPF_PROG_TEST_RUN with a large repeat count,
 * next to the floor (a program that only returns XDP_DROP). Each case runs --reps times,
 * alternating between cases so drift hits all alike; prints one JSON line per case with the
 * median ns/packet and its ratio to the floor's median.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common_user.h"
#include "prog_run.h"
#include "xdp_rxq_info.h"
#include "xdp_rxq_info.skel.h"

struct cost_opts {
	__u32 repeat, reps, size;
	const char *floor_obj;
};

#define O(...) OPTION(struct cost_opts, __VA_ARGS__)
static const struct opt_def cost_defs[] = {
	O("repeat", 'n', OPT_U32, repeat, "N", "runs per measurement", .min = 1, .max = 1e9),
	O("reps", 'r', OPT_U32, reps, "N", "measurements per case (median)", .min = 1, .max = 101),
	O("size", 's', OPT_U32, size, "BYTES", "frame size", .min = 42, .max = 3500),
	O("floor", 'f', OPT_STR, floor_obj, "OBJ", "object with xdp_floor_drop", .required = true),
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

struct cost_case {
	const char *name;
	int prog_fd;
	double ns[101];
};

static struct xdp_rxq_info_kern *rxq_load(__u32 action, __u32 flags, __u32 read_bytes)
{
	struct xdp_rxq_info_kern *s = xdp_rxq_info_kern__open();

	if (!s)
		return NULL;
	s->rodata->cfg.action = action;
	s->rodata->cfg.flags = flags;
	s->rodata->cfg.read_bytes = read_bytes;
	if (xdp_rxq_info_kern__load(s)) {
		xdp_rxq_info_kern__destroy(s);
		return NULL;
	}
	return s;
}

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

int main(int argc, char **argv)
{
	struct cost_opts o = cost_defaults;
	struct xdp_rxq_info_kern *skel[4] = {};
	struct bpf_object *floor = NULL;
	struct cost_case cases[5] = {};
	__u8 pkt[3500];
	int n = 0, err, ret = EXIT_FAIL;

	err = opts_parse(argc, argv, &cost_tool, &o);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_FAIL_OPTION;
	log_setup(0);
	floor = bpf_object__open_file(o.floor_obj, NULL);
	if (!floor || bpf_object__load(floor))
		return report(-errno, EXIT_FAIL_BPF, "load %s", o.floor_obj);
	cases[n++] = (struct cost_case){
		.name = "floor: return XDP_DROP",
		.prog_fd = bpf_program__fd(bpf_object__find_program_by_name(floor, "xdp_floor_drop")),
	};
	skel[0] = rxq_load(XDP_DROP, 0, 0);
	skel[1] = rxq_load(XDP_DROP, RXQ_F_READ, RXQ_LINE);
	skel[2] = rxq_load(XDP_DROP, RXQ_F_SWAPMAC, 0);
	skel[3] = rxq_load(XDP_DROP, RXQ_F_READ, 1500);
	for (int i = 0; i < 4; i++)
		if (!skel[i]) {
			report(-errno, EXIT_FAIL_BPF, "load xdp_rxq_info_kern");
			goto out;
		}
	cases[n++] = (struct cost_case){ .name = "xdp_rxq_info XDP_DROP no-touch",
					 .prog_fd = bpf_program__fd(skel[0]->progs.xdp_rxq_info_prog) };
	cases[n++] = (struct cost_case){ .name = "xdp_rxq_info XDP_DROP --read",
					 .prog_fd = bpf_program__fd(skel[1]->progs.xdp_rxq_info_prog) };
	cases[n++] = (struct cost_case){ .name = "xdp_rxq_info XDP_DROP --swapmac",
					 .prog_fd = bpf_program__fd(skel[2]->progs.xdp_rxq_info_prog) };
	cases[n++] = (struct cost_case){ .name = "xdp_rxq_info XDP_DROP --read-bytes 1500",
					 .prog_fd = bpf_program__fd(skel[3]->progs.xdp_rxq_info_prog) };

	pkt_udp(pkt, o.size < 1500 ? 1500 : o.size, false);
	for (unsigned int r = 0; r < o.reps; r++) {
		for (int c = 0; c < n; c++) {
			__u32 len = strstr(cases[c].name, "1500") ? 1500 : o.size;
			struct xdp_run run = { .data = pkt, .len = len, .repeat = o.repeat };

			__u64 t0 = now_ns();

			err = xdp_run(cases[c].prog_fd, &run);
			if (err) {
				report(err, EXIT_FAIL_BPF, "BPF_PROG_TEST_RUN %s", cases[c].name);
				goto out;
			}
			/* the kernel's own figure is rounded to whole ns; time the call instead */
			cases[c].ns[r] = (double)(now_ns() - t0) / o.repeat;
		}
	}
	{
		double fl = median(cases[0].ns, o.reps);

		for (int c = 0; c < n; c++) {
			double m = c ? median(cases[c].ns, o.reps) : fl;
			struct jw w;

			jw_begin(&w, stdout);
			jw_str(&w, "case", cases[c].name);
			jw_double(&w, "ns_per_pkt", m);
			jw_double(&w, "ratio_to_floor", fl > 0 ? m / fl : 0);
			jw_u64(&w, "repeat", o.repeat);
			jw_u64(&w, "reps", o.reps);
			jw_end(&w);
		}
	}
	ret = EXIT_OK;
out:
	for (int i = 0; i < 4; i++)
		xdp_rxq_info_kern__destroy(skel[i]);
	bpf_object__close(floor);
	return ret;
}
