// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_redirect_to: test helper. Attaches (netlink, native mode) to DEV an XDP program of raw
 * instructions that returns bpf_redirect(TARGET, 0) for every frame, then exits: the program
 * stays until `ip link set dev DEV xdp off` or the namespace goes. A redirect workload of the
 * test suite's own, with a from->to pair of its choice. With "cpu:N" as TARGET, frames go into
 * a cpumap entry for CPU N instead (bpf_redirect_map), and on to the stack from that CPU;
 * "cpu:N:pass" or "cpu:N:drop" also gives the entry a program (BPF_XDP_CPUMAP) with that verdict.
 * With "devmap:TARGET", frames go to TARGET through a devmap entry (a map redirect).
 *   xdp_redirect_to DEV TARGET|devmap:TARGET|cpu:N[:pass|:drop]
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_insn.h"

/* A program for a cpumap entry that returns verdict; fd or -errno. */
static int cpumap_prog(int verdict)
{
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .expected_attach_type = BPF_XDP_CPUMAP);
	const struct bpf_insn insns[] = { BPF_MOV64_IMM(BPF_REG_0, verdict), BPF_EXIT_INSN() };
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "cpumap_verdict", "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), &lo);

	return fd < 0 ? -errno : fd;
}

/* A cpumap with an entry for cpu (with a program returning verdict if >= 0); fd or -errno. */
static int cpumap(unsigned int cpu, int verdict)
{
	struct bpf_cpumap_val val = { .qsize = 2048 };
	int fd = bpf_map_create(BPF_MAP_TYPE_CPUMAP, "redirect_cpu", sizeof(__u32), sizeof(val),
				cpu + 1, NULL), pfd = -1, err = 0;

	if (fd < 0)
		return -errno;
	if (verdict >= 0) {
		pfd = cpumap_prog(verdict);
		if (pfd < 0) {
			close(fd);
			return pfd;
		}
		val.bpf_prog.fd = pfd;
	}
	if (bpf_map_update_elem(fd, &cpu, &val, 0))
		err = -errno;
	if (pfd >= 0)
		close(pfd);	/* the map entry holds it */
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* A devmap whose entry 0 is ifindex; fd or -errno. */
static int devmap(unsigned int ifindex)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_DEVMAP, "redirect_dev", sizeof(__u32),
				sizeof(__u32), 1, NULL), err = 0;
	__u32 key = 0;

	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(fd, &key, &ifindex, 0))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_prog_load_opts, lo);
	unsigned int dev, target = 0, cpu = 0;
	int fd, err, map = -1, verdict = -1;
	char what[8] = "";

	if (argc != 3) {
		fprintf(stderr, "usage: xdp_redirect_to DEV TARGET|devmap:TARGET|cpu:N[:pass|:drop]\n");
		return 2;
	}
	dev = if_nametoindex(argv[1]);
	if (sscanf(argv[2], "cpu:%u:%7s", &cpu, what) >= 1) {
		if (what[0])
			verdict = !strcmp(what, "pass") ? XDP_PASS : !strcmp(what, "drop") ? XDP_DROP : -2;
		if (verdict == -2) {
			fprintf(stderr, "xdp_redirect_to: cpumap verdict '%s': pass or drop\n", what);
			return 2;
		}
		map = cpumap(cpu, verdict);
		if (map < 0) {
			fprintf(stderr, "xdp_redirect_to: cpumap: %s\n", strerror(-map));
			return 4;
		}
		target = 1;
	} else if (!strncmp(argv[2], "devmap:", 7)) {
		target = if_nametoindex(argv[2] + 7);
		map = target ? devmap(target) : -ENODEV;
		if (map < 0 && target) {
			fprintf(stderr, "xdp_redirect_to: devmap: %s\n", strerror(-map));
			return 4;
		}
		cpu = 0;	/* the devmap key */
	} else {
		target = if_nametoindex(argv[2]);
	}
	if (!dev || !target) {
		fprintf(stderr, "xdp_redirect_to: unknown device '%s'\n", dev ? argv[2] : argv[1]);
		return 2;
	}
	struct bpf_insn insns[] = {
		BPF_MOV64_IMM(BPF_REG_1, target),
		BPF_MOV64_IMM(BPF_REG_2, 0),
		BPF_EMIT_CALL(BPF_FUNC_redirect),
		BPF_EXIT_INSN(),
	};
	struct bpf_insn to_map[] = {	/* cpumap or devmap, key cpu */
		BPF_LD_MAP_FD(BPF_REG_1, map),
		BPF_MOV64_IMM(BPF_REG_2, cpu),
		BPF_MOV64_IMM(BPF_REG_3, 0),
		BPF_EMIT_CALL(BPF_FUNC_redirect_map),
		BPF_EXIT_INSN(),
	};
	if (map >= 0)
		fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "redirect_map", "GPL", to_map,
				   sizeof(to_map) / sizeof(to_map[0]), &lo);
	else
		fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "redirect_to", "GPL", insns,
				   sizeof(insns) / sizeof(insns[0]), &lo);
	if (fd < 0) {
		fprintf(stderr, "xdp_redirect_to: load: %s\n", strerror(errno));
		return 4;
	}
	err = bpf_xdp_attach((int)dev, fd, XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	close(fd);
	if (map >= 0)
		close(map);	/* the program holds it */
	if (err) {
		fprintf(stderr, "xdp_redirect_to: attach to %s: %s\n", argv[1], strerror(-err));
		return 3;
	}
	return 0;
}
