// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_floor_attach: benchmark helper. Loads one bare program of tests/xdp_floor_kern.c with its
 * redirect targets and attaches it to DEV (netlink, native mode), then exits: the program stays
 * until `ip link set dev DEV xdp off` or the namespace goes. The bare side of a comparison with
 * xdp_redirect or xdp_redirect_cpu doing the same redirect with counters and options.
 *   xdp_floor_attach OBJ DEV PROG [TARGET...]
 * TARGET: a device (the first one is bpf_redirect()'s target and the devmap's slot 0; all of
 * them are the keys of the broadcast hash devmap), cpu:N (cpumap entries, qsize 2048, as
 * xdp_redirect_cpu's default), or stage:PROG (a program of OBJ in every cpumap entry, run on
 * the target CPU: xdp_redirect_cpu's --remote-action).
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp_floor.h"

/* value of devmap (or cpumap) key: the device ifindex, or the cpumap entry */
static int map_put(struct bpf_object *obj, const char *name, __u32 key, const void *val)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	if (!m)
		return -ENOENT;
	return bpf_map_update_elem(bpf_map__fd(m), &key, val, 0) ? -errno : 0;
}

/* the targets into cfg (before load), the second stage's name into *stage; -ENODEV for an
 * unknown device */
static int targets_parse(struct floor_cfg *cfg, __u32 *devs, int *n_dev, const char **stage,
			 char **arg, int n)
{
	for (int i = 0; i < n; i++) {
		unsigned int cpu;

		if (!strncmp(arg[i], "stage:", 6)) {
			*stage = arg[i] + 6;
			continue;
		}
		if (sscanf(arg[i], "cpu:%u", &cpu) == 1) {
			if (cfg->ncpus == FLOOR_CPUS_MAX)
				return -E2BIG;
			cfg->cpus[cfg->ncpus++] = cpu;
			continue;
		}
		devs[*n_dev] = if_nametoindex(arg[i]);
		if (!devs[*n_dev])
			return -ENODEV;
		if (!*n_dev)
			cfg->ifindex = devs[0];
		++*n_dev;
	}
	return 0;
}

/* the maps of the loaded object: devmap slot 0, the broadcast group, the cpumap entries (with
 * the second stage's fd, or 0: none) */
static int maps_fill(struct bpf_object *obj, const struct floor_cfg *cfg, const __u32 *devs,
		     int n_dev, int stage_fd)
{
	struct bpf_cpumap_val cv = { .qsize = 2048, .bpf_prog.fd = stage_fd };
	int err = 0;

	for (int i = 0; i < n_dev && !err; i++) {
		struct bpf_devmap_val dv = { .ifindex = devs[i] };

		if (!i)
			err = map_put(obj, "floor_tx_port", 0, &dv);
		if (!err)
			err = map_put(obj, "floor_tx_ports", devs[i], &dv);
	}
	for (__u32 i = 0; i < cfg->ncpus && !err; i++)
		err = map_put(obj, "floor_cpu_map", cfg->cpus[i], &cv);
	return err;
}

int main(int argc, char **argv)
{
	struct floor_cfg cfg = { .ifindex = 1 };	/* ncpus: the cpu:N targets */
	struct bpf_object *obj = NULL;
	struct bpf_program *prog, *p, *second = NULL;
	const char *stage = NULL;
	__u32 devs[32];
	int dev, n_dev = 0, err;

	if (argc < 4 || argc - 4 > 32) {
		fprintf(stderr, "usage: xdp_floor_attach OBJ DEV PROG [DEV|cpu:N|stage:PROG]...\n");
		return 2;
	}
	dev = (int)if_nametoindex(argv[2]);
	err = dev ? targets_parse(&cfg, devs, &n_dev, &stage, argv + 4, argc - 4) : -ENODEV;
	if (err) {
		fprintf(stderr, "xdp_floor_attach: bad device or target: %s\n", strerror(-err));
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "xdp_floor_attach: open %s: %s\n", argv[1], strerror(errno));
		return 4;
	}
	prog = bpf_object__find_program_by_name(obj, argv[3]);
	if (stage)
		second = bpf_object__find_program_by_name(obj, stage);
	err = prog && (!stage || second) ? 0 : -ENOENT;
	bpf_object__for_each_program(p, obj)	/* only what is attached: the rest may not load */
		bpf_program__set_autoload(p, p == prog || p == second);
	if (!err) {
		struct floor_cfg ro = cfg;

		ro.ncpus = cfg.ncpus ? cfg.ncpus : 1;	/* the programs divide by it */
		err = bpf_map__set_initial_value(bpf_object__find_map_by_name(obj, ".rodata"), &ro,
						 sizeof(ro));
	}
	if (!err)
		err = bpf_object__load(obj);
	if (!err)
		err = maps_fill(obj, &cfg, devs, n_dev, second ? bpf_program__fd(second) : 0);
	if (!err)
		err = bpf_xdp_attach(dev, bpf_program__fd(prog),
				     XDP_FLAGS_DRV_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (err)
		fprintf(stderr, "xdp_floor_attach: %s%s%s on %s: %s\n", argv[3], stage ? " + " : "",
			stage ? stage : "", argv[2], strerror(-err));
	bpf_object__close(obj);	/* the attached program holds what it uses */
	return err ? 3 : 0;
}
