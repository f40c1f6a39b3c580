"""softmax / log_softmax and their backward: normalisation, stability, every axis and
layout, masks, temperature, special rows, and the gradient vs the explicit Jacobian."""

import numpy as np
import pytest

import fastact
from fastact import reference

# every test here runs once per compiled backend (Cython, Numba): tests/conftest.py
pytestmark = pytest.mark.usefixtures("compiled_backend")

FUNCS = [pytest.param(False, id="softmax"), pytest.param(True, id="log_softmax")]
BACKENDS = ["auto", "numpy"]  # auto: the compiled backend under test (conftest)


def _f(log):
    return fastact.log_softmax if log else fastact.softmax


def _ref64(x, axis=-1, temperature=1.0, mask=None, log=False):
    return reference.softmax(np.asarray(x, np.float64), axis, temperature, mask, log)


def _check(got, x, axis=-1, temperature=1.0, mask=None, log=False):
    """float32: relative error (8 + |x - max|/T) eps for softmax, absolute 8 eps
    (1 + |y|) for log_softmax; float64 the same with float64 eps, plus n/64 eps for rows
    of n elements (the double accumulation of the row sum: its lanes add small terms to
    a large partial sum; float32 sums are double and do not see it)."""
    ref = _ref64(x, axis, temperature, mask, log)
    eps = np.finfo(got.dtype).eps
    n = np.shape(x)[axis] if np.ndim(x) else 1
    extra = n / 64 * eps if got.dtype == np.float64 else 0.0
    g = got.astype(np.float64)
    np.testing.assert_array_equal(np.isnan(g), np.isnan(ref))
    np.testing.assert_array_equal(g[np.isinf(ref)], ref[np.isinf(ref)])
    fin = np.isfinite(ref)
    if log:
        tol = 8 * eps * (1 + np.abs(ref)) + extra
    else:
        xm = np.where(np.broadcast_to(True if mask is None else mask, np.shape(x)), x, -np.inf)
        with np.errstate(invalid="ignore"):
            z = np.abs((xm - np.max(xm, axis=axis, keepdims=True)) / temperature)
        z = np.where(np.isfinite(z), z, 0)
        tol = ((8 + z) * eps + extra) * np.abs(ref) + 1e-300
    with np.errstate(invalid="ignore"):
        err = np.abs(g - ref)
    assert np.all(err[fin] <= tol[fin]), np.max((err / np.where(tol > 0, tol, 1))[fin])


@pytest.mark.parametrize("log", FUNCS)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape", [(8, 1000), (300, 17), (1, 1), (5,), (3, 1)])
def test_matches_float64_reference(log, backend, shape, dtype, rng):
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    got = _f(log)(x, backend=backend)
    assert got.dtype == dtype and got.shape == x.shape
    _check(got, x, log=log)


@pytest.mark.parametrize("backend", BACKENDS)
def test_rows_sum_to_one(backend, dtype, rng):
    x = (rng.standard_normal((64, 3000)) * 10).astype(dtype)
    y = fastact.softmax(x, backend=backend)
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(y.sum(axis=-1, dtype=np.float64), 1.0, rtol=0, atol=64 * eps)
    ly = fastact.log_softmax(x, backend=backend)
    np.testing.assert_allclose(np.exp(ly.astype(np.float64)).sum(-1), 1.0, atol=3000 * 8 * eps)


