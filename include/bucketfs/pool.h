/* SPDX-License-Identifier: MIT */
/*
 * The buffer pool: reusable, page-aligned data buffers in size classes.
 *
 * A buffer is taken for a size and comes from the smallest class that fits
 * (a size above the largest class gets an exact-size buffer that is freed,
 * not pooled).  Buffers are refcounted: the taker holds one reference, and
 * every further holder (a cache extent, a reply in flight, a range request)
 * takes its own; when the last one lets go, the buffer goes back to its
 * class's idle list, or is freed if that list is full (buffer_pool_size) or
 * the pool is off.  A class unused for idle_shrink seconds frees its idle
 * buffers to the OS (bfs_pool_shrink_idle(), called periodically).
 *
 * One cap covers every byte the pool holds, idle or in use: a take that
 * would pass it first frees idle buffers of other classes, and fails with
 * ENOMEM if that is not enough.  Memory is mmap'd, so a freed buffer's pages
 * really go back to the OS.
 *
 * Thread-safe: one mutex per pool; reference counts are atomic.
 */
#ifndef BUCKETFS_POOL_H
#define BUCKETFS_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BFS_POOL_MAX_CLASSES 12

struct bfs_pool;

struct bfs_buf {
	void *data;	       /* page-aligned */
	size_t cap;	       /* usable bytes (the class size, or the exact size) */
	struct bfs_pool *pool; /* owner */
	int class_idx;	       /* its class (for statistics), -1: exact-size */
	bool pooled;	       /* goes back to an idle list when released */
	int refs;	       /* atomic */
};

struct bfs_pool_conf {
	size_t classes[BFS_POOL_MAX_CLASSES]; /* ascending; 0-terminated if fewer */
	unsigned max_idle_per_class;	      /* buffer_pool_size */
	size_t max_bytes;		      /* cap on all bytes held */
	double idle_shrink_s;		      /* pool_idle_shrink */
	bool enabled;			      /* false: allocate and free every time */
	bool poison;			      /* fill 0xAA on take, 0x55 on return */
};

struct bfs_pool_class_stats {
	size_t size;
	uint64_t taken;
	uint64_t returned;
	uint64_t fresh;	 /* takes that allocated */
	uint64_t reused; /* takes served from the idle list */
	uint64_t bytes_held;
	uint64_t bytes_in_use;
	uint64_t high_water; /* of bytes_held */
	unsigned idle;
};

struct bfs_pool_stats {
	unsigned n_classes;
	struct bfs_pool_class_stats cls[BFS_POOL_MAX_CLASSES];
	struct bfs_pool_class_stats total; /* exact-size buffers included */
	uint64_t shrunk;		   /* idle buffers freed by shrinking */
	uint64_t refused;		   /* takes refused by the cap */
	uint64_t overdrafts;		   /* takes allowed past the cap */
};

/* The default classes: 64 KiB to 2 MiB in powers of two (random reads,
 * small objects, unaligned kernel requests), then 4, 16, 64 and 256 MiB as
 * in the seed design. */
void bfs_pool_default_conf(struct bfs_pool_conf *conf);

int bfs_pool_create(const struct bfs_pool_conf *conf, struct bfs_pool **out);
/* Frees idle buffers.  Buffers still referenced stay valid and are freed
 * when released; the pool itself goes with the last of them. */
void bfs_pool_destroy(struct bfs_pool **pool);

/* The bytes a take of @size would hold (its class size, or @size rounded
 * to pages): what a user of the pool should budget. */
size_t bfs_pool_cost(struct bfs_pool *pool, size_t size);

/* Add @size as a class (if it is not one) so buffers of exactly that size
 * waste nothing; for the range engine's part size.  Before any take. */
int bfs_pool_conf_add_class(struct bfs_pool_conf *conf, size_t size);

/* A buffer of at least @size bytes with one reference: 0 or ENOMEM. */
int bfs_pool_take(struct bfs_pool *pool, size_t size, struct bfs_buf **out);
/* The same, past the cap if it must (counted as an overdraft): for the one
 * caller that must make progress whatever the cap says, and that bounds how
 * much it takes this way itself.  ENOMEM only if the OS has no memory. */
int bfs_pool_take_overdraft(struct bfs_pool *pool, size_t size, struct bfs_buf **out);
void bfs_buf_ref(struct bfs_buf *buf);
void bfs_buf_unref(struct bfs_buf *buf);

/* Free the idle buffers of classes unused for idle_shrink seconds, as of
 * @now_us (g_get_monotonic_time()).  Returns how many were freed. */
unsigned bfs_pool_shrink_idle(struct bfs_pool *pool, int64_t now_us);

void bfs_pool_get_stats(struct bfs_pool *pool, struct bfs_pool_stats *out);

#endif
