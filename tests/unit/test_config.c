// SPDX-License-Identifier: MIT
/* Configuration files: section order, file order, secrets and bad files. */
#include "bucketfs/config.h"

#include "testutil.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

static char *dir;

static char *write_conf(const char *name, const char *text, mode_t mode)
{
	char *path = g_build_filename(dir, name, NULL);

	ck_assert(g_file_set_contents(path, text, -1, NULL));
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

static void setup(void)
{
	dir = g_dir_make_tmp("bfs-config-XXXXXX", NULL);
	ck_assert_ptr_nonnull(dir);
}

static void teardown(void)
{
	bfs_test_remove_dir(dir);
}

static const char *const sections[] = {"default", "s3://b", "s3://b/p", NULL};

static const struct bfs_config_entry *at(GPtrArray *a, guint i)
{
	return g_ptr_array_index(a, i);
}

START_TEST(order)
{
	char *sys = write_conf(
		"sys", "[s3://b/p]\nuid = 1\n[default]\nuid = 0\n[s3://x]\nuid = 9\n", 0644);
	char *user = write_conf("user", "# comment\n[s3://b]\nuid = 2\ngid = 3\n", 0644);
	struct bfs_config_file files[] = {{sys, false}, {user, false}};
	GPtrArray *e = NULL;
	char msg[256];

	ck_assert_int_eq(bfs_config_load(files, 2, sections, &e, msg, sizeof(msg)), 0);
	/* file by file, and within a file section by section, lowest first */
	ck_assert_uint_eq(e->len, 4);
	ck_assert_str_eq(at(e, 0)->value, "0");
	ck_assert_str_eq(at(e, 1)->value, "1");
	ck_assert_str_eq(at(e, 2)->key, "uid");
	ck_assert_str_eq(at(e, 2)->value, "2");
	ck_assert_str_eq(at(e, 3)->key, "gid");
	ck_assert_msg(g_str_has_suffix(at(e, 3)->origin, "user [s3://b]"), "%s", at(e, 3)->origin);
	bfs_config_free(e);
	g_free(sys);
	g_free(user);
}
END_TEST

START_TEST(missing_files)
{
	char *gone = g_build_filename(dir, "nope", NULL);
	struct bfs_config_file optional = {gone, false}, required = {gone, true};
	GPtrArray *e = NULL;
	char msg[256];

	ck_assert_int_eq(bfs_config_load(&optional, 1, sections, &e, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(e->len, 0);
	bfs_config_free(e);
	ck_assert_int_eq(bfs_config_load(&required, 1, sections, &e, msg, sizeof(msg)), ENOENT);
	ck_assert_ptr_null(e);
	ck_assert_msg(strstr(msg, gone), "%s", msg);
	g_free(gone);
}
END_TEST

START_TEST(secrets_need_a_private_file)
{
	const char *text = "[s3://other]\nsecret_access_key = hunter2\n";
	char *loose = write_conf("loose", text, 0640);
	char *tight = write_conf("tight", text, 0600);
	struct bfs_config_file f = {loose, true};
	GPtrArray *e = NULL;
	char msg[256];

	/* refused even when the secret's section does not apply */
	ck_assert_int_eq(bfs_config_load(&f, 1, sections, &e, msg, sizeof(msg)), EPERM);
	ck_assert_msg(strstr(msg, "chmod 600") && strstr(msg, "0640"), "%s", msg);
	ck_assert_msg(!strstr(msg, "hunter2"), "%s", msg);
	f.path = tight;
	ck_assert_int_eq(bfs_config_load(&f, 1, sections, &e, msg, sizeof(msg)), 0);
	bfs_config_free(e);
	ck_assert(bfs_config_is_secret("secret_access_key"));
	ck_assert(!bfs_config_is_secret("endpoint"));
	g_free(loose);
	g_free(tight);
}
END_TEST

START_TEST(bad_files)
{
	char *broken = write_conf("broken", "uid = 1\n", 0644);
	char *big, *d = g_build_filename(dir, "sub", NULL);
	GString *huge = g_string_new("[default]\n");
	struct bfs_config_file f = {broken, true};
	GPtrArray *e = NULL;
	char msg[256];

	ck_assert_int_eq(bfs_config_load(&f, 1, sections, &e, msg, sizeof(msg)), EINVAL);
	ck_assert_msg(strstr(msg, broken), "%s", msg);
	while (huge->len <= (1 << 20))
		g_string_append(huge, "# padding padding padding padding padding padding\n");
	big = write_conf("big", huge->str, 0644);
	f.path = big;
	ck_assert_int_eq(bfs_config_load(&f, 1, sections, &e, msg, sizeof(msg)), EINVAL);
	ck_assert_msg(strstr(msg, "larger than 1 MiB"), "%s", msg);
	ck_assert_int_eq(g_mkdir(d, 0755), 0);
	f.path = d;
	ck_assert_int_ne(bfs_config_load(&f, 1, sections, &e, msg, sizeof(msg)), 0);
	g_rmdir(d);
	g_string_free(huge, TRUE);
	g_free(broken);
	g_free(big);
	g_free(d);
}
END_TEST

START_TEST(user_path)
{
	char *p;

	g_setenv("XDG_CONFIG_HOME", "/tmp/xdg-test", TRUE);
	p = bfs_config_user_path();
	/* GLib caches the directory on first use; either answer ends the same */
	ck_assert_msg(g_str_has_suffix(p, "/bucketfs/config"), "%s", p);
	g_free(p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, order);
	tcase_add_test(tc, missing_files);
	tcase_add_test(tc, secrets_need_a_private_file);
	tcase_add_test(tc, bad_files);
	tcase_add_test(tc, user_path);
	suite_add_tcase(s, tc);
	return bfs_run_suite(s);
}
