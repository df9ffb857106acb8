/*
 * bench/stores_lmdb.c - the stores kvbench drives through libkv, and raw
 * LMDB with and without libkv's format (see stores.c for the table and
 * the others).
 *
 *  libkv-lmdb, libkv-sqlite  libkv through its public API (seals checked
 *                            on every read, default durability: every
 *                            commit synced, commits of several threads
 *                            sharing syncs).  Record updates go through
 *                            kv_record_replace under a schema for runs/.
 *  raw-lmdb                  mdb_* as its documentation recommends:
 *                            MDB_NOSUBDIR, MDB_NOTLS, a reset/renewed read
 *                            transaction per thread, a cursor for scans;
 *                            record updates are mdb_get, json_loadb, one
 *                            field set, json_dumps, mdb_put (jansson, the
 *                            JSON library libkv uses).
 *  sealed-lmdb               raw-lmdb doing what libkv's format asks of
 *                            it (seal.c): each value framed behind its
 *                            tag in a "data" database, its seal checked
 *                            on every read, the digest written to "meta"
 *                            with every commit.
 */
#include "kvbench.h"

#include <jansson.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kv.h>

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* The new "value" of update i: a number that changes with i. */
static double new_value(size_t i) { return 0.5 + (double)(i % 1000) / 7.0; }

/* ---- libkv ------------------------------------------------------------ */

/* The schema of the data set's records, defined before record updates
 * only (a schema validates every write, and the other workloads measure
 * the bytes API). */
static const char metrics_schema[] =
	"{\"name\":\"metric\",\"version\":1,\"prefix\":\"runs/\","
	"\"fields\":{"
	"\"run\":{\"type\":\"int\",\"required\":true,\"readonly\":true},"
	"\"metric\":{\"type\":\"string\",\"required\":true,\"readonly\":true},"
	"\"step\":{\"type\":\"int\",\"required\":true,\"readonly\":true},"
	"\"value\":{\"type\":\"float\",\"required\":true},"
	"\"wall_time\":{\"type\":\"float\"},\"epoch\":{\"type\":\"int\"},"
	"\"lr\":{\"type\":\"float\"},\"batch_size\":{\"type\":\"int\"},"
	"\"host\":{\"type\":\"string\"},\"finite\":{\"type\":\"bool\"}}}";

static int kv_fail(const char *what, kv_status st, const kv_db *db)
{
	fprintf(stderr, "kvbench: %s: %s: %s\n", what, kv_strerror(st),
	        db ? kv_db_errmsg(db) : kv_errmsg());
	return -1;
}

/* The URI of the store at path: "SCHEME:PATH" for a file backend; for
 * postgresql the server of $KV_BENCH_POSTGRES and one table, kvbench. */
static void libkv_uri(char *uri, size_t size, const char *scheme,
                      const char *path)
{
	const char *server = getenv("KV_BENCH_POSTGRES");

	if (strcmp(scheme, "postgresql") != 0 || !server)
		snprintf(uri, size, "%s:%s", scheme, path);
	else
		snprintf(uri, size, "%s%ctable=kvbench", server,
		         strchr(server, '?') ? '&' : '?');
}

