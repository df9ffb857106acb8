/*
 * bindings/python/lifecycle.c - shutdown hooks from Python, kv.shutdown(),
 * and what the module does about fork and interpreter exit.
 *
 * libkv finalises at kv_shutdown() or, failing that, from its own C
 * atexit handler -- which runs after the interpreter has finalised, when
 * no Python code may run.  So the module registers a Python atexit
 * function when it is imported; it calls kv_shutdown() while the
 * interpreter is whole, and the hooks run then, last registered first,
 * with the C hooks of the same process.  Each Python hook is one libkv
 * hook whose C side takes the GIL to call it, unless the interpreter is
 * gone or finalising (libkv finalised from elsewhere, late): then the
 * Python hook is skipped, never called into a dead interpreter.
 * Atexit functions registered after `import kv` run before it and may
 * still use stores; those registered before run after it and get
 * kv.FinalizingError.
 *
 * Fork: a pthread_atfork child handler counts generations; a store object
 * opened in an older generation skips its gate (kvpy.h).
 */
#include <stdatomic.h>
#include <string.h>

#include "kvpy.h"

static atomic_uint fork_gen;
static atomic_int interpreter_gone;

unsigned int kvpy_fork_gen(void)
{
	return atomic_load_explicit(&fork_gen, memory_order_relaxed);
}

static void after_fork_child(void)
{
	atomic_fetch_add(&fork_gen, 1);
}

int kvpy_py_finalizing(void)
{
#if PY_VERSION_HEX >= 0x030D0000
	return Py_IsFinalizing();
#else
	return _Py_IsFinalizing();
#endif
}

/* Whether Python code may run now. */
static int python_alive(void)
{
	return !atomic_load(&interpreter_gone) && Py_IsInitialized() &&
	       !kvpy_py_finalizing();
}

/* libkv's side of a Python hook: payload is the callable (a reference). */
static void run_hook(void *payload)
{
	PyObject *fn = payload, *r;
	PyGILState_STATE st;

	if (!python_alive())
		return; /* the reference goes with the process */
	st = PyGILState_Ensure();
	r = PyObject_CallNoArgs(fn);
	if (!r)
		PyErr_WriteUnraisable(fn);
	Py_XDECREF(r);
	Py_DECREF(fn);
	PyGILState_Release(st);
}

static PyObject *add_shutdown_hook(PyObject *module, PyObject *fn)
{
	kv_status rc;

	(void)module;
	if (!PyCallable_Check(fn))
		return PyErr_Format(PyExc_TypeError, "a shutdown hook must be "
		                    "callable, not %.100s", Py_TYPE(fn)->tp_name);
	Py_INCREF(fn);
	if ((rc = kv_shutdown_hook_add(run_hook, fn))) {
		Py_DECREF(fn);
		kvpy_set_error(rc, kv_errmsg());
		return NULL;
	}
	Py_INCREF(fn);
	return fn;  /* so that it can decorate a function */
}

static PyObject *shutdown(PyObject *module, PyObject *unused)
{
	(void)module;
	(void)unused;
	/* The hooks take the GIL themselves; other threads' calls in
	 * progress, which libkv waits for, run without it. */
	Py_BEGIN_ALLOW_THREADS
	(void)kv_shutdown();
	Py_END_ALLOW_THREADS
	Py_RETURN_NONE;
}

static PyObject *at_exit(PyObject *module, PyObject *unused)
{
	PyObject *r = shutdown(module, unused);

	/* From here on the interpreter winds down: no more Python hooks. */
	atomic_store(&interpreter_gone, 1);
	return r;
}

static PyObject *finalizing(PyObject *module, PyObject *unused)
{
	(void)module;
	(void)unused;
	return PyBool_FromLong(kv_finalizing());
}

static PyObject *warnings_mode(PyObject *module, PyObject *arg)
{
	static const char *const names[] = { "default", "ignore", "once",
	                                     "always", "error" };
	const char *name = PyUnicode_Check(arg) ? PyUnicode_AsUTF8(arg) : NULL;
	int i;

	(void)module;
	for (i = 0; name && i < 5; i++) {
		if (!strcmp(name, names[i])) {
			(void)kv_warnings_mode_set((kv_warnings_mode)i);
			Py_RETURN_NONE;
		}
	}
	if (!PyErr_Occurred())
		PyErr_SetString(PyExc_ValueError, "mode must be 'default', "
		                "'ignore', 'once', 'always' or 'error'");
	return NULL;
}

PyMethodDef kvpy_lifecycle_methods[] = {
	{ "add_shutdown_hook", add_shutdown_hook, METH_O,
	  "add_shutdown_hook(fn)\n--\n\nCall fn() when libkv shuts down "
	  "(kv.shutdown() or interpreter exit), last registered first, while "
	  "stores are still open.  Returns fn, so it works as a decorator." },
	{ "shutdown", shutdown, METH_NOARGS,
	  "shutdown()\n--\n\nShut libkv down now: run the hooks, roll back "
	  "open transactions, make batched commits durable and close every "
	  "store.  Afterwards every store call raises kv.FinalizingError.  "
	  "Runs by itself at interpreter exit." },
	{ "finalizing", finalizing, METH_NOARGS,
	  "finalizing()\n--\n\nTrue once libkv's shutdown has begun." },
	{ "warnings_mode", warnings_mode, METH_O,
	  "warnings_mode(mode)\n--\n\nWhat libkv does with its warnings "
	  "before Python's filters see them: 'always' (the module's "
	  "default, so that the filters decide), 'once', 'ignore', 'error' "
	  "(refuse the write with kv.DeprecatedError) or 'default' "
	  "($KV_WARNINGS)." },
	{ NULL, NULL, 0, NULL }
};

static PyMethodDef at_exit_def = {
	"_at_exit", at_exit, METH_NOARGS, "kv's interpreter-exit handler."
};

int kvpy_lifecycle_init(PyObject *module)
{
	PyObject *atexit, *fn, *r;

	if (pthread_atfork(NULL, NULL, after_fork_child) != 0) {
		PyErr_SetString(PyExc_OSError, "kv: pthread_atfork failed");
		return -1;
	}
	if (!(fn = PyCFunction_New(&at_exit_def, module)))
		return -1;
	if (!(atexit = PyImport_ImportModule("atexit"))) {
		Py_DECREF(fn);
		return -1;
	}
	r = PyObject_CallMethod(atexit, "register", "O", fn);
	Py_DECREF(atexit);
	Py_DECREF(fn);
	if (!r)
		return -1;
	Py_DECREF(r);
	return 0;
}
