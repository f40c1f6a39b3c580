"""Softmax / log_softmax and their backward for the Numba CPU backend.

The same ``run(kind, backward, out, a, b, mask, temperature, n_threads, chunk)`` as the
Cython module: operands are 3-D views ``(n_outer, length, n_inner)``; every
(outer, inner) pair is an independent row along ``length``.  Semantics (masks,
special rows) are those of ``kernels/_softmax.pyx.tp``:

* a masked entry counts as -inf (it gets 0 / -inf and stays out of max and sum);
* any NaN among the kept entries -> kept outputs NaN; nothing kept, or all -inf ->
  all 0 (softmax) / -inf (log_softmax); +inf entries -> the limit, uniform over them.

Two kernels per (kind, direction, dtype), compiled lazily and cached on disk:

* ``rows``: C-contiguous ``(rows, length)`` operands without a mask (the common case).
  Forward in two sweeps over memory: an online (max, sum) over blocks of ``BLOCK``
  elements (block max on integer keys, block sum of exponentials from a small buffer,
  merged with the running pair), then one writing sweep.  Rows are spread over
  threads; when rows are few and long, each row is cut into fixed-size segments
  whose (max, sum) pairs -- or, backward, partial sums -- are computed in parallel and
  merged (segmenting depends on the shape only: results do not depend on threads).  A row holding NaN or +-inf as its max goes through the
  general row function.
* ``general``: any strides and a mask: one row per iteration, scalar code.

Sums are accumulated in float64; every output is rounded once.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from llvmlite import ir
from numba import float64, int64, prange, uint8, void
from numba.core import types
from numba.extending import intrinsic, register_jitable

from . import SOURCE_STAMP, parallel, vecmath
from .common import NUMBA_TYPES, jit_kernel

BLOCK = 2048          # elements per block of the online (max, sum)
# Rows of at least SPLIT_MIN elements are cut into SEGMENT-element segments when there
# are fewer than SPLIT_ROWS_BELOW of them.  Neither depends on the thread count, so
# results are bitwise identical for any number of threads.
SPLIT_MIN = 65_536
SPLIT_ROWS_BELOW = 64
SEGMENT = 16_384
INF = math.inf
NAN = math.nan
# Sums may be reassociated (vectorized): the summands are finite and >= 0 or plain
# products, so no NaN/inf semantics change.  Never on functions that call vecmath.
SUM_OPTIONS = dict(fastmath={"reassoc", "contract"})
exp = vecmath.exp


@intrinsic
def _f32_from_bits(typingctx, u):
    def codegen(context, builder, signature, args):
        return builder.bitcast(builder.trunc(args[0], ir.IntType(32)), ir.FloatType())
    return types.float32(types.int64), codegen


@register_jitable
def _max_f32(x):
    """(max, has NaN) of a contiguous float32 array, on integer keys (the bits with the
    magnitude flipped for negatives order like the floats): an integer max reduction
    vectorizes where a float one (without fast-math) does not."""
    b = x.view(np.int32)
    key_max = -(1 << 40)
    nan = 0
    for j in range(b.size):
        v = np.int64(b[j])
        key = v ^ ((v >> 31) & 0x7FFFFFFF)
        key_max = key if key > key_max else key_max
        nan |= (v & 0x7FFFFFFF) > 0x7F800000
    if b.size == 0:
        return np.float32(-INF), False
    bits = key_max ^ ((key_max >> 31) & 0x7FFFFFFF)
    return _f32_from_bits(bits), nan != 0


@register_jitable
def _max_f64(x):
    b = x.view(np.int64)
    key_max = np.int64(-(1 << 63))
    nan = 0
    for j in range(b.size):
        v = b[j]
        key = v ^ ((v >> 63) & 0x7FFFFFFFFFFFFFFF)
        key_max = key if key > key_max else key_max
        nan |= (v & 0x7FFFFFFFFFFFFFFF) > 0x7FF0000000000000
    if b.size == 0:
        return -INF, False
    bits = key_max ^ ((key_max >> 63) & 0x7FFFFFFFFFFFFFFF)
    return vecmath._from_bits(bits), nan != 0


@register_jitable(**SUM_OPTIONS)
def _sum(a):
    s = 0.0
    for j in range(a.size):
        s += a[j]
    return s


@register_jitable(**SUM_OPTIONS)
def _sum_products(a, b):
    s = 0.0
    for j in range(a.size):
        s += np.float64(a[j]) * np.float64(b[j])
    return s


@register_jitable(**SUM_OPTIONS)
def _sum_f64(a):
    s = 0.0
    for j in range(a.size):
        s += np.float64(a[j])
    return s


# ---------------------------------------------------------------- general rows (strided, masked)

def _general_row_functions(log: bool):
    masked_out = -INF if log else 0.0

    @register_jitable
    def special_row(x, o, m, has_nan, mx):
        """A row whose max is +-inf or which holds a NaN (elementwise, in-place safe)."""
        n = x.shape[0]
        if has_nan:
            for j in range(n):
                o[j] = NAN if m[j] else masked_out
        elif mx == -INF:
            for j in range(n):
                o[j] = masked_out
        else:
            n_inf = 0
            for j in range(n):
                n_inf += (m[j] != 0) & (x[j] == INF)
            share = -math.log(n_inf) if log else 1.0 / n_inf
            for j in range(n):
                o[j] = share if (m[j] != 0) & (x[j] == INF) else masked_out

    @register_jitable
    def forward_row(x, o, m, T):
        n = x.shape[0]
        mx = -INF
        has_nan = False
        for j in range(n):
            v = np.float64(x[j]) if m[j] else -INF
            has_nan = has_nan | (v != v)
            mx = v if v > mx else mx
        if has_nan or mx == INF or mx == -INF:
            special_row(x, o, m, has_nan, mx)
            return
        s = 0.0
        for j in range(n):
            v = np.float64(x[j]) if m[j] else -INF
            s += exp((v - mx) / T)
        if log:
            lse = math.log(s)
            for j in range(n):
                v = np.float64(x[j]) if m[j] else -INF
                o[j] = (v - mx) / T - lse
        else:
            for j in range(n):
                v = np.float64(x[j]) if m[j] else -INF
                o[j] = exp((v - mx) / T) / s

    @register_jitable
    def backward_row(dy, y, o, m, T):
        n = dy.shape[0]
        total = 0.0
        for j in range(n):
            if m[j]:
                total += np.float64(dy[j]) if log else np.float64(dy[j]) * np.float64(y[j])
        for j in range(n):
            d = np.float64(dy[j])
            yy = np.float64(y[j])
            val = (d - exp(yy) * total) / T if log else yy * (d - total) / T
            o[j] = val if m[j] else 0.0

    return special_row, forward_row, backward_row


def _general_kernel(log: bool, backward: bool):
    """One row per prange iteration: forward (``a`` = x, ``b`` unused) or backward
    (``a`` = dy, ``b`` = y); ``backward`` is a constant of the closure."""
    special_row, forward_row, backward_row = _general_row_functions(log)
    stamp = SOURCE_STAMP  # referenced by every kernel: part of its on-disk cache key

    def kernel(o, a, b, m, T):
        stamp  # noqa: B018
        n_outer, _, n_inner = o.shape
        for item in prange(n_outer * n_inner):
            p = item // n_inner
            q = item - p * n_inner
            if backward:
                backward_row(a[p, :, q], b[p, :, q], o[p, :, q], m[p, :, q], T)
            else:
                forward_row(a[p, :, q], o[p, :, q], m[p, :, q], T)
    return kernel


# ---------------------------------------------------------------- contiguous rows

def _rows_forward_kernel(log: bool, single: bool):
    special_row, _, _ = _general_row_functions(log)
    row_max = _max_f32 if single else _max_f64

    @register_jitable
    def partial(x, inv_t, buf):
        """Online (max, sum of exp((x - max) * inv_t), has NaN) of a contiguous range."""
        mx = -INF
        s = 0.0
        nan = False
        for b0 in range(0, x.size, BLOCK):
            blk = x[b0:min(x.size, b0 + BLOCK)]
            bm, bnan = row_max(blk)
            bm = np.float64(bm)
            nan = nan | bnan
            if bm == INF or bm != bm:
                mx = INF
                continue
            if bm == -INF or mx == INF:
                continue
            if bm > mx:
                s = s * exp((mx - bm) * inv_t)
                mx = bm
            for j in range(blk.size):
                buf[j] = exp((np.float64(blk[j]) - mx) * inv_t)
            s += _sum(buf[:blk.size])
        return mx, s, nan

    @register_jitable
    def write(x, o, mx, s, inv_t):
        if log:
            lse = math.log(s)
            if o.ctypes.data == x.ctypes.data:
                for j in range(o.size):
                    o[j] = (np.float64(o[j]) - mx) * inv_t - lse
            else:
                for j in range(o.size):
                    o[j] = (np.float64(x[j]) - mx) * inv_t - lse
        else:
            inv_s = 1.0 / s
            if o.ctypes.data == x.ctypes.data:
                for j in range(o.size):
                    o[j] = exp((np.float64(o[j]) - mx) * inv_t) * inv_s
            else:
                for j in range(o.size):
                    o[j] = exp((np.float64(x[j]) - mx) * inv_t) * inv_s

    @register_jitable
    def finish_special(x, o, nan, mx, T):
        ones = np.ones(1, np.uint8)
        m = np.broadcast_to(ones, x.shape)
        special_row(x, o, m, nan, mx)

    stamp = SOURCE_STAMP

    def kernel(o, x, y, inv_t, T, n_seg, rows_per_item):
        stamp  # noqa: B018  (part of the on-disk cache key)
        n_rows, n = o.shape
        if n_seg <= 1:
            # rows_per_item rows per prange iteration share one block buffer
            for item in prange((n_rows + rows_per_item - 1) // rows_per_item):
                buf = np.empty(BLOCK)
                for r in range(item * rows_per_item, min(n_rows, (item + 1) * rows_per_item)):
                    mx, s, nan = partial(x[r], inv_t, buf)
                    if nan or mx == INF or mx == -INF:
                        finish_special(x[r], o[r], nan, mx, T)
                    else:
                        write(x[r], o[r], mx, s, inv_t)
            return
        seg = (n + n_seg - 1) // n_seg
        maxes = np.empty(n_seg)
        sums = np.empty(n_seg)
        nans = np.zeros(n_seg, np.bool_)
        for r in range(n_rows):
            xr = x[r]
            orow = o[r]
            for k in prange(n_seg):
                buf = np.empty(BLOCK)
                mk, sk, nk = partial(xr[k * seg:min(n, (k + 1) * seg)], inv_t, buf)
                maxes[k] = mk
                sums[k] = sk
                nans[k] = nk
            mx = -INF
            nan = False
            for k in range(n_seg):
                mx = max(mx, maxes[k])
                nan = nan | nans[k]
            if nan or mx == INF or mx == -INF:
                finish_special(xr, orow, nan, mx, T)
                continue
            s = 0.0
            for k in range(n_seg):
                if maxes[k] != -INF:
                    s += sums[k] * exp((maxes[k] - mx) * inv_t)
            for k in prange(n_seg):
                lo = k * seg
                hi = min(n, lo + seg)
                write(xr[lo:hi], orow[lo:hi], mx, s, inv_t)

    return kernel


def _rows_backward_kernel(log: bool):
    @register_jitable
    def partial(dy, y):
        return _sum_f64(dy) if log else _sum_products(dy, y)

    @register_jitable
    def write(dy, y, o, total, inv_t):
        if log:
            if o.ctypes.data == dy.ctypes.data:
                for j in range(o.size):
                    o[j] = (np.float64(o[j]) - exp(np.float64(y[j])) * total) * inv_t
            elif o.ctypes.data == y.ctypes.data:
                for j in range(o.size):
                    o[j] = (np.float64(dy[j]) - exp(np.float64(o[j])) * total) * inv_t
            else:
                for j in range(o.size):
                    o[j] = (np.float64(dy[j]) - exp(np.float64(y[j])) * total) * inv_t
        else:
            if o.ctypes.data == dy.ctypes.data:
                for j in range(o.size):
                    o[j] = np.float64(y[j]) * (np.float64(o[j]) - total) * inv_t
            elif o.ctypes.data == y.ctypes.data:
                for j in range(o.size):
                    o[j] = np.float64(o[j]) * (np.float64(dy[j]) - total) * inv_t
            else:
                for j in range(o.size):
                    o[j] = np.float64(y[j]) * (np.float64(dy[j]) - total) * inv_t

    stamp = SOURCE_STAMP

    def kernel(o, dy, y, inv_t, T, n_seg, rows_per_item):
        stamp  # noqa: B018  (part of the on-disk cache key)
        n_rows, n = o.shape
        if n_seg <= 1:
            for r in prange(n_rows):
                write(dy[r], y[r], o[r], partial(dy[r], y[r]), inv_t)
            return
        seg = (n + n_seg - 1) // n_seg
        sums = np.empty(n_seg)
        for r in range(n_rows):
            for k in prange(n_seg):
                lo = k * seg
                hi = min(n, lo + seg)
                sums[k] = partial(dy[r, lo:hi], y[r, lo:hi])
            total = 0.0
            for k in range(n_seg):
                total += sums[k]
            for k in prange(n_seg):
                lo = k * seg
                hi = min(n, lo + seg)
                write(dy[r, lo:hi], y[r, lo:hi], o[r, lo:hi], total, inv_t)

    return kernel


@functools.lru_cache(maxsize=None)
def kernel(kind: str, backward: bool, dtype: np.dtype, layout: str):
    """The compiled kernel for ``kind`` ("softmax"/"log_softmax"), direction, dtype and
    ``layout`` ("rows" or "general"), compiled at the first request."""
    log = kind == "log_softmax"
    t = NUMBA_TYPES[np.dtype(dtype)]
    name = f"{kind}_{'bwd' if backward else 'fwd'}_{np.dtype(dtype).name}_{layout}"
    # the output, then read-only inputs (writeable arrays convert)
    if layout == "rows":
        out, ins = types.Array(t, 2, "C"), types.Array(t, 2, "C", readonly=True)
        fn = (_rows_backward_kernel(log) if backward
              else _rows_forward_kernel(log, np.dtype(dtype) == np.float32))
        return jit_kernel(fn, name, void(out, ins, ins, float64, float64, int64, int64))
    out, ins = types.Array(t, 3, "A"), types.Array(t, 3, "A", readonly=True)
    mask = types.Array(uint8, 3, "A", readonly=True)
    return jit_kernel(_general_kernel(log, backward), name, void(out, ins, ins, mask, float64))


def run(kind: str, backward: bool, out: np.ndarray, a: np.ndarray, b, mask, temperature: float,
        n_threads: int, chunk: int) -> None:
    """Softmax (``backward=False``: ``a`` = x) or its backward (``a`` = dy, ``b`` = y)
    along axis 1 of 3-D views; ``mask`` is a 3-D uint8 view or None."""
    if out.size == 0:
        return
    n_outer, length, n_inner = out.shape
    # the temperature and its inverse rounded to the dtype, as the Cython kernels take them
    with np.errstate(over="ignore"):
        inv_t = float(out.dtype.type(1.0 / temperature))
        temperature = float(out.dtype.type(temperature))
    operands = [out, a] + ([b] if backward else [])
    if mask is None and n_inner == 1 and math.isfinite(inv_t):
        rows = [v[:, :, 0] for v in operands]
        if all(v.flags.c_contiguous for v in rows):
            if not backward:
                rows.append(rows[0])  # unused third operand
            n_seg = 1
            if n_outer < SPLIT_ROWS_BELOW and length >= SPLIT_MIN:
                n_seg = (length + SEGMENT - 1) // SEGMENT
            k = kernel(kind, backward, out.dtype, "rows")
            rows_per_item = max(1, chunk // length)
            # forward: prange over items of rows_per_item rows; backward: over rows
            per_chunk = 1 if (n_seg > 1 or not backward) else rows_per_item
            with parallel.threads(n_threads, per_chunk):
                k(*rows, inv_t, temperature, n_seg, rows_per_item)
            return
    if mask is None:
        mask = np.broadcast_to(np.ones(1, np.uint8).reshape(1, 1, 1), out.shape)
    if not backward:
        operands.append(out)  # unused third operand
    k = kernel(kind, backward, out.dtype, "general")
    with parallel.threads(n_threads, max(1, chunk // max(1, length))):
        k(*operands, mask, temperature)
