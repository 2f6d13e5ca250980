// SPDX-License-Identifier: GPL-2.0
/* common_user.c: options, devices, XDP attach, counter records, rates, formatting, output, loop,
 * the sampling driver, JSON, errors. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
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
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
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

/* 0, -EINVAL (not a number), or -ERANGE (beyond what a double holds: too large or too small) */
static int parse_double(const char *s, double *out)
{
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	*out = strtod(s, &end);
	if (*end || isnan(*out))
		return -EINVAL;
	if (errno == ERANGE || isinf(*out))
		return -ERANGE;
	return errno ? -EINVAL : 0;
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
	case OPT_SECONDS: {
		double lo = d->min || d->max ? d->min : d->type == OPT_U32 ? 0.0 : -(double)INFINITY;
		double hi = d->min || d->max ? d->max : d->type == OPT_U32 ? (double)UINT32_MAX
									   : (double)INFINITY;

		err = parse_double(arg, &v);
		if (err == -ERANGE)	/* 1e400: too large; 1e-400 underflows to 0, in range */
			v = arg[0] == '-' ? -INFINITY : INFINITY;
		else if (err || (d->type == OPT_U32 && v != floor(v)))
			goto bad_number;
		if (v > hi) {
			fprintf(stderr, "%s: bad --%s '%s' (too large: at most %.15g)\n", tool->name,
				d->name, arg, hi);
			return -EINVAL;
		}
		if (v < lo) {
			fprintf(stderr, "%s: bad --%s '%s' (too small: at least %.15g)\n", tool->name,
				d->name, arg, lo);
			return -EINVAL;
		}
		if (d->type == OPT_U32)
			*(__u32 *)field = (__u32)v;
		else
			*(double *)field = v;
		return 0;
	}
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
			struct iface *cur = field;

			/* IFACE and --dev (or -i and --dev) share the field: one device only */
			if (cur->ifindex && cur->ifindex != ifc.ifindex) {
				fprintf(stderr, "%s: two devices given, '%s' and '%s' (want one)\n",
					tool->name, cur->name, arg);
				return -EINVAL;
			}
			*cur = ifc;
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
	for (const struct opt_cmd *c = tool->cmds; c && c->name; c++)
		fprintf(f, "%s  %-28s %s\n", c == tool->cmds ? "\nCommands:\n" : "", c->name,
			c->help);
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

/* argv[1] when it is one of the tool's commands: its value goes to the command field, and the
 * options follow it (argv moves on by one). */
static void cmd_parse(const struct opt_tool *tool, void *cfg, int *argc, char ***argv)
{
	for (const struct opt_cmd *c = tool->cmds; c && c->name && *argc > 1; c++) {
		if (strcmp((*argv)[1], c->name))
			continue;
		*(int *)((char *)cfg + tool->cmd_off) = c->value;
		(*argc)--;
		(*argv)++;	/* the command word stands where the tool's name stood */
		return;
	}
}

int opts_parse(int argc, char **argv, const struct opt_tool *tool, void *cfg)
{
	struct option longs[64];
	char shorts[160] = ":h";
	size_t n = 0, sl = 2;
	int c, idx, err;
	bool seen[64] = {};

	cmd_parse(tool, cfg, &argc, &argv);

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

static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
}

int tool_begin(int argc, char **argv, const struct opt_tool *tool, void *cfg)
{
	sigset_t set;
	int err;

	/* fds 0-2 first: a file opened while stdout is closed would become fd 1 and receive
	 * every line printed */
	for (int fd = 0; fd <= STDERR_FILENO; fd++) {
		int nfd;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		nfd = open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY);
		if (nfd < 0)
			return EXIT_FAIL;	/* nowhere to say it */
		if (nfd != fd) {
			dup2(nfd, fd);
			close(nfd);
		}
	}
	/* a closed pipe is an EPIPE to report, never a death by SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	/* the stop signals wait, blocked, for the loop's signalfd (loop_init); see loop_init for
	 * the shell's background jobs, which start with SIGINT and SIGQUIT ignored (SIGHUP ignored
	 * stays so: nohup) */
	stop_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	/* errors then show at the flush stdout_end() checks, with their errno */
	setvbuf(stdout, NULL, _IOFBF, BUFSIZ);

	err = opts_parse(argc, argv, tool, cfg);
	if (err > 0)
		return stdout_end(EXIT_OK);
	return err ? EXIT_FAIL_OPTION : -1;
}

int stdout_end(int ret)
{
	int err = 0;

	errno = 0;
	if (fflush(stdout))
		err = errno ? errno : EIO;
	else if (ferror(stdout))
		err = EIO;
	if (!err)
		return ret;
	clearerr(stdout);
	if (err == EPIPE)
		return ret ? ret : report(0, EXIT_OUTPUT_CLOSED, "stdout closed by its reader");
	return report(-err, ret ? ret : EXIT_FAIL, "write stdout");
}

/* ------------------------------------------------------------------ devices */

int iface_parse(struct iface *ifc, const char *arg)
{
	char *end;
	unsigned long idx;

	memset(ifc, 0, sizeof(*ifc));
	if (!arg || !*arg || strlen(arg) >= IF_NAMESIZE)
		return -ENODEV;
	/* a name first: a device may be called "3" */
	ifc->ifindex = (int)if_nametoindex(arg);
	if (ifc->ifindex) {
		snprintf(ifc->name, sizeof(ifc->name), "%s", arg);
		return 0;
	}
	errno = 0;
	idx = strtoul(arg, &end, 10);
	if (errno || *end || idx == 0 || idx >= INT_MAX || arg[0] < '0' || arg[0] > '9' ||
	    !if_indextoname((unsigned int)idx, ifc->name))
		return -ENODEV;
	ifc->ifindex = (int)idx;
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

int iface_track(struct iface *ifc, int link_fd)
{
	char name[IF_NAMESIZE];

	if (link_fd >= 0) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);

		/* the kernel detaches an XDP link from a device that is deleted or moved away */
		if (!bpf_obj_get_info_by_fd(link_fd, &info, &len) && info.type == BPF_LINK_TYPE_XDP &&
		    !info.xdp.ifindex)
			return -ENODEV;
	}
	if (!if_indextoname((unsigned int)ifc->ifindex, name))
		return -ENODEV;
	if (strcmp(name, ifc->name)) {
		fprintf(stderr, "%s: device %s renamed to %s (ifindex %d); following it\n",
			program_invocation_short_name, ifc->name, name, ifc->ifindex);
		memcpy(ifc->name, name, sizeof(ifc->name));
	}
	return 0;
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

/* ------------------------------------------------------------------ redirect targets */

/* The netdev generic netlink family (Linux 6.3+; <linux/netdev.h> is newer than Debian 12's
 * headers): a device's XDP features. */
