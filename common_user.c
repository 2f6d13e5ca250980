// SPDX-License-Identifier: GPL-2.0
/* common_user.c: options, devices, XDP attach, per-CPU reads, rates, formatting, loop, JSON. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common_user.h"

/* ------------------------------------------------------------------ options */

const struct opt_enum xdp_mode_names[] = {
	{ "auto", XDP_MODE_AUTO },
	{ "native", XDP_MODE_NATIVE },
	{ "skb", XDP_MODE_SKB },
	{ NULL, 0 },
};

const char *opt_enum_name(const struct opt_enum *values, int value)
{
	for (; values && values->name; values++)
		if (values->value == value)
			return values->name;
	return "?";
}

static void enum_list(char *buf, size_t len, const struct opt_enum *values)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; values->name && n < len; values++)
		n += snprintf(buf + n, len - n, "%s%s", n ? "|" : "", values->name);
}

static int parse_double(const char *s, double *out)
{
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	*out = strtod(s, &end);
	if (errno || *end || !isfinite(*out))
		return -EINVAL;
	return 0;
}

static int opt_set(const struct opt_tool *tool, const struct opt_def *d, void *cfg,
		   const char *arg)
{
	void *field = (char *)cfg + d->off;
	char list[256];
	double v;
	int err;

	switch (d->type) {
	case OPT_BOOL:
		*(bool *)field = true;
		return 0;
	case OPT_COUNT:
		(*(int *)field)++;
		return 0;
	case OPT_U32:
	case OPT_SECONDS:
		if (parse_double(arg, &v) || (d->type == OPT_U32 && (v != floor(v) || v < 0 ||
								   v > UINT32_MAX)))
			goto bad_number;
		if ((d->min || d->max) && (v < d->min || v > d->max)) {
			fprintf(stderr, "%s: bad --%s '%s' (want %.15g..%.15g)\n", tool->name, d->name,
				arg, d->min, d->max);
			return -EINVAL;
		}
		if (d->type == OPT_U32)
			*(__u32 *)field = (__u32)v;
		else
			*(double *)field = v;
		return 0;
	case OPT_STR:
		if (!*arg) {
			fprintf(stderr, "%s: empty value for --%s\n", tool->name, d->name);
			return -EINVAL;
		}
		*(const char **)field = arg;
		return 0;
	case OPT_IFACE:
	case OPT_IFACES: {
		struct iface ifc;

		err = iface_parse(&ifc, arg);
		if (err) {
			fprintf(stderr, "%s: unknown device '%s'\n", tool->name, arg);
			return err;
		}
		if (d->type == OPT_IFACE) {
			*(struct iface *)field = ifc;
			return 0;
		}
		struct iface_list *l = field;

		for (int i = 0; i < l->n; i++) {
			if (l->v[i].ifindex == ifc.ifindex) {
				fprintf(stderr, "%s: device '%s' given twice\n", tool->name, arg);
				return -EINVAL;
			}
		}
		if (l->n >= IFACE_MAX) {
			fprintf(stderr, "%s: too many devices (at most %d)\n", tool->name,
				IFACE_MAX);
			return -E2BIG;
		}
		l->v[l->n++] = ifc;
		return 0;
	}
	case OPT_ENUM:
		for (const struct opt_enum *e = d->values; e->name; e++) {
			if (!strcasecmp(e->name, arg)) {
				*(int *)field = e->value;
				return 0;
			}
		}
		enum_list(list, sizeof(list), d->values);
		fprintf(stderr, "%s: bad --%s '%s' (want %s)\n", tool->name, d->name, arg, list);
		return -EINVAL;
	}
	return -EINVAL;
bad_number:
	fprintf(stderr, "%s: bad --%s '%s' (want a %snumber)\n", tool->name, d->name, arg,
		d->type == OPT_U32 ? "whole " : "");
	return -EINVAL;
}

static bool opt_takes_arg(const struct opt_def *d)
{
	return d->type != OPT_BOOL && d->type != OPT_COUNT;
}

