// SPDX-License-Identifier: MIT
#include "bucketfs/keymap.h"

#include <string.h>

const char *bfs_name_invalid_reason(const char *name, size_t len, bool has_nul)
{
	if (has_nul || memchr(name, '\0', len))
		return "contains a NUL byte";
	if (len == 0)
		return "has an empty path component ('//')";
	if (len == 1 && name[0] == '.')
		return "has a '.' path component";
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return "has a '..' path component";
	if (len > BFS_NAME_MAX)
		return "has a path component longer than 255 bytes";
	if (memchr(name, '/', len))
		return "contains '/' inside a component";
	return NULL;
}
