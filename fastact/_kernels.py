"""Load the compiled kernel modules, picking the variant the CPU runs best.

``setup.py`` builds each kernel family (``_elementwise``, ``_softmax``) once per
instruction-set level from the same sources: ``baseline`` (x86-64/SSE2, runs
anywhere), ``avx2`` (x86-64-v3) and ``avx512`` (x86-64-v4) -- or a single ``native``
variant with ``FASTACT_NATIVE=1``.  At first use the highest built variant that this
CPU supports is imported.  ``FASTACT_SIMD=baseline|avx2|avx512`` forces one (tests and
CI use it to exercise every path); forcing a level the CPU lacks is an error, never a
crash.
"""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import os

LEVELS = ("baseline", "avx2", "avx512")  # increasing
FAMILIES = ("elementwise", "softmax")


def built_variants() -> tuple[str, ...]:
    """Variants whose compiled modules sit in this package's directory (looked up as
    files: an import hook of another installation must not offer its variants)."""
    here = os.path.dirname(os.path.abspath(__file__))
    names = LEVELS + ("native",)
    return tuple(v for v in names
                 if all(any(os.path.exists(os.path.join(here, f"_{family}_{v}{suffix}"))
                            for suffix in importlib.machinery.EXTENSION_SUFFIXES)
                        for family in FAMILIES))


def cpu_level() -> str:
    from . import _buildinfo

    return _buildinfo.cpu_level()


@functools.lru_cache(maxsize=1)
def selected_variant() -> str:
    built = built_variants()
    if not built:
        raise ImportError(
            "fastact's compiled kernels are not built. Install with `pip install -e .` "
            '(needs a C compiler), or pass backend="numpy" for the NumPy reference.')
    forced = os.environ.get("FASTACT_SIMD", "auto").strip().lower() or "auto"
    if forced != "auto":
        if forced not in built:
            raise RuntimeError(f"FASTACT_SIMD={forced!r}: that kernel variant is not built "
                               f"here (built: {', '.join(built)}; or 'auto')")
        if forced in LEVELS and LEVELS.index(forced) > LEVELS.index(cpu_level()):
            raise RuntimeError(f"FASTACT_SIMD={forced!r}: this CPU only supports up to "
                               f"{cpu_level()!r}")
        return forced
    if "native" in built:
        return "native"
    top = LEVELS.index(cpu_level())
    return max((v for v in built if v in LEVELS and LEVELS.index(v) <= top), key=LEVELS.index)


@functools.lru_cache(maxsize=None)
def load(family: str):
    """The kernel module of ``family`` ("elementwise" or "softmax")."""
    if family not in FAMILIES:
        raise ValueError(family)
    return importlib.import_module(f"fastact._{family}_{selected_variant()}")


NUMBA_MODULES = {"elementwise": "fastact._numba.elementwise", "softmax": "fastact._numba.softmax"}


@functools.lru_cache(maxsize=None)
def load_numba(family: str):
    """The Numba CPU kernel module of ``family`` (imports numba at the first use)."""
    try:
        import numba  # noqa: F401  (checked here for a clear message)
    except ImportError as exc:
        raise ImportError(f'backend="numba" needs the numba package ({exc}); install it with '
                          '`pip install numba`, or use backend="cython"') from exc
    return importlib.import_module(NUMBA_MODULES[family])


@functools.lru_cache(maxsize=1)
def load_cuda():
    """The Numba CUDA kernel module (imports numba.cuda at the first GPU call)."""
    return importlib.import_module("fastact._numba.gpu")
