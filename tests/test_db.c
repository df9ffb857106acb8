/*
 * tests/test_db.c - behaviour of the bytes API (kv.h): stores, values, keys,
 * iteration, transactions, threads, open flags and misuse.  Every test runs
 * on every backend of the table in testutil.c.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "testutil.h"

/* A byte string with its length; B("a\0b") keeps embedded NULs. */
typedef struct bytes {
	const char *p;
	size_t n;
} bytes;
#define B(lit) { (lit), sizeof(lit) - 1 }
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Bytewise order, a shorter key before its extensions (the API's order). */
static int key_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n > 0 ? memcmp(a, b, n) : 0;

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

/* Render up to 16 bytes of a key as hex for failure messages. */
static const char *hex(char *buf, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i, m = n < 16 ? n : 16;

	buf[0] = '\0';
	for (i = 0; i < m; i++)
		sprintf(buf + 2 * i, "%02x", b[i]);
	if (m < n)
		strcat(buf, "..");
	return buf;
}

static void put_bin(kv_db *db, const void *k, size_t kl, const void *v,
                    size_t vl)
{
	char h[40];

	kv_status rc = kv_db_put(db, k, kl, v, vl, 0);
	ck_assert_msg(rc == KV_OK, "put %s: %s (%s)", hex(h, k, kl),
	              kv_strerror(rc), kv_db_errmsg(db));
}

static void expect_bin(kv_db *db, const void *k, size_t kl, const void *v,
                       size_t vl)
{
	char h[40];
	void *got = NULL;
	size_t got_len = 0;
	kv_status rc = kv_db_get(&got, &got_len, db, k, kl);
	int same;

	ck_assert_msg(rc == KV_OK, "get %s: %s (%s)", hex(h, k, kl),
	              kv_strerror(rc), kv_db_errmsg(db));
	ck_assert_msg(got != NULL, "get %s: NULL value", hex(h, k, kl));
	same = got_len == vl && (vl == 0 || memcmp(got, v, vl) == 0);
	kv_free(got);
	ck_assert_msg(same, "get %s: %zu bytes differ from the %zu put",
	              hex(h, k, kl), got_len, vl);
}

static void txn_expect_str(kv_txn *txn, const char *key, const char *val)
{
	const void *got = NULL;
	size_t got_len = 0;
	kv_status rc = kv_txn_get(&got, &got_len, txn, key, strlen(key));

	ck_assert_msg(rc == KV_OK, "kv_txn_get '%s': %s", key,
	              kv_strerror(rc));
	ck_assert_msg(got_len == strlen(val) &&
	                      memcmp(got, val, got_len) == 0,
	              "kv_txn_get '%s': got '%.*s', want '%s'", key,
	              (int)got_len, (const char *)got, val);
}

static void txn_expect_absent(kv_txn *txn, const char *key)
{
	const void *got = NULL;
	size_t got_len = 0;
	kv_status rc = kv_txn_get(&got, &got_len, txn, key, strlen(key));

	ck_assert_msg(rc == KV_NOTFOUND, "kv_txn_get '%s': got %s, want absent",
	              key, kv_strerror(rc));
}

/* Iterate prefix in txn (NULL: private snapshot) and compare the keys with
 * want, in order, exactly; vals (may be NULL) are the expected values. */
static void expect_iter(kv_db *db, kv_txn *txn, const void *prefix,
                        size_t prefix_len, const bytes *want,
                        const bytes *vals, size_t nwant)
{
	char h1[40], h2[40], h3[40], hp[40];
	kv_iter *it = NULL;
	kv_status rc;
	size_t i;

	hex(hp, prefix, prefix_len);
	rc = kv_iter_new(&it, db, txn, prefix, prefix_len);
	ck_assert_msg(rc == KV_OK, "kv_iter_new(prefix %s): %s (%s)", hp,
	              kv_strerror(rc), kv_db_errmsg(db));
	for (i = 0;; i++) {
		const void *k = NULL, *v = NULL;
		size_t kl = 0, vl = 0;

		rc = kv_iter_next(it, &k, &kl, &v, &vl);
		if (rc == KV_NOTFOUND)
			break;
		ck_assert_msg(rc == KV_OK, "prefix %s: kv_iter_next: %s", hp,
		              kv_strerror(rc));
		ck_assert_msg(i < nwant, "prefix %s: extra key %s after %zu",
		              hp, hex(h1, k, kl), nwant);
		ck_assert_msg(key_cmp(k, kl, want[i].p, want[i].n) == 0,
		              "prefix %s: key %zu is %s, want %s", hp, i,
		              hex(h1, k, kl), hex(h2, want[i].p, want[i].n));
		if (vals != NULL)
			ck_assert_msg(vl == vals[i].n &&
			                      memcmp(v, vals[i].p, vl) == 0,
			              "prefix %s: value of %s is %s, want %s",
			              hp, hex(h1, k, kl), hex(h2, v, vl),
			              hex(h3, vals[i].p, vals[i].n));
	}
	ck_assert_msg(i == nwant, "prefix %s: %zu keys, want %zu", hp, i,
	              nwant);
	/* Exhaustion is sticky. */
	rc = kv_iter_next(it, NULL, NULL, NULL, NULL);
	ck_assert_msg(rc == KV_NOTFOUND, "prefix %s: next after end: %s", hp,
	              kv_strerror(rc));
	kv_iter_free(it);
}

/* ------------------------------------------------------------------ */
/* Opening, values, keys.                                               */

START_TEST(test_db__reopen_keeps_data)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);

	kvt_put_str(db, "model/name", "resnet50");
	kvt_put_str(db, "model/epochs", "90");
	kvt_close(db);

	db = kvt_open(KV_OPEN_READWRITE);
	kvt_expect_str(db, "model/name", "resnet50");
	kvt_expect_str(db, "model/epochs", "90");
	kvt_put_str(db, "model/epochs", "120");
	kvt_close(db);

	db = kvt_open(KV_OPEN_READONLY);
	kvt_expect_str(db, "model/name", "resnet50");
	kvt_expect_str(db, "model/epochs", "120");
	kvt_close(db);
}
END_TEST

