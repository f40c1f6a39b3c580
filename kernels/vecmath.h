/* Vectorizable elementary functions for the fastact kernels.
 *
 * exp, expm1, log1p and tanh in float and double, written as straight-line scalar
 * code: no branches, no table lookups, no libm calls, integer work only through bit
 * casts, so that gcc/clang vectorize every loop that inlines them (SSE2 in a portable
 * build, wider with -march or per-ISA clones).  Special values are handled by selects:
 * NaN in -> NaN out, the infinities give their limits, subnormal results are produced
 * with gradual underflow (one rounding) and overflow gives inf.
 *
 * Method (see also kernels/fit_polynomials.py, which fits the coefficients):
 * - exp:   n = round(x/ln2) by the magic-number trick, r = x - n*ln2 with a two-part
 *          ln2 (Cody-Waite), e^r = 1 + r + r^2 q(r), result p * 2^n1 * 2^n2 with
 *          n1 + n2 = n so that both powers are normal numbers (no overflow in the
 *          scaling, gradual underflow in the last multiply).
 * - expm1: |x| < ln2: x + x^2 q(x), one polynomial; elsewhere the exp reduction and
 *          e^x - 1 = 2^n (e^r - 1) + (2^n - 1) with e^r - 1 = r + r^2 q(r); exp(x)
 *          where n is large.
 * - log1p: w = 1 + x rounded, c = the rounding error (Fast2Sum), w = m 2^k with
 *          m in [sqrt(1/2), sqrt(2)), log(m) = 2 atanh(s) = 2s + s z R(z),
 *          s = (m-1)/(m+1), z = s^2, evaluated as f - s (f - z R) (f = m - 1 exact),
 *          log1p(x) = k ln2 + log(m) + c/w.
 * - erfc (double): erfc(|z|) = t exp(Q(s) - z^2) with t = 1/(1 + |z|/2), Q a degree-24
 *          polynomial in t mapped onto [-1, 1] (erfc(z) e^(z^2) is smooth, so Q is);
 *          2 - erfc(-z) for z < 0.
 * - tanh:  |x| < 0.625: x + x^3 P(x^2); else 1 - 2e/(1+e), e = exp(-2|x|); the sign
 *          of x.
 * - sigmoid (float): e = exp(-|x|) rounded once, 1 + e as a Fast2Sum pair, one division
 *          whose remainder (exact by FMA) is folded back; SiLU and the tanh-form GELU
 *          also carry e's low part in the numerator e/(1 + e).
 * - GELU (float): x/2 erfc(|x|/sqrt2) = x/2 K e^(-x^2/2) / (|x| + g(|x|)), K = sqrt(2/pi)
 *          (1/(a + g) is the Mills ratio), g = N/D rational, all in float: exp's argument
 *          exact (x^2 = hi + lo) with ln K and -lo/2 added to the reduced argument, one
 *          division D/(|x| D + N); near 0 a polynomial; GELU' from the same pieces,
 *          (x - x0) g(x) near its zero x0.
 *
 * Nothing here may be compiled with -ffast-math / reassociation: the Cody-Waite split
 * and the Fast2Sum correction rely on the written evaluation order.  Multiply-add
 * contraction (gcc's default) is harmless where products are exact; error-free
 * products are written with an explicit FMA where the ISA has one.
 */
#ifndef FASTACT_VECMATH_H
#define FASTACT_VECMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "vecmath_coeffs.h"

/* Every function here must be inlined into the loops (a call blocks vectorization);
   gcc's inliner gives up in large generated functions without this. */
#if defined(__GNUC__) || defined(__clang__)
#define FA_INLINE static inline __attribute__((always_inline))
#else
#define FA_INLINE static inline
#endif

/* A hardware FMA the code can name: the error-free products below use it, and only
   without one may they fall back to Dekker's split (which an FMA contraction by the
   compiler would break: gcc contracts by default wherever the target has FMA). */
#if (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__FMA__) || defined(__AVX512F__) || defined(__FP_FAST_FMA) || defined(__FP_FAST_FMAF))
#define FA_HAVE_FMA 1
#else
#define FA_HAVE_FMA 0
#endif

FA_INLINE uint32_t fa_bits_f(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }
FA_INLINE float fa_from_bits_f(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }
FA_INLINE uint64_t fa_bits_d(double x) { uint64_t u; memcpy(&u, &x, sizeof u); return u; }
FA_INLINE double fa_from_bits_d(uint64_t u) { double x; memcpy(&x, &u, sizeof x); return x; }

/* How many of the next n elements (of itemsize bytes) at p come before a 64-byte
   boundary.  The elementwise and softmax loops compute those apart, so that their
   vector loads and stores do not straddle cache lines: NumPy places large arrays 16
   bytes past one (in-place relu backward, 16M floats, 1 thread: 0.31 -> 0.19 ns per
   element). */
FA_INLINE long fa_elements_to_line(const void *p, long itemsize, long n) {
    long k = (long)((64 - ((uintptr_t)p & 63)) & 63) / itemsize;
    return k < n ? k : n;
}

/* ---------------------------------------------------------------- float */

#define FA_F_MAGIC 12582912.0f          /* 1.5 * 2^23: x + MAGIC rounds x to an integer */
#define FA_F_LOG2E 1.44269504088896341f
#define FA_F_LN2_HI 0.693359375f        /* 9 significant bits: n * LN2_HI is exact */
#define FA_F_LN2_LO -2.12194440054690583e-4f
#define FA_F_SQRT_HALF_BITS 0x3f3504f3u /* bits of sqrt(1/2) rounded */

/* integer k (|k| < 2^22) held in the low bits of k + MAGIC -> int, float */
FA_INLINE int32_t fa_round_int_f(float v, float *as_float) {
    float t = v + FA_F_MAGIC;
    *as_float = t - FA_F_MAGIC;
    return (int32_t)(fa_bits_f(t) - fa_bits_f(FA_F_MAGIC));
}

/* 2^k as a float for k in [-126, 127] */
FA_INLINE float fa_pow2i_f(int32_t k) {
    return fa_from_bits_f(((uint32_t)k + 127u) << 23);
}

/* e^r - 1 for |r| <= ln2/2 */
FA_INLINE float fa_expm1_reduced_f(float r) {
    float q = FA_EXPF_Q0 + r * (FA_EXPF_Q1 + r * (FA_EXPF_Q2 + r * (FA_EXPF_Q3 + r * FA_EXPF_Q4)));
    return r + r * r * q;
}

/* x reduced: x = n ln2 + r; returns r, n (int and float) */
FA_INLINE float fa_reduce_f(float x, int32_t *n, float *nf) {
    *n = fa_round_int_f(x * FA_F_LOG2E, nf);
    return (x - *nf * FA_F_LN2_HI) - *nf * FA_F_LN2_LO;
}

/* e^x * 2^k, exactly scaled (k >= 0 small): keeps e^x normal where it would underflow */
FA_INLINE float fa_expf_pow2(float x, int32_t k) {
    /* the result overflows above 88.7228 - k ln2 and is 0 below -103.98 - k ln2 */
    float shift = (float)k * 0.693147180559945f;
    float lo = -104.0f - shift, hi = 89.0f - shift;
    float xc = x < lo ? lo : x;
    xc = xc > hi ? hi : xc;
    int32_t n;
    float nf, n1f;
    float r = fa_reduce_f(xc, &n, &nf);
    float p = 1.0f + fa_expm1_reduced_f(r);
    int32_t n1 = fa_round_int_f((nf + (float)k) * 0.5f, &n1f);   /* n + k = n1 + n2 */
    float y = p * fa_pow2i_f(n1) * fa_pow2i_f(n + k - n1);
    return x != x ? x : y;
}

FA_INLINE float fa_expf(float x) { return fa_expf_pow2(x, 0); }

/* e^t for t <= 0 or -inf only (softmax terms after the row max is subtracted): fa_expf
   without the overflow clamp and the NaN select (a NaN still gives NaN) */
FA_INLINE float fa_expf_nonpos(float t) {
    float tc = t < -104.0f ? -104.0f : t;
    int32_t n;
    float nf, n1f;
    float r = fa_reduce_f(tc, &n, &nf);
    float p = 1.0f + fa_expm1_reduced_f(r);
    int32_t n1 = fa_round_int_f(nf * 0.5f, &n1f);    /* n = n1 + n2, both powers normal */
    return p * fa_pow2i_f(n1) * fa_pow2i_f(n - n1);
}

/* e^t = s (1 + pm1) 2^-k, unrounded, for t <= 0, t held to lo (lo + k ln2 >= -87: s =
   2^(n + k) stays normal; -inf gives e^lo), returns pm1; NaN propagates into pm1.  One
   power of two: the sigmoid family's forward, tanh, the softmax terms. */
