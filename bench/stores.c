/*
 * bench/stores.c - the stores kvbench compares, behind bench_store.
 *
 *  libkv-lmdb, libkv-sqlite  libkv through its public API (seals checked
 *                            on every read, default durability: synced).
 *  raw-lmdb                  mdb_* as its documentation recommends:
 *                            MDB_NOSUBDIR, MDB_NOTLS, a reset/renewed read
 *                            transaction, a cursor for scans.
 *  raw-sqlite                prepared statements, WAL, synchronous=NORMAL
 *                            and one transaction for the bulk load, a read
 *                            transaction per BENCH_GETS_PER_TXN gets, FULL
 *                            for durable commits; the same Dict table.
 *  dbm.sqlite3               SQLite exactly as Python 3.13's dbm.sqlite3
 *                            drives it: autocommit, REPLACE per store,
 *                            CAST(? AS BLOB), default synchronous.
 *  gdbm                      gdbm_store/fetch, firstkey/nextkey, GDBM_SYNC
 *                            for durable commits.
 */
#include "kvbench.h"

#include <errno.h>
#include <gdbm.h>
#include <lmdb.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kv.h>

static volatile unsigned sink; /* keeps reads from being optimised away */

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* ---- libkv ------------------------------------------------------------ */

static int kv_fail(const char *what, kv_status st, const kv_db *db)
{
	fprintf(stderr, "kvbench: %s: %s: %s\n", what, kv_strerror(st),
	        db ? kv_db_errmsg(db) : kv_errmsg());
	return -1;
}

static int libkv_load(const char *scheme, const char *path,
                      const bench_data *d, size_t *timed, double *seconds)
{
	char uri[4096];
	kv_open_options o = KV_OPEN_OPTIONS_INIT;
	kv_db *db;
	kv_status st;
	double t0;

	o.flags = KV_OPEN_TRUNCATE;
	snprintf(uri, sizeof uri, "%s:%s", scheme, path);
	t0 = bench_now();
	if ((st = kv_db_open(&db, uri, &o)) != KV_OK)
		return kv_fail("kv_db_open", st, NULL);
	for (size_t i = 0; i < d->n;) {
		size_t end = min_sz(i + BENCH_LOAD_CHUNK, d->n);
		kv_txn *txn;
		if ((st = kv_txn_begin(&txn, db, 0)) != KV_OK)
			goto fail;
		for (; i < end; i++) {
			st = kv_txn_put(txn, BKEY(d, i), d->klen[i], BVAL(d, i),
			                d->vlen[i], 0);
			if (st != KV_OK) {
				kv_txn_abort(txn);
				goto fail;
			}
		}
		if ((st = kv_txn_commit(txn)) != KV_OK)
			goto fail;
	}
	if ((st = kv_db_close(db)) != KV_OK)
		return kv_fail("kv_db_close", st, NULL);
	*seconds = bench_now() - t0;
	*timed = d->n;
	return 0;
fail:
	kv_fail("bulk load", st, db);
	kv_db_close(db);
	return -1;
}

static int libkv_open(void **h, const char *scheme, const char *path)
{
	char uri[4096];
	kv_open_options o = KV_OPEN_OPTIONS_INIT;
	kv_db *db;
	kv_status st;

	o.flags = KV_OPEN_READWRITE;
	snprintf(uri, sizeof uri, "%s:%s", scheme, path);
	if ((st = kv_db_open(&db, uri, &o)) != KV_OK)
		return kv_fail("kv_db_open", st, NULL);
	*h = db;
	return 0;
}

static int libkv_lmdb_load(const char *path, const bench_data *d,
                           size_t *timed, double *seconds)
{
	return libkv_load("lmdb", path, d, timed, seconds);
}

static int libkv_sqlite_load(const char *path, const bench_data *d,
                             size_t *timed, double *seconds)
{
	return libkv_load("sqlite", path, d, timed, seconds);
}

static int libkv_lmdb_open(void **h, const char *path)
{
	return libkv_open(h, "lmdb", path);
}

static int libkv_sqlite_open(void **h, const char *path)
{
	return libkv_open(h, "sqlite", path);
}

