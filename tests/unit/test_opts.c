// SPDX-License-Identifier: MIT
/* Command line and -o parsing: sources, every option, and bad values. */
#include "bucketfs/opts.h"

#include "bucketfs/config.h"

#include "testutil.h"

#include <glib.h>
#include <stdarg.h>
#include <string.h>

static int parse(struct bfs_opts *o, char *msg, const char *first, ...)
{
	GPtrArray *argv = g_ptr_array_new();
	va_list ap;
	int r;

	g_ptr_array_add(argv, "bucketfs");
	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		g_ptr_array_add(argv, (gpointer)a);
	va_end(ap);
	g_ptr_array_add(argv, NULL);
	r = bfs_opts_parse((int)argv->len - 1, (char **)argv->pdata, o, msg, 256);
	g_ptr_array_free(argv, TRUE);
	return r;
}

START_TEST(sources)
{
	static const struct {
		const char *src, *account, *bucket, *prefix, *endpoint;
		enum bfs_store_kind kind;
	} ok[] = {
		{"s3://b", NULL, "b", "", NULL, BFS_STORE_S3},
		{"s3://b/", NULL, "b", "", NULL, BFS_STORE_S3},
		{"s3://b/p", NULL, "b", "p/", NULL, BFS_STORE_S3},
		{"s3://b/p/q/", NULL, "b", "p/q/", NULL, BFS_STORE_S3},
		{"b", NULL, "b", "", NULL, BFS_STORE_S3},
		{"b:/data", NULL, "b", "data/", NULL, BFS_STORE_S3},
		{"my.bucket-1", NULL, "my.bucket-1", "", NULL, BFS_STORE_S3},
		{"b/sub", NULL, "b", "sub/", NULL, BFS_STORE_S3},
		{"gs://g-b_1", NULL, "g-b_1", "", NULL, BFS_STORE_GCS},
		{"gs://g/x/y", NULL, "g", "x/y/", NULL, BFS_STORE_GCS},
		{"az://acct1/cont", "acct1", "cont", "", NULL, BFS_STORE_AZURE},
		{"az://acct1/cont/a/b", "acct1", "cont", "a/b/", NULL, BFS_STORE_AZURE},
		{"az://acct1/$web", "acct1", "$web", "", NULL, BFS_STORE_AZURE},
		{"https://acct1.blob.core.windows.net/cont/p", "acct1", "cont", "p/",
		 "https://acct1.blob.core.windows.net", BFS_STORE_AZURE},
		{"https://acct2.blob.core.chinacloudapi.cn/c-1", "acct2", "c-1", "",
		 "https://acct2.blob.core.chinacloudapi.cn", BFS_STORE_AZURE},
	};
	char msg[256];

	for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
		struct bfs_source s;

		ck_assert_msg(bfs_parse_source(ok[i].src, &s, msg, sizeof(msg)) == 0, "%s: %s",
			      ok[i].src, msg);
		ck_assert_int_eq(s.kind, ok[i].kind);
		ck_assert_str_eq(s.bucket, ok[i].bucket);
		ck_assert_str_eq(s.prefix, ok[i].prefix);
		if (ok[i].account)
			ck_assert_str_eq(s.account, ok[i].account);
		else
			ck_assert_ptr_null(s.account);
		if (ok[i].endpoint)
			ck_assert_str_eq(s.endpoint, ok[i].endpoint);
		else
			ck_assert_ptr_null(s.endpoint);
		bfs_source_clear(&s);
	}
	static const char *const bad[] = {
		"",
		"s3://",
		"ftp://x",
		"bad name",
		"s3://a*b/c",
		"gs://",
		"az://acct1",
		"az://AB/cont",
		"az://a/cont",
		"az://acct1/Cont",
		"az://acct1/a--b",
		"az://acct1/-ab",
		"https://example.com/c",
		"https://acct1.blob.core.windows.net",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct bfs_source s;

		ck_assert_msg(bfs_parse_source(bad[i], &s, msg, sizeof(msg)) == EINVAL, "%s",
			      bad[i]);
		ck_assert(strlen(msg) > 0);
		bfs_source_clear(&s);
	}
}
END_TEST

