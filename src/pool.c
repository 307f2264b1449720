// SPDX-License-Identifier: MIT
/*
 * Buffer pool.  Each class keeps a LIFO idle list (the most recently used
 * buffer is the warmest).  The pool struct lives until both the owner has
 * destroyed it and the last buffer has come back, so a late release (a
 * reply finishing after unmount began) is always safe.
 *
 * Locks: pool->lock guards the idle lists, the counters and `closed`.
 * Allocation and munmap happen outside it where they can.
 */
#include "bucketfs/pool.h"

#include "bucketfs/log.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/mman.h>

struct pool_class {
	size_t size;
	GPtrArray *idle; /* struct bfs_buf *, protected by lock */
	int64_t last_used_us;
	struct bfs_pool_class_stats st;
};

struct bfs_pool {
	struct bfs_pool_conf conf;
	unsigned n_classes;
	GMutex lock;
	struct pool_class cls[BFS_POOL_MAX_CLASSES];
	struct bfs_pool_class_stats exact; /* exact-size buffers */
	uint64_t bytes_held;		   /* all classes and exact, idle + in use */
	uint64_t high_water;
	uint64_t shrunk;
	uint64_t refused;
	uint64_t overdrafts;
	uint64_t live_bufs; /* buffers allocated and not yet freed */
	bool closed;	    /* the owner destroyed the pool */
};

void bfs_pool_default_conf(struct bfs_pool_conf *conf)
{
	/* Powers of two up to 2 MiB keep class rounding under 2x for the
	 * small and unaligned extents random readers make; then the seed's
	 * 4..256 MiB (the range engine adds its part size). */
	static const size_t def[] = {64u << 10, 128u << 10, 256u << 10, 512u << 10, 1u << 20,
				     2u << 20,	4u << 20,   16u << 20,	64u << 20,  256u << 20};

	memset(conf, 0, sizeof(*conf));
	memcpy(conf->classes, def, sizeof(def));
	conf->max_idle_per_class = 16;
	conf->max_bytes = (size_t)4 << 30;
	conf->idle_shrink_s = 10;
	conf->enabled = true;
#ifndef NDEBUG
	conf->poison = true;
#endif
}

int bfs_pool_create(const struct bfs_pool_conf *conf, struct bfs_pool **out)
{
	struct bfs_pool *p = g_new0(struct bfs_pool, 1);

	p->conf = *conf;
	g_mutex_init(&p->lock);
	for (unsigned i = 0; i < BFS_POOL_MAX_CLASSES && conf->classes[i]; i++) {
		if (i && conf->classes[i] <= conf->classes[i - 1]) {
			bfs_pool_destroy(&p);
			return EINVAL;
		}
		p->cls[i].size = conf->classes[i];
		p->cls[i].st.size = conf->classes[i];
		p->cls[i].idle = g_ptr_array_new();
		p->n_classes = i + 1;
	}
	*out = p;
	return 0;
}

static void pool_free_struct(struct bfs_pool *p)
{
	for (unsigned i = 0; i < p->n_classes; i++)
		g_ptr_array_free(p->cls[i].idle, TRUE);
	g_mutex_clear(&p->lock);
	g_free(p);
}

/*
 * Fresh memory, faulted in up front: a GET writing into untouched pages
 * pays a page fault per 4 KiB, which measured as a fifth of the daemon's
 * time on a cold sequential read.  Large buffers ask for huge pages.
 */
static void *map_buffer(size_t cap)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	void *p;

	if (cap >= (2u << 20)) {
		p = mmap(NULL, cap, PROT_READ | PROT_WRITE, flags, -1, 0);
		if (p != MAP_FAILED) {
			madvise(p, cap, MADV_HUGEPAGE);
			/* Populate after the advice, so the huge pages are used. */
			madvise(p, cap, MADV_POPULATE_WRITE);
		}
		return p;
	}
	return mmap(NULL, cap, PROT_READ | PROT_WRITE, flags | MAP_POPULATE, -1, 0);
}

static void unmap_buf(struct bfs_buf *b)
{
	munmap(b->data, b->cap);
	g_free(b);
}

/* Take the warmest idle buffer of @c out of the pool's accounts, for the
 * caller to unmap once the lock is dropped.  Caller holds the lock. */
static struct bfs_buf *drop_idle_locked(struct bfs_pool *p, struct pool_class *c)
{
	struct bfs_buf *b = g_ptr_array_steal_index_fast(c->idle, c->idle->len - 1);

	c->st.bytes_held -= b->cap;
	c->st.idle--;
	p->bytes_held -= b->cap;
	p->live_bufs--;
	return b;
}