static int libkv_get(void *h, const bench_data *d, const uint32_t *idx,
                     size_t m)
{
	kv_db *db = h;
	kv_status st;

	for (size_t i = 0; i < m;) {
		size_t end = min_sz(i + BENCH_GETS_PER_TXN, m);
		kv_txn *txn;
		if ((st = kv_txn_begin(&txn, db, KV_TXN_READONLY)) != KV_OK)
			return kv_fail("kv_txn_begin", st, db);
		for (; i < end; i++) {
			uint32_t j = idx[i];
			const void *v;
			size_t vl;
			st = kv_txn_get(&v, &vl, txn, BKEY(d, j), d->klen[j]);
			if (st != KV_OK || vl != d->vlen[j]) {
				kv_txn_abort(txn);
				return kv_fail("kv_txn_get", st, db);
			}
			sink += *(const unsigned char *)v;
		}
		kv_txn_abort(txn);
	}
	return 0;
}

static int libkv_get_auto(void *h, const bench_data *d, const uint32_t *idx,
                          size_t m)
{
	kv_db *db = h;

	for (size_t i = 0; i < m; i++) {
		uint32_t j = idx[i];
		void *v;
		size_t vl;
		kv_status st = kv_db_get(&v, &vl, db, BKEY(d, j), d->klen[j]);
		if (st != KV_OK || vl != d->vlen[j])
			return kv_fail("kv_db_get", st, db);
		sink += *(const unsigned char *)v;
		kv_free(v);
	}
	return 0;
}

static int libkv_scan(void *h, size_t *count)
{
	kv_db *db = h;
	kv_iter *it;
	kv_status st;
	const void *k, *v;
	size_t kl, vl, c = 0;

	if ((st = kv_iter_new(&it, db, NULL, NULL, 0)) != KV_OK)
		return kv_fail("kv_iter_new", st, db);
	while ((st = kv_iter_next(it, &k, &kl, &v, &vl)) == KV_OK) {
		sink += *(const unsigned char *)k + (vl ? *(const unsigned char *)v : 0);
		c++;
	}
	kv_iter_free(it);
	if (st != KV_NOTFOUND)
		return kv_fail("kv_iter_next", st, db);
	*count = c;
	return 0;
}

static int libkv_commits(void *h, const bench_data *d, size_t first,
                        size_t m)
{
	kv_db *db = h;

	for (size_t i = 0; i < m; i++) {
		size_t j = first + i;
		kv_status st = kv_db_put(db, BKEY(d, j), d->klen[j], BVAL(d, j),
		                         d->vlen[j], 0);
		if (st != KV_OK)
			return kv_fail("kv_db_put", st, db);
	}
	return 0;
}

static void libkv_close(void *h)
{
	kv_status st = kv_db_close(h);
	if (st != KV_OK)
		kv_fail("kv_db_close", st, NULL);
}

/* ---- raw LMDB ----------------------------------------------------------- */

typedef struct rlmdb {
	MDB_env *env;
	MDB_dbi dbi;
	MDB_txn *rtxn; /* reset between uses, renewed for each batch */
} rlmdb;

static int mdb_fail(const char *what, int rc)
{
	fprintf(stderr, "kvbench: %s: %s\n", what, mdb_strerror(rc));
	return -1;
}

static int rlmdb_env(MDB_env **env, const char *path)
{
	int rc;

	if ((rc = mdb_env_create(env)) != 0)
		return mdb_fail("mdb_env_create", rc);
	if ((rc = mdb_env_set_mapsize(*env, (size_t)1 << 36)) != 0 ||
	    (rc = mdb_env_open(*env, path, MDB_NOSUBDIR | MDB_NOTLS, 0600)) != 0) {
		mdb_env_close(*env);
		return mdb_fail("mdb_env_open", rc);
	}
	return 0;
}

