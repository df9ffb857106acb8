/*
 * tests/test_txn.c - single-call (autocommit) get, put and delete and explicit
 * transactions (kv.h): values, keys, put-if-absent, rollback, isolation,
 * zero-copy lifetimes, writer exclusion, misuse of kv_txn_*.  Every test
 * runs on every backend of the table in testutil.c.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Autocommit put of binary key and value; the test fails unless KV_OK. */
static void put_bin(kv_db *db, const void *k, size_t kl, const void *v,
                    size_t vl)
{
	char h[KVT_HEX_MAX];

	kv_status rc = kv_db_put(db, k, kl, v, vl, 0);
	ck_assert_msg(rc == KV_OK, "put %s: %s (%s)", kvt_hex(h, k, kl),
	              kv_strerror(rc), kv_db_errmsg(db));
}

/* kv_db_get of a binary key must give exactly these vl bytes. */
static void expect_bin(kv_db *db, const void *k, size_t kl, const void *v,
                       size_t vl)
{
	char h[KVT_HEX_MAX];
	void *got = NULL;
	size_t got_len = 0;
	kv_status rc = kv_db_get(&got, &got_len, db, k, kl);
	int same;

	ck_assert_msg(rc == KV_OK, "get %s: %s (%s)", kvt_hex(h, k, kl),
	              kv_strerror(rc), kv_db_errmsg(db));
	ck_assert_msg(got != NULL, "get %s: NULL value", kvt_hex(h, k, kl));
	same = got_len == vl && (vl == 0 || memcmp(got, v, vl) == 0);
	kv_free(got);
	ck_assert_msg(same, "get %s: %zu bytes differ from the %zu put",
	              kvt_hex(h, k, kl), got_len, vl);
}

/* ------------------------------------------------------------------ */
/* Autocommit get, put and delete; values and keys.                     */

START_TEST(test_txn__empty_value)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;
	const void *tv = NULL;
	size_t tl = 99;
	void *v = NULL;
	size_t vl = 99;
	kvt_bytes keys[] = { KVT_B("e1"), KVT_B("e2") };
	kvt_bytes vals[] = { KVT_B(""), KVT_B("") };

	kvt_assert_ok(db, kv_db_put(db, "e1", 2, NULL, 0, 0));
	kvt_assert_ok(db, kv_db_put(db, "e2", 2, "", 0, 0));
	kvt_close(db);
	db = kvt_open(KV_OPEN_READWRITE);

	kvt_assert_ok(db, kv_db_get(&v, &vl, db, "e1", 2));
	ck_assert_msg(v != NULL, "empty value: kv_db_get gave NULL");
	ck_assert_uint_eq(vl, 0);
	kv_free(v);
	v = NULL;
	vl = 99;
	kvt_assert_ok(db, kv_db_get(&v, &vl, db, "e2", 2));
	ck_assert_msg(v != NULL, "empty value: kv_db_get gave NULL");
	ck_assert_uint_eq(vl, 0);
	kv_free(v);

	kvt_assert_ok(db, kv_txn_begin(&txn, db, KV_TXN_READONLY));
	kvt_assert_ok(db, kv_txn_get(&tv, &tl, txn, "e1", 2));
	ck_assert_uint_eq(tl, 0);
	kv_txn_abort(txn);

	kvt_expect_iter(db, NULL, "e", 1, keys, vals, KVT_NELEM(keys));
	kvt_close(db);
}
END_TEST

START_TEST(test_txn__large_value)
{
	const size_t len = 1024 * 1024;
	unsigned char *big = malloc(len);
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;
	const void *tv = NULL;
	size_t tl = 0;

	ck_assert_ptr_nonnull(big);
	kvt_fill_random(big, len, 1);
	put_bin(db, "big", 3, big, len);
	put_bin(db, "after", 5, "x", 1);
	expect_bin(db, "big", 3, big, len);
	kvt_close(db);

	db = kvt_open(KV_OPEN_READONLY);
	expect_bin(db, "big", 3, big, len);
	expect_bin(db, "after", 5, "x", 1);
	kvt_assert_ok(db, kv_txn_begin(&txn, db, KV_TXN_READONLY));
	kvt_assert_ok(db, kv_txn_get(&tv, &tl, txn, "big", 3));
	ck_assert_uint_eq(tl, len);
	ck_assert_msg(memcmp(tv, big, len) == 0, "zero-copy 1 MiB differs");
	kv_txn_abort(txn);
	kvt_close(db);
	free(big);
}
END_TEST

