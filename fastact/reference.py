"""The NumPy twin of every fastact kernel.

Written independently of the Cython kernels, in plain NumPy idioms, this module is
the test oracle, the baseline of the benchmarks and the ``backend="numpy"``
implementation.  Every function computes in the dtype of its input (float32 stays
float32) and returns a new array; the public API handles ``out=``, dtypes and layout.

``TWINS[kernel]`` holds ``fwd(x, p0, p1)``, ``der(x, p0, p1)`` and, where the gradient
can be taken from the output, ``der_y(y, p0, p1)`` (``p0``/``p1``: the activation's
numeric parameters in registry order).
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np

SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717
GELU_TANH_C = 0.044715


class Twin(NamedTuple):
    fwd: Callable
    der: Callable
    der_y: Callable | None = None


TWINS: dict[str, Twin] = {}


def _quiet(f):
    def wrapper(*args):
        with np.errstate(all="ignore"):
            return f(*args)
    wrapper.__name__ = f.__name__
    wrapper.__doc__ = f.__doc__
    return wrapper


def _twin(kernel: str, fwd, der, der_y=None):
    TWINS[kernel] = Twin(_quiet(fwd), _quiet(der), _quiet(der_y) if der_y else None)


def _c(x, v):
    """``v`` as a scalar of x's dtype (keeps float32 arithmetic in float32)."""
    return x.dtype.type(v)


def _nan_keep(x, values):
    """values, with NaN wherever x is NaN (derivatives propagate NaN)."""
    return np.where(np.isnan(x), x, values)


def _sigmoid(x):
    # exp of a non-positive number only: no overflow
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _step(x, where_one, value_one, value_zero):
    return _nan_keep(x, np.where(where_one, value_one, value_zero)).astype(x.dtype, copy=False)


# ---------------------------------------------------------------- piecewise linear

_twin("relu",
      lambda x, a, b: np.maximum(x, _c(x, 0)),
      lambda x, a, b: _step(x, x > 0, _c(x, 1), _c(x, 0)),
      lambda y, a, b: _step(y, y > 0, _c(y, 1), _c(y, 0)))
_twin("relu6",
      lambda x, a, b: np.minimum(np.maximum(x, _c(x, 0)), _c(x, 6)),
      lambda x, a, b: _step(x, (x > 0) & (x < 6), _c(x, 1), _c(x, 0)),
      lambda y, a, b: _step(y, (y > 0) & (y < 6), _c(y, 1), _c(y, 0)))
_twin("leaky_relu",
      lambda x, a, b: np.where(x > 0, x, _c(x, a) * x),
      lambda x, a, b: _step(x, x > 0, _c(x, 1), _c(x, a)),
      lambda y, a, b: _step(y, y > 0, _c(y, 1), _c(y, a)))
_twin("hardtanh",
      lambda x, lo, hi: np.minimum(np.maximum(x, _c(x, lo)), _c(x, hi)),
      lambda x, lo, hi: _step(x, (x > lo) & (x < hi), _c(x, 1), _c(x, 0)),
      lambda y, lo, hi: _step(y, (y > lo) & (y < hi), _c(y, 1), _c(y, 0)))
_twin("hardsigmoid",
      lambda x, a, b: np.minimum(np.maximum(x + _c(x, 3), _c(x, 0)), _c(x, 6)) / _c(x, 6),
      lambda x, a, b: _step(x, (x > -3) & (x < 3), _c(x, 1.0 / 6.0), _c(x, 0)))
_twin("hardswish",
      lambda x, a, b: np.where(x <= -3, _c(x, 0),
                               np.where(x >= 3, x, x * (x + _c(x, 3)) / _c(x, 6))),
      lambda x, a, b: _nan_keep(x, np.where(x < -3, _c(x, 0),
                                            np.where(x <= 3, x / _c(x, 3) + _c(x, 0.5), _c(x, 1)))))
_twin("identity",
      lambda x, a, b: x.copy(),
      lambda x, a, b: _nan_keep(x, np.ones_like(x)),
      lambda y, a, b: _nan_keep(y, np.ones_like(y)))
_twin("softsign",
      lambda x, a, b: np.where(np.isinf(x), np.sign(x), x / (1 + np.abs(x))).astype(x.dtype),
      lambda x, a, b: 1 / np.square(1 + np.abs(x)))


