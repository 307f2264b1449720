// SPDX-License-Identifier: MIT
/*
 * Block cache and range engine.
 *
 * What it owns.  For every object version read (key, ETag, size: the pin
 * taken at open) a tree of extents ordered by offset.  An extent covers
 * [off, off+len) of that version, starts on a block boundary (64 KiB by
 * default) and is backed by one pooled buffer that a single ranged GET
 * filled.  Two versions of an object are two different trees: bytes of
 * one can never answer a read of the other.
 *
 * An extent's life:
 *
 *     FILLING ──GET ok──> READY ──evicted──> (out of the tree; freed when
 *        │                                    the last reader lets go)
 *        └──GET failed / cancelled──> FAILED (out of the tree at once)
 *
 * Invariants: extents in a tree never overlap; only READY extents are on
 * the LRU list; cache->bytes is the sum of the costs (the pooled buffer's
 * size) of the extents in the trees, FILLING ones included; an extent's
 * buffer is released exactly once, when its refcount drops to zero (the
 * tree, each read attached to it, and the fetch job each hold a
 * reference; a stream lists its queued read-ahead without one).
 *
 * A read.  Its range is widened to blocks; extents found READY count as
 * hits, FILLING ones are joined (single flight: a second reader of the same
 * bytes waits for the first GET), and each gap becomes new FILLING extents
 * of at most part_size, queued as demand jobs.  A read found whole is
 * answered at once with an iovec pointing into the pooled buffers: no copy
 * on our side.  A read that must wait first copies what it already has
 * (at most its own length) and lets go of those extents, so waiting reads
 * never pin cached buffers; it is answered when its last extent is ready.
 *
 * Read-ahead.  Each open file has a stream that watches offsets.  While the
 * reader stays sequential the window doubles from min_readahead to
 * max_readahead, and the range ahead of it is queued as prefetch jobs.  A
 * random read resets the window, so random readers fetch only the blocks
 * they touch.  Prefetch is admitted only within the memory budget (after
 * evicting older extents); when the budget is spent the window halves
 * instead, and no window exceeds the budget's fair share among the readers
 * active in the last two seconds.  Demand reads are always admitted,
 * evicting what they must; if the pool's cap leaves a demand fetch no
 * buffer and nothing is evictable, it overdraws the cap (bounded by
 * max_ranges parts) rather than wait, which could deadlock.
 * Demand jobs run before prefetch jobs; queued prefetch that nobody waits
 * for is cancelled when its file is closed.
 *
 * Threads.  Reads are started by FUSE workers and never block them: the
 * fetch workers (at most max_ranges, a GThreadPool) run the GETs, writing
 * each body straight into its buffer, and answer waiting reads.  A
 * maintenance thread ticks once a second to shrink the pool's idle classes.
 *
 * The cache and its threads are created after the daemon detaches (fork
 * keeps only the calling thread).
 *
 * Locks.  cache->lock guards the trees, extents' state and waiters, the
 * LRU list, streams and counters.  It is never held across a GET, a pool
 * allocation, or a read's completion callback.
 */
#include "bucketfs/cache.h"

#include "bucketfs/log.h"

#include <errno.h>
#include <string.h>

enum ext_state {
	EXT_FILLING,
	EXT_READY,
	EXT_FAILED,
};

struct cobj;
struct stream;

struct extent {
	struct cobj *obj; /* NULL once out of the tree */
	uint64_t off;
	size_t len;
	size_t cost; /* bytes of the pooled buffer backing it: what the budget counts */
	enum ext_state state;
	int err;
	struct bfs_buf *buf;   /* set when READY */
	int refs;	       /* atomic */
	GList *lru;	       /* node in cache->lru while READY and in the tree */
	GPtrArray *waiters;    /* struct read_op *, while FILLING */
	struct stream *stream; /* the reader that queued it as read-ahead, while FILLING */
	bool prefetch;	       /* no reader asked for it (yet) */
	bool started;	       /* a worker took the job */
	bool cancelled;
};

struct cobj {
	char *id;      /* key NUL etag NUL size: the identity of a version */
	unsigned busy; /* a read is adding extents: do not free when empty */
	char *key;
	char *etag;
	uint64_t size;
	GTree *extents; /* uint64_t *off -> struct extent * */
};

