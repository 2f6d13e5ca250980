// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_fwd: XDP fast-path IPv4/IPv6 forwarding with the kernel's FIB (bpf_fib_lookup).
 *
 *   xdp_fwd [options] IFACE...       attach (through netlink: stays after this process exits)
 *   xdp_fwd -d IFACE...              detach, only our own program (atomic replace check)
 *   xdp_fwd -s [IFACE...]            live counters per device: forwarded, passed by reason
 *
 * The state lives in the kernel only, never in the filesystem: the program attached to each
 * device of this network namespace, recognised as ours by its name and its maps' definitions,
 * and the maps it uses (the devmap xdp_fwd_ports, the counters xdp_fwd_stats and
 * xdp_fwd_stats_hi), found by id. Every call looks at what the kernel holds, under a lock of the
 * namespace, and first makes the devmap (the router's ports) match the devices that run our
 * program; an attach reuses the maps it found, so all our devices share one devmap. The maps go
 * away with the last program that uses them: nothing can go stale.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common_user.h"
#include "xdp_fwd.h"
#include "xdp_fwd.skel.h"
#include "xdp_trace.h"

/* The router's maps, by their names in xdp_fwd_kern.c; then what else a program may use. */
enum { MAP_STATS, MAP_STATS_HI, MAP_PORTS, MAP_N, MAP_INTERNAL = MAP_N, MAP_FOREIGN };

/* One xdp_fwd call at a time per network namespace: the lock is this abstract unix socket. */
#define FWD_LOCK_NAME "xdp_fwd.lock"
#define FWD_LOCK_WAIT_S 30

enum fwd_cmd { FWD_CMD_NONE, FWD_CMD_STATS };

static const struct opt_cmd fwd_cmds[] = {
	{ "stats", FWD_CMD_STATS, "the same as -s: xdp_fwd stats [options] [IFACE...]" },
	{ NULL, 0, NULL },
};

struct fwd_opts {
	struct iface_list devs;
	int cmd;		/* enum fwd_cmd */
	bool detach;
	bool stats;
	bool direct;
	struct xdp_opts xdp;
	struct run_opts run;
};

static const struct fwd_opts fwd_defaults = {
	.xdp.mode = XDP_MODE_AUTO,
	.run.interval = 2.0,
};

#define O(...) OPTION(struct fwd_opts, __VA_ARGS__)
static const struct opt_def fwd_opt_defs[] = {
	O("detach", 'd', OPT_BOOL, detach, NULL, "detach xdp_fwd from the devices (only ours)"),
	O("stats", 's', OPT_BOOL, stats, NULL,
	  "show live counters of the devices (all of ours when none given)"),
	O("direct", 'D', OPT_BOOL, direct, NULL, "FIB lookup skips policy rules (BPF_FIB_LOOKUP_DIRECT)"),
	OPT_ROWS_XDP(struct fwd_opts),
	OPT_ROW_INTERVAL(struct fwd_opts, "interval", 'i', "seconds between reports (with -s)"),
	OPT_ROW_DURATION(struct fwd_opts, 0),
	OPT_ROWS_OUTPUT(struct fwd_opts, 'z',
			"-s prints one JSON object per interval and a summary"),
	O("dev", 0, OPT_IFACES, devs, "IFACE...", "devices", .positional = true),
	OPT_END,
};
#undef O

static const struct opt_tool fwd_tool = {
	.name = "xdp_fwd",
	.summary = "Forward IPv4/IPv6 in XDP with the kernel FIB; count why packets go to the stack.",
	.usage = "[options] IFACE... | -d IFACE... | -s [IFACE...] | stats [IFACE...]",
	.defs = fwd_opt_defs,
	.defaults = &fwd_defaults,
	.cmds = fwd_cmds,
	.cmd_off = offsetof(struct fwd_opts, cmd),
	.doc = "Attaching goes through netlink: the program stays after xdp_fwd exits. Enable\n"
	       "forwarding (sysctl net.ipv4.ip_forward=1, net.ipv6.conf.all.forwarding=1); a packet\n"
	       "is forwarded in XDP only when the egress device runs xdp_fwd too, else the stack\n"
	       "forwards it (reason no_port). Reasons: no_port blackhole unreachable prohibit\n"
	       "not_fwded fwd_disabled unsupp_lwt no_neigh frag_needed no_src_addr fib_other ttl\n"
	       "not_ip malformed multi_buf (a multi-buffer frame: before Linux 6.3 XDP cannot\n"
	       "redirect it). xdp_fwd keeps no files: each call finds its programs and maps in\n"
	       "the kernel (needs CAP_SYS_ADMIN and CAP_NET_ADMIN). Exit codes: see README.\n",
};

static const char *const reason_names[FWD_R_N] = {
	[FWD_R_NO_PORT] = "no_port",		[FWD_R_BLACKHOLE] = "blackhole",
	[FWD_R_UNREACHABLE] = "unreachable",	[FWD_R_PROHIBIT] = "prohibit",
	[FWD_R_NOT_FWDED] = "not_fwded",	[FWD_R_FWD_DISABLED] = "fwd_disabled",
	[FWD_R_UNSUPP_LWT] = "unsupp_lwt",	[FWD_R_NO_NEIGH] = "no_neigh",
	[FWD_R_FRAG_NEEDED] = "frag_needed",	[FWD_R_NO_SRC_ADDR] = "no_src_addr",
	[FWD_R_FIB_OTHER] = "fib_other",	[FWD_R_TTL] = "ttl",
	[FWD_R_NOT_IP] = "not_ip",		[FWD_R_MALFORMED] = "malformed",
	[FWD_R_MULTI_BUF] = "multi_buf",
};

/* ------------------------------------------------------------------ privileges, lock, signals */

/*
 * Finding our programs and maps by id (BPF_PROG_GET_FD_BY_ID, BPF_MAP_GET_FD_BY_ID) takes
 * CAP_SYS_ADMIN (CAP_BPF is not enough), the netlink attach CAP_NET_ADMIN; CAP_SYS_ADMIN
 * covers CAP_BPF and CAP_PERFMON.
 */
static int fwd_priv_require(void)
{
	bool admin = cap_effective(CAP_SYS_ADMIN), net = cap_effective(CAP_NET_ADMIN);

	if (admin && net)
		return 0;
	return report(0, EXIT_FAIL_PRIV, "missing privileges: need %s%s%s (run as root)%s",
		      admin ? "" : "CAP_SYS_ADMIN", !admin && !net ? " " : "",
		      net ? "" : "CAP_NET_ADMIN",
		      admin ? "" : "; xdp_fwd finds its programs and maps by id, which takes "
				   "CAP_SYS_ADMIN (CAP_BPF is not enough)");
}

/* Who binds the lock (its SO_PEERCRED), 0 when that cannot be learnt. */
static pid_t lock_holder(const struct sockaddr_un *sa, socklen_t len)
{
	struct ucred cred = {};
	socklen_t clen = sizeof(cred);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	pid_t pid = 0;

	if (fd < 0)
		return 0;
	if (!connect(fd, (const struct sockaddr *)sa, len) &&
	    !getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen))
		pid = cred.pid;
	close(fd);
	return pid;
}

