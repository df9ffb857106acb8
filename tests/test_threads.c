/*
 * tests/test_threads.c - several threads on one handle (kv.h): mixed reads,
 * scans and writes from 8 threads, a writer waiting for another
 * thread's write transaction.  Every test runs on every backend of the
 * table in testutil.c.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "testutil.h"

/* ------------------------------------------------------------------ */
/* Eight threads sharing one handle.                                    */

#define NTHREADS 8
#define PER_THREAD 500
#define BLOCK 10

typedef struct worker {
	kv_db *db;
	int id;
	unsigned long long rng;
	int failed;
	char msg[256];
} worker;

static int thread_key(char *buf, int t, int i)
{
	return snprintf(buf, 32, "w%d/%04d", t, i);
}

static int thread_val(char *buf, int t, int i)
{
	/* Variable length so a value from the wrong key cannot match. */
	return snprintf(buf, 96, "value-%d-%d-%.*s", t, i, i % 37,
	                "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

static unsigned int next_rand(worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return (unsigned int)(w->rng >> 16);
}

/* Record the first failure of a worker; the main thread asserts. */
static void worker_fail(worker *w, const char *what, int t, int i, kv_status rc)
{
	if (w->failed++ == 0)
		snprintf(w->msg, sizeof w->msg, "thread %d: %s w%d/%04d: %s (%s)",
		         w->id, what, t, i, kv_strerror(rc),
		         kv_db_errmsg(w->db));
}

/* Read another thread's key: absent, or exactly its value. */
static void read_other(worker *w)
{
	char k[32], want[96];
	int t = (int)(next_rand(w) % NTHREADS);
	int i = (int)(next_rand(w) % PER_THREAD);
	int kl = thread_key(k, t, i);
	int wl = thread_val(want, t, i);
	void *v = NULL;
	size_t vl = 0;
	kv_status rc = kv_db_get(&v, &vl, w->db, k, (size_t)kl);

	if (rc == KV_OK) {
		if (vl != (size_t)wl || memcmp(v, want, vl) != 0)
			worker_fail(w, "wrong value read for", t, i, rc);
		kv_free(v);
	} else if (rc != KV_NOTFOUND) {
		worker_fail(w, "get", t, i, rc);
	}
}

/* Value of 4 decimal digits, or -1. */
static int digits4(const char *p)
{
	int i, n = 0;

	for (i = 0; i < 4; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		n = n * 10 + (p[i] - '0');
	}
	return n;
}

/* Scan another thread's prefix in a read transaction. */
static void scan_other(worker *w)
{
	char prefix[16], want[96];
	int t = (int)(next_rand(w) % NTHREADS);
	int pl = snprintf(prefix, sizeof prefix, "w%d/", t);
	kv_txn *rd = NULL;
	kv_iter *it = NULL;
	kv_status rc;
	int last = -1;

	rc = kv_txn_begin(&rd, w->db, KV_TXN_READONLY);
	if (rc != KV_OK) {
		worker_fail(w, "read txn for", t, 0, rc);
		return;
	}
	rc = kv_iter_new(&it, w->db, rd, prefix, (size_t)pl);
	if (rc != KV_OK) {
		worker_fail(w, "iterator for", t, 0, rc);
		kv_txn_abort(rd);
		return;
	}
	for (;;) {
		const void *kp, *v;
		const char *k;
		size_t kl, vl;
		int i, wl;

		rc = kv_iter_next(it, &kp, &kl, &v, &vl);
		if (rc != KV_OK)
			break;
		k = kp;
		/* The key is not NUL-terminated: parse its 4 digits by hand. */
		i = kl == (size_t)pl + 4 ? digits4(k + pl) : -1;
		if (i <= last || i >= PER_THREAD) {
			worker_fail(w, "bad key in scan of", t, last, rc);
			break;
		}
		wl = thread_val(want, t, i);
		if (vl != (size_t)wl || memcmp(v, want, vl) != 0)
			worker_fail(w, "wrong value scanned for", t, i, rc);
		last = i;
	}
	if (rc != KV_OK && rc != KV_NOTFOUND)
		worker_fail(w, "scan of", t, last, rc);
	kv_iter_free(it);
	kv_txn_abort(rd);
}

/* Write block b of this worker's keys: autocommit or one transaction. */
static void write_block(worker *w, int b)
{
	char k[32], v[96];
	int i;
	kv_status rc;
	kv_txn *txn = NULL;

	if (b % 3 == 0) {
		for (i = b * BLOCK; i < (b + 1) * BLOCK; i++) {
			int kl = thread_key(k, w->id, i);
			int vl = thread_val(v, w->id, i);
			rc = kv_db_put(w->db, k, (size_t)kl, v, (size_t)vl, 0);
			if (rc != KV_OK)
				worker_fail(w, "put", w->id, i, rc);
		}
		return;
	}
	rc = kv_txn_begin(&txn, w->db, 0);
	if (rc != KV_OK) {
		worker_fail(w, "write txn", w->id, b * BLOCK, rc);
		return;
	}
	for (i = b * BLOCK; i < (b + 1) * BLOCK; i++) {
		int kl = thread_key(k, w->id, i);
		int vl = thread_val(v, w->id, i);
		const void *got = NULL;
		size_t got_len = 0;

		rc = kv_txn_put(txn, k, (size_t)kl, v, (size_t)vl, 0);
		if (rc != KV_OK) {
			worker_fail(w, "txn put", w->id, i, rc);
			continue;
		}
		rc = kv_txn_get(&got, &got_len, txn, k, (size_t)kl);
		if (rc != KV_OK || got_len != (size_t)vl ||
		    memcmp(got, v, got_len) != 0)
			worker_fail(w, "txn get of own put", w->id, i, rc);
	}
	rc = kv_txn_commit(txn);
	if (rc != KV_OK)
		worker_fail(w, "commit", w->id, b * BLOCK, rc);
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	int b, r;

	for (b = 0; b < PER_THREAD / BLOCK; b++) {
		write_block(w, b);
		for (r = 0; r < 4; r++)
			read_other(w);
		if (b % 5 == 0)
			scan_other(w);
	}
	return NULL;
}

static void expect_all_thread_keys(kv_db *db)
{
	char k[32], v[96];
	int t, i;

	for (t = 0; t < NTHREADS; t++)
		for (i = 0; i < PER_THREAD; i++) {
			thread_key(k, t, i);
			thread_val(v, t, i);
			kvt_expect_str(db, k, v);
		}
}

START_TEST(test_threads__shared_handle)
{
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	pthread_t tid[NTHREADS];
	worker w[NTHREADS];
	kv_stat st = KV_STAT_INIT;
	kv_db *db;
	int t;

	/* Batched durability keeps thousands of commits off fsync; the test
	 * is about concurrency, durability has its own test. */
	opts.durability = KV_DURABLE_BATCHED;
	opts.sync_interval_ms = 50;
	db = kvt_open_opts(&opts);

	memset(w, 0, sizeof w);
	for (t = 0; t < NTHREADS; t++) {
		w[t].db = db;
		w[t].id = t;
		w[t].rng = 0x9E3779B97F4A7C15ULL * (unsigned long long)(t + 1);
		ck_assert_int_eq(pthread_create(&tid[t], NULL, worker_main,
		                                &w[t]), 0);
	}
	for (t = 0; t < NTHREADS; t++)
		ck_assert_int_eq(pthread_join(tid[t], NULL), 0);
	for (t = 0; t < NTHREADS; t++)
		ck_assert_msg(w[t].failed == 0, "%d failures; first: %s",
		              w[t].failed, w[t].msg);

	expect_all_thread_keys(db);
	kvt_assert_ok(db, kv_db_stat(&st, db));
	ck_assert_msg(st.count == NTHREADS * PER_THREAD,
	              "count %llu, want %d", st.count, NTHREADS * PER_THREAD);
	kvt_close(db);

	db = kvt_open(KV_OPEN_READONLY);
	expect_all_thread_keys(db);
	kvt_close(db);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A writer waits for another thread's writer.                          */

/* A write transaction held by another thread makes a writer wait, not
 * fail; a reader proceeds meanwhile. */
typedef struct waiter {
	kv_db *db;
	kv_status put_rc;
	kv_status get_rc;
} waiter;

static void *waiter_main(void *arg)
{
	waiter *wt = arg;
	void *v = NULL;
	size_t vl = 0;

	wt->get_rc = kv_db_get(&v, &vl, wt->db, "k", 1);
	kv_free(v);
	wt->put_rc = kv_db_put(wt->db, "from-thread", 11, "1", 1, 0);
	return NULL;
}

START_TEST(test_threads__writer_waits_for_writer)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;
	pthread_t tid;
	waiter wt;

	kvt_put_str(db, "k", "v");
	wt.db = db;
	wt.put_rc = KV_EINVAL;
	wt.get_rc = KV_EINVAL;
	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	kvt_assert_ok(db, kv_txn_put(txn, "mine", 4, "1", 1, 0));
	ck_assert_int_eq(pthread_create(&tid, NULL, waiter_main, &wt), 0);
	/* Give the other thread a chance to block on the writer lock; the
	 * outcome must be the same whether or not it got there first. */
	{
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	kvt_assert_ok(db, kv_txn_commit(txn));
	ck_assert_int_eq(pthread_join(tid, NULL), 0);
	ck_assert_msg(wt.get_rc == KV_OK, "reader next to a writer: %s",
	              kv_strerror(wt.get_rc));
	ck_assert_msg(wt.put_rc == KV_OK, "second writer: %s",
	              kv_strerror(wt.put_rc));
	kvt_expect_str(db, "mine", "1");
	kvt_expect_str(db, "from-thread", "1");
	kvt_close(db);
}
END_TEST

static void populate(Suite *s)
{
	TCase *tc;

	tc = kvt_tcase(s, "threads", 120);
	tcase_add_test(tc, test_threads__shared_handle);
	tcase_add_test(tc, test_threads__writer_waits_for_writer);
}

int main(void)
{
	return kvt_main("threads", populate);
}