FA_INLINE float fa_exp_held_f(float t, float lo, int32_t k, float *s) {
    float tc = t < lo ? lo : t;
    int32_t n;
    float nf;
    float r = fa_reduce_f(tc, &n, &nf);
    *s = fa_pow2i_f(n + k);
    return fa_expm1_reduced_f(r);
}

/* 2^FA_TERM_SCALE e^t for t <= 0 or -inf (the terms of a whole softmax row, whose sum is
   then >= 2^FA_TERM_SCALE): one power of two instead of two, and normal down to the
   clamp, so a term is rounded once more only in the final scaling.  Below the clamp the
   term is 2^64 e^-120, which any normalisation by a softmax sum (>= 2^64) rounds to 0.
   NaN stays NaN. */
#define FA_TERM_SCALE 64
#define FA_TERM_UNSCALE 0x1p-64
FA_INLINE float fa_expf_nonpos_scaled(float t) {
    float s;
    return (1.0f + fa_exp_held_f(t, -120.0f, FA_TERM_SCALE, &s)) * s;
}

/* The rounding error of hi = a*a (|a| < 2^60), exactly: one FMA where the ISA has it,
   else Dekker's split a = ah + al (ah with half the significand).  Written with the FMA
   explicitly: with FMA available, gcc's default contraction would fuse the split's own
   subtractions and leave it correct only by accident. */
#if FA_HAVE_FMA
FA_INLINE float fa_square_err_f(float a, float hi) { return __builtin_fmaf(a, a, -hi); }
#else
FA_INLINE float fa_square_err_f(float a, float hi) {
    float c = 4097.0f * a;                           /* 2^12 + 1 */
    float ah = c - (c - a), al = a - ah;
    return ((ah * ah - hi) + 2.0f * ah * al) + al * al;
}
#endif

/* fa_fmaf(a, b, c) = a*b + c rounded once where the ISA has FMA; without it (the
   baseline build) the product is formed exactly in double, which is all the residual
   computations below need (a*b - c small and exact in double, then rounded once). */
#if FA_HAVE_FMA
#define fa_fmaf(a, b, c) __builtin_fmaf((a), (b), (c))
#else
FA_INLINE float fa_fmaf(float a, float b, float c) { return (float)((double)a * b + c); }
#endif

/* 2^n = s down, s = 2^max(n, -60), down = 2^(n - max(n, -60)): both normal */
FA_INLINE void fa_exp_split_scales_f(int32_t n, float *s, float *down) {
    int32_t nc = n < -60 ? -60 : n;
    *s = fa_pow2i_f(nc);
    *down = fa_pow2i_f(n - nc);
}

/* e = exp(t) for t <= 0, the sigmoid family's exponential, left unrounded:
   e = s (1 + pm1) down, returns pm1 (|pm1| < 0.42, a few units of 2^-26 off),
   s = 2^max(n, -60) and down = 2^(n - max(n, -60)) (1 unless e < 2^-60).  t below -120
   counts as -120 (e(-120) = 2^-173: every caller's result is 0 or its limit there);
   NaN propagates into pm1. */
FA_INLINE float fa_exp_split_f(float t, float *s, float *down) {
    float tc = t < -120.0f ? -120.0f : t;
    int32_t n;
    float nf;
    float r = fa_reduce_f(tc, &n, &nf);
    fa_exp_split_scales_f(n, s, down);
    return fa_expm1_reduced_f(r);
}

/* fa_exp_split_f of t + tl, tl a small low part (|tl| <= 2^-10) added to the reduced
   argument (one rounding there); where t is held to -120, tl is dropped (it may then
   be anything: inf - inf from an overflowed argument included). */
FA_INLINE float fa_exp_split_dw_f(float t, float tl, float *s, float *down) {
    int held = t < -120.0f;
    float tc = held ? -120.0f : t;
    int32_t n;
    float nf;
    float r = fa_reduce_f(tc, &n, &nf);
    r = held ? r : r + tl;
    fa_exp_split_scales_f(n, s, down);
    return fa_expm1_reduced_f(r);
}

/* a + b = s + *err exactly (Knuth's 2Sum: either operand may be the larger) */
FA_INLINE float fa_two_sum_f(float a, float b, float *err) {
    float s = a + b, bb = s - a;
    *err = (a - (s - bb)) + (b - bb);
    return s;
}

/* (nh + nl) / (dh + dl) for dh in [1, 2] / inv_s (dl, nl small; inv_s a constant power
   of two, so that the constants of the approximate 1/dh fold): one division, its
   remainder (exact by FMA) and the low parts folded back through an approximate 1/dh;
   adds ~0.5 ulp to the error the inputs carry.  *lo: the result's own rounding error
   (Fast2Sum of the quotient and its correction), for callers that need a float pair;
   unused, it compiles away. */
FA_INLINE float fa_div_dw_in_f(float nh, float nl, float dh, float dl, float inv_s, float *lo) {
    float q = nh / dh;
    /* minus the remainder, subtracted: a zero quotient keeps its sign (q + (+0.0) would
       turn -0.0 into +0.0) */
    float neg_rem = fa_fmaf(q, dh, -nh) + (q * dl - nl);   /* (nl = 0 folds away) */
    /* 1/dh within 6% on [1, 2] / inv_s */
    float neg_corr = neg_rem * ((1.4117647f * inv_s) - (0.47058824f * inv_s * inv_s) * dh);
    float hi = q - neg_corr;
    *lo = (q - hi) - neg_corr;
    return hi;
}

FA_INLINE float fa_div_dw_lo_f(float nh, float nl, float dh, float dl, float *lo) {
    return fa_div_dw_in_f(nh, nl, dh, dl, 1.0f, lo);
}

FA_INLINE float fa_div_dw_f(float nh, float nl, float dh, float dl) {
    float lo;
    return fa_div_dw_lo_f(nh, nl, dh, dl, &lo);
}

/* sigmoid(x) / down for float x, <= 1.09 ulp over all floats (exhaustive sweep), for
   callers that round once more (gelu(tanh)): e = exp(-|x|) = s (1 + pm1) down
   unrounded (fa_exp_split_f) is split exactly into eh + el = e / down (by FMA);
   sigmoid is 1/(1 + e) for x >= 0 and e/(1 + e) below, with 1 + e / down carried as
   dh + dl (Fast2Sum; e / down = e except below 2^-60, where 1 + e = 1) into one
   corrected division (fa_div_dw_f).  (Rounding e, 1 + e and the quotient separately
   gives 2.8 ulp.)  *down, a power of two (1 unless sigmoid(x) < 2^-60), is the caller's
   to apply last, so that x times the result rounds once even where it is subnormal.
   The selects are plain ?: on the operands, which gcc turns into masked moves (written
   as bit masks, gcc built xor chains, 12% slower). */
FA_INLINE float fa_sigmoid_from_exp_f(float s, float pm1, float d, int pos, float *down) {
    float eh = fa_fmaf(s, pm1, s);
    float el = fa_fmaf(s, pm1, s - eh);      /* e / down = eh + el */
    float dh = 1.0f + eh;
    float dl = (1.0f - dh) + eh;
    *down = pos ? 1.0f : d;
    return fa_div_dw_f(pos ? 1.0f : eh, pos ? 0.0f : el, dh, dl);
}

/* The sigmoid forward's shared part (fa_sigmoid_f, fa_silu_f): everything scaled by
   S = 2^48.  Returns eh = S e rounded once, e = exp(-|x|) held to exp(-120), from
   S e = s (1 + pm1) unrounded with s = 2^(n + 48) normal down to the clamp (no down
   as in fa_exp_split_f: 6 integer operations fewer), and S + eh = *dh + *dl exactly
   (Fast2Sum). */
#define FA_SIGMOID_SCALE 48
#define FA_SIGMOID_S 0x1p48f
#define FA_SIGMOID_INV_S 0x1p-48f
FA_INLINE float fa_sigmoid_parts_f(float x, float *dh, float *dl) {
    float s;
    float pm1 = fa_exp_held_f(-fabsf(x), -120.0f, FA_SIGMOID_SCALE, &s);
    float eh = fa_fmaf(s, pm1, s);
    *dh = FA_SIGMOID_S + eh;
    *dl = (FA_SIGMOID_S - *dh) + eh;
    return eh;
}

/* sigmoid(x) for float x, <= 1.53 ulp over all floats (exhaustive sweep): S/(S + eh)
   for x >= 0 and eh/(S + eh) below (fa_sigmoid_parts_f), by one corrected division
   whose quotient is the result, rounded once even where it is subnormal (x < -87).
   What is left is the rounding of eh, <= 1/2 ulp of e relative, felt in full only in
   e/(1 + e).  13% faster than fa_sigmoid_from_exp_f without e's low part and down. */
FA_INLINE float fa_sigmoid_f(float x) {
    float dh, dl, lo;
    float eh = fa_sigmoid_parts_f(x, &dh, &dl);
    return fa_div_dw_in_f(x >= 0.0f ? FA_SIGMOID_S : eh, 0.0f, dh, dl, FA_SIGMOID_INV_S, &lo);
}

