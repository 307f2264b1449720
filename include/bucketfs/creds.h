/* SPDX-License-Identifier: MIT */
/*
 * Where credentials and the region come from.
 *
 * Credentials, first match wins:
 *   1. -o anonymous                    (no signing at all)
 *   2. -o passwd_file=FILE             ACCESS:SECRET or BUCKET:ACCESS:SECRET lines;
 *                                      refused unless mode is 0600 or stricter
 *   3. -o profile=NAME                 from the shared credentials/config files
 *   4. access_key_id, secret_access_key [, session_token] from a bucketfs
 *      config file (which must then be 0600 or stricter)
 *   5. AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY [, AWS_SESSION_TOKEN]
 *   6. AWS_PROFILE, else "default"     from the same files, if present
 * The files are AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and
 * AWS_CONFIG_FILE (~/.aws/config).
 *
 * Region: -o region=, AWS_REGION, AWS_DEFAULT_REGION, the profile's region,
 * else us-east-1.
 */
#ifndef BUCKETFS_CREDS_H
#define BUCKETFS_CREDS_H

#include <stdbool.h>
#include <stddef.h>

struct bfs_creds {
	bool anonymous;
	char *access_key;
	char *secret_key;
	char *session_token; /* NULL when none */
	char *source;	     /* where they came from, for log lines; never a secret */
};

struct bfs_creds_conf {
	bool anonymous;
	const char *passwd_file;
	const char *profile;
	const char *bucket; /* selects BUCKET:ACCESS:SECRET lines */
	const char *region; /* -o region= */
	/* from a config file; all NULL when none */
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;
};

/* Returns 0, or a positive errno with one line naming the cause in @msg:
 * ENOKEY nothing found, EPERM loose file permissions, EINVAL malformed,
 * ENOENT a named file or profile is missing. */
int bfs_creds_resolve(const struct bfs_creds_conf *conf, struct bfs_creds *out, char *msg,
		      size_t msglen);
void bfs_creds_clear(struct bfs_creds *c);

/* Wipe a secret string, then free it (NULL is fine).  Every module that
 * holds a secret frees it with this. */
void bfs_secret_free(char *s);

/* The region by the order above; newly allocated. */
char *bfs_region_resolve(const struct bfs_creds_conf *conf);

#endif
