/*
 * bindings/python/records.c - records as dicts, schemas, verify and seal.
 *
 * A record crosses as JSON text: json.dumps (compact, no NaN) on the way
 * in, json.loads on the way out; libkv validates it against its schema.
 * The callbacks of verify, seal and the schema listings run Python code
 * from inside a libkv call: they take the GIL back for the call
 * (PyGILState_Ensure works for a thread that released it), and an
 * exception they raise stops the scan and is raised by the method.
 */
#include <string.h>

#include "kvpy.h"

/* ---- records (kv.DB and kv.Transaction) ------------------------------------ */

typedef struct recop {
	kvpy_bytes key, field;
	const char *json;
	char *out;                 /* OWNED (kv_free) */
} recop;

static kv_status op_record_get(kv_db *db, kv_txn *txn, void *arg)
{
	recop *a = arg;

	return kv_record_get(&a->out, db, txn, a->key.p);
}

static kv_status op_record_put(kv_db *db, kv_txn *txn, void *arg)
{
	recop *a = arg;

	return kv_record_put(db, txn, a->key.p, a->json);
}

static kv_status op_record_replace(kv_db *db, kv_txn *txn, void *arg)
{
	recop *a = arg;

	return kv_record_replace(db, txn, a->key.p, a->json, NULL);
}

static kv_status op_record_field(kv_db *db, kv_txn *txn, void *arg)
{
	recop *a = arg;

	return kv_record_field(&a->out, db, txn, a->key.p, a->field.p);
}

static kv_status op_record_del_field(kv_db *db, kv_txn *txn, void *arg)
{
	recop *a = arg;
	const char *remove[2];

	remove[0] = a->field.p;
	remove[1] = NULL;
	return kv_record_replace(db, txn, a->key.p, NULL, remove);
}

/* JSON text of obj as a str (NULL with an exception). */
static PyObject *dumps(PyObject *obj)
{
	return PyObject_CallOneArg(kvpy_json_dumps, obj);
}

/* Run a record op on self for key (and field, and JSON of obj); the
 * result's JSON text decoded, or None.  NULL with an exception. */
static PyObject *record_run(PyObject *self, PyObject *key, PyObject *field,
                            PyObject *obj, kvpy_op op, int write)
{
	PyObject *text = NULL, *r = NULL;
	kvpy_target t;
	recop a;

	memset(&a, 0, sizeof a);
	if (kvpy_cstr_get(&a.key, key, "key") < 0)
		return NULL;
	if (field && kvpy_cstr_get(&a.field, field, "field") < 0)
		return NULL;
	if (obj && (!(text = dumps(obj)) ||
	            !(a.json = PyUnicode_AsUTF8(text))))
		goto done;
	if (kvpy_target_of(&t, self) < 0)
		goto done;
	if (kvpy_run(&t, op, &a, write) == 0) {
		if (a.out)
			r = PyObject_CallFunction(kvpy_json_loads, "s", a.out);
		else
			r = Py_NewRef(Py_None);
	}
	kvpy_target_done(&t);
	kv_free(a.out);
done:
	Py_XDECREF(text);
	return r;
}

static PyObject *m_record(PyObject *self, PyObject *key)
{
	return record_run(self, key, NULL, NULL, op_record_get, 0);
}

static PyObject *m_put_record(PyObject *self, PyObject *args)
{
	PyObject *key, *rec;

	if (!PyArg_ParseTuple(args, "OO!:put_record", &key, &PyDict_Type, &rec))
		return NULL;
	return record_run(self, key, NULL, rec, op_record_put, 1);
}

static PyObject *m_replace(PyObject *self, PyObject *args, PyObject *kw)
{
	PyObject *key, *changes = NULL, *all, *r;

	if (!PyArg_ParseTuple(args, "O|O!:replace", &key, &PyDict_Type,
	                      &changes))
		return NULL;
	if (!(all = changes ? PyDict_Copy(changes) : PyDict_New()))
		return NULL;
	if (kw && PyDict_Update(all, kw) < 0) {
		Py_DECREF(all);
		return NULL;
	}
	r = record_run(self, key, NULL, all, op_record_replace, 1);
	Py_DECREF(all);
	return r;
}

