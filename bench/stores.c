/*
 * bench/stores.c - the stores kvbench compares, behind bench_store: the
 * table, and the drivers of SQLite and GDBM (libkv, raw LMDB and
 * sealed-lmdb are in stores_lmdb.c).
 *
 *  raw-sqlite                prepared statements, WAL, synchronous=NORMAL
 *                            and one transaction for the bulk load, a read
 *                            transaction per BENCH_GETS_PER_TXN gets, FULL
 *                            for durable commits; the same Dict table;
 *                            one connection per thread, with a busy
 *                            timeout for writers that meet.
 *  sealed-sqlite             raw-sqlite doing what libkv's format asks of
 *                            it (seal.c): the tag in a kv_tag column, its
 *                            seal checked on every read, the digest row of
 *                            kv_meta written with every commit.
 *  dbm.sqlite3               SQLite exactly as Python 3.13's dbm.sqlite3
 *                            drives it: autocommit, REPLACE per store,
 *                            CAST(? AS BLOB), default synchronous.
 *  gdbm                      gdbm_store/fetch, firstkey/nextkey, GDBM_SYNC
 *                            for durable commits.
 */
#include "kvbench.h"

#include <errno.h>
#include <gdbm.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <kv.h>

volatile unsigned bench_sink;

void bench_use(const void *p, size_t n)
{
	const unsigned char *b = p;
	unsigned sum = 0;

	/* A byte of every cache line: the memory traffic of using the
	 * record, not a loop over its bytes that would time this program. */
	for (size_t i = 0; i < n; i += 64)
		sum += b[i];
	if (n > 0)
		sum += b[n - 1];
	bench_sink += sum;
}

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* ---- SQLite: raw best practice, sealed-sqlite, dbm.sqlite3 style ------- */

enum sql_kind { SQL_RAW, SQL_SEALED, SQL_DBM };

typedef struct rsql {
	sqlite3 *db;
	sqlite3_stmt *get, *put, *scan, *digest;
	enum sql_kind kind;
	/* sealed: the sum of the seals, in the first connection; changed
	 * inside write transactions, which SQLite serialises */
	uint64_t digest_sum;
	struct rsql *first;
	/* raw, sealed: the connections of thread slots 1.. (slot 0 is this
	 * one) */
	struct rsql *peer[BENCH_MAX_THREADS];
} rsql;

#define SQL_TABLE "CREATE TABLE IF NOT EXISTS Dict" \
	" (key BLOB UNIQUE NOT NULL, value BLOB NOT NULL)"
#define RAW_PUT "INSERT OR REPLACE INTO Dict (key, value) VALUES (?, ?)"
#define RAW_GET "SELECT value FROM Dict WHERE key = ?"
#define RAW_SCAN "SELECT key, value FROM Dict ORDER BY key"
/* sealed: libkv's layout, the tag in a column of its own and the digest
 * in a table beside. */
#define SEALED_TABLES SQL_TABLE "; ALTER TABLE Dict ADD COLUMN kv_tag BLOB;" \
	" CREATE TABLE kv_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);" \
	" INSERT INTO kv_meta VALUES ('digest', zeroblob(8))"
#define SEALED_PUT "INSERT INTO Dict (key, value, kv_tag) VALUES (?, ?, ?)" \
	" ON CONFLICT (key) DO UPDATE SET value = excluded.value," \
	" kv_tag = excluded.kv_tag"
#define SEALED_GET "SELECT value, kv_tag FROM Dict WHERE key = ?"
#define SEALED_SCAN "SELECT key, value, kv_tag FROM Dict ORDER BY key"
#define SEALED_DIGEST "UPDATE kv_meta SET value = ? WHERE key = 'digest'"
/* Lib/dbm/sqlite3.py of Python 3.13, verbatim. */
#define DBM_PUT "REPLACE INTO Dict (key, value)" \
	" VALUES (CAST(? AS BLOB), CAST(? AS BLOB))"
