// SPDX-License-Identifier: MIT
/*
 * S3 protocol on top of the HTTP transport.
 *
 * Each operation builds one signed request (s3_attempt) and runs it under
 * the retry policy (s3_call).  Whatever the server answers is checked before
 * it is used: a ranged GET must come back as exactly the bytes asked for,
 * of the version pinned at open; anything else is retried, then an error.
 *
 * Locks: s3->lock guards the fields marked below, which the mount-time
 * probe may change (region after a redirect, listing encoding).  It is
 * never held across a request.
 */
#include "bucketfs/s3.h"

#include "bucketfs/log.h"
#include "bucketfs/s3xml.h"
#include "bucketfs/store.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>
#include <time.h>

#define LIST_BODY_CAP (8u << 20)
#define ERROR_BODY_CAP (64u << 10)

struct s3 {
	struct bfs_backend base;
	struct bfs_store store;
	enum bfs_addressing addressing;
	bool aws; /* no endpoint= given: the host follows the region */
	char *scheme;
	char *endpoint_host; /* host[:port] of endpoint= */
	char *bucket;
	struct bfs_creds creds;
	bool gcs;
	struct bfs_token_source *token; /* GCS: bearer tokens instead of signing */

	GMutex lock;
	char *region;	   /* protected by lock */
	bool url_encoding; /* protected by lock: ask for encoding-type=url */
};

static struct s3 *to_s3(struct bfs_backend *be)
{
	return (struct s3 *)be;
}

static bool dns_compatible(const char *b)
{
	size_t n = strlen(b);

	if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-')
		return false;
	for (const char *p = b; *p; p++)
		if (!(g_ascii_islower(*p) || g_ascii_isdigit(*p) || *p == '-'))
			return false;
	return true;
}

static bool use_vhost(const struct s3 *s3)
{
	if (s3->addressing == BFS_ADDR_VHOST)
		return true;
	if (s3->addressing == BFS_ADDR_PATH)
		return false;
	return s3->aws && dns_compatible(s3->bucket);
}

/* host[:port] for a request, given the current region. */
static char *request_host(struct s3 *s3, const char *region)
{
	char *base = s3->aws ? g_strdup_printf("s3.%s.amazonaws.com", region)
			     : g_strdup(s3->endpoint_host);
	char *host = use_vhost(s3) ? g_strdup_printf("%s.%s", s3->bucket, base) : g_strdup(base);

	g_free(base);
	return host;
}

static char *encoded_path(struct s3 *s3, const char *key)
{
	GString *p = g_string_new("/");

	if (!use_vhost(s3)) {
		bfs_uri_encode(p, s3->bucket, strlen(s3->bucket), 0);
		if (key)
			g_string_append_c(p, '/');
	}
	if (key)
		bfs_uri_encode(p, key, strlen(key), 1);
	return g_string_free(p, FALSE);
}

struct attempt {
	const char *method;
	const char *key; /* NULL: the bucket itself */
	const struct bfs_query_param *query;
	size_t n_query;
	const struct bfs_header *extra;
	size_t n_extra;
	void *dest;
	size_t dest_cap;
	size_t body_cap;
	bool quiet; /* failures logged at debug level only */
};

/* One request, signed for the current region.  Returns the transport's
 * result; the HTTP status is in @resp. */
