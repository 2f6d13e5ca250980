// SPDX-License-Identifier: GPL-2.0
/*
 * progstats: what the XDP program on a device costs under real traffic, from the kernel's own
 * run-time statistics (BPF_ENABLE_STATS, the fd-scoped form of kernel.bpf_stats_enabled: on only
 * while this runs, off again however it ends). Reads the program's run_cnt and run_time_ns
 * before and after --secs seconds and prints one JSON object with the mean ns per run. The
 * figure includes the clock reads around each run (the same for every program measured so),
 * and every BPF program on the machine pays for them while this runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common_user.h"

struct stats_opts {
	struct iface dev;
	double secs;
};

#define O(...) OPTION(struct stats_opts, __VA_ARGS__)
static const struct opt_def stats_defs[] = {
	O("dev", 'd', OPT_IFACE, dev, "IFACE", "device whose XDP program to measure",
	  .required = true),
	O("secs", 's', OPT_SECONDS, secs, "SEC", "measure for SEC seconds", .min = 0.01,
	  .max = 3600),
	OPT_END,
};
#undef O

static const struct stats_opts stats_defaults = { .secs = 1 };
static const struct opt_tool stats_tool = {
	.name = "progstats",
	.summary = "Mean run time of a device's XDP program under live traffic (kernel stats).",
	.usage = "--dev IFACE [--secs SEC]",
	.defs = stats_defs,
	.defaults = &stats_defaults,
};

static int prog_stats(int fd, __u64 *cnt, __u64 *ns)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*cnt = info.run_cnt;
	*ns = info.run_time_ns;
	return 0;
}

int main(int argc, char **argv)
{
	struct stats_opts o = stats_defaults;
	__u64 c0, n0, c1, n1, t0, t1;
	int stats_fd, fd, err;
	__u32 id = 0;
	struct jw w;

	err = opts_parse(argc, argv, &stats_tool, &o);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_FAIL_OPTION;
	log_setup(0);
	err = bpf_xdp_query_id(o.dev.ifindex, 0, &id);
	if (err)
		return report(err, EXIT_FAIL, "query XDP on %s", o.dev.name);
	if (!id)
		return report(0, EXIT_FAIL, "no XDP program on %s", o.dev.name);
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return report(-errno, EXIT_FAIL_PRIV, "program id %u", id);
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		err = -errno;
		close(fd);
		return report(err, EXIT_FAIL_BPF, "BPF_ENABLE_STATS (kernel 5.8)");
	}
	err = prog_stats(fd, &c0, &n0);
	t0 = now_ns();
	if (!err) {
		struct timespec ts = { .tv_sec = (time_t)o.secs,
				       .tv_nsec = (long)((o.secs - (time_t)o.secs) * 1e9) };

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		err = prog_stats(fd, &c1, &n1);
	}
	t1 = now_ns();
	close(stats_fd);
	close(fd);
	if (err)
		return report(err, EXIT_FAIL, "read the statistics of program id %u", id);
	jw_begin(&w, stdout);
	jw_u64(&w, "prog_id", id);
	jw_u64(&w, "run_cnt", c1 - c0);
	jw_u64(&w, "run_time_ns", n1 - n0);
	jw_double(&w, "ns_per_run", c1 > c0 ? (double)(n1 - n0) / (double)(c1 - c0) : 0);
	jw_double(&w, "runs_per_sec", rate_per_sec(c1, c0, t1 - t0));
	jw_end(&w);
	return EXIT_OK;
}
