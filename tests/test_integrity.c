/*
 * tests/test_integrity.c - behaviour of sealed records, the store-wide
 * digest, kv_db_verify, kv_db_seal and keyed stores (kv/integrity.h).
 *
 * Damage is done behind libkv's back by child processes while the store
 * is closed: Python's sqlite3 module on SQLite stores (the statements
 * dbm.sqlite3 uses), mdb_dump | awk | mdb_load on LMDB stores.  Tests
 * never include a backend's own header.  Every test runs on every
 * backend of the table in testutil.c.
 */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "testutil.h"

#define RUN_SCHEMA                                                          \
	"{\"name\":\"run\",\"version\":1,\"prefix\":\"runs/\",\"fields\":{" \
	"\"lr\":{\"type\":\"float\",\"required\":true}}}"

/* expr, called on the store db in scope, must succeed. */
#define OK(expr) kvt_expect_rc(db, (expr), KV_OK)

/* ---- what the verify and seal callbacks saw ---------------------------- */

typedef struct seen {
	int n, stop_after; /* problems; answer "stop" at stop_after (0: never) */
	int kinds[5];      /* problems of each kv_problem */
	char log[4096];    /* "\nKIND KEY|MESSAGE" for each problem */
	int progress_calls;
	kv_u64 last_done;
	char progress_bad[160]; /* first broken progress promise, or "" */
} seen;

static int on_problem(kv_problem what, const void *key, size_t key_len,
                      const char *message, void *payload)
{
	seen *s = payload;
	size_t used = strlen(s->log);

	s->n++;
	s->kinds[what >= 1 && what <= 4 ? what : 0]++;
	snprintf(s->log + used, sizeof s->log - used, "\n%d %.*s|%s",
	         (int)what, key ? (int)key_len : 0, key ? (const char *)key : "",
	         message ? message : "(null)");
	return s->stop_after > 0 && s->n >= s->stop_after;
}

static int on_progress(kv_u64 done, kv_u64 total, void *payload)
{
	seen *s = payload;

	if (s->progress_bad[0] == '\0' && (done > total || done < s->last_done))
		snprintf(s->progress_bad, sizeof s->progress_bad,
		         "progress (%llu of %llu) after %llu",
		         (unsigned long long)done, (unsigned long long)total,
		         (unsigned long long)s->last_done);
	s->progress_calls++;
	s->last_done = done;
	return 0;
}

/* Problem what about key ("": store-wide) was reported, and its message
 * names the key and says says (may be NULL). */
static void expect_problem(const seen *s, kv_problem what, const char *key,
                           const char *says)
{
	char needle[80], line[600];
	const char *at;

	snprintf(needle, sizeof needle, "\n%d %s|", (int)what, key);
	at = strstr(s->log, needle);
	ck_assert_msg(at != NULL, "no problem %d about '%s' in:%s", (int)what,
	              key, s->log);
	at += strlen(needle);
	snprintf(line, sizeof line, "%.*s", (int)strcspn(at, "\n"), at);
	ck_assert_msg(strstr(line, key) && (!says || strstr(line, says)),
	              "problem message '%s' does not name '%s' or say '%s'",
	              line, key, says ? says : "");
}

static void expect_report(const kv_verify_report *r, kv_u64 records,
                          kv_u64 corrupt, kv_u64 unsealed, int digest_ok,
                          int checked)
{
	ck_assert_msg(r->records == records && r->corrupt == corrupt &&
	                      r->unsealed == unsealed &&
	                      r->digest_ok == digest_ok && r->checked == checked,
	              "verify: records/corrupt/unsealed/digest_ok/checked "
	              "%llu %llu %llu %d %d, want %llu %llu %llu %d %d",
	              (unsigned long long)r->records,
	              (unsigned long long)r->corrupt,
	              (unsigned long long)r->unsealed, r->digest_ok, r->checked,
	              (unsigned long long)records, (unsigned long long)corrupt,
	              (unsigned long long)unsealed, digest_ok, checked);
}

/* kv_db_verify with both callbacks into *s must give this report and
 * keep the progress promises: done never above total nor going back, a
 * last call with every record. */
static void verify(seen *s, kv_db *db, kv_u64 records, kv_u64 corrupt,
                   kv_u64 unsealed, int digest_ok, int checked)
{
	kv_verify_report rep = KV_VERIFY_REPORT_INIT;

	memset(s, 0, sizeof *s);
	kvt_expect_rc(db, kv_db_verify(&rep, db, on_problem, on_progress, s),
	              KV_OK);
	ck_assert_msg(s->progress_bad[0] == '\0', "%s", s->progress_bad);
	ck_assert_msg(s->progress_calls >= 1 && s->last_done == rep.records,
	              "%d progress calls, the last with done %llu; want one "
	              "with done == records (%llu)", s->progress_calls,
	              (unsigned long long)s->last_done,
	              (unsigned long long)rep.records);
	expect_report(&rep, records, corrupt, unsealed, digest_ok, checked);
}

/* The store verifies clean with this many records, no problem reported. */
static void expect_clean(kv_db *db, kv_u64 records)
{
	seen s;

	verify(&s, db, records, 0, 0, 1, 1);
	ck_assert_msg(s.n == 0, "problems on a clean store:%s", s.log);
}