static PyObject *m_field(PyObject *self, PyObject *args)
{
	PyObject *key, *name;

	if (!PyArg_ParseTuple(args, "OO:field", &key, &name))
		return NULL;
	return record_run(self, key, name, NULL, op_record_field, 0);
}

static PyObject *m_del_field(PyObject *self, PyObject *args)
{
	PyObject *key, *name;

	if (!PyArg_ParseTuple(args, "OO:del_field", &key, &name))
		return NULL;
	return record_run(self, key, name, NULL, op_record_del_field, 1);
}

PyMethodDef kvpy_record_methods[] = {
	{ "record", (PyCFunction)m_record, METH_O,
	  "record(key)\n--\n\nThe record at key as a dict." },
	{ "put_record", (PyCFunction)m_put_record, METH_VARARGS,
	  "put_record(key, record)\n--\n\nStore a dict as the record at key, "
	  "validated against the key's schema." },
	{ "replace", (PyCFunction)(void (*)(void))m_replace,
	  METH_VARARGS | METH_KEYWORDS,
	  "replace(key, changes=None, /, **fields)\n--\n\nThe record at key "
	  "with these fields replaced or added, validated and written "
	  "atomically (in the spirit of copy.replace)." },
	{ "field", (PyCFunction)m_field, METH_VARARGS,
	  "field(key, name)\n--\n\nOne field of the record at key." },
	{ "del_field", (PyCFunction)m_del_field, METH_VARARGS,
	  "del_field(key, name)\n--\n\nRemove one field of the record." },
	{ NULL, NULL, 0, NULL }
};

/* ---- callbacks --------------------------------------------------------------- */

/* What a callback needs: the Python function, what it collects, and the
 * exception it raised (kept across the GIL's release). */
typedef struct cb {
	PyObject *fn;              /* progress callable, or NULL */
	PyObject *list;            /* what the scan collects */
	PyObject *et, *ev, *tb;
	const char *name;          /* schema name argument, or NULL */
	kv_u64 count;
	kv_verify_report report;
} cb;

/* Enter Python from inside a libkv call; 0 if a callback failed already. */
static int cb_enter(cb *c, PyGILState_STATE *st)
{
	*st = PyGILState_Ensure();
	kvpy_in_callback++;
	return c->et == NULL;
}

/* Leave Python; keeps a raised exception; non-zero asks libkv to stop. */
static int cb_leave(cb *c, PyGILState_STATE st, int ok)
{
	if (!ok && !c->et)
		PyErr_Fetch(&c->et, &c->ev, &c->tb);
	kvpy_in_callback--;
	PyGILState_Release(st);
	return c->et != NULL;
}

static int on_progress(kv_u64 done, kv_u64 total, void *payload)
{
	cb *c = payload;
	PyGILState_STATE st;
	PyObject *r;
	int ok;

	if (!c->fn)
		return 0;
	if (!(ok = cb_enter(c, &st)))
		return cb_leave(c, st, 1);
	r = PyObject_CallFunction(c->fn, "KK", (unsigned long long)done,
	                          (unsigned long long)total);
	ok = r != NULL;
	/* A true result asks to stop, as libkv's callbacks do. */
	if (r && PyObject_IsTrue(r) == 1) {
		Py_DECREF(r);
		cb_leave(c, st, 1);
		return 1;
	}
	Py_XDECREF(r);
	return cb_leave(c, st, ok);
}

static const char *problem_name(kv_problem p)
{
	switch (p) {
	case KV_PROBLEM_CORRUPT: return "corrupt";
	case KV_PROBLEM_UNSEALED: return "unsealed";
	case KV_PROBLEM_DIGEST: return "digest";
	case KV_PROBLEM_UNCHECKED: return "unchecked";
	}
	return "unknown";
}

static int on_problem(kv_problem p, const void *key, size_t key_len,
                      const char *message, void *payload)
{
	cb *c = payload;
	PyGILState_STATE st;
	PyObject *e;
	int ok;

	if (!(ok = cb_enter(c, &st)))
		return cb_leave(c, st, 1);
	e = key ? Py_BuildValue("(sy#s)", problem_name(p), key,
	                        (Py_ssize_t)key_len, message)
	        : Py_BuildValue("(sOs)", problem_name(p), Py_None, message);
	ok = e && PyList_Append(c->list, e) == 0;
	Py_XDECREF(e);
	return cb_leave(c, st, ok);
}

