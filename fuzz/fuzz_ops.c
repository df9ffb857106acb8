/*
 * fuzz/fuzz_ops.c - differential operation fuzzing.
 *
 * The input is decoded into a bounded sequence of put / get / del /
 * put-if-absent / iterate (with seeks) / begin / commit / abort, applied
 * to libkv on LMDB, libkv on SQLite and a plain in-memory model of what
 * kv.h promises.  Any disagreement -- a status, a value, the keys an
 * iterator visits -- aborts.
 *
 * Keys come from a tiny alphabet (so that keys collide and prefix one
 * another) and values are generated from a length and a seed byte, so the
 * model stores no bytes.  A few values are large enough for LMDB overflow
 * pages.  Both stores are opened once per process and emptied before each
 * input, which keeps every input independent of the ones before it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model.h"

#define MAX_OPS 96
#define NSIDES 2

enum txn_kind { TXN_NONE, TXN_WRITE, TXN_READ };

struct side {
	const char *scheme;
	kv_db *db;
	kv_txn *txn;
};

/* The run: the model's committed state and the state the open
 * transaction sees (its writes, or its snapshot). */
struct run {
	struct fz_model committed, view;
	enum txn_kind txn;
	fz_in in;
};

static struct side sides[NSIDES] = { { "lmdb", NULL, NULL },
                                     { "sqlite", NULL, NULL } };

static void check_status(int s, kv_status got, kv_status want,
                         const char *op)
{
	if (got != want)
		fz_fail("%s on %s: got %s, the model says %s (%s)", op,
		        sides[s].scheme, kv_strerror(got), kv_strerror(want),
		        kv_db_errmsg(sides[s].db));
}

static void check_value(int s, const char *op, const void *v, size_t vlen,
                        const struct fz_ent *e)
{
	if (fz_val_cmp(v, vlen, e) != 0)
		fz_fail("%s on %s: value of %zu bytes differs from the model's "
		        "(%zu bytes)", op, sides[s].scheme, vlen, e->vlen);
}

/* The model a write goes to, or NULL when it must fail: a read
 * transaction refuses, and an autocommit call while this thread holds a
 * write transaction is refused rather than deadlocking. */
static struct fz_model *write_target(struct run *r, int direct, kv_status *st)
{
	*st = KV_OK;
	if (r->txn == TXN_NONE || (direct && r->txn == TXN_READ))
		return &r->committed;
	if (direct) {
		*st = KV_EBUSY;
		return NULL;
	}
	if (r->txn == TXN_READ) {
		*st = KV_EREADONLY;
		return NULL;
	}
	return &r->view;
}

/* put, put-if-absent (noover) or del. */
static void op_write(struct run *r, int del, int noover, int direct)
{
	struct fz_ent e;
	struct fz_model *m;
	kv_status want, got;
	int found, s;
	unsigned char val[FZ_BIG_VAL];
	const char *name = del ? "del" : noover ? "put-if-absent" : "put";

	e.klen = fz_read_key(&r->in, e.k, FZ_MAX_KEY);
	e.vlen = 0;
	e.vseed = 0;
	if (!del)
		fz_read_val(&r->in, &e.vlen, &e.vseed);
	fz_make_val(val, e.vlen, e.vseed);
	m = write_target(r, direct, &want);
	fz_trace("%s%s %s len %zu", name, direct ? " (autocommit)" : "",
	         fz_hex(e.k, e.klen, 0), e.vlen);
	if (e.klen == 0)
		want = KV_EINVAL;
	if (want == KV_OK) {
		fz_model_find(m, e.k, e.klen, &found);
		if (del && !found)
			want = KV_NOTFOUND;
		else if (noover && found)
			want = KV_EXISTS;
		else if (del)
			fz_model_del(m, e.k, e.klen);
		else if (!fz_model_put(m, &e))
			return; /* the model is full: skip the op everywhere */
	}
	for (s = 0; s < NSIDES; s++) {
		struct side *sd = &sides[s];
		unsigned flags = noover ? KV_PUT_NOOVERWRITE : 0;
		if (sd->txn != NULL && !direct)
			got = del ? kv_txn_del(sd->txn, e.k, e.klen)
			          : kv_txn_put(sd->txn, e.k, e.klen, val, e.vlen,
			                       flags);
		else
			got = del ? kv_db_del(sd->db, e.k, e.klen)
			          : kv_db_put(sd->db, e.k, e.klen, val, e.vlen,
			                      flags);
		check_status(s, got, want, name);
	}
}

