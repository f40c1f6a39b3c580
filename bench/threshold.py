"""Measure the size below which one thread beats two, per work class.

    python bench/threshold.py [--repeat 41]

Calls the compiled elementwise kernel directly (bypassing fastact's own serial
threshold) on float32 arrays in place, 1 vs N threads, and prints the median time per
call and the ratio.  The thresholds in fastact/_registry.py (PARALLEL_MIN_SIZE) come
from this script; rerun it on a new machine.  Another process taking a core makes the
parallel calls far slower (milliseconds) at small sizes, which is why the thresholds
keep a margin above the quiet-machine crossover.
"""

import argparse
import statistics
import time

import numpy as np

from fastact import _config, _kernels
from fastact._engine import chunk_elements

OPS = {"cheap (relu)": "relu_fwd", "transcendental (sigmoid)": "sigmoid_fwd",
       "cheap backward, two inputs (sigmoid's backward from y: dy * y (1 - y))": "sigmoid_bwd_y"}
SIZES = [2 ** k for k in range(10, 22)]


def per_call(op, x, src, n_threads, repeat):
    times = []
    inputs = (x, np.abs(src) / 10) if op.endswith("_bwd_y") else (x,)  # (dy, y): out = dy
    for _ in range(repeat):
        x[...] = src
        t = time.perf_counter()
        _kernels.load("elementwise").run(op, x, inputs, 0.0, 0.0, n_threads, chunk_elements(x.size, n_threads))
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=41)
    args = ap.parse_args()
    n = _config.usable_cpus()
    rng = np.random.default_rng(0)
    print(f"threads: 1 vs {n}; median of {args.repeat} calls; float32 in place; chunks of up to {chunk_elements(SIZES[-1], n)}")
    for label, op in OPS.items():
        print(f"\n{label}\n{'size':>9} {'1 thread us':>12} {f'{n} threads us':>13} {'speed-up':>9}")
        for size in SIZES:
            src = rng.uniform(-10, 10, size).astype(np.float32)
            x = src.copy()
            t1 = per_call(op, x, src, 1, args.repeat)
            tn = per_call(op, x, src, n, args.repeat)
            print(f"{size:>9} {t1 * 1e6:>12.2f} {tn * 1e6:>13.2f} {t1 / tn:>9.2f}")


if __name__ == "__main__":
    main()
