/*
 * bindings/python/module.c - the kv module: kv.open(), kv.whichdb(), the
 * types, the exceptions, and the setup of warnings, exit and fork.
 *
 * `import kv as dbm` works in code written for the stdlib dbm modules:
 * kv.open(file, flag='r', mode=0o666), kv.error, and objects with the
 * dbm mapping methods.
 */
#include <string.h>

#include "kvpy.h"

PyObject *kvpy_json_dumps;
PyObject *kvpy_json_loads;

/* Concatenate NULL-terminated method tables into one (kept for the
 * process's life, as the type that uses it). */
static PyMethodDef *methods_join(PyMethodDef *const *tables)
{
	PyMethodDef *all, *const *t, *m;
	size_t n = 1;

	for (t = tables; *t; t++)
		for (m = *t; m->ml_name; m++)
			n++;
	if (!(all = PyMem_Calloc(n, sizeof *all)))
		return NULL;
	n = 0;
	for (t = tables; *t; t++)
		for (m = *t; m->ml_name; m++)
			all[n++] = *m;
	return all;
}

/* The methods of kv.DB and kv.Transaction; their iteration. */
static int types_ready(void)
{
	PyMethodDef *const db_tables[] = { kvpy_store_methods,
		kvpy_mapping_methods, kvpy_record_methods,
		kvpy_store_record_methods, NULL };
	PyMethodDef *const txn_tables[] = { kvpy_txn_methods,
		kvpy_mapping_methods, kvpy_record_methods, NULL };

	if (!(kvpy_db_type.tp_methods = methods_join(db_tables)) ||
	    !(kvpy_txn_type.tp_methods = methods_join(txn_tables))) {
		PyErr_NoMemory();
		return -1;
	}
	kvpy_db_type.tp_iter = kvpy_tp_iter;
	kvpy_txn_type.tp_iter = kvpy_tp_iter;
	if (PyType_Ready(&kvpy_db_type) < 0 || PyType_Ready(&kvpy_txn_type) < 0 ||
	    PyType_Ready(&kvpy_iter_type) < 0)
		return -1;
	return 0;
}

/* Compact, exact JSON: json.JSONEncoder(...).encode and json.loads. */
static int json_init(void)
{
	PyObject *json, *enc, *kw;

	if (!(json = PyImport_ImportModule("json")))
		return -1;
	kvpy_json_loads = PyObject_GetAttrString(json, "loads");
	kw = Py_BuildValue("{s:(ss),s:O,s:O}", "separators", ",", ":",
	                   "ensure_ascii", Py_False, "allow_nan", Py_False);
	enc = kw ? PyObject_GetAttrString(json, "JSONEncoder") : NULL;
	if (enc) {
		PyObject *args = PyTuple_New(0), *e;

		e = args ? PyObject_Call(enc, args, kw) : NULL;
		Py_XDECREF(args);
		Py_DECREF(enc);
		kvpy_json_dumps = e ? PyObject_GetAttrString(e, "encode") : NULL;
		Py_XDECREF(e);
	}
	Py_XDECREF(kw);
	Py_DECREF(json);
	return kvpy_json_loads && kvpy_json_dumps ? 0 : -1;
}

static PyObject *keygen(PyObject *module, PyObject *arg)
{
	PyObject *path;
	kvpy_call c;
	kv_status rc;

	(void)module;
	if (!PyUnicode_FSConverter(arg, &path))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	rc = kv_keyfile_create(PyBytes_AS_STRING(path));
	kvpy_call_done(&c, NULL, rc);
	Py_END_ALLOW_THREADS
	Py_DECREF(path);
	if (kvpy_finish(&c) < 0)
		return NULL;
	Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
	{ "open", (PyCFunction)(void (*)(void))kvpy_db_open,
	  METH_VARARGS | METH_KEYWORDS,
	  "open(file, flag='r', mode=0o666, *, durability='sync', "
	  "sync_interval_ms=1000, keyfile=None)\n--\n\n"
	  "Open a store as dbm.open does: flag 'r' (read only), 'w' (read and "
	  "write), 'c' (create if missing), 'n' (always a new, empty store); "
	  "mode is the mode of a new file, less the umask.  file is a path or "
	  "a URI: 'lmdb:PATH', 'sqlite:PATH', "
	  "'postgresql://HOST[:PORT]/DB?table=NAME'; an existing plain path is "
	  "opened with the backend its first bytes show, a new one gets "
	  "SQLite.  "
	  "durability='batched' syncs commits in the background within "
	  "sync_interval_ms.  keyfile names a keyed store's secret key." },
	{ "whichdb", kvpy_whichdb, METH_O,
	  "whichdb(file)\n--\n\nThe backend of the store at file ('lmdb', "
	  "'sqlite' or 'postgresql'), '' if it is not a store, None if it "
	  "does not exist." },
	{ "keygen", keygen, METH_O,
	  "keygen(path)\n--\n\nWrite a new secret key file (mode 0600) for "
	  "a keyed store; kv.ExistsError if path exists." },
	{ NULL, NULL, 0, NULL }
};

static struct PyModuleDef kv_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "kv",
	.m_doc = "libkv, an embedded key-value store for ML metadata, as a "
	         "dbm-compatible module with transactions, records, schemas "
	         "and integrity checks.",
	.m_size = -1,
	.m_methods = module_methods,
};

/* kv.DB is a collections.abc.MutableMapping, as dbm.sqlite3's objects. */
static int register_mapping(void)
{
	PyObject *abc, *mm = NULL, *r = NULL;

	if ((abc = PyImport_ImportModule("collections.abc")))
		mm = PyObject_GetAttrString(abc, "MutableMapping");
	if (mm)
		r = PyObject_CallMethod(mm, "register", "O", &kvpy_db_type);
	Py_XDECREF(abc);
	Py_XDECREF(mm);
	Py_XDECREF(r);
	return r ? 0 : -1;
}

PyMODINIT_FUNC PyInit_kv(void);

PyMODINIT_FUNC PyInit_kv(void)
{
	PyObject *m;

	if (types_ready() < 0 || json_init() < 0)
		return NULL;
	if (!(m = PyModule_Create(&kv_module)))
		return NULL;
	if (PyModule_AddFunctions(m, kvpy_lifecycle_methods) < 0 ||
	    register_mapping() < 0 ||
	    kvpy_errors_init(m) < 0 || kvpy_lifecycle_init(m) < 0 ||
	    PyModule_AddType(m, &kvpy_db_type) < 0 ||
	    PyModule_AddType(m, &kvpy_txn_type) < 0 ||
	    PyModule_AddType(m, &kvpy_iter_type) < 0 ||
	    PyModule_AddStringConstant(m, "library_version",
	                               KV_VERSION_STRING) < 0) {
		Py_DECREF(m);
		return NULL;
	}
	kvpy_warnings_install();
	return m;
}
