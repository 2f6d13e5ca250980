// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of xdp_monitor_kern.c. Its programs are tp_btf, which BPF_PROG_TEST_RUN cannot run, so
 * these tests make the kernel fire the real tracepoints: they attach the monitor in prog_run's
 * private network namespace and drive XDP redirects with BPF_PROG_TEST_RUN in live-frames mode
 * (a raw-instruction program redirecting into a veth pair, or into a cpumap). The monitor's
 * namespace filter is set to this namespace, so other XDP users of the machine never count.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_insn.h"
#include "common_user.h"
#include "prog_run.h"
#include "xdp_monitor.h"
#include "xdp_monitor.skel.h"

#define VA "mon_va"
#define VB "mon_vb"

static __u32 netns_ino(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (__u32)st.st_ino;
}

/* Open and load with cfg the programs whose tracepoint exists (successes only with stats):
 * tp_btf, or with raw the raw_tp variants where there are some. -errno in *err on failure. */
static struct xdp_monitor_kern *mon_load(const struct mon_cfg *cfg, bool stats, bool raw,
					 int *err)
{
	struct xdp_monitor_kern *s = xdp_monitor_kern__open();
	struct bpf_program *p;
	char name[64];

	if (!s) {
		*err = -errno;
		return NULL;
	}
	s->rodata->cfg = *cfg;
	bpf_object__for_each_program(p, s->obj) {
		bool is_raw = !strncmp(bpf_program__name(p), "raw_", 4);
		const char *tp = bpf_program__name(p) + (is_raw ? strlen("raw_") : strlen("tp_"));
		bool success = !strcmp(tp, "xdp_redirect") || !strcmp(tp, "xdp_redirect_map");
		bool has_raw;

		snprintf(name, sizeof(name), "raw_%s", tp);
		has_raw = bpf_object__find_program_by_name(s->obj, name) != NULL;
		bpf_program__set_autoload(p, libbpf_find_vmlinux_btf_id(tp, BPF_TRACE_RAW_TP) > 0 &&
					      (stats || !success) &&
					      (is_raw ? raw : !(raw && has_raw)));
	}
	*err = xdp_monitor_kern__load(s);
	if (*err) {
		xdp_monitor_kern__destroy(s);
		return NULL;
	}
	return s;
}

/* Load with cfg, only the programs whose tracepoint exists; tp_btf unless raw, and the raw_tp
 * variants where the verifier refuses tp_btf (before 6.16), as xdp_monitor does; attach them
 * all. NULL on failure (the test is then failed or skipped). */
static struct xdp_monitor_kern *mon_up(const struct mon_cfg *cfg, bool stats, bool raw)
{
	struct xdp_monitor_kern *s;
	struct bpf_program *p;
	int err;

	s = mon_load(cfg, stats, raw, &err);
	if (!s && !raw && err == -EACCES)
		s = mon_load(cfg, stats, true, &err);
	if (!LOADED(s ? 0 : err, "xdp_monitor_kern"))
		return NULL;
	for (int i = 0; i < s->skeleton->prog_cnt; i++) {	/* links go with the skeleton */
		struct bpf_link **link = s->skeleton->progs[i].link;

		p = *s->skeleton->progs[i].prog;
		if (!bpf_program__autoload(p))
			continue;
		*link = bpf_program__attach(p);
		if (!ASSERT_OK_PTR(*link, "attach"))
			goto fail;
	}
	return s;
fail:
	xdp_monitor_kern__destroy(s);
	return NULL;
}

/* An XDP program of raw instructions: bpf_redirect(ifindex, 0), or with map_fd >= 0
 * bpf_redirect_map(map, ifindex as the key, 0); pass = true: XDP_PASS. */
static int prog_redirect(int ifindex, int map_fd, bool pass)
{
	struct bpf_insn redir[] = {
		BPF_MOV64_IMM(BPF_REG_1, ifindex),
		BPF_MOV64_IMM(BPF_REG_2, 0),
		BPF_EMIT_CALL(BPF_FUNC_redirect),
		BPF_EXIT_INSN(),
	};
	struct bpf_insn redir_map[] = {
		BPF_LD_MAP_FD(BPF_REG_1, map_fd),
		BPF_MOV64_IMM(BPF_REG_2, ifindex),
		BPF_MOV64_IMM(BPF_REG_3, 0),
		BPF_EMIT_CALL(BPF_FUNC_redirect_map),
		BPF_EXIT_INSN(),
	};
	struct bpf_insn pass_insns[] = {
		BPF_MOV64_IMM(BPF_REG_0, XDP_PASS),
		BPF_EXIT_INSN(),
	};
	const struct bpf_insn *i = pass ? pass_insns : map_fd >= 0 ? redir_map : redir;
	size_t n = pass ? ARRAY_SIZE(pass_insns) : map_fd >= 0 ? ARRAY_SIZE(redir_map)
							      : ARRAY_SIZE(redir);
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "mon_test", "GPL", i, n, NULL);

	return fd < 0 ? -errno : fd;
}

