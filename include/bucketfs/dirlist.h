/* SPDX-License-Identifier: MIT */
/*
 * A directory's entries, assembled from listing pages.
 *
 * Rules (docs/semantics.md): the prefix's own marker object ("dir/") is the
 * directory itself, not an entry; keys whose component cannot be a name are
 * skipped with a log line; a file and a directory with one name: the
 * directory wins.  Entries come out sorted by name (bytewise).
 */
#ifndef BUCKETFS_DIRLIST_H
#define BUCKETFS_DIRLIST_H

#include "bucketfs/backend.h"

struct bfs_dirent {
	char *name;
	bool is_dir;
	uint64_t size;
	int64_t mtime;
	char *etag;
};

struct bfs_dirlist; /* entries being assembled */

struct bfs_dirlist *bfs_dirlist_new(const char *prefix);
void bfs_dirlist_add_page(struct bfs_dirlist *dl, const struct bfs_list_page *page);
/* Finish: returns the sorted entries (GPtrArray of struct bfs_dirent *,
 * freeing them with the array) and frees @dl. */
GPtrArray *bfs_dirlist_finish(struct bfs_dirlist *dl);
void bfs_dirlist_free(struct bfs_dirlist *dl);

/* List every page under @prefix through @be.  Returns 0 or a positive errno. */
int bfs_dirlist_read(struct bfs_backend *be, const char *prefix, GPtrArray **out);
/* The same, but gives up with E2BIG when there are more than @max_pages
 * pages (0: no limit). */
int bfs_dirlist_read_upto(struct bfs_backend *be, const char *prefix, unsigned max_pages,
			  GPtrArray **out);

struct bfs_dirent *bfs_dirent_copy(const struct bfs_dirent *d);
void bfs_dirent_free(gpointer d);

#endif
