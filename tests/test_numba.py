"""The Numba CPU backend's own machinery: its math shares the Cython kernels'
coefficients, every op has its point function, kernels are cached on disk (also when
the package directory is read-only), and threads follow fastact's settings.  Its
results are tested with the rest of the suite (tests/conftest.py: compiled_backend)."""

import os
import pathlib
import re
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import fastact
from fastact import _registry as reg

numba = pytest.importorskip("numba")
from fastact._numba import _coeffs, elementwise, parallel, softmax  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_coefficients_are_those_of_the_c_header():
    header = (ROOT / "kernels" / "vecmath_coeffs.h").read_text()
    macros = dict(re.findall(r"#define (FA_\w+) ([-0-9.e]+)f?\n", header))
    for name in ("EXP_Q", "EXPM1_Q", "TANH_P", "ERFC_Q", "ERF_P", "LOG_R", "GELU_DER_GA",
                 "GELU_DER_GB", "GELU_DER_GC"):
        values = getattr(_coeffs, name)
        assert len(values) == sum(1 for k in macros if re.fullmatch(f"FA_{name}\\d+", k))
        for j, v in enumerate(values):
            assert v == float(macros[f"FA_{name}{j}"]), (name, j)
    assert _coeffs.ERFC_ZMAX == float(macros["FA_ERFC_ZMAX"])
    assert _coeffs.ERFC_TMIN == float(macros["FA_ERFC_TMIN"])
    assert _coeffs.GELU_DER_X0_HI == float(macros["FA_GELU_DER_X0_HI"])
    assert _coeffs.GELU_DER_X0_LO == float(macros["FA_GELU_DER_X0_LO"])
    assert _coeffs.GELU_DER_LO == tuple(float(macros[f"FA_GELU_DER_{p}_LO"]) for p in "ABC")
    assert _coeffs.GELU_DER_MID == tuple(float(macros[f"FA_GELU_DER_{p}_MID"]) for p in "ABC")
    assert _coeffs.GELU_DER_G == (_coeffs.GELU_DER_GA, _coeffs.GELU_DER_GB, _coeffs.GELU_DER_GC)


def test_every_op_has_its_point_function():
    for op in reg.ELEMENTWISE_OPS:
        if op.fn:
            assert op.fn in elementwise.POINT, op.name


def test_no_fast_math_flags_that_break_nan_or_inf():
    from fastact._numba import common

    assert "fastmath" not in common.JIT_OPTIONS
    assert softmax.SUM_OPTIONS["fastmath"] <= {"reassoc", "contract"}


def test_kernels_are_compiled_lazily_and_memoised():
    x = np.linspace(-3, 3, 11, dtype=np.float32)
    fastact.hardswish(x, backend="numba")
    k = elementwise.kernel("hardswish_fwd", np.dtype(np.float32), "flat")
    assert elementwise.kernel("hardswish_fwd", np.dtype(np.float32), "flat") is k
    assert len(k.signatures) == 1


_CACHE_PROBE = """
import sys, numpy as np, fastact
from fastact._numba import elementwise
{patch}
x = np.linspace(-5, 5, 1000)
np.testing.assert_allclose(fastact.silu(x, backend="numba"), fastact.silu(x), rtol=1e-13)
k = elementwise.kernel("silu_fwd", np.dtype(np.float64), "flat")
print("hits", sum(k.stats.cache_hits.values()), "misses", sum(k.stats.cache_misses.values()))
"""

_READ_ONLY_PACKAGE = """
import numba.core.caching as caching
def refuse(self):
    raise PermissionError("read-only package directory")
caching.InTreeCacheLocator.ensure_cache_path = refuse
"""


