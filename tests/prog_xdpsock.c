// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_PROG_TEST_RUN tests of xdpsock_kern.c: queue steering, the empty-slot fallback as the
 * kernel really implements it, exact round-robin over N real AF_XDP sockets (N = 1, 3, 4, 5),
 * and live frames actually delivered into the sockets' RX rings.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "common_user.h"
#include "prog_run.h"
#include "xdpsock.h"
#include "xdpsock.skel.h"

#define DEV "xsk0"
#define PEER "xsk1"
#define FRAMES 256
#define FSIZE 4096

/* Loaded with this configuration; NULL when the test must end (skipped or failed). */
static struct xdpsock_kern *load_or_end(__u32 queue, __u32 nsocks)
{
	struct xdpsock_kern *s = xdpsock_kern__open();

	if (!ASSERT_OK_PTR(s, "open xdpsock_kern"))
		return NULL;
	s->rodata->cfg.queue = queue;
	s->rodata->cfg.nsocks = nsocks;
	if (!LOADED(xdpsock_kern__load(s), "xdpsock_kern")) {
		xdpsock_kern__destroy(s);
		return NULL;
	}
	return s;
}

#define PROG(s) bpf_program__fd((s)->progs.xdpsock_prog)
#define STATS(s) bpf_map__fd((s)->maps.xsk_stats)

/* The program's record summed over CPUs. */
static struct xsk_prog_rec rec(struct xdpsock_kern *s)
{
	struct xsk_prog_rec r;

	MAP_SUM(STATS(s), 0, &r);
	return r;
}

static __u64 redirected(struct xdpsock_kern *s, unsigned int slot)
{
	return rec(s).redirect[slot];
}

/* A veth pair with 4 queues in the test's private namespace; returns DEV's ifindex or 0. */
static int veth_up(void)
{
	if (sh("ip link add " DEV " numrxqueues 4 numtxqueues 4 type veth peer name " PEER
	       " numrxqueues 4 numtxqueues 4") ||
	    sh("ip link set " DEV " up && ip link set " PEER " up"))
		return 0;
	return (int)if_nametoindex(DEV);
}

static void veth_down(void)
{
	sh("ip link del " DEV " 2>/dev/null");
}

/* n real AF_XDP sockets (copy mode) sharing one UMEM on DEV's queue 0. */
struct xsks {
	void *area;
	struct xsk_umem *umem;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	struct xsk_socket *xsk[XSK_MAX_SOCKS];
	struct xsk_ring_cons rx[XSK_MAX_SOCKS];
	int n;
};

static void xsks_close(struct xsks *x)
{
	for (int i = 0; i < x->n; i++)
		xsk_socket__delete(x->xsk[i]);
	if (x->umem)
		xsk_umem__delete(x->umem);
	if (x->area && x->area != MAP_FAILED)
		munmap(x->area, (size_t)FRAMES * FSIZE);
	memset(x, 0, sizeof(*x));
}

static int xsks_try(struct xsks *x, int n, struct xdpsock_kern *skel)
{
	struct xsk_socket_config sc = { .rx_size = 64, .tx_size = 0, .bind_flags = XDP_COPY,
					.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD };
	struct xsk_umem_config uc = { .fill_size = FRAMES, .comp_size = 64, .frame_size = FSIZE };
	__u32 idx;
	int err;

	memset(x, 0, sizeof(*x));
	x->area = mmap(NULL, (size_t)FRAMES * FSIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (x->area == MAP_FAILED)
		return -ENOMEM;
	err = xsk_umem__create(&x->umem, x->area, (size_t)FRAMES * FSIZE, &x->fq, &x->cq, &uc);
	if (err)
		return err;
	for (int i = 0; i < n; i++) {
		__u32 key = (__u32)i;
		int fd;

		err = xsk_socket__create_shared(&x->xsk[i], DEV, 0, x->umem, &x->rx[i], NULL, &x->fq,
						&x->cq, &sc);
		if (err)
			return err;
		x->n++;
		fd = xsk_socket__fd(x->xsk[i]);
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.xsks_map), &key, &fd, BPF_ANY))
			return -errno;
	}
	if (xsk_ring_prod__reserve(&x->fq, FRAMES, &idx) != FRAMES)
		return -ENOSPC;
	for (__u32 i = 0; i < FRAMES; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx + i) = (__u64)i * FSIZE;
	xsk_ring_prod__submit(&x->fq, FRAMES);
	return 0;
}