/* ---- damage behind libkv's back ---------------------------------------- */

/* SQLite: argv is PATH OP KEYHEX VALHEX OTHER (see damage()). */
static const char py_damage[] =
	"import sqlite3, sys\n"
	"p, op, k, v, o = sys.argv[1:6]\n"
	"k = bytes.fromhex(k); v = bytes.fromhex(v)\n"
	"c = sqlite3.connect(p)\n"
	"if op == \"change\": q = c.execute(\"UPDATE Dict SET value = CAST(? "
	"AS BLOB) WHERE key = CAST(? AS BLOB)\", (v, k))\n"
	"elif op == \"foreign\": q = c.execute(\"REPLACE INTO Dict (key, "
	"value) VALUES (CAST(? AS BLOB), CAST(? AS BLOB))\", (k, v))\n"
	"elif op == \"delete\": q = c.execute(\"DELETE FROM Dict WHERE key = "
	"CAST(? AS BLOB)\", (k,))\n"
	"elif op == \"copy\": q = c.execute(\"INSERT INTO Dict (key, value, "
	"kv_tag) SELECT CAST(? AS BLOB), value, kv_tag FROM Dict WHERE key = "
	"CAST(? AS BLOB)\", (bytes.fromhex(o), k))\n"
	"else:\n"
	" c.execute(\"ATTACH DATABASE ? AS o\", (o,))\n"
	" q = c.execute(\"REPLACE INTO main.Dict (key, value, kv_tag) SELECT "
	"key, value, kv_tag FROM o.Dict WHERE key = CAST(? AS BLOB)\", (k,))\n"
	"c.commit()\n"
	"sys.exit(0 if q.rowcount == 1 else 3)\n";

/* LMDB: edits mdb_dump output of the "data" database, whose values are
 * framed as one byte T, T bytes of tag, the value; op "only" keeps key k
 * alone.  Exits 3 when key k was not there to edit. */
static const char awk_damage[] =
	"function hv(s,  i, r) { for (i = 1; i <= length(s); i++) "
	"r = r * 16 + index(\"0123456789abcdef\", substr(s, i, 1)) - 1; "
	"return r }\n"
	"/^database=/ { db = substr($0, 10) }\n"
	"/^HEADER=END$/ { print; inside = 1; half = 0; next }\n"
	"/^DATA=END$/ { if (db == \"data\" && op == \"foreign\") "
	"{ print \" \" k; print \" 00\" v; hit = 1 } print; inside = 0; "
	"db = \"\"; next }\n"
	"inside && db == \"data\" {\n"
	" if (!half) { key = substr($0, 2); half = 1; next }\n"
	" half = 0; val = substr($0, 2)\n"
	" if (op == \"only\") { if (key == k) { hit = 1; print \" \" key; "
	"print \" \" val } next }\n"
	" if (key != k) { print \" \" key; print \" \" val; next }\n"
	" hit = 1\n"
	" if (op == \"change\") { print \" \" key; print \" \" "
	"substr(val, 1, 2 + 2 * hv(substr(val, 1, 2))) v }\n"
	" if (op == \"copy\") { print \" \" key; print \" \" val; "
	"print \" \" o; print \" \" val }\n"
	" next\n"
	"}\n"
	"{ print }\n"
	"END { exit hit ? 0 : 3 }\n";

static char *to_hex(char *out, const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", (unsigned char)s[i]);
	out[2 * n] = '\0';
	return out;
}

/*
 * Change the closed store "store" behind libkv's back:
 *  change  KEY's value becomes VAL, its seal stays (-> corrupt);
 *  foreign KEY is written as VAL by another program, with no seal;
 *  delete  KEY's record disappears (-> digest: lost);
 *  copy    KEY's record, seal and all, is copied under the key OTHER;
 *  graft   KEY's record, seal and all, is taken from the store OTHER.
 */
/* The same on the server, in SQL (hex bytea literals). */
static void pg_damage(const char *op, const char *kh, const char *vh,
                      const char *oh, const char *other)
{
	char sql[4096];

	if (strcmp(op, "change") == 0)
		snprintf(sql, sizeof sql, "UPDATE @T SET value = '\\x%s'"
		         " WHERE ns = 0 AND key = '\\x%s'", vh, kh);
	else if (strcmp(op, "foreign") == 0)
		snprintf(sql, sizeof sql, "INSERT INTO @T (ns, key, value)"
		         " VALUES (0, '\\x%s', '\\x%s') ON CONFLICT (ns, key)"
		         " DO UPDATE SET value = excluded.value, tag = NULL",
		         kh, vh);
	else if (strcmp(op, "delete") == 0)
		snprintf(sql, sizeof sql, "DELETE FROM @T WHERE ns = 0 AND"
		         " key = '\\x%s'", kh);
	else if (strcmp(op, "copy") == 0)
		snprintf(sql, sizeof sql, "INSERT INTO @T SELECT ns, '\\x%s',"
		         " value, tag FROM @T WHERE ns = 0 AND key = '\\x%s'",
		         oh, kh);
	else /* graft */
		snprintf(sql, sizeof sql, "INSERT INTO @T SELECT * FROM \"@P%s\""
		         " WHERE ns = 0 AND key = '\\x%s' ON CONFLICT (ns, key)"
		         " DO UPDATE SET value = excluded.value,"
		         " tag = excluded.tag", other, kh);
	kvt_pg_sql("store", sql);
}