static int s3_attempt(struct s3 *s3, const struct attempt *a, struct bfs_http_response *resp)
{
	struct bfs_header hdrs[12];
	size_t nh = 0;
	char amz_date[17], *region, *host, *path, *query, *url, *auth = NULL;
	struct bfs_http_request req = {0};
	int r;

	g_mutex_lock(&s3->lock);
	region = g_strdup(s3->region);
	g_mutex_unlock(&s3->lock);
	host = request_host(s3, region);
	path = encoded_path(s3, a->key);
	query = bfs_sigv4_canonical_query(a->query, a->n_query);
	url = g_strdup_printf("%s://%s%s%s%s", s3->scheme, host, path, *query ? "?" : "", query);

	hdrs[nh++] = (struct bfs_header){"host", host};
	for (size_t i = 0; i < a->n_extra && nh < 8; i++)
		hdrs[nh++] = a->extra[i];
	if (s3->token) {
		char *tok = NULL;

		r = bfs_token_get(s3->token, &tok, resp->error, sizeof(resp->error));
		if (r) {
			resp->status = 0;
			r = EIO;
			goto out;
		}
		auth = g_strdup_printf("Bearer %s", tok);
		OPENSSL_cleanse(tok, strlen(tok));
		g_free(tok);
		hdrs[nh++] = (struct bfs_header){"authorization", auth};
	} else if (!s3->creds.anonymous) {
		struct bfs_sigv4_key key = {s3->creds.access_key, s3->creds.secret_key, region,
					    "s3"};
		struct bfs_sigv4_request sr;

		bfs_sigv4_amz_date((long long)time(NULL), amz_date);
		hdrs[nh++] = (struct bfs_header){"x-amz-date", amz_date};
		hdrs[nh++] = (struct bfs_header){"x-amz-content-sha256", BFS_SHA256_EMPTY};
		if (s3->creds.session_token)
			hdrs[nh++] = (struct bfs_header){"x-amz-security-token",
							 s3->creds.session_token};
		sr = (struct bfs_sigv4_request){a->method,	  path,	   query, hdrs, nh,
						BFS_SHA256_EMPTY, amz_date};
		auth = bfs_sigv4_authorization(&sr, &key, NULL);
		if (!auth) {
			r = EIO;
			g_strlcpy(resp->error, "signing failed", sizeof(resp->error));
			goto out;
		}
		hdrs[nh++] = (struct bfs_header){"authorization", auth};
	}
	req.method = a->method;
	req.url = url;
	req.headers = hdrs;
	req.n_headers = nh;
	req.dest = a->dest;
	req.dest_cap = a->dest_cap;
	req.body_cap = a->body_cap ? a->body_cap : ERROR_BODY_CAP;
	r = bfs_http_perform(s3->store.http, &req, resp);
	bfs_log(BFS_LOG_DEBUG, "%s %s -> %ld%s%s", a->method, url, resp->status, r ? " " : "",
		r ? resp->error : "");
out:
	if (auth) {
		OPENSSL_cleanse(auth, strlen(auth));
		g_free(auth);
	}
	g_free(region);
	g_free(host);
	g_free(path);
	g_free(query);
	g_free(url);
	return r;
}

struct send_ctx {
	struct s3 *s3;
	const struct attempt *a;
};

static int send_attempt(void *ctx, struct bfs_http_response *resp)
{
	struct send_ctx *sc = ctx;

	return s3_attempt(sc->s3, sc->a, resp);
}

/*
 * Run @a under the retry policy (bfs_store_run()).  @max_retries overrides
 * the policy when >= 0.  Returns 0 with the final response in @resp, or a
 * positive errno.
 */
static int s3_call(struct s3 *s3, const struct attempt *a, bfs_store_check_fn check, void *ctx,
		   int max_retries, struct bfs_http_response *resp)
{
	struct send_ctx sc = {s3, a};
	struct bfs_store_call c = {.method = a->method,
				   .what = a->key,
				   .quiet = a->quiet,
				   .send = send_attempt,
				   .send_ctx = &sc,
				   .check = check,
				   .check_ctx = ctx,
				   .max_retries = max_retries};

	return bfs_store_run(&s3->store, &c, resp);
}

/* --- versions (GCS: "ETAG#GENERATION") ------------------------------------- */

static char *version_of(const char *etag, const char *generation)
{
	return generation && *generation ? g_strdup_printf("%s#%s", etag ? etag : "", generation)
					 : g_strdup(etag);
}

