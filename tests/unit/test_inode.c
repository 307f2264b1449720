// SPDX-License-Identifier: MIT
/* The inode table: numbering, lookup counts, caches and their expiry. */
#include "bucketfs/inode.h"

#include "testutil.h"

static struct bfs_dirent file_attr(uint64_t size, const char *etag)
{
	struct bfs_dirent d = {.size = size, .etag = (char *)etag};

	return d;
}

START_TEST(link_and_forget)
{
	struct bfs_inodes *t = bfs_inodes_new(0);
	struct bfs_dirent dir = {.is_dir = true}, f = file_attr(10, "\"e1\"");
	struct bfs_node_info info;
	gint64 later = g_get_monotonic_time() + G_USEC_PER_SEC * 60;
	fuse_ino_t d, a, a2;

	d = bfs_inodes_link(t, BFS_ROOT_INO, "d", &dir, later);
	a = bfs_inodes_link(t, d, "a", &f, later);
	ck_assert_uint_gt(d, BFS_ROOT_INO);
	ck_assert_uint_ne(a, d);
	a2 = bfs_inodes_link(t, d, "a", &f, later);
	ck_assert_uint_eq(a, a2); /* same path, same inode */
	ck_assert(bfs_inodes_get(t, a, &info));
	ck_assert_str_eq(info.path, "d/a");
	ck_assert_uint_eq(info.attr.size, 10);
	ck_assert_str_eq(info.attr.etag, "\"e1\"");
	bfs_node_info_clear(&info);
	ck_assert_uint_eq(bfs_inodes_link(t, 999, "x", &f, later), 0);

	bfs_inodes_forget(t, a, 1);
	ck_assert(bfs_inodes_get(t, a, &info)); /* one lookup left */
	bfs_node_info_clear(&info);
	bfs_inodes_forget(t, a, 1);
	ck_assert(!bfs_inodes_get(t, a, &info));
	/* A new link gets a new number: numbers are never reused. */
	ck_assert_uint_gt(bfs_inodes_link(t, d, "a", &f, later), a);
	bfs_inodes_forget(t, BFS_ROOT_INO, 100);
	ck_assert(bfs_inodes_get(t, BFS_ROOT_INO, &info));
	bfs_node_info_clear(&info);
	bfs_inodes_free(t);
}
END_TEST

START_TEST(listing_cache)
{
	struct bfs_inodes *t = bfs_inodes_new(0);
	GPtrArray *l = g_ptr_array_new_with_free_func(bfs_dirent_free);
	struct bfs_dirent e = {.name = "f", .size = 3, .etag = "\"x\""}, out;
	struct bfs_dirent old = file_attr(1, "\"old\"");
	struct bfs_node_info info;
	gint64 later = g_get_monotonic_time() + G_USEC_PER_SEC * 60;
	fuse_ino_t f;

	f = bfs_inodes_link(t, BFS_ROOT_INO, "f", &old, later);
	ck_assert_int_eq(bfs_inodes_find_child(t, BFS_ROOT_INO, "f", &out), -1);
	bfs_inodes_set_negative(t, BFS_ROOT_INO, "f", later);
	ck_assert(bfs_inodes_is_negative(t, BFS_ROOT_INO, "f"));
	g_ptr_array_add(l, bfs_dirent_copy(&e));
	bfs_inodes_set_listing(t, BFS_ROOT_INO, l, later);
	/* The listing refreshes known children and clears negatives. */
	ck_assert(!bfs_inodes_is_negative(t, BFS_ROOT_INO, "f"));
	ck_assert(bfs_inodes_get(t, f, &info));
	ck_assert_uint_eq(info.attr.size, 3);
	bfs_node_info_clear(&info);
	ck_assert_int_eq(bfs_inodes_find_child(t, BFS_ROOT_INO, "f", &out), 1);
	ck_assert_str_eq(out.name, "f");
	g_free(out.name);
	g_free(out.etag);
	ck_assert_int_eq(bfs_inodes_find_child(t, BFS_ROOT_INO, "g", &out), 0);

	/* Expired: no longer trusted. */
	l = g_ptr_array_new_with_free_func(bfs_dirent_free);
	bfs_inodes_set_listing(t, BFS_ROOT_INO, l, g_get_monotonic_time() - 1);
	ck_assert_int_eq(bfs_inodes_find_child(t, BFS_ROOT_INO, "f", &out), -1);
	ck_assert_ptr_null(bfs_inodes_get_listing(t, BFS_ROOT_INO));
	bfs_inodes_set_negative(t, BFS_ROOT_INO, "gone", g_get_monotonic_time() - 1);
	ck_assert(!bfs_inodes_is_negative(t, BFS_ROOT_INO, "gone"));
	bfs_inodes_free(t);
}
END_TEST

START_TEST(open_etag_tracking)
{
	struct bfs_inodes *t = bfs_inodes_new(0);
	struct bfs_dirent f = file_attr(1, "\"a\"");
	fuse_ino_t ino = bfs_inodes_link(t, BFS_ROOT_INO, "f", &f, G_MAXINT64);

	ck_assert(!bfs_inodes_note_open(t, ino, "\"a\""));
	ck_assert(bfs_inodes_note_open(t, ino, "\"a\""));
	ck_assert(!bfs_inodes_note_open(t, ino, "\"b\""));
	ck_assert(!bfs_inodes_note_open(t, ino, NULL));
	ck_assert(!bfs_inodes_note_open(t, ino, NULL));
	bfs_inodes_free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("inode");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, link_and_forget);
	tcase_add_test(tc, listing_cache);
	tcase_add_test(tc, open_etag_tracking);
	suite_add_tcase(s, tc);
	return bfs_run_suite(s);
}