static void damage(const char *op, const char *key, const char *val,
                   const char *other)
{
	static char cmd[16384];
	char kh[256], vh[1024], oh[256], from[KVT_PATH_MAX];
	int n, st;

	ck_assert_msg(strchr(kvt_dir, '\'') == NULL, "quote in %s", kvt_dir);
	ck_assert_msg(strlen(key) < 100 && (!val || strlen(val) < 500) &&
	                      (!other || strlen(other) < 100), "too long");
	to_hex(kh, key);
	to_hex(vh, val);
	to_hex(oh, other);
	if (!kvt_files()) {
		pg_damage(op, kh, vh, oh, other);
		return;
	}
	kvt_path(from, other ? other : "store");
	if (strcmp(kvt_backend, "sqlite") == 0)
		n = snprintf(cmd, sizeof cmd, "python3 -c '%s' '%s/store' %s "
		             "'%s' '%s' '%s'", py_damage, kvt_dir, op, kh, vh,
		             strcmp(op, "graft") == 0 ? from : oh);
	else if (strcmp(op, "graft") == 0)
		n = snprintf(cmd, sizeof cmd, "cd '%s' && mdb_dump -n -s data "
		             "'%s' > dump && awk -v op=only -v k=%s '%s' dump > "
		             "dump2 && mdb_load -n -s data store < dump2 "
		             "2>/dev/null && rm -f dump dump2", kvt_dir, from, kh,
		             awk_damage);
	else /* rebuilt into a new file: mdb_load cannot delete */
		n = snprintf(cmd, sizeof cmd, "cd '%s' && mdb_dump -n -a store > "
		             "dump && awk -v op=%s -v k=%s -v 'v=%s' -v 'o=%s' "
		             "'%s' dump > dump2 && mdb_load -n new < dump2 "
		             "2>/dev/null && chmod 600 new && mv new store && "
		             "rm -f store-lock new-lock dump dump2", kvt_dir, op,
		             kh, vh, oh, awk_damage);
	ck_assert_msg(n > 0 && (size_t)n < sizeof cmd, "command too long");
	st = system(cmd);
	ck_assert_msg(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	              "%s of '%s' failed (status %d): %.300s", op, key, st, cmd);
}

/* ---- small helpers ------------------------------------------------------- */

/* a, victim, z: a record on each side of the one to damage. */
static kv_db *three_records(kv_db *db)
{
	kvt_put_str(db, "a", "first value");
	kvt_put_str(db, "victim", "the value libkv sealed");
	kvt_put_str(db, "z", "last value");
	return db;
}

/* kv_db_get of key fails with KV_ECORRUPT naming it, handing out
 * nothing. */
static void expect_corrupt_get(kv_db *db, const char *key)
{
	void *v = NULL;
	size_t len = 12345;

	kvt_expect_rc(db, kv_db_get(&v, &len, db, key, strlen(key)),
	              KV_ECORRUPT);
	ck_assert_msg(v == NULL && len == 12345,
	              "a failed kv_db_get of '%s' wrote its output", key);
	kvt_expect_msg(db, "kv_db_get of a damaged record", key, NULL);
}

/* Open "store" with this key file (NULL: none given). */
static kv_db *open_keyed(const char *keyfile)
{
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;

	opts.keyfile = keyfile;
	return kvt_open_opts(&opts);
}

/* Opening "store" with keyfile fails with want; kv_errmsg says what. */
static void expect_open_fails(const char *keyfile, kv_status want,
                              const char *what)
{
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	char uri[KVT_PATH_MAX];
	kv_db *db = NULL;
	kv_status rc;

	opts.keyfile = keyfile;
	rc = kv_db_open(&db, kvt_uri(uri, "store"), &opts);
	if (rc == KV_OK)
		kv_db_close(db);
	ck_assert_msg(rc == want && db == NULL, "open with key file %s: got "
	              "%s, want %s", keyfile ? keyfile : "(none)",
	              kv_strerror(rc), kv_strerror(want));
	ck_assert_msg(strstr(kv_errmsg(), what) != NULL,
	              "open message '%s' does not say '%s'", kv_errmsg(), what);
}

/* A new key file name in the test directory; returns path. */
static char *new_key(char *path, const char *name)
{
	kv_status rc = kv_keyfile_create(kvt_path(path, name));

	ck_assert_msg(rc == KV_OK, "kv_keyfile_create(%s): %s (%s)", path,
	              kv_strerror(rc), kv_errmsg());
	return path;
}

static void keyed_teardown(void)
{
	unsetenv("KV_KEYFILE");
	kv_warnings_handler_set(NULL, NULL);
	kv_warnings_mode_set(KV_WARNINGS_DEFAULT);
}

/* ---- clean stores -------------------------------------------------------- */

