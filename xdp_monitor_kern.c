// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_monitor_kern.c: count the xdp:* tracepoint events (redirects, redirect errors, exceptions,
 * devmap/bulk transmits, cpumap enqueue and kthread) per CPU, per errno, per device.
 *
 * tp_btf programs: arguments are typed by the kernel's BTF and fields are read through CO-RE
 * relocations (vmlinux.h), so the layouts follow the running kernel. User space turns off the
 * programs whose tracepoints the kernel lacks before load, and uses the raw_tp variants of the
 * redirect programs where the kernel's verifier refuses the tp_btf ones.
 *
 * Device filter (cfg, read-only data): a device is identified by (ifindex, netns inode), since
 * ifindexes are only unique within a network namespace. An event is counted when its source or
 * its destination device matches: in cfg.netns (0: any) and in cfg.dev[] (empty: any).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "xdp_monitor.h"

#define EINVAL 22
#define ENETDOWN 100
#define EMSGSIZE 90
#define EOPNOTSUPP 95
#define ENOSPC 28
#define MON_INT_MAX 0x7fffffff

const volatile struct mon_cfg cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MON_R_MAX);
	__type(key, __u32);
	__type(value, struct mon_redir_rec);
} redirect_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MON_PAIRS_MAX);
	__type(key, struct mon_err_key);
	__type(value, struct mon_redir_rec);
} redirect_err_dev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MON_PAIRS_MAX);
	__type(key, struct mon_exc_key);
	__type(value, struct mon_exc_rec);
} exception_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MON_PAIRS_MAX);
	__type(key, struct mon_xmit_key);
	__type(value, struct mon_xmit_rec);
} devmap_xmit_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MON_PAIRS_MAX);
	__type(key, struct mon_xmit_key);
	__type(value, struct mon_xmit_rec);
} bulk_tx_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MON_CPU_MAX);
	__type(key, __u32);
	__type(value, struct mon_enq_rec);
} cpumap_enqueue_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mon_kthr_rec);
} cpumap_kthread_cnt SEC(".maps");

/* net_device -> nd_net.net -> ns.inum; 0 on kernels without network namespaces */
static __always_inline struct mon_dev dev_id(const struct net_device *dev)
{
	struct mon_dev d = {};

	if (!dev)
		return d;
	d.ifindex = dev->ifindex;
	if (bpf_core_field_exists(dev->nd_net.net))
		d.netns = dev->nd_net.net->ns.inum;
	return d;
}

/* The same for a pointer the verifier cannot trust (read from memory): probe reads. */
static __always_inline struct mon_dev dev_id_probe(const struct net_device *dev)
{
	struct mon_dev d = {};

	if (!dev)
		return d;
	d.ifindex = BPF_CORE_READ(dev, ifindex);
	if (bpf_core_field_exists(dev->nd_net.net))
		d.netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	return d;
}

static __always_inline bool dev_match(struct mon_dev d)
{
	if (cfg.netns && d.netns != cfg.netns)
		return false;
	if (!cfg.n_dev)
		return true;
	for (__u32 i = 0; i < MON_DEV_MAX; i++) {
		if (i >= cfg.n_dev)
			break;
		if (cfg.dev[i] == d.ifindex && d.ifindex)
			return true;
	}
	return false;
}

/* Without any filter every event counts: skip even reading the devices. */
#define FILTERED (cfg.netns || cfg.n_dev)

static __always_inline __u32 redir_slot(int err)
{
	switch (err) {
	case 0:
		return MON_R_SUCCESS;
	case -ENETDOWN:
		return MON_R_ENETDOWN;
	case -EINVAL:
		return MON_R_EINVAL;
	case -EMSGSIZE:
		return MON_R_EMSGSIZE;
	case -EOPNOTSUPP:
		return MON_R_EOPNOTSUPP;
	case -ENOSPC:
		return MON_R_ENOSPC;
	default:
		return MON_R_OTHER;
	}
}

