"""The CUDA backend (fastact._numba.gpu) against the CPU kernels and the NumPy twin.

In CI these run under Numba's CUDA simulator (tests/conftest.py), on small arrays; with
FASTACT_TEST_CUDA=gpu they run on the GPU, and the large-array checks below too.
"""

import subprocess
import sys

import numpy as np
import pytest

import fastact
from _support import assert_same_nonfinite, cases, full_params, specials
from fastact import _registry as reg, reference

cuda = pytest.importorskip("numba.cuda", reason="numba-cuda is in the test extra")
gpu = pytest.importorskip("fastact._numba.gpu")
ON_GPU = not gpu.SIMULATOR
N = 4096 if ON_GPU else 97


def _dev(a):
    return cuda.to_device(np.ascontiguousarray(a) if a.ndim else a)


def _host(d):
    return d.copy_to_host()


def _inputs(dtype, n=N, seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.uniform(-12, 12, n), [-300.0, -80.0, 0.0, -0.0, 1e-30, 3.0, 80.0],
                           specials(dtype).astype(np.float64)]).astype(dtype)


def _close(got, ref, dtype, what="", scale=None):
    """Against the CPU kernels: float32 within a few ulp (different elementary math),
    float64 to 1e-12 relative; ``scale``: an absolute allowance of 4 eps * scale (the
    rounding of y is amplified where f'(y) cancels)."""
    assert_same_nonfinite(got, ref, what)
    fin = np.isfinite(ref)
    rtol, atol = (4e-7, 1e-37) if np.dtype(dtype) == np.float32 else (1e-12, 1e-300)
    if scale is not None:
        atol = atol + 4 * np.finfo(dtype).eps * np.abs(scale[fin])
    err = np.abs(got[fin].astype(np.float64) - ref[fin])
    bad = err > atol + rtol * np.abs(ref[fin])
    assert not bad.any(), f"{what}: {bad.sum()} off, e.g. got {got[fin][bad][:3]}, expected {ref[fin][bad][:3]}"


# ---------------------------------------------------------------- elementwise

@pytest.mark.parametrize("spec,params", cases())
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_every_op_matches_the_cpu_kernels(spec, params, dtype):
    f = fastact.get(spec.name)
    x = _inputs(dtype)
    dy = np.random.default_rng(1).standard_normal(x.size).astype(dtype)
    dx, ddy = _dev(x), _dev(dy)
    _close(_host(f(dx, **params)), f(x, **params), dtype, f"{spec.name} fwd")
    # derivatives: an absolute floor too (cancellation at the zeros of f', as the CPU tests)
    _close(_host(f.derivative(dx, **params)), f.derivative(x, **params), dtype, "der",
           scale=np.ones(x.size))
    _close(_host(f.backward(ddy, dx, **params)), f.backward(dy, x, **params), dtype, "bwd x",
           scale=dy.astype(np.float64))
    if spec.backward_from_y_allowed(full_params(spec, params)):
        y = f(x, **params)
        _close(_host(f.backward(ddy, y=_dev(y), **params)), f.backward(dy, y=y, **params), dtype,
               "bwd y", scale=dy.astype(np.float64) * (1 + np.abs(y.astype(np.float64))))


def test_results_are_device_arrays_of_the_callers_kind_and_out_is_returned():
    x = _inputs(np.float32)
    d = _dev(x)
    y = fastact.sigmoid(d)
    assert type(y) is type(d) and y.shape == d.shape and y.dtype == np.float32
    out = cuda.device_array_like(d)
    assert fastact.sigmoid(d, out=out) is out
    assert fastact.sigmoid(d, out=d) is d  # in place
    np.testing.assert_array_equal(_host(d), _host(out))


@pytest.mark.parametrize("layout", ["c2d", "f2d", "strided1d", "transposed", "sliced2d"])
def test_layouts_in_place_and_out_of_place(layout):
    base = np.random.default_rng(2).uniform(-5, 5, (9, 14))
    host = {"c2d": base, "f2d": np.asfortranarray(base), "strided1d": base.reshape(-1),
            "transposed": base, "sliced2d": base}[layout]
    d = cuda.to_device(host)
    pick = {"strided1d": lambda a: a[::3], "transposed": lambda a: a.T,
            "sliced2d": lambda a: a[1:8:2, ::3]}.get(layout, lambda a: a)
    view, hview = pick(d), pick(host)
    expected = fastact.gelu(hview)
    np.testing.assert_allclose(_host(fastact.gelu(view)), expected, rtol=1e-12)
    fastact.gelu(view, out=view)
    np.testing.assert_allclose(_host(view), expected, rtol=1e-12)


