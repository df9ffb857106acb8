/*
 * bindings/python/mapping.c - the dbm behaviour, shared by kv.DB (each
 * call its own transaction) and kv.Transaction (inside it): item access,
 * get, setdefault, pop, popitem, update, clear, keys/values/items, len,
 * in, iteration in key order, and gdbm's firstkey/nextkey.
 *
 * Keys and values are bytes; str is encoded as UTF-8, as the stdlib dbm
 * modules do.  Every libkv call runs through kvpy_run (GIL released,
 * inside the store's gate).  Borrowed bytes are copied before the gate is
 * left, since close() may end the transaction that owns them right after.
 */
#include <stdlib.h>
#include <string.h>

#include "kvpy.h"

/* Arguments and results of the single-key operations. */
typedef struct keyop {
	kvpy_bytes key, val;
	unsigned int flags;
	void *out;                 /* value found: OWNED, see out_free */
	size_t out_len;
	int copied;                /* out from malloc (else from kv_free) */
	int found;
} keyop;

static void out_free(keyop *a)
{
	if (a->copied)
		free(a->out);
	else
		kv_free(a->out);
	a->out = NULL;
}

/* Copy a borrowed value into a->out. */
static kv_status copy_out(keyop *a, const void *p, size_t n)
{
	if (!(a->out = malloc(n ? n : 1)))
		return KV_ENOMEM;
	if (n)
		memcpy(a->out, p, n);
	a->out_len = n;
	a->copied = 1;
	return KV_OK;
}

static kv_status op_get(kv_db *db, kv_txn *txn, void *arg)
{
	keyop *a = arg;
	const void *p;
	size_t n;
	kv_status rc;

	if (!txn) {
		a->copied = 0;
		return kv_db_get(&a->out, &a->out_len, db, a->key.p,
		                 (size_t)a->key.n);
	}
	if ((rc = kv_txn_get(&p, &n, txn, a->key.p, (size_t)a->key.n)))
		return rc;
	return copy_out(a, p, n);
}

static kv_status op_put(kv_db *db, kv_txn *txn, void *arg)
{
	keyop *a = arg;

	(void)db;
	return kv_txn_put(txn, a->key.p, (size_t)a->key.n, a->val.p,
	                  (size_t)a->val.n, a->flags);
}

static kv_status op_del(kv_db *db, kv_txn *txn, void *arg)
{
	keyop *a = arg;

	(void)db;
	return kv_txn_del(txn, a->key.p, (size_t)a->key.n);
}

/* Presence, without copying the value: a->found. */
static kv_status op_contains(kv_db *db, kv_txn *txn, void *arg)
{
	keyop *a = arg;
	kv_txn *own = NULL;
	const void *p;
	size_t n;
	kv_status rc;

	if (!txn && (rc = kv_txn_begin(&own, db, KV_TXN_READONLY)))
		return rc;
	rc = kv_txn_get(&p, &n, txn ? txn : own, a->key.p, (size_t)a->key.n);
	kv_txn_abort(own);
	a->found = rc == KV_OK;
	return rc == KV_NOTFOUND ? KV_OK : rc;
}

/* The value at key, or (setdefault) the default stored when absent. */
static kv_status op_setdefault(kv_db *db, kv_txn *txn, void *arg)
{
	keyop *a = arg;
	const void *p;
	size_t n;
	kv_status rc;

	(void)db;
	rc = kv_txn_get(&p, &n, txn, a->key.p, (size_t)a->key.n);
	if (rc == KV_OK)
		return copy_out(a, p, n);
	if (rc != KV_NOTFOUND)
		return rc;
	if ((rc = kv_txn_put(txn, a->key.p, (size_t)a->key.n, a->val.p,
	                     (size_t)a->val.n, 0)))
		return rc;
	return copy_out(a, a->val.p, (size_t)a->val.n);
}

/* Get and delete; a->found 0 when the key is absent. */
static kv_status op_pop(kv_db *db, kv_txn *txn, void *arg)
{
	keyop *a = arg;
	const void *p;
	size_t n;
	kv_status rc;

	(void)db;
	rc = kv_txn_get(&p, &n, txn, a->key.p, (size_t)a->key.n);
	if (rc == KV_NOTFOUND)
		return KV_OK;
	if (rc || (rc = copy_out(a, p, n)))
		return rc;
	a->found = 1;
	return kv_txn_del(txn, a->key.p, (size_t)a->key.n);
}

