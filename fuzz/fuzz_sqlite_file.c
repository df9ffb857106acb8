/*
 * fuzz/fuzz_sqlite_file.c - damaged SQLite store files.
 *
 * The input is written as an SQLite store file, which is then opened
 * read-only and read, iterated and verified, then opened for writing and
 * written.  Every outcome must be a clean error with a message, or
 * correct data: a sealed record the iterator shows reads back with the
 * same bytes (or fails its seal), and a value libkv wrote reads back as
 * written.
 *
 * Only sealed records can be held to that.  A damaged index can make
 * SQLite answer a lookup with another row; the seal covers the key, so a
 * sealed record then fails with KV_ECORRUPT, but an unsealed one (written
 * by another program) has nothing to check it against.  So the reread
 * check skips the keys that kv_db_verify lists as unsealed, and every key
 * when verify itself could not finish.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define MAX_KEYS 256
#define MAX_KEY_LEN 64

/* What verify said about the store: its unsealed keys (up to MAX_KEYS of
 * up to MAX_KEY_LEN bytes; longer ones make every key unchecked). */
struct unsealed {
	int known; /* verify finished and every unsealed key fit */
	size_t n;
	size_t len[MAX_KEYS];
	unsigned char key[MAX_KEYS][MAX_KEY_LEN];
};

static struct unsealed unsealed;

/* Statuses a damaged or foreign file may give, besides KV_OK. */
#define DAMAGE 8, KV_NOTFOUND, KV_ECORRUPT, KV_EFORMAT, KV_EIO, KV_EKEY, \
	KV_ESCHEMA, KV_EREADONLY, KV_ETOOBIG

static void clean_error(kv_status st, kv_db *db, const char *what)
{
	const char *msg = db ? kv_db_errmsg(db) : kv_errmsg();

	fz_expect(st, what, DAMAGE);
	if (st != KV_OK && st != KV_NOTFOUND && (msg == NULL || *msg == '\0'))
		fz_fail("%s: %s without a message", what, kv_strerror(st));
}

static int note_unsealed(kv_problem problem, const void *key,
                         size_t key_len, const char *message, void *payload)
{
	(void)message;
	(void)payload;
	if (problem != KV_PROBLEM_UNSEALED)
		return 0;
	if (unsealed.n == MAX_KEYS || key_len > MAX_KEY_LEN) {
		unsealed.known = 0;
		return 1;
	}
	memcpy(unsealed.key[unsealed.n], key, key_len);
	unsealed.len[unsealed.n++] = key_len;
	return 0;
}

/* Can a reread of key be held to the bytes the iterator showed? */
static int checkable(const void *k, size_t klen)
{
	size_t i;

	if (!unsealed.known)
		return 0;
	for (i = 0; i < unsealed.n; i++)
		if (unsealed.len[i] == klen && memcmp(unsealed.key[i], k, klen) == 0)
			return 0;
	return 1;
}

/* A key the iterator showed must read back the same, or fail. */
static void reread(kv_db *db, const void *k, size_t klen, const void *v,
                   size_t vlen)
{
	void *got = NULL;
	size_t len = 0;
	kv_status st = kv_db_get(&got, &len, db, k, klen);

	clean_error(st, db, "get");
	if (st == KV_OK && checkable(k, klen) &&
	    (len != vlen || (len && memcmp(got, v, len) != 0)))
		fz_fail("get of a sealed record returns other bytes than the "
		        "iterator showed");
	kv_free(got);
}

static void iterate(kv_db *db)
{
	kv_iter *it = NULL;
	const void *k, *v;
	size_t klen, vlen, n = 0;
	kv_status st = kv_iter_new(&it, db, NULL, NULL, 0);
	unsigned char *copy;

	clean_error(st, db, "iter_new");
	while (st == KV_OK && n++ < MAX_KEYS &&
	       (st = kv_iter_next(it, &k, &klen, &v, &vlen)) == KV_OK) {
		copy = malloc(klen + vlen + 1);
		if (copy == NULL)
			fz_fail("out of memory");
		memcpy(copy, k, klen);
		if (vlen > 0)
			memcpy(copy + klen, v, vlen);
		reread(db, copy, klen, copy + klen, vlen);
		free(copy);
	}
	clean_error(st, db, "iter_next");
	kv_iter_free(it);
}

