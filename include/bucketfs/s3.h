/* SPDX-License-Identifier: MIT */
/*
 * The S3 backend (AWS and S3-compatible stores): a struct bfs_backend.
 */
#ifndef BUCKETFS_S3_H
#define BUCKETFS_S3_H

#include "bucketfs/backend.h"
#include "bucketfs/creds.h"
#include "bucketfs/http.h"
#include "bucketfs/opts.h"
#include "bucketfs/retry.h"

struct bfs_s3_conf {
	const char *endpoint; /* NULL: AWS, https://s3.REGION.amazonaws.com */
	const char *region;
	const char *bucket;
	enum bfs_addressing addressing;
	const struct bfs_creds *creds; /* copied */
	struct bfs_retry_policy retry;
};

/* The backend borrows @http, which must outlive it.  Returns 0 or EINVAL
 * (with @msg) for an endpoint that cannot be used. */
int bfs_s3_create(const struct bfs_s3_conf *conf, struct bfs_http *http, struct bfs_backend **out,
		  char *msg, size_t msglen);

/* For tests: the URL and canonical path a request for @key would use. */
void bfs_s3_describe(struct bfs_backend *be, const char *key, char **url, char **encoded_path);

#endif
