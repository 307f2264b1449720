/* SPDX-License-Identifier: MIT */
/*
 * Retry policy: which answers are worth another attempt, and how long to wait.
 * Exponential backoff with full jitter; a server's Retry-After is honoured
 * (within the cap).  Pure apart from the jitter's random numbers.
 */
#ifndef BUCKETFS_RETRY_H
#define BUCKETFS_RETRY_H

#include <stdbool.h>

struct bfs_retry_policy {
	unsigned max_retries; /* attempts after the first */
	unsigned base_ms;     /* first backoff ceiling */
	unsigned cap_ms;      /* no single wait is longer */
};

/* HTTP statuses that are transient: 408, 429, 500, 502, 503, 504. */
bool bfs_retry_status_retryable(long status);

/* Milliseconds to wait before retry number @retry (1 = first retry).
 * @retry_after_s is the server's Retry-After, or -1. */
unsigned bfs_retry_delay_ms(const struct bfs_retry_policy *p, unsigned retry, long retry_after_s);

#endif
