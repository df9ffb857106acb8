/*
 * bindings/python/gate.c - how a method gets from Python into libkv:
 * arguments as bytes, the store's gate, the transactions and iterators a
 * store ends when it is closed, and kvpy_run(), which every store call
 * goes through (see kvpy.h for the locking rules).
 */
#include <string.h>

#include "kvpy.h"

/* Non-zero while this thread runs a Python callback from inside a libkv
 * call (verify progress, schema listing): close() must not wait for the
 * gate this very thread holds. */
_Thread_local int kvpy_in_callback;

/* Whether the calling process opened d (else: a forked child). */
static int own_process(const kvpy_db *d)
{
	return d->gen == kvpy_fork_gen();
}

void kvpy_gate_enter(kvpy_db *d)
{
	if (own_process(d))
		pthread_rwlock_rdlock(&d->gate);
}

void kvpy_gate_leave(kvpy_db *d)
{
	if (own_process(d))
		pthread_rwlock_unlock(&d->gate);
}

void kvpy_call_done(kvpy_call *c, kv_db *db, kv_status rc)
{
	c->rc = rc;
	c->msg[0] = '\0';
	if (rc != KV_OK) {
		/* Copied now: the handle's message lives only as long as it. */
		snprintf(c->msg, sizeof c->msg, "%s",
		         db ? kv_db_errmsg(db) : kv_errmsg());
	}
}

int kvpy_check_open(kvpy_db *d)
{
	if (d->db)
		return 0;
	kvpy_set_error_obj(KV_EINVAL, "%U: the store is closed", d->name);
	return -1;
}

/* ---- kids --------------------------------------------------------------- */

void kvpy_kid_link(kvpy_kid *k, kvpy_db *owner, int kind)
{
	Py_INCREF(owner);
	k->owner = owner;
	k->kind = kind;
	k->busy = 0;
	k->prev = NULL;
	k->next = owner->kids;
	if (owner->kids)
		owner->kids->prev = k;
	owner->kids = k;
	k->listed = 1;
}

void kvpy_kid_unlink(kvpy_kid *k)
{
	if (!k->listed)
		return;
	if (k->prev)
		k->prev->next = k->next;
	else
		k->owner->kids = k->next;
	if (k->next)
		k->next->prev = k->prev;
	k->prev = k->next = NULL;
	k->listed = 0;
}

/* End every transaction and iterator of d: iterators first, as libkv
 * wants them gone before their transaction.  Caller holds the gate
 * exclusively (or is a forked child) and the GIL. */
void kvpy_kids_end(kvpy_db *d)
{
	kvpy_kid *k, *next;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (k = d->kids; k; k = next) {
			next = k->next;
			if (pass == 0 && k->kind == KVPY_KID_ITER)
				kvpy_iter_end_kid(k);
			else if (pass == 1 && k->kind == KVPY_KID_TXN)
				kvpy_txn_end_kid((kvpy_txn *)k);
		}
	}
	for (k = d->kids; k; k = next) {
		next = k->next;
		kvpy_kid_unlink(k);
	}
}

/* ---- targets -------------------------------------------------------------- */

int kvpy_target_of(kvpy_target *t, PyObject *self)
{
	kvpy_txn *txn;

	if (PyObject_TypeCheck(self, &kvpy_db_type)) {
		t->db = (kvpy_db *)self;
		t->txn = NULL;
		return kvpy_check_open(t->db);
	}
	txn = (kvpy_txn *)self;
	t->db = txn->head.owner;
	t->txn = txn;
	if (kvpy_check_open(t->db) < 0)
		return -1;  /* which ended the transaction */
	if (!txn->txn) {
		kvpy_set_error_obj(KV_EINVAL, "%U: the transaction has ended",
		                   t->db->name);
		return -1;
	}
	if (txn->thread != PyThread_get_thread_ident()) {
		kvpy_set_error_obj(KV_EBUSY, "%U: a transaction is used by the "
		                   "thread that began it", t->db->name);
		return -1;
	}
	if (txn->head.busy) {
		kvpy_set_error_obj(KV_EBUSY, "%U: the transaction is in use",
		                   t->db->name);
		return -1;
	}
	txn->head.busy = 1;
	return 0;
}

void kvpy_target_done(kvpy_target *t)
{
	if (t->txn)
		t->txn->head.busy = 0;
}

