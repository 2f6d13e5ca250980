// SPDX-License-Identifier: GPL-2.0
/* unit_common: tests of the shared user-space modules (common_user.c, frame.c) that need no
 * privileges. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common_user.h"
#include "frame.h"
#include "harness.h"

TEST(fmt_u64_separators)
{
	char b[32];

	ASSERT_TRUE(!strcmp(fmt_u64(b, 0, true), "0"), "0");
	ASSERT_TRUE(!strcmp(fmt_u64(b, 999, true), "999"), "999");
	ASSERT_TRUE(!strcmp(fmt_u64(b, 1000, true), "1,000"), "1,000");
	ASSERT_TRUE(!strcmp(fmt_u64(b, 12345678, true), "12,345,678"), "12,345,678");
	ASSERT_TRUE(!strcmp(fmt_u64(b, 12345678, false), "12345678"), "no separators");
	ASSERT_TRUE(!strcmp(fmt_u64(b, 18446744073709551615ULL, true),
			    "18,446,744,073,709,551,615"), "u64 max");
	ASSERT_TRUE(!strcmp(fmt_rate(b, 1234.5, true), "1,235"), "rate rounds");
	ASSERT_TRUE(!strcmp(fmt_rate(b, -3, true), "0"), "negative rate is 0");
}

TEST(rate_uses_measured_period)
{
	ASSERT_TRUE(rate_per_sec(1000, 0, 1000000000ULL) == 1000.0, "1000 in 1 s");
	ASSERT_TRUE(rate_per_sec(1000, 0, 500000000ULL) == 2000.0, "1000 in 0.5 s");
	ASSERT_TRUE(rate_per_sec(1000, 0, 0) == 0.0, "zero period");
	ASSERT_TRUE(rate_per_sec(5, 10, 1000000000ULL) == 0.0, "counter reset");
}

/* A counter record is added and diffed field by field, as its own type. */
TEST(counter_records_as_structs)
{
	struct t_rec {
		__u64 rx, tx;
		__u64 reason[3];
	} sum = { 1, 2, { 3, 4, 5 } }, more = { 10, 20, { 30, 40, 50 } }, d;

	REC_ADD(&sum, &more);
	ASSERT_EQ(sum.rx, 11, "rx added");
	ASSERT_EQ(sum.reason[2], 55, "last array field added");
	REC_DELTA(&d, &sum, &more);
	ASSERT_EQ(d.tx, 2, "tx delta");
	ASSERT_EQ(d.reason[0], 3, "array field delta");
	more.reason[1] = 1000;
	REC_DELTA(&d, &sum, &more);
	ASSERT_EQ(d.reason[1], 0, "a counter that went back gives 0");
	ASSERT_EQ(percpu_read(-1, &(__u32){ 0 }, 12, 1, NULL, &d), -EINVAL,
		  "a record that is not whole __u64s is refused");
}

struct t_opts {
	struct iface dev;
	struct iface_list list;
	int action;
	__u32 n;
	double sec;
	bool flag;
	int verbose;
	const char *name;
	int cmd;
};

static const struct opt_enum t_actions[] = { { "XDP_PASS", 2 }, { "XDP_DROP", 1 }, { NULL, 0 } };

#define O(...) OPTION(struct t_opts, __VA_ARGS__)
static const struct opt_def t_defs[] = {
	O("dev", 'd', OPT_IFACE, dev, "IFACE", "device", .required = true),
	O("action", 'a', OPT_ENUM, action, "A", "action", .values = t_actions),
	O("num", 'n', OPT_U32, n, "N", "number", .min = 1, .max = 100),
	O("sec", 's', OPT_SECONDS, sec, "SEC", "seconds", .min = 0.01, .max = 10),
	O("flag", 'f', OPT_BOOL, flag, NULL, "flag"),
	O("verbose", 'v', OPT_COUNT, verbose, NULL, "verbose"),
	O("name", 0, OPT_STR, name, "S", "name"),
	O("ifaces", 0, OPT_IFACES, list, "IFACE...", "rest", .positional = true),
	OPT_END,
};
#undef O
static const struct opt_cmd t_cmds[] = { { "show", 7, "show" }, { NULL, 0, NULL } };
static const struct opt_tool t_tool = { .name = "unit", .summary = "s", .usage = "u",
					.defs = t_defs, .cmds = t_cmds,
					.cmd_off = offsetof(struct t_opts, cmd) };

