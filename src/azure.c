// SPDX-License-Identifier: MIT
/*
 * Azure Blob Storage on top of the HTTP transport and the shared request
 * loop (store.c).  Requests:
 *   list   GET  BASE/CONTAINER?restype=container&comp=list&prefix=&delimiter=/&marker=&maxresults=
 *   head   HEAD BASE/CONTAINER/BLOB
 *   range  GET  BASE/CONTAINER/BLOB  with x-ms-range and If-Match
 * BASE is https://ACCOUNT.blob.core.windows.net, or endpoint= (Azurite's
 * http://127.0.0.1:10000/devstoreaccount1, with the account in the path).
 *
 * No locks: nothing changes after creation (bearer tokens come from a
 * struct bfs_token_source, which locks itself).
 */
#include "bucketfs/azure.h"

#include "bucketfs/azxml.h"
#include "bucketfs/creds.h"
#include "bucketfs/log.h"
#include "bucketfs/s3xml.h"
#include "bucketfs/store.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LIST_BODY_CAP (8u << 20)
#define ERROR_BODY_CAP (64u << 10)

struct azure {
	struct bfs_backend base;
	struct bfs_store store;
	char *base_url;	 /* without a trailing '/' */
	char *base_path; /* its path: "" or "/devstoreaccount1" */
	char *account;
	char *container;
	struct bfs_azure_creds creds;
	struct bfs_token_source *token; /* bearer tokens */
};

static struct azure *to_az(struct bfs_backend *be)
{
	return (struct azure *)be;
}

/* --- Shared Key ----------------------------------------------------------- */

static const char *header_of(const struct bfs_header *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(h[i].name, name) == 0)
			return h[i].value;
	return NULL;
}

static int cmp_header(const void *a, const void *b)
{
	return strcmp(((const struct bfs_header *)a)->name, ((const struct bfs_header *)b)->name);
}

static int cmp_param(const void *a, const void *b)
{
	return strcmp(((const struct bfs_query_param *)a)->name,
		      ((const struct bfs_query_param *)b)->name);
}

char *bfs_azure_shared_key(const char *account, const unsigned char *key, size_t key_len,
			   const char *method, const char *path,
			   const struct bfs_query_param *query, size_t n_query,
			   const struct bfs_header *headers, size_t n_headers,
			   char **string_to_sign)
{
	static const char *const standard[] = {
		"content-encoding",
		"content-language",
		"content-length",
		"content-md5",
		"content-type",
		"date",
		"if-modified-since",
		"if-match",
		"if-none-match",
		"if-unmodified-since",
		"range",
	};
	GString *s = g_string_new(method);
	struct bfs_header *ms = g_new0(struct bfs_header, n_headers + 1);
	struct bfs_query_param *q = g_new0(struct bfs_query_param, n_query + 1);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	size_t n_ms = 0;
	char *sig, *auth;

	g_string_append_c(s, '\n');
	for (size_t i = 0; i < G_N_ELEMENTS(standard); i++) {
		const char *v = header_of(headers, n_headers, standard[i]);

		/* Since 2015-02-21 a zero Content-Length is signed as empty. */
		if (v && strcmp(standard[i], "content-length") == 0 && strcmp(v, "0") == 0)
			v = NULL;
		g_string_append_printf(s, "%s\n", v ? v : "");
	}
	for (size_t i = 0; i < n_headers; i++)
		if (g_str_has_prefix(headers[i].name, "x-ms-"))
			ms[n_ms++] = headers[i];
	qsort(ms, n_ms, sizeof(*ms), cmp_header);
	for (size_t i = 0; i < n_ms; i++)
		g_string_append_printf(s, "%s:%s\n", ms[i].name, ms[i].value);
	g_string_append_printf(s, "/%s%s", account, path);
	if (n_query)
		memcpy(q, query, n_query * sizeof(*q));
	qsort(q, n_query, sizeof(*q), cmp_param);
	for (size_t i = 0; i < n_query; i++)
		g_string_append_printf(s, "\n%s:%s", q[i].name, q[i].value ? q[i].value : "");
	HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)s->str, s->len, mac, &mac_len);
	sig = g_base64_encode(mac, mac_len);
	auth = g_strdup_printf("SharedKey %s:%s", account, sig);
	g_free(sig);
	g_free(ms);
	g_free(q);
	if (string_to_sign)
		*string_to_sign = g_string_free(s, FALSE);
	else
		g_string_free(s, TRUE);
	return auth;
}

/* --- one request ------------------------------------------------------------ */

