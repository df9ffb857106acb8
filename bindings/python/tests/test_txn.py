"""Transactions as context managers, on every backend."""
import threading

import pytest

import kv


def test_commit_on_success(db):
    with db.transaction() as t:
        t["a"] = "1"
        t.update({"b": "2", "c": "3"})
        assert t["a"] == b"1" and len(t) == 3 and "b" in t
        assert t.keys() == [b"a", b"b", b"c"]
        assert t.active and not t.readonly and t.db is db
    assert not t.active
    assert db.items() == [(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]


def test_rollback_on_exception(db):
    db["a"] = "old"
    with pytest.raises(RuntimeError):
        with db.transaction() as t:
            t["a"] = "new"
            t["b"] = "2"
            del t["a"]
            raise RuntimeError("boom")
    assert db.items() == [(b"a", b"old")]


def test_explicit_commit_and_abort(db):
    t = db.transaction()
    t["a"] = "1"
    t.abort()
    t.abort()                           # twice: harmless
    assert "a" not in db
    t = db.transaction()
    t["a"] = "1"
    t.commit()
    assert db["a"] == b"1"
    with pytest.raises(kv.error) as e:
        t["b"] = "2"
    assert "ended" in str(e.value)
    with pytest.raises(kv.error):
        t.commit()


def test_read_snapshot(db):
    db["a"] = "1"
    with db.transaction(readonly=True) as snap:
        assert snap.readonly
        # SQLite fixes the snapshot at the first read, not at begin.
        assert snap["a"] == b"1"
        db["a"] = "2"                   # committed after the snapshot began
        db["b"] = "new"
        assert snap["a"] == b"1"
        assert "b" not in snap
        assert snap.keys() == [b"a"]
        with pytest.raises(kv.ReadOnlyError):
            snap["c"] = "3"
    assert db["a"] == b"2"


def test_iterators_see_the_transaction(db):
    db.update({"runs/1": "a", "runs/2": "b"})
    with db.transaction() as t:
        t["runs/3"] = "c"
        del t["runs/1"]
        assert [k for k, _ in t.scan("runs/")] == [b"runs/2", b"runs/3"]
        assert list(t) == [b"runs/2", b"runs/3"]
        assert t.firstkey() == b"runs/2"
        it = t.scan("runs/")
        assert next(it) == (b"runs/2", b"b")
    with pytest.raises(kv.error):
        next(it)                        # its transaction has ended


def test_second_writer_on_a_thread_is_busy(db):
    with db.transaction():
        with pytest.raises(kv.BusyError) as e:
            db.transaction()
        with pytest.raises(kv.BusyError):
            db["x"] = "autocommit needs a writer too"
        assert "deadlock" in str(e.value)


def test_transaction_belongs_to_its_thread(db):
    t = db.transaction()
    err = []

    def other():
        try:
            t["a"] = "1"
        except kv.BusyError as e:
            err.append(e)
    th = threading.Thread(target=other)
    th.start()
    th.join()
    assert len(err) == 1 and "thread" in str(err[0])
    t.abort()


def test_writers_wait_for_each_other(db):
    db["n"] = "0"

    def bump():
        for _ in range(20):
            with db.transaction() as t:
                t["n"] = str(int(t["n"]) + 1)
    threads = [threading.Thread(target=bump) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert db["n"] == b"80"


def test_close_rolls_back_open_transactions(uri):
    db = kv.open(uri, "c")
    db["a"] = "1"
    t = db.transaction()
    t["a"] = "uncommitted"
    snap = db.transaction(readonly=True)
    it = snap.scan()
    db.close()
    with pytest.raises(kv.error):
        t["a"]
    with pytest.raises(kv.error):
        next(it)
    t.abort()                           # harmless after close
    with kv.open(uri, "r") as db:
        assert db["a"] == b"1"


def test_salvage_needs_readonly(db):
    with pytest.raises(kv.InvalidError):
        db.transaction(salvage=True)
    with db.transaction(readonly=True, salvage=True) as t:
        assert t.keys() == []