/* Parse line; the one-line error (expected in most tests) goes to msg. */
static int parse_msg(struct t_opts *o, const char *line, char *msg, size_t len)
{
	static char copy[512];	/* parsed strings point into it: keep it past the call */
	char *argv[32], *save = NULL;
	int argc = 0, err, p[2], saved;
	ssize_t n;

	if (pipe(p))
		return -errno;
	snprintf(copy, sizeof(copy), "%s", line);
	argv[argc++] = "unit";
	for (char *t = strtok_r(copy, " ", &save); t && argc < 31; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	memset(o, 0, sizeof(*o));
	fflush(stderr);
	saved = dup(2);
	dup2(p[1], 2);
	err = opts_parse(argc, argv, &t_tool, o);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(p[1]);
	n = read(p[0], msg, len - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	return err;
}

static int parse(struct t_opts *o, const char *line)
{
	char msg[512];

	return parse_msg(o, line, msg, sizeof(msg));
}

TEST(opts_accept)
{
	struct t_opts o;

	if (!ASSERT_OK(parse(&o, "-d lo -a xdp_drop -n 5 -s 0.5 -f -vv --name x"), "parse"))
		return;
	ASSERT_EQ(o.dev.ifindex, 1, "lo is ifindex 1");
	ASSERT_EQ(o.action, 1, "action case-insensitive");
	ASSERT_EQ(o.n, 5, "u32");
	ASSERT_TRUE(o.sec == 0.5, "fractional seconds");
	ASSERT_TRUE(o.flag, "bool");
	ASSERT_EQ(o.verbose, 2, "count");
	ASSERT_TRUE(o.name && !strcmp(o.name, "x"), "string");
	ASSERT_OK(parse(&o, "--dev=1 --num=100 lo"), "long = form, index, positional");
	ASSERT_EQ(o.list.n, 1, "positional list");
}

/* A command word first selects the command; elsewhere it is an ordinary argument. */
TEST(opts_command_dispatch)
{
	struct t_opts o;
	char msg[512];

	if (!ASSERT_OK(parse(&o, "show -d lo -n 3 lo"), "command, options, positional"))
		return;
	ASSERT_EQ(o.cmd, 7, "command value stored");
	ASSERT_EQ(o.n, 3, "options after the command");
	ASSERT_EQ(o.list.n, 1, "positional after the command");
	ASSERT_OK(parse(&o, "-d lo"), "no command");
	ASSERT_EQ(o.cmd, 0, "no command: field untouched");
	ASSERT_EQ(parse_msg(&o, "-d lo show", msg, sizeof(msg)), -EINVAL,
		  "the word later is a positional (an unknown device here)");
	ASSERT_TRUE(strstr(msg, "unknown device 'show'") != NULL, msg);
}

TEST(opts_reject)
{
	static const char *bad[] = {
		"",			/* missing required --dev */
		"-d nosuchdev0",	/* unknown device */
		"-d lo -a XDP_FOO",	/* bad enum */
		"-d lo -n 0",		/* below min */
		"-d lo -n 101",		/* above max */
		"-d lo -n 1.5",		/* not whole */
		"-d lo -n -1",		/* negative */
		"-d lo -n abc",		/* not a number */
		"-d lo -n 99999999999999999999",	/* huge */
		"-d lo -s 0",		/* below min */
		"-d lo -s nan",		/* not finite */
		"-d lo --bogus",	/* unknown long option */
		"-d lo -x",		/* unknown short option */
		"-d lo -n",		/* missing value */
		"-d lo --name=",	/* empty string */
		"-d lo lo lo",		/* duplicate device */
		"-d lo nosuchdev0",	/* unknown positional device */
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct t_opts o;
		char what[96];

		snprintf(what, sizeof(what), "'%s' rejected", bad[i]);
		ASSERT_EQ(parse(&o, bad[i]), -EINVAL, what);
	}
}

/* -S/-N become the mode; with a --mode that says otherwise they are refused (one line). */
TEST(xdp_opts_skb_native_and_conflicts)
{
	struct xdp_opts ok[] = { { .skb_mode = true }, { .native = true },
				 { .mode = XDP_MODE_SKB, .skb_mode = true } };
	struct xdp_opts bad[] = { { .mode = XDP_MODE_NATIVE, .skb_mode = true },
				  { .mode = XDP_MODE_SKB, .native = true },
				  { .skb_mode = true, .native = true } };
	int want[] = { XDP_MODE_SKB, XDP_MODE_NATIVE, XDP_MODE_SKB }, saved, null;

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		ASSERT_OK(xdp_opts_finish(&ok[i]), "accepted");
		ASSERT_EQ(ok[i].mode, want[i], "mode");
	}
	fflush(stderr);
	saved = dup(2);
	null = open("/dev/null", O_WRONLY);
	dup2(null, 2);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ASSERT_EQ(xdp_opts_finish(&bad[i]), EXIT_FAIL_OPTION, "conflict refused");
	dup2(saved, 2);
	close(saved);
	close(null);
}

TEST(opts_help_exits_ok)
{
	struct t_opts o;
	FILE *null = fopen("/dev/null", "w");
	int saved = dup(1);

	fflush(stdout);
	dup2(fileno(null), 1);
	int err = parse(&o, "--help");

	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	fclose(null);
	ASSERT_EQ(err, 1, "--help returns 1 (exit 0)");
}

TEST(iface_parse_name_and_index)
{
	struct iface i;

	ASSERT_OK(iface_parse(&i, "lo"), "lo");
	ASSERT_EQ(i.ifindex, 1, "lo index");
	ASSERT_OK(iface_parse(&i, "1"), "index 1");
	ASSERT_TRUE(!strcmp(i.name, "lo"), "index resolves to lo");
	ASSERT_EQ(iface_parse(&i, "nosuchdev0"), -ENODEV, "unknown name");
	ASSERT_EQ(iface_parse(&i, "999999"), -ENODEV, "unknown index");
	ASSERT_EQ(iface_parse(&i, "0123456789abcdefXYZ"), -ENODEV, "too long");
}

TEST(json_writer)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jw w;

	jw_begin(&w, f);
	jw_str(&w, "s", "a\"b\\c\n");
	jw_u64(&w, "u", 18446744073709551615ULL);
	jw_arr(&w, "a");
	jw_obj(&w, NULL);
	jw_i64(&w, "i", -1);
	jw_obj_end(&w);
	jw_obj(&w, NULL);
	jw_double(&w, "d", 0.5);
	jw_obj_end(&w);
	jw_arr_end(&w);
	jw_bool(&w, "b", true);
	/* bytes that are not UTF-8 become \u00XX; well-formed sequences pass as they are */
	jw_str(&w, "bad", "x\xff\xfe\xc3");		/* invalid bytes, a truncated sequence */
	jw_str(&w, "ok", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");	/* U+00E9 U+20AC U+1F600 */
	jw_str(&w, "overlong", "\xc0\xaf");
	jw_str(&w, "surrogate", "\xed\xa0\x80");
	jw_end(&w);
	fclose(f);
	ASSERT_TRUE(!strcmp(buf, "{\"s\":\"a\\\"b\\\\c\\u000a\",\"u\":18446744073709551615,"
				 "\"a\":[{\"i\":-1},{\"d\":0.500}],\"b\":true,"
				 "\"bad\":\"x\\u00ff\\u00fe\\u00c3\","
				 "\"ok\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
				 "\"overlong\":\"\\u00c0\\u00af\","
				 "\"surrogate\":\"\\u00ed\\u00a0\\u0080\"}\n"), buf);
	free(buf);
}

TEST(opts_number_messages)
{
	static const struct { const char *args, *msg; } cases[] = {
		{ "-d lo -n 101", "bad --num '101' (too large: at most 100)" },
		{ "-d lo -n 99999999999999999999", "(too large: at most 100)" },
		{ "-d lo -n 1e400", "(too large: at most 100)" },
		{ "-d lo -n 0", "(too small: at least 1)" },
		{ "-d lo -n -5", "(too small: at least 1)" },
		{ "-d lo -n 1.5", "(want a whole number)" },
		{ "-d lo -n abc", "(want a whole number)" },
		{ "-d lo -s 11", "bad --sec '11' (too large: at most 10)" },
		{ "-d lo -s x", "(want a number)" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct t_opts o;
		char msg[256];

		ASSERT_EQ(parse_msg(&o, cases[i].args, msg, sizeof(msg)), -EINVAL, cases[i].args);
		ASSERT_TRUE(strstr(msg, cases[i].msg), msg);
	}
}

/* An output whose reader stops reading never blocks: lines that do not fit are dropped whole
 * and counted; what arrives is whole lines, in order. */
TEST(out_blocked_reader_drops_whole_lines)
{
	struct out o = OUT_INIT;
	char line[64], got[8192];
	int p[2];
	ssize_t n;

	if (!ASSERT_OK(pipe(p), "pipe"))
		return;
	fcntl(p[1], 1031 /* F_SETPIPE_SZ */, 4096);
	if (!ASSERT_OK(out_open(&o, p[1], "test pipe", OUT_LINES), "out_open"))
		goto out;
	o.max = 1000;
	for (int i = 0; i < 500; i++) {
		snprintf(line, sizeof(line), "line %03d %s\n", i, "........................");
		fputs(line, o.f);
		fflush(o.f);
		out_pump(&o);			/* would block without our own O_NONBLOCK */
	}
	ASSERT_EQ(o.err, 0, "no error");
	ASSERT_TRUE(o.dropped > 0, "lines dropped");
	ASSERT_EQ(o.records + o.dropped, 500, "every line written, waiting or dropped");
	ASSERT_TRUE(o.len <= 1000, "bounded");
	ASSERT_TRUE(!(fcntl(p[1], F_GETFL) & O_NONBLOCK), "the shared description stays blocking");
	n = read(p[0], got, sizeof(got) - 1);
	got[n > 0 ? n : 0] = '\0';
	ASSERT_TRUE(n > 0 && got[n - 1] == '\n' && !strncmp(got, "line 000 ", 9), "whole lines");
out:
	out_close(&o);
	close(p[0]);
	close(p[1]);
}

/* Records are committed whole or dropped whole; a write error is kept and later output to the
 * failed destination is ignored. */
TEST(out_records_and_errors)
{
	struct out o = OUT_INIT;
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	if (!ASSERT_TRUE(fd >= 0, "open /dev/full"))
		return;
	if (!ASSERT_OK(out_open(&o, fd, "/dev/full", OUT_RECORDS), "out_open"))
		goto out;
	o.max = 100;
	fwrite("0123456789", 1, 10, o.f);
	out_record(&o);
	fwrite("x", 1, 1, o.f);
	for (int i = 0; i < 20; i++)
		fwrite("0123456789", 1, 10, o.f);	/* 201 bytes: more than max */
	out_record(&o);
	ASSERT_EQ(o.records, 1, "the small record is in");
	ASSERT_EQ(o.dropped, 1, "the large one dropped whole");
	ASSERT_EQ(out_pump(&o), -ENOSPC, "/dev/full: ENOSPC");
	ASSERT_EQ(o.records_written, 0, "nothing written");
	fwrite("more", 1, 4, o.f);
	ASSERT_EQ(out_record(&o), -ENOSPC, "error kept");
out:
	out_close(&o);
	close(fd);
}

/* A reader that went away: EPIPE (never SIGPIPE), and stdout's later output goes to stderr. */
TEST(out_closed_reader)
{
	struct out o = OUT_INIT;
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	if (!ASSERT_OK(pipe(p), "pipe"))
		return;
	close(p[0]);
	if (!ASSERT_OK(out_open(&o, p[1], "test pipe", OUT_LINES), "out_open"))
		goto out;
	fputs("hello\n", o.f);
	fflush(o.f);
	ASSERT_EQ(out_pump(&o), -EPIPE, "EPIPE");
	{
		int saved = dup(2), null = open("/dev/null", O_WRONLY);

		dup2(null, 2);		/* its one line is expected */
		ASSERT_EQ(out_end(&o, 0), EXIT_OUTPUT_CLOSED, "exit code 7");
		dup2(saved, 2);
		close(saved);
		close(null);
	}
out:
	out_close(&o);
	close(p[1]);
}

TEST(loop_fractional_interval_and_duration)
{
	struct loop l = LOOP_INIT;
	int ticks = 0, ev;
	__u64 t0 = now_ns(), dt;

	if (!ASSERT_OK(loop_init(&l, 0.05, 0.22), "loop_init"))
		goto out;
	while ((ev = loop_wait(&l)) == LOOP_TICK)
		ticks++;
	dt = now_ns() - t0;
	ASSERT_EQ(ev, LOOP_STOP, "duration stops the loop");
	ASSERT_EQ(ticks, 4, "ticks at 50, 100, 150, 200 ms");
	ASSERT_TRUE(dt >= 220000000ULL && dt < 1000000000ULL, "stopped at the deadline");
out:
	loop_close(&l);
}

TEST(loop_signal_stops)
{
	struct loop l = LOOP_INIT;

	if (!ASSERT_OK(loop_init(&l, 10, 0), "loop_init"))
		goto out;
	kill(getpid(), SIGTERM);	/* blocked: it waits in the signalfd */
	ASSERT_EQ(loop_wait(&l), LOOP_STOP, "SIGTERM stops");
	ASSERT_EQ(l.last_signal, SIGTERM, "signal recorded");
	kill(getpid(), SIGQUIT);
	ASSERT_EQ(loop_wait(&l), LOOP_TOGGLE, "SIGQUIT toggles");
out:
	loop_close(&l);
}

TEST(enum_names)
{
	ASSERT_TRUE(!strcmp(opt_enum_name(xdp_mode_names, XDP_MODE_SKB), "skb"), "skb");
	ASSERT_TRUE(!strcmp(opt_enum_name(t_actions, 42), "?"), "unknown value");
}

/* CPU lists as the kernel prints them: accepted with the CPUs they name, refused with the
 * reason and the CPU at fault. */
TEST(cpulist_accept_and_reject)
{
	static const struct {
		const char *s;
		int ret, bad;
		const char *want;	/* the CPUs set, as '1'/'0' for CPUs 0..7 */
		const char *in_order;	/* the CPUs in the order listed */
	} c[] = {
		{ "0", 1, -1, "10000000", "0" },
		{ "0-3,6", 5, -1, "11110010", "01236" },
		{ "7,1", 2, -1, "01000001", "71" },
		{ "2-2", 1, -1, "00100000", "2" },
		{ "5,0-4,7,6", 8, -1, "11111111", "50123476" },
		{ "", -EINVAL, -1, NULL, NULL },
		{ "a", -EINVAL, -1, NULL, NULL },
		{ "1,", -EINVAL, -1, NULL, NULL },
		{ ",1", -EINVAL, -1, NULL, NULL },
		{ "1,,2", -EINVAL, -1, NULL, NULL },
		{ "3-1", -EINVAL, -1, NULL, NULL },
		{ "1-", -EINVAL, -1, NULL, NULL },
		{ "-1", -EINVAL, -1, NULL, NULL },
		{ " 1", -EINVAL, -1, NULL, NULL },
		{ "1 ", -EINVAL, -1, NULL, NULL },
		{ "0x1", -EINVAL, -1, NULL, NULL },
		{ "8", -ERANGE, 8, NULL, NULL },
		{ "0-9", -ERANGE, 8, NULL, NULL },
		{ "99999999999", -ERANGE, 2147483647, NULL, NULL },
		{ "1,0-2", -EEXIST, 1, NULL, NULL },
		{ "3,3", -EEXIST, 3, NULL, NULL },
	};
	bool set[8];
	char got[9], what[64];
	int bad, order[8];

	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		int ret = cpulist_parse(c[i].s, set, 8, order, &bad);

		snprintf(what, sizeof(what), "'%s': result", c[i].s);
		ASSERT_EQ(ret, c[i].ret, what);
		snprintf(what, sizeof(what), "'%s': the CPU at fault", c[i].s);
		ASSERT_EQ(bad, c[i].bad, what);
		if (!c[i].want)
			continue;
		for (int k = 0; k < 8; k++)
			got[k] = set[k] ? '1' : '0';
		got[8] = '\0';
		snprintf(what, sizeof(what), "'%s': the CPUs", c[i].s);
		ASSERT_TRUE(!strcmp(got, c[i].want), what);
		for (int k = 0; k < ret; k++)
			got[k] = (char)('0' + order[k]);
		got[ret] = '\0';
		snprintf(what, sizeof(what), "'%s': the CPUs in order", c[i].s);
		ASSERT_TRUE(!strcmp(got, c[i].in_order), what);
	}
}

TEST(cpulist_format_round_trips)
{
	static const char *const lists[] = { "", "0", "0-3,6", "1,3,5,7", "0-7", "2-3,5-6" };
	char buf[64], small[6], what[64];
	bool set[8];
	int bad;

	for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
		if (lists[i][0])
			cpulist_parse(lists[i], set, 8, NULL, &bad);
		else
			memset(set, 0, sizeof(set));
		snprintf(what, sizeof(what), "'%s' formatted back", lists[i]);
		ASSERT_TRUE(!strcmp(cpulist_format(buf, sizeof(buf), set, 8), lists[i]), what);
	}
	cpulist_parse("1,3,5,7", set, 8, NULL, &bad);
	ASSERT_TRUE(!strcmp(cpulist_format(small, sizeof(small), set, 8), "1,..."),
		    "cut with ... when too long");
}

