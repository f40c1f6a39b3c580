"""``python -m fastact bench --backends cuda``: the CUDA backend on GPU arrays, against
the device-to-device copy bandwidth measured in the same run and PyTorch CUDA.

Effective bandwidth counts the bytes read and written (in place: 2 per element;
backward: 3); % copy = that bandwidth over the copy's.  Under Numba's CUDA simulator
(NUMBA_ENABLE_CUDASIM=1) the run works on tiny sizes for testing; its figures mean
nothing and the footer says so.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

import fastact

from . import suite

GPU_SIZES = (1_000_000, 16_000_000, 268_435_456)  # 268M float32 = 1 GiB
GPU_SOFTMAX_SHAPES = ((8192, 1024), (64, 32000), (65536, 4096), (1_048_576, 16),
                      (16, 1_048_576), (256, 256_000))
TORCH_INPLACE = {"relu": "relu_", "sigmoid": "sigmoid_", "tanh": "tanh_"}


def _timer(cuda, budget):
    def measure(call, restore=None):
        call()  # compile / warm up
        cuda.synchronize()
        times, spent = [], 0.0
        while spent < budget or len(times) < 3:
            if restore is not None:
                restore()
            cuda.synchronize()
            t0 = time.perf_counter()
            call()
            cuda.synchronize()
            dt = time.perf_counter() - t0
            times.append(dt)
            spent += dt
            if len(times) >= 200:
                break
        return statistics.median(times)
    return measure


def _torch_call(op, direction, x, dy, y):
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    t = torch.as_tensor(x, device="cuda")
    F = torch.nn.functional
    if op in ("softmax", "log_softmax"):
        f = getattr(torch, op)
        if direction == "fwd":
            return lambda: f(t, dim=-1)
        if direction == "bwd":
            ty, tdy = torch.as_tensor(y, device="cuda"), torch.as_tensor(dy, device="cuda")
            back = (torch.ops.aten._log_softmax_backward_data if op == "log_softmax"
                    else torch.ops.aten._softmax_backward_data)
            return lambda: back(tdy, ty, -1, ty.dtype)
        return None
    if direction != "fwd":
        return None
    if op in TORCH_INPLACE:
        return lambda: getattr(t, TORCH_INPLACE[op])()
    f = getattr(F, op, None)
    return (lambda: f(t)) if f is not None else None


def run(args, ops, sizes, shapes, directions, argv) -> int:
    try:
        from .._numba import gpu
    except ImportError as exc:
        print(f"--backends cuda: {exc}", file=sys.stderr)
        return 2
    cuda = gpu.cuda
    if not gpu.SIMULATOR and not cuda.is_available():
        print("--backends cuda: no CUDA GPU is available here", file=sys.stderr)
        return 2
    dtype = np.dtype(args.dtype)
    budget = args.budget if args.budget is not None else 0.25
    if not args.sizes:
        sizes = list(GPU_SIZES)
    if not args.shapes:
        shapes = list(GPU_SOFTMAX_SHAPES)
    measure = _timer(cuda, budget)
    rng = np.random.default_rng(0)
    n_copy = max([max(sizes)] + [int(np.prod(s)) for s in shapes])
    src = cuda.to_device(rng.standard_normal(n_copy).astype(dtype))
    dst = cuda.device_array_like(src)
    copy_s = measure(lambda: dst.copy_to_device(src))
    copy_gbs = 2 * src.nbytes / copy_s / 1e9
    rows = []
    for op in ops:
        name, params = (("gelu", {"approximate": "tanh"}) if op == "gelu(tanh)" else (op, {}))
        f = fastact.get(name)
        is_softmax = name in ("softmax", "log_softmax")
        for shape in (shapes if is_softmax else [(n,) for n in sizes]):
            host = rng.uniform(-8, 8, shape).astype(dtype)
            x, dy = cuda.to_device(host), cuda.to_device(rng.standard_normal(shape).astype(dtype))
            buf = cuda.device_array_like(x)
            for d in directions:
                if name == "prelu":
                    w = cuda.to_device(np.array([0.25], dtype))
                    calls = {"fwd": lambda: f(x, w, out=x), "der": lambda: f.derivative(x, w, out=buf),
                             "bwd": lambda: f.backward(dy, x, w, out=dy)}
                    host_y = None
                elif is_softmax:
                    host_y = f(host)
                    y = cuda.to_device(host_y)
                    calls = {"fwd": lambda: f(x, out=x), "bwd": lambda: f.backward(dy, y=y, out=dy)}
                else:
                    host_y = None
                    calls = {"fwd": lambda: f(x, out=x, **params),
                             "der": lambda: f.derivative(x, out=buf, **params),
                             "bwd": lambda: f.backward(dy, x, out=dy, **params)}
                if d not in calls:
                    continue
                restore = (lambda: x.copy_to_device(host)) if d == "fwd" else None
                t = measure(calls[d], None if restore is None else restore)
                nbytes = (3 if d == "bwd" else 2) * host.nbytes
                gbs = nbytes / t / 1e9
                peer = _torch_call(name, d, host, np.asarray(dy.copy_to_host()), host_y)
                vs_torch = measure(peer) / t if peer is not None else None
                rows.append((op, d, "x".join(map(str, shape)), t / host.size * 1e9, gbs,
                             100 * gbs / copy_gbs, vs_torch))
    head = ("op", "dir", "size", "ns/elem", "GB/s", "% copy", "vs torch")
    body = [(r[0], r[1], r[2], f"{r[3]:.4f}", f"{r[4]:.0f}", f"{r[5]:.0f}%",
             "–" if r[6] is None else f"{r[6]:.2f}x") for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    for b in body:
        print("  ".join(c.rjust(w) for c, w in zip(b, widths)))
    print()
    device = "CUDA SIMULATOR: figures are meaningless" if gpu.SIMULATOR else cuda.get_current_device().name
    if isinstance(device, bytes):
        device = device.decode()
    print(f"device: {device}; dtype {dtype}; device-to-device copy {copy_gbs:.0f} GB/s "
          f"(bytes read + written); vs torch = torch time / fastact time (forward out of place "
          f"for torch where it has no in-place op)")
    print("command: python -m fastact bench " + " ".join(argv))
    return 0


__all__ = ["run", "suite"]
