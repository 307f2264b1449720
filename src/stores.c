// SPDX-License-Identifier: MIT
/*
 * Credentials and backend per store kind.  Runs once, at mount time.
 */
#include "bucketfs/stores.h"

#include "bucketfs/azure.h"
#include "bucketfs/creds.h"
#include "bucketfs/log.h"
#include "bucketfs/s3.h"
#include "bucketfs/token.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>

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
	if (creds.auth == BFS_AZ_BEARER) {
		/* the same token sources as GCS: a given token, or a file
		 * re-read when it changes */
		struct bfs_token_conf tc = {.kind = creds.token_file ? BFS_TOKEN_FILE
								     : BFS_TOKEN_STATIC,
					    .token = creds.token,
					    .path = creds.token_file};

		r = bfs_token_source_create(&tc, http, &ac.token, msg, msglen);
		if (r) {
			bfs_azure_creds_clear(&creds);
			return r;
		}
	}
	r = bfs_azure_create(&ac, http, out, msg, msglen);
	bfs_azure_creds_clear(&creds);
	return r;
}

/* Whether this machine is a Google Compute Engine VM (as Google's own
 * libraries tell on Linux), so that the metadata server is worth asking. */
static bool on_gce(void)
{
	char *name = NULL;
	bool yes = false;

	if (g_file_get_contents("/sys/class/dmi/id/product_name", &name, NULL, NULL))
		yes = strstr(name, "Google") != NULL;
	g_free(name);
	return yes;
}

/*
 * GCS credentials, first match wins: anonymous; token_file=;
 * credentials_file=; access_key_id/secret_access_key from a config file,
 * passwd_file= or profile= (HMAC keys); GCS_ACCESS_KEY_ID with
 * GCS_SECRET_ACCESS_KEY; GOOGLE_OAUTH_ACCESS_TOKEN;
 * GOOGLE_APPLICATION_CREDENTIALS; gcloud's application default credentials;
 * the metadata server (GCE_METADATA_HOST, or on GCE).  Fills either @creds
 * (HMAC or anonymous) or @token.
 */
static int gcs_credentials(const struct bfs_opts *o, struct bfs_http *http, struct bfs_creds *creds,
			   struct bfs_token_source **token, char *msg, size_t msglen)
{
	struct bfs_token_conf tc = {0};
	const char *ak = g_getenv("GCS_ACCESS_KEY_ID"), *sk = g_getenv("GCS_SECRET_ACCESS_KEY");
	const char *v;
	char *adc = NULL;
	int r;

	memset(creds, 0, sizeof(*creds));
	*token = NULL;
	if (o->anonymous) {
		creds->anonymous = true;
		creds->source = g_strdup("anonymous");
		return 0;
	}
	if (o->token_file) {
		tc.kind = BFS_TOKEN_FILE;
		tc.path = o->token_file;
	} else if (o->credentials_file) {
		tc.kind = BFS_TOKEN_KEY_FILE;
		tc.path = o->credentials_file;
	} else if (o->access_key_id || o->secret_access_key || o->passwd_file || o->profile) {
		struct bfs_creds_conf cc = {.passwd_file = o->passwd_file,
					    .profile = o->profile,
					    .bucket = o->bucket,
					    .access_key_id = o->access_key_id,
					    .secret_access_key = o->secret_access_key};

		return bfs_creds_resolve(&cc, creds, msg, msglen);
	} else if ((ak && *ak) || (sk && *sk)) {
		if (!ak || !*ak || !sk || !*sk) {
			snprintf(msg, msglen, "%s is set but %s is not",
				 ak && *ak ? "GCS_ACCESS_KEY_ID" : "GCS_SECRET_ACCESS_KEY",
				 ak && *ak ? "GCS_SECRET_ACCESS_KEY" : "GCS_ACCESS_KEY_ID");
			return EINVAL;
		}
		creds->access_key = g_strdup(ak);
		creds->secret_key = g_strdup(sk);
		creds->source = g_strdup("GCS_ACCESS_KEY_ID (HMAC)");
		return 0;
	} else if ((v = g_getenv("GOOGLE_OAUTH_ACCESS_TOKEN")) && *v) {
		tc.kind = BFS_TOKEN_STATIC;
		tc.token = v;
	} else if ((v = g_getenv("GOOGLE_APPLICATION_CREDENTIALS")) && *v) {
		tc.kind = BFS_TOKEN_KEY_FILE;
		tc.path = v;
	} else if ((adc = g_build_filename(g_get_user_config_dir(), "gcloud",
					   "application_default_credentials.json", NULL)) &&
		   access(adc, F_OK) == 0) {
		tc.kind = BFS_TOKEN_KEY_FILE;
		tc.path = adc;
	} else if (((v = g_getenv("GCE_METADATA_HOST")) && *v) || on_gce()) {
		tc.kind = BFS_TOKEN_METADATA;
		tc.metadata_host = v && *v ? v : NULL;
	} else {
		snprintf(msg, msglen,
			 "no GCS credentials found: set GOOGLE_APPLICATION_CREDENTIALS to a "
			 "service-account key, or GCS_ACCESS_KEY_ID and GCS_SECRET_ACCESS_KEY "
			 "(HMAC), or use -o credentials_file=, -o token_file=, or -o anonymous for "
			 "a "
			 "public bucket");
		g_free(adc);
		return ENOKEY;
	}
	r = bfs_token_source_create(&tc, http, token, msg, msglen);
	g_free(adc);
	return r;
}

static int open_gcs(const struct bfs_opts *o, struct bfs_http *http, struct bfs_backend **out,
		    char *msg, size_t msglen)
{
	struct bfs_creds creds;
	struct bfs_token_source *token = NULL;
	struct bfs_s3_conf sc = {0};
	int r = gcs_credentials(o, http, &creds, &token, msg, msglen);

	if (r) {
		bfs_creds_clear(&creds);
		return r;
	}
	bfs_log(BFS_LOG_INFO, "GCS credentials from %s",
		token ? bfs_token_source_describe(token) : creds.source);
	sc.endpoint = o->endpoint;
	sc.region = o->region ? o->region : "auto";
	sc.bucket = o->bucket;
	sc.addressing = o->addressing == BFS_ADDR_AUTO ? BFS_ADDR_PATH : o->addressing;
	sc.creds = &creds;
	sc.retry = retry_policy(o);
	sc.gcs = true;
	sc.token = token;
	r = bfs_s3_create(&sc, http, out, msg, msglen);
	bfs_creds_clear(&creds);
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
		return open_gcs(o, http, out, msg, msglen);
	}
	return EINVAL;
}