/* silu(x) = x sigmoid(x) for float x, <= 1.83 ulp over all floats (exhaustive sweep):
   fa_sigmoid_f with x in the numerator, x S (exact) for x >= 0 and x eh below, carried
   as an exact product pair (FMA) into the corrected division -- its quotient is the
   result, rounded once even where it is subnormal (x < -87).  e's low part is not
   needed: for x >= 0 the error of e is damped by e/(1 + e) <= 1/2, below it is
   sigmoid's.  x is held to -120 (-inf gives -0.0); above 2^20 silu(x) = x (x S would
   overflow above 2^80).  11% faster than x fa_sigmoid_from_exp_f scaled by down. */
FA_INLINE float fa_silu_f(float x) {
    float dh, dl, lo;
    float eh = fa_sigmoid_parts_f(x, &dh, &dl);
    float num = x >= 0.0f ? FA_SIGMOID_S : eh;
    float xc = x < -120.0f ? -120.0f : x;
    float nh = xc * num;
    float q = fa_div_dw_in_f(nh, fa_fmaf(xc, num, -nh), dh, dl, FA_SIGMOID_INV_S, &lo);
    return x > 0x1p20f ? x : q;
}

/* Both sigmoids of e = s (1 + pm1) down = exp(-|v|) (fa_exp_split_f): returns
   sigmoid(|v|) = 1/(1 + e) with its low part *big_lo, and *small = sigmoid(-|v|) / down =
   e/(1 + e) / down, by one corrected division each, e / down = eh + el and 1 + e / down
   = dh + dl carried exactly (silu', gelu(tanh)'). */
FA_INLINE float fa_sigmoid_pair_f(float s, float pm1, float *big_lo, float *small) {
    float eh = fa_fmaf(s, pm1, s);
    float el = fa_fmaf(s, pm1, s - eh);      /* e / down = eh + el exactly */
    float dh = 1.0f + eh;
    float dl = ((1.0f - dh) + eh) + el;
    *small = fa_div_dw_f(eh, el, dh, dl);
    return fa_div_dw_lo_f(1.0f, 0.0f, dh, dl, big_lo);
}

/* silu'(x) = sigmoid(x) (1 + x sigmoid(-x)) for float x, <= 2.62 ulp where |silu'| >=
   1/16 over all floats (exhaustive sweep; 2^-23 absolute below).  With e = exp(-|x|) =
   eh + el (times down) and 1 + e = dh + dl, sigmoid(|x|) = 1/(1 + e) as a float pair
   and sigmoid(-|x|) = e/(1 + e) by one corrected division each.  x >= 0:
   sigmoid(x) (1 + x sigmoid(-x)), no cancellation (x sigmoid(-x) <= 0.28).  x < 0:
   sigmoid(x) t, t = 1 + x sigmoid(-x) from both parts of the pair -- t cancels up to its
   zero at x = -1.28, where a float sigmoid(-x) alone costs ~3 ulp (x = -0.99) --, scaled
   by down last (gradual underflow below x = -87).  x is held to [-120, 1e4] (+inf: 1,
   -inf: 0; finite x below -104 give -0.0, as x e^x rounds). */
FA_INLINE float fa_silu_der_f(float x) {
    float s, d, big_lo, small;                          /* small: sigmoid(-|x|) / down */
    float pm1 = fa_exp_split_f(-fabsf(x), &s, &d);
    float big = fa_sigmoid_pair_f(s, pm1, &big_lo, &small);    /* sigmoid(|x|) */
    float xc = x < -120.0f ? -120.0f : (x > 1e4f ? 1e4f : x);
    float t_pos = fa_fmaf(xc, small, 1.0f);
    float t_neg = fa_fmaf(xc, big_lo, fa_fmaf(xc, big, 1.0f));
    float y = x >= 0.0f ? big * t_pos : (small * t_neg) * d;
    return x == -INFINITY ? 0.0f : y;
}

/* 0.044715 and 2 sqrt(2/pi) as double-doubles (the float form splits the high parts) */
#define FA_GELU_TANH_C_HI 0.044715
#define FA_GELU_TANH_C_LO 2.1960211427085595e-18
#define FA_TWO_SQRT_2_OVER_PI_HI 1.5957691216057308
#define FA_TWO_SQRT_2_OVER_PI_LO -9.96930880911092e-17

/* The float pairs of the same constants (high part, the rest rounded to float) */
#define FA_GELU_TANH_CF_HI ((float)FA_GELU_TANH_C_HI)
#define FA_GELU_TANH_CF_LO ((float)(FA_GELU_TANH_C_HI - (double)FA_GELU_TANH_CF_HI))
#define FA_TWO_SQRT_2_OVER_PI_F_HI ((float)FA_TWO_SQRT_2_OVER_PI_HI)
#define FA_TWO_SQRT_2_OVER_PI_F_LO \
    ((float)(FA_TWO_SQRT_2_OVER_PI_HI - (double)FA_TWO_SQRT_2_OVER_PI_F_HI))

/* A float derivative near its zero x0 = x0_hi + x0_lo: (x - x0) g(x), g a degree-8
   polynomial in v = x - mid (*v_out) with coefficients g[0..8] (fit_polynomials.py) */
FA_INLINE float fa_zero_form8_f(float x, float mid, const float g[9], float x0_hi, float x0_lo,
                                float *v_out) {
    float v = x - mid;
    float acc = g[8];
    int k;
    for (k = 7; k >= 0; k--) acc = g[k] + v * acc;
    *v_out = v;
    return ((x - x0_hi) - x0_lo) * acc;
}

static const float FA_GELUF_DER_G_TABLE[9] = {
    FA_GELUF_DER_G0, FA_GELUF_DER_G1, FA_GELUF_DER_G2, FA_GELUF_DER_G3, FA_GELUF_DER_G4,
    FA_GELUF_DER_G5, FA_GELUF_DER_G6, FA_GELUF_DER_G7, FA_GELUF_DER_G8};
static const float FA_GELUF_TANH_DER_G_TABLE[9] = {
    FA_GELUF_TANH_DER_G0, FA_GELUF_TANH_DER_G1, FA_GELUF_TANH_DER_G2, FA_GELUF_TANH_DER_G3,
    FA_GELUF_TANH_DER_G4, FA_GELUF_TANH_DER_G5, FA_GELUF_TANH_DER_G6, FA_GELUF_TANH_DER_G7,
    FA_GELUF_TANH_DER_G8};

/* 1 + c x^2 = w + *lo for the float pairs c = c_hi + c_lo and x^2 = x2 + x2l */
FA_INLINE float fa_one_plus_cx2_f(float c_hi, float c_lo, float x2, float x2l, float *lo) {
    float p = c_hi * x2;                                  /* c x^2 = p + pl */
    float pl = fa_fmaf(c_hi, x2, -p) + fa_fmaf(c_hi, x2l, c_lo * x2);
    float wl, w = fa_two_sum_f(1.0f, p, &wl);
    *lo = wl + pl;
    return w;
}

/* (ah + al)(bh + bl) = hi + *lo, the low parts' product dropped */
FA_INLINE float fa_mul_dw_f(float ah, float al, float bh, float bl, float *lo) {
    float hi = ah * bh;
    *lo = fa_fmaf(ah, bh, -hi) + fa_fmaf(ah, bl, al * bh);
    return hi;
}

/* v = 2 sqrt(2/pi) x (1 + c x^2) for float x, twice: returned rounded plainly (vn), and
   *dv = v - vn from v as a float pair (x^2, c x^2, 1 + c x^2 and the product exact to
   their second parts); *cx + *cxl = 2 sqrt(2/pi) x and *x2 + *x2l = x^2 exactly enough,
   for the derivative's factor. */
FA_INLINE float fa_gelu_tanh_v_f(float x, float *dv, float *cx_out, float *cxl_out, float *x2_out,
                                 float *x2l_out) {
    float x2 = x * x;
    float cx = FA_TWO_SQRT_2_OVER_PI_F_HI * x;
    float vn = cx * fa_fmaf(FA_GELU_TANH_CF_HI, x2, 1.0f);
    float x2l = fa_square_err_f(x, x2);
    float wl, w = fa_one_plus_cx2_f(FA_GELU_TANH_CF_HI, FA_GELU_TANH_CF_LO, x2, x2l, &wl);
    float cxl = fa_fmaf(FA_TWO_SQRT_2_OVER_PI_F_HI, x, -cx) + FA_TWO_SQRT_2_OVER_PI_F_LO * x;
    float vl, vh = fa_mul_dw_f(cx, cxl, w, wl, &vl);
    *dv = (vh - vn) + vl;
    *cx_out = cx;
    *cxl_out = cxl;
    *x2_out = x2;
    *x2l_out = x2l;
    return vn;
}

