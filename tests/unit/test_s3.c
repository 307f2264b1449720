// SPDX-License-Identifier: MIT
/*
 * The S3 backend and HTTP transport against a scripted server that
 * misbehaves on purpose: short bodies, wrong ranges, whole-object answers,
 * changed ETags, throttling, resets, broken and huge XML, redirects.
 */
#include "bucketfs/s3.h"

#include "scripted_server.h"
#include "testutil.h"

#include <errno.h>
#include <string.h>

static struct scripted_server *srv;
static struct bfs_http *http;
static struct bfs_backend *be;

static void setup_with(unsigned retries, const char *region)
{
	struct bfs_http_conf hc = {.connect_timeout_ms = 2000, .request_timeout_ms = 5000};
	struct bfs_creds creds = {.access_key = "AKTEST", .secret_key = "SKTEST"};
	char endpoint[64], msg[256];
	struct bfs_s3_conf sc = {
		.region = region, .bucket = "bkt", .creds = &creds, .retry = {retries, 1, 5}};

	srv = scripted_server_start();
	g_snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", scripted_server_port(srv));
	sc.endpoint = endpoint;
	ck_assert_int_eq(bfs_http_create(&hc, &http), 0);
	ck_assert_int_eq(bfs_s3_create(&sc, http, &be, msg, sizeof(msg)), 0);
}

static void setup(void)
{
	setup_with(3, "us-east-1");
}

static void teardown(void)
{
	be->ops->destroy(be);
	bfs_http_destroy(&http);
	scripted_server_stop(srv);
}

static void push_206(const char *etag, uint64_t first, const char *body, uint64_t total)
{
	size_t n = strlen(body);
	char *r = g_strdup_printf(
		"HTTP/1.1 206 Partial Content\r\nETag: %s\r\n"
		"Content-Range: bytes %llu-%llu/%llu\r\nContent-Length: %zu\r\n\r\n%s",
		etag, (unsigned long long)first, (unsigned long long)(first + n - 1),
		(unsigned long long)total, n, body);

	scripted_server_push(srv, r);
	g_free(r);
}

static void push_status(int status, const char *code)
{
	char *body = code ? g_strdup_printf("<?xml version=\"1.0\"?><Error><Code>%s</Code>"
					    "<Message>m</Message></Error>",
					    code)
			  : g_strdup("");
	char *r = g_strdup_printf("HTTP/1.1 %d X\r\nContent-Length: %zu\r\n\r\n%s", status,
				  strlen(body), body);

	scripted_server_push(srv, r);
	g_free(r);
	g_free(body);
}

static int get(uint64_t off, size_t len, char *dest)
{
	return be->ops->get_range(be, "dir/a b+c.txt", "\"etag1\"", 100, off, dest, len);
}

START_TEST(ranged_get_ok)
{
	char buf[6] = {0};
	char *req;

	push_206("\"etag1\"", 10, "hello", 100);
	ck_assert_int_eq(get(10, 5, buf), 0);
	ck_assert_str_eq(buf, "hello");
	req = scripted_server_request(srv, 0);
	ck_assert_msg(g_str_has_prefix(req, "GET /bkt/dir/a%20b%2Bc.txt HTTP/1.1"), "%s", req);
	ck_assert(strstr(req, "range: bytes=10-14"));
	ck_assert(strstr(req, "if-match: \"etag1\""));
	ck_assert(strstr(req, "authorization: AWS4-HMAC-SHA256 Credential=AKTEST/"));
	ck_assert(strstr(req, "/us-east-1/s3/aws4_request"));
	ck_assert(!strstr(req, "SKTEST"));
	ck_assert(strstr(req, "x-amz-content-sha256: "));
	g_free(req);
}
END_TEST

START_TEST(short_body_is_retried)
{
	char buf[6] = {0};

	/* Claims 5 bytes, sends 3 and closes. */
	scripted_server_push(srv, "HTTP/1.1 206 Partial Content\r\nETag: \"etag1\"\r\n"
				  "Content-Range: bytes 10-14/100\r\nContent-Length: 5\r\n"
				  "Connection: close\r\n\r\nhel");
	push_206("\"etag1\"", 10, "hello", 100);
	ck_assert_int_eq(get(10, 5, buf), 0);
	ck_assert_str_eq(buf, "hello");
	ck_assert_uint_eq(scripted_server_count(srv), 2);
}
END_TEST

START_TEST(wrong_range_is_never_served)
{
	char buf[6] = {0};

	for (int i = 0; i < 4; i++)
		push_206("\"etag1\"", 11, "hellx", 100); /* off by one */
	ck_assert_int_eq(get(10, 5, buf), EIO);
	ck_assert_uint_eq(scripted_server_count(srv), 4); /* 1 + 3 retries */
}
END_TEST