#define NETDEV_GENL_NAME "netdev"
#define NETDEV_GENL_CMD_DEV_GET 1
#define NETDEV_GENL_A_DEV_IFINDEX 1
#define NETDEV_GENL_A_DEV_XDP_FEATURES 3
#define NETDEV_GENL_XDP_ACT_NDO_XMIT (1ULL << 2)

struct nl_req {
	struct nlmsghdr nh;
	union {
		struct ifinfomsg ifi;
		struct genlmsghdr g;
	};
	char attrs[64];
};

/* Append attribute type with len bytes of data to r. */
static void nl_attr(struct nl_req *r, unsigned short type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = (unsigned short)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* One request, one answer into buf: its length, or -errno (the kernel's error). */
static int nl_talk(int proto, struct nl_req *r, char *buf, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto), err = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	r->nh.nlmsg_flags = NLM_F_REQUEST;
	r->nh.nlmsg_seq = 1;
	if (sendto(fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		goto out;
	}
	n = recv(fd, buf, len, 0);
	if (n < 0)
		err = -errno;
	else if (n < (ssize_t)sizeof(*nh) || !NLMSG_OK(nh, (size_t)n))
		err = -EBADMSG;
	else if (nh->nlmsg_type == NLMSG_ERROR)
		err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error ?: -ENOMSG;
	else
		err = (int)nh->nlmsg_len;
out:
	close(fd);
	return err;
}

/* The attribute type of the attributes that start off bytes into msg (of len bytes); NULL. */
static const struct nlattr *nl_find(const char *msg, int len, size_t off, unsigned short type)
{
	const struct nlattr *a;

	for (size_t o = NLMSG_ALIGN(off); o + NLA_HDRLEN <= (size_t)len;
	     o += NLA_ALIGN(a->nla_len)) {
		a = (const struct nlattr *)(msg + o);
		if (a->nla_len < NLA_HDRLEN || o + a->nla_len > (size_t)len)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
	}
	return NULL;
}

static const void *nla_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

/* A device's XDP features (NETDEV_XDP_ACT_*): 0, or -errno (-ENOENT before 6.3). */
static int xdp_features(int ifindex, __u64 *features)
{
	struct nl_req r = { .nh = { .nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN),
				    .nlmsg_type = GENL_ID_CTRL },
			    .g = { .cmd = CTRL_CMD_GETFAMILY, .version = 1 } };
	char buf[4096];
	const struct nlattr *a;
	__u32 idx = (__u32)ifindex;
	int n;

	nl_attr(&r, CTRL_ATTR_FAMILY_NAME, NETDEV_GENL_NAME, sizeof(NETDEV_GENL_NAME));
	n = nl_talk(NETLINK_GENERIC, &r, buf, sizeof(buf));
	if (n < 0)
		return n;
	a = nl_find(buf, n, NLMSG_LENGTH(GENL_HDRLEN), CTRL_ATTR_FAMILY_ID);
	if (!a)
		return -ENOENT;
	r = (struct nl_req){ .nh = { .nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN),
				     .nlmsg_type = *(const __u16 *)nla_data(a) },
			     .g = { .cmd = NETDEV_GENL_CMD_DEV_GET, .version = 1 } };
	nl_attr(&r, NETDEV_GENL_A_DEV_IFINDEX, &idx, sizeof(idx));
	n = nl_talk(NETLINK_GENERIC, &r, buf, sizeof(buf));
	if (n < 0)
		return n;
	a = nl_find(buf, n, NLMSG_LENGTH(GENL_HDRLEN), NETDEV_GENL_A_DEV_XDP_FEATURES);
	if (!a || a->nla_len < NLA_HDRLEN + sizeof(__u64))
		return -ENOENT;
	memcpy(features, nla_data(a), sizeof(*features));
	return 0;
}

struct link_facts {
	bool veth;
	int peer;		/* IFLA_LINK: the veth peer's ifindex (in its namespace) */
	bool peer_elsewhere;	/* the peer is in another namespace, nsid */
	int nsid;
	bool xdp;		/* it runs an XDP program */
	char name[IF_NAMESIZE];
};

/* What rtnetlink says about ifindex, of our namespace (nsid < 0) or namespace id nsid. */
static int link_facts(int ifindex, int nsid, struct link_facts *lf)
{
	struct nl_req r = { .nh = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)),
				    .nlmsg_type = RTM_GETLINK },
			    .ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex } };
	size_t off = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	const struct nlattr *a, *in;
	char buf[16384];
	int n;

	memset(lf, 0, sizeof(*lf));
	if (nsid >= 0)
		nl_attr(&r, IFLA_TARGET_NETNSID, &nsid, sizeof(nsid));
	n = nl_talk(NETLINK_ROUTE, &r, buf, sizeof(buf));
	if (n < 0)
		return n;
	a = nl_find(buf, n, off, IFLA_IFNAME);
	if (a)
		snprintf(lf->name, sizeof(lf->name), "%.*s", (int)(a->nla_len - NLA_HDRLEN),
			 (const char *)nla_data(a));
	a = nl_find(buf, n, off, IFLA_LINKINFO);
	in = a ? nl_find((const char *)nla_data(a), a->nla_len - NLA_HDRLEN, 0, IFLA_INFO_KIND)
	       : NULL;
	lf->veth = in && !strncmp(nla_data(in), "veth", in->nla_len - NLA_HDRLEN);
	a = nl_find(buf, n, off, IFLA_LINK);
	if (a)
		lf->peer = *(const int *)nla_data(a);
	a = nl_find(buf, n, off, IFLA_LINK_NETNSID);
	if (a) {
		lf->nsid = *(const int *)nla_data(a);
		lf->peer_elsewhere = lf->nsid >= 0;
	}
	a = nl_find(buf, n, off, IFLA_XDP);
	in = a ? nl_find((const char *)nla_data(a), a->nla_len - NLA_HDRLEN, 0, IFLA_XDP_ATTACHED)
	       : NULL;
	lf->xdp = in && *(const __u8 *)nla_data(in) != XDP_ATTACHED_NONE;
	return 0;
}

int xdp_xmit_check(const struct iface *ifc, char *why, size_t len)
{
	struct link_facts lf, peer;
	bool known, ok;
	__u64 feat;
	int err;

	err = link_facts(ifc->ifindex, -1, &lf);
	if (err)
		return err;
	known = !xdp_features(ifc->ifindex, &feat);
	if (known && (feat & NETDEV_GENL_XDP_ACT_NDO_XMIT))
		return 1;
	if (!lf.veth) {
		if (known)
			snprintf(why, len, "%s cannot transmit redirected XDP frames (its driver "
				 "lacks ndo_xdp_xmit)", ifc->name);
		return !known;
	}
	if (!lf.peer || link_facts(lf.peer, lf.peer_elsewhere ? lf.nsid : -1, &peer))
		return known ? 0 : -ENOENT;
	/* before 6.3 the peer's program is what we can see (GRO on there would do as well) */
	ok = !known && peer.xdp;
	if (!ok)
		snprintf(why, len, "the peer of veth %s (%s%s) runs no XDP program%s: frames "
			 "redirected into %s are dropped", ifc->name, peer.name,
			 lf.peer_elsewhere ? ", in another network namespace" : "",
			 known ? " and has GRO off" : "", ifc->name);
	return ok;
}

