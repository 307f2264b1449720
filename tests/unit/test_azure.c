// SPDX-License-Identifier: MIT
/*
 * The Azure backend: Shared Key signing against signatures computed
 * independently (Python's hmac, recorded below), List Blobs parsing, and the
 * backend against a scripted server: headers, SAS, bearer tokens, ranges,
 * changed blobs, errors, credential resolution.
 */
#include "bucketfs/azure.h"
#include "bucketfs/azxml.h"

#include "scripted_server.h"
#include "testutil.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#define TEST_KEY_B64 "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY3OA=="

START_TEST(shared_key_signature)
{
	gsize klen;
	guchar *key = g_base64_decode(TEST_KEY_B64, &klen);
	const struct bfs_header h[] = {
		{"x-ms-version", "2021-12-02"},
		{"x-ms-date", "Sun, 22 Nov 2026 08:00:00 GMT"},
		{"x-ms-range", "bytes=0-99"},
		{"if-match", "\"0x8D\""},
	};
	const struct bfs_query_param q[] = {{"restype", "container"},
					    {"comp", "list"},
					    {"marker", "2!88!x y"},
					    {"delimiter", "/"}};
	const struct bfs_header h2[] = {{"x-ms-date", "Sun, 22 Nov 2026 08:00:00 GMT"},
					{"x-ms-version", "2021-12-02"}};
	char *sts = NULL, *auth;

	auth = bfs_azure_shared_key("myaccount", key, klen, "GET", "/mycontainer/dir/a%20b.txt",
				    NULL, 0, h, G_N_ELEMENTS(h), &sts);
	/* the standard headers in their fixed order (If-Match in its slot),
	 * then x-ms-* sorted, then /account + the encoded path */
	ck_assert_str_eq(sts, "GET\n\n\n\n\n\n\n\n\"0x8D\"\n\n\n\n"
			      "x-ms-date:Sun, 22 Nov 2026 08:00:00 GMT\nx-ms-range:bytes=0-99\n"
			      "x-ms-version:2021-12-02\n/myaccount/mycontainer/dir/a%20b.txt");
	ck_assert_str_eq(auth, "SharedKey myaccount:IXMVCnCb3it3MVfACqZQJmphDo1n2Vp+UXYbalD6n4I=");
	g_free(sts);
	g_free(auth);
	/* query parameters sorted, values decoded; the account in the path too
	 * (Azurite's path-style URLs) */
	auth = bfs_azure_shared_key("myaccount", key, klen, "GET", "/devstoreaccount1/mycontainer",
				    q, G_N_ELEMENTS(q), h2, G_N_ELEMENTS(h2), &sts);
	ck_assert(g_str_has_suffix(sts, "/myaccount/devstoreaccount1/mycontainer\ncomp:list\n"
					"delimiter:/\nmarker:2!88!x y\nrestype:container"));
	ck_assert_str_eq(auth, "SharedKey myaccount:oMlIk2tBXlsnBpA3466WS6goZHQWp1Wi7plrSXU/Wfo=");
	g_free(sts);
	g_free(auth);
	g_free(key);
}
END_TEST

static struct bfs_list_item *item(struct bfs_list_page *p, guint i)
{
	return g_ptr_array_index(p->items, i);
}