static void default_str(char *buf, size_t len, const struct opt_def *d, const void *defaults)
{
	const void *field = (const char *)defaults + d->off;

	buf[0] = '\0';
	if (!defaults)
		return;
	switch (d->type) {
	case OPT_U32:
		if (*(const __u32 *)field)
			snprintf(buf, len, " (default %u)", *(const __u32 *)field);
		break;
	case OPT_SECONDS:
		if (*(const double *)field)
			snprintf(buf, len, " (default %g)", *(const double *)field);
		break;
	case OPT_STR:
		if (*(const char *const *)field)
			snprintf(buf, len, " (default %s)", *(const char *const *)field);
		break;
	case OPT_ENUM:
		snprintf(buf, len, " (default %s)", opt_enum_name(d->values, *(const int *)field));
		break;
	default:
		break;
	}
}

void opts_usage(FILE *f, const struct opt_tool *tool, const void *defaults)
{
	char left[64], def[96], list[256];

	fprintf(f, "Usage: %s %s\n%s\n\nOptions:\n", tool->name, tool->usage, tool->summary);
	for (const struct opt_def *d = tool->defs; d->name; d++) {
		if (d->hidden || d->positional)
			continue;
		if (d->short_opt)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", d->short_opt, d->name,
				 opt_takes_arg(d) ? " " : "", opt_takes_arg(d) ? d->metavar : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", d->name,
				 opt_takes_arg(d) ? " " : "", opt_takes_arg(d) ? d->metavar : "");
		default_str(def, sizeof(def), d, defaults);
		fprintf(f, "  %-28s %s%s\n", left, d->help, def);
		if (d->type == OPT_ENUM) {
			enum_list(list, sizeof(list), d->values);
			fprintf(f, "  %-28s one of %s\n", "", list);
		}
	}
	fprintf(f, "  %-28s %s\n", "-h, --help", "show this help and exit");
	if (tool->doc)
		fprintf(f, "\n%s", tool->doc);
}

static int positional_parse(const struct opt_tool *tool, void *cfg, int argc, char **argv,
			    int idx)
{
	int err;

	for (const struct opt_def *d = tool->defs; d->name; d++) {
		if (!d->positional)
			continue;
		if (idx >= argc) {
			if (d->required) {
				fprintf(stderr, "%s: missing %s; see --help\n", tool->name,
					d->metavar);
				return -EINVAL;
			}
			continue;
		}
		do {
			err = opt_set(tool, d, cfg, argv[idx++]);
			if (err)
				return err;
		} while (d->type == OPT_IFACES && idx < argc);
	}
	if (idx < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'; see --help\n", tool->name, argv[idx]);
		return -EINVAL;
	}
	return 0;
}

static bool opt_was_set(const struct opt_def *d, const void *cfg)
{
	const void *field = (const char *)cfg + d->off;

	switch (d->type) {
	case OPT_IFACE:
		return ((const struct iface *)field)->ifindex > 0;
	case OPT_IFACES:
		return ((const struct iface_list *)field)->n > 0;
	case OPT_STR:
		return *(const char *const *)field != NULL;
	default:
		return true;
	}
}

