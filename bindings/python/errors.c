/*
 * bindings/python/errors.c - one exception class per libkv status, and
 * libkv's warning channel turned into Python warnings.
 *
 * kv.error (an OSError, as dbm.sqlite3.error and dbm.gnu.error are) is
 * the base of every exception the module raises for a failed store call;
 * each status has a subclass, and where a builtin means the same thing the
 * subclass is that builtin too: NotFoundError is a KeyError, so dbm code
 * that catches KeyError keeps working.
 *
 * Warnings.  libkv calls its handler from inside a call, on the calling
 * thread, with the GIL released and store locks held, so the handler only
 * appends the message to a list of the calling thread.  When the call has
 * returned, with the GIL held again, kvpy_warnings_flush() issues each
 * one through the warnings module (PyErr_WarnEx), where the program's
 * filters decide; under -W error that raises, and the caller rolls the
 * write back.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kvpy.h"

/* The exception classes, by status; [0] is kv.error. */
#define NSTATUS 18
static PyObject *classes[NSTATUS];
static PyObject *unchecked_warning;

static const struct {
	kv_status st;
	const char *name;
	const char *doc;
} specs[] = {
	{ KV_NOTFOUND, "NotFoundError", "No such key (also a KeyError)." },
	{ KV_EXISTS, "ExistsError", "The key, schema version or file exists." },
	{ KV_EREADONLY, "ReadOnlyError", "A write to a read-only store, or a "
	  "change to a write-once (readonly) field of a record." },
	{ KV_ESCHEMA, "SchemaError", "A record does not satisfy its schema." },
	{ KV_ECORRUPT, "CorruptError", "A record fails its seal, or the file "
	  "is damaged." },
	{ KV_EFINALIZING, "FinalizingError", "libkv has been shut down "
	  "(kv.shutdown() or interpreter exit); also a RuntimeError." },
	{ KV_EFORKED, "ForkedError", "The store was opened before fork(): "
	  "open it afresh in this process." },
	{ KV_EBUSY, "BusyError", "Locked, or the call would deadlock." },
	{ KV_EFULL, "FullError", "Disk or address space exhausted." },
	{ KV_EINVAL, "InvalidError", "A bad argument or a closed object; "
	  "also a ValueError." },
	{ KV_EIO, "StoreIOError", "An operating-system I/O error." },
	{ KV_ENOMEM, "NoMemoryError", "Out of memory; also a MemoryError." },
	{ KV_EFORMAT, "FormatError", "The file is not a store of any known "
	  "backend." },
	{ KV_ENOENT, "NoStoreError", "The store does not exist and the flag "
	  "does not create it; also a FileNotFoundError." },
	{ KV_ETOOBIG, "TooBigError", "Key or value too large for the "
	  "backend." },
	{ KV_EDEPRECATED, "DeprecatedError", "A deprecated use refused "
	  "(KV_WARNINGS=error)." },
	{ KV_EKEY, "KeyfileError", "The store's secret key is missing, "
	  "exposed or wrong." },
};

/* The builtin that a status's class also derives from, or NULL. */
static PyObject *builtin_base(kv_status st)
{
	switch (st) {
	case KV_NOTFOUND: return PyExc_KeyError;
	case KV_EFINALIZING: return PyExc_RuntimeError;
	case KV_EINVAL: return PyExc_ValueError;
	case KV_ENOMEM: return PyExc_MemoryError;
	case KV_ENOENT: return PyExc_FileNotFoundError;
	default: return NULL;
	}
}

/* Make one class kv.NAME deriving from base (and builtin) into module. */
static PyObject *make_class(PyObject *module, const char *name,
                            const char *doc, PyObject *base,
                            PyObject *builtin)
{
	char qual[64];
	PyObject *bases, *cls;

	snprintf(qual, sizeof qual, "kv.%s", name);
	bases = builtin ? PyTuple_Pack(2, base, builtin) : PyTuple_Pack(1, base);
	if (!bases)
		return NULL;
	cls = PyErr_NewExceptionWithDoc(qual, doc, bases, NULL);
	Py_DECREF(bases);
	if (cls && PyModule_AddObjectRef(module, name, cls) < 0)
		Py_CLEAR(cls);
	return cls;
}

