/* SPDX-License-Identifier: MIT */
/*
 * OAuth2 bearer tokens for Google Cloud Storage, from one of:
 *   - a given token, or a token file (re-read when it changes);
 *   - a service-account JSON key: an RS256-signed JWT (OpenSSL) exchanged at
 *     the key's token_uri (RFC 7523);
 *   - an authorized-user JSON key (gcloud's application default
 *     credentials): its refresh token exchanged at its token_uri;
 *   - the GCE metadata server (GCE_METADATA_HOST, default
 *     metadata.google.internal).
 * Tokens are cached and refreshed before they expire.  Thread-safe: one
 * refresh at a time, other callers wait for it.
 */
#ifndef BUCKETFS_TOKEN_H
#define BUCKETFS_TOKEN_H

#include "bucketfs/http.h"

#include <stddef.h>

enum bfs_token_kind {
	BFS_TOKEN_STATIC,
	BFS_TOKEN_FILE,
	BFS_TOKEN_KEY_FILE, /* service_account or authorized_user JSON */
	BFS_TOKEN_METADATA,
};

struct bfs_token_conf {
	enum bfs_token_kind kind;
	const char *token;	   /* STATIC */
	const char *path;	   /* FILE, KEY_FILE */
	const char *metadata_host; /* METADATA: host[:port] */
	const char *scope;	   /* KEY_FILE (service account) */
	const char *token_uri;	   /* overrides the key's token_uri (tests); NULL: the key's */
};

struct bfs_token_source;

/* Reads and checks the key file (mode, JSON, fields, the private key), but
 * fetches nothing.  Borrows @http.  Returns 0, or an errno with one line in
 * @msg. */
int bfs_token_source_create(const struct bfs_token_conf *conf, struct bfs_http *http,
			    struct bfs_token_source **out, char *msg, size_t msglen);
void bfs_token_source_destroy(struct bfs_token_source *ts);

/* A valid token (new string, wipe and free it), fetching or refreshing as
 * needed.  Returns 0, or an errno with one line in @msg: EACCES refused,
 * EIO unreachable or a bad answer. */
int bfs_token_get(struct bfs_token_source *ts, char **token, char *msg, size_t msglen);

/* What the source is, for log lines ("service account x@y", ...). */
const char *bfs_token_source_describe(const struct bfs_token_source *ts);

/* Tokens fetched so far (for statistics and tests). */
unsigned bfs_token_fetches(struct bfs_token_source *ts);

/* For tests: the signed JWT assertion a service account would send now. */
char *bfs_token_jwt(struct bfs_token_source *ts, long long now);

#endif