/* gelu(x) in the tanh form for float x: x/2 (1 + tanh(u)) = x sigmoid(v),
   v = 2 sqrt(2/pi) x (1 + 0.044715 x^2), all in float.  Below 0 the sigmoid is ~exp(v),
   whose relative error is v's absolute error (|v| up to 120), so v is needed to ~2^-33
   relative: it is formed twice.
   - vn, plainly in float (a few ulp off), starts exp(-|vn|) at once (fa_exp_split_dw_f);
   - v = vh + vl as a float pair (x^2, c x^2, 1 + c x^2 and the product exact to their
     second parts), then dv = (vh - vn) + vl joins exp's reduced argument, so that the
     exp is exp(-|v|) to one extra rounding there.
   Written so, the pair's work runs beside the exp instead of before it: the loop is
   bound by its dependency chain (0.82 ns/elem with v in double, 0.53 so).  Then as
   silu: x times the sigmoid kept with e's low part, scaled by down last.  x is not
   clamped for v (the constants a clamp puts into lanes cost gcc a dozen blends): an
   x^2 that overflows is held by the exp's clamp at -120, which also drops dv; only
   the final product takes x held to -12 (below, the result is -0.0 in float), so -inf
   gives -0.0, +inf +inf and NaN NaN.  <= 1.94 ulp over all floats (exhaustive sweep;
   2.10 with v in double). */
FA_INLINE float fa_gelu_tanh_f(float x) {
    float dv, cx, cxl, x2, x2l;
    float vn = fa_gelu_tanh_v_f(x, &dv, &cx, &cxl, &x2, &x2l);
    float s, d, down;
    float pm1 = fa_exp_split_dw_f(-fabsf(vn), vn >= 0.0f ? -dv : dv, &s, &d);
    float q = fa_sigmoid_from_exp_f(s, pm1, d, vn >= 0.0f, &down);
    return ((x < -12.0f ? -12.0f : x) * q) * down;
}

/* 3 * 0.044715 as a float pair */
#define FA_GELU_TANH_3CF_HI ((float)(3.0 * FA_GELU_TANH_C_HI))
#define FA_GELU_TANH_3CF_LO ((float)(3.0 * FA_GELU_TANH_C_HI - (double)FA_GELU_TANH_3CF_HI))

/* gelu(tanh)'(x) = sigmoid(v) (1 + x v' sigmoid(-v)), v' = 2 sqrt(2/pi) (1 + 3c x^2), for
   float x, all in float (in double it took 1.25 ns/elem in the bench, now 1.04).  As the
   forward: exp(-|v|) with v's correction in the reduced argument; then as silu',
   sigmoid(|v|) and
   sigmoid(-|v|) by one corrected division each, the first as a float pair, and x v' as
   a float pair too: x >= 0: sigmoid(v) (1 + x v' sigmoid(-v)), no cancellation; x < 0:
   sigmoid(v) t, t = 1 + x v' sigmoid(-v) from both parts of the pairs, scaled by down
   last.  t cancels near the zero x0 = -0.7525 of gelu(tanh)': on [-1.3, -0.25]
   (x - x0) g(x) instead (g fitted, kernels/fit_polynomials.py).  Beyond |x| = 12 the
   result is set last (1 above, -0.0 below: its size is under 2^-149), so that what
   the lanes compute there (inf * 0 from an overflowed x^2) does not matter; clamping x
   first cost gcc 19 blends of the constants it propagated.  NaN stays NaN.  <= 2.92 ulp
   where |gelu(tanh)'| >= 1/16 over all floats (exhaustive sweep; 0.50 in double). */
FA_INLINE float fa_gelu_tanh_der_f(float x) {
    float dv, cx, cxl, x2, x2l;
    float vn = fa_gelu_tanh_v_f(x, &dv, &cx, &cxl, &x2, &x2l);
    float s, d, big_lo, small;                          /* small: sigmoid(-|v|) / down */
    float pm1 = fa_exp_split_dw_f(-fabsf(vn), vn >= 0.0f ? -dv : dv, &s, &d);
    float big = fa_sigmoid_pair_f(s, pm1, &big_lo, &small);    /* sigmoid(|v|) */
    float ql, q = fa_one_plus_cx2_f(FA_GELU_TANH_3CF_HI, FA_GELU_TANH_3CF_LO, x2, x2l, &ql);
    float wl, wh = fa_mul_dw_f(cx, cxl, q, ql, &wl);    /* x v' = wh + wl */
    float t_pos = fa_fmaf(wh, small * d, 1.0f);
    /* t = 1 + x v' sigmoid(|v|) below 0 as th + tl, rounded only inside the last product:
       t (~ -2 at x = -1.6, the bottom of a binade) rounded three times cost 3.4 ulp */
    float pw = wh * big;
    float pw_lo = fa_fmaf(wh, big, -pw);
    float tl, th = fa_two_sum_f(1.0f, pw, &tl);
    tl = tl + (pw_lo + fa_fmaf(wl, big, wh * big_lo));
    float y = vn >= 0.0f ? big * t_pos : fa_fmaf(small, th, small * tl) * d;
    float v, zero = fa_zero_form8_f(x, FA_GELUF_DER_MID, FA_GELUF_TANH_DER_G_TABLE,
                                    FA_GELUF_TANH_DER_X0_HI, FA_GELUF_TANH_DER_X0_LO, &v);
    /* (one compare: with two, gcc 12 gave up vectorizing this function) */
    y = fabsf(v) <= 0.5f * (FA_GELUF_DER_HI - FA_GELUF_DER_LO) ? zero : y;
    y = x > 12.0f ? 1.0f : y;
    return x < -12.0f ? -0.0f : y;
}

FA_INLINE float fa_expm1f(float x) {
    /* |x| < ln2: one polynomial, no reduction (the reduced form would cancel) */
    float q = FA_EXPM1F_Q0 + x * (FA_EXPM1F_Q1 + x * (FA_EXPM1F_Q2 + x * (FA_EXPM1F_Q3
            + x * (FA_EXPM1F_Q4 + x * (FA_EXPM1F_Q5 + x * FA_EXPM1F_Q6)))));
    float near = x + x * x * q;
    /* elsewhere: e^x - 1 = 2^n (e^r - 1) + (2^n - 1); below -17.4 the result is -1 in
       float, above 17 the "- 1" is below an ulp (exp) */
    float xc = x < -30.0f ? -30.0f : x;
    xc = xc > 17.0f ? 17.0f : xc;
    int32_t n;
    float nf;
    float r = fa_reduce_f(xc, &n, &nf);
    float pm1 = fa_expm1_reduced_f(r);
    float scale = fa_pow2i_f(n);                      /* n in [-44, 25] */
    float y = scale * pm1 + (scale - 1.0f);
    y = x > 17.0f ? fa_expf(x) : y;
    y = (x < 0.693147f) & (x > -0.693147f) ? near : y;
    y = x == 0.0f ? x : y;           /* keeps -0.0 */
    return x != x ? x : y;
}

FA_INLINE float fa_log1pf(float x) {
    float w = 1.0f + x;
    /* Fast2Sum rounding error of 1 + x (order the operands by magnitude) */
    float c = x > 1.0f ? (x - w) + 1.0f : (1.0f - w) + x;
    uint32_t iw = fa_bits_f(w) - FA_F_SQRT_HALF_BITS;
    int32_t k = (int32_t)((iw + (128u << 23)) >> 23) - 128;   /* exponent, as floor */
    float m = fa_from_bits_f((iw & 0x007fffffu) + FA_F_SQRT_HALF_BITS);
    float kf = fa_from_bits_f(fa_bits_f(FA_F_MAGIC) + (uint32_t)k) - FA_F_MAGIC;  /* k, exactly */
    float f = m - 1.0f;
    float s = f / (2.0f + f);
    float z = s * s;
    float rz = FA_LOGF_R0 + z * (FA_LOGF_R1 + z * (FA_LOGF_R2 + z * FA_LOGF_R3));
    float logm = f - s * (f - z * rz);   /* = 2s + s z R: f exact, a small correction */
    float y = kf * FA_F_LN2_HI + ((logm + c / w) + kf * FA_F_LN2_LO);
    y = x == -1.0f ? -INFINITY : y;
    y = x < -1.0f ? NAN : y;
    y = x == INFINITY ? x : y;
    return x != x ? x : y;
}

FA_INLINE float fa_tanhf(float x) {
    float ax = fabsf(x);
    /* small |x|: an odd polynomial x + x^3 P(x^2);
       large |x|: 1 - 2e/(1+e), e = exp(-2|x|) (the correction is small); the exp needs
       no overflow or underflow handling: e <= 1, held to e^-20 < 2^-28 (tanh is 1
       there), one power of two (fa_exp_split_f's clamp to 2^-60 cost 4%, same results
       over all floats) */
    float u = ax * ax;
    float p = FA_TANHF_P0 + u * (FA_TANHF_P1 + u * (FA_TANHF_P2 + u * (FA_TANHF_P3
            + u * (FA_TANHF_P4 + u * FA_TANHF_P5))));
    float s;
    float pm1 = fa_exp_held_f(-2.0f * ax, -20.0f, 0, &s);
    float e = s + s * pm1;
    float y = ax < 0.625f ? ax + ax * u * p : 1.0f - 2.0f * e / (1.0f + e);
    return copysignf(y, x);          /* -0.0 stays -0.0; NaN stays NaN */
}

