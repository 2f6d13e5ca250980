/* SPDX-License-Identifier: GPL-2.0 */
/*
 * common_user.h: the one user-space helper shared by every tool of the suite.
 *
 * Stateless: every function works on what the caller passes; there are no mutable globals.
 * Functions return 0 (or a count) on success and -errno on failure, and never print;
 * the caller prints one line through report() and returns the exit code it gives.
 */
#ifndef COMMON_USER_H
#define COMMON_USER_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

struct bpf_program;

/* Exit codes, the same for every tool (documented in README "Exit codes"). */
enum exit_code {
	EXIT_OK = 0,		/* success, also --help */
	EXIT_FAIL = 1,		/* run-time failure: device vanished, read error, ... */
	EXIT_FAIL_OPTION = 2,	/* bad command line: unknown option, bad value, unknown device */
	EXIT_FAIL_XDP = 3,	/* attaching/detaching XDP failed, device busy, mode unsupported */
	EXIT_FAIL_BPF = 4,	/* loading BPF failed (verifier, missing kernel feature) */
	EXIT_FAIL_MEM = 5,	/* out of memory */
	EXIT_FAIL_PRIV = 6,	/* missing capability (CAP_BPF, CAP_NET_ADMIN, ...) */
};

/* ---- options: one declarative table drives getopt_long, --help and validation ---- */

enum opt_type {
	OPT_BOOL,	/* bool, set to true */
	OPT_COUNT,	/* int, incremented (-v -v) */
	OPT_U32,	/* __u32 within [min, max] */
	OPT_SECONDS,	/* double, seconds, fractions allowed, within [min, max] */
	OPT_STR,	/* const char *, must be non-empty */
	OPT_IFACE,	/* struct iface, resolved by name or index */
	OPT_IFACES,	/* struct iface_list, repeatable (and as a positional: all the rest) */
	OPT_ENUM,	/* int, one of .values (case-insensitive) */
};

struct opt_enum {
	const char *name;
	int value;
};

struct opt_def {
	const char *name;		/* long name without "--"; NULL ends the table */
	int short_opt;			/* 0: long only */
	enum opt_type type;
	size_t off;			/* offsetof(tool config, field) */
	const char *metavar;
	const char *help;
	const struct opt_enum *values;	/* OPT_ENUM: table ending with a NULL name */
	double min, max;		/* OPT_U32, OPT_SECONDS (both 0: no limit) */
	bool required;
	bool positional;		/* taken from the arguments after the options, in order */
	bool hidden;			/* alias: parsed, not listed in --help */
};

/* One table entry; extra designated fields (.values, .min, .max, .required, ...) may follow. */
#define OPTION(cfg_t, lname, sopt, typ, field, meta, hlp, ...)                                  \
	{ .name = (lname), .short_opt = (sopt), .type = (typ), .off = offsetof(cfg_t, field),      \
	  .metavar = (meta), .help = (hlp), __VA_ARGS__ }
#define OPT_END { .name = NULL }

struct opt_tool {
	const char *name;		/* tool name, the first word of every message */
	const char *summary;		/* one line */
	const char *usage;		/* "[options] --dev IFACE" */
	const char *doc;		/* text printed after the option list, may be NULL */
	const struct opt_def *defs;
	const void *defaults;		/* shown as (default X) in --help, may be NULL */
};

/* 0: parsed; 1: --help printed (exit EXIT_OK); -EINVAL: one-line error printed to stderr. */
int opts_parse(int argc, char **argv, const struct opt_tool *tool, void *cfg);
void opts_usage(FILE *f, const struct opt_tool *tool, const void *defaults);
const char *opt_enum_name(const struct opt_enum *values, int value);

/* ---- devices ---- */

struct iface {
	char name[IF_NAMESIZE];
	int ifindex;
};

#define IFACE_MAX 32
struct iface_list {
	int n;
	struct iface v[IFACE_MAX];
};

int iface_parse(struct iface *ifc, const char *arg);	/* name or index; -ENODEV */
int iface_mac(const char *ifname, __u8 mac[6]);		/* the device's hardware address */
int mac_parse(const char *s, __u8 mac[6]);		/* "xx:xx:xx:xx:xx:xx"; -EINVAL */
int iface_driver(const char *ifname, char *buf, size_t len);	/* ethtool driver name */
bool iface_exists(const struct iface *ifc);		/* same index still has that name */

/* ---- XDP attach through a bpf_link (the kernel detaches when the process dies) ---- */

enum xdp_mode { XDP_MODE_AUTO, XDP_MODE_NATIVE, XDP_MODE_SKB };
extern const struct opt_enum xdp_mode_names[];

struct xdp_attach {
	int ifindex;
	enum xdp_mode mode;		/* in effect after attach */
	bool fell_back;			/* auto: native refused, generic used */
	int native_err;			/* why native was refused (when fell_back) */
	__u32 replaced_id;		/* --force removed this program (0: none) */
	__u32 prog_id;			/* our program's id */
	int link_fd;			/* bpf_link fd, -1: none */
};

#define XDP_ATTACH_INIT { .link_fd = -1 }

/*
 * Attach prog to ifc. A device that already runs XDP gives -EEXIST unless force; with force a
 * program attached through netlink is removed first, one held by another process's link cannot
 * be (-EBUSY). busy_id (may be NULL) receives the id of the program found on the device.
 */