@pytest.mark.parametrize("log", FUNCS)
def test_invariant_to_per_row_shifts(log, rng):
    x = rng.standard_normal((16, 200))
    shift = rng.choice([-1e4, -7.0, 0.0, 3.5, 1e4], size=(16, 1))
    np.testing.assert_allclose(_f(log)(x + shift), _f(log)(x), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("log", FUNCS)
def test_huge_logits_do_not_overflow(log, dtype):
    x = np.array([[1e4, -1e4, 0.0, 1e4 - 1], [-1e4, -1e4, -1e4, -1e4 + 2]], dtype)
    got = _f(log)(x)
    assert np.isfinite(got[:, [0, 2, 3]]).all() or log
    _check(got, x, log=log)


@pytest.mark.parametrize("log", FUNCS)
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
def test_every_axis_and_order(log, order, axis, dtype, rng):
    x = np.asarray((rng.standard_normal((6, 150, 7)) * 3).astype(dtype), order=order)
    got = _f(log)(x, axis=axis)
    _check(got, x, axis=axis, log=log)
    np.testing.assert_array_equal(_f(log)(x, axis=axis, backend="numpy").shape, x.shape)


@pytest.mark.parametrize("log", FUNCS)
@pytest.mark.parametrize("view", ["transposed", "strided", "reversed", "sliced_both"])
@pytest.mark.parametrize("axis", [0, -1])
def test_non_contiguous_views_and_in_place(log, view, axis, rng):
    base = rng.standard_normal((40, 300)).astype(np.float32)
    make = {"transposed": lambda a: a.T, "strided": lambda a: a[::2, ::3],
            "reversed": lambda a: a[::-1, ::-1], "sliced_both": lambda a: a[3:30:4, 7:290:5].T}
    x = make[view](base)
    expected = _ref64(x, axis, log=log)
    got = _f(log)(x, axis=axis)
    _check(got, x, axis=axis, log=log)
    # in place through the view: the view holds the result, the rest of base is untouched
    work = base.copy()
    v = make[view](work)
    before = work.copy()
    res = _f(log)(v, axis=axis, out=v)
    assert res is v
    np.testing.assert_allclose(v, expected, rtol=2e-5, atol=1e-6)
    untouched = np.ones(work.shape, bool)
    make[view](untouched)[...] = False
    np.testing.assert_array_equal(work[untouched], before[untouched])


@pytest.mark.parametrize("log", FUNCS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_temperature_divides_x(log, backend, rng):
    x = rng.standard_normal((10, 50)) * 4
    for t in (0.25, 1.0, 3.0):
        np.testing.assert_allclose(_f(log)(x, temperature=t, backend=backend), _f(log)(x / t),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("log", FUNCS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_huge_temperature_is_not_nan(log, backend, dtype, rng):
    """A temperature beyond what the dtype holds (T or 1/T would round to inf or 0 in it,
    and -inf / inf made NaN rows) gives the limit: x (dy) and T are scaled down together."""
    f = _f(log)
    tiny = float(np.finfo(dtype).smallest_subnormal)
    temps = [1e31, 1e39, 1e46, 1e300] if dtype == np.float32 else [1e301, 1.7e308]
    for t in temps:
        x = (rng.standard_normal((4, 6)) * 1e30).astype(dtype)
        x[0, 1], x[1, 0], x[1, 5] = -np.inf, np.finfo(dtype).max / 2, -np.finfo(dtype).max / 2
        mask = np.ones(x.shape, bool)
        mask[2, 3] = False
        for m in (None, mask):
            got = f(x, temperature=t, mask=m, backend=backend)
            assert not np.isnan(got).any(), (t, m is not None)
            _check(got, x.astype(np.float64), temperature=t, mask=m, log=log)
        inplace = x.copy()
        f(inplace, out=inplace, temperature=t, backend=backend)
        np.testing.assert_array_equal(inplace, f(x, temperature=t, backend=backend))
        y = f(x, temperature=t)
        dy = rng.standard_normal(x.shape).astype(dtype)
        dx = f.backward(dy, y=y, temperature=t, backend=backend)
        ref = reference.softmax_backward(dy.astype(np.float64), y.astype(np.float64), -1, t, None, log)
        assert not np.isnan(dx).any()
        np.testing.assert_allclose(dx, ref, rtol=1e-5, atol=4 * tiny)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_temperature_must_be_positive_finite(bad):
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="temperature"):
        fastact.softmax(x, temperature=bad)
    with pytest.raises(TypeError, match="temperature"):
        fastact.softmax(x, temperature="hot")


@pytest.mark.parametrize("log", FUNCS)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("mask_shape", [(4, 6, 9), (9,), (1, 6, 9), (4, 1, 9), (4, 6, 1)])
@pytest.mark.parametrize("axis", [-1, 1, 0])
def test_masks_broadcast(log, backend, mask_shape, axis, rng):
    x = rng.standard_normal((4, 6, 9))
    mask = rng.random(mask_shape) > 0.3
    got = _f(log)(x, axis=axis, mask=mask, backend=backend)
    full = np.broadcast_to(mask, x.shape)
    masked_value = -np.inf if log else 0.0
    assert np.all(got[~full] == masked_value)
    _check(got, x, axis=axis, mask=mask, log=log)
    # a kept subset equals the plain softmax of that subset
    y1 = _f(log)(x[0, 0], mask=full[0, 0]) if axis == -1 else None
    if y1 is not None and full[0, 0].any():
        np.testing.assert_allclose(y1[full[0, 0]], _f(log)(x[0, 0][full[0, 0]]), rtol=1e-12)


@pytest.mark.parametrize("log", FUNCS)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("axis", [-1, 0])
def test_special_rows(log, backend, axis):
    inf, nan = np.inf, np.nan
    rows = np.array([
        [-inf, -inf, -inf, -inf],    # all -inf -> 0 / -inf
        [1.0, nan, 2.0, 3.0],        # NaN -> NaN row
        [1.0, inf, 2.0, inf],        # +inf -> limit: 1/2 on the infs
        [0.0, 1.0, 2.0, 3.0],        # fully masked below
        [5.0, nan, 1.0, 1.0],        # the NaN is masked: ignored
    ])
    mask = np.array([[True] * 4, [True] * 4, [True] * 4, [False] * 4, [True, False, True, True]])
    x, m = (rows, mask) if axis == -1 else (rows.T.copy(), mask.T.copy())
    got = _f(log)(x, axis=axis, mask=m, backend=backend)
    got = got if axis == -1 else got.T
    lo = -inf if log else 0.0
    np.testing.assert_array_equal(got[0], [lo] * 4)
    assert np.isnan(got[1]).all()
    half = np.log(0.5) if log else 0.5
    np.testing.assert_allclose(got[2], [lo, half, lo, half])
    np.testing.assert_array_equal(got[3], [lo] * 4)
    assert np.isfinite(got[4][[0, 2, 3]]).all() and got[4][1] == lo
    for row in (0, 3):
        assert not np.isnan(got[row]).any()


@pytest.mark.parametrize("log", FUNCS)
@pytest.mark.parametrize("n", [1, 4, 7, 12, 13, 16, 17, 20, 32, 33])
@pytest.mark.parametrize("layout", ["contiguous", "row_strided", "in_place"])
def test_short_rows_in_blocks_with_special_rows(log, n, layout, dtype, rng):
    """Short rows go a block of rows at a time (the Cython kernel): the special rows in a
    block (NaN, +inf, nothing above -inf) are left to the general kernel, the others
    match the reference, in every block including a partial last one."""
    x = (rng.standard_normal((150, n)) * 5).astype(dtype)
    x[3, 0], x[70, :], x[149, -1] = np.nan, -np.inf, np.inf
    if n > 1:
        x[71, [0, n - 1]] = np.inf
    expected = _f(log)(x, backend="numpy")
    if layout == "row_strided":
        wide = np.zeros((150, n + 5), dtype)
        wide[:, :n] = x
        got = _f(log)(wide[:, :n])
    elif layout == "in_place":
        got = x.copy()
        assert _f(log)(got, out=got) is got
    else:
        got = _f(log)(x)
    special = [3, 70, 71, 149]
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_array_equal(got[special], expected[special])
    normal = np.setdiff1d(np.arange(150), special)
    _check(got[normal], x[normal], log=log)


@pytest.mark.parametrize("log", FUNCS)
def test_every_short_row_length_and_row_count(log, dtype, rng):
    """Rows of 1..33 elements (the transposed block takes up to 32, in tiles of 16 / 8
    columns and 16 / 8 rows) and row counts around the tile and block sizes, contiguous
    and with a row stride, match the reference."""
    f = _f(log)
    for n in range(1, 34):
        for rows in (1, 7, 16, 17, 63, 65, 130):
            x = (rng.standard_normal((rows, n + 3)) * 6).astype(dtype)
            _check(f(x[:, :n]), x[:, :n], log=log)
            c = np.ascontiguousarray(x[:, :n])
            _check(f(c), c, log=log)
            _check(f(c[::-1], temperature=2.5), c[::-1], temperature=2.5, log=log)
            out = np.zeros((rows, n + 2), dtype)          # an output with its own row stride
            f(c, out=out[:, :n])
            _check(out[:, :n], c, log=log)
            assert np.all(out[:, n:] == 0)


def test_tiny_softmax_outputs_keep_their_subnormal_value(dtype):
    """Outputs deep in the subnormal range (terms far below the row's max, three entries
    at the max so the sum is not 1) are within half a subnormal step of the exact value
    -- rounded once, not flushed to 0 -- in the short-row (block) and long-row kernels."""
    tiny = float(np.finfo(dtype).smallest_subnormal)
    far = ([-95.0, -98.0, -100.0, -101.5, -102.5] if dtype == np.float32
           else [-715.0, -722.0, -730.0, -736.0, -740.0])
    for n in (8, 1000):
        x = np.full(n, -1e4)
        x[:3] = 0.0
        x[3:8] = far
        got = fastact.softmax(x.astype(dtype)).astype(np.float64)
        ref = _ref64(x)
        assert np.all(np.abs(got - ref) <= 0.5 * tiny + 4 * np.finfo(dtype).eps * ref), n
        assert np.all(got[3:8] > 0)


@pytest.mark.parametrize("log", FUNCS)
@pytest.mark.parametrize("n", [7, 20, 32])
def test_short_rows_bitwise_stable(log, n, dtype, rng):
    """Short rows: the same bits for any thread count and in place or not; -inf entries in
    ordinary rows give 0 / -inf; reversed (negative row stride) and broadcast (zero row
    stride) views are right too (within the bounds: a view may differ from its copy in
    the last bit, see README).  5000 rows: a partial last block of 64."""
    f = _f(log)
    x = (rng.standard_normal((5000, n)) * 4).astype(dtype)
    x[::3, 2] = -np.inf
    one, two = f(x, n_threads=1), f(x, n_threads=2)
    np.testing.assert_array_equal(one, two)
    inplace = x.copy()
    f(inplace, out=inplace)
    np.testing.assert_array_equal(inplace, one)
    assert np.all(one[::3, 2] == (-np.inf if log else 0.0))
    _check(one, x, log=log)
    _check(f(x[::-1]), x[::-1], log=log)
    row = np.broadcast_to(x[1], (300, n))
    _check(f(row), row, log=log)


def test_empty_and_zero_d():
    for shape in [(0,), (0, 5), (5, 0), (3, 0, 2)]:
        x = np.zeros(shape, np.float32)
        assert fastact.softmax(x).shape == shape
        assert fastact.log_softmax(x, axis=0).shape == shape
    y = fastact.softmax(np.float32(3.0))
    assert y.shape == () and y == 1.0
    assert fastact.log_softmax(np.array(2.0)) == 0.0
    with pytest.raises(np.exceptions.AxisError):
        fastact.softmax(np.float32(3.0), axis=1)


def test_float16_and_integers():
    x16 = np.arange(12, dtype=np.float16).reshape(3, 4)
    y = fastact.softmax(x16)
    assert y.dtype == np.float16
    np.testing.assert_allclose(y, _ref64(x16), rtol=2e-3)
    out = np.empty_like(x16)
    assert fastact.softmax(x16, out=out) is out and np.array_equal(out, y)
    yi = fastact.log_softmax(np.arange(6).reshape(2, 3))
    assert yi.dtype == np.float64
    fastact.softmax(x16, out=x16)
    np.testing.assert_array_equal(x16, y)


# ---------------------------------------------------------------- backward

def _jacobian(x, log, temperature=1.0):
    """Explicit Jacobian of (log_)softmax(x/T) for one row, float64."""
    p = _ref64(x, temperature=temperature)
    n = x.size
    if log:
        return (np.eye(n) - p[None, :]) / temperature
    return (np.diag(p) - np.outer(p, p)) / temperature


@pytest.mark.parametrize("log", FUNCS)
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("temperature", [1.0, 0.5, 2.5])
def test_backward_is_the_jacobian_vector_product(log, backend, temperature, rng):
    x = rng.standard_normal((6, 13)) * 3
    dy = rng.standard_normal((6, 13))
    y = _f(log)(x, temperature=temperature)
    got = _f(log).backward(dy, y=y, temperature=temperature, backend=backend)
    for r in range(x.shape[0]):
        expected = _jacobian(x[r], log, temperature).T @ dy[r]
        np.testing.assert_allclose(got[r], expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("log", FUNCS)
def test_backward_vs_finite_differences(log, rng):
    x = rng.standard_normal(9)
    dy = rng.standard_normal(9)
    h = 1e-6
    fd = np.array([(dy @ (_f(log)(x + h * e) - _f(log)(x - h * e))) / (2 * h) for e in np.eye(9)])
    np.testing.assert_allclose(_f(log).backward(dy, y=_f(log)(x)), fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("log", FUNCS)
@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("order", ["C", "F"])
def test_backward_every_axis_float32(log, axis, order, rng):
    x = np.asarray(rng.standard_normal((5, 140, 6)), order=order)
    dy = np.asarray(rng.standard_normal(x.shape), order=order)
    y = _f(log)(x, axis=axis)
    ref = reference.softmax_backward(dy, y, axis, 1.0, None, log)
    got = _f(log).backward(dy.astype(np.float32), y=y.astype(np.float32), axis=axis)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_f(log).backward(dy, y=y, axis=axis), ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("log", FUNCS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_backward_with_mask_ignores_masked_entries(log, backend, rng):
    x = rng.standard_normal((5, 12))
    mask = rng.random((5, 12)) > 0.4
    mask[2] = False
    dy = rng.standard_normal((5, 12))
    y = _f(log)(x, mask=mask)
    got = _f(log).backward(dy, y=y, mask=mask, backend=backend)
    assert np.all(got[~mask] == 0)
    for r in range(5):
        k = mask[r]
        if k.any():
            expected = _jacobian(x[r][k], log).T @ dy[r][k]
            np.testing.assert_allclose(got[r][k], expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("log", FUNCS)
@pytest.mark.parametrize("target", ["dy", "y"])
def test_backward_in_place(log, target, rng):
    x = rng.standard_normal((7, 33)).astype(np.float32)
    dy = rng.standard_normal((7, 33)).astype(np.float32)
    y = _f(log)(x)
    expected = _f(log).backward(dy, y=y)
    arrays = {"dy": dy, "y": y}
    res = _f(log).backward(dy, y=y, out=arrays[target])
    assert res is arrays[target]
    np.testing.assert_array_equal(res, expected)


def test_forward_in_place_then_backward_from_output(rng):
    x = rng.standard_normal((4, 50))
    ref_dx = fastact.softmax.backward(np.ones_like(x), y=fastact.softmax(x))
    fastact.softmax(x, out=x)  # x now holds y
    np.testing.assert_array_equal(fastact.softmax.backward(np.ones_like(x), y=x), ref_dx)


def test_backward_shape_mismatch():
    with pytest.raises(ValueError, match="shape"):
        fastact.softmax.backward(np.ones((2, 3)), y=np.ones((3, 2)))


# ---------------------------------------------------------------- long rows, split
# A few contiguous rows of >= 65536 elements (Cython: fewer than 4, Numba: fewer than
# 64) are cut into 16Ki segments that threads share; the cut depends on the shape only.

@pytest.mark.parametrize("log", FUNCS)
@pytest.mark.parametrize("shape", [(1, 70_000), (3, 100_003), (2, 65_536)])
def test_long_rows_split_across_threads(log, shape, dtype, rng):
    x = (rng.standard_normal(shape) * 5).astype(dtype)
    x[0, 5], x[-1, -3] = 40, -np.inf
    f = _f(log)
    one, two = f(x, n_threads=1), f(x, n_threads=2)
    np.testing.assert_array_equal(one, two)          # bitwise: the cut is by shape
    _check(two, x, log=log)
    inplace = x.copy()
    assert f(inplace, out=inplace) is inplace
    np.testing.assert_array_equal(inplace, one)
    dy = rng.standard_normal(shape).astype(dtype)
    b1, b2 = f.backward(dy, y=one, n_threads=1), f.backward(dy, y=one, n_threads=2)
    np.testing.assert_array_equal(b1, b2)
    ref = reference.softmax_backward(dy.astype(np.float64), one.astype(np.float64), -1, 1.0, None, log)
    # the conditioning of dy - total: eps times the magnitudes summed, per element, the
    # total's terms with the double accumulation's n/64 for float64 (as _check)
    d, y = np.abs(dy.astype(np.float64)), one.astype(np.float64)
    acc = 16 + (shape[-1] / 64 if dtype == np.float64 else 0)
    if log:
        bound = 16 * d + acc * np.exp(y) * d.sum(-1, keepdims=True)
    else:
        bound = np.abs(y) * (16 * d + acc * (d * np.abs(y)).sum(-1, keepdims=True))
    tol = np.finfo(dtype).eps * bound + np.finfo(dtype).tiny
    assert np.all(np.abs(b2 - ref) <= tol), np.max(np.abs(b2 - ref) / tol)


@pytest.mark.parametrize("log", FUNCS)
@pytest.mark.parametrize("length", [65_536, 70_000, 100_003])   # 4, 5 and 7 segments
def test_long_rows_do_not_depend_on_where_the_scratch_lands(log, length, dtype, rng):
    """The split's per-segment scratch is allocated per call; the merge must not round
    differently with where the allocator puts it.  It did (a CI failure of the test
    above): gcc guards the merge loop by an overlap check of the scratch arrays, and its
    vector and scalar versions round the row's sum differently (1 ulp), so the path
    taken hung on the distance between two separate allocations.  The scratch is now
    one allocation.  Here the small-buffer caches are drained and refilled in different
    orders before each call, to move the allocations around."""
    x = (rng.standard_normal((2, length)) * 5).astype(dtype)
    x[0, 5], x[-1, -3] = 40, -np.inf
    f = _f(log)
    first = f(x)
    n_seg = -(-length // 16_384)
    for order in [(0, 1), (1, 0), (0, 2, 1), (2, 1, 0)]:
        for itemsize in (1, 4, 8):
            drained = [np.empty(n_seg * itemsize, np.uint8) for _ in range(10)]
            held = [np.empty(n_seg * itemsize, np.uint8) for _ in range(3)]
            for k in order:
                held[k] = None
            np.testing.assert_array_equal(f(x, n_threads=1 + len(order) % 2), first)
            del drained


def _long_special_rows(n):
    """One-row arrays (each is split by both backends) of every special kind."""
    rows = {}
    x = np.zeros(n); x[40_000] = np.nan; rows["nan in a later segment"] = x
    x = np.zeros(n); x[[9, 50_000]] = np.inf; rows["+inf in two segments"] = x
    rows["all -inf"] = np.full(n, -np.inf)
    x = np.zeros(n); x[:40_000] = -np.inf; rows["whole segments of -inf"] = x
    x = np.zeros(n); x[:40_000] = -np.inf; x[60_000] = np.inf; rows["-inf segments and +inf"] = x
    x = np.zeros(n); x[20_000] = 100.0; rows["one dominant entry"] = x
    return rows


@pytest.mark.parametrize("log", FUNCS)
@pytest.mark.parametrize("in_place", [False, True])
def test_long_special_rows(log, in_place, dtype):
    n = 70_000                                       # 5 segments
    lo = -np.inf if log else 0.0
    half = np.log(0.5) if log else 0.5
    for what, row in _long_special_rows(n).items():
        x = row.astype(dtype)[None, :]
        expected = _f(log)(x, backend="numpy")
        xx = x.copy()
        got = (_f(log)(xx, out=xx) if in_place else _f(log)(xx))[0]
        if what == "nan in a later segment":
            assert np.isnan(got).all(), what
        elif what == "+inf in two segments":
            np.testing.assert_allclose(got[[9, 50_000]], [half, half], rtol=1e-7, err_msg=what)
            assert np.all(np.delete(got, [9, 50_000]) == lo), what
        elif what == "-inf segments and +inf":
            assert got[60_000] == (0.0 if log else 1.0) and np.all(np.delete(got, 60_000) == lo), what
        else:
            np.testing.assert_allclose(got, expected[0], rtol=1e-6, atol=0, err_msg=what)
            if what != "one dominant entry":
                assert np.all(got[:40_000] == lo), what


@pytest.mark.parametrize("log", FUNCS)
@pytest.mark.parametrize("shape", [(7, 300), (300,), (2, 3, 50)])
def test_fast_path_matches_the_general_path(log, shape, dtype, rng):
    """The common call (last axis, T = 1, no mask, like arrays) skips the general
    checks; inside a config block every call takes the general path: same kernels,
    bitwise the same results, and out / in place / backward handled alike."""
    f = fastact.log_softmax if log else fastact.softmax
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    fast = f(x, n_threads=1)
    with fastact.config(n_threads=1):
        general = f(x)
        general_bwd = f.backward(dy, y=general)
    np.testing.assert_array_equal(fast, general)
    np.testing.assert_array_equal(f(x, n_threads=1, temperature=1), general)
    out = np.empty_like(x)
    assert f(x, out=out, n_threads=1) is out
    np.testing.assert_array_equal(out, general)
    y = x.copy()
    assert f(y, out=y, axis=len(shape) - 1, n_threads=1) is y
    np.testing.assert_array_equal(y, general)
    np.testing.assert_array_equal(f.backward(dy, y=fast, n_threads=1), general_bwd)
    g = dy.copy()
    assert f.backward(g, y=fast, out=g, n_threads=1) is g
    np.testing.assert_array_equal(g, general_bwd)


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("order", ["C", "F"])
def test_log_softmax_where_one_term_dominates(axis, order):
    """lse = log(1 + e^-7) = 9.1e-4: the log is taken of the double sum (rounding the sum
    to float first cost 5.5e-5 relative in the column and strided-row kernels)."""
    x = np.array([[7.0, 0.0], [0.0, 0.0]], np.float32)
    x = np.asarray(x if axis == 0 else x.T, order=order)
    got = fastact.log_softmax(x, axis=axis)
    want = -np.log1p(np.exp(-7.0))
    np.testing.assert_allclose(float(got[0, 0]), want, rtol=3e-7)