/* Every way libkv writes leaves a store that verifies clean; more than
 * 4096 records give progress calls on the way. */
START_TEST(test_integrity__clean_store)
{
	kv_verify_report rep = KV_VERIFY_REPORT_INIT;
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;
	char key[16];
	seen s;
	int i;

	expect_clean(db, 0);
	OK(kv_txn_begin(&txn, db, 0));
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "k%04d", i);
		OK(kv_txn_put(txn, key, 5, key, 5, 0));
	}
	OK(kv_txn_commit(txn));
	kvt_put_str(db, "k0003", "overwritten");
	kvt_put_str(db, "k0004", "");
	OK(kv_db_del(db, "k0005", 5));
	OK(kv_db_del(db, "k0006", 5));
	kvt_expect_rc(db, kv_db_put(db, "k0007", 5, "x", 1, KV_PUT_NOOVERWRITE),
	              KV_EXISTS);
	OK(kv_txn_begin(&txn, db, 0)); /* rolled back */
	OK(kv_txn_put(txn, "gone", 4, "x", 1, 0));
	OK(kv_txn_put(txn, "k0008", 5, "y", 1, 0));
	OK(kv_txn_del(txn, "k0009", 5));
	kv_txn_abort(txn);
	OK(kv_txn_begin(&txn, db, 0));
	OK(kv_txn_put(txn, "t1", 2, "x", 1, 0));
	OK(kv_txn_put(txn, "t1", 2, "xy", 2, 0));
	OK(kv_txn_del(txn, "k0010", 5));
	OK(kv_txn_commit(txn));
	OK(kv_schema_define(db, RUN_SCHEMA));
	OK(kv_record_put(db, NULL, "runs/1", "{\"lr\":0.5}"));
	OK(kv_record_put(db, NULL, "runs/1", "{\"lr\":0.1}"));
	OK(kv_record_put(db, NULL, "runs/2", "{\"lr\":0.2}"));
	/* 5000 - 3 deleted + t1 + runs/1 + runs/2 */
	verify(&s, db, 5000, 0, 0, 1, 1);
	ck_assert_msg(s.progress_calls >= 2, "progress called %d times over "
	              "5000 records, want a call on the way and a last one",
	              s.progress_calls);
	kvt_close(db);
	db = kvt_open(KV_OPEN_READONLY);
	expect_clean(db, 5000);
	OK(kv_db_verify(&rep, db, NULL, NULL, NULL));
	expect_report(&rep, 5000, 0, 0, 1, 1);
	kvt_close(db);
}
END_TEST

/* 1000 puts and deletes in a fixed random order, in autocommit calls and
 * transactions, across reopenings: the digest keeps up. */
START_TEST(test_integrity__digest_many)
{
	enum { KEYS = 97, OPS = 1000 };
	unsigned char rnd[3 * OPS], present[KEYS] = { 0 };
	kv_db *db = kvt_open(KV_OPEN_CREATE);
	kv_txn *txn = NULL;
	kv_u64 count = 0;
	int i;

	kvt_fill_random(rnd, sizeof rnd, 20240601ULL);
	for (i = 0; i < OPS; i++) {
		int k = rnd[3 * i] % KEYS, put = rnd[3 * i + 1] % 8 < 5;
		size_t vlen = rnd[3 * i + 2] % 64;
		char key[16], val[64];
		kv_status rc;

		snprintf(key, sizeof key, "key/%02d", k);
		kvt_fill_random(val, vlen, (unsigned long long)i);
		if (i % 10 == 0) { /* this op and the next in one transaction */
			OK(kv_txn_begin(&txn, db, 0));
			OK(kv_txn_put(txn, "tmp", 3, val, vlen, 0));
		}
		if (put)
			rc = txn ? kv_txn_put(txn, key, strlen(key), val, vlen, 0)
			         : kv_db_put(db, key, strlen(key), val, vlen, 0);
		else
			rc = txn ? kv_txn_del(txn, key, strlen(key))
			         : kv_db_del(db, key, strlen(key));
		kvt_expect_rc(db, rc, put || present[k] ? KV_OK : KV_NOTFOUND);
		count += (kv_u64)(put && !present[k]) -
		         (kv_u64)(!put && present[k]);
		present[k] = (unsigned char)put;
		if (txn && i % 10 == 1) {
			OK(kv_txn_del(txn, "tmp", 3));
			OK(kv_txn_commit(txn));
			txn = NULL;
		}
		if (i % 250 == 249) {
			kvt_close(db);
			db = kvt_open(KV_OPEN_READWRITE);
			expect_clean(db, count);
		}
	}
	kvt_close(db);
	db = kvt_open(KV_OPEN_READONLY);
	expect_clean(db, count);
	kvt_close(db);
}
END_TEST

