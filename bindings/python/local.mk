# bindings/python/local.mk - the kv Python extension module, its pytest
# suite and `make pybench`; included from Makefile.am.
#
# The module is built when shared libraries are and no sanitizer
# instruments the build (python.m4 says why otherwise, and kv.test prints
# it as its SKIP reason); it is installed into pyexecdir of $(PYTHON),
# Debian's python3.
if KV_PYTHON_MODULE
pyexec_LTLIBRARIES = bindings/python/kv.la
endif
bindings_python_kv_la_SOURCES = bindings/python/kvpy.h \
	bindings/python/module.c bindings/python/errors.c \
	bindings/python/gate.c bindings/python/db.c bindings/python/mapping.c \
	bindings/python/txn.c bindings/python/iter.c \
	bindings/python/records.c bindings/python/lifecycle.c
bindings_python_kv_la_CPPFLAGS = $(AM_CPPFLAGS) $(PYTHON_CFLAGS)
bindings_python_kv_la_CFLAGS = $(AM_CFLAGS) -pthread -fvisibility=hidden
bindings_python_kv_la_LIBADD = kv/libkv.la
bindings_python_kv_la_LDFLAGS = -module -avoid-version -shared -pthread

# pytest, from make check, on the module just built (kv.test says how).
KV_PY_TESTS = bindings/python/tests/conftest.py \
	bindings/python/tests/test_dbm.py bindings/python/tests/test_txn.py \
	bindings/python/tests/test_records.py \
	bindings/python/tests/test_errors.py \
	bindings/python/tests/test_threads.py \
	bindings/python/tests/test_lifecycle.py \
	bindings/python/tests/test_interop.py \
	bindings/python/tests/test_readme.py
dist_check_SCRIPTS += bindings/python/kv.test
EXTRA_DIST += bindings/python/python.m4 $(KV_PY_TESTS) bench/pybench.py
AM_TESTS_ENVIRONMENT += \
	PYTHON='$(PYTHON)'; export PYTHON; \
	KV_PYTHON_SKIP='$(KV_PYTHON_SKIP)'; export KV_PYTHON_SKIP;

# Python-level rates of kv against the stdlib dbm modules; never run by
# make, make check or make distcheck.  PYBENCH_N records.
PYBENCH_N = 50000
pybench: $(pyexec_LTLIBRARIES)
	PYTHONPATH='$(abs_top_builddir)/bindings/python/.libs' \
	$(PYTHON) $(srcdir)/bench/pybench.py -n $(PYBENCH_N)
.PHONY: pybench