/* ------------------------------------------------------------------ XDP attach */

const char *xdp_mode_str(enum xdp_mode mode)
{
	return mode == XDP_MODE_SKB ? "skb (generic)" : mode == XDP_MODE_NATIVE ? "native" : "auto";
}

int xdp_opts_finish(struct xdp_opts *xdp)
{
	if (xdp->skb_mode && xdp->native)
		return report(0, EXIT_FAIL_OPTION, "-S (skb mode) conflicts with -N (native mode)");
	if (xdp->skb_mode && xdp->mode == XDP_MODE_NATIVE)
		return report(0, EXIT_FAIL_OPTION, "-S (skb mode) conflicts with --mode native");
	if (xdp->native && xdp->mode == XDP_MODE_SKB)
		return report(0, EXIT_FAIL_OPTION, "-N (native mode) conflicts with --mode skb");
	if (xdp->skb_mode)
		xdp->mode = XDP_MODE_SKB;
	if (xdp->native)
		xdp->mode = XDP_MODE_NATIVE;
	return 0;
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

__u32 prog_id_of_fd(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(prog_fd, &info, &len) ? 0 : info.id;
}

static __u32 mode_flags(enum xdp_mode mode)
{
	return mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

/* The XDP_FLAGS_* of a program found attached in attach_mode (bpf_xdp_query). */
static __u32 attached_flags(__u8 attach_mode)
{
	return attach_mode == XDP_ATTACHED_SKB	? XDP_FLAGS_SKB_MODE
	       : attach_mode == XDP_ATTACHED_HW ? XDP_FLAGS_HW_MODE
						: XDP_FLAGS_DRV_MODE;
}

/* One attempt in one mode: a bpf_link (its fd), or netlink (0); -errno. */
static int attach_once(const struct xdp_attach *xa, int prog_fd, enum xdp_mode mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = mode_flags(mode));
	int fd;

	if (xa->via == XDP_VIA_NETLINK)
		return bpf_xdp_attach(xa->ifindex, prog_fd,
				      XDP_FLAGS_UPDATE_IF_NOEXIST | mode_flags(mode), NULL);
	fd = bpf_link_create(prog_fd, xa->ifindex, BPF_XDP, &opts);
	return fd < 0 ? -errno : fd;
}

/* --force: remove the program found on the device, keeping it to put back. Only one attached
 * through netlink can be removed; the kernel refuses for another process's bpf_link. */
static int replace_found(struct xdp_attach *xa, __u32 id, __u8 attach_mode)
{
	int err;

	xa->replaced_fd = bpf_prog_get_fd_by_id(id);
	xa->replaced_flags = attached_flags(attach_mode);
	err = bpf_xdp_detach(xa->ifindex, xa->replaced_flags, NULL);
	if (err) {
		if (xa->replaced_fd >= 0)
			close(xa->replaced_fd);
		xa->replaced_fd = -1;
		return err == -EBUSY || err == -EINVAL ? -EBUSY : err;
	}
	xa->replaced_id = id;
	return 0;
}

/* Put back the program --force removed, as it was attached (through netlink). */
static void replaced_restore(struct xdp_attach *xa)
{
	if (xa->replaced_fd >= 0) {
		bpf_xdp_attach(xa->ifindex, xa->replaced_fd,
			       XDP_FLAGS_UPDATE_IF_NOEXIST | xa->replaced_flags, NULL);
		close(xa->replaced_fd);
	}
	xa->replaced_fd = -1;
	xa->replaced_id = 0;
}

int xdp_attach_prog(struct xdp_attach *xa, const struct bpf_program *prog, const struct iface *ifc,
		    const struct xdp_opts *x, enum xdp_via via, __u32 *busy_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int prog_fd = bpf_program__fd(prog);
	int ret, err;

	*xa = (struct xdp_attach)XDP_ATTACH_INIT;
	xa->ifindex = ifc->ifindex;
	xa->via = via;
	if (prog_fd < 0)
		return -EINVAL;

	err = bpf_xdp_query(ifc->ifindex, 0, &q);
	if (err)
		return err;
	if (q.prog_id) {
		if (busy_id)
			*busy_id = q.prog_id;
		if (!x->force)
			return -EEXIST;
		err = replace_found(xa, q.prog_id, q.attach_mode);
		if (err)
			return err;
	}

	xa->mode = x->mode == XDP_MODE_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	ret = attach_once(xa, prog_fd, xa->mode);
	if (ret < 0 && x->mode == XDP_MODE_AUTO && ret != -EBUSY && ret != -EEXIST) {
		xa->native_err = -ret;
		xa->mode = XDP_MODE_SKB;
		ret = attach_once(xa, prog_fd, xa->mode);
		xa->fell_back = ret >= 0;
	}
	if (ret < 0) {
		replaced_restore(xa);
		return ret;
	}
	if (via == XDP_VIA_LINK) {
		xa->link_fd = ret;
		/* a bpf_link is never undone: what it replaced stays replaced */
		if (xa->replaced_fd >= 0)
			close(xa->replaced_fd);
		xa->replaced_fd = -1;
	} else {
		xa->prog_fd = prog_fd;
	}
	xa->prog_id = prog_id_of_fd(prog_fd);
	return 0;
}

void xdp_attach_release(struct xdp_attach *xa)
{
	if (xa->link_fd >= 0) {
		bpf_link_detach(xa->link_fd);
		close(xa->link_fd);
	}
	if (xa->replaced_fd >= 0)
		close(xa->replaced_fd);
	xa->link_fd = xa->replaced_fd = xa->prog_fd = -1;
}

int xdp_detach_ours(int ifindex, __u32 prog_id, __u32 flags)
{
	int fd = bpf_prog_get_fd_by_id(prog_id), err;
	LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = fd);

	if (fd < 0)
		return -errno;
	err = bpf_xdp_detach(ifindex, flags, &o);
	close(fd);
	return err;
}

void xdp_attach_undo(struct xdp_attach *xa)
{
	if (xa->via == XDP_VIA_NETLINK && xa->prog_fd >= 0) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = xa->prog_fd);

		bpf_xdp_detach(xa->ifindex, mode_flags(xa->mode), &o);
	}
	xa->prog_fd = -1;
	replaced_restore(xa);
	xdp_attach_release(xa);
}

/* One "key:\tvalue" field of an fdinfo text; 0 when absent. */
static unsigned long fdinfo_field(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtoul(p + strlen(key), NULL, 10) : 0;
}