#define DBM_GET "SELECT value FROM Dict WHERE key = CAST(? AS BLOB)"
#define DBM_KEYS "SELECT key FROM Dict"

static const char *const sql_put[] = { RAW_PUT, SEALED_PUT, DBM_PUT };
static const char *const sql_get[] = { RAW_GET, SEALED_GET, DBM_GET };
static const char *const sql_scan[] = { RAW_SCAN, SEALED_SCAN, DBM_KEYS };

static int sql_fail(sqlite3 *db, const char *what)
{
	fprintf(stderr, "kvbench: %s: %s\n", what,
	        db ? sqlite3_errmsg(db) : "out of memory");
	return -1;
}

static int sql_exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(db, sql);
	return 0;
}

static void rsql_free(rsql *s)
{
	for (int i = 1; i < BENCH_MAX_THREADS; i++)
		if (s->peer[i])
			rsql_free(s->peer[i]);
	sqlite3_finalize(s->get);
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->scan);
	sqlite3_finalize(s->digest);
	sqlite3_close(s->db);
	free(s);
}

/* Dict (and kv_meta, sealed) in a new store. */
static int rsql_tables(rsql *s)
{
	sqlite3_stmt *q;
	int have;

	if (s->kind != SQL_SEALED)
		return sql_exec(s->db, SQL_TABLE);
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE"
	                       " name = 'kv_meta'", -1, &q, NULL) != SQLITE_OK)
		return sql_fail(s->db, "prepare");
	have = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return have ? 0 : sql_exec(s->db, SEALED_TABLES);
}

/* A connection to path; first: the store's first connection, or NULL for
 * this one. */
static rsql *rsql_new(const char *path, enum sql_kind kind, rsql *first)
{
	rsql *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->kind = kind;
	s->first = first ? first : s;
	if (sqlite3_open_v2(path, &s->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    NULL) != SQLITE_OK) {
		sql_fail(s->db, "sqlite3_open_v2");
		rsql_free(s);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, 60000);
	if (sql_exec(s->db, "PRAGMA journal_mode = wal") || rsql_tables(s) ||
	    sqlite3_prepare_v2(s->db, sql_put[kind], -1, &s->put,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, sql_get[kind], -1, &s->get,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, sql_scan[kind], -1, &s->scan,
	                       NULL) != SQLITE_OK ||
	    (kind == SQL_SEALED &&
	     sqlite3_prepare_v2(s->db, SEALED_DIGEST, -1, &s->digest,
	                        NULL) != SQLITE_OK)) {
		sql_fail(s->db, "prepare");
		rsql_free(s);
		return NULL;
	}
	return s;
}

/* One put with s's statement: Python binds str keys and values as text;
 * sealed, the record's tag goes with it. */
static int rsql_put(rsql *s, const bench_data *d, size_t i)
{
	unsigned char tag[BENCH_TAG_LEN];
	int rc;

	if (s->kind == SQL_DBM) {
		sqlite3_bind_text(s->put, 1, BKEY(d, i), d->klen[i], SQLITE_STATIC);
		sqlite3_bind_text(s->put, 2, BVAL(d, i), d->vlen[i], SQLITE_STATIC);
	} else {
		sqlite3_bind_blob(s->put, 1, BKEY(d, i), d->klen[i], SQLITE_STATIC);
		sqlite3_bind_blob(s->put, 2, BVAL(d, i), d->vlen[i], SQLITE_STATIC);
	}
	if (s->kind == SQL_SEALED) {
		if (bench_seal(tag, BKEY(d, i), d->klen[i], BVAL(d, i),
		               d->vlen[i]))
			return sql_fail(NULL, "seal");
		sqlite3_bind_blob(s->put, 3, tag, sizeof tag, SQLITE_STATIC);
	}
	rc = sqlite3_step(s->put);
	sqlite3_reset(s->put);
	if (rc != SQLITE_DONE)
		return sql_fail(s->db, "put");
	if (s->kind == SQL_SEALED)
		s->first->digest_sum += bench_seal_sum(tag);
	return 0;
}

