# cython: language_level=3
"""Point functions of every activation: the math, apart from the loops.

For each kernel ``k`` named in ``fastact/_registry.py`` (``KERNELS``):

* ``k_fwd(x, p0, p1)``  the activation,
* ``k_der(x, p0, p1)``  its derivative f'(x) (at a kink: the value PyTorch's
  backward uses; NaN in -> NaN out),
* ``k_der_y(y, p0, p1)`` f'(x) computed from the output y = f(x), for the kernels
  in ``KERNELS_WITH_DER_Y``.

``p0``/``p1`` are the numeric parameters in registry order (unused ones are 0).
Loops over arrays live in ``_elementwise.pyx.tp``; they inline these functions.
Selects choose between values computed beforehand (``neg = ...; return x if x > 0
else neg``): Cython emits ``a if c else b`` as an if/else, and gcc if-converts (and so
vectorizes) the in-place loops only when neither branch holds work of its own.
Where float32 arithmetic would lose more than a few ULP (mish, the derivatives of
sigmoid and tanh) the point function computes in double and rounds once; the float
GELU forms stay in float with their ill-conditioned parts carried exactly (float
pairs, exact arguments: vecmath.h).
"""

from cython cimport floating
from libc.math cimport INFINITY, copysign, fabs, fabsf

from scalar_math cimport (
    clamp_abs, exp_neg_abs, exp_nonpos_in_double, fa_silu_f, fa_silu_d, fa_gelu_d, fa_gelu_der_d, fa_gelu_tanh_d, fa_gelu_tanh_der_d, fa_mish_der_d, fa_sigmoid_gated_der_d, fa_gelu_f, fa_gelu_der_f, fa_gelu_tanh_f, fa_gelu_tanh_der_f, fa_silu_der_f, f_abs, f_exp, f_exp_pow2, f_expm1, f_log1p, f_tanh, log1pexp, nan_or, neg_inf_to,
    sigmoid_prime_from_e, stable_sigmoid,
)

cdef extern from *:
    """
    #define FASTACT_SELU_SCALE 1.0507009873554804934193349852946
    #define FASTACT_SELU_ALPHA 1.6732632423543772848170429916717
    #define FASTACT_INV_TWO64 5.42101086242752217e-20
    """
    const double SELU_SCALE "FASTACT_SELU_SCALE"
    const double SELU_ALPHA "FASTACT_SELU_ALPHA"
    const double INV_TWO64 "FASTACT_INV_TWO64"


# ---------------------------------------------------------------- relu family

cdef inline floating relu_fwd(floating x, floating p0, floating p1) noexcept nogil:
    cdef floating zero = 0
    return zero if x <= 0 else x          # NaN -> NaN, -0.0 -> +0.0


cdef inline floating relu_der(floating x, floating p0, floating p1) noexcept nogil:
    cdef floating zero = 0, one = 1
    return one if x > 0 else nan_or(x, zero)


cdef inline floating relu_der_y(floating y, floating p0, floating p1) noexcept nogil:
    return relu_der(y, p0, p1)            # y > 0 exactly when x > 0


cdef inline floating hardtanh_fwd(floating x, floating lo, floating hi) noexcept nogil:
    return lo if x <= lo else (hi if x >= hi else x)


cdef inline floating hardtanh_der(floating x, floating lo, floating hi) noexcept nogil:
    cdef floating zero = 0, one = 1
    return one if ((x > lo) & (x < hi)) else nan_or(x, zero)


cdef inline floating hardtanh_der_y(floating y, floating lo, floating hi) noexcept nogil:
    return hardtanh_der(y, lo, hi)        # lo < y < hi exactly when lo < x < hi


cdef inline floating relu6_fwd(floating x, floating p0, floating p1) noexcept nogil:
    return hardtanh_fwd(x, <floating>0, <floating>6)


cdef inline floating relu6_der(floating x, floating p0, floating p1) noexcept nogil:
    return hardtanh_der(x, <floating>0, <floating>6)


cdef inline floating relu6_der_y(floating y, floating p0, floating p1) noexcept nogil:
    return hardtanh_der(y, <floating>0, <floating>6)


cdef inline floating leaky_relu_fwd(floating x, floating alpha, floating p1) noexcept nogil:
    return x if x > 0 else alpha * x


cdef inline floating leaky_relu_der(floating x, floating alpha, floating p1) noexcept nogil:
    cdef floating one = 1
    return one if x > 0 else nan_or(x, alpha)


cdef inline floating leaky_relu_der_y(floating y, floating alpha, floating p1) noexcept nogil:
    return leaky_relu_der(y, alpha, p1)   # valid for alpha > 0 (the API checks)


