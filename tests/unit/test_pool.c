// SPDX-License-Identifier: MIT
/* The buffer pool: reuse, classes, caps, refcounted return, idle shrink,
 * statistics, the pool switched off, and many threads at once. */
#include "bucketfs/pool.h"

#include "testutil.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

static struct bfs_pool *make(size_t max_bytes, unsigned max_idle, bool enabled, bool poison)
{
	struct bfs_pool_conf c;
	struct bfs_pool *p;

	bfs_pool_default_conf(&c);
	c.max_bytes = max_bytes;
	c.max_idle_per_class = max_idle;
	c.enabled = enabled;
	c.poison = poison;
	c.idle_shrink_s = 0.05;
	ck_assert_int_eq(bfs_pool_create(&c, &p), 0);
	return p;
}

START_TEST(reuse_and_classes)
{
	struct bfs_pool *p = make(1u << 30, 16, true, false);
	struct bfs_buf *a, *b;
	struct bfs_pool_stats st;
	void *first;

	ck_assert_int_eq(bfs_pool_take(p, 100000, &a), 0);
	ck_assert_uint_eq(a->cap, 128u << 10); /* smallest class that fits */
	ck_assert_uint_eq((uintptr_t)a->data % 4096, 0);
	first = a->data;
	memset(a->data, 7, a->cap);
	bfs_buf_unref(a);
	ck_assert_int_eq(bfs_pool_take(p, 120000, &b), 0);
	ck_assert_ptr_eq(b->data, first); /* reused, not allocated */
	bfs_pool_get_stats(p, &st);
	ck_assert_uint_eq(st.cls[1].taken, 2);
	ck_assert_uint_eq(st.cls[1].fresh, 1);
	ck_assert_uint_eq(st.cls[1].reused, 1);
	ck_assert_uint_eq(st.cls[1].returned, 1);
	ck_assert_uint_eq(st.total.bytes_in_use, 128u << 10);
	bfs_buf_unref(b);
	bfs_pool_get_stats(p, &st);
	ck_assert_uint_eq(st.total.bytes_in_use, 0);
	ck_assert_uint_eq(st.total.bytes_held, 128u << 10);
	ck_assert_uint_eq(bfs_pool_cost(p, 1), 64u << 10);
	ck_assert_uint_eq(bfs_pool_cost(p, (256u << 20) + 1), (256u << 20) + 4096);
	bfs_pool_destroy(&p);
	ck_assert_ptr_null(p);
}
END_TEST

START_TEST(oversize_is_exact_and_freed)
{
	struct bfs_pool *p = make(2u << 30, 16, true, false);
	struct bfs_buf *a;
	struct bfs_pool_stats st;

	ck_assert_int_eq(bfs_pool_take(p, (256u << 20) + 10, &a), 0);
	ck_assert_uint_eq(a->cap, (256u << 20) + 4096);
	ck_assert(!a->pooled);
	bfs_buf_unref(a);
	bfs_pool_get_stats(p, &st);
	ck_assert_uint_eq(st.total.bytes_held, 0); /* freed, not kept */
	bfs_pool_destroy(&p);
}
END_TEST

START_TEST(refcount_returns_on_last_release)
{
	struct bfs_pool *p = make(1u << 30, 16, true, false);
	struct bfs_buf *a;
	struct bfs_pool_stats st;

	ck_assert_int_eq(bfs_pool_take(p, 1000, &a), 0);
	bfs_buf_ref(a); /* a second holder: a reply in flight, say */
	bfs_buf_unref(a);
	bfs_pool_get_stats(p, &st);
	ck_assert_uint_eq(st.total.returned, 0);
	ck_assert_uint_eq(st.total.bytes_in_use, 64u << 10);
	bfs_buf_unref(a);
	bfs_pool_get_stats(p, &st);
	ck_assert_uint_eq(st.total.returned, 1);
	ck_assert_uint_eq(st.cls[0].idle, 1);
	bfs_pool_destroy(&p);
}
END_TEST

START_TEST(idle_cap_per_class)
{
	struct bfs_pool *p = make(1u << 30, 2, true, false);
	struct bfs_buf *b[5];
	struct bfs_pool_stats st;

	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(bfs_pool_take(p, 1u << 20, &b[i]), 0);
	for (int i = 0; i < 5; i++)
		bfs_buf_unref(b[i]);
	bfs_pool_get_stats(p, &st);
	ck_assert_uint_eq(st.cls[4].idle, 2);
	ck_assert_uint_eq(st.total.bytes_held, 2u << 20);
	bfs_pool_destroy(&p);
}
END_TEST

