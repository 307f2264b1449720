/* SPDX-License-Identifier: MIT */
/*
 * An in-memory object store behind the backend interface, for unit tests:
 * objects are byte arrays with an ETag; ranged GETs check the pin like a
 * real store, and faults can be injected (errors, delays, short answers),
 * while every GET is recorded.
 */
#ifndef BFS_MEM_BACKEND_H
#define BFS_MEM_BACKEND_H

#include "bucketfs/backend.h"

struct mem_get {
	char *key;
	uint64_t off;
	size_t len;
};

struct bfs_backend *mem_backend_new(void);
/* Store (or replace) @key; returns its new ETag (owned by the backend). */
const char *mem_put(struct bfs_backend *be, const char *key, const void *data, size_t len);
/* The next @n GETs fail with @err (0 to stop). */
void mem_fail_next(struct bfs_backend *be, unsigned n, int err);
/* Fail each GET with probability @p (0..1) with EIO: transient faults. */
void mem_fail_randomly(struct bfs_backend *be, double p);
/* Every GET sleeps @ms first. */
void mem_set_delay(struct bfs_backend *be, unsigned ms);
/* GETs so far; the array is the backend's (read it after the reads are done). */
GPtrArray *mem_gets(struct bfs_backend *be);
unsigned mem_max_concurrent(struct bfs_backend *be);
void mem_reset_log(struct bfs_backend *be);

#endif
