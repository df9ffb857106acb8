"""A handle shared between threads; readers run in parallel.

The speed-up of two reading threads over one is measured and printed,
never asserted: this machine's cores are shared and timings are noisy.
"""
import os
import threading
import time

import pytest

import kv

N_KEYS = 20000


@pytest.fixture
def filled(db):
    db.update(("key/%06d" % i, "value %d" % i) for i in range(N_KEYS))
    return db


def _reader(db, start, count, errors):
    try:
        for i in range(start, start + count):
            k = "key/%06d" % (i % N_KEYS)
            if db[k] != b"value %d" % (i % N_KEYS):
                errors.append("wrong value at %s" % k)
                return
    except Exception as e:                      # reported by the test
        errors.append(repr(e))


def _timed(db, nthreads, per_thread):
    errors = []
    threads = [threading.Thread(target=_reader,
                                args=(db, t * 7919, per_thread, errors))
               for t in range(nthreads)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - t0, errors


def test_parallel_readers(filled, backend, capsys):
    total = 40000
    one, err1 = _timed(filled, 1, total)
    two, err2 = _timed(filled, 2, total // 2)
    assert err1 == [] and err2 == []
    with capsys.disabled():
        print("\n[%s] gets: 1 thread %.0f/s, 2 threads %.0f/s, speed-up "
              "%.2fx (%d cores, shared; not asserted)"
              % (backend, total / one, total / two, one / two,
                 os.cpu_count()))


def test_readers_and_writers(filled):
    errors = []
    stop = threading.Event()

    def writer(n):
        try:
            for i in range(200):
                filled["w%d/%04d" % (n, i)] = str(i)
                if i % 50 == 0:
                    with filled.transaction() as t:
                        t["w%d/batch" % n] = str(i)
        except Exception as e:
            errors.append(repr(e))

    def scanner():
        try:
            while not stop.is_set():
                keys = [k for k, _ in filled.scan("key/0001")]
                if len(keys) != 100:
                    errors.append("scan saw %d keys" % len(keys))
                    return
        except Exception as e:
            errors.append(repr(e))
    scanners = [threading.Thread(target=scanner) for _ in range(2)]
    writers = [threading.Thread(target=writer, args=(n,)) for n in range(2)]
    for th in scanners + writers:
        th.start()
    for th in writers:
        th.join()
    stop.set()
    for th in scanners:
        th.join()
    assert errors == []
    assert len(filled.keys("w0/")) == 201 and len(filled.keys("w1/")) == 201


def test_close_under_readers(uri):
    db = kv.open(uri, "c")
    db.update(("k%d" % i, "v") for i in range(100))
    outcome = []

    def reader():
        try:
            while True:
                db["k%d" % (len(outcome) % 100)]
                list(db.scan("k1"))
                with db.transaction(readonly=True) as t:
                    t["k1"]
        except kv.error as e:
            outcome.append(e)
        except Exception as e:                  # anything else is a bug
            outcome.append(AssertionError(repr(e)))
    threads = [threading.Thread(target=reader) for _ in range(3)]
    for th in threads:
        th.start()
    time.sleep(0.2)
    db.close()
    for th in threads:
        th.join(timeout=30)
    assert len(outcome) == 3
    for e in outcome:
        assert isinstance(e, kv.InvalidError) and "closed" in str(e), e


def test_iterator_shared_between_threads(filled):
    it = filled.scan()
    seen = []
    errors = []

    def consume():
        try:
            for k, _ in it:
                seen.append(k)
        except kv.BusyError:
            pass                        # the other thread was inside next()
        except Exception as e:
            errors.append(repr(e))
    threads = [threading.Thread(target=consume) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len(seen) == len(set(seen))  # never a key twice, never a crash


def test_gil_released_while_a_call_waits(db):
    # A writer waiting for the store's writer lock must not hold the GIL:
    # this thread keeps running Python meanwhile.
    t = db.transaction()
    t["held"] = "by the main thread"
    started = threading.Event()
    done = []

    def blocked_writer():
        started.set()
        db["waiting"] = "for the writer lock"   # waits inside libkv
        done.append(True)
    th = threading.Thread(target=blocked_writer)
    th.start()
    started.wait()
    spins = 0
    while spins < 200000:               # Python work while it waits
        spins += 1
    assert th.is_alive() and not done
    t.commit()
    th.join(timeout=60)
    assert done and db["waiting"] == b"for the writer lock"