START_TEST(test_txn__binary_keys)
{
	static const kvt_bytes keys[] = { KVT_B("a"), KVT_B("a\0"), KVT_B("a\0b"), KVT_B("a\0c"),
	                              KVT_B("\0"), KVT_B("\0\0") };
	static const kvt_bytes vals[] = { KVT_B("plain"), KVT_B("nul"), KVT_B("v\0b"),
	                              KVT_B("v\0c"), KVT_B("zero"), KVT_B("zerozero") };
	static const kvt_bytes sorted_keys[] = { KVT_B("\0"), KVT_B("\0\0"), KVT_B("a"),
	                                     KVT_B("a\0"), KVT_B("a\0b"), KVT_B("a\0c") };
	static const kvt_bytes sorted_vals[] = { KVT_B("zero"), KVT_B("zerozero"),
	                                     KVT_B("plain"), KVT_B("nul"), KVT_B("v\0b"),
	                                     KVT_B("v\0c") };
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	size_t i;

	for (i = 0; i < KVT_NELEM(keys); i++)
		put_bin(db, keys[i].p, keys[i].n, vals[i].p, vals[i].n);
	for (i = 0; i < KVT_NELEM(keys); i++)
		expect_bin(db, keys[i].p, keys[i].n, vals[i].p, vals[i].n);
	kvt_expect_iter(db, NULL, NULL, 0, sorted_keys, sorted_vals,
	            KVT_NELEM(sorted_keys));
	kvt_expect_iter(db, NULL, "a\0", 2, sorted_keys + 3, sorted_vals + 3, 3);
	kvt_expect_iter(db, NULL, "\0", 1, sorted_keys, sorted_vals, 2);

	/* Deleting "a\0b" leaves its neighbours alone. */
	kvt_assert_ok(db, kv_db_del(db, "a\0b", 3));
	expect_bin(db, "a", 1, "plain", 5);
	expect_bin(db, "a\0c", 3, "v\0c", 3);
	kvt_assert_status(kv_db_del(db, "a\0b", 3), KV_NOTFOUND);
	kvt_close(db);
}
END_TEST

START_TEST(test_txn__empty_key_refused)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;
	void *v = NULL;
	size_t vl = 0;
	kv_status rc;

	kvt_assert_status(kv_db_put(db, "", 0, "v", 1, 0), KV_EINVAL);
	kvt_assert_status(kv_db_put(db, NULL, 0, "v", 1, 0), KV_EINVAL);
	ck_assert_msg(kv_db_errmsg(db)[0] != '\0', "no message for empty key");

	rc = kv_db_get(&v, &vl, db, "", 0);
	if (rc == KV_OK)
		kv_free(v);
	ck_assert_msg(rc == KV_EINVAL || rc == KV_NOTFOUND,
	              "get of the empty key: %s", kv_strerror(rc));
	rc = kv_db_del(db, "", 0);
	ck_assert_msg(rc == KV_EINVAL || rc == KV_NOTFOUND,
	              "del of the empty key: %s", kv_strerror(rc));

	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	kvt_assert_status(kv_txn_put(txn, "", 0, "v", 1, 0), KV_EINVAL);
	/* The refusal does not poison the transaction. */
	kvt_assert_ok(db, kv_txn_put(txn, "k", 1, "v", 1, 0));
	kvt_assert_ok(db, kv_txn_commit(txn));
	kvt_expect_str(db, "k", "v");

	kvt_expect_iter(db, NULL, NULL, 0, (const kvt_bytes[]){ KVT_B("k") }, NULL, 1);
	kvt_close(db);
}
END_TEST