START_TEST(byte_cap)
{
	struct bfs_pool *p = make(5u << 20, 16, true, false);
	struct bfs_buf *a, *b, *c;
	struct bfs_pool_stats st;

	ck_assert_int_eq(bfs_pool_take(p, 1u << 20, &a), 0);
	ck_assert_int_eq(bfs_pool_take(p, 1u << 20, &b), 0);
	ck_assert_int_eq(bfs_pool_take(p, 4u << 20, &c), ENOMEM); /* 6 MiB > 5 MiB */
	bfs_pool_get_stats(p, &st);
	ck_assert_uint_eq(st.refused, 1);
	bfs_buf_unref(a);
	bfs_buf_unref(b);
	/* Now idle 1 MiB buffers are freed to make room: just as many as needed. */
	ck_assert_int_eq(bfs_pool_take(p, 4u << 20, &c), 0);
	bfs_pool_get_stats(p, &st);
	ck_assert_uint_eq(st.cls[4].idle, 1);
	ck_assert_uint_eq(st.total.bytes_held, 5u << 20);
	ck_assert_uint_le(st.total.high_water, 5u << 20);
	bfs_buf_unref(c);
	bfs_pool_destroy(&p);
}
END_TEST

START_TEST(idle_shrink)
{
	struct bfs_pool *p = make(1u << 30, 16, true, false);
	struct bfs_buf *a, *b;
	struct bfs_pool_stats st;

	ck_assert_int_eq(bfs_pool_take(p, 1u << 20, &a), 0);
	ck_assert_int_eq(bfs_pool_take(p, 64u << 10, &b), 0);
	bfs_buf_unref(a);
	ck_assert_uint_eq(bfs_pool_shrink_idle(p, g_get_monotonic_time()), 0); /* too soon */
	g_usleep(100000);
	bfs_buf_unref(b); /* class 0 used just now */
	ck_assert_uint_eq(bfs_pool_shrink_idle(p, g_get_monotonic_time()), 1);
	bfs_pool_get_stats(p, &st);
	ck_assert_uint_eq(st.cls[4].idle, 0);
	ck_assert_uint_eq(st.cls[0].idle, 1);
	ck_assert_uint_eq(st.shrunk, 1);
	ck_assert_uint_eq(st.total.bytes_held, 64u << 10);
	bfs_pool_destroy(&p);
}
END_TEST

START_TEST(overdraft)
{
	struct bfs_pool *p = make(1u << 20, 16, true, false);
	struct bfs_buf *a, *b;
	struct bfs_pool_stats st;

	ck_assert_int_eq(bfs_pool_take(p, 1u << 20, &a), 0);
	ck_assert_int_eq(bfs_pool_take(p, 1u << 20, &b), ENOMEM);
	ck_assert_int_eq(bfs_pool_take_overdraft(p, 1u << 20, &b), 0);
	bfs_pool_get_stats(p, &st);
	ck_assert_uint_eq(st.overdrafts, 1);
	ck_assert_uint_eq(st.total.bytes_held, 2u << 20);
	bfs_buf_unref(a);
	bfs_buf_unref(b);
	bfs_pool_destroy(&p);
}
END_TEST

START_TEST(switched_off)
{
	struct bfs_pool *p = make(1u << 30, 16, false, false);
	struct bfs_buf *a;
	struct bfs_pool_stats st;

	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(bfs_pool_take(p, 1u << 20, &a), 0);
		bfs_buf_unref(a);
	}
	bfs_pool_get_stats(p, &st);
	ck_assert_uint_eq(st.total.fresh, 3);
	ck_assert_uint_eq(st.total.reused, 0);
	ck_assert_uint_eq(st.total.bytes_held, 0);
	bfs_pool_destroy(&p);
}
END_TEST

START_TEST(poison)
{
	struct bfs_pool *p = make(1u << 30, 16, true, true);
	struct bfs_buf *a;
	unsigned char *d;

	ck_assert_int_eq(bfs_pool_take(p, 100, &a), 0);
	d = a->data;
	ck_assert_uint_eq(d[0], 0xAA);
	ck_assert_uint_eq(d[a->cap - 1], 0xAA);
	bfs_buf_unref(a);
	ck_assert_uint_eq(d[0], 0x55); /* idle, still mapped: poisoned on return */
	bfs_pool_destroy(&p);
}
END_TEST

