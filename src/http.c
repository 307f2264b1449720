// SPDX-License-Identifier: MIT
/*
 * libcurl easy handles in a pool.
 *
 * Locks: http->lock guards the idle list and the statistics.  It is never
 * held while a transfer runs.  The share handle's own locks (one per data
 * kind) are taken by libcurl through share_lock()/share_unlock().
 */
#include "bucketfs/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define IDLE_HANDLES_MAX 64
#define DEFAULT_BODY_CAP (1u << 20)

struct bfs_http {
	struct bfs_http_conf conf;
	char *ca_file;
	CURLSH *share;
	GMutex share_locks[CURL_LOCK_DATA_LAST];
	GMutex lock;
	GPtrArray *idle;	     /* CURL *, protected by lock */
	struct bfs_http_stats stats; /* protected by lock */
};

struct transfer {
	const struct bfs_http_request *req;
	struct bfs_http_response *resp;
	long status; /* of the response being received, from its status line */
	bool overflow;
};

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ctx)
{
	struct bfs_http *http = ctx;

	g_mutex_lock(&http->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ctx)
{
	struct bfs_http *http = ctx;

	g_mutex_unlock(&http->share_locks[data]);
}

static gsize curl_ready;

int bfs_http_create(const struct bfs_http_conf *conf, struct bfs_http **out)
{
	struct bfs_http *http;

	/* A library requirement, done once per process. */
	if (g_once_init_enter(&curl_ready)) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		g_once_init_leave(&curl_ready, 1);
	}
	http = g_new0(struct bfs_http, 1);
	http->conf = *conf;
	http->ca_file = g_strdup(conf->ca_file);
	http->conf.ca_file = http->ca_file;
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		g_mutex_init(&http->share_locks[i]);
	g_mutex_init(&http->lock);
	http->idle = g_ptr_array_new();
	http->share = curl_share_init();
	if (!http->share) {
		bfs_http_destroy(&http);
		return ENOMEM;
	}
	curl_share_setopt(http->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(http->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(http->share, CURLSHOPT_USERDATA, http);
	curl_share_setopt(http->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(http->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	*out = http;
	return 0;
}

void bfs_http_destroy(struct bfs_http **httpp)
{
	struct bfs_http *http = *httpp;

	if (!http)
		return;
	for (guint i = 0; i < http->idle->len; i++)
		curl_easy_cleanup(g_ptr_array_index(http->idle, i));
	g_ptr_array_free(http->idle, TRUE);
	if (http->share)
		curl_share_cleanup(http->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		g_mutex_clear(&http->share_locks[i]);
	g_mutex_clear(&http->lock);
	g_free(http->ca_file);
	g_free(http);
	*httpp = NULL;
}

void bfs_http_get_stats(struct bfs_http *http, struct bfs_http_stats *out)
{
	g_mutex_lock(&http->lock);
	*out = http->stats;
	g_mutex_unlock(&http->lock);
}

static CURL *handle_get(struct bfs_http *http)
{
	CURL *h = NULL;

	g_mutex_lock(&http->lock);
	if (http->idle->len)
		h = g_ptr_array_steal_index_fast(http->idle, http->idle->len - 1);
	g_mutex_unlock(&http->lock);
	return h ? h : curl_easy_init();
}

/* Reset keeps the handle's connection cache: that is the keep-alive. */
static void handle_put(struct bfs_http *http, CURL *h)
{
	curl_easy_reset(h);
	g_mutex_lock(&http->lock);
	if (http->idle->len < IDLE_HANDLES_MAX) {
		g_ptr_array_add(http->idle, h);
		h = NULL;
	}
	g_mutex_unlock(&http->lock);
	if (h)
		curl_easy_cleanup(h);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct transfer *t = ctx;
	size_t n = size * nmemb;
	/* Only a success body goes to the caller's buffer; an error document
	 * is collected on the side (and capped) so it can be read. */
	bool to_dest = t->req->dest && t->status >= 200 && t->status < 300;
	size_t cap = to_dest ? t->req->dest_cap
			     : (t->req->body_cap ? t->req->body_cap : DEFAULT_BODY_CAP);

	if (!to_dest && !t->resp->body)
		t->resp->body = g_byte_array_new();
	if (t->resp->body_len + n > cap) {
		t->overflow = true;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (to_dest)
		memcpy((char *)t->req->dest + t->resp->body_len, data, n);
	else
		g_byte_array_append(t->resp->body, (const guint8 *)data, (guint)n);
	t->resp->body_len += n;
	return n;
}

static char *header_value(const char *line, size_t n, const char *name)
{
	size_t nl = strlen(name);
	const char *v, *end = line + n;

	if (n <= nl || g_ascii_strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return NULL;
	v = line + nl + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return g_strndup(v, (gsize)(end - v));
}

static void take_header(char **slot, char *value)
{
	if (!value)
		return;
	g_free(*slot);
	*slot = value;
}

static void reset_headers(struct bfs_http_response *resp)
{
	g_clear_pointer(&resp->etag, g_free);
	g_clear_pointer(&resp->content_range, g_free);
	g_clear_pointer(&resp->last_modified, g_free);
	g_clear_pointer(&resp->bucket_region, g_free);
	g_clear_pointer(&resp->generation, g_free);
	g_clear_pointer(&resp->ms_error_code, g_free);
	resp->content_length = -1;
	resp->retry_after_s = -1;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct transfer *t = ctx;
	struct bfs_http_response *resp = t->resp;
	size_t n = size * nmemb;
	char *v;

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		const char *sp = memchr(data, ' ', n);

		/* A new response (after 100-continue, say): forget the old one. */
		reset_headers(resp);
		t->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		return n;
	}
	take_header(&resp->etag, header_value(data, n, "etag"));
	take_header(&resp->content_range, header_value(data, n, "content-range"));
	take_header(&resp->last_modified, header_value(data, n, "last-modified"));
	take_header(&resp->bucket_region, header_value(data, n, "x-amz-bucket-region"));
	take_header(&resp->generation, header_value(data, n, "x-goog-generation"));
	take_header(&resp->ms_error_code, header_value(data, n, "x-ms-error-code"));
	v = header_value(data, n, "content-length");
	if (v) {
		guint64 cl;

		if (g_ascii_string_to_unsigned(v, 10, 0, G_MAXINT64, &cl, NULL))
			resp->content_length = (int64_t)cl;
		g_free(v);
	}
	v = header_value(data, n, "retry-after");
	if (v) {
		guint64 s;

		/* Only the delay-seconds form; an HTTP date is rare from stores. */
		if (g_ascii_string_to_unsigned(v, 10, 0, 3600, &s, NULL))
			resp->retry_after_s = (long)s;
		g_free(v);
	}
	return n;
}

static int classify(CURLcode rc, bool overflow)
{
	if (overflow)
		return EOVERFLOW;
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return ETIMEDOUT;
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return ECONNRESET;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return EPROTO;
	default:
		return EIO;
	}
}

int bfs_http_split_url(const char *url, char **scheme, char **hostport, char **path)
{
	CURLU *u = curl_url();
	char *s = NULL, *host = NULL, *port = NULL, *p = NULL;
	int r = EINVAL;

	*scheme = *hostport = *path = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		size_t n;

		curl_url_get(u, CURLUPART_PORT, &port, 0);
		curl_url_get(u, CURLUPART_PATH, &p, 0);
		*scheme = g_ascii_strdown(s, -1);
		*hostport = port ? g_strdup_printf("%s:%s", host, port) : g_strdup(host);
		*path = g_strdup(p ? p : "");
		n = strlen(*path);
		while (n && (*path)[n - 1] == '/')
			(*path)[--n] = '\0';
		r = 0;
	}
	curl_free(s);
	curl_free(host);
	curl_free(port);
	curl_free(p);
	curl_url_cleanup(u);
	return r;
}

bool bfs_http_transport_retryable(int err)
{
	return err == ECONNREFUSED || err == ETIMEDOUT || err == ECONNRESET || err == EIO;
}

int bfs_http_perform(struct bfs_http *http, const struct bfs_http_request *req,
		     struct bfs_http_response *resp)
{
	struct transfer t = {.req = req, .resp = resp};
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	CURL *h;
	int r = 0;

	bfs_http_response_clear(resp);
	if (!req->dest)
		resp->body = g_byte_array_new();
	h = handle_get(http);
	if (!h) {
		g_strlcpy(resp->error, "cannot create an HTTP handle", sizeof(resp->error));
		return ENOMEM;
	}
	for (size_t i = 0; i < req->n_headers; i++) {
		char *line = g_strdup_printf("%s: %s", req->headers[i].name, req->headers[i].value);

		hdrs = curl_slist_append(hdrs, line);
		g_free(line);
	}
	/* curl adds these on its own unless told not to; they are not signed. */
	hdrs = curl_slist_append(hdrs, "Accept:");
	hdrs = curl_slist_append(hdrs, "Expect:");

	curl_easy_setopt(h, CURLOPT_SHARE, http->share);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	/* Fewer, larger body callbacks on big ranged GETs. */
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, http->conf.connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, http->conf.request_timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
	if (http->conf.ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, http->conf.ca_file);
	if (http->conf.insecure_tls) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (strcmp(req->method, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->post ? req->post : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->post_len);
	} else if (strcmp(req->method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);

	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	if (rc != CURLE_OK) {
		r = classify(rc, t.overflow);
		if (t.overflow)
			g_strlcpy(resp->error, "response body larger than expected",
				  sizeof(resp->error));
		else
			g_strlcpy(resp->error, errbuf[0] ? errbuf : curl_easy_strerror(rc),
				  sizeof(resp->error));
	}
	resp->transport_err = r;
	curl_slist_free_all(hdrs);
	handle_put(http, h);

	g_mutex_lock(&http->lock);
	http->stats.requests++;
	if (r)
		http->stats.transport_errors++;
	http->stats.bytes_received += resp->body_len;
	g_mutex_unlock(&http->lock);
	return r;
}

void bfs_http_response_clear(struct bfs_http_response *resp)
{
	reset_headers(resp);
	if (resp->body)
		g_byte_array_unref(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	resp->status = 0;
	resp->transport_err = 0;
	resp->error[0] = '\0';
}