/*
 * Serialise xdp_fwd calls within this network namespace: the one that binds the abstract unix
 * socket FWD_LOCK_NAME holds the lock. Abstract socket names belong to the network namespace
 * (the same under `ip netns exec`, nsenter or neither), are no files, and the kernel frees them
 * when the process ends, even on SIGKILL, so the lock never goes stale. Returns the socket
 * (close it to release the lock) or -errno: -ETIMEDOUT after FWD_LOCK_WAIT_S seconds, with the
 * holder's pid in *holder (0: unknown).
 */
static int ns_lock(pid_t *holder)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				    strlen(FWD_LOCK_NAME));
	const struct timespec pause = { .tv_nsec = 5 * 1000 * 1000 };
	__u64 start = now_ns(), deadline = start + FWD_LOCK_WAIT_S * 1000000000ULL;
	bool said = false;
	int fd, err;

	memcpy(sa.sun_path + 1, FWD_LOCK_NAME, strlen(FWD_LOCK_NAME));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	while (bind(fd, (struct sockaddr *)&sa, len)) {
		sigset_t pending;

		err = -errno;
		/* the stop signals are blocked (tool_begin): one that arrives while we wait ends
		 * the wait, before this call has changed anything */
		sigpending(&pending);
		if (err == -EADDRINUSE && (sigismember(&pending, SIGINT) ||
					   sigismember(&pending, SIGTERM) ||
					   sigismember(&pending, SIGHUP)))
			err = -EINTR;
		else if (err == -EADDRINUSE && now_ns() > deadline)
			err = -ETIMEDOUT;
		if (err != -EADDRINUSE) {
			if (err == -EINTR || err == -ETIMEDOUT)
				*holder = lock_holder(&sa, len);
			close(fd);
			return err;
		}
		if (!said && now_ns() - start > 1000000000ULL) {
			fprintf(stderr, "xdp_fwd: waiting for another xdp_fwd (pid %d) in this network "
				"namespace (at most %d s)\n", (int)lock_holder(&sa, len),
				FWD_LOCK_WAIT_S);
			said = true;
		}
		nanosleep(&pause, NULL);
	}
	listen(fd, 1);	/* lets a waiter that gives up learn who holds the lock */
	return fd;
}

/* ------------------------------------------------------------------ our maps */

struct maps {
	int fd[MAP_N];		/* by MAP_*; -1 when not open */
};

/* The skeleton's maps in MAP_* order. */
static void skel_maps(const struct xdp_fwd_kern *skel, struct bpf_map *maps[MAP_N])
{
	maps[MAP_STATS] = skel->maps.xdp_fwd_stats;
	maps[MAP_STATS_HI] = skel->maps.xdp_fwd_stats_hi;
	maps[MAP_PORTS] = skel->maps.xdp_fwd_ports;
}

/* A device's counters: in the array below FWD_STATS_DIRECT, in the hash above (xdp_fwd.h). */
static int stats_fd_of(const struct maps *m, __u32 ifindex)
{
	return m->fd[ifindex < FWD_STATS_DIRECT ? MAP_STATS : MAP_STATS_HI];
}

/* Zero a device's counters (creating its hash entry when it has one). */
static int stats_reset(const struct maps *m, __u32 key, int ncpus)
{
	struct fwd_rec *zero = calloc((size_t)ncpus, sizeof(*zero));
	int err;

	if (!zero)
		return -ENOMEM;
	err = bpf_map_update_elem(stats_fd_of(m, key), &key, zero, BPF_ANY) ? -errno : 0;
	free(zero);
	return err;
}

/* Forget a device's counters: zeroed in the array, deleted from the hash. */
static void stats_drop(const struct maps *m, __u32 key)
{
	if (key < FWD_STATS_DIRECT)
		stats_reset(m, key, ncpus_possible());
	else
		bpf_map_delete_elem(m->fd[MAP_STATS_HI], &key);
}

/* The keys of a map keyed by ifindex (up to max in keys); their number or -errno. */
static int map_keys(int fd, __u32 *keys, int max)
{
	__u32 key, next;
	int n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (keys && n < max)
			keys[n] = next;
		n++;
		key = next;
		prev = &key;
	}
	return errno == ENOENT ? n : -errno;
}

static bool is_port(const struct maps *m, __u32 ifindex)
{
	__u32 val;

	return !bpf_map_lookup_elem(m->fd[MAP_PORTS], &ifindex, &val);
}

static __u32 map_fd_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* A map of ours: the skeleton's definition (the kernel keeps 15 characters of a name). */
static bool map_matches(const struct bpf_map_info *info, const struct bpf_map *want)
{
	return !strncmp(info->name, bpf_map__name(want), BPF_OBJ_NAME_LEN - 1) &&
	       info->type == bpf_map__type(want) && info->key_size == bpf_map__key_size(want) &&
	       info->value_size == bpf_map__value_size(want) &&
	       info->max_entries == bpf_map__max_entries(want);
}

/* Which map id is: MAP_* (ours), MAP_INTERNAL (libbpf's .rodata and such), MAP_FOREIGN, -errno. */
static int map_kind(struct bpf_map *const maps[MAP_N], __u32 id)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_map_get_fd_by_id(id), kind = MAP_FOREIGN;

	if (fd < 0)
		return errno == ENOENT ? MAP_FOREIGN : -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		kind = -errno;
	else if (strchr(info.name, '.'))
		kind = MAP_INTERNAL;
	for (int i = 0; i < MAP_N && kind == MAP_FOREIGN; i++)
		if (map_matches(&info, maps[i]))
			kind = i;
	close(fd);
	return kind;
}

/*
 * Is program prog_id ours? It must be an XDP program named FWD_PROG_NAME whose maps are our
 * three (by name and definition) besides libbpf's internal ones, so a foreign program that
 * happens to bear our name is not taken for ours. 1 with its maps' ids by MAP_* in ids,
 * 0 when not ours (or gone meanwhile), -errno.
 */