START_TEST(test_db__backend_and_path)
{
	char path[KVT_PATH_MAX];
	kv_db *db = kvt_open(KV_OPEN_CREATE);

	ck_assert_str_eq(kv_db_backend(db), kvt_backend);
	ck_assert_str_eq(kv_db_path(db), kvt_path(path, "store"));
	kvt_close(db);
}
END_TEST

START_TEST(test_db__empty_value)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;
	const void *tv = NULL;
	size_t tl = 99;
	void *v = NULL;
	size_t vl = 99;
	bytes keys[] = { B("e1"), B("e2") };
	bytes vals[] = { B(""), B("") };

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

	expect_iter(db, NULL, "e", 1, keys, vals, NELEM(keys));
	kvt_close(db);
}
END_TEST

START_TEST(test_db__large_value)
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

START_TEST(test_db__binary_keys)
{
	static const bytes keys[] = { B("a"), B("a\0"), B("a\0b"), B("a\0c"),
	                              B("\0"), B("\0\0") };
	static const bytes vals[] = { B("plain"), B("nul"), B("v\0b"),
	                              B("v\0c"), B("zero"), B("zerozero") };
	static const bytes sorted_keys[] = { B("\0"), B("\0\0"), B("a"),
	                                     B("a\0"), B("a\0b"), B("a\0c") };
	static const bytes sorted_vals[] = { B("zero"), B("zerozero"),
	                                     B("plain"), B("nul"), B("v\0b"),
	                                     B("v\0c") };
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	size_t i;

	for (i = 0; i < NELEM(keys); i++)
		put_bin(db, keys[i].p, keys[i].n, vals[i].p, vals[i].n);
	for (i = 0; i < NELEM(keys); i++)
		expect_bin(db, keys[i].p, keys[i].n, vals[i].p, vals[i].n);
	expect_iter(db, NULL, NULL, 0, sorted_keys, sorted_vals,
	            NELEM(sorted_keys));
	expect_iter(db, NULL, "a\0", 2, sorted_keys + 3, sorted_vals + 3, 3);
	expect_iter(db, NULL, "\0", 1, sorted_keys, sorted_vals, 2);

	/* Deleting "a\0b" leaves its neighbours alone. */
	kvt_assert_ok(db, kv_db_del(db, "a\0b", 3));
	expect_bin(db, "a", 1, "plain", 5);
	expect_bin(db, "a\0c", 3, "v\0c", 3);
	kvt_assert_status(kv_db_del(db, "a\0b", 3), KV_NOTFOUND);
	kvt_close(db);
}
END_TEST

START_TEST(test_db__empty_key_refused)
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

	expect_iter(db, NULL, NULL, 0, (const bytes[]){ B("k") }, NULL, 1);
	kvt_close(db);
}
END_TEST

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
	char h1[40], h2[40];
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
		              "key %s carries the value of key %u", hex(h1, k, kl),
		              i);
		if (count > 0)
			ck_assert_msg(key_cmp(prev, prev_len, k, kl) < 0,
			              "order: %s then %s", hex(h1, prev, prev_len),
			              hex(h2, k, kl));
		memcpy(prev, k, kl);
		prev_len = kl;
		count++;
	}
	ck_assert_msg(rc == KV_NOTFOUND, "kv_iter_next: %s", kv_strerror(rc));
	ck_assert_msg(count == MANY, "iterated %lu keys, want %u", count, MANY);
	kv_iter_free(it);
}

START_TEST(test_db__many_keys_ordered)
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
/* Iteration.                                                           */

static const bytes prefix_keys[] = {
	B("a"), B("ab"), B("abc"), B("abd"), B("ac"), B("b"), B("ab\xff"),
	B("ab\xff\xff"), B("\xfe"), B("\xfe\xff"), B("\xff"), B("\xff\x00"),
	B("\xff\xff")
};
/* The same keys in API order. */
static const bytes prefix_sorted[] = {
	B("a"), B("ab"), B("abc"), B("abd"), B("ab\xff"), B("ab\xff\xff"),
	B("ac"), B("b"), B("\xfe"), B("\xfe\xff"), B("\xff"), B("\xff\x00"),
	B("\xff\xff")
};

static kv_db *open_prefix_store(void)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;
	size_t i;

	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	for (i = 0; i < NELEM(prefix_keys); i++)
		kvt_assert_ok(db, kv_txn_put(txn, prefix_keys[i].p,
		                             prefix_keys[i].n, prefix_keys[i].p,
		                             prefix_keys[i].n, 0));
	kvt_assert_ok(db, kv_txn_commit(txn));
	return db;
}

START_TEST(test_db__prefix_bounds)
{
	kv_db *db = open_prefix_store();
	kv_txn *txn = NULL;

	/* Values equal keys, so the key list doubles as the value list. */
	expect_iter(db, NULL, NULL, 0, prefix_sorted, prefix_sorted,
	            NELEM(prefix_sorted));
	expect_iter(db, NULL, "a", 1, prefix_sorted, prefix_sorted, 7);
	expect_iter(db, NULL, "ab", 2, prefix_sorted + 1, prefix_sorted + 1, 5);
	expect_iter(db, NULL, "ab\xff", 3, prefix_sorted + 4,
	            prefix_sorted + 4, 2);
	expect_iter(db, NULL, "ab\xff\xff", 4, prefix_sorted + 5,
	            prefix_sorted + 5, 1);
	expect_iter(db, NULL, "abc", 3, prefix_sorted + 2, prefix_sorted + 2,
	            1);
	expect_iter(db, NULL, "b", 1, prefix_sorted + 7, prefix_sorted + 7, 1);

	/* The same bounds inside a read transaction. */
	kvt_assert_ok(db, kv_txn_begin(&txn, db, KV_TXN_READONLY));
	expect_iter(db, txn, "ab", 2, prefix_sorted + 1, prefix_sorted + 1, 5);
	kv_txn_abort(txn);
	kvt_close(db);
}
END_TEST