START_TEST(whole_object_answer_is_not_a_range)
{
	char buf[6] = {0};

	for (int i = 0; i < 4; i++)
		scripted_server_push(srv, "HTTP/1.1 200 OK\r\nETag: \"etag1\"\r\n"
					  "Content-Length: 5\r\n\r\nwhole");
	ck_assert_int_eq(get(10, 5, buf), EIO);
}
END_TEST

START_TEST(longer_body_than_asked)
{
	char buf[6] = {0};

	for (int i = 0; i < 4; i++)
		scripted_server_push(srv,
				     "HTTP/1.1 206 Partial Content\r\nETag: \"etag1\"\r\n"
				     "Content-Range: bytes 10-14/100\r\nContent-Length: 9\r\n\r\n"
				     "hellohell");
	ck_assert_int_eq(get(10, 5, buf), EIO);
}
END_TEST

START_TEST(changed_object_is_estale)
{
	char buf[6] = {0};

	push_status(412, "PreconditionFailed");
	ck_assert_int_eq(get(10, 5, buf), ESTALE);
	/* A server that ignores If-Match: the ETag of the answer tells. */
	push_206("\"etag2\"", 10, "HELLO", 100);
	ck_assert_int_eq(get(10, 5, buf), ESTALE);
	/* Same ETag but another size: still not the version we pinned. */
	push_206("\"etag1\"", 10, "HELLO", 200);
	ck_assert_int_eq(get(10, 5, buf), ESTALE);
	ck_assert_uint_eq(scripted_server_count(srv), 3); /* none retried */
}
END_TEST

START_TEST(throttling_is_retried)
{
	char buf[6] = {0};

	push_status(503, "SlowDown");
	push_status(429, NULL);
	scripted_server_push(srv, "HTTP/1.1 503 Slow Down\r\nRetry-After: 0\r\n"
				  "Content-Length: 0\r\n\r\n");
	push_206("\"etag1\"", 0, "hello", 100);
	ck_assert_int_eq(get(0, 5, buf), 0);
	ck_assert_str_eq(buf, "hello");
	{
		struct bfs_backend_stats st;

		be->ops->get_stats(be, &st);
		ck_assert_uint_eq(st.retries, 3);
	}
}
END_TEST

START_TEST(throttling_exhausted_is_eio_not_enoent)
{
	char buf[6];

	for (int i = 0; i < 4; i++)
		push_status(503, "SlowDown");
	ck_assert_int_eq(get(0, 5, buf), EIO);
}
END_TEST

START_TEST(reset_is_retried)
{
	char buf[6] = {0};

	scripted_server_push(srv, SCRIPT_RESET);
	push_206("\"etag1\"", 0, "hello", 100);
	ck_assert_int_eq(get(0, 5, buf), 0);
	ck_assert_str_eq(buf, "hello");
}
END_TEST

START_TEST(client_errors_are_final)
{
	struct bfs_object_info info = {0};

	push_status(404, "NoSuchKey");
	ck_assert_int_eq(be->ops->head(be, "missing", &info), ENOENT);
	push_status(403, "AccessDenied");
	ck_assert_int_eq(be->ops->head(be, "secret", &info), EACCES);
	push_status(400, "InvalidRequest");
	ck_assert_int_eq(be->ops->head(be, "odd", &info), EIO);
	ck_assert_uint_eq(scripted_server_count(srv), 3);
}
END_TEST

START_TEST(head_parses_attributes)
{
	struct bfs_object_info info = {0};
	char *req;

	scripted_server_push(srv,
			     "HTTP/1.1 200 OK\r\nETag: \"abc\"\r\nContent-Length: 5368709120\r\n"
			     "Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\n");
	ck_assert_int_eq(be->ops->head(be, "big ~file", &info), 0);
	ck_assert_uint_eq(info.size, 5368709120ull);
	ck_assert_str_eq(info.etag, "\"abc\"");
	ck_assert_int_eq(info.mtime, 1445412480);
	req = scripted_server_request(srv, 0);
	ck_assert(g_str_has_prefix(req, "HEAD /bkt/big%20~file HTTP/1.1"));
	g_free(req);
	bfs_object_info_clear(&info);
}
END_TEST

static void push_xml(const char *xml)
{
	char *r = g_strdup_printf("HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
				  "Content-Length: %zu\r\n\r\n%s",
				  strlen(xml), xml);

	scripted_server_push(srv, r);
	g_free(r);
}