START_TEST(test_txn__put_nooverwrite)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;

	kvt_assert_ok(db, kv_db_put(db, "k", 1, "v1", 2, KV_PUT_NOOVERWRITE));
	kvt_assert_status(kv_db_put(db, "k", 1, "v2", 2, KV_PUT_NOOVERWRITE),
	                  KV_EXISTS);
	kvt_expect_str(db, "k", "v1");

	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	kvt_assert_status(kv_txn_put(txn, "k", 1, "v3", 2, KV_PUT_NOOVERWRITE),
	                  KV_EXISTS);
	kvt_assert_ok(db, kv_txn_put(txn, "n", 1, "n1", 2, KV_PUT_NOOVERWRITE));
	/* Its own earlier put counts as present too. */
	kvt_assert_status(kv_txn_put(txn, "n", 1, "n2", 2, KV_PUT_NOOVERWRITE),
	                  KV_EXISTS);
	kvt_txn_expect_str(txn, "n", "n1");
	kvt_assert_ok(db, kv_txn_commit(txn));

	kvt_expect_str(db, "k", "v1");
	kvt_expect_str(db, "n", "n1");
	/* A plain put still overwrites. */
	kvt_assert_ok(db, kv_db_put(db, "k", 1, "v4", 2, 0));
	kvt_expect_str(db, "k", "v4");
	kvt_close(db);
}
END_TEST

START_TEST(test_txn__delete)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;

	kvt_put_str(db, "gone", "soon");
	kvt_put_str(db, "stays", "here");
	kvt_assert_ok(db, kv_db_del(db, "gone", 4));
	kvt_expect_absent(db, "gone");
	kvt_assert_status(kv_db_del(db, "gone", 4), KV_NOTFOUND);
	kvt_assert_status(kv_db_del(db, "never", 5), KV_NOTFOUND);
	kvt_expect_str(db, "stays", "here");

	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	kvt_assert_status(kv_txn_del(txn, "never", 5), KV_NOTFOUND);
	kvt_assert_ok(db, kv_txn_del(txn, "stays", 5));
	kvt_assert_status(kv_txn_del(txn, "stays", 5), KV_NOTFOUND);
	kvt_assert_ok(db, kv_txn_commit(txn));
	kvt_expect_absent(db, "stays");

	/* A deleted key can be written again. */
	kvt_put_str(db, "gone", "back");
	kvt_expect_str(db, "gone", "back");
	kvt_close(db);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Transactions.                                                        */

START_TEST(test_txn__rollback)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;
	kv_stat st = KV_STAT_INIT;

	kvt_put_str(db, "keep", "original");
	kvt_put_str(db, "other", "1");

	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	kvt_assert_ok(db, kv_txn_put(txn, "new", 3, "x", 1, 0));
	kvt_assert_ok(db, kv_txn_put(txn, "keep", 4, "changed", 7, 0));
	kvt_assert_ok(db, kv_txn_del(txn, "other", 5));
	kv_txn_abort(txn);

	kvt_expect_absent(db, "new");
	kvt_expect_str(db, "keep", "original");
	kvt_expect_str(db, "other", "1");
	kvt_assert_ok(db, kv_db_stat(&st, db));
	ck_assert_msg(st.count == 2, "count after abort %llu, want 2", st.count);

	/* Nothing of the aborted transaction survives a reopen either. */
	kvt_close(db);
	db = kvt_open(KV_OPEN_READONLY);
	kvt_expect_absent(db, "new");
	kvt_expect_str(db, "keep", "original");
	kvt_expect_str(db, "other", "1");
	kvt_close(db);
}
END_TEST

START_TEST(test_txn__read_your_writes)
{
	static const kvt_bytes keys[] = { KVT_B("b"), KVT_B("c"), KVT_B("d") };
	static const kvt_bytes vals[] = { KVT_B("20"), KVT_B("3"), KVT_B("4") };
	static const kvt_bytes old_keys[] = { KVT_B("a"), KVT_B("b"), KVT_B("c") };
	static const kvt_bytes old_vals[] = { KVT_B("1"), KVT_B("2"), KVT_B("3") };
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;

	kvt_put_str(db, "a", "1");
	kvt_put_str(db, "b", "2");
	kvt_put_str(db, "c", "3");

	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	ck_assert_ptr_eq(kv_txn_db(txn), db);
	kvt_assert_ok(db, kv_txn_put(txn, "b", 1, "20", 2, 0));
	kvt_assert_ok(db, kv_txn_put(txn, "d", 1, "4", 1, 0));
	kvt_assert_ok(db, kv_txn_del(txn, "a", 1));
	kvt_txn_expect_str(txn, "b", "20");
	kvt_txn_expect_str(txn, "d", "4");
	kvt_txn_expect_absent(txn, "a");
	kvt_expect_iter(db, txn, NULL, 0, keys, vals, KVT_NELEM(keys));

	/* Readers outside the transaction see the committed state only. */
	kvt_expect_str(db, "a", "1");
	kvt_expect_str(db, "b", "2");
	kvt_expect_absent(db, "d");
	kvt_expect_iter(db, NULL, NULL, 0, old_keys, old_vals, KVT_NELEM(old_keys));

	kvt_assert_ok(db, kv_txn_commit(txn));
	kvt_expect_iter(db, NULL, NULL, 0, keys, vals, KVT_NELEM(keys));
	kvt_close(db);
}
END_TEST

