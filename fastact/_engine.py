"""Run a call: check it (``_validation``), prepare the buffers, pick the backend and
the thread count, run the kernel, and hand the result back in the caller's dtype.

Buffers handed to a kernel are always native float32/float64 and aligned; float16,
integer, bool and byte-swapped inputs are converted first (out of place, or through a
temporary that is copied into a float16 ``out`` at the end).
"""

from __future__ import annotations

import numpy as np

from . import _config, _kernels as _kernel_modules, _layout, _registry as reg, _validation as val, reference

# Elements per chunk handed to one thread by the parallel loops (dynamic schedule).
CHUNK_ELEMENTS = 32_768


def _kernels(module: str):
    """The compiled kernel module (``_elementwise`` or ``_softmax``) of the variant
    selected for this CPU."""
    return _kernel_modules.load(module.lstrip("_"))


_run_elementwise = None  # the compiled kernels' run(), bound at first use


def fast_elementwise(op: str, threshold: int, inputs: tuple, out, backend, n_threads,
                     p0: float, p1: float):
    """The common call, checked in a few attribute tests: the default backend, native
    float32/float64 C-contiguous aligned ndarrays of one shape and dtype, ``out``
    absent or one of the inputs (in place, writeable).  Returns None when the call is
    anything else; the general path (``elementwise``) then checks and runs it."""
    global _run_elementwise
    if backend != "auto" or _config._context.get()[0] is not None:
        return None
    x = inputs[0]
    if type(x) is not np.ndarray:
        return None
    dt = x.dtype
    if dt is not val.F32 and dt is not val.F64:
        return None
    flags = x.flags
    if not (flags.c_contiguous and flags.aligned):
        return None
    for a in inputs[1:]:
        if type(a) is not np.ndarray or a.dtype is not dt or a.shape != x.shape:
            return None
        flags = a.flags
        if not (flags.c_contiguous and flags.aligned):
            return None
    if out is None:
        out = np.empty_like(x)
    elif not any(out is a for a in inputs) or not out.flags.writeable:
        return None
    size = x.size
    if n_threads is not None or size >= threshold:
        nth = _config.resolve_n_threads(n_threads)  # also validates an explicit n_threads
        if size < threshold:
            nth = 1
    else:
        nth = 1
    if _run_elementwise is None:
        _run_elementwise = _kernels("_elementwise").run
    _run_elementwise(op, out, inputs, p0, p1, nth, CHUNK_ELEMENTS)
    return out


def _backend(backend) -> str:
    b = _config.resolve_backend(backend)
    return "cython" if b == "auto" else b


def _threads(n_threads, size: int, work: str) -> int:
    n = _config.resolve_n_threads(n_threads)
    return 1 if size < reg.PARALLEL_MIN_SIZE[work] else n


def _prepare(arrays, names, out, inputs_for_overlap):
    """Check dtypes/shape of ``out`` and convert the inputs for the kernels.

    Returns (converted inputs, kernel output buffer, out to return, result dtype)."""
    result = val.common_result_dtype(arrays, names)
    comp = val.compute_dtype(result)
    shape = arrays[0].shape
    if out is not None:
        val.check_out(out, shape, result, inputs_for_overlap)
    converted = [np.require(a, dtype=comp, requirements="A") for a in arrays]
    if out is not None and out.dtype == comp:
        buf = out
    else:
        buf = np.empty_like(converted[0], dtype=comp)
    return converted, buf, result


def _finish(buf, out, result):
    if out is not None:
        if buf is not out:
            out[...] = buf
        return out
    return buf if buf.dtype == result else buf.astype(result)


def elementwise(spec: reg.Spec, direction: str, args: tuple, names: tuple, out, backend,
                n_threads, params: dict, where: str):
    """``direction``: "fwd" and "der" take (x,); "bwd_x" takes (dy, x); "bwd_y" (dy, y)."""
    params = val.check_params(spec, params, where)
    backend = _backend(backend)
    arrays = [val.as_array(a, n) for a, n in zip(args, names)]
    for a, n in zip(arrays[1:], names[1:]):
        val.check_same_shape(arrays[0], a, names[0], n)
    converted, buf, result = _prepare(arrays, names, out, dict(zip(names, args)))
    kernel = spec.kernel_for(params)
    p = [params[q.name] for q in spec.numeric_params] + [0.0, 0.0]
    if backend == "numpy":
        twin = reference.TWINS[kernel]
        if direction == "fwd":
            res = twin.fwd(converted[0], p[0], p[1])
        elif direction == "der":
            res = twin.der(converted[0], p[0], p[1])
        elif direction == "bwd_x":
            res = converted[0] * twin.der(converted[1], p[0], p[1])
        else:
            res = converted[0] * twin.der_y(converted[1], p[0], p[1])
        buf[...] = res
    else:
        run = _kernels("_elementwise").run
        nth = _threads(n_threads, buf.size, spec.work)
        for views in _layout.elementwise_views(buf, *converted):
            run(f"{kernel}_{direction}", views[0], views[1:], p[0], p[1], nth, CHUNK_ELEMENTS)
    return _finish(buf, out, result)


# ---------------------------------------------------------------- prelu