START_TEST(test_integrity__null_args)
{
	kv_verify_report rep = KV_VERIFY_REPORT_INIT;
	kv_db *db = three_records(kvt_open(KV_OPEN_CREATE));
	kv_u64 n = 77;

	kvt_expect_einval(db, kv_db_verify(NULL, db, NULL, NULL, NULL));
	kvt_expect_einval(NULL, kv_db_verify(&rep, NULL, NULL, NULL, NULL));
	rep.version = 0;
	rep.records = 77;
	kvt_expect_einval(db, kv_db_verify(&rep, db, NULL, NULL, NULL));
	ck_assert_msg(rep.records == 77, "a refused verify wrote its report");
	kvt_expect_einval(NULL, kv_db_seal(&n, NULL, NULL, NULL, NULL));
	ck_assert_msg(n == 77, "a refused seal wrote its count");
	OK(kv_db_seal(NULL, db, NULL, NULL, NULL));
	kvt_expect_einval(NULL, kv_keyfile_create(NULL));
	expect_clean(db, 3);
	kvt_close(db);
}
END_TEST

/* ---- damage -------------------------------------------------------------- */

START_TEST(test_integrity__changed_value)
{
	static const kvt_bytes keys[] = { KVT_B("a"), KVT_B("victim"),
	                                  KVT_B("z") };
	kv_db *db = three_records(kvt_open(KV_OPEN_CREATE));
	const void *k, *v = NULL;
	size_t kl, vl;
	kv_txn *txn = NULL;
	kv_iter *it = NULL;
	seen s;

	kvt_close(db);
	damage("change", "victim", "a value changed behind its back", NULL);
	db = kvt_open(KV_OPEN_READWRITE);
	expect_corrupt_get(db, "victim");
	kvt_expect_str(db, "a", "first value");

	OK(kv_txn_begin(&txn, db, KV_TXN_READONLY));
	kvt_expect_rc(db, kv_txn_get(&v, &vl, txn, "victim", 6), KV_ECORRUPT);
	ck_assert_msg(v == NULL, "a failed kv_txn_get handed out bytes");
	kvt_expect_msg(db, "kv_txn_get of a damaged record", "victim", NULL);
	kvt_txn_expect_str(txn, "z", "last value");
	/* The iterator reports the damaged record, then goes on. */
	OK(kv_iter_new(&it, db, txn, NULL, 0));
	OK(kv_iter_next(it, &k, &kl, &v, &vl));
	ck_assert_msg(kl == 1 && memcmp(k, "a", 1) == 0, "first key not a");
	kvt_expect_rc(db, kv_iter_next(it, &k, &kl, &v, &vl), KV_ECORRUPT);
	kvt_expect_msg(db, "kv_iter_next over a damaged record", "victim",
	               NULL);
	OK(kv_iter_next(it, &k, &kl, &v, &vl));
	ck_assert_msg(kl == 1 && memcmp(k, "z", 1) == 0, "after the damaged "
	              "record came '%.*s', want z", (int)kl, (const char *)k);
	kvt_expect_rc(db, kv_iter_next(it, &k, &kl, &v, &vl), KV_NOTFOUND);
	kv_iter_free(it);
	kv_txn_abort(txn);

	/* Salvage hands the damaged bytes out, to gets and iterators. */
	OK(kv_txn_begin(&txn, db, KV_TXN_READONLY | KV_TXN_SALVAGE));
	kvt_txn_expect_str(txn, "victim", "a value changed behind its back");
	kvt_expect_iter(db, txn, NULL, 0, keys, NULL, 3);
	kv_txn_abort(txn);

	verify(&s, db, 3, 1, 0, 1, 1);
	expect_problem(&s, KV_PROBLEM_CORRUPT, "victim", "seal");
	ck_assert_msg(s.n == 1, "problems:%s", s.log);
	kvt_put_str(db, "victim", "rewritten"); /* sealed afresh */
	kvt_expect_str(db, "victim", "rewritten");
	expect_clean(db, 3);
	kvt_close(db);
}
END_TEST

/* Seals are hashed from a 512-byte stack buffer, or from the heap past
 * it: records on both sides of that edge, and far past it, are sealed,
 * read back clean, and still caught when changed. */
START_TEST(test_integrity__seal_buffer_edge)
{
	/* 8 + key + value: 510 and 512 bytes fit, 513 does not. */
	static const struct { const char *key; size_t len; } recs[] = {
		{ "edge510", 495 }, { "edge512", 497 }, { "edge513", 498 },
		{ "victim", 499 }, { "big", 100000 }, { "empty", 0 },
	};
	const size_t n = sizeof recs / sizeof recs[0];
	char *val = malloc(100001), other[500];
	const void *k, *v;
	size_t i, kl, vl;
	kv_iter *it = NULL;
	kv_db *db = kvt_open(KV_OPEN_CREATE);

	ck_assert_ptr_nonnull(val);
	for (i = 0; i < n; i++) {
		memset(val, 'a' + (int)i, recs[i].len);
		OK(kv_db_put(db, recs[i].key, strlen(recs[i].key), val,
		             recs[i].len, 0));
	}
	kvt_close(db);
	db = kvt_open(KV_OPEN_READWRITE);
	for (i = 0; i < n; i++) {
		void *got = NULL;
		size_t len = 0;

		OK(kv_db_get(&got, &len, db, recs[i].key, strlen(recs[i].key)));
		ck_assert_msg(len == recs[i].len, "%s: %zu bytes, want %zu",
		              recs[i].key, len, recs[i].len);
		kv_free(got);
	}
	OK(kv_iter_new(&it, db, NULL, NULL, 0));
	for (i = 0; i < n; i++)
		OK(kv_iter_next(it, &k, &kl, &v, &vl));
	kvt_expect_rc(db, kv_iter_next(it, &k, &kl, &v, &vl), KV_NOTFOUND);
	kv_iter_free(it);
	expect_clean(db, n);
	kvt_close(db);

	memset(other, 'z', 499);
	other[499] = '\0';
	damage("change", "victim", other, NULL);
	db = kvt_open(KV_OPEN_READWRITE);
	expect_corrupt_get(db, "victim");
	kvt_close(db);
	free(val);
}
END_TEST