/* Commit the transaction open on s; sealed, with the digest written
 * first. */
static int rsql_commit(rsql *s)
{
	unsigned char buf[8];
	int rc;

	if (s->kind == SQL_SEALED) {
		for (int i = 0; i < 8; i++)
			buf[i] = (unsigned char)(s->first->digest_sum >> (8 * i));
		sqlite3_bind_blob(s->digest, 1, buf, sizeof buf, SQLITE_STATIC);
		rc = sqlite3_step(s->digest);
		sqlite3_reset(s->digest);
		if (rc != SQLITE_DONE) {
			sql_exec(s->db, "ROLLBACK");
			return sql_fail(s->db, "digest");
		}
	}
	return sql_exec(s->db, "COMMIT");
}

static int rsql_load_any(const char *path, const bench_data *d,
                         enum sql_kind kind, size_t *timed, double *seconds)
{
	double t0 = bench_now();
	rsql *s = rsql_new(path, kind, NULL);
	int dbm = kind == SQL_DBM;
	size_t i = 0, cap = dbm ? min_sz(d->n, BENCH_DBM_LOAD_CAP) : d->n;

	if (!s)
		return -1;
	if (!dbm && (sql_exec(s->db, "PRAGMA synchronous = NORMAL") ||
	             sql_exec(s->db, "BEGIN")))
		goto fail;
	for (; i < cap; i++) /* dbm: each put autocommits */
		if (rsql_put(s, d, i))
			goto fail;
	if (!dbm && rsql_commit(s))
		goto fail;
	if (dbm) {
		/* Untimed: the rest of the records, so that reads see them all. */
		*seconds = bench_now() - t0;
		if (sql_exec(s->db, "BEGIN"))
			goto fail;
		for (; i < d->n; i++)
			if (rsql_put(s, d, i))
				goto fail;
		if (sql_exec(s->db, "COMMIT"))
			goto fail;
		rsql_free(s);
	} else {
		rsql_free(s); /* the last close checkpoints the WAL */
		*seconds = bench_now() - t0;
	}
	*timed = cap;
	return 0;
fail:
	rsql_free(s);
	return -1;
}

static int rsql_load(const char *path, const bench_data *d, size_t *timed,
                     double *seconds)
{
	return rsql_load_any(path, d, SQL_RAW, timed, seconds);
}

static int ssql_load(const char *path, const bench_data *d, size_t *timed,
                     double *seconds)
{
	return rsql_load_any(path, d, SQL_SEALED, timed, seconds);
}

static int dbm_load(const char *path, const bench_data *d, size_t *timed,
                    double *seconds)
{
	return rsql_load_any(path, d, SQL_DBM, timed, seconds);
}

static int rsql_open_kind(void **h, const char *path, enum sql_kind kind)
{
	rsql *s = rsql_new(path, kind, NULL);

	if (!s)
		return -1;
	for (int i = 1; i < BENCH_MAX_THREADS; i++)
		if (!(s->peer[i] = rsql_new(path, kind, s))) {
			rsql_free(s);
			return -1;
		}
	*h = s;
	return 0;
}

static int rsql_open(void **h, const char *path)
{
	return rsql_open_kind(h, path, SQL_RAW);
}

static int ssql_open(void **h, const char *path)
{
	return rsql_open_kind(h, path, SQL_SEALED);
}

/* The connection of a thread slot. */
static rsql *rsql_slot(rsql *s, int slot)
{
	return slot > 0 && s->peer[slot] ? s->peer[slot] : s;
}

static int dbm_open(void **h, const char *path)
{
	return (*h = rsql_new(path, SQL_DBM, NULL)) ? 0 : -1;
}

/* Use the value in column col of statement q, the row of key; sealed, its
 * seal (column col + 1) checked first. */
