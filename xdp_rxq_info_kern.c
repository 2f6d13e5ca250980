// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_rxq_info_kern.c: count packets per CPU and per RX queue, then return one fixed action.
 * Optionally touch the payload (--read, --read-bytes) or swap the MAC addresses (--swapmac).
 * The configuration is read-only data: the verifier prunes what is off, and no per-packet
 * configuration lookup remains. Loaded by hand (ip link ... xdp obj), it passes everything.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xdp_parse.h"
#include "xdp_rxq_info.h"

const volatile struct rxq_cfg cfg = { .action = XDP_PASS };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RXQ_MAX + 1);
	__type(key, __u32);
	__type(value, struct rxq_rec);
} rxq_stats SEC(".maps");

_Static_assert(RXQ_LINE == FRAME_LINE, "one cache line size for user space and frame_touch");

SEC("xdp")
int xdp_rxq_info_prog(struct xdp_md *ctx)
{
	__u32 rxq = ctx->rx_queue_index;
	struct rxq_rec *r;
	int rc = 0;

	if (rxq >= RXQ_MAX)
		rxq = RXQ_MAX;
	r = bpf_map_lookup_elem(&rxq_stats, &rxq);
	if (!r)
		return cfg.action;
	r->processed++;
	if (cfg.ifindex && ctx->ingress_ifindex != cfg.ifindex)
		r->bad_ifindex++;

	/* lines past the first buffer are read with bpf_xdp_load_bytes() (frags-capable) */
	if (cfg.flags & RXQ_F_READ)
		rc = frame_touch(ctx, cfg.read_bytes, RXQ_READ_MAX, 0);
	if (cfg.flags & RXQ_F_SWAPMAC)
		rc |= eth_swap_macs((void *)(long)ctx->data, (void *)(long)ctx->data_end);
	if (rc)
		r->short_frame++;
	return cfg.action;
}

char LICENSE[] SEC("license") = "GPL";