int opts_parse(int argc, char **argv, const struct opt_tool *tool, void *cfg)
{
	struct option longs[64];
	char shorts[160] = ":h";
	size_t n = 0, sl = 2;
	int c, idx, err;
	bool seen[64] = {};

	for (const struct opt_def *d = tool->defs; d->name && n < ARRAY_SIZE(longs) - 2; d++, n++) {
		longs[n] = (struct option){ d->name, opt_takes_arg(d) ? required_argument
								    : no_argument,
					    NULL, 0x1000 + (int)n };
		if (d->short_opt && sl + 3 < sizeof(shorts)) {
			shorts[sl++] = (char)d->short_opt;
			if (opt_takes_arg(d))
				shorts[sl++] = ':';
		}
	}
	longs[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longs[n] = (struct option){ NULL, 0, NULL, 0 };
	shorts[sl] = '\0';

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, longs, &idx)) != -1) {
		const struct opt_def *d = NULL;

		if (c == 'h') {
			opts_usage(stdout, tool, tool->defaults);
			return 1;
		}
		if (c == '?' || c == ':') {
			const char *what = argv[optind - 1];

			if (optopt && optopt < 0x1000)
				fprintf(stderr, "%s: %s option '-%c'; see --help\n", tool->name,
					c == ':' ? "missing value for" : "unknown", optopt);
			else
				fprintf(stderr, "%s: %s '%s'; see --help\n", tool->name,
					c == ':' ? "missing value for" : "unknown option", what);
			return -EINVAL;
		}
		if (c >= 0x1000) {
			d = &tool->defs[c - 0x1000];
		} else {
			for (const struct opt_def *e = tool->defs; e->name; e++)
				if (e->short_opt == c)
					d = e;
		}
		if (!d)
			return -EINVAL;
		seen[d - tool->defs] = true;
		err = opt_set(tool, d, cfg, optarg);
		if (err)
			return -EINVAL;
	}
	if (positional_parse(tool, cfg, argc, argv, optind))
		return -EINVAL;
	for (const struct opt_def *d = tool->defs; d->name; d++) {
		if (d->required && !d->positional && !seen[d - tool->defs] && !opt_was_set(d, cfg)) {
			fprintf(stderr, "%s: required option --%s missing; see --help\n", tool->name,
				d->name);
			return -EINVAL;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ devices */

int iface_parse(struct iface *ifc, const char *arg)
{
	char *end;
	unsigned long idx;

	memset(ifc, 0, sizeof(*ifc));
	if (!arg || !*arg || strlen(arg) >= IF_NAMESIZE)
		return -ENODEV;
	errno = 0;
	idx = strtoul(arg, &end, 10);
	if (!errno && !*end && idx > 0 && idx < INT_MAX) {
		if (!if_indextoname((unsigned int)idx, ifc->name))
			return -ENODEV;
		ifc->ifindex = (int)idx;
		return 0;
	}
	ifc->ifindex = (int)if_nametoindex(arg);
	if (!ifc->ifindex)
		return -ENODEV;
	snprintf(ifc->name, sizeof(ifc->name), "%s", arg);
	return 0;
}

int iface_mac(const char *ifname, __u8 mac[6])
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

int mac_parse(const char *s, __u8 mac[6])
{
	unsigned int b[6];
	char extra;

	if (!s || sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
			 &extra) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -EINVAL;
		mac[i] = (__u8)b[i];
	}
	return 0;
}

bool iface_exists(const struct iface *ifc)
{
	char name[IF_NAMESIZE];

	return if_indextoname((unsigned int)ifc->ifindex, name) && !strcmp(name, ifc->name);
}

int iface_driver(const char *ifname, char *buf, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = {};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&info;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		err = -errno;
	else
		snprintf(buf, len, "%s", info.driver);
	close(fd);
	return err;
}

/* ------------------------------------------------------------------ XDP attach */

const char *xdp_mode_str(enum xdp_mode mode)
{
	return mode == XDP_MODE_SKB ? "skb (generic)" : mode == XDP_MODE_NATIVE ? "native" : "auto";
}

int xdp_prog_name(__u32 prog_id, char *buf, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	int fd, err = 0;

	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen))
		err = -errno;
	else
		snprintf(buf, len, "%s", info.name);
	close(fd);
	return err;
}

static int link_attach(int ifindex, int prog_fd, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
	int fd;

	fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);
	return fd < 0 ? -errno : fd;
}

static __u32 prog_fd_id(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(prog_fd, &info, &len) ? 0 : info.id;
}

/* Remove the program found on the device (only possible when attached through netlink). */
static int detach_foreign(int ifindex, __u8 attach_mode)
{
	__u32 f = attach_mode == XDP_ATTACHED_SKB  ? XDP_FLAGS_SKB_MODE
		  : attach_mode == XDP_ATTACHED_HW ? XDP_FLAGS_HW_MODE
						   : XDP_FLAGS_DRV_MODE;
	int err = bpf_xdp_detach(ifindex, f, NULL);

	/* the kernel refuses to detach a program owned by another process's bpf_link */
	return err == -EBUSY || err == -EINVAL ? -EBUSY : err;
}

