// SPDX-License-Identifier: MIT
/*
 * Nodes are found by inode number (by_ino) and by path (by_path); both
 * tables point at the same struct node, which by_ino owns.  Negative
 * entries live in one table keyed by "parent-ino/name".
 *
 * Locks: t->lock guards everything in the table and in every node.
 */
#include "bucketfs/inode.h"

#include <string.h>

#define NEGATIVE_MAX 65536

struct node {
	fuse_ino_t ino;
	char *path;
	uint64_t nlookup;
	struct bfs_dirent attr; /* attr.name unused */
	gint64 attr_expires;
	GPtrArray *listing;	   /* struct bfs_dirent *, sorted, or NULL */
	GHashTable *listing_index; /* name -> struct bfs_dirent * in listing */
	gint64 listing_expires;
	char *open_etag; /* ETag of the last open */
};

struct bfs_inodes {
	GMutex lock;
	GHashTable *by_ino;   /* fuse_ino_t* -> struct node * (owned) */
	GHashTable *by_path;  /* const char * (node's) -> struct node * */
	GHashTable *negative; /* "ino/name" -> gint64* expiry */
	fuse_ino_t next_ino;
};

static void drop_listing(struct node *n)
{
	if (n->listing_index)
		g_hash_table_destroy(n->listing_index);
	if (n->listing)
		g_ptr_array_unref(n->listing);
	n->listing = NULL;
	n->listing_index = NULL;
}

static void node_free(gpointer p)
{
	struct node *n = p;

	drop_listing(n);
	g_free(n->path);
	g_free(n->attr.etag);
	g_free(n->open_etag);
	g_free(n);
}

static guint ino_hash(gconstpointer k)
{
	fuse_ino_t v = *(const fuse_ino_t *)k;

	return (guint)(v ^ (v >> 32));
}

static gboolean ino_equal(gconstpointer a, gconstpointer b)
{
	return *(const fuse_ino_t *)a == *(const fuse_ino_t *)b;
}

struct bfs_inodes *bfs_inodes_new(int64_t root_mtime)
{
	struct bfs_inodes *t = g_new0(struct bfs_inodes, 1);
	struct node *root = g_new0(struct node, 1);

	g_mutex_init(&t->lock);
	t->by_ino = g_hash_table_new_full(ino_hash, ino_equal, NULL, node_free);
	t->by_path = g_hash_table_new(g_str_hash, g_str_equal);
	t->negative = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	root->ino = BFS_ROOT_INO;
	root->path = g_strdup("");
	root->nlookup = 1;
	root->attr.is_dir = true;
	root->attr.mtime = root_mtime;
	root->attr_expires = G_MAXINT64;
	g_hash_table_insert(t->by_ino, &root->ino, root);
	g_hash_table_insert(t->by_path, root->path, root);
	t->next_ino = BFS_ROOT_INO + 1;
	return t;
}

void bfs_inodes_free(struct bfs_inodes *t)
{
	if (!t)
		return;
	g_hash_table_destroy(t->by_path);
	g_hash_table_destroy(t->by_ino);
	g_hash_table_destroy(t->negative);
	g_mutex_clear(&t->lock);
	g_free(t);
}

static struct node *find_locked(struct bfs_inodes *t, fuse_ino_t ino)
{
	return g_hash_table_lookup(t->by_ino, &ino);
}

static void set_attr_locked(struct node *n, const struct bfs_dirent *attr, gint64 expires)
{
	g_free(n->attr.etag);
	n->attr.is_dir = attr->is_dir;
	n->attr.size = attr->size;
	n->attr.mtime = attr->mtime;
	n->attr.etag = g_strdup(attr->etag);
	n->attr_expires = expires;
}

static char *child_path(const char *parent, const char *name)
{
	return *parent ? g_strconcat(parent, "/", name, NULL) : g_strdup(name);
}

fuse_ino_t bfs_inodes_link(struct bfs_inodes *t, fuse_ino_t parent, const char *name,
			   const struct bfs_dirent *attr, gint64 expires)
{
	struct node *p, *n;
	fuse_ino_t ino = 0;
	char *path;

	g_mutex_lock(&t->lock);
	p = find_locked(t, parent);
	if (!p)
		goto out;
	path = child_path(p->path, name);
	n = g_hash_table_lookup(t->by_path, path);
	if (n) {
		g_free(path);
	} else {
		n = g_new0(struct node, 1);
		n->ino = t->next_ino++;
		n->path = path;
		g_hash_table_insert(t->by_ino, &n->ino, n);
		g_hash_table_insert(t->by_path, n->path, n);
	}
	n->nlookup++;
	set_attr_locked(n, attr, expires);
	ino = n->ino;
out:
	g_mutex_unlock(&t->lock);
	return ino;
}

bool bfs_inodes_get(struct bfs_inodes *t, fuse_ino_t ino, struct bfs_node_info *out)
{
	struct node *n;

	memset(out, 0, sizeof(*out));
	g_mutex_lock(&t->lock);
	n = find_locked(t, ino);
	if (n) {
		out->ino = ino;
		out->path = g_strdup(n->path);
		out->attr = n->attr;
		out->attr.name = NULL;
		out->attr.etag = g_strdup(n->attr.etag);
		out->attr_expires = n->attr_expires;
	}
	g_mutex_unlock(&t->lock);
	return n != NULL;
}

