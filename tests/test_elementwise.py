"""Every activation x dtype x direction (forward, derivative, backward from x, backward
from y) against the NumPy twin, the float64 reference, mpmath and finite differences."""

import math

import mpmath as mp
import numpy as np
import pytest

import fastact
from _mp_reference import MP
from _support import (
    ABS64, DER_ABS32, DER_ABS64, DER_ULP32, DER_ULP32_TIGHT, FWD_ULP32, FWD_ULP32_TIGHT, REL64, REL64_GELU, assert_close64, assert_same_nonfinite,
    assert_ulp32, cases, dense_grid, full_params, kernel_args, rel64, specials, ulp32,
)
from fastact import _kernels as kernels, _registry as reg, reference

# every test here runs once per compiled backend (Cython, Numba): tests/conftest.py
pytestmark = pytest.mark.usefixtures("compiled_backend")

CASES = cases()


def _inputs(dtype):
    return np.concatenate([dense_grid(dtype), specials(dtype)])


def _ref64(spec, params, x, direction="fwd"):
    kernel, p0, p1 = kernel_args(spec, params)
    twin = reference.TWINS[kernel]
    return getattr(twin, direction)(x.astype(np.float64), p0, p1)




# ---------------------------------------------------------------- forward

@pytest.mark.parametrize("spec,params", CASES)
def test_forward_float32_within_4_ulp(spec, params):
    x = _inputs(np.float32)
    got = fastact.get(spec.name)(x, **params)
    assert got.dtype == np.float32
    assert_ulp32(got, _ref64(spec, params, x), FWD_ULP32, x=x, what=f"{spec.name}{params}")


@pytest.mark.parametrize("spec,params", CASES)
def test_forward_float64_vs_twin(spec, params):
    x = _inputs(np.float64)
    got = fastact.get(spec.name)(x, **params)
    assert got.dtype == np.float64
    assert_close64(got, _ref64(spec, params, x), rel=rel64(spec, params),
                   what=f"{spec.name}{params}")


@pytest.mark.parametrize("spec,params", CASES)
def test_numpy_backend_is_the_twin(spec, params, dtype):
    x = _inputs(dtype)
    kernel, p0, p1 = kernel_args(spec, params)
    f = fastact.get(spec.name)
    got = f(x, backend="numpy", **params)
    np.testing.assert_array_equal(got, reference.TWINS[kernel].fwd(x, p0, p1))
    # and the twin agrees with the kernels (each is checked against float64 above)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    fast = f(x, **params)
    assert_same_nonfinite(fast, got)
    fin = np.isfinite(got)
    np.testing.assert_allclose(fast[fin], got[fin], rtol=rtol, atol=np.finfo(dtype).tiny * 64)


# ---------------------------------------------------------------- derivatives

@pytest.mark.parametrize("spec,params", CASES)
def test_derivative_vs_reference(spec, params, dtype):
    x = _inputs(dtype)
    got = fastact.get(spec.name).derivative(x, **params)
    assert got.dtype == dtype
    ref = _ref64(spec, params, x, "der")
    if dtype == np.float32:
        assert_ulp32(got, ref, DER_ULP32, DER_ABS32, x=x, what=f"{spec.name}'{params}")
    else:
        assert_close64(got, ref, rel=rel64(spec, params), abs_=DER_ABS64,
                       what=f"{spec.name}'{params}")


def _kinks(spec, params):
    full = full_params(spec, params)
    return [full[k] if isinstance(k, str) else k for k in spec.kinks]


@pytest.mark.parametrize("spec,params", CASES)
def test_derivative_vs_finite_differences(spec, params, rng):
    f = fastact.get(spec.name)
    x = rng.uniform(-12, 12, 400)
    x = x[np.min(np.abs(x[:, None] - np.array(_kinks(spec, params) + [1e9])), axis=1) > 1e-3]
    h = 1e-6 * np.maximum(1.0, np.abs(x))
    fd = (f(x + h, **params) - f(x - h, **params)) / (2 * h)
    np.testing.assert_allclose(f.derivative(x, **params), fd, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------- backward

@pytest.mark.parametrize("spec,params", CASES)
def test_backward_from_x_is_dy_times_derivative(spec, params, dtype, rng):
    x = _inputs(dtype)
    dy = rng.standard_normal(x.size).astype(dtype)
    f = fastact.get(spec.name)
    for backend in ("auto", "numpy"):  # auto: the backend under test
        got = f.backward(dy, x, backend=backend, **params)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, dy * f.derivative(x, backend=backend, **params))
    got = f.backward(dy, x=x, **params)
    np.testing.assert_array_equal(got, dy * f.derivative(x, **params))


def _from_y_cases():
    out = []
    for p in CASES:
        spec, params = p.values
        if spec.backward_from_y_allowed(full_params(spec, params)):
            out.append(p)
    return out


