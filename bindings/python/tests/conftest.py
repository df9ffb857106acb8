"""Fixtures of the kv module's tests.

Every behaviour test takes the ``backend`` fixture (directly or through
``uri`` or ``db``) and so runs once per backend of BACKENDS, the one list
of them here.  Under ``make check`` (KV_TEST_BUILDDIR set) the session
refuses to start unless ``kv`` and ``libkv`` are the build tree's.
"""
import os
import subprocess
import sys
import textwrap

import pytest

import kv

# The backends every behaviour test runs on: their URI schemes.
BACKENDS = ("lmdb", "sqlite")

BUILDDIR = os.environ.get("KV_TEST_BUILDDIR")
SRCDIR = os.environ.get(
    "KV_TEST_SRCDIR",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))


def _loaded_libkv():
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "/libkv.so" in path:
                return path
    return None


def pytest_sessionstart(session):
    if not BUILDDIR:
        return
    build = os.path.realpath(BUILDDIR)
    mod = os.path.realpath(kv.__file__)
    lib = _loaded_libkv()
    if not mod.startswith(build + os.sep):
        raise pytest.UsageError("kv imported from %s, not from the build "
                                "tree %s" % (mod, build))
    if not lib or not os.path.realpath(lib).startswith(build + os.sep):
        raise pytest.UsageError("libkv loaded from %s, not from the build "
                                "tree %s" % (lib, build))


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "store")


@pytest.fixture
def uri(backend, path):
    return "%s:%s" % (backend, path)


@pytest.fixture
def db(uri):
    d = kv.open(uri, "c")
    yield d
    d.close()


def tool(name):
    """A program of the build tree (cli/kvtool, examples/train_run)."""
    base = BUILDDIR or os.path.join(SRCDIR, "build")
    prog = os.path.join(base, name)
    if not os.access(prog, os.X_OK):
        pytest.skip("%s is not built" % prog)
    return prog


def run_python(code, *args, check=True, python_args=()):
    """Run code in a new interpreter with this one's kv; returns the
    CompletedProcess (stdout and stderr as text)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [os.path.dirname(kv.__file__)] +
        [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    proc = subprocess.run(
        [sys.executable, *python_args, "-c", textwrap.dedent(code), *args],
        env=env, capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError("child python exited %d\nstdout:\n%s\nstderr:\n%s"
                             % (proc.returncode, proc.stdout, proc.stderr))
    return proc
