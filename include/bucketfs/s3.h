/* SPDX-License-Identifier: MIT */
/*
 * The S3 backend (AWS and S3-compatible stores): a struct bfs_backend.
 *
 * It also speaks Google Cloud Storage's XML API, which is S3's protocol with
 * these differences (conf.gcs): the endpoint storage.googleapis.com, path
 * style; HMAC keys signed with SigV4 or an OAuth2 bearer token; every read
 * asks for Accept-Encoding: gzip, so that gzip-stored objects come back as
 * stored, with Range honoured (libcurl decodes nothing); and reads are pinned
 * to the object's generation (x-goog-generation, <Generation>) when known.
 */
#ifndef BUCKETFS_S3_H
#define BUCKETFS_S3_H

#include "bucketfs/backend.h"
#include "bucketfs/creds.h"
#include "bucketfs/http.h"
#include "bucketfs/opts.h"
#include "bucketfs/retry.h"
#include "bucketfs/token.h"

struct bfs_s3_conf {
	const char *endpoint; /* NULL: AWS, https://s3.REGION.amazonaws.com */
	const char *region;
	const char *bucket;
	enum bfs_addressing addressing;
	const struct bfs_creds *creds; /* copied; ignored with a token source */
	struct bfs_retry_policy retry;
	bool gcs;
	struct bfs_token_source *token; /* GCS bearer tokens; the backend takes it */
};

/* The backend borrows @http, which must outlive it.  Returns 0 or EINVAL
 * (with @msg) for an endpoint that cannot be used. */
int bfs_s3_create(const struct bfs_s3_conf *conf, struct bfs_http *http, struct bfs_backend **out,
		  char *msg, size_t msglen);

/* For tests: the URL and canonical path a request for @key would use. */
void bfs_s3_describe(struct bfs_backend *be, const char *key, char **url, char **encoded_path);

#endif
