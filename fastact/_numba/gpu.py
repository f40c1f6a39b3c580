"""CUDA backend (``backend="cuda"``, and ``"auto"`` for GPU arrays): Numba CUDA kernels
on arrays exposing ``__cuda_array_interface__`` (CuPy, PyTorch CUDA tensors, Numba
device arrays), with no host copies.

* Elementwise: the registry's op table (forms of ``forms.py``) over the point functions
  of ``pointwise.py``, compiled for the device over ``math`` (libdevice); grid-stride
  loops over contiguous arrays (walked flat), 1-D views of any stride and 2-D views of
  any strides.  prelu takes a weight of size 1 or one slope per last-axis entry.
* Softmax / log_softmax and backward along any axis, with temperature and mask, by
  row length: a warp per row (rows up to ``WARP_ROW_MAX``), a block per row, or --
  for fewer than ``SPLIT_MAX_ROWS`` rows of at least ``SPLIT_MIN_LENGTH`` -- each row
  cut into ``SEGMENT``-element segments over many blocks, whose (max, sum) partials
  a second kernel merges before it writes.

Every element is computed in float64 and rounded once into the array's dtype (so, unlike
the CPU backends, parameters are not rounded to float32 first and ``backward`` is one
double expression, not bitwise ``dy * derivative``: the results agree to float32
rounding).

Under Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``, how CI tests these kernels)
the kernels run as Python: the elementary functions are then IEEE-style wrappers of
``math`` (Python's ``math.exp`` raises on overflow where the device returns inf), and
blocks are smaller.

numba-cuda 0.30 still calls ``np.row_stack``, which NumPy 2.5 removed: the import
below restores that alias (to ``np.vstack``) when it is missing.
"""

from __future__ import annotations

import functools
import math
import types as pytypes
import warnings

import numpy as np

from .. import _registry as reg
from . import pointwise, vecmath
from .forms import element_function


def _import_cuda():
    if not hasattr(np, "row_stack"):  # numba-cuda 0.30 with NumPy >= 2.5
        np.row_stack = np.vstack
    try:
        import numba
        from numba import cuda
    except Exception as exc:  # ImportError, or numba-cuda failing on this system
        raise ImportError(f'backend="cuda" needs numba-cuda: pip install "fastact[cuda]" '
                          f"({type(exc).__name__}: {exc})") from exc
    return numba, cuda


numba, cuda = _import_cuda()
SIMULATOR = bool(numba.config.ENABLE_CUDASIM)

# Threads per block (softmax groups) and per elementwise block, and the most blocks of
# a grid-stride launch.  The simulator runs every thread as a Python thread: it gets
# small launches (the grid-stride loops cover any size).
TPB = 16 if SIMULATOR else 256
EW_TPB = 16 if SIMULATOR else 256
WARP = 8 if SIMULATOR else 32   # the group of the warp-per-row kernel
MAX_BLOCKS = 2 if SIMULATOR else 65_535
WARP_ROW_MAX = 1024
SPLIT_MIN_LENGTH = 65_536
SPLIT_MAX_ROWS = 64
SEGMENT = 16_384
INF = math.inf
NAN = math.nan

device_jit = cuda.jit(device=True)


