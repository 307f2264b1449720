/* SPDX-License-Identifier: MIT */
/*
 * How object keys become names.  Keys map to paths by '/'.  A component that
 * cannot be a directory entry name is never truncated or aliased: the key is
 * skipped, and the caller logs the reason returned here.
 */
#ifndef BUCKETFS_KEYMAP_H
#define BUCKETFS_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>

#define BFS_NAME_MAX 255

/* NULL when @name may be a directory entry name, else why not. */
const char *bfs_name_invalid_reason(const char *name, size_t len, bool has_nul);

#endif