/* A bulk load in transactions of chunk puts. */
static int libkv_load(const char *scheme, const char *path, size_t chunk,
                      const bench_data *d, size_t *timed, double *seconds)
{
	char uri[4096];
	kv_open_options o = KV_OPEN_OPTIONS_INIT;
	kv_db *db;
	kv_status st;
	double t0;

	o.flags = KV_OPEN_TRUNCATE;
	libkv_uri(uri, sizeof uri, scheme, path);
	t0 = bench_now();
	if ((st = kv_db_open(&db, uri, &o)) != KV_OK)
		return kv_fail("kv_db_open", st, NULL);
	for (size_t i = 0; i < d->n;) {
		size_t end = min_sz(i + chunk, d->n);
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
	libkv_uri(uri, sizeof uri, scheme, path);
	if ((st = kv_db_open(&db, uri, &o)) != KV_OK)
		return kv_fail("kv_db_open", st, NULL);
	*h = db;
	return 0;
}

int bench_libkv_lmdb_load(const char *path, const bench_data *d,
                          size_t *timed, double *seconds)
{
	return libkv_load("lmdb", path, BENCH_LOAD_CHUNK, d, timed,
	                  seconds);
}

int bench_libkv_sqlite_load(const char *path, const bench_data *d,
                            size_t *timed, double *seconds)
{
	return libkv_load("sqlite", path, d->n, d, timed, seconds);
}

int bench_libkv_pg_load(const char *path, const bench_data *d,
                        size_t *timed, double *seconds)
{
	return libkv_load("postgresql", path, BENCH_LOAD_CHUNK, d, timed,
	                  seconds);
}

int bench_libkv_pg_open(void **h, const char *path)
{
	return libkv_open(h, "postgresql", path);
}

int bench_libkv_lmdb_open(void **h, const char *path)
{
	return libkv_open(h, "lmdb", path);
}

int bench_libkv_sqlite_open(void **h, const char *path)
{
	return libkv_open(h, "sqlite", path);
}

/* The handle is shared: any number of threads may read at once. */
int bench_libkv_get(void *h, int slot, const bench_data *d,
                    const uint32_t *idx, size_t m)
{
	kv_db *db = h;
	kv_status st;

	(void)slot;
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
			bench_use(v, vl);
		}
		kv_txn_abort(txn);
	}
	return 0;
}

int bench_libkv_get_auto(void *h, const bench_data *d, const uint32_t *idx,
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
		bench_use(v, vl);
		kv_free(v);
	}
	return 0;
}

int bench_libkv_scan(void *h, size_t *count)
{
	kv_db *db = h;
	kv_iter *it;
	kv_status st;
	const void *k, *v;
	size_t kl, vl, c = 0;

	if ((st = kv_iter_new(&it, db, NULL, NULL, 0)) != KV_OK)
		return kv_fail("kv_iter_new", st, db);
	while ((st = kv_iter_next(it, &k, &kl, &v, &vl)) == KV_OK) {
		bench_use(k, kl);
		bench_use(v, vl);
		if (++c % BENCH_SAMPLE_EVERY == 0)
			bench_mem_sample();
	}
	kv_iter_free(it);
	if (st != KV_NOTFOUND)
		return kv_fail("kv_iter_next", st, db);
	*count = c;
	return 0;
}

int bench_libkv_commits(void *h, int slot, const bench_data *d,
                        size_t first, size_t m)
{
	kv_db *db = h;

	(void)slot;
	for (size_t i = 0; i < m; i++) {
		size_t j = first + i;
		kv_status st = kv_db_put(db, BKEY(d, j), d->klen[j], BVAL(d, j),
		                         d->vlen[j], 0);
		if (st != KV_OK)
			return kv_fail("kv_db_put", st, db);
	}
	return 0;
}

int bench_libkv_update_prep(void *h)
{
	kv_status st = kv_schema_define(h, metrics_schema);

	if (st != KV_OK && st != KV_EXISTS)
		return kv_fail("kv_schema_define", st, h);
	return 0;
}

/* kv_record_replace: read, schema check (read-only fields unchanged),
 * seal and write, in transactions of BENCH_GETS_PER_TXN updates. */
int bench_libkv_update(void *h, const bench_data *d, const uint32_t *idx,
                       size_t m)
{
	kv_db *db = h;
	kv_status st = KV_OK;
	char key[BENCH_KEY_MAX + 1], set[64];

	for (size_t i = 0; i < m;) {
		size_t end = min_sz(i + BENCH_GETS_PER_TXN, m);
		kv_txn *txn;
		if ((st = kv_txn_begin(&txn, db, 0)) != KV_OK)
			return kv_fail("kv_txn_begin", st, db);
		for (; i < end && st == KV_OK; i++) {
			uint32_t j = idx[i];
			memcpy(key, BKEY(d, j), d->klen[j]);
			key[d->klen[j]] = '\0';
			snprintf(set, sizeof set, "{\"value\":%.9g}",
			         new_value(i));
			st = kv_record_replace(db, txn, key, set, NULL);
		}
		if (st != KV_OK) {
			kv_txn_abort(txn);
			return kv_fail("kv_record_replace", st, db);
		}
		if ((st = kv_txn_commit(txn)) != KV_OK)
			return kv_fail("kv_txn_commit", st, db);
	}
	return 0;
}