START_TEST(test_txn__snapshot_isolation)
{
	static const kvt_bytes keys[] = { KVT_B("k") };
	static const kvt_bytes vals[] = { KVT_B("old") };
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *rd = NULL;
	kv_txn *wr = NULL;

	kvt_put_str(db, "k", "old");
	kvt_assert_ok(db, kv_txn_begin(&rd, db, KV_TXN_READONLY));
	kvt_txn_expect_str(rd, "k", "old");

	/* Commits after the snapshot, autocommit and explicit. */
	kvt_put_str(db, "k", "new");
	kvt_put_str(db, "n", "1");
	kvt_assert_ok(db, kv_txn_begin(&wr, db, 0));
	kvt_assert_ok(db, kv_txn_put(wr, "m", 1, "2", 1, 0));
	kvt_assert_ok(db, kv_txn_commit(wr));

	kvt_txn_expect_str(rd, "k", "old");
	kvt_txn_expect_absent(rd, "n");
	kvt_txn_expect_absent(rd, "m");
	kvt_expect_iter(db, rd, NULL, 0, keys, vals, KVT_NELEM(keys));
	kv_txn_abort(rd);

	kvt_expect_str(db, "k", "new");
	kvt_expect_str(db, "n", "1");
	kvt_expect_str(db, "m", "2");
	kvt_close(db);
}
END_TEST

/* The snapshot is taken at begin, not at the first read: SQLite defers
 * it unless told otherwise (found by fuzz/fuzz_ops.c). */
START_TEST(test_txn__snapshot_from_begin)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *rd = NULL;

	kvt_put_str(db, "k", "old");
	kvt_assert_ok(db, kv_txn_begin(&rd, db, KV_TXN_READONLY));
	kvt_put_str(db, "k", "new");
	kvt_put_str(db, "n", "1");
	kvt_txn_expect_str(rd, "k", "old");
	kvt_txn_expect_absent(rd, "n");
	kv_txn_abort(rd);
	kvt_expect_str(db, "k", "new");
	kvt_close(db);
}
END_TEST

START_TEST(test_txn__uncommitted_invisible)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *wr = NULL;
	kv_txn *rd = NULL;

	kvt_put_str(db, "k", "committed");
	kvt_assert_ok(db, kv_txn_begin(&wr, db, 0));
	kvt_assert_ok(db, kv_txn_put(wr, "k", 1, "dirty", 5, 0));
	kvt_assert_ok(db, kv_txn_put(wr, "u", 1, "dirty", 5, 0));

	/* A reader that begins while the writer is open. */
	kvt_assert_ok(db, kv_txn_begin(&rd, db, KV_TXN_READONLY));
	kvt_txn_expect_str(rd, "k", "committed");
	kvt_txn_expect_absent(rd, "u");
	kvt_expect_str(db, "k", "committed");
	kvt_expect_absent(db, "u");

	kvt_assert_ok(db, kv_txn_commit(wr));
	/* ...and keeps its snapshot after the commit. */
	kvt_txn_expect_str(rd, "k", "committed");
	kvt_txn_expect_absent(rd, "u");
	kv_txn_abort(rd);
	kvt_expect_str(db, "k", "dirty");
	kvt_expect_str(db, "u", "dirty");
	kvt_close(db);
}
END_TEST

