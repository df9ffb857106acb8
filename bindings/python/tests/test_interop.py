"""Files written by the C API (kvtool, a C training program) and by
Python's sqlite3 in dbm.sqlite3's table layout, read by kv; and the
other way round."""
import json
import sqlite3
import subprocess

import pytest

import kv

from conftest import tool


def test_reads_what_the_c_api_wrote(uri, backend):
    train = tool("examples/train_run")
    kvtool = tool("cli/kvtool")
    subprocess.run([train, uri, "0042"], check=True, capture_output=True)
    subprocess.run([kvtool, "put", uri, "notes/bin", "a\\x00b\\xff"],
                   check=True)
    with kv.open(uri, "r") as db:
        assert db.backend == backend
        rec = db.record("runs/0042")
        assert rec["lr"] == 0.001 and rec["dataset"] == "cifar10"
        assert rec["epoch"] == 3 and isinstance(rec["batch_size"], int)
        assert db["notes/bin"] == b"a\x00b\xff"
        assert [s["name"] for s in db.schemas()] == ["run"]
        assert db.keys() == [b"notes/bin", b"runs/0042"]
        report = db.verify()
        assert report["corrupt"] == report["unsealed"] == 0
        assert report["digest_ok"]


def test_c_api_reads_what_python_wrote(uri):
    kvtool = tool("cli/kvtool")
    with kv.open(uri, "c") as db:
        db["model/name"] = "resnet50 ✓"
        db.put_record("runs/1", {"loss": 0.25, "tags": ["a"]})
    out = subprocess.run([kvtool, "get", "--raw", uri, "model/name"],
                         check=True, capture_output=True).stdout
    assert out == "resnet50 ✓".encode()
    out = subprocess.run([kvtool, "record", uri, "get", "runs/1", "loss"],
                         check=True, capture_output=True, text=True).stdout
    assert out.strip() == "0.25"
    subprocess.run([kvtool, "verify", uri], check=True, capture_output=True)


# dbm.sqlite3's statements (CPython 3.13), run with the sqlite3 module.
BUILD_TABLE = ("CREATE TABLE IF NOT EXISTS Dict (key BLOB UNIQUE NOT NULL, "
               "value BLOB NOT NULL)")
STORE_KV = ("REPLACE INTO Dict (key, value) VALUES (CAST(? AS BLOB), "
            "CAST(? AS BLOB))")
LOOKUP_KEY = "SELECT value FROM Dict WHERE key = CAST(? AS BLOB)"


def _dbm_sqlite3_write(path, items):
    cx = sqlite3.connect(path, isolation_level=None)
    cx.execute("PRAGMA journal_mode = wal")
    cx.execute(BUILD_TABLE)
    for k, v in items:
        cx.execute(STORE_KV, (k, v))
    cx.close()


def test_reads_a_dbm_sqlite3_file(tmp_path):
    path = str(tmp_path / "py.sqlite3")
    record = json.dumps({"epoch": 3, "note": "über"}, ensure_ascii=False)
    items = [("model/name", "resnet50"), (b"bin\x00key", b"\x00\xff"),
             ("run/1", record), ("empty", b""), ("utf8/ключ", "значение")]
    _dbm_sqlite3_write(path, items)
    assert kv.whichdb(path) == "sqlite"
    with kv.open(path, "r") as db:      # plain path: detected
        assert db.backend == "sqlite"
        for k, v in items:
            want = v.encode() if isinstance(v, str) else v
            assert db[k] == want
        assert db.record("run/1") == {"epoch": 3, "note": "über"}
        assert sorted(db.keys()) == db.keys()
        assert len(db) == len(items)
        report = db.verify()
        assert report["unsealed"] == len(items) and report["corrupt"] == 0
    with kv.open(path, "w") as db:
        sealed = db.seal()
        assert sealed["adopted"] == len(items)
        report = db.verify()
        assert report["unsealed"] == 0 and report["digest_ok"]
        db["from/kv"] = "hello"
        db["model/name"] = "vit"
    cx = sqlite3.connect(path)
    assert cx.execute(LOOKUP_KEY, ("from/kv",)).fetchone()[0] == b"hello"
    assert cx.execute(LOOKUP_KEY, ("model/name",)).fetchone()[0] == b"vit"
    cx.close()


def test_dbm_sqlite3_module_when_present(tmp_path):
    dbm_sqlite3 = pytest.importorskip(
        "dbm.sqlite3", reason="dbm.sqlite3 needs Python 3.13; the layout "
        "is tested above with the sqlite3 module")
    path = str(tmp_path / "real.sqlite3")
    with dbm_sqlite3.open(path, "c") as d:
        d["k"] = "v"
    with kv.open(path, "r") as db:
        assert db["k"] == b"v"