void bfs_node_info_clear(struct bfs_node_info *info)
{
	g_free(info->path);
	g_free(info->attr.etag);
	memset(info, 0, sizeof(*info));
}

void bfs_inodes_set_attr(struct bfs_inodes *t, fuse_ino_t ino, const struct bfs_dirent *attr,
			 gint64 expires)
{
	struct node *n;

	g_mutex_lock(&t->lock);
	n = find_locked(t, ino);
	if (n)
		set_attr_locked(n, attr, expires);
	g_mutex_unlock(&t->lock);
}

void bfs_inodes_forget(struct bfs_inodes *t, fuse_ino_t ino, uint64_t count)
{
	struct node *n;

	g_mutex_lock(&t->lock);
	n = find_locked(t, ino);
	if (n && ino != BFS_ROOT_INO) {
		n->nlookup = count >= n->nlookup ? 0 : n->nlookup - count;
		if (n->nlookup == 0) {
			g_hash_table_remove(t->by_path, n->path);
			g_hash_table_remove(t->by_ino, &ino);
		}
	}
	g_mutex_unlock(&t->lock);
}

void bfs_inodes_set_listing(struct bfs_inodes *t, fuse_ino_t ino, GPtrArray *entries,
			    gint64 expires)
{
	struct node *n;

	g_mutex_lock(&t->lock);
	n = find_locked(t, ino);
	if (!n) {
		g_mutex_unlock(&t->lock);
		g_ptr_array_unref(entries);
		return;
	}
	drop_listing(n);
	n->listing = entries;
	n->listing_index = g_hash_table_new(g_str_hash, g_str_equal);
	n->listing_expires = expires;
	for (guint i = 0; i < entries->len; i++) {
		struct bfs_dirent *d = g_ptr_array_index(entries, i);
		char *path = child_path(n->path, d->name);
		struct node *c = g_hash_table_lookup(t->by_path, path);
		char *neg = g_strdup_printf("%lu/%s", (unsigned long)ino, d->name);

		g_hash_table_insert(n->listing_index, d->name, d);
		if (c)
			set_attr_locked(c, d, expires);
		g_hash_table_remove(t->negative, neg);
		g_free(neg);
		g_free(path);
	}
	g_mutex_unlock(&t->lock);
}

GPtrArray *bfs_inodes_get_listing(struct bfs_inodes *t, fuse_ino_t ino)
{
	struct node *n;
	GPtrArray *l = NULL;

	g_mutex_lock(&t->lock);
	n = find_locked(t, ino);
	if (n && n->listing && n->listing_expires > g_get_monotonic_time())
		l = g_ptr_array_ref(n->listing);
	g_mutex_unlock(&t->lock);
	return l;
}

int bfs_inodes_find_child(struct bfs_inodes *t, fuse_ino_t parent, const char *name,
			  struct bfs_dirent *out)
{
	struct node *n;
	struct bfs_dirent *d;
	int r = -1;

	g_mutex_lock(&t->lock);
	n = find_locked(t, parent);
	if (n && n->listing && n->listing_expires > g_get_monotonic_time()) {
		d = g_hash_table_lookup(n->listing_index, name);
		r = d != NULL;
		if (d) {
			*out = *d;
			out->name = g_strdup(d->name);
			out->etag = g_strdup(d->etag);
		}
	}
	g_mutex_unlock(&t->lock);
	return r;
}

int bfs_inodes_listing_count(struct bfs_inodes *t, fuse_ino_t ino)
{
	struct node *n;
	int count = -1;

	g_mutex_lock(&t->lock);
	n = find_locked(t, ino);
	if (n && n->listing)
		count = (int)MIN(n->listing->len, (guint)G_MAXINT);
	g_mutex_unlock(&t->lock);
	return count;
}

void bfs_inodes_set_negative(struct bfs_inodes *t, fuse_ino_t parent, const char *name,
			     gint64 expires)
{
	gint64 *e = g_new(gint64, 1);

	*e = expires;
	g_mutex_lock(&t->lock);
	/* Expired entries are dropped when looked up; bound the rest. */
	if (g_hash_table_size(t->negative) >= NEGATIVE_MAX)
		g_hash_table_remove_all(t->negative);
	g_hash_table_replace(t->negative, g_strdup_printf("%lu/%s", (unsigned long)parent, name),
			     e);
	g_mutex_unlock(&t->lock);
}

bool bfs_inodes_is_negative(struct bfs_inodes *t, fuse_ino_t parent, const char *name)
{
	char *k = g_strdup_printf("%lu/%s", (unsigned long)parent, name);
	gint64 *e;
	bool neg = false;

	g_mutex_lock(&t->lock);
	e = g_hash_table_lookup(t->negative, k);
	if (e) {
		neg = *e > g_get_monotonic_time();
		if (!neg)
			g_hash_table_remove(t->negative, k);
	}
	g_mutex_unlock(&t->lock);
	g_free(k);
	return neg;
}

bool bfs_inodes_note_open(struct bfs_inodes *t, fuse_ino_t ino, const char *etag)
{
	struct node *n;
	bool same = false;

	g_mutex_lock(&t->lock);
	n = find_locked(t, ino);
	if (n) {
		same = etag && n->open_etag && strcmp(etag, n->open_etag) == 0;
		g_free(n->open_etag);
		n->open_etag = g_strdup(etag);
	}
	g_mutex_unlock(&t->lock);
	return same;
}