START_TEST(test_txn__zero_copy_lifetime)
{
	const size_t len = 64 * 1024;
	unsigned char *orig = malloc(len);
	unsigned char *repl = malloc(len);
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *rd = NULL;
	const void *p = NULL;
	size_t pl = 0;
	int i;

	ck_assert_ptr_nonnull(orig);
	ck_assert_ptr_nonnull(repl);
	kvt_fill_random(orig, len, 7);
	kvt_fill_random(repl, len, 8);
	put_bin(db, "blob", 4, orig, len);
	kvt_put_str(db, "small", "s");

	kvt_assert_ok(db, kv_txn_begin(&rd, db, KV_TXN_READONLY));
	kvt_assert_ok(db, kv_txn_get(&p, &pl, rd, "blob", 4));
	ck_assert_uint_eq(pl, len);

	/* Rewrite, delete and churn the store while the snapshot lives. */
	put_bin(db, "blob", 4, repl, len);
	kvt_assert_ok(db, kv_db_del(db, "blob", 4));
	put_bin(db, "blob", 4, repl, len);
	for (i = 0; i < 200; i++) {
		char k[16];
		int n = snprintf(k, sizeof k, "churn%03d", i);
		put_bin(db, k, (size_t)n, repl + i, 512);
	}
	ck_assert_msg(memcmp(p, orig, len) == 0,
	              "zero-copy value changed while its read txn lived");
	kv_txn_abort(rd);

	expect_bin(db, "blob", 4, repl, len);
	kvt_close(db);
	free(orig);
	free(repl);
}
END_TEST

START_TEST(test_txn__second_writer_ebusy)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *t1 = NULL, *t2 = NULL, *rd = NULL;

	kvt_assert_ok(db, kv_txn_begin(&t1, db, 0));
	kvt_assert_ok(db, kv_txn_put(t1, "a", 1, "1", 1, 0));
	kvt_assert_status(kv_txn_begin(&t2, db, 0), KV_EBUSY);
	ck_assert_ptr_null(t2);
	ck_assert_msg(kv_db_errmsg(db)[0] != '\0' || kv_errmsg()[0] != '\0',
	              "no message for KV_EBUSY");
	/* Autocommit writes would be a second writer as well. */
	kvt_assert_status(kv_db_put(db, "b", 1, "2", 1, 0), KV_EBUSY);
	kvt_assert_status(kv_db_del(db, "a", 1), KV_EBUSY);
	/* Reading next to one's own writer is fine. */
	kvt_assert_ok(db, kv_txn_begin(&rd, db, KV_TXN_READONLY));
	kvt_txn_expect_absent(rd, "a");
	kv_txn_abort(rd);
	kvt_expect_absent(db, "a");

	kvt_assert_ok(db, kv_txn_commit(t1));
	kvt_assert_ok(db, kv_txn_begin(&t2, db, 0));
	kvt_assert_ok(db, kv_txn_put(t2, "b", 1, "2", 1, 0));
	kvt_assert_ok(db, kv_txn_commit(t2));
	kvt_expect_str(db, "a", "1");
	kvt_expect_str(db, "b", "2");
	kvt_close(db);
}
END_TEST

START_TEST(test_txn__write_txn_on_readonly_handle)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;

	kvt_close(db);
	db = kvt_open(KV_OPEN_READONLY);
	kvt_assert_status(kv_txn_begin(&txn, db, 0), KV_EREADONLY);
	ck_assert_ptr_null(txn);
	kvt_assert_ok(db, kv_txn_begin(&txn, db, KV_TXN_READONLY));
	kv_txn_abort(txn);
	kvt_close(db);
}
END_TEST

/* A store whose space runs out grows by itself: with LMDB's map started
 * at 1 MiB, 24 MiB written in one transaction (grown and replayed while
 * open) and then in single puts all arrive, and KV_EFULL never shows. */
