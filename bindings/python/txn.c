/*
 * bindings/python/txn.c - kv.Transaction: a read snapshot or a write
 * transaction, used as a context manager:
 *
 *     with db.transaction() as t:
 *         t[b"runs/0001/epoch"] = b"3"
 *         t.replace("runs/0001", loss=0.41)
 *
 * commits when the block ends normally and rolls back when it raises.
 * It has the store's dbm and record methods, applied inside it.  Writers
 * are serialised by libkv; a thread that opens a second write transaction
 * on the same store gets kv.BusyError instead of a deadlock.  A
 * transaction belongs to the thread that began it.
 */
#include "kvpy.h"

typedef struct begin {
	unsigned int flags;
	kv_txn **out;
} begin;

static kv_status op_begin(kv_db *db, kv_txn *txn, void *arg)
{
	begin *b = arg;

	(void)txn;
	return kv_txn_begin(b->out, db, b->flags);
}

PyObject *kvpy_txn_begin(kvpy_db *d, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "readonly", "salvage", NULL };
	int readonly = 0, salvage = 0;
	kvpy_target t = { d, NULL };
	begin b;
	kvpy_txn *self;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|pp:transaction", kwlist,
	                                 &readonly, &salvage))
		return NULL;
	if (!(self = PyObject_New(kvpy_txn, &kvpy_txn_type)))
		return NULL;
	/* Listed before libkv begins it, so that a close() on another thread
	 * right after finds it and rolls it back. */
	kvpy_kid_link(&self->head, d, KVPY_KID_TXN);
	self->txn = NULL;
	self->thread = PyThread_get_thread_ident();
	self->write = !readonly;
	b.flags = (readonly ? KV_TXN_READONLY : 0) |
	          (salvage ? KV_TXN_SALVAGE : 0);
	b.out = &self->txn;
	if (kvpy_run(&t, op_begin, &b, 0) < 0) {
		Py_DECREF(self);
		return NULL;
	}
	return (PyObject *)self;
}

/* Called by close(), holding the gate exclusively and the GIL. */
void kvpy_txn_end_kid(kvpy_txn *self)
{
	kv_txn_abort(self->txn);
	self->txn = NULL;
}

typedef struct end {
	kvpy_txn *self;
	int commit;
} end;

/* Commit or roll back; the transaction is gone either way. */
static kv_status op_end(kv_db *db, kv_txn *txn, void *arg)
{
	end *e = arg;

	(void)db;
	e->self->txn = NULL;
	if (e->commit)
		return kv_txn_commit(txn);
	kv_txn_abort(txn);
	return KV_OK;
}

static PyObject *txn_end(kvpy_txn *self, int commit)
{
	kvpy_target t;
	end e = { self, commit };
	int rc;

	if (!self->txn && !commit)
		Py_RETURN_NONE; /* rolling back twice, or after close: harmless */
	if (kvpy_target_of(&t, (PyObject *)self) < 0)
		return NULL;
	rc = kvpy_run(&t, op_end, &e, 0);
	kvpy_target_done(&t);
	kvpy_kid_unlink(&self->head);
	if (rc < 0)
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *txn_commit(kvpy_txn *self, PyObject *unused)
{
	(void)unused;
	return txn_end(self, 1);
}

static PyObject *txn_abort(kvpy_txn *self, PyObject *unused)
{
	(void)unused;
	return txn_end(self, 0);
}

static PyObject *txn_enter(kvpy_txn *self, PyObject *unused)
{
	(void)unused;
	Py_INCREF(self);
	return (PyObject *)self;
}

static PyObject *txn_exit(kvpy_txn *self, PyObject *args)
{
	PyObject *type = Py_None, *value = Py_None, *tb = Py_None, *r;

	if (!PyArg_UnpackTuple(args, "__exit__", 0, 3, &type, &value, &tb))
		return NULL;
	/* An exception in the block rolls back; so does an ended one. */
	r = txn_end(self, type == Py_None && self->txn != NULL);
	if (!r)
		return NULL;
	Py_DECREF(r);
	Py_RETURN_FALSE;
}

static void txn_dealloc(kvpy_txn *self)
{
	kvpy_db *d = self->head.owner;

	/* As iter_dealloc: the gate without the GIL, then roll back. */
	Py_BEGIN_ALLOW_THREADS
	kvpy_gate_enter(d);
	Py_END_ALLOW_THREADS
	kvpy_kid_unlink(&self->head);
	kv_txn_abort(self->txn);
	kvpy_gate_leave(d);
	Py_DECREF(d);
	PyObject_Free(self);
}

static PyObject *txn_get_readonly(kvpy_txn *self, void *closure)
{
	(void)closure;
	return PyBool_FromLong(!self->write);
}

static PyObject *txn_get_active(kvpy_txn *self, void *closure)
{
	(void)closure;
	return PyBool_FromLong(self->txn != NULL);
}

static PyObject *txn_get_db(kvpy_txn *self, void *closure)
{
	(void)closure;
	Py_INCREF(self->head.owner);
	return (PyObject *)self->head.owner;
}

PyMethodDef kvpy_txn_methods[] = {
	{ "commit", (PyCFunction)txn_commit, METH_NOARGS,
	  "commit()\n--\n\nCommit and end the transaction." },
	{ "abort", (PyCFunction)txn_abort, METH_NOARGS,
	  "abort()\n--\n\nRoll back and end the transaction." },
	{ "__enter__", (PyCFunction)txn_enter, METH_NOARGS, NULL },
	{ "__exit__", (PyCFunction)txn_exit, METH_VARARGS, NULL },
	{ NULL, NULL, 0, NULL }
};

static PyGetSetDef txn_getset[] = {
	{ "readonly", (getter)txn_get_readonly, NULL, "A read snapshot?", NULL },
	{ "active", (getter)txn_get_active, NULL, "Not yet ended?", NULL },
	{ "db", (getter)txn_get_db, NULL, "The store.", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

PyTypeObject kvpy_txn_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "kv.Transaction",
	.tp_basicsize = sizeof(kvpy_txn),
	.tp_dealloc = (destructor)txn_dealloc,
	.tp_as_mapping = &kvpy_mapping,
	.tp_as_sequence = &kvpy_sequence,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "A transaction of a store; made by DB.transaction().",
	.tp_getset = txn_getset,
};
