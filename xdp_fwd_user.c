// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_fwd: XDP fast-path IPv4/IPv6 forwarding with the kernel's FIB (bpf_fib_lookup).
 *
 *   xdp_fwd [options] IFACE...       attach (through netlink: stays after this process exits)
 *   xdp_fwd -d IFACE...              detach, only our own program (atomic replace check)
 *   xdp_fwd -s [IFACE...]            live counters per device: forwarded, passed by reason
 *
 * The devmap (xdp_fwd_ports) and the counters (xdp_fwd_stats, xdp_fwd_stats_hi) are pinned
 * in bpffs, one directory per network namespace, so later calls find them; the devmap doubles
 * as the list of devices we run on, and the pins go away with the last device.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common_user.h"
#include "xdp_fwd.h"
#include "xdp_fwd.skel.h"

#define BPFFS_DEFAULT "/sys/fs/bpf"
/* The pinned maps, by their names in xdp_fwd_kern.c */
enum { MAP_STATS, MAP_STATS_HI, MAP_PORTS, MAP_N };
static const char *const map_names[MAP_N] = { "xdp_fwd_stats", "xdp_fwd_stats_hi",
					       "xdp_fwd_ports" };

struct fwd_opts {
	struct iface_list devs;
	bool detach;
	bool stats;
	bool direct;
	int mode;
	bool skb_mode;
	bool force;
	const char *pin_dir;
	double interval;
	double duration;
	bool json;
	bool no_sep;
	int verbose;
};

static const struct fwd_opts fwd_defaults = {
	.mode = XDP_MODE_AUTO,
	.interval = 2.0,
};

#define O(...) OPTION(struct fwd_opts, __VA_ARGS__)
static const struct opt_def fwd_opt_defs[] = {
	O("detach", 'd', OPT_BOOL, detach, NULL, "detach xdp_fwd from the devices (only ours)"),
	O("stats", 's', OPT_BOOL, stats, NULL,
	  "show live counters of the devices (all of ours when none given)"),
	O("direct", 'D', OPT_BOOL, direct, NULL, "FIB lookup skips policy rules (BPF_FIB_LOOKUP_DIRECT)"),
	O("mode", 0, OPT_ENUM, mode, "MODE", "XDP mode; auto tries native, then generic",
	  .values = xdp_mode_names),
	O("skb-mode", 'S', OPT_BOOL, skb_mode, NULL, "same as --mode skb"),
	O("force", 'F', OPT_BOOL, force, NULL, "replace an XDP program already on a device"),
	O("pin-dir", 'p', OPT_STR, pin_dir, "DIR",
	  "where the maps are pinned (default /sys/fs/bpf/xdp_fwd/net<netns inode>)"),
	O("interval", 'i', OPT_SECONDS, interval, "SEC", "seconds between reports (with -s)",
	  .min = 0.01, .max = 3600),
	O("duration", 0, OPT_SECONDS, duration, "SEC", "stop -s after SEC seconds (0: Ctrl-C)",
	  .min = 0, .max = 31536000),
	O("json", 'j', OPT_BOOL, json, NULL, "-s prints one JSON object per interval and a summary"),
	O("no-separators", 'z', OPT_BOOL, no_sep, NULL, "print numbers without thousands separators"),
	O("verbose", 'v', OPT_COUNT, verbose, NULL, "libbpf messages (-vv: verifier detail)"),
	O("dev", 0, OPT_IFACES, devs, "IFACE...", "devices", .positional = true),
	OPT_END,
};
#undef O

static const struct opt_tool fwd_tool = {
	.name = "xdp_fwd",
	.summary = "Forward IPv4/IPv6 in XDP with the kernel FIB; count why packets go to the stack.",
	.usage = "[options] IFACE... | -d IFACE... | -s [IFACE...]",
	.defs = fwd_opt_defs,
	.defaults = &fwd_defaults,
	.doc = "Attaching goes through netlink: the program stays after xdp_fwd exits. Enable\n"
	       "forwarding (sysctl net.ipv4.ip_forward=1, net.ipv6.conf.all.forwarding=1); a packet\n"
	       "is forwarded in XDP only when the egress device runs xdp_fwd too, else the stack\n"
	       "forwards it (reason no_port). Reasons: no_port blackhole unreachable prohibit\n"
	       "not_fwded fwd_disabled unsupp_lwt no_neigh frag_needed no_src_addr fib_other ttl\n"
	       "not_ip malformed multi_buf (a multi-buffer frame: before Linux 6.3 XDP cannot\n"
	       "redirect it). Exit codes: see README.\n",
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

/* ------------------------------------------------------------------ bpffs and pins */

struct pins {
	char dir[PATH_MAX];
	char path[MAP_N][PATH_MAX + 32];
	bool default_dir;
};

static int pins_init(struct pins *p, const char *dir)
{
	struct stat st;

	p->default_dir = !dir;
	if (dir) {
		snprintf(p->dir, sizeof(p->dir), "%s", dir);
	} else {
		if (stat("/proc/self/ns/net", &st))
			return -errno;
		snprintf(p->dir, sizeof(p->dir), BPFFS_DEFAULT "/xdp_fwd/net%lu",
			 (unsigned long)st.st_ino);
	}
	for (int i = 0; i < MAP_N; i++)
		snprintf(p->path[i], sizeof(p->path[i]), "%s/%s", p->dir, map_names[i]);
	return 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs fs;

	return !statfs(path, &fs) && fs.f_type == BPF_FS_MAGIC;
}

/* `ip netns exec NAME` mounts a private sysfs on /sys whose source is NAME. */
static bool in_ip_netns_exec(void)
{
	char line[1024], mnt[512], fstype[64], src[256], path[300];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1 || strcmp(mnt, "/sys") || !sep ||
		    sscanf(sep + 3, "%63s %255s", fstype, src) != 2 || strcmp(fstype, "sysfs"))
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", src);
		found = !strchr(src, '/') && !access(path, F_OK);
	}
	fclose(f);
	return found;
}