int xdp_link_holder(int ifindex, __u32 prog_id, int *pid, char *comm, size_t len)
{
	DIR *procs = opendir("/proc"), *fds;
	struct dirent *pe, *fe;
	char path[64], target[64], text[1024];
	int found = -ENOENT;
	FILE *f;

	if (!procs)
		return -errno;
	while (found && (pe = readdir(procs))) {
		int p = atoi(pe->d_name);

		if (p <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", p);
		fds = opendir(path);
		if (!fds)
			continue;
		while (found && (fe = readdir(fds))) {
			int fd = atoi(fe->d_name), ifd;
			ssize_t n;

			if (fe->d_name[0] < '0' || fe->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%d/fd/%d", p, fd);
			n = readlink(path, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (strcmp(target, "anon_inode:bpf_link"))
				continue;
			snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", p, fd);
			ifd = open(path, O_RDONLY | O_CLOEXEC);
			if (ifd < 0)
				continue;
			n = read(ifd, text, sizeof(text) - 1);
			close(ifd);
			if (n <= 0)
				continue;
			text[n] = '\0';
			if (!strstr(text, "link_type:\txdp") ||
			    fdinfo_field(text, "prog_id:\t") != prog_id ||
			    fdinfo_field(text, "ifindex:\t") != (unsigned long)ifindex)
				continue;
			*pid = p;
			found = 0;
		}
		closedir(fds);
	}
	closedir(procs);
	if (found)
		return found;
	snprintf(comm, len, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", *pid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, (int)len, f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	return 0;
}

/* A program held by a bpf_link cannot be replaced or removed by anyone but its holder. */
static int xdp_link_report(const struct iface *ifc, __u32 prog_id, const char *prog_name)
{
	char comm[64];
	int pid;

	if (xdp_link_holder(ifc->ifindex, prog_id, &pid, comm, sizeof(comm)))
		return report(0, EXIT_FAIL_XDP,
			      "device %s runs XDP program %u (%s) held by another process's "
			      "bpf_link; --force cannot replace it: stop that process first",
			      ifc->name, prog_id, prog_name);
	return report(0, EXIT_FAIL_XDP,
		      "device %s runs XDP program %u (%s) held by the bpf_link of process %d "
		      "(%s); --force cannot replace it: stop that process first", ifc->name,
		      prog_id, prog_name, pid, comm);
}

int xdp_busy_report(const struct iface *ifc, __u32 prog_id)
{
	char name[64] = "?", comm[64];
	int pid;

	xdp_prog_name(prog_id, name, sizeof(name));
	if (!xdp_link_holder(ifc->ifindex, prog_id, &pid, comm, sizeof(comm)))
		return xdp_link_report(ifc, prog_id, name);
	return report(0, EXIT_FAIL_XDP,
		      "device %s already runs XDP program %u (%s); use --force to replace it",
		      ifc->name, prog_id, name);
}

int xdp_busy_check(const struct iface *ifc, bool force)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char comm[64];
	int pid;

	if (bpf_xdp_query(ifc->ifindex, 0, &q) || !q.prog_id)
		return 0;
	if (force && xdp_link_holder(ifc->ifindex, q.prog_id, &pid, comm, sizeof(comm)))
		return 0;
	return xdp_busy_report(ifc, q.prog_id);
}

void xdp_attach_notices(const struct xdp_attach *xa, const struct iface *ifc)
{
	if (xa->fell_back)
		fprintf(stderr, "%s: native XDP refused on %s (%s); using generic (skb) mode\n",
			program_invocation_short_name, ifc->name, strerror(xa->native_err));
	if (xa->replaced_id)
		fprintf(stderr, "%s: replaced XDP program %u on %s (--force)\n",
			program_invocation_short_name, xa->replaced_id, ifc->name);
}

int xdp_attach_or_report(struct xdp_attach *xa, const struct bpf_program *prog,
			 const struct iface *ifc, const struct xdp_opts *x, enum xdp_via via)
{
	const char *mode = xdp_mode_str((enum xdp_mode)x->mode);
	__u32 busy = 0;
	int err;

	err = xdp_attach_prog(xa, prog, ifc, x, via, &busy);
	if (err == -EEXIST)
		return xdp_busy_report(ifc, busy);
	if (err == -EBUSY) {
		char name[64] = "?";

		xdp_prog_name(busy, name, sizeof(name));
		return xdp_link_report(ifc, busy, name);
	}
	if (err == -ERANGE)	/* veth: MTU above a page without a frags-capable program */
		return report(0, EXIT_FAIL_XDP,
			      "attach XDP to %s in %s mode: its MTU is too large for a program "
			      "without multi-buffer (frags) support; lower the MTU", ifc->name,
			      mode);
	/* a mode asked for that the device does not have: a bad value for this device */
	if (err && x->mode != XDP_MODE_AUTO && (err == -EOPNOTSUPP || err == -EINVAL))
		return report(err, EXIT_FAIL_OPTION, "device %s does not support XDP in %s mode",
			      ifc->name, mode);
	if (err)
		return report(err, EXIT_FAIL_XDP, "attach XDP to %s in %s mode", ifc->name, mode);
	if (via == XDP_VIA_LINK)
		xdp_attach_notices(xa, ifc);
	return 0;
}

struct bpf_program *progs_load_one(struct bpf_program *const *progs, int n, int which)
{
	for (int i = 0; i < n; i++)
		bpf_program__set_autoload(progs[i], i == which);
	return progs[which];
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

/* One number of a CPU list at *s: its value, *s moved past it; -1 when there is none. */
static long cpulist_num(const char **s)
{
	char *end;
	long v;

	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	v = strtol(*s, &end, 10);
	if (errno || v > INT_MAX)
		v = INT_MAX;	/* too large: refused as out of range */
	*s = end;
	return v;
}

int cpulist_parse(const char *s, bool *set, int n, int *order, int *bad)
{
	int count = 0;

	*bad = -1;
	memset(set, 0, (size_t)n * sizeof(*set));
	for (;;) {
		long lo = cpulist_num(&s), hi = lo;

		if (lo < 0)
			return -EINVAL;
		if (*s == '-') {
			s++;
			hi = cpulist_num(&s);
			if (hi < lo)
				return -EINVAL;
		}
		if (*s && *s != ',')
			return -EINVAL;
		for (long c = lo; c <= hi; c++) {
			*bad = (int)c;
			if (c >= n)
				return -ERANGE;
			if (set[c])
				return -EEXIST;
			set[c] = true;
			if (order)
				order[count] = (int)c;
			count++;
		}
		*bad = -1;
		if (!*s)
			return count;
		s++;	/* the comma: a number must follow */
	}
}

/* The first line of a small file (sysfs, procfs) at root + path, without its newline; 0 or
 * -errno. */
static int read_line(const char *root, const char *path, char *buf, size_t len)
{
	char full[PATH_MAX];
	ssize_t n;
	int fd, err;

	if ((size_t)snprintf(full, sizeof(full), "%s%s", root, path) >= sizeof(full))
		return -ENAMETOOLONG;
	fd = open(full, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	while (n > 0 && buf[0] && buf[strlen(buf) - 1] == ' ')
		buf[strlen(buf) - 1] = '\0';
	return 0;
}

int cpulist_read(const char *root, const char *path, bool *set, int n)
{
	char buf[4096];
	int bad, err = read_line(root, path, buf, sizeof(buf));

	if (err)
		return err;
	err = cpulist_parse(buf, set, n, NULL, &bad);
	return err < 0 && err != -ERANGE ? err : 0;
}

const char *cpulist_format(char *buf, size_t len, const bool *set, int n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int c = 0; c < n; c++) {
		int hi = c;

		if (!set[c])
			continue;
		while (hi + 1 < n && set[hi + 1])
			hi++;
		if (hi == c)
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%d",
						off ? "," : "", c);
		else
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%d-%d",
						off ? "," : "", c, hi);
		c = hi;
	}
	if (off >= len && len > 4)
		strcpy(buf + len - 4, "...");
	return buf;
}

int cpus_online(bool *set, int n)
{
	return cpulist_read("", "/sys/devices/system/cpu/online", set, n);
}

int cpus_allowed(bool *set, int n)
{
	cpu_set_t mask;
	int count = 0, err;

	if (sched_getaffinity(0, sizeof(mask), &mask))
		return -errno;
	err = cpus_online(set, n);
	if (err)
		return err;
	for (int c = 0; c < n; c++) {
		set[c] = set[c] && c < CPU_SETSIZE && CPU_ISSET(c, &mask);
		count += set[c];
	}
	return count;
}

/* An interrupt's name (its action directory under /proc/irq/N) into name; 0 or -errno. */
static int irq_name(const char *root, int irq, char *name, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	int err = -ENOENT;
	DIR *d;

	snprintf(path, sizeof(path), "%s/proc/irq/%d", root, irq);
	d = opendir(path);
	if (!d)
		return -errno;
	while (err && (de = readdir(d))) {
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			size_t l = strnlen(de->d_name, len - 1);	/* cut to fit */

			memcpy(name, de->d_name, l);
			name[l] = '\0';
			err = 0;
		}
	}
	closedir(d);
	return err;
}

/* Whether an interrupt name is that of RX queue q: up to an '@' (mlx5_comp2@pci:...), it ends
 * in q after a word of receiving (rx, TxRx, input, comp). */
static bool irq_name_is_queue(const char *name, __u32 q)
{
	char low[64];
	size_t end, i;

	snprintf(low, sizeof(low), "%s", name);
	low[strcspn(low, "@")] = '\0';
	for (i = 0; low[i]; i++)
		low[i] = (char)tolower((unsigned char)low[i]);
	end = i;
	while (i > 0 && low[i - 1] >= '0' && low[i - 1] <= '9')
		i--;
	if (i == end || end - i > 5 || strtoul(low + i, NULL, 10) != q)
		return false;
	low[i] = '\0';
	return strstr(low, "rx") || strstr(low, "input") || strstr(low, "comp");
}

int queue_irq_cpus(const char *root, const char *dev, __u32 queue, bool *set, int n,
		   struct queue_irq *qi)
{
	static const char *const dirs[] = { "device/msi_irqs", "device/../msi_irqs" };
	char path[PATH_MAX], buf[64], name[64];
	int irqs = 0, matches = 0, only = -1, err;
	struct dirent *de;
	DIR *d = NULL;

	memset(qi, 0, sizeof(*qi));
	qi->irq = -1;
	memset(set, 0, (size_t)n * sizeof(*set));
	snprintf(path, sizeof(path), "/sys/class/net/%s/threaded", dev);
	if (!read_line(root, path, buf, sizeof(buf)) && strcmp(buf, "0")) {
		qi->why = "NAPI is threaded: the scheduler places it";
		return 0;
	}
	for (size_t i = 0; !d && i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/sys/class/net/%s/%s", root, dev, dirs[i]);
		d = opendir(path);
	}
	while (d && (de = readdir(d))) {
		int irq = atoi(de->d_name);

		if (irq <= 0)
			continue;
		irqs++;
		only = irq;
		if (irq_name(root, irq, name, sizeof(name)) || !irq_name_is_queue(name, queue))
			continue;
		if (!matches++) {
			qi->irq = irq;
			snprintf(qi->name, sizeof(qi->name), "%s", name);
		}
	}
	if (d)
		closedir(d);
	if (!irqs) {
		/* a legacy (INTx) device: its one interrupt */
		snprintf(path, sizeof(path), "/sys/class/net/%s/device/irq", dev);
		if (!read_line(root, path, buf, sizeof(buf)) && atoi(buf) > 0)
			irqs = 1, only = atoi(buf);
	}
	if (!irqs) {
		qi->why = "the device has no interrupt of its own";
		return 0;
	}
	if (matches > 1) {
		qi->irq = -1;
		qi->why = "several interrupts are named for the queue";
		return 0;
	}
	if (!matches && irqs > 1) {
		qi->why = "no interrupt is named for the queue";
		return 0;
	}
	if (!matches) {
		qi->irq = only;
		irq_name(root, only, qi->name, sizeof(qi->name));
	}
	snprintf(path, sizeof(path), "/proc/irq/%d/effective_affinity_list", qi->irq);
	err = cpulist_read(root, path, set, n);
	if (err == -ENOENT) {
		snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", qi->irq);
		err = cpulist_read(root, path, set, n);
	}
	if (err)
		return err;
	matches = 0;
	for (int c = 0; c < n; c++)
		matches += set[c];
	if (!matches)
		qi->why = "the interrupt's affinity names no possible CPU";
	return matches;
}

int percpu_read(int map_fd, const void *key, size_t rec_size, int ncpus, void *per_cpu,
		void *total)
{
	/* per-CPU values come back one after the other, each padded to 8 bytes: a record of
	 * __u64s needs no padding */
	void *vals = per_cpu;
	int err = 0;

	if (ncpus <= 0 || !rec_size || rec_size % sizeof(__u64))
		return -EINVAL;
	if (!vals)
		vals = calloc((size_t)ncpus, rec_size);
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, key, vals)) {
		err = -errno;
		goto out;
	}
	memset(total, 0, rec_size);
	for (int c = 0; c < ncpus; c++)
		rec_add(total, (const char *)vals + (size_t)c * rec_size, rec_size);
