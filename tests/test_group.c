/*
 * tests/test_group.c - group commit of kv_db_put and kv_db_del from many
 * threads at once (kv/group.c): every write lands or fails on its own,
 * with its own status and message on its own thread, whatever batch it
 * was committed in.  Every test runs on every backend of the table in
 * testutil.c.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#define NTHREADS 8
#define PER_THREAD 150
#define RACED_KEYS 40

/* A schema whose records must carry "lr": the refused writes below. */
#define RUN_SCHEMA                                                          \
	"{\"name\":\"run\",\"version\":1,\"prefix\":\"runs/\",\"fields\":{"  \
	"\"lr\":{\"type\":\"float\",\"required\":true}}}"

typedef struct writer {
	kv_db *db;
	int id;
	pthread_barrier_t *start;
	int failed;
	char msg[512];
	int won[RACED_KEYS];        /* race: this thread's put stored the key */
} writer;

static void writer_fail(writer *w, const char *what, const char *key,
                        kv_status rc)
{
	if (w->failed++ == 0)
		snprintf(w->msg, sizeof w->msg, "thread %d: %s '%s': %s (%s)",
		         w->id, what, key, kv_strerror(rc), kv_db_errmsg(w->db));
}

/* The message of a failed call on this thread must name the key. */
static void expect_named(writer *w, const char *key, const char *what)
{
	const char *m = kv_db_errmsg(w->db);

	if (!strstr(m, key) || !strstr(m, what)) {
		if (w->failed++ == 0)
			snprintf(w->msg, sizeof w->msg, "thread %d: message for "
			         "'%s' lacks '%s': %s", w->id, key, what, m);
	}
}

static void run_threads(void *(*fn)(void *), writer *w, kv_db *db)
{
	pthread_barrier_t start;
	pthread_t tid[NTHREADS];
	int i;

	ck_assert_int_eq(pthread_barrier_init(&start, NULL, NTHREADS), 0);
	for (i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].db = db;
		w[i].id = i;
		w[i].start = &start;
		ck_assert_int_eq(pthread_create(&tid[i], NULL, fn, &w[i]), 0);
	}
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_join(tid[i], NULL), 0);
	pthread_barrier_destroy(&start);
	for (i = 0; i < NTHREADS; i++)
		ck_assert_msg(!w[i].failed, "%s", w[i].msg);
}

static void expect_verified(kv_db *db, kv_u64 records)
{
	kv_verify_report r = KV_VERIFY_REPORT_INIT;

	kvt_expect_rc(db, kv_db_verify(&r, db, NULL, NULL, NULL), KV_OK);
	ck_assert_msg(r.records == records && r.corrupt == 0 &&
	              r.unsealed == 0 && r.digest_ok,
	              "verify: %llu records (want %llu), %llu corrupt, "
	              "%llu unsealed, digest %s", (unsigned long long)r.records,
	              (unsigned long long)records,
	              (unsigned long long)r.corrupt,
	              (unsigned long long)r.unsealed,
	              r.digest_ok ? "ok" : "MISMATCH");
}

/* ------------------------------------------------------------------ */
/* Puts, overwrites and deletes from eight threads: each lands.        */

static void *mixed_main(void *arg)
{
	writer *w = arg;
	char k[32], v[48];
	int i;

	pthread_barrier_wait(w->start);
	for (i = 0; i < PER_THREAD && !w->failed; i++) {
		kv_status rc;
		snprintf(k, sizeof k, "t%d/%04d", w->id, i);
		snprintf(v, sizeof v, "first-%d-%d", w->id, i);
		if ((rc = kv_db_put(w->db, k, strlen(k), v, strlen(v), 0)))
			writer_fail(w, "put", k, rc);
		/* Every third key is overwritten, every fifth deleted. */
		snprintf(v, sizeof v, "second-%d-%d", w->id, i);
		if (i % 3 == 0 &&
		    (rc = kv_db_put(w->db, k, strlen(k), v, strlen(v), 0)))
			writer_fail(w, "overwrite", k, rc);
		if (i % 5 == 0 && (rc = kv_db_del(w->db, k, strlen(k))))
			writer_fail(w, "delete", k, rc);
	}
	return NULL;
}

START_TEST(test_group__mixed_writers)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	writer w[NTHREADS];
	kv_u64 kept = 0;
	char k[32], v[48];

	run_threads(mixed_main, w, db);
	for (int t = 0; t < NTHREADS; t++) {
		for (int i = 0; i < PER_THREAD; i++) {
			snprintf(k, sizeof k, "t%d/%04d", t, i);
			snprintf(v, sizeof v, "%s-%d-%d",
			         i % 3 == 0 ? "second" : "first", t, i);
			if (i % 5 == 0) {
				kvt_expect_absent(db, k);
			} else {
				kvt_expect_str(db, k, v);
				kept++;
			}
		}
	}
	expect_verified(db, kept);
	kvt_close(db);
	/* Acknowledged means committed: all of it is there after reopening. */
	db = kvt_open(0);
	kvt_expect_str(db, "t7/0001", "first-7-1");
	expect_verified(db, kept);
	kvt_close(db);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Eight threads race to create the same keys: one wins each.          */