static int rsql_use(rsql *s, sqlite3_stmt *q, int col, const void *key,
                    size_t klen)
{
	const void *v = sqlite3_column_blob(q, col);
	size_t vlen = (size_t)sqlite3_column_bytes(q, col);

	if (s->kind == SQL_SEALED &&
	    !bench_seal_ok(sqlite3_column_blob(q, col + 1),
	                   (size_t)sqlite3_column_bytes(q, col + 1), key, klen,
	                   v, vlen)) {
		fprintf(stderr, "kvbench: sealed-sqlite: a record does not "
		        "match its seal\n");
		return -1;
	}
	bench_use(v, vlen);
	return 0;
}

static int rsql_get1(rsql *s, const void *key, int klen, int bind_text,
                     size_t want)
{
	int rc;

	if (bind_text)
		sqlite3_bind_text(s->get, 1, key, klen, SQLITE_STATIC);
	else
		sqlite3_bind_blob(s->get, 1, key, klen, SQLITE_STATIC);
	rc = sqlite3_step(s->get);
	if (rc != SQLITE_ROW ||
	    (want && (size_t)sqlite3_column_bytes(s->get, 0) != want)) {
		sqlite3_reset(s->get);
		return sql_fail(s->db, "get");
	}
	rc = rsql_use(s, s->get, 0, key, (size_t)klen);
	sqlite3_reset(s->get);
	return rc;
}

static int rsql_get(void *h, int slot, const bench_data *d,
                    const uint32_t *idx, size_t m)
{
	rsql *s = rsql_slot(h, slot);
	int dbm = s->kind == SQL_DBM;

	for (size_t i = 0; i < m;) {
		size_t end = dbm ? m : min_sz(i + BENCH_GETS_PER_TXN, m);
		if (!dbm && sql_exec(s->db, "BEGIN"))
			return -1;
		for (; i < end; i++) {
			uint32_t j = idx[i];
			if (rsql_get1(s, BKEY(d, j), d->klen[j], dbm,
			              d->vlen[j])) {
				if (!dbm)
					sql_exec(s->db, "ROLLBACK");
				return -1;
			}
		}
		if (!dbm && sql_exec(s->db, "COMMIT"))
			return -1;
	}
	return 0;
}

/* raw, sealed: one ordered SELECT; dbm: `for k in db: db[k]` (keys, then
 * a lookup of each, all autocommit). */
static int rsql_scan(void *h, size_t *count)
{
	rsql *s = h;
	size_t c = 0;
	int rc;

	while ((rc = sqlite3_step(s->scan)) == SQLITE_ROW) {
		const void *k = sqlite3_column_blob(s->scan, 0);
		int kl = sqlite3_column_bytes(s->scan, 0);
		if (s->kind == SQL_DBM ? rsql_get1(s, k, kl, 0, 0)
		                       : rsql_use(s, s->scan, 1, k, (size_t)kl)) {
			sqlite3_reset(s->scan);
			return -1;
		}
		if (s->kind != SQL_DBM)
			bench_use(k, (size_t)kl);
		if (++c % BENCH_SAMPLE_EVERY == 0)
			bench_mem_sample();
	}
	sqlite3_reset(s->scan);
	if (rc != SQLITE_DONE)
		return sql_fail(s->db, "scan");
	*count = c;
	return 0;
}

/* One put as a transaction of its own: raw and dbm autocommit; sealed
 * writes the digest in the same transaction. */
static int rsql_put_commit(rsql *s, const bench_data *d, size_t i)
{
	if (s->kind != SQL_SEALED)
		return rsql_put(s, d, i);
	if (sql_exec(s->db, "BEGIN IMMEDIATE"))
		return -1;
	if (rsql_put(s, d, i)) {
		sql_exec(s->db, "ROLLBACK");
		return -1;
	}
	return rsql_commit(s);
}

