"""kv behaves as the stdlib dbm modules do, on every backend."""
import collections.abc
import dbm
import dbm.dumb
import os
import stat

import pytest

import kv


def test_open_flags(uri, path):
    with pytest.raises(kv.NoStoreError) as e:
        kv.open(uri, "r")
    assert isinstance(e.value, FileNotFoundError)
    assert isinstance(e.value, kv.error)
    assert path in str(e.value)
    with pytest.raises(kv.error):
        kv.open(uri, "w")
    with kv.open(uri, "c") as db:       # creates
        db["k"] = "v"
    with kv.open(uri, "w") as db:       # existing, writable
        assert db["k"] == b"v"
        db["k2"] = "v2"
    with kv.open(uri) as db:            # 'r' is the default, as in dbm
        assert db.keys() == [b"k", b"k2"]
        with pytest.raises(kv.ReadOnlyError):
            db["k3"] = "v3"
        with pytest.raises(kv.error):
            del db["k"]
    with kv.open(uri, "n") as db:       # always new and empty
        assert len(db) == 0
        assert db.keys() == []


@pytest.mark.parametrize("flag", ["x", "rw", "", "C"])
def test_bad_flag(uri, flag):
    with pytest.raises(ValueError):
        kv.open(uri, flag)


def test_plain_path_detects_backend(uri, path, backend):
    with kv.open(uri, "c") as db:
        db["a"] = "1"
    assert kv.whichdb(path) == backend
    with kv.open(path, "r") as db:
        assert db.backend == backend
        assert db["a"] == b"1"
    assert kv.whichdb(path + ".missing") is None


def test_new_plain_path_is_sqlite(tmp_path):
    p = tmp_path / "plain.db"
    with kv.open(p, "c") as db:      # os.PathLike accepted
        assert db.backend == "sqlite"
        assert db.path == str(p)
    other = tmp_path / "other"
    other.write_bytes(b"not a store at all, just some bytes" * 10)
    assert kv.whichdb(str(other)) == ""
    with pytest.raises(kv.FormatError):
        kv.open(str(other), "r")


def test_mode_of_new_file(uri, path):
    old = os.umask(0o022)
    try:
        kv.open(uri, "c", 0o640).close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_str_and_bytes(db):
    db["ключ"] = "значение ✓"
    db[b"bin\x00key"] = b"\x00\x01\xff"
    db[bytearray(b"ba")] = memoryview(b"mv")
    assert db["ключ".encode()] == "значение ✓".encode()
    assert db["ключ"] == "значение ✓".encode()
    assert db[b"bin\x00key"] == b"\x00\x01\xff"
    assert db["ba"] == b"mv"
    assert isinstance(db["ba"], bytes)
    for bad in (1, None, 1.5, ["k"]):
        with pytest.raises(TypeError):
            db[bad] = "v"
        with pytest.raises(TypeError):
            db["k"] = bad
        with pytest.raises(TypeError):
            db[bad]


def test_mapping_methods(db):
    assert isinstance(db, collections.abc.MutableMapping)
    assert len(db) == 0 and "a" not in db
    db["b"] = "2"
    db["a"] = "1"
    db["c"] = ""
    assert len(db) == 3
    assert "a" in db and b"a" in db and "z" not in db
    assert list(db) == [b"a", b"b", b"c"]          # key order
    assert db.keys() == [b"a", b"b", b"c"]
    assert db.values() == [b"1", b"2", b""]
    assert db.items() == [(b"a", b"1"), (b"b", b"2"), (b"c", b"")]
    assert db.get("a") == b"1"
    assert db.get("z") is None
    assert db.get("z", 5) == 5
    assert db.setdefault("a", "x") == b"1"
    assert db.setdefault("d", "4") == b"4" and db["d"] == b"4"
    assert db.setdefault("e") == b"" and db["e"] == b""
    assert db.pop("d") == b"4" and "d" not in db
    assert db.pop("d", None) is None
    with pytest.raises(KeyError):
        db.pop("d")
    assert db.popitem() == (b"a", b"1")
    db.update({"x": "1"}, y="2")
    db.update([("z", b"3")])
    assert db.items(prefix="x") == [(b"x", b"1")]
    assert db["y"] == b"2" and db["z"] == b"3"
    assert db.add("new", "1") is True
    assert db.add("new", "2") is False and db["new"] == b"1"
    del db["new"]
    with pytest.raises(KeyError):
        del db["new"]
    with pytest.raises(KeyError):
        db["new"]
    db.clear()
    assert len(db) == 0
    with pytest.raises(KeyError):
        db.popitem()


