// SPDX-License-Identifier: GPL-2.0
/*
 * xdpsock_kern.c: steer the packets of one RX queue into AF_XDP sockets, round-robin over
 * cfg.nsocks slots of the xskmap. The cursor lives in a per-CPU record, so each CPU cycles
 * through the slots on its own (exact round-robin per CPU, no atomics, any number of sockets,
 * not only powers of two). Packets of other queues, and packets whose slot is empty, pass to
 * the stack. Loaded by hand it steers queue 0 to slot 0 and passes when no socket is there.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xdpsock.h"

const volatile struct xsk_cfg cfg = { .queue = 0, .nsocks = 1 };

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XSK_MAX_SOCKS);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xsk_prog_rec);
} xsk_stats SEC(".maps");

SEC("xdp")
int xdpsock_prog(struct xdp_md *ctx)
{
	struct xsk_prog_rec *r;
	__u32 key = 0, slot;
	long act;

	r = bpf_map_lookup_elem(&xsk_stats, &key);
	if (!r)
		return XDP_PASS;
	if (ctx->rx_queue_index != cfg.queue) {
		r->other_queue++;
		return XDP_PASS;
	}
	/* one socket: slot 0, no cursor (cfg is read-only: the verifier keeps one branch). The
	 * counter below then has a constant address; one that depends on a value loaded for
	 * this frame cost a cpumap first stage 2-3% of its whole path (xdp_redirect_cpu) */
	slot = 0;
	if (cfg.nsocks > 1) {
		slot = (__u32)r->cursor;
		if (slot >= cfg.nsocks || slot >= XSK_MAX_SOCKS)
			slot = 0;
		r->cursor = slot + 1 >= cfg.nsocks ? 0 : slot + 1;
	}

	/* the low bits of flags are the verdict when the slot is empty */
	act = bpf_redirect_map(&xsks_map, slot, XDP_PASS);
	if (act == XDP_REDIRECT)
		r->redirect[slot]++;
	else
		r->no_socket++;
	return (int)act;
}

char LICENSE[] SEC("license") = "GPL";
