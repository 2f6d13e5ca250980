// SPDX-License-Identifier: GPL-2.0
/*
 * For xdp_fwd's tests: a foreign XDP program that bears xdp_fwd's program name and the name of
 * its devmap, with another map definition. xdp_fwd must not take it for its own.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} xdp_fwd_ports SEC(".maps");

SEC("xdp")
int xdp_fwd_prog(struct xdp_md *ctx)
{
	return bpf_redirect_map(&xdp_fwd_ports, 0, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
