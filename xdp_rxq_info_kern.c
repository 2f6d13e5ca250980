// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_rxq_info_kern.c: count packets per CPU and per RX queue, then return one fixed action.
 * Optionally touch the payload (--read, --read-bytes) or swap the MAC addresses (--swapmac).
 * The configuration is read-only data: the verifier prunes what is off, and no per-packet
 * configuration lookup remains. Loaded by hand (ip link ... xdp obj), it passes everything.
 *
 * The per-packet path is the bare work plus one counter: everything about the packet goes into
 * the counter's key (see xdp_rxq_info.h), so nothing is live across the map lookup and the JIT
 * saves no registers; the general --read-bytes walk, which calls bpf_xdp_load_bytes() for a
 * multi-buffer frame's later buffers, is a subprogram of its own, off the --read fast path.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#include "xdp_parse.h"
#include "xdp_rxq_info.h"

const volatile struct rxq_cfg cfg = { .action = XDP_PASS };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RXQ_KINDS * RXQ_SLOTS);
	__type(key, __u32);
	__type(value, struct rxq_rec);
} rxq_stats SEC(".maps");

/*
 * Count the packet and return the action. With walk, --read reads one byte of every line below
 * cfg.read_bytes, through bpf_xdp_load_bytes() past the first buffer (the program is loaded
 * frags-capable); without, the caller has read the first line already (the --read fast path).
 * The frame work comes first: a key computed before it would make the verifier walk every
 * iteration of the 9216-byte loop once per key range.
 */
static __always_inline int count(struct xdp_md *ctx, int walk)
{
	__u32 key, flags = cfg.flags;
	struct rxq_rec *r;
	int rc = 0;

	if (walk && (flags & RXQ_F_READ))
		rc = frame_touch(ctx, cfg.read_bytes, RXQ_READ_MAX, 0);
	if (flags & RXQ_F_SWAPMAC)
		rc |= eth_swap_macs((void *)(long)ctx->data, (void *)(long)ctx->data_end);
	key = ctx->rx_queue_index;
	if (key >= RXQ_MAX)
		key = RXQ_MAX;
	if (cfg.ifindex && ctx->ingress_ifindex != cfg.ifindex)
		key += rxq_key(RXQ_K_BAD_IFINDEX, 0);
	if (rc)
		key += rxq_key(RXQ_K_SHORT, 0);
	r = bpf_map_lookup_elem(&rxq_stats, &key);
	if (r)
		r->packets++;
	return cfg.action;
}

static __noinline int count_walk(struct xdp_md *ctx)
{
	return count(ctx, 1);
}

SEC("xdp")
int xdp_rxq_info_prog(struct xdp_md *ctx)
{
	if (cfg.flags & RXQ_F_READ) {
		void *data_end = (void *)(long)ctx->data_end;
		void *data = (void *)(long)ctx->data;

		if (cfg.read_bytes > RXQ_LINE || data + 1 > data_end)
			return count_walk(ctx);
		PARSE_KEEP(*(__u8 *)data);
	}
	return count(ctx, 0);
}

char LICENSE[] SEC("license") = "GPL";
