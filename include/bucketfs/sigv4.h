/* SPDX-License-Identifier: MIT */
/*
 * AWS Signature Version 4 for S3 (and S3-compatible stores, GCS HMAC).
 *
 * Pure functions: no I/O, no clock.  The caller supplies the timestamp, the
 * exact path and query it will send, and every header it will send; the
 * signer returns the Authorization header value.  Sending exactly the signed
 * bytes (CURLOPT_PATH_AS_IS, no redirects) is the transport's job.
 */
#ifndef BUCKETFS_SIGV4_H
#define BUCKETFS_SIGV4_H

#include <glib.h>
#include <stddef.h>

/* SHA-256 of the empty string, hex: the payload hash of a body-less request. */
#define BFS_SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct bfs_header {
	const char *name;
	const char *value;
};

struct bfs_query_param {
	const char *name;
	const char *value; /* NULL or "" for a valueless parameter ("name=") */
};

struct bfs_sigv4_request {
	const char *method;		  /* "GET", "HEAD" */
	const char *encoded_path;	  /* as sent, already encoded: "/bucket/a%20b" */
	const char *canonical_query;	  /* from bfs_sigv4_canonical_query(), may be "" */
	const struct bfs_header *headers; /* every header sent, host included */
	size_t n_headers;
	const char *payload_hash; /* hex SHA-256 or "UNSIGNED-PAYLOAD" */
	const char *amz_date;	  /* "YYYYMMDDTHHMMSSZ" */
};

struct bfs_sigv4_key {
	const char *access_key;
	const char *secret_key;
	const char *region;
	const char *service; /* "s3" */
};

/*
 * Append @len bytes of @s to @out, percent-encoding every byte outside
 * A-Z a-z 0-9 - _ . ~ as %XX (upper-case hex).  '/' is kept when @keep_slash.
 */
void bfs_uri_encode(GString *out, const char *s, size_t len, int keep_slash);

/* The canonical query string of @n params: encoded, sorted by encoded name
 * (then value), joined by '&'.  Newly allocated (g_free). */
char *bfs_sigv4_canonical_query(const struct bfs_query_param *params, size_t n);

/* Format @unix_time as "YYYYMMDDTHHMMSSZ" into @buf (17 bytes). */
void bfs_sigv4_amz_date(long long unix_time, char buf[17]);

/*
 * The Authorization header value for @req under @key.  Returns a newly
 * allocated string (g_free); NULL only if a crypto primitive failed.
 * When @canonical_out is non-NULL the canonical request is stored there too
 * (for tests and debugging; it contains no secret).
 */
char *bfs_sigv4_authorization(const struct bfs_sigv4_request *req, const struct bfs_sigv4_key *key,
			      char **canonical_out);

/* Lower-case hex SHA-256 of @len bytes at @data into @hex (65 bytes). */
void bfs_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