/*
 * May we mount a bpffs that outlives us? Yes in PID 1's mount namespace; no in a private one
 * (inside `ip netns exec` the mount would vanish with this process). When /proc/1 cannot be
 * read, only the `ip netns exec` case is recognised.
 */
static bool mount_persists(void)
{
	struct stat a, b;

	if (!stat("/proc/self/ns/mnt", &a) && !stat("/proc/1/ns/mnt", &b))
		return a.st_ino == b.st_ino;
	return !in_ip_netns_exec();
}

/*
 * Make sure the pin directory can live in a bpffs that outlives us: mount bpffs on /sys/fs/bpf
 * when it is missing (only in the init mount namespace: inside `ip netns exec` /sys is private
 * and a bpffs mounted there would vanish with this process); then create the directory.
 * -EMEDIUMTYPE: no bpffs and none we may mount.
 */
static int pins_prepare(const struct pins *p)
{
	char path[PATH_MAX];
	char *slash;

	if (p->default_dir && !is_bpffs(BPFFS_DEFAULT)) {
		if (!mount_persists())
			return -EMEDIUMTYPE;
		if (mount("bpf", BPFFS_DEFAULT, "bpf", 0, "mode=0700"))
			return -errno;
	}
	snprintf(path, sizeof(path), "%s", p->dir);
	/* the deepest existing ancestor must be a bpffs */
	while (access(path, F_OK) && (slash = strrchr(path, '/')) && slash != path)
		*slash = '\0';
	if (!is_bpffs(path))
		return -EMEDIUMTYPE;
	/* mkdir -p */
	snprintf(path, sizeof(path), "%s", p->dir);
	for (char *s = path + 1; ; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		*s = c;
		if (!c)
			break;
	}
	return 0;
}

/* Remove the pins and the directory (and the shared parent of the default one, if empty). */
static void pins_remove(const struct pins *p)
{
	char parent[PATH_MAX], *slash;

	for (int i = 0; i < MAP_N; i++)
		unlink(p->path[i]);
	rmdir(p->dir);
	if (!p->default_dir)
		return;
	snprintf(parent, sizeof(parent), "%s", p->dir);
	slash = strrchr(parent, '/');
	if (slash) {
		*slash = '\0';
		rmdir(parent);	/* fails (ENOTEMPTY) while another namespace uses it */
	}
}

struct maps {
	int fd[MAP_N];		/* by MAP_*; -1 when not open */
};
#define MAPS_NONE { { -1, -1, -1 } }

static void maps_close(struct maps *m)
{
	for (int i = 0; i < MAP_N; i++) {
		if (m->fd[i] >= 0)
			close(m->fd[i]);
		m->fd[i] = -1;
	}
}

/* Open the pinned maps; -ENOENT when xdp_fwd runs nowhere in this namespace. */
static int maps_open(const struct pins *p, struct maps *m)
{
	for (int i = 0; i < MAP_N; i++) {
		m->fd[i] = bpf_obj_get(p->path[i]);
		if (m->fd[i] < 0) {
			int err = -errno;

			maps_close(m);
			return err;
		}
	}
	return 0;
}

/* A device's counters: in the array below FWD_STATS_DIRECT, in the hash above (xdp_fwd.h). */
static int stats_fd_of(const struct maps *m, __u32 ifindex)
{
	return m->fd[ifindex < FWD_STATS_DIRECT ? MAP_STATS : MAP_STATS_HI];
}