/* A file of the fake sysfs/procfs tree under root, its directories made as needed. */
static void tree_put(const char *root, const char *path, const char *text)
{
	char full[512], cmd[600];
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", full);
	if (system(cmd))
		return;
	if (!text) {		/* a directory (an interrupt's action) */
		snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", full);
		ASSERT_EQ(system(cmd), 0, "mkdir");
		return;
	}
	f = fopen(full, "w");
	if (ASSERT_TRUE(f != NULL, "create a file of the tree")) {
		fputs(text, f);
		fclose(f);
	}
}

/* One interrupt of the tree: /proc/irq/N/NAME/ and its effective affinity; listed in
 * DEV_DIR/msi_irqs unless dev_dir is NULL. */
static void tree_irq(const char *root, const char *dev_dir, int irq, const char *name,
		     const char *cpus)
{
	char path[256];

	snprintf(path, sizeof(path), "/proc/irq/%d/%s", irq, name);
	tree_put(root, path, NULL);
	snprintf(path, sizeof(path), "/proc/irq/%d/effective_affinity_list", irq);
	tree_put(root, path, cpus);
	if (!dev_dir)
		return;
	snprintf(path, sizeof(path), "%s/msi_irqs/%d", dev_dir, irq);
	tree_put(root, path, "msix\n");
}