/* After a scan: the callback's exception, if any, wins. */
static int cb_done(cb *c, int rc)
{
	if (c->et) {
		if (rc == 0)
			PyErr_Restore(c->et, c->ev, c->tb);
		else {
			Py_XDECREF(c->et);
			Py_XDECREF(c->ev);
			Py_XDECREF(c->tb);
		}
		return -1;
	}
	return rc;
}

/* ---- store-wide calls (kv.DB only) --------------------------------------------- */

static kv_status op_verify(kv_db *db, kv_txn *txn, void *arg)
{
	cb *c = arg;

	(void)txn;
	return kv_db_verify(&c->report, db, on_problem, on_progress, c);
}

static kv_status op_seal(kv_db *db, kv_txn *txn, void *arg)
{
	cb *c = arg;

	(void)txn;
	return kv_db_seal(&c->count, db, on_problem, on_progress, c);
}

/* Run a scan with callbacks; 0, or -1 with an exception. */
static int cb_run(PyObject *self, cb *c, kvpy_op op)
{
	kvpy_target t;

	if (kvpy_target_of(&t, self) < 0)
		return -1;
	if (!(c->list = PyList_New(0)))
		return -1;
	return cb_done(c, kvpy_run(&t, op, c, 0));
}

static PyObject *m_verify(PyObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "progress", NULL };
	cb c;
	PyObject *r;

	memset(&c, 0, sizeof c);
	c.report = (kv_verify_report)KV_VERIFY_REPORT_INIT;
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:verify", kwlist, &c.fn))
		return NULL;
	if (c.fn == Py_None)
		c.fn = NULL;
	if (cb_run(self, &c, op_verify) < 0) {
		Py_XDECREF(c.list);
		return NULL;
	}
	r = Py_BuildValue("{s:K,s:K,s:K,s:O,s:O,s:O}",
	                  "records", (unsigned long long)c.report.records,
	                  "corrupt", (unsigned long long)c.report.corrupt,
	                  "unsealed", (unsigned long long)c.report.unsealed,
	                  "digest_ok", c.report.digest_ok ? Py_True : Py_False,
	                  "checked", c.report.checked ? Py_True : Py_False,
	                  "problems", c.list);
	Py_DECREF(c.list);
	return r;
}

static PyObject *m_seal(PyObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = { "progress", NULL };
	cb c;
	PyObject *r;

	memset(&c, 0, sizeof c);
	if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:seal", kwlist, &c.fn))
		return NULL;
	if (c.fn == Py_None)
		c.fn = NULL;
	if (cb_run(self, &c, op_seal) < 0) {
		Py_XDECREF(c.list);
		return NULL;
	}
	r = Py_BuildValue("{s:K,s:O}", "adopted", (unsigned long long)c.count,
	                  "problems", c.list);
	Py_DECREF(c.list);
	return r;
}

/* ---- schemas --------------------------------------------------------------------- */

static kv_status op_schema_define(kv_db *db, kv_txn *txn, void *arg)
{
	(void)txn;
	return kv_schema_define(db, ((recop *)arg)->json);
}

static PyObject *m_define_schema(PyObject *self, PyObject *doc)
{
	PyObject *text = NULL;
	kvpy_target t;
	recop a;
	int rc = -1;

	memset(&a, 0, sizeof a);
	if (PyUnicode_Check(doc))
		text = Py_NewRef(doc);
	else if (!PyDict_Check(doc))
		return PyErr_Format(PyExc_TypeError, "a schema is a dict or its "
		                    "JSON text, not %.100s", Py_TYPE(doc)->tp_name);
	else if (!(text = dumps(doc)))
		return NULL;
	if ((a.json = PyUnicode_AsUTF8(text)) && kvpy_target_of(&t, self) == 0)
		rc = kvpy_run(&t, op_schema_define, &a, 0);
	Py_DECREF(text);
	if (rc < 0)
		return NULL;
	Py_RETURN_NONE;
}

typedef struct schema_get {
	const char *name;
	unsigned int version;
	char *out;
} schema_get;

static kv_status op_schema_get(kv_db *db, kv_txn *txn, void *arg)
{
	schema_get *g = arg;

	(void)txn;
	return kv_schema_get(&g->out, db, g->name, g->version);
}