static void *race_main(void *arg)
{
	writer *w = arg;
	char k[32], v[32];
	int i;

	pthread_barrier_wait(w->start);
	snprintf(v, sizeof v, "winner-%d", w->id);
	for (i = 0; i < RACED_KEYS && !w->failed; i++) {
		kv_status rc;
		snprintf(k, sizeof k, "race/%02d", i);
		rc = kv_db_put(w->db, k, strlen(k), v, strlen(v),
		               KV_PUT_NOOVERWRITE);
		if (rc == KV_OK)
			w->won[i] = 1;
		else if (rc == KV_EXISTS)
			expect_named(w, k, "exists");
		else
			writer_fail(w, "put", k, rc);
	}
	return NULL;
}

START_TEST(test_group__create_race)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	writer w[NTHREADS];
	char k[32], v[32];

	run_threads(race_main, w, db);
	for (int i = 0; i < RACED_KEYS; i++) {
		int winners = 0, who = -1;
		for (int t = 0; t < NTHREADS; t++)
			if (w[t].won[i])
				winners++, who = t;
		ck_assert_msg(winners == 1, "race/%02d: %d winners", i, winners);
		snprintf(k, sizeof k, "race/%02d", i);
		snprintf(v, sizeof v, "winner-%d", who);
		kvt_expect_str(db, k, v);
	}
	expect_verified(db, RACED_KEYS);
	kvt_close(db);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A write its schema refuses fails alone; the writes around it land.  */

static void *schema_main(void *arg)
{
	writer *w = arg;
	char k[32], v[48];
	int i;

	pthread_barrier_wait(w->start);
	for (i = 0; i < PER_THREAD && !w->failed; i++) {
		int bad = i % 4 == 1;
		kv_status rc;
		snprintf(k, sizeof k, "runs/%d-%04d", w->id, i);
		snprintf(v, sizeof v, bad ? "{\"epochs\":%d}" : "{\"lr\":0.%d}",
		         i + 1);
		rc = kv_db_put(w->db, k, strlen(k), v, strlen(v), 0);
		if (bad && rc == KV_ESCHEMA)
			expect_named(w, k, "lr");
		else if (rc != (bad ? KV_ESCHEMA : KV_OK))
			writer_fail(w, bad ? "refused put" : "put", k, rc);
	}
	return NULL;
}

START_TEST(test_group__refused_write_fails_alone)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	writer w[NTHREADS];
	kv_u64 kept = 0;
	char k[32], v[48];

	kvt_assert_ok(db, kv_schema_define(db, RUN_SCHEMA));
	run_threads(schema_main, w, db);
	for (int t = 0; t < NTHREADS; t++) {
		for (int i = 0; i < PER_THREAD; i++) {
			snprintf(k, sizeof k, "runs/%d-%04d", t, i);
			if (i % 4 == 1) {
				kvt_expect_absent(db, k);
				continue;
			}
			snprintf(v, sizeof v, "{\"lr\":0.%d}", i + 1);
			kvt_expect_str(db, k, v);
			kept++;
		}
	}
	expect_verified(db, kept);
	kvt_close(db);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Bad calls are refused before they queue.                            */

START_TEST(test_group__bad_calls)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;

	kvt_expect_rc(db, kv_db_put(db, NULL, 1, "v", 1, 0), KV_EINVAL);
	kvt_expect_rc(db, kv_db_put(db, "k", 1, NULL, 1, 0), KV_EINVAL);
	kvt_expect_rc(db, kv_db_put(NULL, "k", 1, "v", 1, 0), KV_EINVAL);
	kvt_expect_rc(db, kv_db_del(db, NULL, 1), KV_EINVAL);
	/* The thread's own write transaction would make the put wait on
	 * itself: refused at once, and the transaction is unharmed. */
	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	kvt_assert_ok(db, kv_txn_put(txn, "mine", 4, "1", 1, 0));
	kvt_expect_rc(db, kv_db_put(db, "k", 1, "v", 1, 0), KV_EBUSY);
	ck_assert_ptr_nonnull(strstr(kv_db_errmsg(db), "write transaction"));
	kvt_expect_rc(db, kv_db_del(db, "mine", 4), KV_EBUSY);
	kvt_assert_ok(db, kv_txn_commit(txn));
	kvt_expect_str(db, "mine", "1");
	kvt_expect_absent(db, "k");
	kvt_close(db);
}
END_TEST

static void populate(Suite *s)
{
	TCase *tc = kvt_tcase(s, "group", 120);

	tcase_add_test(tc, test_group__mixed_writers);
	tcase_add_test(tc, test_group__create_race);
	tcase_add_test(tc, test_group__refused_write_fails_alone);
	tcase_add_test(tc, test_group__bad_calls);
}

int main(void)
{
	return kvt_main("group", populate);
}