START_TEST(test_txn__store_grows)
{
	static char val[1024];
	char key[32];
	kv_txn *txn = NULL;
	kv_stat st = KV_STAT_INIT;
	kv_db *db;
	int i;

	ck_assert_int_eq(setenv("KV_LMDB_MAP_SIZE", "1048576", 1), 0);
	db = kvt_open(KV_OPEN_CREATE);
	memset(val, 'v', sizeof val);
	kvt_expect_rc(db, kv_txn_begin(&txn, db, 0), KV_OK);
	for (i = 0; i < 16384; i++) {
		snprintf(key, sizeof key, "big/%06d", i);
		kvt_expect_rc(db, kv_txn_put(txn, key, strlen(key), val,
		                             sizeof val, 0), KV_OK);
	}
	kvt_expect_rc(db, kv_txn_commit(txn), KV_OK);
	for (i = 0; i < 8192; i++) {
		snprintf(key, sizeof key, "one/%06d", i);
		kvt_expect_rc(db, kv_db_put(db, key, strlen(key), val,
		                            sizeof val, 0), KV_OK);
	}
	kvt_close(db);
	db = kvt_open(KV_OPEN_READONLY);
	kvt_expect_rc(db, kv_db_stat(&st, db), KV_OK);
	ck_assert_msg(st.count == 16384 + 8192, "%llu records after growth",
	              (unsigned long long)st.count);
	for (i = 0; i < 2; i++) {
		void *got = NULL;
		size_t len = 0;
		const char *k = i ? "one/008191" : "big/016383";

		kvt_expect_rc(db, kv_db_get(&got, &len, db, k, strlen(k)), KV_OK);
		ck_assert_msg(len == sizeof val && !memcmp(got, val, len),
		              "%s changed by growth", k);
		kv_free(got);
	}
	kvt_close(db);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Misuse.                                                              */

START_TEST(test_txn__null_args)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_db *none = NULL;
	kv_txn *txn = NULL;
	const void *p = NULL;
	size_t pl = 0;

	kvt_put_str(db, "k", "v");
	kvt_expect_einval(db, kv_txn_begin(NULL, db, 0));
	kvt_expect_einval(db, kv_txn_begin(NULL, db, KV_TXN_READONLY));
	kvt_expect_einval(none, kv_txn_begin(&txn, NULL, 0));
	ck_assert_ptr_null(txn);
	kvt_expect_einval(none, kv_txn_commit(NULL));
	kvt_expect_einval(none, kv_txn_get(&p, &pl, NULL, "k", 1));
	kvt_expect_einval(none, kv_txn_put(NULL, "k", 1, "v", 1, 0));
	kvt_expect_einval(none, kv_txn_del(NULL, "k", 1));
	/* The destructor and the accessor take NULL without crashing. */
	kv_txn_abort(NULL);
	ck_assert_ptr_null(kv_txn_db(NULL));

	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	kvt_expect_einval(db, kv_txn_get(NULL, &pl, txn, "k", 1));
	kvt_expect_einval(db, kv_txn_get(&p, NULL, txn, "k", 1));
	kvt_expect_einval(db, kv_txn_get(&p, &pl, txn, NULL, 1));
	kvt_expect_einval(db, kv_txn_put(txn, NULL, 1, "v", 1, 0));
	kvt_expect_einval(db, kv_txn_put(txn, "k", 1, NULL, 1, 0));
	kvt_expect_einval(db, kv_txn_del(txn, NULL, 1));
	/* The transaction is still usable after misuse. */
	kvt_assert_ok(db, kv_txn_put(txn, "k2", 2, "v2", 2, 0));
	kvt_assert_ok(db, kv_txn_commit(txn));
	kvt_expect_str(db, "k2", "v2");
	/* None of the misuse touched the data. */
	kvt_expect_str(db, "k", "v");
	kvt_close(db);
}
END_TEST

static void populate(Suite *s)
{
	TCase *tc;

	tc = kvt_tcase(s, "autocommit", 30);
	tcase_add_test(tc, test_txn__empty_value);
	tcase_add_test(tc, test_txn__binary_keys);
	tcase_add_test(tc, test_txn__empty_key_refused);
	tcase_add_test(tc, test_txn__put_nooverwrite);
	tcase_add_test(tc, test_txn__delete);

	tc = kvt_tcase(s, "txn", 30);
	tcase_add_test(tc, test_txn__rollback);
	tcase_add_test(tc, test_txn__read_your_writes);
	tcase_add_test(tc, test_txn__snapshot_isolation);
	tcase_add_test(tc, test_txn__snapshot_from_begin);
	tcase_add_test(tc, test_txn__uncommitted_invisible);
	tcase_add_test(tc, test_txn__zero_copy_lifetime);
	tcase_add_test(tc, test_txn__second_writer_ebusy);
	tcase_add_test(tc, test_txn__write_txn_on_readonly_handle);

	tc = kvt_tcase(s, "misuse", 30);
	tcase_add_test(tc, test_txn__null_args);

	tc = kvt_tcase(s, "big", 120);
	tcase_add_test(tc, test_txn__large_value);
	tcase_add_test(tc, test_txn__store_grows);
}

int main(void)
{
	return kvt_main("txn", populate);
}