/* Zero a device's counters (creating its hash entry when it has one). */
static int stats_reset(const struct maps *m, __u32 key, int ncpus)
{
	__u64 *zero = calloc((size_t)ncpus * FWD_REC_N, sizeof(__u64));
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

/* Number of devices in the devmap (the devices xdp_fwd runs on), or -errno. */
static int ports_list(int ports_fd, __u32 *keys, int max)
{
	__u32 key, next;
	int n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(ports_fd, prev, &next)) {
		if (keys && n < max)
			keys[n] = next;
		n++;
		key = next;
		prev = &key;
	}
	return errno == ENOENT ? n : -errno;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* ------------------------------------------------------------------ netlink attach */

static __u32 mode_flag(enum xdp_mode mode)
{
	return mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

static __u32 attached_flag(__u8 attach_mode)
{
	return attach_mode == XDP_ATTACHED_SKB	? XDP_FLAGS_SKB_MODE
	       : attach_mode == XDP_ATTACHED_HW ? XDP_FLAGS_HW_MODE
						: XDP_FLAGS_DRV_MODE;
}

/* One device of this call: enough to undo what was done to it. */
struct port {
	struct iface ifc;
	bool attached;		/* by this call */
	bool had_port;		/* already in the devmap before this call (an earlier call's) */
	enum xdp_mode mode;	/* in effect */
	int native_err;		/* auto fell back to skb: why native was refused */
	__u32 busy_id;		/* program found on the device */
	int old_fd;		/* --force: the program replaced, re-attached on rollback */
	__u32 old_flags;
};

/*
 * Attach prog_fd to the device through netlink. Without force a device that runs any XDP
 * program is refused (-EEXIST, XDP_FLAGS_UPDATE_IF_NOEXIST); with force the program found is
 * detached first and kept (old_fd) so a rollback can put it back.
 */
static int nl_attach(struct port *pt, int prog_fd, enum xdp_mode mode, bool force)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ifindex = pt->ifc.ifindex, err;

	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	if (q.prog_id) {
		pt->busy_id = q.prog_id;
		if (!force)
			return -EEXIST;
		pt->old_fd = bpf_prog_get_fd_by_id(q.prog_id);
		pt->old_flags = attached_flag(q.attach_mode);
		err = bpf_xdp_detach(ifindex, pt->old_flags, NULL);
		if (err)	/* held by another process's bpf_link */
			return err == -EINVAL || err == -EBUSY ? -EBUSY : err;
	}
	if (mode == XDP_MODE_AUTO) {
		err = bpf_xdp_attach(ifindex, prog_fd,
				     XDP_FLAGS_UPDATE_IF_NOEXIST | XDP_FLAGS_DRV_MODE, NULL);
		pt->mode = XDP_MODE_NATIVE;
		if (err && err != -EEXIST && err != -EBUSY) {
			pt->native_err = -err;
			err = bpf_xdp_attach(ifindex, prog_fd,
					     XDP_FLAGS_UPDATE_IF_NOEXIST | XDP_FLAGS_SKB_MODE, NULL);
			pt->mode = XDP_MODE_SKB;
		}
	} else {
		err = bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_UPDATE_IF_NOEXIST | mode_flag(mode),
				     NULL);
		pt->mode = mode;
	}
	if (err)
		return err;
	pt->attached = true;
	return 0;
}

/* Detach prog_fd from ifindex only if it is still the program there (XDP_FLAGS_REPLACE). */
static int nl_detach_ours(int ifindex, int prog_fd, __u32 flags)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = prog_fd);

	return bpf_xdp_detach(ifindex, flags, &o);
}

static void port_undo(struct port *pt, int prog_fd, const struct maps *m)
{
	__u32 key = (__u32)pt->ifc.ifindex;

	if (!pt->attached && pt->old_fd < 0)
		return;		/* refused before anything changed */
	if (!pt->had_port) {
		bpf_map_delete_elem(m->fd[MAP_PORTS], &key);
		stats_drop(m, key);
	}
	if (pt->attached)
		nl_detach_ours(pt->ifc.ifindex, prog_fd, mode_flag(pt->mode));
	pt->attached = false;
	if (pt->old_fd >= 0)
		bpf_xdp_attach(pt->ifc.ifindex, pt->old_fd,
			       XDP_FLAGS_UPDATE_IF_NOEXIST | pt->old_flags, NULL);
}

/* ------------------------------------------------------------------ attach / detach */

static int attach_error(const struct fwd_opts *opt, const struct port *pt, int err)
{
	char name[64] = "?";

	if (err == -EEXIST) {
		xdp_prog_name(pt->busy_id, name, sizeof(name));
		return report(0, EXIT_FAIL_XDP,
			      "device %s already runs XDP program %u (%s); use --force to replace it",
			      pt->ifc.name, pt->busy_id, name);
	}
	if (err == -EBUSY)
		return report(0, EXIT_FAIL_XDP,
			      "device %s runs XDP program %u held by another process's link",
			      pt->ifc.name, pt->busy_id);
	if (opt->mode != XDP_MODE_AUTO && (err == -EOPNOTSUPP || err == -EINVAL))
		return report(err, EXIT_FAIL_OPTION, "device %s does not support XDP in %s mode",
			      pt->ifc.name, xdp_mode_str((enum xdp_mode)opt->mode));
	return report(err, EXIT_FAIL_XDP, "attach XDP to %s in %s mode", pt->ifc.name,
		      xdp_mode_str((enum xdp_mode)opt->mode));
}