START_TEST(test_integrity__foreign_unsealed)
{
	static const kvt_bytes keys[] = { KVT_B("a"), KVT_B("py/1"),
	                                  KVT_B("victim"), KVT_B("z") };
	kv_db *db = three_records(kvt_open(KV_OPEN_CREATE));
	seen s;

	kvt_close(db);
	damage("foreign", "py/1", "written by dbm.sqlite3", NULL);
	db = kvt_open(KV_OPEN_READWRITE);
	kvt_expect_str(db, "py/1", "written by dbm.sqlite3");
	kvt_expect_iter(db, NULL, NULL, 0, keys, NULL, 4);
	verify(&s, db, 4, 0, 1, 1, 1);
	expect_problem(&s, KV_PROBLEM_UNSEALED, "py/1", NULL);
	ck_assert_msg(s.n == 1, "problems:%s", s.log);
	kvt_close(db);

	/* A foreign overwrite of a sealed record reads fine and is not
	 * corrupt; the digest misses the sealed record it replaced. */
	damage("foreign", "victim", "replaced by dbm.sqlite3", NULL);
	db = kvt_open(KV_OPEN_READWRITE);
	kvt_expect_str(db, "victim", "replaced by dbm.sqlite3");
	verify(&s, db, 4, 0, 2, 0, 1);
	expect_problem(&s, KV_PROBLEM_UNSEALED, "victim", NULL);
	ck_assert_msg(s.kinds[KV_PROBLEM_CORRUPT] == 0, "problems:%s", s.log);
	kvt_close(db);
}
END_TEST

/* Records lost, or added with a copied seal, show in the digest. */
START_TEST(test_integrity__digest_damage)
{
	kv_db *db = three_records(kvt_open(KV_OPEN_CREATE));
	kv_verify_report rep = KV_VERIFY_REPORT_INIT;
	seen s;

	kvt_close(db);
	damage("delete", "victim", NULL, NULL);
	db = kvt_open(KV_OPEN_READWRITE);
	kvt_expect_absent(db, "victim");
	verify(&s, db, 2, 0, 0, 0, 1);
	expect_problem(&s, KV_PROBLEM_DIGEST, "", "lost");
	kvt_put_str(db, "b", "new"); /* commits do not paper over the loss */
	OK(kv_db_del(db, "b", 1));
	verify(&s, db, 2, 0, 0, 0, 1);
	kvt_close(db);

	/* The seal covers the key: a copy under another key is corrupt. */
	damage("copy", "a", NULL, "copy");
	db = kvt_open(KV_OPEN_READWRITE);
	expect_corrupt_get(db, "copy");
	kvt_expect_str(db, "a", "first value");
	verify(&s, db, 3, 1, 0, 0, 1);
	expect_problem(&s, KV_PROBLEM_CORRUPT, "copy", NULL);
	expect_problem(&s, KV_PROBLEM_DIGEST, "", NULL);

	/* A callback that answers "stop" is not called again. */
	memset(&s, 0, sizeof s);
	s.stop_after = 1;
	(void)kv_db_verify(&rep, db, on_problem, NULL, &s);
	ck_assert_msg(s.n == 1, "called again after \"stop\":%s", s.log);
	kvt_close(db);
}
END_TEST

/* Seal adopts foreign records, leaves damage alone and recomputes the
 * digest; once the damage is deleted the store is clean. */
START_TEST(test_integrity__seal)
{
	kv_db *db = three_records(kvt_open(KV_OPEN_CREATE));
	kv_u64 adopted = 99;
	seen s;

	kvt_put_str(db, "lost", "soon gone");
	kvt_close(db);
	damage("foreign", "py/1", "one", NULL);
	damage("foreign", "py/2", "two", NULL);
	damage("change", "victim", "damaged", NULL);
	damage("delete", "lost", NULL, NULL);
	db = kvt_open(KV_OPEN_READWRITE);
	verify(&s, db, 5, 1, 2, 0, 1);

	memset(&s, 0, sizeof s);
	OK(kv_db_seal(&adopted, db, on_problem, NULL, &s));
	ck_assert_msg(adopted == 2 && s.kinds[KV_PROBLEM_UNSEALED] == 2,
	              "kv_db_seal adopted %llu, want 2; problems:%s",
	              (unsigned long long)adopted, s.log);
	expect_problem(&s, KV_PROBLEM_UNSEALED, "py/1", NULL);
	expect_problem(&s, KV_PROBLEM_UNSEALED, "py/2", NULL);
	expect_problem(&s, KV_PROBLEM_CORRUPT, "victim", NULL);
	kvt_expect_str(db, "py/1", "one");
	kvt_expect_str(db, "py/2", "two");
	verify(&s, db, 5, 1, 0, 1, 1);
	expect_problem(&s, KV_PROBLEM_CORRUPT, "victim", NULL);
	ck_assert_msg(s.n == 1, "after seal, problems:%s", s.log);

	OK(kv_db_del(db, "victim", 6));
	OK(kv_db_seal(&adopted, db, NULL, NULL, NULL));
	ck_assert_msg(adopted == 0, "second seal adopted %llu, want 0",
	              (unsigned long long)adopted);
	expect_clean(db, 4);
	kvt_close(db);
	db = kvt_open(KV_OPEN_READONLY);
	expect_clean(db, 4);
	kvt_close(db);
}
END_TEST

