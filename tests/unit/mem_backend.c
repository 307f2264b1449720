// SPDX-License-Identifier: MIT
#include "mem_backend.h"

#include <errno.h>
#include <string.h>

struct mem_obj {
	GBytes *data;
	char *etag;
};

struct mem_backend {
	struct bfs_backend base;
	GMutex lock;
	GHashTable *objects; /* key -> struct mem_obj * */
	GPtrArray *gets;     /* struct mem_get * */
	unsigned fail_n;
	int fail_err;
	double fail_p;
	unsigned delay_ms;
	unsigned active, max_active;
	unsigned version;
	GRand *rand;
};

static struct mem_backend *M(struct bfs_backend *be)
{
	return (struct mem_backend *)be;
}

static void obj_free(gpointer p)
{
	struct mem_obj *o = p;

	g_bytes_unref(o->data);
	g_free(o->etag);
	g_free(o);
}

static void get_free(gpointer p)
{
	struct mem_get *g = p;

	g_free(g->key);
	g_free(g);
}

static int mem_head(struct bfs_backend *be, const char *key, struct bfs_object_info *out)
{
	struct mem_backend *m = M(be);
	struct mem_obj *o;
	int r = ENOENT;

	g_mutex_lock(&m->lock);
	o = g_hash_table_lookup(m->objects, key);
	if (o) {
		out->size = g_bytes_get_size(o->data);
		out->etag = g_strdup(o->etag);
		out->mtime = 0;
		r = 0;
	}
	g_mutex_unlock(&m->lock);
	return r;
}

static int mem_list(struct bfs_backend *be, const char *prefix, bool delimit, const char *token,
		    unsigned max_keys, struct bfs_list_page *out)
{
	bfs_list_page_init(out);
	return 0;
}

static int mem_get_range(struct bfs_backend *be, const char *key, const char *etag, uint64_t size,
			 uint64_t off, void *dest, size_t len)
{
	struct mem_backend *m = M(be);
	struct mem_get *g = g_new0(struct mem_get, 1);
	struct mem_obj *o;
	unsigned delay;
	int r = 0;

	g->key = g_strdup(key);
	g->off = off;
	g->len = len;
	g_mutex_lock(&m->lock);
	g_ptr_array_add(m->gets, g);
	m->active++;
	if (m->active > m->max_active)
		m->max_active = m->active;
	delay = m->delay_ms;
	if (m->fail_n) {
		m->fail_n--;
		r = m->fail_err;
	} else if (m->fail_p > 0 && g_rand_double(m->rand) < m->fail_p) {
		r = EIO;
	}
	g_mutex_unlock(&m->lock);
	if (delay)
		g_usleep(delay * 1000);
	g_mutex_lock(&m->lock);
	if (!r) {
		o = g_hash_table_lookup(m->objects, key);
		if (!o)
			r = ENOENT;
		else if (etag && strcmp(etag, o->etag) != 0)
			r = ESTALE; /* what If-Match gives */
		else if (g_bytes_get_size(o->data) != size || off + len > size)
			r = ESTALE;
		else
			memcpy(dest, (const char *)g_bytes_get_data(o->data, NULL) + off, len);
	}
	m->active--;
	g_mutex_unlock(&m->lock);
	return r;
}

static void mem_stats(struct bfs_backend *be, struct bfs_backend_stats *out)
{
	memset(out, 0, sizeof(*out));
}

static void mem_destroy(struct bfs_backend *be)
{
	struct mem_backend *m = M(be);

	g_hash_table_destroy(m->objects);
	g_ptr_array_free(m->gets, TRUE);
	g_rand_free(m->rand);
	g_mutex_clear(&m->lock);
	g_free(m);
}

static const struct bfs_backend_ops mem_ops = {
	.name = "memory",
	.head = mem_head,
	.list = mem_list,
	.get_range = mem_get_range,
	.get_stats = mem_stats,
	.destroy = mem_destroy,
};

struct bfs_backend *mem_backend_new(void)
{
	struct mem_backend *m = g_new0(struct mem_backend, 1);

	m->base.ops = &mem_ops;
	g_mutex_init(&m->lock);
	m->objects = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, obj_free);
	m->gets = g_ptr_array_new_with_free_func(get_free);
	m->rand = g_rand_new_with_seed(42);
	return &m->base;
}

const char *mem_put(struct bfs_backend *be, const char *key, const void *data, size_t len)
{
	struct mem_backend *m = M(be);
	struct mem_obj *o = g_new0(struct mem_obj, 1);

	g_mutex_lock(&m->lock);
	o->data = g_bytes_new(data, len);
	o->etag = g_strdup_printf("\"v%u\"", ++m->version);
	g_hash_table_replace(m->objects, g_strdup(key), o);
	g_mutex_unlock(&m->lock);
	return o->etag;
}

void mem_fail_next(struct bfs_backend *be, unsigned n, int err)
{
	g_mutex_lock(&M(be)->lock);
	M(be)->fail_n = n;
	M(be)->fail_err = err;
	g_mutex_unlock(&M(be)->lock);
}

void mem_fail_randomly(struct bfs_backend *be, double p)
{
	g_mutex_lock(&M(be)->lock);
	M(be)->fail_p = p;
	g_mutex_unlock(&M(be)->lock);
}

void mem_set_delay(struct bfs_backend *be, unsigned ms)
{
	g_mutex_lock(&M(be)->lock);
	M(be)->delay_ms = ms;
	g_mutex_unlock(&M(be)->lock);
}

GPtrArray *mem_gets(struct bfs_backend *be)
{
	return M(be)->gets;
}

unsigned mem_max_concurrent(struct bfs_backend *be)
{
	return M(be)->max_active;
}

void mem_reset_log(struct bfs_backend *be)
{
	g_mutex_lock(&M(be)->lock);
	g_ptr_array_set_size(M(be)->gets, 0);
	M(be)->max_active = 0;
	g_mutex_unlock(&M(be)->lock);
}
