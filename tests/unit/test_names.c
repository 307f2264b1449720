// SPDX-License-Identifier: MIT
/* Key -> name rules, and assembling a directory from listing pages. */
#include "bucketfs/dirlist.h"
#include "bucketfs/keymap.h"

#include "testutil.h"

#include <string.h>

START_TEST(name_rules)
{
	char longname[300];

	ck_assert_ptr_null(bfs_name_invalid_reason("a b+c%?#", 8, false));
	ck_assert_ptr_nonnull(bfs_name_invalid_reason("", 0, false));
	ck_assert_ptr_nonnull(bfs_name_invalid_reason(".", 1, false));
	ck_assert_ptr_nonnull(bfs_name_invalid_reason("..", 2, false));
	ck_assert_ptr_null(bfs_name_invalid_reason("...", 3, false));
	ck_assert_ptr_nonnull(bfs_name_invalid_reason("a\0b", 3, false));
	ck_assert_ptr_nonnull(bfs_name_invalid_reason("ab", 2, true));
	memset(longname, 'x', sizeof(longname));
	ck_assert_ptr_null(bfs_name_invalid_reason(longname, 255, false));
	ck_assert_ptr_nonnull(bfs_name_invalid_reason(longname, 256, false));
}
END_TEST

static void add(struct bfs_list_page *p, const char *key, bool prefix, uint64_t size)
{
	struct bfs_list_item *it = g_new0(struct bfs_list_item, 1);

	it->key = g_strdup(key);
	it->is_prefix = prefix;
	it->size = size;
	g_ptr_array_add(p->items, it);
}

static const struct bfs_dirent *at(GPtrArray *a, guint i)
{
	return g_ptr_array_index(a, i);
}

START_TEST(directory_assembly)
{
	struct bfs_dirlist *dl = bfs_dirlist_new("top/");
	struct bfs_list_page p1, p2;
	GPtrArray *out;
	char longkey[300];

	bfs_list_page_init(&p1);
	bfs_list_page_init(&p2);
	add(&p1, "top/", false, 0); /* the directory's own marker */
	add(&p1, "top/b.txt", false, 5);
	add(&p1, "top/same", false, 7); /* hidden by the directory below */
	add(&p1, "top//", true, 0);	/* empty component */
	add(&p1, "top/./", true, 0);
	add(&p1, "top/../", true, 0);
	add(&p2, "top/same/", true, 0);
	add(&p2, "top/a dir/", true, 0);
	add(&p2, "top/other", false, 3);
	add(&p2, "elsewhere/x", false, 1); /* outside the prefix */
	memset(longkey, 'k', sizeof(longkey));
	memcpy(longkey, "top/", 4);
	longkey[4 + 256] = '\0';
	add(&p2, longkey, false, 1);
	bfs_dirlist_add_page(dl, &p1);
	bfs_dirlist_add_page(dl, &p2);
	out = bfs_dirlist_finish(dl);

	ck_assert_uint_eq(out->len, 4);
	ck_assert_str_eq(at(out, 0)->name, "a dir");
	ck_assert(at(out, 0)->is_dir);
	ck_assert_str_eq(at(out, 1)->name, "b.txt");
	ck_assert_uint_eq(at(out, 1)->size, 5);
	ck_assert_str_eq(at(out, 2)->name, "other");
	ck_assert_str_eq(at(out, 3)->name, "same");
	ck_assert(at(out, 3)->is_dir);
	g_ptr_array_unref(out);
	bfs_list_page_clear(&p1);
	bfs_list_page_clear(&p2);
}
END_TEST

START_TEST(file_after_directory_still_loses)
{
	struct bfs_dirlist *dl = bfs_dirlist_new("");
	struct bfs_list_page p;
	GPtrArray *out;

	bfs_list_page_init(&p);
	add(&p, "x/", true, 0);
	add(&p, "x", false, 9);
	bfs_dirlist_add_page(dl, &p);
	out = bfs_dirlist_finish(dl);
	ck_assert_uint_eq(out->len, 1);
	ck_assert(at(out, 0)->is_dir);
	g_ptr_array_unref(out);
	bfs_list_page_clear(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, name_rules);
	tcase_add_test(tc, directory_assembly);
	tcase_add_test(tc, file_after_directory_still_loses);
	suite_add_tcase(s, tc);
	return bfs_run_suite(s);
}
