// SPDX-License-Identifier: MIT
/*
 * The block cache and range engine against an in-memory, fault-injecting
 * backend: bytes, alignment, splitting, single flight, read-ahead, budget
 * and eviction (buffers back to the pool), version changes, errors,
 * cancellation, concurrency limits, and a randomized multi-threaded stress
 * test with a shadow copy.  The pool poisons buffers on return, so a reply
 * from a released buffer shows up as wrong bytes.
 */
#include "bucketfs/cache.h"

#include "mem_backend.h"
#include "testutil.h"

#include <errno.h>
#include <string.h>

#define MiB (1u << 20)
#define KiB (1u << 10)

static struct bfs_backend *be;
static struct bfs_pool *pool;
static struct bfs_cache *cache;
static struct bfs_reader *rd;
static guint8 *obj_data;
static size_t obj_size = 20 * MiB + 100;
static char *obj_etag;
static size_t pool_slack = 64 * MiB; /* pool cap above cache_size + in-flight parts */

static void fill(guint8 *d, size_t n, guint32 seed)
{
	GRand *r = g_rand_new_with_seed(seed);

	for (size_t i = 0; i < n; i += 4) {
		guint32 v = g_rand_int(r);

		memcpy(d + i, &v, MIN(4, n - i));
	}
	g_rand_free(r);
}

static void start(size_t cache_size, size_t part, unsigned ranges)
{
	struct bfs_pool_conf pc;
	struct bfs_cache_conf cc;

	bfs_pool_default_conf(&pc);
	bfs_pool_conf_add_class(&pc, part);
	pc.poison = true;
	pc.max_bytes = cache_size + ranges * part + pool_slack;
	ck_assert_int_eq(bfs_pool_create(&pc, &pool), 0);
	bfs_cache_default_conf(&cc, 1ull << 34);
	cc.cache_size = cache_size;
	cc.part_size = part;
	cc.max_ranges = ranges;
	ck_assert_int_eq(bfs_cache_create(&cc, be, pool, &cache), 0);
	rd = bfs_cache_reader(cache);
}

/* Start over with another configuration; every buffer must be back. */
static void restart(size_t cache_size, size_t part, unsigned ranges)
{
	struct bfs_pool_stats ps;

	bfs_cache_destroy(&cache);
	bfs_pool_get_stats(pool, &ps);
	ck_assert_uint_eq(ps.total.bytes_in_use, 0);
	bfs_pool_destroy(&pool);
	start(cache_size, part, ranges);
}

static void setup(void)
{
	be = mem_backend_new();
	obj_data = g_malloc(obj_size);
	fill(obj_data, obj_size, 7);
	obj_etag = g_strdup(mem_put(be, "obj", obj_data, obj_size));
	start(64 * MiB, 8 * MiB, 4);
}

static void teardown(void)
{
	struct bfs_pool_stats ps;

	bfs_cache_destroy(&cache);
	bfs_pool_get_stats(pool, &ps);
	/* Every buffer is back: nothing leaked, nothing held by a dead cache. */
	ck_assert_uint_eq(ps.total.bytes_in_use, 0);
	ck_assert_uint_eq(ps.total.taken, ps.total.returned);
	bfs_pool_destroy(&pool);
	be->ops->destroy(be);
	g_free(obj_data);
	g_free(obj_etag);
}

struct waiter {
	GMutex m;
	GCond c;
	bool done;
	int err;
	GByteArray *data;
};

static void on_done(void *ctx, int err, const struct iovec *iov, int n)
{
	struct waiter *w = ctx;

	g_mutex_lock(&w->m);
	w->err = err;
	for (int i = 0; i < n; i++)
		g_byte_array_append(w->data, iov[i].iov_base, (guint)iov[i].iov_len);
	w->done = true;
	g_cond_signal(&w->c);
	g_mutex_unlock(&w->m);
}

static struct waiter *read_async(struct bfs_file_pin *pin, uint64_t off, size_t len)
{
	struct waiter *w = g_new0(struct waiter, 1);