void bench_libkv_close(void *h)
{
	kv_status st = kv_db_close(h);
	if (st != KV_OK)
		kv_fail("kv_db_close", st, NULL);
}

/* ---- raw LMDB, and sealed-lmdb ------------------------------------------ */

typedef struct rlmdb {
	MDB_env *env;
	MDB_dbi dbi, meta;
	int sealed;      /* sealed-lmdb: "data" and "meta", records framed */
	uint64_t digest; /* sealed: the sum of the seals, changed by writers */
	/* One read transaction per thread slot, reset between uses. */
	MDB_txn *rtxn[BENCH_MAX_THREADS];
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
	    (rc = mdb_env_set_maxdbs(*env, 2)) != 0 ||
	    (rc = mdb_env_open(*env, path, MDB_NOSUBDIR | MDB_NOTLS, 0600)) != 0) {
		mdb_env_close(*env);
		return mdb_fail("mdb_env_open", rc);
	}
	return 0;
}

/* Open r's databases in txn (flags MDB_CREATE while loading). */
static int rlmdb_dbis(rlmdb *r, MDB_txn *txn, unsigned int flags)
{
	int rc = mdb_dbi_open(txn, r->sealed ? "data" : NULL, flags, &r->dbi);

	if (rc == 0 && r->sealed)
		rc = mdb_dbi_open(txn, "meta", flags, &r->meta);
	return rc;
}

/* One put; sealed, the value framed as libkv frames it (a length byte,
 * the tag, the value), written in place through MDB_RESERVE. */
static int rlmdb_put(rlmdb *r, MDB_txn *txn, const void *key, size_t klen,
                     const void *val, size_t vlen)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	unsigned char tag[BENCH_TAG_LEN], *p;
	int rc;

	if (!r->sealed)
		return mdb_put(txn, r->dbi, &k, &v, 0);
	if (bench_seal(tag, key, klen, val, vlen))
		return MDB_BAD_VALSIZE;
	v.mv_size = 1 + BENCH_TAG_LEN + vlen;
	if ((rc = mdb_put(txn, r->dbi, &k, &v, MDB_RESERVE)) != 0)
		return rc;
	p = v.mv_data;
	p[0] = BENCH_TAG_LEN;
	memcpy(p + 1, tag, BENCH_TAG_LEN);
	memcpy(p + 1 + BENCH_TAG_LEN, val, vlen);
	r->digest += bench_seal_sum(tag);
	return 0;
}

/* Commit txn; sealed, with the digest written first.  Ends txn. */
static int rlmdb_commit(rlmdb *r, MDB_txn *txn)
{
	unsigned char buf[8];
	MDB_val k = { 6, "digest" }, v = { sizeof buf, buf };
	int rc;

	if (r->sealed) {
		for (int i = 0; i < 8; i++)
			buf[i] = (unsigned char)(r->digest >> (8 * i));
		if ((rc = mdb_put(txn, r->meta, &k, &v, 0)) != 0) {
			mdb_txn_abort(txn);
			return rc;
		}
	}
	return mdb_txn_commit(txn);
}

/* The value of record k as read: sealed, unframed once its seal checks;
 * -1 when it does not. */
static int rlmdb_value(const rlmdb *r, const MDB_val *k, MDB_val *v)
{
	const unsigned char *p = v->mv_data;
	size_t frame = 1 + BENCH_TAG_LEN;

	if (!r->sealed)
		return 0;
	if (v->mv_size < frame || p[0] != BENCH_TAG_LEN ||
	    !bench_seal_ok(p + 1, p[0], k->mv_data, k->mv_size, p + frame,
	                   v->mv_size - frame)) {
		fprintf(stderr, "kvbench: sealed-lmdb: a record does not match "
		        "its seal\n");
		return -1;
	}
	v->mv_data = (void *)(p + frame);
	v->mv_size -= frame;
	return 0;
}

