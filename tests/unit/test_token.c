// SPDX-License-Identifier: MIT
/*
 * OAuth2 token sources: the service-account JWT (checked with OpenSSL
 * against the key's public half), key-file errors, the exchange and its
 * caching and refresh against a scripted token endpoint, the metadata
 * server's header, token files.
 */
#include "bucketfs/token.h"

#include "scripted_server.h"
#include "testutil.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <string.h>
#include <unistd.h>

static char *dir;
static EVP_PKEY *pkey;
static struct bfs_http *http;

static void setup(void)
{
	struct bfs_http_conf hc = {.connect_timeout_ms = 2000, .request_timeout_ms = 5000};

	dir = g_dir_make_tmp("bfs-token-XXXXXX", NULL);
	pkey = EVP_RSA_gen(2048);
	ck_assert_ptr_nonnull(pkey);
	ck_assert_int_eq(bfs_http_create(&hc, &http), 0);
}

static void teardown(void)
{
	bfs_test_remove_dir(dir);
	EVP_PKEY_free(pkey);
	bfs_http_destroy(&http);
}

static char *write_file(const char *name, const char *text)
{
	char *path = g_build_filename(dir, name, NULL);

	ck_assert(g_file_set_contents(path, text, -1, NULL));
	chmod(path, 0600);
	return path;
}

/* A service-account key file for pkey, whose token_uri is @uri. */
static char *sa_key(const char *uri)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem, *json, *path;
	JsonBuilder *b = json_builder_new();
	JsonGenerator *g = json_generator_new();
	long n;

	PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(bio, &pem);
	pem = g_strndup(pem, (gsize)n);
	BIO_free(bio);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, "service_account");
	json_builder_set_member_name(b, "client_email");
	json_builder_add_string_value(b, "sa@p.iam.gserviceaccount.com");
	json_builder_set_member_name(b, "private_key_id");
	json_builder_add_string_value(b, "kid-1");
	json_builder_set_member_name(b, "private_key");
	json_builder_add_string_value(b, pem);
	json_builder_set_member_name(b, "token_uri");
	json_builder_add_string_value(b, uri);
	json_builder_end_object(b);
	json_generator_set_root(g, json_builder_get_root(b));
	json_node_unref(json_builder_get_root(b));
	json = json_generator_to_data(g, NULL);
	path = write_file("sa.json", json);
	g_free(json);
	g_free(pem);
	g_object_unref(g);
	g_object_unref(b);
	return path;
}

static guchar *b64url_decode(const char *s, gsize *len)
{
	GString *t = g_string_new(s);

	for (gsize i = 0; i < t->len; i++)
		t->str[i] = t->str[i] == '-' ? '+' : t->str[i] == '_' ? '/' : t->str[i];
	while (t->len % 4)
		g_string_append_c(t, '=');
	guchar *out = g_base64_decode(t->str, len);
	g_string_free(t, TRUE);
	return out;
}

START_TEST(jwt_is_signed_rs256)
{
	char *path = sa_key("https://oauth2.example/token"), msg[256];
	struct bfs_token_conf tc = {.kind = BFS_TOKEN_KEY_FILE, .path = path};
	struct bfs_token_source *ts;
	char *jwt, **parts, *signed_part;
	guchar *header, *claims, *sig;
	gsize hl, cl, sl;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	ck_assert_int_eq(bfs_token_source_create(&tc, http, &ts, msg, sizeof(msg)), 0);
	ck_assert_str_eq(bfs_token_source_describe(ts),
			 "service account sa@p.iam.gserviceaccount.com");
	jwt = bfs_token_jwt(ts, 1795334400);
	parts = g_strsplit(jwt, ".", -1);
	ck_assert_uint_eq(g_strv_length(parts), 3);
	header = b64url_decode(parts[0], &hl);
	claims = b64url_decode(parts[1], &cl);
	sig = b64url_decode(parts[2], &sl);
	ck_assert(g_strstr_len((char *)header, (gssize)hl, "\"alg\":\"RS256\""));
	ck_assert(g_strstr_len((char *)header, (gssize)hl, "\"kid\":\"kid-1\""));
	ck_assert(g_strstr_len((char *)claims, (gssize)cl,
			       "\"iss\":\"sa@p.iam.gserviceaccount.com\""));
	ck_assert(g_strstr_len((char *)claims, (gssize)cl,
			       "\"aud\":\"https://oauth2.example/token\""));
	ck_assert(g_strstr_len((char *)claims, (gssize)cl, "devstorage.read_only"));
	ck_assert(g_strstr_len((char *)claims, (gssize)cl, "\"iat\":1795334400"));
	ck_assert(g_strstr_len((char *)claims, (gssize)cl, "\"exp\":1795338000"));
	/* the signature verifies with the public half, over "header.claims" */
	signed_part = g_strdup_printf("%s.%s", parts[0], parts[1]);
	ck_assert_int_eq(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey), 1);
	ck_assert_int_eq(EVP_DigestVerify(md, sig, sl, (guchar *)signed_part, strlen(signed_part)),
			 1);
	signed_part[3] ^= 1; /* and not over anything else */
	ck_assert_int_ne(EVP_DigestVerify(md, sig, sl, (guchar *)signed_part, strlen(signed_part)),
			 1);
	EVP_MD_CTX_free(md);
	g_free(signed_part);
	g_free(header);
	g_free(claims);
	g_free(sig);
	g_strfreev(parts);
	g_free(jwt);
	bfs_token_source_destroy(ts);
	g_free(path);
}
END_TEST