START_TEST(defaults)
{
	struct bfs_opts o;
	char msg[256];

	ck_assert_int_eq(parse(&o, msg, "s3://b/p", "/mnt", NULL), 0);
	ck_assert_str_eq(o.bucket, "b");
	ck_assert_str_eq(o.prefix, "p/");
	ck_assert_str_eq(o.mountpoint, "/mnt");
	ck_assert_int_eq(o.addressing, BFS_ADDR_AUTO);
	ck_assert(o.stat_ttl == 30 && o.negative_ttl == 5);
	ck_assert_uint_eq(o.umask, 022);
	ck_assert_uint_eq(o.retries, 5);
	ck_assert(!o.foreground && !o.anonymous && !o.insecure_tls);
	bfs_opts_clear(&o);
}
END_TEST

START_TEST(every_option)
{
	struct bfs_opts o;
	char msg[256] = "";

	ck_assert_msg(parse(&o, msg, "b", "/m", "-f", "-o",
			    "endpoint=http://127.0.0.1:9000,region=eu-west-1,path_style,"
			    "profile=p,ro,uid=12,gid=34,umask=027,allow_other,stat_ttl=1.5,"
			    "negative_ttl=0,connect_timeout=2,request_timeout=0,retries=7,"
			    "ca_file=/etc/ca.pem,insecure_skip_tls_verify,log_level=debug",
			    NULL) == 0,
		      "%s", msg);
	ck_assert_str_eq(o.endpoint, "http://127.0.0.1:9000");
	ck_assert_str_eq(o.region, "eu-west-1");
	ck_assert_int_eq(o.addressing, BFS_ADDR_PATH);
	ck_assert_str_eq(o.profile, "p");
	ck_assert_uint_eq(o.uid, 12);
	ck_assert_uint_eq(o.gid, 34);
	ck_assert_uint_eq(o.umask, 027);
	ck_assert(o.allow_other && o.foreground && o.insecure_tls);
	ck_assert(o.stat_ttl == 1.5 && o.negative_ttl == 0);
	ck_assert(o.connect_timeout == 2 && o.request_timeout == 0);
	ck_assert_uint_eq(o.retries, 7);
	ck_assert_str_eq(o.ca_file, "/etc/ca.pem");
	ck_assert_int_eq(o.log_level, 3);
	bfs_opts_clear(&o);

	ck_assert_int_eq(parse(&o, msg, "b", "/m", "-o", "virtual_host,anonymous", NULL), 0);
	ck_assert_int_eq(o.addressing, BFS_ADDR_VHOST);
	ck_assert(o.anonymous);
	bfs_opts_clear(&o);
}
END_TEST

START_TEST(bad_input)
{
	static const char *const bad[] = {
		"nonsense",	    "uid=abc",
		"uid=-1",	    "umask=999",
		"stat_ttl=x",	    "stat_ttl=-1",
		"retries=1000",	    "endpoint=ftp://x",
		"endpoint=",	    "connect_timeout=0",
		"log_level=loud",   "region=",
		"negative_ttl=inf", "anonymous,profile=x",
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct bfs_opts o;
		char msg[256] = "";

		ck_assert_msg(parse(&o, msg, "b", "/m", "-o", bad[i], NULL) == EINVAL,
			      "accepted %s", bad[i]);
		ck_assert_msg(strlen(msg) > 0, "no message for %s", bad[i]);
		bfs_opts_clear(&o);
	}
	{
		struct bfs_opts o;
		char msg[256] = "";

		ck_assert_int_eq(parse(&o, msg, "b", NULL), EINVAL);
		ck_assert(strstr(msg, "mountpoint"));
		bfs_opts_clear(&o);
		ck_assert_int_eq(parse(&o, msg, "b", "/m", "extra", NULL), EINVAL);
		bfs_opts_clear(&o);
	}
}
END_TEST

