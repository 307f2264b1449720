/* SPDX-License-Identifier: MIT */
/*
 * The inode table: inode numbers <-> paths, kernel lookup counts, and the
 * metadata caches hung on nodes (attributes with an expiry, a directory's
 * listing with an expiry, negative entries).
 *
 * A node lives while the kernel holds lookups on it (the root always).
 * Inode numbers are never reused within a mount, so generation is 0.
 * Paths are relative to the mount's prefix: "" is the root, "a/b" below it.
 * All functions are thread-safe (one mutex per table); none does I/O.
 * Times are g_get_monotonic_time() microseconds.
 */
#ifndef BUCKETFS_INODE_H
#define BUCKETFS_INODE_H

#include "bucketfs/dirlist.h"

#include <fuse3/fuse_lowlevel.h>

#define BFS_ROOT_INO FUSE_ROOT_ID

struct bfs_inodes;

/* What a caller may copy out of a node. */
struct bfs_node_info {
	fuse_ino_t ino;
	char *path;		/* g_free */
	struct bfs_dirent attr; /* attr.name is NULL; attr.etag g_free */
	gint64 attr_expires;	/* when attr stops being trusted */
};

struct bfs_inodes *bfs_inodes_new(int64_t root_mtime);
void bfs_inodes_free(struct bfs_inodes *t);

/* Find or create the node @name under @parent, take one kernel lookup on it,
 * and record @attr as valid until @expires.  Returns its inode number, or 0
 * if @parent is unknown. */
fuse_ino_t bfs_inodes_link(struct bfs_inodes *t, fuse_ino_t parent, const char *name,
			   const struct bfs_dirent *attr, gint64 expires);

/* Copy a node out; false if @ino is unknown.  Clear @out with
 * bfs_node_info_clear(). */
bool bfs_inodes_get(struct bfs_inodes *t, fuse_ino_t ino, struct bfs_node_info *out);
void bfs_node_info_clear(struct bfs_node_info *info);

/* Refresh a node's attributes (after a HEAD, say). */
void bfs_inodes_set_attr(struct bfs_inodes *t, fuse_ino_t ino, const struct bfs_dirent *attr,
			 gint64 expires);

/* Drop @n kernel lookups; the node goes when none remain. */
void bfs_inodes_forget(struct bfs_inodes *t, fuse_ino_t ino, uint64_t n);

/* Cache the listing of directory @ino (takes @entries) until @expires.  The
 * entries' attributes also refresh children already in the table. */
void bfs_inodes_set_listing(struct bfs_inodes *t, fuse_ino_t ino, GPtrArray *entries,
			    gint64 expires);
/* The cached listing of @ino, if fresh: a new reference, or NULL. */
GPtrArray *bfs_inodes_get_listing(struct bfs_inodes *t, fuse_ino_t ino);
/* Look @name up in @parent's fresh listing: 1 and a copy in @out when there,
 * 0 when the fresh listing lacks it, -1 when there is no fresh listing. */
int bfs_inodes_find_child(struct bfs_inodes *t, fuse_ino_t parent, const char *name,
			  struct bfs_dirent *out);

/* Entries in @ino's cached listing, fresh or not; -1 if it has none. */
int bfs_inodes_listing_count(struct bfs_inodes *t, fuse_ino_t ino);

/* Negative entries: @name under @parent is known missing until @expires. */
void bfs_inodes_set_negative(struct bfs_inodes *t, fuse_ino_t parent, const char *name,
			     gint64 expires);
bool bfs_inodes_is_negative(struct bfs_inodes *t, fuse_ino_t parent, const char *name);

/* Record that @ino was opened at @etag; true if the previous open saw the
 * same ETag (so the kernel's page cache may be kept). */
bool bfs_inodes_note_open(struct bfs_inodes *t, fuse_ino_t ino, const char *etag);

#endif
