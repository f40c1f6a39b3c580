"""Build and run the benchmark cases: fastact against the NumPy baseline and the
peers, for every activation (forward, derivative, backward) and softmax /
log_softmax (forward, backward), plus the memory-bandwidth reference."""

from __future__ import annotations

import functools
import sys
from dataclasses import asdict, dataclass, field

import numpy as np

import fastact

from .. import _kernels, _registry as reg
from .._engine import chunk_elements
from . import baselines, peers as P
from .timing import measure

SIZES = (1_000, 100_000, 1_000_000, 16_000_000)
SOFTMAX_SHAPES = ((8192, 1024), (64, 32000), (1_000_000, 16), (16, 1_000_000))
QUICK_OPS = ("relu", "sigmoid", "tanh", "gelu", "silu", "softmax")
QUICK_SIZES = (1_000, 100_000, 4_000_000)
QUICK_DIRECTIONS = ("fwd", "bwd")
QUICK_SOFTMAX_SHAPES = ((8192, 1024),)


@dataclass
class Record:
    op: str
    direction: str
    shape: tuple
    dtype: str
    threads: int
    impl: str
    median_s: float
    min_s: float
    samples: int
    bytes: int          # bytes read + written by the operation (logical)
    note: str = ""
    limit_GBps: float = 0.0  # the limit re-measured next to this case (0: the run's)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


@dataclass
class Results:
    records: list = field(default_factory=list)
    limit: dict = field(default_factory=dict)      # threads -> (ns per element, GB/s)
    absent: list = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, data):
        res = cls(meta=data["meta"], absent=data["absent_peers"])
        res.limit = {int(k): (v["ns_per_element"], v["GBps"]) for k, v in data["bandwidth_limit"].items()}
        res.records = [Record(**{**r, "shape": tuple(r["shape"])}) for r in data["records"]]
        return res

    def as_json(self):
        return {"meta": self.meta, "absent_peers": self.absent,
                "bandwidth_limit": {str(k): {"ns_per_element": v[0], "GBps": v[1]}
                                    for k, v in self.limit.items()},
                "records": [asdict(r) for r in self.records]}


def op_names():
    """Benchmark op labels: the registry's activations (gelu twice) and softmaxes."""
    names = []
    for spec in reg.ELEMENTWISE:
        names.append(spec.name)
        if spec.name == "gelu":
            names.append("gelu(tanh)")
    return names + list(reg.ROWWISE)


def _spec_params(op):
    if op == "gelu(tanh)":
        return reg.SPECS["gelu"], {"approximate": "tanh"}
    return reg.SPECS[op], {}


class Progress:
    def __init__(self, total, enabled=True):
        self.total, self.done, self.enabled = max(total, 1), 0, enabled

    def step(self, label):
        self.done += 1
        if self.enabled:
            frac = self.done / self.total
            bar = "#" * int(30 * frac)
            sys.stderr.write(f"\r[{bar:<30}] {100 * frac:5.1f}%  {label:<48.48}")
            sys.stderr.flush()

    def close(self):
        if self.enabled:
            sys.stderr.write("\r" + " " * 95 + "\r")
            sys.stderr.flush()


@functools.lru_cache(maxsize=1)
def _stream_buffers(n):
    """The limit kernel's input and its restore source, allocated once per run (the limit
    is re-measured after every DRAM-sized case: fresh 64 MB arrays each time cost their
    page faults)."""
    return np.ones(n, np.float32), np.ones(n, np.float32)


def bandwidth_limit(threads, n=16_000_000, budget=0.5):
    """In-place read-modify-write of a plain streaming scale kernel (float32), timed as
    every case is: its input restored before each call.  (Back-to-back calls without
    the restore measured ~15% faster on 1 thread, 0.104 vs 0.121 ns/elem: the restore's
    copy leaves dirty lines that the timed call then writes back.)"""
    run = _kernels.load("elementwise").run
    src, x = _stream_buffers(n)
    t = measure(lambda: run("stream_scale", x, (x,), 1.0, 0.0, threads, chunk_elements(n, threads)),
                lambda: np.copyto(x, src), budget_s=budget)
    return t.median_s / n * 1e9, 2 * 4 * n / t.median_s / 1e9


# Cases whose arrays stream from DRAM (past the 32 MiB L3) get the limit re-measured
# right after them: this shared machine's bandwidth drifts by up to a third within
# minutes (relu at 16M on 1 thread: 0.102 ns/elem in one run, 0.179 in another), so a
# limit taken once at the start misjudges later cases.
ADJACENT_LIMIT_BYTES = 32 << 20


