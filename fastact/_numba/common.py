"""What the Numba CPU kernel modules share: compile options, Numba types by dtype,
and ``jit_kernel``, which names each kernel before compiling it."""

from __future__ import annotations

import sys
import types

import numba
import numpy as np
from numba import float32, float64

JIT_OPTIONS = dict(parallel=True, nogil=True, cache=True, error_model="numpy", boundscheck=False)
NUMBA_TYPES = {np.dtype(np.float32): float32, np.dtype(np.float64): float64}


def jit_kernel(fn, name: str, signature):
    """``fn`` compiled for ``signature`` with JIT_OPTIONS, under its own ``name``.

    The kernels are closures made by factories, which Numba's disk cache handles as
    follows: the cache files are named after the function, and the cache key holds a
    pickle of the closure's cells.  So:

    * a name per kernel gives each its own files (unnamed, every op would share one
      index, which processes compiling different ops at once could overwrite);
    * the functions in the cells (element functions, row helpers) -- and in their cells,
      down the chain -- get names of their own and are published as attributes of their
      module, so that they pickle by reference: pickled by value, their code objects
      pickle differently in a process that compiled the module from source and one that
      loaded it from ``__pycache__``, and every first run would miss the cache.  The
      names matter beyond the cache too: a helper compiled into a kernel is a symbol
      named after the function, and two kernels loaded from the disk cache that each
      hold a helper of the same name (softmax's and log_softmax's ``special_row``) were
      linked to whichever loaded first -- log_softmax then wrote softmax's special rows.
      The cells' ``SOURCE_STAMP`` still changes the key when any source of the backend
      changes."""
    fn.__name__ = fn.__qualname__ = name
    _publish_closure(fn, "_" + name)
    return numba.njit(signature, **JIT_OPTIONS)(fn)


def _publish_closure(fn, prefix: str) -> None:
    """Name every factory-made function reachable through ``fn``'s closure after the
    cell that holds it (``{prefix}__{var}``, recursively) and publish it on its module."""
    for var, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        content = cell.cell_contents
        if isinstance(content, types.FunctionType) and "<locals>" in content.__qualname__:
            published = f"{prefix}__{var}"
            content.__name__ = content.__qualname__ = published
            setattr(sys.modules[content.__module__], published, content)
            _publish_closure(content, published)
