"""Describe arrays of any layout to the kernels as a few strided dimensions.

The kernels take elementwise operands as at most 2-D views and softmax operands as
3-D ``(outer, axis, inner)`` views, each with its own strides (negative and zero
strides included).  Dimensions are merged when every operand allows it, so C- and
Fortran-ordered arrays become one flat run of memory, and any view (transposed,
sliced, reversed) is walked in place, through the view, without copies.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided


def _merged(shape, dims, arrays):
    """Merge ``dims`` (outer to inner) where every array is contiguous across them.

    Returns ``[(size, [stride per array]), ...]``, size-1 dimensions dropped."""
    groups: list[tuple[int, list[int]]] = []
    for d in dims:
        n = shape[d]
        if n == 1:
            continue
        strides = [a.strides[d] for a in arrays]
        if groups and all(gs == s * n for gs, s in zip(groups[-1][1], strides)):
            groups[-1] = (groups[-1][0] * n, strides)
        else:
            groups.append((n, strides))
    return groups


def _by_stride(shape, dims, ref: np.ndarray):
    """``dims`` ordered from the largest to the smallest |stride| of ``ref``."""
    return sorted(dims, key=lambda d: -abs(ref.strides[d]))


def _view(a: np.ndarray, shape, strides) -> np.ndarray:
    return as_strided(a, shape=tuple(shape), strides=tuple(strides),
                      writeable=a.flags.writeable, subok=False)


def elementwise_views(out: np.ndarray, *inputs: np.ndarray):
    """Yield tuples ``(out_view, input_views...)`` of 1-D or 2-D views covering the
    arrays (all of ``out``'s shape; inputs may have 0 strides from broadcasting)."""
    arrays = (out,) + inputs
    if all(a.flags.c_contiguous for a in arrays):
        yield tuple(a.reshape(-1) for a in arrays)
        return
    if all(a.flags.f_contiguous for a in arrays):
        yield tuple(a.reshape(-1, order="F") for a in arrays)
        return
    shape = out.shape
    groups = _merged(shape, _by_stride(shape, range(out.ndim), out), arrays)
    if not groups:
        groups = [(1, [a.itemsize for a in arrays])]
    sizes = [g[0] for g in groups]
    full = [_view(a, sizes, [g[1][k] for g in groups]) for k, a in enumerate(arrays)]
    if len(groups) <= 2:
        yield tuple(full)
        return
    # more than two dimensions that cannot merge: loop over the outer ones here
    for index in itertools.product(*(range(n) for n in sizes[:-2])):
        yield tuple(f[index] for f in full)


def softmax_views(axis: int, out: np.ndarray, *inputs: np.ndarray):
    """3-D ``(outer, axis, inner)`` views of ``out`` and ``inputs`` (the last input may
    be a uint8 mask with broadcast strides) for the softmax kernels, or None when the
    layout needs contiguous temporaries.

    Row mode (``inner == 1``): the axis is contiguous in every float operand and the
    other dimensions merge into one.  Column mode: the other dimensions merge into
    ``outer`` and a contiguous ``inner`` run, so the kernel vectorizes across rows.
    """
    arrays = (out,) + inputs
    floats = [a for a in arrays if a.dtype.kind == "f"]
    shape = out.shape
    length = shape[axis]
    others = _by_stride(shape, [d for d in range(out.ndim) if d != axis], out)
    groups = _merged(shape, others, arrays)
    axis_strides = [a.strides[axis] for a in arrays]
    if length == 1 or all(a.strides[axis] == a.itemsize for a in floats):
        if len(groups) > 1:
            return None
        n, strides = groups[0] if groups else (1, [0] * len(arrays))
        return [_view(a, (n, length, 1), (strides[k], axis_strides[k], 0))
                for k, a in enumerate(arrays)]
    if not groups or len(groups) > 2:
        return None
    inner_n, inner_strides = groups[-1]
    if any(s != a.itemsize for s, a in zip(inner_strides, arrays) if a.dtype.kind == "f"):
        return None
    outer_n, outer_strides = groups[0] if len(groups) == 2 else (1, [0] * len(arrays))
    return [_view(a, (outer_n, length, inner_n), (outer_strides[k], axis_strides[k], inner_strides[k]))
            for k, a in enumerate(arrays)]