START_TEST(test_db__prefix_ff_edge)
{
	kv_db *db = open_prefix_store();

	/* A prefix of 0xff bytes has no successor: the scan must run to the
	 * end of the keys, not stop early or wrap around. */
	expect_iter(db, NULL, "\xff", 1, prefix_sorted + 10,
	            prefix_sorted + 10, 3);
	expect_iter(db, NULL, "\xff\xff", 2, prefix_sorted + 12,
	            prefix_sorted + 12, 1);
	expect_iter(db, NULL, "\xff\x00", 2, prefix_sorted + 11,
	            prefix_sorted + 11, 1);
	/* 0xfe's upper bound is 0xff, which must not be included. */
	expect_iter(db, NULL, "\xfe", 1, prefix_sorted + 8, prefix_sorted + 8,
	            2);
	kvt_close(db);
}
END_TEST

START_TEST(test_db__prefix_no_match)
{
	static const bytes none[] = { B("aa"), B("abe"), B("c"), B("zzzz"),
	                              B("\x00"), B("\xff\xff\xff"),
	                              B("ab\xff\xff\xff"), B("abcd") };
	kv_db *db = open_prefix_store();
	size_t i;

	for (i = 0; i < NELEM(none); i++)
		expect_iter(db, NULL, none[i].p, none[i].n, NULL, NULL, 0);
	kvt_close(db);

	/* An empty store iterates to nothing at all. */
	{
		char uri[KVT_PATH_MAX];
		kv_db *empty = NULL;

		kvt_assert_ok(empty, kv_db_open(&empty, kvt_uri(uri, "empty"),
		                                NULL));
		expect_iter(empty, NULL, NULL, 0, NULL, NULL, 0);
		expect_iter(empty, NULL, "a", 1, NULL, NULL, 0);
		kvt_close(empty);
	}
}
END_TEST

/* Seek, then expect the next key to be want (NULL: exhausted). */
static void seek_expect(kv_iter *it, const void *to, size_t to_len,
                        const char *want)
{
	char h1[40], h2[40];
	const void *k = NULL;
	size_t kl = 0;
	kv_status rc = kv_iter_seek(it, to, to_len);

	ck_assert_msg(rc == KV_OK, "seek %s: %s", hex(h1, to, to_len),
	              kv_strerror(rc));
	rc = kv_iter_next(it, &k, &kl, NULL, NULL);
	if (want == NULL) {
		ck_assert_msg(rc == KV_NOTFOUND, "after seek %s: got %s (%s)",
		              hex(h1, to, to_len), kv_strerror(rc),
		              rc == KV_OK ? hex(h2, k, kl) : "-");
		return;
	}
	ck_assert_msg(rc == KV_OK, "after seek %s: %s", hex(h1, to, to_len),
	              kv_strerror(rc));
	ck_assert_msg(kl == strlen(want) && memcmp(k, want, kl) == 0,
	              "after seek %s: got %s, want '%s'", hex(h1, to, to_len),
	              hex(h2, k, kl), want);
}

START_TEST(test_db__iter_seek)
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
/* Put, delete, transactions.                                           */

START_TEST(test_db__put_nooverwrite)
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
	txn_expect_str(txn, "n", "n1");
	kvt_assert_ok(db, kv_txn_commit(txn));

	kvt_expect_str(db, "k", "v1");
	kvt_expect_str(db, "n", "n1");
	/* A plain put still overwrites. */
	kvt_assert_ok(db, kv_db_put(db, "k", 1, "v4", 2, 0));
	kvt_expect_str(db, "k", "v4");
	kvt_close(db);
}
END_TEST

START_TEST(test_db__delete)
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

START_TEST(test_db__rollback)
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

START_TEST(test_db__read_your_writes)
{
	static const bytes keys[] = { B("b"), B("c"), B("d") };
	static const bytes vals[] = { B("20"), B("3"), B("4") };
	static const bytes old_keys[] = { B("a"), B("b"), B("c") };
	static const bytes old_vals[] = { B("1"), B("2"), B("3") };
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
	txn_expect_str(txn, "b", "20");
	txn_expect_str(txn, "d", "4");
	txn_expect_absent(txn, "a");
	expect_iter(db, txn, NULL, 0, keys, vals, NELEM(keys));

	/* Readers outside the transaction see the committed state only. */
	kvt_expect_str(db, "a", "1");
	kvt_expect_str(db, "b", "2");
	kvt_expect_absent(db, "d");
	expect_iter(db, NULL, NULL, 0, old_keys, old_vals, NELEM(old_keys));

	kvt_assert_ok(db, kv_txn_commit(txn));
	expect_iter(db, NULL, NULL, 0, keys, vals, NELEM(keys));
	kvt_close(db);
}
END_TEST

START_TEST(test_db__snapshot_isolation)
{
	static const bytes keys[] = { B("k") };
	static const bytes vals[] = { B("old") };
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *rd = NULL;
	kv_txn *wr = NULL;

	kvt_put_str(db, "k", "old");
	kvt_assert_ok(db, kv_txn_begin(&rd, db, KV_TXN_READONLY));
	txn_expect_str(rd, "k", "old");

	/* Commits after the snapshot, autocommit and explicit. */
	kvt_put_str(db, "k", "new");
	kvt_put_str(db, "n", "1");
	kvt_assert_ok(db, kv_txn_begin(&wr, db, 0));
	kvt_assert_ok(db, kv_txn_put(wr, "m", 1, "2", 1, 0));
	kvt_assert_ok(db, kv_txn_commit(wr));

	txn_expect_str(rd, "k", "old");
	txn_expect_absent(rd, "n");
	txn_expect_absent(rd, "m");
	expect_iter(db, rd, NULL, 0, keys, vals, NELEM(keys));
	kv_txn_abort(rd);

	kvt_expect_str(db, "k", "new");
	kvt_expect_str(db, "n", "1");
	kvt_expect_str(db, "m", "2");
	kvt_close(db);
}
END_TEST