static int rlmdb_load(const char *path, const bench_data *d, size_t *timed,
                      double *seconds)
{
	MDB_env *env;
	MDB_dbi dbi;
	int rc;
	double t0 = bench_now();

	if (rlmdb_env(&env, path))
		return -1;
	for (size_t i = 0; i < d->n;) {
		size_t end = min_sz(i + BENCH_LOAD_CHUNK, d->n);
		MDB_txn *txn;
		if ((rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0)
			goto fail;
		if ((rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0) {
			mdb_txn_abort(txn);
			goto fail;
		}
		for (; i < end; i++) {
			MDB_val k = { d->klen[i], BKEY(d, i) };
			MDB_val v = { d->vlen[i], BVAL(d, i) };
			if ((rc = mdb_put(txn, dbi, &k, &v, 0)) != 0) {
				mdb_txn_abort(txn);
				goto fail;
			}
		}
		if ((rc = mdb_txn_commit(txn)) != 0)
			goto fail;
	}
	mdb_env_close(env);
	*seconds = bench_now() - t0;
	*timed = d->n;
	return 0;
fail:
	mdb_env_close(env);
	return mdb_fail("bulk load", rc);
}

static int rlmdb_open(void **h, const char *path)
{
	rlmdb *r = calloc(1, sizeof *r);
	MDB_txn *txn;
	int rc;

	if (!r)
		return -1;
	if (rlmdb_env(&r->env, path)) {
		free(r);
		return -1;
	}
	if ((rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &r->dbi)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0 ||
	    (rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &r->rtxn)) != 0) {
		mdb_env_close(r->env);
		free(r);
		return mdb_fail("open", rc);
	}
	mdb_txn_reset(r->rtxn);
	*h = r;
	return 0;
}

static int rlmdb_get(void *h, const bench_data *d, const uint32_t *idx,
                     size_t m)
{
	rlmdb *r = h;
	int rc;

	for (size_t i = 0; i < m;) {
		size_t end = min_sz(i + BENCH_GETS_PER_TXN, m);
		if ((rc = mdb_txn_renew(r->rtxn)) != 0)
			return mdb_fail("mdb_txn_renew", rc);
		for (; i < end; i++) {
			uint32_t j = idx[i];
			MDB_val k = { d->klen[j], BKEY(d, j) }, v;
			rc = mdb_get(r->rtxn, r->dbi, &k, &v);
			if (rc != 0 || v.mv_size != d->vlen[j]) {
				mdb_txn_reset(r->rtxn);
				return mdb_fail("mdb_get", rc ? rc : MDB_CORRUPTED);
			}
			sink += *(const unsigned char *)v.mv_data;
		}
		mdb_txn_reset(r->rtxn);
	}
	return 0;
}

static int rlmdb_scan(void *h, size_t *count)
{
	rlmdb *r = h;
	MDB_cursor *cur;
	MDB_val k, v;
	size_t c = 0;
	int rc;

	if ((rc = mdb_txn_renew(r->rtxn)) != 0)
		return mdb_fail("mdb_txn_renew", rc);
	if ((rc = mdb_cursor_open(r->rtxn, r->dbi, &cur)) != 0) {
		mdb_txn_reset(r->rtxn);
		return mdb_fail("mdb_cursor_open", rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		sink += *(const unsigned char *)k.mv_data +
		        *(const unsigned char *)v.mv_data;
		c++;
	}
	mdb_cursor_close(cur);
	mdb_txn_reset(r->rtxn);
	if (rc != MDB_NOTFOUND)
		return mdb_fail("mdb_cursor_get", rc);
	*count = c;
	return 0;
}

static int rlmdb_commits(void *h, const bench_data *d, size_t first,
                        size_t m)
{
	rlmdb *r = h;
	int rc;

	for (size_t i = 0; i < m; i++) {
		size_t j = first + i;
		MDB_val k = { d->klen[j], BKEY(d, j) };
		MDB_val v = { d->vlen[j], BVAL(d, j) };
		MDB_txn *txn;
		if ((rc = mdb_txn_begin(r->env, NULL, 0, &txn)) != 0)
			return mdb_fail("mdb_txn_begin", rc);
		if ((rc = mdb_put(txn, r->dbi, &k, &v, 0)) != 0) {
			mdb_txn_abort(txn);
			return mdb_fail("mdb_put", rc);
		}
		if ((rc = mdb_txn_commit(txn)) != 0) /* synced: no MDB_NOSYNC */
			return mdb_fail("mdb_txn_commit", rc);
	}
	return 0;
}

static void rlmdb_close(void *h)
{
	rlmdb *r = h;

	mdb_txn_abort(r->rtxn);
	mdb_env_close(r->env);
	free(r);
}

/* ---- SQLite: raw best practice and dbm.sqlite3 style -------------------- */

typedef struct rsql {
	sqlite3 *db;
	sqlite3_stmt *get, *put, *scan;
	int dbm; /* dbm.sqlite3 style */
} rsql;

#define SQL_TABLE "CREATE TABLE IF NOT EXISTS Dict" \
	" (key BLOB UNIQUE NOT NULL, value BLOB NOT NULL)"
#define RAW_PUT "INSERT OR REPLACE INTO Dict (key, value) VALUES (?, ?)"
#define RAW_GET "SELECT value FROM Dict WHERE key = ?"
#define RAW_SCAN "SELECT key, value FROM Dict ORDER BY key"
/* Lib/dbm/sqlite3.py of Python 3.13, verbatim. */
#define DBM_PUT "REPLACE INTO Dict (key, value)" \
	" VALUES (CAST(? AS BLOB), CAST(? AS BLOB))"
#define DBM_GET "SELECT value FROM Dict WHERE key = CAST(? AS BLOB)"
#define DBM_KEYS "SELECT key FROM Dict"

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
	sqlite3_finalize(s->get);
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->scan);
	sqlite3_close(s->db);
	free(s);
}

