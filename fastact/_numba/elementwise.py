"""Elementwise kernels of the Numba CPU backend (``backend="numba"``).

The same ``run(op, out, inputs, p0, p1, n_threads, chunk)`` as the compiled Cython
module, over the registry's op table (``fastact._registry.ELEMENTWISE_OPS``): each op
is a form (``f(a)``, ``a*f(b)``, ...) applied to a point function of ``pointwise.py``.

Kernels are compiled lazily, one per (op, dtype, layout) the first time it is used,
memoised, and cached on disk (``cache=True``; Numba falls back to a user cache
directory when the package directory is read-only; ``NUMBA_CACHE_DIR`` overrides).
Two layouts:

* ``flat``: every operand C-contiguous (any shape, walked as one run).  The loop has
  a variant for the output being each of the inputs (in place), chosen inside the
  kernel by comparing data pointers: with two names for one array LLVM would guard
  the vector loop by an overlap check that in-place calls always fail.  Scheduling:
  ``prange`` over elements, handed out dynamically ``chunk`` at a time.
* ``strided``: 2-D views with any strides (the layouts ``fastact._layout`` produces),
  walked as chunks of the flat index space; scalar code.

Every point function runs in float64 (see ``element_function``).
"""

from __future__ import annotations

import functools

import numba
import numpy as np
from numba import float64, prange, void
from numba.core import types
from numba.extending import register_jitable

from .. import _registry as reg
from . import SOURCE_STAMP, parallel, pointwise, vecmath
from .common import NUMBA_TYPES, jit_kernel
from .forms import cast_like, element_function

POINT = pointwise.point_functions(vecmath, register_jitable)


# ---------------------------------------------------------------- loops, by arity

def _flat_loop(g, arity: int):
    stamp = SOURCE_STAMP  # referenced by every loop: part of its on-disk cache key
    if arity == 1:
        def loop(o, a, p0, p1):
            stamp  # noqa: B018
            if o.ctypes.data == a.ctypes.data:
                for i in prange(o.size):
                    o[i] = g(o[i], 0.0, 0.0, p0, p1)
            else:
                for i in prange(o.size):
                    o[i] = g(a[i], 0.0, 0.0, p0, p1)
    elif arity == 2:
        def loop(o, a, b, p0, p1):
            stamp  # noqa: B018
            if o.ctypes.data == a.ctypes.data:
                for i in prange(o.size):
                    o[i] = g(o[i], b[i], 0.0, p0, p1)
            elif o.ctypes.data == b.ctypes.data:
                for i in prange(o.size):
                    o[i] = g(a[i], o[i], 0.0, p0, p1)
            else:
                for i in prange(o.size):
                    o[i] = g(a[i], b[i], 0.0, p0, p1)
    else:
        def loop(o, a, b, c, p0, p1):
            stamp  # noqa: B018
            if o.ctypes.data == a.ctypes.data:
                for i in prange(o.size):
                    o[i] = g(o[i], b[i], c[i], p0, p1)
            elif o.ctypes.data == b.ctypes.data:
                for i in prange(o.size):
                    o[i] = g(a[i], o[i], c[i], p0, p1)
            else:
                for i in prange(o.size):
                    o[i] = g(a[i], b[i], c[i], p0, p1)
    return loop


def _strided_loop(g, arity: int):
    # chunks of the flat index space of an (n0, n1) view; (r, j) advance incrementally
    stamp = SOURCE_STAMP  # referenced by every loop: part of its on-disk cache key
    if arity == 1:
        def loop(o, a, p0, p1, chunk):
            stamp  # noqa: B018
            n0, n1 = o.shape
            n = n0 * n1
            for c in prange((n + chunk - 1) // chunk):
                t0 = c * chunk
                r = t0 // n1
                j = t0 - r * n1
                for _ in range(t0, min(n, t0 + chunk)):
                    o[r, j] = g(a[r, j], 0.0, 0.0, p0, p1)
                    j += 1
                    if j == n1:
                        j = 0
                        r += 1
    elif arity == 2:
        def loop(o, a, b, p0, p1, chunk):
            stamp  # noqa: B018
            n0, n1 = o.shape
            n = n0 * n1
            for c in prange((n + chunk - 1) // chunk):
                t0 = c * chunk
                r = t0 // n1
                j = t0 - r * n1
                for _ in range(t0, min(n, t0 + chunk)):
                    o[r, j] = g(a[r, j], b[r, j], 0.0, p0, p1)
                    j += 1
                    if j == n1:
                        j = 0
                        r += 1
    else:
        def loop(o, a, b, c_, p0, p1, chunk):
            stamp  # noqa: B018
            n0, n1 = o.shape
            n = n0 * n1
            for c in prange((n + chunk - 1) // chunk):
                t0 = c * chunk
                r = t0 // n1
                j = t0 - r * n1
                for _ in range(t0, min(n, t0 + chunk)):
                    o[r, j] = g(a[r, j], b[r, j], c_[r, j],
                                p0, p1)
                    j += 1
                    if j == n1:
                        j = 0
                        r += 1
    return loop


@functools.lru_cache(maxsize=None)
def kernel(op_name: str, dtype: np.dtype, layout: str):
    """The compiled kernel of ``op_name`` for ``dtype`` and ``layout`` ("flat" or
    "strided"), compiled at the first request."""
    op = reg.OPS_BY_NAME[op_name]
    g = element_function(op, POINT, register_jitable, np.float64, cast_like)
    t = NUMBA_TYPES[np.dtype(dtype)]
    # the output, then the inputs: read-only in the signature, so that read-only arrays
    # are accepted (writeable ones convert)
    name = f"{op_name}_{np.dtype(dtype).name}_{layout}"
    if layout == "flat":
        out, ins = types.Array(t, 1, "C"), types.Array(t, 1, "C", readonly=True)
        return jit_kernel(_flat_loop(g, op.arity), name,
                          void(out, *[ins] * op.arity, float64, float64))
    out, ins = types.Array(t, 2, "A"), types.Array(t, 2, "A", readonly=True)
    return jit_kernel(_strided_loop(g, op.arity), name,
                      void(out, *[ins] * op.arity, float64, float64, numba.int64))


def run(op: str, out: np.ndarray, inputs: tuple, p0: float, p1: float, n_threads: int,
        chunk: int) -> None:
    """Compute ``op`` into ``out`` from ``inputs`` (same shape and dtype as ``out``,
    float32 or float64): all C-contiguous (any shape), or views of at most two
    dimensions with any strides."""
    if out.size == 0:
        return
    if out.flags.c_contiguous and all(a.flags.c_contiguous for a in inputs):
        k = kernel(op, out.dtype, "flat")
        with parallel.threads(n_threads, chunk):
            k(out.reshape(-1), *(a.reshape(-1) for a in inputs), p0, p1)
        return
    views = [a if a.ndim == 2 else a.reshape(1, -1) if a.ndim == 1 else a.reshape(1, 1)
             for a in (out, *inputs)]
    k = kernel(op, out.dtype, "strided")
    with parallel.threads(n_threads, 1):
        k(*views, p0, p1, chunk)