	g_mutex_init(&w->m);
	g_cond_init(&w->c);
	w->data = g_byte_array_new();
	rd->ops->read(rd, pin, off, len, on_done, w);
	return w;
}

/* Wait; returns the errno and leaves the bytes in *out (g_byte_array_unref). */
static int wait_read(struct waiter *w, GByteArray **out)
{
	int err;

	g_mutex_lock(&w->m);
	while (!w->done)
		g_cond_wait(&w->c, &w->m);
	g_mutex_unlock(&w->m);
	err = w->err;
	if (out)
		*out = g_byte_array_ref(w->data);
	g_byte_array_unref(w->data);
	g_mutex_clear(&w->m);
	g_cond_clear(&w->c);
	g_free(w);
	return err;
}

static int read_sync(struct bfs_file_pin *pin, uint64_t off, size_t len, GByteArray **out)
{
	return wait_read(read_async(pin, off, len), out);
}

static struct bfs_file_pin pin_of(const char *key, const char *etag, uint64_t size, bool stream)
{
	struct bfs_file_pin p = {(char *)key, (char *)etag, size, NULL};

	if (stream)
		p.stream = rd->ops->open(rd, &p);
	return p;
}

static void unpin(struct bfs_file_pin *p)
{
	if (p->stream)
		rd->ops->close(rd, p->stream);
}

static void expect_bytes(struct bfs_file_pin *pin, uint64_t off, size_t len)
{
	GByteArray *got;
	size_t want = off >= obj_size ? 0 : MIN(len, obj_size - off);

	ck_assert_int_eq(read_sync(pin, off, len, &got), 0);
	ck_assert_uint_eq(got->len, want);
	ck_assert_msg(want == 0 || memcmp(got->data, obj_data + off, want) == 0,
		      "wrong bytes at %llu+%zu", (unsigned long long)off, len);
	g_byte_array_unref(got);
}

static struct mem_get *get_at(guint i)
{
	return g_ptr_array_index(mem_gets(be), i);
}

START_TEST(bytes_and_alignment)
{
	struct bfs_file_pin p = pin_of("obj", obj_etag, obj_size, false);

	expect_bytes(&p, 100000, 4096);
	/* One GET, of the 64 KiB block around the read: never megabytes. */
	ck_assert_uint_eq(mem_gets(be)->len, 1);
	ck_assert_uint_eq(get_at(0)->off, 65536);
	ck_assert_uint_eq(get_at(0)->len, 65536);
	expect_bytes(&p, 100000, 4096); /* a hit */
	ck_assert_uint_eq(mem_gets(be)->len, 1);
	expect_bytes(&p, 65536 - 10, 20); /* straddles: only the missing block */
	ck_assert_uint_eq(mem_gets(be)->len, 2);
	ck_assert_uint_eq(get_at(1)->off, 0);
	ck_assert_uint_eq(get_at(1)->len, 65536);
	expect_bytes(&p, obj_size - 50, 4096); /* the tail, clamped at EOF */
	expect_bytes(&p, obj_size, 10);	       /* at EOF: nothing */
	expect_bytes(&p, obj_size + 5000, 10);
}
END_TEST

START_TEST(split_into_parts_on_the_grid)
{
	struct bfs_file_pin p = pin_of("obj", obj_etag, obj_size, false);

	expect_bytes(&p, 1 * MiB, 18 * MiB);
	/* [1M, 19M) -> [1M,8M) [8M,16M) [16M,19M) */
	ck_assert_uint_eq(mem_gets(be)->len, 3);
	for (guint i = 0; i < 3; i++) {
		ck_assert_uint_le(get_at(i)->len, 8 * MiB);
		ck_assert_uint_eq((get_at(i)->off + get_at(i)->len) % (8 * MiB) == 0 ||
					  get_at(i)->off + get_at(i)->len == 19 * MiB,
				  1);
	}
}
END_TEST