def run_suite(ops, sizes, shapes, dtype, threads_list, backends, peer_names, budget,
              progress=True, directions=("fwd", "der", "bwd")) -> Results:
    dtype = np.dtype(dtype)
    res = Results()
    mods = P.load(peer_names)
    res.absent = [n for n, m in mods.items() if m is None]
    live = {n: m for n, m in mods.items() if m is not None}
    res.meta["peer_versions"] = {n: P.version(m) for n, m in live.items()}
    for t in threads_list:
        res.limit[t] = bandwidth_limit(t, budget=max(budget, 0.3))
    rng = np.random.default_rng(0)
    plan = []
    for op in ops:
        dirs = ("fwd", "bwd") if op in reg.ROWWISE else ("fwd", "der", "bwd")
        for d in (d for d in dirs if d in directions):
            for shape in (shapes if op in reg.ROWWISE else [(n,) for n in sizes]):
                plan.append((op, d, shape))
    bar = Progress(len(plan) * len(threads_list), progress)
    for op, d, shape in plan:
        src = (rng.standard_normal(shape) * 3).astype(dtype)
        dy_src = rng.standard_normal(shape).astype(dtype)
        single = {}  # single-threaded baselines timed once, reported for every thread count
        for t in threads_list:
            bar.step(f"{op} {d} {shape} {t}T")
            if op in reg.ROWWISE:
                recs = _softmax_case(op == "log_softmax", d, src, dy_src, t, backends, live,
                                     budget, single)
            else:
                recs = _elementwise_case(op, d, src, dy_src, t, backends, live, budget, single)
            near = (bandwidth_limit(t, budget=max(budget, 0.2))[1]
                    if src.nbytes >= ADJACENT_LIMIT_BYTES else 0.0)
            for impl, timing, nbytes, note in recs:
                res.records.append(Record(op, d, tuple(shape), dtype.name, t, impl,
                                          timing.median_s, timing.min_s, timing.samples,
                                          nbytes, note, near))
    bar.close()
    return res


# Implementations that run on one thread whatever n_threads says: timed once per case.
SINGLE_THREADED = ("numpy", "scipy")


@dataclass
class Case:
    """One implementation of one benchmark case: call it, restore the input first."""
    impl: str
    call: object
    restore: object  # None when the call does not modify its input
    nbytes: int
    note: str = ""


def _time_cases(cases, budget, single):
    out = []
    for c in cases:
        if c.impl in SINGLE_THREADED and c.impl in single:
            timing = single[c.impl]
        else:
            timing = measure(c.call, c.restore, budget_s=budget)
            if c.impl in SINGLE_THREADED:
                single[c.impl] = timing
        out.append((c.impl, timing, c.nbytes, c.note))
    return out


def _elementwise_case(op, d, src, dy_src, t, backends, peers, budget, single):
    return _time_cases(elementwise_cases(op, d, src, dy_src, t, backends, peers), budget, single)


def _softmax_case(log, d, src, dy_src, t, backends, peers, budget, single):
    return _time_cases(softmax_cases(log, d, src, dy_src, t, backends, peers), budget, single)


def implementations(op, direction, peer_names):
    """Names of the implementations a case has: fastact, the NumPy baseline (not for the
    prelu derivative/backward), and the peers that provide the op."""
    names = ["fastact-cython"]
    if not (op == "prelu" and direction != "fwd"):
        names.append("numpy")
    return names + [p for p in peer_names if P.supports(p, op, direction)]


