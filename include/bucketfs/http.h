/* SPDX-License-Identifier: MIT */
/*
 * HTTP transport: one request in, one classified response out.
 *
 * Owns a pool of curl easy handles; each keeps its live connections between
 * requests, so callers get keep-alive by reusing the transport.  DNS and TLS
 * sessions are shared across handles.  Redirects are never followed and the
 * path is sent exactly as given (signed requests depend on both).  Content
 * decoding is off: bodies arrive as stored.
 *
 * Thread-safe: any number of threads may call bfs_http_perform() at once.
 */
#ifndef BUCKETFS_HTTP_H
#define BUCKETFS_HTTP_H

#include "bucketfs/sigv4.h"

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct bfs_http;

struct bfs_http_conf {
	long connect_timeout_ms; /* TCP + TLS connect */
	long request_timeout_ms; /* whole request, 0 = none */
	const char *ca_file;	 /* NULL: system store */
	bool insecure_tls;	 /* skip peer and host verification */
};

struct bfs_http_stats {
	uint64_t requests;
	uint64_t transport_errors;
	uint64_t bytes_received;
};

struct bfs_http_request {
	const char *method; /* "GET", "HEAD" or "POST" */
	const char *url;
	const struct bfs_header *headers;
	size_t n_headers;
	/*
	 * Body sink.  With @dest set, a 2xx body is written straight into
	 * @dest (capacity @dest_cap); a longer body fails with EOVERFLOW.
	 * Other statuses' bodies (error documents) are collected as below.
	 * Without it, the body is collected in the response, at most
	 * @body_cap bytes (0 means 1 MiB); a longer one fails with EOVERFLOW.
	 */
	void *dest;
	size_t dest_cap;
	size_t body_cap;
	/* POST: the request body (sent as is, with the caller's Content-Type) */
	const void *post;
	size_t post_len;
};

struct bfs_http_response {
	long status;
	GByteArray *body; /* collected body (NULL when it went to @dest) */
	size_t body_len;  /* bytes of body received (either sink) */
	char *etag;
	char *content_range;
	char *last_modified;
	char *bucket_region;	/* x-amz-bucket-region */
	char *generation;	/* x-goog-generation (GCS) */
	char *ms_error_code;	/* x-ms-error-code (Azure; also on bodiless answers) */
	int64_t content_length; /* -1 when absent */
	long retry_after_s;	/* -1 when absent */
	int transport_err;	/* the errno perform() returned, 0 when none */
	char error[256];	/* transport failure text, "" when none */
};

/* Returns 0 or a positive errno. */
int bfs_http_create(const struct bfs_http_conf *conf, struct bfs_http **out);
void bfs_http_destroy(struct bfs_http **http);
void bfs_http_get_stats(struct bfs_http *http, struct bfs_http_stats *out);

/*
 * Perform one request.  Returns 0 when a whole HTTP response arrived (any
 * status: see @resp->status), otherwise a positive errno describing the
 * transport failure, with text in @resp->error:
 *   ECONNREFUSED  could not connect      EHOSTUNREACH  name did not resolve
 *   ETIMEDOUT     timed out              ECONNRESET    connection broke, short body
 *   EPROTO        TLS failure            EOVERFLOW     body larger than the sink
 *   EIO           anything else
 * @resp must be zeroed or cleared; clear it with bfs_http_response_clear().
 */
int bfs_http_perform(struct bfs_http *http, const struct bfs_http_request *req,
		     struct bfs_http_response *resp);
void bfs_http_response_clear(struct bfs_http_response *resp);

/* Split an http:// or https:// URL into its scheme (lower case), host[:port]
 * and path ("" for none or "/", else without a trailing '/').  New strings.
 * Returns 0, or EINVAL for something that is not such a URL. */
int bfs_http_split_url(const char *url, char **scheme, char **hostport, char **path);

/* True for errnos worth retrying (connection-level, transient). */
bool bfs_http_transport_retryable(int err);

#endif
