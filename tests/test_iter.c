/*
 * tests/test_iter.c - iteration in key order (kv.h): order over 100,000 keys,
 * prefix bounds, seeking, iterators inside transactions and after their
 * transaction ended, misuse of kv_iter_*.  Every test runs on every
 * backend of the table in testutil.c.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <stdio.h>
#include <string.h>

#include "testutil.h"

/* ------------------------------------------------------------------ */
/* 100,000 keys in one transaction.                                     */

#define MANY 100000u

/* Key i: 4 bytes of a bijective mix of i (so insertion order is random
 * and keys are distinct) plus 0..2 bytes of 0x00 / 0xff. */
static size_t many_key(unsigned char k[6], unsigned int i)
{
	unsigned int h = i * 0x9E3779B1u;

	h ^= h >> 16;
	h *= 0x85EBCA6Bu;
	h ^= h >> 13;
	k[0] = (unsigned char)(h >> 24);
	k[1] = (unsigned char)(h >> 16);
	k[2] = (unsigned char)(h >> 8);
	k[3] = (unsigned char)h;
	k[4] = 0x00;
	k[5] = 0xff;
	return 4 + i % 3;
}

static void many_val(unsigned char v[8], unsigned int i)
{
	unsigned int j;

	for (j = 0; j < 4; j++) {
		v[j] = (unsigned char)(i >> (8 * j));
		v[4 + j] = (unsigned char)(~i >> (8 * j));
	}
}

/* Walk every key: strictly ascending, each value names the index whose
 * key was iterated, and the count is exact (hence each key once). */
static void check_many(kv_db *db, kv_txn *txn)
{
	char h1[KVT_HEX_MAX], h2[KVT_HEX_MAX];
	unsigned char prev[6], k6[6];
	size_t prev_len = 0;
	unsigned long count = 0;
	kv_iter *it = NULL;
	kv_status rc;

	kvt_assert_ok(db, kv_iter_new(&it, db, txn, NULL, 0));
	for (;;) {
		const void *kp, *vp;
		const unsigned char *k, *v;
		size_t kl, vl;
		unsigned int i;

		rc = kv_iter_next(it, &kp, &kl, &vp, &vl);
		if (rc != KV_OK)
			break;
		k = kp;
		v = vp;
		ck_assert_msg(kl >= 4 && kl <= 6 && vl == 8,
		              "key %lu: bad sizes %zu/%zu", count, kl, vl);
		i = (unsigned int)v[0] | (unsigned int)v[1] << 8 |
		    (unsigned int)v[2] << 16 | (unsigned int)v[3] << 24;
		ck_assert_msg(i < MANY, "key %lu: value index %u", count, i);
		ck_assert_msg(many_key(k6, i) == kl && memcmp(k6, k, kl) == 0,
		              "key %s carries the value of key %u", kvt_hex(h1, k, kl),
		              i);
		if (count > 0)
			ck_assert_msg(kvt_key_cmp(prev, prev_len, k, kl) < 0,
			              "order: %s then %s", kvt_hex(h1, prev, prev_len),
			              kvt_hex(h2, k, kl));
		memcpy(prev, k, kl);
		prev_len = kl;
		count++;
	}
	ck_assert_msg(rc == KV_NOTFOUND, "kv_iter_next: %s", kv_strerror(rc));
	ck_assert_msg(count == MANY, "iterated %lu keys, want %u", count, MANY);
	kv_iter_free(it);
}