static int pins_error(const struct pins *p, int err)
{
	if (err == -EMEDIUMTYPE)
		return report(0, EXIT_FAIL,
			      "no bpffs for %s in this mount namespace (`ip netns exec` remounts "
			      "/sys): use `nsenter --net=/run/netns/NAME`, or mount bpffs and pass "
			      "--pin-dir", p->dir);
	return report(err, EXIT_FAIL, "prepare pin directory %s", p->dir);
}

/* The skeleton's maps in MAP_* order. */
static void skel_maps(struct xdp_fwd_kern *skel, struct bpf_map *maps[MAP_N])
{
	maps[MAP_STATS] = skel->maps.xdp_fwd_stats;
	maps[MAP_STATS_HI] = skel->maps.xdp_fwd_stats_hi;
	maps[MAP_PORTS] = skel->maps.xdp_fwd_ports;
}

/*
 * Use the maps an earlier call pinned (libbpf 1.1's own pin reuse refuses the devmap: the
 * kernel adds BPF_F_RDONLY_PROG to its flags), after checking their shape.
 */
static int maps_reuse(struct xdp_fwd_kern *skel, const struct pins *p, bool reused[MAP_N])
{
	struct bpf_map *maps[MAP_N];

	skel_maps(skel, maps);
	for (int i = 0; i < MAP_N; i++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_obj_get(p->path[i]), err = 0;

		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			err = -errno;
		else if (info.type != bpf_map__type(maps[i]) ||
			 info.key_size != bpf_map__key_size(maps[i]) ||
			 info.value_size != bpf_map__value_size(maps[i]) ||
			 info.max_entries != bpf_map__max_entries(maps[i]))
			err = -EINVAL;
		else
			err = bpf_map__reuse_fd(maps[i], fd);
		close(fd);
		if (err)
			return err;
		reused[i] = true;
	}
	return 0;
}

static int maps_pin(struct xdp_fwd_kern *skel, const struct pins *p, const bool reused[MAP_N])
{
	struct bpf_map *maps[MAP_N];

	skel_maps(skel, maps);
	for (int i = 0; i < MAP_N; i++)
		if (!reused[i] && bpf_obj_pin(bpf_map__fd(maps[i]), p->path[i]))
			return -errno;
	return 0;
}

static int do_attach(const struct fwd_opts *opt, const struct pins *pins)
{
	struct xdp_fwd_kern *skel = NULL;
	struct port ports[IFACE_MAX];
	struct maps m = MAPS_NONE;
	bool reused[MAP_N] = {};
	int ncpus = ncpus_possible(), prog_fd, err, ret = 0, i, touched = 0;
	__u32 prog_id;

	err = pins_prepare(pins);
	if (err)
		return pins_error(pins, err);
	skel = xdp_fwd_kern__open();
	if (!skel) {
		ret = report(-errno, EXIT_FAIL_BPF, "open BPF object");
		goto out;
	}
	skel->rodata->cfg.fib_flags = opt->direct ? BPF_FIB_LOOKUP_DIRECT : 0;
	/* it reads only the headers, in the first buffer: frags-capable, so jumbo-MTU routers
	 * forward multi-buffer frames in XDP too */
	xdp_prog_frags_capable(skel->progs.xdp_fwd_prog);
	skel->rodata->cfg.mb_pass = !xdp_redirect_frags_ok();
	err = maps_reuse(skel, pins, reused);
	if (err) {
		ret = report(err, EXIT_FAIL_BPF, "reuse the maps pinned in %s (another version?)",
			     pins->dir);
		goto out;
	}
	err = xdp_fwd_kern__load(skel);
	if (err) {
		ret = report(err, EXIT_FAIL_BPF, "load BPF program (details with -vv)");
		goto out;
	}
	err = maps_pin(skel, pins, reused);
	if (err) {
		ret = report(err, EXIT_FAIL, "pin maps in %s", pins->dir);
		goto out;
	}
	prog_fd = bpf_program__fd(skel->progs.xdp_fwd_prog);
	{
		struct bpf_map *maps[MAP_N];

		skel_maps(skel, maps);
		for (int j = 0; j < MAP_N; j++)
			m.fd[j] = bpf_map__fd(maps[j]);
	}
	{
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		prog_id = bpf_obj_get_info_by_fd(prog_fd, &info, &len) ? 0 : info.id;
	}

	for (i = 0; i < opt->devs.n; i++) {
		struct port *pt = &ports[i];
		__u32 key = (__u32)opt->devs.v[i].ifindex, val;

		memset(pt, 0, sizeof(*pt));
		pt->ifc = opt->devs.v[i];
		pt->old_fd = -1;
		touched = i + 1;
		pt->had_port = !bpf_map_lookup_elem(m.fd[MAP_PORTS], &key, &val);
		err = nl_attach(pt, prog_fd, (enum xdp_mode)opt->mode, opt->force);
		if (err) {
			ret = attach_error(opt, pt, err);
			break;
		}
		err = stats_reset(&m, key, ncpus);
		if (err) {
			ret = report(err, EXIT_FAIL_XDP, "add %s to the counters", pt->ifc.name);
			break;
		}
		if (bpf_map_update_elem(m.fd[MAP_PORTS], &key, &key, BPF_ANY)) {
			ret = report(-errno, EXIT_FAIL_XDP, "add %s to the devmap", pt->ifc.name);
			break;
		}
	}
	if (ret) {	/* roll back every device of this call, including the failed one */
		for (int j = i; j >= 0; j--)
			port_undo(&ports[j], prog_fd, &m);
		goto out;
	}
	for (i = 0; i < opt->devs.n; i++) {
		const struct port *pt = &ports[i];

		if (pt->native_err)
			fprintf(stderr, "xdp_fwd: native XDP refused on %s (%s); using generic (skb) mode\n",
				pt->ifc.name, strerror(pt->native_err));
		if (pt->old_fd >= 0)
			fprintf(stderr, "xdp_fwd: replaced XDP program %u on %s (--force)\n",
				pt->busy_id, pt->ifc.name);
		printf("xdp_fwd: attached to %s (ifindex %d) mode %s, program %u%s\n", pt->ifc.name,
		       pt->ifc.ifindex, xdp_mode_str(pt->mode), prog_id,
		       opt->direct ? ", direct FIB lookup" : "");
	}
	printf("xdp_fwd: maps pinned in %s; counters: xdp_fwd -s; remove: xdp_fwd -d IFACE...\n",
	       pins->dir);
out:
	for (int j = 0; j < touched; j++)
		if (ports[j].old_fd >= 0)
			close(ports[j].old_fd);
	if (ret && m.fd[MAP_PORTS] >= 0 && ports_list(m.fd[MAP_PORTS], NULL, 0) == 0)
		pins_remove(pins);	/* nothing of ours runs anywhere: leave nothing pinned */
	else if (ret && m.fd[MAP_PORTS] < 0)
		rmdir(pins->dir);	/* only when we created it empty */
	xdp_fwd_kern__destroy(skel);
	return ret;
}

