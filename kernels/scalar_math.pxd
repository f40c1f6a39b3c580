# cython: language_level=3
"""Shared scalar math for the fastact kernels: dtype-generic elementary functions and
the numerically stable helpers every activation family uses.

exp, expm1, log1p, tanh come from vecmath.h: branch-free, so that the loops which
inline them vectorize (a libm call would keep every loop scalar).  log is only used
once per softmax row and stays libm.

All functions are ``cdef inline ... noexcept nogil`` on the fused type ``floating``:
one body serves float32 and float64, and the ``floating is float`` tests are resolved
at compile time.  Constants are cast to ``floating`` first: a bare ``1.0`` is a C
double and would silently promote float32 arithmetic.
"""

from cython cimport floating
from libc.math cimport INFINITY, fabs, fabsf, log, logf


cdef extern from "vecmath.h" nogil:
    float fa_expf(float x)
    double fa_exp(double x)
    float fa_expf_nonpos(float t)
    double fa_exp_nonpos(double t)
    float fa_expf_pow2(float x, int k)
    double fa_exp_pow2(double x, long long k)
    float fa_expm1f(float x)
    double fa_expm1(double x)
    float fa_log1pf(float x)
    double fa_log1p(double x)
    float fa_tanhf(float x)
    double fa_tanh(double x)
    double fa_gelu_d(double x)
    double fa_gelu_der_d(double x)
    double fa_gelu_tanh_d(double x)
    double fa_gelu_tanh_der_d(double x)
    double fa_sigmoid_gated_der_d(int neg, double e64, double w, double wl)
    double fa_mish_der_d(double x)
    float fa_gelu_f(float x)
    float fa_gelu_der_f(float x)
    float fa_gelu_tanh_f(float x)
    float fa_gelu_tanh_der_f(float x)
    float fa_silu_der_f(float x)
    float fa_exp_split_f(float t, float* s, float* down)
    float fa_silu_f(float x)
    float fa_sigmoid_f(float x)
    double fa_sigmoid_d(double x)
    double fa_silu_d(double x)


# ---------------------------------------------------------------- by dtype

cdef inline floating f_exp(floating x) noexcept nogil:
    if floating is float:
        return fa_expf(x)
    else:
        return fa_exp(x)


cdef inline floating f_exp_pow2(floating x, int k) noexcept nogil:
    """e^x * 2^k, scaled exactly (stays normal where e^x alone would be subnormal)."""
    if floating is float:
        return fa_expf_pow2(x, k)
    else:
        return fa_exp_pow2(x, k)


cdef inline floating f_expm1(floating x) noexcept nogil:
    if floating is float:
        return fa_expm1f(x)
    else:
        return fa_expm1(x)


cdef inline floating f_log1p(floating x) noexcept nogil:
    if floating is float:
        return fa_log1pf(x)
    else:
        return fa_log1p(x)


cdef inline floating f_log(floating x) noexcept nogil:
    if floating is float:
        return logf(x)
    else:
        return log(x)


cdef inline floating f_tanh(floating x) noexcept nogil:
    if floating is float:
        return fa_tanhf(x)
    else:
        return fa_tanh(x)


cdef inline floating f_abs(floating x) noexcept nogil:
    if floating is float:
        return fabsf(x)
    else:
        return fabs(x)


# ---------------------------------------------------------------- selects
# Written as conditional expressions (compiled to compare + blend, no branch) so
# that gcc -O3 -fno-trapping-math can vectorize the loops that inline them.

cdef inline floating nan_or(floating x, floating value) noexcept nogil:
    """``value``, or x itself when x is NaN (derivatives propagate NaN)."""
    return value if x == x else x


cdef inline floating neg_inf_to(floating x, floating value, floating at_neg_inf) noexcept nogil:
    """``value``, or ``at_neg_inf`` when x is -inf (limits of x*g(x), g(-inf)=0)."""
    return at_neg_inf if x == -INFINITY else value


cdef inline floating clamp_abs(floating x, floating bound) noexcept nogil:
    """x limited to [-bound, bound] (NaN stays NaN).  ``f + clamp_abs(x, big) * w``
    gives the limit f where x = +-inf meets w = 0, without the select on the product
    that would make scalar and vector code contract to FMA differently."""
    return bound if x > bound else (-bound if x < -bound else x)


# ---------------------------------------------------------------- stable helpers

cdef inline floating exp_neg_abs(floating x) noexcept nogil:
    """exp(-|x|): never overflows; the one exponential of the sigmoid family (the exp of
    t <= 0: no overflow clamp or NaN select, bitwise ``f_exp``'s results)."""
    if floating is float:
        return fa_expf_nonpos(-fabsf(x))
    else:
        return fa_exp_nonpos(-fabs(x))


cdef inline floating sigmoid_prime_from_e(floating e) noexcept nogil:
    """sigmoid(x)*sigmoid(-x) = e/(1+e)^2 given e = exp(-|x|) (no cancellation)."""
    cdef floating one = 1
    cdef floating d = one + e
    return e / (d * d)


cdef inline float sigmoid_f(float x) noexcept nogil:
    """sigmoid(x), float, <= 1.53 ulp (vecmath.h: fa_sigmoid_f)."""
    return fa_sigmoid_f(x)


cdef inline double exp_nonpos_in_double(float t) noexcept nogil:
    """exp(t) for float t <= 0 as a double holding the float exp's unrounded value
    (a few units of 2^-26 off, never subnormal): float32 derivatives combine it in
    double and round once.  2^-173 for t <= -120."""
    cdef float s, down
    cdef float pm1 = fa_exp_split_f(t, &s, &down)
    return (<double>s * <double>down) * (1.0 + <double>pm1)


cdef inline floating stable_sigmoid(floating x) noexcept nogil:
    """sigmoid(x), full relative accuracy in both tails (1/(1+e) for x >= 0, e/(1+e)
    below, e = exp(-|x|)); float: <= 1.53 ulp (``sigmoid_f``); double: one division
    of 2^128-scaled terms (vecmath.h: fa_sigmoid_d)."""
    if floating is float:
        return sigmoid_f(x)
    else:
        return fa_sigmoid_d(x)


cdef inline floating log1pexp(floating z) noexcept nogil:
    """log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)): no overflow, accurate tails."""
    cdef floating zero = 0
    return (z if z > 0 else zero) + f_log1p(exp_neg_abs(z))