def test_gdbm_style_walk(db):
    for k in ("a", "b", "c"):
        db[k] = k
    seen = []
    k = db.firstkey()
    while k is not None:
        seen.append(k)
        k = db.nextkey(k)
    assert seen == [b"a", b"b", b"c"]


def test_prefix_iteration_in_key_order(db):
    keys = [b"runs/10", b"runs/2", b"runs/1", b"runs/1/x", b"run", b"runs0",
            b"other", b"runs/\xff"]
    for k in keys:
        db[k] = k
    want = sorted(k for k in keys if k.startswith(b"runs/"))
    assert db.keys(prefix=b"runs/") == want
    assert [k for k, _ in db.scan(prefix="runs/")] == want
    assert [v for _, v in db.scan("runs/")] == want
    assert db.values("runs/") == want
    assert db.keys(prefix="nothing/") == []
    assert list(db.scan("nothing/")) == []


def test_iteration_is_a_snapshot(db):
    for i in range(50):
        db["k%03d" % i] = str(i)
    seen = []
    for k in db:
        seen.append(k)
        db[k + b"+"] = "new"            # writes while iterating
        if len(seen) == 10:
            del db["k049"]
    assert seen == [b"k%03d" % i for i in range(50)]
    assert len(db) == 99


def test_context_manager_and_close(uri):
    with kv.open(uri, "c") as db:
        db["a"] = "1"
        assert not db.closed
    assert db.closed
    db.close()                          # twice: harmless
    for use in (lambda: db["a"], lambda: db.keys(), lambda: len(db),
                lambda: db.__setitem__("a", "2"), lambda: "a" in db,
                lambda: db.transaction(), lambda: iter(db)):
        with pytest.raises(kv.error) as e:
            use()
        assert "closed" in str(e.value)
    assert "closed" in repr(db)


def test_close_ends_iterators(uri):
    db = kv.open(uri, "c")
    db.update({"a": "1", "b": "2"})
    it = iter(db)
    assert next(it) == b"a"
    db.close()                          # the open iterator does not stop it
    with pytest.raises(kv.error):
        next(it)


def test_empty_and_big_values(db, backend):
    db["empty"] = b""
    assert db["empty"] == b""
    big = os.urandom(8 << 20)
    db["big"] = big
    assert db["big"] == big
    with pytest.raises(kv.InvalidError) as e:
        db[""] = "v"
    assert isinstance(e.value, ValueError)
    if backend == "lmdb":
        with pytest.raises(kv.TooBigError):
            db["k" * 600] = "v"
    else:
        db["k" * 600] = "v"
        assert db["k" * 600] == b"v"


def _dbm_program(mod, path):
    """Code written for the dbm interface, run against mod."""
    with mod.open(path, "c") as db:
        db["model"] = "resnet50"
        db[b"epochs"] = b"90"
        try:
            db["missing"]
        except KeyError:
            pass
        else:
            raise AssertionError("no KeyError for a missing key")
        out = sorted((k, db[k]) for k in db.keys())
        assert "model" in db and db.get("nope") is None
    try:
        mod.open(path + ".none", "r")
    except mod.error:
        pass
    else:
        raise AssertionError("no error")
    return out


def test_import_kv_as_dbm(uri, tmp_path):
    want = _dbm_program(dbm.dumb, str(tmp_path / "dumb"))
    assert _dbm_program(kv, uri) == want
    assert issubclass(kv.error, OSError)