START_TEST(list_parsing)
{
	const char *xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
			  "<EnumerationResults ServiceEndpoint=\"http://x/\" ContainerName=\"c\">"
			  "<Prefix>d/</Prefix><Delimiter>/</Delimiter><Blobs>"
			  "<Blob><Name>d/a b.txt</Name><Properties><Creation-Time>x</Creation-Time>"
			  "<Last-Modified>Sun, 22 Nov 2026 08:00:00 GMT</Last-Modified>"
			  "<Etag>0x8DABC</Etag><Content-Length>12345</Content-Length></Properties>"
			  "<Metadata><Name>not a blob name</Name></Metadata></Blob>"
			  "<Blob><Name Encoded=\"true\">d/bell%07%25.txt</Name><Properties>"
			  "<Content-Length>0</Content-Length><Etag>0x1</Etag></Properties></Blob>"
			  "<BlobPrefix><Name>d/sub/</Name></BlobPrefix>"
			  "</Blobs><NextMarker>2!100!MDAw</NextMarker></EnumerationResults>";
	struct bfs_list_page p;

	bfs_list_page_init(&p);
	ck_assert_int_eq(bfs_azxml_parse_list(xml, strlen(xml), &p), 0);
	ck_assert_uint_eq(p.items->len, 3);
	ck_assert_str_eq(item(&p, 0)->key, "d/a b.txt");
	ck_assert_uint_eq(item(&p, 0)->size, 12345);
	ck_assert_str_eq(item(&p, 0)->etag, "0x8DABC");
	ck_assert_int_eq(item(&p, 0)->mtime, 1795334400);
	ck_assert_str_eq(item(&p, 1)->key, "d/bell\a%.txt");
	ck_assert(item(&p, 2)->is_prefix);
	ck_assert_str_eq(item(&p, 2)->key, "d/sub/");
	ck_assert(p.truncated);
	ck_assert_str_eq(p.next_token, "2!100!MDAw");
	bfs_list_page_clear(&p);

	/* the last page: an empty NextMarker */
	xml = "<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>";
	bfs_list_page_init(&p);
	ck_assert_int_eq(bfs_azxml_parse_list(xml, strlen(xml), &p), 0);
	ck_assert(!p.truncated);
	ck_assert_ptr_null(p.next_token);
	bfs_list_page_clear(&p);

	static const char *const bad[] = {
		"<ListBucketResult/>",
		"<EnumerationResults><Blobs><Blob><Properties/></Blob></Blobs></"
		"EnumerationResults>",
		"<EnumerationResults><Blobs><Blob><Name>x</Name><Properties><Content-Length>-1"
		"</Content-Length></Properties></Blob></Blobs></EnumerationResults>",
		"<EnumerationResults><Blobs>",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		bfs_list_page_init(&p);
		ck_assert_int_eq(bfs_azxml_parse_list(bad[i], strlen(bad[i]), &p), EBADMSG);
		bfs_list_page_clear(&p);
	}
}
END_TEST

static struct scripted_server *srv;
static struct bfs_http *http;
static struct bfs_backend *be;

static void start(enum bfs_azure_auth auth)
{
	struct bfs_http_conf hc = {.connect_timeout_ms = 2000, .request_timeout_ms = 5000};
	struct bfs_azure_creds creds = {.auth = auth, .sas = "sv=2021&sig=S%2Bg"};
	char endpoint[96], msg[256];
	struct bfs_azure_conf ac = {
		.account = "acct", .container = "cont", .creds = &creds, .retry = {2, 1, 5}};
	gsize n;

	creds.key = g_base64_decode(TEST_KEY_B64, &n);
	creds.key_len = n;
	srv = scripted_server_start();
	g_snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d/devstoreaccount1/",
		   scripted_server_port(srv));
	ac.endpoint = endpoint;
	ck_assert_int_eq(bfs_http_create(&hc, &http), 0);
	if (auth == BFS_AZ_BEARER) {
		struct bfs_token_conf tc = {.kind = BFS_TOKEN_STATIC, .token = "TOK"};

		ck_assert_int_eq(bfs_token_source_create(&tc, http, &ac.token, msg, sizeof(msg)),
				 0);
	}
	ck_assert_int_eq(bfs_azure_create(&ac, http, &be, msg, sizeof(msg)), 0);
	g_free(creds.key);
}

static void stop(void)
{
	be->ops->destroy(be);
	bfs_http_destroy(&http);
	scripted_server_stop(srv);
}

