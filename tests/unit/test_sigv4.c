// SPDX-License-Identifier: MIT
/* SigV4 against AWS's published S3 examples and against botocore. */
#include "bucketfs/sigv4.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define AK "AKIAIOSFODNN7EXAMPLE"
#define SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

static const struct bfs_sigv4_key aws_key = {AK, SK, "us-east-1", "s3"};

static char *sign(const char *method, const char *path, const char *query,
		  const struct bfs_header *h, size_t nh)
{
	struct bfs_sigv4_request r = {
		method, path, query, h, nh, BFS_SHA256_EMPTY, "20130524T000000Z"};

	return bfs_sigv4_authorization(&r, &aws_key, NULL);
}

/* "GET Object" example: Range header signed too. */
START_TEST(aws_get_object)
{
	struct bfs_header h[] = {
		{"Host", "examplebucket.s3.amazonaws.com"},
		{"Range", "bytes=0-9"},
		{"x-amz-content-sha256", BFS_SHA256_EMPTY},
		{"x-amz-date", "20130524T000000Z"},
	};
	char *a = sign("GET", "/test.txt", "", h, 4);

	ck_assert_str_eq(
		a, "AWS4-HMAC-SHA256 Credential=" AK "/20130524/us-east-1/s3/aws4_request,"
		   "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
		   "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	g_free(a);
}
END_TEST

/* "GET Bucket (List Objects)" example: sorted, encoded query. */
START_TEST(aws_list_objects)
{
	struct bfs_query_param q[] = {{"prefix", "J"}, {"max-keys", "2"}};
	struct bfs_header h[] = {
		{"host", "examplebucket.s3.amazonaws.com"},
		{"x-amz-content-sha256", BFS_SHA256_EMPTY},
		{"x-amz-date", "20130524T000000Z"},
	};
	char *cq = bfs_sigv4_canonical_query(q, 2);
	char *a;

	ck_assert_str_eq(cq, "max-keys=2&prefix=J");
	a = sign("GET", "/", cq, h, 3);
	ck_assert(strstr(
		a, "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
	g_free(a);
	g_free(cq);
}
END_TEST

/* "GET Bucket Lifecycle" example: a valueless parameter becomes "name=". */
START_TEST(aws_lifecycle)
{
	struct bfs_query_param q[] = {{"lifecycle", NULL}};
	struct bfs_header h[] = {
		{"host", "examplebucket.s3.amazonaws.com"},
		{"x-amz-content-sha256", BFS_SHA256_EMPTY},
		{"x-amz-date", "20130524T000000Z"},
	};
	char *cq = bfs_sigv4_canonical_query(q, 1);
	char *a;

	ck_assert_str_eq(cq, "lifecycle=");
	a = sign("GET", "/", cq, h, 3);
	ck_assert(strstr(
		a, "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"));
	g_free(a);
	g_free(cq);
}
END_TEST

START_TEST(uri_encoding)
{
	GString *s = g_string_new(NULL);
	const char *key = "a b/+%?#&=:@^'~._-\xc3\xa9";

	bfs_uri_encode(s, key, strlen(key), 1);
	ck_assert_str_eq(s->str, "a%20b/%2B%25%3F%23%26%3D%3A%40%5E%27~._-%C3%A9");
	g_string_truncate(s, 0);
	bfs_uri_encode(s, "a/b", 3, 0);
	ck_assert_str_eq(s->str, "a%2Fb");
	g_string_free(s, TRUE);
}
END_TEST

START_TEST(canonical_query_rules)
{
	struct bfs_query_param q[] = {{"prefix", "a b/c=d+e"},
				      {"delimiter", "/"},
				      {"list-type", "2"},
				      {"continuation-token", "x/y=="}};
	char *cq = bfs_sigv4_canonical_query(q, 4);

	ck_assert_str_eq(cq, "continuation-token=x%2Fy%3D%3D&delimiter=%2F&list-type=2&"
			     "prefix=a%20b%2Fc%3Dd%2Be");
	g_free(cq);
}
END_TEST

START_TEST(header_values_canonicalised)
{
	struct bfs_header h1[] = {{"Host", "h"}, {"X-Amz-Meta-A", "  a   b  "}};
	struct bfs_header h2[] = {{"x-amz-meta-a", "a b"}, {"host", "h"}};
	char *c1 = NULL, *c2 = NULL, *a1, *a2;
	struct bfs_sigv4_request r1 = {"GET", "/", "", h1, 2, BFS_SHA256_EMPTY, "20130524T000000Z"};
	struct bfs_sigv4_request r2 = {"GET", "/", "", h2, 2, BFS_SHA256_EMPTY, "20130524T000000Z"};

	a1 = bfs_sigv4_authorization(&r1, &aws_key, &c1);
	a2 = bfs_sigv4_authorization(&r2, &aws_key, &c2);
	ck_assert_str_eq(c1, c2);
	ck_assert_str_eq(a1, a2);
	ck_assert(strstr(c1, "host:h\nx-amz-meta-a:a b\n"));
	g_free(a1);
	g_free(a2);
	g_free(c1);
	g_free(c2);
}
END_TEST

/* Keys with every awkward character, signed by us and by botocore. */
static const char *const awkward_keys[] = {
	"plain.txt",
	"with space/and+plus",
	"percent%41/hash#/question?/amp&/eq=/colon:/at@/caret^",
	"quote'comma,semi;dollar$[brackets](parens)~star*",
	"unicode/\xc3\xa9t\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80.bin",
	"dots/./and/../double//slash",
	"tilde~under_score-dash.dot",
};

START_TEST(matches_botocore)
{
	const char *argv[] = {"/usr/bin/python3", SOURCE_DIR "/tests/tools/botocore_sign.py", NULL};
	GString *in = g_string_new(NULL);
	char *out = NULL, *err = NULL, **lines;
	gint status = -1;
	GError *error = NULL;
	size_t n = G_N_ELEMENTS(awkward_keys);

	for (size_t i = 0; i < n; i++)
		g_string_append_printf(in, "GET\t127.0.0.1:9000\tbkt\t%s\t\n", awkward_keys[i]);
	g_string_append(in, "GET\t127.0.0.1:9000\tbkt\t\tlist-type=2&prefix=a b+c/\xc3\xa9%/&"
			    "delimiter=/&max-keys=1000&continuation-token=1/ab+c\n");
	{
		/* Feed stdin through a temporary file: simplest with g_spawn. */
		char *tmp = NULL;
		int fd = g_file_open_tmp("sigv4-XXXXXX", &tmp, NULL);
		char *cmd;

		ck_assert_int_ge(fd, 0);
		ck_assert(g_file_set_contents(tmp, in->str, (gssize)in->len, NULL));
		close(fd);
		cmd = g_strdup_printf("%s %s < %s", argv[0], argv[1], tmp);
		ck_assert(g_spawn_sync(NULL, (char *[]){"/bin/sh", "-c", cmd, NULL}, NULL, 0, NULL,
				       NULL, &out, &err, &status, &error));
		ck_assert_msg(status == 0, "botocore signer failed: %s", err);
		unlink(tmp);
		g_free(tmp);
		g_free(cmd);
	}
	lines = g_strsplit(out, "\n", -1);
	ck_assert_uint_ge(g_strv_length(lines), n + 1);
	for (size_t i = 0; i < n; i++) {
		GString *path = g_string_new("/bkt/");
		struct bfs_header h[] = {{"host", "127.0.0.1:9000"},
					 {"x-amz-date", "20130524T000000Z"},
					 {"x-amz-content-sha256", BFS_SHA256_EMPTY}};
		char *a;

		bfs_uri_encode(path, awkward_keys[i], strlen(awkward_keys[i]), 1);
		a = sign("GET", path->str, "", h, 3);
		ck_assert_msg(strcmp(a, lines[i]) == 0, "key '%s': ours %s, botocore %s",
			      awkward_keys[i], a, lines[i]);
		g_free(a);
		g_string_free(path, TRUE);
	}
	{
		struct bfs_query_param q[] = {{"list-type", "2"},
					      {"prefix", "a b+c/\xc3\xa9%/"},
					      {"delimiter", "/"},
					      {"max-keys", "1000"},
					      {"continuation-token", "1/ab+c"}};
		struct bfs_header h[] = {{"host", "127.0.0.1:9000"},
					 {"x-amz-date", "20130524T000000Z"},
					 {"x-amz-content-sha256", BFS_SHA256_EMPTY}};
		char *cq = bfs_sigv4_canonical_query(q, 5);
		char *a = sign("GET", "/bkt", cq, h, 3);

		ck_assert_str_eq(a, lines[n]);
		g_free(a);
		g_free(cq);
	}
	g_strfreev(lines);
	g_free(out);
	g_free(err);
	g_string_free(in, TRUE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sigv4");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, aws_get_object);
	tcase_add_test(tc, aws_list_objects);
	tcase_add_test(tc, aws_lifecycle);
	tcase_add_test(tc, uri_encoding);
	tcase_add_test(tc, canonical_query_rules);
	tcase_add_test(tc, header_values_canonicalised);
	tcase_add_test(tc, matches_botocore);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
