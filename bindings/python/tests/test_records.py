"""Records as dicts and schemas, on every backend."""
import json
import warnings

import pytest

import kv

RUN_SCHEMA = {
    "name": "run", "version": 1, "prefix": "runs/",
    "fields": {
        "lr": {"type": "float", "required": True, "readonly": True},
        "dataset": {"type": "string", "required": True, "readonly": True},
        "epoch": {"type": "int"},
        "loss": {"type": "float"},
        "acc": {"type": "float", "deprecated": "since 1: use val_acc"},
        "val_acc": {"type": "float"},
        "notes": {"type": "string", "default": ""},
    },
}


@pytest.fixture
def rdb(db):
    db.define_schema(RUN_SCHEMA)
    return db


def test_schema_define_list_show(rdb):
    assert rdb.schemas() == [{"name": "run", "version": 1,
                              "prefix": "runs/"}]
    doc = rdb.schema("run")
    assert doc["name"] == "run" and doc["fields"]["lr"]["readonly"] is True
    assert rdb.schema("run", 1) == doc
    with pytest.raises(kv.ExistsError):
        rdb.define_schema(RUN_SCHEMA)
    with pytest.raises(kv.NotFoundError):
        rdb.schema("nope")
    v2 = json.loads(json.dumps(RUN_SCHEMA))
    v2["version"] = 2
    v2["fields"]["seed"] = {"type": "int"}
    rdb.define_schema(json.dumps(v2))   # JSON text works too
    assert rdb.schemas()[0]["version"] == 2
    with pytest.raises(kv.SchemaError):
        rdb.define_schema({"name": "bad"})
    with pytest.raises(TypeError):
        rdb.define_schema(42)


def test_record_roundtrip(rdb):
    rec = {"lr": 0.001, "dataset": "cifar10", "epoch": 0,
           "seed": 2 ** 62 + 1, "tags": ["a", "ü"], "cfg": {"x": None}}
    rdb.put_record("runs/0001", rec)
    got = rdb.record("runs/0001")
    assert got == dict(rec, notes="")   # the default filled in
    assert isinstance(got["seed"], int) and got["seed"] == 2 ** 62 + 1
    # Stored as compact JSON any dbm client reads.
    assert json.loads(rdb["runs/0001"]) == got
    assert rdb.field("runs/0001", "dataset") == "cifar10"
    assert rdb.field("runs/0001", "lr") == 0.001
    with pytest.raises(kv.NotFoundError):
        rdb.field("runs/0001", "nope")
    with pytest.raises(KeyError):
        rdb.record("runs/none")
    with pytest.raises(ValueError):
        rdb.put_record("runs/0002", {"lr": float("nan"), "dataset": "x"})
    with pytest.raises(TypeError):
        rdb.put_record("runs/0002", [1, 2])
    with pytest.raises(ValueError):
        rdb.record("runs/\x00bad")


def test_replace(rdb):
    rdb.put_record("runs/1", {"lr": 0.1, "dataset": "mnist"})
    for epoch, loss in enumerate([0.9, 0.5, 0.41], 1):
        rdb.replace("runs/1", epoch=epoch, loss=loss)
    rdb.replace("runs/1", {"val_acc": 0.87, "with space": 1})
    assert rdb.record("runs/1") == {"lr": 0.1, "dataset": "mnist",
                                    "notes": "", "epoch": 3, "loss": 0.41,
                                    "val_acc": 0.87, "with space": 1}
    rdb.del_field("runs/1", "with space")
    assert "with space" not in rdb.record("runs/1")
    with pytest.raises(kv.NotFoundError):
        rdb.replace("runs/none", loss=1.0)


def test_readonly_fields_refused(rdb):
    rdb.put_record("runs/1", {"lr": 0.1, "dataset": "mnist"})
    before = rdb["runs/1"]
    with pytest.raises(kv.ReadOnlyError) as e:
        rdb.replace("runs/1", lr=0.2)
    assert "lr" in str(e.value)
    assert isinstance(e.value, kv.error) and e.value.status_name == \
        "KV_EREADONLY"
    with pytest.raises(kv.ReadOnlyError):
        rdb.del_field("runs/1", "dataset")
    with pytest.raises(kv.ReadOnlyError):
        rdb.put_record("runs/1", {"lr": 0.1, "dataset": "other"})
    with pytest.raises(kv.ReadOnlyError):
        rdb["runs/1"] = json.dumps({"lr": 0.3, "dataset": "mnist"})
    rdb.replace("runs/1", lr=0.1)       # the same value again is fine
    assert rdb["runs/1"] == before
    del rdb["runs/1"]                   # a whole record may be dropped