/* ---- one-key methods ------------------------------------------------------ */

/* Run op for key (and value) on self; 0, or -1 with an exception. */
static int keyop_run(PyObject *self, keyop *a, PyObject *key, PyObject *val,
                     kvpy_op op, int write)
{
	kvpy_target t;
	int rc = -1;

	memset(a, 0, sizeof *a);
	if (kvpy_bytes_get(&a->key, key, "key") < 0)
		return -1;
	if (val && kvpy_bytes_get(&a->val, val, "value") < 0)
		goto done;
	if (kvpy_target_of(&t, self) < 0)
		goto done;
	rc = kvpy_run(&t, op, a, write);
	kvpy_target_done(&t);
done:
	kvpy_bytes_release(&a->key);
	kvpy_bytes_release(&a->val);
	return rc;
}

/* a->out as bytes, freeing it. */
static PyObject *out_bytes(keyop *a)
{
	PyObject *r = PyBytes_FromStringAndSize(a->out, (Py_ssize_t)a->out_len);

	out_free(a);
	return r;
}

PyObject *kvpy_getitem(PyObject *self, PyObject *key)
{
	keyop a;

	if (keyop_run(self, &a, key, NULL, op_get, 0) < 0)
		return NULL;
	return out_bytes(&a);
}

static int setitem(PyObject *self, PyObject *key, PyObject *val)
{
	keyop a;

	return keyop_run(self, &a, key, val, val ? op_put : op_del, 1);
}

static int contains(PyObject *self, PyObject *key)
{
	keyop a;

	if (keyop_run(self, &a, key, NULL, op_contains, 0) < 0)
		return -1;
	return a.found;
}

static PyObject *m_get(PyObject *self, PyObject *args)
{
	PyObject *key, *dflt = Py_None, *r;

	if (!PyArg_ParseTuple(args, "O|O:get", &key, &dflt))
		return NULL;
	if ((r = kvpy_getitem(self, key)) || !PyErr_ExceptionMatches(
	        kvpy_error_class(KV_NOTFOUND)))
		return r;
	PyErr_Clear();
	Py_INCREF(dflt);
	return dflt;
}

