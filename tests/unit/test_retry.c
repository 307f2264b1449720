// SPDX-License-Identifier: MIT
#include "bucketfs/retry.h"

#include "testutil.h"

START_TEST(statuses)
{
	static const long yes[] = {408, 429, 500, 502, 503, 504};
	static const long no[] = {200, 206, 301, 400, 403, 404, 412, 416, 501};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert(bfs_retry_status_retryable(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert(!bfs_retry_status_retryable(no[i]));
}
END_TEST

START_TEST(backoff_grows_within_bounds)
{
	struct bfs_retry_policy p = {10, 100, 2000};

	for (int k = 0; k < 200; k++) {
		unsigned d1 = bfs_retry_delay_ms(&p, 1, -1), d3 = bfs_retry_delay_ms(&p, 3, -1);
		unsigned d9 = bfs_retry_delay_ms(&p, 9, -1);

		ck_assert(d1 >= 50 && d1 <= 100);
		ck_assert(d3 >= 200 && d3 <= 400);
		ck_assert(d9 >= 1000 && d9 <= 2000);
	}
	/* Retry-After is honoured, within the cap. */
	ck_assert_uint_eq(bfs_retry_delay_ms(&p, 1, 1), 1000);
	ck_assert_uint_eq(bfs_retry_delay_ms(&p, 1, 60), 2000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("retry");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, statuses);
	tcase_add_test(tc, backoff_grows_within_bounds);
	suite_add_tcase(s, tc);
	return bfs_run_suite(s);
}
