"""The data rules: dtypes, shapes, layouts, out/in place, and the error contract (a
clear error before any byte is written; the caller's arrays unchanged)."""

import numpy as np
import pytest

import fastact
from fastact import _engine, _registry as reg

# every test here runs once per compiled backend (Cython, Numba): tests/conftest.py
pytestmark = pytest.mark.usefixtures("compiled_backend")

ELEMENTWISE = [s.name for s in reg.ELEMENTWISE if s.name not in reg.PER_ELEMENT_WEIGHT]


def _apply(name, x, **kw):
    if name == "prelu":
        return fastact.prelu(x, np.float32(0.25), **kw)
    return fastact.get(name)(x, **kw)


# ---------------------------------------------------------------- dtypes

@pytest.mark.parametrize("name", ELEMENTWISE + ["softmax", "log_softmax"])
def test_float16_in_float16_out_computed_in_float32(name):
    x = np.linspace(-8, 8, 101).astype(np.float16)
    f = fastact.get(name)
    y = f(x)
    assert y.dtype == np.float16
    np.testing.assert_array_equal(y, f(x.astype(np.float32)).astype(np.float16))
    if name in reg.SPECS:
        d = f.derivative(x)
        assert d.dtype == np.float16
        np.testing.assert_array_equal(d, f.derivative(x.astype(np.float32)).astype(np.float16))
    x2 = x.copy()
    assert f(x2, out=x2) is x2
    np.testing.assert_array_equal(x2, y)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint16, np.bool_])
@pytest.mark.parametrize("name", ["relu", "sigmoid", "gelu", "softmax"])
def test_integers_and_bool_computed_as_float64(name, dtype):
    x = np.arange(-3, 5).astype(dtype)
    f = fastact.get(name)
    y = f(x)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, f(x.astype(np.float64)))
    with pytest.raises(TypeError, match="out of place"):
        f(x, out=x)
    np.testing.assert_array_equal(x, np.arange(-3, 5).astype(dtype))


def test_python_lists_and_scalars():
    np.testing.assert_array_equal(fastact.relu([-1.0, 2.0]), [0.0, 2.0])
    y = fastact.sigmoid(0.0)
    assert isinstance(y, np.ndarray) and y.shape == () and y == 0.5


@pytest.mark.parametrize("bad,what", [
    (np.ones(3, np.complex64), "complex"), (np.array([1.0, "a"], object), "object"),
    (np.array(["a", "b"]), "str"), (np.ones(3, np.longdouble), "float16, float32"),
    ("text", "str"),
])
@pytest.mark.parametrize("name", ["relu", "tanh", "softmax"])
def test_unsupported_dtypes_are_type_errors(name, bad, what):
    with pytest.raises(TypeError, match=what):
        fastact.get(name)(bad)


def test_mixed_precision_backward_promotes():
    dy = np.ones(4, np.float32)
    x = np.linspace(-1, 1, 4)
    assert fastact.tanh.backward(dy, x).dtype == np.float64
    assert fastact.tanh.backward(dy.astype(np.float16), x.astype(np.float16)).dtype == np.float16


def test_byte_swapped_input_and_out():
    x = np.linspace(-3, 3, 50).astype(">f4")
    np.testing.assert_array_equal(fastact.sigmoid(x), fastact.sigmoid(x.astype(np.float32)))
    with pytest.raises(TypeError, match="native byte order"):
        fastact.sigmoid(x, out=x)


# ---------------------------------------------------------------- shapes and layouts

@pytest.mark.parametrize("shape", [(), (0,), (0, 3), (4, 0, 2), (1,), (7,), (3, 1, 5), (2, 3, 4, 5)])
@pytest.mark.parametrize("name", ["relu", "silu", "prelu", "softmax"])
def test_any_shape(name, shape, dtype):
    x = np.linspace(-2, 2, int(np.prod(shape))).astype(dtype).reshape(shape)
    y = _apply(name, x)
    assert y.shape == shape and y.dtype == dtype and isinstance(y, np.ndarray)
    if name != "softmax":
        flat = _apply(name, x.reshape(-1)).reshape(shape)
        np.testing.assert_array_equal(y, flat)