START_TEST(test_iter__many_keys_ordered)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;
	kv_stat st = KV_STAT_INIT;
	unsigned int i;

	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	for (i = 0; i < MANY; i++) {
		unsigned char k[6], v[8];
		size_t kl = many_key(k, i);
		kv_status rc;

		many_val(v, i);
		rc = kv_txn_put(txn, k, kl, v, sizeof v, KV_PUT_NOOVERWRITE);
		ck_assert_msg(rc == KV_OK, "put %u: %s (%s)", i,
		              kv_strerror(rc), kv_db_errmsg(db));
	}
	check_many(db, txn); /* the transaction sees its own writes */
	kvt_assert_ok(db, kv_txn_commit(txn));

	check_many(db, NULL);
	kvt_assert_ok(db, kv_db_stat(&st, db));
	ck_assert_msg(st.count == MANY, "stat count %llu, want %u", st.count,
	              MANY);
	kvt_close(db);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Prefix bounds.                                                       */

static const kvt_bytes prefix_keys[] = {
	KVT_B("a"), KVT_B("ab"), KVT_B("abc"), KVT_B("abd"), KVT_B("ac"), KVT_B("b"), KVT_B("ab\xff"),
	KVT_B("ab\xff\xff"), KVT_B("\xfe"), KVT_B("\xfe\xff"), KVT_B("\xff"), KVT_B("\xff\x00"),
	KVT_B("\xff\xff")
};
/* The same keys in API order. */
static const kvt_bytes prefix_sorted[] = {
	KVT_B("a"), KVT_B("ab"), KVT_B("abc"), KVT_B("abd"), KVT_B("ab\xff"), KVT_B("ab\xff\xff"),
	KVT_B("ac"), KVT_B("b"), KVT_B("\xfe"), KVT_B("\xfe\xff"), KVT_B("\xff"), KVT_B("\xff\x00"),
	KVT_B("\xff\xff")
};

static kv_db *open_prefix_store(void)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;
	size_t i;

	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	for (i = 0; i < KVT_NELEM(prefix_keys); i++)
		kvt_assert_ok(db, kv_txn_put(txn, prefix_keys[i].p,
		                             prefix_keys[i].n, prefix_keys[i].p,
		                             prefix_keys[i].n, 0));
	kvt_assert_ok(db, kv_txn_commit(txn));
	return db;
}

START_TEST(test_iter__prefix_bounds)
{
	kv_db *db = open_prefix_store();
	kv_txn *txn = NULL;

	/* Values equal keys, so the key list doubles as the value list. */
	kvt_expect_iter(db, NULL, NULL, 0, prefix_sorted, prefix_sorted,
	            KVT_NELEM(prefix_sorted));
	kvt_expect_iter(db, NULL, "a", 1, prefix_sorted, prefix_sorted, 7);
	kvt_expect_iter(db, NULL, "ab", 2, prefix_sorted + 1, prefix_sorted + 1, 5);
	kvt_expect_iter(db, NULL, "ab\xff", 3, prefix_sorted + 4,
	            prefix_sorted + 4, 2);
	kvt_expect_iter(db, NULL, "ab\xff\xff", 4, prefix_sorted + 5,
	            prefix_sorted + 5, 1);
	kvt_expect_iter(db, NULL, "abc", 3, prefix_sorted + 2, prefix_sorted + 2,
	            1);
	kvt_expect_iter(db, NULL, "b", 1, prefix_sorted + 7, prefix_sorted + 7, 1);

	/* The same bounds inside a read transaction. */
	kvt_assert_ok(db, kv_txn_begin(&txn, db, KV_TXN_READONLY));
	kvt_expect_iter(db, txn, "ab", 2, prefix_sorted + 1, prefix_sorted + 1, 5);
	kv_txn_abort(txn);
	kvt_close(db);
}
END_TEST

START_TEST(test_iter__prefix_ff_edge)
{
	kv_db *db = open_prefix_store();

	/* A prefix of 0xff bytes has no successor: the scan must run to the
	 * end of the keys, not stop early or wrap around. */
	kvt_expect_iter(db, NULL, "\xff", 1, prefix_sorted + 10,
	            prefix_sorted + 10, 3);
	kvt_expect_iter(db, NULL, "\xff\xff", 2, prefix_sorted + 12,
	            prefix_sorted + 12, 1);
	kvt_expect_iter(db, NULL, "\xff\x00", 2, prefix_sorted + 11,
	            prefix_sorted + 11, 1);
	/* 0xfe's upper bound is 0xff, which must not be included. */
	kvt_expect_iter(db, NULL, "\xfe", 1, prefix_sorted + 8, prefix_sorted + 8,
	            2);
	kvt_close(db);
}
END_TEST

