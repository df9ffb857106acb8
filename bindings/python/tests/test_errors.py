"""One exception class per libkv status, carrying libkv's message."""
import os
import stat

import pytest

import kv

STATUS_CLASSES = {
    1: "NotFoundError", 2: "ExistsError", 3: "ReadOnlyError",
    4: "SchemaError", 5: "CorruptError", 6: "FinalizingError",
    7: "ForkedError", 8: "BusyError", 9: "FullError", 10: "InvalidError",
    11: "StoreIOError", 12: "NoMemoryError", 13: "FormatError",
    14: "NoStoreError", 15: "TooBigError", 16: "DeprecatedError",
    17: "KeyfileError",
}


def test_hierarchy():
    assert issubclass(kv.error, OSError)
    for name in STATUS_CLASSES.values():
        assert issubclass(getattr(kv, name), kv.error), name
    assert issubclass(kv.NotFoundError, KeyError)
    assert issubclass(kv.InvalidError, ValueError)
    assert issubclass(kv.FinalizingError, RuntimeError)
    assert issubclass(kv.NoMemoryError, MemoryError)
    assert issubclass(kv.NoStoreError, FileNotFoundError)
    assert issubclass(kv.UncheckedWarning, RuntimeWarning)


def test_exception_carries_status_and_message(db, path):
    with pytest.raises(kv.NotFoundError) as e:
        db["no such key"]
    assert e.value.status == 1 and e.value.status_name == "KV_NOTFOUND"
    assert "no such key" in str(e.value) and path in str(e.value)


def _flip_marker(path, marker):
    """Change one byte of marker in the file at path (a record's value)."""
    with open(path, "r+b") as f:
        data = f.read()
        at = data.find(marker)
        assert at >= 0, "marker not found in %s" % path
        f.seek(at)
        f.write(b"X")


def test_corrupt_record(uri, path):
    marker = b"MARKER-0123456789-abcdefghij"
    with kv.open(uri, "c") as db:
        db["good"] = "fine"
        db["bad"] = marker
    _flip_marker(path, marker)
    with kv.open(uri, "r") as db:
        assert db["good"] == b"fine"
        with pytest.raises(kv.CorruptError) as e:
            db["bad"]
        assert "bad" in str(e.value)
        report = db.verify()
        assert report["corrupt"] == 1
        assert ("corrupt", b"bad") in [p[:2] for p in report["problems"]]
        with db.transaction(readonly=True, salvage=True) as t:
            assert t["bad"] == b"X" + marker[1:]


def test_busy_exists_invalid_format(db, tmp_path):
    with db.transaction():
        with pytest.raises(kv.BusyError):
            db.transaction()
    assert db.add("k", "v") and not db.add("k", "w")
    with pytest.raises(kv.InvalidError):
        db[b""] = b"v"
    junk = tmp_path / "junk"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(kv.FormatError):
        kv.open(str(junk), "r")


def test_keyfile_errors(uri, tmp_path):
    key = str(tmp_path / "secret")
    kv.keygen(key)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    with pytest.raises(kv.ExistsError):
        kv.keygen(key)
    with kv.open(uri, "c", keyfile=key) as db:
        db["a"] = "1"
    with pytest.warns(kv.UncheckedWarning):
        db = kv.open(uri, "w")          # keyed store, no key: read only
    with db:
        assert db["a"] == b"1"
        with pytest.raises(kv.KeyfileError):
            db["b"] = "2"
    os.chmod(key, 0o644)
    with pytest.raises(kv.KeyfileError) as e:
        kv.open(uri, "r", keyfile=key)
    assert key in str(e.value)


def test_argument_errors(uri):
    with pytest.raises(TypeError):
        kv.open(42)
    with pytest.raises(ValueError):
        kv.open(uri, "c", durability="sometimes")
    with pytest.raises(ValueError):
        kv.open(uri, "c", 0o100000)
    with pytest.raises(TypeError):
        kv.add_shutdown_hook("not callable")