void bfs_pool_destroy(struct bfs_pool **pp)
{
	struct bfs_pool *p = *pp;
	GPtrArray *doomed = g_ptr_array_new();
	bool last;

	if (!p)
		return;
	*pp = NULL;
	g_mutex_lock(&p->lock);
	p->closed = true;
	for (unsigned i = 0; i < p->n_classes; i++) {
		struct pool_class *c = &p->cls[i];

		while (c->idle->len)
			g_ptr_array_add(doomed, drop_idle_locked(p, c));
	}
	last = p->live_bufs == 0;
	if (!last)
		bfs_log(BFS_LOG_DEBUG, "pool closed with %" G_GUINT64_FORMAT " buffers still held",
			p->live_bufs);
	g_mutex_unlock(&p->lock);
	for (guint i = 0; i < doomed->len; i++)
		unmap_buf(g_ptr_array_index(doomed, i));
	g_ptr_array_free(doomed, TRUE);
	if (last)
		pool_free_struct(p);
}

static int class_for(struct bfs_pool *p, size_t size)
{
	for (unsigned i = 0; i < p->n_classes; i++)
		if (size <= p->cls[i].size)
			return (int)i;
	return -1;
}

static struct bfs_pool_class_stats *stats_of(struct bfs_pool *p, int idx)
{
	return idx >= 0 ? &p->cls[idx].st : &p->exact;
}

/* Free idle buffers (other classes first, then @keep's) until @need more
 * bytes fit under the cap.  Caller holds the lock; freed buffers are added
 * to @doomed to be unmapped after unlocking. */
static void make_room_locked(struct bfs_pool *p, size_t need, int keep, GPtrArray *doomed)
{
	for (int pass = 0; pass < 2; pass++) {
		for (int i = (int)p->n_classes - 1; i >= 0; i--) {
			struct pool_class *c = &p->cls[i];

			if ((pass == 0) == (i == keep))
				continue;
			while (c->idle->len && p->bytes_held + need > p->conf.max_bytes)
				g_ptr_array_add(doomed, drop_idle_locked(p, c));
		}
	}
}

size_t bfs_pool_cost(struct bfs_pool *p, size_t size)
{
	int idx = class_for(p, size);

	return idx >= 0 ? p->cls[idx].size : (size + 4095) & ~(size_t)4095;
}

int bfs_pool_conf_add_class(struct bfs_pool_conf *conf, size_t size)
{
	unsigned n = 0, i;

	while (n < BFS_POOL_MAX_CLASSES && conf->classes[n])
		n++;
	for (i = 0; i < n && conf->classes[i] < size; i++)
		;
	if (i < n && conf->classes[i] == size)
		return 0;
	if (n == BFS_POOL_MAX_CLASSES)
		return ENOSPC;
	memmove(&conf->classes[i + 1], &conf->classes[i], (n - i) * sizeof(size_t));
	conf->classes[i] = size;
	return 0;
}

static int take(struct bfs_pool *p, size_t size, bool overdraft, struct bfs_buf **out)
{
	int idx = class_for(p, size);
	bool pooled = p->conf.enabled && idx >= 0;
	/* With the pool off, buffers keep their class's size, so an A/B run
	 * compares reuse alone. */
	size_t cap = idx >= 0 ? p->cls[idx].size : (size + 4095) & ~(size_t)4095;
	struct bfs_pool_class_stats *st = stats_of(p, idx);
	GPtrArray *doomed = g_ptr_array_new();
	struct bfs_buf *b = NULL;
	int r = 0;

	if (cap == 0)
		cap = 4096;
	g_mutex_lock(&p->lock);
	if (idx >= 0)
		p->cls[idx].last_used_us = g_get_monotonic_time();
	if (pooled && p->cls[idx].idle->len) {
		b = g_ptr_array_steal_index_fast(p->cls[idx].idle, p->cls[idx].idle->len - 1);
		st->taken++;
		st->idle--;
		st->reused++;
		st->bytes_in_use += b->cap;
		g_mutex_unlock(&p->lock);
		goto got;
	}
	if (p->bytes_held + cap > p->conf.max_bytes)
		make_room_locked(p, cap, idx, doomed);
	if (p->bytes_held + cap > p->conf.max_bytes) {
		if (!overdraft) {
			p->refused++;
			g_mutex_unlock(&p->lock);
			r = ENOMEM;
			goto out;
		}
		p->overdrafts++;
	}
	/* Reserve the bytes, then map outside the lock. */
	p->bytes_held += cap;
	p->live_bufs++;
	if (p->bytes_held > p->high_water)
		p->high_water = p->bytes_held;
	st->taken++;
	st->fresh++;
	st->bytes_held += cap;
	st->bytes_in_use += cap;
	if (st->bytes_held > st->high_water)
		st->high_water = st->bytes_held;
	g_mutex_unlock(&p->lock);

	b = g_new0(struct bfs_buf, 1);
	b->data = map_buffer(cap);
	if (b->data == MAP_FAILED) {
		g_free(b);
		b = NULL;
		g_mutex_lock(&p->lock);
		p->bytes_held -= cap;
		p->live_bufs--;
		p->refused++;
		st->taken--;
		st->fresh--;
		st->bytes_held -= cap;
		st->bytes_in_use -= cap;
		g_mutex_unlock(&p->lock);
		r = ENOMEM;
		goto out;
	}
	b->cap = cap;
	b->pool = p;
	b->class_idx = idx;
	b->pooled = pooled;
got:
	g_atomic_int_set(&b->refs, 1);
	if (p->conf.poison)
		memset(b->data, 0xAA, b->cap);
	*out = b;
out:
	for (guint i = 0; i < doomed->len; i++)
		unmap_buf(g_ptr_array_index(doomed, i));
	g_ptr_array_free(doomed, TRUE);
	return r;
}