START_TEST(test_db__uncommitted_invisible)
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
	txn_expect_str(rd, "k", "committed");
	txn_expect_absent(rd, "u");
	kvt_expect_str(db, "k", "committed");
	kvt_expect_absent(db, "u");

	kvt_assert_ok(db, kv_txn_commit(wr));
	/* ...and keeps its snapshot after the commit. */
	txn_expect_str(rd, "k", "committed");
	txn_expect_absent(rd, "u");
	kv_txn_abort(rd);
	kvt_expect_str(db, "k", "dirty");
	kvt_expect_str(db, "u", "dirty");
	kvt_close(db);
}
END_TEST

START_TEST(test_db__zero_copy_lifetime)
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

/* ------------------------------------------------------------------ */
/* Threads sharing one handle.                                          */

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

START_TEST(test_db__threads_shared_handle)
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

START_TEST(test_db__writer_waits_for_writer)
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

/* ------------------------------------------------------------------ */
/* Open flags, files, detection.                                        */

START_TEST(test_db__readonly_open)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;
	static const bytes keys[] = { B("k") };

	kvt_put_str(db, "k", "v");
	kvt_close(db);

	db = kvt_open(KV_OPEN_READONLY);
	kvt_assert_status(kv_db_put(db, "k", 1, "w", 1, 0), KV_EREADONLY);
	ck_assert_msg(kv_db_errmsg(db)[0] != '\0', "no message for EREADONLY");
	kvt_assert_status(kv_db_put(db, "n", 1, "w", 1, KV_PUT_NOOVERWRITE),
	                  KV_EREADONLY);
	kvt_assert_status(kv_db_del(db, "k", 1), KV_EREADONLY);
	kvt_expect_str(db, "k", "v");
	kvt_expect_absent(db, "n");
	expect_iter(db, NULL, NULL, 0, keys, NULL, 1);

	/* A read transaction refuses writes as well. */
	kvt_assert_ok(db, kv_txn_begin(&txn, db, KV_TXN_READONLY));
	txn_expect_str(txn, "k", "v");
	kvt_assert_status(kv_txn_put(txn, "k", 1, "w", 1, 0), KV_EREADONLY);
	kvt_assert_status(kv_txn_del(txn, "k", 1), KV_EREADONLY);
	kv_txn_abort(txn);
	kvt_close(db);

	db = kvt_open(KV_OPEN_READWRITE);
	kvt_expect_str(db, "k", "v");
	kvt_close(db);
}
END_TEST

START_TEST(test_db__write_txn_on_readonly_handle)
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

