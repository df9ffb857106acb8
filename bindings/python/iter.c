/*
 * bindings/python/iter.c - kv.Iterator: keys, or (key, value) pairs, under
 * a prefix in key order, fetched one at a time with the GIL released.
 *
 * Made on a store, an iterator reads one private snapshot (libkv's), so a
 * loop that writes to the store as it goes sees the store as it was when
 * the loop began, and visits every key once.  Made in a transaction, it
 * sees that transaction's writes and ends with it.  The snapshot is
 * released as soon as the iteration is exhausted.
 */
#include <stdlib.h>
#include <string.h>

#include "kvpy.h"

typedef struct kvpy_iter {
	kvpy_kid head;
	kv_iter *it;               /* NULL once exhausted or ended */
	kvpy_txn *txn;             /* strong reference, or NULL */
	int what;                  /* KVPY_KEYS or KVPY_ITEMS */
	int killed;                /* ended by close(), not exhausted */
	char *buf;                 /* key then value of the last step */
	size_t cap;
} kvpy_iter;

typedef struct step {
	kvpy_iter *self;
	size_t key_len, val_len;
	int ended;                 /* closed under us, or exhausted */
} step;

/* Make an iterator of t under prefix (NULL: all keys). */
typedef struct make {
	kvpy_bytes prefix;
	kv_iter **out;
} make;

static kv_status op_make(kv_db *db, kv_txn *txn, void *arg)
{
	make *m = arg;

	return kv_iter_new(m->out, db, txn, m->prefix.p, (size_t)m->prefix.n);
}

PyObject *kvpy_iter_new(kvpy_target *t, PyObject *prefix, int what)
{
	kvpy_iter *self;
	make m;
	int rc;

	memset(&m, 0, sizeof m);
	if (prefix && kvpy_bytes_get(&m.prefix, prefix, "prefix") < 0)
		return NULL;
	if (!(self = PyObject_New(kvpy_iter, &kvpy_iter_type))) {
		kvpy_bytes_release(&m.prefix);
		return NULL;
	}
	/* Listed before libkv makes it, so that a close() on another thread
	 * right after finds it and ends it. */
	kvpy_kid_link(&self->head, t->db, KVPY_KID_ITER);
	self->it = NULL;
	self->txn = t->txn;
	Py_XINCREF(self->txn);
	self->what = what;
	self->buf = NULL;
	self->cap = 0;
	self->killed = 0;
	m.out = &self->it;
	if (t->txn)
		t->txn->head.busy = 1;
	rc = kvpy_run(t, op_make, &m, 0);
	kvpy_target_done(t);
	kvpy_bytes_release(&m.prefix);
	if (rc < 0) {
		Py_DECREF(self);
		return NULL;
	}
	return (PyObject *)self;
}

/* Called by close(), holding the gate exclusively and the GIL. */
void kvpy_iter_end_kid(kvpy_kid *k)
{
	kvpy_iter *self = (kvpy_iter *)k;

	kv_iter_free(self->it);
	self->it = NULL;
	self->killed = 1;
}

/* Copy the current key and value into self->buf. */
static kv_status keep(kvpy_iter *self, step *s, const void *k, size_t kl,
                      const void *v, size_t vl)
{
	size_t need = kl + vl + 1;
	char *nb;

	if (need > self->cap) {
		if (!(nb = realloc(self->buf, need)))
			return KV_ENOMEM;
		self->buf = nb;
		self->cap = need;
	}
	memcpy(self->buf, k, kl);
	if (vl)
		memcpy(self->buf + kl, v, vl);
	s->key_len = kl;
	s->val_len = vl;
	return KV_OK;
}

static kv_status op_step(kv_db *db, kv_txn *txn, void *arg)
{
	step *s = arg;
	kvpy_iter *self = s->self;
	const void *k, *v;
	size_t kl, vl;
	kv_status rc;

	(void)db;
	(void)txn;
	if (!self->it) {  /* read inside the gate: close() clears it */
		s->ended = 1;
		return KV_OK;
	}
	rc = kv_iter_next(self->it, &k, &kl, self->what == KVPY_ITEMS ? &v
	                                                               : NULL,
	                  self->what == KVPY_ITEMS ? &vl : NULL);
	if (rc == KV_NOTFOUND) {
		/* Exhausted: let the snapshot go now, not at deallocation. */
		kv_iter_free(self->it);
		self->it = NULL;
		s->ended = 1;
		return KV_OK;
	}
	if (rc)
		return rc;
	return keep(self, s, k, kl, v, self->what == KVPY_ITEMS ? vl : 0);
}

static PyObject *iter_next(kvpy_iter *self)
{
	kvpy_target t;
	step s = { self, 0, 0, 0 };
	PyObject *k, *v, *r;
	int rc;

	if (self->killed)
		return kvpy_set_error_obj(KV_EINVAL, "%U: the store was closed "
		                          "during the iteration",
		                          self->head.owner->name);
	if (!self->it)
		return NULL;
	if (self->txn) {
		if (kvpy_target_of(&t, (PyObject *)self->txn) < 0)
			return NULL;
	} else {
		t.db = self->head.owner;
		t.txn = NULL;
		if (self->head.busy) {
			kvpy_set_error_obj(KV_EBUSY, "%U: the iterator is in use by "
			                   "another thread", t.db->name);
			return NULL;
		}
		if (kvpy_check_open(t.db) < 0)
			return NULL;
	}
	self->head.busy = 1;
	rc = kvpy_run(&t, op_step, &s, 0);
	self->head.busy = 0;
	kvpy_target_done(&t);
	if (rc < 0)
		return NULL;
	if (s.ended)
		return self->killed ? iter_next(self) : NULL;
	k = PyBytes_FromStringAndSize(self->buf, (Py_ssize_t)s.key_len);
	if (!k || self->what == KVPY_KEYS)
		return k;
	v = PyBytes_FromStringAndSize(self->buf + s.key_len,
	                              (Py_ssize_t)s.val_len);
	r = v ? PyTuple_Pack(2, k, v) : NULL;
	Py_DECREF(k);
	Py_XDECREF(v);
	return r;
}

static void iter_dealloc(kvpy_iter *self)
{
	kvpy_db *d = self->head.owner;

	/* The gate first (without the GIL, as everywhere), so that close()
	 * on another thread either ended this iterator already or waits. */
	Py_BEGIN_ALLOW_THREADS
	kvpy_gate_enter(d);
	Py_END_ALLOW_THREADS
	kvpy_kid_unlink(&self->head);
	kv_iter_free(self->it);
	kvpy_gate_leave(d);
	free(self->buf);
	Py_XDECREF(self->txn);
	Py_DECREF(d);
	PyObject_Free(self);
}

PyTypeObject kvpy_iter_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "kv.Iterator",
	.tp_basicsize = sizeof(kvpy_iter),
	.tp_dealloc = (destructor)iter_dealloc,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Keys, or (key, value) pairs, under a prefix in key order.",
	.tp_iter = PyObject_SelfIter,
	.tp_iternext = (iternextfunc)iter_next,
};