struct attempt {
	const char *method;
	const char *blob; /* NULL: the container */
	const struct bfs_query_param *query;
	size_t n_query;
	const struct bfs_header *extra; /* names in lower case */
	size_t n_extra;
	void *dest;
	size_t dest_cap;
	size_t body_cap;
	bool quiet;
};

static char *encoded_path(struct azure *az, const char *blob)
{
	GString *p = g_string_new(az->base_path);

	g_string_append_c(p, '/');
	bfs_uri_encode(p, az->container, strlen(az->container), 0);
	if (blob) {
		g_string_append_c(p, '/');
		bfs_uri_encode(p, blob, strlen(blob), 1);
	}
	return g_string_free(p, FALSE);
}

static int az_attempt(struct azure *az, const struct attempt *a, struct bfs_http_response *resp)
{
	struct bfs_header hdrs[12];
	size_t nh = 0;
	char date[64], *path, *query, *url, *auth = NULL;
	struct bfs_http_request req = {0};
	time_t now = time(NULL);
	struct tm tm;
	int r;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	path = encoded_path(az, a->blob);
	query = bfs_sigv4_canonical_query(a->query, a->n_query);
	url = g_strdup_printf("%s%s%s%s%s%s", az->base_url, path + strlen(az->base_path),
			      *query || az->creds.auth == BFS_AZ_SAS ? "?" : "", query,
			      *query && az->creds.auth == BFS_AZ_SAS ? "&" : "",
			      az->creds.auth == BFS_AZ_SAS ? az->creds.sas : "");
	hdrs[nh++] = (struct bfs_header){"x-ms-date", date};
	hdrs[nh++] = (struct bfs_header){"x-ms-version", BFS_AZURE_VERSION};
	for (size_t i = 0; i < a->n_extra && nh < 8; i++)
		hdrs[nh++] = a->extra[i];
	switch (az->creds.auth) {
	case BFS_AZ_SHARED_KEY:
		auth = bfs_azure_shared_key(az->account, az->creds.key, az->creds.key_len,
					    a->method, path, a->query, a->n_query, hdrs, nh, NULL);
		hdrs[nh++] = (struct bfs_header){"authorization", auth};
		break;
	case BFS_AZ_BEARER: {
		char *tok = NULL;

		r = bfs_token_get(az->token, &tok, resp->error, sizeof(resp->error));
		if (r) {
			r = EIO;
			goto out;
		}
		auth = g_strdup_printf("Bearer %s", tok);
		bfs_secret_free(tok);
		hdrs[nh++] = (struct bfs_header){"authorization", auth};
		break;
	}
	case BFS_AZ_SAS:
	case BFS_AZ_ANONYMOUS:
		break;
	}
	req.method = a->method;
	req.url = url;
	req.headers = hdrs;
	req.n_headers = nh;
	req.dest = a->dest;
	req.dest_cap = a->dest_cap;
	req.body_cap = a->body_cap ? a->body_cap : ERROR_BODY_CAP;
	r = bfs_http_perform(az->store.http, &req, resp);
	/* The URL may carry a SAS: log the path only. */
	bfs_log(BFS_LOG_DEBUG, "%s %s?%s -> %ld%s%s", a->method, path, query, resp->status,
		r ? " " : "", r ? resp->error : "");
out:
	bfs_secret_free(auth);
	g_free(path);
	g_free(query);
	bfs_secret_free(url);
	return r;
}

struct send_ctx {
	struct azure *az;
	const struct attempt *a;
};

static int send_attempt(void *ctx, struct bfs_http_response *resp)
{
	struct send_ctx *sc = ctx;

	return az_attempt(sc->az, sc->a, resp);
}

static int az_call(struct azure *az, const struct attempt *a, bfs_store_check_fn check, void *ctx,
		   int max_retries, struct bfs_http_response *resp)
{
	struct send_ctx sc = {az, a};
	struct bfs_store_call c = {.method = a->method,
				   .what = a->blob,
				   .quiet = a->quiet,
				   .send = send_attempt,
				   .send_ctx = &sc,
				   .check = check,
				   .check_ctx = ctx,
				   .max_retries = max_retries};

	return bfs_store_run(&az->store, &c, resp);
}

/* --- operations --------------------------------------------------------------- */