/* The float GELU's shared part (fa_gelu_f, fa_gelu_der_f): with a = |x| held to 15 (*ac),
   returns the Mills ratio m(a) = D/(a D + N), and 2^(n+63) (*s_half) and pm1 such that
   2^64 K e^(-a^2/2) = 2 s_half (1 + pm1), unrounded.  NaN gives 15's values (the callers'
   selects keep NaN). */
FA_INLINE float fa_gelu_mills_f(float x, float *ac_out, float *s_half, float *pm1) {
    float a = fabsf(x);
    float ac = a < FA_GELUF_AMAX ? a : FA_GELUF_AMAX;
    float hi = ac * ac;
    float lo = fa_square_err_f(ac, hi);
    float th = -0.5f * hi;                               /* exact */
    float tl = FA_GELUF_LNK - 0.5f * lo;
    int32_t n;
    float nf;
    n = fa_round_int_f((th + tl) * FA_F_LOG2E, &nf);
    float r = (th - nf * FA_F_LN2_HI) + (tl - nf * FA_F_LN2_LO);
    *pm1 = fa_expm1_reduced_f(r);
    *s_half = fa_pow2i_f(n + FA_TERM_SCALE - 1);
    *ac_out = ac;
    float den_d = FA_GELUF_D0 + ac * (FA_GELUF_D1 + ac * (FA_GELUF_D2 + ac * (FA_GELUF_D3
                + ac * (FA_GELUF_D4 + ac * FA_GELUF_D5))));
    float num_n = FA_GELUF_N0 + ac * (FA_GELUF_N1 + ac * (FA_GELUF_N2 + ac * (FA_GELUF_N3
                + ac * FA_GELUF_N4)));
    return den_d / fa_fmaf(ac, den_d, num_n);
}

/* gelu(x) = x Phi(x) for float x, all in float (with erfc(z) e^(z^2) in double it was
   ~2.4x slower).  With a = |x| and K = sqrt(2/pi): Phi(-a) = 1/2 erfc(a/sqrt2) =
   1/2 K e^(-a^2/2) m(a), m(a) = 1/(a + g(a)) the Mills ratio, g = N/D a rational fit
   (kernels/fit_polynomials.py), and
   - e^(-a^2/2) K in one exp whose reduced argument takes everything exactly but for two
     roundings: a^2 = hi + lo exactly, n = round((-hi/2 + lnK - lo/2)/ln2) and
     r = (-hi/2 - n ln2_hi) + ((lnK - lo/2) - n ln2_lo) (the first part exact, but for
     |x| in (0.49, 0.71], where n = -1 while hi/2 < 1/4: one more rounding there, <= 2^-25
     absolute in r -- the sweep's worst cases lie elsewhere); 1 + pm1
     kept unrounded and 2^n scaled by 2^64 (a <= 15: normal);
   - m = D/(a D + N): the same rounded D in both terms, so that where a D dominates (large
     a) D's rounding cancels, and N's weighs g/(a + g);
   - x < 0: x/2 e^(-a^2/2) K m (the 2^-64 last: gradual underflow, one rounding where
     the result is normal); x > 0: x minus that (Phi(x) = 1 - Phi(-x), no cancellation).
   Near 0 the quotient's roundings add up (4 ulp at |x| = 0.0075): below |x| = 1/2,
   x (1/2 + x R(x^2)), R fitted to (Phi(x) - 1/2)/x.
   <= 3.10 ulp over all floats (exhaustive sweep, README; the double P gave 3.22).  |x| is
   held to 15 (gelu(-15) rounds to -0.0, +inf stays +inf, -inf gives -0.0); NaN takes the
   near form. */
FA_INLINE float fa_gelu_f(float x) {
    float ac, s_half, pm1;
    float m = fa_gelu_mills_f(x, &ac, &s_half, &pm1);
    float w = (ac * m) * s_half;                         /* a/2 m 2^n 2^64 */
    float tail = fa_fmaf(w, pm1, w) * FA_TERM_UNSCALE;   /* a Phi(-a) */
    float u = x * x;
    float near = x * fa_fmaf(x, FA_GELUF_R0 + u * (FA_GELUF_R1 + u * (FA_GELUF_R2
               + u * FA_GELUF_R3)), 0.5f);               /* keeps -0.0 and NaN */
    float y = x < 0.0f ? -tail : x - tail;
    return fabsf(x) >= FA_GELUF_NEAR ? y : near;
}

/* gelu'(x) = Phi(x) + x phi(x) for float x, all in float (with erfc(z) e^(z^2) in double
   it was 2x slower).  With fa_gelu_mills_f's pieces and phi(a) = K e^(-a^2/2) / 2:
   Phi(-a) - a phi(a) = K e^(-a^2/2) (m - a) / 2 = w, so gelu'(x) = w below 0 and 1 - w
   above.  m - a cancels near the zero x0 = -0.7518 of gelu' (2.5x m's error where
   |gelu'| = 1/16): on [-1.3, -0.25] (x - x0) g(x) instead, x0 a float pair and g a
   polynomial (kernels/fit_polynomials.py), as the double form does; and near 0, where
   the quotient's roundings add up as in the forward, 1/2 + x S(x^2) on (-0.25, 0.5).
   <= 2.63 ulp where |gelu'| >= 1/16 over all floats (exhaustive sweep; 2.80 before).
   NaN stays NaN; +inf gives 1, -inf (and x below ~-14) -0.0. */
FA_INLINE float fa_gelu_der_f(float x) {
    float ac, s_half, pm1;
    float m = fa_gelu_mills_f(x, &ac, &s_half, &pm1);
    float t = (m - ac) * s_half;
    float w = fa_fmaf(t, pm1, t) * FA_TERM_UNSCALE;
    float y = x < 0.0f ? w : 1.0f - w;
    float v, zero = fa_zero_form8_f(x, FA_GELUF_DER_MID, FA_GELUF_DER_G_TABLE, FA_GELUF_DER_X0_HI,
                                    FA_GELUF_DER_X0_LO, &v);
    float u = x * x;
    float near = fa_fmaf(x, FA_GELUF_DER_S0 + u * (FA_GELUF_DER_S1 + u * (FA_GELUF_DER_S2
               + u * (FA_GELUF_DER_S3 + u * FA_GELUF_DER_S4))), 0.5f);
    y = (x >= FA_GELUF_DER_LO) & (x <= FA_GELUF_DER_HI) ? zero : y;
    y = (x > FA_GELUF_DER_HI) & (x < FA_GELUF_NEAR) ? near : y;
    return x != x ? x : y;
}

/* ---------------------------------------------------------------- double */

#define FA_D_MAGIC 6755399441055744.0   /* 1.5 * 2^52 */
#define FA_D_LOG2E 1.4426950408889634074
#define FA_D_LN2_HI 6.93147180369123816490e-01  /* 32 significant bits: n * LN2_HI exact */
#define FA_D_LN2_LO 1.90821492927058770002e-10
#define FA_D_SQRT_HALF_BITS 0x3fe6a09e667f3bcdull

FA_INLINE int64_t fa_round_int_d(double v, double *as_double) {
    double t = v + FA_D_MAGIC;
    *as_double = t - FA_D_MAGIC;
    return (int64_t)(fa_bits_d(t) - fa_bits_d(FA_D_MAGIC));
}

/* 2^k as a double for k in [-1022, 1023] */
FA_INLINE double fa_pow2i_d(int64_t k) {
    return fa_from_bits_d(((uint64_t)k + 1023u) << 52);
}

FA_INLINE double fa_expm1_reduced_d(double r) {
    double q = FA_EXP_Q0 + r * (FA_EXP_Q1 + r * (FA_EXP_Q2 + r * (FA_EXP_Q3 + r * (FA_EXP_Q4
             + r * (FA_EXP_Q5 + r * (FA_EXP_Q6 + r * (FA_EXP_Q7 + r * (FA_EXP_Q8
             + r * (FA_EXP_Q9 + r * FA_EXP_Q10)))))))));
    return r + r * r * q;
}

FA_INLINE double fa_reduce_d(double x, int64_t *n, double *nf) {
    *n = fa_round_int_d(x * FA_D_LOG2E, nf);
    return (x - *nf * FA_D_LN2_HI) - *nf * FA_D_LN2_LO;
}