/* The queue's interrupt found by name among the device's (or its parent's, as for virtio), its
 * affinity read; unknown, and why, when no single interrupt is the queue's. */
TEST(queue_irq_from_sysfs_and_procfs)
{
	char root[] = "/tmp/.unit-irq.XXXXXX", cmd[64], cpus[32];
	struct queue_irq qi;
	bool set[8];
	int n;

	if (!ASSERT_TRUE(mkdtemp(root) != NULL, "mkdtemp"))
		return;
	/* a NIC: one TxRx vector per queue, a misc one */
	tree_put(root, "/sys/class/net/eth0/threaded", "0\n");
	tree_irq(root, "/sys/class/net/eth0/device", 40, "eth0", "0\n");
	tree_irq(root, "/sys/class/net/eth0/device", 41, "eth0-TxRx-0", "2\n");
	tree_irq(root, "/sys/class/net/eth0/device", 42, "eth0-TxRx-1", "3\n");
	tree_irq(root, "/sys/class/net/eth0/device", 43, "eth0-TxRx-11", "5-6\n");
	n = queue_irq_cpus(root, "eth0", 1, set, 8, &qi);
	ASSERT_EQ(n, 1, "eth0 queue 1: one CPU");
	ASSERT_EQ(qi.irq, 42, "eth0 queue 1: its interrupt");
	ASSERT_TRUE(!strcmp(qi.name, "eth0-TxRx-1"), "eth0 queue 1: the interrupt's name");
	ASSERT_TRUE(!strcmp(cpulist_format(cpus, sizeof(cpus), set, 8), "3"), "on CPU 3");
	n = queue_irq_cpus(root, "eth0", 11, set, 8, &qi);
	ASSERT_EQ(n, 2, "eth0 queue 11: two CPUs (not queue 1's)");
	ASSERT_TRUE(!strcmp(cpulist_format(cpus, sizeof(cpus), set, 8), "5-6"), "on CPUs 5-6");
	n = queue_irq_cpus(root, "eth0", 7, set, 8, &qi);
	ASSERT_EQ(n, 0, "eth0 queue 7: no interrupt named for it");
	ASSERT_EQ(qi.irq, -1, "no interrupt");
	ASSERT_TRUE(qi.why && strstr(qi.why, "no interrupt is named"), "why");
	/* mlx5: the name goes on after an '@'; a completion vector per channel */
	tree_irq(root, "/sys/class/net/mlx0/device", 60, "mlx5_async0@pci:0000:3b:00.0", "0\n");
	tree_irq(root, "/sys/class/net/mlx0/device", 61, "mlx5_comp0@pci:0000:3b:00.0", "4\n");
	tree_irq(root, "/sys/class/net/mlx0/device", 62, "mlx5_comp1@pci:0000:3b:00.0", "7\n");
	n = queue_irq_cpus(root, "mlx0", 0, set, 8, &qi);
	ASSERT_EQ(qi.irq, 61, "mlx5 queue 0: comp0, not async0 (whose name also ends in 0)");
	ASSERT_TRUE(n == 1 && set[4], "on CPU 4");
	/* virtio: the vectors belong to the PCI parent of the virtio device */
	tree_irq(root, "/sys/class/net/vnet0/device/..", 37, "virtio2-config", "0\n");
	tree_irq(root, "/sys/class/net/vnet0/device/..", 38, "virtio2-input.0", "1\n");
	tree_irq(root, "/sys/class/net/vnet0/device/..", 39, "virtio2-output.0", "0\n");
	n = queue_irq_cpus(root, "vnet0", 0, set, 8, &qi);
	ASSERT_EQ(qi.irq, 38, "virtio queue 0: input.0, not output.0");
	ASSERT_TRUE(n == 1 && set[1], "on CPU 1");
	/* separate rx and tx vectors with the same number */
	tree_irq(root, "/sys/class/net/eth2/device", 70, "eth2-tx-0", "0\n");
	tree_irq(root, "/sys/class/net/eth2/device", 71, "eth2-rx-0", "1\n");
	n = queue_irq_cpus(root, "eth2", 0, set, 8, &qi);
	ASSERT_TRUE(qi.irq == 71 && n == 1 && set[1], "eth2 queue 0: the rx vector");
	/* a legacy device: its one interrupt, whatever its name; smp_affinity_list only */
	tree_put(root, "/sys/class/net/old0/device/irq", "11\n");
	tree_put(root, "/proc/irq/11/old0", NULL);
	tree_put(root, "/proc/irq/11/smp_affinity_list", "0-1\n");
	n = queue_irq_cpus(root, "old0", 0, set, 8, &qi);
	ASSERT_TRUE(qi.irq == 11 && n == 2 && set[0] && set[1], "legacy: its one interrupt");
	/* veth: nothing of its own; threaded NAPI: the scheduler decides */
	tree_put(root, "/sys/class/net/veth1/threaded", "0\n");
	n = queue_irq_cpus(root, "veth1", 0, set, 8, &qi);
	ASSERT_TRUE(n == 0 && qi.irq == -1 && qi.why && strstr(qi.why, "no interrupt of its own"),
		    "veth: unknown, no interrupt");
	tree_put(root, "/sys/class/net/eth0/threaded", "1\n");
	n = queue_irq_cpus(root, "eth0", 1, set, 8, &qi);
	ASSERT_TRUE(n == 0 && qi.why && strstr(qi.why, "threaded"), "threaded NAPI: unknown");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ASSERT_EQ(system(cmd), 0, "remove the tree");
}

