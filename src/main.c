// SPDX-License-Identifier: MIT
/*
 * bucketfs: parse, check everything that can be checked (options,
 * credentials, the bucket itself) while errors can still reach the
 * terminal, then mount, detach and serve.  The only place that exits.
 */
#include "bucketfs/cache.h"
#include "bucketfs/config.h"
#include "bucketfs/creds.h"
#include "bucketfs/fs.h"
#include "bucketfs/http.h"
#include "bucketfs/log.h"
#include "bucketfs/opts.h"
#include "bucketfs/pool.h"
#include "bucketfs/reader.h"
#include "bucketfs/stores.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define MSG_LEN 512

/* Exit statuses, as mount(8) defines them for its helpers. */
#define BFS_EXIT_USAGE 1	 /* bad options, source or config file */
#define BFS_EXIT_MOUNT_FAILED 32 /* anything found while trying to mount */

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

/* What `bucketfs stats` shows: every layer's counters, read live. */
struct mount_parts {
	struct bfs_http *http;
	struct bfs_backend *be;
	struct bfs_pool *pool;
	struct bfs_cache *cache;
};

static void format_stats(void *ctx, GString *out)
{
	struct mount_parts *m = ctx;
	struct bfs_pool_stats ps;
	struct bfs_cache_stats cs;
	struct bfs_backend_stats bs;
	struct bfs_http_stats hs;

	if (!m->pool || !m->cache)
		return; /* the read path starts after detaching */
	bfs_pool_get_stats(m->pool, &ps);
	bfs_cache_get_stats(m->cache, &cs);
	m->be->ops->get_stats(m->be, &bs);
	bfs_http_get_stats(m->http, &hs);
	g_string_append_printf(out, "pool.class   taken returned fresh reused idle held_bytes "
				    "in_use_bytes high_water\n");
	for (unsigned i = 0; i < ps.n_classes; i++) {
		const struct bfs_pool_class_stats *c = &ps.cls[i];

		g_string_append_printf(out,
				       "pool.%-7zuK %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
				       " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
				       " %u %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
				       " %" G_GUINT64_FORMAT "\n",
				       c->size >> 10, c->taken, c->returned, c->fresh, c->reused,
				       c->idle, c->bytes_held, c->bytes_in_use, c->high_water);
	}
#define P(name, v) g_string_append_printf(out, "%s %" G_GUINT64_FORMAT "\n", name, (guint64)(v))
	P("pool.taken", ps.total.taken);
	P("pool.returned", ps.total.returned);
	P("pool.fresh", ps.total.fresh);
	P("pool.reused", ps.total.reused);
	P("pool.bytes_held", ps.total.bytes_held);
	P("pool.bytes_in_use", ps.total.bytes_in_use);
	P("pool.high_water", ps.total.high_water);
	P("pool.shrunk", ps.shrunk);
	P("pool.refused", ps.refused);
	P("pool.overdrafts", ps.overdrafts);
	P("cache.reads", cs.reads);
	P("cache.hits", cs.hits);
	P("cache.misses", cs.misses);
	P("cache.joined", cs.joined);
	P("cache.evictions", cs.evictions);
	P("cache.bytes_cached", cs.bytes_cached);
	P("cache.extents", cs.extents);
	P("cache.fetches", cs.fetches);
	P("cache.fetch_errors", cs.fetch_errors);
	P("cache.bytes_fetched", cs.bytes_fetched);
	P("cache.prefetches", cs.prefetches);
	P("cache.prefetch_bytes", cs.prefetch_bytes);
	P("cache.prefetch_cancelled", cs.prefetch_cancelled);
	P("cache.prefetch_skipped", cs.prefetch_skipped);
	P("store.requests", bs.requests);
	P("store.retries", bs.retries);
	P("store.errors", bs.errors);
	P("store.bytes", bs.bytes_fetched);
	P("http.requests", hs.requests);
	P("http.transport_errors", hs.transport_errors);
	P("http.bytes_received", hs.bytes_received);
#undef P
}

/*
 * Options in three layers: the config files' sections for the source, then
 * the command line.  The command line is parsed first on its own to learn
 * the source and config=, then again above the files.  Returns 0, or 1 after
 * printing the problem.
 */
