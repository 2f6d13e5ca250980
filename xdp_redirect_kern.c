// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_redirect_kern.c: redirect every frame of one device to another (bpf_redirect), to a devmap
 * slot, or to every port of a devmap but the ingress one; swap the MACs, optionally touch the
 * payload, directly or through bpf_xdp_load_bytes/store_bytes. Devmap egress programs rewrite
 * the source MAC or drop, counted per egress port. The contract is in xdp_redirect.h.
 *
 * The per-packet path is one inlined per-CPU array lookup, the helper call and the frame work
 * the configuration asks for: the configuration is read-only data, so the verifier removes
 * every branch this run does not take; the common configurations have programs of their own
 * with the mode and the frame work compiled in (redir_prog_of() in xdp_redirect.h).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xdp_parse.h"
#include "xdp_redirect.h"

const volatile struct redir_cfg cfg = { .mode = REDIR_M_IFINDEX };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct redir_rec);
} redir_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} redir_tx_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, REDIR_PORTS_MAX);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} redir_tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, REDIR_PORTS_MAX);
	__type(key, __u32);
	__type(value, struct redir_port);
} redir_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REDIR_PORTS_MAX + 1);
	__type(key, __u32);
	__type(value, struct redir_egress_rec);
} redir_egress SEC(".maps");

_Static_assert(REDIR_LINE == FRAME_LINE, "one cache line size for user space and frame_touch");

/*
 * The frame work cfg.flags asks for, on a frame about to leave; 0, or PARSE_SHORT. cfg is read
 * where it is tested, not kept in locals: the verifier knows every read (frozen .rodata) and
 * removes the branches this run does not take, where a local spilled to the stack next to
 * another variable would lose its known value and keep them all.
 */
static __always_inline int frame_work(struct xdp_md *ctx)
{
	__u8 eth[ETH_HLEN];
	int rc = 0;

	if (cfg.flags & REDIR_F_READ)
		rc = frame_touch(ctx, cfg.read_bytes, REDIR_READ_MAX,
				 cfg.flags & REDIR_F_LOAD_BYTES);
	if (cfg.flags & REDIR_F_SWAPMAC) {
		if (cfg.flags & REDIR_F_LOAD_BYTES)
			rc |= eth_swap_macs_helper(ctx);
		else
			rc |= eth_swap_macs((void *)(long)ctx->data, (void *)(long)ctx->data_end);
	} else if ((cfg.flags & REDIR_F_LOAD_BYTES) &&
		   bpf_xdp_load_bytes(ctx, 0, eth, sizeof(eth))) {
		rc = PARSE_SHORT;
	}
	return rc;
}

/* --read (one line) with the MAC swap: the first byte read directly; PARSE_SHORT, nothing
 * touched, when the first buffer lacks the addresses (frame_work() then does it all). */
static __always_inline int read_line_swap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;

	if (data + 2 * ETH_ALEN > data_end)
		return PARSE_SHORT;
	PARSE_KEEP(*(__u8 *)data);
	return eth_swap_macs(data, data_end);
}

/*
 * Count the frame, redirect it by mode, then (only if redirected) do the frame work of flags.
 * mode and flags are cfg's in the general program, constants in the specialised ones (no
 * configuration load, no branch on it). The helpers only record the target (the kernel
 * redirects after we return), so the frame is changed only once a target was found.
 */
static __always_inline int redirect(struct xdp_md *ctx, __u32 mode, __u32 flags)
{
	struct redir_rec *r;
	__u32 key = 0, out;
	long act;

	r = bpf_map_lookup_elem(&redir_stats, &key);
	if (!r)
		return XDP_PASS;
	r->rx++;
	if (mode == REDIR_M_MAP) {
		act = bpf_redirect_map(&redir_tx_port, 0, XDP_PASS);
	} else if (mode == REDIR_M_MULTI) {
		act = bpf_redirect_map(&redir_tx_ports, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);
	} else {
		out = cfg.ifindex_out;
		act = out ? bpf_redirect(out, 0) : XDP_PASS;
	}

	if (act == XDP_REDIRECT) {
		r->redirected++;
		if (flags == REDIR_F_SWAPMAC) {
			if (eth_swap_macs((void *)(long)ctx->data, (void *)(long)ctx->data_end))
				r->short_frame++;
		} else if (flags == (REDIR_F_SWAPMAC | REDIR_F_READ) && cfg.read_bytes <= REDIR_LINE &&
			   !read_line_swap(ctx)) {
			/* done */
		} else if (flags == (REDIR_F_SWAPMAC | REDIR_F_LOAD_BYTES)) {
			if (eth_swap_macs_helper(ctx))
				r->short_frame++;
		} else if (flags && frame_work(ctx)) {
			r->short_frame++;
		}
		return XDP_REDIRECT;
	}
	if (act == XDP_PASS) {
		r->no_target++;
		return XDP_PASS;
	}
	r->aborted++;
	return XDP_DROP;
}