# ---------------------------------------------------------------- exponential family

_twin("sigmoid",
      lambda x, a, b: _sigmoid(x),
      lambda x, a, b: _sigmoid(x) * _sigmoid(-x),
      lambda y, a, b: y * (1 - y))
_twin("logsigmoid",
      lambda x, a, b: -np.logaddexp(_c(x, 0), -x),
      lambda x, a, b: _sigmoid(-x))
_twin("tanh",
      lambda x, a, b: np.tanh(x),
      lambda x, a, b: 1 / np.square(np.cosh(x)),
      lambda y, a, b: 1 - np.square(y))


def _softplus(x, beta, threshold):
    z = _c(x, beta) * x
    return np.where(z > threshold, x, np.logaddexp(_c(x, 0), z) / _c(x, beta))


_twin("softplus",
      _softplus,
      lambda x, beta, thr: np.where(_c(x, beta) * x > thr, _c(x, 1), _sigmoid(_c(x, beta) * x)))
_twin("silu",
      lambda x, a, b: np.where(x == -np.inf, _c(x, -0.0), x * _sigmoid(x)),
      lambda x, a, b: np.where(np.isinf(x), (x > 0).astype(x.dtype),
                               _sigmoid(x) * (1 + x * _sigmoid(-x))))


def _mish_der(x):
    t = np.tanh(np.logaddexp(_c(x, 0), x))
    return np.where(np.isinf(x), (x > 0).astype(x.dtype), t + x * _sigmoid(x) * (1 - t * t))


_twin("mish",
      lambda x, a, b: np.where(x == -np.inf, _c(x, -0.0), x * np.tanh(np.logaddexp(_c(x, 0), x))),
      lambda x, a, b: _mish_der(x))
_twin("elu",
      lambda x, alpha, b: np.where(x > 0, x, _c(x, alpha) * np.expm1(x)),
      lambda x, alpha, b: np.where(x > 0, _c(x, 1), _c(x, alpha) * np.exp(x)),
      lambda y, alpha, b: np.where(y > 0, _c(y, 1), y + _c(y, alpha)))
_twin("selu",
      lambda x, a, b: _c(x, SELU_SCALE) * np.where(x > 0, x, _c(x, SELU_ALPHA) * np.expm1(x)),
      lambda x, a, b: _c(x, SELU_SCALE) * np.where(x > 0, _c(x, 1), _c(x, SELU_ALPHA) * np.exp(x)),
      lambda y, a, b: np.where(y > 0, _c(y, SELU_SCALE), y + _c(y, SELU_SCALE * SELU_ALPHA)))
_twin("celu",
      lambda x, alpha, b: np.where(x > 0, x, _c(x, alpha) * np.expm1(x / _c(x, alpha))),
      lambda x, alpha, b: np.where(x > 0, _c(x, 1), np.exp(x / _c(x, alpha))),
      lambda y, alpha, b: np.where(y > 0, _c(y, 1), y / _c(y, alpha) + 1))


# ---------------------------------------------------------------- GELU
# NumPy has no erf/erfc ufunc: math.erfc element by element (slow, but exact to
# about 1 ulp in float64 and independent of the kernels).

_erfc = np.frompyfunc(math.erfc, 1, 1)


def _erfc64(z):
    return np.asarray(_erfc(np.asarray(z, dtype=np.float64)), dtype=np.float64)


def _gelu(x):
    xd = x.astype(np.float64)
    return np.where(xd == -np.inf, -0.0, 0.5 * xd * _erfc64(-xd / math.sqrt(2))).astype(x.dtype)


def _gelu_der(x):
    xd = x.astype(np.float64)
    pdf = np.exp(-0.5 * xd * xd) / math.sqrt(2 * math.pi)
    tail = np.where(np.isinf(xd), 0.0, xd * pdf)
    return (0.5 * _erfc64(-xd / math.sqrt(2)) + tail).astype(x.dtype)


def _gelu_tanh_arg(xd):
    # 2u, where gelu_tanh = x/2*(1 + tanh(u)) = x*sigmoid(2u)
    return 2 * math.sqrt(2 / math.pi) * (xd + GELU_TANH_C * xd ** 3)


def _gelu_tanh(x):
    xd = x.astype(np.float64)
    return np.where(xd == -np.inf, -0.0, xd * _sigmoid(_gelu_tanh_arg(xd))).astype(x.dtype)


