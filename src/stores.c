// SPDX-License-Identifier: MIT
/*
 * Credentials and backend per store kind.  Runs once, at mount time.
 */
#include "bucketfs/stores.h"

#include "bucketfs/azure.h"
#include "bucketfs/creds.h"
#include "bucketfs/log.h"
#include "bucketfs/s3.h"

#include <errno.h>
#include <glib.h>

static struct bfs_retry_policy retry_policy(const struct bfs_opts *o)
{
	return (struct bfs_retry_policy){o->retries, 100, 5000};
}

static int open_s3(const struct bfs_opts *o, struct bfs_http *http, struct bfs_backend **out,
		   char *msg, size_t msglen)
{
	struct bfs_creds_conf cc = {.anonymous = o->anonymous,
				    .passwd_file = o->passwd_file,
				    .profile = o->profile,
				    .bucket = o->bucket,
				    .region = o->region,
				    .access_key_id = o->access_key_id,
				    .secret_access_key = o->secret_access_key,
				    .session_token = o->session_token};
	struct bfs_creds creds;
	struct bfs_s3_conf sc = {0};
	char *region;
	int r = bfs_creds_resolve(&cc, &creds, msg, msglen);

	if (r)
		return r;
	region = bfs_region_resolve(&cc);
	bfs_log(BFS_LOG_INFO, "credentials from %s, region %s", creds.source, region);
	sc.endpoint = o->endpoint;
	sc.region = region;
	sc.bucket = o->bucket;
	sc.addressing = o->addressing;
	sc.creds = &creds;
	sc.retry = retry_policy(o);
	r = bfs_s3_create(&sc, http, out, msg, msglen);
	bfs_creds_clear(&creds);
	g_free(region);
	return r;
}

static int open_azure(const struct bfs_opts *o, struct bfs_http *http, struct bfs_backend **out,
		      char *msg, size_t msglen)
{
	struct bfs_azure_creds_conf cc = {.account = o->account,
					  .anonymous = o->anonymous,
					  .sas_file = o->sas_file,
					  .token_file = o->token_file,
					  .account_key = o->account_key,
					  .sas_token = o->sas_token};
	struct bfs_azure_creds creds;
	struct bfs_azure_conf ac = {0};
	int r = bfs_azure_creds_resolve(&cc, &creds, msg, msglen);

	if (r)
		return r;
	bfs_log(BFS_LOG_INFO, "Azure credentials from %s", creds.source);
	/* -o endpoint= wins, then a connection string's, then the source's */
	ac.endpoint = o->endpoint	   ? o->endpoint
		      : creds.endpoint	   ? creds.endpoint
		      : o->source_endpoint ? o->source_endpoint
					   : NULL;
	ac.account = o->account;
	ac.container = o->bucket;
	ac.creds = &creds;
	ac.retry = retry_policy(o);
	r = bfs_azure_create(&ac, http, out, msg, msglen);
	bfs_azure_creds_clear(&creds);
	return r;
}

int bfs_store_open(const struct bfs_opts *o, struct bfs_http *http, struct bfs_backend **out,
		   char *msg, size_t msglen)
{
	*out = NULL;
	switch (o->kind) {
	case BFS_STORE_S3:
		return open_s3(o, http, out, msg, msglen);
	case BFS_STORE_AZURE:
		return open_azure(o, http, out, msg, msglen);
	case BFS_STORE_GCS:
		break;
	}
	snprintf(msg, msglen, "gs:// sources are not supported yet");
	return EINVAL;
}