/* Any configuration. First in the section, so a hand-loaded object runs this one. */
SEC("xdp.frags")
int xdp_redirect_prog(struct xdp_md *ctx)
{
	return redirect(ctx, cfg.mode, cfg.flags);
}

/* The specialised programs user space picks when the configuration allows (redir_prog_of()). */
SEC("xdp.frags")
int xdp_redirect_swap(struct xdp_md *ctx)
{
	return redirect(ctx, REDIR_M_IFINDEX, REDIR_F_SWAPMAC);
}

SEC("xdp.frags")
int xdp_redirect_map_swap(struct xdp_md *ctx)
{
	return redirect(ctx, REDIR_M_MAP, REDIR_F_SWAPMAC);
}

SEC("xdp.frags")
int xdp_redirect_multi_swap(struct xdp_md *ctx)
{
	return redirect(ctx, REDIR_M_MULTI, REDIR_F_SWAPMAC);
}

SEC("xdp.frags")
int xdp_redirect_read_swap(struct xdp_md *ctx)
{
	return redirect(ctx, REDIR_M_IFINDEX, REDIR_F_SWAPMAC | REDIR_F_READ);
}

SEC("xdp.frags")
int xdp_redirect_load_swap(struct xdp_md *ctx)
{
	return redirect(ctx, REDIR_M_IFINDEX, REDIR_F_SWAPMAC | REDIR_F_LOAD_BYTES);
}

/* --no-swapmac: the frame untouched */
SEC("xdp.frags")
int xdp_redirect_plain(struct xdp_md *ctx)
{
	return redirect(ctx, REDIR_M_IFINDEX, 0);
}

SEC("xdp.frags")
int xdp_redirect_map_plain(struct xdp_md *ctx)
{
	return redirect(ctx, REDIR_M_MAP, 0);
}

SEC("xdp.frags")
int xdp_redirect_multi_plain(struct xdp_md *ctx)
{
	return redirect(ctx, REDIR_M_MULTI, 0);
}

/* The egress port's record and, through *port, its redir_ports entry (NULL if unknown). */
static __always_inline struct redir_egress_rec *egress_rec(struct xdp_md *ctx,
							   struct redir_port **port)
{
	__u32 ifindex = ctx->egress_ifindex, slot = REDIR_PORTS_MAX;
	struct redir_port *p;

	p = bpf_map_lookup_elem(&redir_ports, &ifindex);
	if (p && p->slot < REDIR_PORTS_MAX)
		slot = p->slot;
	else
		p = NULL;
	*port = p;
	return bpf_map_lookup_elem(&redir_egress, &slot);
}

SEC("xdp.frags/devmap")
int xdp_redirect_forward(struct xdp_md *ctx)
{
	__u16 *eth = (void *)(long)ctx->data;
	struct redir_egress_rec *e;
	struct redir_port *p;
	const __u16 *mac;

	e = egress_rec(ctx, &p);
	if (!e)
		return XDP_PASS;
	if (!p || (void *)(eth + 6) > (void *)(long)ctx->data_end) {
		e->untouched++;
		return XDP_PASS;
	}
	mac = (const __u16 *)p->mac;
	eth[3] = mac[0];
	eth[4] = mac[1];
	eth[5] = mac[2];
	e->rewritten++;
	return XDP_PASS;
}

SEC("xdp.frags/devmap")
int xdp_redirect_drop(struct xdp_md *ctx)
{
	struct redir_egress_rec *e;
	struct redir_port *p;

	e = egress_rec(ctx, &p);
	if (e)
		e->dropped++;
	return XDP_DROP;
}

SEC("xdp.frags")
int xdp_redirect_dummy(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
