// SPDX-License-Identifier: GPL-2.0
/*
 * The floor for benchmarks: XDP programs that do nothing but return a verdict, bare programs
 * that do only the frame work of xdp_rxq_info (read a line, swap the MACs), and bare programs
 * that do only the redirect (and the frame work) of xdp_redirect and xdp_redirect_cpu, without
 * counters or options, for the cost ratio of those tools. Targets come from read-only
 * data, as in any real program; progcost fills the maps.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xdp_parse.h"
#include "xdp_floor.h"

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

/* xdp_rxq_info's frame work alone: --read (the first line), --swapmac, and XDP_TX --swapmac. */
static __always_inline void read_first_line(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;

	if (data + 1 <= data_end)
		PARSE_KEEP(*(__u8 *)data);
}

SEC("xdp")
int xdp_floor_read(struct xdp_md *ctx)
{
	read_first_line(ctx);
	return XDP_DROP;
}

SEC("xdp")
int xdp_floor_swap(struct xdp_md *ctx)
{
	eth_swap_macs((void *)(long)ctx->data, (void *)(long)ctx->data_end);
	return XDP_DROP;
}

SEC("xdp")
int xdp_floor_tx_swap(struct xdp_md *ctx)
{
	eth_swap_macs((void *)(long)ctx->data, (void *)(long)ctx->data_end);
	return XDP_TX;
}

/* The same plus one per-CPU counter per RX queue: the least a tool that counts per queue (as
 * xdp_rxq_info does) can do per packet. */
#define FLOOR_QUEUES 65

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FLOOR_QUEUES);
	__type(key, __u32);
	__type(value, __u64);
} floor_count SEC(".maps");

static __always_inline int counted(struct xdp_md *ctx, int verdict)
{
	__u32 key = ctx->rx_queue_index;
	__u64 *n;

	if (key >= FLOOR_QUEUES - 1)
		key = FLOOR_QUEUES - 1;
	n = bpf_map_lookup_elem(&floor_count, &key);
	if (n)
		(*n)++;
	return verdict;
}

SEC("xdp")
int xdp_floor_drop_count(struct xdp_md *ctx)
{
	return counted(ctx, XDP_DROP);
}

SEC("xdp")
int xdp_floor_read_count(struct xdp_md *ctx)
{
	read_first_line(ctx);
	return counted(ctx, XDP_DROP);
}

SEC("xdp")
int xdp_floor_swap_count(struct xdp_md *ctx)
{
	eth_swap_macs((void *)(long)ctx->data, (void *)(long)ctx->data_end);
	return counted(ctx, XDP_DROP);
}

/* The same, frags-capable (BPF_F_XDP_HAS_FRAGS): attaches at jumbo MTUs. */
SEC("xdp.frags")
int xdp_floor_pass_frags(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* ---------------------------------------------------------------- bare redirects */

const volatile struct floor_cfg floor_cfg = { .ifindex = 1, .ncpus = 1 };

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} floor_tx_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} floor_tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, FLOOR_CPUS_MAX);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} floor_cpu_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} floor_cursor SEC(".maps");

static __always_inline void swap(struct xdp_md *ctx)
{
	eth_swap_macs((void *)(long)ctx->data, (void *)(long)ctx->data_end);
}

SEC("xdp")
int xdp_floor_redirect(struct xdp_md *ctx)
{
	return bpf_redirect(floor_cfg.ifindex, 0);
}

SEC("xdp")
int xdp_floor_redirect_swap(struct xdp_md *ctx)
{
	swap(ctx);
	return bpf_redirect(floor_cfg.ifindex, 0);
}

SEC("xdp")
int xdp_floor_redirect_read_swap(struct xdp_md *ctx)
{
	frame_touch(ctx, FRAME_LINE, FRAME_LINE, 0);
	swap(ctx);
	return bpf_redirect(floor_cfg.ifindex, 0);
}

SEC("xdp")
int xdp_floor_redirect_swap_load_bytes(struct xdp_md *ctx)
{
	eth_swap_macs_helper(ctx);
	return bpf_redirect(floor_cfg.ifindex, 0);
}

SEC("xdp")
int xdp_floor_redirect_map(struct xdp_md *ctx)
{
	return bpf_redirect_map(&floor_tx_port, 0, XDP_PASS);
}

SEC("xdp")
int xdp_floor_redirect_map_swap(struct xdp_md *ctx)
{
	swap(ctx);
	return bpf_redirect_map(&floor_tx_port, 0, XDP_PASS);
}

SEC("xdp")
int xdp_floor_redirect_multi(struct xdp_md *ctx)
{
	return bpf_redirect_map(&floor_tx_ports, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);
}

SEC("xdp")
int xdp_floor_redirect_multi_swap(struct xdp_md *ctx)
{
	swap(ctx);
	return bpf_redirect_map(&floor_tx_ports, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);
}

/* xdp_redirect_cpu no-touch */
SEC("xdp")
int xdp_floor_redirect_cpu(struct xdp_md *ctx)
{
	return bpf_redirect_map(&floor_cpu_map, floor_cfg.cpus[0], XDP_PASS);
}

/* touch: read the EtherType first */
SEC("xdp")
int xdp_floor_redirect_cpu_touch(struct xdp_md *ctx)
{
	struct parse_cur c;
	struct ethhdr *eth;
	int proto;

	parse_init(&c, ctx);
	proto = parse_eth(&c, &eth);
	PARSE_KEEP(proto);
	return bpf_redirect_map(&floor_cpu_map, floor_cfg.cpus[0], XDP_PASS);
}

/* round-robin with a per-CPU cursor */
SEC("xdp")
int xdp_floor_redirect_cpu_rr(struct xdp_md *ctx)
{
	__u32 key = 0, n = floor_cfg.ncpus, i, *cur;

	cur = bpf_map_lookup_elem(&floor_cursor, &key);
	if (!cur)
		return XDP_PASS;
	i = *cur;
	if (i >= n || i >= FLOOR_CPUS_MAX)
		i = 0;
	*cur = i + 1 >= n ? 0 : i + 1;
	return bpf_redirect_map(&floor_cpu_map, floor_cfg.cpus[i], XDP_PASS);
}

/* flow hash over the parsed headers */
SEC("xdp")
int xdp_floor_redirect_cpu_hash(struct xdp_md *ctx)
{
	__u32 n = floor_cfg.ncpus, i = 0;
	struct parse_flow f;

	if (parse_flow(ctx, &f) >= 0 && (f.ip4 || f.ip6))
		i = (__u32)(((__u64)parse_flow_hash(&f) * n) >> 32);
	if (i >= FLOOR_CPUS_MAX)
		i = 0;
	return bpf_redirect_map(&floor_cpu_map, floor_cfg.cpus[i], XDP_PASS);
}

/* xdp_redirect_cpu's second stage alone (--remote-action pass|drop): run on the target CPU
 * from the cpumap entries (tests/xdp_floor_attach puts them there). Not frags-capable, as the
 * first stages above: the kernel refuses a cpumap program that differs from the programs
 * using the map in that. */
SEC("xdp/cpumap")
int xdp_floor_cpumap_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp/cpumap")
int xdp_floor_cpumap_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