/* The kernel frees a closed socket's buffer pool from a workqueue, so the queue can stay busy
 * (EBUSY) for a moment after the previous test closed its sockets: retry, bounded. */
static int xsks_open(struct xsks *x, int n, struct xdpsock_kern *skel)
{
	int err = -EBUSY;

	for (int i = 0; i < 200 && err == -EBUSY; i++) {
		if (i)
			usleep(10000);
		err = xsks_try(x, n, skel);
		if (err)
			xsks_close(x);
	}
	return err;
}

TEST(xsk_hand_loaded_defaults_pass_without_socket)
{
	struct xdpsock_kern *s = xdpsock_kern__open_and_load();
	__u8 pkt[64];
	struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .repeat = 10 };

	if (!LOADED_PTR(s, "xdpsock_kern"))
		return;
	pkt_udp(pkt, sizeof(pkt), false);
	if (ASSERT_OK(xdp_run(PROG(s), &r), "run")) {
		ASSERT_EQ(r.retval, XDP_PASS, "queue 0, slot 0 empty: pass");
		ASSERT_EQ(rec(s).no_socket, 10, "no_socket counted");
		ASSERT_EQ(redirected(s, 0), 0, "nothing redirected");
	}
	xdpsock_kern__destroy(s);
}

/* What the kernel really does with an empty xskmap slot: bpf_redirect_map() returns the
 * fallback in its flags (XDP_PASS here), not XDP_REDIRECT, so the frame reaches the stack. */
TEST(xsk_empty_slot_returns_fallback_not_redirect)
{
	struct xdpsock_kern *s = NULL;
	int ifindex = veth_up();
	__u8 pkt[64];

	if (!ASSERT_TRUE(ifindex > 0, "create veth"))
		goto out;
	s = load_or_end(0, 3);
	if (!s)
		goto out;
	pkt_udp(pkt, sizeof(pkt), false);
	struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .repeat = 9,
			     .ifindex = (__u32)ifindex, .rxq = 0 };

	if (ASSERT_OK(xdp_run(PROG(s), &r), "run")) {
		ASSERT_EQ(r.retval, XDP_PASS, "verdict for an empty slot");
		ASSERT_EQ(rec(s).no_socket, 9, "no_socket");
		for (int i = 0; i < 3; i++)
			ASSERT_EQ(redirected(s, i), 0, "no redirect counted");
	}
out:
	xdpsock_kern__destroy(s);
	veth_down();
}

TEST(xsk_other_queue_passes)
{
	struct xdpsock_kern *s = NULL;
	struct xsks x = {};
	int ifindex = veth_up();
	__u8 pkt[64];

	if (!ASSERT_TRUE(ifindex > 0, "create veth"))
		goto out;
	s = load_or_end(0, 1);
	if (!s || !ASSERT_OK(xsks_open(&x, 1, s), "socket on queue 0"))
		goto out;
	pkt_udp(pkt, sizeof(pkt), false);
	for (__u32 q = 1; q < 4; q++) {
		struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .repeat = 5,
				     .ifindex = (__u32)ifindex, .rxq = q };

		if (!ASSERT_OK(xdp_run(PROG(s), &r), "run on another queue"))
			goto out;
		ASSERT_EQ(r.retval, XDP_PASS, "other queue passes");
	}
	ASSERT_EQ(rec(s).other_queue, 15, "other_queue");
	ASSERT_EQ(redirected(s, 0), 0, "nothing redirected");
	{
		struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .repeat = 7,
				     .ifindex = (__u32)ifindex, .rxq = 0 };

		if (ASSERT_OK(xdp_run(PROG(s), &r), "run on queue 0")) {
			ASSERT_EQ(r.retval, XDP_REDIRECT, "socket in the slot: redirect");
			ASSERT_EQ(redirected(s, 0), 7, "redirect[0]");
			ASSERT_EQ(rec(s).no_socket, 0, "no_socket");
		}
	}