/* Is the directory empty (apart from . and ..)? */
static int dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	ck_assert_msg(d != NULL, "opendir(%s): %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

/* Try uri with flags; expect want, a message naming path, no handle. */
static void expect_open_fails(const char *uri, const char *path,
                              unsigned int flags, kv_status want)
{
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	kv_db *db = NULL;
	kv_status rc;
	const char *msg;

	opts.flags = flags;
	rc = kv_db_open(&db, uri, &opts);
	if (rc == KV_OK)
		kv_db_close(db);
	ck_assert_msg(rc == want, "open %s (flags %#x): got %s, want %s", uri,
	              flags, kv_strerror(rc), kv_strerror(want));
	ck_assert_ptr_null(db);
	msg = kv_errmsg();
	ck_assert_msg(msg != NULL && strstr(msg, path) != NULL,
	              "open %s: message '%s' does not name the file", uri,
	              msg ? msg : "(null)");
}

/* Every way to name path: plain, and each backend's URI. */
static void expect_open_fails_all(const char *path, unsigned int flags,
                                  kv_status want)
{
	char uri[KVT_PATH_MAX + 16];
	size_t i;

	expect_open_fails(path, path, flags, want);
	for (i = 0; kvt_backends[i] != NULL; i++) {
		snprintf(uri, sizeof uri, "%s:%s", kvt_backends[i], path);
		expect_open_fails(uri, path, flags, want);
	}
}

START_TEST(test_db__missing_enoent)
{
	char path[KVT_PATH_MAX];
	struct stat sb;

	kvt_path(path, "missing");
	expect_open_fails_all(path, KV_OPEN_READWRITE, KV_ENOENT);
	expect_open_fails_all(path, KV_OPEN_READONLY, KV_ENOENT);
	ck_assert_msg(stat(path, &sb) != 0 && errno == ENOENT,
	              "a failed open created %s", path);
	ck_assert_msg(dir_is_empty(kvt_dir),
	              "a failed open left files in %s", kvt_dir);
}
END_TEST

START_TEST(test_db__open_directory)
{
	char path[KVT_PATH_MAX];

	kvt_path(path, "adir");
	ck_assert_int_eq(mkdir(path, 0700), 0);
	expect_open_fails_all(path, KV_OPEN_READWRITE, KV_EFORMAT);
	expect_open_fails_all(path, KV_OPEN_READONLY, KV_EFORMAT);
	expect_open_fails_all(path, KV_OPEN_CREATE, KV_EFORMAT);
	ck_assert_msg(dir_is_empty(path), "a failed open wrote into %s", path);
}
END_TEST

START_TEST(test_db__open_empty_file)
{
	char path[KVT_PATH_MAX];
	struct stat sb;

	kvt_path(path, "empty");
	kvt_write_file(path, "", 0);
	expect_open_fails_all(path, KV_OPEN_READWRITE, KV_EFORMAT);
	expect_open_fails_all(path, KV_OPEN_READONLY, KV_EFORMAT);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_msg(sb.st_size == 0, "a failed open wrote %lld bytes to %s",
	              (long long)sb.st_size, path);
}
END_TEST

START_TEST(test_db__open_random_bytes)
{
	const size_t len = 16384;
	unsigned char *data = malloc(len);
	unsigned char *after = malloc(len);
	char path[KVT_PATH_MAX];
	FILE *f;

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(after);
	kvt_fill_random(data, len, 42);
	kvt_path(path, "noise");
	kvt_write_file(path, data, len);
	expect_open_fails_all(path, KV_OPEN_READWRITE, KV_EFORMAT);
	expect_open_fails_all(path, KV_OPEN_READONLY, KV_EFORMAT);
	/* "Create if absent" must not overwrite a foreign file. */
	expect_open_fails_all(path, KV_OPEN_CREATE, KV_EFORMAT);

	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(fread(after, 1, len, f) == len && fgetc(f) == EOF,
	              "%s changed size after failed opens", path);
	fclose(f);
	ck_assert_msg(memcmp(data, after, len) == 0,
	              "a failed open modified %s", path);
	free(data);
	free(after);
}
END_TEST

/* Open name with flags: a damaged store is KV_EFORMAT or KV_ECORRUPT,
 * never success or misuse, and the message names path. */
static void expect_damaged_fails_one(const char *name, const char *path,
                                     unsigned int flags)
{
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	kv_db *db = NULL;
	kv_status rc;
	const char *msg;

	opts.flags = flags;
	rc = kv_db_open(&db, name, &opts);
	if (rc == KV_OK)
		kv_db_close(db);
	msg = kv_errmsg();
	ck_assert_msg(rc == KV_EFORMAT || rc == KV_ECORRUPT,
	              "open %s (flags %#x): got %s, want KV_EFORMAT or "
	              "KV_ECORRUPT (message: %s)", name, flags, kv_strerror(rc),
	              msg);
	ck_assert_msg(strstr(msg, path) != NULL,
	              "open %s: message '%s' does not name the file", name, msg);
}

/* The same for the plain path and each backend's URI. */
static void expect_damaged_fails(const char *path, unsigned int flags)
{
	char uri[KVT_PATH_MAX + 16];
	size_t i;

	expect_damaged_fails_one(path, path, flags);
	for (i = 0; kvt_backends[i] != NULL; i++) {
		snprintf(uri, sizeof uri, "%s:%s", kvt_backends[i], path);
		expect_damaged_fails_one(uri, path, flags);
	}
}

/* Noise behind each backend's magic, so the probe accepts the file and
 * the backend itself must reject what follows. */
START_TEST(test_db__open_damaged_store)
{
	const size_t len = 16384;
	unsigned char *data = malloc(len);
	unsigned char *after = malloc(len);
	char path[KVT_PATH_MAX];
	unsigned long long seed;
	FILE *f;

	ck_assert_ptr_nonnull(data);
	ck_assert_ptr_nonnull(after);
	for (seed = 1; seed <= 8; seed++) {
		size_t off;

		kvt_fill_random(data, len, seed);
		if (seed % 2) {
			memcpy(data, "SQLite format 3", 16);
		} else {
			/* LMDB meta pages 0 and 1: P_META flags, magic,
			 * version 1 (little-endian). */
			for (off = 0; off <= 4096; off += 4096) {
				static const unsigned char meta[] = {
					0xde, 0xc0, 0xef, 0xbe, 1, 0, 0, 0
				};
				data[off + 10] = 0x08;
				data[off + 11] = 0x00;
				memcpy(data + off + 16, meta, sizeof meta);
			}
		}
		snprintf(path, sizeof path, "%s/damaged%llu", kvt_dir, seed);
		kvt_write_file(path, data, len);
		expect_damaged_fails(path, KV_OPEN_READWRITE);
		expect_damaged_fails(path, KV_OPEN_READONLY);
		expect_damaged_fails(path, KV_OPEN_CREATE);

		f = fopen(path, "rb");
		ck_assert_ptr_nonnull(f);
		ck_assert_msg(fread(after, 1, len, f) == len && fgetc(f) == EOF,
		              "%s changed size after failed opens", path);
		fclose(f);
		ck_assert_msg(memcmp(data, after, len) == 0,
		              "a failed open modified %s", path);
	}
	free(data);
	free(after);
}
END_TEST

START_TEST(test_db__wrong_backend_uri)
{
	char path[KVT_PATH_MAX], uri[KVT_PATH_MAX + 16];
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	size_t i;

	kvt_put_str(db, "k", "v");
	kvt_close(db);
	kvt_path(path, "store");
	for (i = 0; kvt_backends[i] != NULL; i++) {
		if (strcmp(kvt_backends[i], kvt_backend) == 0)
			continue;
		snprintf(uri, sizeof uri, "%s:%s", kvt_backends[i], path);
		expect_open_fails(uri, path, KV_OPEN_READWRITE, KV_EFORMAT);
		expect_open_fails(uri, path, KV_OPEN_CREATE, KV_EFORMAT);
		expect_open_fails(uri, path, KV_OPEN_READONLY, KV_EFORMAT);
	}
	db = kvt_open(KV_OPEN_READWRITE);
	kvt_expect_str(db, "k", "v");
	kvt_close(db);
}
END_TEST

START_TEST(test_db__truncate)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_stat st = KV_STAT_INIT;

	kvt_put_str(db, "a", "1");
	kvt_put_str(db, "b", "2");
	kvt_put_str(db, "c", "3");
	kvt_close(db);

	db = kvt_open(KV_OPEN_TRUNCATE);
	kvt_assert_ok(db, kv_db_stat(&st, db));
	ck_assert_msg(st.count == 0, "count after truncate %llu", st.count);
	kvt_expect_absent(db, "a");
	expect_iter(db, NULL, NULL, 0, NULL, NULL, 0);
	kvt_put_str(db, "new", "x");
	kvt_close(db);

	db = kvt_open(KV_OPEN_READONLY);
	ck_assert_str_eq(kv_db_backend(db), kvt_backend);
	expect_iter(db, NULL, NULL, 0, (const bytes[]){ B("new") }, NULL, 1);
	kvt_close(db);

	/* Truncate also creates a missing store. */
	{
		char uri[KVT_PATH_MAX];
		kv_open_options opts = KV_OPEN_OPTIONS_INIT;

		opts.flags = KV_OPEN_TRUNCATE;
		db = NULL;
		kvt_assert_ok(db, kv_db_open(&db, kvt_uri(uri, "fresh"), &opts));
		kvt_put_str(db, "x", "y");
		kvt_close(db);
	}
}
END_TEST

