// SPDX-License-Identifier: GPL-2.0
/* unit_common: tests of common_user.c that need no privileges. */
#define _GNU_SOURCE
#include <errno.h>
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

struct t_opts {
	struct iface dev;
	struct iface_list list;
	int action;
	__u32 n;
	double sec;
	bool flag;
	int verbose;
	const char *name;
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
static const struct opt_tool t_tool = { .name = "unit", .summary = "s", .usage = "u",
					.defs = t_defs };

static int parse(struct t_opts *o, const char *line)
{
	static char copy[512];	/* parsed strings point into it: keep it past the call */
	char *argv[32], *save = NULL;
	int argc = 0, err;
	FILE *null = fopen("/dev/null", "w");
	int saved = dup(2);

	snprintf(copy, sizeof(copy), "%s", line);
	argv[argc++] = "unit";
	for (char *t = strtok_r(copy, " ", &save); t && argc < 31; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	memset(o, 0, sizeof(*o));
	dup2(fileno(null), 2);	/* the one-line errors are expected here */
	err = opts_parse(argc, argv, &t_tool, o);
	dup2(saved, 2);
	close(saved);
	fclose(null);
	return err;
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
	jw_end(&w);
	fclose(f);
	ASSERT_TRUE(!strcmp(buf, "{\"s\":\"a\\\"b\\\\c\\u000a\",\"u\":18446744073709551615,"
				 "\"a\":[{\"i\":-1},{\"d\":0.500}],\"b\":true}\n"),
		    buf);
	free(buf);
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