START_TEST(test_iter__prefix_no_match)
{
	static const kvt_bytes none[] = { KVT_B("aa"), KVT_B("abe"), KVT_B("c"), KVT_B("zzzz"),
	                              KVT_B("\x00"), KVT_B("\xff\xff\xff"),
	                              KVT_B("ab\xff\xff\xff"), KVT_B("abcd") };
	kv_db *db = open_prefix_store();
	size_t i;

	for (i = 0; i < KVT_NELEM(none); i++)
		kvt_expect_iter(db, NULL, none[i].p, none[i].n, NULL, NULL, 0);
	kvt_close(db);

	/* An empty store iterates to nothing at all. */
	{
		char uri[KVT_PATH_MAX];
		kv_db *empty = NULL;

		kvt_assert_ok(empty, kv_db_open(&empty, kvt_uri(uri, "empty"),
		                                NULL));
		kvt_expect_iter(empty, NULL, NULL, 0, NULL, NULL, 0);
		kvt_expect_iter(empty, NULL, "a", 1, NULL, NULL, 0);
		kvt_close(empty);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Seeking.                                                             */

/* Seek, then expect the next key to be want (NULL: exhausted). */
static void seek_expect(kv_iter *it, const void *to, size_t to_len,
                        const char *want)
{
	char h1[KVT_HEX_MAX], h2[KVT_HEX_MAX];
	const void *k = NULL;
	size_t kl = 0;
	kv_status rc = kv_iter_seek(it, to, to_len);

	ck_assert_msg(rc == KV_OK, "seek %s: %s", kvt_hex(h1, to, to_len),
	              kv_strerror(rc));
	rc = kv_iter_next(it, &k, &kl, NULL, NULL);
	if (want == NULL) {
		ck_assert_msg(rc == KV_NOTFOUND, "after seek %s: got %s (%s)",
		              kvt_hex(h1, to, to_len), kv_strerror(rc),
		              rc == KV_OK ? kvt_hex(h2, k, kl) : "-");
		return;
	}
	ck_assert_msg(rc == KV_OK, "after seek %s: %s", kvt_hex(h1, to, to_len),
	              kv_strerror(rc));
	ck_assert_msg(kl == strlen(want) && memcmp(k, want, kl) == 0,
	              "after seek %s: got %s, want '%s'", kvt_hex(h1, to, to_len),
	              kvt_hex(h2, k, kl), want);
}

START_TEST(test_iter__seek)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_iter *it = NULL;
	const void *k = NULL;
	size_t kl = 0;

	kvt_put_str(db, "a", "1");
	kvt_put_str(db, "b", "2");
	kvt_put_str(db, "ba", "3");
	kvt_put_str(db, "c", "4");
	kvt_put_str(db, "d", "5");

	kvt_assert_ok(db, kv_iter_new(&it, db, NULL, NULL, 0));
	kvt_assert_ok(db, kv_iter_next(it, &k, &kl, NULL, NULL));
	ck_assert_msg(kl == 1 && memcmp(k, "a", 1) == 0, "first key not 'a'");
	seek_expect(it, "b", 1, "b");
	seek_expect(it, "a", 1, "a");        /* backwards */
	seek_expect(it, "b\0", 2, "ba");     /* successor of "b" */
	seek_expect(it, "bb", 2, "c");       /* between keys */
	seek_expect(it, "zz", 2, NULL);      /* past the end */
	seek_expect(it, "c", 1, "c");        /* after exhaustion */
	kvt_assert_ok(db, kv_iter_next(it, &k, &kl, NULL, NULL));
	ck_assert_msg(kl == 1 && memcmp(k, "d", 1) == 0, "after c: not 'd'");
	kv_iter_free(it);

	/* Seeking stays inside the prefix. */
	it = NULL;
	kvt_assert_ok(db, kv_iter_new(&it, db, NULL, "b", 1));
	seek_expect(it, "a", 1, "b");        /* below the prefix */
	seek_expect(it, "b\0", 2, "ba");
	seek_expect(it, "c", 1, NULL);       /* above the prefix */
	kv_iter_free(it);
	kvt_close(db);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Iterators whose transaction ended; misuse.                           */

/* it was made in a transaction that has ended: next and seek report
 * KV_EINVAL with a message naming the store, and it can still be freed. */
static void expect_detached(kv_db *db, kv_iter *it)
{
	const void *k = NULL;
	size_t kl = 0;
	const char *path = kv_db_path(db);

	kvt_assert_status(kv_iter_next(it, &k, &kl, NULL, NULL), KV_EINVAL);
	ck_assert_msg(strstr(kv_db_errmsg(db), path) != NULL,
	              "next on a detached iterator: message '%s' does not "
	              "name %s", kv_db_errmsg(db), path);
	ck_assert_ptr_null(k);
	kvt_assert_status(kv_iter_seek(it, "a", 1), KV_EINVAL);
	ck_assert_msg(strstr(kv_db_errmsg(db), path) != NULL,
	              "seek on a detached iterator: message '%s' does not "
	              "name %s", kv_db_errmsg(db), path);
	kv_iter_free(it);
}

START_TEST(test_iter__after_txn_ended)
{
	static const kvt_bytes keys[] = { KVT_B("a"), KVT_B("b"), KVT_B("c"),
	                                  KVT_B("e"), KVT_B("f") };
	static const kvt_bytes vals[] = { KVT_B("1"), KVT_B("2"), KVT_B("3"),
	                                  KVT_B("5"), KVT_B("6") };
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;
	kv_iter *it = NULL, *it2 = NULL;
	const void *k = NULL;
	size_t kl = 0;

	kvt_put_str(db, "a", "1");
	kvt_put_str(db, "b", "2");

	/* Commit ends two iterators of one write transaction, one of them
	 * part-way through its keys. */
	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	kvt_assert_ok(db, kv_txn_put(txn, "c", 1, "3", 1, 0));
	kvt_assert_ok(db, kv_iter_new(&it, db, txn, NULL, 0));
	kvt_assert_ok(db, kv_iter_new(&it2, db, txn, "c", 1));
	kvt_assert_ok(db, kv_iter_next(it, &k, &kl, NULL, NULL));
	ck_assert_msg(kl == 1 && memcmp(k, "a", 1) == 0, "first key not 'a'");
	kvt_assert_ok(db, kv_txn_commit(txn));
	expect_detached(db, it);
	expect_detached(db, it2);
	kvt_expect_str(db, "c", "3");

	/* Abort of a write transaction. */
	txn = NULL;
	it = NULL;
	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	kvt_assert_ok(db, kv_txn_put(txn, "d", 1, "4", 1, 0));
	kvt_assert_ok(db, kv_iter_new(&it, db, txn, NULL, 0));
	kv_txn_abort(txn);
	expect_detached(db, it);
	kvt_expect_absent(db, "d");

	/* End of a read transaction whose iterator was already exhausted. */
	txn = NULL;
	it = NULL;
	kvt_assert_ok(db, kv_txn_begin(&txn, db, KV_TXN_READONLY));
	kvt_assert_ok(db, kv_iter_new(&it, db, txn, "z", 1));
	kvt_assert_status(kv_iter_next(it, NULL, NULL, NULL, NULL),
	                  KV_NOTFOUND);
	kv_txn_abort(txn);
	expect_detached(db, it);

	/* An iterator freed before its transaction leaves the transaction
	 * usable and, once committed, the store free for the next writer. */
	txn = NULL;
	it = NULL;
	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	kvt_assert_ok(db, kv_iter_new(&it, db, txn, NULL, 0));
	kv_iter_free(it);
	kvt_assert_ok(db, kv_txn_put(txn, "e", 1, "5", 1, 0));
	kvt_assert_ok(db, kv_txn_commit(txn));
	kvt_put_str(db, "f", "6");
	kvt_expect_iter(db, NULL, NULL, 0, keys, vals, KVT_NELEM(keys));
	kvt_close(db);
}
END_TEST

/* A transaction of another store is refused, and leaves both usable. */
START_TEST(test_iter__foreign_txn)
{
	char uri[KVT_PATH_MAX];
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_db *other = NULL;
	kv_txn *txn = NULL;
	kv_iter *it = NULL;

	kvt_put_str(db, "k", "v");
	kvt_assert_ok(other, kv_db_open(&other, kvt_uri(uri, "other"), NULL));
	kvt_put_str(other, "o", "w");
	kvt_assert_ok(other, kv_txn_begin(&txn, other, KV_TXN_READONLY));
	kvt_expect_einval(db, kv_iter_new(&it, db, txn, NULL, 0));
	ck_assert_ptr_null(it);
	kvt_expect_iter(other, txn, NULL, 0, (const kvt_bytes[]){ KVT_B("o") },
	                (const kvt_bytes[]){ KVT_B("w") }, 1);
	kv_txn_abort(txn);
	kvt_expect_iter(db, NULL, NULL, 0, (const kvt_bytes[]){ KVT_B("k") },
	                (const kvt_bytes[]){ KVT_B("v") }, 1);
	kvt_close(other);
	kvt_close(db);
}
END_TEST


START_TEST(test_iter__null_args)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_db *none = NULL;
	kv_iter *it = NULL;
	const void *k = NULL;
	size_t kl = 0;

	kvt_put_str(db, "k", "v");
	kvt_expect_einval(db, kv_iter_new(NULL, db, NULL, NULL, 0));
	kvt_expect_einval(none, kv_iter_new(&it, NULL, NULL, NULL, 0));
	kvt_expect_einval(db, kv_iter_new(&it, db, NULL, NULL, 3));
	ck_assert_ptr_null(it);
	kvt_expect_einval(none, kv_iter_next(NULL, &k, &kl, NULL, NULL));
	kvt_expect_einval(none, kv_iter_seek(NULL, "k", 1));
	/* The destructor takes NULL without crashing. */
	kv_iter_free(NULL);

	kvt_assert_ok(db, kv_iter_new(&it, db, NULL, NULL, 0));
	kvt_expect_einval(db, kv_iter_seek(it, NULL, 1));
	kvt_assert_ok(db, kv_iter_next(it, &k, &kl, NULL, NULL));
	ck_assert_msg(kl == 1 && memcmp(k, "k", 1) == 0, "iterated wrong key");
	kv_iter_free(it);
	kvt_close(db);
}
END_TEST

static void populate(Suite *s)
{
	TCase *tc;

	tc = kvt_tcase(s, "iter", 30);
	tcase_add_test(tc, test_iter__prefix_bounds);
	tcase_add_test(tc, test_iter__prefix_ff_edge);
	tcase_add_test(tc, test_iter__prefix_no_match);
	tcase_add_test(tc, test_iter__seek);
	tcase_add_test(tc, test_iter__after_txn_ended);
	tcase_add_test(tc, test_iter__foreign_txn);

	tc = kvt_tcase(s, "misuse", 30);
	tcase_add_test(tc, test_iter__null_args);

	tc = kvt_tcase(s, "big", 120);
	tcase_add_test(tc, test_iter__many_keys_ordered);
}

int main(void)
{
	return kvt_main("iter", populate);
}