START_TEST(read_path_options)
{
	struct bfs_opts o;
	char msg[256] = "";

	ck_assert_int_eq(parse(&o, msg, "b", "/m", NULL), 0);
	ck_assert(o.buffer_pool);
	ck_assert_uint_eq(o.buffer_pool_size, 16);
	ck_assert(o.pool_idle_shrink == 10);
	ck_assert_uint_eq(o.cache_size, 0); /* 0: from RAM */
	bfs_opts_clear(&o);
	ck_assert_msg(parse(&o, msg, "b", "/m", "-o",
			    "cache_size=512M,part_size=4m,max_ranges=6,max_readahead=1G,"
			    "buffer_pool=off,buffer_pool_size=3,pool_idle_shrink=2.5",
			    NULL) == 0,
		      "%s", msg);
	ck_assert_uint_eq(o.cache_size, 512ull << 20);
	ck_assert_uint_eq(o.part_size, 4ull << 20);
	ck_assert_uint_eq(o.max_ranges, 6);
	ck_assert_uint_eq(o.max_readahead, 1ull << 30);
	ck_assert(!o.buffer_pool);
	ck_assert_uint_eq(o.buffer_pool_size, 3);
	ck_assert(o.pool_idle_shrink == 2.5);
	bfs_opts_clear(&o);
	/* The seed design's command-line names. */
	ck_assert_msg(parse(&o, msg, "b", "/m", "--buffer-pool", "--buffer-pool-size", "7", NULL) ==
			      0,
		      "%s", msg);
	ck_assert(o.buffer_pool);
	ck_assert_uint_eq(o.buffer_pool_size, 7);
	bfs_opts_clear(&o);
	ck_assert_int_eq(parse(&o, msg, "b", "/m", "--buffer-pool-size=9", NULL), 0);
	ck_assert_uint_eq(o.buffer_pool_size, 9);
	bfs_opts_clear(&o);
	static const char *const bad[] = {
		"cache_size=1",	     "cache_size=12X", "part_size=1G",	     "max_ranges=0",
		"buffer_pool=maybe", "max_readahead=", "pool_idle_shrink=-3"};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		ck_assert_msg(parse(&o, msg, "b", "/m", "-o", bad[i], NULL) == EINVAL,
			      "accepted %s", bad[i]);
		bfs_opts_clear(&o);
	}
}
END_TEST

START_TEST(help_and_version)
{
	struct bfs_opts o;
	char msg[256];

	ck_assert_int_eq(parse(&o, msg, "--help", NULL), 0);
	ck_assert(o.show_help);
	bfs_opts_clear(&o);
	ck_assert_int_eq(parse(&o, msg, "--version", NULL), 0);
	ck_assert(o.show_version);
	bfs_opts_clear(&o);
}
END_TEST

START_TEST(mount_words)
{
	struct bfs_opts o;
	char msg[256];

	/* Everything mount(8) and fstab may hand a helper is accepted. */
	ck_assert_int_eq(parse(&o, msg, "s3://b", "/m", "-o",
			       "rw,ro,defaults,_netdev,nofail,noauto,auto,user,users,nouser,"
			       "user=alice,owner,group,comment=boot,x-systemd.automount,"
			       "x-systemd.requires=network-online.target,X-mount.mkdir,nonempty",
			       NULL),
			 0);
	ck_assert_ptr_null(o.mount_flags);
	bfs_opts_clear(&o);
	/* Kernel flags pass on to the FUSE mount, in order. */
	ck_assert_int_eq(
		parse(&o, msg, "s3://b", "/m", "-o", "nosuid,nodev,noexec,exec,noatime", NULL), 0);
	ck_assert_str_eq(o.mount_flags, "nosuid,nodev,noexec,exec,noatime");
	bfs_opts_clear(&o);
	ck_assert_int_eq(
		parse(&o, msg, "s3://b", "/m", "-o", "log_file=/var/log/b.log,config=/c", NULL), 0);
	ck_assert_str_eq(o.log_file, "/var/log/b.log");
	ck_assert_str_eq(o.config_file, "/c");
	bfs_opts_clear(&o);
}
END_TEST

START_TEST(secrets_not_on_command_line)
{
	static const char *const secrets[] = {"access_key_id=AKIAQ7", "secret_access_key=hunter2",
					      "session_token=Zq9x7"};
	struct bfs_opts o;
	char msg[256];

	for (size_t i = 0; i < G_N_ELEMENTS(secrets); i++) {
		ck_assert_int_eq(parse(&o, msg, "s3://b", "/m", "-o", secrets[i], NULL), EINVAL);
		ck_assert_msg(strstr(msg, "not accepted on the command line"), "%s", msg);
		ck_assert_msg(!strstr(msg, strchr(secrets[i], '=') + 1), "secret shown: %s", msg);
		bfs_opts_clear(&o);
	}
}
END_TEST

