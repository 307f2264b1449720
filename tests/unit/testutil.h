/* SPDX-License-Identifier: MIT */
/* Shared scaffolding for the Check unit tests. */
#ifndef BFS_TESTUTIL_H
#define BFS_TESTUTIL_H

#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
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

/* Remove a flat temporary directory made by a test, and free its name. */
static inline void bfs_test_remove_dir(char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *n;

	while (d && (n = g_dir_read_name(d))) {
		char *p = g_build_filename(dir, n, NULL);

		g_unlink(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(dir);
	g_free(dir);
}

#endif
