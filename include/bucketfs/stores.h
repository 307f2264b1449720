/* SPDX-License-Identifier: MIT */
/*
 * From options to a backend: resolve the store's credentials and create the
 * S3, GCS or Azure backend the source names.
 */
#ifndef BUCKETFS_STORES_H
#define BUCKETFS_STORES_H

#include "bucketfs/backend.h"
#include "bucketfs/http.h"
#include "bucketfs/opts.h"

#include <stddef.h>

/* Returns 0 with the backend in @out, or an errno with one line in @msg.
 * The backend borrows @http. */
int bfs_store_open(const struct bfs_opts *o, struct bfs_http *http, struct bfs_backend **out,
		   char *msg, size_t msglen);

#endif
