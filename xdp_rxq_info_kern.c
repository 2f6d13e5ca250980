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
 * multi-buffer frame's later buffers, is a subprogram of its own, off the --read fast path; and
 * the common configurations (no-touch, --read, --swapmac) have programs of their own with the
 * options compiled in, so the verifier leaves no configuration load behind either.
 */
#include <linux/bpf.h>
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

_Static_assert(RXQ_LINE == FRAME_LINE, "one cache line size for user space and frame_touch");

/*
 * Count the packet and return the action. flags are the options this program handles: cfg.flags
 * in the general program, a constant in the specialised ones (no configuration load at all).
 * With walk, --read reads one byte of every line below cfg.read_bytes, through
 * bpf_xdp_load_bytes() past the first buffer (the program is loaded frags-capable); without,
 * the caller has read the first line already (the --read fast path). check: the ingress
 * ifindex is compared with cfg.ifindex (the general program only). rc: the frame was already
 * found too short (PARSE_SHORT) by the caller, else 0. The frame work comes first:
 * a key computed before it would make the verifier walk every iteration of the 9216-byte loop
 * once per key range.
 */
static __always_inline int count(struct xdp_md *ctx, __u32 flags, int walk, int check, int rc)
{
	struct rxq_rec *r;
	__u32 key;

	if (walk && (flags & RXQ_F_READ))
		rc = frame_touch(ctx, cfg.read_bytes, RXQ_READ_MAX, 0);
	if (flags & RXQ_F_SWAPMAC)
		rc |= eth_swap_macs((void *)(long)ctx->data, (void *)(long)ctx->data_end);
	key = ctx->rx_queue_index;
	if (key >= RXQ_MAX)
		key = RXQ_MAX;
	if (check && cfg.ifindex && ctx->ingress_ifindex != cfg.ifindex)
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
	return count(ctx, cfg.flags, 1, 1, 0);
}

/* The first line read directly; PARSE_SHORT when the first buffer is empty. */
static __always_inline int first_line(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;

	if (data + 1 > data_end)
		return PARSE_SHORT;
	PARSE_KEEP(*(__u8 *)data);
	return 0;
}

/* Any configuration (the default of a hand-loaded object: count and pass). First in the
 * section, so `ip link set ... obj xdp_rxq_info_kern.o sec xdp` loads this one. */
SEC("xdp")
int xdp_rxq_info_prog(struct xdp_md *ctx)
{
	if ((cfg.flags & RXQ_F_READ) && (cfg.read_bytes > RXQ_LINE || first_line(ctx)))
		return count_walk(ctx);
	return count(ctx, cfg.flags, 0, 1, 0);
}

/* The specialised programs user space picks when the options allow (rxq_prog_of()). */
SEC("xdp")
int xdp_rxq_info_no_touch(struct xdp_md *ctx)
{
	return count(ctx, 0, 0, 0, 0);
}

/* --read of a frame whose first buffer is empty: the first line through the helper. */
static __noinline int count_read_helper(struct xdp_md *ctx)
{
	__u8 b = 0;
	int rc = bpf_xdp_load_bytes(ctx, 0, &b, 1) ? PARSE_SHORT : 0;

	PARSE_KEEP(b);
	return count(ctx, 0, 0, 0, rc);
}

SEC("xdp")
int xdp_rxq_info_read(struct xdp_md *ctx)
{
	if (first_line(ctx))
		return count_read_helper(ctx);
	return count(ctx, 0, 0, 0, 0);
}

SEC("xdp")
int xdp_rxq_info_swapmac(struct xdp_md *ctx)
{
	return count(ctx, RXQ_F_SWAPMAC, 0, 0, 0);
}

char LICENSE[] SEC("license") = "GPL";
