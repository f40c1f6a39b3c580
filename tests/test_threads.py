"""Threads: bitwise-identical results for any thread count, concurrent callers, and
the thread-count configuration rules."""

import contextvars
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import fastact
from fastact import _registry as reg

# every test here runs once per compiled backend (Cython, Numba): tests/conftest.py
pytestmark = pytest.mark.usefixtures("compiled_backend")

BIG = 300_000  # above every serial threshold


def _cases():
    for spec in reg.ELEMENTWISE:
        if spec.name in reg.PER_ELEMENT_WEIGHT:
            continue
        yield spec.name, {}
        for p in spec.test_params:
            yield spec.name, p


@pytest.mark.parametrize("name,params", list(_cases()))
@pytest.mark.parametrize("offset", [0, 3])  # 3: misaligned start (vector loop peeling)
def test_one_and_two_threads_bitwise_equal(name, params, offset, rng):
    x = rng.uniform(-30, 30, BIG + offset).astype(np.float32)[offset:]
    dy = rng.standard_normal(BIG + offset).astype(np.float32)[offset:]
    f = fastact.get(name)
    for call in (lambda n: f(x, n_threads=n, **params),
                 lambda n: f.derivative(x, n_threads=n, **params),
                 lambda n: f.backward(dy, x, n_threads=n, **params)):
        np.testing.assert_array_equal(call(1), call(2))