static PyObject *m_put(PyObject *self, PyObject *args)
{
	PyObject *key, *val;

	if (!PyArg_ParseTuple(args, "OO:put", &key, &val))
		return NULL;
	if (setitem(self, key, val) < 0)
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *m_add(PyObject *self, PyObject *args)
{
	PyObject *key, *val;
	kvpy_target t;
	keyop a;
	int rc = -1;

	if (!PyArg_ParseTuple(args, "OO:add", &key, &val))
		return NULL;
	memset(&a, 0, sizeof a);
	a.flags = KV_PUT_NOOVERWRITE;
	if (kvpy_bytes_get(&a.key, key, "key") < 0)
		return NULL;
	if (kvpy_bytes_get(&a.val, val, "value") == 0 &&
	    kvpy_target_of(&t, self) == 0) {
		rc = kvpy_run(&t, op_put, &a, 1);
		kvpy_target_done(&t);
	}
	kvpy_bytes_release(&a.key);
	kvpy_bytes_release(&a.val);
	if (rc == 0)
		Py_RETURN_TRUE;
	if (!PyErr_ExceptionMatches(kvpy_error_class(KV_EXISTS)))
		return NULL;
	PyErr_Clear();
	Py_RETURN_FALSE;
}

static PyObject *m_setdefault(PyObject *self, PyObject *args)
{
	PyObject *key, *dflt = NULL;
	PyObject *empty = NULL, *r;
	keyop a;

	if (!PyArg_ParseTuple(args, "O|O:setdefault", &key, &dflt))
		return NULL;
	if (!dflt && !(dflt = empty = PyBytes_FromStringAndSize("", 0)))
		return NULL;
	r = keyop_run(self, &a, key, dflt, op_setdefault, 1) < 0 ? NULL
	                                                          : out_bytes(&a);
	Py_XDECREF(empty);
	return r;
}

static PyObject *m_pop(PyObject *self, PyObject *args)
{
	PyObject *key, *dflt = NULL;
	keyop a;

	if (!PyArg_ParseTuple(args, "O|O:pop", &key, &dflt))
		return NULL;
	if (keyop_run(self, &a, key, NULL, op_pop, 1) < 0)
		return NULL;
	if (a.found)
		return out_bytes(&a);
	if (dflt) {
		Py_INCREF(dflt);
		return dflt;
	}
	PyErr_SetObject(PyExc_KeyError, key);
	return NULL;
}

/* ---- many keys ------------------------------------------------------------- */

/* Keys and values copied out of an iteration: each entry is a size_t
 * length then the bytes, key first, then (when wanted) the value. */
typedef struct scan {
	kvpy_bytes prefix;
	int what;                  /* KVPY_KEYS, _VALUES or _ITEMS */
	size_t limit;              /* stop after this many; 0: all */
	const char *after;         /* start after this key (nextkey) */
	size_t after_len;
	int del;                   /* delete what was found (clear, popitem) */
	char *buf;
	size_t len, cap, count;
} scan;

static int scan_add(scan *s, const void *p, size_t n)
{
	size_t need = s->len + sizeof n + n;
	char *nb;

	if (need > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;

		while (cap < need)
			cap *= 2;
		if (!(nb = realloc(s->buf, cap)))
			return -1;
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, &n, sizeof n);
	if (n)
		memcpy(s->buf + s->len + sizeof n, p, n);
	s->len = need;
	return 0;
}

/* Seek it past key: to key + one 0 byte, its successor. */
static kv_status seek_after(kv_iter *it, const char *key, size_t len)
{
	char *k = malloc(len + 1);
	kv_status rc;

	if (!k)
		return KV_ENOMEM;
	memcpy(k, key, len);
	k[len] = '\0';
	rc = kv_iter_seek(it, k, len + 1);
	free(k);
	return rc;
}

/* Delete the keys copied into s, in txn. */
static kv_status scan_delete(scan *s, kv_txn *txn)
{
	size_t off = 0, n;
	kv_status rc;

	while (off < s->len) {
		memcpy(&n, s->buf + off, sizeof n);
		if ((rc = kv_txn_del(txn, s->buf + off + sizeof n, n)))
			return rc;
		off += sizeof n + n;
		if (s->what == KVPY_ITEMS) {
			memcpy(&n, s->buf + off, sizeof n);
			off += sizeof n + n;
		}
	}
	return KV_OK;
}

static kv_status op_scan(kv_db *db, kv_txn *txn, void *arg)
{
	scan *s = arg;
	const void *k, *v;
	size_t kl, vl;
	kv_iter *it;
	kv_status rc;

	if ((rc = kv_iter_new(&it, db, txn, s->prefix.p, (size_t)s->prefix.n)))
		return rc;
	if (s->after && (rc = seek_after(it, s->after, s->after_len)))
		goto done;
	while (!s->limit || s->count < s->limit) {
		if ((rc = kv_iter_next(it, &k, &kl, &v, &vl)))
			break;
		if ((s->what != KVPY_VALUES && scan_add(s, k, kl) < 0) ||
		    (s->what != KVPY_KEYS && scan_add(s, v, vl) < 0)) {
			rc = KV_ENOMEM;
			goto done;
		}
		s->count++;
	}
	if (rc == KV_NOTFOUND)
		rc = KV_OK;
done:
	kv_iter_free(it);
	if (rc == KV_OK && s->del)
		rc = scan_delete(s, txn);
	return rc;
}

/* Entry at *off of s as bytes; advances *off. */
static PyObject *scan_next(const scan *s, size_t *off)
{
	size_t n;
	PyObject *r;

	memcpy(&n, s->buf + *off, sizeof n);
	r = PyBytes_FromStringAndSize(s->buf + *off + sizeof n, (Py_ssize_t)n);
	*off += sizeof n + n;
	return r;
}

/* The scanned entries as a list of bytes or of (key, value) tuples. */
static PyObject *scan_list(const scan *s)
{
	PyObject *list = PyList_New((Py_ssize_t)s->count), *k, *v, *e;
	size_t i, off = 0;

	for (i = 0; list && i < s->count; i++) {
		if (!(k = scan_next(s, &off)))
			goto fail;
		if (s->what != KVPY_ITEMS) {
			PyList_SET_ITEM(list, (Py_ssize_t)i, k);
			continue;
		}
		if (!(v = scan_next(s, &off))) {
			Py_DECREF(k);
			goto fail;
		}
		e = PyTuple_Pack(2, k, v);
		Py_DECREF(k);
		Py_DECREF(v);
		if (!e)
			goto fail;
		PyList_SET_ITEM(list, (Py_ssize_t)i, e);
	}
	return list;
fail:
	Py_DECREF(list);
	return NULL;
}

/* Scan self; a list as scan_list makes, or NULL. */
static PyObject *scan_run(PyObject *self, scan *s, PyObject *prefix,
                          int write)
{
	kvpy_target t;
	PyObject *r = NULL;

	if (prefix && kvpy_bytes_get(&s->prefix, prefix, "prefix") < 0)
		return NULL;
	if (kvpy_target_of(&t, self) == 0) {
		if (kvpy_run(&t, op_scan, s, write) == 0)
			r = scan_list(s);
		kvpy_target_done(&t);
	}
	kvpy_bytes_release(&s->prefix);
	free(s->buf);
	return r;
}

static PyObject *list_of(PyObject *self, PyObject *args, PyObject *kw,
                         int what)
{
	static char *kwlist[] = { "prefix", NULL };
	PyObject *prefix = NULL;
	scan s;

	memset(&s, 0, sizeof s);
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|O", kwlist, &prefix))
		return NULL;
	s.what = what;
	return scan_run(self, &s, prefix, 0);
}

static PyObject *m_keys(PyObject *self, PyObject *args, PyObject *kw)
{
	return list_of(self, args, kw, KVPY_KEYS);
}

static PyObject *m_values(PyObject *self, PyObject *args, PyObject *kw)
{
	return list_of(self, args, kw, KVPY_VALUES);
}

static PyObject *m_items(PyObject *self, PyObject *args, PyObject *kw)
{
	return list_of(self, args, kw, KVPY_ITEMS);
}

/* First key after key (NULL: the first key), or None. */
static PyObject *key_after(PyObject *self, PyObject *key)
{
	kvpy_bytes after = { NULL, 0, { 0 }, 0 };
	PyObject *list, *r;
	scan s;

	memset(&s, 0, sizeof s);
	if (key && kvpy_bytes_get(&after, key, "key") < 0)
		return NULL;
	s.limit = 1;
	s.after = key ? after.p : NULL;
	s.after_len = (size_t)after.n;
	list = scan_run(self, &s, NULL, 0);
	kvpy_bytes_release(&after);
	if (!list)
		return NULL;
	r = PyList_GET_SIZE(list) ? PyList_GET_ITEM(list, 0) : Py_None;
	Py_INCREF(r);
	Py_DECREF(list);
	return r;
}

static PyObject *m_firstkey(PyObject *self, PyObject *unused)
{
	(void)unused;
	return key_after(self, NULL);
}

static PyObject *m_nextkey(PyObject *self, PyObject *key)
{
	return key_after(self, key);
}

static PyObject *m_popitem(PyObject *self, PyObject *unused)
{
	PyObject *list, *r;
	scan s;

	(void)unused;
	memset(&s, 0, sizeof s);
	s.what = KVPY_ITEMS;
	s.limit = 1;
	s.del = 1;
	if (!(list = scan_run(self, &s, NULL, 1)))
		return NULL;
	if (!PyList_GET_SIZE(list)) {
		Py_DECREF(list);
		PyErr_SetString(PyExc_KeyError, "popitem(): the store is empty");
		return NULL;
	}
	r = PyList_GET_ITEM(list, 0);
	Py_INCREF(r);
	Py_DECREF(list);
	return r;
}

static PyObject *m_clear(PyObject *self, PyObject *unused)
{
	PyObject *list;
	scan s;

	(void)unused;
	memset(&s, 0, sizeof s);
	s.del = 1;
	if (!(list = scan_run(self, &s, NULL, 1)))
		return NULL;
	Py_DECREF(list);
	Py_RETURN_NONE;
}

static Py_ssize_t length(PyObject *self)
{
	kvpy_db *d;
	PyObject *st, *count;
	Py_ssize_t n;
	scan s;

	if (PyObject_TypeCheck(self, &kvpy_db_type)) {
		d = (kvpy_db *)self;
		if (kvpy_check_open(d) < 0)
			return -1;
		if (!(st = PyObject_CallMethod(self, "stat", NULL)))
			return -1;
		count = PyDict_GetItemString(st, "count");
		n = count ? PyLong_AsSsize_t(count) : -1;
		Py_DECREF(st);
		return n;
	}
	/* In a transaction: its own view, uncommitted writes included. */
	memset(&s, 0, sizeof s);
	s.what = KVPY_KEYS;
	if (!(st = scan_run(self, &s, NULL, 0)))
		return -1;
	n = PyList_GET_SIZE(st);
	Py_DECREF(st);
	return n;
}

static PyObject *iter_keys(PyObject *self)
{
	kvpy_target t;
	PyObject *r;

	if (kvpy_target_of(&t, self) < 0)
		return NULL;
	kvpy_target_done(&t);
	r = kvpy_iter_new(&t, NULL, KVPY_KEYS);
	return r;
}

static PyObject *m_scan(PyObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "prefix", NULL };
	PyObject *prefix = NULL;
	kvpy_target t;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:scan", kwlist, &prefix))
		return NULL;
	if (kvpy_target_of(&t, self) < 0)
		return NULL;
	kvpy_target_done(&t);
	return kvpy_iter_new(&t, prefix, KVPY_ITEMS);
}