def test_schema_violations(rdb):
    with pytest.raises(kv.SchemaError) as e:
        rdb.put_record("runs/1", {"lr": "fast", "dataset": "x"})
    assert "lr" in str(e.value)
    with pytest.raises(kv.SchemaError) as e:
        rdb.put_record("runs/1", {"lr": 0.1})
    assert "dataset" in str(e.value)
    with pytest.raises(kv.SchemaError):
        rdb["runs/1"] = "not json"
    assert "runs/1" not in rdb
    rdb["free/1"] = "not json"          # no schema governs it


def test_records_in_a_transaction(rdb):
    with pytest.raises(kv.ReadOnlyError):
        with rdb.transaction() as t:
            t.put_record("runs/1", {"lr": 0.1, "dataset": "a"})
            t.replace("runs/1", epoch=1)
            assert t.record("runs/1")["epoch"] == 1
            t.replace("runs/1", lr=0.5)
    assert "runs/1" not in rdb          # the whole transaction rolled back
    with rdb.transaction() as t:
        t.put_record("runs/1", {"lr": 0.1, "dataset": "a"})
    assert rdb.record("runs/1")["lr"] == 0.1


def test_deprecated_field_warns(rdb):
    rdb.put_record("runs/1", {"lr": 0.1, "dataset": "a"})
    with pytest.warns(DeprecationWarning, match="val_acc"):
        rdb.replace("runs/1", acc=0.5)
    assert rdb.record("runs/1")["acc"] == 0.5
    with pytest.warns(DeprecationWarning):   # every time: filters decide
        rdb.replace("runs/1", acc=0.6)


def test_deprecation_as_error_writes_nothing(rdb):
    rdb.put_record("runs/1", {"lr": 0.1, "dataset": "a"})
    before = rdb["runs/1"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        with pytest.raises(DeprecationWarning):
            rdb.replace("runs/1", acc=0.5)
        assert rdb["runs/1"] == before
        with pytest.raises(DeprecationWarning):
            with rdb.transaction() as t:
                t.replace("runs/1", epoch=2)
                t.replace("runs/1", acc=0.5)
        assert rdb["runs/1"] == before
        rdb.replace("runs/1", val_acc=0.5)      # no warning, no error
    assert rdb.record("runs/1")["val_acc"] == 0.5


def test_deprecation_refused_by_libkv_mode(rdb):
    rdb.put_record("runs/1", {"lr": 0.1, "dataset": "a"})
    kv.warnings_mode("error")
    try:
        with pytest.raises(kv.DeprecatedError):
            rdb.replace("runs/1", acc=0.5)
    finally:
        kv.warnings_mode("always")
    assert "acc" not in rdb.record("runs/1")
    with pytest.raises(ValueError):
        kv.warnings_mode("loud")


def test_check_schemas(rdb):
    rdb.put_record("runs/1", {"lr": 0.1, "dataset": "a"})
    assert rdb.check_schemas() == []
    assert rdb.check_schemas("run") == []
    with pytest.raises(kv.NotFoundError):
        rdb.check_schemas("nope")


def test_verify_with_progress(db):
    db.update(("r/%05d" % i, "v") for i in range(10000))
    calls = []
    report = db.verify(progress=lambda done, total: calls.append((done,
                                                                   total)))
    assert report["records"] == 10000 and report["corrupt"] == 0
    assert report["digest_ok"] and report["checked"]
    assert report["problems"] == []
    assert calls and all(t == 10000 for _, t in calls)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)

    def boom(done, total):
        raise ZeroDivisionError("from the callback")
    with pytest.raises(ZeroDivisionError):
        db.verify(progress=boom)
    stopped = db.verify(progress=lambda done, total: True)
    assert stopped["records"] < 10000

    def reads(done, total):             # the store is usable from it
        assert db["r/00001"] == b"v"
    db.verify(progress=reads)

    def closes(done, total):
        db.close()
    with pytest.raises(kv.BusyError):
        db.verify(progress=closes)
    assert db["r/00001"] == b"v"