int kvpy_errors_init(PyObject *module)
{
	size_t i;

	classes[0] = make_class(module, "error", "Base of the exceptions of "
	                        "failed store calls; an OSError.",
	                        PyExc_OSError, NULL);
	if (!classes[0])
		return -1;
	for (i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		classes[specs[i].st] = make_class(module, specs[i].name,
		                                  specs[i].doc, classes[0],
		                                  builtin_base(specs[i].st));
		if (!classes[specs[i].st])
			return -1;
	}
	unchecked_warning = make_class(module, "UncheckedWarning",
	                               "A keyed store was opened without its "
	                               "key: seals cannot be checked.",
	                               PyExc_RuntimeWarning, NULL);
	return unchecked_warning ? 0 : -1;
}

PyObject *kvpy_error_class(kv_status st)
{
	if ((int)st <= 0 || (int)st >= NSTATUS || !classes[st])
		return classes[0];
	return classes[st];
}

void kvpy_set_error(kv_status st, const char *msg)
{
	PyObject *cls = kvpy_error_class(st), *exc, *v;
	const char *name = kv_strerror(st);
	size_t n = strcspn(name, ":");

	exc = PyObject_CallFunction(cls, "s", msg && *msg ? msg : name);
	if (!exc)
		return;
	v = PyLong_FromLong((long)st);
	if (!v || PyObject_SetAttrString(exc, "status", v) < 0)
		goto done;
	Py_DECREF(v);
	v = PyUnicode_FromStringAndSize(name, (Py_ssize_t)n);
	if (!v || PyObject_SetAttrString(exc, "status_name", v) < 0)
		goto done;
	PyErr_SetObject(cls, exc);
done:
	Py_XDECREF(v);
	Py_DECREF(exc);
}

PyObject *kvpy_set_error_obj(kv_status st, const char *fmt, ...)
{
	PyObject *s;
	const char *msg;
	va_list ap;

	va_start(ap, fmt);
	s = PyUnicode_FromFormatV(fmt, ap);  /* PyUnicode_FromFormat's % */
	va_end(ap);
	if (!s)
		return NULL;
	if ((msg = PyUnicode_AsUTF8(s)))
		kvpy_set_error(st, msg);
	Py_DECREF(s);
	return NULL;
}

/* ---- warnings ----------------------------------------------------------- */

struct pending {
	struct pending *next;
	kv_warning_kind kind;
	char text[];
};

/* The calling thread's warnings not yet issued, oldest first. */
static _Thread_local struct pending *pending_head, **pending_tail;
static _Thread_local unsigned int pending_count;

/* A thread that warns but never returns to Python keeps at most this many. */
#define PENDING_MAX 64

static void on_warning(kv_warning_kind kind, const char *message,
                       void *payload)
{
	size_t len = strlen(message);
	struct pending *p;

	(void)payload;
	if (pending_count >= PENDING_MAX || !(p = malloc(sizeof *p + len + 1)))
		return;
	p->next = NULL;
	p->kind = kind;
	memcpy(p->text, message, len + 1);
	if (!pending_head)
		pending_tail = &pending_head;
	*pending_tail = p;
	pending_tail = &p->next;
	pending_count++;
}

int kvpy_warnings_pending(void)
{
	return pending_head != NULL;
}

int kvpy_warnings_flush(void)
{
	struct pending *p;
	PyObject *cat;
	int rc = 0;

	while ((p = pending_head)) {
		pending_head = p->next;
		pending_count--;
		cat = p->kind == KV_WARN_UNCHECKED ? unchecked_warning
		                                   : PyExc_DeprecationWarning;
		if (rc == 0 && PyErr_WarnEx(cat, p->text, 1) < 0)
			rc = -1; /* the rest are dropped with the exception */
		free(p);
	}
	return rc;
}

void kvpy_warnings_install(void)
{
	/* Python's warning filters decide what a warning becomes, so libkv
	 * reports every one -- unless the user chose with KV_WARNINGS. */
	const char *env = getenv("KV_WARNINGS");

	if (!env || !*env)
		(void)kv_warnings_mode_set(KV_WARNINGS_ALWAYS);
	kv_warnings_handler_set(on_warning, NULL);
}

int kvpy_finish(const kvpy_call *c)
{
	if (kvpy_warnings_flush() < 0)
		return -1;
	if (c->rc != KV_OK) {
		kvpy_set_error(c->rc, c->msg);
		return -1;
	}
	return 0;
}
