"""Point functions of every activation for the Numba backends: the math of
``kernels/activations.pxd`` as plain Python, apart from the loops.

:func:`point_functions` builds them over an elementary-math namespace ``m``
(``exp``, ``exp_pow2``, ``expm1``, ``log1p``, ``tanh``, ``gelu``, ``gelu_der``,
``gelu_tanh``, ``gelu_tanh_gate``, ``mul_err``, ``two_sum``) and wraps each with
``jit``: the CPU backend passes the vectorizable functions of ``vecmath`` and
``register_jitable``; the CUDA backend passes device wrappers of ``math`` and
``cuda.jit(device=True)``.  Python semantics are those of the compiled code, so
``point_functions(math_namespace, lambda f: f)`` runs them as plain Python.

Every function computes in float64 (the loops convert float32 elements on the way in
and round once on the way out), so a float32 result is the correctly rounded value of
a double computation: well within the float32 ULP bounds, with none of the subnormal
tail tricks the float32 Cython kernels need.

For each kernel ``k`` of ``fastact._registry.KERNELS``: ``k_fwd(x, p0, p1)``,
``k_der(x, p0, p1)`` and, for ``KERNELS_WITH_DER_Y``, ``k_der_y(y, p0, p1)``;
``p0``/``p1`` are the numeric parameters in registry order.  Selects choose between
values computed beforehand, as in the Cython point functions, so that loops
if-convert and vectorize.
"""

from __future__ import annotations

SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717
INV_TWO64 = 1.0 / 18446744073709551616.0
NEG_INF = float("-inf")
INF = float("inf")


