// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_sample_pkts_kern.c: pass every frame; for 1 in cfg.rate frames (per CPU, exact) write a
 * struct sample_hdr and the first cfg.snaplen bytes of the frame to a perf event buffer.
 * The frame bytes are appended by bpf_perf_event_output itself: their count goes in the upper
 * 32 bits of the flags, and the kernel refuses (-EFAULT) a count above the frame length, so the
 * count is clamped to the frame first. Loaded by hand, it passes everything and samples 64 bytes
 * of every frame (nothing reads them: the output errors are counted).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xdp_sample_pkts.h"

const volatile struct sample_cfg cfg = { .snaplen = SAMPLE_SNAPLEN_DEF, .rate = 1 };

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	/* max_entries 0: libbpf sizes it to the number of possible CPUs */
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sample_stats);
} sample_stats SEC(".maps");

SEC("xdp")
int xdp_sample_prog(struct xdp_md *ctx)
{
	__u32 rate = cfg.rate, snaplen = cfg.snaplen;
	struct sample_stats *st;
	struct sample_hdr hdr;
	__u64 seq, flags;
	__u32 len, cap;

	st = bpf_map_lookup_elem(&sample_stats, &(__u32){ 0 });
	if (!st)
		return XDP_PASS;
	seq = st->seen++;
	if (rate > 1 && seq % rate)
		return XDP_PASS;

	/* the whole frame, fragments included (xdp_sample_pkts loads it frags-capable) */
	len = (__u32)bpf_xdp_get_buff_len(ctx);
	if (!snaplen || snaplen > SAMPLE_SNAPLEN_MAX)
		snaplen = SAMPLE_SNAPLEN_DEF;
	cap = len < snaplen ? len : snaplen;

	hdr.magic = SAMPLE_MAGIC;
	hdr.cap_len = (__u16)cap;
	hdr.pkt_len = len;
	hdr.ifindex = ctx->ingress_ifindex;
	hdr.rx_queue = ctx->rx_queue_index;
	hdr.seq = seq;
	hdr.ktime_ns = bpf_ktime_get_ns();

	flags = BPF_F_CURRENT_CPU | ((__u64)cap << 32);
	if (bpf_perf_event_output(ctx, &samples, flags, &hdr, sizeof(hdr)))
		st->out_err++;
	else
		st->sampled++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