static int rsql_commits(void *h, int slot, const bench_data *d,
                        size_t first, size_t m)
{
	rsql *s = rsql_slot(h, slot);

	/* raw, sealed: every commit synced; dbm.sqlite3 keeps SQLite's
	 * default. */
	if (s->kind != SQL_DBM && sql_exec(s->db, "PRAGMA synchronous = FULL"))
		return -1;
	for (size_t i = 0; i < m; i++)
		if (rsql_put_commit(s, d, first + i))
			return -1;
	return 0;
}

static void rsql_close(void *h)
{
	rsql_free(h);
}

/* ---- GDBM --------------------------------------------------------------- */

static int gd_fail(const char *what)
{
	fprintf(stderr, "kvbench: %s: %s\n", what, gdbm_strerror(gdbm_errno));
	return -1;
}

static int gd_load(const char *path, const bench_data *d, size_t *timed,
                     double *seconds)
{
	double t0 = bench_now();
	GDBM_FILE db = gdbm_open(path, 0, GDBM_NEWDB, 0600, NULL);

	if (!db)
		return gd_fail("gdbm_open");
	for (size_t i = 0; i < d->n; i++) {
		datum k = { BKEY(d, i), d->klen[i] };
		datum v = { BVAL(d, i), d->vlen[i] };
		if (gdbm_store(db, k, v, GDBM_REPLACE) != 0) {
			gd_fail("gdbm_store");
			gdbm_close(db);
			return -1;
		}
	}
	if (gdbm_close(db) != 0)
		return gd_fail("gdbm_close");
	*seconds = bench_now() - t0;
	*timed = d->n;
	return 0;
}

/* GDBM_SYNC: every store is synced (only the commits workload writes). */
static int gd_open(void **h, const char *path)
{
	GDBM_FILE db = gdbm_open(path, 0, GDBM_WRITER | GDBM_SYNC, 0600, NULL);

	int one = 1;

	if (!db)
		return gd_fail("gdbm_open");
	if (gdbm_setopt(db, GDBM_SETSYNCMODE, &one, sizeof one) != 0) {
		gdbm_close(db);
		return gd_fail("gdbm_setopt");
	}
	*h = db;
	return 0;
}

static int gd_get(void *h, int slot, const bench_data *d,
                  const uint32_t *idx, size_t m)
{
	GDBM_FILE db = h;

	(void)slot;
	for (size_t i = 0; i < m; i++) {
		uint32_t j = idx[i];
		datum k = { BKEY(d, j), d->klen[j] };
		datum v = gdbm_fetch(db, k);
		if (!v.dptr || (size_t)v.dsize != d->vlen[j]) {
			free(v.dptr);
			return gd_fail("gdbm_fetch");
		}
		bench_use(v.dptr, (size_t)v.dsize);
		free(v.dptr);
	}
	return 0;
}

static int gd_scan(void *h, size_t *count)
{
	GDBM_FILE db = h;
	datum k = gdbm_firstkey(db);
	size_t c = 0;

	while (k.dptr) {
		datum v = gdbm_fetch(db, k), next;
		if (!v.dptr) {
			free(k.dptr);
			return gd_fail("gdbm_fetch");
		}
		bench_use(k.dptr, (size_t)k.dsize);
		bench_use(v.dptr, (size_t)v.dsize);
		free(v.dptr);
		next = gdbm_nextkey(db, k);
		free(k.dptr);
		k = next;
		if (++c % BENCH_SAMPLE_EVERY == 0)
			bench_mem_sample();
	}
	if (gdbm_errno != GDBM_ITEM_NOT_FOUND && gdbm_errno != GDBM_NO_ERROR)
		return gd_fail("gdbm_nextkey");
	*count = c;
	return 0;
}

static int gd_commits(void *h, int slot, const bench_data *d,
                      size_t first, size_t m)
{
	GDBM_FILE db = h;

	(void)slot;
	for (size_t i = 0; i < m; i++) {
		size_t j = first + i;
		datum k = { BKEY(d, j), d->klen[j] };
		datum v = { BVAL(d, j), d->vlen[j] };
		if (gdbm_store(db, k, v, GDBM_REPLACE) != 0)
			return gd_fail("gdbm_store");
	}
	return 0;
}

