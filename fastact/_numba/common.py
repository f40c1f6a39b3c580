"""What the Numba CPU kernel modules share: compile options, Numba types by dtype,
and ``jit_kernel``, which names each kernel before compiling it."""

from __future__ import annotations

import numba
import numpy as np
from numba import float32, float64

JIT_OPTIONS = dict(parallel=True, nogil=True, cache=True, error_model="numpy", boundscheck=False)
NUMBA_TYPES = {np.dtype(np.float32): float32, np.dtype(np.float64): float64}


def jit_kernel(fn, name: str, signature):
    """``fn`` compiled for ``signature`` with JIT_OPTIONS, under its own ``name``.

    The loops are closures made by one factory: unnamed, every op would share one
    on-disk cache index and one set of data files (Numba names them after the
    function), and processes compiling different ops at once could overwrite each
    other's entries.  A name per kernel gives each its own files."""
    fn.__name__ = fn.__qualname__ = name
    return numba.njit(signature, **JIT_OPTIONS)(fn)