START_TEST(test_db__plain_path_new_is_sqlite)
{
	char path[KVT_PATH_MAX];
	kv_db *db = NULL;

	kvt_path(path, "plain.db");
	kvt_assert_ok(db, kv_db_open(&db, path, NULL));
	ck_assert_str_eq(kv_db_backend(db), "sqlite");
	ck_assert_str_eq(kv_db_path(db), path);
	kvt_put_str(db, "k", "v");
	kvt_close(db);

	db = NULL;
	kvt_assert_ok(db, kv_db_open(&db, path, NULL));
	ck_assert_str_eq(kv_db_backend(db), "sqlite");
	kvt_expect_str(db, "k", "v");
	kvt_close(db);
}
END_TEST

START_TEST(test_db__plain_path_detects_backend)
{
	char path[KVT_PATH_MAX];
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	unsigned int flags[] = { KV_OPEN_READWRITE, KV_OPEN_READONLY,
	                         KV_OPEN_CREATE };
	size_t i;

	kvt_put_str(db, "k", "v");
	kvt_close(db);

	kvt_path(path, "store");
	for (i = 0; i < NELEM(flags); i++) {
		db = NULL;
		opts.flags = flags[i];
		kvt_assert_ok(db, kv_db_open(&db, path, &opts));
		ck_assert_msg(strcmp(kv_db_backend(db), kvt_backend) == 0,
		              "plain path (flags %#x) detected as %s, made by %s",
		              flags[i], kv_db_backend(db), kvt_backend);
		ck_assert_str_eq(kv_db_path(db), path);
		kvt_expect_str(db, "k", "v");
		kvt_close(db);
	}
}
END_TEST

/* Mode bits of the store file made with this opts.mode (0: default). */
static unsigned int new_store_mode(unsigned int mode)
{
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	char path[KVT_PATH_MAX];
	struct stat sb;
	mode_t old = umask(022);
	kv_db *db;

	opts.mode = mode;
	db = kvt_open_opts(&opts);
	kvt_put_str(db, "k", "v");
	kvt_close(db);
	umask(old);
	ck_assert_int_eq(stat(kvt_path(path, "store"), &sb), 0);
	return (unsigned int)(sb.st_mode & 07777);
}

START_TEST(test_db__file_mode_default)
{
	unsigned int m = new_store_mode(0);

	ck_assert_msg(m == 0600, "default mode %04o, want 0600", m);
}
END_TEST