/* ---- keyed stores -------------------------------------------------------- */

/* Contents of a key file: 64 hex digits and a newline. */
static void read_key(char text[80], const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(text, 1, 79, f) : 0;

	if (f)
		fclose(f);
	ck_assert_msg(n == 65 && text[64] == '\n' &&
	                      strspn(text, "0123456789abcdefABCDEF") == 64,
	              "key file %s: %zu bytes, want 64 hex digits and a "
	              "newline", path, n);
}

START_TEST(test_integrity__keyfile_create)
{
	char path[KVT_PATH_MAX], other[KVT_PATH_MAX], text[80], text2[80];
	struct stat st;

	new_key(path, "key");
	ck_assert_msg(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	              "key file mode 0%o, want 0600",
	              (unsigned int)(st.st_mode & 0777));
	read_key(text, path);
	kvt_assert_status(kv_keyfile_create(path), KV_EXISTS);
	ck_assert_msg(strstr(kv_errmsg(), path) != NULL, "message '%s' does "
	              "not name %s", kv_errmsg(), path);
	read_key(text2, path);
	ck_assert_msg(memcmp(text, text2, 64) == 0, "a refused "
	              "kv_keyfile_create changed the file");
	read_key(text2, new_key(other, "key2"));
	ck_assert_msg(memcmp(text, text2, 64) != 0, "two new keys are equal");
}
END_TEST

/* A keyed store reopens with its key, refuses another, and detects
 * tampering -- even a record sealed validly in an unkeyed store. */
START_TEST(test_integrity__keyed)
{
	char key[KVT_PATH_MAX], other[KVT_PATH_MAX], uri[KVT_PATH_MAX];
	kv_db *db, *plain = NULL;
	seen s;

	db = three_records(open_keyed(new_key(key, "key")));
	expect_clean(db, 3);
	kvt_close(db);
	db = open_keyed(key);
	kvt_expect_str(db, "victim", "the value libkv sealed");
	kvt_put_str(db, "b", "more");
	expect_clean(db, 4);
	kvt_close(db);
	expect_open_fails(new_key(other, "other"), KV_EKEY, "wrong key");
	{
		/* The same refusal with batched durability, whose sync thread
		 * must not be waited for before it was started. */
		kv_open_options opts = KV_OPEN_OPTIONS_INIT;
		kv_db *none = NULL;

		opts.keyfile = other;
		opts.durability = KV_DURABLE_BATCHED;
		kvt_expect_rc(none, kv_db_open(&none, kvt_uri(uri, "store"),
		                               &opts), KV_EKEY);
	}

	kvt_assert_status(kv_db_open(&plain, kvt_uri(uri, "plain"), NULL),
	                  KV_OK);
	kvt_put_str(plain, "victim", "forged");
	expect_clean(plain, 1);
	kvt_close(plain);
	damage("graft", "victim", NULL, "plain");
	damage("change", "a", "tampered", NULL);
	damage("delete", "z", NULL, NULL);
	db = open_keyed(key);
	expect_corrupt_get(db, "victim");
	expect_corrupt_get(db, "a");
	verify(&s, db, 3, 2, 0, 0, 1);
	expect_problem(&s, KV_PROBLEM_CORRUPT, "victim", NULL);
	expect_problem(&s, KV_PROBLEM_CORRUPT, "a", NULL);
	expect_problem(&s, KV_PROBLEM_DIGEST, "", NULL);
	kvt_close(db);
}
END_TEST

