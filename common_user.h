/* SPDX-License-Identifier: GPL-2.0 */
/*
 * common_user.h: the user-space helper shared by every tool of the suite: options, devices, XDP
 * attach, counter records, rates and formatting, the bounded output, the signal/timer loop and
 * the sampling driver built on them, JSON lines, errors and privileges. Building frames
 * (checksums, MAC addresses in text) is frame.h's, shared by xdpsock, the sender and the tests.
 *
 * Stateless: every function works on what the caller passes; there are no mutable globals.
 * Functions return 0 (or a count) on success and -errno on failure, and print nothing; the
 * caller prints one line through report() and returns the exit code it gives. The functions
 * that print say so where they are declared; they are of three kinds:
 *   - the one line of a failure, then its exit code: report(), tool_begin(), opts_parse(),
 *     stdout_end(), out_end(), xdp_opts_finish(), xdp_attach_or_report(), xdp_busy_check(),
 *     xdp_busy_report(), priv_require(), sampler_report(), sampler_end();
 *   - a notice on stderr while the work goes on: iface_track() (a rename), out_open_path()
 *     (waiting for a FIFO's reader), xdp_attach_notices(), xdp_attach_or_report() (the same);
 *   - output into the FILE they are given: opts_usage(), jw_*(), and the sampling driver's
 *     calls of a tool's print and summary callbacks.
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
	EXIT_OUTPUT_CLOSED = 7,	/* the reader of the output went away (`| head`): run ended cleanly */
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

/* Whether a field of a tool's config has the C type an option of type typ writes (as a
 * constant expression: OPTION() refuses a mismatch at compile time). */
#define OPT_FIELD_OK(cfg_t, field, typ)                                                          \
	_Generic((((cfg_t *)0)->field),                                                          \
		bool: (typ) == OPT_BOOL,                                                         \
		int: (typ) == OPT_COUNT || (typ) == OPT_ENUM,                                    \
		__u32: (typ) == OPT_U32,                                                         \
		double: (typ) == OPT_SECONDS,                                                    \
		const char *: (typ) == OPT_STR,                                                  \
		struct iface: (typ) == OPT_IFACE,                                                \
		struct iface_list: (typ) == OPT_IFACES,                                          \
		default: 0)

/*
 * One table entry; extra designated fields (.values, .min, .max, .required, ...) may follow.
 * The field's type (so its size) must be the one the option type writes, or it does not compile.
 */
