/* SPDX-License-Identifier: MIT */
/* Shared scaffolding for the Check unit tests. */
#ifndef BFS_TESTUTIL_H
#define BFS_TESTUTIL_H

#include <check.h>
#include <stdlib.h>

static inline int bfs_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