/* ---- update ---------------------------------------------------------------- */

typedef struct batch {
	Py_ssize_t n;
	kvpy_bytes *kv;            /* 2n entries: key, value, key, value... */
} batch;

static kv_status op_update(kv_db *db, kv_txn *txn, void *arg)
{
	batch *b = arg;
	Py_ssize_t i;
	kv_status rc;

	(void)db;
	for (i = 0; i < b->n; i++)
		if ((rc = kv_txn_put(txn, b->kv[2 * i].p, (size_t)b->kv[2 * i].n,
		                     b->kv[2 * i + 1].p,
		                     (size_t)b->kv[2 * i + 1].n, 0)))
			return rc;
	return KV_OK;
}

/* (key, value) pairs of update's arguments, as a list. */
static PyObject *update_pairs(PyObject *other, PyObject *kw)
{
	PyObject *list, *items;
	Py_ssize_t n;
	int rc;

	if (other && PyDict_Check(other))
		list = PyDict_Items(other);
	else if (other && PyObject_HasAttrString(other, "keys"))
		list = PyObject_CallMethod(other, "items", NULL);
	else
		list = other ? other : Py_None;
	if (list == Py_None) {
		list = PyList_New(0);
	} else if (list && !PyList_CheckExact(list)) {
		items = list;
		list = PySequence_List(items);
		if (items != other)
			Py_DECREF(items);
	} else if (list == other) {
		list = PySequence_List(other);
	}
	if (!list || !kw)
		return list;
	if (!(items = PyDict_Items(kw))) {
		Py_DECREF(list);
		return NULL;
	}
	n = PyList_GET_SIZE(list);
	rc = PyList_SetSlice(list, n, n, items);
	Py_DECREF(items);
	if (rc < 0)
		Py_CLEAR(list);
	return list;
}