int xdp_attach_prog(struct xdp_attach *xa, const struct bpf_program *prog, const struct iface *ifc,
		    enum xdp_mode mode, bool force, __u32 *busy_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int prog_fd = bpf_program__fd(prog);
	int fd, err;

	memset(xa, 0, sizeof(*xa));
	xa->link_fd = -1;
	xa->ifindex = ifc->ifindex;
	if (prog_fd < 0)
		return -EINVAL;

	err = bpf_xdp_query(ifc->ifindex, 0, &q);
	if (err)
		return err;
	if (q.prog_id) {
		if (busy_id)
			*busy_id = q.prog_id;
		if (!force)
			return -EEXIST;
		err = detach_foreign(ifc->ifindex, q.attach_mode);
		if (err)
			return err;
		xa->replaced_id = q.prog_id;
	}

	if (mode == XDP_MODE_SKB) {
		fd = link_attach(ifc->ifindex, prog_fd, XDP_FLAGS_SKB_MODE);
	} else {
		fd = link_attach(ifc->ifindex, prog_fd, XDP_FLAGS_DRV_MODE);
		if (fd < 0 && mode == XDP_MODE_AUTO && fd != -EBUSY && fd != -EEXIST) {
			xa->native_err = -fd;
			fd = link_attach(ifc->ifindex, prog_fd, XDP_FLAGS_SKB_MODE);
			xa->fell_back = fd >= 0;
		}
	}
	if (fd < 0)
		return fd;
	xa->link_fd = fd;
	xa->mode = (mode == XDP_MODE_SKB || xa->fell_back) ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	xa->prog_id = prog_fd_id(prog_fd);
	return 0;
}

void xdp_attach_release(struct xdp_attach *xa)
{
	if (xa->link_fd >= 0) {
		bpf_link_detach(xa->link_fd);
		close(xa->link_fd);
	}
	xa->link_fd = -1;
}

int xdp_busy_report(const struct iface *ifc, __u32 prog_id)
{
	char name[64] = "?";

	xdp_prog_name(prog_id, name, sizeof(name));
	return report(0, EXIT_FAIL_XDP,
		      "device %s already runs XDP program %u (%s); use --force to replace it",
		      ifc->name, prog_id, name);
}

int xdp_attach_or_report(struct xdp_attach *xa, const struct bpf_program *prog,
			 const struct iface *ifc, enum xdp_mode mode, bool force)
{
	__u32 busy = 0;
	int err;

	err = xdp_attach_prog(xa, prog, ifc, mode, force, &busy);
	if (err == -EEXIST)
		return xdp_busy_report(ifc, busy);
	if (err == -EBUSY)
		return report(0, EXIT_FAIL_XDP,
			      "device %s runs XDP program %u held by another process's link; "
			      "stop that process first", ifc->name, busy);
	if (err == -ERANGE)	/* veth: MTU above a page without a frags-capable program */
		return report(0, EXIT_FAIL_XDP,
			      "attach XDP to %s in %s mode: its MTU is too large for a program "
			      "without multi-buffer (frags) support; lower the MTU", ifc->name,
			      xdp_mode_str(mode));
	if (err)
		return report(err, EXIT_FAIL_XDP, "attach XDP to %s in %s mode", ifc->name,
			      xdp_mode_str(mode));
	if (xa->fell_back)
		fprintf(stderr, "%s: native XDP refused on %s (%s); using generic (skb) mode\n",
			program_invocation_short_name, ifc->name, strerror(xa->native_err));
	if (xa->replaced_id)
		fprintf(stderr, "%s: replaced XDP program %u on %s (--force)\n",
			program_invocation_short_name, xa->replaced_id, ifc->name);
	return 0;
}

void xdp_prog_frags_capable(struct bpf_program *prog)
{
	bpf_program__set_flags(prog, bpf_program__flags(prog) | BPF_F_XDP_HAS_FRAGS);
}

bool xdp_redirect_frags_ok(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	bool ok = false;
	int id;

	if (!btf)
		return true;	/* no BTF, no tracing tools either: assume a current kernel */
	id = btf__find_by_name_kind(btf, "netdev_xdp_act", BTF_KIND_ENUM);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	for (int i = 0; t && i < btf_vlen(t); i++)
		ok |= !strcmp(btf__name_by_offset(btf, btf_enum(t)[i].name_off),
			      "NETDEV_XDP_ACT_NDO_XMIT_SG");
	btf__free(btf);
	return ok;
}

/* ------------------------------------------------------------------ per-CPU maps */

int ncpus_possible(void)
{
	return libbpf_num_possible_cpus();
}

