/* SPDX-License-Identifier: MIT */
/*
 * What every HTTP object-store backend shares: the retry loop around one
 * request, the check that a ranged GET answered exactly what was asked, the
 * errno of a status, and the backend's counters.  Each backend embeds a
 * struct bfs_store and supplies how to send one attempt.
 */
#ifndef BUCKETFS_STORE_H
#define BUCKETFS_STORE_H

#include "bucketfs/backend.h"
#include "bucketfs/http.h"
#include "bucketfs/retry.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct bfs_store {
	struct bfs_http *http; /* borrowed */
	struct bfs_retry_policy retry;
	GMutex stats_lock;
	struct bfs_backend_stats stats; /* protected by stats_lock */
};

void bfs_store_init(struct bfs_store *st, struct bfs_http *http,
		    const struct bfs_retry_policy *retry);
void bfs_store_clear(struct bfs_store *st);
void bfs_store_get_stats(struct bfs_store *st, struct bfs_backend_stats *out);

/* What one attempt's outcome means. */
enum bfs_verdict {
	BFS_V_DONE,  /* success: use the response */
	BFS_V_RETRY, /* transient: try again if attempts remain */
	BFS_V_FAIL,  /* final: return the error */
};

/* Send one attempt (signing it afresh); returns the transport's result. */
typedef int (*bfs_store_send_fn)(void *ctx, struct bfs_http_response *resp);
/* Judge a 2xx answer: BFS_V_DONE, BFS_V_RETRY, or BFS_V_FAIL with *err. */
typedef enum bfs_verdict (*bfs_store_check_fn)(void *ctx, const struct bfs_http_response *resp,
					       int *err);

struct bfs_store_call {
	const char *method; /* for log lines */
	const char *what;   /* the key, or NULL for the bucket */
	bool quiet;	    /* failures logged at debug level only */
	bfs_store_send_fn send;
	void *send_ctx;
	bfs_store_check_fn check; /* NULL: any 2xx will do */
	void *check_ctx;
	int max_retries; /* >= 0 overrides the policy */
};

/*
 * Run a call under the retry policy: transport failures, 429/5xx and
 * answers the check calls transient are retried with backoff; 404 is
 * ENOENT, 403 EACCES, 412/416 ESTALE, anything else EIO.  Returns 0 with
 * the final response in @resp, or a positive errno (the last response stays
 * in @resp for messages).
 */
int bfs_store_run(struct bfs_store *st, const struct bfs_store_call *c,
		  struct bfs_http_response *resp);

/* The error code of an answer: the x-ms-error-code header, else <Code> of
 * an <Error> document.  NULL when none; free with g_free(). */
char *bfs_store_error_code(const struct bfs_http_response *resp);

/* What a ranged GET must come back as. */
struct bfs_range_expect {
	const char *key;
	const char *etag; /* NULL: not pinned */
	uint64_t size;
	uint64_t off;
	size_t len;
};

/* A bfs_store_check_fn for a ranged GET (ctx: struct bfs_range_expect):
 * the pinned ETag, 206 with the exact Content-Range and length (or 200 with
 * the whole object when all of it was asked for), the same total size. */
enum bfs_verdict bfs_store_check_range(void *ctx, const struct bfs_http_response *resp, int *err);

#endif