#define OPTION(cfg_t, lname, sopt, typ, field, meta, hlp, ...)                                  \
	{ .name = (lname), .short_opt = (sopt), .type = (typ),                                  \
	  .off = offsetof(cfg_t, field) + 0 * sizeof(struct {                                    \
		  _Static_assert(OPT_FIELD_OK(cfg_t, field, typ),                                \
				 "option field " #field ": its type is not the option type's"); \
		  int unused_;                                                                   \
	  }),                                                                                    \
	  .metavar = (meta), .help = (hlp), __VA_ARGS__ }
#define OPT_END { .name = NULL }

/*
 * What every sampling tool takes the same way: a tool's config embeds `struct run_opts run`
 * and its table uses the rows below (the sampling driver reads interval, duration and json).
 */
struct run_opts {
	double interval;	/* seconds between reports */
	double duration;	/* stop after this many seconds, 0: at a signal */
	bool json;		/* JSON lines instead of tables */
	bool no_sep;		/* no thousands separators */
	int verbose;		/* libbpf messages: -v, -vv */
};

#define OPT_ROW_INTERVAL(cfg_t, lname, sopt, hlp, ...)                                          \
	OPTION(cfg_t, lname, sopt, OPT_SECONDS, run.interval, "SEC", hlp, .min = 0.01,          \
	       .max = 3600, ##__VA_ARGS__)
#define OPT_ROW_DURATION(cfg_t, sopt)                                                            \
	OPTION(cfg_t, "duration", sopt, OPT_SECONDS, run.duration, "SEC",                       \
	       "stop after SEC seconds (0: until Ctrl-C)", .min = 0, .max = 31536000)
#define OPT_JSON_HELP "print one JSON object per interval and a summary"
#define OPT_ROW_JSON(cfg_t, hlp) OPTION(cfg_t, "json", 'j', OPT_BOOL, run.json, NULL, hlp)
#define OPT_ROW_NO_SEP(cfg_t, sopt)                                                              \
	OPTION(cfg_t, "no-separators", sopt, OPT_BOOL, run.no_sep, NULL,                        \
	       "print numbers without thousands separators")
#define OPT_ROW_VERBOSE(cfg_t)                                                                   \
	OPTION(cfg_t, "verbose", 'v', OPT_COUNT, run.verbose, NULL,                             \
	       "libbpf messages (-vv: verifier detail)")
/* The three as every tool lists them, last: -z/--no-separators (sep_short: its letter, or 0
 * where -z means something else), -j/--json with the tool's help, -v/--verbose. */
#define OPT_ROWS_OUTPUT(cfg_t, sep_short, json_help)                                             \
	OPT_ROW_NO_SEP(cfg_t, sep_short), OPT_ROW_JSON(cfg_t, json_help), OPT_ROW_VERBOSE(cfg_t)

/*
 * How a tool attaches XDP: a tool's config embeds `struct xdp_opts xdp` and its table uses the
 * rows below; xdp_opts_finish() turns -S/-N into the mode.
 */
struct xdp_opts {
	int mode;		/* enum xdp_mode */
	bool skb_mode;		/* -S: the same as --mode skb */
	bool native;		/* -N (xdpsock): the same as --mode native */
	bool force;		/* replace a program attached through netlink */
};

#define OPT_ROW_MODE(cfg_t)                                                                      \
	OPTION(cfg_t, "mode", 0, OPT_ENUM, xdp.mode, "MODE",                                    \
	       "XDP mode; auto tries native, then generic", .values = xdp_mode_names)
#define OPT_ROW_SKB_MODE(cfg_t, lname, hlp)                                                      \
	OPTION(cfg_t, lname, 'S', OPT_BOOL, xdp.skb_mode, NULL, hlp)
#define OPT_ROW_FORCE(cfg_t)                                                                     \
	OPTION(cfg_t, "force", 'F', OPT_BOOL, xdp.force, NULL,                                  \
	       "replace an XDP program already on the device")
/* The three as most tools list them: --mode, -S/--skb-mode, -F/--force. */
#define OPT_ROWS_XDP(cfg_t)                                                                      \
	OPT_ROW_MODE(cfg_t), OPT_ROW_SKB_MODE(cfg_t, "skb-mode", "same as --mode skb"),          \
	OPT_ROW_FORCE(cfg_t)

/*
 * A command: `tool WORD [options]`. The word, first after the tool's name, stores its value in
 * the tool's command field (opt_tool.cmd_off, an int); then the options are parsed as usual.
 */
struct opt_cmd {
	const char *name;
	int value;
	const char *help;
};

struct opt_tool {
	const char *name;		/* tool name, the first word of every message */
	const char *summary;		/* one line */
	const char *usage;		/* "[options] --dev IFACE" */
	const char *doc;		/* text printed after the option list, may be NULL */
	const struct opt_def *defs;
	const void *defaults;		/* shown as (default X) in --help, may be NULL */
	const struct opt_cmd *cmds;	/* NULL, or commands ending with a NULL name */
	size_t cmd_off;			/* offsetof(tool config, its int command field) */
};

/* 0: parsed; 1: --help printed to stdout (exit EXIT_OK); -EINVAL: one-line error printed to
 * stderr. */
int opts_parse(int argc, char **argv, const struct opt_tool *tool, void *cfg);
/*
 * The first call of every main(), before anything is opened: fds 0-2 are made open (to
 * /dev/null when closed), so no file the tool opens becomes its stdout; SIGPIPE is ignored (a
 * closed pipe is an EPIPE the tool reports); SIGINT, SIGTERM, SIGHUP and SIGQUIT are blocked, so
 * one that arrives while the program loads waits for the loop's signalfd and ends the run
 * cleanly instead of killing the process (no 128+N exit codes); stdout is fully buffered and
 * checked by stdout_end(). Then the options are parsed. Returns -1 to go on, or the exit code:
 * 0 after --help, EXIT_FAIL_OPTION on a bad command line.
 */
int tool_begin(int argc, char **argv, const struct opt_tool *tool, void *cfg);
/* For output printed to stdio's stdout (not through struct out): flush it and check it. A
 * write error is reported in one line; ret is kept when already non-zero. */
int stdout_end(int ret);
/* --help into f: the usage, every option with its default, the commands, the doc. */
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

int iface_parse(struct iface *ifc, const char *arg);	/* name, else index; -ENODEV */
int iface_mac(const char *ifname, __u8 mac[6]);		/* the device's hardware address */
int iface_driver(const char *ifname, char *buf, size_t len);	/* ethtool driver name */
/*
 * Follow a running tool's device by its ifindex: 0 while it is there (a rename updates
 * ifc->name and prints "device X renamed to Y" once), -ENODEV once it is gone. With link_fd >= 0
 * (an XDP bpf_link), gone means the kernel detached the link: deleted or moved to another
 * namespace, even if a new device took the ifindex.
 */
int iface_track(struct iface *ifc, int link_fd);

/*
 * Can frames redirected into ifc (XDP_REDIRECT by bpf_redirect or a devmap) leave through it?
 * 1 yes, 0 no (why says so in a sentence), -errno when it cannot be told. Since Linux 6.3 the
 * device's XDP features say it (NETDEV_XDP_ACT_NDO_XMIT, netdev generic netlink); a veth has
 * that while its peer runs an XDP program or has GRO on. Before 6.3, for a veth, whether its
 * peer (found through rtnetlink, in whatever namespace it is) runs an XDP program. Without
 * that, frames redirected into a veth are dropped: with EOPNOTSUPP since 6.3 (xdp_redirect_err),
 * by the driver before (devmap_xmit drops, ENXIO); in a broadcast the port is skipped.
 */
int xdp_xmit_check(const struct iface *ifc, char *why, size_t len);

/* ---- XDP attach: through a bpf_link, or through netlink (outlives the process) ---- */

enum xdp_mode { XDP_MODE_AUTO, XDP_MODE_NATIVE, XDP_MODE_SKB };
extern const struct opt_enum xdp_mode_names[];

/*
 * How a program is attached. XDP_VIA_LINK: a bpf_link, which the kernel removes when the
 * process dies (every long-running tool). XDP_VIA_NETLINK: the program stays after the process
 * (xdp_fwd); only our own program is ever removed, with an atomic replace check.
 */
enum xdp_via { XDP_VIA_LINK, XDP_VIA_NETLINK };

struct xdp_attach {
	int ifindex;
	enum xdp_via via;
	enum xdp_mode mode;		/* in effect after attach */
	bool fell_back;			/* auto: native refused, generic used */
	int native_err;			/* why native was refused (when fell_back) */
	__u32 replaced_id;		/* --force removed this program (0: none) */
	int replaced_fd;		/* netlink: it, for xdp_attach_undo(); -1: none */
	__u32 replaced_flags;		/* and the mode it ran in (XDP_FLAGS_*) */
	__u32 prog_id;			/* our program's id */
	int prog_fd;			/* netlink: ours, while attached by this call; -1 */
	int link_fd;			/* bpf_link fd, -1: none */
};

#define XDP_ATTACH_INIT { .link_fd = -1, .prog_fd = -1, .replaced_fd = -1 }

/*
 * Attach prog to ifc in x->mode (auto: native, else generic). A device that already runs XDP
 * gives -EEXIST unless x->force; with force a program attached through netlink is removed first
 * (and put back if ours cannot be attached), one held by another process's link cannot be
 * (-EBUSY). busy_id (may be NULL) receives the id of the program found on the device.
 */
int xdp_attach_prog(struct xdp_attach *xa, const struct bpf_program *prog, const struct iface *ifc,
		    const struct xdp_opts *x, enum xdp_via via, __u32 *busy_id);
/*
 * xdp_attach_prog() for a tool's main(): on failure prints the one-line reason (busy device and
 * what to do, a mode the device does not support, ...) and returns the exit code; on success
 * returns 0 and, for a bpf_link, prints the notices at once (a netlink caller may still undo the
 * attach: it prints them with xdp_attach_notices() once its whole call succeeded).
 */
int xdp_attach_or_report(struct xdp_attach *xa, const struct bpf_program *prog,
			 const struct iface *ifc, const struct xdp_opts *x, enum xdp_via via);
/* Prints what the attach changed besides: generic-mode fallback, program replaced by --force. */
void xdp_attach_notices(const struct xdp_attach *xa, const struct iface *ifc);
/* The end of an attach: a bpf_link is detached; a netlink program stays. Idempotent. */
void xdp_attach_release(struct xdp_attach *xa);
/* Netlink: take our program off again (only if it is still ours) and put back what --force
 * replaced; then release. */
void xdp_attach_undo(struct xdp_attach *xa);
/* Remove program prog_id, attached through netlink with flags (XDP_FLAGS_*), from ifindex only
 * if it is still the one there (XDP_FLAGS_REPLACE); 0 or -errno. */
int xdp_detach_ours(int ifindex, __u32 prog_id, __u32 flags);
/*
 * Before anything is set up for ifc: 0 when it runs no XDP program, or when force can replace
 * it (attached through netlink); else prints why it is busy (xdp_busy_report) and returns
 * EXIT_FAIL_XDP.
 */
int xdp_busy_check(const struct iface *ifc, bool force);
/* Prints why the device is busy, with the real reason: a program attached through netlink
 * (--force replaces it) or one held by another process's bpf_link (named; --force cannot
 * help). Returns EXIT_FAIL_XDP. */
int xdp_busy_report(const struct iface *ifc, __u32 prog_id);
/* The process holding an XDP bpf_link of prog_id on ifindex: its pid and command name in
 * comm; -ENOENT when none is found (attached through netlink, or /proc not readable). */
int xdp_link_holder(int ifindex, __u32 prog_id, int *pid, char *comm, size_t len);
__u32 prog_id_of_fd(int prog_fd);	/* a loaded program's id; 0 when unknown */
/* Before load: mark a program that never reads past its first buffer (or reads the rest with
 * bpf_xdp_load_bytes) as frags-capable, so it attaches at jumbo MTUs (BPF_F_XDP_HAS_FRAGS). */
void xdp_prog_frags_capable(struct bpf_program *prog);

/* Of n programs of one opened object, only progs[which] is loaded (the specialised program a
 * configuration runs, <tool>_prog_of()); returns it. */
struct bpf_program *progs_load_one(struct bpf_program *const *progs, int n, int which);
/* Whether XDP_REDIRECT into a devmap takes multi-buffer frames: since 6.3 the target device's
 * XDP features decide (NETDEV_XDP_ACT_NDO_XMIT_SG, in the kernel's BTF since that change);
 * before, xdp_do_redirect() refuses every one with -EOPNOTSUPP and the driver drops it. */
bool xdp_redirect_frags_ok(void);
const char *xdp_mode_str(enum xdp_mode mode);
/* -S/-N into xdp->mode. A conflict (-S and --mode native, ...) prints one line and gives
 * EXIT_FAIL_OPTION; 0 otherwise. */
int xdp_opts_finish(struct xdp_opts *xdp);
int xdp_prog_name(__u32 prog_id, char *buf, size_t len);	/* name of a loaded program by id */

/* ---- per-CPU counter records ---- */

/*
 * A counter record is a struct of __u64 fields only, declared in <tool>.h and shared with the
 * BPF program; user space reads it as that struct, field by field, never by position. The
 * macros check at compile time that a record is whole __u64s and that both sides are of one type.
 */
int ncpus_possible(void);	/* libbpf_num_possible_cpus(), cached by the caller */
/*
 * A CPU list as the kernel prints them ("0-3,6", the form of /sys/devices/system/cpu/online):
 * set[c] = true for each CPU c listed, set[] having n entries (cleared first), and order (may be
 * NULL; room for n) the CPUs in the order listed. Returns how many are listed, or -EINVAL (not
 * such a list: *bad is -1), -ERANGE (CPU *bad is n or more), -EEXIST (CPU *bad listed twice).
 */
int cpulist_parse(const char *s, bool *set, int n, int *order, int *bad);
/* A CPU list as the kernel prints them, of the CPUs in set[0..n-1] ("" for none; cut with
 * "..." when longer than len); returns buf. */
const char *cpulist_format(char *buf, size_t len, const bool *set, int n);
/* A file holding a CPU list (root + path; root "" for this system) into set[0..n-1], CPUs
 * beyond n left out; 0 or -errno. */
int cpulist_read(const char *root, const char *path, bool *set, int n);
/* The online CPUs (/sys/devices/system/cpu/online) into set[0..n-1]; 0 or -errno. */
int cpus_online(bool *set, int n);
/* The online CPUs this process may run on (its affinity) into set[0..n-1]; how many, or -errno. */
int cpus_allowed(bool *set, int n);
/* What queue_irq_cpus() found: the queue's interrupt, or why it cannot be known. */
struct queue_irq {
	int irq;		/* -1: unknown */
	char name[64];		/* as in /proc/interrupts */
	const char *why;	/* when unknown (a static string), else NULL */
};
/*
 * The CPUs that take the interrupt of DEV's RX queue, where its NAPI poll, softirq and XDP
 * program run (unless NAPI is threaded). The device's interrupts are its MSI vectors (sysfs
 * msi_irqs of the device or of its parent, as for virtio) or its one legacy interrupt; the
 * queue's is the one whose name, up to an '@', ends in the queue number after a word of
 * receiving (eth0-TxRx-2, eth0-rx-2, mlx5_comp2@pci:..., virtio1-input.2), or the device's
 * only one. set[] (n entries) gets the interrupt's effective affinity. Returns how many CPUs,
 * 0 when it cannot be known (qi->why says why: veth has no interrupt, several names match,
 * NAPI is threaded), or -errno. root prefixes every path: "" for this system.
 */
int queue_irq_cpus(const char *root, const char *dev, __u32 queue, bool *set, int n,
		   struct queue_irq *qi);
/*
 * Read key of a per-CPU map whose value is a record of rec_size bytes: per_cpu (may be NULL)
 * receives ncpus records, CPU by CPU, and total their sum. Returns 0 or -errno.
 */
int percpu_read(int map_fd, const void *key, size_t rec_size, int ncpus, void *per_cpu,
		void *total);
void rec_add(void *sum, const void *rec, size_t rec_size);	/* sum += rec */
/* delta = now - then, field by field (0 where a counter went back: reset meanwhile) */
void rec_delta(void *delta, const void *now, const void *then, size_t rec_size);

#define REC_CHECK(r)                                                                             \
	_Static_assert(sizeof(*(r)) % sizeof(__u64) == 0, "a counter record is whole __u64s")
#define REC_SAME(a, b)                                                                           \
	_Static_assert(__builtin_types_compatible_p(__typeof__(*(a)), __typeof__(*(b))),        \
		       "counter records of one type")
/* percpu_read() into a record total (and per_cpu: an array of ncpus of them) */
#define PERCPU_SUM(map_fd, key, ncpus, total)                                                   \
	({ REC_CHECK(total); percpu_read(map_fd, key, sizeof(*(total)), ncpus, NULL, total); })
#define PERCPU_READ(map_fd, key, ncpus, per_cpu, total)                                         \
	({                                                                                       \
		REC_CHECK(total);                                                                \
		REC_SAME(per_cpu, total);                                                        \
		percpu_read(map_fd, key, sizeof(*(total)), ncpus, per_cpu, total);               \
	})
#define REC_ADD(sum, rec)                                                                        \
	({                                                                                       \
		REC_CHECK(sum);                                                                  \
		REC_SAME(sum, rec);                                                              \
		rec_add(sum, rec, sizeof(*(sum)));                                               \
	})
#define REC_DELTA(delta, now, then)                                                              \
	({                                                                                       \
		REC_CHECK(delta);                                                                \
		REC_SAME(delta, now);                                                            \
		REC_SAME(delta, then);                                                           \
		rec_delta(delta, now, then, sizeof(*(delta)));                                   \
	})

/* ---- time, rates, formatting ---- */

__u64 now_ns(void);					/* CLOCK_MONOTONIC */
double rate_per_sec(__u64 cur, __u64 prev, __u64 dt_ns);	/* 0 if dt == 0 or cur < prev */
/* "12,345,678" (sep) or "12345678", never locale-dependent; returns buf. */
const char *fmt_u64(char buf[32], __u64 v, bool sep);
const char *fmt_rate(char buf[32], double v, bool sep);	/* rounded to an integer */

/* ---- output: bounded, never blocking, never in the way of signals ---- */

/*
 * What a tool prints goes through a FILE (out.f) into a bounded memory buffer, written to the
 * destination without blocking: from loop_wait(), which keeps serving the signalfd while a
 * reader is slow or stuck, and at exit by loop_flush(). What does not fit is dropped whole
 * (a line, or a record) and counted. Pipes, FIFOs, terminals and sockets are written through an
 * open file description of our own, so O_NONBLOCK never leaks to the shell or the reader;
 * regular files are written directly. A closed reader (EPIPE, POLLERR) or any other write error
 * ends the run: loop_wait() returns LOOP_STOP and out_end() gives the one line and the exit code.
 * After stdout's reader went away, later output (the summary) goes to stderr instead.
 */
enum out_mode {
	OUT_LINES,	/* whole lines: committed at each newline */
	OUT_RECORDS,	/* whole records: committed by out_record() (pcap) */
};

#define OUT_MAX (4u << 20)	/* bytes waiting for the destination, at most */

struct out {
	FILE *f;		/* the tool prints here */
	const char *what;	/* "stdout", or a file name: for messages */
	int fd;			/* the destination */
	int wfd;		/* where writes go: a non-blocking description of our own, or fd */
	int fallback_fd;	/* after EPIPE, later output goes here (stdout: stderr), -1: none */
	bool own_fd, own_wfd, sock, pollable, trunc;
	enum out_mode mode;
	size_t max;		/* OUT_MAX (smaller in tests) */
	char *buf;		/* pending bytes [head, head + len) */
	size_t head, len, cap;
	char *part;		/* the line or record being printed */
	size_t plen, pcap;
	bool part_over;		/* it outgrew max: it will be dropped */
	__u64 *ends;		/* OUT_RECORDS: end offsets of the records pending */
	size_t ends_head, ends_n, ends_cap;
	__u64 committed;	/* bytes accepted into buf */
	__u64 written;		/* bytes that reached the destination */
	__u64 good_end;		/* written, up to the end of the last whole record */
	__u64 records;		/* records (or lines) accepted */
	__u64 records_written;	/* OUT_RECORDS: records that reached the destination whole */
	__u64 dropped;		/* records (or lines) that did not fit, or were still pending at exit */
	int err;		/* first write error, -errno; -EPIPE: the reader went away */
};

#define OUT_INIT { .fd = -1, .wfd = -1, .fallback_fd = -1 }

/* Output to fd (stdout: STDOUT_FILENO; not closed by out_close). */
int out_open(struct out *o, int fd, const char *what, enum out_mode mode);
/*
 * Output to the file at path, created or truncated (0644), closed by out_close. A regular file
 * is cut back to its last whole record if a write fails, so it stays readable. A FIFO without a
 * reader is waited for (saying so once on stderr) while SIGINT/SIGTERM/SIGHUP are watched:
 * -EINTR when one arrives first.
 */
int out_open_path(struct out *o, const char *path, enum out_mode mode);
int out_record(struct out *o);		/* OUT_RECORDS: commit what was printed as one record */
int out_pump(struct out *o);		/* write what the destination takes now; o->err */
bool out_pending(const struct out *o);	/* bytes still waiting */
/*
 * One line for what went wrong, and the exit code: EXIT_OUTPUT_CLOSED when the reader went
 * away, EXIT_FAIL for a write error or dropped output; ret is kept when already non-zero.
 */
int out_end(const struct out *o, int ret);
void out_close(struct out *o);

/* ---- the run loop: signals and ticks from one poll (signalfd + timerfd) ---- */

enum loop_event { LOOP_TICK = 1, LOOP_STOP, LOOP_TOGGLE };

#define LOOP_OUTS 2

struct loop {
	int sig_fd, timer_fd;
	__u64 start_ns, interval_ns, deadline_ns;	/* deadline 0: none */
	__u64 ticks;
	int last_signal;				/* signal that stopped the run, 0 if none */
	int extra_fd;					/* optional fd to wake on (-1: none) */
	struct out *outs[LOOP_OUTS];			/* output written while waiting */
	bool out_failed;				/* the run stopped on an output error */
};

#define LOOP_INIT { .sig_fd = -1, .timer_fd = -1, .extra_fd = -1 }
/* Blocks SIGINT, SIGTERM, SIGHUP, SIGQUIT in the calling thread (call before creating threads). */
int loop_init(struct loop *l, double interval_s, double duration_s);
/* LOOP_TICK each interval, LOOP_STOP on a signal or when the duration is reached (a final
 * tick lands exactly on the deadline), LOOP_TOGGLE on SIGQUIT, or -errno. When extra_fd is set
 * and readable, returns 0 so the caller can service it. */
int loop_wait(struct loop *l);
int loop_add_out(struct loop *l, struct out *o);	/* written while waiting; -ENOSPC: full */
/*
 * At exit, after detaching: write what the outputs still hold, serving the signalfd. After a
 * stop by signal it waits at most 0.5 s without progress; otherwise until done. Another signal
 * ends the wait. What is left is counted as dropped.
 */
void loop_flush(struct loop *l);
void loop_close(struct loop *l);

/* ---- the sampling driver: the one loop under every tool ---- */

/*
 * A tool hands the driver its callbacks and a context, and the driver runs the rest: stdout
 * through struct out, the signal/timer loop, three snapshots of the tool's counters (the first
 * reading, the previous one, the current one) with the time each stands for, which readings are
 * printed, SIGQUIT, the devices followed, the summary and the end of the output.
 *
 *   sampler_init()     before load: stdout and the snapshots; the tool prints its banner to
 *                      s->out.f (or stderr with SAMPLER_NO_STDOUT)
 *   sampler_start()    after attach: the loop's clock starts, the first reading
 *   sampler_track()    a device to follow (renames noticed, its loss ends the run)
 *   sampler_run()      readings until a signal, the duration, an event's end or a device gone
 *                      ... the tool detaches and reports an error (sampler_report) ...
 *   sampler_collect()  optional: one more reading, after the tool drained what it holds
 *   sampler_end()      the summary, the output written out; the exit code
 *   sampler_close()
 *
 * Snapshots are snap_size bytes, zeroed at first, owned by the driver and never copied: the
 * previous and current ones swap places after each reading.
 */
struct sampler_ops {
	/* Read the counters into snap (an older reading may be there: overwrite all of it). The
	 * time the reading stands for goes to *t; left 0, the driver takes it as collect returns.
	 * 0 or -errno (the run ends; the last good reading stays the last). */
	int (*collect)(void *ctx, void *snap, __u64 *t);
	/* One interval: now against then, dt_ns apart (a table or a JSON line); NULL: none. */
	void (*print)(void *ctx, const void *now, const void *then, __u64 dt_ns);
	/* The run: last against first, dt_ns apart; signal: the one that ended it (0: none). */
	void (*summary)(void *ctx, const void *last, const void *first, __u64 dt_ns, int signal);
	void (*toggle)(void *ctx);	/* SIGQUIT; NULL: ignored */
	/* After each reading but the last, once the followed devices are found there: 0 to go
	 * on, 1 when the run is complete, -errno to end it on an error. NULL: none. */
	int (*check)(void *ctx);
	/* s->event_fd is readable: handle it; 1 when the run is complete (a count reached), 0
	 * to go on, -errno. */
	int (*event)(void *ctx);
};

enum sampler_flags {
	SAMPLER_NO_STDOUT = 1,	/* stdout is the tool's own (a pcap): no struct out on it */
};

#define SAMPLER_TRACK_MAX (IFACE_MAX + 1)	/* a device and a list (xdp_redirect IN OUT...) */

struct sampler {
	const struct sampler_ops *ops;
	void *ctx;
	struct out out;			/* stdout; out.f is where the tool prints */
	struct loop loop;		/* loop_add_out(&s->loop, o) for more outputs */
	int event_fd;			/* wakes ops->event (set before sampler_run) */
	double interval;		/* 0: no interval reports (the loop wakes every second) */
	double duration;
	size_t snap_size;
	void *snap[3];			/* [0]: the first reading; the others take turns */
	__u64 t[3];
	int prev, cur, last;		/* into snap[]; last: the newest good reading */
	int n_track;
	struct iface *track[SAMPLER_TRACK_MAX];
	int track_link[SAMPLER_TRACK_MAX];
	const struct iface *gone;	/* the followed device that disappeared */
};

#define SAMPLER_INIT { .out = OUT_INIT, .loop = LOOP_INIT, .event_fd = -1 }

/* Stdout (unless SAMPLER_NO_STDOUT) and three zeroed snapshots; 0 or -errno. */
int sampler_init(struct sampler *s, const struct sampler_ops *ops, void *ctx, size_t snap_size,
		 const struct run_opts *run, unsigned int flags);
/* Follow ifc by its ifindex (iface_track; link_fd: its XDP link, -1: none); -ENOSPC. */
int sampler_track(struct sampler *s, struct iface *ifc, int link_fd);
/* The loop (its interval and duration start now) and the first reading; 0 or -errno. */
int sampler_start(struct sampler *s);
/* Readings until the run ends: 0, or -errno (-ENODEV with s->gone set: a followed device went). */
int sampler_run(struct sampler *s);
/* One more reading (after the run, once the tool drained what it holds); 0 or -errno. */
int sampler_collect(struct sampler *s);
/* Prints the one line for sampler_run()'s err ("device X disappeared", or what: the error)
 * and returns EXIT_FAIL. */
int sampler_report(const struct sampler *s, int err, const char *what);
/* The summary (when summary is true), then what the outputs still hold is written (see
 * loop_flush) and their errors reported (out_end, the outputs added last first). Returns the
 * exit code: ret when already non-zero. */
int sampler_end(struct sampler *s, int ret, bool summary);
void sampler_close(struct sampler *s);

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

/* Capabilities a tool needs (README "Privileges"); CAP_SYS_ADMIN also grants BPF and PERFMON. */
enum priv_need {
	NEED_BPF = 1,		/* CAP_BPF: load programs, create maps */
	NEED_NET_ADMIN = 2,	/* CAP_NET_ADMIN: attach XDP, networking program types */
	NEED_PERFMON = 4,	/* CAP_PERFMON: tracing programs, perf events */
	NEED_NET_RAW = 8,	/* CAP_NET_RAW: AF_XDP and packet sockets */
};
/* 0 when the process has what need asks for; else -EPERM and the missing capability names in
 * buf ("CAP_BPF CAP_NET_ADMIN"). */
int priv_check(unsigned int need, char *buf, size_t len);
/* priv_check(); prints "missing privileges: need ..." and gives EXIT_FAIL_PRIV */
int priv_require(unsigned int need);
bool cap_effective(int cap);	/* the capability is in the effective set */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* COMMON_USER_H */