/* e^x * 2^k, exactly scaled (k >= 0 small) */
FA_INLINE double fa_exp_pow2(double x, int64_t k) {
    double shift = (double)k * 0.6931471805599453;
    double lo = -746.0 - shift, hi = 710.0 - shift;
    double xc = x < lo ? lo : x;
    xc = xc > hi ? hi : xc;
    int64_t n;
    double nf, n1f;
    double r = fa_reduce_d(xc, &n, &nf);
    double p = 1.0 + fa_expm1_reduced_d(r);
    int64_t n1 = fa_round_int_d((nf + (double)k) * 0.5, &n1f);
    double y = p * fa_pow2i_d(n1) * fa_pow2i_d(n + k - n1);
    return x != x ? x : y;
}

FA_INLINE double fa_exp(double x) { return fa_exp_pow2(x, 0); }

/* e^t for t <= 0 or -inf only: fa_exp without the overflow clamp and the NaN select (a
   NaN still gives NaN; results bitwise fa_exp's, 27% faster), as fa_expf_nonpos */
FA_INLINE double fa_exp_nonpos(double t) {
    double tc = t < -746.0 ? -746.0 : t;
    int64_t n;
    double nf, n1f;
    double r = fa_reduce_d(tc, &n, &nf);
    double p = 1.0 + fa_expm1_reduced_d(r);
    int64_t n1 = fa_round_int_d(nf * 0.5, &n1f);    /* n = n1 + n2, both powers normal */
    return p * fa_pow2i_d(n1) * fa_pow2i_d(n - n1);
}

/* e^t 2^k for t <= 0, t held to lo (lo + k ln2 >= -708: 2^(n + k) stays normal; -inf
   gives e^lo 2^k); NaN gives NaN.  One power of two, as fa_exp_held_f. */
FA_INLINE double fa_exp_held_d(double t, double lo, int64_t k) {
    double tc = t < lo ? lo : t;
    int64_t n;
    double nf;
    double r = fa_reduce_d(tc, &n, &nf);
    return (1.0 + fa_expm1_reduced_d(r)) * fa_pow2i_d(n + k);
}

/* the double fa_expf_nonpos_scaled: normal down to the clamp (e^-746 2^64 = 2^-1012) */
FA_INLINE double fa_exp_nonpos_scaled(double t) {
    return fa_exp_held_d(t, -746.0, FA_TERM_SCALE);
}

/* 2^128 exp(-|x|) for double x, normal down to the clamp at -760 (2^-968): sigmoid and
   silu divide it by 2^128 + itself, the quotient rounded once even where it is
   subnormal (x < -708), down to where silu rounds to 0 (x < -752) */
FA_INLINE double fa_exp_neg_abs_scaled_d(double x) {
    return fa_exp_held_d(-fabs(x), -760.0, 128);
}

/* sigmoid(x) for double x: 2^128/(2^128 + E) for x >= 0, E/(2^128 + E) below, E =
   2^128 exp(-|x|); one division (27% faster than 1/(1 + e) from fa_exp and a product) */
FA_INLINE double fa_sigmoid_d(double x) {
    double e = fa_exp_neg_abs_scaled_d(x);
    return (x >= 0.0 ? 0x1p128 : e) / (0x1p128 + e);
}

/* silu(x) = x sigmoid(x) for double x: x 2^128 (exact) or x E over 2^128 + E, x held to
   -800 (-inf gives -0.0); above 2^60 silu(x) = x (x 2^128 would overflow above 2^895) */
FA_INLINE double fa_silu_d(double x) {
    double e = fa_exp_neg_abs_scaled_d(x);
    double xc = x < -800.0 ? -800.0 : x;
    double q = (xc * (x >= 0.0 ? 0x1p128 : e)) / (0x1p128 + e);
    return x > 0x1p60 ? x : q;
}

FA_INLINE double fa_expm1(double x) {
    double q = FA_EXPM1_Q0 + x * (FA_EXPM1_Q1 + x * (FA_EXPM1_Q2 + x * (FA_EXPM1_Q3
             + x * (FA_EXPM1_Q4 + x * (FA_EXPM1_Q5 + x * (FA_EXPM1_Q6 + x * (FA_EXPM1_Q7
             + x * (FA_EXPM1_Q8 + x * (FA_EXPM1_Q9 + x * (FA_EXPM1_Q10 + x * (FA_EXPM1_Q11
             + x * (FA_EXPM1_Q12 + x * FA_EXPM1_Q13))))))))))));
    double near = x + x * x * q;
    /* below -38 the result is -1 in double; above 37 the "- 1" is below an ulp */
    double xc = x < -40.0 ? -40.0 : x;
    xc = xc > 37.0 ? 37.0 : xc;
    int64_t n;
    double nf;
    double r = fa_reduce_d(xc, &n, &nf);
    double pm1 = fa_expm1_reduced_d(r);
    double scale = fa_pow2i_d(n);                    /* n in [-58, 54] */
    double y = scale * pm1 + (scale - 1.0);
    y = x > 37.0 ? fa_exp(x) : y;
    y = (x < 0.6931471805599453) & (x > -0.6931471805599453) ? near : y;
    y = x == 0.0 ? x : y;            /* keeps -0.0 */
    return x != x ? x : y;
}

FA_INLINE double fa_log1p(double x) {
    double w = 1.0 + x;
    double c = x > 1.0 ? (x - w) + 1.0 : (1.0 - w) + x;
    uint64_t iw = fa_bits_d(w) - FA_D_SQRT_HALF_BITS;
    int64_t k = (int64_t)((iw + (2048ull << 52)) >> 52) - 2048;
    double m = fa_from_bits_d((iw & 0x000fffffffffffffull) + FA_D_SQRT_HALF_BITS);
    double kf = fa_from_bits_d(fa_bits_d(FA_D_MAGIC) + (uint64_t)k) - FA_D_MAGIC;  /* k, exactly */
    double f = m - 1.0;
    double s = f / (2.0 + f);
    double z = s * s;
    double rz = FA_LOG_R0 + z * (FA_LOG_R1 + z * (FA_LOG_R2 + z * (FA_LOG_R3 + z * (FA_LOG_R4
              + z * (FA_LOG_R5 + z * (FA_LOG_R6 + z * FA_LOG_R7))))));
    double logm = f - s * (f - z * rz);
    double y = kf * FA_D_LN2_HI + ((logm + c / w) + kf * FA_D_LN2_LO);
    y = x == -1.0 ? -INFINITY : y;
    y = x < -1.0 ? NAN : y;
    y = x == INFINITY ? x : y;
    return x != x ? x : y;
}

FA_INLINE double fa_tanh(double x) {
    double ax = x < 0.0 ? -x : x;
    double u = ax * ax;
    double p = FA_TANH_P0 + u * (FA_TANH_P1 + u * (FA_TANH_P2 + u * (FA_TANH_P3 + u * (FA_TANH_P4
             + u * (FA_TANH_P5 + u * (FA_TANH_P6 + u * (FA_TANH_P7 + u * (FA_TANH_P8
             + u * (FA_TANH_P9 + u * (FA_TANH_P10 + u * FA_TANH_P11))))))))));
    /* e = exp(-2|x|) held to e^-40 < 2^-57 (tanh is 1 there): one power of two, no
       overflow or NaN handling (fa_exp's made this function 1.8x slower, same results) */
    double e = fa_exp_held_d(-2.0 * ax, -40.0, 0);
    double y = ax < 0.625 ? ax + ax * u * p : 1.0 - 2.0 * e / (1.0 + e);
    return copysign(y, x);          /* -0.0 stays -0.0; NaN stays NaN */
}

/* the rounding error of hi = a*b, exactly (no overflow or underflow in a*b; |a|, |b|
   below ~1e300 for Dekker's split, where the ISA has no FMA) */
#if FA_HAVE_FMA
FA_INLINE double fa_mul_err_d(double a, double b, double hi) { return __builtin_fma(a, b, -hi); }
#else
FA_INLINE double fa_mul_err_d(double a, double b, double hi) {
    double ca = 134217729.0 * a, cb = 134217729.0 * b;
    double ah = ca - (ca - a), al = a - ah, bh = cb - (cb - b), bl = b - bh;
    return (((ah * bh - hi) + ah * bl) + al * bh) + al * bl;
}
#endif

/* a + b = s + *err exactly (Knuth's 2Sum: either operand may be the larger) */
FA_INLINE double fa_two_sum_d(double a, double b, double *err) {
    double s = a + b, bb = s - a;
    *err = (a - (s - bb)) + (b - bb);
    return s;
}

/* erfc(|z|) = t exp(Q(s) - z^2): t = 1/(1 + |z|/2) and Q(s) = q + q_lo, s = t mapped onto
   [-1, 1].  Q ~ 1 enters an exponent, so its absolute error is the tail's relative
   error: the last Horner step keeps its rounding errors in q_lo (~2 2^-53 otherwise). */
