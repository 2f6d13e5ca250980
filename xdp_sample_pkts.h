/* SPDX-License-Identifier: GPL-2.0 */
/* xdp_sample_pkts.h: contract between xdp_sample_pkts_kern.c and xdp_sample_pkts_user.c */
#ifndef XDP_SAMPLE_PKTS_H
#define XDP_SAMPLE_PKTS_H

#define SAMPLE_MAGIC 0x5853u		/* "XS": first field of every record */
#define SAMPLE_SNAPLEN_DEF 64		/* default --snaplen */
/*
 * Largest --snaplen: a jumbo frame (9000-byte MTU + Ethernet + 2 VLAN tags), well below the
 * 64 KiB limit of one perf record. The program is loaded frags-capable: the frame's length is
 * that of all its buffers (bpf_xdp_get_buff_len), bpf_perf_event_output copies across them, and
 * the captured bytes never exceed the frame (cap_len = min(snaplen, length)).
 */
#define SAMPLE_SNAPLEN_MAX 9216

struct sample_cfg {		/* .rodata, written before load; the object's defaults work */
	__u32 snaplen;		/* bytes of each sampled frame to copy (0: SAMPLE_SNAPLEN_DEF) */
	__u32 rate;		/* sample 1 in rate frames per CPU (0 or 1: every frame) */
};

/*
 * Per-CPU counters (PERCPU_ARRAY sample_stats, one slot). seen also drives sampling: on each
 * CPU the frames numbered 0, rate, 2*rate, ... (counting from the load) are sampled, so a CPU
 * that saw n frames sampled exactly ceil(n / rate) of them.
 */
struct sample_stats {
	__u64 seen;		/* every frame */
	__u64 sampled;		/* frames chosen and written to the perf buffer */
	/*
	 * Chosen, but bpf_perf_event_output failed: the CPU's perf buffer was full (-ENOSPC) or
	 * had no reader (-ENOENT). This is the exact count of lost samples; the perf buffer's own
	 * lost records report the same drops later (at the next successful output on that CPU).
	 */
	__u64 out_err;
};

/*
 * One record in the perf buffer: this header, then cap_len bytes of the frame (appended by the
 * helper from the upper 32 bits of its flags). The perf record is padded to 8 bytes, so the
 * size user space receives may exceed sizeof(header) + cap_len by up to 7 bytes.
 */
struct sample_hdr {
	__u16 magic;		/* SAMPLE_MAGIC */
	__u16 cap_len;		/* bytes of the frame that follow: min(snaplen, pkt_len) */
	__u32 pkt_len;		/* original frame length */
	__u32 ifindex;		/* ingress device */
	__u32 rx_queue;		/* ingress RX queue */
	__u64 seq;		/* the frame's number on this CPU (the value of seen before it) */
	__u64 ktime_ns;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
};

#endif /* XDP_SAMPLE_PKTS_H */