/* The destination of a redirect: a devmap entry's device, or bpf_redirect()'s ifindex, which
 * the kernel resolves in the source device's namespace. Unknown (cpumap, xskmap): zero. */
static __always_inline struct mon_dev redir_target(struct mon_dev from, const void *tgt,
						   enum bpf_map_type map_type, __u32 map_id,
						   __u32 index)
{
	struct mon_dev to = {};

	if ((map_type == BPF_MAP_TYPE_DEVMAP || map_type == BPF_MAP_TYPE_DEVMAP_HASH) && tgt) {
		const struct bpf_dtab_netdev *e = tgt;

		to = dev_id_probe(BPF_CORE_READ(e, dev));
	} else if (map_type == BPF_MAP_TYPE_UNSPEC && map_id == MON_INT_MAX) {
		to.ifindex = index;
		to.netns = from.netns;
	}
	return to;
}

static __always_inline void count_err_dev(struct mon_dev from, struct mon_dev to, __u32 slot)
{
	struct mon_err_key key = { .from = from, .to = to, .slot = slot };
	struct mon_redir_rec *r, zero = {};

	r = bpf_map_lookup_elem(&redirect_err_dev, &key);
	if (!r) {
		bpf_map_update_elem(&redirect_err_dev, &key, &zero, BPF_NOEXIST);
		r = bpf_map_lookup_elem(&redirect_err_dev, &key);
		if (!r)
			return;
	}
	r->count++;
}

/* probe: the devices come from a raw_tp program, as plain numbers (read with probe reads).
 * The target is found only where it is needed: for the filter when the source does not match,
 * and for an error counted per device. */
static __always_inline int count_redirect(const struct net_device *dev, const void *tgt,
					  int err, enum bpf_map_type map_type, __u32 map_id,
					  __u32 index, bool probe)
{
	struct mon_dev from = {}, to = {};
	bool by_dev = cfg.err_by_dev && err;
	struct mon_redir_rec *r;
	__u32 key;

	if (FILTERED || by_dev) {
		bool match;

		from = probe ? dev_id_probe(dev) : dev_id(dev);
		match = !FILTERED || dev_match(from);
		if (by_dev || !match)
			to = redir_target(from, tgt, map_type, map_id, index);
		if (!match && !dev_match(to))
			return 0;
	}
	key = redir_slot(err);
	r = bpf_map_lookup_elem(&redirect_cnt, &key);
	if (r)
		r->count++;
	if (by_dev)
		count_err_dev(from, to, key);
	return 0;
}

/*
 * The redirect tracepoints, each twice: as tp_btf (typed arguments, direct reads) and as raw_tp
 * (every argument a plain u64, devices read with probe reads). Verifiers before 6.16 refuse
 * tp_btf programs that read a `const void *` argument such as tgt ("arg2 type UNKNOWN is not a
 * struct"); user space loads the raw_tp program where the tp_btf one does not verify.
 * xdp_redirect_map and xdp_redirect_map_err are still defined (but no longer fired) on 6.1 and
 * gone since 2025; kernels that fire them fire them instead of xdp_redirect[_err], never both.
 */