START_TEST(bad_key_files)
{
	static const struct {
		const char *json, *text;
	} cases[] = {
		{"{\"type\": \"service_account\"", "not a JSON object"},
		{"[1, 2]", "not a JSON object"},
		{"{\"type\": \"external_account\"}", "type 'external_account'"},
		{"{\"type\": \"service_account\", \"private_key\": \"x\"}", "lacks client_email"},
		{"{\"type\": \"service_account\", \"client_email\": \"a@b\", \"private_key\": "
		 "\"-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n\"}",
		 "not an RSA key"},
		{"{\"type\": \"authorized_user\", \"client_id\": \"x\"}", "lacks client_id"},
	};
	char msg[256];

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *path = write_file("bad.json", cases[i].json);
		struct bfs_token_conf tc = {.kind = BFS_TOKEN_KEY_FILE, .path = path};
		struct bfs_token_source *ts = NULL;

		ck_assert_int_eq(bfs_token_source_create(&tc, http, &ts, msg, sizeof(msg)), EINVAL);
		ck_assert_msg(strstr(msg, cases[i].text) && strstr(msg, path), "%zu: %s", i, msg);
		g_free(path);
	}
	{
		struct bfs_token_conf tc = {.kind = BFS_TOKEN_KEY_FILE,
					    .path = "/nonexistent/k.json"};
		struct bfs_token_source *ts = NULL;

		ck_assert_int_eq(bfs_token_source_create(&tc, http, &ts, msg, sizeof(msg)), EACCES);
		ck_assert_msg(strstr(msg, "cannot be read"), "%s", msg);
	}
}
END_TEST

static void push_token(struct scripted_server *srv, const char *tok, int expires_in)
{
	char *body = g_strdup_printf("{\"access_token\": \"%s\", \"expires_in\": %d, "
				     "\"token_type\": \"Bearer\"}",
				     tok, expires_in);
	char *r = g_strdup_printf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				  "Content-Length: %zu\r\n\r\n%s",
				  strlen(body), body);

	scripted_server_push(srv, r);
	g_free(r);
	g_free(body);
}