/* Program ids of the maps a program uses include stats_id (0: not checked). */
static bool prog_is_ours(__u32 prog_id, __u32 stats_id, char *name, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info), ids[16] = {};
	bool uses = !stats_id;
	int fd;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return false;
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen))
		goto out;
	snprintf(name, len, "%s", info.name);
	if (strcmp(info.name, FWD_PROG_NAME))
		goto out;
	if (stats_id) {
		__u32 n = info.nr_map_ids < 16 ? info.nr_map_ids : 16;

		memset(&info, 0, sizeof(info));
		info.nr_map_ids = n;
		info.map_ids = (__u64)(unsigned long)ids;
		ilen = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &ilen))
			for (__u32 i = 0; i < n; i++)
				uses |= ids[i] == stats_id;
	}
out:
	close(fd);
	return uses && !strcmp(name, FWD_PROG_NAME);
}

static int do_detach(const struct fwd_opts *opt, const struct pins *pins)
{
	struct maps m = MAPS_NONE;
	__u32 ids[IFACE_MAX], flags[IFACE_MAX], stats_id = 0;
	int ret = 0, err;

	err = maps_open(pins, &m);
	if (!err)
		stats_id = map_id(m.fd[MAP_STATS]);
	/* check every device first: refuse as a whole, never half */
	for (int i = 0; i < opt->devs.n; i++) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);
		const struct iface *d = &opt->devs.v[i];
		char name[64] = "?";

		err = bpf_xdp_query(d->ifindex, 0, &q);
		if (err) {
			ret = report(err, EXIT_FAIL_XDP, "query XDP on %s", d->name);
			goto out;
		}
		if (!q.prog_id) {
			ret = report(0, EXIT_FAIL_XDP, "xdp_fwd isn't attached to %s (no XDP program)",
				     d->name);
			goto out;
		}
		if (!prog_is_ours(q.prog_id, stats_id, name, sizeof(name))) {
			ret = report(0, EXIT_FAIL_XDP,
				     "device %s runs XDP program %u (%s), not xdp_fwd's; left in place",
				     d->name, q.prog_id, name);
			goto out;
		}
		ids[i] = q.prog_id;
		flags[i] = attached_flag(q.attach_mode);
	}
	for (int i = 0; i < opt->devs.n; i++) {
		const struct iface *d = &opt->devs.v[i];
		__u32 key = (__u32)d->ifindex;
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		err = fd < 0 ? -errno : nl_detach_ours(d->ifindex, fd, flags[i]);
		if (fd >= 0)
			close(fd);
		if (err) {	/* replaced meanwhile: the replace check refused */
			ret = report(err, EXIT_FAIL_XDP, "detach program %u from %s", ids[i], d->name);
			continue;
		}
		if (m.fd[MAP_PORTS] >= 0) {
			bpf_map_delete_elem(m.fd[MAP_PORTS], &key);
			stats_drop(&m, key);
		}
		printf("xdp_fwd: detached from %s (program %u)\n", d->name, ids[i]);
	}
	if (m.fd[MAP_PORTS] >= 0 && ports_list(m.fd[MAP_PORTS], NULL, 0) == 0) {
		pins_remove(pins);
		printf("xdp_fwd: last device detached; removed %s\n", pins->dir);
	}