static int prog_ours(struct bpf_map *const maps[MAP_N], __u32 prog_id, __u32 ids[MAP_N])
{
	struct bpf_prog_info info = {};
	__u32 map_ids[8] = {}, len = sizeof(info);
	int fd, ret = 0;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	info.nr_map_ids = ARRAY_SIZE(map_ids);
	info.map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		ret = -errno;
		goto out;
	}
	if (info.type != BPF_PROG_TYPE_XDP || strcmp(info.name, FWD_PROG_NAME) ||
	    info.nr_map_ids > ARRAY_SIZE(map_ids))
		goto out;
	memset(ids, 0, MAP_N * sizeof(*ids));
	for (__u32 i = 0; i < info.nr_map_ids; i++) {
		int kind = map_kind(maps, map_ids[i]);

		if (kind < 0) {
			ret = kind;
			goto out;
		}
		if (kind == MAP_FOREIGN || (kind < MAP_N && ids[kind]))
			goto out;
		if (kind < MAP_N)
			ids[kind] = map_ids[i];
	}
	ret = ids[MAP_STATS] && ids[MAP_STATS_HI] && ids[MAP_PORTS];
out:
	close(fd);
	return ret;
}

/* ------------------------------------------------------------------ the state in the kernel */

/* A device of this namespace that runs our program with the router's maps. */
struct fwd_dev {
	struct iface ifc;
	__u32 prog_id;
	__u32 flags;		/* XDP_FLAGS_*_MODE it is attached in */
};

/* What the kernel holds for xdp_fwd in this network namespace. */
struct fwd_state {
	struct xdp_fwd_kern *skel;	/* opened, not loaded: our maps' definitions (attach loads) */
	int lock_fd;			/* -1: not held */
	struct maps m;			/* the router's maps; fd -1: xdp_fwd runs nowhere here */
	__u32 map_id[MAP_N];
	struct fwd_dev *dev;		/* the devices that run our program with these maps */
	int n_dev;
};

static const struct fwd_dev *state_dev(const struct fwd_state *st, __u32 ifindex)
{
	for (int i = 0; i < st->n_dev; i++)
		if ((__u32)st->dev[i].ifc.ifindex == ifindex)
			return &st->dev[i];
	return NULL;
}

static int state_open_maps(struct fwd_state *st, const __u32 ids[MAP_N])
{
	for (int i = 0; i < MAP_N; i++) {
		st->m.fd[i] = bpf_map_get_fd_by_id(ids[i]);
		if (st->m.fd[i] < 0)
			return -errno;
		st->map_id[i] = ids[i];
	}
	return 0;
}

/* The XDP programs on a device, one per mode: their ids and attach flags; count or -errno. */
static int dev_progs(int ifindex, __u32 ids[3], __u32 flags[3])
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err = bpf_xdp_query(ifindex, 0, &q), n = 0;

	if (err)
		return err;
	if (q.drv_prog_id) {
		ids[n] = q.drv_prog_id;
		flags[n++] = XDP_FLAGS_DRV_MODE;
	}
	if (q.skb_prog_id) {
		ids[n] = q.skb_prog_id;
		flags[n++] = XDP_FLAGS_SKB_MODE;
	}
	if (q.hw_prog_id) {
		ids[n] = q.hw_prog_id;
		flags[n++] = XDP_FLAGS_HW_MODE;
	}
	return n;
}

/* One device: when it runs our program, record it (the first one found gives the maps). */
static int state_add_dev(struct fwd_state *st, struct bpf_map *const maps[MAP_N],
			 const struct if_nameindex *ni)
{
	__u32 ids[3], flags[3], map_ids[MAP_N];
	int n = dev_progs((int)ni->if_index, ids, flags), err;

	if (n == -ENODEV)
		return 0;	/* deleted meanwhile */
	for (int k = 0; k < n; k++) {
		struct fwd_dev *d = &st->dev[st->n_dev];

		err = prog_ours(maps, ids[k], map_ids);
		if (err < 0)
			return err;
		if (!err)
			continue;
		if (st->m.fd[MAP_PORTS] < 0) {
			err = state_open_maps(st, map_ids);
			if (err)
				return err;
		}
		/* ours, with other maps (a second router, made by an older version with another
		 * --pin-dir): not this router's */
		if (memcmp(map_ids, st->map_id, sizeof(map_ids)))
			continue;
		snprintf(d->ifc.name, sizeof(d->ifc.name), "%s", ni->if_name);
		d->ifc.ifindex = (int)ni->if_index;
		d->prog_id = ids[k];
		d->flags = flags[k];
		st->n_dev++;
		return 0;
	}
	return n < 0 ? n : 0;
}

/* Look at every device of this namespace for our program and, through it, the router's maps. */
static int state_find(struct fwd_state *st)
{
	struct bpf_map *maps[MAP_N];
	struct if_nameindex *ifs = if_nameindex();
	int n = 0, err = 0;

	if (!ifs)
		return -errno;
	skel_maps(st->skel, maps);
	while (ifs[n].if_index)
		n++;
	st->dev = calloc(n ? (size_t)n : 1, sizeof(*st->dev));
	if (!st->dev)
		err = -ENOMEM;
	for (int i = 0; i < n && !err; i++)
		err = state_add_dev(st, maps, &ifs[i]);
	if_freenameindex(ifs);
	return err;
}

/* "runs XDP program 12 (xdp_rxq_info_prog)" or "runs no XDP program": what a device runs now. */
static void dev_runs(int ifindex, char *buf, size_t len)
{
	__u32 ids[3], flags[3];
	char name[64] = "?";

	if (dev_progs(ifindex, ids, flags) <= 0) {
		snprintf(buf, len, "runs no XDP program");
		return;
	}
	xdp_prog_name(ids[0], name, sizeof(name));
	snprintf(buf, len, "runs XDP program %u (%s)%s", ids[0], name,
		 strcmp(name, FWD_PROG_NAME) ? "" : ", which has xdp_fwd's name but not its maps");
}

/* Drop a port whose device no longer runs our program, with a notice. */
static int port_drop(const struct fwd_state *st, __u32 key)
{
	char name[IF_NAMESIZE], runs[160];

	if (bpf_map_delete_elem(st->m.fd[MAP_PORTS], &key) && errno != ENOENT)
		return -errno;
	stats_drop(&st->m, key);
	if (!if_indextoname(key, name)) {
		fprintf(stderr, "xdp_fwd: device ifindex %u is gone; dropped from the router's ports\n",
			key);
		return 0;
	}
	dev_runs((int)key, runs, sizeof(runs));
	fprintf(stderr, "xdp_fwd: %s no longer runs xdp_fwd (it %s); dropped from the router's "
		"ports\n", name, runs);
	return 0;
}

/*
 * Make the router's ports (the devmap) what the kernel says they are: the devices that run our
 * program. A port whose device now runs another program (replaced, e.g. by `xdp_rxq_info
 * --force`) or none is dropped, a device that runs ours without being a port (an attach killed
 * half way) is added, each with a notice; the hash loses the counters of devices that are no
 * ports (so deleted devices never fill it).
 */
