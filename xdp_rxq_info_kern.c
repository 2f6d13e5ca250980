// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_rxq_info_kern.c: count packets per CPU and per RX queue, then return one fixed action.
 * Optionally touch the payload (--read, --read-bytes) or swap the MAC addresses (--swapmac).
 * The configuration is read-only data: the verifier prunes what is off, and no per-packet
 * configuration lookup remains. Loaded by hand (ip link ... xdp obj), it passes everything.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#include "xdp_rxq_info.h"

const volatile struct rxq_cfg cfg = { .action = XDP_PASS };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RXQ_MAX + 1);
	__type(key, __u32);
	__type(value, struct rxq_rec);
} rxq_stats SEC(".maps");

/* Keep a loaded value alive without spending an instruction on it. */
#define KEEP(v) asm volatile("" : : "r"(v))

/*
 * Read one byte of every cache line below cfg.read_bytes; returns false if the frame ends
 * first. Lines in the first buffer are plain loads; lines of a multi-buffer frame's other
 * buffers (the program is loaded frags-capable) are read with bpf_xdp_load_bytes().
 */
static __always_inline int touch(struct xdp_md *ctx, void *data, void *data_end)
{
	__u8 acc = 0, b;

	for (__u32 i = 0; i < RXQ_READ_MAX / RXQ_LINE; i++) {
		__u8 *p = (__u8 *)data + i * RXQ_LINE;

		if (i * RXQ_LINE >= cfg.read_bytes)
			break;
		if ((void *)(p + 1) <= data_end)
			acc ^= *p;
		else if (bpf_xdp_load_bytes(ctx, i * RXQ_LINE, &b, 1))
			return 0;	/* past the end of the whole frame */
		else
			acc ^= b;
	}
	KEEP(acc);
	return 1;
}

static __always_inline int swap_mac(void *data, void *data_end)
{
	__u16 *p = data;
	__u16 t0, t1, t2;

	if ((void *)(p + 6) > data_end)
		return 0;
	t0 = p[0], t1 = p[1], t2 = p[2];
	p[0] = p[3], p[1] = p[4], p[2] = p[5];
	p[3] = t0, p[4] = t1, p[5] = t2;
	return 1;
}

SEC("xdp")
int xdp_rxq_info_prog(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u32 rxq = ctx->rx_queue_index;
	struct rxq_rec *r;
	int ok = 1;

	if (rxq >= RXQ_MAX)
		rxq = RXQ_MAX;
	r = bpf_map_lookup_elem(&rxq_stats, &rxq);
	if (!r)
		return cfg.action;
	r->processed++;
	if (cfg.ifindex && ctx->ingress_ifindex != cfg.ifindex)
		r->bad_ifindex++;

	if (cfg.flags & RXQ_F_READ)
		ok = touch(ctx, data, data_end);
	if (cfg.flags & RXQ_F_SWAPMAC)
		ok &= swap_mac(data, data_end);
	if (!ok)
		r->short_frame++;
	return cfg.action;
}

char LICENSE[] SEC("license") = "GPL";