FA_INLINE double fa_erfc_t_q(double azc, double *q_out, double *q_lo) {
    double t = 1.0 / (1.0 + 0.5 * azc);
    double s = (t - 0.5 * (1.0 + FA_ERFC_TMIN)) * (2.0 / (1.0 - FA_ERFC_TMIN));
    double q = FA_ERFC_Q24;
    q = FA_ERFC_Q23 + s * q; q = FA_ERFC_Q22 + s * q; q = FA_ERFC_Q21 + s * q;
    q = FA_ERFC_Q20 + s * q; q = FA_ERFC_Q19 + s * q; q = FA_ERFC_Q18 + s * q;
    q = FA_ERFC_Q17 + s * q; q = FA_ERFC_Q16 + s * q; q = FA_ERFC_Q15 + s * q;
    q = FA_ERFC_Q14 + s * q; q = FA_ERFC_Q13 + s * q; q = FA_ERFC_Q12 + s * q;
    q = FA_ERFC_Q11 + s * q; q = FA_ERFC_Q10 + s * q; q = FA_ERFC_Q9 + s * q;
    q = FA_ERFC_Q8 + s * q; q = FA_ERFC_Q7 + s * q; q = FA_ERFC_Q6 + s * q;
    q = FA_ERFC_Q5 + s * q; q = FA_ERFC_Q4 + s * q; q = FA_ERFC_Q3 + s * q;
    q = FA_ERFC_Q2 + s * q; q = FA_ERFC_Q1 + s * q;
    double m = s * q, ml = fa_mul_err_d(s, q, m);
    double qh = fa_two_sum_d(FA_ERFC_Q0, m, q_lo);
    *q_lo += ml;
    *q_out = qh;
    return t;
}

FA_INLINE double fa_erfc(double z) {
    /* erfc(|z|) = t exp(Q(s) - z^2), t = 1/(1 + |z|/2), s = t mapped onto [-1, 1];
       erfc(z) = 2 - erfc(-z) for z < 0 (no cancellation: erfc(-z) <= 1) */
    double az = z < 0.0 ? -z : z;
    double azc = az > FA_ERFC_ZMAX ? FA_ERFC_ZMAX : az;
    double q, q_lo;
    double t = fa_erfc_t_q(azc, &q, &q_lo);
    double r = t * fa_exp(q - azc * azc);
    r = az > FA_ERFC_ZMAX ? 0.0 : r;
    r = z < 0.0 ? 2.0 - r : r;
    return z != z ? z : r;
}

/* exp(a + b + c) 2^k (k >= 0 small, as fa_exp_pow2) for an argument given as the
   unevaluated sum a + b + c (|c| far below 1, |b| below |a| or both small): the
   reduction (((a - n ln2_hi) + b) + c) - n ln2_lo keeps the bits of b and c, a - n ln2_hi
   being exact and the sums rounded at the size of the reduced argument. */
FA_INLINE double fa_exp_dd_pow2(double a, double b, double c, int64_t k) {
    double x = a + b;
    double shift = (double)k * 0.6931471805599453;
    double xlo = -746.0 - shift, xhi = 710.0 - shift;
    double xc = x < xlo ? xlo : x;
    xc = xc > xhi ? xhi : xc;
    int64_t n;
    double nf, n1f;
    n = fa_round_int_d(xc * FA_D_LOG2E, &nf);
    double r = (((a - nf * FA_D_LN2_HI) + b) + c) - nf * FA_D_LN2_LO;
    double p = 1.0 + fa_expm1_reduced_d(r);
    int64_t n1 = fa_round_int_d((nf + (double)k) * 0.5, &n1f);
    double y = p * fa_pow2i_d(n1) * fa_pow2i_d(n + k - n1);
    y = x < xlo ? 0.0 : y;
    y = x > xhi ? INFINITY : y;
    return x != x ? x : y;
}

/* 2^64 xhalf erfc(ax/sqrt2) for ax >= 0 (the GELU tail, xhalf = x/2; scaled to stay
   normal where the product is not subnormal; xhalf t formed by one division) with the
   exponent's z^2 = ax^2/2 taken exactly: ax^2 = hi + lo by Dekker's split, so the tail
   keeps its relative accuracy (the rounding of z = ax/sqrt2 and of z^2 alone would
   cost ~ax^2 ulp). */
FA_INLINE double fa_erfc_x_sqrt1_2_scaled(double ax, double xhalf) {
    double axc = ax > 40.0 ? 40.0 : ax;              /* erfc(40/sqrt2) < 2^-1074 */
    double az = axc * 0.70710678118654752440;
    double azc = az > FA_ERFC_ZMAX ? FA_ERFC_ZMAX : az;
    double q, q_lo;
    double t = fa_erfc_t_q(azc, &q, &q_lo);
    double hi = axc * axc;
    double lo = fa_mul_err_d(axc, axc, hi);
    /* xhalf t = xhalf/den, den = 1 + ax/(2 sqrt2) = dh + dl with the rounding errors of
       the product and the sum in dl; 1 - dl/dh ~ exp(-dl t) joins the exponent */
    double p = axc * 0.3535533905932738;
    double pl = fa_mul_err_d(axc, 0.3535533905932738, p) - axc * 2.4168233283632284e-17;
    double dl, dh = fa_two_sum_d(1.0, p, &dl);
    dl += pl;
    double r = fa_exp_dd_pow2(-0.5 * hi, q, (q_lo - 0.5 * lo) - dl * t, 64) * (xhalf / dh);
    r = az > FA_ERFC_ZMAX ? 0.0 * xhalf : r;
    return ax != ax ? ax : r;
}

/* GELU x Phi(x) in double.  |x| < 0.75: x/2 (1 + erf(x/sqrt2)) with erf(z) = z P(z^2)
   (erfc's Q cancels near z = 0); elsewhere x/2 erfc(|x|/sqrt2) below 0 and
   x - x/2 erfc(x/sqrt2) above, with the exactly squared erfc tail. */
FA_INLINE double fa_gelu_d(double x) {
    double ax = fabs(x);
    double z = x * 0.70710678118654752440;
    double u = z * z;
    double p = FA_ERF_P0 + u * (FA_ERF_P1 + u * (FA_ERF_P2 + u * (FA_ERF_P3 + u * (FA_ERF_P4
             + u * (FA_ERF_P5 + u * (FA_ERF_P6 + u * (FA_ERF_P7 + u * (FA_ERF_P8
             + u * FA_ERF_P9))))))));
    double half_x = 0.5 * x;
    double near = half_x + half_x * (z * p);
    near = x == 0.0 ? x : near;                          /* keeps -0.0 */
    double tail = fa_erfc_x_sqrt1_2_scaled(ax, 0.5 * (x < -40.0 ? -40.0 : (x > 40.0 ? 40.0 : x)))
                  * 5.42101086242752217e-20;   /* 2^-64 */
    double y = x < 0.0 ? tail : x - tail;                /* +-inf: tail = 0 */
    return ax < FA_ERF_XMAX ? near : y;                  /* NaN: tail is NaN */
}

/* GELU' = Phi(x) + x phi(x) in double.  On [-2.3, 0] the two terms cancel (f' has its
   zero at x0 = -0.7518, |f'| < 0.14 on [-2.3, -0.5]; Phi and x phi rounded apart cost
   ~10 ulp): there f' = (x - x0) g(x), x0 a double-double, x - x0_hi exact near x0
   (Sterbenz), g a polynomial in s = x - c fitted on three pieces about their centres c
   (fit_polynomials.py).  Elsewhere the terms add (x > 0) or |f'| < 1/16, where the
   bound is absolute. */
FA_INLINE double fa_gelu_der_d(double x) {
    static const double g_pieces[3][16] = FA_GELU_DER_G_TABLE;
    double xc = x < -1e300 ? -1e300 : (x > 1e300 ? 1e300 : x);      /* +-inf * 0 -> 0 */
    double pdf = fa_exp(-0.5 * x * x) * 0.39894228040143267794;     /* phi(x) */
    double terms = 0.5 * fa_erfc(-x * 0.70710678118654752440) + xc * pdf;
    int in_a = x < FA_GELU_DER_B_LO, in_b = x < FA_GELU_DER_C_LO;
    double s = x - (in_a ? FA_GELU_DER_A_MID : (in_b ? FA_GELU_DER_B_MID : FA_GELU_DER_C_MID));
    double g = 0.0;
#pragma GCC unroll 16
    for (int k = 15; k >= 0; k--)
        g = g * s + (in_a ? g_pieces[0][k] : (in_b ? g_pieces[1][k] : g_pieces[2][k]));
    double near_zero = ((x - FA_GELU_DER_X0_HI) - FA_GELU_DER_X0_LO) * g;
    return (x >= FA_GELU_DER_A_LO) & (x <= 0.0) ? near_zero : terms;   /* NaN: terms */
}

