/*
 * tests/test_postgres.c - what only the PostgreSQL backend has: a server
 * that refuses, a connection lost mid-transaction, and a transaction the
 * server aborts as a deadlock victim, which the backend replays.  Runs on
 * the postgresql row only (no tests on the file backends).
 */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The table of store name, as kvt_uri() names it. */
static const char *table_of(char *buf, const char *name)
{
	return strstr(kvt_uri(buf, name), "table=") + 6;
}

START_TEST(test_postgres__refused)
{
	kv_db *db = NULL;

	/* Port 1 on loopback: nothing listens there. */
	kvt_assert_status(kv_db_open(&db, "postgresql://127.0.0.1:1/kvtest"
	                             "?table=t&connect_timeout=5", NULL),
	                  KV_EIO);
	ck_assert_ptr_null(db);
	ck_assert_msg(strstr(kv_errmsg(), "cannot connect") != NULL &&
	                      strstr(kv_errmsg(), "127.0.0.1:1") != NULL,
	              "message: %s", kv_errmsg());
}
END_TEST

START_TEST(test_postgres__lost_connection)
{
	char uri[KVT_PATH_MAX], buf[KVT_PATH_MAX], sql[512];
	kv_db *db = NULL;
	kv_txn *txn = NULL;
	const char *app = table_of(buf, "store");

	/* The store's sessions carry the test's table name, so only they
	 * are cut (tests run in parallel on the server). */
	snprintf(uri, sizeof uri, "%s&application_name=%s",
	         kvt_uri(sql, "store"), app);
	kvt_assert_status(kv_db_open(&db, uri, NULL), KV_OK);
	kvt_put_str(db, "before", "1");
	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	kvt_assert_ok(db, kv_txn_put(txn, "lost", 4, "x", 1, 0));
	snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(pid) FROM "
	         "pg_stat_activity WHERE application_name = '%s' -- @T", app);
	kvt_pg_sql("store", sql);
	kvt_expect_rc(db, kv_txn_put(txn, "lost2", 5, "y", 1, 0), KV_EIO);
	kvt_expect_msg(db, "put after the connection was cut",
	               "connection to the server lost", NULL);
	ck_assert_int_ne(kv_txn_commit(txn), KV_OK);
	/* Nothing of it committed; the next calls reconnect. */
	kvt_expect_absent(db, "lost");
	kvt_expect_absent(db, "lost2");
	kvt_put_str(db, "after", "2");
	kvt_expect_str(db, "before", "1");
	kvt_expect_str(db, "after", "2");
	kvt_close(db);
}
END_TEST

/* Two write transactions that lock a and b in opposite orders. */
struct crossing {
	kv_db *db;
	const char *first, *second, *mine;
	pthread_barrier_t *both_hold_one;
	kv_status rc;
};

static void *cross(void *arg)
{
	struct crossing *c = arg;
	const void *v;
	size_t vl;
	kv_txn *txn = NULL;

	c->rc = kv_txn_begin(&txn, c->db, 0);
	if (c->rc == KV_OK)
		c->rc = kv_txn_get(&v, &vl, txn, c->first, 1);
	pthread_barrier_wait(c->both_hold_one);
	if (c->rc == KV_OK)
		c->rc = kv_txn_get(&v, &vl, txn, c->second, 1);
	if (c->rc == KV_OK)
		c->rc = kv_txn_put(txn, c->mine, strlen(c->mine), "done", 4, 0);
	if (c->rc == KV_OK)
		c->rc = kv_txn_commit(txn);
	else
		kv_txn_abort(txn);
	return NULL;
}

/* The server aborts one of two crossing transactions as a deadlock
 * victim; neither changed what the other read, so the replay succeeds
 * and both commit. */
START_TEST(test_postgres__deadlock_replayed)
{
	pthread_barrier_t barrier;
	struct crossing c[2];
	pthread_t th;
	kv_db *db1 = kvt_open(KV_OPEN_CREATE), *db2 = kvt_open(KV_OPEN_READWRITE);

	kvt_put_str(db1, "a", "1");
	kvt_put_str(db1, "b", "2");
	pthread_barrier_init(&barrier, NULL, 2);
	c[0] = (struct crossing){ db1, "a", "b", "by-1", &barrier, KV_OK };
	c[1] = (struct crossing){ db2, "b", "a", "by-2", &barrier, KV_OK };
	ck_assert_int_eq(pthread_create(&th, NULL, cross, &c[0]), 0);
	cross(&c[1]);
	pthread_join(th, NULL);
	pthread_barrier_destroy(&barrier);
	ck_assert_msg(c[0].rc == KV_OK, "first: %s", kv_strerror(c[0].rc));
	ck_assert_msg(c[1].rc == KV_OK, "second: %s", kv_strerror(c[1].rc));
	kvt_expect_str(db1, "by-1", "done");
	kvt_expect_str(db1, "by-2", "done");
	kvt_close(db2);
	kvt_close(db1);
}
END_TEST

static void populate(Suite *s)
{
	TCase *tc = kvt_tcase(s, "server", 60);

	if (kvt_files())
		return; /* nothing to test on file backends */
	tcase_add_test(tc, test_postgres__refused);
	tcase_add_test(tc, test_postgres__lost_connection);
	tcase_add_test(tc, test_postgres__deadlock_replayed);
}

int main(void)
{
	return kvt_main("postgres", populate);
}