static int state_sync(struct fwd_state *st)
{
	__u32 keys[FWD_PORTS_MAX];
	int n, err, ncpus = ncpus_possible();

	if (st->m.fd[MAP_PORTS] < 0)
		return 0;
	n = map_keys(st->m.fd[MAP_PORTS], keys, FWD_PORTS_MAX);
	if (n < 0)
		return n;
	for (int i = 0; i < n && i < FWD_PORTS_MAX; i++) {
		if (state_dev(st, keys[i]))
			continue;
		err = port_drop(st, keys[i]);
		if (err)
			return err;
	}
	for (int i = 0; i < st->n_dev; i++) {
		__u32 key = (__u32)st->dev[i].ifc.ifindex;

		if (is_port(&st->m, key))
			continue;
		err = stats_reset(&st->m, key, ncpus);
		if (!err && bpf_map_update_elem(st->m.fd[MAP_PORTS], &key, &key, BPF_ANY))
			err = -errno;
		if (err)
			return err;
		fprintf(stderr, "xdp_fwd: %s runs xdp_fwd but was none of the router's ports (an "
			"attach was interrupted); added\n", st->dev[i].ifc.name);
	}
	n = map_keys(st->m.fd[MAP_STATS_HI], keys, FWD_PORTS_MAX);
	for (int i = 0; i < n && i < FWD_PORTS_MAX; i++)
		if (!is_port(&st->m, keys[i]))
			bpf_map_delete_elem(st->m.fd[MAP_STATS_HI], &keys[i]);
	return n < 0 ? n : 0;
}

/* Release the lock (idempotent). SIGINT, SIGTERM and SIGHUP stay blocked from tool_begin() on,
 * so a call that changes the kernel state is never left half done by one. */
static void state_unlock(struct fwd_state *st)
{
	if (st->lock_fd < 0)
		return;
	close(st->lock_fd);
	st->lock_fd = -1;
}

static void state_close(struct fwd_state *st)
{
	state_unlock(st);
	for (int i = 0; i < MAP_N; i++) {
		if (st->m.fd[i] >= 0)
			close(st->m.fd[i]);
		st->m.fd[i] = -1;
	}
	free(st->dev);
	st->dev = NULL;
	xdp_fwd_kern__destroy(st->skel);
	st->skel = NULL;
}

/* Take the namespace's lock, find what the kernel holds and bring the ports in line with it. */
static int state_open(struct fwd_state *st)
{
	pid_t holder = 0;
	int err;

	st->lock_fd = ns_lock(&holder);
	if (st->lock_fd == -ETIMEDOUT)
		return report(0, EXIT_FAIL,
			      "another xdp_fwd (pid %d) has held this network namespace's lock "
			      "(abstract unix socket @%s) for over %d s", (int)holder, FWD_LOCK_NAME,
			      FWD_LOCK_WAIT_S);
	if (st->lock_fd == -EINTR)
		return report(0, EXIT_FAIL, "interrupted while waiting for another xdp_fwd (pid %d) "
			      "in this network namespace; nothing changed", (int)holder);
	if (st->lock_fd < 0)
		return report(st->lock_fd, EXIT_FAIL, "take the lock of this network namespace");
	err = state_find(st);
	if (err == -ENOMEM)
		return report(err, EXIT_FAIL_MEM, "allocate the device list");
	if (err)
		return report(err, EXIT_FAIL, "find xdp_fwd's programs and maps");
	err = state_sync(st);
	if (err)
		return report(err, EXIT_FAIL, "bring the router's ports in line with its programs");
	return 0;
}

/* ------------------------------------------------------------------ ports of this call */

/* One device of this call: enough to undo what was done to it. */
struct port {
	struct iface ifc;
	bool had_port;		/* already in the devmap before this call (an earlier call's) */
	struct xdp_attach xa;	/* through netlink: it stays after xdp_fwd exits */
};

/* Undo what this call did to a device: its port, its program, what --force replaced. */
static void port_undo(struct port *pt, const struct maps *m)
{
	__u32 key = (__u32)pt->ifc.ifindex;

	if (pt->xa.prog_fd < 0 && !pt->xa.replaced_id)
		return;		/* refused before anything changed */
	if (!pt->had_port) {
		bpf_map_delete_elem(m->fd[MAP_PORTS], &key);
		stats_drop(m, key);
	}
	xdp_attach_undo(&pt->xa);
}

/* ------------------------------------------------------------------ attach / detach */

static int too_many_ports(int ports, int more)
{
	return report(0, EXIT_FAIL_XDP,
		      "xdp_fwd forwards between at most %d devices of a network namespace: it runs "
		      "on %d here, %d more asked", FWD_PORTS_MAX, ports, more);
}

/* Load our program, on the router's maps when xdp_fwd runs here already (one devmap for all). */
static int prog_load(const struct fwd_opts *opt, struct fwd_state *st, struct maps *m)
{
	struct xdp_fwd_kern *skel = st->skel;
	struct bpf_map *maps[MAP_N];
	int err;

	skel->rodata->cfg.fib_flags = opt->direct ? BPF_FIB_LOOKUP_DIRECT : 0;
	/* it reads only the headers, in the first buffer: frags-capable, so jumbo-MTU routers
	 * forward multi-buffer frames in XDP too */
	xdp_prog_frags_capable(skel->progs.xdp_fwd_prog);
	skel->rodata->cfg.mb_pass = !xdp_redirect_frags_ok();
	skel_maps(skel, maps);
	for (int i = 0; i < MAP_N && st->m.fd[MAP_PORTS] >= 0; i++) {
		err = bpf_map__reuse_fd(maps[i], st->m.fd[i]);
		if (err)
			return report(err, EXIT_FAIL_BPF, "reuse the router's map %u",
				      st->map_id[i]);
	}
	err = xdp_fwd_kern__load(skel);
	if (err)
		return report(err, EXIT_FAIL_BPF, "load BPF program (details with -vv)");
	for (int i = 0; i < MAP_N; i++)
		m->fd[i] = bpf_map__fd(maps[i]);
	return 0;
}

/* Attach one device and make it a port; 0 or the exit code (after its message). */
static int port_add(const struct fwd_opts *opt, struct port *pt, const struct bpf_program *prog,
		    const struct maps *m)
{
	__u32 key = (__u32)pt->ifc.ifindex;
	int err;

	pt->had_port = is_port(m, key);
	err = xdp_attach_or_report(&pt->xa, prog, &pt->ifc, &opt->xdp, XDP_VIA_NETLINK);
	if (err)
		return err;
	err = stats_reset(m, key, ncpus_possible());
	if (err)
		return report(err, EXIT_FAIL_XDP, "add %s to the counters", pt->ifc.name);
	if (bpf_map_update_elem(m->fd[MAP_PORTS], &key, &key, BPF_ANY)) {
		err = -errno;
		if (err == -E2BIG)
			return too_many_ports(map_keys(m->fd[MAP_PORTS], NULL, 0), 1);
		return report(err, EXIT_FAIL_XDP, "add %s to the devmap", pt->ifc.name);
	}
	return 0;
}