def elementwise_cases(op, d, src, dy_src, t, backends, peers):
    """Every implementation of elementwise ``op`` in direction ``d`` on copies of
    ``src`` (and ``dy_src``): fastact per backend, the NumPy baseline, the peers."""
    spec, params = _spec_params(op)
    full = {p.name: p.default for p in spec.params} | params
    kernel = spec.kernel_for(full)
    nums = [full[q.name] for q in spec.numeric_params] + [0.0, 0.0]
    f = fastact.get(spec.name)
    x, dy, buf, scratch = src.copy(), dy_src.copy(), np.empty_like(src), np.empty_like(src)
    isz, n = src.itemsize, src.size
    restore_x = lambda: np.copyto(x, src)  # noqa: E731
    restore_dy = lambda: np.copyto(dy, dy_src)  # noqa: E731
    is_prelu = op == "prelu"
    w = np.array([0.25], src.dtype)
    cases = []
    if d == "fwd":
        nbytes = 2 * isz * n
        for b in backends:
            call = ((lambda b=b: f(x, w, out=x, backend=b, n_threads=t)) if is_prelu
                    else (lambda b=b: f(x, out=x, backend=b, n_threads=t, **params)))
            cases.append(Case(f"fastact-{b}", call, restore_x, nbytes, "in place"))
        base, how = (baselines.forward(op, kernel, nums[0], nums[1]) if not is_prelu else
                     ((lambda xx, tt: np.copyto(xx, np.where(xx > 0, xx, w * xx))), "idiom"))
        cases.append(Case("numpy", lambda: base(x, scratch), restore_x, nbytes, how))
        if "torch" in peers:
            call = P.torch_forward(peers["torch"], op, x, t)
            if call:
                cases.append(Case("torch", call, restore_x, nbytes, ""))
        if "onnxruntime" in peers:
            call = P.ort_run(peers["onnxruntime"], op, x, buf, t)
            if call:
                cases.append(Case("onnxruntime", call, restore_x, nbytes, "out of place"))
        if "numexpr" in peers:
            call = P.numexpr_forward(peers["numexpr"], op, x, t)
            if call:
                cases.append(Case("numexpr", call, restore_x, nbytes, ""))
        if "scipy" in peers:
            call = P.scipy_forward(peers["scipy"], op, x, scratch)
            if call:
                cases.append(Case("scipy", call, restore_x, nbytes, ""))
    elif d == "der":
        nbytes = 2 * isz * n
        for b in backends:
            call = ((lambda b=b: f.derivative(x, w, out=buf, backend=b, n_threads=t)) if is_prelu
                    else (lambda b=b: f.derivative(x, out=buf, backend=b, n_threads=t, **params)))
            cases.append(Case(f"fastact-{b}", call, None, nbytes, "into out"))
        if not is_prelu:
            base = baselines.derivative(kernel, nums[0], nums[1])
            cases.append(Case("numpy", lambda: base(x, buf), None, nbytes, "twin"))
    else:
        # from the forward output y where f' is a function of y (as PyTorch does for
        # sigmoid/tanh), else from x
        nbytes = 3 * isz * n
        from_y = not is_prelu and spec.backward_from_y_allowed(full)
        y = f(src, **params) if not is_prelu else None
        for b in backends:
            if is_prelu:
                call = lambda b=b: f.backward(dy, x, w, out=dy, backend=b, n_threads=t)  # noqa: E731
            elif from_y:
                call = lambda b=b: f.backward(dy, y=y, out=dy, backend=b, n_threads=t, **params)  # noqa: E731
            else:
                call = lambda b=b: f.backward(dy, x, out=dy, backend=b, n_threads=t, **params)  # noqa: E731
            cases.append(Case(f"fastact-{b}", call, restore_dy, nbytes,
                              "out=dy, from y" if from_y else "out=dy"))
        if not is_prelu:
            base = baselines.backward(kernel, nums[0], nums[1], from_y)
            arg = y if from_y else x
            cases.append(Case("numpy", lambda: base(dy, arg), restore_dy, nbytes, "twin"))
        if "torch" in peers and not is_prelu:
            call = P.torch_backward(peers["torch"], op, dy, x, y, t)
            if call:
                cases.append(Case("torch", call, None, nbytes, "out of place"))
    return cases


def softmax_cases(log, d, src, dy_src, t, backends, peers):
    """Every implementation of (log_)softmax along the last axis in direction ``d``."""
    f = fastact.log_softmax if log else fastact.softmax
    name = "log_softmax" if log else "softmax"
    x, dy, buf = src.copy(), dy_src.copy(), np.empty_like(src)
    isz, n = src.itemsize, src.size
    restore_x = lambda: np.copyto(x, src)  # noqa: E731
    restore_dy = lambda: np.copyto(dy, dy_src)  # noqa: E731
    cases = []
    if d == "fwd":
        nbytes = 2 * isz * n
        for b in backends:
            cases.append(Case(f"fastact-{b}", lambda b=b: f(x, out=x, backend=b, n_threads=t),
                              restore_x, nbytes, "in place"))
        base = baselines.softmax(log)
        cases.append(Case("numpy", lambda: base(x), restore_x, nbytes, "idiom"))
        if "torch" in peers:
            cases.append(Case("torch", P.torch_softmax(peers["torch"], log, False, x, None, None, t),
                              None, nbytes, "out of place"))
        if "onnxruntime" in peers:
            call = P.ort_run(peers["onnxruntime"], name, x, buf, t)
            if call:
                cases.append(Case("onnxruntime", call, None, nbytes, "out of place"))
        if "scipy" in peers:
            cases.append(Case("scipy", P.scipy_softmax(peers["scipy"], log, x), None, nbytes,
                              "out of place"))
    else:
        nbytes = 3 * isz * n
        y = f(src)
        for b in backends:
            cases.append(Case(f"fastact-{b}",
                              lambda b=b: f.backward(dy, y=y, out=dy, backend=b, n_threads=t),
                              restore_dy, nbytes, "out=dy"))
        base = baselines.softmax_backward(log)
        cases.append(Case("numpy", lambda: base(dy, y), restore_dy, nbytes, "idiom"))
        if "torch" in peers:
            cases.append(Case("torch", P.torch_softmax(peers["torch"], log, True, x, dy, y, t),
                              None, nbytes, "out of place"))
    return cases