def _quiet(fn):
    """Under the simulator, kernels are Python on NumPy scalars, which warn where the
    device silently gives inf/NaN (an overflowing float32 store, inf - inf): those
    RuntimeWarnings are not errors of the kernel.  No effect on a GPU."""
    if not SIMULATOR:
        return fn

    @functools.wraps(fn)
    def quiet(*args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(*args, **kwargs)
    return quiet


# ---------------------------------------------------------------- elementary math

def _device_math():
    if SIMULATOR:
        def exp(x):
            return INF if x > 709.782712893384 else math.exp(x)

        def expm1(x):
            return INF if x > 709.782712893384 else math.expm1(x)

        def log1p(x):
            return -INF if x == -1.0 else (NAN if x < -1.0 else math.log1p(x))

        def exp_pow2(x, k):
            return exp(x) * 2.0 ** k

        return pytypes.SimpleNamespace(exp=exp, expm1=expm1, log1p=log1p, tanh=math.tanh,
                                       exp_pow2=exp_pow2, gelu=_gelu,
                                       gelu_der=_gelu_der, gelu_tanh=_gelu_tanh,
                                       gelu_tanh_gate=_gelu_tanh_gate, mul_err=vecmath.mul_err,
                                       two_sum=vecmath.two_sum)

    @device_jit
    def exp_pow2(x, k):
        return math.exp(x) * 2.0 ** k

    return pytypes.SimpleNamespace(exp=math.exp, expm1=math.expm1, log1p=math.log1p,
                                   tanh=math.tanh, exp_pow2=exp_pow2,
                                   gelu=device_jit(_gelu), gelu_der=device_jit(_gelu_der),
                                   gelu_tanh=device_jit(_gelu_tanh),
                                   gelu_tanh_gate=device_jit(_gelu_tanh_gate),
                                   mul_err=device_jit(_fma_err),
                                   two_sum=device_jit(vecmath.two_sum))


def _gelu(x):
    """x Phi(x) from CUDA's erfc (the CPU backends square the argument exactly)."""
    return x * 0.5 * math.erfc(-x * 0.70710678118654752440)


def _fma_err(a, b, hi):
    """The rounding error of hi = a*b from one FMA (NVVM may contract Dekker's split)."""
    return cuda.fma(a, b, -hi)


def _gelu_der(x):
    """Phi(x) + x phi(x) from CUDA's erfc and exp (the CPU backends take (x - x0) g(x)
    where the terms cancel)."""
    xc = -1e300 if x < -1e300 else (1e300 if x > 1e300 else x)
    return (0.5 * math.erfc(-x * 0.70710678118654752440)
            + xc * (math.exp(-0.5 * x * x) * 0.39894228040143267794))


def _gelu_tanh(x):
    """x sigmoid(v), v = 2 sqrt(2/pi) (x + 0.044715 x^3), from CUDA's exp (the CPU
    backends form v in double-double)."""
    v = 1.5957691216057308 * (x + 0.044715 * x * x * x)
    e = math.exp(-abs(v))
    r = 1.0 / (1.0 + e)
    return x * (r if v >= 0 else e * r)


def _gelu_tanh_gate(x):
    """(2^64 exp(-|v|), x v'(x), 0) of the tanh-form GELU, v = 2u(x), from CUDA's exp (the
    CPU backends form v and x v' in double-double); x clamped to +-40 (exp(-|v|) = 0)."""
    xc = -40.0 if x < -40.0 else (40.0 if x > 40.0 else x)
    v = 1.5957691216057308 * (xc + 0.044715 * xc * xc * xc)
    w = 1.5957691216057308 * xc * (1.0 + 0.134145 * xc * xc)
    return math.exp(-abs(v)) * 18446744073709551616.0, w, 0.0


M = _device_math()
_exp = M.exp  # (kernels reference functions, not namespace attributes)
POINT = pointwise.point_functions(M, device_jit)


@device_jit
def _widen(x):
    return float(x)


@device_jit
def _keep(x, v):
    return v


# ---------------------------------------------------------------- device arrays and streams
# Kernels run on the stream the caller's data comes from (``__cuda_array_interface__``
# version 3 names it: CuPy's current stream, PyTorch's ...), so they are ordered after
# the code that produced the data and before the code that consumes it; an operand
# from another stream is waited for (``as_cuda_array(sync=True)``).  All operands must
# live on the current CUDA device.

def _interface_stream(x):
    iface = getattr(x, "__cuda_array_interface__", None)
    return None if iface is None else iface.get("stream")


def caller_stream(arrays):
    """(stream handle from the interface or None, Numba stream to launch on)."""
    if SIMULATOR:
        return None, 0
    for a in arrays:
        handle = _interface_stream(a)
        if handle is None:
            continue
        if handle == 1:
            return handle, cuda.legacy_default_stream()
        if handle == 2:
            return handle, cuda.per_thread_default_stream()
        return handle, cuda.external_stream(handle)
    return None, cuda.default_stream()


def as_device(x, stream_handle=None):
    """A Numba device-array view of ``x`` (no copy), synchronized with the stream that
    produced it unless that is the launch stream."""
    if SIMULATOR and type(x).__name__ == "FakeCUDAArray":
        return x
    return cuda.as_cuda_array(x, sync=_interface_stream(x) != stream_handle or stream_handle is None)


def empty_like(x, shape, dtype, stream=0):
    """A new device array of the caller's kind (CuPy, PyTorch, or Numba)."""
    lib = type(x).__module__.split(".")[0]
    if lib == "cupy":
        import cupy

        return cupy.empty(shape, dtype)
    if lib == "torch":
        import torch

        return torch.empty(shape, dtype=getattr(torch, np.dtype(dtype).name), device=x.device)
    return cuda.device_array(shape, dtype, stream=stream)


def _flat(arrays):
    """1-D views of ``arrays`` when they are all 1-D or all contiguous in one order;
    None otherwise."""
    if all(a.ndim == 1 for a in arrays):
        return list(arrays)
    for order, test in (("C", "is_c_contiguous"), ("F", "is_f_contiguous")):
        if all(getattr(a, test)() for a in arrays):
            return [a.ravel(order=order) for a in arrays]
    return None


def _blocks(n: int, tpb: int = EW_TPB) -> int:
    return max(1, min(MAX_BLOCKS, (n + tpb - 1) // tpb))


# ---------------------------------------------------------------- elementwise kernels

def _flat_kernel(g, arity: int, periodic_last: bool):
    """Grid-stride loop over 1-D operands; ``periodic_last``: the last input is a
    prelu weight indexed modulo its length."""
    if arity == 1:
        def k(o, a, p0, p1):
            i = cuda.grid(1)
            while i < o.shape[0]:
                o[i] = g(a[i], 0.0, 0.0, p0, p1)
                i += cuda.gridsize(1)
    elif arity == 2:
        def k(o, a, b, p0, p1):
            i = cuda.grid(1)
            nb = b.shape[0]
            while i < o.shape[0]:
                o[i] = g(a[i], b[i % nb] if periodic_last else b[i], 0.0, p0, p1)
                i += cuda.gridsize(1)
    else:
        def k(o, a, b, c, p0, p1):
            i = cuda.grid(1)
            nc = c.shape[0]
            while i < o.shape[0]:
                o[i] = g(a[i], b[i], c[i % nc] if periodic_last else c[i], p0, p1)
                i += cuda.gridsize(1)
    return cuda.jit(k)


def _grid_kernel(g, arity: int):
    """Grid-stride loop over 2-D operands of any strides."""
    if arity == 1:
        def k(o, a, p0, p1):
            r0, c0 = cuda.grid(2)
            sr, sc = cuda.gridsize(2)
            for r in range(r0, o.shape[0], sr):
                for c in range(c0, o.shape[1], sc):
                    o[r, c] = g(a[r, c], 0.0, 0.0, p0, p1)
    elif arity == 2:
        def k(o, a, b, p0, p1):
            r0, c0 = cuda.grid(2)
            sr, sc = cuda.gridsize(2)
            for r in range(r0, o.shape[0], sr):
                for c in range(c0, o.shape[1], sc):
                    o[r, c] = g(a[r, c], b[r, c], 0.0, p0, p1)
    else:
        def k(o, a, b, c_, p0, p1):
            r0, c0 = cuda.grid(2)
            sr, sc = cuda.gridsize(2)
            for r in range(r0, o.shape[0], sr):
                for c in range(c0, o.shape[1], sc):
                    o[r, c] = g(a[r, c], b[r, c], c_[r, c], p0, p1)
    return cuda.jit(k)


@functools.lru_cache(maxsize=None)
def _elementwise_kernel(op_name: str, layout: str):
    op = reg.OPS_BY_NAME[op_name]
    g = element_function(op, POINT, device_jit, _widen, _keep)
    if layout == "grid":
        return _grid_kernel(g, op.arity)
    return _flat_kernel(g, op.arity, layout == "periodic")


@_quiet
def run_elementwise(op: str, out, inputs: list, p0: float, p1: float, stream=0) -> None:
    """``op`` into the device array ``out`` from device arrays ``inputs`` of its shape."""
    arrays = [out, *inputs]
    if out.size == 0:
        return
    flat = _flat(arrays)
    if flat is not None:
        _elementwise_kernel(op, "flat")[_blocks(out.size), EW_TPB, stream](*flat, p0, p1)
        return
    if out.ndim != 2:
        raise ValueError(
            f"the CUDA backend walks contiguous arrays, 1-D views and 2-D views of any "
            f"strides; this {out.ndim}-D operand set is neither: make it contiguous first "
            f"(fastact does not copy device data behind your back)")
    t = (4, 8) if SIMULATOR else (16, 16)
    blocks = (max(1, min(MAX_BLOCKS, (out.shape[0] + t[0] - 1) // t[0])),
              max(1, min(MAX_BLOCKS, (out.shape[1] + t[1] - 1) // t[1])))
    _elementwise_kernel(op, "grid")[blocks, t, stream](*arrays, p0, p1)


@_quiet
def run_prelu(op: str, out, inputs: list, weight, stream=0) -> None:
    """A prelu op whose last input is ``weight`` (size 1, or one slope per entry of the
    last axis of C-contiguous operands)."""
    data = [out, *inputs]
    if out.size == 0:
        return
    if not all(a.is_c_contiguous() for a in data) or not weight.is_c_contiguous():
        raise ValueError("prelu on the CUDA backend needs C-contiguous x, dy and weight")
    flat = [a.ravel() for a in data] + [weight.ravel()]
    _elementwise_kernel(op, "periodic")[_blocks(out.size), EW_TPB, stream](*flat, 0.0, 0.0)


def _column_sums_kernel():
    rows_per_part = 256

    def partials(terms, part):
        """part[k, c] = sum of terms[r, c] over the k-th run of rows_per_part rows."""
        c, k = cuda.grid(2)
        sc, sk = cuda.gridsize(2)
        for kk in range(k, part.shape[0], sk):
            for cc in range(c, terms.shape[1], sc):
                s = 0.0
                for r in range(kk * rows_per_part, min(terms.shape[0], (kk + 1) * rows_per_part)):
                    s += terms[r, cc]
                part[kk, cc] = s

    def total(part, out):
        c = cuda.grid(1)
        while c < out.shape[0]:
            s = 0.0
            for k in range(part.shape[0]):
                s += part[k, c]
            out[c] = s
            c += cuda.gridsize(1)

    return rows_per_part, cuda.jit(partials), cuda.jit(total)


_COLUMN_SUMS = _column_sums_kernel()


@_quiet
def column_sums(terms, out, stream=0) -> None:
    """out[c] = sum over rows of the C-contiguous 2-D device array ``terms`` (in two
    stages: partial sums of row runs over many blocks, then one pass over them)."""
    rows_per_part, partials, total = _COLUMN_SUMS
    n_rows, n_cols = terms.shape
    n_parts = max(1, (n_rows + rows_per_part - 1) // rows_per_part)
    part = cuda.device_array((n_parts, n_cols), np.float64, stream=stream)
    t = (8, 4) if SIMULATOR else (32, 8)
    blocks = (max(1, min(MAX_BLOCKS, (n_cols + t[0] - 1) // t[0])),
              max(1, min(MAX_BLOCKS, (n_parts + t[1] - 1) // t[1])))
    partials[blocks, t, stream](terms, part)
    total[_blocks(n_cols), EW_TPB, stream](part, out)


# ---------------------------------------------------------------- softmax kernels

@device_jit
def _kept(m, has_mask, p, j, q):
    return (not has_mask) or m[p, j, q]


@device_jit
def _group_of(G):
    """(thread, its group of G threads, lane in the group, the group's first thread)."""
    tid = cuda.threadIdx.x
    grp = tid // G
    return tid, grp, tid - grp * G, grp * G


@device_jit
def _row_coords(r, inner):
    """Row r of (outer, length, inner) views as (outer index, inner index)."""
    p = r // inner
    return p, r - p * inner


def _group_reduce(G: int):
    """Tree reductions over the G threads of a group (shared arrays, block barriers:
    every thread of the block calls them the same number of times)."""
    @device_jit
    def reduce3(a, b, c, tid, lane):
        step = G // 2
        while step > 0:
            if lane < step:
                a[tid] = max(a[tid], a[tid + step])
                b[tid] += b[tid + step]
                c[tid] += c[tid + step]
            cuda.syncthreads()
            step //= 2

    @device_jit
    def reduce_sum(a, tid, lane):
        step = G // 2
        while step > 0:
            if lane < step:
                a[tid] += a[tid + step]
            cuda.syncthreads()
            step //= 2

    return reduce3, reduce_sum


def _softmax_value(log: bool):
    masked_out = -INF if log else 0.0

    @device_jit
    def value(xv, keep, mx, s, nan, ninf, T):
        """Output of one entry given its row's max, sum, NaN and +inf counts."""
        if nan > 0:
            return NAN if keep else masked_out
        if mx == -INF:
            return masked_out
        if mx == INF:
            if keep and xv == INF:
                return -math.log(ninf) if log else 1.0 / ninf
            return masked_out
        if not keep:
            return masked_out
        return (xv - mx) / T - math.log(s) if log else _exp((xv - mx) / T) / s

    return value


@device_jit
def _scan_max(x, m, has_mask, p, q, j0, j1, step):
    """(max, NaN count, +inf count) over the kept entries of x[p, j0:j1:step, q]."""
    mx = -INF
    nan = 0.0
    ninf = 0.0
    for j in range(j0, j1, step):
        keep = _kept(m, has_mask, p, j, q)
        v = float(x[p, j, q]) if keep else -INF
        if v != v:
            nan += 1.0
        elif v > mx:
            mx = v
        if keep and v == INF:
            ninf += 1.0
    return mx, nan, ninf


@device_jit
def _scan_sum(x, m, has_mask, p, q, j0, j1, step, mx, T):
    """Sum of exp((x - mx)/T) over the kept entries of x[p, j0:j1:step, q]."""
    s = 0.0
    for j in range(j0, j1, step):
        if _kept(m, has_mask, p, j, q):
            s += _exp((float(x[p, j, q]) - mx) / T)
    return s


def _rows_forward(log: bool, G: int):
    R = TPB // G
    reduce3, reduce_sum = _group_reduce(G)
    value = _softmax_value(log)

    def k(o, x, m, has_mask, T, n_rows):
        sa = cuda.shared.array(TPB, numba.float64)
        sb = cuda.shared.array(TPB, numba.float64)
        sc = cuda.shared.array(TPB, numba.float64)
        tid, grp, lane, base = _group_of(G)
        L = x.shape[1]
        for r0 in range(cuda.blockIdx.x * R, n_rows, cuda.gridDim.x * R):
            r = r0 + grp
            p, q = _row_coords(r, x.shape[2])
            mx, nan, ninf = -INF, 0.0, 0.0
            if r < n_rows:
                mx, nan, ninf = _scan_max(x, m, has_mask, p, q, lane, L, G)
            sa[tid] = mx
            sb[tid] = nan
            sc[tid] = ninf
            cuda.syncthreads()
            reduce3(sa, sb, sc, tid, lane)
            mx, nan, ninf = sa[base], sb[base], sc[base]
            cuda.syncthreads()
            s = 0.0
            if r < n_rows and nan == 0 and mx != INF and mx != -INF:
                s = _scan_sum(x, m, has_mask, p, q, lane, L, G, mx, T)
            sa[tid] = s
            cuda.syncthreads()
            reduce_sum(sa, tid, lane)
            s = sa[base]
            cuda.syncthreads()
            if r < n_rows:
                for j in range(lane, L, G):
                    o[p, j, q] = value(float(x[p, j, q]), _kept(m, has_mask, p, j, q),
                                       mx, s, nan, ninf, T)

    return cuda.jit(k)


@device_jit
def _bwd_value(log, d, yv, total, T):
    return (d - math.exp(yv) * total) / T if log else yv * (d - total) / T


@device_jit
def _scan_total(log, dy, y, m, has_mask, p, q, j0, j1, step):
    s = 0.0
    for j in range(j0, j1, step):
        if _kept(m, has_mask, p, j, q):
            s += float(dy[p, j, q]) if log else float(dy[p, j, q]) * float(y[p, j, q])
    return s


def _rows_backward(log: bool, G: int):
    R = TPB // G
    _, reduce_sum = _group_reduce(G)

    def k(o, dy, y, m, has_mask, T, n_rows):
        sa = cuda.shared.array(TPB, numba.float64)
        tid, grp, lane, base = _group_of(G)
        L = dy.shape[1]
        for r0 in range(cuda.blockIdx.x * R, n_rows, cuda.gridDim.x * R):
            r = r0 + grp
            p, q = _row_coords(r, dy.shape[2])
            s = 0.0
            if r < n_rows:
                s = _scan_total(log, dy, y, m, has_mask, p, q, lane, L, G)
            sa[tid] = s
            cuda.syncthreads()
            reduce_sum(sa, tid, lane)
            total = sa[base]
            cuda.syncthreads()
            if r < n_rows:
                for j in range(lane, L, G):
                    v = _bwd_value(log, float(dy[p, j, q]), float(y[p, j, q]), total, T)
                    o[p, j, q] = v if _kept(m, has_mask, p, j, q) else 0.0

    return cuda.jit(k)


def _split_forward(log: bool):
    """Few long rows: blockIdx.y = row, blockIdx.x = segment (grid-stride over both)."""
    reduce3, reduce_sum = _group_reduce(TPB)
    value = _softmax_value(log)

    def partials(x, m, has_mask, T, seg, part):
        sa = cuda.shared.array(TPB, numba.float64)
        sb = cuda.shared.array(TPB, numba.float64)
        sc = cuda.shared.array(TPB, numba.float64)
        tid = cuda.threadIdx.x
        L = x.shape[1]
        for r in range(cuda.blockIdx.y, part.shape[0], cuda.gridDim.y):
            p, q = _row_coords(r, x.shape[2])
            for k in range(cuda.blockIdx.x, part.shape[1], cuda.gridDim.x):
                j0 = k * seg
                j1 = min(L, j0 + seg)
                mx, nan, ninf = _scan_max(x, m, has_mask, p, q, j0 + tid, j1, TPB)
                sa[tid] = mx
                sb[tid] = nan
                sc[tid] = ninf
                cuda.syncthreads()
                reduce3(sa, sb, sc, tid, tid)
                mx, nan, ninf = sa[0], sb[0], sc[0]
                cuda.syncthreads()
                s = 0.0
                if mx != -INF and mx != INF and nan == 0:
                    s = _scan_sum(x, m, has_mask, p, q, j0 + tid, j1, TPB, mx, T)
                sa[tid] = s
                cuda.syncthreads()
                reduce_sum(sa, tid, tid)
                if tid == 0:
                    part[r, k, 0] = mx
                    part[r, k, 1] = sa[0]
                    part[r, k, 2] = nan
                    part[r, k, 3] = ninf
                cuda.syncthreads()

    def write(o, x, m, has_mask, T, seg, part):
        tid = cuda.threadIdx.x
        L = x.shape[1]
        for r in range(cuda.blockIdx.y, part.shape[0], cuda.gridDim.y):
            p, q = _row_coords(r, x.shape[2])
            # merge the row's partials (every thread: length/SEGMENT of them)
            mx, nan, ninf = -INF, 0.0, 0.0
            for k in range(part.shape[1]):
                mx = max(mx, part[r, k, 0])
                nan += part[r, k, 2]
                ninf += part[r, k, 3]
            s = 0.0
            if nan == 0 and mx != INF and mx != -INF:
                for k in range(part.shape[1]):
                    if part[r, k, 0] != -INF:
                        s += part[r, k, 1] * _exp((part[r, k, 0] - mx) / T)
            for k in range(cuda.blockIdx.x, part.shape[1], cuda.gridDim.x):
                for j in range(k * seg + tid, min(L, (k + 1) * seg), TPB):
                    o[p, j, q] = value(float(x[p, j, q]), _kept(m, has_mask, p, j, q),
                                       mx, s, nan, ninf, T)

    return cuda.jit(partials), cuda.jit(write)


def _split_backward(log: bool):
    _, reduce_sum = _group_reduce(TPB)

    def partials(dy, y, m, has_mask, seg, part):
        sa = cuda.shared.array(TPB, numba.float64)
        tid = cuda.threadIdx.x
        L = dy.shape[1]
        for r in range(cuda.blockIdx.y, part.shape[0], cuda.gridDim.y):
            p, q = _row_coords(r, dy.shape[2])
            for k in range(cuda.blockIdx.x, part.shape[1], cuda.gridDim.x):
                j0 = k * seg
                sa[tid] = _scan_total(log, dy, y, m, has_mask, p, q, j0 + tid, min(L, j0 + seg), TPB)
                cuda.syncthreads()
                reduce_sum(sa, tid, tid)
                if tid == 0:
                    part[r, k, 0] = sa[0]
                cuda.syncthreads()

    def write(o, dy, y, m, has_mask, T, seg, part):
        tid = cuda.threadIdx.x
        L = dy.shape[1]
        for r in range(cuda.blockIdx.y, part.shape[0], cuda.gridDim.y):
            p, q = _row_coords(r, dy.shape[2])
            total = 0.0
            for k in range(part.shape[1]):
                total += part[r, k, 0]
            for k in range(cuda.blockIdx.x, part.shape[1], cuda.gridDim.x):
                for j in range(k * seg + tid, min(L, (k + 1) * seg), TPB):
                    v = _bwd_value(log, float(dy[p, j, q]), float(y[p, j, q]), total, T)
                    o[p, j, q] = v if _kept(m, has_mask, p, j, q) else 0.0

    return cuda.jit(partials), cuda.jit(write)


@functools.lru_cache(maxsize=None)
def _softmax_kernels(log: bool, backward: bool, plan: str):
    if plan == "split":
        return _split_backward(log) if backward else _split_forward(log)
    G = WARP if plan == "warp" else TPB
    return _rows_backward(log, G) if backward else _rows_forward(log, G)


@functools.lru_cache(maxsize=1)
def _no_mask():
    return cuda.device_array((1, 1, 1), np.bool_)


def plan(n_rows: int, length: int) -> str:
    """Which softmax kernel serves rows of ``length``: "warp", "block" or "split"."""
    if length >= SPLIT_MIN_LENGTH and n_rows < SPLIT_MAX_ROWS:
        return "split"
    return "warp" if length <= WARP_ROW_MAX else "block"


@_quiet
def run_softmax(log: bool, backward: bool, out, a, b, mask, temperature: float,
                stream=0) -> None:
    """Along axis 1 of 3-D device views (outer, length, inner); ``mask`` a 3-D bool
    device view or None."""
    n_outer, length, n_inner = out.shape
    n_rows = n_outer * n_inner
    if out.size == 0:
        return
    has_mask = mask is not None
    m = mask if has_mask else _no_mask()
    T = float(temperature)
    how = plan(n_rows, length)
    kernels = _softmax_kernels(log, backward, how)
    if how == "split":
        n_seg = (length + SEGMENT - 1) // SEGMENT
        part = cuda.device_array((n_rows, n_seg, 1 if backward else 4), np.float64,
                                 stream=stream)
        grid = (min(MAX_BLOCKS, n_seg), min(MAX_BLOCKS, n_rows))
        partials, write = kernels
        if backward:
            partials[grid, TPB, stream](a, b, m, has_mask, SEGMENT, part)
            write[grid, TPB, stream](out, a, b, m, has_mask, T, SEGMENT, part)
        else:
            partials[grid, TPB, stream](a, m, has_mask, T, SEGMENT, part)
            write[grid, TPB, stream](out, a, m, has_mask, T, SEGMENT, part)
        return
    rows_per_block = TPB // (WARP if how == "warp" else TPB)
    blocks = max(1, min(MAX_BLOCKS, (n_rows + rows_per_block - 1) // rows_per_block))
    if backward:
        kernels[blocks, TPB, stream](out, a, b, m, has_mask, T, n_rows)
    else:
        kernels[blocks, TPB, stream](out, a, m, has_mask, T, n_rows)