# prelu: leaky ReLU whose slope comes from a weight array (loops in the template).
cdef inline floating prelu_fwd(floating x, floating w) noexcept nogil:
    return leaky_relu_fwd(x, w, <floating>0)


cdef inline floating prelu_der(floating x, floating w) noexcept nogil:
    return leaky_relu_der(x, w, <floating>0)


cdef inline floating prelu_der_weight(floating x) noexcept nogil:
    """d prelu / d weight = x where x <= 0, else 0 (NaN -> NaN)."""
    cdef floating zero = 0
    return zero if x > 0 else x


cdef inline floating identity_fwd(floating x, floating p0, floating p1) noexcept nogil:
    return x


cdef inline floating identity_der(floating x, floating p0, floating p1) noexcept nogil:
    return nan_or(x, <floating>1)


cdef inline floating identity_der_y(floating y, floating p0, floating p1) noexcept nogil:
    return nan_or(y, <floating>1)


# ---------------------------------------------------------------- hard* and softsign

cdef inline floating hardsigmoid_fwd(floating x, floating p0, floating p1) noexcept nogil:
    cdef floating zero = 0, one = 1, three = 3, six = 6
    return zero if x <= -three else (one if x >= three else (x + three) / six)


cdef inline floating hardsigmoid_der(floating x, floating p0, floating p1) noexcept nogil:
    cdef floating zero = 0, three = 3, sixth = <floating>(1.0 / 6.0)
    return sixth if ((x > -three) & (x < three)) else nan_or(x, zero)


cdef inline floating hardswish_fwd(floating x, floating p0, floating p1) noexcept nogil:
    cdef floating zero = 0, three = 3, six = 6
    return zero if x <= -three else (x if x >= three else x * (x + three) / six)


cdef inline floating hardswish_der(floating x, floating p0, floating p1) noexcept nogil:
    cdef floating zero = 0, one = 1, half = <floating>0.5, three = 3
    return nan_or(x, zero if x < -three else (x / three + half if x <= three else one))


cdef inline floating softsign_fwd(floating x, floating p0, floating p1) noexcept nogil:
    cdef floating one = 1
    cdef floating ax = f_abs(x)
    return <floating>copysign(1.0, x) if ax == INFINITY else x / (one + ax)


cdef inline floating softsign_der(floating x, floating p0, floating p1) noexcept nogil:
    cdef floating one = 1
    cdef floating d = one + f_abs(x)
    return one / (d * d)


# ---------------------------------------------------------------- sigmoid family
# One exp(-|x|) per element feeds sigmoid, logsigmoid, softplus, silu, mish, tanh'.

cdef inline floating sigmoid_fwd(floating x, floating p0, floating p1) noexcept nogil:
    return stable_sigmoid(x)


cdef inline floating sigmoid_der(floating x, floating p0, floating p1) noexcept nogil:
    if floating is float:       # in double from the unrounded float exp, rounded once
        return <float>sigmoid_prime_from_e(exp_nonpos_in_double(-fabsf(x)))
    else:
        return sigmoid_prime_from_e(exp_neg_abs(x))


cdef inline floating sigmoid_der_y(floating y, floating p0, floating p1) noexcept nogil:
    cdef floating one = 1
    return y * (one - y)


cdef inline floating logsigmoid_fwd(floating x, floating p0, floating p1) noexcept nogil:
    cdef floating zero = 0
    return (x if x < 0 else zero) - f_log1p(exp_neg_abs(x))


cdef inline floating logsigmoid_der(floating x, floating p0, floating p1) noexcept nogil:
    # sigmoid(-x)
    return stable_sigmoid(-x)


cdef inline floating softplus_fwd(floating x, floating beta, floating threshold) noexcept nogil:
    cdef floating z = beta * x
    cdef floating smooth = log1pexp(z) / beta
    return x if z > threshold else smooth


cdef inline floating softplus_der(floating x, floating beta, floating threshold) noexcept nogil:
    cdef floating one = 1
    cdef floating z = beta * x
    cdef floating s = stable_sigmoid(z)
    return one if z > threshold else s


# silu: in float32, sigmoid(x) is subnormal below x = -87 while x*sigmoid(x) is not:
# x times the scaled exp(-|x|) goes into the one division (``fa_silu_f``), whose
# quotient is rounded once even where it is subnormal.  The derivative from float
# pairs scaled by down last (``fa_silu_der_f``, gradual underflow).  float64 likewise,
# with 2^128 exp(-|x|) (``fa_silu_d``).