START_TEST(list_request_and_pagination)
{
	struct bfs_list_page p;
	char *req;

	push_xml("<ListBucketResult><IsTruncated>true</IsTruncated>"
		 "<NextContinuationToken>a/b=c d</NextContinuationToken>"
		 "<Contents><Key>p/x</Key><Size>1</Size></Contents></ListBucketResult>");
	ck_assert_int_eq(be->ops->list(be, "p/", true, NULL, 1000, &p), 0);
	ck_assert(p.truncated);
	ck_assert_str_eq(p.next_token, "a/b=c d");
	bfs_list_page_clear(&p);
	push_xml("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
	ck_assert_int_eq(be->ops->list(be, "p/", true, "a/b=c d", 1000, &p), 0);
	bfs_list_page_clear(&p);
	req = scripted_server_request(srv, 1);
	ck_assert_msg(strstr(req, "continuation-token=a%2Fb%3Dc%20d&delimiter=%2F&"
				  "encoding-type=url&list-type=2&max-keys=1000&prefix=p%2F"),
		      "%s", req);
	g_free(req);
}
END_TEST

START_TEST(bad_listings)
{
	struct bfs_list_page p;
	GString *huge = g_string_new("<ListBucketResult>");

	for (int i = 0; i < 4; i++)
		push_xml("<ListBucketResult><Contents><Key>unterminated");
	ck_assert_int_eq(be->ops->list(be, "", true, NULL, 1000, &p), EIO);
	/* More than the cap on a listing body: refused, not buffered. */
	while (huge->len < (9u << 20))
		g_string_append(huge, "<Contents><Key>k</Key><Size>1</Size></Contents>");
	g_string_append(huge, "</ListBucketResult>");
	for (int i = 0; i < 4; i++)
		push_xml(huge->str);
	ck_assert_int_eq(be->ops->list(be, "", true, NULL, 1000, &p), EIO);
	g_string_free(huge, TRUE);
}
END_TEST

START_TEST(probe_follows_region_once)
{
	char msg[256] = "", *req;

	/* The encoding probe and the first real probe both meet the redirect. */
	for (int i = 0; i < 2; i++)
		scripted_server_push(srv,
				     "HTTP/1.1 301 Moved Permanently\r\n"
				     "x-amz-bucket-region: eu-west-1\r\nContent-Length: 0\r\n\r\n");
	push_xml("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
	ck_assert_msg(be->ops->probe(be, msg, sizeof(msg)) == 0, "%s", msg);
	req = scripted_server_request(srv, 2);
	ck_assert_msg(strstr(req, "/eu-west-1/s3/aws4_request"), "%s", req);
	g_free(req);
}
END_TEST

START_TEST(probe_falls_back_without_url_encoding)
{
	char msg[256] = "", *req;

	push_status(500, "InternalError");
	push_xml("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
	ck_assert_msg(be->ops->probe(be, msg, sizeof(msg)) == 0, "%s", msg);
	req = scripted_server_request(srv, 1);
	ck_assert(!strstr(req, "encoding-type"));
	g_free(req);
	req = scripted_server_request(srv, 0);
	ck_assert(strstr(req, "encoding-type=url"));
	g_free(req);
}
END_TEST

START_TEST(probe_messages)
{
	static const struct {
		int status;
		const char *code, *expect;
	} cases[] = {
		{404, "NoSuchBucket", "does not exist"},
		{403, "InvalidAccessKeyId", "access key id"},
		{403, "SignatureDoesNotMatch", "secret key"},
		{403, "AccessDenied", "access denied"},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char msg[256] = "";

		push_status(cases[i].status, cases[i].code); /* encoding probe */
		push_status(cases[i].status, cases[i].code);
		ck_assert_int_ne(be->ops->probe(be, msg, sizeof(msg)), 0);
		ck_assert_msg(strstr(msg, cases[i].expect), "%s: %s", cases[i].code, msg);
		ck_assert(!strstr(msg, "SKTEST"));
	}
}
END_TEST

START_TEST(unreachable_endpoint)
{
	struct bfs_http_conf hc = {.connect_timeout_ms = 1000, .request_timeout_ms = 2000};
	struct bfs_creds creds = {.anonymous = true};
	struct bfs_s3_conf sc = {.endpoint = "http://127.0.0.1:1",
				 .region = "us-east-1",
				 .bucket = "b",
				 .creds = &creds,
				 .retry = {1, 1, 5}};
	struct bfs_http *h2;
	struct bfs_backend *b2;
	char msg[256] = "";

	ck_assert_int_eq(bfs_http_create(&hc, &h2), 0);
	ck_assert_int_eq(bfs_s3_create(&sc, h2, &b2, msg, sizeof(msg)), 0);
	ck_assert_int_eq(b2->ops->probe(b2, msg, sizeof(msg)), EIO);
	ck_assert(strstr(msg, "cannot reach http://127.0.0.1:1"));
	b2->ops->destroy(b2);
	bfs_http_destroy(&h2);
}
END_TEST

START_TEST(anonymous_requests_are_unsigned)
{
	struct bfs_creds creds = {.anonymous = true};
	struct bfs_s3_conf sc = {
		.region = "us-east-1", .bucket = "bkt", .creds = &creds, .retry = {0, 1, 5}};
	struct bfs_backend *b2;
	struct bfs_object_info info = {0};
	char endpoint[64], msg[256], *req;

	g_snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", scripted_server_port(srv));
	sc.endpoint = endpoint;
	ck_assert_int_eq(bfs_s3_create(&sc, http, &b2, msg, sizeof(msg)), 0);
	scripted_server_push(srv, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
	ck_assert_int_eq(b2->ops->head(b2, "k", &info), 0);
	req = scripted_server_request(srv, 0);
	ck_assert(!strstr(req, "authorization"));
	g_free(req);
	bfs_object_info_clear(&info);
	b2->ops->destroy(b2);
}
END_TEST

START_TEST(addressing)
{
	struct bfs_creds creds = {.anonymous = true};
	struct bfs_s3_conf sc = {.region = "eu-west-1", .bucket = "my-bucket", .creds = &creds};
	struct bfs_backend *b2;
	char msg[256], *url, *path;

	/* AWS, DNS-safe name: virtual-hosted. */
	ck_assert_int_eq(bfs_s3_create(&sc, http, &b2, msg, sizeof(msg)), 0);
	bfs_s3_describe(b2, "a b", &url, &path);
	ck_assert_str_eq(url, "https://my-bucket.s3.eu-west-1.amazonaws.com/a%20b");
	g_free(url);
	g_free(path);
	b2->ops->destroy(b2);
	/* AWS, dotted name: path style. */
	sc.bucket = "my.bucket";
	ck_assert_int_eq(bfs_s3_create(&sc, http, &b2, msg, sizeof(msg)), 0);
	bfs_s3_describe(b2, "k", &url, &path);
	ck_assert_str_eq(url, "https://s3.eu-west-1.amazonaws.com/my.bucket/k");
	g_free(url);
	g_free(path);
	b2->ops->destroy(b2);
	/* Custom endpoint: path style unless told otherwise. */
	sc.bucket = "b1";
	sc.endpoint = "http://[::1]:9000";
	ck_assert_int_eq(bfs_s3_create(&sc, http, &b2, msg, sizeof(msg)), 0);
	bfs_s3_describe(b2, "k", &url, &path);
	ck_assert_str_eq(url, "http://[::1]:9000/b1/k");
	g_free(url);
	g_free(path);
	b2->ops->destroy(b2);
	sc.endpoint = "http://store.local:9000";
	sc.addressing = BFS_ADDR_VHOST;
	ck_assert_int_eq(bfs_s3_create(&sc, http, &b2, msg, sizeof(msg)), 0);
	bfs_s3_describe(b2, "k", &url, &path);
	ck_assert_str_eq(url, "http://b1.store.local:9000/k");
	g_free(url);
	g_free(path);
	b2->ops->destroy(b2);
	sc.endpoint = "http://store.local:9000/some/path";
	ck_assert_int_eq(bfs_s3_create(&sc, http, &b2, msg, sizeof(msg)), EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("s3");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, ranged_get_ok);
	tcase_add_test(tc, short_body_is_retried);
	tcase_add_test(tc, wrong_range_is_never_served);
	tcase_add_test(tc, whole_object_answer_is_not_a_range);
	tcase_add_test(tc, longer_body_than_asked);
	tcase_add_test(tc, changed_object_is_estale);
	tcase_add_test(tc, throttling_is_retried);
	tcase_add_test(tc, throttling_exhausted_is_eio_not_enoent);
	tcase_add_test(tc, reset_is_retried);
	tcase_add_test(tc, client_errors_are_final);
	tcase_add_test(tc, head_parses_attributes);
	tcase_add_test(tc, list_request_and_pagination);
	tcase_add_test(tc, bad_listings);
	tcase_add_test(tc, probe_follows_region_once);
	tcase_add_test(tc, probe_falls_back_without_url_encoding);
	tcase_add_test(tc, probe_messages);
	tcase_add_test(tc, unreachable_endpoint);
	tcase_add_test(tc, anonymous_requests_are_unsigned);
	tcase_add_test(tc, addressing);
	suite_add_tcase(s, tc);
	return bfs_run_suite(s);
}
