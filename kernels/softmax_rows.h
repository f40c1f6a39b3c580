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

#define FA_T float
#define FA_SFX f
#define FA_EXP_NONPOS fa_expf_nonpos
#define FA_EXP_OVERFLOW 100.0f
#define FA_EXP_NONPOS_SCALED fa_expf_nonpos_scaled
#define FA_LOG log
#define FA_TINY_ROW 16
#include "softmax_rows_impl.h"
#undef FA_T
#undef FA_SFX
#undef FA_EXP_NONPOS
#undef FA_EXP_OVERFLOW
#undef FA_EXP_NONPOS_SCALED
#undef FA_LOG
#undef FA_TINY_ROW

#define FA_T double
#define FA_SFX d
#define FA_EXP_NONPOS fa_exp
#define FA_EXP_OVERFLOW 1000.0
#define FA_EXP_NONPOS_SCALED fa_exp_nonpos_scaled
#define FA_LOG log
#define FA_TINY_ROW 12
#include "softmax_rows_impl.h"
#undef FA_T
#undef FA_SFX
#undef FA_EXP_NONPOS
#undef FA_EXP_OVERFLOW
#undef FA_EXP_NONPOS_SCALED
#undef FA_LOG
#undef FA_TINY_ROW

#endif