def prelu(direction: str, dy, x, weight, out, backend, n_threads):
    """prelu forward ("fwd"), derivative ("der") or backward ("bwd": returns (dx, dw))."""
    backend = _backend(backend)
    args, names = ((x,), ("x",)) if direction != "bwd" else ((dy, x), ("dy", "x"))
    arrays = [val.as_array(a, n) for a, n in zip(args, names)]
    if len(arrays) == 2:
        val.check_same_shape(arrays[0], arrays[1], "dy", "x")
    xa = arrays[-1]
    w = val.as_array(weight, "weight")
    val.check_broadcastable_to(w, xa.shape, "weight")
    converted, buf, result = _prepare(arrays, names, out, {**dict(zip(names, args)), "weight": w})
    wc = np.require(w, dtype=buf.dtype, requirements="A")
    wb = np.broadcast_to(wc, xa.shape)
    xc = converted[-1]
    if backend == "numpy":
        if direction == "fwd":
            buf[...] = reference.prelu(xc, wb)
        elif direction == "der":
            buf[...] = reference.prelu_der(xc, wb)
        else:
            dx, dw = reference.prelu_backward(converted[0], xc, wc)
            buf[...] = dx
            return _finish(buf, out, result), dw.astype(result, copy=False)
        return _finish(buf, out, result)
    run = _kernels("_elementwise").run
    nth = _threads(n_threads, buf.size, reg.CHEAP)
    # one slope for everything: the leaky_relu kernels with alpha = that slope (a
    # broadcast operand of stride 0 would keep the loop from vectorizing)
    alpha = float(wc.reshape(-1)[0]) if wc.size == 1 else None
    if direction in ("fwd", "der"):
        if alpha is not None:
            for v in _layout.elementwise_views(buf, xc):
                run(f"leaky_relu_{direction}", v[0], v[1:], alpha, 0.0, nth, CHUNK_ELEMENTS)
        else:
            for v in _layout.elementwise_views(buf, xc, wb):
                run(f"prelu_{direction}", v[0], v[1:], 0.0, 0.0, nth, CHUNK_ELEMENTS)
        return _finish(buf, out, result)
    dyc = converted[0]
    # the weight terms first: dx may be written over dy (out=dy)
    terms = np.empty_like(xc)
    for v in _layout.elementwise_views(terms, dyc, xc):
        run("prelu_bwd_weight_terms", v[0], v[1:], 0.0, 0.0, nth, CHUNK_ELEMENTS)
    if alpha is not None:
        for v in _layout.elementwise_views(buf, dyc, xc):
            run("leaky_relu_bwd_x", v[0], v[1:], alpha, 0.0, nth, CHUNK_ELEMENTS)
    else:
        for v in _layout.elementwise_views(buf, dyc, xc, wb):
            run("prelu_bwd_x", v[0], v[1:], 0.0, 0.0, nth, CHUNK_ELEMENTS)
    dw = reference.sum_to_shape(terms, wc.shape)
    return _finish(buf, out, result), dw.astype(result, copy=False)


# ---------------------------------------------------------------- softmax

def softmax(log: bool, backward: bool, args: tuple, names: tuple, axis, out, temperature,
            mask, backend, n_threads):
    """(log_)softmax of x (args = (x,)) or its backward (args = (dy, y))."""
    backend = _backend(backend)
    arrays = [val.as_array(a, n) for a, n in zip(args, names)]
    if len(arrays) == 2:
        val.check_same_shape(arrays[0], arrays[1], names[0], names[1])
    shape = arrays[0].shape
    axis = val.normalize_axis(axis, len(shape))
    t = val.check_temperature(temperature)
    m = None if mask is None else val.check_mask(mask, shape)
    converted, buf, result = _prepare(arrays, names, out, dict(zip(names, args)))
    if buf.size == 0:
        return _finish(buf, out, result)
    if backend == "numpy":
        if backward:
            buf[...] = reference.softmax_backward(converted[0], converted[1], axis, t, m, log)
        else:
            buf[...] = reference.softmax(converted[0], axis, t, m, log)
        return _finish(buf, out, result)
    kind = "log_softmax" if log else "softmax"
    # a 0-d array is one row of one element
    work = [a.reshape(1) if a.ndim == 0 else a for a in [buf] + converted]
    mask8 = None
    if m is not None:
        mask8 = np.broadcast_to(m, shape).reshape(work[0].shape).view(np.uint8)
    _run_softmax(kind, backward, axis, work, mask8, t,
                 _threads(n_threads, buf.size, reg.TRANSCENDENTAL))
    return _finish(buf, out, result)


def _run_softmax(kind, backward, axis, work, mask8, t, nth):
    run = _kernels("_softmax").run
    operands = work + ([mask8] if mask8 is not None else [])
    views = _layout.softmax_views(axis, *operands)
    if views is None and mask8 is not None:
        # the mask's broadcast strides do not merge like the data's: lay it out like out
        dense = np.empty_like(work[0], dtype=np.uint8)
        dense[...] = mask8
        mask8 = dense
        views = _layout.softmax_views(axis, *work, mask8)
    if views is None:
        # no strided description: compute on contiguous (rows, axis) copies
        moved = [np.ascontiguousarray(np.moveaxis(a, axis, -1)) for a in work[1:]]
        tmp_out = np.empty_like(moved[0])
        tmp_mask = None
        if mask8 is not None:
            tmp_mask = np.ascontiguousarray(np.moveaxis(mask8, axis, -1))
        _run_softmax(kind, backward, tmp_out.ndim - 1, [tmp_out] + moved, tmp_mask, t, nth)
        np.moveaxis(work[0], axis, -1)[...] = tmp_out
        return
    o, a = views[0], views[1]
    b = views[2] if backward else None
    mv = views[-1] if mask8 is not None else None
    run(kind, backward, o, a, b, mv, t, nth, CHUNK_ELEMENTS)