/* n frames injected on ingress device `in` through prog in live-frames mode */
static int live(int prog_fd, int in, __u32 n)
{
	__u8 pkt[64];
	struct xdp_md ctx = { .data_end = sizeof(pkt), .ingress_ifindex = (__u32)in };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = n,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	pkt_udp(pkt, sizeof(pkt), false);
	return bpf_prog_test_run_opts(prog_fd, &o) ? -errno : 0;
}

/* veth pair VA <-> VB, VA with an XDP_PASS program so that frames sent by VB can arrive. */
static bool pair_up(int *va, int *vb)
{
	int pass;

	sh("ip link del " VA " 2>/dev/null");
	if (!ASSERT_OK(sh("ip link add " VA " type veth peer name " VB " && ip link set " VA
			  " up && ip link set " VB " up"), "veth pair"))
		return false;
	*va = (int)if_nametoindex(VA);
	*vb = (int)if_nametoindex(VB);
	pass = prog_redirect(0, -1, true);
	if (!ASSERT_TRUE(pass >= 0, "load pass program"))
		return false;
	if (!ASSERT_OK(bpf_xdp_attach(*va, pass, XDP_FLAGS_DRV_MODE, NULL), "attach pass"))
		return false;
	close(pass);
	return true;
}

static __u64 redir(struct xdp_monitor_kern *s, enum mon_redir slot)
{
	struct mon_redir_rec r;

	MAP_SUM(bpf_map__fd(s->maps.redirect_cnt), slot, &r);
	return r.count;
}

static struct mon_xmit_rec xmit(struct xdp_monitor_kern *s, int from, int to, __u32 ns)
{
	struct mon_xmit_key k = { .from = { (__u32)from, ns }, .to = { (__u32)to, ns } };
	struct mon_xmit_rec t = {};

	PERCPU_SUM(bpf_map__fd(s->maps.devmap_xmit_cnt), &k, ncpus_possible(), &t);
	return t;
}

/* 1000 frames redirected from va to vb, by ifindex or (map) through a devmap entry: each
 * counted once as a success, and transmitted. On kernels that define xdp_redirect_map (6.1,
 * 6.12) its program is attached too and must not count them a second time. */
static void redirect_success(bool raw, bool map)
{
	struct mon_cfg cfg = { .netns = netns_ino() };
	struct xdp_monitor_kern *s = NULL;
	int va, vb, prog = -1, devmap = -1;
	__u32 key = 0;

	if (!pair_up(&va, &vb))
		goto out;
	s = mon_up(&cfg, true, raw);
	if (!s)
		goto out;
	if (map) {
		devmap = bpf_map_create(BPF_MAP_TYPE_DEVMAP, "mon_devmap", sizeof(__u32),
					sizeof(__u32), 1, NULL);
		if (!ASSERT_TRUE(devmap >= 0, "create devmap") ||
		    !ASSERT_OK(bpf_map_update_elem(devmap, &key, &vb, 0), "devmap entry"))
			goto out;
		printf("  info xdp_redirect_map %s\n",
		       libbpf_find_vmlinux_btf_id("xdp_redirect_map", BPF_TRACE_RAW_TP) > 0
		       ? "attached too" : "not on this kernel");
	}
	prog = map ? prog_redirect(0, devmap, false) : prog_redirect(vb, -1, false);
	if (!ASSERT_TRUE(prog >= 0, "load redirect program"))
		goto out;
	if (!ASSERT_OK(live(prog, va, 1000), "live frames"))
		goto out;
	ASSERT_EQ(redir(s, MON_R_SUCCESS), 1000, "redirect successes");
	ASSERT_EQ(redir(s, MON_R_OTHER) + redir(s, MON_R_EINVAL) + redir(s, MON_R_ENETDOWN), 0,
		  "no errors");
	ASSERT_EQ(xmit(s, va, vb, cfg.netns).sent, 1000, "devmap xmit va->vb sent");
	ASSERT_EQ(xmit(s, va, vb, cfg.netns).drops, 0, "devmap xmit drops");
	ASSERT_TRUE(xmit(s, va, vb, cfg.netns).events >= 1, "at least one bulk");
out:
	if (prog >= 0)
		close(prog);
	if (devmap >= 0)
		close(devmap);
	xdp_monitor_kern__destroy(s);
	sh("ip link del " VA " 2>/dev/null");
}