/* The attach, and a warning when frames forwarded out of the device would be dropped (a veth
 * whose peer runs no XDP program): native mode redirects need the egress to take them. */
static void attach_print(const struct fwd_opts *opt, const struct port *pt)
{
	char why[256];

	xdp_attach_notices(&pt->xa, &pt->ifc);
	printf("xdp_fwd: attached to %s (ifindex %d) mode %s, program %u%s\n", pt->ifc.name,
	       pt->ifc.ifindex, xdp_mode_str(pt->xa.mode), pt->xa.prog_id,
	       opt->direct ? ", direct FIB lookup" : "");
	if (pt->xa.mode == XDP_MODE_NATIVE && xdp_xmit_check(&pt->ifc, why, sizeof(why)) == 0)
		fprintf(stderr, "xdp_fwd: warning: %s (they count as fwd and tx, and as tx-fail "
			"in xdp_fwd -s)\n", why);
}

static int do_attach(const struct fwd_opts *opt, struct fwd_state *st)
{
	struct port ports[IFACE_MAX];
	struct maps m = { { -1, -1, -1 } };
	int ret, i, n, more = 0, touched = 0;

	n = st->m.fd[MAP_PORTS] < 0 ? 0 : map_keys(st->m.fd[MAP_PORTS], NULL, 0);
	if (n < 0)
		return report(n, EXIT_FAIL, "list the router's ports");
	for (i = 0; i < opt->devs.n; i++)	/* new ports (with -F a port may get a new program) */
		more += !state_dev(st, (__u32)opt->devs.v[i].ifindex);
	if (n + more > FWD_PORTS_MAX)
		return too_many_ports(n, more);
	ret = prog_load(opt, st, &m);
	if (ret)
		return ret;
	for (i = 0; i < opt->devs.n && !ret; i++) {
		ports[i] = (struct port){ .ifc = opt->devs.v[i], .xa = XDP_ATTACH_INIT };
		touched = i + 1;
		ret = port_add(opt, &ports[i], st->skel->progs.xdp_fwd_prog, &m);
	}
	if (ret) {	/* roll back every device of this call, including the failed one */
		for (int j = touched - 1; j >= 0; j--)
			port_undo(&ports[j], &m);
	} else {
		for (i = 0; i < opt->devs.n; i++)
			attach_print(opt, &ports[i]);
		printf("xdp_fwd: the router has %d port(s) here (devmap id %u); counters: xdp_fwd -s; "
		       "remove: xdp_fwd -d IFACE...\n", map_keys(m.fd[MAP_PORTS], NULL, 0),
		       map_fd_id(m.fd[MAP_PORTS]));
	}
	for (int j = 0; j < touched; j++)	/* the programs stay: netlink */
		xdp_attach_release(&ports[j].xa);
	return ret;
}

/* Refuse a device that does not run our program (exit 3), saying what it runs. */
static int detach_refuse(const struct iface *d)
{
	char runs[160];

	dev_runs(d->ifindex, runs, sizeof(runs));
	if (!strcmp(runs, "runs no XDP program"))
		return report(0, EXIT_FAIL_XDP, "xdp_fwd isn't attached to %s (no XDP program)",
			      d->name);
	return report(0, EXIT_FAIL_XDP, "device %s %s, not xdp_fwd's; left in place", d->name,
		      runs);
}

static int do_detach(const struct fwd_opts *opt, struct fwd_state *st)
{
	const struct fwd_dev *dev[IFACE_MAX];
	int ret = 0, err;

	/* check every device first: refuse as a whole, never half */
	for (int i = 0; i < opt->devs.n; i++) {
		dev[i] = state_dev(st, (__u32)opt->devs.v[i].ifindex);
		if (!dev[i])
			return detach_refuse(&opt->devs.v[i]);
	}
	for (int i = 0; i < opt->devs.n; i++) {
		const struct fwd_dev *d = dev[i];
		__u32 key = (__u32)d->ifc.ifindex;

		/* no port first, so nothing is forwarded out of it from here on */
		if (bpf_map_delete_elem(st->m.fd[MAP_PORTS], &key) && errno != ENOENT) {
			ret = report(-errno, EXIT_FAIL_XDP, "remove %s from the devmap", d->ifc.name);
			continue;
		}
		stats_drop(&st->m, key);
		err = xdp_detach_ours(d->ifc.ifindex, d->prog_id, d->flags);
		if (err) {	/* replaced meanwhile: the replace check refused */
			ret = report(err, EXIT_FAIL_XDP, "detach program %u from %s", d->prog_id,
				     d->ifc.name);
			continue;
		}
		printf("xdp_fwd: detached from %s (program %u)\n", d->ifc.name, d->prog_id);
	}
	if (map_keys(st->m.fd[MAP_PORTS], NULL, 0) == 0)
		printf("xdp_fwd: last device detached; the router's maps go with its programs\n");
	return ret;
}

/* ------------------------------------------------------------------ stats */

struct stats_run {
	const struct fwd_opts *opt;
	FILE *out;			/* stdout, through struct out */
	const struct maps *m;
	int ncpus;
	int n;
	struct fwd_dev dev[FWD_PORTS_MAX];
	int which;			/* the device that ended the run */
	struct trace tr;		/* the kernel's view: what became of the redirects */
	bool traced;
};

/*
 * A snapshot: for each watched device, one record per possible CPU and then their sum
 * (n x (ncpus + 1) records); then the tracepoints' reading, when they count.
 */
static size_t snap_fwd_size(const struct stats_run *s)
{
	return (size_t)s->n * (s->ncpus + 1) * sizeof(struct fwd_rec);
}

static size_t snap_size(const struct stats_run *s)
{
	return snap_fwd_size(s) + (s->traced ? trace_snap_size(&s->tr) : 0);
}

static const struct fwd_rec *dev_cpus(const struct stats_run *s, const void *snap, int i)
{
	return (const struct fwd_rec *)snap + (size_t)i * (s->ncpus + 1);
}

static const struct fwd_rec *dev_tot(const struct stats_run *s, const void *snap, int i)
{
	return dev_cpus(s, snap, i) + s->ncpus;
}

static struct trace_snap *snap_trace(const struct stats_run *s, const void *snap)
{
	return (struct trace_snap *)((char *)snap + snap_fwd_size(s));
}

static __u64 rec_pass(const struct fwd_rec *r)
{
	__u64 n = 0;

	for (int i = 0; i < FWD_R_N; i++)
		n += r->pass[i];
	return n;
}