out:
	maps_close(&m);
	return ret;
}

/* ------------------------------------------------------------------ stats */

struct dev_snap {
	__u64 *cpu;			/* ncpus x FWD_REC_N */
	__u64 tot[FWD_REC_N];
};

struct stats_run {
	const struct fwd_opts *opt;
	struct maps m;
	int ncpus;
	int n;
	struct iface dev[FWD_PORTS_MAX];
	struct dev_snap cur[FWD_PORTS_MAX], prev[FWD_PORTS_MAX], first[FWD_PORTS_MAX];
	__u64 t_cur, t_prev, t_first;
};

static int collect(struct stats_run *s, struct dev_snap *snap, __u64 *t)
{
	for (int i = 0; i < s->n; i++) {
		__u32 key = (__u32)s->dev[i].ifindex;
		int err = percpu_sum(stats_fd_of(&s->m, key), key, FWD_REC_N, s->ncpus,
				     snap[i].cpu, snap[i].tot);

		if (err == -ENOENT) {	/* detached meanwhile: reads as zero */
			memset(snap[i].cpu, 0, (size_t)s->ncpus * FWD_REC_N * sizeof(__u64));
			memset(snap[i].tot, 0, sizeof(snap[i].tot));
		} else if (err) {
			return err;
		}
	}
	*t = now_ns();
	return 0;
}

static void snap_copy(const struct stats_run *s, struct dev_snap *dst, const struct dev_snap *src)
{
	for (int i = 0; i < s->n; i++) {
		memcpy(dst[i].cpu, src[i].cpu, (size_t)s->ncpus * FWD_REC_N * sizeof(__u64));
		memcpy(dst[i].tot, src[i].tot, sizeof(dst[i].tot));
	}
}

static __u64 pass_sum(const __u64 *v)
{
	__u64 n = 0;

	for (int r = 0; r < FWD_R_N; r++)
		n += v[3 + r];
	return n;
}

static void print_table(const struct stats_run *s)
{
	__u64 dt = s->t_cur - s->t_prev;
	bool sep = !s->opt->no_sep;
	char a[32], b[32], c[32], d[32];

	printf("\nPeriod %.3f s\n%-16s %-6s %14s %14s %14s %14s  %s\n", (double)dt / 1e9, "Device",
	       "CPU", "rx (pkt/s)", "fwd (pkt/s)", "tx (pkt/s)", "pass (pkt/s)",
	       "pass reasons (pkt/s)");
	for (int i = 0; i < s->n; i++) {
		const __u64 *n = s->cur[i].tot, *p = s->prev[i].tot;

		for (int cpu = 0; cpu < s->ncpus; cpu++) {
			const __u64 *nc = &s->cur[i].cpu[(size_t)cpu * FWD_REC_N];
			const __u64 *pc = &s->prev[i].cpu[(size_t)cpu * FWD_REC_N];
			char col[16];

			if (nc[0] == pc[0] && nc[2] == pc[2])
				continue;
			snprintf(col, sizeof(col), "%d", cpu);
			printf("%-16s %-6s %14s %14s %14s %14s\n", s->dev[i].name, col,
			       fmt_rate(a, rate_per_sec(nc[0], pc[0], dt), sep),
			       fmt_rate(b, rate_per_sec(nc[1], pc[1], dt), sep),
			       fmt_rate(c, rate_per_sec(nc[2], pc[2], dt), sep),
			       fmt_rate(d, rate_per_sec(pass_sum(nc), pass_sum(pc), dt), sep));
		}
		printf("%-16s %-6s %14s %14s %14s %14s ", s->dev[i].name, "total",
		       fmt_rate(a, rate_per_sec(n[0], p[0], dt), sep),
		       fmt_rate(b, rate_per_sec(n[1], p[1], dt), sep),
		       fmt_rate(c, rate_per_sec(n[2], p[2], dt), sep),
		       fmt_rate(d, rate_per_sec(pass_sum(n), pass_sum(p), dt), sep));
		for (int r = 0; r < FWD_R_N; r++)
			if (n[3 + r] != p[3 + r])
				printf(" %s=%s", reason_names[r],
				       fmt_rate(a, rate_per_sec(n[3 + r], p[3 + r], dt), sep));
		putchar('\n');
	}
	fflush(stdout);
}