static void add_entry(GPtrArray *a, const char *key, const char *value)
{
	struct bfs_config_entry *e = g_new0(struct bfs_config_entry, 1);

	e->key = g_strdup(key);
	e->value = g_strdup(value);
	e->origin = g_strdup("test.conf [default]");
	g_ptr_array_add(a, e);
}

static void free_entry(gpointer p)
{
	struct bfs_config_entry *e = p;

	g_free(e->key);
	g_free(e->value);
	g_free(e->origin);
	g_free(e);
}

START_TEST(layered)
{
	GPtrArray *cfg = g_ptr_array_new_with_free_func(free_entry);
	char *argv[] = {"bucketfs", "s3://b/p", "/m", "-o", "stat_ttl=7,gid=5", NULL};
	struct bfs_opts o;
	char msg[256], **sections;

	add_entry(cfg, "stat_ttl", "3");
	add_entry(cfg, "uid", "42");
	add_entry(cfg, "region", "eu-west-1");
	add_entry(cfg, "allow_other", "true");
	add_entry(cfg, "allow_other", "false"); /* a later entry wins */
	add_entry(cfg, "anonymous", "yes");
	add_entry(cfg, "nosuid", "true");
	add_entry(cfg, "exec", "false");
	add_entry(cfg, "buffer_pool", "off");
	add_entry(cfg, "endpoint", "http://h:1/a,b"); /* a comma survives -o splitting */
	add_entry(cfg, "secret_access_key", "s3cr3t");
	add_entry(cfg, "access_key_id", "AK");
	ck_assert_int_eq(bfs_opts_parse_layered(5, argv, cfg, &o, msg, sizeof(msg)), 0);
	ck_assert(o.stat_ttl == 7); /* argv wins */
	ck_assert_uint_eq(o.gid, 5);
	ck_assert_uint_eq(o.uid, 42);
	ck_assert_str_eq(o.region, "eu-west-1");
	ck_assert(!o.allow_other);
	ck_assert(o.anonymous);
	ck_assert(!o.buffer_pool);
	ck_assert_str_eq(o.mount_flags, "nosuid,noexec");
	ck_assert_str_eq(o.endpoint, "http://h:1/a,b");
	ck_assert_str_eq(o.secret_access_key, "s3cr3t");
	ck_assert_str_eq(o.access_key_id, "AK");
	sections = bfs_opts_config_sections(&o);
	ck_assert_uint_eq(g_strv_length(sections), 3);
	ck_assert_str_eq(sections[0], "default");
	ck_assert_str_eq(sections[1], "s3://b");
	ck_assert_str_eq(sections[2], "s3://b/p");
	g_strfreev(sections);
	bfs_opts_clear(&o);

	/* A bad entry names its origin; config= is refused inside a file. */
	g_ptr_array_set_size(cfg, 0);
	add_entry(cfg, "cache_size", "lots");
	ck_assert_int_eq(bfs_opts_parse_layered(3, argv, cfg, &o, msg, sizeof(msg)), EINVAL);
	ck_assert_msg(strstr(msg, "cache_size=lots") && strstr(msg, "(in test.conf [default])"),
		      "%s", msg);
	bfs_opts_clear(&o);
	g_ptr_array_set_size(cfg, 0);
	add_entry(cfg, "config", "/x");
	ck_assert_int_eq(bfs_opts_parse_layered(3, argv, cfg, &o, msg, sizeof(msg)), EINVAL);
	bfs_opts_clear(&o);
	g_ptr_array_set_size(cfg, 0);
	add_entry(cfg, "uid", "false");
	ck_assert_int_eq(bfs_opts_parse_layered(3, argv, cfg, &o, msg, sizeof(msg)), EINVAL);
	ck_assert_msg(strstr(msg, "not a flag"), "%s", msg);
	bfs_opts_clear(&o);
	g_ptr_array_free(cfg, TRUE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("opts");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, sources);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_option);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, read_path_options);
	tcase_add_test(tc, help_and_version);
	tcase_add_test(tc, mount_words);
	tcase_add_test(tc, secrets_not_on_command_line);
	tcase_add_test(tc, layered);
	suite_add_tcase(s, tc);
	return bfs_run_suite(s);
}