/* Split a version into its ETag (new string, or NULL) and generation. */
static char *split_version(const char *version, char **generation)
{
	const char *hash = version ? strrchr(version, '#') : NULL;

	*generation = NULL;
	if (!version)
		return NULL;
	if (!hash)
		return g_strdup(version);
	*generation = g_strdup(hash + 1);
	return hash == version ? NULL : g_strndup(version, (gsize)(hash - version));
}

/* --- HEAD ---------------------------------------------------------------- */

static int s3_head(struct bfs_backend *be, const char *key, struct bfs_object_info *out)
{
	struct s3 *s3 = to_s3(be);
	struct bfs_http_response resp = {0};
	struct bfs_header gz = {"accept-encoding", "gzip"};
	struct attempt a = {.method = "HEAD", .key = key};
	int r;

	if (s3->gcs) { /* the stored size of gzip-encoded objects */
		a.extra = &gz;
		a.n_extra = 1;
	}
	r = s3_call(s3, &a, NULL, NULL, -1, &resp);
	if (!r) {
		if (resp.content_length < 0) {
			bfs_log(BFS_LOG_WARN, "HEAD %s: no Content-Length in the answer", key);
			r = EIO;
		} else {
			out->size = (uint64_t)resp.content_length;
			out->etag = version_of(resp.etag, resp.generation);
			out->mtime = resp.last_modified
					     ? (int64_t)curl_getdate(resp.last_modified, NULL)
					     : 0;
			if (out->mtime < 0)
				out->mtime = 0;
		}
	}
	bfs_http_response_clear(&resp);
	return r;
}

/* --- LIST ---------------------------------------------------------------- */

struct list_ctx {
	struct bfs_list_page *page;
};

static enum bfs_verdict check_list(void *ctx, const struct bfs_http_response *resp, int *err)
{
	struct list_ctx *lc = ctx;

	bfs_list_page_clear(lc->page);
	bfs_list_page_init(lc->page);
	if (bfs_s3xml_parse_list((const char *)resp->body->data, resp->body->len, lc->page) != 0) {
		bfs_log(BFS_LOG_WARN, "listing answer is not a valid ListBucketResult");
		*err = EIO;
		return BFS_V_RETRY;
	}
	for (guint i = 0; i < lc->page->items->len; i++) {
		struct bfs_list_item *it = g_ptr_array_index(lc->page->items, i);

		if (it->generation && it->etag) {
			char *v = version_of(it->etag, it->generation);

			g_free(it->etag);
			it->etag = v;
		}
	}
	return BFS_V_DONE;
}

static int list_with(struct s3 *s3, const char *prefix, bool delimit, const char *token,
		     unsigned max_keys, bool url_encoding, int max_retries,
		     struct bfs_list_page *out, struct bfs_http_response *resp)
{
	/* max_retries >= 0 only from the probe, which reports failures itself. */
	bool quiet = max_retries >= 0;
	struct bfs_query_param q[6];
	size_t nq = 0;
	char mk[16];
	struct list_ctx lc = {out};
	struct attempt a = {.method = "GET", .body_cap = LIST_BODY_CAP, .quiet = quiet};

	g_snprintf(mk, sizeof(mk), "%u", max_keys);
	q[nq++] = (struct bfs_query_param){"list-type", "2"};
	if (delimit)
		q[nq++] = (struct bfs_query_param){"delimiter", "/"};
	q[nq++] = (struct bfs_query_param){"max-keys", mk};
	q[nq++] = (struct bfs_query_param){"prefix", prefix};
	if (token)
		q[nq++] = (struct bfs_query_param){"continuation-token", token};
	if (url_encoding)
		q[nq++] = (struct bfs_query_param){"encoding-type", "url"};
	a.query = q;
	a.n_query = nq;
	bfs_list_page_init(out);
	return s3_call(s3, &a, check_list, &lc, max_retries, resp);
}

