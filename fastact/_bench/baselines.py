"""The NumPy baselines: the fastest idiomatic NumPy for each op, in place with ``out=``
where NumPy allows (scratch buffers allocated outside the timed call).  Where no
better idiom is known the NumPy twin (``fastact.reference``) is used; ``IDIOM``
records which."""

from __future__ import annotations

import numpy as np

from .. import reference

SQRT_2_OVER_PI = float(np.sqrt(2 / np.pi))


def _sigmoid(x, t):
    with np.errstate(over="ignore"):
        np.negative(x, out=x)
        np.exp(x, out=x)
        x += 1
        np.reciprocal(x, out=x)


def _gelu_tanh(x, t):
    np.multiply(x, x, out=t)
    t *= x
    t *= 0.044715
    t += x
    t *= SQRT_2_OVER_PI
    np.tanh(t, out=t)
    t += 1
    t *= 0.5
    x *= t


def _silu(x, t):
    with np.errstate(over="ignore"):
        np.negative(x, out=t)
        np.exp(t, out=t)
        t += 1
        np.divide(x, t, out=x)


def _hardswish(x, t):
    np.add(x, 3, out=t)
    np.clip(t, 0, 6, out=t)
    t /= 6
    x *= t


def _softsign(x, t):
    np.abs(x, out=t)
    t += 1
    x /= t


def _logsigmoid(x, t):
    np.negative(x, out=x)
    np.logaddexp(0, x, out=x)
    np.negative(x, out=x)


def _elu(x, t):
    np.expm1(x, out=x, where=x < 0)


def _mish(x, t):
    np.logaddexp(0, x, out=t)
    np.tanh(t, out=t)
    x *= t


# op -> in-place forward f(x, scratch) for the default parameters
FORWARD = {
    "relu": lambda x, t: np.maximum(x, 0, out=x),
    "relu6": lambda x, t: np.clip(x, 0, 6, out=x),
    "leaky_relu": lambda x, t: np.maximum(x, np.multiply(x, 0.01, out=t), out=x),
    "elu": _elu,
    "gelu(tanh)": _gelu_tanh,
    "silu": _silu,
    "mish": _mish,
    "softplus": lambda x, t: np.logaddexp(0, x, out=x),
    "softsign": _softsign,
    "hardtanh": lambda x, t: np.clip(x, -1, 1, out=x),
    "hardsigmoid": lambda x, t: (np.add(x, 3, out=x), np.clip(x, 0, 6, out=x), np.divide(x, 6, out=x)),
    "hardswish": _hardswish,
    "sigmoid": _sigmoid,
    "logsigmoid": _logsigmoid,
    "tanh": lambda x, t: np.tanh(x, out=x),
    "identity": lambda x, t: np.positive(x, out=x),
}


def forward(op: str, kernel: str, p0: float, p1: float):
    """In-place forward f(x, scratch), and whether it is an idiom or the twin."""
    if op in FORWARD:
        return FORWARD[op], "idiom"
    twin = reference.TWINS[kernel].fwd
    return (lambda x, t: np.copyto(x, twin(x, p0, p1))), "twin"


def derivative(kernel: str, p0: float, p1: float):
    """f'(x) into out: the twin's formula (NumPy idioms with temporaries)."""
    der = reference.TWINS[kernel].der
    return lambda x, out: np.copyto(out, der(x, p0, p1))


def backward(kernel: str, p0: float, p1: float, from_y: bool = False):
    """dy *= f'(x) (or f' computed from y), in place on dy."""
    twin = reference.TWINS[kernel]
    der = twin.der_y if from_y else twin.der
    return lambda dy, xy: np.multiply(dy, der(xy, p0, p1), out=dy)


def softmax(log: bool):
    """In-place (log_)softmax along the last axis: max-subtracted, as NumPy users write it."""
    def run(x):
        x -= x.max(axis=-1, keepdims=True)
        if log:
            x -= np.log(np.exp(x).sum(axis=-1, keepdims=True))
        else:
            np.exp(x, out=x)
            x /= x.sum(axis=-1, keepdims=True)
    return run


def softmax_backward(log: bool):
    """In place on dy, from the output y."""
    def run(dy, y):
        if log:
            dy -= np.exp(y) * dy.sum(axis=-1, keepdims=True)
        else:
            dy -= (dy * y).sum(axis=-1, keepdims=True)
            dy *= y
    return run