def point_functions(m, jit) -> dict:
    """name -> compiled point function (see the module docstring)."""
    exp, exp_pow2, expm1, log1p, tanh = m.exp, m.exp_pow2, m.expm1, m.log1p, m.tanh
    gelu, gelu_der_d, gelu_tanh, gelu_tanh_gate = m.gelu, m.gelu_der, m.gelu_tanh, m.gelu_tanh_gate
    mul_err, two_sum = m.mul_err, m.two_sum

    # ------------------------------------------------------------ shared helpers

    @jit
    def nan_or(x, value):
        """``value``, or x itself when x is NaN (derivatives propagate NaN)."""
        return value if x == x else x

    @jit
    def neg_inf_to(x, value, at_neg_inf):
        """``value``, or ``at_neg_inf`` when x is -inf (limits of x*g(x), g(-inf)=0)."""
        return at_neg_inf if x == NEG_INF else value

    @jit
    def clamp_abs(x, bound):
        """x limited to [-bound, bound] (NaN stays NaN)."""
        return bound if x > bound else (-bound if x < -bound else x)

    @jit
    def exp_neg_abs(x):
        """exp(-|x|): never overflows; the one exponential of the sigmoid family."""
        return exp(-abs(x))

    @jit
    def sigmoid_from_e(x, e):
        """sigmoid(x) given e = exp(-|x|): 1/(1+e) for x >= 0, e/(1+e) for x < 0."""
        r = 1.0 / (1.0 + e)
        return r if x >= 0 else e * r

    @jit
    def sigmoid_prime_from_e(e):
        """sigmoid(x)*sigmoid(-x) = e/(1+e)^2 given e = exp(-|x|)."""
        d = 1.0 + e
        return e / (d * d)

    @jit
    def stable_sigmoid(x):
        return sigmoid_from_e(x, exp_neg_abs(x))

    @jit
    def log1pexp(z):
        """log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|))."""
        return (z if z > 0 else 0.0) + log1p(exp_neg_abs(z))

    # ------------------------------------------------------------ relu family

    @jit
    def relu_fwd(x, p0, p1):
        return 0.0 if x <= 0 else x              # NaN -> NaN, -0.0 -> +0.0

    @jit
    def relu_der(x, p0, p1):
        return 1.0 if x > 0 else nan_or(x, 0.0)

    @jit
    def relu_der_y(y, p0, p1):
        return relu_der(y, p0, p1)

    @jit
    def hardtanh_fwd(x, lo, hi):
        return lo if x <= lo else (hi if x >= hi else x)

    @jit
    def hardtanh_der(x, lo, hi):
        return 1.0 if (x > lo) & (x < hi) else nan_or(x, 0.0)

    @jit
    def hardtanh_der_y(y, lo, hi):
        return hardtanh_der(y, lo, hi)

    @jit
    def relu6_fwd(x, p0, p1):
        return hardtanh_fwd(x, 0.0, 6.0)

    @jit
    def relu6_der(x, p0, p1):
        return hardtanh_der(x, 0.0, 6.0)

    @jit
    def relu6_der_y(y, p0, p1):
        return hardtanh_der(y, 0.0, 6.0)

    @jit
    def leaky_relu_fwd(x, alpha, p1):
        return x if x > 0 else alpha * x

    @jit
    def leaky_relu_der(x, alpha, p1):
        return 1.0 if x > 0 else nan_or(x, alpha)

    @jit
    def leaky_relu_der_y(y, alpha, p1):
        return leaky_relu_der(y, alpha, p1)      # valid for alpha > 0 (the API checks)

    @jit
    def prelu_fwd(x, w):
        return leaky_relu_fwd(x, w, 0.0)

    @jit
    def prelu_der(x, w):
        return leaky_relu_der(x, w, 0.0)

    @jit
    def prelu_der_weight(x):
        """d prelu / d weight = x where x <= 0, else 0 (NaN -> NaN)."""
        return 0.0 if x > 0 else x

    @jit
    def identity_fwd(x, p0, p1):
        return x

    @jit
    def identity_der(x, p0, p1):
        return nan_or(x, 1.0)

    @jit
    def identity_der_y(y, p0, p1):
        return nan_or(y, 1.0)

    # ------------------------------------------------------------ hard* and softsign

    @jit
    def hardsigmoid_fwd(x, p0, p1):
        return 0.0 if x <= -3.0 else (1.0 if x >= 3.0 else (x + 3.0) / 6.0)

    @jit
    def hardsigmoid_der(x, p0, p1):
        return 1.0 / 6.0 if (x > -3.0) & (x < 3.0) else nan_or(x, 0.0)

    @jit
    def hardswish_fwd(x, p0, p1):
        return 0.0 if x <= -3.0 else (x if x >= 3.0 else x * (x + 3.0) / 6.0)

    @jit
    def hardswish_der(x, p0, p1):
        return nan_or(x, 0.0 if x < -3.0 else (x / 3.0 + 0.5 if x <= 3.0 else 1.0))

    @jit
    def softsign_fwd(x, p0, p1):
        ax = abs(x)
        sign = -1.0 if x < 0 else 1.0
        return sign if ax == INF else x / (1.0 + ax)

    @jit
    def softsign_der(x, p0, p1):
        d = 1.0 + abs(x)
        return 1.0 / (d * d)

    # ------------------------------------------------------------ sigmoid family

    @jit
    def sigmoid_fwd(x, p0, p1):
        return stable_sigmoid(x)

    @jit
    def sigmoid_der(x, p0, p1):
        return sigmoid_prime_from_e(exp_neg_abs(x))

    @jit
    def sigmoid_der_y(y, p0, p1):
        return y * (1.0 - y)

    @jit
    def logsigmoid_fwd(x, p0, p1):
        return (x if x < 0 else 0.0) - log1p(exp_neg_abs(x))

    @jit
    def logsigmoid_der(x, p0, p1):
        return stable_sigmoid(-x)

    @jit
    def softplus_fwd(x, beta, threshold):
        z = beta * x
        smooth = log1pexp(z) / beta
        return x if z > threshold else smooth

    @jit
    def softplus_der(x, beta, threshold):
        z = beta * x
        s = stable_sigmoid(z)
        return 1.0 if z > threshold else s

    # silu: below x = -708 exp(-|x|) is subnormal; the negative side is computed with
    # t = 2^64 exp(-|x|) and scaled back in one final multiply (gradual underflow)

    @jit
    def silu_fwd(x, p0, p1):
        t = exp_pow2(-abs(x), 64)                     # 2^64 exp(-|x|)
        r = 1.0 / (1.0 + t * INV_TWO64)               # 1/(1 + exp(-|x|))
        pos = x * r
        neg = (x * t * r) * INV_TWO64
        return neg_inf_to(x, pos if x > 0 else neg, -0.0)  # -0.0 -> -0.0 (the neg form)

    @jit
    def sigmoid_gated_der_from(neg, e64, w, wl):
        """f' = sigmoid(v) + x sigmoid(v) sigmoid(-v) v'(x) of x sigmoid(v(x)), v of x's
        sign, from e64 = 2^64 exp(-|v|) and W = x v'(x) = w + wl: c (Y + W e')/Y^2 with
        Y = 1 + e (c = e, e' = 1 below 0; c = 1, e' = e above), Y + W, Y and 1/Y^2 as
        double-double pairs where Y + W cancels (vecmath.h: fa_sigmoid_gated_der_d)."""
        e = e64 * INV_TWO64
        y = 1.0 + e
        yl = (1.0 - y) + e
        yy = y * y
        yyl = mul_err(y, y, yy) + 2.0 * y * yl
        r = 1.0 / yy
        ry = r * yy
        rl = (((1.0 - ry) - mul_err(r, yy, ry)) - r * yyl) * r
        we = w if neg else w * e
        wel = wl if neg else 0.0
        k, kl = two_sum(y, we)
        kl += yl + wel
        kr = k * r
        krl = mul_err(k, r, kr) + k * rl + kl * r
        return ((e64 if neg else 18446744073709551616.0) * (kr + krl)) * INV_TWO64

    @jit
    def silu_der(x, p0, p1):
        # sigmoid(x) + x sigmoid(x) sigmoid(-x): the gated form with v = x, W = x
        return sigmoid_gated_der_from(x < 0.0, exp_pow2(-abs(x), 64), clamp_abs(x, 1e4), 0.0)

    @jit
    def tanh_softplus_w(x, e):
        """w with tanh(softplus(x)) = 1 - w (x >= 0) or e (1 - w) (x < 0), e = exp(-|x|);
        its rounding errors are damped in 1 - w (float64 mish_fwd)."""
        num = 2.0 * e * e if x >= 0 else e * (1.0 + e)
        den = 1.0 + 2.0 * e + 2.0 * e * e if x >= 0 else 2.0 + 2.0 * e + e * e
        return num / den

    @jit
    def mish_fwd(x, p0, p1):
        # x < 0: x e (1 - w) with 2^64 e (normal where e is subnormal), 2^-64 applied last
        e64 = exp_pow2(-abs(x), 64)
        w = tanh_softplus_w(x, e64 * INV_TWO64)
        pos = x - clamp_abs(x, 1e300) * w                 # inf - 0
        neg = ((x * e64) * (1.0 - w)) * INV_TWO64
        return neg_inf_to(x, pos if x > 0 else neg, -0.0)  # -0.0 -> -0.0 (the neg form)

    @jit
    def mish_der(x, p0, p1):
        # t + x sigmoid(x) (1 - t^2) = c (P + x Q/D)/D with e = exp(-|x|):
        #   x < 0: c = e, P = 2 + e, Q = 4 (1 + e), D = 2 + e (2 + e);
        #   x >= 0: c = 1, P = 1 + 2e, Q = 4 e^2 (1 + e), D = 1 + 2e (1 + e).
        # P + x Q/D cancels around mish's minimum: P, D, 1/D and (x < 0) Q are carried
        # as double-double pairs, one division (vecmath.h: fa_mish_der_d)
        xc = clamp_abs(x, 1e4)            # e = 0 beyond; Dekker's split cannot overflow
        neg = x < 0.0
        e64 = exp_pow2(-abs(x), 64)       # c from 2^64 e (normal where e is subnormal)
        e = e64 * INV_TWO64
        y = 1.0 + e
        yl = (1.0 - y) + e
        v = 2.0 + e
        vl = (2.0 - v) + e
        w = v if neg else 2.0 * y
        wl = vl if neg else 2.0 * yl
        u = e * w
        ul = mul_err(e, w, u) + e * wl
        d, dl = two_sum(2.0 if neg else 1.0, u)
        dl += ul
        r = 1.0 / d
        rd = r * d
        rl = (((1.0 - rd) - mul_err(r, d, rd)) - r * dl) * r
        qn = 4.0 * y if neg else 4.0 * (e * e * y)
        qnl = 4.0 * yl if neg else 0.0
        q = qn * r
        ql = mul_err(qn, r, q) + qn * rl + qnl * r
        mq = xc * q
        mql = mul_err(xc, q, mq) + xc * ql
        p2, p2l = two_sum(1.0, 2.0 * e)
        p = v if neg else p2
        pl = vl if neg else p2l
        k, kl = two_sum(p, mq)
        kl += pl + mql
        kr = k * r
        krl = mul_err(k, r, kr) + k * rl + kl * r
        return ((e64 if neg else 18446744073709551616.0) * (kr + krl)) * INV_TWO64

    @jit
    def tanh_fwd(x, p0, p1):
        return tanh(x)

    @jit
    def tanh_der(x, p0, p1):
        # 1 - tanh(x)^2 = 4 e/(1+e)^2 with e = exp(-2|x|)
        return 4.0 * sigmoid_prime_from_e(exp(-2.0 * abs(x)))

    @jit
    def tanh_der_y(y, p0, p1):
        return (1.0 - y) * (1.0 + y)

    # ------------------------------------------------------------ ELU family (expm1)

    @jit
    def elu_fwd(x, alpha, p1):
        neg = alpha * expm1(x)
        return x if x > 0 else neg

    @jit
    def elu_der(x, alpha, p1):
        neg = alpha * exp(x)
        return 1.0 if x > 0 else neg

    @jit
    def elu_der_y(y, alpha, p1):
        return 1.0 if y > 0 else y + alpha

    @jit
    def selu_fwd(x, p0, p1):
        neg = (SELU_SCALE * SELU_ALPHA) * expm1(x)
        return SELU_SCALE * x if x > 0 else neg

    @jit
    def selu_der(x, p0, p1):
        neg = (SELU_SCALE * SELU_ALPHA) * exp(x)
        return SELU_SCALE if x > 0 else neg

    @jit
    def selu_der_y(y, p0, p1):
        return SELU_SCALE if y > 0 else y + SELU_SCALE * SELU_ALPHA

    @jit
    def celu_fwd(x, alpha, p1):
        neg = alpha * expm1(x / alpha)
        return x if x > 0 else neg

    @jit
    def celu_der(x, alpha, p1):
        neg = exp(x / alpha)
        return 1.0 if x > 0 else neg

    @jit
    def celu_der_y(y, alpha, p1):
        return 1.0 if y > 0 else y / alpha + 1.0

    # ------------------------------------------------------------ GELU

    @jit
    def gelu_fwd(x, p0, p1):
        # x*Phi(x): erf near 0, the erfc form (exactly squared) in the tails
        return neg_inf_to(x, gelu(x), -0.0)

    @jit
    def gelu_der(x, p0, p1):
        # Phi(x) + x phi(x), (x - x0) g(x) where the terms cancel (vecmath.gelu_der)
        return gelu_der_d(x)

    @jit
    def gelu_tanh_fwd(x, p0, p1):
        return neg_inf_to(x, gelu_tanh(x), -0.0)

    @jit
    def gelu_tanh_der(x, p0, p1):
        # the gated form with v = 2u(x), W = x v'(x) (vecmath.gelu_tanh_gate)
        e64, w, wl = gelu_tanh_gate(x)
        return sigmoid_gated_der_from(x < 0.0, e64, w, wl)

    defined = dict(locals())
    return {name: f for name, f in defined.items()
            if name.endswith(("_fwd", "_der", "_der_y", "_der_weight"))}