int bfs_pool_take(struct bfs_pool *p, size_t size, struct bfs_buf **out)
{
	return take(p, size, false, out);
}

int bfs_pool_take_overdraft(struct bfs_pool *p, size_t size, struct bfs_buf **out)
{
	return take(p, size, true, out);
}

void bfs_buf_ref(struct bfs_buf *b)
{
	g_atomic_int_inc(&b->refs);
}

void bfs_buf_unref(struct bfs_buf *b)
{
	struct bfs_pool *p;
	struct bfs_pool_class_stats *st;
	bool keep = false, free_pool = false;

	if (!b || !g_atomic_int_dec_and_test(&b->refs))
		return;
	p = b->pool;
	if (p->conf.poison)
		memset(b->data, 0x55, b->cap);
	g_mutex_lock(&p->lock);
	st = stats_of(p, b->class_idx);
	st->returned++;
	st->bytes_in_use -= b->cap;
	if (b->pooled && !p->closed && p->bytes_held <= p->conf.max_bytes &&
	    p->cls[b->class_idx].idle->len < p->conf.max_idle_per_class) {
		g_ptr_array_add(p->cls[b->class_idx].idle, b);
		st->idle++;
		p->cls[b->class_idx].last_used_us = g_get_monotonic_time();
		keep = true;
	} else {
		st->bytes_held -= b->cap;
		p->bytes_held -= b->cap;
		p->live_bufs--;
		free_pool = p->closed && p->live_bufs == 0;
	}
	g_mutex_unlock(&p->lock);
	if (!keep)
		unmap_buf(b);
	if (free_pool)
		pool_free_struct(p);
}

unsigned bfs_pool_shrink_idle(struct bfs_pool *p, int64_t now_us)
{
	GPtrArray *doomed = g_ptr_array_new();
	int64_t idle_us = (int64_t)(p->conf.idle_shrink_s * G_USEC_PER_SEC);
	unsigned n;

	g_mutex_lock(&p->lock);
	for (unsigned i = 0; i < p->n_classes; i++) {
		struct pool_class *c = &p->cls[i];

		if (!c->idle->len || now_us - c->last_used_us < idle_us)
			continue;
		while (c->idle->len) {
			g_ptr_array_add(doomed, drop_idle_locked(p, c));
			p->shrunk++;
		}
	}
	g_mutex_unlock(&p->lock);
	n = doomed->len;
	for (guint i = 0; i < doomed->len; i++)
		unmap_buf(g_ptr_array_index(doomed, i));
	g_ptr_array_free(doomed, TRUE);
	return n;
}

void bfs_pool_get_stats(struct bfs_pool *p, struct bfs_pool_stats *out)
{
	memset(out, 0, sizeof(*out));
	g_mutex_lock(&p->lock);
	out->n_classes = p->n_classes;
	for (unsigned i = 0; i < p->n_classes; i++) {
		const struct bfs_pool_class_stats *s = &p->cls[i].st;

		out->cls[i] = *s;
		out->total.taken += s->taken;
		out->total.returned += s->returned;
		out->total.fresh += s->fresh;
		out->total.reused += s->reused;
		out->total.bytes_in_use += s->bytes_in_use;
		out->total.idle += s->idle;
	}
	out->total.taken += p->exact.taken;
	out->total.returned += p->exact.returned;
	out->total.fresh += p->exact.fresh;
	out->total.bytes_in_use += p->exact.bytes_in_use;
	out->total.bytes_held = p->bytes_held;
	out->total.high_water = p->high_water;
	out->shrunk = p->shrunk;
	out->refused = p->refused;
	out->overdrafts = p->overdrafts;
	g_mutex_unlock(&p->lock);
}