int percpu_sum(int map_fd, __u32 key, unsigned int n_u64, int ncpus, __u64 *per_cpu,
	       __u64 *total)
{
	__u64 *vals;
	int err = 0;

	if (ncpus <= 0 || !n_u64)
		return -EINVAL;
	/* per-CPU values come back padded to 8 bytes each: our records are __u64 arrays */
	vals = calloc((size_t)ncpus * n_u64, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, vals)) {
		err = -errno;
		goto out;
	}
	memset(total, 0, n_u64 * sizeof(*total));
	for (int c = 0; c < ncpus; c++)
		for (unsigned int i = 0; i < n_u64; i++)
			total[i] += vals[(size_t)c * n_u64 + i];
	if (per_cpu)
		memcpy(per_cpu, vals, (size_t)ncpus * n_u64 * sizeof(*vals));
out:
	free(vals);
	return err;
}

/* ------------------------------------------------------------------ time and formatting */

__u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

double rate_per_sec(__u64 cur, __u64 prev, __u64 dt_ns)
{
	if (!dt_ns || cur < prev)
		return 0.0;
	return (double)(cur - prev) * 1e9 / (double)dt_ns;
}

const char *fmt_u64(char buf[32], __u64 v, bool sep)
{
	char tmp[32];
	int len, o = 0;

	len = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
	for (int i = 0; i < len; i++) {
		if (sep && i && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

const char *fmt_rate(char buf[32], double v, bool sep)
{
	if (!(v > 0))
		v = 0;
	if (v > 1e19)
		v = 1e19;
	return fmt_u64(buf, (__u64)llround(v), sep);
}

/* ------------------------------------------------------------------ loop */

static void ns_to_ts(struct timespec *ts, __u64 ns)
{
	ts->tv_sec = (time_t)(ns / 1000000000ULL);
	ts->tv_nsec = (long)(ns % 1000000000ULL);
}

static int loop_arm(struct loop *l)
{
	struct itimerspec its = {};
	__u64 next = l->start_ns + (l->ticks + 1) * l->interval_ns;

	if (l->deadline_ns && next > l->deadline_ns)
		next = l->deadline_ns;
	ns_to_ts(&its.it_value, next);
	return timerfd_settime(l->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) ? -errno : 0;
}

int loop_init(struct loop *l, double interval_s, double duration_s)
{
	sigset_t set;

	l->sig_fd = l->timer_fd = -1;
	l->ticks = 0;
	l->last_signal = 0;
	if (!(interval_s > 0) || (duration_s < 0))
		return -EINVAL;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -EINVAL;
	/* A shell starts background jobs with SIGINT and SIGQUIT ignored, and an ignored signal
	 * is discarded even while blocked; restore the default so `kill -INT` still ends us
	 * cleanly (blocked, the default action never runs: the signalfd reads the signal). */
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	l->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->sig_fd < 0)
		return -errno;
	l->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (l->timer_fd < 0)
		return -errno;
	l->start_ns = now_ns();
	l->interval_ns = (__u64)(interval_s * 1e9);
	if (l->interval_ns < 1000000)
		l->interval_ns = 1000000;
	l->deadline_ns = duration_s > 0 ? l->start_ns + (__u64)(duration_s * 1e9) : 0;
	return loop_arm(l);
}

int loop_wait(struct loop *l)
{
	struct pollfd pfd[3] = {
		{ .fd = l->sig_fd, .events = POLLIN },
		{ .fd = l->timer_fd, .events = POLLIN },
		{ .fd = l->extra_fd, .events = POLLIN },
	};
	struct signalfd_siginfo si;
	__u64 expirations;
	int err;

	for (;;) {
		if (poll(pfd, l->extra_fd >= 0 ? 3 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pfd[0].revents & POLLIN) {
			if (read(l->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGQUIT)
					return LOOP_TOGGLE;
				l->last_signal = (int)si.ssi_signo;
				return LOOP_STOP;
			}
		}
		if (pfd[1].revents & POLLIN) {
			if (read(l->timer_fd, &expirations, sizeof(expirations)) < 0 &&
			    errno != EAGAIN)
				return -errno;
			if (l->deadline_ns && now_ns() >= l->deadline_ns)
				return LOOP_STOP;
			/* skip ticks missed while the process was stopped */
			l->ticks = (now_ns() - l->start_ns) / l->interval_ns;
			err = loop_arm(l);
			return err ? err : LOOP_TICK;
		}
		if (l->extra_fd >= 0 && (pfd[2].revents & (POLLIN | POLLERR | POLLHUP)))
			return 0;
	}
}

void loop_close(struct loop *l)
{
	if (l->sig_fd >= 0)
		close(l->sig_fd);
	if (l->timer_fd >= 0)
		close(l->timer_fd);
	l->sig_fd = l->timer_fd = -1;
}

/* ------------------------------------------------------------------ JSON lines */

static void jw_sep(struct jw *w, const char *key)
{
	if (w->need_comma[w->depth])
		fputc(',', w->f);
	w->need_comma[w->depth] = true;
	if (key) {
		fputc('"', w->f);
		for (const char *p = key; *p; p++)
			fputc(*p, w->f);
		fputs("\":", w->f);
	}
}

static void jw_open(struct jw *w, const char *key, char c)
{
	jw_sep(w, key);
	fputc(c, w->f);
	if (w->depth < (int)ARRAY_SIZE(w->need_comma) - 1)
		w->depth++;
	w->need_comma[w->depth] = false;
}

static void jw_close(struct jw *w, char c)
{
	fputc(c, w->f);
	if (w->depth > 0)
		w->depth--;
}

void jw_begin(struct jw *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	fputc('{', f);
}

void jw_end(struct jw *w)
{
	fputs("}\n", w->f);
	fflush(w->f);
}

void jw_obj(struct jw *w, const char *key)
{
	jw_open(w, key, '{');
}

void jw_obj_end(struct jw *w)
{
	jw_close(w, '}');
}

void jw_arr(struct jw *w, const char *key)
{
	jw_open(w, key, '[');
}

void jw_arr_end(struct jw *w)
{
	jw_close(w, ']');
}

void jw_u64(struct jw *w, const char *key, __u64 v)
{
	jw_sep(w, key);
	fprintf(w->f, "%llu", (unsigned long long)v);
}

void jw_i64(struct jw *w, const char *key, long long v)
{
	jw_sep(w, key);
	fprintf(w->f, "%lld", v);
}

void jw_double(struct jw *w, const char *key, double v)
{
	jw_sep(w, key);
	if (isfinite(v))
		fprintf(w->f, "%.3f", v);
	else
		fputs("null", w->f);
}

void jw_str(struct jw *w, const char *key, const char *s)
{
	jw_sep(w, key);
	fputc('"', w->f);
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(w->f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(w->f, "\\u%04x", *p);
		else
			fputc(*p, w->f);
	}
	fputc('"', w->f);
}

void jw_bool(struct jw *w, const char *key, bool v)
{
	jw_sep(w, key);
	fputs(v ? "true" : "false", w->f);
}

/* ------------------------------------------------------------------ errors, logging */

int report(int err, int exit_code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err < 0 ? -err : err));
	fputc('\n', stderr);
	return exit_code;
}

static int print_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int print_info(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

static int print_debug(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

void log_setup(int verbose)
{
	libbpf_set_print(verbose >= 2 ? print_debug : verbose == 1 ? print_info : print_quiet);
}

int priv_check(char *buf, size_t len)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	__u64 eff;
	bool sys_admin, bpf, perfmon, net_admin;

	buf[0] = '\0';
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	eff = (__u64)data[0].effective | ((__u64)data[1].effective << 32);
	sys_admin = eff & (1ULL << CAP_SYS_ADMIN);
	bpf = eff & (1ULL << 39 /* CAP_BPF */);
	perfmon = eff & (1ULL << 38 /* CAP_PERFMON */);
	net_admin = eff & (1ULL << CAP_NET_ADMIN);
	if ((bpf || sys_admin) && net_admin && (perfmon || sys_admin))
		return 0;
	snprintf(buf, len, "%s%s%s", bpf || sys_admin ? "" : "CAP_BPF ",
		 net_admin ? "" : "CAP_NET_ADMIN ", perfmon || sys_admin ? "" : "CAP_PERFMON ");
	if (strlen(buf))
		buf[strlen(buf) - 1] = '\0';
	return -EPERM;
}

int priv_require(void)
{
	char caps[64];

	if (!priv_check(caps, sizeof(caps)))
		return 0;
	return report(0, EXIT_FAIL_PRIV, "missing privileges: need %s (run as root)", caps);
}

/* ------------------------------------------------------------------ checksums */

__u32 csum_add(__u32 sum, const void *data, size_t len)
{
	const __u8 *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (__u32)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (__u32)(p[len - 1] << 8);
	return sum;
}

__u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}
