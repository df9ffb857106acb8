/*
 * bindings/python/db.c - kv.DB, an open store: kv.open() in the manner of
 * dbm.open(), close() and the context manager, and what a store has that
 * a transaction has not (sync, stat, transaction()).  The dbm methods are
 * in mapping.c, records and schemas in records.c.
 */
#include <string.h>
#include <time.h>

#include "kvpy.h"

/* dbm's flag letter to libkv's open flags; -1 when it is not one. */
static int open_flags(const char *flag)
{
	if (!strcmp(flag, "r"))
		return (int)KV_OPEN_READONLY;
	if (!strcmp(flag, "w"))
		return (int)KV_OPEN_READWRITE;
	if (!strcmp(flag, "c"))
		return (int)KV_OPEN_CREATE;
	if (!strcmp(flag, "n"))
		return (int)KV_OPEN_TRUNCATE;
	return -1;
}

/* Parse durability="sync"|"batched" into opts. */
static int set_durability(kv_open_options *opts, const char *durability)
{
	if (!strcmp(durability, "sync"))
		opts->durability = KV_DURABLE_SYNC;
	else if (!strcmp(durability, "batched"))
		opts->durability = KV_DURABLE_BATCHED;
	else {
		PyErr_Format(PyExc_ValueError, "durability must be 'sync' or "
		             "'batched', not '%s'", durability);
		return -1;
	}
	return 0;
}

/* The gate prefers readers (glibc's default, asked for by name): a
 * thread holding a write transaction enters it for its next call while a
 * close() waits, and that close() waits for the transaction's thread. */
static int gate_init(pthread_rwlock_t *gate)
{
	pthread_rwlockattr_t attr;
	int rc;

	if ((rc = pthread_rwlockattr_init(&attr)))
		return rc;
	rc = pthread_rwlockattr_setkind_np(&attr,
	                                   PTHREAD_RWLOCK_PREFER_READER_NP);
	if (rc == 0)
		rc = pthread_rwlock_init(gate, &attr);
	pthread_rwlockattr_destroy(&attr);
	return rc;
}

static kvpy_db *db_new(PyObject *name)
{
	kvpy_db *d = PyObject_New(kvpy_db, &kvpy_db_type);

	if (!d)
		return NULL;
	d->db = NULL;
	d->gen = kvpy_fork_gen();
	d->kids = NULL;
	d->weakrefs = NULL;
	Py_INCREF(name);
	d->name = name;
	if (gate_init(&d->gate) != 0) {
		d->gen = (unsigned int)-1; /* never locked: no destroy */
		Py_DECREF(d);
		PyErr_SetString(PyExc_MemoryError, "kv.open: no lock for the "
		                "store object");
		return NULL;
	}
	return d;
}

PyObject *kvpy_db_open(PyObject *module, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "file", "flag", "mode", "durability",
	                          "sync_interval_ms", "keyfile", NULL };
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	PyObject *file = NULL, *keyfile = NULL, *name;
	const char *flag = "r", *durability = "sync", *kf;
	int mode = 0666, flags;
	unsigned int interval = opts.sync_interval_ms;
	kvpy_db *d = NULL;
	kvpy_call c;
	kv_db *db = NULL;
	kv_status rc;

	(void)module;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|si$sIO&:open", kwlist,
	                                 PyUnicode_FSConverter, &file, &flag,
	                                 &mode, &durability, &interval,
	                                 PyUnicode_FSConverter, &keyfile))
		return NULL;
	if ((flags = open_flags(flag)) < 0) {
		PyErr_Format(PyExc_ValueError, "flag must be one of 'r', 'w', 'c' "
		             "or 'n', not '%s'", flag);
		goto done;
	}
	if (mode < 0 || mode > 07777) {
		PyErr_Format(PyExc_ValueError, "mode 0o%o is not a file mode", mode);
		goto done;
	}
	if (set_durability(&opts, durability) < 0)
		goto done;
	opts.flags = (unsigned int)flags;
	/* dbm's default 0o666 means "what the umask allows"; libkv applies
	 * the umask as open(2) does.  0 would mean libkv's 0600. */
	opts.mode = mode ? (unsigned int)mode : 0600;
	opts.sync_interval_ms = interval;
	kf = keyfile ? PyBytes_AS_STRING(keyfile) : NULL;
	opts.keyfile = kf;
	if (!(name = PyUnicode_DecodeFSDefault(PyBytes_AS_STRING(file))))
		goto done;
	d = db_new(name);
	Py_DECREF(name);
	if (!d)
		goto done;
	Py_BEGIN_ALLOW_THREADS
	rc = kv_db_open(&db, PyBytes_AS_STRING(file), &opts);
	kvpy_call_done(&c, NULL, rc);
	Py_END_ALLOW_THREADS
	d->db = db;
	if (kvpy_finish(&c) < 0)
		Py_CLEAR(d);