static int parse_with_config(int argc, char **argv, struct bfs_opts *o)
{
	struct bfs_config_file files[2];
	GPtrArray *entries = NULL;
	char msg[MSG_LEN] = "", **sections, *user = NULL;
	size_t n = 0;
	int r;

	if (bfs_opts_parse(argc, argv, o, msg, sizeof(msg)) != 0)
		return fail("%s", msg);
	if (o->show_help || o->show_version)
		return 0;
	if (o->config_file) {
		files[n++] = (struct bfs_config_file){o->config_file, true};
	} else {
		user = bfs_config_user_path();
		files[n++] = (struct bfs_config_file){BFS_CONFIG_SYSTEM_PATH, false};
		files[n++] = (struct bfs_config_file){user, false};
	}
	sections = bfs_opts_config_sections(o);
	r = bfs_config_load(files, n, (const char *const *)sections, &entries, msg, sizeof(msg));
	g_strfreev(sections);
	bfs_opts_clear(o);
	if (r == 0)
		r = bfs_opts_parse_layered(argc, argv, entries, o, msg, sizeof(msg));
	bfs_config_free(entries);
	g_free(user);
	return r ? fail("%s", msg) : 0;
}

/* `bucketfs stats MOUNTPOINT`: print a mounted bucketfs's statistics. */
static int stats_command(const char *mountpoint)
{
	char buf[16384];
	ssize_t n = getxattr(mountpoint, BFS_STATS_XATTR, buf, sizeof(buf));

	if (n < 0) {
		if (errno == ENODATA || errno == ENOTSUP)
			return fail("%s is not a bucketfs mount", mountpoint);
		return fail("cannot read statistics of %s: %s", mountpoint, g_strerror(errno));
	}
	fwrite(buf, 1, (size_t)n, stdout);
	return 0;
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

/* The cache's configuration: the machine's defaults, then the options. */
static void cache_conf(const struct bfs_opts *o, struct bfs_cache_conf *cc)
{
	bfs_cache_default_conf(cc,
			       (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE));
	if (o->cache_size)
		cc->cache_size = o->cache_size;
	if (o->part_size)
		cc->part_size = o->part_size;
	if (o->max_ranges)
		cc->max_ranges = o->max_ranges;
	if (o->max_readahead)
		cc->max_readahead = o->max_readahead;
}

/*
 * The read path: buffer pool and block cache.  Called after detaching,
 * because the cache starts threads and fork() keeps only the calling one
 * (any lock another thread held at that moment would stay held forever).
 */
static int start_read_path(const struct bfs_opts *o, struct mount_parts *m)
{
	struct bfs_cache_conf cc;
	struct bfs_pool_conf pc;

	cache_conf(o, &cc);
	bfs_pool_default_conf(&pc);
	bfs_pool_conf_add_class(&pc, cc.part_size);
	pc.enabled = o->buffer_pool;
	pc.max_idle_per_class = o->buffer_pool_size;
	pc.idle_shrink_s = o->pool_idle_shrink;
	/* One budget: the cache keeps cached, in-flight and read-ahead bytes
	 * within cache_size; the pool's cap (idle buffers included) is a
	 * fixed 32 MiB above it, for demand reads in flight, and only a
	 * stalled demand fetch may pass it (by at most max_ranges parts). */
	pc.max_bytes = cc.cache_size + (32u << 20);
	if (bfs_pool_create(&pc, &m->pool) != 0 ||
	    bfs_cache_create(&cc, m->be, m->pool, &m->cache) != 0) {
		bfs_log(BFS_LOG_ERROR, "cannot set up the read cache");
		return ENOMEM;
	}
	bfs_log(BFS_LOG_INFO, "cache %zu MiB, parts of %zu MiB, %u ranges at once, pool %s",
		cc.cache_size >> 20, cc.part_size >> 20, cc.max_ranges, pc.enabled ? "on" : "off");
	return 0;
}

/* What the options say about the read path that can be checked before
 * mounting. */
static int check_read_path(const struct bfs_opts *o)
{
	struct bfs_cache_conf cc;

	cache_conf(o, &cc);
	if (cc.part_size > cc.cache_size / 2)
		return fail("part_size (%zu) must be at most half of cache_size (%zu)",
			    cc.part_size, cc.cache_size);
	return 0;
}

static void on_sighup(int sig)
{
	(void)sig;
	bfs_log_reopen();
}

/* With a log file, SIGHUP reopens it (for logrotate) instead of
 * unmounting, which is libfuse's default. */
static void reopen_log_on_sighup(void)
{
	struct sigaction sa = {.sa_handler = on_sighup, .sa_flags = SA_RESTART};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
}

static int serve(struct bfs_opts *o, const char *mountpoint, struct bfs_fs *fs,
		 struct mount_parts *parts)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se = NULL;
	struct fuse_loop_config *loop = NULL;
	char *fsname = fsname_option(o);
	int r = BFS_EXIT_MOUNT_FAILED;

	fuse_opt_add_arg(&args, "bucketfs");
	fuse_opt_add_arg(&args, "-o");
	fuse_opt_add_arg(&args, "ro,default_permissions,subtype=bucketfs");
	fuse_opt_add_arg(&args, "-o");
	fuse_opt_add_arg(&args, fsname);
	if (o->allow_other) {
		fuse_opt_add_arg(&args, "-o");
		fuse_opt_add_arg(&args, "allow_other");
	}
	if (o->mount_flags) {
		fuse_opt_add_arg(&args, "-o");
		fuse_opt_add_arg(&args, o->mount_flags);
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
	if (o->log_file)
		reopen_log_on_sighup();
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
	if (o->log_file)
		bfs_log_to_file();
	else if (!o->foreground)
		bfs_log_use_syslog("bucketfs");
	if (start_read_path(o, parts) != 0) {
		fuse_session_unmount(se);
		fuse_remove_signal_handlers(se);
		goto out;
	}
	bfs_fs_set_reader(fs, bfs_cache_reader(parts->cache));
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
	bfs_fs_set_reader(fs, NULL);
out:
	if (se)
		fuse_session_destroy(se);
	bfs_cache_destroy(&parts->cache);
	bfs_pool_destroy(&parts->pool);
	fuse_opt_free_args(&args);
	g_free(fsname);
	return r;
}

int main(int argc, char **argv)
{
	struct bfs_opts o;
	struct bfs_http *http = NULL;
	struct bfs_backend *be = NULL;
	struct mount_parts parts = {0};
	struct bfs_fs *fs = NULL;
	char msg[MSG_LEN] = "", mountpoint[PATH_MAX];
	struct stat st;
	int status = BFS_EXIT_USAGE;

	bfs_log_install_fuse();
	if (argc == 3 && strcmp(argv[1], "stats") == 0)
		return stats_command(argv[2]);
	if (parse_with_config(argc, argv, &o) != 0) {
		bfs_opts_clear(&o);
		return BFS_EXIT_USAGE;
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
	if (check_read_path(&o) != 0)
		goto out;
	status = BFS_EXIT_MOUNT_FAILED;
	if (o.log_file && bfs_log_open_file(o.log_file, msg, sizeof(msg)) != 0) {
		fail("%s", msg);
		goto out;
	}

	if (!realpath(o.mountpoint, mountpoint) || stat(mountpoint, &st) != 0) {
		if (errno == ENOTCONN)
			fail("mountpoint %s is a dead mount (its daemon is gone): clear it with "
			     "'fusermount3 -uz %s' or 'umount -l %s', then mount again",
			     o.mountpoint, o.mountpoint, o.mountpoint);
		else if (errno == ENOENT)
			fail("mountpoint %s does not exist", o.mountpoint);
		else
			fail("mountpoint %s: %s", o.mountpoint, g_strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		fail("mountpoint %s is not a directory", o.mountpoint);
		goto out;
	}

	{
		struct bfs_http_conf hc = {
			.connect_timeout_ms = (long)(o.connect_timeout * 1000),
			.request_timeout_ms = (long)(o.request_timeout * 1000),
			.ca_file = o.ca_file,
			.insecure_tls = o.insecure_tls,
		};

		if (o.insecure_tls)
			bfs_log(BFS_LOG_WARN, "TLS certificates are NOT verified "
					      "(insecure_skip_tls_verify)");
		if (bfs_http_create(&hc, &http) != 0) {
			fail("%s", "cannot set up HTTP");
			goto out;
		}
		if (bfs_store_open(&o, http, &be, msg, sizeof(msg)) != 0) {
			fail("%s", msg);
			goto out;
		}
	}
	if (be->ops->probe(be, msg, sizeof(msg)) != 0) {
		fail("%s", msg);
		goto out;
	}
	parts = (struct mount_parts){http, be, NULL, NULL};
	{
		struct bfs_fs_conf fc = {.prefix = o.prefix,
					 .uid = o.uid,
					 .gid = o.gid,
					 .umask = o.umask,
					 .stat_ttl = o.stat_ttl,
					 .negative_ttl = o.negative_ttl,
					 .stats = format_stats,
					 .stats_ctx = &parts};

		bfs_fs_create(&fc, be, NULL, &fs);
	}
	status = serve(&o, mountpoint, fs, &parts);
out:
	bfs_fs_destroy(&fs);
	if (be)
		be->ops->destroy(be);
	bfs_http_destroy(&http);
	bfs_opts_clear(&o);
	return status;
}
