"""Hypothesis: random shapes, layouts, dtypes, values (specials included) and
parameters; the kernels agree with the NumPy twin, in place or not."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import fastact
from fastact import _registry as reg

# every test here runs once per compiled backend (Cython, Numba): tests/conftest.py
pytestmark = pytest.mark.usefixtures("compiled_backend")

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = [s.name for s in reg.ELEMENTWISE if s.name not in reg.PER_ELEMENT_WEIGHT]


@st.composite
def arrays(draw, min_dims=0):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=0, max_side=9))
    elements = st.floats(allow_nan=True, allow_infinity=True, width=32 if dtype == np.float32 else 64)
    base = draw(hnp.arrays(dtype, shape, elements=elements))
    # a random view: transposed, stepped, reversed
    if base.ndim:
        if draw(st.booleans()):
            base = base.transpose(draw(st.permutations(range(base.ndim))))
        steps = tuple(draw(st.sampled_from([1, 2, -1, -2])) for _ in range(base.ndim))
        base = base[tuple(slice(None, None, s) for s in steps)]
    return base


def _params(spec, draw):
    params = {}
    for p in spec.params:
        if p.choices:
            params[p.name] = draw(st.sampled_from(p.choices))
        elif p.rule == reg.POSITIVE:
            params[p.name] = draw(st.floats(0.1, 10))
        elif p.rule == reg.NONZERO:
            params[p.name] = draw(st.floats(0.1, 5) | st.floats(-5, -0.1))
        else:
            params[p.name] = draw(st.floats(-5, 5))
    if spec.name == "hardtanh" and params["min_val"] > params["max_val"]:
        params["min_val"], params["max_val"] = params["max_val"], params["min_val"]
    return params


def _agree(a, b, dtype):
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    fin = np.isfinite(b)
    np.testing.assert_array_equal(a[np.isinf(b)], b[np.isinf(b)])
    rtol = 2e-5 if dtype == np.float32 else 1e-11
    tiny = 64 * np.finfo(dtype).tiny
    np.testing.assert_allclose(a[fin], b[fin], rtol=rtol, atol=tiny)


@SETTINGS
@given(data=st.data(), x=arrays())
def test_elementwise_matches_twin(data, x):
    spec = reg.SPECS[data.draw(st.sampled_from(NAMES))]
    params = _params(spec, data.draw)
    f = fastact.get(spec.name)
    direction = data.draw(st.sampled_from(["fwd", "der", "bwd"]))
    with np.errstate(all="ignore"):
        if direction == "fwd":
            got, ref = f(x, **params), f(x, backend="numpy", **params)
        elif direction == "der":
            got, ref = f.derivative(x, **params), f.derivative(x, backend="numpy", **params)
        else:
            dy = np.ones_like(x)
            got, ref = f.backward(dy, x, **params), f.backward(dy, x, backend="numpy", **params)
    assert got.shape == x.shape and got.dtype == x.dtype
    _agree(got, ref, x.dtype)
    if direction == "fwd" and x.size:
        work = x.copy()
        assert f(work, out=work, **params) is work
        np.testing.assert_array_equal(work, got)


@SETTINGS
@given(data=st.data(), x=arrays(min_dims=1))
def test_softmax_matches_twin(data, x):
    log = data.draw(st.booleans())
    f = fastact.log_softmax if log else fastact.softmax
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    t = data.draw(st.sampled_from([1.0, 0.5, 3.0]))
    mask = None
    if data.draw(st.booleans()):
        mask = data.draw(hnp.arrays(np.bool_, x.shape))
    got = f(x, axis=axis, temperature=t, mask=mask)
    ref = f(x, axis=axis, temperature=t, mask=mask, backend="numpy")
    # rows with both +-inf logits and large finite ones: compare only where finite
    _agree(got, ref, x.dtype)