static PyObject *m_schema(PyObject *self, PyObject *args)
{
	schema_get g = { NULL, 0, NULL };
	kvpy_target t;
	PyObject *r = NULL;

	if (!PyArg_ParseTuple(args, "s|I:schema", &g.name, &g.version))
		return NULL;
	if (kvpy_target_of(&t, self) == 0 &&
	    kvpy_run(&t, op_schema_get, &g, 0) == 0)
		r = PyObject_CallFunction(kvpy_json_loads, "s", g.out);
	kv_free(g.out);
	return r;
}

static int on_schema(const char *name, unsigned int version,
                     const char *prefix, void *payload)
{
	cb *c = payload;
	PyGILState_STATE st;
	PyObject *e;
	int ok;

	if (!(ok = cb_enter(c, &st)))
		return cb_leave(c, st, 1);
	e = Py_BuildValue("{s:s,s:I,s:s}", "name", name, "version", version,
	                  "prefix", prefix);
	ok = e && PyList_Append(c->list, e) == 0;
	Py_XDECREF(e);
	return cb_leave(c, st, ok);
}

static kv_status op_schema_list(kv_db *db, kv_txn *txn, void *arg)
{
	(void)txn;
	return kv_schema_list(db, on_schema, arg);
}

static PyObject *m_schemas(PyObject *self, PyObject *unused)
{
	cb c;

	(void)unused;
	memset(&c, 0, sizeof c);
	if (cb_run(self, &c, op_schema_list) < 0) {
		Py_XDECREF(c.list);
		return NULL;
	}
	return c.list;
}

static int on_check(const char *schema, const char *key, const char *message,
                    void *payload)
{
	cb *c = payload;
	PyGILState_STATE st;
	PyObject *e;
	int ok;

	if (!(ok = cb_enter(c, &st)))
		return cb_leave(c, st, 1);
	e = Py_BuildValue("(sss)", schema, key, message);
	ok = e && PyList_Append(c->list, e) == 0;
	Py_XDECREF(e);
	return cb_leave(c, st, ok);
}

static kv_status op_schema_check(kv_db *db, kv_txn *txn, void *arg)
{
	cb *c = arg;

	(void)txn;
	return kv_schema_check(NULL, db, c->name, on_check, c);
}

static PyObject *m_check_schemas(PyObject *self, PyObject *args)
{
	cb c;

	memset(&c, 0, sizeof c);
	if (!PyArg_ParseTuple(args, "|z:check_schemas", &c.name))
		return NULL;
	if (cb_run(self, &c, op_schema_check) < 0) {
		Py_XDECREF(c.list);
		return NULL;
	}
	return c.list;
}

PyMethodDef kvpy_store_record_methods[] = {
	{ "verify", (PyCFunction)(void (*)(void))m_verify,
	  METH_VARARGS | METH_KEYWORDS,
	  "verify(progress=None)\n--\n\nCheck every record's seal and the "
	  "store's digest.  progress(done, total) is called now and then; a "
	  "true result stops the scan.  Returns a dict: records, corrupt, "
	  "unsealed, digest_ok, checked, problems (a list of (kind, key, "
	  "message))." },
	{ "seal", (PyCFunction)(void (*)(void))m_seal,
	  METH_VARARGS | METH_KEYWORDS,
	  "seal(progress=None)\n--\n\nAdopt unsealed records (written by "
	  "another program) and recompute the digest.  Returns a dict: "
	  "adopted, problems." },
	{ "define_schema", (PyCFunction)m_define_schema, METH_O,
	  "define_schema(doc)\n--\n\nDefine a schema, or evolve it to a "
	  "higher version; doc is a dict or its JSON text." },
	{ "schema", (PyCFunction)m_schema, METH_VARARGS,
	  "schema(name, version=0)\n--\n\nA schema's document as a dict (its "
	  "current version when version is 0)." },
	{ "schemas", (PyCFunction)m_schemas, METH_NOARGS,
	  "schemas()\n--\n\nEvery schema's current version: a list of dicts "
	  "with name, version and prefix, in name order." },
	{ "check_schemas", (PyCFunction)m_check_schemas, METH_VARARGS,
	  "check_schemas(name=None)\n--\n\nThe records that fail their schema "
	  "(all schemas when name is None), as (schema, key, message)." },
	{ NULL, NULL, 0, NULL }
};
