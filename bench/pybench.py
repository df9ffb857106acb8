#!/usr/bin/env python3
"""bench/pybench.py - Python-level rates of the kv module against the
standard library's dbm modules, in one run of one interpreter.

    make pybench [PYBENCH_N=50000]      (in the build folder)
    python3 bench/pybench.py [-n N] [-r REPEATS] [--only MODULE]

Per store, with N records (keys "runs/%08d", 60-byte JSON values):
  put       N plain `db[key] = value`, each module's own way (kv: every
            put its own transaction, durability='batched' -- the stdlib
            modules do not sync either, except dbm.sqlite3, whose every
            put is a synced SQLite commit);
  put/txn   kv only: the N puts in one transaction;
  get       N gets in random order;
  scan      one pass over every (key, value);
  dur.put   2000 puts each durable before it returns (kv: durability
            'sync'; dbm.gnu: flag 's'; dbm.sqlite3: as it is);
  2 thr.    kv only: N gets spread over 2 threads sharing the handle,
            and the speed-up over 1 thread.
Rates are operations per second, the median of REPEATS runs (puts: one
fresh store per run).  dbm.sqlite3 exists from Python 3.13 on; when this
interpreter lacks it and a python3.13 is found, it is measured by running
this script there with --only dbm.sqlite3 (a separate process, labelled
so).  The figures are noisy on a shared machine.
"""
import argparse
import glob
import importlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

DURABLE_N = 2000


def key(i):
    return b"runs/%08d" % i


def value(i):
    return b'{"run": %d, "loss": %.4f, "acc": 0.9, "ok": true}' % (
        i, i * 0.001)


class Store:
    """How to open one kind of store; name is what the report shows."""

    def __init__(self, name, opener, durable_opener=None, kv=False):
        self.name = name
        self.open = opener
        self.durable = durable_opener
        self.kv = kv


def stores(only):
    out = []
    try:
        import kv
    except ImportError:
        kv = None
    if kv and only in (None, "kv"):
        for be in ("lmdb", "sqlite"):
            out.append(Store(
                "kv-" + be,
                lambda p, be=be: kv.open("%s:%s" % (be, p), "n",
                                         durability="batched"),
                lambda p, be=be: kv.open("%s:%s" % (be, p), "n"), kv=True))
    for mod, durable in (("dbm.gnu", "ns"), ("dbm.ndbm", None),
                         ("dbm.dumb", None), ("dbm.sqlite3", "n")):
        if only not in (None, mod):
            continue
        try:
            m = importlib.import_module(mod)
        except ImportError:
            continue
        out.append(Store(
            mod, lambda p, m=m: m.open(p, "n"),
            (lambda p, m=m, f=durable: m.open(p, f)) if durable else None))
    return out


def timed(fn):
    t0 = time.perf_counter()
    n = fn()
    return n / (time.perf_counter() - t0)


def median_rate(repeats, fn):
    return statistics.median(timed(fn) for _ in range(repeats))


def fill(db, n):
    for i in range(n):
        db[key(i)] = value(i)
    return n


def gets(db, order):
    for i in order:
        db[key(i)]
    return len(order)


def scan(db):
    n = 0
    if hasattr(db, "scan"):
        for _ in db.scan():
            n += 1
    else:
        for k in db.keys():
            db[k]
            n += 1
    return n


def threaded_gets(db, order, nthreads):
    parts = [order[t::nthreads] for t in range(nthreads)]
    threads = [threading.Thread(target=gets, args=(db, p)) for p in parts]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return len(order) / (time.perf_counter() - t0)


def bench_store(s, n, repeats, tmp):
    res = {}
    order = list(range(n))
    random.Random(7).shuffle(order)

    def put_once():
        d = os.path.join(tmp, s.name + ".put")
        shutil.rmtree(d, ignore_errors=True)
        os.mkdir(d)
        db = s.open(os.path.join(d, "store"))
        t0 = time.perf_counter()
        fill(db, n)
        db.close()
        return n / (time.perf_counter() - t0)
    res["put"] = statistics.median(put_once() for _ in range(repeats))
    d = os.path.join(tmp, s.name + ".main")
    os.mkdir(d)
    db = s.open(os.path.join(d, "store"))
    if s.kv:
        def txn_fill():
            with db.transaction() as t:
                fill(t, n)
            return n
        res["put/txn"] = median_rate(repeats, txn_fill)
    else:
        fill(db, n)
    res["get"] = median_rate(repeats, lambda: gets(db, order))
    res["scan"] = median_rate(repeats, lambda: scan(db))
    if s.kv:
        gets(db, order)                 # warm, as the runs above did
        one = statistics.median(threaded_gets(db, order, 1)
                                for _ in range(repeats))
        two = statistics.median(threaded_gets(db, order, 2)
                                for _ in range(repeats))
        res["2 thr."] = two
        res["speed-up"] = two / one
    db.close()
    if s.durable:
        d = os.path.join(tmp, s.name + ".dur")
        os.mkdir(d)
        ddb = s.durable(os.path.join(d, "store"))
        res["dur.put"] = timed(lambda: fill(ddb, DURABLE_N))
        ddb.close()
    return res


COLS = ("put", "put/txn", "get", "scan", "dur.put", "2 thr.", "speed-up")


def report(rows):
    print("%-46s" % "ops/s" + "".join("%12s" % c for c in COLS))
    for name, res in rows:
        cells = []
        for c in COLS:
            v = res.get(c)
            if v is None:
                cells.append("%12s" % "-")
            elif c == "speed-up":
                cells.append("%11.2fx" % v)
            else:
                cells.append("%12s" % format(round(v), ","))
        print("%-46s" % name + "".join(cells))
    for name, res in rows:
        print("TSV\t" + name + "".join(
            "\t%s=%.0f" % (c, res[c]) if c != "speed-up"
            else "\t%s=%.2f" % (c, res[c]) for c in COLS if c in res))


def python313():
    for cand in ["python3.13"] + sorted(
            glob.glob("/root/.pyenv/versions/3.13*/bin/python3.13")):
        path = shutil.which(cand) or (cand if os.access(cand, os.X_OK)
                                      else None)
        if path and subprocess.run(
                [path, "-c", "import dbm.sqlite3"],
                capture_output=True).returncode == 0:
            return path
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=50000)
    ap.add_argument("-r", "--repeats", type=int, default=3)
    ap.add_argument("--only", help="one module (or 'kv')")
    ap.add_argument("--rows", action="store_true",
                    help="print the rows as Python literals (internal)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="pybench.")
    rows = []
    try:
        for s in stores(args.only):
            res = bench_store(s, args.n, args.repeats, tmp)
            rows.append(("%s (Python %s)" % (s.name, sys.version.split()[0]),
                         res))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.rows:
        print(repr(rows))
        return
    if not any(name.startswith("dbm.sqlite3") for name, _ in rows) and \
            args.only is None:
        py = python313()
        if py:
            out = subprocess.run(
                [py, os.path.abspath(__file__), "-n", str(args.n), "-r",
                 str(args.repeats), "--only", "dbm.sqlite3", "--rows"],
                capture_output=True, text=True, check=True).stdout
            for name, res in eval(out):     # our own output, see --rows
                rows.append((name + " [separate process]", res))
        else:
            print("dbm.sqlite3: not measured (needs Python 3.13)")
    print("pybench: N=%d, median of %d, %d CPUs" % (args.n, args.repeats,
                                                  os.cpu_count()))
    report(rows)


if __name__ == "__main__":
    main()