START_TEST(late_release_after_destroy)
{
	struct bfs_pool *p = make(1u << 30, 16, true, false);
	struct bfs_buf *a;

	ck_assert_int_eq(bfs_pool_take(p, 100, &a), 0);
	bfs_pool_destroy(&p);
	memset(a->data, 1, a->cap); /* still ours */
	bfs_buf_unref(a);	    /* frees it, and the pool with it */
}
END_TEST

START_TEST(add_class)
{
	struct bfs_pool_conf c;

	bfs_pool_default_conf(&c);
	ck_assert_int_eq(bfs_pool_conf_add_class(&c, 8u << 20), 0);
	ck_assert_uint_eq(c.classes[6], 4u << 20);
	ck_assert_uint_eq(c.classes[7], 8u << 20);
	ck_assert_uint_eq(c.classes[8], 16u << 20);
	ck_assert_int_eq(bfs_pool_conf_add_class(&c, 8u << 20), 0); /* no duplicate */
	ck_assert_uint_eq(c.classes[9], 64u << 20);
	ck_assert_uint_eq(c.classes[10], 256u << 20);
	ck_assert_uint_eq(c.classes[11], 0);
}
END_TEST

struct thread_ctx {
	struct bfs_pool *p;
	int seed;
};

static gpointer churn(gpointer data)
{
	struct thread_ctx *t = data;
	GRand *r = g_rand_new_with_seed((guint32)t->seed);
	struct bfs_buf *held[8] = {0};

	for (int i = 0; i < 20000; i++) {
		int slot = g_rand_int_range(r, 0, 8);
		static const size_t sizes[] = {1000, 70000, 300000, 1u << 20, 3u << 20};

		if (held[slot]) {
			/* The data is still ours and intact. */
			g_assert(((unsigned char *)held[slot]->data)[0] == (unsigned char)slot);
			if (g_rand_boolean(r)) {
				bfs_buf_ref(held[slot]);
				bfs_buf_unref(held[slot]);
			}
			bfs_buf_unref(held[slot]);
			held[slot] = NULL;
		} else if (bfs_pool_take(t->p, sizes[g_rand_int_range(r, 0, 5)], &held[slot]) ==
			   0) {
			((unsigned char *)held[slot]->data)[0] = (unsigned char)slot;
		}
	}
	for (int i = 0; i < 8; i++)
		bfs_buf_unref(held[i]);
	g_rand_free(r);
	return NULL;
}

START_TEST(many_threads)
{
	struct bfs_pool *p = make(64u << 20, 4, true, false);
	struct thread_ctx ctx[8];
	GThread *th[8];
	struct bfs_pool_stats st;

	for (int i = 0; i < 8; i++) {
		ctx[i] = (struct thread_ctx){p, i + 1};
		th[i] = g_thread_new("churn", churn, &ctx[i]);
	}
	for (int i = 0; i < 8; i++)
		g_thread_join(th[i]);
	bfs_pool_get_stats(p, &st);
	ck_assert_uint_eq(st.total.taken, st.total.returned);
	ck_assert_uint_eq(st.total.bytes_in_use, 0);
	ck_assert_uint_le(st.total.high_water, 64u << 20);
	ck_assert_uint_eq(st.total.taken, st.total.fresh + st.total.reused);
	ck_assert_uint_gt(st.total.reused, st.total.fresh); /* it pools */
	bfs_pool_destroy(&p);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, reuse_and_classes);
	tcase_add_test(tc, oversize_is_exact_and_freed);
	tcase_add_test(tc, refcount_returns_on_last_release);
	tcase_add_test(tc, idle_cap_per_class);
	tcase_add_test(tc, byte_cap);
	tcase_add_test(tc, idle_shrink);
	tcase_add_test(tc, overdraft);
	tcase_add_test(tc, switched_off);
	tcase_add_test(tc, poison);
	tcase_add_test(tc, late_release_after_destroy);
	tcase_add_test(tc, add_class);
	tcase_add_test(tc, many_threads);
	suite_add_tcase(s, tc);
	return bfs_run_suite(s);
}