static int az_head(struct bfs_backend *be, const char *key, struct bfs_object_info *out)
{
	struct azure *az = to_az(be);
	struct bfs_http_response resp = {0};
	struct attempt a = {.method = "HEAD", .blob = key};
	int r = az_call(az, &a, NULL, NULL, -1, &resp);

	if (!r) {
		if (resp.content_length < 0) {
			bfs_log(BFS_LOG_WARN, "HEAD %s: no Content-Length in the answer", key);
			r = EIO;
		} else {
			time_t m = resp.last_modified ? curl_getdate(resp.last_modified, NULL) : 0;

			out->size = (uint64_t)resp.content_length;
			out->etag = g_strdup(resp.etag);
			out->mtime = m > 0 ? (int64_t)m : 0;
		}
	}
	bfs_http_response_clear(&resp);
	return r;
}

static enum bfs_verdict check_list(void *ctx, const struct bfs_http_response *resp, int *err)
{
	struct bfs_list_page *page = ctx;

	bfs_list_page_clear(page);
	bfs_list_page_init(page);
	if (bfs_azxml_parse_list((const char *)resp->body->data, resp->body->len, page) != 0) {
		bfs_log(BFS_LOG_WARN, "listing answer is not a valid EnumerationResults");
		*err = EIO;
		return BFS_V_RETRY;
	}
	return BFS_V_DONE;
}

static int list_with(struct azure *az, const char *prefix, bool delimit, const char *token,
		     unsigned max_keys, int max_retries, struct bfs_list_page *out,
		     struct bfs_http_response *resp)
{
	struct bfs_query_param q[6];
	size_t nq = 0;
	char mk[16];
	struct attempt a = {.method = "GET", .body_cap = LIST_BODY_CAP, .quiet = max_retries >= 0};

	g_snprintf(mk, sizeof(mk), "%u", max_keys > 5000 ? 5000 : max_keys);
	q[nq++] = (struct bfs_query_param){"restype", "container"};
	q[nq++] = (struct bfs_query_param){"comp", "list"};
	if (prefix && *prefix)
		q[nq++] = (struct bfs_query_param){"prefix", prefix};
	if (delimit)
		q[nq++] = (struct bfs_query_param){"delimiter", "/"};
	if (token)
		q[nq++] = (struct bfs_query_param){"marker", token};
	q[nq++] = (struct bfs_query_param){"maxresults", mk};
	a.query = q;
	a.n_query = nq;
	bfs_list_page_init(out);
	return az_call(az, &a, check_list, out, max_retries, resp);
}

static int az_list(struct bfs_backend *be, const char *prefix, bool delimit, const char *token,
		   unsigned max_keys, struct bfs_list_page *out)
{
	struct bfs_http_response resp = {0};
	int r = list_with(to_az(be), prefix, delimit, token, max_keys, -1, out, &resp);

	bfs_http_response_clear(&resp);
	if (r)
		bfs_list_page_clear(out);
	return r;
}

static int az_get_range(struct bfs_backend *be, const char *key, const char *etag, uint64_t size,
			uint64_t off, void *dest, size_t len)
{
	struct azure *az = to_az(be);
	struct bfs_http_response resp = {0};
	struct bfs_range_expect g = {key, etag, size, off, len};
	struct bfs_header extra[2];
	char range[64];
	size_t ne = 0;
	struct attempt a = {.method = "GET", .blob = key, .dest = dest, .dest_cap = len};
	int r;

	if (len == 0)
		return 0;
	if (off + len > size)
		return EINVAL;
	g_snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)off,
		   (unsigned long long)(off + len - 1));
	extra[ne++] = (struct bfs_header){"x-ms-range", range};
	if (etag)
		extra[ne++] = (struct bfs_header){"if-match", etag};
	a.extra = extra;
	a.n_extra = ne;
	r = az_call(az, &a, bfs_store_check_range, &g, -1, &resp);
	bfs_http_response_clear(&resp);
	return r;
}

static const char *auth_name(enum bfs_azure_auth auth)
{
	switch (auth) {
	case BFS_AZ_SHARED_KEY:
		return "the account key";
	case BFS_AZ_SAS:
		return "the SAS token";
	case BFS_AZ_BEARER:
		return "the bearer token";
	default:
		return "anonymous access";
	}
}

