"""float64 accuracy against a 50-digit mpmath reference, both compiled backends.

Every elementwise activation (prelu excepted; 'gelu(tanh)' is gelu with
approximate="tanh") and its derivative, on the sample of bench/accuracy_float64.py at
~2000 points (log-spaced magnitudes from 1e-300 to DBL_MAX of both signs, [-40, 40] and
[-750, 750] densely, the kinks, the zeros of f' and the kernels' branch points with
their neighbours): forward within 4 ULP of the exact value; derivatives within 4 ULP
where |f'| >= 1/16 and within 4*2^-52 absolute elsewhere.  The mpmath reference and
the error measure are those of the bench script (run it for the full sample).
"""

from __future__ import annotations

import functools
import importlib.util
import pathlib

import numpy as np
import pytest

pytest.importorskip("mpmath")

_PATH = pathlib.Path(__file__).resolve().parents[1] / "bench" / "accuracy_float64.py"


def _load_bench_script():
    spec = importlib.util.spec_from_file_location("_fastact_bench_accuracy_float64", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


acc = _load_bench_script()

POINTS = 2000
X = acc.sample(POINTS)
NAMES = acc.functions()


@functools.lru_cache(maxsize=None)
def _reference(name, direction):
    """(hi, frac): the exact values at X (shared by both backends)."""
    return acc.reference(name, direction, X)


def _worst(x, err, over, k=5):
    idx = np.flatnonzero(over)
    idx = idx[np.argsort(-err[idx])][:k]
    return ", ".join(f"x={x[i]!r}: {err[i]:.3g}" for i in idx)


def _cases():
    for name in NAMES:
        for direction in ("fwd", "der"):
            for backend in ("cython", "numba"):
                yield pytest.param(name, direction, backend, id=f"{name}-{direction}-{backend}")


@pytest.mark.parametrize("name, direction, backend", list(_cases()))
def test_float64_within_4_ulp_of_mpmath(name, direction, backend):
    hi, frac = _reference(name, direction)
    got = acc.evaluate(name, direction, X, backend)
    abs_err, ulp = acc.errors(got, hi, frac)
    nonfinite = np.isinf(ulp)
    assert not nonfinite.any(), (
        f"{name} {direction} ({backend}): non-finite result or wrong ±inf at "
        f"{X[nonfinite][:5].tolist()} (reference {hi[nonfinite][:5].tolist()}, "
        f"got {got[nonfinite][:5].tolist()})")
    if direction == "fwd":
        over = ulp > acc.FWD_ULP
        assert not over.any(), (
            f"{name} forward ({backend}): {over.sum()} of {X.size} inputs over "
            f"{acc.FWD_ULP:g} ulp; worst (ulp): {_worst(X, ulp, over)}")
    else:
        in_ulp = np.abs(hi) >= acc.DER_ULP_FLOOR
        over_ulp = in_ulp & (ulp > acc.DER_ULP)
        over_abs = ~in_ulp & (abs_err > acc.DER_ABS)
        assert not over_ulp.any(), (
            f"{name} derivative ({backend}): {over_ulp.sum()} inputs with |f'| >= 1/16 over "
            f"{acc.DER_ULP:g} ulp; worst (ulp): {_worst(X, ulp, over_ulp)}")
        assert not over_abs.any(), (
            f"{name} derivative ({backend}): {over_abs.sum()} inputs with |f'| < 1/16 over "
            f"4*2^-52 absolute; worst (absolute): {_worst(X, abs_err, over_abs)}")


@pytest.mark.parametrize("direction", ["fwd", "der"])
@pytest.mark.parametrize("name", NAMES)
def test_mpmath_reference_agrees_with_the_numpy_twin(name, direction):
    """The reference (written from the formulas) and fastact's float64 NumPy twin must
    agree far beyond the ULP bound's scale of interest, so that a failure above is the
    kernel's, not a mismatch of definitions (parameters, thresholds, kink values)."""
    hi, _ = _reference(name, direction)
    twin = acc.evaluate(name, direction, X, "numpy")
    keep = (np.abs(hi) > 1e-290) | (hi == 0)       # subnormals: no relative accuracy
    tol = 1e-11 * np.abs(hi) + (1e-15 if direction == "der" else 0.0)
    with np.errstate(invalid="ignore"):                # inf - inf where both overflow
        bad = keep & (twin != hi) & ~(np.abs(twin - hi) <= tol)
    assert not bad.any(), (
        f"{name} {direction}: mpmath reference and NumPy twin differ at "
        f"{X[bad][:5].tolist()}: {hi[bad][:5].tolist()} vs {twin[bad][:5].tolist()}")


def test_error_measure():
    """0.5 ulp for a correctly rounded result, 5 ulp when nudged 5 ulp, inf for NaN."""
    hi, frac = _reference("sigmoid", "fwd")
    _, ulp = acc.errors(hi, hi, frac)
    assert np.all(ulp <= 0.5) and ulp.max() > 0.25
    nudged = hi + 5 * np.spacing(hi)
    pos = (hi > 1e-300) & (hi < 0.5) & (np.spacing(nudged) == np.spacing(hi))  # one binade
    _, ulp5 = acc.errors(nudged, hi, frac)
    assert np.all(np.abs(ulp5[pos] - 5) <= 0.5)
    stats = acc.stats("sigmoid", "fwd", X, np.where(pos, nudged, hi), hi, frac)
    assert stats["over_bound"] == pos.sum() and 4.5 <= stats["max_ulp"] <= 5.5
    _, ulp_nan = acc.errors(np.full_like(hi, np.nan), hi, frac)
    assert np.all(np.isinf(ulp_nan))