static rsql *rsql_new(const char *path, int dbm)
{
	rsql *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->dbm = dbm;
	if (sqlite3_open_v2(path, &s->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    NULL) != SQLITE_OK) {
		sql_fail(s->db, "sqlite3_open_v2");
		rsql_free(s);
		return NULL;
	}
	if (sql_exec(s->db, "PRAGMA journal_mode = wal") ||
	    sql_exec(s->db, SQL_TABLE) ||
	    sqlite3_prepare_v2(s->db, dbm ? DBM_PUT : RAW_PUT, -1, &s->put,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, dbm ? DBM_GET : RAW_GET, -1, &s->get,
	                       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, dbm ? DBM_KEYS : RAW_SCAN, -1, &s->scan,
	                       NULL) != SQLITE_OK) {
		sql_fail(s->db, "prepare");
		rsql_free(s);
		return NULL;
	}
	return s;
}

/* One put with s's statement: Python binds str keys and values as text. */
static int rsql_put(rsql *s, const bench_data *d, size_t i)
{
	int rc;

	if (s->dbm) {
		sqlite3_bind_text(s->put, 1, BKEY(d, i), d->klen[i], SQLITE_STATIC);
		sqlite3_bind_text(s->put, 2, BVAL(d, i), d->vlen[i], SQLITE_STATIC);
	} else {
		sqlite3_bind_blob(s->put, 1, BKEY(d, i), d->klen[i], SQLITE_STATIC);
		sqlite3_bind_blob(s->put, 2, BVAL(d, i), d->vlen[i], SQLITE_STATIC);
	}
	rc = sqlite3_step(s->put);
	sqlite3_reset(s->put);
	return rc == SQLITE_DONE ? 0 : sql_fail(s->db, "put");
}

static int rsql_load_any(const char *path, const bench_data *d, int dbm,
                         size_t *timed, double *seconds)
{
	double t0 = bench_now();
	rsql *s = rsql_new(path, dbm);
	size_t i = 0, cap = dbm ? min_sz(d->n, BENCH_DBM_LOAD_CAP) : d->n;

	if (!s)
		return -1;
	if (!dbm && (sql_exec(s->db, "PRAGMA synchronous = NORMAL") ||
	             sql_exec(s->db, "BEGIN")))
		goto fail;
	for (; i < cap; i++) /* dbm: each put autocommits */
		if (rsql_put(s, d, i))
			goto fail;
	if (!dbm && sql_exec(s->db, "COMMIT"))
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
	return rsql_load_any(path, d, 0, timed, seconds);
}

static int dbm_load(const char *path, const bench_data *d, size_t *timed,
                    double *seconds)
{
	return rsql_load_any(path, d, 1, timed, seconds);
}

static int rsql_open(void **h, const char *path)
{
	return (*h = rsql_new(path, 0)) ? 0 : -1;
}

static int dbm_open(void **h, const char *path)
{
	return (*h = rsql_new(path, 1)) ? 0 : -1;
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
	sink += *(const unsigned char *)sqlite3_column_blob(s->get, 0);
	sqlite3_reset(s->get);
	return 0;
}

static int rsql_get(void *h, const bench_data *d, const uint32_t *idx,
                    size_t m)
{
	rsql *s = h;

	for (size_t i = 0; i < m;) {
		size_t end = s->dbm ? m : min_sz(i + BENCH_GETS_PER_TXN, m);
		if (!s->dbm && sql_exec(s->db, "BEGIN"))
			return -1;
		for (; i < end; i++) {
			uint32_t j = idx[i];
			if (rsql_get1(s, BKEY(d, j), d->klen[j], s->dbm,
			              d->vlen[j])) {
				if (!s->dbm)
					sql_exec(s->db, "ROLLBACK");
				return -1;
			}
		}
		if (!s->dbm && sql_exec(s->db, "COMMIT"))
			return -1;
	}
	return 0;
}