out:
	xsks_close(&x);
	xdpsock_kern__destroy(s);
	veth_down();
}

/* Slot i of n gets repeat / n frames, plus one for the first repeat % n slots. */
static void round_robin_case(int ifindex, int n, __u32 repeat)
{
	struct xdpsock_kern *s = load_or_end(0, (__u32)n);
	struct xsks x = {};
	struct cpu_mask saved;
	__u8 pkt[64];

	if (!s || !ASSERT_OK(xsks_open(&x, n, s), "sockets"))
		goto out;
	pkt_udp(pkt, sizeof(pkt), false);
	cpu_pin(&saved);
	struct xdp_run r = { .data = pkt, .len = sizeof(pkt), .repeat = repeat,
			     .ifindex = (__u32)ifindex, .rxq = 0 };
	int err = xdp_run(PROG(s), &r);

	cpu_unpin(&saved);
	if (!ASSERT_OK(err, "run"))
		goto out;
	ASSERT_EQ(r.retval, XDP_REDIRECT, "verdict");
	for (int i = 0; i < n; i++) {
		char what[64];

		snprintf(what, sizeof(what), "N=%d slot %d", n, i);
		ASSERT_EQ(redirected(s, i), repeat / n + ((__u32)i < repeat % n), what);
	}
	ASSERT_EQ(redirected(s, n), 0, "slot N unused");
	ASSERT_EQ(rec(s).no_socket, 0, "no empty slot hit");
out:
	xsks_close(&x);
	xdpsock_kern__destroy(s);
}

TEST(xsk_round_robin_exact_for_1_3_4_5_sockets)
{
	int ifindex = veth_up();

	if (ASSERT_TRUE(ifindex > 0, "create veth")) {
		round_robin_case(ifindex, 1, 100);
		round_robin_case(ifindex, 3, 1000);	/* 334 333 333: not a power of two */
		round_robin_case(ifindex, 4, 1000);	/* 250 each */
		round_robin_case(ifindex, 5, 1002);	/* 201 201 200 200 200 */
	}
	veth_down();
}

/* Live frames: the redirects really land in the sockets' RX rings, round-robin. */
TEST(xsk_live_frames_reach_sockets_round_robin)
{
	struct xdpsock_kern *s = NULL;
	struct xsks x = {};
	int ifindex = veth_up();
	struct cpu_mask saved;
	__u8 pkt[64];

	if (!ASSERT_TRUE(ifindex > 0, "create veth"))
		goto out;
	s = load_or_end(0, 3);
	if (!s || !ASSERT_OK(xsks_open(&x, 3, s), "sockets"))
		goto out;
	pkt_udp(pkt, sizeof(pkt), false);
	{
		struct xdp_md ctx = { .data_end = sizeof(pkt), .ingress_ifindex = (__u32)ifindex };
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt),
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 30,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 16);
		int err;

		cpu_pin(&saved);
		err = bpf_prog_test_run_opts(PROG(s), &o);
		cpu_unpin(&saved);
		if (!ASSERT_OK(err ? -errno : 0, "live run"))
			goto out;
	}
	for (int i = 0; i < 3; i++) {
		__u32 idx, got = xsk_ring_cons__peek(&x.rx[i], 64, &idx);
		char what[64];

		snprintf(what, sizeof(what), "frames in socket %d's RX ring", i);
		ASSERT_EQ(got, 10, what);
		if (got)
			ASSERT_EQ(xsk_ring_cons__rx_desc(&x.rx[i], idx)->len, sizeof(pkt),
				  "frame length");
		ASSERT_EQ(redirected(s, i), 10, "program's redirect count");
	}
out:
	xsks_close(&x);
	xdpsock_kern__destroy(s);
	veth_down();
}
