/*
 * bindings/python/kvpy.h - definitions shared by the files of the kv
 * Python extension module.  The module uses libkv's public API only.
 *
 * Threads.  Every call into a store runs with the GIL released, inside the
 * store object's gate: a read-write lock that calls hold shared and
 * close() holds exclusive, so a handle closed by one thread is never freed
 * under a call of another.  No thread waits for the gate while holding
 * the GIL; a thread inside the gate may take the GIL (close() to end the
 * kids, a write that left warnings to issue them, callbacks of verify and
 * the schema listings), which cannot deadlock since the GIL's holder
 * never blocks on the gate.  glibc's read-write locks prefer readers, so
 * a shared holder may enter again (a callback that reads the store).
 *
 * Transactions and iterators ("kids") are listed on their store, so that
 * close() can end them first; the list changes only under the GIL.  A kid
 * is used by one thread at a time: its busy flag is set and tested under
 * the GIL.  A transaction belongs to the thread that began it (libkv's
 * writer lock is the thread's).
 *
 * Fork.  A child process that uses an inherited store object skips the
 * gate (the parent's threads may have held it at fork) and calls libkv,
 * which refuses with KV_EFORKED and touches nothing.
 */
#ifndef KVPY_H
#define KVPY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <pthread.h>

#include <kv.h>

/* Longest libkv message kept for an exception. */
#define KVPY_MSG_MAX 1024

typedef struct kvpy_db kvpy_db;

/* Kinds of kid objects. */
enum { KVPY_KID_TXN = 1, KVPY_KID_ITER = 2 };

/* The head shared by transaction and iterator objects. */
typedef struct kvpy_kid {
	PyObject_HEAD
	struct kvpy_kid *prev, *next; /* on owner->kids; under the GIL */
	kvpy_db *owner;               /* strong reference */
	int kind;                     /* KVPY_KID_* */
	int busy;                     /* a call is running; under the GIL */
	int listed;                   /* on owner->kids */
} kvpy_kid;

/* A store: kv.DB. */
struct kvpy_db {
	PyObject_HEAD
	kv_db *db;                    /* NULL once closed */
	unsigned int gen;             /* kvpy_fork_gen() when opened */
	pthread_rwlock_t gate;
	kvpy_kid *kids;
	PyObject *name;               /* the file or URI given, for messages */
	PyObject *weakrefs;
};

/* A transaction: kv.Transaction. */
typedef struct kvpy_txn {
	kvpy_kid head;
	kv_txn *txn;                  /* NULL once ended */
	unsigned long thread;         /* the thread that began it */
	int write;
} kvpy_txn;

/* The result of one call into libkv, taken inside the gate. */
typedef struct kvpy_call {
	kv_status rc;
	char msg[KVPY_MSG_MAX];
} kvpy_call;

/* A key, value or prefix argument as bytes; str is taken as UTF-8. */
typedef struct kvpy_bytes {
	const char *p;
	Py_ssize_t n;
	Py_buffer view;               /* released by kvpy_bytes_release */
	int has_view;
} kvpy_bytes;

/* An operation run inside the gate with the GIL released: on db, in txn
 * (never NULL for writes; NULL for a read of its own). */
typedef kv_status (*kvpy_op)(kv_db *db, kv_txn *txn, void *arg);

/* What a store method works on: a store, or a transaction of one. */
typedef struct kvpy_target {
	kvpy_db *db;
	kvpy_txn *txn;                /* NULL: autocommit on db */
} kvpy_target;

extern PyTypeObject kvpy_db_type;
extern PyTypeObject kvpy_txn_type;
extern PyTypeObject kvpy_iter_type;

/* module.c */
extern PyObject *kvpy_json_dumps;  /* compact json.dumps */
extern PyObject *kvpy_json_loads;
unsigned int kvpy_fork_gen(void);
int kvpy_py_finalizing(void);

/* errors.c: exceptions and the warning channel */
int kvpy_errors_init(PyObject *module);
PyObject *kvpy_error_class(kv_status st);
void kvpy_set_error(kv_status st, const char *msg);
PyObject *kvpy_set_error_obj(kv_status st, const char *fmt, ...);
int kvpy_warnings_pending(void);
int kvpy_warnings_flush(void);
void kvpy_warnings_install(void);
int kvpy_finish(const kvpy_call *c);

/* gate.c: the gate, kids and the calls through them */
void kvpy_gate_enter(kvpy_db *d);
void kvpy_gate_leave(kvpy_db *d);
void kvpy_call_done(kvpy_call *c, kv_db *db, kv_status rc);
int kvpy_check_open(kvpy_db *d);
void kvpy_kid_link(kvpy_kid *k, kvpy_db *owner, int kind);
void kvpy_kid_unlink(kvpy_kid *k);
void kvpy_kids_end(kvpy_db *d);
int kvpy_target_of(kvpy_target *t, PyObject *self);
void kvpy_target_done(kvpy_target *t);
int kvpy_run(kvpy_target *t, kvpy_op op, void *arg, int write);
extern _Thread_local int kvpy_in_callback;
int kvpy_bytes_get(kvpy_bytes *b, PyObject *o, const char *what);
int kvpy_cstr_get(kvpy_bytes *b, PyObject *o, const char *what);
void kvpy_bytes_release(kvpy_bytes *b);

/* db.c */
PyObject *kvpy_db_open(PyObject *module, PyObject *args, PyObject *kw);
PyObject *kvpy_whichdb(PyObject *module, PyObject *arg);

/* mapping.c: the dbm methods shared by kv.DB and kv.Transaction */
extern PyMethodDef kvpy_mapping_methods[];
extern PyMappingMethods kvpy_mapping;
extern PySequenceMethods kvpy_sequence;
PyObject *kvpy_getitem(PyObject *self, PyObject *key);
PyObject *kvpy_tp_iter(PyObject *self);
PyObject *kvpy_iter_new(kvpy_target *t, PyObject *prefix, int what);

/* records.c: records (both types); schemas, verify and seal (kv.DB) */
extern PyMethodDef kvpy_record_methods[];
extern PyMethodDef kvpy_store_record_methods[];

/* db.c: what only a store has */
extern PyMethodDef kvpy_store_methods[];

/* txn.c */
extern PyMethodDef kvpy_txn_methods[];
PyObject *kvpy_txn_begin(kvpy_db *d, PyObject *args, PyObject *kw);
void kvpy_txn_end_kid(kvpy_txn *t);

/* iter.c: what an iterator yields */
enum { KVPY_KEYS = 0, KVPY_VALUES = 1, KVPY_ITEMS = 2 };
void kvpy_iter_end_kid(kvpy_kid *k);

/* lifecycle.c: shutdown hooks, fork */
extern PyMethodDef kvpy_lifecycle_methods[];
int kvpy_lifecycle_init(PyObject *module);

#endif /* KVPY_H */