cdef inline floating silu_fwd(floating x, floating p0, floating p1) noexcept nogil:
    if floating is float:
        return fa_silu_f(x)
    else:
        return fa_silu_d(x)


cdef inline floating silu_der(floating x, floating p0, floating p1) noexcept nogil:
    # sigmoid(x) + x*sigmoid(x)*sigmoid(-x); float: float pairs, one exp; double: the
    # gated-sigmoid form of vecmath.h (double-double where it cancels, x ~ -1.28), with
    # 2^64 exp(-|x|) normal where exp(-|x|) is subnormal (x < -708)
    if floating is float:
        return fa_silu_der_f(x)
    else:
        return fa_sigmoid_gated_der_d(x < 0, f_exp_pow2(-f_abs(x), 64), clamp_abs(x, 1e4), 0.0)


cdef inline double tanh_softplus_parts(double x, double* one_minus) noexcept nogil:
    """tanh(softplus(x)) and 1 - tanh(softplus(x)), both without cancellation.

    With e = exp(-|x|): x >= 0: t = (1+2e)/(1+2e+2e^2), 1-t = 2e^2/(1+2e+2e^2);
    x < 0: t = e(2+e)/(2+2e+e^2), 1-t = 2/(2+2e+e^2)."""
    cdef double e = exp_neg_abs(x)
    cdef double dp = 1.0 + 2.0 * e + 2.0 * e * e
    cdef double dn = 2.0 + 2.0 * e + e * e
    one_minus[0] = (2.0 * e * e) / dp if x >= 0 else 2.0 / dn
    return (1.0 + 2.0 * e) / dp if x >= 0 else e * (2.0 + e) / dn


cdef inline double tanh_softplus_w(double x, double e) noexcept nogil:
    """w in [0, 1/2] with tanh(softplus(x)) = 1 - w for x >= 0 and e (1 - w) for x < 0,
    e = exp(-|x|): 2e^2/(1+2e+2e^2), resp. e(1+e)/(2+2e+e^2); the rounding errors of
    the small w are damped in 1 - w (float64 mish: ~2 ulp where t itself costs ~4)."""
    cdef double num = 2.0 * e * e if x >= 0 else e * (1.0 + e)
    cdef double den = 1.0 + 2.0 * e + 2.0 * e * e if x >= 0 else 2.0 + 2.0 * e + e * e
    return num / den


# mish, computed in double.  float: x t (the float inputs keep exp(-|x|) >= e^-104,
# normal in double, and one final rounding makes it 0.5 ulp).  double: x < 0 as
# x e (1 - w) with 2^64 e (normal where e is subnormal, x < -708) and the 2^-64 applied
# last (one rounding, gradual underflow), x >= 0 as x - x w.

cdef inline floating mish_fwd(floating x, floating p0, floating p1) noexcept nogil:
    cdef double xd = x, d, e64, w, pos, neg
    if floating is float:
        return <float>neg_inf_to(xd, xd * tanh_softplus_parts(xd, &d), -0.0)
    e64 = f_exp_pow2(-fabs(xd), 64)                       # 2^64 exp(-|x|)
    w = tanh_softplus_w(xd, e64 * INV_TWO64)
    pos = xd - clamp_abs(xd, 1e300) * w                   # inf - 0
    neg = ((xd * e64) * (1.0 - w)) * INV_TWO64
    return neg_inf_to(xd, pos if xd > 0 else neg, -0.0)   # -0.0 -> -0.0 (the neg form)


cdef inline floating mish_der(floating x, floating p0, floating p1) noexcept nogil:
    # t + x*sigmoid(x)*(1 - t^2), with 1 - t^2 = d*(2 - d), d = 1 - t; float: in double,
    # rounded once.  double: the terms cancel around mish's minimum, so vecmath.h
    # carries them as double-double pairs.
    cdef double xd = x, d, t, w
    if floating is float:
        t = tanh_softplus_parts(xd, &d)
        w = stable_sigmoid(xd) * (d * (2.0 - d))
        return <float>(t + clamp_abs(xd, 1e300) * w)
    else:
        return fa_mish_der_d(xd)


cdef inline floating tanh_fwd(floating x, floating p0, floating p1) noexcept nogil:
    return f_tanh(x)


cdef inline floating tanh_der(floating x, floating p0, floating p1) noexcept nogil:
    # 1 - tanh(x)^2 = 4 e/(1+e)^2 with e = exp(-2|x|); float: in double from the
    # unrounded float exp, rounded once
    cdef floating four = 4, two = 2
    if floating is float:
        return <float>(4.0 * sigmoid_prime_from_e(exp_nonpos_in_double(-2.0 * fabsf(x))))
    else:
        return four * sigmoid_prime_from_e(f_exp(-two * f_abs(x)))