/* mish'(x) = t + x sigmoid(x) (1 - t^2), t = tanh(softplus(x)), in double.  With
   e = exp(-|x|) it is c (P + x Q/D)/D:
     x < 0:  c = e, P = 2 + e,  Q = 4 (1 + e),      D = 2 + e (2 + e);
     x >= 0: c = 1, P = 1 + 2e, Q = 4 e^2 (1 + e),  D = 1 + 2e (1 + e).
   P + x Q/D cancels around mish's minimum (x = -1.19; t and the sigmoid rounded apart
   cost ~9 ulp there): P, D, 1/D and (below 0) Q are carried as double-double pairs, so
   that (P + x Q/D)/D is rounded once (one division: a vector divide costs as much as the
   rest).  c is taken from e64 = 2^64 e, normal where e is subnormal (x < -708), and
   2^-64 applied last.  x is clamped to +-1e4, where e = 0 and f' = 0 or 1 (-inf: -0,
   +inf: 1), so that Dekker's split (no FMA) cannot overflow. */
FA_INLINE double fa_mish_der_d(double x) {
    double xc = x < -1e4 ? -1e4 : (x > 1e4 ? 1e4 : x);    /* e = 0 beyond */
    int neg = x < 0.0;
    double e64 = fa_exp_pow2(-fabs(x), 64);
    double e = e64 * 5.42101086242752217e-20;                /* 2^-64 */
    double y = 1.0 + e, yl = (1.0 - y) + e;                  /* 1 + e (Fast2Sum, e <= 1) */
    double v = 2.0 + e, vl = (2.0 - v) + e;                  /* 2 + e */
    double w = neg ? v : 2.0 * y, wl = neg ? vl : 2.0 * yl;
    double u = e * w, ul = fa_mul_err_d(e, w, u) + e * wl;   /* e (2 + e) or 2e (1 + e) */
    double one_or_two = neg ? 2.0 : 1.0;
    double dl, d = fa_two_sum_d(one_or_two, u, &dl);         /* D */
    dl += ul;
    double r = 1.0 / d, rd = r * d;                          /* 1/D */
    double rl = (((1.0 - rd) - fa_mul_err_d(r, d, rd)) - r * dl) * r;
    double qn = neg ? 4.0 * y : 4.0 * (e * e * y), qnl = neg ? 4.0 * yl : 0.0;
    double q = qn * r, ql = fa_mul_err_d(qn, r, q) + qn * rl + qnl * r;      /* Q/D */
    double m = xc * q, ml = fa_mul_err_d(xc, q, m) + xc * ql;               /* x Q/D */
    double p2l, p2 = fa_two_sum_d(1.0, 2.0 * e, &p2l);        /* 1 + 2e */
    double p = neg ? v : p2, pl = neg ? vl : p2l;
    double kl, k = fa_two_sum_d(p, m, &kl);                   /* P + x Q/D */
    kl += pl + ml;
    double kr = k * r, krl = fa_mul_err_d(k, r, kr) + k * rl + kl * r;     /* (...)/D */
    return ((neg ? e64 : 18446744073709551616.0) * (kr + krl)) * 5.42101086242752217e-20;
}

/* v = 2 sqrt(2/pi) (a + 0.044715 a^3) for a <= 0 as the double-double v + *vl: a^3 and
   both constants with their rounding errors (the GELU tanh form's e^v multiplies an
   error of v by |v|: ~1500 ulp at x = -20 from v rounded once). */
FA_INLINE double fa_gelu_tanh_v_dd(double a, double *vl) {
    double a2 = a * a, a2l = fa_mul_err_d(a, a, a2);
    double a3 = a2 * a, a3l = fa_mul_err_d(a2, a, a3) + a2l * a;
    double p = FA_GELU_TANH_C_HI * a3;
    double pl = fa_mul_err_d(FA_GELU_TANH_C_HI, a3, p)
              + (FA_GELU_TANH_C_HI * a3l + FA_GELU_TANH_C_LO * a3);
    double wl, w = fa_two_sum_d(a, p, &wl);
    wl += pl;
    double v = FA_TWO_SQRT_2_OVER_PI_HI * w;
    *vl = fa_mul_err_d(FA_TWO_SQRT_2_OVER_PI_HI, w, v)
        + (FA_TWO_SQRT_2_OVER_PI_HI * wl + FA_TWO_SQRT_2_OVER_PI_LO * w);
    return v;
}

/* GELU, tanh form, in double: x sigmoid(v), v = 2 sqrt(2/pi) (x + 0.044715 x^3).  Below 0
   the result is ~x e^v, which multiplies an error of v by |v|: v is formed in
   double-double and e^v taken from it (fa_exp_dd_pow2, scaled by 2^64 to stay normal).
   Above 0, f(x) = x + f(-x) (sigmoid(v) + sigmoid(-v) = 1, v odd in x), f(-x) in
   [-x/2, 0]. */
FA_INLINE double fa_gelu_tanh_d(double x) {
    double a = -fabs(x);
    double ac = a < -40.0 ? -40.0 : a;                   /* f(a) rounds to -0 below */
    double vl, v = fa_gelu_tanh_v_dd(ac, &vl);
    double e = fa_exp_dd_pow2(v, vl, 0.0, 64);           /* 2^64 e^v */
    double neg = (ac * e) / (18446744073709551616.0 + e);   /* f(a) = a e^v / (1 + e^v) */
    return x < 0.0 ? neg : x + neg;                      /* NaN: neg is NaN */
}

/* f' = sigmoid(v) + x sigmoid(v) sigmoid(-v) v'(x) of a sigmoid-gated unit x sigmoid(v(x))
   (SiLU: v = x; GELU's tanh form: v = 2u(x)), v of x's sign, from e = exp(-|v|) and
   W = x v'(x) = w + wl.  It is c (Y + W e')/Y^2 with Y = 1 + e; c = e, e' = 1 for x < 0
   and c = 1, e' = e for x >= 0.  Below 0, Y + W cancels near the zero of f': Y, W and
   1/Y^2 are double-double pairs, so that (Y + W)/Y^2 is rounded once (one division).
   c is taken from e64 = 2^64 e, normal where e is subnormal, and 2^-64 applied last. */
FA_INLINE double fa_sigmoid_gated_der_d(int neg, double e64, double w, double wl) {
    double e = e64 * 5.42101086242752217e-20;            /* 2^-64 */
    double y = 1.0 + e, yl = (1.0 - y) + e;              /* Y (Fast2Sum, e <= 1) */
    double yy = y * y, yyl = fa_mul_err_d(y, y, yy) + 2.0 * y * yl;
    double r = 1.0 / yy, ry = r * yy;                    /* 1/Y^2 */
    double rl = (((1.0 - ry) - fa_mul_err_d(r, yy, ry)) - r * yyl) * r;
    double we = neg ? w : w * e, wel = neg ? wl : 0.0;   /* x >= 0: no cancellation */
    double kl, k = fa_two_sum_d(y, we, &kl);             /* Y + W e' */
    kl += yl + wel;
    double kr = k * r, krl = fa_mul_err_d(k, r, kr) + k * rl + kl * r;
    return ((neg ? e64 : 18446744073709551616.0) * (kr + krl)) * 5.42101086242752217e-20;
}

/* GELU' of the tanh form in double (fa_sigmoid_gated_der_d): e = exp(-|v|) from v in
   double-double, W = 2 sqrt(2/pi) x (1 + 3 (0.044715) x^2) as a pair.  x is clamped to
   +-40, where e = 0 already (f' = 0 or 1) and x^3 stays finite. */
FA_INLINE double fa_gelu_tanh_der_d(double x) {
    double xc = x < -40.0 ? -40.0 : (x > 40.0 ? 40.0 : x);
    double vl, v = fa_gelu_tanh_v_dd(-fabs(xc), &vl);
    double e64 = fa_exp_dd_pow2(v, vl, 0.0, 64);        /* 2^64 exp(-|v|) */
    double x2 = xc * xc, x2l = fa_mul_err_d(xc, xc, x2);
    double b = 0.134145 * x2;                            /* 3 (0.044715) x^2 */
    double bl = fa_mul_err_d(0.134145, x2, b) + (0.134145 * x2l + 1.3526957332032908e-17 * x2);
    double sl, s = fa_two_sum_d(1.0, b, &sl);            /* 1 + 3c x^2 */
    sl += bl;
    double xs = xc * s, xsl = fa_mul_err_d(xc, s, xs) + xc * sl;
    double w = FA_TWO_SQRT_2_OVER_PI_HI * xs;
    double wl = fa_mul_err_d(FA_TWO_SQRT_2_OVER_PI_HI, xs, w)
              + (FA_TWO_SQRT_2_OVER_PI_HI * xsl + FA_TWO_SQRT_2_OVER_PI_LO * xs);
    return fa_sigmoid_gated_der_d(x < 0.0, e64, w, wl);     /* NaN: e64 is NaN */
}

#endif