TEST(mon_redirect_success_and_devmap_xmit_exact)
{
	redirect_success(false, false);
}

TEST(mon_map_redirects_counted_once)
{
	redirect_success(false, true);
}

/* the raw_tp variants, used where the verifier refuses the tp_btf programs, count the same */
TEST(mon_raw_tp_redirect_success_and_devmap_xmit_exact)
{
	redirect_success(true, false);
}

TEST(mon_raw_tp_map_redirects_counted_once)
{
	redirect_success(true, true);
}

/* redirect_err_dev's count for (from, to, slot) of namespace ns */
static __u64 err_dev(struct xdp_monitor_kern *s, int from, int to, __u32 ns, enum mon_redir slot)
{
	struct mon_err_key k = { .from = { (__u32)from, ns }, .to = { (__u32)to, ns },
				 .slot = slot };
	struct mon_redir_rec r = {};

	PERCPU_SUM(bpf_map__fd(s->maps.redirect_err_dev), &k, ncpus_possible(), &r);
	return r.count;
}

static int map_entries(struct xdp_monitor_kern *s)
{
	struct mon_err_key k, *prev = NULL;
	int n = 0, fd = bpf_map__fd(s->maps.redirect_err_dev);

	while (!bpf_map_get_next_key(fd, prev, &k)) {
		prev = &k;
		n++;
	}
	return n;
}

/* Errors by errno; with err_by_dev also per (from, to): 300 ENETDOWN va->vb, 200 EINVAL
 * va->ifindex 9999. Without it redirect_err_dev stays empty. */
static void redirect_errors(bool raw, bool by_dev)
{
	struct mon_cfg cfg = { .netns = netns_ino(), .err_by_dev = by_dev };
	struct xdp_monitor_kern *s = NULL;
	int va, vb, prog = -1, nodev = -1;

	if (!pair_up(&va, &vb))
		goto out;
	s = mon_up(&cfg, false, raw);
	if (!s)
		goto out;
	prog = prog_redirect(vb, -1, false);
	nodev = prog_redirect(9999, -1, false);
	if (!ASSERT_TRUE(prog >= 0 && nodev >= 0, "load redirect programs"))
		goto out;
	sh("ip link set " VB " down");
	ASSERT_OK(live(prog, va, 300), "live frames to a down device");
	ASSERT_OK(live(nodev, va, 200), "live frames to no device");
	ASSERT_EQ(redir(s, MON_R_ENETDOWN), 300, "ENETDOWN");
	ASSERT_EQ(redir(s, MON_R_EINVAL), 200, "EINVAL (no such ifindex)");
	ASSERT_EQ(redir(s, MON_R_SUCCESS), 0, "successes not counted without stats");
	ASSERT_EQ(xmit(s, va, vb, cfg.netns).events, 0, "nothing transmitted");
	if (by_dev) {
		ASSERT_EQ(err_dev(s, va, vb, cfg.netns, MON_R_ENETDOWN), 300, "ENETDOWN va->vb");
		ASSERT_EQ(err_dev(s, va, 9999, cfg.netns, MON_R_EINVAL), 200, "EINVAL va->9999");
		ASSERT_EQ(map_entries(s), 2, "two (from, to, errno) keys");
	} else {
		ASSERT_EQ(map_entries(s), 0, "no per-device errors unless asked");
	}
out:
	if (prog >= 0)
		close(prog);
	if (nodev >= 0)
		close(nodev);
	xdp_monitor_kern__destroy(s);
	sh("ip link del " VA " 2>/dev/null");
}

TEST(mon_redirect_errors_by_errno)
{
	redirect_errors(false, false);
}

TEST(mon_raw_tp_redirect_errors_by_errno)
{
	redirect_errors(true, false);
}

TEST(mon_redirect_errors_by_device)
{
	redirect_errors(false, true);
}

/* the raw_tp variants find the target with probe reads: the same keys */
TEST(mon_raw_tp_redirect_errors_by_device)
{
	redirect_errors(true, true);
}

/* The filters: another namespace's inode, or other devices, count nothing; the target device
 * alone counts the redirects into it. */