int xdp_attach_prog(struct xdp_attach *xa, const struct bpf_program *prog, const struct iface *ifc,
		    enum xdp_mode mode, bool force, __u32 *busy_id);
void xdp_attach_release(struct xdp_attach *xa);		/* idempotent */
/*
 * xdp_attach_prog() for a tool's main(): on failure prints the one-line reason (busy device and
 * what to do, mode refused, ...) and returns the exit code; on success prints the notices
 * (generic-mode fallback, program replaced by --force) and returns 0.
 */
int xdp_attach_or_report(struct xdp_attach *xa, const struct bpf_program *prog,
			 const struct iface *ifc, enum xdp_mode mode, bool force);
int xdp_busy_report(const struct iface *ifc, __u32 prog_id);	/* prints; EXIT_FAIL_XDP */
/* Before load: mark a program that never reads past its first buffer (or reads the rest with
 * bpf_xdp_load_bytes) as frags-capable, so it attaches at jumbo MTUs (BPF_F_XDP_HAS_FRAGS). */
void xdp_prog_frags_capable(struct bpf_program *prog);
/* Whether XDP_REDIRECT into a devmap takes multi-buffer frames: since 6.3 the target device's
 * XDP features decide (NETDEV_XDP_ACT_NDO_XMIT_SG, in the kernel's BTF since that change);
 * before, xdp_do_redirect() refuses every one with -EOPNOTSUPP and the driver drops it. */
bool xdp_redirect_frags_ok(void);
const char *xdp_mode_str(enum xdp_mode mode);
int xdp_prog_name(__u32 prog_id, char *buf, size_t len);	/* name of a loaded program by id */

/* ---- per-CPU maps ---- */

int ncpus_possible(void);	/* libbpf_num_possible_cpus(), cached by the caller */
/*
 * Read key of a per-CPU map whose value is n_u64 __u64 counters. per_cpu (may be NULL) receives
 * ncpus * n_u64 values, cpu-major; total receives n_u64 sums. Returns 0 or -errno.
 */
int percpu_sum(int map_fd, __u32 key, unsigned int n_u64, int ncpus, __u64 *per_cpu,
	       __u64 *total);

/* ---- time, rates, formatting ---- */

__u64 now_ns(void);					/* CLOCK_MONOTONIC */
double rate_per_sec(__u64 cur, __u64 prev, __u64 dt_ns);	/* 0 if dt == 0 or cur < prev */
/* "12,345,678" (sep) or "12345678", never locale-dependent; returns buf. */
const char *fmt_u64(char buf[32], __u64 v, bool sep);
const char *fmt_rate(char buf[32], double v, bool sep);	/* rounded to an integer */

/* ---- the run loop: signals and ticks from one poll (signalfd + timerfd) ---- */

enum loop_event { LOOP_TICK = 1, LOOP_STOP, LOOP_TOGGLE };

struct loop {
	int sig_fd, timer_fd;
	__u64 start_ns, interval_ns, deadline_ns;	/* deadline 0: none */
	__u64 ticks;
	int last_signal;				/* signal that stopped the run, 0 if none */
	int extra_fd;					/* optional fd to wake on (-1: none) */
};

#define LOOP_INIT { .sig_fd = -1, .timer_fd = -1, .extra_fd = -1 }
/* Blocks SIGINT, SIGTERM, SIGHUP, SIGQUIT in the calling thread (call before creating threads). */
int loop_init(struct loop *l, double interval_s, double duration_s);
/* LOOP_TICK each interval, LOOP_STOP on a signal or when the duration is reached (a final
 * tick lands exactly on the deadline), LOOP_TOGGLE on SIGQUIT, or -errno. When extra_fd is set
 * and readable, returns 0 so the caller can service it. */
int loop_wait(struct loop *l);
void loop_close(struct loop *l);

/* ---- JSON lines ---- */

struct jw {
	FILE *f;
	int depth;
	bool need_comma[16];
};

void jw_begin(struct jw *w, FILE *f);		/* starts the top-level object */
void jw_end(struct jw *w);			/* ends it, newline, flush */
void jw_obj(struct jw *w, const char *key);	/* key NULL inside arrays */
void jw_obj_end(struct jw *w);
void jw_arr(struct jw *w, const char *key);
void jw_arr_end(struct jw *w);
void jw_u64(struct jw *w, const char *key, __u64 v);
void jw_i64(struct jw *w, const char *key, long long v);
void jw_double(struct jw *w, const char *key, double v);
void jw_str(struct jw *w, const char *key, const char *s);
void jw_bool(struct jw *w, const char *key, bool v);

/* ---- errors, logging, privileges ---- */

/* Prints "tool: what: strerror(-err)" (one line) and returns the exit code for err. */
int report(int err, int exit_code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void log_setup(int verbose);		/* libbpf messages: none, -v warnings+info, -vv debug */
/* 0 when the process can load BPF and attach to devices; else -EPERM and the missing
 * capability names in buf ("CAP_BPF, CAP_NET_ADMIN"). */
int priv_check(char *buf, size_t len);
int priv_require(void);		/* priv_check(); prints "missing privileges" and gives EXIT_FAIL_PRIV */

/* Internet checksum: add data to a running sum (big-endian 16-bit words), fold and invert. */
__u32 csum_add(__u32 sum, const void *data, size_t len);
__u16 csum_fold(__u32 sum);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* COMMON_USER_H */