START_TEST(single_flight)
{
	struct bfs_file_pin p = pin_of("obj", obj_etag, obj_size, false);
	struct waiter *w1, *w2;
	GByteArray *a, *b;
	struct bfs_cache_stats st;

	mem_set_delay(be, 100);
	w1 = read_async(&p, 3 * MiB, 100 * KiB);
	w2 = read_async(&p, 3 * MiB + 10, 1000);
	ck_assert_int_eq(wait_read(w1, &a), 0);
	ck_assert_int_eq(wait_read(w2, &b), 0);
	ck_assert_uint_eq(mem_gets(be)->len, 2 - 1 + 1 - 1); /* the second joined the first */
	ck_assert_int_eq(memcmp(b->data, obj_data + 3 * MiB + 10, 1000), 0);
	bfs_cache_get_stats(cache, &st);
	ck_assert_uint_eq(st.joined, 1);
	g_byte_array_unref(a);
	g_byte_array_unref(b);
}
END_TEST

START_TEST(sequential_readahead_grows)
{
	struct bfs_file_pin p = pin_of("obj", obj_etag, obj_size, true);
	struct bfs_cache_stats st;

	for (uint64_t off = 0; off < 4 * MiB; off += 128 * KiB)
		expect_bytes(&p, off, 128 * KiB);
	bfs_cache_get_stats(cache, &st);
	ck_assert_uint_gt(st.prefetches, 0);
	ck_assert_uint_ge(st.bytes_fetched + 0, 4 * MiB);
	ck_assert_uint_gt(st.hits + st.joined, st.misses); /* read-ahead did the work */
	/* Read-ahead reaches beyond what was read, in whole parts. */
	ck_assert_uint_ge(st.prefetch_bytes, 8 * MiB);
	unpin(&p);
}
END_TEST

START_TEST(random_reads_fetch_little)
{
	struct bfs_file_pin p = pin_of("obj", obj_etag, obj_size, true);
	GRand *r = g_rand_new_with_seed(3);
	struct bfs_cache_stats st;

	for (int i = 0; i < 50; i++) {
		uint64_t off = (uint64_t)g_rand_int_range(r, 0, (gint32)(obj_size - 4096));

		expect_bytes(&p, off, 4096);
	}
	bfs_cache_get_stats(cache, &st);
	/* At most two 64 KiB blocks per 4 KiB read (when it straddles), plus
	 * the odd read-ahead when two random reads happen to be close. */
	ck_assert_uint_le(st.bytes_fetched, 50 * 128 * KiB + 16 * MiB);
	ck_assert_uint_le(st.bytes_fetched, 50 * 128 * KiB + st.prefetch_bytes);
	g_rand_free(r);
	unpin(&p);
}
END_TEST

START_TEST(budget_and_eviction_return_buffers)
{
	struct bfs_file_pin p = pin_of("obj", obj_etag, obj_size, false);
	struct bfs_cache_stats st;
	struct bfs_pool_stats ps;

	restart(16 * MiB, 4 * MiB, 2); /* room for four parts */
	p = pin_of("obj", obj_etag, obj_size, false);
	for (uint64_t off = 0; off < obj_size; off += 1 * MiB)
		expect_bytes(&p, off, 1 * MiB);
	bfs_cache_get_stats(cache, &st);
	ck_assert_uint_gt(st.evictions, 0);
	ck_assert_uint_le(st.bytes_cached, 16 * MiB);
	bfs_pool_get_stats(pool, &ps);
	ck_assert_uint_gt(ps.total.returned, 0); /* evicted buffers came back */
	ck_assert_uint_gt(ps.total.reused, 0);	 /* and were used again */
	ck_assert_uint_eq(ps.total.bytes_in_use, st.bytes_cached);
	ck_assert_uint_le(ps.total.high_water, 16 * MiB + 2 * 4 * MiB + 64 * MiB);
	/* The first part was evicted: reading it again fetches again. */
	mem_reset_log(be);
	expect_bytes(&p, 0, 1000);
	ck_assert_uint_eq(mem_gets(be)->len, 1);
}
END_TEST