static void gd_close(void *h)
{
	if (gdbm_close(h) != 0)
		gd_fail("gdbm_close");
}

/* ---- the table ---------------------------------------------------------- */

const bench_store bench_stores[] = {
	{ "libkv-lmdb", bench_libkv_lmdb_load, bench_libkv_lmdb_open,
	  bench_libkv_get, bench_libkv_get_auto, bench_libkv_scan,
	  bench_libkv_commits, bench_libkv_update_prep, bench_libkv_update,
	  bench_libkv_close, 1, NULL },
	{ "libkv-sqlite", bench_libkv_sqlite_load, bench_libkv_sqlite_open,
	  bench_libkv_get, bench_libkv_get_auto, bench_libkv_scan,
	  bench_libkv_commits, bench_libkv_update_prep, bench_libkv_update,
	  bench_libkv_close, 1, NULL },
	{ "libkv-postgresql", bench_libkv_pg_load, bench_libkv_pg_open,
	  bench_libkv_get, bench_libkv_get_auto, bench_libkv_scan,
	  bench_libkv_commits, bench_libkv_update_prep, bench_libkv_update,
	  bench_libkv_close, 1,
	  "libkv-postgresql: the server of $KV_BENCH_POSTGRES over loopback TCP"
	  " (make bench starts one with fsync on); file MiB is not measured" },
	{ "raw-lmdb", bench_rlmdb_load, bench_rlmdb_open, bench_rlmdb_get,
	  NULL, bench_rlmdb_scan, bench_rlmdb_commits, NULL,
	  bench_rlmdb_update, bench_rlmdb_close, 1,
	  "raw-lmdb: record update is mdb_get, json_loadb, set, json_dumps, "
	  "mdb_put (jansson)" },
	{ "raw-sqlite", rsql_load, rsql_open, rsql_get, NULL, rsql_scan,
	  rsql_commits, NULL, NULL, rsql_close, 1,
	  "raw-sqlite: one connection per thread (busy timeout for writers)" },
	{ "sealed-lmdb", bench_slmdb_load, bench_slmdb_open, bench_rlmdb_get,
	  NULL, bench_rlmdb_scan, bench_rlmdb_commits, NULL, NULL,
	  bench_rlmdb_close, 1, NULL },
	{ "sealed-sqlite", ssql_load, ssql_open, rsql_get, NULL, rsql_scan,
	  rsql_commits, NULL, NULL, rsql_close, 1, NULL },
	{ "dbm.sqlite3", dbm_load, dbm_open, rsql_get, NULL, rsql_scan,
	  rsql_commits, NULL, NULL, rsql_close, 0,
	  "dbm.sqlite3: bulk load timed on the first min(N, 20000) autocommitted"
	  " puts (a bounded sample: ~5k puts/s); scan is `for k in db: db[k]`"
	  " (unordered)" },
	{ "gdbm", gd_load, gd_open, gd_get, NULL, gd_scan, gd_commits, NULL,
	  NULL, gd_close, 0,
	  "gdbm: scan is in hash order, not key order; one thread (a GDBM "
	  "handle is not thread-safe)" },
};
const size_t bench_nstores = sizeof bench_stores / sizeof bench_stores[0];

int bench_store_index(const char *name)
{
	for (size_t i = 0; i < bench_nstores; i++)
		if (!strcmp(bench_stores[i].name, name))
			return (int)i;
	return -1;
}

void bench_versions(void)
{
	char lmdb[128];

	bench_lmdb_version(lmdb, sizeof lmdb);
	printf("libkv %s, LMDB %s, SQLite %s, jansson %s\n%s\n",
	       KV_VERSION_STRING, lmdb, sqlite3_libversion(), JANSSON_VERSION,
	       gdbm_version);
}