static int rlmdb_load(const char *path, const bench_data *d, int sealed,
                      size_t *timed, double *seconds)
{
	rlmdb r = { .sealed = sealed };
	int rc;
	double t0 = bench_now();

	if (rlmdb_env(&r.env, path))
		return -1;
	for (size_t i = 0; i < d->n;) {
		size_t end = min_sz(i + BENCH_LOAD_CHUNK, d->n);
		MDB_txn *txn;
		if ((rc = mdb_txn_begin(r.env, NULL, 0, &txn)) != 0)
			goto fail;
		if ((rc = rlmdb_dbis(&r, txn, MDB_CREATE)) != 0) {
			mdb_txn_abort(txn);
			goto fail;
		}
		for (; i < end; i++)
			if ((rc = rlmdb_put(&r, txn, BKEY(d, i), d->klen[i],
			                    BVAL(d, i), d->vlen[i])) != 0) {
				mdb_txn_abort(txn);
				goto fail;
			}
		if ((rc = rlmdb_commit(&r, txn)) != 0)
			goto fail;
	}
	mdb_env_close(r.env);
	*seconds = bench_now() - t0;
	*timed = d->n;
	return 0;
fail:
	mdb_env_close(r.env);
	return mdb_fail("bulk load", rc);
}

int bench_rlmdb_load(const char *path, const bench_data *d, size_t *timed,
                     double *seconds)
{
	return rlmdb_load(path, d, 0, timed, seconds);
}

int bench_slmdb_load(const char *path, const bench_data *d, size_t *timed,
                     double *seconds)
{
	return rlmdb_load(path, d, 1, timed, seconds);
}