static void filters(bool raw)
{
	struct {
		const char *what;
		bool other_ns;
		int dev;	/* 0: none, 1: va, 2: vb, 3: lo */
		__u64 want;
	} cases[] = {
		{ "own netns, no device filter", false, 0, 100 },
		{ "another netns", true, 0, 0 },
		{ "--dev source", false, 1, 100 },
		{ "--dev target", false, 2, 100 },
		{ "--dev other device", false, 3, 0 },
		{ "another netns with --dev source", true, 1, 0 },
	};
	int va, vb, prog = -1;

	if (!pair_up(&va, &vb))
		goto out;
	prog = prog_redirect(vb, -1, false);
	if (!ASSERT_TRUE(prog >= 0, "load redirect program"))
		goto out;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int devs[] = { 0, va, vb, 1 };
		struct mon_cfg cfg = { .netns = netns_ino() + (cases[i].other_ns ? 1 : 0) };
		struct xdp_monitor_kern *s;

		if (cases[i].dev) {
			cfg.n_dev = 1;
			cfg.dev[0] = (__u32)devs[cases[i].dev];
		}
		s = mon_up(&cfg, true, raw);
		if (!s)
			break;
		if (ASSERT_OK(live(prog, va, 100), "live frames")) {
			ASSERT_EQ(redir(s, MON_R_SUCCESS), cases[i].want, cases[i].what);
			ASSERT_EQ(xmit(s, va, vb, netns_ino()).sent, cases[i].want, cases[i].what);
		}
		xdp_monitor_kern__destroy(s);
	}
out:
	if (prog >= 0)
		close(prog);
	sh("ip link del " VA " 2>/dev/null");
}

TEST(mon_filters_netns_and_devices)
{
	filters(false);
}

/* the raw_tp variants read the devices with probe reads: same filter results */
TEST(mon_raw_tp_filters_netns_and_devices)
{
	filters(true);
}

/* cpumap: frames redirected into a cpumap entry are enqueued (from this CPU to the last CPU)
 * and processed by the entry's kthread, which runs on that CPU. cpumap events carry no device,
 * so they are not filtered: the last CPU, because the e2e tests (perhaps running in parallel
 * from another clone) use CPU 0. */
TEST(mon_cpumap_enqueue_and_kthread)
{
	struct mon_cfg cfg = { .netns = netns_ino() };
	struct bpf_cpumap_val val = { .qsize = 2048 };
	struct xdp_monitor_kern *s = NULL;
	int map, prog = -1, ncpus = ncpus_possible();
	__u32 cpu = ncpus > 1 ? (__u32)ncpus - 1 : 0, zero = 0, processed = 0, drops = 0;
	__u32 handled = 0;
	struct mon_kthr_rec kthr[ncpus > 0 ? ncpus : 1], ktot;
	struct mon_enq_rec enq;

	if (!ASSERT_TRUE(ncpus > 0, "cpus"))
		return;
	map = bpf_map_create(BPF_MAP_TYPE_CPUMAP, "mon_cpumap", sizeof(__u32), sizeof(val),
			     cpu + 1, NULL);
	if (!ASSERT_TRUE(map >= 0, "create cpumap"))
		return;
	if (!ASSERT_OK(bpf_map_update_elem(map, &cpu, &val, 0), "cpumap entry for the last CPU"))
		goto out;
	s = mon_up(&cfg, false, false);
	if (!s)
		goto out;
	prog = prog_redirect((int)cpu, map, false);
	if (!ASSERT_TRUE(prog >= 0, "load cpumap redirect program"))
		goto out;
	if (!ASSERT_OK(live(prog, 1, 500), "live frames"))
		goto out;
	for (int i = 0; i < 100; i++) {	/* the kthread runs asynchronously: up to 5 s */
		if (!ASSERT_OK(PERCPU_READ(bpf_map__fd(s->maps.cpumap_kthread_cnt), &zero, ncpus,
					   kthr, &ktot), "read cpumap_kthread_cnt"))
			goto out;
		handled = (__u32)(kthr[cpu].processed + kthr[cpu].drops);
		if (handled >= 500)
			break;
		usleep(50000);
	}
	MAP_SUM(bpf_map__fd(s->maps.cpumap_enqueue_cnt), cpu, &enq);
	processed = (__u32)enq.processed;
	drops = (__u32)enq.drops;
	ASSERT_EQ(processed + drops, 500, "enqueued + dropped to the last CPU");
	ASSERT_EQ(handled, processed, "its kthread handled what was enqueued");
out:
	if (prog >= 0)
		close(prog);
	xdp_monitor_kern__destroy(s);
	close(map);
}
