/* SPDX-License-Identifier: MIT */
/*
 * The object-store backend interface.
 *
 * Everything above this line (directory listing, inode table, reader, FUSE)
 * sees a bucket only through this table.  S3 implements it today; GCS and
 * Azure will, and tests may add their own.  Every call is synchronous,
 * thread-safe, retries transient failures itself, and returns 0 or a
 * positive errno:
 *   ENOENT  no such key / bucket       EACCES  refused (403)
 *   ESTALE  the object changed (ETag)  EIO     failed after retries, or a bad answer
 *   ENOMEM  out of memory
 * Keys are raw bytes as stored (never URL-encoded); the backend encodes.
 */
#ifndef BUCKETFS_BACKEND_H
#define BUCKETFS_BACKEND_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bfs_object_info {
	uint64_t size;
	int64_t mtime; /* seconds since the epoch */
	/* The version reads are pinned to: the ETag as the server spells it,
	 * quotes included; GCS appends "#GENERATION" when it knows it. */
	char *etag;
};

struct bfs_list_item {
	char *key;	/* full key, or a common prefix ending in the delimiter */
	bool is_prefix; /* a CommonPrefix (directory) */
	bool has_nul;	/* the decoded key held a NUL byte: cannot be a name */
	uint64_t size;
	int64_t mtime;
	char *etag;
	char *generation; /* GCS's <Generation>, or NULL (the backend folds it into etag) */
};

struct bfs_list_page {
	GPtrArray *items; /* struct bfs_list_item *, freed with the page */
	bool truncated;
	char *next_token; /* pass back to list() for the next page */
};

struct bfs_backend_stats {
	uint64_t requests;
	uint64_t retries;
	uint64_t errors;
	uint64_t bytes_fetched;
};

struct bfs_backend;

struct bfs_backend_ops {
	const char *name;
	/* Mount-time check that the bucket exists and is readable with these
	 * credentials.  On failure writes one line naming the cause to @msg. */
	int (*probe)(struct bfs_backend *be, char *msg, size_t msglen);
	int (*head)(struct bfs_backend *be, const char *key, struct bfs_object_info *out);
	/* One page of keys under @prefix; @token NULL for the first.  With
	 * @delimit, keys are grouped at the next '/' (common prefixes); without,
	 * every key under @prefix comes back, however deep. */
	int (*list)(struct bfs_backend *be, const char *prefix, bool delimit, const char *token,
		    unsigned max_keys, struct bfs_list_page *out);
	/* Exactly @len bytes at @off of the object @key whose ETag is @etag and
	 * size @size, written straight into @dest.  A response that is not that
	 * (status, Content-Range, length, ETag) is retried, never served. */
	int (*get_range)(struct bfs_backend *be, const char *key, const char *etag, uint64_t size,
			 uint64_t off, void *dest, size_t len);
	void (*get_stats)(struct bfs_backend *be, struct bfs_backend_stats *out);
	void (*destroy)(struct bfs_backend *be);
};

struct bfs_backend {
	const struct bfs_backend_ops *ops;
};

void bfs_object_info_clear(struct bfs_object_info *info);
void bfs_list_page_init(struct bfs_list_page *page);
/* Free one item (parsers free the one they were building on an error). */
void bfs_list_item_free(struct bfs_list_item *it);
void bfs_list_page_clear(struct bfs_list_page *page);

/* Compare two ETags, ignoring quotes and a weak "W/" marker. */
bool bfs_etag_equal(const char *a, const char *b);

#endif
