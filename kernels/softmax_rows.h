/* Contiguous, unmasked softmax / log_softmax rows and their backward, for float and
 * double (the row loops are written once, in softmax_rows_impl.h). */
#ifndef FASTACT_SOFTMAX_ROWS_H
#define FASTACT_SOFTMAX_ROWS_H

#include <math.h>
#include <stdint.h>
#include <string.h>
#include "vecmath.h"

/* vectorize a sum without reassociating anything else (OpenMP SIMD: -fopenmp, or
   -fopenmp-simd in a build without the OpenMP runtime; setup.py defines
   FASTACT_OMP_SIMD=1 with either) */
#if defined(_OPENMP) || (defined(FASTACT_OMP_SIMD) && FASTACT_OMP_SIMD)
#define FA_SIMD_REDUCTION _Pragma("omp simd reduction(+:s)")
#else
#define FA_SIMD_REDUCTION
#endif

#define FA_T float
#define FA_SFX f
#define FA_EXP fa_expf
#define FA_EXP_NONPOS fa_expf_nonpos
#define FA_LOG log
#define FA_I int32_t
#define FA_I_MIN INT32_MIN
#define FA_SHIFT 31
#define FA_ABS_MASK ((int32_t)0x7fffffff)
#define FA_INF_BITS ((int32_t)0x7f800000)
#include "softmax_rows_impl.h"
#undef FA_T
#undef FA_SFX
#undef FA_EXP
#undef FA_EXP_NONPOS
#undef FA_LOG
#undef FA_I
#undef FA_I_MIN
#undef FA_SHIFT
#undef FA_ABS_MASK
#undef FA_INF_BITS

#define FA_T double
#define FA_SFX d
#define FA_EXP fa_exp
#define FA_EXP_NONPOS fa_exp
#define FA_LOG log
#define FA_I int64_t
#define FA_I_MIN INT64_MIN
#define FA_SHIFT 63
#define FA_ABS_MASK ((int64_t)0x7fffffffffffffffLL)
#define FA_INF_BITS ((int64_t)0x7ff0000000000000LL)
#include "softmax_rows_impl.h"
#undef FA_T
#undef FA_SFX
#undef FA_EXP
#undef FA_EXP_NONPOS
#undef FA_LOG
#undef FA_I
#undef FA_I_MIN
#undef FA_SHIFT
#undef FA_ABS_MASK
#undef FA_INF_BITS

#endif
