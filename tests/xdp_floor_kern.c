// SPDX-License-Identifier: GPL-2.0
/* The floor for benchmarks: XDP programs that do nothing but return a verdict. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_floor_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int xdp_floor_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* The same, frags-capable (BPF_F_XDP_HAS_FRAGS): attaches at jumbo MTUs. */
SEC("xdp.frags")
int xdp_floor_pass_frags(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