START_TEST(version_change)
{
	struct bfs_file_pin old = pin_of("obj", obj_etag, obj_size, false), fresh;
	guint8 *v2 = g_malloc(obj_size);
	GByteArray *got;
	char *etag2;

	expect_bytes(&old, 0, 1000); /* block 0 of v1 cached */
	fill(v2, obj_size, 99);
	etag2 = g_strdup(mem_put(be, "obj", v2, obj_size));
	/* Cached bytes of the pinned version may still be served... */
	expect_bytes(&old, 0, 1000);
	/* ...but nothing new: the store says the pin no longer holds. */
	ck_assert_int_eq(read_sync(&old, 5 * MiB, 1000, NULL), ESTALE);
	/* A new open of v2 never sees v1's cached block. */
	fresh = pin_of("obj", etag2, obj_size, false);
	ck_assert_int_eq(read_sync(&fresh, 0, 1000, &got), 0);
	ck_assert_int_eq(memcmp(got->data, v2, 1000), 0);
	g_byte_array_unref(got);
	g_free(etag2);
	g_free(v2);
}
END_TEST

START_TEST(errors_are_reported_then_refetched)
{
	struct bfs_file_pin p = pin_of("obj", obj_etag, obj_size, false);
	struct bfs_cache_stats st;

	mem_fail_next(be, 1, EIO);
	ck_assert_int_eq(read_sync(&p, 2 * MiB, 1000, NULL), EIO);
	expect_bytes(&p, 2 * MiB, 1000); /* the failed extent is gone: fetched again */
	mem_fail_next(be, 1, EACCES);
	ck_assert_int_eq(read_sync(&p, 9 * MiB, 1000, NULL), EACCES);
	bfs_cache_get_stats(cache, &st);
	ck_assert_uint_eq(st.fetch_errors, 2);
}
END_TEST

START_TEST(closing_cancels_readahead)
{
	struct bfs_file_pin p;
	struct bfs_cache_stats st;

	restart(256 * MiB, 1 * MiB, 1); /* one worker: the queue builds up */
	mem_set_delay(be, 30);
	p = pin_of("obj", obj_etag, obj_size, true);
	for (uint64_t off = 0; off < 2 * MiB; off += 256 * KiB)
		expect_bytes(&p, off, 256 * KiB);
	unpin(&p); /* much read-ahead still queued */
	g_usleep(500000);
	bfs_cache_get_stats(cache, &st);
	ck_assert_uint_gt(st.prefetch_cancelled, 0);
	ck_assert_uint_lt(mem_gets(be)->len, st.fetches);
}
END_TEST

START_TEST(demand_before_readahead_and_concurrency_cap)
{
	struct bfs_file_pin seq, other;

	restart(256 * MiB, 1 * MiB, 2);
	mem_set_delay(be, 20);
	seq = pin_of("obj", obj_etag, obj_size, true);
	for (uint64_t off = 0; off < 1 * MiB; off += 256 * KiB)
		expect_bytes(&seq, off, 256 * KiB); /* queues read-ahead */
	other = pin_of("obj", obj_etag, obj_size, false);
	mem_reset_log(be);
	expect_bytes(&other, 19 * MiB, 1000);
	/* The demand read did not wait behind the queued read-ahead. */
	ck_assert_uint_le(mem_gets(be)->len, 3);
	ck_assert_uint_le(mem_max_concurrent(be), 2);
	unpin(&seq);
}
END_TEST

struct stress_ctx {
	int seed;
	unsigned bad;
	unsigned ok;
	unsigned failed;
	const char *key;
	const char *etag;
	const guint8 *ref;
	size_t size;
};