def test_three_d_non_contiguous_is_refused_not_copied():
    d = cuda.to_device(np.ones((4, 5, 6)))
    with pytest.raises(ValueError, match="contiguous"):
        fastact.relu(d[:, ::2, :])


def test_host_and_device_never_mix():
    x = np.linspace(-1, 1, 8)
    d = _dev(x)
    with pytest.raises(TypeError, match='backend="cuda" computes on GPU arrays'):
        fastact.relu(x, backend="cuda")
    with pytest.raises(TypeError, match="GPU array but backend='cython'"):
        fastact.relu(d, backend="cython")
    with pytest.raises(TypeError, match="never copies"):
        fastact.relu.backward(d, x)
    with pytest.raises(TypeError, match="out must be a GPU array"):
        fastact.relu(d, out=np.empty(8))
    expected = fastact.relu(x)
    with fastact.config(backend="cuda"):
        np.testing.assert_array_equal(_host(fastact.relu(d)), expected)


def test_bad_device_input_is_refused_before_writing():
    d = _dev(np.linspace(-1, 1, 8))
    with pytest.raises(TypeError, match="float32 and float64"):
        fastact.relu(_dev(np.ones(4, np.float16)))
    with pytest.raises(ValueError, match="shape"):
        fastact.relu.backward(d, _dev(np.ones(7)))
    with pytest.raises(TypeError, match="dtype"):
        fastact.relu(d, out=_dev(np.ones(8, np.float32)))
    base = _dev(np.arange(10.0))
    before = _host(base)
    with pytest.raises(ValueError, match="overlaps"):
        fastact.relu(base[:8], out=base[2:])
    np.testing.assert_array_equal(_host(base), before)
    with pytest.raises(ValueError, match="alpha"):
        fastact.elu(d, alpha=float("nan"))


@pytest.mark.parametrize("wshape", [(), (1,), (6,), (1, 6)])
def test_prelu(wshape):
    rng = np.random.default_rng(3)
    x = rng.uniform(-3, 3, (5, 6))
    w = rng.uniform(0, 1, wshape)
    dy = rng.standard_normal(x.shape)
    dx, dw_ = _dev(x), cuda.to_device(np.asarray(w))
    np.testing.assert_allclose(_host(fastact.prelu(dx, dw_)), fastact.prelu(x, w), rtol=1e-15)
    np.testing.assert_allclose(_host(fastact.prelu.derivative(dx, dw_)),
                               fastact.prelu.derivative(x, w), rtol=1e-15)
    gx, gw = fastact.prelu.backward(_dev(dy), dx, dw_)
    ex, ew = fastact.prelu.backward(dy, x, w)
    np.testing.assert_allclose(_host(gx), ex, rtol=1e-15)
    assert gw.shape == ew.shape
    np.testing.assert_allclose(_host(gw), ew, rtol=1e-12)


def test_prelu_out_overlapping_the_weight_is_refused_and_empty_input_gives_zero_dw():
    base = _dev(np.arange(12.0))
    x = _dev(np.linspace(-1, 1, 6))
    before = _host(base)
    with pytest.raises(ValueError, match="overlaps weight"):
        fastact.prelu(x, base[3:9], out=base[:6])
    np.testing.assert_array_equal(_host(base), before)
    dx, dw = fastact.prelu.backward(_dev(np.ones((0, 4))), _dev(np.ones((0, 4))),
                                    _dev(np.full(4, np.nan)))
    assert dx.shape == (0, 4)
    np.testing.assert_array_equal(_host(dw), np.zeros(4))


def test_prelu_weight_along_another_axis_is_refused():
    with pytest.raises(ValueError, match="last axis"):
        fastact.prelu(_dev(np.ones((5, 6))), _dev(np.ones((5, 1))))


# ---------------------------------------------------------------- softmax

def _sm(log):
    return fastact.log_softmax if log else fastact.softmax


PLANS = {  # (rows, length) small enough for the simulator, and the thresholds that pick
    "warp": ((6, 40), {}),
    "block": ((5, 70), {"WARP_ROW_MAX": 64}),
    "split": ((2, 150), {"SPLIT_MIN_LENGTH": 128, "SEGMENT": 64}),
}