START_TEST(exchange_cache_refresh)
{
	struct scripted_server *srv = scripted_server_start();
	char uri[64], msg[256], *path, *tok = NULL, *req;
	struct bfs_token_conf tc = {.kind = BFS_TOKEN_KEY_FILE};
	struct bfs_token_source *ts;

	g_snprintf(uri, sizeof(uri), "http://127.0.0.1:%d/token", scripted_server_port(srv));
	path = sa_key(uri);
	tc.path = path;
	ck_assert_int_eq(bfs_token_source_create(&tc, http, &ts, msg, sizeof(msg)), 0);
	push_token(srv, "first", 3600);
	ck_assert_int_eq(bfs_token_get(ts, &tok, msg, sizeof(msg)), 0);
	ck_assert_str_eq(tok, "first");
	g_free(tok);
	req = scripted_server_request(srv, 0);
	ck_assert_msg(g_str_has_prefix(req, "POST /token HTTP/1.1"), "%s", req);
	ck_assert(strstr(req, "application/x-www-form-urlencoded"));
	g_free(req);
	/* cached while valid */
	ck_assert_int_eq(bfs_token_get(ts, &tok, msg, sizeof(msg)), 0);
	ck_assert_str_eq(tok, "first");
	g_free(tok);
	ck_assert_uint_eq(scripted_server_count(srv), 1);
	bfs_token_source_destroy(ts);

	/* a short life is refreshed ahead of its end */
	ck_assert_int_eq(bfs_token_source_create(&tc, http, &ts, msg, sizeof(msg)), 0);
	push_token(srv, "short", 2);
	push_token(srv, "next", 3600);
	ck_assert_int_eq(bfs_token_get(ts, &tok, msg, sizeof(msg)), 0);
	ck_assert_str_eq(tok, "short");
	g_free(tok);
	sleep(2);
	ck_assert_int_eq(bfs_token_get(ts, &tok, msg, sizeof(msg)), 0);
	ck_assert_str_eq(tok, "next");
	g_free(tok);
	ck_assert_uint_eq(bfs_token_fetches(ts), 2);
	bfs_token_source_destroy(ts);

	/* refused: the endpoint's error, in one line */
	ck_assert_int_eq(bfs_token_source_create(&tc, http, &ts, msg, sizeof(msg)), 0);
	{
		const char *body =
			"{\"error\": \"invalid_grant\", \"error_description\": \"bad sig\"}";
		char *r =
			g_strdup_printf("HTTP/1.1 400 Bad Request\r\nContent-Length: %zu\r\n\r\n%s",
					strlen(body), body);

		scripted_server_push(srv, r);
		g_free(r);
	}
	ck_assert_int_eq(bfs_token_get(ts, &tok, msg, sizeof(msg)), EACCES);
	ck_assert_msg(strstr(msg, "refused (HTTP 400: invalid_grant: bad sig)"), "%s", msg);
	bfs_token_source_destroy(ts);
	scripted_server_stop(srv);
	g_free(path);
}
END_TEST

START_TEST(metadata_and_files)
{
	struct scripted_server *srv = scripted_server_start();
	char host[64], msg[256], *tok = NULL, *req, *path;
	struct bfs_token_conf tc = {.kind = BFS_TOKEN_METADATA, .metadata_host = host};
	struct bfs_token_source *ts;

	g_snprintf(host, sizeof(host), "127.0.0.1:%d", scripted_server_port(srv));
	ck_assert_int_eq(bfs_token_source_create(&tc, http, &ts, msg, sizeof(msg)), 0);
	push_token(srv, "meta", 3600);
	ck_assert_int_eq(bfs_token_get(ts, &tok, msg, sizeof(msg)), 0);
	ck_assert_str_eq(tok, "meta");
	g_free(tok);
	req = scripted_server_request(srv, 0);
	ck_assert(g_str_has_prefix(
		req, "GET /computeMetadata/v1/instance/service-accounts/default/token HTTP/1.1"));
	ck_assert(strstr(req, "metadata-flavor: Google"));
	g_free(req);
	bfs_token_source_destroy(ts);
	scripted_server_stop(srv);

	/* a token file is re-read when it changes */
	path = write_file("tok", "one\n");
	tc = (struct bfs_token_conf){.kind = BFS_TOKEN_FILE, .path = path};
	ck_assert_int_eq(bfs_token_source_create(&tc, http, &ts, msg, sizeof(msg)), 0);
	ck_assert_int_eq(bfs_token_get(ts, &tok, msg, sizeof(msg)), 0);
	ck_assert_str_eq(tok, "one");
	g_free(tok);
	g_usleep(20000);
	g_free(write_file("tok", "two"));
	ck_assert_int_eq(bfs_token_get(ts, &tok, msg, sizeof(msg)), 0);
	ck_assert_str_eq(tok, "two");
	g_free(tok);
	bfs_token_source_destroy(ts);
	g_free(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("token");
	TCase *tc = tcase_create("token");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, jwt_is_signed_rs256);
	tcase_add_test(tc, bad_key_files);
	tcase_add_test(tc, exchange_cache_refresh);
	tcase_add_test(tc, metadata_and_files);
	suite_add_tcase(s, tc);
	return bfs_run_suite(s);
}