/* raw: one ordered SELECT; dbm: `for k in db: db[k]` (keys, then a lookup
 * of each, all autocommit). */
static int rsql_scan(void *h, size_t *count)
{
	rsql *s = h;
	size_t c = 0;
	int rc;

	while ((rc = sqlite3_step(s->scan)) == SQLITE_ROW) {
		const void *k = sqlite3_column_blob(s->scan, 0);
		int kl = sqlite3_column_bytes(s->scan, 0);
		if (s->dbm) {
			if (rsql_get1(s, k, kl, 0, 0)) {
				sqlite3_reset(s->scan);
				return -1;
			}
		} else {
			sink += *(const unsigned char *)k +
			        *(const unsigned char *)sqlite3_column_blob(s->scan, 1);
		}
		c++;
	}
	sqlite3_reset(s->scan);
	if (rc != SQLITE_DONE)
		return sql_fail(s->db, "scan");
	*count = c;
	return 0;
}

static int rsql_commits(void *h, const bench_data *d, size_t first,
                        size_t m)
{
	rsql *s = h;

	/* raw: every commit synced; dbm.sqlite3 keeps SQLite's default. */
	if (!s->dbm && sql_exec(s->db, "PRAGMA synchronous = FULL"))
		return -1;
	for (size_t i = 0; i < m; i++)
		if (rsql_put(s, d, first + i))
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

static int gd_get(void *h, const bench_data *d, const uint32_t *idx,
                    size_t m)
{
	GDBM_FILE db = h;

	for (size_t i = 0; i < m; i++) {
		uint32_t j = idx[i];
		datum k = { BKEY(d, j), d->klen[j] };
		datum v = gdbm_fetch(db, k);
		if (!v.dptr || (size_t)v.dsize != d->vlen[j]) {
			free(v.dptr);
			return gd_fail("gdbm_fetch");
		}
		sink += *(const unsigned char *)v.dptr;
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
		sink += *(const unsigned char *)k.dptr +
		        *(const unsigned char *)v.dptr;
		free(v.dptr);
		next = gdbm_nextkey(db, k);
		free(k.dptr);
		k = next;
		c++;
	}
	if (gdbm_errno != GDBM_ITEM_NOT_FOUND && gdbm_errno != GDBM_NO_ERROR)
		return gd_fail("gdbm_nextkey");
	*count = c;
	return 0;
}

static int gd_commits(void *h, const bench_data *d, size_t first,
                        size_t m)
{
	GDBM_FILE db = h;

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
	{ "libkv-lmdb", libkv_lmdb_load, libkv_lmdb_open, libkv_get,
	  libkv_get_auto, libkv_scan, libkv_commits, libkv_close, NULL },
	{ "libkv-sqlite", libkv_sqlite_load, libkv_sqlite_open, libkv_get,
	  libkv_get_auto, libkv_scan, libkv_commits, libkv_close, NULL },
	{ "raw-lmdb", rlmdb_load, rlmdb_open, rlmdb_get, NULL, rlmdb_scan,
	  rlmdb_commits, rlmdb_close, NULL },
	{ "raw-sqlite", rsql_load, rsql_open, rsql_get, NULL, rsql_scan,
	  rsql_commits, rsql_close, NULL },
	{ "dbm.sqlite3", dbm_load, dbm_open, rsql_get, NULL, rsql_scan,
	  rsql_commits, rsql_close,
	  "dbm.sqlite3: bulk load timed on the first min(N, 20000) autocommitted"
	  " puts; scan is `for k in db: db[k]` (unordered)" },
	{ "gdbm", gd_load, gd_open, gd_get, NULL, gd_scan,
	  gd_commits, gd_close, "gdbm: scan is in hash order, not key order" },
};
const size_t bench_nstores = sizeof bench_stores / sizeof bench_stores[0];

void bench_versions(void)
{
	printf("libkv %s, LMDB %s, SQLite %s\n%s\n", KV_VERSION_STRING,
	       mdb_version(NULL, NULL, NULL), sqlite3_libversion(),
	       gdbm_version);
}
