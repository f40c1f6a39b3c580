"""Exhaustive float32 accuracy: every one of the 2^32 float32 bit patterns through a
fastact function, against the float64 NumPy twin, in ULPs of the float32 result.

    python bench/accuracy_sweep.py                          # every activation, fwd + der
    python bench/accuracy_sweep.py --functions gelu,sigmoid --directions fwd
    python bench/accuracy_sweep.py --sample 20              # 2^20 random patterns (quick)

Prints a Markdown table (max error in ULP -- for derivatives where |f'| >= 1/16, away
from the cancellation at the zeros of f' --, where, and how many inputs exceed the
README's bound, which for derivatives has an absolute floor of 2^-23) and, with --json,
writes it.  The reference is the float64 twin
(itself checked against 40-digit mpmath to ~1e-14 relative: far below a float32 ULP).
NaN must give NaN and ±inf the exact reference value; errors are counted on the other
inputs.  Derivatives get the README's absolute floor (2^-23) at the zeros of f'.
The whole sweep takes hours on 2 cores (chunks of 2^24 inputs run in --workers
processes); --sample gives the quick version the test suite also runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time

import numpy as np

CHUNK = 1 << 24
FWD_ULP, DER_ULP, DER_ABS = 4.0, 8.0, 2.0 ** -23


def _cases(functions, directions):
    from fastact import _registry as reg

    names = functions or [s.name for s in reg.ELEMENTWISE if s.name != "prelu"] + ["gelu(tanh)"]
    return [(n, d) for n in names for d in directions]


def _call(name, direction, x):
    import fastact
    from fastact import reference

    params = {"approximate": "tanh"} if name == "gelu(tanh)" else {}
    spec_name = "gelu" if name == "gelu(tanh)" else name
    kernel = "gelu_tanh" if name == "gelu(tanh)" else spec_name
    f = fastact.get(spec_name)
    spec = f.spec
    full = {p.name: p.default for p in spec.params}
    nums = [full[q.name] for q in spec.numeric_params] + [0.0, 0.0]
    twin = reference.TWINS[kernel]
    with np.errstate(all="ignore"):
        if direction == "fwd":
            return f(x, **params), twin.fwd(x.astype(np.float64), nums[0], nums[1])
        return f.derivative(x, **params), twin.der(x.astype(np.float64), nums[0], nums[1])


def _ulp32(ref64):
    with np.errstate(over="ignore"):
        sp = np.spacing(np.abs(ref64.astype(np.float32))).astype(np.float64)
    sp[np.isinf(sp)] = 2.0 ** 104
    return np.maximum(sp, 2.0 ** -149)


def _chunk_stats(args):
    name, direction, start, count, bits = args
    if bits is None:
        x = np.arange(start, start + count, dtype=np.uint64).astype(np.uint32).view(np.float32)
    else:
        x = bits.view(np.float32)
    got, ref = _call(name, direction, x)
    with np.errstate(over="ignore", invalid="ignore"):
        g = got.astype(np.float64)
        r32 = ref.astype(np.float32)
    bad_nonfinite = int(np.sum(np.isnan(g) != np.isnan(ref))
                        + np.sum(np.isinf(r32) & (g != r32)))
    fin = np.isfinite(r32) & np.isfinite(g)
    bound, floor = (FWD_ULP, 0.0) if direction == "fwd" else (DER_ULP, DER_ABS)
    abs_err = np.abs(g[fin] - ref[fin])
    over = int(np.sum(abs_err > bound * _ulp32(ref[fin]) + floor))
    err = abs_err / _ulp32(ref[fin])
    if direction != "fwd":  # in ULP where |f'| >= 1/16, away from the cancellation at its zeros
        err = np.where(np.abs(ref[fin]) >= 0.0625, err, 0.0)
    i = int(np.argmax(err)) if err.size else 0
    return (float(err[i]) if err.size else 0.0, float(x[fin][i]) if err.size else 0.0,
            over, bad_nonfinite)


def sweep(name, direction, workers, sample_log2=None):
    if sample_log2 is not None:
        rng = np.random.default_rng(20261122)
        bits = rng.integers(0, 1 << 32, size=1 << sample_log2, dtype=np.uint64).astype(np.uint32)
        jobs = [(name, direction, 0, bits.size, bits)]
    else:
        jobs = [(name, direction, s, CHUNK, None) for s in range(0, 1 << 32, CHUNK)]
    if workers > 1 and len(jobs) > 1:
        with mp.get_context("spawn").Pool(workers) as pool:
            stats = pool.map(_chunk_stats, jobs)
    else:
        stats = [_chunk_stats(j) for j in jobs]
    worst = max(stats, key=lambda s: s[0])
    return {"function": name, "direction": direction, "max_ulp": worst[0], "at_x": worst[1],
            "over_bound": sum(s[2] for s in stats), "nonfinite_mismatch": sum(s[3] for s in stats),
            "inputs": sum(j[3] for j in jobs)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--functions", help="comma-separated (default: every activation; 'gelu(tanh)')")
    p.add_argument("--directions", default="fwd,der")
    p.add_argument("--sample", type=int, metavar="LOG2", help="2^LOG2 random bit patterns instead of all 2^32")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--json", metavar="FILE")
    args = p.parse_args(argv)
    functions = args.functions.split(",") if args.functions else None
    rows = []
    print("| function | f | inputs | max error (ulp) | at x | over the README bound | NaN/inf mismatches |")
    print("|---|---|---|---|---|---|---|")
    for name, d in _cases(functions, args.directions.split(",")):
        t0 = time.time()
        r = sweep(name, d, args.workers, args.sample)
        r["seconds"] = time.time() - t0
        rows.append(r)
        label = "f" if d == "fwd" else "f′"
        n = "all 2^32" if args.sample is None else f"2^{args.sample} random"
        where = f"{r['at_x']:.7g}" if r["max_ulp"] > 0 else "–"
        print(f"| {name} | {label} | {n} | {r['max_ulp']:.2f} | {where} | "
              f"{r['over_bound']} | {r['nonfinite_mismatch']} |", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