static void op_get(struct run *r, int direct)
{
	unsigned char k[FZ_MAX_KEY];
	size_t klen = fz_read_key(&r->in, k, FZ_MAX_KEY), i, vlen;
	const struct fz_model *m = direct || r->txn == TXN_NONE ? &r->committed
	                                                      : &r->view;
	kv_status want = KV_OK, got;
	int found, s;

	i = fz_model_find(m, k, klen, &found);
	fz_trace("get%s %s", direct ? " (autocommit)" : "", fz_hex(k, klen, 0));
	if (klen == 0)
		want = KV_EINVAL;
	else if (!found)
		want = KV_NOTFOUND;
	for (s = 0; s < NSIDES; s++) {
		struct side *sd = &sides[s];
		if (sd->txn != NULL && !direct) {
			const void *v = NULL;
			got = kv_txn_get(&v, &vlen, sd->txn, k, klen);
			check_status(s, got, want, "txn get");
			if (got == KV_OK)
				check_value(s, "txn get", v, vlen, &m->e[i]);
		} else {
			void *v = NULL;
			got = kv_db_get(&v, &vlen, sd->db, k, klen);
			check_status(s, got, want, "get");
			if (got == KV_OK)
				check_value(s, "get", v, vlen, &m->e[i]);
			kv_free(v);
		}
	}
}

static int has_prefix(const struct fz_ent *e, const unsigned char *p,
                      size_t plen)
{
	return e->klen >= plen && memcmp(e->k, p, plen) == 0;
}

/* The model's next entry at or after *pos that the iterator must show. */
static const struct fz_ent *model_next(const struct fz_model *m, size_t *pos,
                                    const unsigned char *p, size_t plen)
{
	while (*pos < m->n && !has_prefix(&m->e[*pos], p, plen))
		(*pos)++;
	return *pos < m->n ? &m->e[(*pos)++] : NULL;
}

/* Walk one side's iterator against the model, seeking to seek at step
 * seek_at. */
static void iter_side(int s, const struct fz_model *m, int direct,
                      const unsigned char *p, size_t plen,
                      size_t seek_at, const unsigned char *seek,
                      size_t seeklen)
{
	struct side *sd = &sides[s];
	kv_iter *it = NULL;
	const struct fz_ent *e;
	const void *k, *v;
	size_t klen, vlen, pos = 0, step = 0;
	kv_status got;
	int found;

	got = kv_iter_new(&it, sd->db, direct ? NULL : sd->txn, p, plen);
	check_status(s, got, KV_OK, "iter_new");
	for (;; step++) {
		if (step == seek_at) {
			check_status(s, kv_iter_seek(it, seek, seeklen), KV_OK,
			             "iter_seek");
			pos = fz_model_find(m, seek, seeklen, &found);
		}
		e = model_next(m, &pos, p, plen);
		got = kv_iter_next(it, &k, &klen, &v, &vlen);
		check_status(s, got, e ? KV_OK : KV_NOTFOUND, "iter_next");
		if (e == NULL)
			break;
		if (fz_key_cmp(k, klen, e->k, e->klen) != 0)
			fz_fail("iter on %s: step %zu shows key %s, the model %s",
			        sd->scheme, step, fz_hex(k, klen, 0),
			        fz_hex(e->k, e->klen, 1));
		check_value(s, "iter", v, vlen, e);
	}
	kv_iter_free(it);
}

static void op_iter(struct run *r, int direct)
{
	unsigned char p[FZ_MAX_KEY], seek[FZ_MAX_KEY];
	size_t plen = fz_read_key(&r->in, p, 2);
	unsigned b = fz_byte(&r->in);
	size_t seek_at = b & 0x80 ? (size_t)-1 : b & 7;
	size_t seeklen = fz_read_key(&r->in, seek, FZ_MAX_KEY);
	const struct fz_model *m = direct || r->txn == TXN_NONE ? &r->committed
	                                                      : &r->view;
	int s;

	fz_trace("iter%s prefix %s, seek at %zu to %s",
	         direct ? " (own snapshot)" : "", fz_hex(p, plen, 0), seek_at,
	         fz_hex(seek, seeklen, 1));
	for (s = 0; s < NSIDES; s++)
		iter_side(s, m, direct, p, plen, seek_at, seek, seeklen);
}