struct read_op {
	bfs_read_done_fn done;
	void *ctx;
	uint64_t off;
	size_t len;
	int pending; /* extents still filling */
	int err;
	GPtrArray *exts; /* struct extent *, ordered by offset, one ref each */
	/* A read that must wait keeps the bytes it already has here instead
	 * of pinning whole cached extents (8 MiB each) while it waits. */
	guint8 *copy;
};

struct stream {
	gint64 last_read_us; /* for counting active readers */
	uint64_t next_off;   /* where a sequential reader reads next */
	size_t window;	     /* 0: random */
	uint64_t ra_end;     /* prefetch issued up to here */
	GPtrArray *issued;   /* struct extent * prefetched by this stream (refs) */
};

struct job {
	struct extent *e; /* one ref */
	char *key;
	char *etag;
	uint64_t size;
	uint64_t seq;
};

struct bfs_cache {
	struct bfs_reader reader; /* first: the reader interface */
	struct bfs_cache_conf conf;
	struct bfs_backend *be;
	struct bfs_pool *pool;
	GThreadPool *workers;
	GThread *maint;
	GCond maint_cond;
	bool stopping; /* protected by lock */

	GMutex lock;
	GHashTable *streams; /* struct stream * set: open files */
	GHashTable *objects; /* id -> struct cobj * */
	GQueue lru;	     /* struct extent *, least recent at the head */
	uint64_t bytes;
	uint64_t seq;
	struct bfs_cache_stats st;
};

/* Block size is a power of two, part size need not be: plain arithmetic. */
static uint64_t align_down(uint64_t x, uint64_t b)
{
	return x / b * b;
}

static uint64_t align_up(uint64_t x, uint64_t b)
{
	return (x + b - 1) / b * b;
}

static gint cmp_off(gconstpointer a, gconstpointer b, gpointer unused)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void bfs_cache_default_conf(struct bfs_cache_conf *conf, uint64_t ram_bytes)
{
	uint64_t size = ram_bytes / 16;

	if (size < (64u << 20))
		size = 64u << 20;
	if (size > (1u << 30))
		size = 1u << 30;
	conf->cache_size = (size_t)size;
	conf->part_size = 8u << 20;
	conf->max_ranges = 4; /* best of 2..8 measured on 2 cores; see docs/benchmarks.md */
	conf->min_readahead = 1u << 20;
	conf->max_readahead = 64u << 20;
	conf->block = 64u << 10;
}

static void extent_unref(struct extent *e)
{
	if (!g_atomic_int_dec_and_test(&e->refs))
		return;
	if (e->buf)
		bfs_buf_unref(e->buf);
	if (e->waiters)
		g_ptr_array_free(e->waiters, TRUE);
	g_free(e);
}

static void extent_ref(struct extent *e)
{
	g_atomic_int_inc(&e->refs);
}

/* Take @e out of its tree (and the LRU), dropping the tree's reference.
 * Caller holds the lock; the unref may free the buffer, which is safe
 * under the lock (the pool has its own). */
static void detach_locked(struct bfs_cache *c, struct extent *e)
{
	if (!e->obj)
		return;
	g_tree_remove(e->obj->extents, &e->off);
	if (e->lru) {
		g_queue_delete_link(&c->lru, e->lru);
		e->lru = NULL;
	}
	c->bytes -= e->cost;
	c->st.bytes_cached = c->bytes;
	c->st.extents--;
	if (g_tree_nnodes(e->obj->extents) == 0 && !e->obj->busy)
		g_hash_table_remove(c->objects, e->obj->id); /* frees the object */
	e->obj = NULL;
	extent_unref(e);
}

/* Evict the least recently used READY extent; the bytes it held, or 0 if
 * there is none. */
static size_t evict_one_locked(struct bfs_cache *c)
{
	struct extent *e = c->lru.head ? c->lru.head->data : NULL;
	size_t cost = e ? e->cost : 0;

	if (e) {
		detach_locked(c, e);
		c->st.evictions++;
	}
	return cost;
}

/* Evict until @need more bytes fit in the budget.  Returns whether they fit. */
static bool make_room_locked(struct bfs_cache *c, size_t need)
{
	while (c->bytes + need > c->conf.cache_size && evict_one_locked(c))
		;
	return c->bytes + need <= c->conf.cache_size;
}