/* now - then, counter by counter (0 where a counter went back: re-attached meanwhile). */
static struct fwd_rec fwd_delta(const struct fwd_rec *now, const struct fwd_rec *then)
{
	struct fwd_rec d;

	REC_DELTA(&d, now, then);
	return d;
}

/*
 * Frames forwarded out of a device that it did not send, as the kernel reports them: redirects
 * into it that failed (xdp:xdp_redirect_err, by errno) and frames its driver dropped
 * (xdp:xdp_devmap_xmit). A count since the tracepoints were attached: deltas are what counts.
 */
struct tx_fail {
	__u64 errors[MON_R_MAX];	/* [0] unused (successes) */
	__u64 redirect_errors;
	__u64 xmit_drops;
	__u64 total;
};

static struct tx_fail tx_fail_of(const struct stats_run *s, const void *snap, int i)
{
	const struct trace_snap *t = snap_trace(s, snap);
	int ifindex = s->dev[i].ifc.ifindex;
	struct tx_fail f = {};

	if (!s->traced)
		return f;
	for (int k = 1; k < MON_R_MAX; k++)
		f.errors[k] = trace_err(&s->tr, t, 0, ifindex, k);
	f.redirect_errors = trace_err(&s->tr, t, 0, ifindex, -1);
	f.xmit_drops = trace_xmit(&s->tr, t, 0, ifindex).drops;
	f.total = f.redirect_errors + f.xmit_drops;
	return f;
}

static struct tx_fail tx_fail_delta(const struct stats_run *s, const void *now, const void *then,
				    int i)
{
	struct tx_fail a = tx_fail_of(s, now, i), b = tx_fail_of(s, then, i);

	REC_DELTA(&a, &a, &b);
	return a;
}

static int collect(void *ctx, void *snap, __u64 *t)
{
	struct stats_run *s = ctx;

	(void)t;
	for (int i = 0; i < s->n; i++) {
		struct fwd_rec *cpus = (struct fwd_rec *)dev_cpus(s, snap, i);
		__u32 key = (__u32)s->dev[i].ifc.ifindex;
		int err = PERCPU_READ(stats_fd_of(s->m, key), &key, s->ncpus, cpus,
				      &cpus[s->ncpus]);

		if (err == -ENOENT)	/* detached meanwhile: reads as zero */
			memset(cpus, 0, (size_t)(s->ncpus + 1) * sizeof(*cpus));
		else if (err)
			return err;
	}
	return s->traced ? trace_collect(&s->tr, snap_trace(s, snap)) : 0;
}

/*
 * After a read: does every watched device still exist and run xdp_fwd? -ENODEV (deleted) or
 * -ENOLINK (no longer a port: detached, or its program replaced) with the device's index in
 * s->which. A renamed device is followed, with a notice.
 */
static int devs_check(void *ctx)
{
	struct stats_run *s = ctx;

	for (int i = 0; i < s->n; i++) {
		struct iface *ifc = &s->dev[i].ifc;

		s->which = i;
		if (iface_track(ifc, -1))
			return -ENODEV;
		if (!is_port(s->m, (__u32)ifc->ifindex))
			return -ENOLINK;
	}
	return 0;
}

/* Before each pass reason: two spaces after the columns, then one. */
static const char *gap(bool *first)
{
	const char *g = *first ? "  " : " ";

	*first = false;
	return g;
}

#define ROW_FMT "%-16s %-13s %14s %14s %14s %15s %14s"

/* One table row: the rates of counts d over dt, fail (a rate, or "-"); reasons when asked. */
static void row_print(const struct stats_run *s, const char *dev, const char *col,
		      const struct fwd_rec *d, const char *fail, __u64 dt, bool reasons)
{
	bool sep = !s->opt->run.no_sep, first = true;
	char a[32], b[32], c[32], e[32];

	fprintf(s->out, ROW_FMT, dev, col, fmt_rate(a, rate_per_sec(d->rx, 0, dt), sep),
		fmt_rate(b, rate_per_sec(d->fwd, 0, dt), sep),
		fmt_rate(c, rate_per_sec(d->tx, 0, dt), sep), fail,
		fmt_rate(e, rate_per_sec(rec_pass(d), 0, dt), sep));
	for (int r = 0; r < FWD_R_N && reasons; r++)
		if (d->pass[r])
			fprintf(s->out, "%s%s=%s", gap(&first), reason_names[r],
				fmt_rate(a, rate_per_sec(d->pass[r], 0, dt), sep));
	fputc('\n', s->out);
}

/* The rate of a device's tx failures over dt ("-" without the tracepoints). */
static const char *fail_rate(const struct stats_run *s, char buf[32], const struct tx_fail *f,
			     __u64 dt)
{
	if (!s->traced)
		return "-";
	return fmt_rate(buf, rate_per_sec(f->total, 0, dt), !s->opt->run.no_sep);
}

static void print_table(const struct stats_run *s, const void *now, const void *then, __u64 dt)
{
	char fr[32];

	fprintf(s->out, "\nPeriod %.3f s\n" ROW_FMT "  %s\n", (double)dt / 1e9, "Device", "CPU",
		"rx (pkt/s)", "fwd (pkt/s)", "tx (pkt/s)", "tx-fail (pkt/s)", "pass (pkt/s)",
		"pass reasons (pkt/s)");
	for (int i = 0; i < s->n; i++) {
		struct fwd_rec d = fwd_delta(dev_tot(s, now, i), dev_tot(s, then, i));
		struct tx_fail f = tx_fail_delta(s, now, then, i);

		for (int cpu = 0; cpu < s->ncpus; cpu++) {
			struct fwd_rec dc = fwd_delta(&dev_cpus(s, now, i)[cpu],
						      &dev_cpus(s, then, i)[cpu]);
			char col[16];

			if (!dc.rx && !dc.tx)
				continue;
			snprintf(col, sizeof(col), "%d", cpu);
			row_print(s, s->dev[i].ifc.name, col, &dc, "-", dt, false);
		}
		row_print(s, s->dev[i].ifc.name, "total", &d, fail_rate(s, fr, &f, dt), dt, true);
	}
	fflush(s->out);
}