/* ---------------------------------------------------------------- frame.c */

TEST(csum_rfc1071_example)
{
	static const __u8 b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	static const __u8 odd[] = { 0x12, 0x34, 0x56 };

	/* RFC 1071 4.1: the words add up to 0x2ddf0, 0xddf2 folded */
	ASSERT_EQ(csum_add(0, b, sizeof(b)), 0x2ddf0, "sum");
	ASSERT_EQ(csum_fold(csum_add(0, b, sizeof(b))), 0x220d, "folded, inverted");
	ASSERT_EQ(csum_add(0, odd, sizeof(odd)), 0x1234 + 0x5600, "odd last byte padded");
	ASSERT_EQ(csum_add(7, b, 0), 7, "nothing added");
}

TEST(mac_parse_accepts_and_rejects)
{
	static const char *const bad[] = { "", "02:00:00:00:00", "02:00:00:00:00:0b:", "02:00:00:00:00:100",
					   "02-00-00-00-00-0b", "zz:00:00:00:00:0b", "02:00:00:00:00:0b x" };
	static const __u8 want[ETH_ALEN] = { 0x02, 0, 0xab, 0xcd, 0xef, 0x0b };
	__u8 mac[ETH_ALEN];

	ASSERT_OK(mac_parse("02:00:ab:CD:ef:b", mac), "valid MAC");
	ASSERT_MEMEQ(mac, want, ETH_ALEN, "its bytes");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ASSERT_EQ(mac_parse(bad[i], mac), -EINVAL, bad[i]);
	ASSERT_EQ(mac_parse(NULL, mac), -EINVAL, "NULL");
}

