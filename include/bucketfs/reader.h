/* SPDX-License-Identifier: MIT */
/*
 * The reader interface: how a FUSE read of an open file becomes bytes.
 *
 * The FUSE layer hands a pinned file (key, ETag and size seen at open) and a
 * byte range to a reader, and the reader calls @done exactly once, with the
 * bytes or an errno, from any thread, before or after read() returns.  The
 * iovec is valid only during the call.  This lets a reader answer from a
 * cache or from an HTTP completion without a FUSE thread waiting on it.
 *
 * The reader is the block cache (cache.h: pooled buffers, range engine,
 * read-ahead); tests may plug in their own.
 */
#ifndef BUCKETFS_READER_H
#define BUCKETFS_READER_H

#include "bucketfs/backend.h"

#include <sys/uio.h>

struct bfs_file_pin {
	char *key;
	char *etag; /* NULL when the server gave none */
	uint64_t size;
	void *stream; /* the reader's per-open state (from open()), or NULL */
};

typedef void (*bfs_read_done_fn)(void *ctx, int err, const struct iovec *iov, int iovcnt);

struct bfs_reader;

struct bfs_reader_ops {
	const char *name;
	/* Per-open state, e.g. an access-pattern detector; NULL if none.
	 * close() lets go of it (and of speculative work nobody waits for). */
	void *(*open)(struct bfs_reader *rd, const struct bfs_file_pin *pin);
	void (*close)(struct bfs_reader *rd, void *stream);
	/* Read [off, off+len) of @pin, clamped to its size. */
	void (*read)(struct bfs_reader *rd, const struct bfs_file_pin *pin, uint64_t off,
		     size_t len, bfs_read_done_fn done, void *ctx);
	void (*destroy)(struct bfs_reader *rd);
};

struct bfs_reader {
	const struct bfs_reader_ops *ops;
};

#endif
