/* Build and CPU facts for fastact.show_config() and the choice of kernel variant. */
#ifndef FASTACT_BUILDINFO_H
#define FASTACT_BUILDINFO_H

#ifdef _OPENMP
#include <omp.h>
static int fastact_omp_max_threads(void) { return omp_get_max_threads(); }
#else
static int fastact_omp_max_threads(void) { return 1; }
#endif

/* The widest SIMD instruction set the compiler was allowed to use for this module. */
static const char *fastact_simd_compiled(void) {
#if defined(__AVX512F__)
    return "AVX-512F";
#elif defined(__AVX2__) && defined(__FMA__)
    return "AVX2+FMA";
#elif defined(__AVX__)
    return "AVX";
#elif defined(__SSE4_2__)
    return "SSE4.2";
#elif defined(__SSE2__)
    return "SSE2 (x86-64 baseline)";
#elif defined(__ARM_NEON) || defined(__aarch64__)
    return "NEON";
#else
    return "scalar";
#endif
}

/* The widest SIMD instruction set this CPU supports (x86 only). */
static const char *fastact_simd_detected(void) {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "AVX-512F";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "AVX2+FMA";
    if (__builtin_cpu_supports("avx")) return "AVX";
    if (__builtin_cpu_supports("sse4.2")) return "SSE4.2";
    return "SSE2";
#elif defined(__aarch64__)
    return "NEON";
#else
    return "unknown";
#endif
}

/* The highest kernel variant this CPU can run: "avx512" (x86-64-v4: AVX-512 F/BW/DQ/VL/CD
   on top of v3), "avx2" (x86-64-v3: AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE) or "baseline". */
static const char *fastact_cpu_level(void) {
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    __builtin_cpu_init();
    int v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
          && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2")
          && __builtin_cpu_supports("f16c") && __builtin_cpu_supports("lzcnt")
          && __builtin_cpu_supports("movbe");
    int v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
          && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")
          && __builtin_cpu_supports("avx512cd");
    return v4 ? "avx512" : (v3 ? "avx2" : "baseline");
#else
    return "baseline";
#endif
}
#endif