@pytest.mark.parametrize("plan", sorted(PLANS))
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_softmax_plans_match_the_twin(plan, log, dtype, monkeypatch):
    shape, knobs = PLANS[plan]
    for name, value in knobs.items():
        monkeypatch.setattr(gpu, name, value)
    assert gpu.plan(*shape) == plan
    rng = np.random.default_rng(4)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    tol = 2e-6 if dtype == np.float32 else 1e-13
    for t in (1.0, 0.7):
        y = _host(_sm(log)(_dev(x), temperature=t))
        np.testing.assert_allclose(y, reference.softmax(x, -1, t, None, log), rtol=tol, atol=tol)
        g = _host(_sm(log).backward(_dev(dy), y=_dev(y), temperature=t))
        np.testing.assert_allclose(g, reference.softmax_backward(dy, y, -1, t, None, log),
                                   rtol=tol, atol=tol)


@pytest.mark.parametrize("plan", sorted(PLANS))
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_softmax_special_rows_and_mask(plan, log, monkeypatch):
    shape, knobs = PLANS[plan]
    for name, value in knobs.items():
        monkeypatch.setattr(gpu, name, value)
    n = shape[1]
    inf, nan = np.inf, np.nan
    rows = np.random.default_rng(5).standard_normal((5, n))
    rows[0] = -inf
    rows[1, 3] = nan
    rows[2, [1, n - 1]] = inf
    mask = np.ones_like(rows, bool)
    mask[3] = False
    rows[4, 1] = nan
    mask[4, 1] = False
    if plan == "split":
        monkeypatch.setattr(gpu, "SPLIT_MAX_ROWS", 10)
    got = _host(_sm(log)(_dev(rows), mask=cuda.to_device(mask)))
    np.testing.assert_allclose(got, reference.softmax(rows, -1, 1.0, mask, log), rtol=1e-13,
                               atol=1e-300)
    dy = np.random.default_rng(6).standard_normal(rows.shape)
    y = reference.softmax(rows[4:], -1, 1.0, mask[4:], log)
    g = _host(_sm(log).backward(_dev(dy[4:]), y=_dev(y), mask=cuda.to_device(mask[4:])))
    np.testing.assert_allclose(g, reference.softmax_backward(dy[4:], y, -1, 1.0, mask[4:], log),
                               rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_any_axis_in_place(axis):
    x = np.random.default_rng(7).standard_normal((3, 4, 5))
    d = _dev(x)
    assert fastact.softmax(d, axis=axis, out=d) is d
    np.testing.assert_allclose(_host(d), reference.softmax(x, axis, 1.0, None, False), rtol=1e-13)


def test_softmax_mask_must_be_a_device_bool_array_of_x_shape():
    d = _dev(np.ones((2, 3)))
    with pytest.raises(TypeError, match="never copies|GPU"):
        fastact.softmax(d, mask=np.ones((2, 3), bool))
    with pytest.raises(ValueError, match="mask"):
        fastact.softmax(d, mask=cuda.to_device(np.ones(3, bool)))


# ---------------------------------------------------------------- import behaviour

def test_import_fastact_never_imports_numba_cuda():
    code = ("import sys, numpy as np, fastact; fastact.relu(np.ones(3)); "
            "fastact.relu(np.ones(3), backend='numba'); "
            "assert 'numba.cuda' not in sys.modules, 'numba.cuda imported'")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]


def test_numpy_without_row_stack_gets_the_alias(monkeypatch):
    monkeypatch.delattr(np, "row_stack", raising=False)
    gpu._import_cuda()
    assert np.row_stack is np.vstack


# large arrays: only on a real GPU (FASTACT_TEST_CUDA=gpu); not collected elsewhere
if ON_GPU:
    @pytest.mark.parametrize("shape", [(8192, 1024), (64, 32000), (1_000_000, 16), (16, 1_048_576)])
    def test_large_softmax_on_the_gpu_matches_the_cpu(shape):
        x = np.random.default_rng(8).standard_normal(shape).astype(np.float32)
        for log in (False, True):
            np.testing.assert_allclose(_host(_sm(log)(_dev(x))), _sm(log)(x), rtol=2e-5, atol=1e-6)

    @pytest.mark.parametrize("name", [s.name for s in reg.ELEMENTWISE if s.name != "prelu"])
    def test_large_elementwise_on_the_gpu_matches_the_cpu(name):
        x = np.random.default_rng(9).uniform(-20, 20, 1 << 24).astype(np.float32)
        _close(_host(fastact.get(name)(_dev(x))), fastact.get(name)(x), np.float32, name)
