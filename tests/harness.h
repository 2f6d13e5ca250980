/* SPDX-License-Identifier: GPL-2.0 */
/*
 * harness.h: the C test harness (test_progs shape). TEST(name) registers a test; ASSERT_*
 * report file:line and return bool so a test can `goto out` to its cleanup; SKIP() ends a test
 * with a reason (a skip without one is a failure). Each test prints one line: "PASS name", "FAIL name" or "SKIP name: reason";
 * tests/run.sh counts those lines into the final "N passed, N failed".
 */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct test_def {
	const char *name;
	void (*fn)(void);
	struct test_def *next;
};

void test_register(struct test_def *t);
bool test_check(bool ok, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool test_skipped(void);
bool test_streq(const char *a, const char *b, const char *file, int line, const char *what);
bool test_memeq(const void *a, const void *b, size_t len, const char *file, int line,
		const char *what);
int test_main(int argc, char **argv, const char *suite);

#define TEST(name)                                                                               \
	static void test_##name(void);                                                           \
	static struct test_def test_def_##name = { #name, test_##name, NULL };                   \
	__attribute__((constructor)) static void test_reg_##name(void)                           \
	{                                                                                        \
		test_register(&test_def_##name);                                                 \
	}                                                                                        \
	static void test_##name(void)

#define ASSERT_TRUE(c, what) test_check(!!(c), __FILE__, __LINE__, "%s", what)
#define ASSERT_EQ(a, b, what)                                                                    \
	({                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                             \
		test_check(_a == _b, __FILE__, __LINE__, "%s: got %lld, want %lld", what, _a,  \
			   _b);                                                                 \
	})
#define ASSERT_OK(e, what)                                                                       \
	({                                                                                       \
		long long _e = (long long)(e);                                                   \
		test_check(_e == 0, __FILE__, __LINE__, "%s: error %lld", what, _e);             \
	})
#define ASSERT_STREQ(a, b, what) test_streq((a), (b), __FILE__, __LINE__, what)
#define ASSERT_MEMEQ(a, b, len, what) test_memeq((a), (b), (len), __FILE__, __LINE__, what)
#define ASSERT_OK_PTR(p, what) test_check((p) != NULL, __FILE__, __LINE__, "%s: NULL", what)
#define SKIP(...) test_skip(__VA_ARGS__)

#endif /* TESTS_HARNESS_H */