/* Known answers computed apart from frame.c (RFC 791/768/8200 by hand, in Python). */
TEST(frame_udp_ipv4_vlan_known_answer)
{
	struct frame_spec s = { .dst = { 2, 0, 0, 0, 0, 0x0b }, .src = { 2, 0, 0, 0, 0, 0x0a },
				.vlan = { 7 }, .nvlan = 1, .ttl = 64, .ip_id = 1, .df = true,
				.sport = 9000, .dport = 9 };
	static const __u8 hdr[46] = {
		2, 0, 0, 0, 0, 0x0b, 2, 0, 0, 0, 0, 0x0a, 0x81, 0x00, 0x00, 0x07, 0x08, 0x00,
		0x45, 0x00, 0x00, 46, 0x00, 0x01, 0x40, 0x00, 64, 17, 0x25, 0x2c,
		10, 200, 0, 1, 10, 200, 0, 2,
		0x23, 0x28, 0x00, 0x09, 0x00, 26, 0xdf, 0x05,
	};
	__u8 f[64 + 1];
	int off;

	memset(f, 0xee, sizeof(f));
	ASSERT_OK(frame_addrs(&s, "10.200.0.1", "10.200.0.2"), "addresses");
	ASSERT_TRUE(!s.v6, "IPv4");
	ASSERT_EQ(frame_udp_hlen(&s), 46, "header length");
	off = frame_udp(f, 64, &s);
	ASSERT_EQ(off, 46, "payload offset");
	for (int i = off; i < 64; i++)
		f[i] = (__u8)i;
	frame_udp_csum(f, 64, &s);
	ASSERT_MEMEQ(f, hdr, sizeof(hdr), "headers and checksums");
	ASSERT_EQ(f[64], 0xee, "nothing written past the frame");
	ASSERT_EQ(csum_fold(csum_add(0, f + 18, 20)), 0, "IPv4 header sums to zero");
	ASSERT_EQ(frame_udp(f, 45, &s), -EINVAL, "too short for the headers");
	ASSERT_EQ(frame_udp(f, 18 + 65536, &s), -EINVAL, "too long for tot_len");
}