static void cobj_free(gpointer p)
{
	struct cobj *o = p;

	g_tree_destroy(o->extents);
	g_free(o->id);
	g_free(o->key);
	g_free(o->etag);
	g_free(o);
}

static char *object_id(const struct bfs_file_pin *pin)
{
	return g_strdup_printf("%s%c%s%c%" G_GUINT64_FORMAT, pin->key, 0,
			       pin->etag ? pin->etag : "", 0, pin->size);
}

/* The id has NULs inside: hash and compare it as three strings. */
static guint id_hash(gconstpointer k)
{
	const char *s = k;
	guint h = g_str_hash(s);

	s += strlen(s) + 1;
	h = h * 31 + g_str_hash(s);
	s += strlen(s) + 1;
	return h * 31 + g_str_hash(s);
}

static gboolean id_equal(gconstpointer a, gconstpointer b)
{
	const char *x = a, *y = b;

	for (int i = 0; i < 3; i++) {
		if (strcmp(x, y) != 0)
			return FALSE;
		x += strlen(x) + 1;
		y += strlen(y) + 1;
	}
	return TRUE;
}

static struct cobj *object_locked(struct bfs_cache *c, const struct bfs_file_pin *pin)
{
	char *id = object_id(pin);
	struct cobj *o = g_hash_table_lookup(c->objects, id);

	if (o) {
		g_free(id);
		return o;
	}
	o = g_new0(struct cobj, 1);
	o->id = id;
	o->key = g_strdup(pin->key);
	o->etag = g_strdup(pin->etag);
	o->size = pin->size;
	o->extents = g_tree_new_full(cmp_off, NULL, NULL, NULL);
	g_hash_table_insert(c->objects, o->id, o);
	return o;
}

/* The extent containing @pos, or NULL and in *@next the start of the next
 * extent after @pos (UINT64_MAX if none). */
static struct extent *find_locked(struct cobj *o, uint64_t pos, uint64_t *next)
{
	GTreeNode *n = g_tree_upper_bound(o->extents, &pos); /* first start > pos */
	struct extent *e;

	*next = n ? *(uint64_t *)g_tree_node_key(n) : UINT64_MAX;
	/* Only the extent starting at or before pos can contain it. */
	n = n ? g_tree_node_previous(n) : g_tree_node_last(o->extents);
	if (!n)
		return NULL;
	e = g_tree_node_value(n);
	return pos >= e->off && pos < e->off + e->len ? e : NULL;
}

