"""Run a call: check it (``_validation``), prepare the buffers, pick the backend and
the thread count, run the kernel, and hand the result back in the caller's dtype.

Buffers handed to a kernel are always native float32/float64 and aligned; float16,
integer, bool and byte-swapped inputs are converted first (out of place, or through a
temporary that is copied into a float16 ``out`` at the end).
"""

from __future__ import annotations

import math

import numpy as np

from . import _config, _kernels as _kernel_modules, _layout, _registry as reg, _validation as val, reference

# Elements per chunk handed to one thread by the parallel loops (dynamic schedule).
# About 1/CHUNKS_PER_CALL of the call, between CHUNK_MIN and CHUNK_MAX, so that a slow
# or stolen core holds back one part of the call.  Short chunks cost: at 16M float32 on
# 2 threads, sigmoid ran 0.152 ns/elem with 32K-element chunks and 0.125 with 256K, relu
# 0.105 and 0.097; softmax (64, 32000) 0.165 with one 32000-element row per chunk and
# 0.135 with four (``python bench/chunk_size.py``).  The chunks are then evened out so
# that every thread gets the same number of equal chunks: 1e5 elements on 2 threads in
# chunks of 32 Ki (3 threads' worth of work: 32 Ki, 32 Ki, 32 Ki, 1.7 Ki) ran sigmoid at
# 0.144 ns/elem, in four chunks of 25 Ki at 0.115.  A chunk is a whole number of
# CHUNK_ALIGN elements, so every chunk but the last starts on a 4 KiB boundary.
CHUNK_MIN = 32_768
CHUNK_MAX = 262_144
CHUNKS_PER_CALL = 8
CHUNK_ALIGN = 1024