cdef inline floating tanh_der_y(floating y, floating p0, floating p1) noexcept nogil:
    cdef floating one = 1
    return (one - y) * (one + y)


# ---------------------------------------------------------------- ELU family (expm1)

cdef inline floating elu_fwd(floating x, floating alpha, floating p1) noexcept nogil:
    cdef floating neg = alpha * f_expm1(x)
    return x if x > 0 else neg


cdef inline floating elu_der(floating x, floating alpha, floating p1) noexcept nogil:
    cdef floating one = 1
    cdef floating neg = alpha * f_exp(x)
    return one if x > 0 else neg


cdef inline floating elu_der_y(floating y, floating alpha, floating p1) noexcept nogil:
    cdef floating one = 1
    return one if y > 0 else y + alpha


cdef inline floating selu_fwd(floating x, floating p0, floating p1) noexcept nogil:
    cdef floating scale = <floating>SELU_SCALE
    cdef floating scale_alpha = <floating>(SELU_SCALE * SELU_ALPHA)
    cdef floating neg = scale_alpha * f_expm1(x)
    return scale * x if x > 0 else neg


cdef inline floating selu_der(floating x, floating p0, floating p1) noexcept nogil:
    cdef floating scale = <floating>SELU_SCALE
    cdef floating scale_alpha = <floating>(SELU_SCALE * SELU_ALPHA)
    cdef floating neg = scale_alpha * f_exp(x)
    return scale if x > 0 else neg


cdef inline floating selu_der_y(floating y, floating p0, floating p1) noexcept nogil:
    cdef floating scale = <floating>SELU_SCALE
    cdef floating scale_alpha = <floating>(SELU_SCALE * SELU_ALPHA)
    return scale if y > 0 else y + scale_alpha


cdef inline floating celu_fwd(floating x, floating alpha, floating p1) noexcept nogil:
    cdef floating neg = alpha * f_expm1(x / alpha)
    return x if x > 0 else neg


cdef inline floating celu_der(floating x, floating alpha, floating p1) noexcept nogil:
    # exp(x/alpha) in double: the rounding of x/alpha would be amplified |x/alpha| times
    cdef double neg = f_exp(<double>x / <double>alpha)
    return <floating>(1.0 if x > 0 else neg)


cdef inline floating celu_der_y(floating y, floating alpha, floating p1) noexcept nogil:
    cdef floating one = 1
    return one if y > 0 else y / alpha + one


# ---------------------------------------------------------------- GELU
# x*Phi(x) = x/2*erfc(-x/sqrt(2)): the erfc form keeps the negative tail accurate.
# float: all in float, erfc(|x|/sqrt2) as K e^(-x^2/2) times the Mills ratio, a rational
# (vecmath.h, fa_gelu_f, fa_gelu_der_f); double: fa_gelu_d (erf near 0, an exactly
# squared erfc tail), fa_gelu_der_d.

cdef inline floating gelu_fwd(floating x, floating p0, floating p1) noexcept nogil:
    if floating is float:
        return fa_gelu_f(x)
    else:
        return fa_gelu_d(x)       # erf near 0, the exactly squared erfc tail elsewhere


cdef inline floating gelu_der(floating x, floating p0, floating p1) noexcept nogil:
    # Phi(x) + x*phi(x); both forms take (x - x0) g(x) where the terms cancel (vecmath.h)
    if floating is float:
        return fa_gelu_der_f(x)
    else:
        return fa_gelu_der_d(x)


cdef inline floating gelu_tanh_fwd(floating x, floating p0, floating p1) noexcept nogil:
    # x/2*(1 + tanh(u)) = x*sigmoid(2u), u = sqrt(2/pi)*(x + c*x^3): no cancellation;
    # float: 2u plainly in float starts the exp, 2u as a float pair corrects it, the float
    # sigmoid (vecmath.h); double: 2u in double-double (vecmath.h)
    if floating is float:
        return fa_gelu_tanh_f(x)
    else:
        return neg_inf_to(x, fa_gelu_tanh_d(x), -0.0)


cdef inline floating gelu_tanh_der(floating x, floating p0, floating p1) noexcept nogil:
    # sigmoid(2u) + x*sigmoid'(2u)*d(2u)/dx.  float: all in float, (x - x0) g(x) near its
    # zero; double: 2u and x d(2u)/dx as double-double pairs (vecmath.h)
    if floating is float:
        return fa_gelu_tanh_der_f(x)
    else:
        return fa_gelu_tanh_der_d(x)