TEST(frame_udp_ipv6_qinq_known_answer)
{
	struct frame_spec s = { .dst = { 2, 0, 0, 0, 0, 0x0b }, .src = { 2, 0, 0, 0, 0, 0x0a },
				.vlan = { 100, 200 }, .nvlan = 2, .ttl = 5, .sport = 1234,
				.dport = 5678 };
	static const __u8 hdr[70] = {
		2, 0, 0, 0, 0, 0x0b, 2, 0, 0, 0, 0, 0x0a, 0x88, 0xa8, 0, 100, 0x81, 0x00, 0, 200,
		0x86, 0xdd,
		0x60, 0, 0, 0, 0, 38, 17, 5,
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		0x04, 0xd2, 0x16, 0x2e, 0, 38, 0xf9, 0x9d,
	};
	__u8 f[100];
	int off;

	ASSERT_OK(frame_addrs(&s, "fd00::1", "fd00::2"), "addresses");
	ASSERT_TRUE(s.v6, "IPv6");
	ASSERT_EQ(frame_addrs(&s, "10.0.0.1", "fd00::2"), -EAFNOSUPPORT, "mixed families");
	ASSERT_EQ(frame_addrs(&s, "10.0.0.1", "bogus"), -EAFNOSUPPORT, "not an address");
	ASSERT_TRUE(s.v6, "a refused pair changes nothing");
	off = frame_udp(f, sizeof(f), &s);
	ASSERT_EQ(off, 70, "payload offset");
	for (int i = off; i < (int)sizeof(f); i++)
		f[i] = (__u8)i;
	frame_udp_csum(f, sizeof(f), &s);
	ASSERT_MEMEQ(f, hdr, sizeof(hdr), "headers and checksum");
}

/* A UDP checksum that computes to 0 goes on the wire as 0xffff (0 means "none", RFC 768). */
TEST(frame_udp_zero_checksum_sent_as_ffff)
{
	struct frame_spec s = { .ttl = 1 };
	__u8 f[64] = {};
	__u16 c;
	int off;

	frame_addrs(&s, "192.0.2.1", "192.0.2.2");
	off = frame_udp(f, sizeof(f), &s);
	ASSERT_EQ(off, 42, "payload offset");
	frame_udp_csum(f, sizeof(f), &s);
	c = get_be16(f + 40);
	/* the last payload word equal to the checksum with it zero makes the sum 0xffff */
	put_be16(f + 62, c);
	frame_udp_csum(f, sizeof(f), &s);
	ASSERT_EQ(get_be16(f + 40), 0xffff, "UDP checksum 0 sent as 0xffff");
}

int main(int argc, char **argv)
{
	return test_main(argc, argv, "unit");
}