static int s3_list(struct bfs_backend *be, const char *prefix, bool delimit, const char *token,
		   unsigned max_keys, struct bfs_list_page *out)
{
	struct s3 *s3 = to_s3(be);
	struct bfs_http_response resp = {0};
	bool enc;
	int r;

	g_mutex_lock(&s3->lock);
	enc = s3->url_encoding;
	g_mutex_unlock(&s3->lock);
	r = list_with(s3, prefix, delimit, token, max_keys, enc, -1, out, &resp);
	bfs_http_response_clear(&resp);
	if (r)
		bfs_list_page_clear(out);
	return r;
}

/* --- ranged GET ---------------------------------------------------------- */

/* GCS: the generation answered must be the one asked for. */
struct gcs_expect {
	struct bfs_range_expect range;
	const char *generation;
};

static enum bfs_verdict check_gcs_get(void *ctx, const struct bfs_http_response *resp, int *err)
{
	struct gcs_expect *g = ctx;

	if (g->generation && resp->generation && strcmp(g->generation, resp->generation) != 0) {
		bfs_log(BFS_LOG_INFO, "%s changed since it was opened (generation %s, now %s)",
			g->range.key, g->generation, resp->generation);
		*err = ESTALE;
		return BFS_V_FAIL;
	}
	return bfs_store_check_range(&g->range, resp, err);
}

static int s3_get_range(struct bfs_backend *be, const char *key, const char *version, uint64_t size,
			uint64_t off, void *dest, size_t len)
{
	struct s3 *s3 = to_s3(be);
	struct bfs_http_response resp = {0};
	char *generation = NULL, *etag = split_version(version, &generation);
	struct gcs_expect g = {{key, etag, size, off, len}, generation};
	struct bfs_header extra[3];
	struct bfs_query_param q[1];
	char range[64];
	size_t ne = 0;
	struct attempt a = {.method = "GET", .key = key, .dest = dest, .dest_cap = len};
	int r = 0;

	if (len == 0 || off + len > size) {
		r = len == 0 ? 0 : EINVAL;
		goto out;
	}
	g_snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)off,
		   (unsigned long long)(off + len - 1));
	extra[ne++] = (struct bfs_header){"range", range};
	if (etag)
		extra[ne++] = (struct bfs_header){"if-match", etag};
	if (s3->gcs) {
		/* Stored bytes, never decompressed: Range applies to them. */
		extra[ne++] = (struct bfs_header){"accept-encoding", "gzip"};
		if (generation) {
			q[0] = (struct bfs_query_param){"generation", generation};
			a.query = q;
			a.n_query = 1;
		}
	}
	a.extra = extra;
	a.n_extra = ne;
	r = s3_call(s3, &a, s3->gcs ? check_gcs_get : bfs_store_check_range,
		    s3->gcs ? (void *)&g : (void *)&g.range, -1, &resp);
	/* A pinned generation that is gone is a changed object. */
	if (r == ENOENT && generation)
		r = ESTALE;
	bfs_http_response_clear(&resp);
out:
	g_free(etag);
	g_free(generation);
	return r;
}

/* --- mount-time probe ------------------------------------------------------ */

