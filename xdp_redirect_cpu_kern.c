// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_redirect_cpu_kern.c: spread the frames of one device over a list of CPUs through a
 * cpumap (the frames are built into skbs on the target CPU, not the receive CPU), choosing the
 * CPU per frame by one of several strategies; an optional second stage runs on the target CPU
 * and passes, drops or redirects each frame. The contract is in xdp_redirect_cpu.h.
 *
 * The configuration is read-only data: the verifier keeps only the strategy of this run.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xdp_parse.h"
#include "xdp_redirect_cpu.h"

const volatile struct rcpu_cfg cfg = { .ncpus = 0 };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rcpu_rec);
} rcpu_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rcpu_remote_rec);
} rcpu_remote SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, RCPU_CPUS_MAX);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} rcpu_cpu_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} rcpu_tx_port SEC(".maps");

/* The index a header-reading strategy picks, before scaling to ncpus. */
static __always_inline __u32 flow_pick(__u32 lb, const struct parse_flow *f, __u32 ncpus)
{
	switch (lb) {
	case RCPU_LB_HASH:
		if (!f->ip4 && !f->ip6)
			return 0;
		/* the hash scaled to 0..ncpus-1 by multiplication: no division */
		return (__u32)(((__u64)parse_flow_hash(f) * ncpus) >> 32);
	case RCPU_LB_L4_PROTO:
		if (f->proto == IPPROTO_UDP)
			return 1 % ncpus;
		if (f->proto == IPPROTO_ICMP || f->proto == IPPROTO_ICMPV6)
			return 2 % ncpus;
		return 0;	/* TCP, other protocols, not IP */
	case RCPU_LB_L4_SPORT:
		return bpf_ntohs(f->sport) % ncpus;
	default:		/* RCPU_LB_L4_DPORT */
		return bpf_ntohs(f->dport) % ncpus;
	}
}

/* The target index for this frame by strategy lb, 0..ncpus-1. */
static __always_inline __u32 pick(struct xdp_md *ctx, struct rcpu_rec *r, __u32 lb,
				  __u32 ncpus)
{
	struct parse_flow f;
	struct parse_cur c;
	struct ethhdr *eth;
	__u32 i;
	int rc;

	switch (lb) {
	case RCPU_LB_NO_TOUCH:
		return 0;
	case RCPU_LB_TOUCH:
		parse_init(&c, ctx);
		rc = parse_eth(&c, &eth);
		if (rc < 0)
			r->malformed++;
		PARSE_KEEP(rc);
		return 0;
	case RCPU_LB_ROUND_ROBIN:
		i = (__u32)r->cursor;
		if (i >= ncpus)
			i = 0;
		r->cursor = i + 1 >= ncpus ? 0 : i + 1;
		return i;
	default:
		if (parse_flow(ctx, &f) < 0) {
			r->malformed++;
			return 0;
		}
		return flow_pick(lb, &f, ncpus);
	}
}

/* Count the frame and send it to the target that strategy lb picks: cfg.lb in the general
 * program, a constant in the specialised ones (the strategy compiled in). */
static __always_inline int spread(struct xdp_md *ctx, __u32 lb)
{
	__u32 ncpus = cfg.ncpus, key = 0, i;
	struct rcpu_rec *r;
	long act;

	r = bpf_map_lookup_elem(&rcpu_stats, &key);
	if (!r)
		return XDP_PASS;
	r->rx++;
	if (!ncpus || ncpus > RCPU_TARGETS_MAX) {
		r->no_entry++;
		return XDP_PASS;
	}
	i = pick(ctx, r, lb, ncpus);
	/* cannot happen, but the verifier must see cfg.cpus[i] in bounds: the empty asm keeps
	 * clang from dropping a check it can prove redundant */
	asm volatile("" : "+r"(i));
	if (i >= ncpus)
		i = 0;
	/* no entry for that CPU: the low bits of the flags are the verdict, XDP_PASS */
	act = bpf_redirect_map(&rcpu_cpu_map, cfg.cpus[i], XDP_PASS);
	if (act == XDP_REDIRECT) {
		r->redirected++;
		/* With one target its count is redirected (user space fills it in). The test costs
		 * nothing: ncpus is read-only, the verifier keeps one branch. The increment it saves
		 * does: its address depends on the frame's contents (i, from the hash), and that
		 * cost the hash strategy 2-3% of a whole cpumap drop path (make bench). */
		if (ncpus > 1)
			r->target[i].redirected++;
		return XDP_REDIRECT;
	}
	r->no_entry++;
	r->target[i].no_entry++;
	return XDP_PASS;
}

/* Any strategy. First in the section, so a hand-loaded object runs this one. */
SEC("xdp.frags")
int xdp_redirect_cpu_prog(struct xdp_md *ctx)
{
	return spread(ctx, cfg.lb);
}

/* The specialised programs user space picks for their strategy (rcpu_prog_of()). */
SEC("xdp.frags")
int xdp_redirect_cpu_rr(struct xdp_md *ctx)
{
	return spread(ctx, RCPU_LB_ROUND_ROBIN);
}

SEC("xdp.frags")
int xdp_redirect_cpu_hash(struct xdp_md *ctx)
{
	return spread(ctx, RCPU_LB_HASH);
}

SEC("xdp.frags")
int xdp_redirect_cpu_no_touch(struct xdp_md *ctx)
{
	return spread(ctx, RCPU_LB_NO_TOUCH);
}

SEC("xdp.frags/cpumap")
int xdp_redirect_cpu_remote(struct xdp_md *ctx)
{
	__u32 action = cfg.remote_action, key = 0;
	struct rcpu_remote_rec *r;
	long act;

	r = bpf_map_lookup_elem(&rcpu_remote, &key);
	if (!r)
		return XDP_PASS;
	if (action == RCPU_REMOTE_DROP) {
		r->drop++;
		return XDP_DROP;
	}
	if (action != RCPU_REMOTE_REDIRECT) {
		r->pass++;
		return XDP_PASS;
	}
	act = bpf_redirect_map(&rcpu_tx_port, 0, XDP_PASS);
	if (act != XDP_REDIRECT) {
		r->no_target++;
		return XDP_PASS;
	}
	r->redirect++;
	if ((cfg.flags & RCPU_F_SWAPMAC) &&
	    eth_swap_macs((void *)(long)ctx->data, (void *)(long)ctx->data_end))
		r->short_frame++;
	return XDP_REDIRECT;
}

char LICENSE[] SEC("license") = "GPL";
