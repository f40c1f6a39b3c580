"""Runtime CPU dispatch: every kernel variant this CPU can run passes the accuracy
suites, and forcing a variant that is not there is a clear error."""

import os
import subprocess
import sys

import pytest

from fastact import _kernels

RUNNABLE = [v for v in _kernels.built_variants()
            if v == "native" or _kernels.LEVELS.index(v) <= _kernels.LEVELS.index(_kernels.cpu_level())]


def test_the_best_runnable_variant_is_used():
    if os.environ.get("FASTACT_SIMD", "auto") not in ("", "auto"):
        pytest.skip("a variant is forced by FASTACT_SIMD in this run")
    used = _kernels.selected_variant()
    assert used in RUNNABLE
    if "native" not in RUNNABLE:
        assert used == max(RUNNABLE, key=_kernels.LEVELS.index)


@pytest.mark.parametrize("variant", [v for v in RUNNABLE if v != _kernels.selected_variant()])
def test_other_variants_pass_the_accuracy_suites(variant):
    env = {**os.environ, "FASTACT_SIMD": variant}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
         "tests/test_elementwise.py", "tests/test_softmax.py", "tests/test_threads.py",
         "-k", "cython and not concurrent"],  # the Numba backend has no variants
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), env=env,
        capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout


def test_forcing_an_unknown_variant_is_an_error():
    code = "import numpy as np, fastact; fastact.relu(np.ones(3))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "FASTACT_SIMD": "avx9000"})
    assert run.returncode != 0 and "FASTACT_SIMD='avx9000'" in run.stderr
