/* SPDX-License-Identifier: MIT */
/*
 * The Azure Blob Storage backend: a struct bfs_backend over the Blob REST
 * API (List Blobs, Get Blob Properties, Get Blob with x-ms-range), signed
 * with Shared Key, or carrying a SAS token or an OAuth bearer token.
 */
#ifndef BUCKETFS_AZURE_H
#define BUCKETFS_AZURE_H

#include "bucketfs/backend.h"
#include "bucketfs/http.h"
#include "bucketfs/retry.h"
#include "bucketfs/sigv4.h"
#include "bucketfs/token.h"

#include <stdbool.h>
#include <stddef.h>

#define BFS_AZURE_VERSION "2021-12-02" /* x-ms-version, sent with every request */

enum bfs_azure_auth {
	BFS_AZ_SHARED_KEY,
	BFS_AZ_SAS,
	BFS_AZ_BEARER,
	BFS_AZ_ANONYMOUS,
};

/* Where Azure credentials come from; see azcreds.c for the order. */
struct bfs_azure_creds {
	enum bfs_azure_auth auth;
	char *account;	    /* from a connection string, else the source's */
	unsigned char *key; /* Shared Key, decoded from base64 */
	size_t key_len;
	char *sas;	  /* SAS query string, without a leading '?' */
	char *token;	  /* bearer token (token_file's contents, with one) */
	char *token_file; /* bearer: re-read when it changes (rotated tokens) */
	char *endpoint;	  /* BlobEndpoint of a connection string, or NULL */
	char *source;	  /* for log lines; never a secret */
};

struct bfs_azure_creds_conf {
	const char *account; /* from the source */
	bool anonymous;
	const char *sas_file;
	const char *token_file;
	/* from a config file (0600): */
	const char *account_key;
	const char *sas_token;
};

/*
 * First match wins: anonymous; sas_file=; token_file=; account_key or
 * sas_token from a config file; AZURE_STORAGE_CONNECTION_STRING;
 * AZURE_STORAGE_KEY (with AZURE_STORAGE_ACCOUNT, which must name the same
 * account if set); AZURE_STORAGE_SAS_TOKEN; AZURE_STORAGE_TOKEN.  Files
 * holding a secret must be mode 0600 or stricter.  Returns 0, or an errno
 * with one line in @msg (ENOKEY: none found).
 */
int bfs_azure_creds_resolve(const struct bfs_azure_creds_conf *conf, struct bfs_azure_creds *out,
			    char *msg, size_t msglen);
void bfs_azure_creds_clear(struct bfs_azure_creds *c);

struct bfs_azure_conf {
	const char *endpoint; /* base URL; NULL: https://ACCOUNT.blob.core.windows.net */
	const char *account;
	const char *container;
	const struct bfs_azure_creds *creds; /* copied */
	struct bfs_retry_policy retry;
	struct bfs_token_source *token; /* BFS_AZ_BEARER; the backend takes it */
};

/* The backend borrows @http and takes @conf->token (even on failure).
 * Returns 0 or EINVAL (with @msg). */
int bfs_azure_create(const struct bfs_azure_conf *conf, struct bfs_http *http,
		     struct bfs_backend **out, char *msg, size_t msglen);

/*
 * Shared Key: the Authorization header value ("SharedKey ACCOUNT:SIG") for a
 * request.  @path is the URL path as sent (encoded); @query the decoded
 * parameters; @headers every header sent, names in lower case.  With
 * @string_to_sign, the signed text is returned too (for tests).
 */
char *bfs_azure_shared_key(const char *account, const unsigned char *key, size_t key_len,
			   const char *method, const char *path,
			   const struct bfs_query_param *query, size_t n_query,
			   const struct bfs_header *headers, size_t n_headers,
			   char **string_to_sign);

#endif