static gpointer stress_thread(gpointer data)
{
	struct stress_ctx *t = data;
	GRand *r = g_rand_new_with_seed((guint32)t->seed);
	struct bfs_file_pin p = {(char *)t->key, (char *)t->etag, t->size, NULL};

	p.stream = rd->ops->open(rd, &p);
	for (int i = 0; i < 300; i++) {
		uint64_t off;
		size_t len = (size_t)g_rand_int_range(r, 1, 300 * KiB);
		GByteArray *got;
		int err;

		if (g_rand_int_range(r, 0, 4) == 0) {
			/* a sequential run */
			off = (uint64_t)g_rand_int_range(r, 0, (gint32)t->size);
			for (int k = 0; k < 8; k++, off += len) {
				err = read_sync(&p, off, len, &got);
				if (err) {
					t->failed++;
				} else {
					size_t want = off >= t->size ? 0 : MIN(len, t->size - off);

					if (got->len != want ||
					    (want && memcmp(got->data, t->ref + off, want)))
						t->bad++;
					else
						t->ok++;
				}
				g_byte_array_unref(got);
			}
			continue;
		}
		off = (uint64_t)g_rand_int_range(r, 0, (gint32)(t->size + 1000));
		err = read_sync(&p, off, len, &got);
		if (err) {
			t->failed++;
		} else {
			size_t want = off >= t->size ? 0 : MIN(len, t->size - off);

			if (got->len != want || (want && memcmp(got->data, t->ref + off, want)))
				t->bad++;
			else
				t->ok++;
		}
		g_byte_array_unref(got);
	}
	rd->ops->close(rd, p.stream);
	g_rand_free(r);
	return NULL;
}

START_TEST(stress_with_shadow_copy)
{
	enum { THREADS = 8, OBJS = 3 };
	struct stress_ctx ctx[THREADS];
	GThread *th[THREADS];
	guint8 *refs[OBJS];
	char *etags[OBJS], key[16];
	size_t sizes[OBJS] = {7 * MiB + 333, 13 * MiB, 300 * KiB + 1};
	unsigned ok = 0, failed = 0;

	/* Small cache, and a pool cap with no slack for in-flight parts: constant
	 * eviction, and demand fetches that must overdraw rather than stall. */
	pool_slack = 0;
	restart(12 * MiB, 2 * MiB, 3);
	pool_slack = 64 * MiB;
	mem_fail_randomly(be, 0.02); /* transient faults */
	for (int i = 0; i < OBJS; i++) {
		refs[i] = g_malloc(sizes[i]);
		fill(refs[i], sizes[i], (guint32)(100 + i));
		g_snprintf(key, sizeof(key), "o%d", i);
		etags[i] = g_strdup(mem_put(be, key, refs[i], sizes[i]));
	}
	for (int i = 0; i < THREADS; i++) {
		static const char *const keys[] = {"o0", "o1", "o2"};

		ctx[i] = (struct stress_ctx){.seed = i + 1,
					     .key = keys[i % OBJS],
					     .etag = etags[i % OBJS],
					     .ref = refs[i % OBJS],
					     .size = sizes[i % OBJS]};
		th[i] = g_thread_new("stress", stress_thread, &ctx[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		g_thread_join(th[i]);
		ck_assert_msg(ctx[i].bad == 0, "thread %d got %u wrong answers", i, ctx[i].bad);
		ok += ctx[i].ok;
		failed += ctx[i].failed;
	}
	ck_assert_uint_gt(ok, failed * 5); /* faults are rare; most reads succeed */
	ck_assert_uint_gt(failed, 0);	   /* and the injected ones did show */
	mem_fail_randomly(be, 0);
	for (int i = 0; i < OBJS; i++) {
		g_free(refs[i]);
		g_free(etags[i]);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, bytes_and_alignment);
	tcase_add_test(tc, split_into_parts_on_the_grid);
	tcase_add_test(tc, single_flight);
	tcase_add_test(tc, sequential_readahead_grows);
	tcase_add_test(tc, random_reads_fetch_little);
	tcase_add_test(tc, budget_and_eviction_return_buffers);
	tcase_add_test(tc, version_change);
	tcase_add_test(tc, errors_are_reported_then_refetched);
	tcase_add_test(tc, closing_cancels_readahead);
	tcase_add_test(tc, demand_before_readahead_and_concurrency_cap);
	tcase_add_test(tc, stress_with_shadow_copy);
	suite_add_tcase(s, tc);
	return bfs_run_suite(s);
}
