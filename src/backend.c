// SPDX-License-Identifier: MIT
/* Helpers shared by every backend and its callers. */
#include "bucketfs/backend.h"

#include <string.h>

void bfs_object_info_clear(struct bfs_object_info *info)
{
	g_clear_pointer(&info->etag, g_free);
	info->size = 0;
	info->mtime = 0;
}

void bfs_list_item_free(struct bfs_list_item *it)
{
	if (!it)
		return;
	g_free(it->key);
	g_free(it->etag);
	g_free(it->generation);
	g_free(it);
}

void bfs_list_page_init(struct bfs_list_page *page)
{
	memset(page, 0, sizeof(*page));
	page->items = g_ptr_array_new_with_free_func((GDestroyNotify)bfs_list_item_free);
}

void bfs_list_page_clear(struct bfs_list_page *page)
{
	if (page->items)
		g_ptr_array_free(page->items, TRUE);
	g_free(page->next_token);
	memset(page, 0, sizeof(*page));
}

static void etag_core(const char *e, const char **start, size_t *len)
{
	size_t n;

	if (g_str_has_prefix(e, "W/"))
		e += 2;
	n = strlen(e);
	if (n >= 2 && e[0] == '"' && e[n - 1] == '"') {
		e++;
		n -= 2;
	}
	*start = e;
	*len = n;
}

bool bfs_etag_equal(const char *a, const char *b)
{
	const char *sa, *sb;
	size_t la, lb;

	if (!a || !b)
		return false;
	etag_core(a, &sa, &la);
	etag_core(b, &sb, &lb);
	return la == lb && memcmp(sa, sb, la) == 0;
}