static void describe_failure(struct azure *az, const struct bfs_http_response *resp, char *msg,
			     size_t msglen)
{
	struct bfs_s3_error e = {0};
	char *code = NULL;

	if (resp->transport_err == EPROTO) {
		snprintf(msg, msglen, "TLS failure talking to %s: %s (see ca_file=)", az->base_url,
			 resp->error);
		return;
	}
	if (resp->transport_err) {
		snprintf(msg, msglen, "cannot reach %s: %s", az->base_url, resp->error);
		return;
	}
	code = bfs_store_error_code(resp);
	if (resp->body && resp->body->len)
		bfs_s3xml_parse_error((const char *)resp->body->data, resp->body->len, &e);
	if (code && strcmp(code, "ContainerNotFound") == 0)
		snprintf(msg, msglen, "container '%s' does not exist in account '%s'",
			 az->container, az->account);
	else if (resp->status == 404)
		snprintf(msg, msglen,
			 "account '%s' or container '%s' not found at %s (HTTP 404%s%s)",
			 az->account, az->container, az->base_url, code ? " " : "",
			 code ? code : "");
	else if (code && (strcmp(code, "AuthenticationFailed") == 0 ||
			  strcmp(code, "AuthorizationFailure") == 0)) {
		/* Azure says why in AuthenticationErrorDetail (an expired SAS, a
		 * signature mismatch); its first sentence is enough. */
		const char *why = e.detail ? e.detail : e.message;
		int n = why ? (int)strcspn(why, ".\n") : 0;

		snprintf(msg, msglen, "%s was refused for account '%s' (%s%s%.*s)",
			 auth_name(az->creds.auth), az->account, code, why ? ": " : "", n,
			 why ? why : "");
	} else if (resp->status == 403)
		snprintf(msg, msglen, "access denied to container '%s' with %s (%s)", az->container,
			 auth_name(az->creds.auth), code ? code : "HTTP 403");
	else
		snprintf(msg, msglen, "unexpected answer from %s: HTTP %ld%s%s%s%s", az->base_url,
			 resp->status, code ? " " : "", code ? code : "", e.message ? ": " : "",
			 e.message ? e.message : "");
	/* one line, whatever the server put in its message */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	g_free(code);
	bfs_s3_error_clear(&e);
}

static int az_probe(struct bfs_backend *be, char *msg, size_t msglen)
{
	struct azure *az = to_az(be);
	struct bfs_http_response resp = {0};
	struct bfs_list_page page;
	int r = list_with(az, "", true, NULL, 1, (int)az->store.retry.max_retries, &page, &resp);

	bfs_list_page_clear(&page);
	if (r)
		describe_failure(az, &resp, msg, msglen);
	bfs_http_response_clear(&resp);
	return r;
}

static void az_get_stats(struct bfs_backend *be, struct bfs_backend_stats *out)
{
	bfs_store_get_stats(&to_az(be)->store, out);
}

static void az_destroy(struct bfs_backend *be)
{
	struct azure *az = to_az(be);

	g_free(az->base_url);
	g_free(az->base_path);
	g_free(az->account);
	g_free(az->container);
	bfs_token_source_destroy(az->token);
	bfs_azure_creds_clear(&az->creds);
	bfs_store_clear(&az->store);
	g_free(az);
}

static const struct bfs_backend_ops azure_ops = {
	.name = "azure",
	.probe = az_probe,
	.head = az_head,
	.list = az_list,
	.get_range = az_get_range,
	.get_stats = az_get_stats,
	.destroy = az_destroy,
};

static int parse_base(struct azure *az, const char *endpoint, char *msg, size_t msglen)
{
	char *scheme, *hostport;

	if (bfs_http_split_url(endpoint, &scheme, &hostport, &az->base_path) != 0) {
		snprintf(msg, msglen, "endpoint '%s' is not a valid URL", endpoint);
		return EINVAL;
	}
	az->base_url = g_strdup_printf("%s://%s%s", scheme, hostport, az->base_path);
	g_free(scheme);
	g_free(hostport);
	return 0;
}

int bfs_azure_create(const struct bfs_azure_conf *conf, struct bfs_http *http,
		     struct bfs_backend **out, char *msg, size_t msglen)
{
	struct azure *az = g_new0(struct azure, 1);
	const struct bfs_azure_creds *c = conf->creds;
	char *def = NULL;
	int r;

	az->base.ops = &azure_ops;
	bfs_store_init(&az->store, http, &conf->retry);
	az->account = g_strdup(conf->account);
	az->container = g_strdup(conf->container);
	az->creds.auth = c->auth;
	az->creds.account = g_strdup(c->account);
	if (c->key) {
		az->creds.key = g_memdup2(c->key, c->key_len);
		az->creds.key_len = c->key_len;
	}
	az->creds.sas = g_strdup(c->sas);
	az->creds.source = g_strdup(c->source);
	az->token = conf->token;
	if (!conf->endpoint)
		def = g_strdup_printf("https://%s.blob.core.windows.net", conf->account);
	r = parse_base(az, conf->endpoint ? conf->endpoint : def, msg, msglen);
	g_free(def);
	if (r) {
		az_destroy(&az->base);
		return r;
	}
	*out = &az->base;
	return 0;
}