def chunk_elements(n: int, n_threads: int) -> int:
    """Elements per dynamically scheduled chunk of an n-element call on n_threads
    threads: a multiple of CHUNK_ALIGN, about 1/CHUNKS_PER_CALL of the call and at most
    CHUNK_MAX, cut so that the chunks come in whole rounds of n_threads equal chunks
    (the last one shorter by less than CHUNK_ALIGN per chunk)."""
    part = n // CHUNKS_PER_CALL  # (plain integer steps: called per parallel call)
    target = (CHUNK_MIN if part < CHUNK_MIN else CHUNK_MAX if part >= CHUNK_MAX
              else 1 << (part.bit_length() - 1))
    if n_threads < 1 or n < 1:
        n_threads, n = 1, max(n, 1)
    per_round = target * n_threads
    n_chunks = (n + per_round - 1) // per_round * n_threads
    return ((n + n_chunks - 1) // n_chunks + CHUNK_ALIGN - 1) // CHUNK_ALIGN * CHUNK_ALIGN


def _kernels(module: str, backend: str = "cython"):
    """The kernel module (``_elementwise`` or ``_softmax``) of ``backend``: the compiled
    Cython variant selected for this CPU, or the Numba module (``fastact._numba``)
    with the same ``run`` interface."""
    if backend == "numba":
        return _kernel_modules.load_numba(module.lstrip("_"))
    return _kernel_modules.load(module.lstrip("_"))


_run_elementwise = None  # the compiled kernels' run(), bound at first use


def _fast_out(inputs: tuple, out, backend):
    """The checks of the fast paths (``fast_elementwise``, ``fast_softmax``), in a few
    attribute tests: the default (or Cython) backend, native float32/float64 C-contiguous
    aligned ndarrays of one shape and dtype, ``out`` absent, one of the inputs (in
    place, writeable) or a writeable array like them whose bytes lie apart from every
    input's.  Returns the output array (a new one for ``out=None``), or None when the
    call is anything else: the general path then checks and runs it."""
    if (backend != "auto" and backend != "cython") or _config._context.get()[0] is not None:
        return None  # ("auto" runs the Cython kernels on host arrays, the only ones taken here)
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
        return np.empty_like(x)
    if out is x or out is inputs[-1]:  # in place (inputs holds 1 or 2 arrays)
        return out if out.flags.writeable else None
    # out of place: a like array apart from every input (its bounds checked only)
    if type(out) is not np.ndarray or out.dtype is not dt or out.shape != x.shape:
        return None
    flags = out.flags
    if not (flags.c_contiguous and flags.aligned and flags.writeable):
        return None
    for a in inputs:
        if np.may_share_memory(a, out):  # a view of an input, or overlapping
            return None
    return out


def _fast_threads(n_threads, size: int, threshold: int) -> int:
    if size < threshold and (n_threads is None or (type(n_threads) is int and n_threads != 0)):
        return 1  # (a plain nonzero int is a valid n_threads: no need to resolve it)
    nth = _config.resolve_n_threads(n_threads)  # also validates an explicit n_threads
    return 1 if size < threshold else _config.threads_to_run(nth)


def fast_elementwise(op: str, threshold: int, inputs: tuple, out, backend, n_threads,
                     p0: float, p1: float):
    """The common call (``_fast_out``) of ``op`` at once; None when the call is anything
    else: the general path (``elementwise``) then checks and runs it."""
    global _run_elementwise
    out = _fast_out(inputs, out, backend)
    if out is None:
        return None
    size = out.size
    nth = _fast_threads(n_threads, size, threshold)
    if _run_elementwise is None:
        _run_elementwise = _kernels("_elementwise").run
    chunk = CHUNK_MIN if nth == 1 else chunk_elements(size, nth)  # (0.15 us: only when parallel)
    _run_elementwise(op, out, inputs, p0, p1, nth, chunk)
    return out


def _one_slope(x, weight, out):
    """The slope of a prelu call that has one for the whole array -- a Python float, or
    a one-element float32/float64 ndarray that broadcasts to x and shares no memory
    with ``out`` -- as a float; None for any other weight (the general path judges)."""
    if type(weight) is float:
        return weight
    if (type(weight) is np.ndarray and weight.size == 1 and type(x) is np.ndarray
            and weight.ndim <= x.ndim and (weight.dtype is val.F32 or weight.dtype is val.F64)):
        if out is not None and np.may_share_memory(weight, out):
            return None  # (the general path refuses an out overlapping the weight)
        return weight.item()
    return None


def fast_prelu(direction: str, x, weight, out, backend, n_threads):
    """prelu's common call at once: one slope (``_one_slope``) runs the leaky_relu kernel
    of ``direction`` ("fwd" or "der") with it, as the general path (``prelu``) does, on
    the arrays of ``_fast_out``.  None when the call is anything else."""
    alpha = _one_slope(x, weight, out)
    if alpha is None:
        return None
    return fast_elementwise(f"leaky_relu_{direction}", reg.PARALLEL_MIN_SIZE[reg.CHEAP], (x,), out,
                            backend, n_threads, alpha, 0.0)


def fast_prelu_backward(dy, x, weight, out, backend, n_threads):
    """prelu.backward's common call at once: one slope (``_one_slope``) and the arrays of
    ``_fast_out``: (dx, dweight) from the one-sweep kernel, as the general path gives
    them.  None when the call is anything else."""
    alpha = _one_slope(x, weight, out)
    if alpha is None:
        return None
    dx = _fast_out((dy, x), out, backend)
    if dx is None:
        return None
    nth = _fast_threads(n_threads, dx.size, reg.PARALLEL_MIN_SIZE[reg.CHEAP_BACKWARD])
    total = _kernels("_elementwise").prelu_backward_one_slope(dx, dy, x, alpha, nth)
    return dx, np.full(np.shape(weight), total, dtype=dx.dtype)


_run_softmax_rows = None  # the compiled kernels' run(), bound at first use


def fast_softmax(kind: str, backward: bool, inputs: tuple, axis, out, temperature, mask,
                 backend, n_threads):
    """The common softmax call: the checks of ``_fast_out``, along the last axis of a
    non-empty array, temperature 1 and no mask.  None when the call is anything else:
    the general path (``softmax``) then checks and runs it."""
    global _run_softmax_rows
    if mask is not None or type(temperature) not in (float, int) or temperature != 1:
        return None
    out = _fast_out(inputs, out, backend)
    if (out is None or out.ndim == 0 or out.size == 0 or type(axis) is not int
            or (axis != -1 and axis != out.ndim - 1)):
        return None
    size = out.size
    length = out.shape[-1]
    rows = [a.reshape(size // length, length, 1) for a in (out,) + inputs]
    nth = _fast_threads(n_threads, size, reg.PARALLEL_MIN_SIZE[reg.TRANSCENDENTAL])
    if _run_softmax_rows is None:
        _run_softmax_rows = _kernels("_softmax").run
    _run_softmax_rows(kind, backward, rows[0], rows[1], rows[2] if backward else None, None,
                      1.0, nth, CHUNK_MIN if nth == 1 else chunk_elements(size, nth))
    return out


def _backend(backend, args=(), names=()) -> str:
    """The backend of a call: the argument / config block / "auto", resolved by where
    the arrays live ("auto" = the Cython kernels on the CPU, CUDA for GPU arrays).
    Host and GPU never mix: fastact makes no hidden transfers."""
    b = _config.resolve_backend(backend)
    on_device = [a is not None and val.is_device_array(a) for a in args]
    if any(on_device):
        if b not in ("auto", "cuda"):
            name = names[on_device.index(True)]
            raise TypeError(f"{name} is a GPU array but backend={b!r} runs on the CPU: use "
                            'backend="cuda" (or "auto"); fastact never copies between host '
                            "and device")
        return "cuda"
    if b == "cuda":
        raise TypeError('backend="cuda" computes on GPU arrays (objects with '
                        f"__cuda_array_interface__), but {names[0]} is a "
                        f"{type(args[0]).__name__}: move the data to the device first "
                        "(fastact makes no hidden transfers)")
    return "cython" if b == "auto" else b


def _threads(n_threads, size: int, work: str) -> int:
    n = _config.resolve_n_threads(n_threads)
    return 1 if size < reg.PARALLEL_MIN_SIZE[work] else _config.threads_to_run(n)


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
    backend = _backend(backend, args, names)
    kernel = spec.kernel_for(params)
    p = [params[q.name] for q in spec.numeric_params] + [0.0, 0.0]
    if backend == "cuda":
        return cuda_elementwise(f"{kernel}_{direction}", args, names, out, p[0], p[1])
    arrays = [val.as_array(a, n) for a, n in zip(args, names)]
    for a, n in zip(arrays[1:], names[1:]):
        val.check_same_shape(arrays[0], a, names[0], n)
    converted, buf, result = _prepare(arrays, names, out, dict(zip(names, args)))
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
        run = _kernels("_elementwise", backend).run
        nth = _threads(n_threads, buf.size, reg.work_class(spec, direction))
        chunk = chunk_elements(buf.size, nth)
        for views in _layout.elementwise_views(buf, *converted):
            run(f"{kernel}_{direction}", views[0], views[1:], p[0], p[1], nth, chunk)
    return _finish(buf, out, result)


# ---------------------------------------------------------------- prelu

def prelu(direction: str, dy, x, weight, out, backend, n_threads):
    """prelu forward ("fwd"), derivative ("der") or backward ("bwd": returns (dx, dw))."""
    args, names = ((x,), ("x",)) if direction != "bwd" else ((dy, x), ("dy", "x"))
    backend = _backend(backend, args + (weight,), names + ("weight",))
    if backend == "cuda":
        return cuda_prelu(direction, args, names, weight, out)
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
    run = _kernels("_elementwise", backend).run
    nth = _threads(n_threads, buf.size, reg.CHEAP if direction != "bwd" else reg.CHEAP_BACKWARD)
    chunk = chunk_elements(buf.size, nth)
    # one slope for everything: the leaky_relu kernels with alpha = that slope (a
    # broadcast operand of stride 0 would keep the loop from vectorizing)
    alpha = float(wc.reshape(-1)[0]) if wc.size == 1 else None
    if direction in ("fwd", "der"):
        if alpha is not None:
            for v in _layout.elementwise_views(buf, xc):
                run(f"leaky_relu_{direction}", v[0], v[1:], alpha, 0.0, nth, chunk)
        else:
            for v in _layout.elementwise_views(buf, xc, wb):
                run(f"prelu_{direction}", v[0], v[1:], 0.0, 0.0, nth, chunk)
        return _finish(buf, out, result)
    dyc = converted[0]
    if (alpha is not None and backend == "cython" and buf.flags.c_contiguous
            and dyc.flags.c_contiguous and xc.flags.c_contiguous):
        # one slope: dx and the weight's sum in one sweep, no temporary (16M float32 on
        # 1 thread, out=dy: 19 -> 5.1 ms)
        total = _kernels("_elementwise").prelu_backward_one_slope(buf, dyc, xc, alpha, nth)
        return _finish(buf, out, result), np.full(wc.shape, total, dtype=result)
    # the weight terms first: dx may be written over dy (out=dy)
    terms = np.empty_like(xc)
    for v in _layout.elementwise_views(terms, dyc, xc):
        run("prelu_bwd_weight_terms", v[0], v[1:], 0.0, 0.0, nth, chunk)
    if alpha is not None:
        for v in _layout.elementwise_views(buf, dyc, xc):
            run("leaky_relu_bwd_x", v[0], v[1:], alpha, 0.0, nth, chunk)
    else:
        for v in _layout.elementwise_views(buf, dyc, xc, wb):
            run("prelu_bwd_x", v[0], v[1:], 0.0, 0.0, nth, chunk)
    dw = reference.sum_to_shape(terms, wc.shape)
    return _finish(buf, out, result), dw.astype(result, copy=False)


# ---------------------------------------------------------------- softmax

def softmax(log: bool, backward: bool, args: tuple, names: tuple, axis, out, temperature,
            mask, backend, n_threads):
    """(log_)softmax of x (args = (x,)) or its backward (args = (dy, y))."""
    backend = _backend(backend, args + (mask,), names + ("mask",))
    if backend == "cuda":
        return cuda_softmax(log, backward, args, names, axis, out, temperature, mask)
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
    converted[0], t = _bring_temperature_into_range(converted[0], buf, t)
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
    _run_softmax(_kernels("_softmax", backend).run, kind, backward, axis, work, mask8, t,
                 _threads(n_threads, buf.size, reg.TRANSCENDENTAL))
    return _finish(buf, out, result)


# Above these, T (or 1/T) would round to inf (or 0) in the dtype and -inf / inf (or
# -inf * 0) make NaN rows: T is brought down by a power of two.
_TEMPERATURE_LIMIT = {np.dtype(np.float32): 2.0 ** 100, np.dtype(np.float64): 2.0 ** 1000}


def _bring_temperature_into_range(first, buf, t):
    """softmax(x, T) = softmax(x 2^-k, T 2^-k) (the backward likewise with dy): for a T
    above the dtype's limit, x (dy) scaled into ``buf`` -- the output, so in place stays
    in place -- and the smaller T.  k is capped where the scale would underflow: there
    every (x - max)/T is below 2^-98 either way and each term rounds to 1."""
    limit = _TEMPERATURE_LIMIT.get(buf.dtype)
    if limit is None or t <= limit:
        return first, t
    k = min(math.frexp(t / limit)[1], np.finfo(buf.dtype).maxexp)
    np.multiply(first, buf.dtype.type(2.0 ** -k), out=buf)
    return buf, min(t * 2.0 ** -k, limit)


def _run_softmax(run, kind, backward, axis, work, mask8, t, nth):
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
        _run_softmax(run, kind, backward, tmp_out.ndim - 1, [tmp_out] + moved, tmp_mask, t, nth)
        np.moveaxis(work[0], axis, -1)[...] = tmp_out
        return
    o, a = views[0], views[1]
    b = views[2] if backward else None
    mv = views[-1] if mask8 is not None else None
    run(kind, backward, o, a, b, mv, t, nth, chunk_elements(work[0].size, nth))


# ---------------------------------------------------------------- GPU arrays (backend "cuda")
# Checks from __cuda_array_interface__ (_validation), then the kernels of
# fastact._numba.gpu on Numba device views of the caller's arrays: no host copies.
# Results are new arrays of the caller's kind (CuPy, PyTorch, Numba) or ``out``.

def _gpu():
    return _kernel_modules.load_cuda()


def _device_operands(args, names, out):
    """(dtype, shape) of GPU operands of one shape, ``out`` checked."""
    dtype = val.check_device_operands(list(args), names)
    shape = val.device_shape(args[0])
    for a, n in zip(args[1:], names[1:]):
        if val.device_shape(a) != shape:
            raise ValueError(f"{names[0]} has shape {shape} but {n} has shape "
                             f"{val.device_shape(a)}; they must be equal")
    if out is not None:
        val.check_device_out(out, shape, dtype, dict(zip(names, args)))
    return dtype, shape


def cuda_elementwise(op: str, args, names, out, p0: float, p1: float):
    gpu = _gpu()
    dtype, shape = _device_operands(args, names, out)
    handle, stream = gpu.caller_stream(list(args) + ([out] if out is not None else []))
    if out is None:
        out = gpu.empty_like(args[0], shape, dtype, stream)
    gpu.run_elementwise(op, gpu.as_device(out, handle), [gpu.as_device(a, handle) for a in args],
                        p0, p1, stream)
    return out


def cuda_prelu(direction: str, args, names, weight, out):
    gpu = _gpu()
    val.check_device_operands(list(args) + [weight], names + ("weight",))
    dtype, shape = _device_operands(args, names, None)
    if out is not None:
        val.check_device_out(out, shape, dtype, {**dict(zip(names, args)), "weight": weight})
    wshape = val.device_shape(weight)
    val.check_broadcastable_to(np.empty(wshape, np.uint8), shape, "weight")
    wsize = int(np.prod(wshape))
    if wsize != 1 and not (shape and wsize == shape[-1] and wshape[-1] == shape[-1]):
        raise ValueError(f"weight of shape {wshape}: on the CUDA backend prelu takes a weight "
                         "of size 1 or one slope per entry of the last axis of x")
    handle, stream = gpu.caller_stream(list(args) + [weight] + ([out] if out is not None else []))
    if out is None:
        out = gpu.empty_like(args[0], shape, dtype, stream)
    d_out, d_w = gpu.as_device(out, handle), gpu.as_device(weight, handle)
    d_args = [gpu.as_device(a, handle) for a in args]
    if direction in ("fwd", "der"):
        gpu.run_prelu(f"prelu_{direction}", d_out, d_args, d_w, stream)
        return out
    # the weight terms first: dx may be written over dy (out=dy)
    terms = gpu.cuda.device_array(shape, dtype, stream=stream)
    gpu.run_elementwise("prelu_bwd_weight_terms", terms, d_args, 0.0, 0.0, stream)
    gpu.run_prelu("prelu_bwd_x", d_out, d_args, d_w, stream)
    dw = gpu.empty_like(args[0], wshape, dtype, stream)
    # summed over the rows (no rows: zeros)
    gpu.column_sums(terms.reshape(terms.size // wsize, wsize), gpu.as_device(dw, handle).ravel(),
                    stream)
    return out, dw


def cuda_softmax(log: bool, backward: bool, args, names, axis, out, temperature, mask):
    gpu = _gpu()
    dtype, shape = _device_operands(args, names, out)
    axis = val.normalize_axis(axis, len(shape))
    t = val.check_temperature(temperature)
    if mask is not None:
        if not val.is_device_array(mask):
            raise TypeError(f"mask is a {type(mask).__name__} but {names[0]} is a GPU array: "
                            "fastact never copies between host and device")
        if val.device_shape(mask) != shape:
            raise ValueError(f"mask has shape {val.device_shape(mask)}: on the CUDA backend the "
                             f"mask is a GPU bool array of {names[0]}'s shape {shape}")
        if val.device_typestr_dtype(mask) != np.bool_:
            raise TypeError("mask must be a boolean array (True = keep)")
    handle, stream = gpu.caller_stream(list(args) + [a for a in (out, mask) if a is not None])
    if out is None:
        out = gpu.empty_like(args[0], shape, dtype, stream)
    dims = shape or (1,)
    outer = int(np.prod(dims[:axis]))
    inner = int(np.prod(dims[axis + 1:]))
    views = []
    for a, n in zip([out, *args, mask], ("out", *names, "mask")):
        if a is None:
            views.append(None)
            continue
        d = gpu.as_device(a, handle)
        if not d.is_c_contiguous():
            raise ValueError(f"{n}: softmax on the CUDA backend needs C-contiguous arrays "
                             "(fastact does not copy device data behind your back)")
        views.append(d.reshape(outer, dims[axis], inner))
    o, a, *rest = views
    b = rest[0] if backward else None
    gpu.run_softmax(log, backward, o, a, b, views[-1], t, stream)
    return out