def test_chunks_grow_with_the_call_in_even_rounds():
    from fastact._engine import CHUNK_ALIGN, CHUNK_MAX, CHUNK_MIN, chunk_elements
    sizes = [1, 1000, 70_000, 100_000, 300_000, 2 ** 21 + 5, 4_000_000, 16_000_000, 10 ** 10]
    for n_threads in (1, 2, 3, 8):
        chunks = [chunk_elements(n, n_threads) for n in sizes]
        assert all(c % CHUNK_ALIGN == 0 and 0 < c <= CHUNK_MAX for c in chunks), chunks
        assert chunks[-1] > CHUNK_MAX - CHUNK_ALIGN
        for n, c in zip(sizes, chunks):
            rounds = -(-n // c) // n_threads + (-(-n // c) % n_threads > 0)
            # the busiest thread's share (whole chunks) exceeds the fair share n / threads
            # by less than CHUNK_ALIGN per chunk it runs
            assert rounds * c - n / n_threads < rounds * CHUNK_ALIGN, (n, n_threads, c)
            if n >= n_threads * CHUNK_MIN:  # and chunks are not cut needlessly short
                assert c > CHUNK_MIN // 2, (n, n_threads, c)
    # 1e5 on 2 threads: four chunks of 25 Ki, not 32 Ki, 32 Ki, 32 Ki and 1.7 Ki
    assert chunk_elements(100_000, 2) == 25 * CHUNK_ALIGN
    # a DRAM-sized call gets long chunks, yet dozens of them to share out
    c = chunk_elements(16_000_000, 2)
    assert 0.95 * CHUNK_MAX < c <= CHUNK_MAX and 16_000_000 // c >= 32


def test_many_long_chunks_bitwise_equal(rng):
    x = rng.uniform(-30, 30, 2 ** 21 + 5).astype(np.float32)   # 32 chunks of 64 Ki
    np.testing.assert_array_equal(fastact.sigmoid(x, n_threads=1), fastact.sigmoid(x, n_threads=2))
    np.testing.assert_array_equal(fastact.gelu.derivative(x, n_threads=1),
                                  fastact.gelu.derivative(x, n_threads=2))


def test_prelu_threads_bitwise_equal(rng):
    x = rng.standard_normal((1000, 400))
    w = rng.uniform(0, 1, 400)
    a, b = fastact.prelu(x, w, n_threads=1), fastact.prelu(x, w, n_threads=2)
    np.testing.assert_array_equal(a, b)
    da = fastact.prelu.backward(x, x, w, n_threads=1)
    db = fastact.prelu.backward(x, x, w, n_threads=2)
    np.testing.assert_array_equal(da[0], db[0])
    np.testing.assert_array_equal(da[1], db[1])


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("shape,axis", [((3000, 100), -1), ((100, 3000), 0), ((20, 400, 70), 1),
                                        ((4, 200_000), -1)])
def test_softmax_threads_bitwise_equal(log, shape, axis, rng):
    f = fastact.log_softmax if log else fastact.softmax
    x = (rng.standard_normal(shape) * 4).astype(np.float32)
    y1, y2 = f(x, axis=axis, n_threads=1), f(x, axis=axis, n_threads=2)
    np.testing.assert_array_equal(y1, y2)
    dy = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_array_equal(f.backward(dy, y=y1, axis=axis, n_threads=1),
                                  f.backward(dy, y=y1, axis=axis, n_threads=2))


def test_concurrent_calls_from_8_threads_match_serial(rng):
    inputs = [rng.uniform(-10, 10, 200_000 + 1000 * i).astype(np.float32) for i in range(8)]
    funcs = [fastact.sigmoid, fastact.gelu, fastact.relu, fastact.tanh,
             fastact.mish, fastact.softplus, fastact.elu, fastact.silu]
    serial = [f(x) for f, x in zip(funcs, inputs)]
    serial_sm = [fastact.softmax(x.reshape(-1, 100)) for x in inputs if x.size % 100 == 0]
    results = [None] * 8
    errors = []
    barrier = threading.Barrier(8)

    def work(i):
        try:
            barrier.wait()
            for _ in range(5):
                r = funcs[i](inputs[i])
                s = fastact.softmax(inputs[i].reshape(-1, 100))
            results[i] = (r, s)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    # each thread runs in a copy of this context: the backend under test (conftest)
    threads = [threading.Thread(target=contextvars.copy_context().run, args=(work, i))
               for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i in range(8):
        np.testing.assert_array_equal(results[i][0], serial[i])
        np.testing.assert_array_equal(results[i][1], serial_sm[i])


def test_in_place_from_many_threads_on_disjoint_slices(rng):
    x = rng.uniform(-5, 5, (8, 100_000))
    expected = fastact.tanh(x)
    threads = [threading.Thread(target=contextvars.copy_context().run, args=(fastact.tanh, x[i]),
                                kwargs={"out": x[i]})
               for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    np.testing.assert_array_equal(x, expected)


def test_set_get_and_config_precedence():
    default = fastact.get_num_threads()
    assert default >= 1
    try:
        fastact.set_num_threads(1)
        assert fastact.get_num_threads() == 1
        with fastact.config(n_threads=2):
            assert fastact.get_num_threads() == 2
            with fastact.config(backend="numpy"):
                assert fastact.get_num_threads() == 2  # inner block keeps the outer value
                x = np.linspace(-1, 1, 5)
                np.testing.assert_array_equal(fastact.gelu(x), fastact.gelu(x, backend="numpy"))
            with fastact.config(n_threads=-1):
                assert fastact.get_num_threads() == fastact._config.usable_cpus()
        assert fastact.get_num_threads() == 1
    finally:
        fastact._config._process_n_threads = None
    assert fastact.get_num_threads() == default
    with pytest.raises(ValueError):
        fastact.set_num_threads(0)
    with pytest.raises(ValueError, match="unknown backend"):
        with fastact.config(backend="gpu"):
            pass


def test_config_is_local_to_a_thread():
    seen = {}
    with fastact.config(n_threads=1):
        t = threading.Thread(target=lambda: seen.setdefault("other", fastact.get_num_threads()))
        t.start()
        t.join()
        assert fastact.get_num_threads() == 1
    assert seen["other"] == fastact._config.default_n_threads()


def _threads_in_subprocess(env_extra, pre=""):
    env = dict(os.environ, **env_extra)
    code = pre + "import fastact; print(fastact.get_num_threads())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    return int(out.stdout.strip())


def test_default_respects_omp_num_threads():
    assert _threads_in_subprocess({"OMP_NUM_THREADS": "1"}) == 1
    assert _threads_in_subprocess({"OMP_NUM_THREADS": "3,2"}) == 3


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs Linux CPU affinity")
def test_default_respects_cpu_affinity():
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    code = ("import os; os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]}); "
            "import fastact; print(fastact.get_num_threads())")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert int(out.stdout.strip()) == 1


def test_negative_counts_back_from_usable_cpus():
    n = fastact._config.usable_cpus()
    with fastact.config(n_threads=-1):
        assert fastact.get_num_threads() == n
    with fastact.config(n_threads=-(n + 5)):
        assert fastact.get_num_threads() == 1


def test_busy_machine_check_leaves_cpus_to_other_processes(monkeypatch):
    from fastact import _config

    monkeypatch.setattr(_config, "ADAPT_THREADS", True)
    monkeypatch.setattr(_config.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(_config, "usable_cpus", lambda: 4)
    monkeypatch.setattr(_config, "_recent_others", [0] * _config.LOAD_SAMPLES)

    def sample(system, own):
        monkeypatch.setattr(_config, "_system_running", lambda: system)
        monkeypatch.setattr(_config, "_own_running", lambda: own)
        _config._load_sample[0] = -1.0  # force a fresh sample
        return _config.threads_to_run(4)

    for system, own, expected in [(1, 1, 4), (3, 1, 2), (9, 1, 1), (3, 3, 4)]:
        for _ in range(_config.LOAD_SAMPLES):  # a load that persists
            got = sample(system, own)
        assert got == expected, (system, own)
        assert _config.threads_to_run(1) == 1
    sample(1, 1)
    assert sample(9, 1) == 4  # one busy sample: a passing task, ignored
    # pinned to 4 of 8 CPUs: other tasks are assumed to use the 4 others first
    monkeypatch.setattr(_config.os, "cpu_count", lambda: 8)
    for system, expected in [(5, 4), (7, 2), (20, 1)]:
        for _ in range(_config.LOAD_SAMPLES):
            got = sample(system, 1)
        assert got == expected, system
    monkeypatch.setattr(_config, "ADAPT_THREADS", False)
    assert _config.threads_to_run(4) == 4


def test_busy_machine_check_reads_this_system():
    from fastact import _config

    _config._load_sample[0] = -1.0
    free = _config.free_cpus()
    if sys.platform.startswith("linux"):
        assert 1 <= free <= (os.cpu_count() or 1)
        assert _config._own_running() >= 1  # this thread is running
    else:
        assert free is None