out:
	if (vals != per_cpu)
		free(vals);
	return err;
}

/* The one place that sees a record as __u64s: every field is one, whatever it is called. */
void rec_add(void *sum, const void *rec, size_t rec_size)
{
	__u64 *s = sum;
	const __u64 *r = rec;

	for (size_t i = 0; i < rec_size / sizeof(__u64); i++)
		s[i] += r[i];
}

void rec_delta(void *delta, const void *now, const void *then, size_t rec_size)
{
	const __u64 *n = now, *t = then;
	__u64 *d = delta;

	for (size_t i = 0; i < rec_size / sizeof(__u64); i++)
		d[i] = n[i] >= t[i] ? n[i] - t[i] : 0;
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

/* ------------------------------------------------------------------ output */

/* *buf of *cap bytes grown (doubling from first) to hold need bytes; false: out of memory. */
static bool grow(char **buf, size_t *cap, size_t need, size_t first)
{
	size_t c = *cap ? *cap : first;
	char *b;

	if (need <= *cap)
		return true;
	while (c < need)
		c *= 2;
	b = realloc(*buf, c);
	if (!b)
		return false;
	*buf = b;
	*cap = c;
	return true;
}

/* Room for n more bytes in the buffer: written out first if the destination takes it now. */
static bool out_room(struct out *o, size_t n)
{
	if (o->len + n > o->max) {
		out_pump(o);
		if (o->len + n > o->max)
			return false;
	}
	if (o->head + o->len + n > o->cap && o->head) {
		memmove(o->buf, o->buf + o->head, o->len);
		o->head = 0;
	}
	return grow(&o->buf, &o->cap, o->len + n, 4096);
}

static bool ends_push(struct out *o, __u64 end)
{
	if (o->ends_head + o->ends_n == o->ends_cap) {
		if (o->ends_head) {
			memmove(o->ends, o->ends + o->ends_head, o->ends_n * sizeof(*o->ends));
			o->ends_head = 0;
		} else {
			size_t cap = o->ends_cap ? 2 * o->ends_cap : 256;
			__u64 *e = realloc(o->ends, cap * sizeof(*e));

			if (!e)
				return false;
			o->ends = e;
			o->ends_cap = cap;
		}
	}
	o->ends[o->ends_head + o->ends_n++] = end;
	return true;
}

/* One whole line or record into the buffer, or counted as dropped. */
static void out_commit(struct out *o, const char *p, size_t n)
{
	if (!o->part_over && out_room(o, n) &&
	    (o->mode != OUT_RECORDS || ends_push(o, o->committed + n))) {
		memcpy(o->buf + o->head + o->len, p, n);
		o->len += n;
		o->committed += n;
		o->records++;
	} else {
		o->dropped++;
	}
	o->part_over = false;
}

static bool part_add(struct out *o, const char *p, size_t n)
{
	if (o->part_over || o->plen + n > o->max || !grow(&o->part, &o->pcap, o->plen + n, 1024)) {
		o->part_over = true;
		return false;
	}
	memcpy(o->part + o->plen, p, n);
	o->plen += n;
	return true;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* stdio hands what was printed over at each flush (and when its buffer fills): never short,
 * never an error, so the FILE stays usable; errors are the out's to report. */
static ssize_t out_cookie_write(void *cookie, const char *data, size_t size)
{
	struct out *o = cookie;
	const char *p = data, *nl;
	size_t left = size, n;

	if (o->err) {
		if (o->err == -EPIPE && o->fallback_fd >= 0)
			write_all(o->fallback_fd, data, size);
		return (ssize_t)size;
	}
	if (o->mode == OUT_RECORDS) {
		part_add(o, data, size);
		return (ssize_t)size;
	}
	while (left) {
		nl = memchr(p, '\n', left);
		n = nl ? (size_t)(nl - p) + 1 : left;
		if (nl && !o->plen) {
			out_commit(o, p, n);		/* a whole line: no copy */
		} else {
			part_add(o, p, n);
			if (nl) {
				out_commit(o, o->part, o->plen);
				o->plen = 0;
			}
		}
		p += n;
		left -= n;
	}
	return (ssize_t)size;
}

static int out_cookie_close(void *cookie)
{
	(void)cookie;
	return 0;
}

static int out_setup(struct out *o, int fd, const char *what, enum out_mode mode)
{
	cookie_io_functions_t io = { .write = out_cookie_write, .close = out_cookie_close };
	struct stat st;
	char path[64];
	int fl;

	memset(o, 0, sizeof(*o));
	o->fd = o->wfd = fd;
	o->fallback_fd = fd == STDOUT_FILENO && mode == OUT_LINES ? STDERR_FILENO : -1;
	o->what = what;
	o->mode = mode;
	o->max = OUT_MAX;
	if (fstat(fd, &st))
		return -errno;
	o->pollable = !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
	o->sock = S_ISSOCK(st.st_mode);
	fl = fcntl(fd, F_GETFL);
	if (o->pollable && !o->sock && fl >= 0 && !(fl & O_NONBLOCK)) {
		/* O_NONBLOCK on the shared description would reach the shell and the reader: open
		 * the pipe, FIFO or terminal again, as our own description */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		o->wfd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (o->wfd >= 0)
			o->own_wfd = true;
		else if (errno == ENXIO)	/* a FIFO whose reader has gone */
			o->err = -EPIPE;
		/* else (no /proc): written as it is, blocking */
		if (o->wfd < 0)
			o->wfd = fd;
	}
	o->f = fopencookie(o, "w", io);
	return o->f ? 0 : -ENOMEM;
}

int out_open(struct out *o, int fd, const char *what, enum out_mode mode)
{
	return out_setup(o, fd, what, mode);
}

/* Wait for a FIFO's reader (opening it for writing fails with ENXIO until one comes), watching
 * the stop signals, which are blocked. */
static int fifo_open(const char *path)
{
	struct timespec step = { .tv_nsec = 50000000 };
	bool said = false;
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	for (;;) {
		fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0 || errno != ENXIO)
			return fd >= 0 ? fd : -errno;
		if (!said)
			fprintf(stderr, "%s: waiting for a reader on FIFO %s\n",
				program_invocation_short_name, path);
		said = true;
		if (sigtimedwait(&set, NULL, &step) > 0)
			return -EINTR;
	}
}

int out_open_path(struct out *o, const char *path, enum out_mode mode)
{
	struct stat st;
	int fd, err;

	if (!stat(path, &st) && S_ISFIFO(st.st_mode))
		fd = fifo_open(path);
	else
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fd == -EINTR ? fd : -errno;
	err = out_setup(o, fd, path, mode);
	o->own_fd = true;
	o->trunc = !fstat(fd, &st) && S_ISREG(st.st_mode);
	return err;
}

static void out_fail(struct out *o, int err)
{
	o->err = err;
	/* a file stays readable: it ends with the last whole record that reached it (if this
	 * fails too, the error already reported is what matters) */
	if (o->trunc && o->mode == OUT_RECORDS && o->good_end < o->written &&
	    !ftruncate(o->fd, (off_t)o->good_end))
		o->written = o->good_end;
}

int out_pump(struct out *o)
{
	while (o->len && !o->err) {
		const char *p = o->buf + o->head;
		ssize_t n = o->sock ? send(o->wfd, p, o->len, MSG_DONTWAIT | MSG_NOSIGNAL)
				    : write(o->wfd, p, o->len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				out_fail(o, -errno);
			break;
		}
		o->head += (size_t)n;
		o->len -= (size_t)n;
		o->written += (__u64)n;
		while (o->ends_n && o->ends[o->ends_head] <= o->written) {
			o->good_end = o->ends[o->ends_head++];
			o->ends_n--;
			o->records_written++;
		}
	}
	if (!o->len)
		o->head = 0;
	return o->err;
}

int out_record(struct out *o)
{
	fflush(o->f);
	if (!o->err)
		out_commit(o, o->part, o->plen);
	o->plen = 0;
	o->part_over = false;
	return o->err;
}

bool out_pending(const struct out *o)
{
	return o->len && !o->err;
}

/* At exit: what is still waiting will never be written. */
static void out_abandon(struct out *o)
{
	if (o->mode == OUT_RECORDS)
		o->dropped += o->ends_n;
	else
		for (size_t i = 0; i < o->len; i++)
			o->dropped += o->buf[o->head + i] == '\n';
	o->len = o->head = 0;
	o->ends_n = o->ends_head = 0;
}

int out_end(const struct out *o, int ret)
{
	char n[32];

	if (o->err == -EPIPE)
		return ret ? ret : report(0, EXIT_OUTPUT_CLOSED, "%s closed by its reader; stopped",
					  o->what);
	if (o->err)
		return report(o->err, ret ? ret : EXIT_FAIL, "write %s", o->what);
	if (o->dropped)
		return report(0, ret ? ret : EXIT_FAIL, "%s %s of output to %s not written: its "
			      "reader did not keep up", fmt_u64(n, o->dropped, true),
			      o->mode == OUT_LINES ? "lines" : "records", o->what);
	return ret;
}

void out_close(struct out *o)
{
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	/* after an early failure nothing flushed it: what the destination takes now (all of it
	 * for a file: a pcap keeps its header) */
	out_pump(o);
	if (o->own_wfd)
		close(o->wfd);
	if (o->own_fd)
		close(o->fd);
	o->own_wfd = o->own_fd = false;
	o->wfd = o->fd = -1;
	free(o->buf);
	free(o->part);
	free(o->ends);
	o->buf = o->part = NULL;
	o->ends = NULL;
	o->len = o->head = o->cap = o->plen = o->pcap = 0;
	o->ends_n = o->ends_head = o->ends_cap = 0;
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
	l->out_failed = false;
	if (!(interval_s > 0) || (duration_s < 0))
		return -EINVAL;
	stop_signals(&set);
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

int loop_add_out(struct loop *l, struct out *o)
{
	for (int i = 0; i < LOOP_OUTS; i++) {
		if (!l->outs[i]) {
			l->outs[i] = o;
			return 0;
		}
	}
	return -ENOSPC;
}

/* Write what the outputs take now; true when one has failed (the run then stops). */
static bool loop_outs_pump(struct loop *l)
{
	for (int i = 0; i < LOOP_OUTS; i++) {
		struct out *o = l->outs[i];

		if (!o)
			continue;
		if (o->f)
			fflush(o->f);
		if (out_pump(o))
			return true;
	}
	return false;
}

/* poll entries for the outputs: POLLOUT while bytes wait; POLLERR/POLLHUP (a pipe's reader
 * gone, a terminal hung up) are reported even without. Returns the entries added. */
static int loop_outs_poll(struct loop *l, struct pollfd *pfd, struct out **who)
{
	int n = 0;

	for (int i = 0; i < LOOP_OUTS; i++) {
		struct out *o = l->outs[i];

		if (!o || o->err || !o->pollable)
			continue;
		pfd[n] = (struct pollfd){ .fd = o->wfd, .events = o->len ? POLLOUT : 0 };
		who[n++] = o;
	}
	return n;
}

static void loop_outs_events(struct pollfd *pfd, struct out **who, int n)
{
	for (int i = 0; i < n; i++) {
		if (pfd[i].revents & POLLNVAL)
			out_fail(who[i], -EBADF);
		else if ((pfd[i].revents & (POLLERR | POLLHUP)) && !(pfd[i].revents & POLLOUT))
			out_fail(who[i], -EPIPE);
	}
}

int loop_wait(struct loop *l)
{
	struct pollfd pfd[3 + LOOP_OUTS];
	struct out *who[LOOP_OUTS];
	struct signalfd_siginfo si;
	__u64 expirations;
	int err, n, nout;

	for (;;) {
		if (loop_outs_pump(l)) {
			l->out_failed = true;
			return LOOP_STOP;
		}
		pfd[0] = (struct pollfd){ .fd = l->sig_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = l->timer_fd, .events = POLLIN };
		n = 2;
		if (l->extra_fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = l->extra_fd, .events = POLLIN };
		nout = loop_outs_poll(l, pfd + n, who);
		if (poll(pfd, (nfds_t)(n + nout), -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		loop_outs_events(pfd + n, who, nout);
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

void loop_flush(struct loop *l)
{
	/* after a stop by signal the user is waiting: a reader that takes nothing for this long
	 * is not going to */
	int idle_ms = l->last_signal ? 500 : -1;
	struct pollfd pfd[1 + LOOP_OUTS];
	struct out *who[LOOP_OUTS];
	struct signalfd_siginfo si;
	bool pending;
	int n, nout;

	for (;;) {
		loop_outs_pump(l);
		pending = false;
		for (int i = 0; i < LOOP_OUTS; i++)
			pending |= l->outs[i] && out_pending(l->outs[i]);
		if (!pending)
			break;
		pfd[0] = (struct pollfd){ .fd = l->sig_fd, .events = POLLIN };
		nout = loop_outs_poll(l, pfd + 1, who);
		n = poll(pfd, (nfds_t)(1 + nout), idle_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;		/* no progress for idle_ms */
		loop_outs_events(pfd + 1, who, nout);
		if ((pfd[0].revents & POLLIN) && read(l->sig_fd, &si, sizeof(si)) > 0 &&
		    si.ssi_signo != SIGQUIT)
			break;		/* another signal: stop waiting */
	}
	for (int i = 0; i < LOOP_OUTS; i++)
		if (l->outs[i])
			out_abandon(l->outs[i]);
}

void loop_close(struct loop *l)
{
	if (l->sig_fd >= 0)
		close(l->sig_fd);
	if (l->timer_fd >= 0)
		close(l->timer_fd);
	l->sig_fd = l->timer_fd = -1;
}

/* ------------------------------------------------------------------ sampling driver */

int sampler_init(struct sampler *s, const struct sampler_ops *ops, void *ctx, size_t snap_size,
		 const struct run_opts *run, unsigned int flags)
{
	int err;

	s->ops = ops;
	s->ctx = ctx;
	s->snap_size = snap_size;
	s->interval = run->interval;
	s->duration = run->duration;
	for (int i = 0; i < 3; i++) {
		s->snap[i] = calloc(1, snap_size);
		if (!s->snap[i])
			return -ENOMEM;
	}
	s->prev = s->last = 0;
	s->cur = 1;
	if (flags & SAMPLER_NO_STDOUT)
		return 0;
	err = out_open(&s->out, STDOUT_FILENO, "stdout", OUT_LINES);
	return err ? err : loop_add_out(&s->loop, &s->out);
}

int sampler_track(struct sampler *s, struct iface *ifc, int link_fd)
{
	if (s->n_track == SAMPLER_TRACK_MAX)
		return -ENOSPC;
	s->track[s->n_track] = ifc;
	s->track_link[s->n_track++] = link_fd;
	return 0;
}

/* A reading into snapshot i, with its time. */
static int sampler_read(struct sampler *s, int i)
{
	__u64 t = 0;
	int err = s->ops->collect(s->ctx, s->snap[i], &t);

	s->t[i] = t ? t : now_ns();
	return err;
}

int sampler_start(struct sampler *s)
{
	/* with no interval reports the loop still wakes every second, to follow the devices */
	int err = loop_init(&s->loop, s->interval > 0 ? s->interval : 1.0, s->duration);

	return err ? err : sampler_read(s, 0);
}

/* The followed devices, then the tool's own check. */
static int sampler_check(struct sampler *s)
{
	for (int i = 0; i < s->n_track; i++) {
		if (iface_track(s->track[i], s->track_link[i])) {
			s->gone = s->track[i];
			return -ENODEV;
		}
	}
	return s->ops->check ? s->ops->check(s->ctx) : 0;
}

int sampler_run(struct sampler *s)
{
	int ev, err, done;

	s->loop.extra_fd = s->event_fd;
	for (;;) {
		ev = loop_wait(&s->loop);
		if (ev < 0)
			return ev;
		if (ev == LOOP_TOGGLE) {
			if (s->ops->toggle)
				s->ops->toggle(s->ctx);
			continue;
		}
		done = 0;
		if (ev == 0) {	/* event_fd */
			done = s->ops->event ? s->ops->event(s->ctx) : 0;
			if (done < 0)
				return done;
			if (!done)
				continue;
		}
		err = sampler_read(s, s->cur);
		if (err)
			return err;
		s->last = s->cur;
		/*
		 * Each tick prints an interval. A reading that ends the run (a signal, the
		 * duration, the event's end) closes a last, partial interval: printed only when
		 * it is longer than a tenth of the interval. A stop just after a tick would
		 * otherwise print a line of near-zero counts whose rates, over a few
		 * milliseconds, are noise; those counts are not lost, the summary holds them.
		 */
		if (s->ops->print && s->interval > 0 &&
		    (ev == LOOP_TICK ||
		     s->t[s->cur] - s->t[s->prev] > s->loop.interval_ns / 10))
			s->ops->print(s->ctx, s->snap[s->cur], s->snap[s->prev],
				      s->t[s->cur] - s->t[s->prev]);
		if (ev == LOOP_STOP || done)
			return 0;
		err = sampler_check(s);
		if (err)
			return err > 0 ? 0 : err;
		/* the current reading becomes the previous one; the first stays */
		if (s->prev == 0) {
			s->prev = s->cur;
			s->cur = 2;
		} else {
			s->cur = s->prev;
			s->prev = s->last;
		}
	}
}

int sampler_collect(struct sampler *s)
{
	int err = sampler_read(s, s->cur);

	if (!err)
		s->last = s->cur;
	return err;
}

int sampler_report(const struct sampler *s, int err, const char *what)
{
	if (err == -ENODEV && s->gone)
		return report(0, EXIT_FAIL, "device %s disappeared", s->gone->name);
	return report(err, EXIT_FAIL, "%s", what);
}

int sampler_end(struct sampler *s, int ret, bool summary)
{
	if (summary && s->ops->summary)
		s->ops->summary(s->ctx, s->snap[s->last], s->snap[0], s->t[s->last] - s->t[0],
				s->loop.last_signal);
	if (s->out.f)
		fflush(s->out.f);
	loop_flush(&s->loop);
	for (int i = LOOP_OUTS - 1; i >= 0; i--)
		if (s->loop.outs[i])
			ret = out_end(s->loop.outs[i], ret);
	return ret;
}

void sampler_close(struct sampler *s)
{
	out_close(&s->out);
	loop_close(&s->loop);
	for (int i = 0; i < 3; i++) {
		free(s->snap[i]);
		s->snap[i] = NULL;
	}
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

/* Length of the well-formed UTF-8 sequence at p (1..4), 0 if it is not one. */
static int utf8_len(const unsigned char *p)
{
	unsigned int cp;
	int n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at the terminating NUL */
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;	/* overlong, surrogate, beyond Unicode */
	return n;
}

/* Strings are byte strings (device names may be any bytes): what is not UTF-8 is written byte by
 * byte as \u00XX (its Latin-1 code point), so every line stays valid JSON. */
void jw_str(struct jw *w, const char *key, const char *s)
{
	jw_sep(w, key);
	fputc('"', w->f);
	for (const unsigned char *p = (const unsigned char *)s; p && *p;) {
		int n = utf8_len(p);

		if (*p == '"' || *p == '\\')
			fprintf(w->f, "\\%c", *p);
		else if (*p < 0x20 || !n)
			fprintf(w->f, "\\u%04x", *p);
		else
			fwrite(p, 1, (size_t)n, w->f);
		p += n ? n : 1;
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

bool cap_effective(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (cap < 0 || cap > 63 || syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

int priv_check(unsigned int need, char *buf, size_t len)
{
	bool sys_admin = cap_effective(CAP_SYS_ADMIN);
	bool bpf = sys_admin || cap_effective(39 /* CAP_BPF */);
	bool perfmon = sys_admin || cap_effective(38 /* CAP_PERFMON */);
	bool net_admin = cap_effective(CAP_NET_ADMIN), net_raw = cap_effective(CAP_NET_RAW);

	snprintf(buf, len, "%s%s%s%s", (need & NEED_BPF) && !bpf ? "CAP_BPF " : "",
		 (need & NEED_NET_ADMIN) && !net_admin ? "CAP_NET_ADMIN " : "",
		 (need & NEED_PERFMON) && !perfmon ? "CAP_PERFMON " : "",
		 (need & NEED_NET_RAW) && !net_raw ? "CAP_NET_RAW " : "");
	if (!buf[0])
		return 0;
	buf[strlen(buf) - 1] = '\0';
	return -EPERM;
}

int priv_require(unsigned int need)
{
	char caps[80];

	if (!priv_check(need, caps, sizeof(caps)))
		return 0;
	return report(0, EXIT_FAIL_PRIV, "missing privileges: need %s (run as root)", caps);
}
