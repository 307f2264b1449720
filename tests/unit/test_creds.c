// SPDX-License-Identifier: MIT
/* Every credential source, their order, and the region chain.  Check forks
 * each test, so environment changes stay inside it. */
#include "bucketfs/creds.h"

#include "testutil.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

static char *dir;

static void setup(void)
{
	static const char *const vars[] = {"AWS_ACCESS_KEY_ID",
					   "AWS_SECRET_ACCESS_KEY",
					   "AWS_SESSION_TOKEN",
					   "AWS_PROFILE",
					   "AWS_REGION",
					   "AWS_DEFAULT_REGION",
					   "AWS_SHARED_CREDENTIALS_FILE",
					   "AWS_CONFIG_FILE"};

	for (size_t i = 0; i < G_N_ELEMENTS(vars); i++)
		g_unsetenv(vars[i]);
	dir = g_dir_make_tmp("creds-XXXXXX", NULL);
	g_setenv("HOME", dir, TRUE);
}

static void teardown(void)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", dir);

	ck_assert_int_eq(system(cmd), 0);
	g_free(cmd);
	g_free(dir);
}

static char *write_file(const char *name, const char *text, int mode)
{
	char *path = g_build_filename(dir, name, NULL);
	char *parent = g_path_get_dirname(path);

	g_mkdir_with_parents(parent, 0700);
	ck_assert(g_file_set_contents(path, text, -1, NULL));
	ck_assert_int_eq(chmod(path, (mode_t)mode), 0);
	g_free(parent);
	return path;
}

static int resolve(struct bfs_creds_conf *cc, struct bfs_creds *c, char *msg)
{
	return bfs_creds_resolve(cc, c, msg, 256);
}

START_TEST(environment)
{
	struct bfs_creds_conf cc = {.bucket = "b"};
	struct bfs_creds c;
	char msg[256];

	g_setenv("AWS_ACCESS_KEY_ID", "AKENV", TRUE);
	g_setenv("AWS_SECRET_ACCESS_KEY", "SKENV", TRUE);
	g_setenv("AWS_SESSION_TOKEN", "TOK", TRUE);
	ck_assert_int_eq(resolve(&cc, &c, msg), 0);
	ck_assert_str_eq(c.access_key, "AKENV");
	ck_assert_str_eq(c.secret_key, "SKENV");
	ck_assert_str_eq(c.session_token, "TOK");
	ck_assert(!strstr(c.source, "SKENV"));
	bfs_creds_clear(&c);

	g_unsetenv("AWS_SECRET_ACCESS_KEY");
	ck_assert_int_eq(resolve(&cc, &c, msg), EINVAL);
	ck_assert(strstr(msg, "AWS_SECRET_ACCESS_KEY"));
	bfs_creds_clear(&c);
}
END_TEST

static const char *cred_file = "# comment\n"
			       "[default]\n"
			       "aws_access_key_id = AKDEF\n"
			       "aws_secret_access_key=SKDEF\n"
			       "\n"
			       "[work]\n"
			       "; another comment\n"
			       "aws_access_key_id = AKWORK\n"
			       "aws_secret_access_key = SKWORK\n"
			       "aws_session_token = TOKWORK\n"
			       "s3 =\n"
			       "    max_concurrent_requests = 20\n";
static const char *config_file = "[default]\nregion = eu-central-1\n"
				 "[profile work]\nregion = ap-south-1\n"
				 "[profile cfgonly]\naws_access_key_id = AKCFG\n"
				 "aws_secret_access_key = SKCFG\n";

START_TEST(profiles)
{
	struct bfs_creds_conf cc = {0};
	struct bfs_creds c;
	char msg[256], *r;

	g_free(write_file(".aws/credentials", cred_file, 0600));
	g_free(write_file(".aws/config", config_file, 0600));

	ck_assert_int_eq(resolve(&cc, &c, msg), 0); /* default profile */
	ck_assert_str_eq(c.access_key, "AKDEF");
	bfs_creds_clear(&c);
	r = bfs_region_resolve(&cc);
	ck_assert_str_eq(r, "eu-central-1");
	g_free(r);

	cc.profile = "work";
	ck_assert_int_eq(resolve(&cc, &c, msg), 0);
	ck_assert_str_eq(c.access_key, "AKWORK");
	ck_assert_str_eq(c.session_token, "TOKWORK");
	bfs_creds_clear(&c);
	r = bfs_region_resolve(&cc);
	ck_assert_str_eq(r, "ap-south-1");
	g_free(r);

	cc.profile = "cfgonly";
	ck_assert_int_eq(resolve(&cc, &c, msg), 0);
	ck_assert_str_eq(c.access_key, "AKCFG");
	bfs_creds_clear(&c);

	cc.profile = "missing";
	ck_assert_int_eq(resolve(&cc, &c, msg), ENOENT);
	ck_assert(strstr(msg, "missing"));
	bfs_creds_clear(&c);

	/* AWS_PROFILE selects, the environment's keys win over it. */
	cc.profile = NULL;
	g_setenv("AWS_PROFILE", "work", TRUE);
	ck_assert_int_eq(resolve(&cc, &c, msg), 0);
	ck_assert_str_eq(c.access_key, "AKWORK");
	bfs_creds_clear(&c);
	g_setenv("AWS_ACCESS_KEY_ID", "AKENV", TRUE);
	g_setenv("AWS_SECRET_ACCESS_KEY", "SKENV", TRUE);
	ck_assert_int_eq(resolve(&cc, &c, msg), 0);
	ck_assert_str_eq(c.access_key, "AKENV");
	bfs_creds_clear(&c);
}
END_TEST