VIEWS = {
    "C": lambda a: a,
    "F": lambda a: np.asfortranarray(a),
    "transposed": lambda a: a.transpose(2, 0, 1),
    "step": lambda a: a[::2, :, ::3],
    "negative": lambda a: a[::-1, :, ::-2],
    "inner_axis_sliced": lambda a: a[:, 1:5, :],
    "unmergeable_3d": lambda a: a[::2, ::-3, 1::2].transpose(1, 2, 0),
}


@pytest.mark.parametrize("layout", sorted(VIEWS))
@pytest.mark.parametrize("name", ["relu", "leaky_relu", "tanh", "gelu", "prelu", "hardswish"])
def test_layouts_out_of_place_and_in_place(name, layout, dtype, rng):
    base = rng.uniform(-6, 6, (8, 9, 10)).astype(dtype)
    view = VIEWS[layout](base)
    got = _apply(name, view)
    # vs the contiguous computation: the same math, up to the compiler's FMA contraction
    # in a different loop shape (1 ulp)
    contiguous = _apply(name, np.ascontiguousarray(view))
    np.testing.assert_allclose(got, contiguous, rtol=2 * np.finfo(dtype).eps, atol=0)
    expected = got
    # separate out that is itself a view
    out_base = np.zeros((8, 9, 10), dtype)
    out = VIEWS[layout](out_base)
    assert _apply(name, view, out=out) is out
    np.testing.assert_array_equal(out, expected)
    # in place through the view writes the view and nothing else
    work = base.copy()
    v = VIEWS[layout](work)
    assert _apply(name, v, out=v) is v
    np.testing.assert_array_equal(v, expected)
    outside = np.ones(work.shape, bool)
    VIEWS[layout](outside)[...] = False
    np.testing.assert_array_equal(work[outside], base[outside])


@pytest.mark.parametrize("layout", sorted(VIEWS))
def test_layouts_backward(layout, rng):
    x = VIEWS[layout](rng.uniform(-4, 4, (8, 9, 10)))
    dy = VIEWS[layout](rng.standard_normal((8, 9, 10)))
    expected = np.ascontiguousarray(dy) * fastact.mish.derivative(np.ascontiguousarray(x))
    got = fastact.mish.backward(dy, x)
    np.testing.assert_allclose(got, expected, rtol=4 * np.finfo(np.float64).eps, atol=0)
    np.testing.assert_array_equal(fastact.mish.backward(dy, x, out=dy), got)


def test_read_only_input_out_of_place():
    x = np.linspace(-1, 1, 10)
    x.setflags(write=False)
    np.testing.assert_array_equal(fastact.relu(x), np.maximum(x, 0))


# ---------------------------------------------------------------- errors, data untouched

def _snapshot(*arrays):
    return [a.copy() for a in arrays]


def _unchanged(arrays, snapshot):
    for a, s in zip(arrays, snapshot):
        np.testing.assert_array_equal(a, s)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "softmax"])
def test_read_only_out_refused(name):
    x = np.linspace(-1, 1, 12).reshape(3, 4)
    x.setflags(write=False)
    snap = _snapshot(x)
    with pytest.raises(ValueError, match="read-only"):
        fastact.get(name)(x, out=x)
    _unchanged([x], snap)


@pytest.mark.parametrize("name", ["relu", "gelu", "softmax"])
def test_out_shape_and_dtype_refused(name):
    x = np.linspace(-1, 1, 12).reshape(3, 4).astype(np.float32)
    snap = _snapshot(x)
    for bad, exc, msg in [(np.zeros((4, 3), np.float32), ValueError, "shape"),
                          (np.zeros(12, np.float32), ValueError, "shape"),
                          (np.zeros((3, 4), np.float64), TypeError, "dtype"),
                          (np.zeros((3, 4), np.float16), TypeError, "dtype"),
                          ([[0.0] * 4] * 3, TypeError, "ndarray")]:
        before = np.array(bad, copy=True)
        with pytest.raises(exc, match=msg):
            fastact.get(name)(x, out=bad)
        np.testing.assert_array_equal(np.asarray(bad), before)
    _unchanged([x], snap)