static PyObject *m_update(PyObject *self, PyObject *args, PyObject *kw)
{
	PyObject *other = NULL, *pairs, *seq = NULL;
	kvpy_target t;
	batch b = { 0, NULL };
	Py_ssize_t i, got = 0;
	int rc = -1;

	if (!PyArg_ParseTuple(args, "|O:update", &other))
		return NULL;
	if (!(pairs = update_pairs(other, kw)))
		return NULL;
	b.n = PyList_GET_SIZE(pairs);
	if (!(b.kv = PyMem_Calloc((size_t)(2 * b.n + 1), sizeof *b.kv)))
		goto done;
	for (i = 0; i < b.n; i++) {
		seq = PySequence_Fast(PyList_GET_ITEM(pairs, i),
		                      "update() needs (key, value) pairs");
		if (!seq)
			goto done;
		if (PySequence_Fast_GET_SIZE(seq) != 2) {
			PyErr_SetString(PyExc_ValueError, "update() needs (key, "
			                "value) pairs");
			goto done;
		}
		if (kvpy_bytes_get(&b.kv[got], PySequence_Fast_GET_ITEM(seq, 0),
		                   "key") < 0)
			goto done;
		if (kvpy_bytes_get(&b.kv[got + 1],
		                   PySequence_Fast_GET_ITEM(seq, 1), "value") < 0) {
			got++;
			goto done;
		}
		got += 2;
		/* The pair list keeps the objects the bytes point into. */
		if (PyList_SetItem(pairs, i, seq) < 0) {  /* steals seq */
			seq = NULL;
			goto done;
		}
		seq = NULL;
	}
	if (kvpy_target_of(&t, self) == 0) {
		rc = kvpy_run(&t, op_update, &b, 1);
		kvpy_target_done(&t);
	}
done:
	Py_XDECREF(seq);
	for (i = 0; b.kv && i < got; i++)
		kvpy_bytes_release(&b.kv[i]);
	PyMem_Free(b.kv);
	Py_DECREF(pairs);
	if (rc < 0)
		return NULL;
	Py_RETURN_NONE;
}

