"""Fork, shutdown hooks and interpreter exit, on every backend.

What is process-wide (shutdown, exit) runs in a child interpreter.
"""
import os

import pytest

import kv

from conftest import run_python


def _child(fn):
    """Run fn() in a forked child; its return value is the exit status."""
    pid = os.fork()
    if pid == 0:
        code = 99
        try:
            code = fn()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_forked_child_gets_forked_error(uri):
    db = kv.open(uri, "c")
    db.update(("k%03d" % i, "v%d" % i) for i in range(100))
    snap = db.transaction(readonly=True)
    it = db.scan()
    next(it)

    def worker():
        # What a DataLoader worker does with a handle it inherited.
        for use in (lambda: db["k001"], lambda: db.__setitem__("k", "v"),
                    lambda: db.keys(), lambda: snap["k001"],
                    lambda: next(it), lambda: db.transaction(),
                    lambda: db.verify()):
            try:
                use()
                return 1
            except kv.ForkedError as e:
                if "fork" not in str(e):
                    return 2
        db.close()                      # frees, touches nothing
        with kv.open(uri, "w") as mine:  # the child opens afresh
            if mine["k001"] != b"v1":
                return 3
            mine["child"] = "was here"
        return 0
    assert _child(worker) == 0
    # The parent's handle, snapshot and iterator are intact.
    assert snap["k001"] == b"v1"
    assert next(it) == (b"k001", b"v1")
    snap.abort()
    assert db["child"] == b"was here"
    assert len(db) == 101
    report = db.verify()
    assert report["corrupt"] == 0 and report["digest_ok"]
    db.close()


def test_shutdown_hooks_at_exit(uri):
    proc = run_python("""
        import sys, kv
        db = kv.open(sys.argv[1], "c")
        db["before"] = "1"
        @kv.add_shutdown_hook
        def first():
            db["hook/first"] = "ran"
            print("first hook")
        def second():
            print("second hook sees", db["hook/first"] if "hook/first" in db
                  else None)
            raise RuntimeError("a failing hook does not stop the others")
        kv.add_shutdown_hook(second)
        print("main done")
        """, uri)
    assert proc.stdout.split("\n")[:3] == [
        "main done", "second hook sees None", "first hook"]
    assert "a failing hook" in proc.stderr
    with kv.open(uri, "r") as db:
        assert db["hook/first"] == b"ran"


def test_use_after_shutdown_raises(uri):
    run_python("""
        import sys, kv
        db = kv.open(sys.argv[1], "c")
        db["committed"] = "y"
        t = db.transaction()
        t["uncommitted"] = "x"
        assert not kv.finalizing()
        kv.shutdown()
        assert kv.finalizing()
        for use in (lambda: db["committed"], lambda: db.__setitem__("a", "b"),
                    lambda: t["uncommitted"], lambda: kv.open(sys.argv[1]),
                    lambda: kv.add_shutdown_hook(print)):
            try:
                use()
            except kv.FinalizingError as e:
                assert isinstance(e, RuntimeError)
            else:
                raise AssertionError("no FinalizingError")
        kv.shutdown()                   # twice: nothing
        db.close()
        print("ok")
        """, uri)
    with kv.open(uri, "r") as db:
        assert db.keys() == [b"committed"]


def test_interpreter_exit_is_safe(uri):
    proc = run_python("""
        import atexit, sys, threading
        def early():                    # registered before kv: runs after
            try:
                db["late"] = "x"
            except Exception as e:
                print("early atexit:", type(e).__name__)
        atexit.register(early)
        import kv
        db = kv.open(sys.argv[1], "c")
        db.update(("k%d" % i, "v") for i in range(1000))
        def late():                     # registered after kv: runs first
            global txn
            db["atexit"] = "ok"
            txn = db.transaction()      # left open: rolled back
            txn["open"] = "x"
        atexit.register(late)
        class Holder:
            def __del__(self):          # at module teardown
                try:
                    self.db["del"] = "x"
                except Exception as e:
                    print("__del__:", type(e).__name__)
        h = Holder()
        h.db = db
        def spin():                     # a daemon thread still reading
            while True:
                try:
                    db.keys()
                except kv.error:
                    pass
        threading.Thread(target=spin, daemon=True).start()
        """, uri)
    assert "early atexit: FinalizingError" in proc.stdout
    with kv.open(uri, "r") as db:
        assert db["atexit"] == b"ok"
        assert "open" not in db and "late" not in db
        assert len(db) == 1001


def test_forked_child_exiting_normally(uri):
    # A child that returns through Python's exit (atexit, libkv's
    # shutdown) leaves the parent's store alone.
    proc = run_python("""
        import os, sys, kv
        db = kv.open(sys.argv[1], "c")
        db["a"] = "1"
        pid = os.fork()
        if pid == 0:
            try:
                db["a"]
            except kv.ForkedError:
                sys.exit(0)
            sys.exit(1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        db["b"] = "2"
        assert db.verify()["digest_ok"]
        print("ok")
        """, uri)
    assert proc.stdout.strip() == "ok"