static int rlmdb_open(void **h, const char *path, int sealed)
{
	rlmdb *r = calloc(1, sizeof *r);
	MDB_txn *txn;
	int rc, s;

	if (!r)
		return -1;
	r->sealed = sealed;
	if (rlmdb_env(&r->env, path)) {
		free(r);
		return -1;
	}
	if ((rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = rlmdb_dbis(r, txn, 0)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	for (s = 0; s < BENCH_MAX_THREADS; s++) {
		if ((rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY,
		                        &r->rtxn[s])) != 0)
			goto fail;
		mdb_txn_reset(r->rtxn[s]);
	}
	*h = r;
	return 0;
fail:
	for (s = 0; s < BENCH_MAX_THREADS; s++)
		if (r->rtxn[s])
			mdb_txn_abort(r->rtxn[s]);
	mdb_env_close(r->env);
	free(r);
	return mdb_fail("open", rc);
}

int bench_rlmdb_open(void **h, const char *path)
{
	return rlmdb_open(h, path, 0);
}

int bench_slmdb_open(void **h, const char *path)
{
	return rlmdb_open(h, path, 1);
}

int bench_rlmdb_get(void *h, int slot, const bench_data *d,
                    const uint32_t *idx, size_t m)
{
	rlmdb *r = h;
	MDB_txn *t = r->rtxn[slot];
	int rc;

	for (size_t i = 0; i < m;) {
		size_t end = min_sz(i + BENCH_GETS_PER_TXN, m);
		if ((rc = mdb_txn_renew(t)) != 0)
			return mdb_fail("mdb_txn_renew", rc);
		for (; i < end; i++) {
			uint32_t j = idx[i];
			MDB_val k = { d->klen[j], BKEY(d, j) }, v;
			rc = mdb_get(t, r->dbi, &k, &v);
			if (rc == 0 && rlmdb_value(r, &k, &v))
				rc = MDB_CORRUPTED;
			if (rc != 0 || v.mv_size != d->vlen[j]) {
				mdb_txn_reset(t);
				return mdb_fail("mdb_get", rc ? rc : MDB_CORRUPTED);
			}
			bench_use(v.mv_data, v.mv_size);
		}
		mdb_txn_reset(t);
	}
	return 0;
}

int bench_rlmdb_scan(void *h, size_t *count)
{
	rlmdb *r = h;
	MDB_txn *t = r->rtxn[0];
	MDB_cursor *cur;
	MDB_val k, v;
	size_t c = 0;
	int rc;

	if ((rc = mdb_txn_renew(t)) != 0)
		return mdb_fail("mdb_txn_renew", rc);
	if ((rc = mdb_cursor_open(t, r->dbi, &cur)) != 0) {
		mdb_txn_reset(t);
		return mdb_fail("mdb_cursor_open", rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (rlmdb_value(r, &k, &v)) {
			rc = MDB_CORRUPTED;
			break;
		}
		bench_use(k.mv_data, k.mv_size);
		bench_use(v.mv_data, v.mv_size);
		if (++c % BENCH_SAMPLE_EVERY == 0)
			bench_mem_sample();
	}
	mdb_cursor_close(cur);
	mdb_txn_reset(t);
	if (rc != MDB_NOTFOUND)
		return mdb_fail("mdb_cursor_get", rc);
	*count = c;
	return 0;
}

/* Each commit synced (no MDB_NOSYNC); LMDB serialises the writers. */
int bench_rlmdb_commits(void *h, int slot, const bench_data *d,
                        size_t first, size_t m)
{
	rlmdb *r = h;
	int rc;

	(void)slot;
	for (size_t i = 0; i < m; i++) {
		size_t j = first + i;
		MDB_txn *txn;
		if ((rc = mdb_txn_begin(r->env, NULL, 0, &txn)) != 0)
			return mdb_fail("mdb_txn_begin", rc);
		if ((rc = rlmdb_put(r, txn, BKEY(d, j), d->klen[j], BVAL(d, j),
		                    d->vlen[j])) != 0) {
			mdb_txn_abort(txn);
			return mdb_fail("mdb_put", rc);
		}
		if ((rc = rlmdb_commit(r, txn)) != 0)
			return mdb_fail("mdb_txn_commit", rc);
	}
	return 0;
}

/* One hand-written partial update in txn: get, parse, set "value",
 * serialise compactly, put. */
static int rlmdb_update1(rlmdb *r, MDB_txn *txn, const bench_data *d,
                         uint32_t j, double value)
{
	MDB_val k = { d->klen[j], BKEY(d, j) }, v;
	json_error_t err;
	json_t *rec;
	char *text;
	int rc;

	if ((rc = mdb_get(txn, r->dbi, &k, &v)) != 0)
		return mdb_fail("mdb_get", rc);
	if (!(rec = json_loadb(v.mv_data, v.mv_size, 0, &err))) {
		fprintf(stderr, "kvbench: json_loadb: %s\n", err.text);
		return -1;
	}
	if (json_object_set_new(rec, "value", json_real(value)) != 0 ||
	    !(text = json_dumps(rec, JSON_COMPACT))) {
		json_decref(rec);
		fprintf(stderr, "kvbench: json: out of memory\n");
		return -1;
	}
	json_decref(rec);
	v.mv_data = text;
	v.mv_size = strlen(text);
	rc = mdb_put(txn, r->dbi, &k, &v, 0);
	free(text);
	return rc ? mdb_fail("mdb_put", rc) : 0;
}

int bench_rlmdb_update(void *h, const bench_data *d, const uint32_t *idx,
                       size_t m)
{
	rlmdb *r = h;
	int rc;

	for (size_t i = 0; i < m;) {
		size_t end = min_sz(i + BENCH_GETS_PER_TXN, m);
		MDB_txn *txn;
		if ((rc = mdb_txn_begin(r->env, NULL, 0, &txn)) != 0)
			return mdb_fail("mdb_txn_begin", rc);
		for (; i < end; i++)
			if (rlmdb_update1(r, txn, d, idx[i], new_value(i))) {
				mdb_txn_abort(txn);
				return -1;
			}
		if ((rc = mdb_txn_commit(txn)) != 0)
			return mdb_fail("mdb_txn_commit", rc);
	}
	return 0;
}

void bench_rlmdb_close(void *h)
{
	rlmdb *r = h;

	for (int s = 0; s < BENCH_MAX_THREADS; s++)
		mdb_txn_abort(r->rtxn[s]);
	mdb_env_close(r->env);
	free(r);
}

void bench_lmdb_version(char *buf, size_t size)
{
	snprintf(buf, size, "%s", mdb_version(NULL, NULL, NULL));
}