static int count_schema(const char *name, unsigned int version,
                        const char *prefix, void *payload)
{
	(void)name;
	(void)version;
	(void)prefix;
	++*(int *)payload;
	return 0;
}

static void read_all(kv_db *db)
{
	kv_verify_report rep = KV_VERIFY_REPORT_INIT;
	kv_stat sb = KV_STAT_INIT;
	unsigned long bad = 0;
	int schemas = 0;
	char *rec = NULL;

	kv_status st;

	unsealed.n = 0;
	unsealed.known = 1;
	st = kv_db_verify(&rep, db, note_unsealed, NULL, NULL);
	clean_error(st, db, "verify");
	if (st != KV_OK)
		unsealed.known = 0;
	iterate(db);
	clean_error(kv_record_get(&rec, db, NULL, "runs/1"), db, "record_get");
	kv_free(rec);
	clean_error(kv_db_stat(&sb, db), db, "stat");
	clean_error(kv_schema_list(db, count_schema, &schemas), db, "schemas");
	clean_error(kv_schema_check(&bad, db, NULL, NULL, NULL), db, "check");
}

/* Did kv_db_verify see anything wrong with the store? */
static int verify_objects(kv_db *db)
{
	kv_verify_report rep = KV_VERIFY_REPORT_INIT;
	kv_status st = kv_db_verify(&rep, db, NULL, NULL, NULL);

	clean_error(st, db, "verify after put");
	return st != KV_OK || rep.corrupt || rep.unsealed || !rep.digest_ok;
}

/* Writes on a damaged file fail cleanly; one that succeeds reads back,
 * or -- when the damage hands back another, unsealed row for the key,
 * which no seal can question -- verify reports the store. */
static void write_some(kv_db *db)
{
	static const char val[] = "{\"lr\":0.5,\"dataset\":\"fuzz\"}";
	void *got = NULL;
	size_t len = 0;
	kv_status st = kv_db_put(db, "fuzz/k", 6, val, sizeof val - 1, 0);

	clean_error(st, db, "put");
	if (st == KV_OK) {
		st = kv_db_get(&got, &len, db, "fuzz/k", 6);
		clean_error(st, db, "get after put");
		if (st == KV_OK &&
		    (len != sizeof val - 1 || memcmp(got, val, len) != 0) &&
		    !verify_objects(db))
			fz_fail("a value written to a damaged file reads back "
			        "differently, and verify finds nothing wrong");
		kv_free(got);
	}
	clean_error(kv_db_del(db, "fuzz/k", 6), db, "del");
	clean_error(kv_record_put(db, NULL, "runs/1", val), db, "record_put");
}

static void open_and(const char *uri, unsigned int flags)
{
	kv_open_options o = KV_OPEN_OPTIONS_INIT;
	kv_db *db = NULL;
	kv_status st;

	o.flags = flags;
	st = kv_db_open(&db, uri, &o);
	clean_error(st, NULL, "open");
	if (st != KV_OK)
		return;
	read_all(db);
	if (flags != KV_OPEN_READONLY)
		write_some(db);
	clean_error(kv_db_close(db), NULL, "close");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fz_path(0, "damaged.sqlite");
	char uri[600];

	if (size > 1 << 20)
		return 0;
	fz_setup(KV_WARNINGS_ALWAYS);
	fz_remove_store(path);
	fz_write_file(path, data, size);
	snprintf(uri, sizeof uri, "sqlite:%s", path);
	open_and(uri, KV_OPEN_READONLY);
	open_and(uri, KV_OPEN_READWRITE);
	fz_remove_store(path);
	return 0;
}
