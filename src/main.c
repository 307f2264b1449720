// SPDX-License-Identifier: MIT
/*
 * bucketfs: parse, check everything that can be checked (options,
 * credentials, the bucket itself) while errors can still reach the
 * terminal, then mount, detach and serve.  The only place that exits.
 */
#include "bucketfs/creds.h"
#include "bucketfs/fs.h"
#include "bucketfs/http.h"
#include "bucketfs/log.h"
#include "bucketfs/opts.h"
#include "bucketfs/reader.h"
#include "bucketfs/s3.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MSG_LEN 512

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bucketfs: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

/* fsname is shown by mount(8) and df: the source, with separators escaped. */
static char *fsname_option(const struct bfs_opts *o)
{
	GString *s = g_string_new("fsname=");

	for (const char *p = o->source; *p; p++) {
		if (*p == ',' || *p == '\\')
			g_string_append_c(s, '\\');
		g_string_append_c(s, *p);
	}
	return g_string_free(s, FALSE);
}

static int serve(struct bfs_opts *o, const char *mountpoint, struct bfs_fs *fs)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se = NULL;
	struct fuse_loop_config *loop = NULL;
	char *fsname = fsname_option(o);
	int r = 1;

	fuse_opt_add_arg(&args, "bucketfs");
	fuse_opt_add_arg(&args, "-o");
	fuse_opt_add_arg(&args, "ro,default_permissions,subtype=bucketfs");
	fuse_opt_add_arg(&args, "-o");
	fuse_opt_add_arg(&args, fsname);
	if (o->allow_other) {
		fuse_opt_add_arg(&args, "-o");
		fuse_opt_add_arg(&args, "allow_other");
	}
	if (o->debug)
		fuse_opt_add_arg(&args, "-d");

	se = fuse_session_new(&args, bfs_fs_ops(), sizeof(struct fuse_lowlevel_ops), fs);
	if (!se) {
		fail("%s", "cannot create the FUSE session");
		goto out;
	}
	if (fuse_set_signal_handlers(se) != 0) {
		fail("%s", "cannot install signal handlers");
		goto out;
	}
	if (fuse_session_mount(se, mountpoint) != 0) {
		fail("cannot mount on %s (is /dev/fuse usable, and fusermount3 installed?)",
		     mountpoint);
		fuse_remove_signal_handlers(se);
		goto out;
	}
	if (fuse_daemonize(o->foreground) != 0) {
		fuse_session_unmount(se);
		fuse_remove_signal_handlers(se);
		goto out;
	}
	if (!o->foreground)
		bfs_log_use_syslog("bucketfs");
	bfs_log(BFS_LOG_INFO, "mounted %s on %s", o->source, mountpoint);

	if (o->single_thread) {
		r = fuse_session_loop(se) ? 1 : 0;
	} else {
		loop = fuse_loop_cfg_create();
		fuse_loop_cfg_set_clone_fd(loop, 0);
		fuse_loop_cfg_set_max_threads(loop, 32);
		fuse_loop_cfg_set_idle_threads(loop, 8);
		r = fuse_session_loop_mt(se, loop) ? 1 : 0;
		fuse_loop_cfg_destroy(loop);
	}
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	bfs_log(BFS_LOG_INFO, "unmounted %s", mountpoint);
out:
	if (se)
		fuse_session_destroy(se);
	fuse_opt_free_args(&args);
	g_free(fsname);
	return r;
}

int main(int argc, char **argv)
{
	struct bfs_opts o;
	struct bfs_creds creds = {0};
	struct bfs_http *http = NULL;
	struct bfs_backend *be = NULL;
	struct bfs_reader *rd = NULL;
	struct bfs_fs *fs = NULL;
	char msg[MSG_LEN] = "", mountpoint[PATH_MAX], *region = NULL;
	struct stat st;
	int status = 1;

	bfs_log_install_fuse();
	if (bfs_opts_parse(argc, argv, &o, msg, sizeof(msg)) != 0) {
		fail("%s", msg);
		bfs_opts_clear(&o);
		return 1;
	}
	if (o.show_help) {
		bfs_opts_print_help(stdout, "bucketfs");
		status = 0;
		goto out;
	}
	if (o.show_version) {
		printf("bucketfs %s (libfuse %d, %s)\n", BFS_VERSION, fuse_version(),
		       curl_version());
		status = 0;
		goto out;
	}
	bfs_log_set_level((enum bfs_log_level)o.log_level);

	if (!realpath(o.mountpoint, mountpoint) || stat(mountpoint, &st) != 0) {
		fail("mountpoint %s does not exist", o.mountpoint);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		fail("mountpoint %s is not a directory", o.mountpoint);
		goto out;
	}

	{
		struct bfs_creds_conf cc = {.anonymous = o.anonymous,
					    .passwd_file = o.passwd_file,
					    .profile = o.profile,
					    .bucket = o.bucket,
					    .region = o.region};
		struct bfs_http_conf hc = {
			.connect_timeout_ms = (long)(o.connect_timeout * 1000),
			.request_timeout_ms = (long)(o.request_timeout * 1000),
			.ca_file = o.ca_file,
			.insecure_tls = o.insecure_tls,
		};
		struct bfs_s3_conf sc = {0};

		if (bfs_creds_resolve(&cc, &creds, msg, sizeof(msg)) != 0) {
			fail("%s", msg);
			goto out;
		}
		region = bfs_region_resolve(&cc);
		bfs_log(BFS_LOG_INFO, "credentials from %s, region %s", creds.source, region);
		if (o.insecure_tls)
			bfs_log(BFS_LOG_WARN, "TLS certificates are NOT verified "
					      "(insecure_skip_tls_verify)");
		if (bfs_http_create(&hc, &http) != 0) {
			fail("%s", "cannot set up HTTP");
			goto out;
		}
		sc.endpoint = o.endpoint;
		sc.region = region;
		sc.bucket = o.bucket;
		sc.addressing = o.addressing;
		sc.creds = &creds;
		sc.retry = (struct bfs_retry_policy){o.retries, 100, 5000};
		if (bfs_s3_create(&sc, http, &be, msg, sizeof(msg)) != 0) {
			fail("%s", msg);
			goto out;
		}
	}
	if (be->ops->probe(be, msg, sizeof(msg)) != 0) {
		fail("%s", msg);
		goto out;
	}
	bfs_direct_reader_create(be, &rd);
	{
		struct bfs_fs_conf fc = {.prefix = o.prefix,
					 .uid = o.uid,
					 .gid = o.gid,
					 .umask = o.umask,
					 .stat_ttl = o.stat_ttl,
					 .negative_ttl = o.negative_ttl};

		bfs_fs_create(&fc, be, rd, &fs);
	}
	status = serve(&o, mountpoint, fs);
out:
	bfs_fs_destroy(&fs);
	if (rd)
		rd->ops->destroy(rd);
	if (be)
		be->ops->destroy(be);
	bfs_http_destroy(&http);
	bfs_creds_clear(&creds);
	g_free(region);
	bfs_opts_clear(&o);
	return status;
}
