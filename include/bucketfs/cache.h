/* SPDX-License-Identifier: MIT */
/*
 * The block cache and range engine: a struct bfs_reader that turns reads
 * into ranged GETs filling pooled buffers, keeps those buffers as
 * page-aligned extents of each object version, and gives them back to the
 * pool when it evicts them.  See the essay at the top of cache.c.
 */
#ifndef BUCKETFS_CACHE_H
#define BUCKETFS_CACHE_H

#include "bucketfs/backend.h"
#include "bucketfs/pool.h"
#include "bucketfs/reader.h"

struct bfs_cache;

struct bfs_cache_conf {
	size_t cache_size;    /* the one memory budget: cached + in flight + read-ahead */
	size_t part_size;     /* largest single ranged GET */
	unsigned max_ranges;  /* ranged GETs at once */
	size_t min_readahead; /* first read-ahead window of a sequential reader */
	size_t max_readahead; /* largest window */
	size_t block;	      /* alignment of extents: a power of two >= 4 KiB */
};

struct bfs_cache_stats {
	uint64_t reads;
	uint64_t hits;	 /* reads answered from cached extents alone */
	uint64_t misses; /* reads that started at least one fetch */
	uint64_t joined; /* reads that waited on another read's fetch */
	uint64_t fetches;
	uint64_t fetch_errors;
	uint64_t bytes_fetched;
	uint64_t prefetches;
	uint64_t prefetch_bytes;
	uint64_t prefetch_cancelled;
	uint64_t prefetch_skipped; /* read-ahead not issued: budget spent */
	uint64_t evictions;
	uint64_t bytes_cached; /* extents held, filling ones included */
	uint64_t extents;
};

/* Sets the defaults: cache_size from @ram_bytes (1/16, within 64 MiB..1 GiB),
 * part_size 8 MiB, max_ranges 4, read-ahead 1 MiB..64 MiB, block 64 KiB. */
void bfs_cache_default_conf(struct bfs_cache_conf *conf, uint64_t ram_bytes);

/* @be and @pool are borrowed.  Starts the fetch workers and the
 * maintenance thread (which also shrinks the pool's idle classes). */
int bfs_cache_create(const struct bfs_cache_conf *conf, struct bfs_backend *be,
		     struct bfs_pool *pool, struct bfs_cache **out);
void bfs_cache_destroy(struct bfs_cache **cache);

struct bfs_reader *bfs_cache_reader(struct bfs_cache *cache);
void bfs_cache_get_stats(struct bfs_cache *cache, struct bfs_cache_stats *out);

#endif