static void describe_failure(struct s3 *s3, int r, const struct bfs_http_response *resp, char *msg,
			     size_t msglen)
{
	bool transport = resp->transport_err != 0;
	char *code = transport ? NULL : bfs_store_error_code(resp);
	char *host;

	g_mutex_lock(&s3->lock);
	host = request_host(s3, s3->region);
	g_mutex_unlock(&s3->lock);
	if (transport && resp->transport_err == EPROTO)
		snprintf(msg, msglen, "TLS failure talking to %s://%s: %s (see ca_file=)",
			 s3->scheme, host, resp->error);
	else if (transport)
		snprintf(msg, msglen, "cannot reach %s://%s: %s", s3->scheme, host, resp->error);
	else if (code && strcmp(code, "NoSuchBucket") == 0)
		snprintf(msg, msglen, "bucket '%s' does not exist (NoSuchBucket)", s3->bucket);
	else if (resp->status == 404)
		snprintf(msg, msglen, "bucket '%s' not found at %s://%s (HTTP 404)", s3->bucket,
			 s3->scheme, host);
	else if (code && strcmp(code, "InvalidAccessKeyId") == 0)
		snprintf(msg, msglen,
			 "the access key id is not known to the server (InvalidAccessKeyId)");
	else if (code && strcmp(code, "SignatureDoesNotMatch") == 0)
		snprintf(msg, msglen,
			 "the secret key does not match the access key (SignatureDoesNotMatch)");
	else if (code && (strcmp(code, "ExpiredToken") == 0 || strcmp(code, "InvalidToken") == 0))
		snprintf(msg, msglen, "the session token is expired or invalid (%s)", code);
	else if (resp->status == 401 && s3->token)
		snprintf(msg, msglen, "the OAuth2 token from %s was refused (%s)",
			 bfs_token_source_describe(s3->token), code ? code : "HTTP 401");
	else if (resp->status == 403)
		snprintf(msg, msglen, "access denied to bucket '%s' (%s)", s3->bucket,
			 code ? code : "HTTP 403");
	else
		snprintf(msg, msglen, "unexpected answer from %s://%s: HTTP %ld%s%s", s3->scheme,
			 host, resp->status, code ? " " : "", code ? code : "");
	g_free(code);
	g_free(host);
}

/* The region a redirect or a region error names, or NULL. */
static char *redirect_region(const struct bfs_http_response *resp)
{
	struct bfs_s3_error e = {0};
	char *region = NULL;

	if (resp->status != 301 && resp->status != 400 && resp->status != 403)
		return NULL;
	if (resp->body && resp->body->len)
		bfs_s3xml_parse_error((const char *)resp->body->data, resp->body->len, &e);
	if (resp->status == 301 ||
	    (e.code && (strcmp(e.code, "AuthorizationHeaderMalformed") == 0 ||
			strcmp(e.code, "PermanentRedirect") == 0))) {
		if (resp->bucket_region && *resp->bucket_region)
			region = g_strdup(resp->bucket_region);
		else if (e.region && *e.region)
			region = g_strdup(e.region);
	}
	bfs_s3_error_clear(&e);
	return region;
}

static int s3_probe(struct bfs_backend *be, char *msg, size_t msglen)
{
	struct s3 *s3 = to_s3(be);
	struct bfs_http_response resp = {0};
	struct bfs_list_page page;
	bool followed = false;
	int r;

	if (s3->token) { /* a token problem, in its own words */
		char *tok = NULL;

		r = bfs_token_get(s3->token, &tok, msg, msglen);
		if (tok) {
			OPENSSL_cleanse(tok, strlen(tok));
			g_free(tok);
		}
		if (r)
			return r;
	}
	/* Does the server take encoding-type=url?  One attempt tells. */
	r = list_with(s3, "", true, NULL, 1, true, 0, &page, &resp);
	bfs_list_page_clear(&page);
	if (!r)
		goto out;
	if (r == EIO && (resp.status == 400 || resp.status == 500 || resp.status == 501)) {
		bfs_log(BFS_LOG_INFO, "the server refuses encoding-type=url; listing without it");
		g_mutex_lock(&s3->lock);
		s3->url_encoding = false;
		g_mutex_unlock(&s3->lock);
	}
	for (;;) {
		char *region;

		r = list_with(s3, "", true, NULL, 1, s3->url_encoding,
			      (int)s3->store.retry.max_retries, &page, &resp);
		bfs_list_page_clear(&page);
		if (!r || followed)
			break;
		region = redirect_region(&resp);
		if (!region)
			break;
		g_mutex_lock(&s3->lock);
		if (strcmp(region, s3->region) == 0) {
			g_mutex_unlock(&s3->lock);
			g_free(region);
			break;
		}
		bfs_log(BFS_LOG_INFO, "bucket '%s' is in region %s, not %s: following", s3->bucket,
			region, s3->region);
		g_free(s3->region);
		s3->region = region;
		g_mutex_unlock(&s3->lock);
		followed = true;
	}
out:
	if (r)
		describe_failure(s3, r, &resp, msg, msglen);
	bfs_http_response_clear(&resp);
	return r;
}

