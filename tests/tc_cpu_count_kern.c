// SPDX-License-Identifier: GPL-2.0
/*
 * A tc ingress program for the tests: counts every skb on the CPU whose stack receives it, then
 * lets it through. Where a device's frames become skbs (the receiving CPU, or the target CPU
 * of a cpumap) shows in the per-CPU counter tc_cpu_count[0].
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} tc_cpu_count SEC(".maps");

SEC("tc")
int tc_cpu_count_prog(struct __sk_buff *skb)
{
	__u32 key = 0;
	__u64 *c = bpf_map_lookup_elem(&tc_cpu_count, &key);

	if (c)
		(*c)++;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
