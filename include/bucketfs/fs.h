/* SPDX-License-Identifier: MIT */
/*
 * The FUSE front end: low-level operations over the inode table, the
 * backend (metadata) and a reader (data).  Errors from below are positive
 * errnos and are turned into FUSE replies here, and only here.
 */
#ifndef BUCKETFS_FS_H
#define BUCKETFS_FS_H

#include <fuse3/fuse_lowlevel.h>

#include "bucketfs/backend.h"
#include "bucketfs/reader.h"

struct bfs_fs_conf {
	const char *prefix; /* "" or ending in '/' */
	uid_t uid;
	gid_t gid;
	mode_t umask;
	double stat_ttl;
	double negative_ttl;
	/* Appends the mount's statistics, as text, for `bucketfs stats`. */
	void (*stats)(void *ctx, GString *out);
	void *stats_ctx;
};

/* The extended attribute of the mount's root that holds the statistics. */
#define BFS_STATS_XATTR "user.bucketfs.stats"

struct bfs_fs;

/* @be and @rd are borrowed and must outlive the fs.  @rd may be NULL and
 * given later with bfs_fs_set_reader(), before the session loop starts:
 * readers start threads, which must not exist when the daemon forks. */
int bfs_fs_create(const struct bfs_fs_conf *conf, struct bfs_backend *be, struct bfs_reader *rd,
		  struct bfs_fs **out);
void bfs_fs_set_reader(struct bfs_fs *fs, struct bfs_reader *rd);
void bfs_fs_destroy(struct bfs_fs **fs);

/* The operations table to give fuse_session_new() with the fs as userdata. */
const struct fuse_lowlevel_ops *bfs_fs_ops(void);

#endif