static void s3_get_stats(struct bfs_backend *be, struct bfs_backend_stats *out)
{
	bfs_store_get_stats(&to_s3(be)->store, out);
}

static void s3_destroy(struct bfs_backend *be)
{
	struct s3 *s3 = to_s3(be);

	g_free(s3->scheme);
	g_free(s3->endpoint_host);
	g_free(s3->bucket);
	g_free(s3->region);
	bfs_creds_clear(&s3->creds);
	bfs_token_source_destroy(s3->token);
	g_mutex_clear(&s3->lock);
	bfs_store_clear(&s3->store);
	g_free(s3);
}

static const struct bfs_backend_ops s3_ops = {
	.name = "s3", /* and GCS, whose XML API is S3's protocol */
	.probe = s3_probe,
	.head = s3_head,
	.list = s3_list,
	.get_range = s3_get_range,
	.get_stats = s3_get_stats,
	.destroy = s3_destroy,
};

static int parse_endpoint(struct s3 *s3, const char *endpoint, char *msg, size_t msglen)
{
	char *path = NULL;

	if (bfs_http_split_url(endpoint, &s3->scheme, &s3->endpoint_host, &path) != 0) {
		snprintf(msg, msglen, "endpoint '%s' is not a valid URL", endpoint);
		return EINVAL;
	}
	if (*path) {
		snprintf(msg, msglen, "endpoint '%s' must not have a path", endpoint);
		g_free(path);
		return EINVAL;
	}
	g_free(path);
	return 0;
}

int bfs_s3_create(const struct bfs_s3_conf *conf, struct bfs_http *http, struct bfs_backend **out,
		  char *msg, size_t msglen)
{
	struct s3 *s3 = g_new0(struct s3, 1);
	int r;

	s3->base.ops = &s3_ops;
	bfs_store_init(&s3->store, http, &conf->retry);
	s3->addressing = conf->addressing;
	s3->bucket = g_strdup(conf->bucket);
	s3->region = g_strdup(conf->region ? conf->region : "us-east-1");
	s3->url_encoding = true;
	s3->gcs = conf->gcs;
	s3->token = conf->token;
	g_mutex_init(&s3->lock);
	s3->creds.anonymous = conf->creds->anonymous;
	s3->creds.access_key = g_strdup(conf->creds->access_key);
	s3->creds.secret_key = g_strdup(conf->creds->secret_key);
	s3->creds.session_token = g_strdup(conf->creds->session_token);
	s3->creds.source = g_strdup(conf->creds->source);
	if (conf->endpoint) {
		r = parse_endpoint(s3, conf->endpoint, msg, msglen);
		if (r) {
			s3_destroy(&s3->base);
			return r;
		}
	} else if (conf->gcs) {
		s3->scheme = g_strdup("https");
		s3->endpoint_host = g_strdup("storage.googleapis.com");
	} else {
		s3->aws = true;
		s3->scheme = g_strdup("https");
	}
	if (s3->addressing == BFS_ADDR_VHOST && !dns_compatible(s3->bucket))
		bfs_log(BFS_LOG_WARN, "bucket '%s' is not DNS-compatible; virtual_host may fail",
			s3->bucket);
	*out = &s3->base;
	return 0;
}

void bfs_s3_describe(struct bfs_backend *be, const char *key, char **url, char **path)
{
	struct s3 *s3 = to_s3(be);
	char *host = request_host(s3, s3->region);

	*path = encoded_path(s3, key);
	*url = g_strdup_printf("%s://%s%s", s3->scheme, host, *path);
	g_free(host);
}
