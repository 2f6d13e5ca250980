/* SPDX-License-Identifier: GPL-2.0 */
/* xdp_fwd.h: contract between xdp_fwd_kern.c and xdp_fwd_user.c */
#ifndef XDP_FWD_H
#define XDP_FWD_H

#define FWD_PORTS_MAX 256	/* devices in the devmap and the stats map */
#define FWD_STATS_DIRECT 256	/* ifindex below: counters in an array indexed by ifindex */

/*
 * Why a packet went to the stack. Slots 0..FWD_R_FIB_LAST equal the BPF_FIB_LKUP_RET_* code
 * bpf_fib_lookup() returned; slot 0 (BPF_FIB_LKUP_RET_SUCCESS) means the lookup succeeded but
 * the egress device is not one of ours (not in the devmap).
 */
enum fwd_reason {
	FWD_R_NO_PORT = 0,	/* lookup ok, egress device not in xdp_fwd_ports */
	FWD_R_BLACKHOLE,	/* BPF_FIB_LKUP_RET_BLACKHOLE */
	FWD_R_UNREACHABLE,	/* BPF_FIB_LKUP_RET_UNREACHABLE */
	FWD_R_PROHIBIT,		/* BPF_FIB_LKUP_RET_PROHIBIT */
	FWD_R_NOT_FWDED,	/* BPF_FIB_LKUP_RET_NOT_FWDED: local, broadcast, no route... */
	FWD_R_FWD_DISABLED,	/* BPF_FIB_LKUP_RET_FWD_DISABLED: forwarding off on ingress */
	FWD_R_UNSUPP_LWT,	/* BPF_FIB_LKUP_RET_UNSUPP_LWT */
	FWD_R_NO_NEIGH,		/* BPF_FIB_LKUP_RET_NO_NEIGH: next hop not resolved */
	FWD_R_FRAG_NEEDED,	/* BPF_FIB_LKUP_RET_FRAG_NEEDED: larger than the egress MTU */
	FWD_R_NO_SRC_ADDR,	/* BPF_FIB_LKUP_RET_NO_SRC_ADDR */
	FWD_R_FIB_OTHER,	/* a return code newer than this program */
	FWD_R_TTL,		/* TTL / hop limit <= 1: the stack sends ICMP time exceeded */
	FWD_R_NOT_IP,		/* neither IPv4 nor IPv6 (ARP, VLAN-tagged, ...) */
	FWD_R_MALFORMED,	/* too short for its headers, bad version or IHL */
	FWD_R_MULTI_BUF,	/* a multi-buffer frame this kernel cannot redirect (before 6.3) */
	FWD_R_N,
};
#define FWD_R_FIB_LAST FWD_R_NO_SRC_ADDR

struct fwd_cfg {		/* .rodata, written before load; the defaults are those of `ip link` */
	__u32 fib_flags;	/* BPF_FIB_LOOKUP_DIRECT with -D */
	__u32 mb_pass;		/* multi-buffer frames to the stack: this kernel's redirect
				 * refuses them (before 6.3) */
};

/* One record per device and CPU, key ifindex: in xdp_fwd_stats (PERCPU_ARRAY) below
 * FWD_STATS_DIRECT, in xdp_fwd_stats_hi (PERCPU_HASH) from there on. */
struct fwd_rec {
	__u64 rx;		/* packets seen on this ingress device */
	__u64 fwd;		/* of those, redirected (rx == fwd + sum(pass)) */
	__u64 tx;		/* redirected out of this device (counted on the ingress CPU) */
	__u64 pass[FWD_R_N];	/* passed to the stack, by reason */
};

/* How xdp_fwd recognises its program on a device: this name, and maps named and defined as
 * xdp_fwd_kern.c's (a foreign program of the same name is not taken for ours). */
#define FWD_PROG_NAME "xdp_fwd_prog"

#endif /* XDP_FWD_H */