START_TEST(test_integrity__keyed_without_key)
{
	char key[KVT_PATH_MAX];
	kv_txn *txn = NULL;
	kv_db *db;
	seen s;

	db = three_records(open_keyed(new_key(key, "key")));
	kvt_close(db);
	kvt_warnings_capture(KV_WARNINGS_ALWAYS);
	db = open_keyed(NULL);
	ck_assert_msg(kvt_warned.calls == 1 &&
	              kvt_warned.kind == KV_WARN_UNCHECKED,
	              "open without the key: %d warnings, kind %d; want one "
	              "KV_WARN_UNCHECKED", kvt_warned.calls,
	              (int)kvt_warned.kind);
	ck_assert_msg(strstr(kvt_warned.msg, kv_db_path(db)) != NULL,
	              "warning '%s' does not name the store", kvt_warned.msg);
	kvt_expect_str(db, "a", "first value");
	kvt_expect_str(db, "victim", "the value libkv sealed");
	verify(&s, db, 3, 0, 0, 1, 0);
	expect_problem(&s, KV_PROBLEM_UNCHECKED, "", NULL);
	kvt_expect_rc(db, kv_db_put(db, "a", 1, "x", 1, 0), KV_EKEY);
	kvt_expect_rc(db, kv_db_del(db, "a", 1), KV_EKEY);
	kvt_expect_rc(db, kv_record_put(db, NULL, "r", "{}"), KV_EKEY);
	kvt_expect_rc(db, kv_txn_begin(&txn, db, 0), KV_EKEY);
	ck_assert_msg(txn == NULL, "a refused kv_txn_begin wrote its output");
	kvt_expect_rc(db, kv_db_seal(NULL, db, NULL, NULL, NULL), KV_EKEY);
	kvt_close(db);
	ck_assert_msg(kvt_warned.calls == 1, "%d warnings, want the open's only",
	              kvt_warned.calls);

	db = open_keyed(key); /* nothing was written */
	kvt_expect_str(db, "a", "first value");
	expect_clean(db, 3);
	kvt_close(db);
}
END_TEST

START_TEST(test_integrity__keyed_env)
{
	char key[KVT_PATH_MAX], other[KVT_PATH_MAX];
	kv_db *db;
	seen s;

	ck_assert_msg(setenv("KV_KEYFILE", new_key(key, "key"), 1) == 0,
	              "setenv");
	db = three_records(open_keyed(NULL));
	expect_clean(db, 3);
	kvt_close(db);
	db = open_keyed(key); /* the option names the same key */
	expect_clean(db, 3);
	kvt_close(db);

	ck_assert_msg(setenv("KV_KEYFILE", new_key(other, "other"), 1) == 0,
	              "setenv");
	expect_open_fails(NULL, KV_EKEY, "wrong key");
	db = open_keyed(key); /* the option wins over the environment */
	expect_clean(db, 3);
	kvt_close(db);

	unsetenv("KV_KEYFILE"); /* keyed indeed: no key, no checks */
	kv_warnings_mode_set(KV_WARNINGS_IGNORE);
	db = open_keyed(NULL);
	verify(&s, db, 3, 0, 0, 1, 0);
	kvt_close(db);
}
END_TEST

START_TEST(test_integrity__key_refused)
{
	char key[KVT_PATH_MAX], path[KVT_PATH_MAX], keyed[KVT_PATH_MAX];
	kv_db *db;

	ck_assert_msg(chmod(new_key(key, "key"), 0644) == 0, "chmod");
	expect_open_fails(key, KV_EKEY, key); /* makes no store */
	ck_assert_msg(chmod(key, 0600) == 0, "chmod");
	db = three_records(open_keyed(key));
	kvt_close(db);
	ck_assert_msg(chmod(key, 0640) == 0, "chmod");
	expect_open_fails(key, KV_EKEY, key);
	ck_assert_msg(chmod(key, 0600) == 0, "chmod");
	expect_open_fails(kvt_path(path, "no-such-key"), KV_EKEY,
	                  "no-such-key");

	/* An unkeyed store that holds sealed records takes no key. */
	if (!kvt_files())
		kvt_pg_sql("store", "ALTER TABLE @T RENAME TO \"@Pkeyed\"");
	else
		ck_assert_msg(rename(kvt_path(path, "store"),
		                     kvt_path(keyed, "keyed")) == 0, "rename");
	if (strcmp(kvt_backend, "lmdb") == 0)
		remove(strcat(path, "-lock"));
	db = three_records(kvt_open(KV_OPEN_CREATE));
	kvt_close(db);
	expect_open_fails(key, KV_EKEY, "not keyed");
	db = kvt_open(KV_OPEN_READWRITE); /* left as it was */
	expect_clean(db, 3);
	kvt_close(db);
}
END_TEST

static void populate(Suite *s)
{
	TCase *tc = kvt_tcase(s, "clean", 120);

	tcase_add_test(tc, test_integrity__clean_store);
	tcase_add_test(tc, test_integrity__digest_many);
	tcase_add_test(tc, test_integrity__null_args);

	tc = kvt_tcase(s, "damage", 60);
	tcase_add_test(tc, test_integrity__changed_value);
	tcase_add_test(tc, test_integrity__seal_buffer_edge);
	tcase_add_test(tc, test_integrity__foreign_unsealed);
	tcase_add_test(tc, test_integrity__digest_damage);
	tcase_add_test(tc, test_integrity__seal);

	tc = kvt_tcase(s, "keyed", 60);
	tcase_add_checked_fixture(tc, NULL, keyed_teardown);
	tcase_add_test(tc, test_integrity__keyfile_create);
	tcase_add_test(tc, test_integrity__keyed);
	tcase_add_test(tc, test_integrity__keyed_without_key);
	tcase_add_test(tc, test_integrity__keyed_env);
	tcase_add_test(tc, test_integrity__key_refused);
}

int main(void)
{
	/* A key named by the caller's environment would key every store. */
	unsetenv("KV_KEYFILE");
	return kvt_main("integrity", populate);
}
