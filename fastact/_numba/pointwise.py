"""Point functions of every activation for the Numba backends: the math of
``kernels/activations.pxd`` as plain Python, apart from the loops.

:func:`point_functions` builds them over an elementary-math namespace ``m``
(``exp``, ``exp_pow2``, ``expm1``, ``log1p``, ``tanh``, ``erfc``, ``gelu``,
``gelu_tanh``) and wraps each with
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
INV_SQRT_2PI = 0.39894228040143267793994605993438
SQRT_2_OVER_PI = 0.79788456080286535587989211986876
SQRT1_2 = 0.70710678118654752440084436210485
GELU_TANH_C = 0.044715
INV_TWO64 = 1.0 / 18446744073709551616.0
NEG_INF = float("-inf")
INF = float("inf")


def point_functions(m, jit) -> dict:
    """name -> compiled point function (see the module docstring)."""
    exp, exp_pow2, expm1, log1p, tanh, erfc = m.exp, m.exp_pow2, m.expm1, m.log1p, m.tanh, m.erfc
    gelu, gelu_tanh = m.gelu, m.gelu_tanh

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
    def silu_der(x, p0, p1):
        # sigmoid(x) + x*sigmoid(x)*sigmoid(-x), scaled by 2^64 on the negative side
        t = exp_pow2(-abs(x), 64)
        e = t * INV_TWO64
        r = 1.0 / (1.0 + e)
        xc = clamp_abs(x, 1e300)                      # +-inf * 0 -> the limit 0
        pos = r + xc * (e * r * r)
        neg = (t * ((1.0 + xc) + e)) * (r * r) * INV_TWO64   # e (1 + x + e)/(1 + e)^2
        return pos if x >= 0 else neg

    @jit
    def tanh_softplus_w(x, e):
        """w with tanh(softplus(x)) = 1 - w (x >= 0) or e (1 - w) (x < 0), e = exp(-|x|);
        its rounding errors are damped in 1 - w (float64 mish_fwd)."""
        num = 2.0 * e * e if x >= 0 else e * (1.0 + e)
        den = 1.0 + 2.0 * e + 2.0 * e * e if x >= 0 else 2.0 + 2.0 * e + e * e
        return num / den

    @jit
    def tanh_softplus(x):
        """(tanh(softplus(x)), 1 - tanh(softplus(x))), both without cancellation."""
        e = exp_neg_abs(x)
        dp = 1.0 + 2.0 * e + 2.0 * e * e
        dn = 2.0 + 2.0 * e + e * e
        one_minus = (2.0 * e * e) / dp if x >= 0 else 2.0 / dn
        t = (1.0 + 2.0 * e) / dp if x >= 0 else e * (2.0 + e) / dn
        return t, one_minus

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
        # t + x*sigmoid(x)*(1 - t^2), with 1 - t^2 = d*(2 - d), d = 1 - t
        t, d = tanh_softplus(x)
        w = stable_sigmoid(x) * (d * (2.0 - d))
        return t + clamp_abs(x, 1e300) * w

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
        pdf = exp(-0.5 * x * x) * INV_SQRT_2PI
        return 0.5 * erfc(-x * SQRT1_2) + clamp_abs(x, 1e300) * pdf

    @jit
    def gelu_tanh_fwd(x, p0, p1):
        return neg_inf_to(x, gelu_tanh(x), -0.0)

    @jit
    def gelu_tanh_der(x, p0, p1):
        xc = clamp_abs(x, 1e100)        # beyond 1e100 sigmoid' is 0: no inf*0 from x^2
        u2 = 2.0 * SQRT_2_OVER_PI * (xc + GELU_TANH_C * xc * xc * xc)
        e = exp_neg_abs(u2)
        du2 = 2.0 * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_C * xc * xc)
        return sigmoid_from_e(u2, e) + xc * sigmoid_prime_from_e(e) * du2

    defined = dict(locals())
    return {name: f for name, f in defined.items()
            if name.endswith(("_fwd", "_der", "_der_y", "_der_weight"))}