static void op_begin(struct run *r, int read)
{
	kv_status want = KV_OK, got;
	int s;

	fz_trace("begin %s", read ? "read" : "write");
	if (r->txn == TXN_READ || (r->txn == TXN_WRITE && read))
		return; /* one transaction at a time, but see below */
	if (r->txn == TXN_WRITE)
		want = KV_EBUSY; /* a second writer on this thread */
	for (s = 0; s < NSIDES; s++) {
		kv_txn *t = NULL;
		got = kv_txn_begin(&t, sides[s].db, read ? KV_TXN_READONLY : 0);
		check_status(s, got, want, "begin");
		if (got == KV_OK)
			sides[s].txn = t;
	}
	if (want == KV_OK) {
		r->txn = read ? TXN_READ : TXN_WRITE;
		r->view = r->committed;
	}
}

static void op_end(struct run *r, int commit)
{
	int s;

	fz_trace("%s", commit ? "commit" : "abort");
	if (r->txn == TXN_NONE)
		return;
	for (s = 0; s < NSIDES; s++) {
		if (commit)
			check_status(s, kv_txn_commit(sides[s].txn), KV_OK,
			             "commit");
		else
			kv_txn_abort(sides[s].txn);
		sides[s].txn = NULL;
	}
	if (commit && r->txn == TXN_WRITE)
		r->committed = r->view;
	r->txn = TXN_NONE;
}

/* Empty a store in one transaction: the previous input's keys go. */
static void empty_store(kv_db *db)
{
	unsigned char keys[FZ_MAX_ENTS * 2][FZ_MAX_KEY];
	size_t lens[FZ_MAX_ENTS * 2], n = 0, i, klen;
	kv_iter *it = NULL;
	kv_txn *t = NULL;
	const void *k;

	fz_expect(kv_txn_begin(&t, db, 0), "empty: begin", 0);
	fz_expect(kv_iter_new(&it, db, t, NULL, 0), "empty: iter", 0);
	while (n < FZ_MAX_ENTS * 2 &&
	       kv_iter_next(it, &k, &klen, NULL, NULL) == KV_OK) {
		memcpy(keys[n], k, klen);
		lens[n++] = klen;
	}
	kv_iter_free(it);
	for (i = 0; i < n; i++)
		fz_expect(kv_txn_del(t, keys[i], lens[i]), "empty: del", 0);
	fz_expect(kv_txn_commit(t), "empty: commit", 0);
}

static void open_sides(void)
{
	kv_open_options o = KV_OPEN_OPTIONS_INIT;
	char uri[600];
	int s;

	if (sides[0].db != NULL)
		return;
	fz_setup(KV_WARNINGS_ALWAYS);
	/* A map no input fills.  LMDB cannot grow its map while the process
	 * has a read transaction open, so an autocommit put that must grow it
	 * while this thread holds one waits for it (KV_LMDB_GROW_WAIT_MS) and
	 * fails with KV_EFULL, where SQLite succeeds: a known limitation,
	 * not a disagreement to hunt.  tests/test_txn.c covers growth. */
	setenv("KV_LMDB_MAP_SIZE", "67108864", 1);
	o.flags = KV_OPEN_TRUNCATE;
	for (s = 0; s < NSIDES; s++) {
		snprintf(uri, sizeof uri, "%s:%s", sides[s].scheme,
		         fz_path(0, sides[s].scheme));
		fz_expect(kv_db_open(&sides[s].db, uri, &o), uri, 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct run r;
	int s, n;
	unsigned b = 0;

	open_sides();
	for (s = 0; s < NSIDES; s++)
		empty_store(sides[s].db);
	memset(&r, 0, sizeof r);
	r.in.p = data;
	r.in.left = size;
	for (n = 0; n < MAX_OPS && !fz_empty(&r.in); n++) {
		b = fz_byte(&r.in);
		switch (b % 10) {
		case 0: op_write(&r, 0, 0, b & 0x80); break;
		case 1: op_get(&r, b & 0x80); break;
		case 2: op_write(&r, 1, 0, b & 0x80); break;
		case 3: op_write(&r, 0, 1, b & 0x80); break;
		case 4: op_iter(&r, b & 0x80); break;
		case 5: op_begin(&r, 0); break;
		case 6: op_begin(&r, 1); break;
		case 7: op_end(&r, 1); break;
		case 8: op_end(&r, 0); break;
		default: op_write(&r, 0, 0, 0); break;
		}
	}
	op_end(&r, b & 1);
	return 0;
}