START_TEST(ranged_get_shared_key)
{
	char buf[6] = {0}, *req;

	start(BFS_AZ_SHARED_KEY);
	scripted_server_push(srv,
			     "HTTP/1.1 206 Partial Content\r\nETag: \"0x8D\"\r\n"
			     "Content-Range: bytes 10-14/100\r\nContent-Length: 5\r\n\r\nhello");
	ck_assert_int_eq(be->ops->get_range(be, "d/a b!.txt", "\"0x8D\"", 100, 10, buf, 5), 0);
	ck_assert_str_eq(buf, "hello");
	req = scripted_server_request(srv, 0);
	ck_assert_msg(g_str_has_prefix(req, "GET /devstoreaccount1/cont/d/a%20b%21.txt HTTP/1.1"),
		      "%s", req);
	ck_assert(strstr(req, "x-ms-range: bytes=10-14"));
	ck_assert(strstr(req, "if-match: \"0x8D\""));
	ck_assert(strstr(req, "x-ms-version: " BFS_AZURE_VERSION));
	ck_assert(strstr(req, "authorization: SharedKey acct:"));
	g_free(req);
	/* the blob changed: 412 is ESTALE at once, not retried */
	scripted_server_push(srv, "HTTP/1.1 412 Condition Not Met\r\nx-ms-error-code: "
				  "ConditionNotMet\r\nContent-Length: 0\r\n\r\n");
	ck_assert_int_eq(be->ops->get_range(be, "d/x", "\"0x8D\"", 100, 0, buf, 5), ESTALE);
	ck_assert_uint_eq(scripted_server_count(srv), 2);
	stop();
}
END_TEST

START_TEST(sas_and_bearer)
{
	struct bfs_object_info info = {0};
	char *req;

	start(BFS_AZ_SAS);
	scripted_server_push(srv, "HTTP/1.1 200 OK\r\nContent-Length: 42\r\nETag: \"0x1\"\r\n"
				  "Last-Modified: Sun, 22 Nov 2026 08:00:00 GMT\r\n\r\n");
	ck_assert_int_eq(be->ops->head(be, "k", &info), 0);
	ck_assert_uint_eq(info.size, 42);
	ck_assert_str_eq(info.etag, "\"0x1\"");
	bfs_object_info_clear(&info);
	req = scripted_server_request(srv, 0);
	/* the SAS is appended verbatim; no Authorization header */
	ck_assert_msg(g_str_has_prefix(req, "HEAD /devstoreaccount1/cont/k?sv=2021&sig=S%2Bg "),
		      "%s", req);
	ck_assert(!strstr(req, "authorization:"));
	g_free(req);
	stop();

	start(BFS_AZ_BEARER);
	scripted_server_push(srv, "HTTP/1.1 404 Not Found\r\nx-ms-error-code: BlobNotFound\r\n"
				  "Content-Length: 0\r\n\r\n");
	ck_assert_int_eq(be->ops->head(be, "k", &info), ENOENT);
	req = scripted_server_request(srv, 0);
	ck_assert(strstr(req, "authorization: Bearer TOK"));
	ck_assert(strstr(req, "x-ms-version: "));
	g_free(req);
	stop();
}
END_TEST

START_TEST(probe_messages)
{
	char msg[256];
	static const struct {
		const char *head, *body, *text;
	} cases[] = {
		{"404 X\r\nx-ms-error-code: ContainerNotFound", "",
		 "container 'cont' does not exist in account 'acct'"},
		{"403 X",
		 "<?xml version=\"1.0\"?><Error><Code>AuthenticationFailed</Code><Message>Server "
		 "failed.\nRequestId:1</Message><AuthenticationErrorDetail>Signed expiry time [x] "
		 "has to be after signed start time</AuthenticationErrorDetail></Error>",
		 "the account key was refused for account 'acct' (AuthenticationFailed: Signed "
		 "expiry time [x] has to be after signed start time)"},
		{"403 X\r\nx-ms-error-code: AuthorizationPermissionMismatch", "",
		 "access denied to container 'cont'"},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		char *answer = g_strdup_printf("HTTP/1.1 %s\r\nContent-Length: %zu\r\n\r\n%s",
					       cases[i].head, strlen(cases[i].body), cases[i].body);

		start(BFS_AZ_SHARED_KEY);
		scripted_server_push(srv, answer);
		g_free(answer);
		ck_assert_int_ne(be->ops->probe(be, msg, sizeof(msg)), 0);
		ck_assert_msg(strstr(msg, cases[i].text), "%s", msg);
		ck_assert(!strchr(msg, '\n'));
		stop();
	}
}
END_TEST

