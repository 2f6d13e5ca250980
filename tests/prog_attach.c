// SPDX-License-Identifier: GPL-2.0
/*
 * The attach module of common_user (xdp_attach_*): bpf_link and netlink attach with the same
 * busy, --force and mode rules, the undo of a netlink attach, the replace check of a detach.
 * Real programs (xdp_rxq_info's, which passes everything by default) on devices of prog_run's
 * private network namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common_user.h"
#include "prog_run.h"
#include "xdp_rxq_info.h"
#include "xdp_rxq_info.skel.h"

/* Two loaded programs (two ids) and a veth pair at0/at1; false when the test must end. */
struct at {
	struct xdp_rxq_info_kern *p[2];
	struct iface dev;	/* at0 */
	struct iface lo;
};

static const struct bpf_program *prog(const struct at *t, int i)
{
	return t->p[i]->progs.xdp_rxq_info_prog;
}

static __u32 id(const struct at *t, int i)
{
	return prog_id_of_fd(bpf_program__fd(prog(t, i)));
}

/* The program on a device (any mode) and how it is attached. */
static __u32 on_dev(const struct iface *ifc, __u8 *attach_mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifc->ifindex, 0, &q))
		return ~0U;
	if (attach_mode)
		*attach_mode = q.attach_mode;
	return q.prog_id;
}

static void at_close(struct at *t)
{
	for (int i = 0; i < 2; i++)
		xdp_rxq_info_kern__destroy(t->p[i]);
	sh("ip link del at0 2>/dev/null");
	if (t->lo.ifindex)
		bpf_xdp_detach(t->lo.ifindex, XDP_FLAGS_SKB_MODE, NULL);
}

static bool at_open(struct at *t)
{
	int err = 0;

	*t = (struct at){};
	for (int i = 0; i < 2 && !err; i++) {
		t->p[i] = xdp_rxq_info_kern__open_and_load();
		err = t->p[i] ? 0 : -errno;
	}
	if (err) {
		if (!skip_if_eperm(err, "load xdp_rxq_info"))
			ASSERT_OK(err, "load xdp_rxq_info_kern twice");
		at_close(t);
		return false;
	}
	if (!ASSERT_OK(sh("ip link add at0 type veth peer name at1 && ip link set at0 up && "
			  "ip link set at1 up"), "veth pair at0/at1") ||
	    !ASSERT_OK(iface_parse(&t->dev, "at0"), "at0") ||
	    !ASSERT_OK(iface_parse(&t->lo, "lo"), "lo")) {
		at_close(t);
		return false;
	}
	return true;
}

/* A busy device is refused without --force, for a bpf_link and for netlink alike; with --force
 * a program attached through netlink is replaced by a link; the link goes with its release. */
TEST(attach_busy_refused_force_replaces_netlink_program)
{
	struct xdp_opts x = { .mode = XDP_MODE_AUTO };
	struct xdp_attach nl = XDP_ATTACH_INIT, ln = XDP_ATTACH_INIT;
	__u32 busy = 0;
	struct at t;

	if (!at_open(&t))
		return;
	if (!ASSERT_OK(xdp_attach_prog(&nl, prog(&t, 0), &t.dev, &x, XDP_VIA_NETLINK, NULL),
		       "netlink attach"))
		goto out;
	ASSERT_EQ(nl.mode, XDP_MODE_NATIVE, "auto: native on veth");
	ASSERT_EQ(nl.link_fd, -1, "netlink: no link");
	xdp_attach_release(&nl);
	ASSERT_EQ(on_dev(&t.dev, NULL), id(&t, 0), "a netlink program stays after release");
	ASSERT_EQ(xdp_attach_prog(&nl, prog(&t, 1), &t.dev, &x, XDP_VIA_NETLINK, &busy), -EEXIST,
		  "netlink attach on a busy device");
	ASSERT_EQ(xdp_attach_prog(&ln, prog(&t, 1), &t.dev, &x, XDP_VIA_LINK, &busy), -EEXIST,
		  "link attach on a busy device");
	ASSERT_EQ(busy, id(&t, 0), "the program found is named");
	x.force = true;
	if (!ASSERT_OK(xdp_attach_prog(&ln, prog(&t, 1), &t.dev, &x, XDP_VIA_LINK, &busy),
		       "--force link attach"))
		goto out;
	ASSERT_TRUE(ln.link_fd >= 0, "a bpf_link");
	ASSERT_EQ(ln.replaced_id, id(&t, 0), "replaced the netlink program");
	ASSERT_EQ(on_dev(&t.dev, NULL), id(&t, 1), "ours runs");
	ASSERT_EQ(xdp_attach_prog(&nl, prog(&t, 0), &t.dev, &x, XDP_VIA_NETLINK, &busy), -EBUSY,
		  "--force cannot take a program held by a bpf_link");
	xdp_attach_release(&ln);
	ASSERT_EQ(on_dev(&t.dev, NULL), 0, "the link went with its release");
out:
	xdp_attach_release(&ln);
	at_close(&t);
}

/* --force removed the program found, then ours could not be attached (lo has no native XDP):
 * the program found is put back, as it was, and the mode refused is a bad value (exit 2). */