/* Run op in a write transaction of its own, committed unless it fails
 * or leaves warnings behind; returns the open transaction in that case
 * (*keep), so that the caller decides with the GIL held. */
static kv_status run_autocommit(kv_db *db, kvpy_op op, void *arg,
                                kv_txn **keep)
{
	kv_txn *txn;
	kv_status rc;

	*keep = NULL;
	if ((rc = kv_txn_begin(&txn, db, 0)))
		return rc;
	if ((rc = op(db, txn, arg))) {
		kv_txn_abort(txn);
		return rc;
	}
	if (kvpy_warnings_pending()) {
		*keep = txn;
		return KV_OK;
	}
	return kv_txn_commit(txn);
}

int kvpy_run(kvpy_target *t, kvpy_op op, void *arg, int write)
{
	kvpy_db *d = t->db;
	kv_txn *keep = NULL;
	kvpy_call c;
	kv_status rc;
	int bad, closed;

	Py_BEGIN_ALLOW_THREADS
	kvpy_gate_enter(d);
	/* Read inside the gate: close() clears them under it. */
	closed = !d->db || (t->txn && !t->txn->txn);
	if (closed)
		rc = KV_EINVAL;
	else if (t->txn)
		rc = op(d->db, t->txn->txn, arg);
	else if (write)
		rc = run_autocommit(d->db, op, arg, &keep);
	else
		rc = op(d->db, NULL, arg);
	kvpy_call_done(&c, d->db, rc);
	if (!keep)
		kvpy_gate_leave(d);
	Py_END_ALLOW_THREADS
	if (closed) {
		kvpy_set_error_obj(KV_EINVAL, "%U: the store is closed", d->name);
		return -1;
	}
	if (!keep)
		return kvpy_finish(&c);

	/* Warnings are pending on a write not yet committed: the program's
	 * filters may turn one into an exception, which then rolls it back.
	 * The gate is still held, so close() cannot end the transaction. */
	bad = kvpy_warnings_flush() < 0;
	Py_BEGIN_ALLOW_THREADS
	if (bad) {
		kv_txn_abort(keep);
		rc = KV_OK;
	} else {
		rc = kv_txn_commit(keep);
	}
	kvpy_call_done(&c, d->db, rc);
	kvpy_gate_leave(d);
	Py_END_ALLOW_THREADS
	return bad ? -1 : kvpy_finish(&c);
}

/* ---- arguments -------------------------------------------------------------- */

int kvpy_bytes_get(kvpy_bytes *b, PyObject *o, const char *what)
{
	b->has_view = 0;
	if (PyUnicode_Check(o)) {
		b->p = PyUnicode_AsUTF8AndSize(o, &b->n);
		return b->p ? 0 : -1;
	}
	if (PyObject_CheckBuffer(o)) {
		if (PyObject_GetBuffer(o, &b->view, PyBUF_SIMPLE) < 0)
			return -1;
		b->has_view = 1;
		b->p = b->view.buf;
		b->n = b->view.len;
		return 0;
	}
	PyErr_Format(PyExc_TypeError, "%s must be str or bytes, not %.100s",
	             what, Py_TYPE(o)->tp_name);
	return -1;
}

int kvpy_cstr_get(kvpy_bytes *b, PyObject *o, const char *what)
{
	/* libkv takes these as C strings: str, or bytes (NUL-terminated). */
	b->has_view = 0;
	if (PyUnicode_Check(o)) {
		b->p = PyUnicode_AsUTF8AndSize(o, &b->n);
	} else if (PyBytes_Check(o)) {
		b->p = PyBytes_AS_STRING(o);
		b->n = PyBytes_GET_SIZE(o);
	} else {
		PyErr_Format(PyExc_TypeError, "%s must be str or bytes, not "
		             "%.100s", what, Py_TYPE(o)->tp_name);
		return -1;
	}
	if (!b->p)
		return -1;
	if (memchr(b->p, '\0', (size_t)b->n)) {
		PyErr_Format(PyExc_ValueError, "%s must not contain a NUL "
		             "character", what);
		return -1;
	}
	return 0;
}

void kvpy_bytes_release(kvpy_bytes *b)
{
	if (b->has_view)
		PyBuffer_Release(&b->view);
	b->has_view = 0;
}
