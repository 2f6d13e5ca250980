// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_redirect_to: test helper. Attaches (netlink, native mode) to DEV an XDP program of raw
 * instructions that returns bpf_redirect(TARGET, 0) for every frame, then exits: the program
 * stays until `ip link set dev DEV xdp off` or the namespace goes. A redirect workload of the
 * test suite's own, with a from->to pair of its choice. With "cpu:N" as TARGET, frames go into
 * a cpumap entry for CPU N instead (bpf_redirect_map), and on to the stack from that CPU.
 *   xdp_redirect_to DEV TARGET|cpu:N
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

/* A cpumap with an entry for cpu; fd or -errno. */
static int cpumap(unsigned int cpu)
{
	struct bpf_cpumap_val val = { .qsize = 2048 };
	int fd = bpf_map_create(BPF_MAP_TYPE_CPUMAP, "redirect_cpu", sizeof(__u32), sizeof(val),
				cpu + 1, NULL);

	if (fd < 0)
		return -errno;
	if (bpf_map_update_elem(fd, &cpu, &val, 0)) {
		close(fd);
		return -errno;
	}
	return fd;
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_prog_load_opts, lo);
	unsigned int dev, target = 0, cpu = 0;
	int fd, err, map = -1;

	if (argc != 3) {
		fprintf(stderr, "usage: xdp_redirect_to DEV TARGET\n");
		return 2;
	}
	dev = if_nametoindex(argv[1]);
	if (sscanf(argv[2], "cpu:%u", &cpu) == 1) {
		map = cpumap(cpu);
		if (map < 0) {
			fprintf(stderr, "xdp_redirect_to: cpumap: %s\n", strerror(-map));
			return 4;
		}
		target = 1;
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
	struct bpf_insn to_cpu[] = {
		BPF_LD_MAP_FD(BPF_REG_1, map),
		BPF_MOV64_IMM(BPF_REG_2, cpu),
		BPF_MOV64_IMM(BPF_REG_3, 0),
		BPF_EMIT_CALL(BPF_FUNC_redirect_map),
		BPF_EXIT_INSN(),
	};
	if (map >= 0)
		fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "redirect_cpu", "GPL", to_cpu,
				   sizeof(to_cpu) / sizeof(to_cpu[0]), &lo);
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
