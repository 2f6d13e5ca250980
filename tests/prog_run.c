// SPDX-License-Identifier: GPL-2.0
/* prog_run: BPF_PROG_TEST_RUN tests of every *_kern.c (test files: tests/prog_<tool>.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "common_user.h"
#include "prog_run.h"

int main(int argc, char **argv)
{
	log_setup(0);
	if (unshare(CLONE_NEWNET)) {
		printf("SKIP prog.all: cannot create a private network namespace (%s); run as root\n",
		       strerror(errno));
		return 0;
	}
	sh("ip link set lo up");
	return test_main(argc, argv, "prog");
}