done:
	Py_XDECREF(file);
	Py_XDECREF(keyfile);
	return (PyObject *)d;
}

PyObject *kvpy_whichdb(PyObject *module, PyObject *arg)
{
	kv_open_options opts = KV_OPEN_OPTIONS_INIT;
	PyObject *file = NULL, *res = NULL;
	const char *backend = NULL;
	kv_db *db = NULL;
	kvpy_call c;
	kv_status rc;

	(void)module;
	if (!PyUnicode_FSConverter(arg, &file))
		return NULL;
	opts.flags = KV_OPEN_READONLY;
	Py_BEGIN_ALLOW_THREADS
	rc = kv_db_open(&db, PyBytes_AS_STRING(file), &opts);
	kvpy_call_done(&c, NULL, rc);
	if (rc == KV_OK) {
		backend = kv_db_backend(db);  /* a static string */
		(void)kv_db_close(db);
	}
	Py_END_ALLOW_THREADS
	Py_DECREF(file);
	if (kvpy_warnings_flush() < 0)
		return NULL;
	if (rc == KV_ENOENT)
		Py_RETURN_NONE;
	if (rc == KV_EFORMAT)
		return PyUnicode_FromString("");
	if (rc != KV_OK) {
		kvpy_set_error(rc, c.msg);
		return NULL;
	}
	res = PyUnicode_FromString(backend);
	return res;
}

/* Take the gate exclusively.  During interpreter finalisation a daemon
 * thread may have been stopped inside the gate: wait a bounded time. */
static int gate_lock_excl(kvpy_db *d)
{
	struct timespec until;

	if (d->gen != kvpy_fork_gen())
		return 0;
	if (!kvpy_py_finalizing())
		return pthread_rwlock_wrlock(&d->gate);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	return pthread_rwlock_timedwrlock(&d->gate, &until);
}

/* End the kids and close the store; 0, or -1 with an exception. */
static int db_close(kvpy_db *d)
{
	kvpy_call c = { KV_OK, "" };
	kv_db *db;
	int locked;

	if (!d->db)
		return 0;
	if (kvpy_in_callback) {
		kvpy_set_error_obj(KV_EBUSY, "%U: close() from inside a callback "
		                   "of a call on the store", d->name);
		return -1;
	}
	Py_BEGIN_ALLOW_THREADS
	locked = gate_lock_excl(d) == 0;
	Py_END_ALLOW_THREADS
	if (!locked)
		return 0; /* finalising with the gate held: leave it to libkv */
	kvpy_kids_end(d);
	db = d->db;
	d->db = NULL;
	Py_BEGIN_ALLOW_THREADS
	if (db)
		kvpy_call_done(&c, db, kv_db_close(db));
	if (d->gen == kvpy_fork_gen())
		pthread_rwlock_unlock(&d->gate);
	Py_END_ALLOW_THREADS
	return kvpy_finish(&c);
}

static void db_dealloc(kvpy_db *d)
{
	PyObject *et, *ev, *tb;

	PyErr_Fetch(&et, &ev, &tb);
	if (d->weakrefs)
		PyObject_ClearWeakRefs((PyObject *)d);
	if (db_close(d) < 0)
		PyErr_WriteUnraisable((PyObject *)d);
	PyErr_Restore(et, ev, tb);
	/* Else the gate is held, or the parent's: it goes with the process. */
	if (!d->db && d->gen == kvpy_fork_gen())
		pthread_rwlock_destroy(&d->gate);
	Py_XDECREF(d->name);
	PyObject_Free(d);
}

