"""High-precision (mpmath) definitions of every kernel, written straight from the
formulas: the independent reference that the float64 NumPy twin is checked against."""

import mpmath as mp

SELU_SCALE = mp.mpf("1.0507009873554804934193349852946")
SELU_ALPHA = mp.mpf("1.6732632423543772848170429916717")


def _s(x):
    return 1 / (1 + mp.exp(-x))


def _step(cond):
    return mp.mpf(1) if cond else mp.mpf(0)


def _gelu_tanh(x):
    # x/2*(1 + tanh(u)) written as x/(1 + exp(-2u)): the same function, without the
    # cancellation that 40 digits cannot absorb in the negative tail
    return x / (1 + mp.exp(-2 * mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x ** 3)))


def _mish(x):
    return x * mp.tanh(mp.log1p(mp.exp(x)))


MP = {
    # kernel: (f(x, p0, p1), f'(x, p0, p1))
    "relu": (lambda x, a, b: max(x, 0), lambda x, a, b: _step(x > 0)),
    "relu6": (lambda x, a, b: min(max(x, 0), 6), lambda x, a, b: _step(0 < x < 6)),
    "leaky_relu": (lambda x, a, b: x if x > 0 else a * x,
                   lambda x, a, b: mp.mpf(1) if x > 0 else mp.mpf(a)),
    "hardtanh": (lambda x, lo, hi: min(max(x, lo), hi), lambda x, lo, hi: _step(lo < x < hi)),
    "hardsigmoid": (lambda x, a, b: min(max(x + 3, 0), 6) / 6,
                    lambda x, a, b: _step(-3 < x < 3) / 6),
    "hardswish": (lambda x, a, b: x * min(max(x + 3, 0), 6) / 6,
                  lambda x, a, b: 0 if x < -3 else (x / 3 + mp.mpf(1) / 2 if x <= 3 else 1)),
    "identity": (lambda x, a, b: x, lambda x, a, b: mp.mpf(1)),
    "softsign": (lambda x, a, b: x / (1 + abs(x)), lambda x, a, b: 1 / (1 + abs(x)) ** 2),
    "sigmoid": (lambda x, a, b: _s(x), lambda x, a, b: _s(x) * _s(-x)),
    "logsigmoid": (lambda x, a, b: -mp.log1p(mp.exp(-x)), lambda x, a, b: _s(-x)),
    "tanh": (lambda x, a, b: mp.tanh(x), lambda x, a, b: 1 / mp.cosh(x) ** 2),
    "softplus": (lambda x, beta, thr: x if beta * x > thr else mp.log1p(mp.exp(beta * x)) / beta,
                 lambda x, beta, thr: mp.mpf(1) if beta * x > thr else _s(beta * x)),
    "silu": (lambda x, a, b: x * _s(x), lambda x, a, b: _s(x) * (1 + x * _s(-x))),
    "mish": (lambda x, a, b: _mish(x), lambda x, a, b: mp.diff(_mish, x)),
    "elu": (lambda x, a, b: x if x > 0 else a * mp.expm1(x),
            lambda x, a, b: mp.mpf(1) if x > 0 else a * mp.exp(x)),
    "selu": (lambda x, a, b: SELU_SCALE * (x if x > 0 else SELU_ALPHA * mp.expm1(x)),
             lambda x, a, b: SELU_SCALE * (1 if x > 0 else SELU_ALPHA * mp.exp(x))),
    "celu": (lambda x, a, b: x if x > 0 else a * mp.expm1(x / a),
             lambda x, a, b: mp.mpf(1) if x > 0 else mp.exp(x / a)),
    "gelu": (lambda x, a, b: x / 2 * mp.erfc(-x / mp.sqrt(2)),
             lambda x, a, b: mp.erfc(-x / mp.sqrt(2)) / 2 + x * mp.npdf(x)),
    "gelu_tanh": (lambda x, a, b: _gelu_tanh(x), lambda x, a, b: mp.diff(_gelu_tanh, x)),
}