START_TEST(file_locations_from_environment)
{
	struct bfs_creds_conf cc = {0};
	struct bfs_creds c;
	char msg[256];
	char *cf = write_file("elsewhere/creds",
			      "[default]\naws_access_key_id=AKX\n"
			      "aws_secret_access_key=SKX\n",
			      0600);
	char *conf = write_file("elsewhere/conf", "[default]\nregion=sa-east-1\n", 0600);
	char *r;

	g_setenv("AWS_SHARED_CREDENTIALS_FILE", cf, TRUE);
	g_setenv("AWS_CONFIG_FILE", conf, TRUE);
	ck_assert_int_eq(resolve(&cc, &c, msg), 0);
	ck_assert_str_eq(c.access_key, "AKX");
	bfs_creds_clear(&c);
	r = bfs_region_resolve(&cc);
	ck_assert_str_eq(r, "sa-east-1");
	g_free(r);
	g_free(cf);
	g_free(conf);
}
END_TEST

START_TEST(passwd_file)
{
	struct bfs_creds_conf cc = {.bucket = "mine"};
	struct bfs_creds c;
	char msg[256];
	char *p = write_file("pw", "# keys\nAKALL:SKALL\nother:AKO:SKO\nmine:AKMINE:SK/MINE+x\n",
			     0600);

	cc.passwd_file = p;
	g_setenv("AWS_ACCESS_KEY_ID", "AKENV", TRUE); /* the file wins */
	g_setenv("AWS_SECRET_ACCESS_KEY", "SKENV", TRUE);
	ck_assert_int_eq(resolve(&cc, &c, msg), 0);
	ck_assert_str_eq(c.access_key, "AKMINE");
	ck_assert_str_eq(c.secret_key, "SK/MINE+x");
	bfs_creds_clear(&c);

	cc.bucket = "notlisted";
	ck_assert_int_eq(resolve(&cc, &c, msg), 0);
	ck_assert_str_eq(c.access_key, "AKALL");
	bfs_creds_clear(&c);

	ck_assert_int_eq(chmod(p, 0640), 0);
	ck_assert_int_eq(resolve(&cc, &c, msg), EPERM);
	ck_assert(strstr(msg, "chmod 600"));
	ck_assert(!strstr(msg, "SKALL"));
	bfs_creds_clear(&c);
	ck_assert_int_eq(chmod(p, 0604), 0);
	ck_assert_int_eq(resolve(&cc, &c, msg), EPERM);
	bfs_creds_clear(&c);

	ck_assert_int_eq(chmod(p, 0400), 0);
	ck_assert_int_eq(resolve(&cc, &c, msg), 0);
	bfs_creds_clear(&c);
	g_free(p);

	p = write_file("pw2", "garbage line\n", 0600);
	cc.passwd_file = p;
	ck_assert_int_eq(resolve(&cc, &c, msg), EINVAL);
	bfs_creds_clear(&c);
	g_free(p);

	cc.passwd_file = "/nonexistent/pw";
	ck_assert_int_eq(resolve(&cc, &c, msg), ENOENT);
	bfs_creds_clear(&c);
}
END_TEST

START_TEST(anonymous_and_nothing)
{
	struct bfs_creds_conf cc = {0};
	struct bfs_creds c;
	char msg[256];

	ck_assert_int_eq(resolve(&cc, &c, msg), ENOKEY);
	ck_assert(strstr(msg, "anonymous"));
	bfs_creds_clear(&c);
	cc.anonymous = true;
	ck_assert_int_eq(resolve(&cc, &c, msg), 0);
	ck_assert(c.anonymous);
	ck_assert_ptr_null(c.access_key);
	bfs_creds_clear(&c);
}
END_TEST

START_TEST(region_order)
{
	struct bfs_creds_conf cc = {0};
	char *r;

	r = bfs_region_resolve(&cc);
	ck_assert_str_eq(r, "us-east-1");
	g_free(r);
	g_setenv("AWS_DEFAULT_REGION", "eu-west-2", TRUE);
	r = bfs_region_resolve(&cc);
	ck_assert_str_eq(r, "eu-west-2");
	g_free(r);
	g_setenv("AWS_REGION", "eu-west-3", TRUE);
	r = bfs_region_resolve(&cc);
	ck_assert_str_eq(r, "eu-west-3");
	g_free(r);
	cc.region = "us-west-2";
	r = bfs_region_resolve(&cc);
	ck_assert_str_eq(r, "us-west-2");
	g_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("creds");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, environment);
	tcase_add_test(tc, profiles);
	tcase_add_test(tc, file_locations_from_environment);
	tcase_add_test(tc, passwd_file);
	tcase_add_test(tc, anonymous_and_nothing);
	tcase_add_test(tc, region_order);
	suite_add_tcase(s, tc);
	return bfs_run_suite(s);
}