PyMethodDef kvpy_mapping_methods[] = {
	{ "get", (PyCFunction)m_get, METH_VARARGS,
	  "get(key, default=None)\n--\n\nThe value at key, else default." },
	{ "put", (PyCFunction)m_put, METH_VARARGS,
	  "put(key, value)\n--\n\nStore value at key (as self[key] = value)." },
	{ "add", (PyCFunction)m_add, METH_VARARGS,
	  "add(key, value)\n--\n\nStore value only if key is absent; True if "
	  "stored, False if the key was there." },
	{ "setdefault", (PyCFunction)m_setdefault, METH_VARARGS,
	  "setdefault(key, default=b'')\n--\n\nThe value at key; when absent, "
	  "store default first (atomically)." },
	{ "pop", (PyCFunction)m_pop, METH_VARARGS,
	  "pop(key[, default])\n--\n\nRemove key and return its value." },
	{ "popitem", (PyCFunction)m_popitem, METH_NOARGS,
	  "popitem()\n--\n\nRemove and return the first (key, value)." },
	{ "update", (PyCFunction)(void (*)(void))m_update,
	  METH_VARARGS | METH_KEYWORDS,
	  "update(other=(), **kw)\n--\n\nStore every pair, in one "
	  "transaction." },
	{ "clear", (PyCFunction)m_clear, METH_NOARGS,
	  "clear()\n--\n\nDelete every key, in one transaction." },
	{ "keys", (PyCFunction)(void (*)(void))m_keys,
	  METH_VARARGS | METH_KEYWORDS,
	  "keys(prefix=b'')\n--\n\nThe keys (under prefix) in key order, as a "
	  "list of bytes." },
	{ "values", (PyCFunction)(void (*)(void))m_values,
	  METH_VARARGS | METH_KEYWORDS,
	  "values(prefix=b'')\n--\n\nThe values in key order, as a list." },
	{ "items", (PyCFunction)(void (*)(void))m_items,
	  METH_VARARGS | METH_KEYWORDS,
	  "items(prefix=b'')\n--\n\n(key, value) pairs in key order, as a "
	  "list." },
	{ "scan", (PyCFunction)(void (*)(void))m_scan,
	  METH_VARARGS | METH_KEYWORDS,
	  "scan(prefix=b'')\n--\n\nAn iterator of (key, value) pairs under "
	  "prefix in key order, over one read snapshot (in a transaction: "
	  "its view)." },
	{ "firstkey", (PyCFunction)m_firstkey, METH_NOARGS,
	  "firstkey()\n--\n\nThe first key, or None (as dbm.gnu)." },
	{ "nextkey", (PyCFunction)m_nextkey, METH_O,
	  "nextkey(key)\n--\n\nThe key after key, or None (as dbm.gnu)." },
	{ NULL, NULL, 0, NULL }
};

PyMappingMethods kvpy_mapping = {
	.mp_length = length,
	.mp_subscript = kvpy_getitem,
	.mp_ass_subscript = setitem,
};

PySequenceMethods kvpy_sequence = {
	.sq_contains = contains,
};

PyObject *kvpy_tp_iter(PyObject *self)
{
	return iter_keys(self);
}