@pytest.mark.parametrize("spec,params", _from_y_cases())
def test_backward_from_y(spec, params, dtype, rng):
    f = fastact.get(spec.name)
    x = np.concatenate([np.linspace(-8, 8, 20_001), specials(dtype)]).astype(dtype)
    y = f(x, **params)
    dy = rng.standard_normal(x.size).astype(dtype)
    got = f.backward(dy, y=y, **params)
    assert got.dtype == dtype
    kernel, p0, p1 = kernel_args(spec, params)
    # same formula as the twin, on the same y
    twin = dy * reference.TWINS[kernel].der_y(y, p0, p1)
    np.testing.assert_array_equal(f.backward(dy, y=y, backend="numpy", **params), twin)
    assert_same_nonfinite(got, twin)
    fin = np.isfinite(twin)
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(got[fin], twin[fin], rtol=4 * eps, atol=8 * eps)
    # and the exact derivative at x, up to the rounding of y (well conditioned in
    # absolute terms: |d f'/dy| * eps * |y|)
    exact = dy.astype(np.float64) * _ref64(spec, params, x, "der")
    fin = np.isfinite(exact) & np.isfinite(x)
    with np.errstate(over="ignore", invalid="ignore"):
        scale = np.abs(dy[fin]) * np.maximum(1.0, np.abs(y[fin]).astype(np.float64))
        err = np.abs(got[fin] - exact[fin])
    assert np.all(err <= 16 * eps * scale + 1e-300), np.max(err / (scale * eps))


@pytest.mark.parametrize("spec", [s for s in reg.ELEMENTWISE if s.grad_from_output == reg.NEVER
                                  and s.name not in reg.PER_ELEMENT_WEIGHT])
def test_backward_from_y_refused_where_y_is_not_enough(spec):
    dy = np.ones(4)
    with pytest.raises(ValueError, match="cannot be computed from y"):
        fastact.get(spec.name).backward(dy, y=dy)


@pytest.mark.parametrize("name,params", [("leaky_relu", {"alpha": -0.5}), ("leaky_relu", {"alpha": 0.0}),
                                         ("elu", {"alpha": -1.0}), ("celu", {"alpha": -2.0})])
def test_backward_from_y_refused_for_alpha_not_positive(name, params):
    with pytest.raises(ValueError, match="alpha"):
        fastact.get(name).backward(np.ones(3), y=np.ones(3), **params)


def test_backward_needs_exactly_one_of_x_y():
    with pytest.raises(ValueError, match="exactly one"):
        fastact.sigmoid.backward(np.ones(3))
    with pytest.raises(ValueError, match="exactly one"):
        fastact.sigmoid.backward(np.ones(3), np.ones(3), y=np.ones(3))


def test_backward_in_place_on_dy(dtype):
    x = np.linspace(-4, 4, 1001).astype(dtype)
    dy = np.linspace(1, 2, 1001).astype(dtype)
    expected = dy * fastact.gelu.derivative(x)
    res = fastact.gelu.backward(dy, x, out=dy)
    assert res is dy
    np.testing.assert_array_equal(dy, expected)


# ---------------------------------------------------------------- special values

@pytest.mark.parametrize("spec,params", CASES)
def test_nan_propagates_every_direction(spec, params, dtype):
    f = fastact.get(spec.name)
    nan = np.full(7, np.nan, dtype)
    ones = np.ones(7, dtype)
    assert np.isnan(f(nan, **params)).all()
    assert np.isnan(f.derivative(nan, **params)).all()
    assert np.isnan(f.backward(ones, nan, **params)).all()
    assert np.isnan(f.backward(nan, ones, **params)).all()
    if spec.backward_from_y_allowed(full_params(spec, params)):
        assert np.isnan(f.backward(ones, y=nan, **params)).all()


SCALE_ALPHA = reference.SELU_SCALE * reference.SELU_ALPHA
LIMITS = {
    # name: (f(-inf), f(+inf), f'(-inf), f'(+inf))
    "relu": (0, np.inf, 0, 1), "relu6": (0, 6, 0, 0), "leaky_relu": (-np.inf, np.inf, 0.01, 1),
    "elu": (-1, np.inf, 0, 1), "selu": (-SCALE_ALPHA, np.inf, 0, reference.SELU_SCALE),
    "celu": (-1, np.inf, 0, 1), "gelu": (0, np.inf, 0, 1), "silu": (0, np.inf, 0, 1),
    "mish": (0, np.inf, 0, 1), "softplus": (0, np.inf, 0, 1), "softsign": (-1, 1, 0, 0),
    "hardtanh": (-1, 1, 0, 0), "hardsigmoid": (0, 1, 0, 0), "hardswish": (0, np.inf, 0, 1),
    "sigmoid": (0, 1, 0, 0), "logsigmoid": (-np.inf, 0, 1, 0), "tanh": (-1, 1, 0, 0),
    "identity": (-np.inf, np.inf, 1, 1),
}


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_infinities_give_the_mathematical_limits(name, dtype):
    f = fastact.get(name)
    x = np.array([-np.inf, np.inf], dtype)
    lo, hi, dlo, dhi = LIMITS[name]
    for kw in ({}, {"approximate": "tanh"} if name == "gelu" else {}):
        np.testing.assert_allclose(f(x, **kw), np.array([lo, hi], dtype), rtol=1e-6)
        np.testing.assert_allclose(f.derivative(x, **kw), np.array([dlo, dhi], dtype), rtol=1e-6)
        for backend in ("auto", "numpy"):  # auto: the backend under test
            np.testing.assert_allclose(f(x, backend=backend, **kw), [lo, hi], rtol=1e-6)


