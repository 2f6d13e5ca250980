// SPDX-License-Identifier: GPL-2.0
/* unit_common: tests of common_user.c that need no privileges. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common_user.h"
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

int main(int argc, char **argv)
{
	return test_main(argc, argv, "unit");
}
