"""The forms of the registry's op table (``fastact._registry.FORMS``) as element
functions, for the Numba CPU and CUDA loops."""

from __future__ import annotations

import numpy as np
from numba.core import types
from numba.extending import overload

from .. import _registry as reg


def cast_like(x, v):
    """``v`` converted to the type of ``x`` (compiled: float32 or float64)."""
    return v


@overload(cast_like)
def _cast_like(x, v):
    if isinstance(x, types.Float) and x.bitwidth == 32:
        return lambda x, v: np.float32(v)
    return lambda x, v: np.float64(v)


def element_function(op: reg.Op, point: dict, jit, widen, narrow_like):
    """``g(a, b, c, p0, p1)``: the value of ``op`` at one element, given the elements
    in their storage dtype (unused operands are ignored).

    ``point`` maps names to point functions (``pointwise.point_functions``), ``jit``
    compiles a helper for the target, ``widen(x)`` converts an element to float64 and
    ``narrow_like(x, v)`` rounds v to the storage type of x.  Point functions run in
    float64 on parameters rounded to the storage dtype (as the Cython kernels take
    them); a product with ``dy`` is taken in the storage dtype after rounding the
    derivative to it, so ``backward(dy, x)`` is bitwise ``dy * derivative(x)``."""
    fn = point.get(op.fn)

    @jit
    def param(x, p):
        return widen(narrow_like(x, p))

    if op.form == "f(a)":
        def g(a, b, c, p0, p1):
            return fn(widen(a), param(a, p0), param(a, p1))
    elif op.form == "a*f(b)":
        def g(a, b, c, p0, p1):
            return a * narrow_like(a, fn(widen(b), param(a, p0), param(a, p1)))
    elif op.form == "f(a,b)":
        def g(a, b, c, p0, p1):
            return fn(widen(a), widen(b))
    elif op.form == "a*f(b,c)":
        def g(a, b, c, p0, p1):
            return a * narrow_like(a, fn(widen(b), widen(c)))
    elif op.form == "a*g(b)":
        def g(a, b, c, p0, p1):
            return a * narrow_like(a, fn(widen(b)))
    elif op.form == "a*p0":
        def g(a, b, c, p0, p1):
            return a * narrow_like(a, p0)
    else:
        raise ValueError(f"unknown form {op.form!r} of op {op.name!r}")
    return jit(g)