KINKS = [  # PyTorch's backward at the kinks
    ("relu", {}, 0.0, 0.0), ("relu6", {}, 0.0, 0.0), ("relu6", {}, 6.0, 0.0),
    ("leaky_relu", {"alpha": 0.2}, 0.0, 0.2), ("elu", {"alpha": 0.5}, 0.0, 0.5),
    ("celu", {"alpha": 2.0}, 0.0, 1.0), ("selu", {}, 0.0, SCALE_ALPHA),
    ("hardtanh", {}, -1.0, 0.0), ("hardtanh", {}, 1.0, 0.0),
    ("hardsigmoid", {}, -3.0, 0.0), ("hardsigmoid", {}, 3.0, 0.0),
    ("hardswish", {}, -3.0, -0.5), ("hardswish", {}, 3.0, 1.5),
    ("softplus", {"beta": 1.0, "threshold": 20.0}, 20.0, 1 / (1 + math.exp(-20))),
]


@pytest.mark.parametrize("name,params,x,expected", KINKS)
def test_derivative_at_kinks_matches_pytorch(name, params, x, expected, dtype):
    f = fastact.get(name)
    for backend in ("auto", "numpy"):  # auto: the backend under test
        got = f.derivative(np.array([x], dtype), backend=backend, **params)
        np.testing.assert_allclose(got, [expected], rtol=1e-6)


def test_tails_keep_relative_accuracy():
    x = np.array([-80.0, -10.0], np.float32)
    assert fastact.sigmoid(x)[0] > 0 and fastact.gelu(x)[1] < 0
    np.testing.assert_allclose(fastact.sigmoid(x)[0], math.exp(-80), rtol=1e-6)
    np.testing.assert_allclose(fastact.gelu(x)[1], -10 * 0.5 * math.erfc(10 / math.sqrt(2)), rtol=1e-6)
    tiny = np.array([-1e-7], np.float32)  # elu uses expm1 near 0-
    np.testing.assert_allclose(fastact.elu(tiny), np.expm1(np.float64(tiny)), rtol=1e-6)


# ---------------------------------------------------------------- the twin vs mpmath

@pytest.mark.parametrize("spec,params", CASES)
def test_float64_reference_vs_mpmath(spec, params):
    """The float64 twin (the reference of the tests above) against 40-digit math."""
    kernel, p0, p1 = kernel_args(spec, params)
    fwd_mp, der_mp = MP[kernel]
    x = np.concatenate([np.linspace(-30, 30, 121), [-1e-8, 1e-8, -0.37, 0.37, 2.9, -2.9, 5.5]])
    x = x[np.min(np.abs(x[:, None] - np.array(_kinks(spec, params) + [1e9])), axis=1) > 1e-9]
    twin = reference.TWINS[kernel]
    with mp.workdps(40):
        ref_f = np.array([float(fwd_mp(mp.mpf(v), mp.mpf(p0), mp.mpf(p1))) for v in x])
        ref_d = np.array([float(der_mp(mp.mpf(v), mp.mpf(p0), mp.mpf(p1))) for v in x])
    rel = 2e-13 if kernel.startswith("gelu") else 1e-14
    np.testing.assert_allclose(twin.fwd(x, p0, p1), ref_f, rtol=rel, atol=1e-300)
    np.testing.assert_allclose(twin.der(x, p0, p1), ref_d, rtol=rel * 10, atol=1e-15)
    np.testing.assert_allclose(fastact.get(spec.name)(x, **params), ref_f, rtol=rel, atol=1e-300)


def test_bounds_are_the_documented_ones():
    # the README states these numbers; keep them in one place
    assert (FWD_ULP32, DER_ULP32, DER_ABS32) == (4.0, 8.0, 2.0 ** -23)
    assert (REL64, REL64_GELU, ABS64, DER_ABS64) == (1e-13, 1e-12, 1e-300, 2.0 ** -52)