static void json_dev(struct jw *w, const struct stats_run *s, int i, const struct dev_snap *now,
		     const struct dev_snap *then, __u64 dt)
{
	const __u64 *n = now[i].tot, *p = then[i].tot;

	jw_obj(w, NULL);
	jw_str(w, "dev", s->dev[i].name);
	jw_i64(w, "ifindex", s->dev[i].ifindex);
	jw_u64(w, "rx", n[0]);
	jw_u64(w, "fwd", n[1]);
	jw_u64(w, "tx", n[2]);
	jw_u64(w, "pass", pass_sum(n));
	jw_double(w, "rx_pps", rate_per_sec(n[0], p[0], dt));
	jw_double(w, "fwd_pps", rate_per_sec(n[1], p[1], dt));
	jw_double(w, "tx_pps", rate_per_sec(n[2], p[2], dt));
	jw_double(w, "pass_pps", rate_per_sec(pass_sum(n), pass_sum(p), dt));
	jw_obj(w, "reasons");
	for (int r = 0; r < FWD_R_N; r++)
		jw_u64(w, reason_names[r], n[3 + r]);
	jw_obj_end(w);
	jw_arr(w, "cpus");
	for (int cpu = 0; cpu < s->ncpus; cpu++) {
		const __u64 *nc = &now[i].cpu[(size_t)cpu * FWD_REC_N];
		const __u64 *pc = &then[i].cpu[(size_t)cpu * FWD_REC_N];

		if (!nc[0] && !nc[2])
			continue;
		jw_obj(w, NULL);
		jw_i64(w, "cpu", cpu);
		jw_u64(w, "rx", nc[0]);
		jw_u64(w, "fwd", nc[1]);
		jw_u64(w, "tx", nc[2]);
		jw_u64(w, "pass", pass_sum(nc));
		jw_double(w, "rx_pps", rate_per_sec(nc[0], pc[0], dt));
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static void print_json(const struct stats_run *s, const char *type, const struct dev_snap *then,
		       __u64 t_then, int sig)
{
	__u64 dt = s->t_cur - t_then;
	struct jw w;

	jw_begin(&w, stdout);
	jw_str(&w, "type", type);
	jw_u64(&w, !strcmp(type, "summary") ? "duration_ns" : "period_ns", dt);
	jw_arr(&w, "devices");
	for (int i = 0; i < s->n; i++)
		json_dev(&w, s, i, s->cur, then, dt);
	jw_arr_end(&w);
	if (sig >= 0)
		jw_i64(&w, "signal", sig);
	jw_end(&w);
}

static void print_summary(const struct stats_run *s, int sig)
{
	bool sep = !s->opt->no_sep;
	char a[32], b[32], c[32];

	if (s->opt->json) {
		print_json(s, "summary", s->first, s->t_first, sig);
		return;
	}
	printf("\nSummary: %.3f s\n", (double)(s->t_cur - s->t_first) / 1e9);
	for (int i = 0; i < s->n; i++) {
		const __u64 *n = s->cur[i].tot, *f = s->first[i].tot;

		printf("  %-16s rx %s fwd %s tx %s pass", s->dev[i].name,
		       fmt_u64(a, n[0] - f[0], sep), fmt_u64(b, n[1] - f[1], sep),
		       fmt_u64(c, n[2] - f[2], sep));
		printf(" %s", fmt_u64(a, pass_sum(n) - pass_sum(f), sep));
		for (int r = 0; r < FWD_R_N; r++)
			if (n[3 + r] != f[3 + r])
				printf(" %s=%s", reason_names[r], fmt_u64(a, n[3 + r] - f[3 + r], sep));
		putchar('\n');
	}
}

static int stats_devices(struct stats_run *s)
{
	__u32 keys[FWD_PORTS_MAX];
	int n;

	if (s->opt->devs.n) {
		for (int i = 0; i < s->opt->devs.n; i++) {
			__u32 key = (__u32)s->opt->devs.v[i].ifindex, val;

			if (bpf_map_lookup_elem(s->m.fd[MAP_PORTS], &key, &val))
				return report(0, EXIT_FAIL_OPTION, "xdp_fwd does not run on %s",
					      s->opt->devs.v[i].name);
			s->dev[s->n++] = s->opt->devs.v[i];
		}
		return 0;
	}
	n = ports_list(s->m.fd[MAP_PORTS], keys, FWD_PORTS_MAX);
	if (n < 0)
		return report(n, EXIT_FAIL, "list devices");
	if (n > FWD_PORTS_MAX)
		n = FWD_PORTS_MAX;
	for (int i = 0; i < n; i++) {	/* by ifindex, for a stable order */
		for (int j = i + 1; j < n; j++)
			if (keys[j] < keys[i]) {
				__u32 t = keys[i];

				keys[i] = keys[j];
				keys[j] = t;
			}
		s->dev[s->n].ifindex = (int)keys[i];
		if (!if_indextoname(keys[i], s->dev[s->n].name))
			snprintf(s->dev[s->n].name, sizeof(s->dev[s->n].name), "if%u", keys[i]);
		s->n++;
	}
	return 0;
}

static int do_stats(const struct fwd_opts *opt, const struct pins *pins)
{
	struct stats_run *s = calloc(1, sizeof(*s));
	struct loop lp = LOOP_INIT;
	int ret = 0, err, ev;

	if (!s)
		return report(-ENOMEM, EXIT_FAIL_MEM, "allocate statistics");
	s->opt = opt;
	s->m = (struct maps)MAPS_NONE;
	s->ncpus = ncpus_possible();
	err = maps_open(pins, &s->m);
	if (err) {
		ret = err == -ENOENT ? report(0, EXIT_FAIL, "xdp_fwd runs on no device here "
						  "(nothing pinned in %s)", pins->dir)
				     : report(err, EXIT_FAIL, "open maps pinned in %s", pins->dir);
		goto out;
	}
	ret = stats_devices(s);
	if (ret)
		goto out;
	for (int i = 0; i < s->n; i++) {
		s->cur[i].cpu = calloc((size_t)s->ncpus * FWD_REC_N, sizeof(__u64));
		s->prev[i].cpu = calloc((size_t)s->ncpus * FWD_REC_N, sizeof(__u64));
		s->first[i].cpu = calloc((size_t)s->ncpus * FWD_REC_N, sizeof(__u64));
		if (!s->cur[i].cpu || !s->prev[i].cpu || !s->first[i].cpu) {
			ret = report(-ENOMEM, EXIT_FAIL_MEM, "allocate statistics");
			goto out;
		}
	}
	err = loop_init(&lp, opt->interval, opt->duration);
	if (err) {
		ret = report(err, EXIT_FAIL, "set up timer and signals");
		goto out;
	}
	err = collect(s, s->first, &s->t_first);
	if (err) {
		ret = report(err, EXIT_FAIL, "read statistics");
		goto out;
	}
	snap_copy(s, s->prev, s->first);
	snap_copy(s, s->cur, s->first);
	s->t_prev = s->t_cur = s->t_first;
	if (opt->json) {
		struct jw w;

		jw_begin(&w, stdout);
		jw_str(&w, "type", "start");
		jw_str(&w, "pin_dir", pins->dir);
		jw_arr(&w, "devices");
		for (int i = 0; i < s->n; i++) {
			jw_obj(&w, NULL);
			jw_str(&w, "dev", s->dev[i].name);
			jw_i64(&w, "ifindex", s->dev[i].ifindex);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_end(&w);
	} else {
		printf("xdp_fwd counters of %d device(s), maps in %s\n", s->n, pins->dir);
		fflush(stdout);
	}
	while ((ev = loop_wait(&lp)) > 0) {
		if (ev == LOOP_TOGGLE)
			continue;
		err = collect(s, s->cur, &s->t_cur);
		if (err) {
			ret = report(err, EXIT_FAIL, "read statistics");
			break;
		}
		if (ev == LOOP_TICK || s->t_cur - s->t_prev > lp.interval_ns / 10) {
			if (opt->json)
				print_json(s, "interval", s->prev, s->t_prev, -1);
			else
				print_table(s);
		}
		snap_copy(s, s->prev, s->cur);
		s->t_prev = s->t_cur;
		if (ev == LOOP_STOP)
			break;
	}
	if (ev < 0 && !ret)
		ret = report(ev, EXIT_FAIL, "wait");
	print_summary(s, lp.last_signal);
out:
	loop_close(&lp);
	maps_close(&s->m);
	for (int i = 0; i < FWD_PORTS_MAX; i++) {
		free(s->cur[i].cpu);
		free(s->prev[i].cpu);
		free(s->first[i].cpu);
	}
	free(s);
	return ret;
}

/* ------------------------------------------------------------------ main */

static int opts_finish(struct fwd_opts *opt)
{
	if (opt->skb_mode) {
		if (opt->mode == XDP_MODE_NATIVE)
			return report(0, EXIT_FAIL_OPTION, "--skb-mode conflicts with --mode native");
		opt->mode = XDP_MODE_SKB;
	}
	if (opt->detach && opt->stats)
		return report(0, EXIT_FAIL_OPTION, "--detach and --stats exclude each other");
	if (!opt->stats && !opt->devs.n)
		return report(0, EXIT_FAIL_OPTION, "missing IFACE; see --help");
	return 0;
}

int main(int argc, char **argv)
{
	struct fwd_opts opt = fwd_defaults;
	struct pins pins;
	int err, ret;

	/* `xdp_fwd stats [IFACE...]` is the same as `xdp_fwd -s [IFACE...]` */
	if (argc > 1 && !strcmp(argv[1], "stats")) {
		argv[1] = "--stats";
	}
	err = opts_parse(argc, argv, &fwd_tool, &opt);
	if (err)
		return err > 0 ? EXIT_OK : EXIT_FAIL_OPTION;
	ret = opts_finish(&opt);
	if (ret)
		return ret;
	ret = priv_require();
	if (ret)
		return ret;
	log_setup(opt.verbose);
	err = pins_init(&pins, opt.pin_dir);
	if (err)
		return report(err, EXIT_FAIL, "find the network namespace");

	if (opt.stats)
		ret = do_stats(&opt, &pins);
	else if (opt.detach)
		ret = do_detach(&opt, &pins);
	else
		ret = do_attach(&opt, &pins);
	return ret;
}
