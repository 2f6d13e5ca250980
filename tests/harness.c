// SPDX-License-Identifier: GPL-2.0
/* harness.c: registry, assertions and the runner behind harness.h. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Test-runner state (tests only; the tools themselves keep no mutable globals). */
static struct test_def *tests, **tests_tail = &tests;
static bool cur_failed, cur_skipped;
static char skip_reason[256];

void test_register(struct test_def *t)
{
	*tests_tail = t;	/* registration order = file order */
	tests_tail = &t->next;
}

bool test_check(bool ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	cur_failed = true;
	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return false;
}

void test_skip(const char *fmt, ...)
{
	va_list ap;

	cur_skipped = true;
	va_start(ap, fmt);
	vsnprintf(skip_reason, sizeof(skip_reason), fmt, ap);
	va_end(ap);
}

bool test_streq(const char *a, const char *b, const char *file, int line, const char *what)
{
	if (a && b && !strcmp(a, b))
		return true;
	return test_check(false, file, line, "%s: got \"%s\", want \"%s\"", what, a ? a : "(null)",
			  b ? b : "(null)");
}

/* Both buffers in hex from the first differing byte (at most 16 bytes of each). */
bool test_memeq(const void *a, const void *b, size_t len, const char *file, int line,
		const char *what)
{
	const unsigned char *x = a, *y = b;
	char hx[3 * 16 + 1] = "", hy[3 * 16 + 1] = "";
	size_t i = 0, n;

	while (i < len && x[i] == y[i])
		i++;
	if (i == len)
		return true;
	n = len - i < 16 ? len - i : 16;
	for (size_t k = 0; k < n; k++) {
		snprintf(hx + 3 * k, 4, "%02x ", x[i + k]);
		snprintf(hy + 3 * k, 4, "%02x ", y[i + k]);
	}
	return test_check(false, file, line, "%s: differ at byte %zu of %zu: got %s, want %s", what,
			  i, len, hx, hy);
}

bool test_skipped(void)
{
	return cur_skipped;
}

static bool selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return true;
	return false;
}

/* Runs the tests whose names contain any argument (all without arguments). */
int test_main(int argc, char **argv, const char *suite)
{
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (struct test_def *t = tests; t; t = t->next) {
		if (!selected(t->name, argc, argv))
			continue;
		cur_failed = cur_skipped = false;
		skip_reason[0] = '\0';
		t->fn();
		fflush(stderr);
		if (cur_skipped && !skip_reason[0] && !cur_failed) {
			fprintf(stderr, "  skipped without a reason\n");
			cur_failed = true;
		}
		if (cur_failed) {
			printf("FAIL %s.%s\n", suite, t->name);
			failed++;
		} else if (cur_skipped) {
			printf("SKIP %s.%s: %s\n", suite, t->name, skip_reason);
		} else {
			printf("PASS %s.%s\n", suite, t->name);
		}
	}
	return failed ? 1 : 0;
}