static gint job_order(gconstpointer a, gconstpointer b, gpointer unused)
{
	const struct job *x = a, *y = b;

	/* Reads someone waits for go first; then first come, first served. */
	if (x->e->prefetch != y->e->prefetch)
		return x->e->prefetch ? 1 : -1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A new FILLING extent of @o, in the tree, with a job queued for it. */
static struct extent *new_extent_locked(struct bfs_cache *c, struct cobj *o, uint64_t off,
					size_t len, bool prefetch)
{
	struct extent *e = g_new0(struct extent, 1);
	struct job *j = g_new0(struct job, 1);

	e->obj = o;
	e->off = off;
	e->len = len;
	e->cost = bfs_pool_cost(c->pool, len);
	e->state = EXT_FILLING;
	e->prefetch = prefetch;
	e->waiters = g_ptr_array_new();
	e->refs = 2; /* the tree and the job */
	g_tree_insert(o->extents, &e->off, e);
	c->bytes += e->cost;
	c->st.bytes_cached = c->bytes;
	c->st.extents++;
	c->st.fetches++;
	if (prefetch) {
		c->st.prefetches++;
		c->st.prefetch_bytes += len;
	}
	j->e = e;
	j->key = g_strdup(o->key);
	j->etag = g_strdup(o->etag);
	j->size = o->size;
	j->seq = c->seq++;
	g_thread_pool_push(c->workers, j, NULL);
	return e;
}

static void attach_locked(struct bfs_cache *c, struct read_op *op, struct extent *e)
{
	extent_ref(e);
	g_ptr_array_add(op->exts, e);
	if (e->state == EXT_FILLING) {
		g_ptr_array_add(e->waiters, op);
		op->pending++;
		e->prefetch = false; /* someone waits for it now */
	} else if (e->lru) {
		/* Most recently used goes to the tail. */
		g_queue_unlink(&c->lru, e->lru);
		g_queue_push_tail_link(&c->lru, e->lru);
	}
}

/* Cover [from, to) of @o with extents (new ones for gaps, at most
 * part_size each, block-aligned) and attach them to @op if given.  For
 * prefetch (@op NULL), stops where the budget runs out and returns how far
 * it got; new extents are listed as @s's read-ahead. */
static uint64_t cover_locked(struct bfs_cache *c, struct cobj *o, uint64_t from, uint64_t to,
			     struct read_op *op, struct stream *s, bool *fresh)
{
	uint64_t pos = from;

	while (pos < to) {
		uint64_t next;
		struct extent *e = find_locked(o, pos, &next);

		if (e) {
			if (op)
				attach_locked(c, op, e);
			pos = e->off + e->len;
			continue;
		}
		{
			/* Parts end on the part-size grid, so sequential reads
			 * make whole parts whatever the kernel's request sizes. */
			uint64_t grid = align_down(pos, c->conf.part_size) + c->conf.part_size;
			uint64_t end = MIN(MIN(next, to), grid);
			size_t len = (size_t)(end - pos);
			size_t cost = bfs_pool_cost(c->pool, len);

			if (!op && !make_room_locked(c, cost)) {
				c->st.prefetch_skipped++;
				return pos;
			}
			if (op) {
				make_room_locked(c, cost); /* demand: evict, then go anyway */
				*fresh = true;
			}
			e = new_extent_locked(c, o, pos, len, op == NULL);
			if (op) {
				attach_locked(c, op, e);
			} else if (s) {
				e->stream = s;
				g_ptr_array_add(s->issued, e);
			}
			pos = end;
		}
	}
	return pos;
}

/* Copy the part of @e that @op wants into op->copy. */
static void copy_part(struct read_op *op, const struct extent *e)
{
	uint64_t a = MAX(op->off, e->off), z = MIN(op->off + op->len, e->off + e->len);

	if (a < z)
		memcpy(op->copy + (a - op->off), (const char *)e->buf->data + (a - e->off),
		       (size_t)(z - a));
}

/* After cover: if @op waits, trade its READY extents for a copy of the
 * bytes it needs from them, so it pins no cached buffer while waiting. */
static void unpin_ready_locked(struct read_op *op)
{
	bool any = false;

	if (!op->pending)
		return;
	for (guint i = 0; i < op->exts->len && !any; i++)
		any = ((struct extent *)g_ptr_array_index(op->exts, i))->state == EXT_READY;
	if (!any)
		return;
	op->copy = g_malloc(op->len);
	for (guint i = 0; i < op->exts->len;) {
		struct extent *e = g_ptr_array_index(op->exts, i);

		if (e->state == EXT_READY) {
			copy_part(op, e);
			g_ptr_array_remove_index(op->exts, i);
			extent_unref(e);
		} else {
			i++;
		}
	}
}

static void complete_op(struct read_op *op)
{
	struct iovec *iov = g_new(struct iovec, op->exts->len ? op->exts->len : 1);
	int n = 0;

	if (!op->err && op->copy) {
		for (guint i = 0; i < op->exts->len; i++)
			copy_part(op, g_ptr_array_index(op->exts, i));
		iov[0].iov_base = op->copy;
		iov[0].iov_len = op->len;
		n = 1;
	} else if (!op->err) {
		uint64_t a = op->off, z = op->off + op->len;

		for (guint i = 0; i < op->exts->len; i++) {
			struct extent *e = g_ptr_array_index(op->exts, i);
			uint64_t s = MAX(a, e->off), t = MIN(z, e->off + e->len);

			if (s >= t)
				continue;
			iov[n].iov_base = (char *)e->buf->data + (s - e->off);
			iov[n].iov_len = (size_t)(t - s);
			n++;
		}
	}
	op->done(op->ctx, op->err, op->err ? NULL : iov, op->err ? 0 : n);
	for (guint i = 0; i < op->exts->len; i++)
		extent_unref(g_ptr_array_index(op->exts, i));
	g_ptr_array_free(op->exts, TRUE);
	g_free(op->copy);
	g_free(iov);
	g_free(op);
}

/* Readers that read in the last two seconds: they share the budget. */
static unsigned active_streams_locked(struct bfs_cache *c)
{
	gint64 now = g_get_monotonic_time();
	GHashTableIter it;
	gpointer k;
	unsigned n = 0;

	g_hash_table_iter_init(&it, c->streams);
	while (g_hash_table_iter_next(&it, &k, NULL))
		n += now - ((struct stream *)k)->last_read_us < 2 * G_USEC_PER_SEC;
	return MAX(n, 1u);
}

/* Read-ahead for @s after a read of [off, off+len) of @o. */
static void readahead_locked(struct bfs_cache *c, struct stream *s, struct cobj *o, uint64_t off,
			     size_t len)
{
	uint64_t end = off + len, target, got;
	/* Kernel readahead and several FUSE threads deliver a sequential
	 * stream slightly out of order: tolerate that much. */
	uint64_t slack = MAX((uint64_t)s->window, (uint64_t)(2u << 20));
	bool sequential = off + slack >= s->next_off && off <= s->next_off + slack;

	if (s->next_off == 0 && off == 0)
		sequential = true;
	if (!sequential) {
		s->window = 0;
		s->ra_end = 0;
		s->next_off = end;
		return;
	}
	/* Grow while the reader keeps up; never past its share of the budget,
	 * so many readers each get some read-ahead rather than a few all. */
	s->window = s->window ? MIN(s->window * 2, c->conf.max_readahead) : c->conf.min_readahead;
	s->window = MIN(s->window, MAX(c->conf.min_readahead,
				       c->conf.cache_size / (2 * active_streams_locked(c))));
	if (end > s->next_off)
		s->next_off = end;
	/* Whole parts only: a window end inside a part waits for the next read. */
	target = MIN(align_down(end + s->window, c->conf.part_size), o->size);
	if (target <= end)
		target = MIN(align_up(end, c->conf.part_size), o->size);
	if (s->ra_end < end)
		s->ra_end = align_up(end, c->conf.block);
	if (s->ra_end >= target)
		return;
	got = cover_locked(c, o, s->ra_end, target, NULL, s, NULL);
	if (got < target) /* the budget is spent: read ahead less */
		s->window = MAX(s->window / 2, c->conf.min_readahead);
	s->ra_end = got;
}

static void cache_read(struct bfs_reader *rd, const struct bfs_file_pin *pin, uint64_t off,
		       size_t len, bfs_read_done_fn done, void *ctx)
{
	struct bfs_cache *c = (struct bfs_cache *)rd;
	struct stream *s = pin->stream;
	struct read_op *op;
	struct cobj *o;
	bool fresh = false;

	if (off >= pin->size || len == 0) {
		done(ctx, 0, NULL, 0);
		return;
	}
	len = (size_t)MIN((uint64_t)len, pin->size - off);
	op = g_new0(struct read_op, 1);
	op->done = done;
	op->ctx = ctx;
	op->off = off;
	op->len = len;
	op->exts = g_ptr_array_new();

	g_mutex_lock(&c->lock);
	o = object_locked(c, pin);
	o->busy++; /* eviction below must not free it under us */
	c->st.reads++;
	cover_locked(c, o, align_down(off, c->conf.block),
		     MIN(align_up(off + len, c->conf.block), o->size), op, NULL, &fresh);
	if (fresh)
		c->st.misses++;
	else if (op->pending)
		c->st.joined++;
	else
		c->st.hits++;
	if (s) {
		s->last_read_us = g_get_monotonic_time();
		readahead_locked(c, s, o, off, len);
	}
	unpin_ready_locked(op);
	if (--o->busy == 0 && g_tree_nnodes(o->extents) == 0)
		g_hash_table_remove(c->objects, o->id);
	if (op->pending) {
		g_mutex_unlock(&c->lock);
		return; /* a fetch worker answers */
	}
	g_mutex_unlock(&c->lock);
	complete_op(op);
}

/*
 * A buffer for @e.  When the pool's cap is reached, a demand fetch evicts
 * cached extents to make room.  If that frees nothing (the memory is held
 * by replies in flight or by reads that still wait on other extents, which
 * only a worker can fill), it takes the buffer past the cap rather than
 * wait: waiting there could wait forever.  Only fetch workers take
 * buffers, so the overdraft is bounded by max_ranges parts.  Read-ahead
 * stands down instead (ECANCELED): running short shrinks read-ahead, it
 * does not fail or stall reads.
 */
static int take_buffer(struct bfs_cache *c, struct extent *e, struct bfs_buf **buf)
{
	int r;

	for (int round = 0; (r = bfs_pool_take(c->pool, e->len, buf)) == ENOMEM; round++) {
		size_t freed = 0;
		bool demand;

		g_mutex_lock(&c->lock);
		demand = e->waiters->len > 0;
		while (demand && freed < e->cost) {
			size_t got = evict_one_locked(c);

			if (!got)
				break;
			freed += got;
		}
		if (!demand)
			c->st.prefetch_skipped++;
		g_mutex_unlock(&c->lock);
		if (!demand)
			return ECANCELED;
		if (!freed || round > 0)
			return bfs_pool_take_overdraft(c->pool, e->len, buf);
	}
	return r;
}

static void fetch(gpointer data, gpointer user)
{
	struct bfs_cache *c = user;
	struct job *j = data;
	struct extent *e = j->e;
	struct bfs_buf *buf = NULL;
	GPtrArray *finished = g_ptr_array_new();
	int r;

	g_mutex_lock(&c->lock);
	if (c->stopping || (e->cancelled && e->waiters->len == 0)) {
		r = c->stopping ? EIO : ECANCELED;
		if (r == ECANCELED)
			c->st.prefetch_cancelled++;
		g_mutex_unlock(&c->lock);
		goto done;
	}
	e->started = true;
	g_mutex_unlock(&c->lock);

	r = take_buffer(c, e, &buf);
	if (!r)
		r = c->be->ops->get_range(c->be, j->key, j->etag, j->size, e->off, buf->data,
					  e->len);
done:
	g_mutex_lock(&c->lock);
	if (e->stream) {
		g_ptr_array_remove_fast(e->stream->issued, e);
		e->stream = NULL;
	}
	if (r == ECANCELED && e->waiters->len && !c->stopping) {
		/* A reader joined after read-ahead stood down: fetch it for them. */
		e->started = false;
		e->cancelled = false;
		e->prefetch = false;
		j->seq = c->seq++;
		g_thread_pool_push(c->workers, j, NULL);
		g_mutex_unlock(&c->lock);
		g_ptr_array_free(finished, TRUE);
		return;
	}
	if (!r) {
		e->buf = buf;
		buf = NULL;
		e->state = EXT_READY;
		c->st.bytes_fetched += e->len;
		if (e->obj) {
			g_queue_push_tail(&c->lru, e);
			e->lru = c->lru.tail;
		}
	} else {
		e->state = EXT_FAILED;
		e->err = r == ECANCELED ? EIO : r;
		if (r != ECANCELED)
			c->st.fetch_errors++;
		detach_locked(c, e); /* a later read fetches again */
	}
	for (guint i = 0; i < e->waiters->len; i++) {
		struct read_op *op = g_ptr_array_index(e->waiters, i);

		if (e->state == EXT_FAILED && !op->err)
			op->err = e->err;
		if (--op->pending == 0)
			g_ptr_array_add(finished, op);
	}
	g_ptr_array_set_size(e->waiters, 0);
	g_mutex_unlock(&c->lock);

	if (buf)
		bfs_buf_unref(buf);
	for (guint i = 0; i < finished->len; i++)
		complete_op(g_ptr_array_index(finished, i));
	g_ptr_array_free(finished, TRUE);
	extent_unref(e);
	g_free(j->key);
	g_free(j->etag);
	g_free(j);
}

static void *cache_open(struct bfs_reader *rd, const struct bfs_file_pin *pin)
{
	struct bfs_cache *c = (struct bfs_cache *)rd;
	struct stream *s = g_new0(struct stream, 1);

	s->issued = g_ptr_array_new();
	g_mutex_lock(&c->lock);
	g_hash_table_add(c->streams, s);
	g_mutex_unlock(&c->lock);
	return s;
}

static void cache_close(struct bfs_reader *rd, void *stream)
{
	struct bfs_cache *c = (struct bfs_cache *)rd;
	struct stream *s = stream;

	g_mutex_lock(&c->lock);
	g_hash_table_remove(c->streams, s);
	for (guint i = 0; i < s->issued->len; i++) {
		struct extent *e = g_ptr_array_index(s->issued, i);

		/* Read-ahead nobody is waiting for and no worker has begun. */
		if (!e->started && e->waiters->len == 0)
			e->cancelled = true;
		e->stream = NULL;
	}
	g_mutex_unlock(&c->lock);
	g_ptr_array_free(s->issued, TRUE);
	g_free(s);
}

static gpointer maintenance(gpointer data)
{
	struct bfs_cache *c = data;

	g_mutex_lock(&c->lock);
	while (!c->stopping) {
		gint64 until = g_get_monotonic_time() + G_USEC_PER_SEC;

		g_cond_wait_until(&c->maint_cond, &c->lock, until);
		if (c->stopping)
			break;
		g_mutex_unlock(&c->lock);
		bfs_pool_shrink_idle(c->pool, g_get_monotonic_time());
		g_mutex_lock(&c->lock);
	}
	g_mutex_unlock(&c->lock);
	return NULL;
}

static void cache_reader_destroy(struct bfs_reader *rd)
{
	struct bfs_cache *c = (struct bfs_cache *)rd;

	bfs_cache_destroy(&c);
}

static const struct bfs_reader_ops cache_ops = {
	.name = "cache",
	.open = cache_open,
	.close = cache_close,
	.read = cache_read,
	.destroy = cache_reader_destroy,
};

int bfs_cache_create(const struct bfs_cache_conf *conf, struct bfs_backend *be,
		     struct bfs_pool *pool, struct bfs_cache **out)
{
	struct bfs_cache *c;
	GError *err = NULL;

	if (conf->block < 4096 || (conf->block & (conf->block - 1)) ||
	    conf->part_size < conf->block || conf->max_ranges == 0 ||
	    conf->cache_size < conf->part_size)
		return EINVAL;
	c = g_new0(struct bfs_cache, 1);
	c->reader.ops = &cache_ops;
	c->conf = *conf;
	c->conf.part_size = align_down(conf->part_size, conf->block);
	c->be = be;
	c->pool = pool;
	g_mutex_init(&c->lock);
	g_cond_init(&c->maint_cond);
	g_queue_init(&c->lru);
	c->objects = g_hash_table_new_full(id_hash, id_equal, NULL, cobj_free);
	c->streams = g_hash_table_new(g_direct_hash, g_direct_equal);
	c->workers = g_thread_pool_new(fetch, c, (gint)conf->max_ranges, FALSE, &err);
	if (!c->workers) {
		g_error_free(err);
		bfs_cache_destroy(&c);
		return EAGAIN;
	}
	g_thread_pool_set_sort_function(c->workers, job_order, NULL);
	c->maint = g_thread_new("bfs-maint", maintenance, c);
	*out = c;
	return 0;
}

static gboolean drop_extent(gpointer key, gpointer value, gpointer data)
{
	g_ptr_array_add(data, value);
	return FALSE;
}

void bfs_cache_destroy(struct bfs_cache **cp)
{
	struct bfs_cache *c = *cp;
	GPtrArray *all = g_ptr_array_new();
	GHashTableIter it;
	gpointer v;

	if (!c)
		return;
	*cp = NULL;
	g_mutex_lock(&c->lock);
	c->stopping = true;
	g_cond_broadcast(&c->maint_cond);
	g_mutex_unlock(&c->lock);
	if (c->maint)
		g_thread_join(c->maint);
	if (c->workers)
		g_thread_pool_free(c->workers, FALSE, TRUE); /* queued jobs see `stopping` */
	g_mutex_lock(&c->lock);
	g_hash_table_iter_init(&it, c->objects);
	while (g_hash_table_iter_next(&it, NULL, &v))
		g_tree_foreach(((struct cobj *)v)->extents, drop_extent, all);
	for (guint i = 0; i < all->len; i++)
		detach_locked(c, g_ptr_array_index(all, i));
	g_mutex_unlock(&c->lock);
	g_ptr_array_free(all, TRUE);
	g_hash_table_destroy(c->objects);
	g_hash_table_destroy(c->streams);
	g_cond_clear(&c->maint_cond);
	g_mutex_clear(&c->lock);
	g_free(c);
}

struct bfs_reader *bfs_cache_reader(struct bfs_cache *c)
{
	return &c->reader;
}

void bfs_cache_get_stats(struct bfs_cache *c, struct bfs_cache_stats *out)
{
	g_mutex_lock(&c->lock);
	*out = c->st;
	g_mutex_unlock(&c->lock);
}