START_TEST(credential_order)
{
	struct bfs_azure_creds_conf cc = {.account = "acct"};
	struct bfs_azure_creds c;
	char msg[256], *sas = g_build_filename(g_get_tmp_dir(), "bfs-az-sas-test", NULL);

	g_unsetenv("AZURE_STORAGE_CONNECTION_STRING");
	g_unsetenv("AZURE_STORAGE_ACCOUNT");
	g_unsetenv("AZURE_STORAGE_SAS_TOKEN");
	g_unsetenv("AZURE_STORAGE_TOKEN");
	g_setenv("AZURE_STORAGE_KEY", TEST_KEY_B64, TRUE);
	ck_assert_int_eq(bfs_azure_creds_resolve(&cc, &c, msg, sizeof(msg)), 0);
	ck_assert_int_eq(c.auth, BFS_AZ_SHARED_KEY);
	ck_assert_uint_eq(c.key_len, 34);
	bfs_azure_creds_clear(&c);
	/* a config file's SAS comes before the environment; a leading '?' goes */
	cc.sas_token = "?sv=1&sig=x";
	ck_assert_int_eq(bfs_azure_creds_resolve(&cc, &c, msg, sizeof(msg)), 0);
	ck_assert_int_eq(c.auth, BFS_AZ_SAS);
	ck_assert_str_eq(c.sas, "sv=1&sig=x");
	bfs_azure_creds_clear(&c);
	cc.sas_token = NULL;
	/* sas_file= must be private */
	ck_assert(g_file_set_contents(sas, "sv=2&sig=y\n", -1, NULL));
	chmod(sas, 0644);
	cc.sas_file = sas;
	ck_assert_int_eq(bfs_azure_creds_resolve(&cc, &c, msg, sizeof(msg)), EPERM);
	chmod(sas, 0600);
	ck_assert_int_eq(bfs_azure_creds_resolve(&cc, &c, msg, sizeof(msg)), 0);
	ck_assert_str_eq(c.sas, "sv=2&sig=y");
	bfs_azure_creds_clear(&c);
	cc.sas_file = NULL;
	g_unlink(sas);
	g_free(sas);
	/* a connection string: its endpoint and key; Azurite's shorthand */
	g_setenv("AZURE_STORAGE_CONNECTION_STRING",
		 "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" TEST_KEY_B64
		 ";EndpointSuffix=core.chinacloudapi.cn",
		 TRUE);
	ck_assert_int_eq(bfs_azure_creds_resolve(&cc, &c, msg, sizeof(msg)), 0);
	ck_assert_str_eq(c.endpoint, "https://acct.blob.core.chinacloudapi.cn");
	bfs_azure_creds_clear(&c);
	g_setenv("AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true", TRUE);
	cc.account = "devstoreaccount1";
	ck_assert_int_eq(bfs_azure_creds_resolve(&cc, &c, msg, sizeof(msg)), 0);
	ck_assert_str_eq(c.endpoint, "http://127.0.0.1:10000/devstoreaccount1");
	bfs_azure_creds_clear(&c);
	cc.account = "other";
	ck_assert_int_eq(bfs_azure_creds_resolve(&cc, &c, msg, sizeof(msg)), EINVAL);
	g_unsetenv("AZURE_STORAGE_CONNECTION_STRING");
	g_setenv("AZURE_STORAGE_KEY", "!!!", TRUE);
	ck_assert_int_eq(bfs_azure_creds_resolve(&cc, &c, msg, sizeof(msg)), EINVAL);
	ck_assert_msg(strstr(msg, "not valid base64") && !strstr(msg, "!!!"), "%s", msg);
	g_unsetenv("AZURE_STORAGE_KEY");
	ck_assert_int_eq(bfs_azure_creds_resolve(&cc, &c, msg, sizeof(msg)), ENOKEY);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("azure");
	TCase *tc = tcase_create("azure");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, shared_key_signature);
	tcase_add_test(tc, list_parsing);
	tcase_add_test(tc, ranged_get_shared_key);
	tcase_add_test(tc, sas_and_bearer);
	tcase_add_test(tc, probe_messages);
	tcase_add_test(tc, credential_order);
	suite_add_tcase(s, tc);
	return bfs_run_suite(s);
}