/* {rx, fwd, tx, pass[, reasons{}]} of one record, under key. */
static void json_counts(struct jw *w, const char *key, const struct fwd_rec *r, bool reasons)
{
	jw_obj(w, key);
	jw_u64(w, "rx", r->rx);
	jw_u64(w, "fwd", r->fwd);
	jw_u64(w, "tx", r->tx);
	jw_u64(w, "pass", rec_pass(r));
	if (reasons) {
		jw_obj(w, "reasons");
		for (int i = 0; i < FWD_R_N; i++)
			jw_u64(w, reason_names[i], r->pass[i]);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

/* The rates of the delta d over dt. */
static void json_rates(struct jw *w, const struct fwd_rec *d, __u64 dt)
{
	jw_double(w, "rx_pps", rate_per_sec(d->rx, 0, dt));
	jw_double(w, "fwd_pps", rate_per_sec(d->fwd, 0, dt));
	jw_double(w, "tx_pps", rate_per_sec(d->tx, 0, dt));
	jw_double(w, "pass_pps", rate_per_sec(rec_pass(d), 0, dt));
}

/* "tx_failed": the device's tx failures over the object's period, by cause. */
static void json_tx_fail(struct jw *w, const struct tx_fail *f, __u64 dt)
{
	jw_obj(w, "tx_failed");
	jw_u64(w, "total", f->total);
	jw_u64(w, "redirect_errors", f->redirect_errors);
	jw_obj(w, "errors");
	for (int k = 1; k < MON_R_MAX; k++)
		jw_u64(w, trace_redir_names[k], f->errors[k]);
	jw_obj_end(w);
	jw_u64(w, "xmit_drops", f->xmit_drops);
	jw_obj_end(w);
	jw_double(w, "tx_failed_pps", rate_per_sec(f->total, 0, dt));
}

/* A device: delta (this interval, or the whole run in the summary), since_attach, rates, the
 * tx failures of the delta's period (the kernel's view starts with this run). */
static void json_dev(struct jw *w, const struct stats_run *s, int i, const void *now_snap,
		     const void *then_snap, __u64 dt)
{
	const struct fwd_rec *now = dev_cpus(s, now_snap, i), *then = dev_cpus(s, then_snap, i);
	struct fwd_rec d = fwd_delta(&now[s->ncpus], &then[s->ncpus]);
	struct tx_fail f = tx_fail_delta(s, now_snap, then_snap, i);

	jw_obj(w, NULL);
	jw_str(w, "dev", s->dev[i].ifc.name);
	jw_i64(w, "ifindex", s->dev[i].ifc.ifindex);
	json_counts(w, "delta", &d, true);
	json_counts(w, "since_attach", &now[s->ncpus], true);
	json_rates(w, &d, dt);
	if (s->traced)
		json_tx_fail(w, &f, dt);
	jw_arr(w, "cpus");
	for (int cpu = 0; cpu < s->ncpus; cpu++) {
		struct fwd_rec dc = fwd_delta(&now[cpu], &then[cpu]);

		if (!now[cpu].rx && !now[cpu].tx)
			continue;
		jw_obj(w, NULL);
		jw_i64(w, "cpu", cpu);
		json_counts(w, "delta", &dc, false);
		json_counts(w, "since_attach", &now[cpu], false);
		json_rates(w, &dc, dt);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static void print_json(const struct stats_run *s, const char *type, const void *now,
		       const void *then, __u64 dt, int sig)
{
	struct jw w;

	jw_begin(&w, s->out);
	jw_str(&w, "type", type);
	jw_u64(&w, !strcmp(type, "summary") ? "duration_ns" : "period_ns", dt);
	jw_arr(&w, "devices");
	for (int i = 0; i < s->n; i++)
		json_dev(&w, s, i, now, then, dt);
	jw_arr_end(&w);
	if (sig >= 0)
		jw_i64(&w, "signal", sig);
	jw_end(&w);
}

/* One summary row: counts (or, with dt, their rates) and the reasons; fail as given. */
static void sum_row(const struct stats_run *s, const char *dev, const char *what,
		    const struct fwd_rec *r, const char *fail, __u64 dt)
{
	bool sep = !s->opt->run.no_sep, first = true;
	char a[32], b[32], c[32], e[32];

	if (dt) {
		row_print(s, dev, what, r, fail, dt, true);
		return;
	}
	fprintf(s->out, ROW_FMT, dev, what, fmt_u64(a, r->rx, sep), fmt_u64(b, r->fwd, sep),
		fmt_u64(c, r->tx, sep), fail, fmt_u64(e, rec_pass(r), sep));
	for (int i = 0; i < FWD_R_N; i++)
		if (r->pass[i])
			fprintf(s->out, "%s%s=%s", gap(&first), reason_names[i],
				fmt_u64(a, r->pass[i], sep));
	fputc('\n', s->out);
}

/* The interval: a table, or a JSON line. */
static void stats_print(void *ctx, const void *now, const void *then, __u64 dt)
{
	const struct stats_run *s = ctx;

	if (s->opt->run.json)
		print_json(s, "interval", now, then, dt, -1);
	else
		print_table(s, now, then, dt);
}

/* The text summary shows what the JSON one holds: this run's counts, their rates, and the
 * counts since each device was attached (tx-fail: this run only, the kernel's view starts with
 * it). */
static void stats_summary(void *ctx, const void *last, const void *first, __u64 dt, int sig)
{
	const struct stats_run *s = ctx;
	bool sep = !s->opt->run.no_sep;
	char fc[32], fr[32];

	if (s->opt->run.json) {
		print_json(s, "summary", last, first, dt, sig);
		return;
	}
	fprintf(s->out, "\nSummary: %.3f s\n" ROW_FMT "  %s\n", (double)dt / 1e9, "Device", "",
		"rx", "fwd", "tx", "tx-fail", "pass", "pass reasons");
	for (int i = 0; i < s->n; i++) {
		struct fwd_rec d = fwd_delta(dev_tot(s, last, i), dev_tot(s, first, i));
		struct tx_fail f = tx_fail_delta(s, last, first, i);
		const char *name = s->dev[i].ifc.name;

		sum_row(s, name, "this run", &d, s->traced ? fmt_u64(fc, f.total, sep) : "-", 0);
		sum_row(s, name, "rate (pkt/s)", &d, fail_rate(s, fr, &f, dt ? dt : 1), dt ? dt : 1);
		sum_row(s, name, "since attach", dev_tot(s, last, i), "-", 0);
	}
	for (int i = 0; i < s->n && s->traced; i++) {
		struct tx_fail f = tx_fail_delta(s, last, first, i);

		if (!f.total)
			continue;
		fprintf(s->out, "%-16s tx-fail:", s->dev[i].ifc.name);
		for (int k = 1; k < MON_R_MAX; k++)
			if (f.errors[k])
				fprintf(s->out, " %s %s", trace_redir_names[k],
					fmt_u64(fc, f.errors[k], sep));
		if (f.xmit_drops)
			fprintf(s->out, " dropped by the driver %s", fmt_u64(fc, f.xmit_drops, sep));
		fputc('\n', s->out);
	}
	fflush(s->out);
}

static int dev_cmp(const void *a, const void *b)
{
	const struct fwd_dev *x = a, *y = b;

	return (x->ifc.ifindex > y->ifc.ifindex) - (x->ifc.ifindex < y->ifc.ifindex);
}

/* The devices to watch: those asked for (each must run xdp_fwd), else every port, by ifindex. */
static int stats_devices(struct stats_run *s, const struct fwd_state *st)
{
	if (s->opt->devs.n) {
		for (int i = 0; i < s->opt->devs.n; i++) {
			const struct fwd_dev *d = state_dev(st, (__u32)s->opt->devs.v[i].ifindex);

			if (!d)
				return report(0, EXIT_FAIL_OPTION, "xdp_fwd does not run on %s",
					      s->opt->devs.v[i].name);
			s->dev[s->n++] = *d;
		}
		return 0;
	}
	for (int i = 0; i < st->n_dev && s->n < FWD_PORTS_MAX; i++)
		s->dev[s->n++] = st->dev[i];
	qsort(s->dev, (size_t)s->n, sizeof(s->dev[0]), dev_cmp);
	return 0;
}

/*
 * The kernel's view of the watched devices' redirects (failures into them, driver drops), from
 * the shared tracepoint module: events from or to those devices (of this namespace's, when
 * there are more than its filter holds). Without it xdp_fwd -s goes on, saying so.
 */
static int stats_trace_start(struct stats_run *s)
{
	struct trace_opts to = {
		.groups = TRACE_REDIRECT | TRACE_XMIT,
		.err_by_dev = true,
		.no_sep = s->opt->run.no_sep,
		.verbose = s->opt->run.verbose,
	};
	char why[192];
	int err;

	if (s->n <= MON_DEV_MAX) {
		to.n_dev = s->n;
		for (int i = 0; i < s->n; i++)
			to.dev[i] = s->dev[i].ifc.ifindex;
	}
	err = trace_open(&s->tr, &to);
	if (err == -ENOMEM)
		return report(err, EXIT_FAIL_MEM, "allocate statistics");
	if (err) {
		fprintf(stderr, "xdp_fwd: no tx-fail counts (%s)\n",
			trace_failure(&s->tr, err, why, sizeof(why)));
		trace_close(&s->tr);
		return 0;
	}
	s->traced = true;
	trace_notices(&s->tr, false);
	return 0;
}

static void print_start(const struct stats_run *s, const struct fwd_state *st)
{
	struct jw w;

	if (!s->opt->run.json) {
		fprintf(s->out, "xdp_fwd counters of %d device(s) (devmap id %u)\n", s->n,
		       st->map_id[MAP_PORTS]);
		fflush(s->out);
		return;
	}
	jw_begin(&w, s->out);
	jw_str(&w, "type", "start");
	jw_arr(&w, "devices");
	for (int i = 0; i < s->n; i++) {
		jw_obj(&w, NULL);
		jw_str(&w, "dev", s->dev[i].ifc.name);
		jw_i64(&w, "ifindex", s->dev[i].ifc.ifindex);
		jw_u64(&w, "prog_id", s->dev[i].prog_id);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj(&w, "map_ids");
	jw_u64(&w, "ports", st->map_id[MAP_PORTS]);
	jw_u64(&w, "stats", st->map_id[MAP_STATS]);
	jw_u64(&w, "stats_hi", st->map_id[MAP_STATS_HI]);
	jw_obj_end(&w);
	if (s->traced)
		trace_json_tracepoints(&s->tr, &w);
	jw_end(&w);
}

static const struct sampler_ops stats_ops = {
	.collect = collect,
	.print = stats_print,
	.summary = stats_summary,
	.check = devs_check,
};

static int do_stats(const struct fwd_opts *opt, struct fwd_state *st)
{
	struct stats_run *s = calloc(1, sizeof(*s));
	struct sampler smp = SAMPLER_INIT;
	int ret = 0, err;

	if (!s)
		return report(-ENOMEM, EXIT_FAIL_MEM, "allocate statistics");
	s->opt = opt;
	s->m = &st->m;
	s->ncpus = ncpus_possible();
	if (st->m.fd[MAP_PORTS] < 0) {
		ret = report(0, EXIT_FAIL, "xdp_fwd runs on no device in this network namespace");
		goto out;
	}
	ret = stats_devices(s, st);
	state_unlock(st);	/* only reads from here on */
	if (!ret)
		ret = stats_trace_start(s);
	if (ret)
		goto out;
	if (sampler_init(&smp, &stats_ops, s, snap_size(s), &opt->run, 0)) {
		ret = report(-ENOMEM, EXIT_FAIL_MEM, "allocate statistics");
		goto out;
	}
	s->out = smp.out.f;
	err = sampler_start(&smp);
	if (err) {
		ret = report(err, EXIT_FAIL, "read statistics");
		goto out;
	}
	print_start(s, st);
	err = sampler_run(&smp);
	trace_detach(&s->tr);
	if (err == -ENODEV)
		ret = report(0, EXIT_FAIL, "device %s disappeared", s->dev[s->which].ifc.name);
	else if (err == -ENOLINK)
		ret = report(0, EXIT_FAIL, "xdp_fwd no longer runs on %s (detached, or its program "
			     "replaced)", s->dev[s->which].ifc.name);
	else if (err)
		ret = report(err, EXIT_FAIL, "read statistics");
	ret = sampler_end(&smp, ret, true);
out:
	sampler_close(&smp);
	trace_close(&s->tr);
	free(s);
	return ret;
}

/* ------------------------------------------------------------------ main */

static int opts_finish(struct fwd_opts *opt)
{
	int ret = xdp_opts_finish(&opt->xdp);

	if (ret)
		return ret;
	if (opt->cmd == FWD_CMD_STATS)
		opt->stats = true;
	if (opt->detach && opt->stats)
		return report(0, EXIT_FAIL_OPTION, "--detach and --stats exclude each other");
	if (!opt->stats && !opt->devs.n)
		return report(0, EXIT_FAIL_OPTION, "missing IFACE; see --help");
	return 0;
}

int main(int argc, char **argv)
{
	struct fwd_opts opt = fwd_defaults;
	struct fwd_state st = { .lock_fd = -1, .m = { { -1, -1, -1 } } };
	int ret;

	ret = tool_begin(argc, argv, &fwd_tool, &opt);
	if (ret >= 0)
		return ret;
	ret = opts_finish(&opt);
	if (ret)
		return ret;
	ret = fwd_priv_require();
	if (ret)
		return ret;
	log_setup(opt.run.verbose);
	st.skel = xdp_fwd_kern__open();
	if (!st.skel)
		return report(-errno, EXIT_FAIL_BPF, "open BPF object");
	ret = state_open(&st);
	if (!ret && opt.stats)
		ret = do_stats(&opt, &st);
	else if (!ret && opt.detach)
		ret = do_detach(&opt, &st);
	else if (!ret)
		ret = do_attach(&opt, &st);
	state_close(&st);
	return stdout_end(ret);
}