START_TEST(test_db__file_mode_option)
{
	unsigned int m = new_store_mode(0640);

	ck_assert_msg(m == 0640, "mode %04o, want 0640", m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Misuse.                                                              */

/* expr must give KV_EINVAL and leave a message on the thread or db. */
#define expect_einval(db, expr)                                             \
	do {                                                                \
		kv_status rc_ = (expr);                                     \
		const char *gm_, *dm_;                                      \
		ck_assert_msg(rc_ == KV_EINVAL, "%s: got %s, want KV_EINVAL", \
		              #expr, kv_strerror(rc_));                     \
		gm_ = kv_errmsg();                                          \
		ck_assert_msg(gm_ != NULL, "kv_errmsg() returned NULL");    \
		if (gm_[0] == '\0' && (db) != NULL) {                       \
			dm_ = kv_db_errmsg(db);                             \
			ck_assert_msg(dm_ != NULL && dm_[0] != '\0',        \
			              "%s: no message", #expr);             \
		} else {                                                    \
			ck_assert_msg(gm_[0] != '\0', "%s: no message",     \
			              #expr);                               \
		}                                                           \
	} while (0)

START_TEST(test_db__null_args_open)
{
	char uri[KVT_PATH_MAX];
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	kv_db *db = NULL;
	kv_db *none = NULL;

	kvt_uri(uri, "store");
	expect_einval(none, kv_db_open(NULL, uri, NULL));
	expect_einval(none, kv_db_open(&db, NULL, NULL));
	ck_assert_ptr_null(db);
	opts.flags = 0x100;
	expect_einval(none, kv_db_open(&db, uri, &opts));
	ck_assert_ptr_null(db);

	/* Destructors and accessors take NULL without crashing. */
	kv_db_close(NULL);
	kv_free(NULL);
	kv_txn_abort(NULL);
	kv_iter_free(NULL);
	ck_assert_ptr_nonnull(kv_db_errmsg(NULL));
	ck_assert_ptr_null(kv_txn_db(NULL));
	(void)kv_db_backend(NULL);
	(void)kv_db_path(NULL);
}
END_TEST

START_TEST(test_db__null_args_db)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_db *none = NULL;
	kv_stat st = KV_STAT_INIT;
	void *v = NULL;
	size_t vl = 0;

	kvt_put_str(db, "k", "v");
	expect_einval(none, kv_db_get(&v, &vl, NULL, "k", 1));
	expect_einval(db, kv_db_get(NULL, &vl, db, "k", 1));
	expect_einval(db, kv_db_get(&v, NULL, db, "k", 1));
	expect_einval(db, kv_db_get(&v, &vl, db, NULL, 1));
	ck_assert_ptr_null(v);
	expect_einval(none, kv_db_put(NULL, "k", 1, "v", 1, 0));
	expect_einval(db, kv_db_put(db, NULL, 1, "v", 1, 0));
	expect_einval(db, kv_db_put(db, "k", 1, NULL, 1, 0));
	expect_einval(db, kv_db_put(db, "k", 1, "v", 1, 0x80));
	expect_einval(none, kv_db_del(NULL, "k", 1));
	expect_einval(db, kv_db_del(db, NULL, 1));
	expect_einval(none, kv_db_sync(NULL));
	expect_einval(db, kv_db_stat(NULL, db));
	expect_einval(none, kv_db_stat(&st, NULL));
	expect_einval(none, kv_txn_begin(NULL, db, 0));
	expect_einval(none, kv_txn_begin(NULL, db, KV_TXN_READONLY));
	{
		kv_txn *txn = NULL;
		expect_einval(none, kv_txn_begin(&txn, NULL, 0));
		ck_assert_ptr_null(txn);
	}
	/* None of it touched the data. */
	kvt_expect_str(db, "k", "v");
	kvt_close(db);
}
END_TEST

START_TEST(test_db__null_args_txn)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_db *none = NULL;
	kv_txn *txn = NULL;
	const void *p = NULL;
	size_t pl = 0;

	kvt_put_str(db, "k", "v");
	expect_einval(none, kv_txn_commit(NULL));
	expect_einval(none, kv_txn_get(&p, &pl, NULL, "k", 1));
	expect_einval(none, kv_txn_put(NULL, "k", 1, "v", 1, 0));
	expect_einval(none, kv_txn_del(NULL, "k", 1));

	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	expect_einval(db, kv_txn_get(NULL, &pl, txn, "k", 1));
	expect_einval(db, kv_txn_get(&p, NULL, txn, "k", 1));
	expect_einval(db, kv_txn_get(&p, &pl, txn, NULL, 1));
	expect_einval(db, kv_txn_put(txn, NULL, 1, "v", 1, 0));
	expect_einval(db, kv_txn_put(txn, "k", 1, NULL, 1, 0));
	expect_einval(db, kv_txn_del(txn, NULL, 1));
	/* The transaction is still usable after misuse. */
	kvt_assert_ok(db, kv_txn_put(txn, "k2", 2, "v2", 2, 0));
	kvt_assert_ok(db, kv_txn_commit(txn));
	kvt_expect_str(db, "k2", "v2");
	kvt_close(db);
}
END_TEST

START_TEST(test_db__null_args_iter)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_db *none = NULL;
	kv_iter *it = NULL;
	const void *k = NULL;
	size_t kl = 0;

	kvt_put_str(db, "k", "v");
	expect_einval(db, kv_iter_new(NULL, db, NULL, NULL, 0));
	expect_einval(none, kv_iter_new(&it, NULL, NULL, NULL, 0));
	expect_einval(db, kv_iter_new(&it, db, NULL, NULL, 3));
	ck_assert_ptr_null(it);
	expect_einval(none, kv_iter_next(NULL, &k, &kl, NULL, NULL));
	expect_einval(none, kv_iter_seek(NULL, "k", 1));

	kvt_assert_ok(db, kv_iter_new(&it, db, NULL, NULL, 0));
	expect_einval(db, kv_iter_seek(it, NULL, 1));
	kvt_assert_ok(db, kv_iter_next(it, &k, &kl, NULL, NULL));
	ck_assert_msg(kl == 1 && memcmp(k, "k", 1) == 0, "iterated wrong key");
	kv_iter_free(it);
	kvt_close(db);
}
END_TEST

START_TEST(test_db__second_writer_ebusy)
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
	txn_expect_absent(rd, "a");
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

/* ------------------------------------------------------------------ */
/* Durability, counters, status names.                                  */

START_TEST(test_db__batched_durability)
{
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	kv_stat st = KV_STAT_INIT;
	kv_txn *txn = NULL;
	char k[32], v[32];
	kv_db *db;
	int i;

	opts.durability = KV_DURABLE_BATCHED;
	opts.sync_interval_ms = 50;
	db = kvt_open_opts(&opts);
	for (i = 0; i < 300; i++) {
		snprintf(k, sizeof k, "metric/%04d", i);
		snprintf(v, sizeof v, "%d.5", i);
		kvt_put_str(db, k, v);
	}
	kvt_assert_ok(db, kv_txn_begin(&txn, db, 0));
	for (i = 300; i < 400; i++) {
		int kl = snprintf(k, sizeof k, "metric/%04d", i);
		int vl = snprintf(v, sizeof v, "%d.5", i);
		kvt_assert_ok(db, kv_txn_put(txn, k, (size_t)kl, v,
		                             (size_t)vl, 0));
	}
	kvt_assert_ok(db, kv_txn_commit(txn));
	kvt_assert_ok(db, kv_db_sync(db));
	/* Commits after the last explicit sync are flushed by close. */
	for (i = 400; i < 500; i++) {
		snprintf(k, sizeof k, "metric/%04d", i);
		snprintf(v, sizeof v, "%d.5", i);
		kvt_put_str(db, k, v);
	}
	kvt_close(db);

	db = kvt_open(KV_OPEN_READONLY);
	for (i = 0; i < 500; i++) {
		snprintf(k, sizeof k, "metric/%04d", i);
		snprintf(v, sizeof v, "%d.5", i);
		kvt_expect_str(db, k, v);
	}
	kvt_assert_ok(db, kv_db_stat(&st, db));
	ck_assert_msg(st.count == 500, "count %llu, want 500", st.count);
	kvt_close(db);

	/* Syncing a default (synchronous) store is harmless. */
	db = kvt_open(KV_OPEN_READWRITE);
	kvt_assert_ok(db, kv_db_sync(db));
	kvt_close(db);
}
END_TEST

START_TEST(test_db__stat_count)
{
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_stat st = KV_STAT_INIT;
	char k[16];
	int i;

	kvt_assert_ok(db, kv_db_stat(&st, db));
	ck_assert_msg(st.count == 0, "new store count %llu", st.count);
	ck_assert_uint_eq(st.version, KV_STAT_VERSION);
	for (i = 0; i < 10; i++) {
		snprintf(k, sizeof k, "key%d", i);
		kvt_put_str(db, k, "v");
	}
	kvt_put_str(db, "key3", "overwritten");
	kvt_assert_ok(db, kv_db_stat(&st, db));
	ck_assert_msg(st.count == 10, "count %llu, want 10", st.count);
	ck_assert_msg(st.file_size > 0, "file_size 0 for a store with data");
	kvt_assert_ok(db, kv_db_del(db, "key5", 4));
	kvt_assert_ok(db, kv_db_stat(&st, db));
	ck_assert_msg(st.count == 9, "count %llu after delete, want 9",
	              st.count);
	kvt_close(db);

	db = kvt_open(KV_OPEN_READONLY);
	kvt_assert_ok(db, kv_db_stat(&st, db));
	ck_assert_msg(st.count == 9, "count %llu after reopen, want 9",
	              st.count);
	kvt_close(db);
}
END_TEST

START_TEST(test_db__strerror_names)
{
	static const char *const names[] = {
		"KV_OK", "KV_NOTFOUND", "KV_EXISTS", "KV_EREADONLY",
		"KV_ESCHEMA", "KV_ECORRUPT", "KV_EFINALIZING", "KV_EFORKED",
		"KV_EBUSY", "KV_EFULL", "KV_EINVAL", "KV_EIO", "KV_ENOMEM",
		"KV_EFORMAT", "KV_ENOENT", "KV_ETOOBIG"
	};
	const char *s[NELEM(names)];
	const char *unknown;
	size_t i, j;

	for (i = 0; i < NELEM(names); i++) {
		s[i] = kv_strerror((kv_status)i);
		ck_assert_msg(s[i] != NULL && s[i][0] != '\0',
		              "kv_strerror(%zu) empty", i);
		ck_assert_msg(strstr(s[i], names[i]) != NULL,
		              "kv_strerror(%zu) = '%s' does not name %s", i, s[i],
		              names[i]);
	}
	for (i = 0; i < NELEM(names); i++)
		for (j = i + 1; j < NELEM(names); j++)
			ck_assert_msg(strcmp(s[i], s[j]) != 0,
			              "kv_strerror(%zu) == kv_strerror(%zu)", i, j);
	unknown = kv_strerror((kv_status)999);
	ck_assert_msg(unknown != NULL && unknown[0] != '\0',
	              "kv_strerror(999) empty");
	unknown = kv_strerror((kv_status)-1);
	ck_assert_msg(unknown != NULL && unknown[0] != '\0',
	              "kv_strerror(-1) empty");
}
END_TEST

static void populate(Suite *s)
{
	TCase *tc = kvt_tcase(s, "core", 30);

	tcase_add_test(tc, test_db__reopen_keeps_data);
	tcase_add_test(tc, test_db__backend_and_path);
	tcase_add_test(tc, test_db__empty_value);
	tcase_add_test(tc, test_db__binary_keys);
	tcase_add_test(tc, test_db__empty_key_refused);
	tcase_add_test(tc, test_db__prefix_bounds);
	tcase_add_test(tc, test_db__prefix_ff_edge);
	tcase_add_test(tc, test_db__prefix_no_match);
	tcase_add_test(tc, test_db__iter_seek);
	tcase_add_test(tc, test_db__put_nooverwrite);
	tcase_add_test(tc, test_db__delete);
	tcase_add_test(tc, test_db__rollback);
	tcase_add_test(tc, test_db__read_your_writes);
	tcase_add_test(tc, test_db__snapshot_isolation);
	tcase_add_test(tc, test_db__uncommitted_invisible);
	tcase_add_test(tc, test_db__zero_copy_lifetime);
	tcase_add_test(tc, test_db__second_writer_ebusy);
	tcase_add_test(tc, test_db__batched_durability);
	tcase_add_test(tc, test_db__stat_count);
	tcase_add_test(tc, test_db__strerror_names);

	tc = kvt_tcase(s, "files", 30);
	tcase_add_test(tc, test_db__readonly_open);
	tcase_add_test(tc, test_db__write_txn_on_readonly_handle);
	tcase_add_test(tc, test_db__missing_enoent);
	tcase_add_test(tc, test_db__open_directory);
	tcase_add_test(tc, test_db__open_empty_file);
	tcase_add_test(tc, test_db__open_random_bytes);
	tcase_add_test(tc, test_db__open_damaged_store);
	tcase_add_test(tc, test_db__wrong_backend_uri);
	tcase_add_test(tc, test_db__truncate);
	tcase_add_test(tc, test_db__plain_path_new_is_sqlite);
	tcase_add_test(tc, test_db__plain_path_detects_backend);
	tcase_add_test(tc, test_db__file_mode_default);
	tcase_add_test(tc, test_db__file_mode_option);

	tc = kvt_tcase(s, "misuse", 30);
	tcase_add_test(tc, test_db__null_args_open);
	tcase_add_test(tc, test_db__null_args_db);
	tcase_add_test(tc, test_db__null_args_txn);
	tcase_add_test(tc, test_db__null_args_iter);

	tc = kvt_tcase(s, "big", 120);
	tcase_add_test(tc, test_db__large_value);
	tcase_add_test(tc, test_db__many_keys_ordered);

	tc = kvt_tcase(s, "threads", 120);
	tcase_add_test(tc, test_db__threads_shared_handle);
	tcase_add_test(tc, test_db__writer_waits_for_writer);
}

int main(void)
{
	return kvt_main("db", populate);
}
