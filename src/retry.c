// SPDX-License-Identifier: MIT
#include "bucketfs/retry.h"

#include <glib.h>

bool bfs_retry_status_retryable(long status)
{
	return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
	       status == 504;
}

unsigned bfs_retry_delay_ms(const struct bfs_retry_policy *p, unsigned retry, long retry_after_s)
{
	guint64 ceiling = p->base_ms;
	unsigned wait;

	for (unsigned i = 1; i < retry && ceiling < p->cap_ms; i++)
		ceiling *= 2;
	if (ceiling > p->cap_ms)
		ceiling = p->cap_ms;
	/* Full jitter: uniform in [ceiling/2, ceiling], so waits never collapse to 0. */
	wait = (unsigned)(ceiling / 2 +
			  (ceiling > 1 ? g_random_int_range(0, (gint32)(ceiling / 2 + 1)) : 0));
	if (retry_after_s >= 0 && (guint64)retry_after_s * 1000 > wait)
		wait = (guint64)retry_after_s * 1000 > p->cap_ms ? p->cap_ms
								 : (unsigned)retry_after_s * 1000;
	return wait;
}
