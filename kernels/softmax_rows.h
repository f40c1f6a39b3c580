/* Contiguous, unmasked softmax / log_softmax rows and their backward, for float and
 * double (the row loops are written once, in softmax_rows_impl.h). */
#ifndef FASTACT_SOFTMAX_ROWS_H
#define FASTACT_SOFTMAX_ROWS_H

#include <math.h>
#include "vecmath.h"

/* vectorize the sums and the max without reassociating anything else (OpenMP SIMD: -fopenmp, or
   -fopenmp-simd in a build without the OpenMP runtime; setup.py defines
   FASTACT_OMP_SIMD=1 with either) */
#if defined(_OPENMP) || (defined(FASTACT_OMP_SIMD) && FASTACT_OMP_SIMD)
#define FA_SIMD_REDUCTION _Pragma("omp simd reduction(+:s)")
#define FA_SIMD_MAX _Pragma("omp simd reduction(max:mx) reduction(|:nan)")
#else
#define FA_SIMD_REDUCTION
#define FA_SIMD_MAX
#endif

/* rows of at most this many bytes get the next row prefetched (fa_prefetch) */
#define FA_PF_MAX_BYTES 16384
#if defined(__GNUC__) || defined(__clang__)
#define FA_PREFETCH(p) __builtin_prefetch((p), 0, 3)
#else
#define FA_PREFETCH(p) ((void)(p))
#endif

/* In-register transposes for the tiny-row block's copies in AVX-512 builds
   (softmax_rows_impl.h: fa_tiny_to_columns, fa_tiny_to_rows, fa_softmax_block_tiny):
   16 x 16 floats by unpack, shuffle and two 128-bit lane shuffles (64 shuffles per 256
   elements), 8 x 8 doubles likewise.  gcc does not vectorize the strided copy: element
   by element it took most of a 16-element row's time.  FA_V* (below, per type) name the
   vector type and intrinsics the copies use. */
#if defined(__AVX512F__)
#include <immintrin.h>
#define FA_TINY_AVX512_F 1
FA_INLINE void fa_transpose16_ps(__m512 v[16]) {
    __m512 t[16];
    int i;
    for (i = 0; i < 8; i++) {                 /* lane-wise: a0 b0 a1 b1 | a2 b2 a3 b3 */
        t[2 * i] = _mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]);
    }
    for (i = 0; i < 4; i++) {                 /* a0 b0 c0 d0 (per 128-bit lane) ... */
        v[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        v[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        v[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        v[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (i = 0; i < 4; i++) {                 /* rows 0-7 and 8-15: columns i|i+8, i+4|i+12 */
        t[i] = _mm512_shuffle_f32x4(v[i], v[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(v[i], v[i + 4], 0xdd);
        t[i + 8] = _mm512_shuffle_f32x4(v[i + 8], v[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(v[i + 8], v[i + 12], 0xdd);
    }
    for (i = 0; i < 8; i++) {                 /* whole columns */
        v[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        v[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
    }
}

/* the same for double: 8 x 8 tiles */
#define FA_TINY_AVX512_D 1
FA_INLINE void fa_transpose8_pd(__m512d v[8]) {
    __m512d t[8], u[8];
    int i;
    for (i = 0; i < 4; i++) {                 /* lane-wise: a0 b0 | a2 b2 ..., a1 b1 | ... */
        t[2 * i] = _mm512_unpacklo_pd(v[2 * i], v[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_pd(v[2 * i], v[2 * i + 1]);
    }
    for (i = 0; i < 2; i++) {                 /* rows 0-3 and 4-7: columns c|c+4 */
        u[4 * i] = _mm512_shuffle_f64x2(t[4 * i], t[4 * i + 2], 0x88);
        u[4 * i + 1] = _mm512_shuffle_f64x2(t[4 * i + 1], t[4 * i + 3], 0x88);
        u[4 * i + 2] = _mm512_shuffle_f64x2(t[4 * i], t[4 * i + 2], 0xdd);
        u[4 * i + 3] = _mm512_shuffle_f64x2(t[4 * i + 1], t[4 * i + 3], 0xdd);
    }
    for (i = 0; i < 4; i++) {                 /* whole columns */
        v[i] = _mm512_shuffle_f64x2(u[i], u[i + 4], 0x88);
        v[i + 4] = _mm512_shuffle_f64x2(u[i], u[i + 4], 0xdd);
    }
}

#else
#define FA_TINY_AVX512_F 0
#define FA_TINY_AVX512_D 0
#endif

#define FA_T float
#define FA_SFX f
#define FA_EXP_NONPOS fa_expf_nonpos
#define FA_EXP_OVERFLOW 100.0f
#define FA_EXP_NONPOS_SCALED fa_expf_nonpos_scaled
#define FA_LOG log
#define FA_TINY_ROW (FA_TINY_AVX512_F ? 32 : 16)
#define FA_TINY_AVX512 FA_TINY_AVX512_F
#define FA_LOG_TERMS_BUFFERED 1
#if FA_TINY_AVX512_F
#define FA_V __m512
#define FA_VW 16
#define FA_VMASK __mmask16
#define FA_V_ZERO _mm512_setzero_ps
#define FA_V_LOAD _mm512_loadu_ps
#define FA_V_LOAD_MASKED _mm512_maskz_loadu_ps
#define FA_V_STORE _mm512_storeu_ps
#define FA_V_STORE_MASKED _mm512_mask_storeu_ps
#define FA_V_TRANSPOSE fa_transpose16_ps
#endif
#include "softmax_rows_impl.h"     /* which #undefs these parameters at its end */

#define FA_T double
#define FA_SFX d
#define FA_EXP_NONPOS fa_exp
#define FA_EXP_OVERFLOW 1000.0
#define FA_EXP_NONPOS_SCALED fa_exp_nonpos_scaled
#define FA_LOG log
#define FA_TINY_ROW (FA_TINY_AVX512_D ? 32 : 12)
#define FA_TINY_AVX512 FA_TINY_AVX512_D
#define FA_LOG_TERMS_BUFFERED 0
#if FA_TINY_AVX512_D
#define FA_V __m512d
#define FA_VW 8
#define FA_VMASK __mmask8
#define FA_V_ZERO _mm512_setzero_pd
#define FA_V_LOAD _mm512_loadu_pd
#define FA_V_LOAD_MASKED _mm512_maskz_loadu_pd
#define FA_V_STORE _mm512_storeu_pd
#define FA_V_STORE_MASKED _mm512_mask_storeu_pd
#define FA_V_TRANSPOSE fa_transpose8_pd
#endif
#include "softmax_rows_impl.h"

#endif
