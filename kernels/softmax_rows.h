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

/* In-register transposes for the tiny-row block's copies (softmax_rows_impl.h:
   fa_tiny_to_columns, fa_tiny_to_rows, fa_softmax_block_tiny), in AVX-512 and AVX2 builds:
   square tiles of one vector's width, by unpack, shuffle and 128-bit lane shuffles
   (AVX-512: 16 x 16 floats, 64 shuffles per 256 elements, and 8 x 8 doubles; AVX2: 8 x 8
   floats, 24 shuffles per 64 elements, and 4 x 4 doubles).  gcc does not vectorize the
   strided copy: element by element it took most of a 16-element row's time.  FA_V*
   (below, per type) name the vector type and intrinsics the copies use; FA_V_MASK(w)
   keeps the first w lanes of a masked load or store. */
#if defined(__AVX512F__)
#include <immintrin.h>
#define FA_TINY_SIMD_F 1
#define FA_TINY_ROW_F 32
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
#define FA_TINY_SIMD_D 1
#define FA_TINY_ROW_D 32
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

#elif defined(__AVX2__)
#include <immintrin.h>
/* Rows up to FA_TINY_ROW_F / _D elements take the transposed block.  Instructions per
   element of the row-wise block -> the transposed block (AVX2 softmax, callgrind, 256 Ki
   elements): float n = 8 18.6 -> 10.4, 16 17.6 -> 9.9, 20 18.3 -> 10.4, 28 15.8 -> 10.1,
   but 32 (four whole vectors a row) 9.6 -> 9.7 and slower in time (1.03 -> 1.51 ns per
   element); double n = 8 24.3 -> 18.9, 16 21.8 -> 18.4, 20 22.7 -> 18.3, 24 18.7 -> 18.2,
   32 16.8 -> 18.1 (log_softmax 24: 18.5 -> 18.9). */
#define FA_TINY_ROW_F 31
#define FA_TINY_ROW_D 20
/* 8 x 8 floats */
#define FA_TINY_SIMD_F 1
FA_INLINE void fa_transpose8_ps(__m256 v[8]) {
    __m256 t[8];
    int i;
    for (i = 0; i < 4; i++) {                 /* lane-wise: a0 b0 a1 b1 | a4 b4 a5 b5 */
        t[2 * i] = _mm256_unpacklo_ps(v[2 * i], v[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(v[2 * i], v[2 * i + 1]);
    }
    for (i = 0; i < 2; i++) {                 /* rows 4i..4i+3: columns c|c+4, c < 4 */
        v[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        v[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        v[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        v[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (i = 0; i < 4; i++) {                 /* whole columns i and i + 4 */
        t[i] = _mm256_permute2f128_ps(v[i], v[i + 4], 0x20);
        t[i + 4] = _mm256_permute2f128_ps(v[i], v[i + 4], 0x31);
    }
    for (i = 0; i < 8; i++) v[i] = t[i];
}

/* 4 x 4 doubles */
#define FA_TINY_SIMD_D 1
FA_INLINE void fa_transpose4_pd(__m256d v[4]) {
    __m256d t0 = _mm256_unpacklo_pd(v[0], v[1]);   /* a0 b0 | a2 b2 */
    __m256d t1 = _mm256_unpackhi_pd(v[0], v[1]);   /* a1 b1 | a3 b3 */
    __m256d t2 = _mm256_unpacklo_pd(v[2], v[3]);
    __m256d t3 = _mm256_unpackhi_pd(v[2], v[3]);
    v[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    v[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    v[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    v[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

#else
/* the baseline build: element-by-element copies, for rows up to 16 floats / 12 doubles
   (double n = 16 was slower than the row-wise block) */
#define FA_TINY_SIMD_F 0
#define FA_TINY_SIMD_D 0
#define FA_TINY_ROW_F 16
#define FA_TINY_ROW_D 12
#endif

#define FA_T float
#define FA_SFX f
#define FA_EXP_NONPOS fa_expf_nonpos
#define FA_EXP_OVERFLOW 100.0f
#define FA_EXP_NONPOS_SCALED fa_expf_nonpos_scaled
#define FA_LOG log
#define FA_TINY_ROW FA_TINY_ROW_F
#define FA_TINY_SIMD FA_TINY_SIMD_F
#define FA_LOG_TERMS_BUFFERED 1
#if defined(__AVX512F__)
#define FA_V __m512
#define FA_VW 16
#define FA_VMASK __mmask16
#define FA_V_MASK(w) ((__mmask16)((1u << (w)) - 1u))
#define FA_V_ZERO _mm512_setzero_ps
#define FA_V_LOAD _mm512_loadu_ps
#define FA_V_LOAD_MASKED _mm512_maskz_loadu_ps
#define FA_V_STORE _mm512_storeu_ps
#define FA_V_STORE_MASKED _mm512_mask_storeu_ps
#define FA_V_TRANSPOSE fa_transpose16_ps
#elif FA_TINY_SIMD_F
#define FA_V __m256
#define FA_VW 8
#define FA_VMASK __m256i
#define FA_V_MASK(w) _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(w)), \
                                        _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define FA_V_ZERO _mm256_setzero_ps
#define FA_V_LOAD _mm256_loadu_ps
#define FA_V_LOAD_MASKED(m, p) _mm256_maskload_ps((p), (m))
#define FA_V_STORE _mm256_storeu_ps
#define FA_V_STORE_MASKED _mm256_maskstore_ps
#define FA_V_TRANSPOSE fa_transpose8_ps
#endif
#include "softmax_rows_impl.h"     /* which #undefs these parameters at its end */

#define FA_T double
#define FA_SFX d
#define FA_EXP_NONPOS fa_exp
#define FA_EXP_OVERFLOW 1000.0
#define FA_EXP_NONPOS_SCALED fa_exp_nonpos_scaled
#define FA_LOG log
#define FA_TINY_ROW FA_TINY_ROW_D
#define FA_TINY_SIMD FA_TINY_SIMD_D
#define FA_LOG_TERMS_BUFFERED 0
#if defined(__AVX512F__)
#define FA_V __m512d
#define FA_VW 8
#define FA_VMASK __mmask8
#define FA_V_MASK(w) ((__mmask8)((1u << (w)) - 1u))
#define FA_V_ZERO _mm512_setzero_pd
#define FA_V_LOAD _mm512_loadu_pd
#define FA_V_LOAD_MASKED _mm512_maskz_loadu_pd
#define FA_V_STORE _mm512_storeu_pd
#define FA_V_STORE_MASKED _mm512_mask_storeu_pd
#define FA_V_TRANSPOSE fa_transpose8_pd
#elif FA_TINY_SIMD_D
#define FA_V __m256d
#define FA_VW 4
#define FA_VMASK __m256i
#define FA_V_MASK(w) _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)(w)), \
                                        _mm256_setr_epi64x(0, 1, 2, 3))
#define FA_V_ZERO _mm256_setzero_pd
#define FA_V_LOAD _mm256_loadu_pd
#define FA_V_LOAD_MASKED(m, p) _mm256_maskload_pd((p), (m))
#define FA_V_STORE _mm256_storeu_pd
#define FA_V_STORE_MASKED _mm256_maskstore_pd
#define FA_V_TRANSPOSE fa_transpose4_pd
#endif
#include "softmax_rows_impl.h"

#endif
