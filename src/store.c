// SPDX-License-Identifier: MIT
/*
 * The request loop every HTTP backend runs: send, judge, back off, count.
 */
#include "bucketfs/store.h"

#include "bucketfs/log.h"
#include "bucketfs/s3xml.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void bfs_store_init(struct bfs_store *st, struct bfs_http *http,
		    const struct bfs_retry_policy *retry)
{
	memset(st, 0, sizeof(*st));
	st->http = http;
	st->retry = *retry;
	g_mutex_init(&st->stats_lock);
}

void bfs_store_clear(struct bfs_store *st)
{
	g_mutex_clear(&st->stats_lock);
}

void bfs_store_get_stats(struct bfs_store *st, struct bfs_backend_stats *out)
{
	g_mutex_lock(&st->stats_lock);
	*out = st->stats;
	g_mutex_unlock(&st->stats_lock);
}

static int status_errno(long status)
{
	switch (status) {
	case 404:
		return ENOENT;
	case 401:
	case 403:
		return EACCES;
	case 412:
	case 416:
		return ESTALE;
	default:
		return EIO;
	}
}

static void count(struct bfs_store *st, bool retry, bool error, size_t bytes)
{
	g_mutex_lock(&st->stats_lock);
	st->stats.requests++;
	st->stats.retries += retry;
	st->stats.errors += error;
	st->stats.bytes_fetched += bytes;
	g_mutex_unlock(&st->stats_lock);
}

char *bfs_store_error_code(const struct bfs_http_response *resp)
{
	struct bfs_s3_error e = {0};
	char *code = NULL;

	if (resp->ms_error_code && *resp->ms_error_code)
		return g_strdup(resp->ms_error_code);
	if (resp->body && resp->body->len &&
	    bfs_s3xml_parse_error((const char *)resp->body->data, resp->body->len, &e) == 0) {
		code = e.code;
		e.code = NULL;
	}
	bfs_s3_error_clear(&e);
	return code;
}

/* One line for a request that failed for good.  Missing keys and changed
 * objects are ordinary answers, not worth a warning; nor is a probe's
 * failure, which the caller reports in its own words. */
static void log_failure(const struct bfs_store_call *c, int r, int err,
			const struct bfs_http_response *resp)
{
	enum bfs_log_level level = BFS_LOG_WARN;
	const char *what = c->what ? c->what : "(bucket)";
	char *code;

	if (err == ESTALE || err == ENOENT || c->quiet)
		level = BFS_LOG_DEBUG;
	if (r) {
		bfs_log(level, "%s %s failed: %s", c->method, what, resp->error);
		return;
	}
	code = bfs_store_error_code(resp);
	bfs_log(level, "%s %s failed: HTTP %ld%s%s", c->method, what, resp->status, code ? " " : "",
		code ? code : "");
	g_free(code);
}

int bfs_store_run(struct bfs_store *st, const struct bfs_store_call *c,
		  struct bfs_http_response *resp)
{
	unsigned limit = c->max_retries >= 0 ? (unsigned)c->max_retries : st->retry.max_retries;
	int err = EIO;

	for (unsigned attempt = 0;; attempt++) {
		enum bfs_verdict v;
		int r = c->send(c->send_ctx, resp);
		long retry_after = -1;

		if (r) {
			/* Network trouble is EIO to callers; the cause stays in
			 * resp->transport_err for messages. */
			v = bfs_http_transport_retryable(r) || r == EOVERFLOW ? BFS_V_RETRY
									      : BFS_V_FAIL;
			err = EIO;
		} else if (resp->status >= 200 && resp->status < 300) {
			err = 0;
			v = c->check ? c->check(c->check_ctx, resp, &err) : BFS_V_DONE;
		} else if (bfs_retry_status_retryable(resp->status)) {
			v = BFS_V_RETRY;
			err = EIO;
			retry_after = resp->retry_after_s;
		} else {
			v = BFS_V_FAIL;
			err = status_errno(resp->status);
		}
		if (v == BFS_V_DONE) {
			count(st, false, false, resp->body_len);
			return 0;
		}
		if (v == BFS_V_RETRY && attempt < limit) {
			unsigned ms = bfs_retry_delay_ms(&st->retry, attempt + 1, retry_after);

			count(st, true, false, 0);
			bfs_log(BFS_LOG_INFO, "%s %s: %s; retry %u of %u in %u ms", c->method,
				c->what ? c->what : "(bucket)",
				r ? resp->error : "transient server answer", attempt + 1, limit,
				ms);
			g_usleep((gulong)ms * 1000);
			continue;
		}
		count(st, false, true, 0);
		log_failure(c, r, err, resp);
		return err ? err : EIO;
	}
}

static bool parse_content_range(const char *cr, uint64_t *first, uint64_t *last, uint64_t *total)
{
	unsigned long long a, b, t;
	int consumed = 0;

	if (!cr || sscanf(cr, "bytes %llu-%llu/%llu%n", &a, &b, &t, &consumed) != 3 ||
	    cr[consumed] != '\0')
		return false;
	*first = a;
	*last = b;
	*total = t;
	return true;
}

enum bfs_verdict bfs_store_check_range(void *ctx, const struct bfs_http_response *resp, int *err)
{
	struct bfs_range_expect *g = ctx;
	uint64_t first, last, total;

	if (g->etag && resp->etag && !bfs_etag_equal(g->etag, resp->etag)) {
		bfs_log(BFS_LOG_INFO, "%s changed since it was opened (ETag %s, now %s)", g->key,
			g->etag, resp->etag);
		*err = ESTALE;
		return BFS_V_FAIL;
	}
	if (resp->status == 200) {
		/* A whole-object answer: the same bytes only if we asked for all. */
		if (g->off == 0 && g->len == g->size && resp->body_len == g->len)
			return BFS_V_DONE;
		bfs_log(BFS_LOG_WARN, "GET %s: 200 (whole object) where 206 was asked", g->key);
		*err = EIO;
		return BFS_V_RETRY;
	}
	if (resp->status != 206 ||
	    !parse_content_range(resp->content_range, &first, &last, &total)) {
		bfs_log(BFS_LOG_WARN, "GET %s: answer %ld without a usable Content-Range", g->key,
			resp->status);
		*err = EIO;
		return BFS_V_RETRY;
	}
	if (total != g->size) {
		bfs_log(BFS_LOG_INFO, "%s changed size since it was opened (%llu, now %llu)",
			g->key, (unsigned long long)g->size, (unsigned long long)total);
		*err = ESTALE;
		return BFS_V_FAIL;
	}
	if (first != g->off || last != g->off + g->len - 1 || resp->body_len != g->len) {
		bfs_log(BFS_LOG_WARN, "GET %s: asked bytes %llu-%llu, got %s with %zu bytes",
			g->key, (unsigned long long)g->off,
			(unsigned long long)(g->off + g->len - 1), resp->content_range,
			resp->body_len);
		*err = EIO;
		return BFS_V_RETRY;
	}
	return BFS_V_DONE;
}
