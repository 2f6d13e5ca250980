/* SPDX-License-Identifier: GPL-2.0 */
/* xdp_floor.h: the read-only data of tests/xdp_floor_kern.c, which progcost writes before load */
#ifndef TESTS_XDP_FLOOR_H
#define TESTS_XDP_FLOOR_H

#define FLOOR_CPUS_MAX 8

struct floor_cfg {		/* the object's only .rodata */
	__u32 ifindex;		/* bpf_redirect() target */
	__u32 ncpus;		/* cpumap targets in cpus[] */
	__u32 cpus[FLOOR_CPUS_MAX];
};

#endif /* TESTS_XDP_FLOOR_H */