@pytest.mark.parametrize("name", ["relu", "tanh", "softmax"])
def test_partial_overlap_refused(name):
    base = np.linspace(-1, 1, 20)
    x, out = base[:-2], base[2:]
    snap = _snapshot(base)
    with pytest.raises(ValueError, match="overlaps x"):
        fastact.get(name)(x, out=out)
    _unchanged([base], snap)
    # the same memory through a different view object is in place, and allowed
    y = base.copy()
    fastact.get(name)(y, out=y[:])
    np.testing.assert_array_equal(y, fastact.get(name)(base))


@pytest.mark.parametrize("name", ["relu", "sigmoid", "gelu"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_of_place_into_memory_apart_from_the_inputs(name, dtype):
    f = fastact.get(name)
    x = np.linspace(-5, 5, 1000).astype(dtype)
    dy = np.cos(x)
    expected, expected_bwd = f(x), f.backward(dy, x)
    out = np.empty_like(x)
    assert f(x, out=out) is out
    np.testing.assert_array_equal(out, expected)
    assert f.backward(dy, x, out=out) is out
    np.testing.assert_array_equal(out, expected_bwd)
    # the other half of the input's own buffer
    base = np.concatenate([x, np.zeros_like(x)])
    assert f(base[:1000], out=base[1000:]) is not None
    np.testing.assert_array_equal(base[1000:], expected)
    np.testing.assert_array_equal(base[:1000], x)


def test_backward_overlap_with_second_input_refused():
    base = np.linspace(-1, 1, 20)
    dy = np.ones(18)
    snap = _snapshot(base, dy)
    with pytest.raises(ValueError, match="overlaps x"):
        fastact.tanh.backward(dy, base[:-2], out=base[1:-1])
    _unchanged([base, dy], snap)


def test_axis_out_of_range():
    x = np.zeros((2, 3))
    snap = _snapshot(x)
    with pytest.raises(np.exceptions.AxisError):
        fastact.softmax(x, axis=2, out=x)
    with pytest.raises(ValueError):
        fastact.log_softmax(x, axis=-3, out=x)
    with pytest.raises(TypeError, match="axis"):
        fastact.softmax(x, axis=1.0)
    _unchanged([x], snap)


@pytest.mark.parametrize("name,params,exc,msg", [
    ("softplus", {"beta": 0.0}, ValueError, "beta must be > 0"),
    ("softplus", {"beta": -1.0}, ValueError, "beta must be > 0"),
    ("softplus", {"threshold": np.nan}, ValueError, "NaN"),
    ("celu", {"alpha": 0.0}, ValueError, "alpha must be != 0"),
    ("elu", {"alpha": np.inf}, ValueError, "finite"),
    ("leaky_relu", {"alpha": "0.1"}, TypeError, "real number"),
    ("leaky_relu", {"alpha": True}, TypeError, "real number"),
    ("hardtanh", {"min_val": 2.0, "max_val": 1.0}, ValueError, "min_val <= max_val"),
    ("gelu", {"approximate": "fast"}, ValueError, "approximate must be one of"),
    ("relu", {"alpha": 0.1}, TypeError, "unexpected keyword argument 'alpha'"),
    ("sigmoid", {"inplace": True}, TypeError, "unexpected keyword"),
])
def test_invalid_parameters(name, params, exc, msg):
    x = np.linspace(-1, 1, 9)
    snap = _snapshot(x)
    f = fastact.get(name)
    for call in (lambda: f(x, out=x, **params), lambda: f.derivative(x, out=x, **params),
                 lambda: f.backward(x, x, out=x, **params)):
        with pytest.raises(exc, match=msg):
            call()
        _unchanged([x], snap)


def test_backends():
    x = np.linspace(-1, 1, 5)
    with pytest.raises(ValueError, match="unknown backend 'fortran'.*cython, numba, numpy, cuda"):
        fastact.relu(x, backend="fortran")
    with pytest.raises(TypeError, match='backend="cuda" computes on GPU arrays'):
        fastact.relu(x, backend="cuda")  # a host array: no hidden transfer
    for b in ("cython", "numba"):
        np.testing.assert_array_equal(fastact.relu(x, backend=b), fastact.relu(x, backend="numpy"))


@pytest.mark.parametrize("bad,exc", [(0, ValueError), (1.5, TypeError), ("2", TypeError), (True, TypeError)])
def test_invalid_n_threads(bad, exc):
    x = np.linspace(-1, 1, 5)
    with pytest.raises(exc, match="n_threads"):
        fastact.relu(x, n_threads=bad)


# ---------------------------------------------------------------- prelu

@pytest.mark.parametrize("wshape", [(), (1,), (6,), (5, 1), (5, 6), (4, 5, 6), (1, 5, 1)])
@pytest.mark.parametrize("backend", ["auto", "numpy"])
def test_prelu_broadcasts_weight_like_onnx(wshape, backend, dtype, rng):
    x = rng.standard_normal((4, 5, 6)).astype(dtype)
    w = rng.uniform(0.05, 0.5, wshape).astype(dtype)
    wb = np.broadcast_to(w, x.shape)
    np.testing.assert_allclose(fastact.prelu(x, w, backend=backend), np.where(x > 0, x, wb * x), rtol=1e-7)
    np.testing.assert_array_equal(fastact.prelu.derivative(x, w, backend=backend), np.where(x > 0, 1, wb))
    dy = rng.standard_normal(x.shape).astype(dtype)
    dx, dw = fastact.prelu.backward(dy, x, w, backend=backend)
    np.testing.assert_allclose(dx, dy * np.where(x > 0, 1, wb), rtol=1e-6)
    assert dw.shape == w.shape and dw.dtype == dtype
    # dweight by finite differences of sum(dy * prelu(x, w)) (prelu is linear in w)
    x64, dy64, w64 = x.astype(np.float64), dy.astype(np.float64), w.astype(np.float64)
    fd = np.zeros(w.shape)
    for idx in np.ndindex(*w.shape):
        e = np.zeros(w.shape)
        e[idx] = 1.0
        fd[idx] = np.sum(dy64 * (fastact.prelu(x64, w64 + e) - fastact.prelu(x64, w64)))
    np.testing.assert_allclose(dw, fd, rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-4)


@pytest.mark.parametrize("slope", ["float", "0-d", "(1,)", "(1, 1)", "(1,) float64"])
@pytest.mark.parametrize("n", [1000, 300_000])
def test_prelu_one_slope_fast_path_matches_the_per_element_kernel(slope, n, dtype, rng,
                                                                  compiled_backend):
    # one slope takes the leaky_relu kernel at once (fast_prelu); a full weight array
    # takes the per-element prelu kernel through the general path: bitwise the same
    x = (rng.standard_normal((n // 100, 100)) * 3).astype(dtype)
    x[0, :4] = [np.nan, -np.inf, np.inf, -0.0]
    w = {"float": 0.3, "0-d": np.array(0.3, dtype), "(1,)": np.array([0.3], dtype),
         "(1, 1)": np.array([[0.3]], dtype), "(1,) float64": np.array([0.3])}[slope]
    full = np.full(x.shape, dtype(0.3))
    if compiled_backend == "cython":  # (the fast path runs the Cython kernels only)
        assert _engine.fast_prelu("fwd", x, w, None, "auto", None) is not None
        assert _engine.fast_prelu("fwd", x, full, None, "auto", None) is None
    for method in (fastact.prelu, fastact.prelu.derivative):
        expected = method(x, full, n_threads=1)
        for nth in (1, 2):
            np.testing.assert_array_equal(method(x, w, n_threads=nth), expected)
            apart = np.empty_like(x)
            assert method(x, w, out=apart, n_threads=nth) is apart
            np.testing.assert_array_equal(apart, expected)
            y = x.copy()
            assert method(y, w, out=y, n_threads=nth) is y
            np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("n", [1000, 300_007])
def test_prelu_backward_with_one_slope_in_one_sweep(n, dtype, rng, compiled_backend):
    # one slope: dx and the weight's sum in one kernel (prelu_backward_one_slope, Cython);
    # dx is bitwise the per-element kernel's, dweight the exact sum rounded (the Numba
    # backend sums the rounded terms: 1e-6 relative), the same for any thread count
    x = (rng.standard_normal(n) * 3).astype(dtype)
    dy = rng.standard_normal(n).astype(dtype)
    w = np.array([0.3], dtype)
    if compiled_backend == "cython":  # the fast path takes it
        assert _engine.fast_prelu_backward(dy, x, w, None, "auto", None) is not None
    dx_ref, _ = fastact.prelu.backward(dy, x, np.full(x.shape, dtype(0.3)), n_threads=1)
    exact = np.sum(dy.astype(np.float64) * np.minimum(x, 0).astype(np.float64))
    results = []
    for nth in (1, 2):
        dx, dw = fastact.prelu.backward(dy, x, w, n_threads=nth)
        np.testing.assert_array_equal(dx, dx_ref)
        assert dw.shape == (1,) and dw.dtype == dtype
        if compiled_backend == "cython":
            np.testing.assert_allclose(dw[0], exact, rtol=1e-13 if dtype == np.float64 else 0,
                                       atol=abs(float(np.spacing(dtype(exact)))))
        else:
            np.testing.assert_allclose(dw[0], exact, rtol=1e-6 if dtype == np.float32 else 1e-13)
        d = dy.copy()
        dx2, dw2 = fastact.prelu.backward(d, x, w, out=d, n_threads=nth)  # dx over dy
        assert dx2 is d
        np.testing.assert_array_equal(d, dx_ref)
        results.append((dw[0], dw2[0]))
    assert results[0] == results[1] and results[0][0] == results[0][1]
    x[n // 2] = np.nan  # a NaN input: its dx and the weight's gradient are NaN
    dx, dw = fastact.prelu.backward(dy, x, w)
    assert np.isnan(dx[n // 2]) and np.isnan(dw[0])


def test_prelu_out_overlapping_a_one_element_weight_is_refused():
    x = np.array([-1.0, 2.0, -3.0], np.float32)
    with pytest.raises(ValueError, match="overlaps weight"):
        fastact.prelu(x, x[:1], out=x)
    np.testing.assert_array_equal(x, [-1.0, 2.0, -3.0])


def test_prelu_weight_must_broadcast():
    x = np.ones((4, 5))
    with pytest.raises(ValueError, match="cannot be broadcast"):
        fastact.prelu(x, np.ones(4))
    with pytest.raises(ValueError, match="cannot be broadcast"):
        fastact.prelu(x, np.ones((2, 4, 5)))
    with pytest.raises(TypeError, match="complex"):
        fastact.prelu(x, np.ones(5, complex))


@pytest.mark.parametrize("backend", ["auto", "numpy"])
def test_prelu_in_place_and_out(backend):
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    w = np.array([0.1, 0.2, 0.3, 0.4])
    expected = np.where(x > 0, x, w * x)
    y = x.copy()
    assert fastact.prelu(y, w, out=y, backend=backend) is y
    np.testing.assert_array_equal(y, expected)
    dy = np.ones_like(x)
    dx, dw = fastact.prelu.backward(dy, x, w, out=dy, backend=backend)
    assert dx is dy
    np.testing.assert_allclose(dw, np.where(x > 0, 0, x).sum(0))