static PyObject *db_close_meth(kvpy_db *d, PyObject *unused)
{
	(void)unused;
	if (db_close(d) < 0)
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *db_enter(kvpy_db *d, PyObject *unused)
{
	(void)unused;
	if (kvpy_check_open(d) < 0)
		return NULL;
	Py_INCREF(d);
	return (PyObject *)d;
}

static PyObject *db_exit(kvpy_db *d, PyObject *args)
{
	(void)args;
	if (db_close(d) < 0)
		return NULL;
	Py_RETURN_FALSE;
}

static kv_status op_sync(kv_db *db, kv_txn *txn, void *arg)
{
	(void)txn;
	(void)arg;
	return kv_db_sync(db);
}

static PyObject *db_sync(kvpy_db *d, PyObject *unused)
{
	kvpy_target t = { d, NULL };

	(void)unused;
	if (kvpy_check_open(d) < 0 || kvpy_run(&t, op_sync, NULL, 0) < 0)
		return NULL;
	Py_RETURN_NONE;
}

static kv_status op_stat(kv_db *db, kv_txn *txn, void *arg)
{
	(void)txn;
	return kv_db_stat(arg, db);
}

static PyObject *db_stat(kvpy_db *d, PyObject *unused)
{
	kv_stat st = KV_STAT_INIT;
	kvpy_target t = { d, NULL };

	(void)unused;
	if (kvpy_check_open(d) < 0 || kvpy_run(&t, op_stat, &st, 0) < 0)
		return NULL;
	return Py_BuildValue("{s:K,s:K,s:I,s:s}", "count",
	                     (unsigned long long)st.count, "file_size",
	                     (unsigned long long)st.file_size, "format",
	                     st.format, "backend", kv_db_backend(d->db));
}

static PyObject *db_transaction(kvpy_db *d, PyObject *args, PyObject *kw)
{
	if (kvpy_check_open(d) < 0)
		return NULL;
	return kvpy_txn_begin(d, args, kw);
}

static PyObject *db_get_backend(kvpy_db *d, void *closure)
{
	(void)closure;
	if (kvpy_check_open(d) < 0)
		return NULL;
	return PyUnicode_FromString(kv_db_backend(d->db));
}

static PyObject *db_get_path(kvpy_db *d, void *closure)
{
	(void)closure;
	if (kvpy_check_open(d) < 0)
		return NULL;
	return PyUnicode_DecodeFSDefault(kv_db_path(d->db));
}

static PyObject *db_get_closed(kvpy_db *d, void *closure)
{
	(void)closure;
	return PyBool_FromLong(d->db == NULL);
}

static PyObject *db_repr(kvpy_db *d)
{
	if (!d->db)
		return PyUnicode_FromFormat("<kv.DB %R, closed>", d->name);
	return PyUnicode_FromFormat("<kv.DB %R, %s>", d->name,
	                            kv_db_backend(d->db));
}

/* The store's own methods; module.c appends mapping.c's and records.c's. */
PyMethodDef kvpy_store_methods[] = {
	{ "close", (PyCFunction)db_close_meth, METH_NOARGS,
	  "close()\n--\n\nEnd the open transactions and iterators (rolling "
	  "back writes not committed) and close the store.  Closing twice is "
	  "harmless." },
	{ "__enter__", (PyCFunction)db_enter, METH_NOARGS, NULL },
	{ "__exit__", (PyCFunction)db_exit, METH_VARARGS, NULL },
	{ "sync", (PyCFunction)db_sync, METH_NOARGS,
	  "sync()\n--\n\nMake commits of a durability='batched' store durable "
	  "now." },
	{ "stat", (PyCFunction)db_stat, METH_NOARGS,
	  "stat()\n--\n\nA dict: count, file_size, format, backend." },
	{ "transaction", (PyCFunction)(void (*)(void))db_transaction,
	  METH_VARARGS | METH_KEYWORDS,
	  "transaction(readonly=False, salvage=False)\n--\n\nBegin a "
	  "transaction; as a context manager it commits when the block ends "
	  "normally and rolls back on an exception." },
	{ NULL, NULL, 0, NULL }
};

static PyGetSetDef db_getset[] = {
	{ "backend", (getter)db_get_backend, NULL,
	  "'lmdb', 'sqlite' or 'postgresql'.", NULL },
	{ "path", (getter)db_get_path, NULL,
	  "The store's file (postgresql: the URI after 'postgresql:').", NULL },
	{ "closed", (getter)db_get_closed, NULL, "True once closed.", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

PyTypeObject kvpy_db_type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "kv.DB",
	.tp_basicsize = sizeof(kvpy_db),
	.tp_dealloc = (destructor)db_dealloc,
	.tp_repr = (reprfunc)db_repr,
	.tp_as_mapping = &kvpy_mapping,
	.tp_as_sequence = &kvpy_sequence,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "An open store; made by kv.open().  Behaves as a dbm "
	          "object: a mapping of bytes to bytes (str is taken as "
	          "UTF-8), shared safely between threads.",
	.tp_weaklistoffset = offsetof(kvpy_db, weakrefs),
	.tp_getset = db_getset,
};
