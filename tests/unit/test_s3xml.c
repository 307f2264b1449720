// SPDX-License-Identifier: MIT
/* ListObjectsV2 and error documents: normal, encoded, malformed, oversized. */
#include "bucketfs/s3xml.h"

#include "testutil.h"

#include <string.h>

static int parse(const char *xml, struct bfs_list_page *page)
{
	bfs_list_page_init(page);
	return bfs_s3xml_parse_list(xml, strlen(xml), page);
}

static struct bfs_list_item *item(struct bfs_list_page *p, guint i)
{
	return g_ptr_array_index(p->items, i);
}

START_TEST(list_page)
{
	const char *xml =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Name>b</Name><Prefix>d/</Prefix><KeyCount>3</KeyCount><MaxKeys>3</MaxKeys>"
		"<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
		"<NextContinuationToken>tok/en==</NextContinuationToken>"
		"<Contents><Key>d/a &amp; "
		"b.txt</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified>"
		"<ETag>&quot;abc&quot;</ETag><Size>1234567890123</Size><StorageClass>STANDARD</"
		"StorageClass></Contents>"
		"<Contents><Key>d/</Key><Size>0</Size></Contents>"
		"<CommonPrefixes><Prefix>d/sub/</Prefix></CommonPrefixes>"
		"</ListBucketResult>";
	struct bfs_list_page p;

	ck_assert_int_eq(parse(xml, &p), 0);
	ck_assert(p.truncated);
	ck_assert_str_eq(p.next_token, "tok/en==");
	ck_assert_uint_eq(p.items->len, 3);
	ck_assert_str_eq(item(&p, 0)->key, "d/a & b.txt");
	ck_assert_uint_eq(item(&p, 0)->size, 1234567890123ull);
	ck_assert_str_eq(item(&p, 0)->etag, "\"abc\"");
	ck_assert_int_eq(item(&p, 0)->mtime, 1704164645);
	ck_assert(!item(&p, 0)->is_prefix);
	ck_assert(item(&p, 2)->is_prefix);
	ck_assert_str_eq(item(&p, 2)->key, "d/sub/");
	bfs_list_page_clear(&p);
}
END_TEST

START_TEST(url_encoded_keys)
{
	const char *xml = "<ListBucketResult><EncodingType>url</EncodingType>"
			  "<Contents><Key>a+b%2Bc%0D%C3%A9</Key><Size>1</Size></Contents>"
			  "<Contents><Key>nul%00x</Key><Size>1</Size></Contents>"
			  "<CommonPrefixes><Prefix>p%20q/</Prefix></CommonPrefixes>"
			  "<IsTruncated>false</IsTruncated></ListBucketResult>";
	struct bfs_list_page p;

	ck_assert_int_eq(parse(xml, &p), 0);
	ck_assert_str_eq(item(&p, 0)->key, "a b+c\r\xc3\xa9");
	ck_assert(!item(&p, 0)->has_nul);
	ck_assert(item(&p, 1)->has_nul);
	ck_assert_str_eq(item(&p, 2)->key, "p q/");
	bfs_list_page_clear(&p);
}
END_TEST

START_TEST(malformed)
{
	static const char *const bad[] = {
		"",
		"not xml at all",
		"<ListBucketResult><Contents><Key>a</Key>",  /* truncated */
		"<Error><Code>InternalError</Code></Error>", /* wrong root */
		"<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>", /* no
											       key
											     */
		"<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents></"
		"ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Key><Size>x</Size></Contents></"
		"ListBucketResult>",
		"<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", /* no token
											 */
		"<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>%zz</Key></"
		"Contents>"
		"</ListBucketResult>",
		"<ListBucketResult><Contents><Key>a</Contents></ListBucketResult>",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct bfs_list_page p;

		ck_assert_msg(parse(bad[i], &p) == EBADMSG, "accepted: %s", bad[i]);
		bfs_list_page_clear(&p);
	}
}
END_TEST

START_TEST(oversized_value)
{
	GString *xml = g_string_new("<ListBucketResult><Contents><Key>");
	struct bfs_list_page p;

	for (int i = 0; i < 100000; i++)
		g_string_append_c(xml, 'k');
	g_string_append(xml, "</Key></Contents></ListBucketResult>");
	ck_assert_int_eq(parse(xml->str, &p), EBADMSG);
	bfs_list_page_clear(&p);
	g_string_free(xml, TRUE);
}
END_TEST

START_TEST(error_document)
{
	const char *xml = "<?xml version=\"1.0\"?><Error><Code>AuthorizationHeaderMalformed</Code>"
			  "<Message>wrong region</Message><Region>eu-west-1</Region></Error>";
	struct bfs_s3_error e = {0};

	ck_assert_int_eq(bfs_s3xml_parse_error(xml, strlen(xml), &e), 0);
	ck_assert_str_eq(e.code, "AuthorizationHeaderMalformed");
	ck_assert_str_eq(e.region, "eu-west-1");
	bfs_s3_error_clear(&e);
	ck_assert_int_eq(bfs_s3xml_parse_error("<html>", 6, &e), EBADMSG);
	bfs_s3_error_clear(&e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("s3xml");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, list_page);
	tcase_add_test(tc, url_encoded_keys);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, oversized_value);
	tcase_add_test(tc, error_document);
	suite_add_tcase(s, tc);
	return bfs_run_suite(s);
}