TEST(attach_failed_force_puts_the_replaced_program_back)
{
	struct xdp_opts skb = { .mode = XDP_MODE_SKB }, native = { .mode = XDP_MODE_NATIVE,
								   .force = true };
	struct xdp_attach xa = XDP_ATTACH_INIT;
	__u8 mode = 0;
	int fd, err, saved;
	struct at t;

	if (!at_open(&t))
		return;
	if (!ASSERT_OK(xdp_attach_prog(&xa, prog(&t, 0), &t.lo, &skb, XDP_VIA_NETLINK, NULL),
		       "generic attach on lo"))
		goto out;
	xdp_attach_release(&xa);
	ASSERT_EQ(xdp_attach_prog(&xa, prog(&t, 1), &t.lo, &native, XDP_VIA_LINK, NULL),
		  -EOPNOTSUPP, "native on lo refused");
	ASSERT_EQ(on_dev(&t.lo, &mode), id(&t, 0), "the replaced program is back");
	ASSERT_EQ(mode, XDP_ATTACHED_SKB, "in its mode");
	fflush(stderr);
	saved = dup(2);
	fd = open("/dev/null", O_WRONLY);
	dup2(fd, 2);
	err = xdp_attach_or_report(&xa, prog(&t, 1), &t.lo, &native, XDP_VIA_LINK);
	dup2(saved, 2);
	close(saved);
	close(fd);
	ASSERT_EQ(err, EXIT_FAIL_OPTION, "a mode the device lacks: a bad value");
	ASSERT_EQ(on_dev(&t.lo, NULL), id(&t, 0), "still there after the report");
out:
	xdp_attach_release(&xa);
	at_close(&t);
}

/* A netlink attach is undone: ours off, the program --force replaced back on. A detach of ours
 * refuses a device whose program was replaced meanwhile (the atomic replace check). */
TEST(attach_netlink_undo_and_detach_only_ours)
{
	struct xdp_opts x = { .mode = XDP_MODE_SKB };
	struct xdp_attach first = XDP_ATTACH_INIT, ours = XDP_ATTACH_INIT;
	struct at t;

	if (!at_open(&t))
		return;
	if (!ASSERT_OK(xdp_attach_prog(&first, prog(&t, 0), &t.dev, &x, XDP_VIA_NETLINK, NULL),
		       "the first program"))
		goto out;
	xdp_attach_release(&first);
	x.force = true;
	if (!ASSERT_OK(xdp_attach_prog(&ours, prog(&t, 1), &t.dev, &x, XDP_VIA_NETLINK, NULL),
		       "ours, --force"))
		goto out;
	ASSERT_EQ(on_dev(&t.dev, NULL), id(&t, 1), "ours runs");
	xdp_attach_undo(&ours);
	ASSERT_EQ(on_dev(&t.dev, NULL), id(&t, 0), "undone: the first one is back");
	ASSERT_EQ(xdp_detach_ours(t.dev.ifindex, id(&t, 1), XDP_FLAGS_SKB_MODE), -EEXIST,
		  "the detach of ours refuses another program");
	ASSERT_EQ(on_dev(&t.dev, NULL), id(&t, 0), "left in place");
	ASSERT_OK(xdp_detach_ours(t.dev.ifindex, id(&t, 0), XDP_FLAGS_SKB_MODE),
		  "the detach of the program there");
	ASSERT_EQ(on_dev(&t.dev, NULL), 0, "detached");
out:
	xdp_attach_release(&ours);
	at_close(&t);
}

/* The holder of a bpf_link is found: this process. */
TEST(attach_link_holder_is_named)
{
	struct xdp_opts x = { .mode = XDP_MODE_AUTO };
	struct xdp_attach xa = XDP_ATTACH_INIT;
	char comm[64];
	int pid = 0;
	struct at t;

	if (!at_open(&t))
		return;
	if (!ASSERT_OK(xdp_attach_prog(&xa, prog(&t, 0), &t.dev, &x, XDP_VIA_LINK, NULL),
		       "link attach"))
		goto out;
	ASSERT_OK(xdp_link_holder(t.dev.ifindex, xa.prog_id, &pid, comm, sizeof(comm)),
		  "holder found");
	ASSERT_EQ(pid, getpid(), "this process");
	ASSERT_EQ(xdp_busy_check(&t.dev, true) == 0, 0, "--force cannot take it");
out:
	xdp_attach_release(&xa);
	at_close(&t);
}

/* xdp_xmit_check: a veth takes redirected frames only while its peer runs an XDP program (or,
 * seen through the XDP features of 6.3+, has GRO on); the message names the peer. */
TEST(xmit_check_follows_the_veth_peer)
{
	struct xdp_opts x = { .mode = XDP_MODE_AUTO };
	struct xdp_attach xa = XDP_ATTACH_INIT;
	struct iface peer;
	char why[256] = "";
	struct at t;

	if (!at_open(&t))
		return;
	if (!ASSERT_OK(iface_parse(&peer, "at1"), "at1"))
		goto out;
	ASSERT_EQ(xdp_xmit_check(&t.dev, why, sizeof(why)), 0, "no program on the peer");
	ASSERT_TRUE(strstr(why, "peer of veth at0 (at1) runs no XDP program") != NULL, why);
	if (!ASSERT_OK(xdp_attach_prog(&xa, prog(&t, 0), &peer, &x, XDP_VIA_LINK, NULL),
		       "program on the peer"))
		goto out;
	ASSERT_EQ(xdp_xmit_check(&t.dev, why, sizeof(why)), 1, "a program on the peer");
	xdp_attach_release(&xa);
	ASSERT_EQ(xdp_xmit_check(&t.dev, why, sizeof(why)), 0, "the program gone again");
	if (xdp_redirect_frags_ok()) {	/* XDP features: 6.3+ */
		if (!ASSERT_OK(sh("ethtool -K at1 gro on >/dev/null"), "GRO on at1"))
			goto out;
		ASSERT_EQ(xdp_xmit_check(&t.dev, why, sizeof(why)), 1, "GRO on the peer");
	}
	ASSERT_TRUE(xdp_xmit_check(&t.lo, why, sizeof(why)) >= 0, "lo: an answer");
out:
	xdp_attach_release(&xa);
	at_close(&t);
}