#define REDIRECT_PROGS(tp)								\
SEC("tp_btf/" #tp)									\
int BPF_PROG(tp_##tp, const struct net_device *dev, const struct bpf_prog *xdp,		\
	     const void *tgt, int err, enum bpf_map_type map_type, __u32 map_id, __u32 index)	\
{											\
	return count_redirect(dev, tgt, err, map_type, map_id, index, false);		\
}											\
											\
SEC("raw_tp/" #tp)									\
int BPF_PROG(raw_##tp, const struct net_device *dev, const struct bpf_prog *xdp,		\
	     const void *tgt, int err, enum bpf_map_type map_type, __u32 map_id, __u32 index)	\
{											\
	return count_redirect(dev, tgt, err, map_type, map_id, index, true);		\
}

REDIRECT_PROGS(xdp_redirect)
REDIRECT_PROGS(xdp_redirect_err)
REDIRECT_PROGS(xdp_redirect_map)
REDIRECT_PROGS(xdp_redirect_map_err)

SEC("tp_btf/xdp_exception")
int BPF_PROG(tp_xdp_exception, const struct net_device *dev, const struct bpf_prog *xdp,
	     __u32 act)
{
	struct mon_exc_key key = { .dev = dev_id(dev), .action = act };
	struct mon_exc_rec *r, zero = {};

	if (!dev_match(key.dev))
		return 0;
	if (act > XDP_REDIRECT)
		key.action = MON_ACT_UNKNOWN;
	r = bpf_map_lookup_elem(&exception_cnt, &key);
	if (!r) {
		bpf_map_update_elem(&exception_cnt, &key, &zero, BPF_NOEXIST);
		r = bpf_map_lookup_elem(&exception_cnt, &key);
		if (!r)
			return 0;
	}
	r->count++;
	return 0;
}

static __always_inline int count_xmit(void *map, struct mon_xmit_key *key, int sent, int drops,
				      int err)
{
	struct mon_xmit_rec *r, zero = {};

	r = bpf_map_lookup_elem(map, key);
	if (!r) {
		bpf_map_update_elem(map, key, &zero, BPF_NOEXIST);
		r = bpf_map_lookup_elem(map, key);
		if (!r)
			return 0;
	}
	r->events++;
	r->sent += sent > 0 ? sent : 0;
	r->drops += drops > 0 ? drops : 0;
	if (err || drops < 0) {
		r->err_events++;
		r->last_err = (__u64)(__s64)err;
	}
	return 0;
}

SEC("tp_btf/xdp_devmap_xmit")
int BPF_PROG(tp_xdp_devmap_xmit, const struct net_device *from_dev,
	     const struct net_device *to_dev, int sent, int drops, int err)
{
	struct mon_xmit_key key = { .from = dev_id(from_dev), .to = dev_id(to_dev) };

	if (!dev_match(key.from) && !dev_match(key.to))
		return 0;
	return count_xmit(&devmap_xmit_cnt, &key, sent, drops, err);
}

SEC("tp_btf/xdp_bulk_tx")
int BPF_PROG(tp_xdp_bulk_tx, const struct net_device *dev, int sent, int drops, int err)
{
	struct mon_xmit_key key = { .to = dev_id(dev) };

	if (!dev_match(key.to))
		return 0;
	return count_xmit(&bulk_tx_cnt, &key, sent, drops, err);
}

/* cpumap events carry no device: they are counted whatever the device filter. */
SEC("tp_btf/xdp_cpumap_enqueue")
int BPF_PROG(tp_xdp_cpumap_enqueue, int map_id, unsigned int processed, unsigned int drops,
	     int to_cpu)
{
	__u32 key = to_cpu < 0 ? 0 : (__u32)to_cpu;
	struct mon_enq_rec *r;

	if (key >= MON_CPU_MAX)
		key = MON_CPU_MAX - 1;
	r = bpf_map_lookup_elem(&cpumap_enqueue_cnt, &key);
	if (!r)
		return 0;
	r->events++;
	r->processed += processed;
	r->drops += drops;
	return 0;
}

SEC("tp_btf/xdp_cpumap_kthread")
int BPF_PROG(tp_xdp_cpumap_kthread, int map_id, unsigned int processed, unsigned int drops,
	     int sched, struct xdp_cpumap_stats *xdp_stats)
{
	struct mon_kthr_rec *r;
	__u32 key = 0;

	r = bpf_map_lookup_elem(&cpumap_kthread_cnt, &key);
	if (!r)
		return 0;
	r->events++;
	r->processed += processed;
	r->drops += drops;
	r->sched += sched ? 1 : 0;
	if (xdp_stats) {
		r->xdp_pass += xdp_stats->pass;
		r->xdp_drop += xdp_stats->drop;
		r->xdp_redirect += xdp_stats->redirect;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
