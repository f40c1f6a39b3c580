# cython: language_level=3
"""How the kernels were built (OpenMP, flags, SIMD level) and what the CPU offers."""

cdef extern from "buildinfo.h":
    int fastact_omp_max_threads() nogil
    const char* fastact_simd_compiled()
    const char* fastact_simd_detected()
    const char* fastact_cpu_level()
    int FASTACT_BUILD_OPENMP
    const char* FASTACT_BUILD_FLAGS


def openmp_enabled():
    """True when the kernels were compiled with OpenMP (parallel)."""
    return bool(FASTACT_BUILD_OPENMP)


def omp_max_threads():
    """OpenMP's default team size in this process (1 without OpenMP)."""
    return fastact_omp_max_threads()


def build_flags():
    return FASTACT_BUILD_FLAGS.decode()


def simd_detected():
    return fastact_simd_detected().decode()


def cpu_level():
    """The highest kernel variant this CPU can run: "avx512", "avx2" or "baseline"."""
    return fastact_cpu_level().decode()