def _probe(tmp_path, env_extra, patch=""):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env_extra}
    run = subprocess.run([sys.executable, "-c", _CACHE_PROBE.format(patch=patch)],
                         capture_output=True, text=True, cwd=ROOT, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.stdout.split()[-4:]


def test_second_process_loads_kernels_from_the_disk_cache(tmp_path):
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    first = _probe(tmp_path, env)
    second = _probe(tmp_path, env)
    assert first[1] == "0" and second[1] == "1", (first, second)
    assert any((tmp_path / "cache").rglob("*.nbi"))


_BOTH_KINDS_PROBE = """
import numpy as np, fastact
x = np.array([[1.0, np.inf, 2.0, np.inf], [0.0, 1.0, 2.0, 3.0]], np.float32)
got = {{k: (fastact.log_softmax if k == "l" else fastact.softmax)(x, backend="numba")
       for k in {order!r}}}
if "s" in got:
    np.testing.assert_array_equal(got["s"][0], [0, 0.5, 0, 0.5])
if "l" in got:
    np.testing.assert_allclose(got["l"][0], [-np.inf, np.log(0.5), -np.inf, np.log(0.5)])
"""


@pytest.mark.parametrize("order", ["sl", "ls"])
def test_softmax_and_log_softmax_loaded_from_the_cache_keep_their_own_helpers(tmp_path, order):
    """Kernels compiled in separate processes, then loaded from the disk cache into one:
    each links its own row helpers (softmax's and log_softmax's special-row functions once
    compiled to the same symbol name, and the first kernel loaded decided what the other
    wrote)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT),
           "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    for kinds in (order[0], order[1], order):   # each compiled alone, then both loaded
        run = subprocess.run([sys.executable, "-c", _BOTH_KINDS_PROBE.format(order=kinds)],
                             capture_output=True, text=True, cwd=ROOT, env=env)
        assert run.returncode == 0, (kinds, run.stderr[-3000:])


def test_read_only_package_directory_falls_back_to_the_user_cache(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg"), "PYTHONPATH": str(ROOT)}
    _probe(tmp_path, env, textwrap.dedent(_READ_ONLY_PACKAGE))
    second = _probe(tmp_path, env, textwrap.dedent(_READ_ONLY_PACKAGE))
    assert second[1] == "1", second
    assert any((tmp_path / "xdg" / "numba").rglob("*.nbi"))


def test_thread_count_follows_fastact_settings():
    with parallel.threads(1, 1000):
        assert numba.get_num_threads() == 1
    n = min(2, parallel.max_threads())
    with parallel.threads(n, 1000):
        assert numba.get_num_threads() == n


def test_concurrent_callers_share_the_cpus():
    """A call gets the CPUs the running calls leave, but at least one thread."""
    cpus = fastact._config.usable_cpus()
    seen = []
    inside = threading.Barrier(2)

    def call():
        with parallel.threads(cpus, 1000):
            inside.wait()
            seen.append(numba.get_num_threads())
            inside.wait()

    threads = [threading.Thread(target=call) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(seen) <= cpus + 1 and all(s >= 1 for s in seen), seen


def test_threading_layer_is_safe_for_concurrent_callers():
    fastact.relu(np.ones(10), backend="numba", n_threads=2)
    if os.environ.get("NUMBA_THREADING_LAYER") == "workqueue":
        assert parallel.layer() == "workqueue" and parallel._serialize()
    else:  # TBB or OpenMP: both take calls from several threads at once
        assert parallel.layer() in ("tbb", "omp"), parallel.layer()


def test_numba_settings_of_the_calling_thread_are_restored():
    numba.set_num_threads(min(2, parallel.max_threads()))
    before = numba.get_num_threads()
    fastact.relu(np.ones(10), backend="numba")
    fastact.relu(np.ones(1 << 20), backend="numba", n_threads=1)
    assert numba.get_num_threads() == before


@pytest.mark.parametrize("n_rows,length", [(1, 70_000), (3, 100_003)])
def test_long_rows_split_into_segments_match_the_twin(n_rows, length):
    x = np.random.default_rng(0).standard_normal((n_rows, length)) * 3
    x[0, 5] = 40.0
    for log in (False, True):
        f = fastact.log_softmax if log else fastact.softmax
        got = f(x, backend="numba")
        # log_softmax near the max cancels: an absolute eps-level term
        np.testing.assert_allclose(got, f(x, backend="numpy"), rtol=1e-12, atol=1e-14)
        dy = np.random.default_rng(1).standard_normal(x.shape)
        np.testing.assert_allclose(f.backward(dy, y=got, backend="numba"),
                                   f.backward(dy, y=got, backend="numpy"), rtol=1e-9, atol=1e-15)
        one = f(x, backend="numba", n_threads=1)
        np.testing.assert_array_equal(one, got)  # segments do not depend on threads
