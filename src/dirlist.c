// SPDX-License-Identifier: MIT
#include "bucketfs/dirlist.h"

#include "bucketfs/keymap.h"
#include "bucketfs/log.h"

#include <errno.h>
#include <string.h>

#define LIST_PAGE_KEYS 1000

struct bfs_dirlist {
	char *prefix;
	size_t prefix_len;
	GHashTable *by_name; /* name -> struct bfs_dirent * (owned) */
};

void bfs_dirent_free(gpointer p)
{
	struct bfs_dirent *d = p;

	if (!d)
		return;
	g_free(d->name);
	g_free(d->etag);
	g_free(d);
}

struct bfs_dirent *bfs_dirent_copy(const struct bfs_dirent *d)
{
	struct bfs_dirent *c = g_new(struct bfs_dirent, 1);

	*c = *d;
	c->name = g_strdup(d->name);
	c->etag = g_strdup(d->etag);
	return c;
}

struct bfs_dirlist *bfs_dirlist_new(const char *prefix)
{
	struct bfs_dirlist *dl = g_new0(struct bfs_dirlist, 1);

	dl->prefix = g_strdup(prefix);
	dl->prefix_len = strlen(prefix);
	dl->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, bfs_dirent_free);
	return dl;
}

static void add_item(struct bfs_dirlist *dl, const struct bfs_list_item *it)
{
	const char *rest;
	size_t len;
	const char *why;
	struct bfs_dirent *old, *d;

	if (strncmp(it->key, dl->prefix, dl->prefix_len) != 0) {
		bfs_log(BFS_LOG_WARN, "listing of '%s' returned '%s', outside it: ignored",
			dl->prefix, it->key);
		return;
	}
	rest = it->key + dl->prefix_len;
	len = strlen(rest);
	if (!it->is_prefix && len == 0)
		return; /* the directory's own marker object */
	if (it->is_prefix) {
		if (len == 0 || rest[len - 1] != '/') {
			bfs_log(BFS_LOG_WARN, "listing of '%s': odd common prefix '%s' ignored",
				dl->prefix, it->key);
			return;
		}
		len--;
	}
	why = bfs_name_invalid_reason(rest, len, it->has_nul);
	if (why) {
		bfs_log(BFS_LOG_WARN, "skipping key '%s': it %s", it->key, why);
		return;
	}
	d = g_new0(struct bfs_dirent, 1);
	d->name = g_strndup(rest, len);
	d->is_dir = it->is_prefix;
	d->size = it->is_prefix ? 0 : it->size;
	d->mtime = it->mtime;
	d->etag = it->is_prefix ? NULL : g_strdup(it->etag);
	old = g_hash_table_lookup(dl->by_name, d->name);
	if (old && old->is_dir && !d->is_dir) {
		bfs_log(BFS_LOG_INFO, "key '%s' is hidden by a directory of the same name",
			it->key);
		bfs_dirent_free(d);
		return;
	}
	if (old && !old->is_dir && d->is_dir)
		bfs_log(BFS_LOG_INFO, "key '%s%s' is hidden by a directory of the same name",
			dl->prefix, d->name);
	g_hash_table_replace(dl->by_name, d->name, d);
}

void bfs_dirlist_add_page(struct bfs_dirlist *dl, const struct bfs_list_page *page)
{
	for (guint i = 0; i < page->items->len; i++)
		add_item(dl, g_ptr_array_index(page->items, i));
}

static gint cmp_dirent(gconstpointer a, gconstpointer b)
{
	const struct bfs_dirent *da = *(struct bfs_dirent *const *)a;
	const struct bfs_dirent *db = *(struct bfs_dirent *const *)b;

	return strcmp(da->name, db->name);
}

GPtrArray *bfs_dirlist_finish(struct bfs_dirlist *dl)
{
	GPtrArray *out = g_ptr_array_new_full(g_hash_table_size(dl->by_name), bfs_dirent_free);
	GHashTableIter it;
	gpointer v;

	g_hash_table_iter_init(&it, dl->by_name);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		g_ptr_array_add(out, v);
		g_hash_table_iter_steal(&it);
	}
	g_ptr_array_sort(out, cmp_dirent);
	bfs_dirlist_free(dl);
	return out;
}

void bfs_dirlist_free(struct bfs_dirlist *dl)
{
	if (!dl)
		return;
	g_hash_table_destroy(dl->by_name);
	g_free(dl->prefix);
	g_free(dl);
}

int bfs_dirlist_read(struct bfs_backend *be, const char *prefix, GPtrArray **out)
{
	return bfs_dirlist_read_upto(be, prefix, 0, out);
}

int bfs_dirlist_read_upto(struct bfs_backend *be, const char *prefix, unsigned max_pages,
			  GPtrArray **out)
{
	struct bfs_dirlist *dl = bfs_dirlist_new(prefix);
	char *token = NULL;
	unsigned pages = 0;
	int r = 0;

	for (;;) {
		if (max_pages && pages++ == max_pages) {
			g_free(token);
			r = E2BIG;
			break;
		}
		struct bfs_list_page page;

		r = be->ops->list(be, prefix, true, token, LIST_PAGE_KEYS, &page);
		g_free(token);
		token = NULL;
		if (r)
			break;
		bfs_dirlist_add_page(dl, &page);
		if (page.truncated)
			token = g_strdup(page.next_token);
		bfs_list_page_clear(&page);
		if (!token)
			break;
	}
	if (r) {
		bfs_dirlist_free(dl);
		return r;
	}
	*out = bfs_dirlist_finish(dl);
	return 0;
}
