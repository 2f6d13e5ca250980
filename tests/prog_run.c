// SPDX-License-Identifier: GPL-2.0
/*
 * prog_run: BPF_PROG_TEST_RUN tests of every *_kern.c (test files: tests/prog_<tool>.c).
 * Arguments pick tests by part of their name. PROG_VERBOSE=1 shows libbpf's warnings (with the
 * verifier log of a program that failed to load), PROG_VERBOSE=2 everything libbpf says.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common_user.h"
#include "prog_run.h"

int main(int argc, char **argv)
{
	const char *v = getenv("PROG_VERBOSE");

	log_setup(v ? atoi(v) : 0);
	if (unshare(CLONE_NEWNET)) {
		printf("SKIP prog.all: cannot create a private network namespace (%s); run as root\n",
		       strerror(errno));
		return 0;
	}
	sh("ip link set lo up");
	return test_main(argc, argv, "prog");
}