# ---------------------------------------------------------------- random bit patterns
# 2^20 float32 inputs drawn uniformly over all bit patterns (every exponent, subnormals,
# NaN payloads, both infinities) plus the special values: the sampled version of
# bench/accuracy_sweep.py, which runs all 2^32.

def _random_float32(n_log2=20):
    bits = np.random.default_rng(42).integers(0, 1 << 32, size=1 << n_log2, dtype=np.uint64)
    return np.concatenate([bits.astype(np.uint32).view(np.float32), specials(np.float32)])


@pytest.mark.parametrize("spec,params", CASES)
def test_float32_random_bit_patterns(spec, params):
    x = _random_float32()
    f = fastact.get(spec.name)
    with np.errstate(over="ignore", invalid="ignore"):
        assert_ulp32(f(x, **params), _ref64(spec, params, x), FWD_ULP32, x=x,
                     what=f"{spec.name}{params} forward")
        assert_ulp32(f.derivative(x, **params), _ref64(spec, params, x, "der"), DER_ULP32,
                     floor=DER_ABS32, x=x, what=f"{spec.name}{params} derivative")


DEFAULT_CASES = [c for c in CASES if set(c.values[1]) <= {"approximate"}]


@pytest.mark.parametrize("spec,params", DEFAULT_CASES)
def test_float32_tight_targets_at_default_parameters(spec, params):
    """Issue 4's float32 contract: 2 ulp forward for the sigmoid/tanh/ELU families,
    4 for GELU, mish and the rest; 4 ulp for every derivative (random bit patterns,
    the dense grid and the special values)."""
    x = np.concatenate([_random_float32(), dense_grid(np.float32)])
    f = fastact.get(spec.name)
    fwd_bound = FWD_ULP32_TIGHT.get(spec.name, FWD_ULP32)
    with np.errstate(over="ignore", invalid="ignore"):
        assert_ulp32(f(x, **params), _ref64(spec, params, x), fwd_bound, x=x,
                     what=f"{spec.name}{params} forward")
        assert_ulp32(f.derivative(x, **params), _ref64(spec, params, x, "der"),
                     DER_ULP32_TIGHT, floor=DER_ABS32, x=x,
                     what=f"{spec.name}{params} derivative")


# The worst inputs of the exhaustive sweeps of the float32 code changed in sessions 6, 8 and 9
# (README table: name, params, direction, x, its max error in ulp over all 2^32 floats).
SWEEP_WORST = [
    ("sigmoid", {}, "fwd", -5.857998847961426, 1.53),
    ("silu", {}, "fwd", -5.198248386383057, 1.83),
    ("gelu", {"approximate": "tanh"}, "fwd", -2.748544692993164, 1.94),
    ("gelu", {}, "fwd", -1.3081296682357788, 3.10),
    ("gelu", {}, "der", -1.5597165822982788, 2.63),
    ("gelu", {"approximate": "tanh"}, "der", -1.2377642393112183, 2.92),
    ("logsigmoid", {}, "der", 1.9540444612503052, 1.43),
    ("softplus", {}, "der", -1.9540444612503052, 1.43),
    ("silu", {}, "der", -2.226566791534424, 2.62),
]


@pytest.mark.parametrize("name,params,direction,x0,swept", SWEEP_WORST)
def test_sweep_worst_inputs_stay_as_documented(name, params, direction, x0, swept,
                                               compiled_backend):
    """At (and next to) each sweep's worst input the error is within the issue-4
    contract for both backends and every kernel variant, and is what the README table
    says for the Cython kernels of the variant the sweep ran (AVX-512; the others
    round some steps differently)."""
    x = np.array([np.nextafter(np.float32(x0), np.float32(-np.inf)), x0,
                  np.nextafter(np.float32(x0), np.float32(np.inf))], np.float32)
    f = fastact.get(name)
    g = f if direction == "fwd" else f.derivative
    ref = _ref64(reg.SPECS[name], params, x, direction)
    if direction == "der":
        bound = DER_ULP32_TIGHT
    else:
        bound = FWD_ULP32 if params else FWD_ULP32_TIGHT.get(name, FWD_ULP32)
    got = g(x, **params)
    assert_ulp32(got, ref, bound, x=x, what=f"{name}{params} {direction}")
    if compiled_backend == "cython" and kernels.selected_variant() == "avx512":
        err = np.abs(got.astype(np.float64) - ref) / ulp32(ref)
        assert err[1] == pytest.approx(swept, abs=0.01)


@pytest.mark.parametrize("name", ["elu", "selu", "celu", "tanh", "gelu", "silu", "mish", "relu6",
                                  "hardtanh"])
def test_sign_of_zero_matches_the_twin(name, dtype):
    x = np.array([-0.0, 0.0], dtype)
    f = fastact.get(name)
    np.testing.assert_array_equal(np.signbit(f(x)), np.signbit(f(x, backend="numpy")))
