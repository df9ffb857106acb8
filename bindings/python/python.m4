# bindings/python/python.m4 - configure's part for the kv Python module:
# Debian's Python 3 and its headers, pytest for the tests, and where the
# module is installed.  Included from configure.ac.

AC_DEFUN([KV_PYTHON], [
dnl The interpreter the module is built for and tested with: PYTHON when
dnl given, else Debian's, never whatever python3 comes first in PATH.
AS_IF([test -z "$PYTHON" && test -x /usr/bin/python3],
  [PYTHON=/usr/bin/python3])
AM_PATH_PYTHON([3.9])
AC_MSG_CHECKING([for the C headers of $PYTHON])
PYTHON_INCLUDE=`$PYTHON -c 'import sysconfig; print(sysconfig.get_path("include"))'`
AS_IF([test -f "$PYTHON_INCLUDE/Python.h"],
  [AC_MSG_RESULT([$PYTHON_INCLUDE])],
  [AC_MSG_RESULT([no])
   KV_MISSING([Python.h for $PYTHON], [python3-dev])])
AC_SUBST([PYTHON_CFLAGS], ["-I$PYTHON_INCLUDE"])
AC_MSG_CHECKING([whether $PYTHON has pytest])
AS_IF([$PYTHON -c 'import pytest' >/dev/null 2>&1],
  [AC_MSG_RESULT([yes])],
  [AC_MSG_RESULT([no])
   KV_MISSING([pytest for $PYTHON], [python3-pytest])])
dnl Debian's interpreter looks in /usr/local/lib/pythonX.Y/dist-packages
dnl and /usr/lib/python3/dist-packages, not in the site-packages automake
dnl names.
AS_IF([test "`$PYTHON -c 'import sysconfig; print(sysconfig.get_default_scheme())' 2>/dev/null`" = posix_local],
  [AS_CASE([$prefix],
    [/usr], [pyexecdir='${exec_prefix}/lib/python3/dist-packages'],
    [pyexecdir='${exec_prefix}/lib/python'"$PYTHON_VERSION"'/dist-packages'])])
dnl An extension module instrumented by a sanitizer cannot be loaded into
dnl an uninstrumented interpreter, and a module needs shared libraries.
KV_PYTHON_SKIP=
case " $CFLAGS $LDFLAGS " in
*-fsanitize=*)
  KV_PYTHON_SKIP="this build is instrumented by a sanitizer (-fsanitize in CFLAGS or LDFLAGS, as check-asan and check-tsan configure it) and an instrumented extension module cannot be loaded into the uninstrumented $PYTHON" ;;
esac
AS_IF([test -z "$KV_PYTHON_SKIP" && test "x$enable_shared" != xyes],
  [KV_PYTHON_SKIP="libkv is built without shared libraries (--disable-shared) and a Python extension module needs them"])
AC_SUBST([KV_PYTHON_SKIP])
AM_CONDITIONAL([KV_PYTHON_MODULE], [test -z "$KV_PYTHON_SKIP"])
])