def _gelu_tanh_der(x):
    xd = x.astype(np.float64)
    u2 = _gelu_tanh_arg(xd)
    ds = _sigmoid(u2) * _sigmoid(-u2)
    du2 = 2 * math.sqrt(2 / math.pi) * (1 + 3 * GELU_TANH_C * xd * xd)
    tail = np.where(ds == 0, 0.0, xd * ds * du2)
    return (_sigmoid(u2) + tail).astype(x.dtype)


_twin("gelu", lambda x, a, b: _gelu(x), lambda x, a, b: _gelu_der(x))
_twin("gelu_tanh", lambda x, a, b: _gelu_tanh(x), lambda x, a, b: _gelu_tanh_der(x))


# ---------------------------------------------------------------- prelu (weight array)

@_quiet
def prelu(x, w):
    return np.where(x > 0, x, w * x)


@_quiet
def prelu_der(x, w):
    return _nan_keep(x, np.where(x > 0, _c(x, 1), w)).astype(x.dtype, copy=False)


def sum_to_shape(a, shape):
    """``a`` summed over the axes along which an array of ``shape`` was broadcast to
    ``a.shape`` (the gradient of a broadcast operand)."""
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and a.shape[lead + i] != 1)
    return (a.sum(axis=axes) if axes else a).reshape(shape)


@_quiet
def prelu_backward(dy, x, w):
    """(dx, dweight) with dweight summed over the axes w was broadcast along."""
    dx = dy * prelu_der(x, np.broadcast_to(w, x.shape))
    return dx, sum_to_shape(dy * np.where(x > 0, _c(x, 0), x), w.shape)


# ---------------------------------------------------------------- softmax

@_quiet
def softmax(x, axis=-1, temperature=1.0, mask=None, log=False):
    """Max-subtracted (log-)softmax with the fastact conventions for masks, all -inf
    rows (0 / -inf), NaN rows (NaN) and +inf entries (their limit)."""
    keep = np.ones(x.shape, bool) if mask is None else np.broadcast_to(mask, x.shape)
    xm = np.where(keep, x, -np.inf).astype(x.dtype, copy=False)
    mx = np.max(xm, axis=axis, keepdims=True)
    has_nan = np.any(np.isnan(xm), axis=axis, keepdims=True)
    posinf = xm == np.inf
    n_inf = np.sum(posinf, axis=axis, keepdims=True)
    safe_mx = np.where(np.isfinite(mx), mx, 0).astype(x.dtype)
    z = (xm - safe_mx) / _c(x, temperature)
    # the row sum in float64, as the kernels take it (in float32, log(s) near s = 1 would
    # lose ~|log s| / ulp(s): 1e-4 relative at s = 1 + e^-7)
    s = np.sum(np.exp(z), axis=axis, keepdims=True, dtype=np.float64)
    if log:
        y = z - np.log(s)
        y = np.where(n_inf > 0, np.where(posinf, -np.log(np.maximum(n_inf, 1)), -np.inf), y)
        y = np.where(mx == -np.inf, -np.inf, y)
        y = np.where(has_nan, np.where(keep, np.nan, -np.inf), y)
    else:
        y = np.exp(z) / s
        y = np.where(n_inf > 0, np.where(posinf, 1 / np.maximum(n_inf, 1), 0), y)
        y = np.where(mx == -np.inf, 0, y)
        y = np.where(has_nan, np.where(keep, np.nan, 0), y)
    return y.astype(x.dtype, copy=False)


@_quiet
def softmax_backward(dy, y, axis=-1, temperature=1.0, mask=None, log=False):
    keep = np.ones(y.shape, bool) if mask is None else np.broadcast_to(mask, y.shape)
    dyk = np.where(keep, dy, 0).astype(dy.dtype, copy=False)
    if log:
        dx = dyk - np.exp(np.where(keep, y, -np.inf)) * np.sum(dyk, axis=axis, keepdims=True)
    else:
        yk = np.where(keep, y, 0).astype(y.dtype, copy=False)
        dx = yk * (dyk - np.sum(dyk * yk, axis=axis, keepdims=True))
    return np.where(keep, dx / _c(dx, temperature), 0).astype(dy.dtype, copy=False)
