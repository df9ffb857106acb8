/*
 * fuzz/fuzz_ndbm.c - ndbm API operation sequences against the model.
 *
 * The input's first byte picks the backend (LMDB or SQLite); the rest is
 * decoded into dbm_store (insert or replace), dbm_fetch, dbm_delete,
 * dbm_firstkey / dbm_nextkey steps (interleaved with writes), dbm_clearerr
 * and a close and reopen, each compared with the in-memory model:
 *  - fetch returns the model's value, or dptr NULL with no error;
 *  - store returns 0, or 1 for DBM_INSERT on a present key; delete of an
 *    absent key is -1 with ENOENT; an empty key is -1 with EINVAL;
 *  - no snapshot is held between iteration calls, so firstkey returns the
 *    smallest key and nextkey the smallest key after the one returned
 *    last, in the store as it is now;
 *  - a reopened store holds what was stored.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "kv/ndbm.h"
#include "fuzz.h"
#include "model.h"

#define MAX_OPS 96

struct run {
	DBM *db;
	char uri[600];
	struct fz_model m;
	/* The key the last firstkey/nextkey returned; none before one. */
	int iterating;
	unsigned char last[FZ_MAX_KEY];
	size_t last_len;
	fz_in in;
};

static void expect_clean(struct run *r, const char *op)
{
	if (dbm_error(r->db))
		fz_fail("%s: dbm_error set after a call that succeeded", op);
}

static void op_store(struct run *r, int mode)
{
	unsigned char val[FZ_BIG_VAL];
	struct fz_ent e;
	datum k, v;
	int want, got, found;

	e.klen = fz_read_key(&r->in, e.k, FZ_MAX_KEY);
	fz_read_val(&r->in, &e.vlen, &e.vseed);
	fz_make_val(val, e.vlen, e.vseed);
	fz_model_find(&r->m, e.k, e.klen, &found);
	if (e.klen == 0)
		want = -1;
	else if (found && mode == DBM_INSERT)
		want = 1;
	else if (!fz_model_put(&r->m, &e))
		return; /* model full */
	else
		want = 0;
	k.dptr = e.k;
	k.dsize = e.klen;
	v.dptr = val;
	v.dsize = e.vlen;
	errno = 0;
	got = dbm_store(r->db, k, v, mode);
	if (got != want)
		fz_fail("dbm_store(%s) returned %d, the model says %d (errno %d)",
		        mode == DBM_INSERT ? "insert" : "replace", got, want, errno);
	if (want == -1 && (errno != EINVAL || !dbm_error(r->db)))
		fz_fail("dbm_store of an empty key: errno %d, dbm_error %d", errno,
		        dbm_error(r->db));
	if (want == -1)
		dbm_clearerr(r->db);
	expect_clean(r, "dbm_store");
}

static void op_fetch(struct run *r)
{
	unsigned char k[FZ_MAX_KEY];
	size_t klen = fz_read_key(&r->in, k, FZ_MAX_KEY), i;
	datum key, v;
	int found;

	i = fz_model_find(&r->m, k, klen, &found);
	key.dptr = k;
	key.dsize = klen;
	v = dbm_fetch(r->db, key);
	if (klen == 0) {
		if (v.dptr != NULL || !dbm_error(r->db))
			fz_fail("dbm_fetch of an empty key did not fail");
		dbm_clearerr(r->db);
		return;
	}
	if (!found && v.dptr != NULL)
		fz_fail("dbm_fetch found a key the model lacks");
	if (found && (v.dptr == NULL ||
	              fz_val_cmp(v.dptr, v.dsize, &r->m.e[i]) != 0))
		fz_fail("dbm_fetch: value differs from the model's");
	expect_clean(r, "dbm_fetch");
}

static void op_delete(struct run *r)
{
	unsigned char k[FZ_MAX_KEY];
	size_t klen = fz_read_key(&r->in, k, FZ_MAX_KEY);
	datum key;
	int want, got;

	want = klen > 0 && fz_model_del(&r->m, k, klen) ? 0 : -1;
	key.dptr = k;
	key.dsize = klen;
	errno = 0;
	got = dbm_delete(r->db, key);
	if (got != want)
		fz_fail("dbm_delete returned %d, the model says %d", got, want);
	if (want == -1 && errno != (klen ? ENOENT : EINVAL))
		fz_fail("dbm_delete failed with errno %d", errno);
	dbm_clearerr(r->db);
}

static void op_iter(struct run *r, int first)
{
	const struct fz_ent *e;
	datum k;

	if (!first && !r->iterating)
		return; /* nextkey before firstkey is unspecified enough */
	e = fz_model_after(&r->m, r->last, r->last_len, first);
	k = first ? dbm_firstkey(r->db) : dbm_nextkey(r->db);
	if (e == NULL) {
		if (k.dptr != NULL)
			fz_fail("%s returned a key past the model's last",
			        first ? "dbm_firstkey" : "dbm_nextkey");
		r->iterating = 0;
	} else {
		if (k.dptr == NULL ||
		    fz_key_cmp(k.dptr, k.dsize, e->k, e->klen) != 0)
			fz_fail("%s returned another key than the model's",
			        first ? "dbm_firstkey" : "dbm_nextkey");
		memcpy(r->last, e->k, e->klen);
		r->last_len = e->klen;
		r->iterating = 1;
	}
	expect_clean(r, "iteration");
}

static void reopen(struct run *r, int flags)
{
	if (r->db != NULL)
		dbm_close(r->db);
	r->db = dbm_open(r->uri, flags, 0600);
	if (r->db == NULL)
		fz_fail("dbm_open(%s): errno %d", r->uri, errno);
	r->iterating = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run r;
	int n, lmdb;
	unsigned b;

	memset(&r, 0, sizeof r);
	r.in.p = data;
	r.in.left = size;
	fz_setup(KV_WARNINGS_ALWAYS);
	lmdb = fz_byte(&r.in) & 1;
	snprintf(r.uri, sizeof r.uri, "%s:%s", lmdb ? "lmdb" : "sqlite",
	         fz_path(0, lmdb ? "ndbm.mdb" : "ndbm.sqlite"));
	reopen(&r, O_RDWR | O_CREAT | O_TRUNC);
	for (n = 0; n < MAX_OPS && !fz_empty(&r.in); n++) {
		b = fz_byte(&r.in);
		switch (b % 8) {
		case 0: op_store(&r, DBM_REPLACE); break;
		case 1: op_store(&r, DBM_INSERT); break;
		case 2: op_fetch(&r); break;
		case 3: op_delete(&r); break;
		case 4: op_iter(&r, 1); break;
		case 5: case 6: op_iter(&r, 0); break;
		default: reopen(&r, O_RDWR); break;
		}
	}
	dbm_close(r.db);
	return 0;
}
